//! The conformance suite: what every [`LoanStore`] backend must do, written once against the trait.
//!
//! A backend's tests call [`check_all`] with a function that makes a fresh, empty store; each check gets its own.
//! Checks panic with a message naming the broken promise, like any test assertion.

use std::future::Future;

use domain::{BorrowerId, CropCalendar, LoanId, Money, RepaymentId, parse_date};
use lending::{
    Bucket, Change, DatedEvent, FiveCategory, LoanEvent, LoanStatus, LoanTerms, Posting, StatusChange, TermsRequest,
};

use crate::{Appended, LoanStore, NewEvent, NewLoan, StoreError};

fn sample_loan(id: &str) -> NewLoan {
    let request = TermsRequest {
        product: Some("harvest-bullet".into()),
        principal: Some("50000".into()),
        annual_rate: Some("0.05".into()),
        start: Some("2026-03-10".into()),
        crop: Some("summer-maize".into()),
        region: Some("north-china-plain".into()),
        grace_months: Some(1),
        ..TermsRequest::default()
    };
    NewLoan {
        id: LoanId::parse(id).expect("valid id"),
        borrower: BorrowerId::parse("B-0001").expect("valid id"),
        terms: LoanTerms::new(&request, &CropCalendar::china_default()).expect("valid terms"),
        rules: "cbirc-2023".into(),
        booked_on: parse_date("2026-03-09").expect("date"),
    }
}

fn event(date: &str, event: LoanEvent) -> NewEvent {
    NewEvent::keyed_by_id(DatedEvent { date: parse_date(date).expect("date"), event })
}

fn repayment(date: &str, id: &str, fen: i64) -> NewEvent {
    event(date, LoanEvent::Repaid { id: RepaymentId::parse(id).expect("id"), amount: Money::from_fen(fen) })
}

/// Runs every check, each on a fresh store from `fresh`.
pub async fn check_all<S, F, Fut>(fresh: F)
where
    S: LoanStore,
    F: Fn() -> Fut,
    Fut: Future<Output = S>,
{
    loans_round_trip(fresh().await).await;
    duplicate_loans_are_refused_whole(fresh().await).await;
    events_keep_their_order_and_content(fresh().await).await;
    keys_make_appends_idempotent(fresh().await).await;
    stale_writers_are_refused(fresh().await).await;
    ledger_lines_round_trip_to_the_fen(fresh().await).await;
    status_changes_are_recorded_once(fresh().await).await;
    unknown_loans_are_reported(fresh().await).await;
}

/// Terms, borrower and dates come back exactly; ids are issued in order.
pub async fn loans_round_trip<S: LoanStore>(store: S) {
    assert_eq!(store.next_loan_id().await.expect("next id").as_str(), "L000001");
    let loan = sample_loan("L000001");
    store
        .create_loan(&loan, &[event("2026-03-09", LoanEvent::Approved { by: "officer".into() })])
        .await
        .expect("create");
    assert_eq!(store.loan(&loan.id).await.expect("read"), Some(loan.clone()));
    assert_eq!(store.next_loan_id().await.expect("next id").as_str(), "L000002");
    store.create_loan(&sample_loan("A-7"), &[]).await.expect("create second");
    let ids: Vec<String> = store.loans().await.expect("list").into_iter().map(|l| l.id.to_string()).collect();
    assert_eq!(ids, ["A-7", "L000001"], "loans are listed by id");
    assert_eq!(store.events(&loan.id).await.expect("events").len(), 1);
}

/// Creating a loan twice fails and leaves the first untouched, events included.
pub async fn duplicate_loans_are_refused_whole<S: LoanStore>(store: S) {
    let loan = sample_loan("L1");
    store.create_loan(&loan, &[event("2026-03-09", LoanEvent::Approved { by: "a".into() })]).await.expect("create");
    let again = store.create_loan(&loan, &[event("2026-03-09", LoanEvent::Approved { by: "b".into() })]).await;
    assert!(matches!(again, Err(StoreError::DuplicateLoan(_))), "second create must fail: {again:?}");
    let events = store.events(&loan.id).await.expect("events");
    assert_eq!(events.len(), 1, "the failed create wrote nothing");
    assert_eq!(events[0].dated.event, LoanEvent::Approved { by: "a".into() });
}

/// Appended events come back in sequence with their dates, payloads and keys.
pub async fn events_keep_their_order_and_content<S: LoanStore>(store: S) {
    let loan = sample_loan("L1");
    store.create_loan(&loan, &[event("2026-03-09", LoanEvent::Approved { by: "a".into() })]).await.expect("create");
    let disbursed = event("2026-03-10", LoanEvent::Disbursed { amount: Money::from_yuan(50_000) });
    let posting = [Posting::new("disbursement", Money::from_yuan(50_000))];
    assert_eq!(store.append(&loan.id, 1, &disbursed, &posting, &[]).await.expect("append"), Appended::New { seq: 2 });
    // A back-dated event is stored in arrival order; replay sorts by date.
    let early = repayment("2026-03-09", "r-early", 1);
    assert_eq!(store.append(&loan.id, 2, &early, &[], &[]).await.expect("append"), Appended::New { seq: 3 });
    let events = store.events(&loan.id).await.expect("events");
    let seqs: Vec<u32> = events.iter().map(|e| e.seq).collect();
    assert_eq!(seqs, [1, 2, 3]);
    assert_eq!(events[1].dated, disbursed.dated);
    assert_eq!(events[2].key.as_deref(), Some("r-early"));
}

/// The same key twice posts once; a different event under a used key is refused.
pub async fn keys_make_appends_idempotent<S: LoanStore>(store: S) {
    let loan = sample_loan("L1");
    store.create_loan(&loan, &[]).await.expect("create");
    let pay = repayment("2026-04-10", "r1", 21_528);
    let lines = [Posting::new("current-interest", Money::from_fen(21_528))];
    assert_eq!(store.append(&loan.id, 0, &pay, &lines, &[]).await.expect("first"), Appended::New { seq: 1 });
    assert_eq!(store.append(&loan.id, 1, &pay, &lines, &[]).await.expect("again"), Appended::Duplicate { seq: 1 });
    // Even with a stale expected count the duplicate is recognised first.
    assert_eq!(store.append(&loan.id, 0, &pay, &lines, &[]).await.expect("stale"), Appended::Duplicate { seq: 1 });
    let different = repayment("2026-04-10", "r1", 100);
    let err = store.append(&loan.id, 1, &different, &[], &[]).await;
    assert!(matches!(err, Err(StoreError::KeyConflict { .. })), "reused key must fail: {err:?}");
    assert_eq!(store.events(&loan.id).await.expect("events").len(), 1);
    assert_eq!(store.ledger(&loan.id).await.expect("ledger").len(), 1, "no ledger line was posted twice");
}

/// An append that expects a different number of events is refused and writes nothing.
pub async fn stale_writers_are_refused<S: LoanStore>(store: S) {
    let loan = sample_loan("L1");
    store.create_loan(&loan, &[event("2026-03-09", LoanEvent::Approved { by: "a".into() })]).await.expect("create");
    let pay = repayment("2026-04-10", "r1", 100);
    let err = store.append(&loan.id, 0, &pay, &[Posting::new("penalty", Money::from_fen(100))], &[]).await;
    assert!(matches!(err, Err(StoreError::Conflict { expected: 0, found: 1, .. })), "stale append must fail: {err:?}");
    assert_eq!(store.events(&loan.id).await.expect("events").len(), 1);
    assert!(store.ledger(&loan.id).await.expect("ledger").is_empty());
}

/// Ledger lines come back in order with exact signed amounts, extremes included.
pub async fn ledger_lines_round_trip_to_the_fen<S: LoanStore>(store: S) {
    let loan = sample_loan("L1");
    store.create_loan(&loan, &[]).await.expect("create");
    let lines = [
        Posting::new("penalty", Money::from_fen(1)),
        Posting::new("overdue-principal", Money::from_fen(Money::MAX_INPUT_FEN)),
        Posting::new("overpayment", Money::from_fen(-Money::MAX_INPUT_FEN)),
    ];
    store.append(&loan.id, 0, &repayment("2026-05-01", "r1", 1), &lines, &[]).await.expect("append");
    let ledger = store.ledger(&loan.id).await.expect("ledger");
    let amounts: Vec<i64> = ledger.iter().map(|l| l.amount.fen()).collect();
    assert_eq!(amounts, [1, Money::MAX_INPUT_FEN, -Money::MAX_INPUT_FEN]);
    assert_eq!(ledger[1].component, "overdue-principal");
    assert_eq!(ledger[0].date, parse_date("2026-05-01").expect("date"));
    assert!(ledger.iter().all(|l| l.event_seq == 1 && l.reallocates.is_none()));
    let moved = [Posting {
        component: "overdue-interest",
        amount: Money::from_fen(-5),
        reallocates: Some(RepaymentId::parse("r1").expect("id")),
    }];
    store.append(&loan.id, 1, &repayment("2026-04-01", "r0", 5), &moved, &[]).await.expect("append");
    let ledger = store.ledger(&loan.id).await.expect("ledger");
    assert_eq!(
        ledger.last().and_then(|l| l.reallocates.as_deref()),
        Some("r1"),
        "reallocation lines keep their target"
    );
}

/// Recording the same change twice stores it once; every kind round-trips.
pub async fn status_changes_are_recorded_once<S: LoanStore>(store: S) {
    let loan = sample_loan("L1");
    store.create_loan(&loan, &[]).await.expect("create");
    let date = parse_date("2026-04-11").expect("date");
    let changes = vec![
        StatusChange {
            date,
            change: Change::Status { from: LoanStatus::Active, to: LoanStatus::Overdue },
            cause: "1 days past due".into(),
        },
        StatusChange {
            date,
            change: Change::Bucket { from: Bucket::Current, to: Bucket::Dpd1To30 },
            cause: "1 days past due".into(),
        },
        StatusChange {
            date,
            change: Change::Class { from: FiveCategory::Normal, to: FiveCategory::SpecialMention },
            cause: "1 days past due".into(),
        },
        StatusChange {
            date,
            change: Change::Stage { from: lending::IfrsStage::Stage1, to: lending::IfrsStage::Stage2 },
            cause: "x".into(),
        },
    ];
    let batch: Vec<(LoanId, StatusChange)> = changes.iter().map(|c| (loan.id.clone(), c.clone())).collect();
    assert_eq!(store.record_changes(&batch[..2]).await.expect("record"), 2);
    assert_eq!(store.record_changes(&batch).await.expect("record again"), 2, "only the two new ones are added");
    assert_eq!(store.changes(&loan.id).await.expect("read"), changes);
    // Changes posted with an event land in the same transaction as the event.
    let later = StatusChange {
        date: parse_date("2026-05-01").expect("date"),
        change: Change::Status { from: LoanStatus::Overdue, to: LoanStatus::Active },
        cause: "repayment r9".into(),
    };
    store
        .append(&loan.id, 0, &repayment("2026-05-01", "r9", 1), &[], std::slice::from_ref(&later))
        .await
        .expect("append");
    assert_eq!(store.changes(&loan.id).await.expect("read").last(), Some(&later));
}

/// Reads of an unknown loan are empty; writes to it fail.
pub async fn unknown_loans_are_reported<S: LoanStore>(store: S) {
    let ghost = LoanId::parse("nope").expect("id");
    assert_eq!(store.loan(&ghost).await.expect("read"), None);
    assert!(store.events(&ghost).await.expect("events").is_empty());
    let err = store.append(&ghost, 0, &repayment("2026-04-10", "r1", 1), &[], &[]).await;
    assert!(matches!(err, Err(StoreError::LoanNotFound(_))), "append to unknown loan must fail: {err:?}");
}
