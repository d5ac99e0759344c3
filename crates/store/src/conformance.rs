//! The conformance suite: what every backend of the store's traits must do, written once against the traits.
//!
//! A backend's tests call one runner per register with a function that makes a fresh, empty store; each check
//! gets its own: [`check_all`] ([`LoanStore`]), [`check_registry`] ([`ModelRegistry`]), [`check_screening`]
//! ([`crate::ScreeningRegister`]), [`check_decisions`] ([`DecisionLog`]), [`check_policies`] ([`PolicyRegister`])
//! [`check_workflow`] ([`ReviewWorkflow`], with [`claims::check_claims`]), [`check_records`] ([`RecordStore`]), [`audit::check_audit`]
//! ([`crate::AuditLog`]), [`erasure::check_erasures`] ([`crate::ErasureRegister`]) and [`dual::check_dual`]
//! ([`crate::DualControl`]), [`alerts::check_alerts`] ([`crate::AlertRegister`]). The record builders here ([`sample_loan`], [`decision`], [`officer`], [`disbursement`],
//! [`booking`], …) are public so a backend's own tests can set up the same data.
//! Checks panic with a message naming the broken promise, like any test assertion.

pub mod alerts;
pub mod audit;
pub mod claims;
pub mod dual;
pub mod erasure;
pub mod identity;

use std::future::Future;

use domain::{BorrowerId, CropCalendar, LoanId, Money, RepaymentId, parse_date};
use lending::{
    Bucket, Change, DatedEvent, FiveCategory, LoanEvent, LoanStatus, LoanTerms, Posting, StatusChange, TermsRequest,
};

use ::workflow::{
    DecisionRecord, Disbursement, DisbursementRefusal, Invalid, Officer, Outcome, RecordJson, ReviewAction,
    ReviewRefusal, ReviewState, Reviewed,
};
use domain::{DecisionId, OfficerId, Timestamp};
use policy::lifecycle::PolicyStatus;
use scoring::lifecycle::ModelStatus;

use crate::{
    Appended, Booking, Cell, CellType, Cursor, DecisionLog, Disbursed, LoadCounts, LoadInfo, LoanStore, ModelRecord,
    ModelRegistry, ModelStatusChange, NewEvent, NewLoan, NewRecord, Page, PolicyRegister, PolicyVersion,
    QuarantineRecord, RecordColumn, RecordLoad, RecordStore, RecordTable, Recorded, ReviewWorkflow, StoreError,
};
use integrate::register::{Filter, RegisterError, Versions};

/// A harvest-bullet loan of 50,000 yuan under `id`, for suites that need one.
pub fn sample_loan(id: &str) -> NewLoan {
    let request = TermsRequest {
        product: Some(lending::ProductKind::HarvestBullet.code().into()),
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
    let counts = store.event_counts().await.expect("counts");
    assert_eq!(
        counts.into_iter().collect::<Vec<_>>(),
        [("L000001".to_string(), 1)],
        "a loan without events is left out"
    );
    let mut other = sample_loan("B-1");
    other.borrower = BorrowerId::parse("H0000099").expect("borrower");
    store.create_loan(&other, &[]).await.expect("create another borrower's");
    let of = |b: &BorrowerId| {
        let store = &store;
        let b = b.clone();
        async move { store.loans_of(&b).await.expect("loans of").into_iter().map(|l| l.id.to_string()).collect::<Vec<_>>() }
    };
    assert_eq!(of(&loan.borrower).await, ["A-7", "L000001"], "one borrower's loans, by id");
    assert_eq!(of(&other.borrower).await, ["B-1"]);
    assert!(of(&BorrowerId::parse("H0000100").expect("borrower")).await.is_empty());
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
    assert_eq!(store.event_counts().await.expect("counts").get("L1"), Some(&3), "the count grows with each append");
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

/// A model record whose id is `n` as a 64-digit hex hash.
fn model_record(n: u64, name: &str, created_at: &str) -> ModelRecord {
    ModelRecord {
        id: format!("{n:064x}"),
        name: name.into(),
        kind: "scorecard".into(),
        format_version: 1,
        created_at: created_at.into(),
        artifact_json: format!(r#"{{"model":{n}}}"#),
    }
}

async fn register<S: ModelRegistry>(store: &S, record: &ModelRecord) {
    store.register_model(record, "2026-05-02T08:00:00+08:00", "analyst").await.expect("register");
}

async fn move_to<S: ModelRegistry>(store: &S, id: &str, to: ModelStatus) -> Vec<ModelStatusChange> {
    store.set_model_status(id, to, "2026-05-03T10:00:00+08:00", "risk-committee", "approved").await.expect("move")
}

async fn status_of<S: ModelRegistry>(store: &S, id: &str) -> ModelStatus {
    store.model(id).await.expect("read").expect("registered").0.status
}

/// Runs every model registry check, each on a fresh store from `fresh`.
pub async fn check_registry<S, F, Fut>(fresh: F)
where
    S: ModelRegistry,
    F: Fn() -> Fut,
    Fut: Future<Output = S>,
{
    models_round_trip(fresh().await).await;
    registering_is_idempotent(fresh().await).await;
    clashing_and_malformed_models_are_refused(fresh().await).await;
    the_lifecycle_allows_only_legal_moves(fresh().await).await;
    a_name_has_one_champion(fresh().await).await;
    retired_is_final(fresh().await).await;
    unknown_models_are_reported(fresh().await).await;
}

/// A registered model comes back as a candidate with its artifact byte for byte and its registration in its
/// history; listings order by the instant of creation, then id, and filter by name.
pub async fn models_round_trip<S: ModelRegistry>(store: S) {
    // Key order, spacing, number spelling and non-ASCII text that any re-serialisation would change.
    let artifact = "{\"z\": 1.50, \"a\":[1e3, -0.0],\n \"名称\": \"玉米 \\u00e9\", \"big\": 12345678901234567890}";
    let mut scorecard = model_record(0xa1, "smallholder-pd", "2026-05-01T09:00:00+08:00");
    scorecard.artifact_json = artifact.into();
    let summary = store.register_model(&scorecard, "2026-05-02T08:00:00+08:00", "analyst").await.expect("register");
    assert_eq!(summary.status, ModelStatus::Candidate);
    let (read, json) = store.model(&scorecard.id).await.expect("read").expect("registered");
    assert_eq!(read, summary);
    assert_eq!((&read.name[..], &read.kind[..], read.format_version), ("smallholder-pd", "scorecard", 1));
    assert_eq!(read.created_at, "2026-05-01T09:00:00+08:00", "timestamps are kept as given");
    assert_eq!(json.as_bytes(), artifact.as_bytes(), "the artifact is opaque");
    assert_eq!(
        store.model_history(&scorecard.id).await.expect("history"),
        [ModelStatusChange {
            model_id: scorecard.id.clone(),
            seq: 1,
            from: None,
            to: ModelStatus::Candidate,
            at: "2026-05-02T08:00:00+08:00".into(),
            by: "analyst".into(),
            reason: "registered".into(),
        }]
    );
    // 01:00Z is an hour earlier than 02:00Z, though its text sorts later; equal instants order by id.
    let later = model_record(0x01, "smallholder-pd", "2026-05-01T02:00:00Z");
    let same_instant = model_record(0xff, "cooperative-pd", "2026-05-01T01:00:00.000Z");
    let mut gbdt = model_record(0x02, "smallholder-pd", "2026-05-01T02:00:00.5Z");
    gbdt.kind = "gbdt".into();
    gbdt.format_version = 3;
    for record in [&later, &same_instant, &gbdt] {
        register(&store, record).await;
    }
    let ids = |models: Vec<crate::ModelSummary>| models.into_iter().map(|m| m.id).collect::<Vec<_>>();
    assert_eq!(
        ids(store.models(None).await.expect("list")),
        [&*scorecard.id, &*same_instant.id, &*later.id, &*gbdt.id],
        "models are listed by creation instant, then id"
    );
    assert_eq!(ids(store.models(Some("smallholder-pd")).await.expect("list")), [&*scorecard.id, &*later.id, &*gbdt.id]);
    assert!(store.models(Some("nobody")).await.expect("list").is_empty());
    let (gbdt_read, _) = store.model(&gbdt.id).await.expect("read").expect("registered");
    assert_eq!((&gbdt_read.kind[..], gbdt_read.format_version), ("gbdt", 3));
}

/// Registering the same record again changes nothing and returns the model as it stands now.
pub async fn registering_is_idempotent<S: ModelRegistry>(store: S) {
    let record = model_record(7, "smallholder-pd", "2026-05-01T09:00:00+08:00");
    let first = store.register_model(&record, "2026-05-02T08:00:00+08:00", "analyst").await.expect("register");
    let again = store.register_model(&record, "2026-06-01T08:00:00+08:00", "someone-else").await.expect("again");
    assert_eq!(again, first);
    move_to(&store, &record.id, ModelStatus::Champion).await;
    let after = store.register_model(&record, "2026-06-02T08:00:00+08:00", "analyst").await.expect("after");
    assert_eq!(after.status, ModelStatus::Champion, "re-registering does not reset the status");
    let history = store.model_history(&record.id).await.expect("history");
    assert_eq!(history.len(), 2, "re-registering records nothing: {history:?}");
    assert_eq!(store.models(None).await.expect("list").len(), 1);
}

/// An id registered with other content is refused, as are malformed records and changes; nothing is written.
pub async fn clashing_and_malformed_models_are_refused<S: ModelRegistry>(store: S) {
    let record = model_record(7, "smallholder-pd", "2026-05-01T09:00:00+08:00");
    register(&store, &record).await;
    let variants = [
        ModelRecord { name: "other".into(), ..record.clone() },
        ModelRecord { kind: "gbdt".into(), ..record.clone() },
        ModelRecord { format_version: 2, ..record.clone() },
        ModelRecord { created_at: "2026-05-01T01:00:00Z".into(), ..record.clone() },
        ModelRecord { artifact_json: r#"{"model": 7}"#.into(), ..record.clone() },
    ];
    for clash in &variants {
        let err = store.register_model(clash, "2026-05-02T08:00:00+08:00", "analyst").await;
        assert!(matches!(&err, Err(StoreError::ModelClash(id)) if *id == record.id), "clash must fail: {err:?}");
        let text = err.expect_err("clash").to_string();
        assert!(text.contains(&record.id), "the error names the model: {text}");
    }
    let malformed = [
        (ModelRecord { id: "A".repeat(64), ..record.clone() }, "id"),
        (ModelRecord { id: "abc".into(), ..record.clone() }, "id"),
        (ModelRecord { id: format!("{}g", "0".repeat(63)), ..record.clone() }, "id"),
        (ModelRecord { id: format!("{:064x}", 8), name: " ".into(), ..record.clone() }, "name"),
        (ModelRecord { id: format!("{:064x}", 8), kind: String::new(), ..record.clone() }, "kind"),
        (ModelRecord { id: format!("{:064x}", 8), created_at: "2026-05-01".into(), ..record.clone() }, "created_at"),
    ];
    for (bad, field) in &malformed {
        let err = store.register_model(bad, "2026-05-02T08:00:00+08:00", "analyst").await;
        assert!(
            matches!(&err, Err(StoreError::InvalidModel { field: f, .. }) if f == field),
            "{field} must be refused: {err:?}"
        );
    }
    let other = model_record(8, "smallholder-pd", "2026-05-01T09:00:00+08:00");
    let err = store.register_model(&other, "yesterday", "analyst").await;
    assert!(matches!(err, Err(StoreError::InvalidModel { field: "at", .. })), "bad time must fail: {err:?}");
    let err = store.register_model(&other, "2026-05-02T08:00:00Z", "").await;
    assert!(matches!(err, Err(StoreError::InvalidModel { field: "by", .. })), "no author must fail: {err:?}");
    let err = store.set_model_status(&record.id, ModelStatus::Champion, "now", "analyst", "x").await;
    assert!(matches!(err, Err(StoreError::InvalidModel { field: "at", .. })), "bad time must fail: {err:?}");
    let models = store.models(None).await.expect("list");
    assert_eq!(models.len(), 1, "nothing malformed was stored: {models:?}");
    let (_, json) = store.model(&record.id).await.expect("read").expect("registered");
    assert_eq!(json, record.artifact_json, "the first registration is untouched");
    assert_eq!(store.model_history(&record.id).await.expect("history").len(), 1);
}

/// Legal moves are recorded with who, when and why; illegal ones are refused naming the rule and write nothing;
/// moving to the current status is a no-op.
pub async fn the_lifecycle_allows_only_legal_moves<S: ModelRegistry>(store: S) {
    let record = model_record(1, "smallholder-pd", "2026-05-01T09:00:00+08:00");
    register(&store, &record).await;
    let id = &record.id;
    let changes = store
        .set_model_status(id, ModelStatus::Challenger, "2026-05-03T10:00:00+08:00", "committee", "shadow run")
        .await
        .expect("candidate -> challenger");
    let expected = ModelStatusChange {
        model_id: id.clone(),
        seq: 2,
        from: Some(ModelStatus::Candidate),
        to: ModelStatus::Challenger,
        at: "2026-05-03T10:00:00+08:00".into(),
        by: "committee".into(),
        reason: "shadow run".into(),
    };
    assert_eq!(changes, std::slice::from_ref(&expected));
    assert!(move_to(&store, id, ModelStatus::Challenger).await.is_empty(), "staying put changes nothing");
    let err = store.set_model_status(id, ModelStatus::Candidate, "2026-05-04T00:00:00Z", "committee", "x").await;
    let Err(err @ StoreError::ModelMove { .. }) = err else { panic!("challenger -> candidate must fail: {err:?}") };
    assert_eq!(
        err.to_string(),
        format!("model {id}: no model returns to candidate; cannot move from challenger to candidate")
    );
    assert_eq!(move_to(&store, id, ModelStatus::Champion).await.len(), 1, "challenger -> champion");
    let err = store.set_model_status(id, ModelStatus::Candidate, "2026-05-04T00:00:00Z", "committee", "x").await;
    assert!(matches!(err, Err(StoreError::ModelMove { .. })), "champion -> candidate must fail: {err:?}");
    assert_eq!(move_to(&store, id, ModelStatus::Challenger).await.len(), 1, "champion -> challenger (demoted)");
    assert_eq!(move_to(&store, id, ModelStatus::Retired).await.len(), 1, "challenger -> retired");
    let steps: Vec<(Option<ModelStatus>, ModelStatus)> =
        store.model_history(id).await.expect("history").iter().map(|c| (c.from, c.to)).collect();
    use ModelStatus::{Candidate, Challenger, Champion, Retired};
    assert_eq!(
        steps,
        [
            (None, Candidate),
            (Some(Candidate), Challenger),
            (Some(Challenger), Champion),
            (Some(Champion), Challenger),
            (Some(Challenger), Retired)
        ],
        "refused moves wrote nothing"
    );
    assert_eq!(store.model_history(id).await.expect("history")[1], expected);
    // The remaining first moves out of candidate.
    for (n, to) in [(2, Champion), (3, Retired)] {
        let other = model_record(n, "other-pd", "2026-05-01T09:00:00+08:00");
        register(&store, &other).await;
        assert_eq!(move_to(&store, &other.id, to).await.len(), 1, "candidate -> {to}");
        assert_eq!(status_of(&store, &other.id).await, to);
    }
}

/// Promoting a model demotes its name's champion to challenger in the same transaction, recorded in both
/// histories; other names are untouched.
pub async fn a_name_has_one_champion<S: ModelRegistry>(store: S) {
    let a = model_record(0xa, "smallholder-pd", "2026-05-01T09:00:00+08:00");
    let b = model_record(0xb, "smallholder-pd", "2026-05-02T09:00:00+08:00");
    let c = model_record(0xc, "cooperative-pd", "2026-05-02T09:00:00+08:00");
    for record in [&a, &b, &c] {
        register(&store, record).await;
    }
    assert_eq!(store.champion("smallholder-pd").await.expect("champion"), None);
    assert_eq!(move_to(&store, &a.id, ModelStatus::Champion).await.len(), 1, "no one to demote yet");
    assert_eq!(move_to(&store, &c.id, ModelStatus::Champion).await.len(), 1, "another name has its own champion");
    assert_eq!(status_of(&store, &a.id).await, ModelStatus::Champion);
    let changes = store
        .set_model_status(&b.id, ModelStatus::Champion, "2026-06-01T10:00:00+08:00", "committee", "higher Gini")
        .await
        .expect("promote b");
    assert_eq!(
        changes,
        [
            ModelStatusChange {
                model_id: a.id.clone(),
                seq: 3,
                from: Some(ModelStatus::Champion),
                to: ModelStatus::Challenger,
                at: "2026-06-01T10:00:00+08:00".into(),
                by: "committee".into(),
                reason: format!("replaced as champion by model {}: higher Gini", b.id),
            },
            ModelStatusChange {
                model_id: b.id.clone(),
                seq: 2,
                from: Some(ModelStatus::Candidate),
                to: ModelStatus::Champion,
                at: "2026-06-01T10:00:00+08:00".into(),
                by: "committee".into(),
                reason: "higher Gini".into(),
            },
        ],
        "the demotion comes first, so there is never a second champion"
    );
    assert_eq!(store.model_history(&a.id).await.expect("history").last(), Some(&changes[0]));
    assert_eq!(store.model_history(&b.id).await.expect("history").last(), Some(&changes[1]));
    assert_eq!(store.champion("smallholder-pd").await.expect("champion").map(|m| m.id), Some(b.id.clone()));
    assert_eq!(store.champion("cooperative-pd").await.expect("champion").map(|m| m.id), Some(c.id.clone()));
    assert_eq!(status_of(&store, &a.id).await, ModelStatus::Challenger);
    // The demoted model can win back its place, demoting the winner in turn.
    let back = move_to(&store, &a.id, ModelStatus::Champion).await;
    let moved: Vec<(&str, ModelStatus)> = back.iter().map(|c| (c.model_id.as_str(), c.to)).collect();
    assert_eq!(moved, [(&b.id[..], ModelStatus::Challenger), (&a.id[..], ModelStatus::Champion)]);
    let champions = store.models(None).await.expect("list").into_iter().filter(|m| m.status == ModelStatus::Champion);
    assert_eq!(champions.map(|m| m.id).collect::<Vec<_>>(), [a.id.clone(), c.id.clone()]);
    // Retiring the champion leaves the name without one.
    move_to(&store, &a.id, ModelStatus::Retired).await;
    assert_eq!(store.champion("smallholder-pd").await.expect("champion"), None);
}

/// A retired model never moves again, and the refusal says so.
pub async fn retired_is_final<S: ModelRegistry>(store: S) {
    let record = model_record(9, "smallholder-pd", "2026-05-01T09:00:00+08:00");
    register(&store, &record).await;
    move_to(&store, &record.id, ModelStatus::Champion).await;
    move_to(&store, &record.id, ModelStatus::Retired).await;
    for to in [ModelStatus::Candidate, ModelStatus::Champion, ModelStatus::Challenger] {
        let err = store.set_model_status(&record.id, to, "2026-07-01T00:00:00Z", "committee", "revive").await;
        let Err(err @ StoreError::ModelMove { .. }) = err else { panic!("retired -> {to} must fail: {err:?}") };
        assert_eq!(err.to_string(), format!("model {}: retired is final; cannot move from retired to {to}", record.id));
    }
    assert!(move_to(&store, &record.id, ModelStatus::Retired).await.is_empty(), "retiring again changes nothing");
    assert_eq!(store.model_history(&record.id).await.expect("history").len(), 3);
    assert_eq!(status_of(&store, &record.id).await, ModelStatus::Retired);
}

/// Reads of an unknown model are empty; moving it fails naming it.
pub async fn unknown_models_are_reported<S: ModelRegistry>(store: S) {
    let ghost = format!("{:064x}", 404);
    assert_eq!(store.model(&ghost).await.expect("read"), None);
    assert!(store.model_history(&ghost).await.expect("history").is_empty());
    assert_eq!(store.champion("smallholder-pd").await.expect("champion"), None);
    assert!(store.models(None).await.expect("list").is_empty());
    let err = store.set_model_status(&ghost, ModelStatus::Champion, "2026-05-03T10:00:00Z", "committee", "x").await;
    assert!(matches!(&err, Err(StoreError::ModelNotFound(id)) if *id == ghost), "moving a ghost must fail: {err:?}");
    assert_eq!(err.expect_err("ghost").to_string(), format!("model {ghost} not found"));
}

fn screening(household: &str, kind: crate::ScreeningKind, on: &str, source: &str) -> crate::ScreeningEntry {
    crate::ScreeningEntry {
        household_id: household.to_owned(),
        kind,
        effective_on: parse_date(on).expect("date"),
        source: source.to_owned(),
        recorded_by: "risk.li".to_owned(),
        recorded_at: "2026-12-01T09:00:00+08:00".to_owned(),
        note: String::new(),
        scope: None,
    }
}

/// A consent entry scoped to a data source and purpose.
fn scoped(
    kind: crate::ScreeningKind,
    on: &str,
    data_source: privacy::consent::DataSource,
    purpose: privacy::consent::Purpose,
) -> crate::ScreeningEntry {
    crate::ScreeningEntry {
        scope: Some(crate::ConsentScope { data_source, purpose }),
        ..screening("H1", kind, on, "branch-01")
    }
}

/// Runs every screening-register check, each on a fresh store from `fresh`.
pub async fn check_screening<S, F, Fut>(fresh: F)
where
    S: crate::ScreeningRegister,
    F: Fn() -> Fut,
    Fut: Future<Output = S>,
{
    screening_entries_round_trip_in_day_order(fresh().await).await;
    screening_entries_are_recorded_once(fresh().await).await;
    scoped_consents_round_trip_and_their_scope_is_part_of_the_key(fresh().await).await;
    a_scope_on_an_entry_that_is_not_a_consent_is_refused(fresh().await).await;
}

/// A consent's scope (data source and purpose) comes back as recorded; the same form's consents to two sources the
/// same day, or to one source for two purposes, are separate entries; the same scoped entry again is skipped.
pub async fn scoped_consents_round_trip_and_their_scope_is_part_of_the_key<S: crate::ScreeningRegister>(store: S) {
    use crate::ScreeningKind as K;
    use privacy::consent::{DataSource as D, Purpose as P};
    let general = screening("H1", K::Consent, "2026-01-10", "branch-01");
    let bureau = scoped(K::Consent, "2026-01-10", D::BureauReports, P::CreditAssessment);
    let claims = scoped(K::Consent, "2026-01-10", D::InsuranceClaims, P::CreditAssessment);
    let models = scoped(K::Consent, "2026-01-10", D::BureauReports, P::ModelDevelopment);
    let withdrawn = scoped(K::ConsentWithdrawn, "2026-04-01", D::BureauReports, P::CreditAssessment);
    let all = [withdrawn.clone(), models.clone(), claims.clone(), bureau.clone(), general.clone()];
    assert_eq!(store.record_screening(&all).await.expect("record"), 5);
    assert_eq!(store.record_screening(&all).await.expect("again"), 0, "each scoped entry is recorded once");
    let read = store.screening_of("H1").await.expect("read");
    assert_eq!(read.len(), 5);
    for entry in &all {
        assert!(read.contains(entry), "{entry:?} comes back as recorded");
    }
    assert_eq!(read.last(), Some(&withdrawn), "oldest effective day first");
    assert_eq!(read.iter().filter(|e| e.scope.is_none()).count(), 1, "the general consent stays unscoped");
}

/// A list hit or fraud case carries no scope: the whole call is refused and nothing of it is recorded.
pub async fn a_scope_on_an_entry_that_is_not_a_consent_is_refused<S: crate::ScreeningRegister>(store: S) {
    use crate::ScreeningKind as K;
    use privacy::consent::{DataSource as D, Purpose as P};
    let fine = screening("H1", K::Consent, "2026-01-10", "branch-01");
    let listed = scoped(K::Blacklisted, "2026-01-10", D::Transactions, P::CreditAssessment);
    assert!(store.record_screening(&[fine, listed]).await.is_err(), "a scoped list hit is refused");
    assert!(store.screening_of("H1").await.expect("read").is_empty(), "nothing of the call is recorded");
}

/// Entries come back per household, oldest effective day first, exactly as recorded.
pub async fn screening_entries_round_trip_in_day_order<S: crate::ScreeningRegister>(store: S) {
    use crate::ScreeningKind as K;
    let late = screening("H1", K::ConsentWithdrawn, "2026-05-01", "branch-01");
    let early = screening("H1", K::Consent, "2026-01-10", "branch-01");
    let other = screening("H2", K::Blacklisted, "2026-02-01", "pboc-dishonest-list");
    let new = store.record_screening(&[late.clone(), early.clone(), other.clone()]).await.expect("record");
    assert_eq!(new, 3);
    assert_eq!(store.screening_of("H1").await.expect("read"), vec![early, late]);
    assert_eq!(store.screening_of("H2").await.expect("read"), vec![other]);
    assert!(store.screening_of("H3").await.expect("read").is_empty());
}

/// The same entry again (household, kind, day and source) is not recorded twice; another source is another entry.
pub async fn screening_entries_are_recorded_once<S: crate::ScreeningRegister>(store: S) {
    use crate::ScreeningKind as K;
    let entry = screening("H1", K::FraudCase, "2026-03-01", "fraud-team");
    assert_eq!(store.record_screening(std::slice::from_ref(&entry)).await.expect("first"), 1);
    assert_eq!(store.record_screening(std::slice::from_ref(&entry)).await.expect("again"), 0);
    let second = crate::ScreeningEntry { source: "branch-02".to_owned(), ..entry.clone() };
    assert_eq!(store.record_screening(&[entry, second]).await.expect("mixed"), 1);
    assert_eq!(store.screening_of("H1").await.expect("read").len(), 2);
}

/// A decision about subject `A00001-0001` under `request_id`, whose request hash is `request_hash` 64 times.
pub fn decision_record(decision_id: &str, request_id: &str, request_hash: char, outcome: Outcome) -> DecisionRecord {
    DecisionRecord {
        decision_id: did(decision_id),
        request_id: request_id.to_string(),
        request_sha256: request_hash.to_string().repeat(64),
        subject: "A00001-0001".to_string(),
        outcome,
        policy_version: "rural-default@2026-12-01".to_string(),
        model_id: Some("a".repeat(64)),
        decided_at: ts(&format!("2026-12-01T08:00:0{}Z", decision_id.len() % 10)),
        record_json: RecordJson::parse(format!(r#"{{"outcome":"{}","reasons":[]}}"#, outcome.code())).expect("JSON"),
    }
}

/// Every decision of a subject, in one page.
const ALL: Page = Page { after: None, limit: 1_000 };

/// Runs every decision-log check, each on a fresh store from `fresh`.
pub async fn check_decisions<S, F, Fut>(fresh: F)
where
    S: DecisionLog,
    F: Fn() -> Fut,
    Fut: Future<Output = S>,
{
    a_request_is_decided_once(fresh().await).await;
    malformed_decisions_are_refused(fresh().await).await;
    decisions_page_without_gaps_or_repeats(fresh().await).await;
    only_declines_and_referrals_can_be_reviewed(fresh().await).await;
    review_requests_are_idempotent_by_request_id(fresh().await).await;
    a_full_size_record_reads_back_byte_identical(fresh().await).await;
}

/// The same request again returns the stored decision and writes nothing; its id for another request is refused.
pub async fn a_request_is_decided_once<S: DecisionLog>(store: S) {
    let first = decision_record("D1", "req-1", 'a', Outcome::Approve);
    assert_eq!(store.record_decision(&first).await.expect("recorded"), Recorded::New);
    assert_eq!(store.decision("D1").await.expect("read"), Some(first.clone()));
    // The same request again, even with another decision computed for it: the stored one comes back.
    let again = DecisionRecord { decision_id: did("D2"), outcome: Outcome::Decline, ..first.clone() };
    assert_eq!(store.record_decision(&again).await.expect("idempotent"), Recorded::Existing(first.clone()));
    assert!(store.decision("D2").await.expect("read").is_none(), "no second decision");
    // The same id for a different request: refused.
    let other = decision_record("D3", "req-1", 'b', Outcome::Approve);
    let reused = store.record_decision(&other).await;
    assert!(matches!(&reused, Err(StoreError::RequestReused { request_id }) if request_id == "req-1"), "{reused:?}");
    assert!(store.decision("D3").await.expect("read").is_none(), "the refused decision is not stored");
    assert_eq!(store.decision_for_request("req-1").await.expect("read"), Some(first.clone()));
    assert_eq!(store.decision_for_request("req-404").await.expect("read"), None);
    assert_eq!(store.decisions_of("A00001-0001", &ALL).await.expect("read"), vec![first]);
    assert!(store.decisions_of("A00001-0404", &ALL).await.expect("read").is_empty());
}

/// A decision record as the decider writes it: one of the tiny simulated county's (synthetic households), decided by
/// the shipped scorecard and the default policy, with its trace, features and versions, about 12 KB.
pub const COUNTY_RECORD_JSON: &str = include_str!("conformance/county-decision.json");

/// A full-size record (stored packed) reads back as the very text recorded, by each way of reading a decision,
/// and so does a record of text deflate's preset dictionary has never seen.
pub async fn a_full_size_record_reads_back_byte_identical<S: DecisionLog>(store: S) {
    let full = DecisionRecord {
        record_json: RecordJson::parse(COUNTY_RECORD_JSON.to_string()).expect("JSON"),
        ..decision_record("D5", "req-5", 'd', Outcome::Decline)
    };
    let unusual = DecisionRecord {
        record_json: RecordJson::parse(format!(r#"{{"note":"{}","数":[1e300,-0.0]}}"#, "\\u00e9\u{1F33E}".repeat(500)))
            .expect("JSON"),
        ..decision_record("D6", "req-6", 'e', Outcome::Approve)
    };
    for record in [&full, &unusual] {
        assert_eq!(store.record_decision(record).await.expect("recorded"), Recorded::New);
        let by_id = store.decision(record.decision_id.as_str()).await.expect("read").expect("stored");
        assert_eq!(by_id.record_json.as_str().as_bytes(), record.record_json.as_str().as_bytes(), "byte-identical");
        assert_eq!(&by_id, record);
        assert_eq!(store.decision_for_request(&record.request_id).await.expect("read").as_ref(), Some(record));
        assert_eq!(store.record_decision(record).await.expect("again"), Recorded::Existing(record.clone()));
    }
    assert_eq!(store.decisions_of("A00001-0001", &ALL).await.expect("read"), vec![full, unusual]);
}

/// A malformed record is refused naming the field, and nothing is stored. (A record body that is not JSON cannot
/// be built: `workflow::RecordJson` is well-formed by construction.)
pub async fn malformed_decisions_are_refused<S: DecisionLog>(store: S) {
    let bad = DecisionRecord { subject: String::new(), ..decision_record("D4", "req-4", 'c', Outcome::Refer) };
    let refused = store.record_decision(&bad).await;
    assert!(matches!(refused, Err(StoreError::Invalid(Invalid::Field { field: "subject", .. }))), "{refused:?}");
    assert!(store.decision("D4").await.expect("read").is_none());
    assert!(store.decision_for_request("req-4").await.expect("read").is_none());
}

/// A subject's decisions come oldest first (then by id), and pages of any size give each exactly once.
pub async fn decisions_page_without_gaps_or_repeats<S: DecisionLog>(store: S) {
    for n in (0..30).rev() {
        let record = decision_record(&format!("D{n}"), &format!("req-{n}"), 'a', Outcome::Refer);
        assert_eq!(store.record_decision(&record).await.expect("recorded"), Recorded::New);
    }
    let all = store.decisions_of("A00001-0001", &ALL).await.expect("read");
    assert_eq!(all.len(), 30);
    let order: Vec<(String, &str)> = all.iter().map(|d| (d.decided_at.to_string(), d.decision_id.as_str())).collect();
    let mut sorted = order.clone();
    sorted.sort_unstable();
    assert_eq!(order, sorted, "oldest first, then by id");
    for limit in [1, 7, 30, 31] {
        let mut paged = Vec::new();
        let mut page = Page { after: None, limit };
        loop {
            let rows = store.decisions_of("A00001-0001", &page).await.expect("page");
            assert!(rows.len() <= limit as usize, "a page holds at most its limit");
            let Some(last) = rows.last() else { break };
            page.after = Some(Cursor::after(last));
            paged.extend(rows);
        }
        assert_eq!(paged, all, "pages of {limit}");
    }
}

/// Only a declined or referred decision can be reviewed; an unknown one is reported; refusals store nothing.
pub async fn only_declines_and_referrals_can_be_reviewed<S: DecisionLog>(store: S) {
    store.record_decision(&decision_record("D1", "req-1", 'a', Outcome::Approve)).await.expect("approve");
    store.record_decision(&decision_record("D22", "req-2", 'b', Outcome::Decline)).await.expect("decline");
    store.record_decision(&decision_record("D333", "req-3", 'c', Outcome::Refer)).await.expect("refer");
    let review =
        store.request_review("D22", "rr-1", &ts("2026-12-02T09:00:00Z"), "branch", "my harvest was insured").await;
    let review = review.expect("a decline can be reviewed");
    assert_eq!(review.seq, 1);
    let referred = store.request_review("D333", "rr-9", &ts("2026-12-02T09:00:00Z"), "phone", "").await;
    assert_eq!(referred.expect("a referral can be reviewed").seq, 1, "sequence numbers are per decision");
    let approved = store.request_review("D1", "rr-3", &ts("2026-12-02T09:00:00Z"), "branch", "").await;
    assert!(matches!(approved, Err(StoreError::Invalid(Invalid::NotReviewable { .. }))), "{approved:?}");
    let unknown = store.request_review("D404", "rr-4", &ts("2026-12-02T09:00:00Z"), "branch", "").await;
    assert!(matches!(unknown, Err(StoreError::DecisionNotFound(_))), "{unknown:?}");
    assert!(store.review_requests("D1").await.expect("read").is_empty(), "the refused request is not stored");
    assert_eq!(store.review_requests("D22").await.expect("read"), vec![review]);
}

/// Further review requests are numbered in order; the same request id again answers the stored request, and
/// the id for a different request is refused.
pub async fn review_requests_are_idempotent_by_request_id<S: DecisionLog>(store: S) {
    store.record_decision(&decision_record("D22", "req-2", 'b', Outcome::Decline)).await.expect("decline");
    let first = store.request_review("D22", "rr-1", &ts("2026-12-02T09:00:00Z"), "branch", "insured").await;
    let first = first.expect("a decline can be reviewed");
    let second = store.request_review("D22", "rr-2", &ts("2026-12-03T09:00:00Z"), "phone", "").await.expect("again");
    assert_eq!(second.seq, 2);
    // The same request again is recorded once; its id for another request is refused.
    let replay = store.request_review("D22", "rr-2", &ts("2026-12-04T09:00:00Z"), "phone", "").await.expect("replay");
    assert_eq!(replay, second);
    let reused = store.request_review("D22", "rr-2", &ts("2026-12-04T09:00:00Z"), "phone", "changed").await;
    assert!(matches!(reused, Err(StoreError::RequestReused { .. })), "{reused:?}");
    assert_eq!(store.review_requests("D22").await.expect("read"), vec![first, second]);
}

/// A version of `rural-microcredit` submitted by `risk.li`, whose id is `id` 64 times.
pub fn policy_version(id: char, label: &str, region: &str, segment: &str, from: &str) -> PolicyVersion {
    PolicyVersion {
        policy_id: id.to_string().repeat(64),
        name: "rural-microcredit".to_string(),
        version: label.to_string(),
        region: region.to_string(),
        segment: segment.to_string(),
        effective_from: from.to_string(),
        submitted_by: "risk.li".to_string(),
        submitted_at: format!("2026-11-0{}T08:00:00Z", label.len() % 9 + 1),
        jdm_json: format!(r#"{{"nodes":[],"edges":[],"label":"{label}"}}"#),
    }
}

/// Approves (as `chief.wang`, not the submitter) and activates the version whose id is `id` 64 times.
pub async fn run_policy<S: PolicyRegister>(store: &S, id: char) {
    let id = id.to_string().repeat(64);
    store
        .move_policy(&id, PolicyStatus::Approved, "chief.wang", "2026-11-10T09:00:00Z", "reviewed")
        .await
        .expect("approve");
    store
        .move_policy(&id, PolicyStatus::Active, "chief.wang", "2026-11-10T09:05:00Z", "go live")
        .await
        .expect("activate");
}

async fn policy_status<S: PolicyRegister>(store: &S, policy_id: &str) -> Option<PolicyStatus> {
    let all = store.policies(None).await.expect("list");
    all.into_iter().find(|p| p.version.policy_id == policy_id).map(|p| p.status)
}

/// Runs every policy-register check, each on a fresh store from `fresh`.
pub async fn check_policies<S, F, Fut>(fresh: F)
where
    S: PolicyRegister,
    F: Fn() -> Fut,
    Fut: Future<Output = S>,
{
    a_policy_runs_only_after_a_second_person_approves_it(fresh().await).await;
    an_active_version_leaves_only_for_a_successor_and_retired_is_final(fresh().await).await;
    a_taken_version_label_is_refused(fresh().await).await;
    dispatch_picks_the_most_specific_active_version_in_effect(fresh().await).await;
}

/// Submitting is idempotent; a version is activated only once approved, and never approved by its submitter.
pub async fn a_policy_runs_only_after_a_second_person_approves_it<S: PolicyRegister>(store: S) {
    let v = policy_version('a', "2026.1", "", "", "2026-01-01");
    let id = v.policy_id.clone();
    let submitted = store.submit_policy(&v).await.expect("submit");
    assert_eq!((submitted.status, &submitted.version), (PolicyStatus::Submitted, &v), "the version comes back whole");
    assert_eq!(store.submit_policy(&v).await.expect("same again").status, PolicyStatus::Submitted);
    assert_eq!(store.policies(None).await.expect("list").len(), 1, "submitting again stores nothing");
    let early = store.move_policy(&id, PolicyStatus::Active, "chief.wang", "2026-11-10T09:00:00Z", "").await;
    assert!(matches!(early, Err(StoreError::PolicyMove { .. })), "{early:?}");
    let self_approved = store.move_policy(&id, PolicyStatus::Approved, "risk.li", "2026-11-10T09:00:00Z", "").await;
    assert!(matches!(self_approved, Err(StoreError::PolicyMove { .. })), "{self_approved:?}");
    assert_eq!(policy_status(&store, &id).await, Some(PolicyStatus::Submitted), "refused moves write nothing");
    run_policy(&store, 'a').await;
    assert_eq!(policy_status(&store, &id).await, Some(PolicyStatus::Active));
    let found = store.dispatch_policy("rural-microcredit", "990101", "planting", "2026-07-01").await.expect("dispatch");
    assert_eq!(found.map(|p| p.version), Some(v), "the active version decides");
}

/// The last active version of its region and segment is neither retired nor shadowed until a successor runs;
/// a retired version never comes back.
pub async fn an_active_version_leaves_only_for_a_successor_and_retired_is_final<S: PolicyRegister>(store: S) {
    let v = policy_version('a', "2026.1", "", "", "2026-01-01");
    let id = v.policy_id.clone();
    store.submit_policy(&v).await.expect("submit");
    run_policy(&store, 'a').await;
    let alone = store.move_policy(&id, PolicyStatus::Retired, "chief.wang", "2026-12-01T00:00:00Z", "").await;
    assert!(
        matches!(
            alone,
            Err(StoreError::PolicyMove {
                refusal: policy::lifecycle::IllegalPolicyMove { to: PolicyStatus::Retired, .. },
                ..
            })
        ),
        "{alone:?}"
    );
    let shadowed = store.move_policy(&id, PolicyStatus::Shadow, "chief.wang", "2026-12-01T00:00:00Z", "").await;
    assert!(matches!(shadowed, Err(StoreError::PolicyMove { .. })), "{shadowed:?}");
    assert_eq!(policy_status(&store, &id).await, Some(PolicyStatus::Active));
    let successor = policy_version('c', "2026.2", "", "", "2026-06-01");
    store.submit_policy(&successor).await.expect("submit the successor");
    run_policy(&store, 'c').await;
    let retired = store
        .move_policy(&id, PolicyStatus::Retired, "chief.wang", "2026-12-01T00:00:00Z", "replaced")
        .await
        .expect("retire");
    assert_eq!(retired.status, PolicyStatus::Retired);
    let back = store.move_policy(&id, PolicyStatus::Active, "chief.wang", "2026-12-02T00:00:00Z", "").await;
    assert!(matches!(back, Err(StoreError::PolicyMove { .. })), "retired is final: {back:?}");
    assert_eq!(policy_status(&store, &id).await, Some(PolicyStatus::Retired));
}

/// Another document under a version label already taken is refused, naming the field.
pub async fn a_taken_version_label_is_refused<S: PolicyRegister>(store: S) {
    let v = policy_version('a', "2026.1", "", "", "2026-01-01");
    store.submit_policy(&v).await.expect("submit");
    let clash = PolicyVersion { policy_id: "b".repeat(64), ..v.clone() };
    let refused = store.submit_policy(&clash).await;
    assert!(matches!(refused, Err(StoreError::InvalidPolicy { field: "version", .. })), "{refused:?}");
    let stored: Vec<String> =
        store.policies(None).await.expect("list").into_iter().map(|p| p.version.policy_id).collect();
    assert_eq!(stored, [v.policy_id], "the clash is not stored");
}

/// Dispatch picks, among active versions in effect on the date, the most specific region and segment, then the
/// latest effective date; shadow versions never decide.
pub async fn dispatch_picks_the_most_specific_active_version_in_effect<S: PolicyRegister>(store: S) {
    for v in [
        policy_version('a', "base", "", "", "2026-01-01"),
        policy_version('b', "base-2027", "", "", "2027-01-01"),
        policy_version('c', "county-livestock", "990102", "livestock", "2026-06-01"),
        policy_version('d', "shadow-only", "99", "", "2026-01-01"),
    ] {
        store.submit_policy(&v).await.expect("submit");
    }
    for id in ['a', 'b', 'c'] {
        run_policy(&store, id).await;
    }
    let d = "d".repeat(64);
    store.move_policy(&d, PolicyStatus::Approved, "chief.wang", "2026-11-10T09:00:00Z", "").await.expect("approve");
    store.move_policy(&d, PolicyStatus::Shadow, "chief.wang", "2026-11-10T09:00:00Z", "").await.expect("shadow");
    let store = &store;
    let pick = |region: &'static str, segment: &'static str, on: &'static str| async move {
        store
            .dispatch_policy("rural-microcredit", region, segment, on)
            .await
            .expect("dispatch")
            .map(|p| p.version.version)
    };
    assert_eq!(pick("990101", "planting", "2026-07-01").await.as_deref(), Some("base"));
    assert_eq!(pick("990102", "livestock", "2026-07-01").await.as_deref(), Some("county-livestock"));
    assert_eq!(pick("990102", "livestock", "2026-05-31").await.as_deref(), Some("base"), "not yet in effect");
    assert_eq!(pick("990102", "planting", "2026-07-01").await.as_deref(), Some("base"), "another segment");
    assert_eq!(pick("990101", "planting", "2027-02-01").await.as_deref(), Some("base-2027"));
    assert_eq!(pick("990101", "planting", "2025-12-31").await, None, "nothing in effect yet");
    let other = store.dispatch_policy("another-policy", "990101", "planting", "2026-07-01").await.expect("dispatch");
    assert_eq!(other, None, "dispatch is by name");
}

/// A decision about subject `A00001-<id>` under request `req-<id>`, decided at `decided_at`.
pub fn decision(id: &str, outcome: Outcome, decided_at: &str) -> DecisionRecord {
    DecisionRecord {
        decision_id: did(id),
        request_id: format!("req-{id}"),
        request_sha256: "a".repeat(64),
        subject: format!("A00001-{id}"),
        outcome,
        policy_version: "rural-default@2026-12-01".to_string(),
        model_id: None,
        decided_at: ts(decided_at),
        record_json: RecordJson::parse(format!(r#"{{"outcome":"{}"}}"#, outcome.code())).expect("JSON"),
    }
}

/// An officer of branch 990101 who may approve up to `authority_fen` alone.
pub fn officer(id: &str, authority_fen: i64) -> Officer {
    Officer {
        officer_id: oid(id),
        name: format!("Officer {id}"),
        branch: "990101".to_string(),
        authority: Money::from_fen(authority_fen),
        registered_at: ts("2026-12-01T00:00:00Z"),
    }
}

/// The disbursement of `amount_fen` for a decision as loan `L-<decision_id>`, whose request hash is the amount.
pub fn disbursement(decision_id: &str, request_id: &str, amount_fen: i64) -> Disbursement {
    Disbursement {
        decision_id: did(decision_id),
        loan_id: format!("L-{decision_id}"),
        request_id: request_id.to_string(),
        amount: Money::from_fen(amount_fen),
        disbursed_at: ts("2026-12-03T10:00:00Z"),
        request_sha256: format!("{amount_fen:064}"),
    }
}

/// The loan a disbursement books: approved, then disbursed, each event without ledger lines (the store writes what
/// it is given; what an event posts is the lending core's).
pub fn booking(d: &Disbursement) -> Booking {
    let loan = NewLoan { id: LoanId::parse(&d.loan_id).expect("valid loan id"), ..sample_loan("L1") };
    let day = loan.terms.start();
    let approved =
        NewEvent { dated: DatedEvent { date: day, event: LoanEvent::Approved { by: "li".into() } }, key: None };
    let paid = DatedEvent { date: day, event: LoanEvent::Disbursed { amount: d.amount } };
    Booking {
        loan,
        events: vec![(approved, Vec::new()), (NewEvent { dated: paid, key: Some(d.request_id.clone()) }, Vec::new())],
        changes: Vec::new(),
    }
}

/// Registers officers li (authority 50,000 yuan), zhao (30,000) and wang (200,000) and records `decisions`, one
/// second apart in the order given.
pub async fn with_officers_and_decisions<S: ReviewWorkflow + DecisionLog>(store: &S, decisions: &[(&str, Outcome)]) {
    for o in [officer("li", 5_000_000), officer("zhao", 3_000_000), officer("wang", 20_000_000)] {
        store.register_officer(&o).await.expect("officer");
    }
    for (n, (id, outcome)) in decisions.iter().enumerate() {
        store.record_decision(&decision(id, *outcome, &format!("2026-12-01T08:00:{n:02}Z"))).await.expect("decision");
    }
}

/// Records `d` with its [`booking`].
pub async fn disburse<S: ReviewWorkflow>(store: &S, d: &Disbursement) -> Result<Disbursed, StoreError> {
    store.record_disbursement(d, &booking(d)).await
}

/// When the review actions are taken.
fn at() -> Timestamp {
    ts("2026-12-02T09:00:00Z")
}

fn approve(amount_fen: i64) -> ReviewAction {
    ReviewAction::Approve { amount: fen(amount_fen) }
}

/// A timestamp.
pub fn ts(text: &str) -> Timestamp {
    Timestamp::parse(text).expect("valid timestamp")
}

/// A decision id.
pub fn did(id: &str) -> DecisionId {
    DecisionId::parse(id).expect("valid decision id")
}

/// An officer id.
pub fn oid(id: &str) -> OfficerId {
    OfficerId::parse(id).expect("valid officer id")
}

fn fen(fen: i64) -> Money {
    Money::from_fen(fen)
}

fn refusal(result: Result<Reviewed, StoreError>) -> ReviewRefusal {
    match result {
        Err(StoreError::Review { refusal, .. }) => refusal,
        other => panic!("expected a review refusal, got {other:?}"),
    }
}

fn disbursement_refusal(result: Result<Disbursed, StoreError>) -> DisbursementRefusal {
    match result {
        Err(StoreError::Disbursement { refusal, .. }) => refusal,
        other => panic!("expected a disbursement refusal, got {other:?}"),
    }
}

/// Runs every review-workflow check, each on a fresh store from `fresh`. The workflow reviews and disburses
/// the decision log's decisions and books loans, so the store provides all three registers.
pub async fn check_workflow<S, F, Fut>(fresh: F)
where
    S: ReviewWorkflow + DecisionLog + LoanStore + crate::AuditLog,
    F: Fn() -> Fut,
    Fut: Future<Output = S>,
{
    officers_are_registered_once(fresh().await).await;
    an_approval_within_the_officers_authority_is_final_at_once(fresh().await).await;
    an_approval_above_authority_needs_a_second_officer_with_enough_authority(fresh().await).await;
    a_rejected_check_declines_and_declined_and_approved_are_final(fresh().await).await;
    only_referred_decisions_are_reviewed_and_malformed_actions_are_refused(fresh().await).await;
    the_queue_lists_open_referrals_oldest_first(fresh().await).await;
    a_disbursement_is_recorded_once_by_request_id(fresh().await).await;
    only_approved_decisions_are_disbursed_and_reviewed_ones_up_to_the_approved_amount(fresh().await).await;
    a_loan_id_is_disbursed_for_one_decision_only(fresh().await).await;
    a_refused_booking_leaves_neither_loan_nor_disbursement(fresh().await).await;
    claims::check_claims(&fresh).await;
}

/// The same officer again is a no-op; the same id with other data, or a negative authority, is refused.
pub async fn officers_are_registered_once<S: ReviewWorkflow + DecisionLog>(store: S) {
    with_officers_and_decisions(&store, &[]).await;
    store.register_officer(&officer("li", 5_000_000)).await.expect("the same officer again is a no-op");
    assert_eq!(store.officer("li").await.expect("read"), Some(officer("li", 5_000_000)));
    assert!(store.officer("nobody").await.expect("read").is_none());
    let raised = store.register_officer(&officer("li", 9_000_000)).await;
    assert!(matches!(raised, Err(StoreError::OfficerClash(ref id)) if id == "li"), "{raised:?}");
    assert_eq!(store.officer("li").await.expect("read"), Some(officer("li", 5_000_000)), "unchanged");
    let negative = store.register_officer(&officer("sun", -1)).await;
    assert!(
        matches!(negative, Err(StoreError::Invalid(Invalid::Field { field: "authority_fen", .. }))),
        "{negative:?}"
    );
    assert!(store.officer("sun").await.expect("read").is_none(), "the refused officer is not stored");
}

/// An approval within the officer's authority approves at once and leaves the queue.
pub async fn an_approval_within_the_officers_authority_is_final_at_once<S: ReviewWorkflow + DecisionLog>(store: S) {
    with_officers_and_decisions(&store, &[("D1", Outcome::Refer)]).await;
    assert_eq!(store.review_state("D1").await.expect("state"), ReviewState::Pending);
    let done = store.review("D1", "li", approve(5_000_000), "harvest insured", &at()).await.expect("approve");
    let approved = ReviewState::Approved { amount: fen(5_000_000), by: vec![oid("li")] };
    assert_eq!((done.step.seq, &done.state), (1, &approved));
    assert_eq!(store.review_state("D1").await.expect("state"), approved);
    assert_eq!(store.review_actions("D1").await.expect("actions"), vec![done.step]);
    assert!(store.review_queue(10).await.expect("queue").is_empty());
}

/// Above the maker's authority an approval awaits a check by another officer whose authority covers it; the
/// maker, a weaker officer and a second approval are refused and write nothing.
pub async fn an_approval_above_authority_needs_a_second_officer_with_enough_authority<
    S: ReviewWorkflow + DecisionLog,
>(
    store: S,
) {
    with_officers_and_decisions(&store, &[("D1", Outcome::Refer)]).await;
    let made = store.review("D1", "li", approve(8_000_000), "two greenhouses", &at()).await.expect("approve");
    let awaiting = ReviewState::AwaitingCheck { maker: oid("li"), amount: fen(8_000_000) };
    assert_eq!(made.state, awaiting);
    assert_eq!(store.review_queue(10).await.expect("queue")[0].state, awaiting);

    let own = refusal(store.review("D1", "li", ReviewAction::Confirm, "looks right", &at()).await);
    assert_eq!(own, ReviewRefusal::OwnApproval { officer: oid("li") });
    let weak = refusal(store.review("D1", "zhao", ReviewAction::Confirm, "looks right", &at()).await);
    assert!(matches!(weak, ReviewRefusal::CheckerAuthority { amount, .. } if amount == fen(8_000_000)), "{weak:?}");
    let again = refusal(store.review("D1", "wang", approve(1_000), "smaller", &at()).await);
    assert_eq!(again, ReviewRefusal::AwaitingCheck);
    assert_eq!(store.review_actions("D1").await.expect("actions").len(), 1, "refusals write nothing");
    assert_eq!(store.review_state("D1").await.expect("state"), awaiting);

    let checked = store.review("D1", "wang", ReviewAction::Confirm, "collateral verified", &at()).await.expect("ok");
    let approved = ReviewState::Approved { amount: fen(8_000_000), by: vec![oid("li"), oid("wang")] };
    assert_eq!((checked.step.seq, &checked.state), (2, &approved));
    assert_eq!(store.review_state("D1").await.expect("state"), approved);
}

/// A rejected check declines; declined and approved are final and accept no further action.
pub async fn a_rejected_check_declines_and_declined_and_approved_are_final<S: ReviewWorkflow + DecisionLog>(store: S) {
    with_officers_and_decisions(&store, &[("D1", Outcome::Refer), ("D2", Outcome::Refer), ("D3", Outcome::Refer)])
        .await;
    store.review("D1", "li", approve(8_000_000), "two greenhouses", &at()).await.expect("approve");
    let rejected = store.review("D1", "wang", ReviewAction::Reject, "debt too high", &at()).await.expect("reject");
    assert_eq!(rejected.state, ReviewState::Declined { by: vec![oid("li"), oid("wang")] });
    let declined = store.review("D2", "zhao", ReviewAction::Decline, "no income proof", &at()).await.expect("decline");
    assert_eq!(declined.state, ReviewState::Declined { by: vec![oid("zhao")] });
    for (id, action) in
        [("D1", ReviewAction::Confirm), ("D1", approve(1)), ("D2", approve(1)), ("D2", ReviewAction::Reject)]
    {
        assert_eq!(refusal(store.review(id, "wang", action, "second thoughts", &at()).await), ReviewRefusal::Final);
    }
    // Approved is final too.
    store.review("D3", "wang", approve(100), "small", &at()).await.expect("approve");
    assert_eq!(refusal(store.review("D3", "li", ReviewAction::Decline, "no", &at()).await), ReviewRefusal::Final);
    assert_eq!(store.review_actions("D3").await.expect("actions").len(), 1);
    assert_eq!(store.review_actions("D1").await.expect("actions").len(), 2, "refusals write nothing");
    assert_eq!(store.review_actions("D2").await.expect("actions").len(), 1, "refusals write nothing");
}

/// Decisions that were not referred, unknown decisions and officers, a non-positive amount, an empty reason and a
/// confirmation with nothing to check are refused, and nothing is written.
pub async fn only_referred_decisions_are_reviewed_and_malformed_actions_are_refused<S: ReviewWorkflow + DecisionLog>(
    store: S,
) {
    with_officers_and_decisions(&store, &[("D1", Outcome::Approve), ("D2", Outcome::Decline), ("D3", Outcome::Refer)])
        .await;
    for id in ["D1", "D2"] {
        assert_eq!(store.review_state(id).await.expect("state"), ReviewState::NotReferred);
        let refused = refusal(store.review(id, "wang", ReviewAction::Decline, "policy exception", &at()).await);
        assert_eq!(refused, ReviewRefusal::NotReferred);
    }
    let zero = refusal(store.review("D3", "li", approve(0), "nothing", &at()).await);
    assert_eq!(zero, ReviewRefusal::AmountNotPositive { amount: fen(0) });
    assert_eq!(refusal(store.review("D3", "li", ReviewAction::Decline, "", &at()).await), ReviewRefusal::EmptyReason);
    assert_eq!(
        refusal(store.review("D3", "wang", ReviewAction::Confirm, "nothing to confirm", &at()).await),
        ReviewRefusal::NothingToCheck
    );
    let unknown = store.review("D404", "li", ReviewAction::Decline, "who?", &at()).await;
    assert!(matches!(unknown, Err(StoreError::DecisionNotFound(_))), "{unknown:?}");
    let stranger = store.review("D3", "nobody", ReviewAction::Decline, "who?", &at()).await;
    assert!(matches!(stranger, Err(StoreError::OfficerNotFound(_))), "{stranger:?}");
    assert!(matches!(store.review_state("D404").await, Err(StoreError::DecisionNotFound(_))));
    for id in ["D1", "D2", "D3"] {
        assert!(store.review_actions(id).await.expect("actions").is_empty(), "{id}: nothing written");
    }
    assert_eq!(store.review_state("D3").await.expect("state"), ReviewState::Pending);
}

/// The queue lists referrals pending or awaiting a check, oldest decision first, at most `limit` of them.
pub async fn the_queue_lists_open_referrals_oldest_first<S: ReviewWorkflow + DecisionLog>(store: S) {
    let decisions = [
        ("D1", Outcome::Refer),
        ("D2", Outcome::Approve),
        ("D3", Outcome::Refer),
        ("D4", Outcome::Refer),
        ("D5", Outcome::Refer),
        ("D6", Outcome::Decline),
    ];
    with_officers_and_decisions(&store, &decisions).await;
    store.review("D3", "li", approve(100), "small", &at()).await.expect("approved at once");
    store.review("D4", "li", approve(9_000_000), "large", &at()).await.expect("awaits a check");
    let queue = store.review_queue(10).await.expect("queue");
    let listed: Vec<(&str, &ReviewState)> = queue.iter().map(|q| (q.decision_id.as_str(), &q.state)).collect();
    let awaiting = ReviewState::AwaitingCheck { maker: oid("li"), amount: fen(9_000_000) };
    assert_eq!(listed, [("D1", &ReviewState::Pending), ("D4", &awaiting), ("D5", &ReviewState::Pending)]);
    let first_item = (queue[0].subject.as_str(), queue[0].decided_at.to_string());
    assert_eq!(first_item, ("A00001-D1", "2026-12-01T08:00:00Z".to_string()));
    let first: Vec<String> =
        store.review_queue(2).await.expect("queue").into_iter().map(|q| q.decision_id.to_string()).collect();
    assert_eq!(first, ["D1", "D4"]);
}

/// A disbursement books its loan; the same request again returns it and writes nothing; the request id with
/// another request, or a second disbursement of the decision, is refused.
pub async fn a_disbursement_is_recorded_once_by_request_id<S: ReviewWorkflow + DecisionLog + LoanStore>(store: S) {
    with_officers_and_decisions(&store, &[("D1", Outcome::Approve)]).await;
    let paid = disbursement("D1", "pay-1", 4_000_000);
    assert_eq!(disburse(&store, &paid).await.expect("disburse"), Disbursed::New);
    let loan_id = LoanId::parse("L-D1").expect("loan id");
    assert_eq!(store.loan(&loan_id).await.expect("read"), Some(booking(&paid).loan), "the loan is booked with it");
    assert_eq!(store.events(&loan_id).await.expect("events").len(), 2, "approved, then disbursed");
    assert_eq!(disburse(&store, &paid).await.expect("again"), Disbursed::Existing(paid.clone()));
    assert_eq!(store.events(&loan_id).await.expect("events").len(), 2, "the repeat books nothing");
    let changed = Disbursement { request_sha256: "b".repeat(64), ..paid.clone() };
    let reused = disburse(&store, &changed).await;
    assert!(matches!(reused, Err(StoreError::RequestReused { ref request_id }) if request_id == "pay-1"), "{reused:?}");
    let second = disburse(&store, &disbursement("D1", "pay-2", 4_000_000)).await;
    assert!(matches!(&second, Err(StoreError::Disbursement { decision, .. }) if decision == "D1"), "{second:?}");
    assert_eq!(disbursement_refusal(second), DisbursementRefusal::AlreadyDisbursed { request_id: "pay-1".to_string() });
    assert_eq!(store.disbursement_of("D1").await.expect("read"), Some(paid));
}

/// Only a decision approved automatically or by review is disbursed, a reviewed one at most at the approved
/// amount and never at zero; refusals write neither disbursement nor loan.
pub async fn only_approved_decisions_are_disbursed_and_reviewed_ones_up_to_the_approved_amount<
    S: ReviewWorkflow + DecisionLog + LoanStore,
>(
    store: S,
) {
    let decisions = [
        ("D1", Outcome::Decline),
        ("D2", Outcome::Refer),
        ("D3", Outcome::Refer),
        ("D4", Outcome::Refer),
        ("D5", Outcome::Refer),
    ];
    with_officers_and_decisions(&store, &decisions).await;
    store.review("D3", "li", approve(9_000_000), "large", &at()).await.expect("awaits a check");
    store.review("D4", "li", ReviewAction::Decline, "no income proof", &at()).await.expect("decline");
    store.review("D5", "li", approve(4_000_000), "fits", &at()).await.expect("approve");
    for id in ["D1", "D2", "D3", "D4"] {
        let refused = disbursement_refusal(disburse(&store, &disbursement(id, id, 100)).await);
        assert!(matches!(refused, DisbursementRefusal::NotApproved { .. }), "{id}: {refused:?}");
    }
    let above = disbursement_refusal(disburse(&store, &disbursement("D5", "pay-5", 4_000_001)).await);
    assert_eq!(above, DisbursementRefusal::AboveApproved { amount: fen(4_000_001), approved: fen(4_000_000) });
    let zero = disbursement_refusal(disburse(&store, &disbursement("D5", "pay-5", 0)).await);
    assert_eq!(zero, DisbursementRefusal::AmountNotPositive { amount: fen(0) });
    let unknown = disburse(&store, &disbursement("D404", "pay-404", 100)).await;
    assert!(matches!(unknown, Err(StoreError::DecisionNotFound(_))), "{unknown:?}");
    assert!(store.loans().await.expect("loans").is_empty(), "no refused disbursement booked a loan");
    assert_eq!(disburse(&store, &disbursement("D5", "pay-5", 4_000_000)).await.expect("ok"), Disbursed::New);
    for id in ["D1", "D2", "D3", "D4"] {
        assert!(store.disbursement_of(id).await.expect("read").is_none(), "{id}: nothing written");
    }
}

/// A loan id already disbursed for one decision is refused for another.
pub async fn a_loan_id_is_disbursed_for_one_decision_only<S: ReviewWorkflow + DecisionLog>(store: S) {
    with_officers_and_decisions(&store, &[("D1", Outcome::Approve), ("D2", Outcome::Approve)]).await;
    disburse(&store, &disbursement("D1", "pay-1", 100)).await.expect("disburse");
    let taken = Disbursement { loan_id: "L-D1".to_string(), ..disbursement("D2", "pay-2", 100) };
    let refused = disbursement_refusal(disburse(&store, &taken).await);
    assert_eq!(refused, DisbursementRefusal::LoanTaken { loan_id: "L-D1".to_string() });
    assert!(store.disbursement_of("D2").await.expect("read").is_none(), "nothing written");
}

/// A disbursement whose loan cannot be booked (its id is taken) is refused whole: no disbursement, no event.
pub async fn a_refused_booking_leaves_neither_loan_nor_disbursement<S: ReviewWorkflow + DecisionLog + LoanStore>(
    store: S,
) {
    with_officers_and_decisions(&store, &[("D1", Outcome::Approve)]).await;
    let paid = disbursement("D1", "pay-1", 4_000_000);
    // The loan id is taken already (booked some other way): the whole disbursement is refused.
    let taken = booking(&paid);
    store.create_loan(&taken.loan, &[]).await.expect("booked elsewhere");
    let refused = disburse(&store, &paid).await;
    assert!(matches!(refused, Err(StoreError::DuplicateLoan(_))), "{refused:?}");
    assert_eq!(store.disbursement_of("D1").await.expect("read"), None, "no disbursement without its loan");
    let events = store.events(&taken.loan.id).await.expect("events");
    assert!(events.is_empty(), "the refused booking wrote no event: {events:?}");
}

/// The record table of a `households` source: id and village (both looked up by) and deposits in fen.
pub fn households_table() -> RecordTable {
    let column = |name: &str, ty, indexed| RecordColumn { name: name.to_string(), ty, indexed, personal: false };
    RecordTable {
        source: "households".to_string(),
        columns: vec![
            column("household_id", CellType::Text, true),
            column("village_code", CellType::Text, true),
            column("deposits_fen", CellType::Integer, false),
        ],
    }
}

/// A row of [`households_table`] keyed by its id, whose content hash spells out its content.
pub fn household(id: &str, village: &str, deposits_fen: Option<i64>) -> NewRecord {
    NewRecord {
        key: id.to_string(),
        hash: format!("{id}/{village}/{deposits_fen:?}"),
        cells: vec![
            Cell::Text(id.to_string()),
            Cell::Text(village.to_string()),
            deposits_fen.map_or(Cell::Null, Cell::Int),
        ],
    }
}

/// The SHA-256 of file number `n`, as 64 hex digits.
pub fn file_sha(n: u64) -> String {
    format!("{n:064x}")
}

/// A quarantined row at `line`.
pub fn quarantined(line: u64, reason: &str) -> QuarantineRecord {
    QuarantineRecord {
        line,
        field: "deposits".to_string(),
        value: "-1".to_string(),
        reason: reason.to_string(),
        detail: format!("line {line}: {reason}"),
    }
}

/// The load record of a file `file_sha256` of `source` whose corrections are in force from `as_of`.
pub fn load_info(load_id: i64, source: &str, file_sha256: &str, as_of: &str, counts: LoadCounts) -> LoadInfo {
    LoadInfo {
        load_id,
        source: source.to_string(),
        file_name: format!("{source}.csv"),
        file_sha256: file_sha256.to_string(),
        contract_version: 1,
        format: "csv".to_string(),
        encoding: "UTF-8".to_string(),
        as_of: as_of.to_string(),
        loaded_at: format!("{as_of}T18:00:00+08:00"),
        counts,
    }
}

/// Loads `rows` (each a record, its version and the date it is in force from) and `quarantine` into `table` as one
/// committed load of the file `file_sha256`; returns its record.
pub async fn load_rows<S: RecordStore>(
    store: &S,
    table: &RecordTable,
    file_sha256: &str,
    as_of: &str,
    rows: Vec<(NewRecord, u32, Option<String>)>,
    quarantine: Vec<QuarantineRecord>,
) -> LoadInfo {
    store.ensure_record_table(table).await.expect("record table");
    let mut load = store.begin_load(table).await.expect("begin load");
    let mut counts = LoadCounts::default();
    for (record, version, valid_from) in rows {
        counts.read += 1;
        if version == 1 {
            counts.new += 1
        } else {
            counts.corrected += 1
        }
        load.write(record, version, valid_from).await.expect("write");
    }
    for q in quarantine {
        counts.read += 1;
        counts.quarantined += 1;
        load.quarantine(q);
    }
    let info = load_info(load.load_id(), &table.source, file_sha256, as_of, counts);
    load.commit(&info).await.expect("commit");
    info
}

/// First versions of `records`, as a new file's rows are written.
fn first_versions(records: Vec<NewRecord>) -> Vec<(NewRecord, u32, Option<String>)> {
    records.into_iter().map(|r| (r, 1, None)).collect()
}

/// Reads id and deposits of the households `filter` selects, as `versions` says, ordered by id.
async fn deposits<S: RecordStore>(store: &S, filter: Filter<'_>, versions: Versions<'_>) -> Vec<(String, Option<i64>)> {
    let rows = store
        .scan_records(&households_table(), &["household_id", "deposits_fen"], filter, versions, Some("household_id"))
        .await
        .expect("scan");
    rows.into_iter()
        .map(|cells| match &cells[..] {
            [Cell::Text(id), Cell::Int(fen)] => (id.clone(), Some(*fen)),
            [Cell::Text(id), Cell::Null] => (id.clone(), None),
            other => panic!("unexpected cells {other:?}"),
        })
        .collect()
}

/// Runs every check of the ingested-records register, each on a fresh store from `fresh`.
pub async fn check_records<S, F, Fut>(fresh: F)
where
    S: RecordStore,
    F: Fn() -> Fut,
    Fut: Future<Output = S>,
{
    a_load_commits_whole_or_not_at_all(fresh().await).await;
    a_file_loaded_before_is_recognised(fresh().await).await;
    reads_give_the_versions_in_force_on_a_date(fresh().await).await;
    rows_come_back_in_file_order_or_by_a_column(fresh().await).await;
    rows_stored_after_a_mark_are_what_later_loads_wrote(fresh().await).await;
    quarantined_rows_are_kept_with_their_load(fresh().await).await;
    record_tables_keep_their_columns(fresh().await).await;
}

/// Nothing of a load is visible before its commit; a load dropped, or whose commit is refused, leaves no row,
/// quarantine or load record; a committed one leaves all of them.
pub async fn a_load_commits_whole_or_not_at_all<S: RecordStore>(store: S) {
    let table = households_table();
    store.ensure_record_table(&table).await.expect("record table");
    let all = || deposits(&store, Filter::All, Versions::Current);
    {
        let mut load = store.begin_load(&table).await.expect("begin");
        for n in 0..600 {
            load.write(household(&format!("H{n:04}"), "V1", Some(n)), 1, None).await.expect("write");
        }
        load.quarantine(quarantined(2, "negative"));
        assert!(all().await.is_empty(), "rows of an open load are not visible");
        assert!(store.loads().await.expect("loads").is_empty(), "nor is its load");
        // Dropped without its commit: what a killed process or an error half-way through a file amounts to.
    }
    assert!(all().await.is_empty(), "no row of the abandoned load is visible");
    assert!(store.loads().await.expect("loads").is_empty(), "and no load is recorded");
    assert!(store.record_keys("households").await.expect("keys").is_empty());

    let mut load = store.begin_load(&table).await.expect("the write lock was released");
    let short = NewRecord { cells: vec![Cell::Text("H1".into())], ..household("H1", "V1", Some(1)) };
    assert!(load.write(short, 1, None).await.is_err(), "a row that does not fit the table is refused");
    load.write(household("H1", "V1", Some(1)), 1, None).await.expect("write");
    let counts = LoadCounts { read: 2, new: 1, ..LoadCounts::default() };
    let inconsistent = load_info(load.load_id(), "households", &file_sha(1), "2026-12-01", counts);
    assert!(load.commit(&inconsistent).await.is_err(), "counts that do not add up are refused");
    assert!(all().await.is_empty(), "the refused commit wrote nothing");
    assert!(store.loads().await.expect("loads").is_empty());

    let mut load = store.begin_load(&table).await.expect("begin");
    let wrong_id = load_info(load.load_id() + 1, "households", &file_sha(1), "2026-12-01", LoadCounts::default());
    load.write(household("H1", "V1", Some(1)), 1, None).await.expect("write");
    assert!(load.commit(&wrong_id).await.is_err(), "another load's id is refused");
    assert!(all().await.is_empty(), "the refused commit wrote nothing");

    let rows = (0..600).map(|n| household(&format!("H{n:04}"), "V1", Some(n))).collect();
    let info =
        load_rows(&store, &table, &file_sha(1), "2026-12-01", first_versions(rows), vec![quarantined(2, "negative")])
            .await;
    assert_eq!(all().await.len(), 600, "every row of the committed load, across many statements");
    assert_eq!(store.loads().await.expect("loads"), vec![info.clone()]);
    assert_eq!(store.load_quarantine(info.load_id).await.expect("quarantine"), vec![quarantined(2, "negative")]);
}

/// A committed file is found by source and content hash; a later load is handed the latest version of every key
/// (so an unchanged row is recognised), once; load ids grow and loads list oldest first.
pub async fn a_file_loaded_before_is_recognised<S: RecordStore>(store: S) {
    let table = households_table();
    assert_eq!(store.load_of_file("households", &file_sha(1)).await.expect("read"), None);
    let rows = vec![household("H1", "V1", Some(100)), household("H2", "V1", Some(200))];
    let first = load_rows(&store, &table, &file_sha(1), "2026-12-01", first_versions(rows), Vec::new()).await;
    assert_eq!(
        store.load_of_file("households", &file_sha(1)).await.expect("read"),
        Some(first.clone()),
        "whole record"
    );
    assert_eq!(store.load_of_file("households", &file_sha(2)).await.expect("read"), None, "other bytes");
    assert_eq!(store.load_of_file("villages", &file_sha(1)).await.expect("read"), None, "another source");

    let mut load = store.begin_load(&table).await.expect("begin");
    assert!(load.load_id() > first.load_id, "load ids grow");
    let latest = load.take_latest();
    assert_eq!(latest.len(), 2);
    let h1 = &latest["H1"];
    assert_eq!(
        (h1.version, h1.hash.as_str(), h1.valid_from.as_deref()),
        (1, household("H1", "V1", Some(100)).hash.as_str(), None)
    );
    assert!(load.take_latest().is_empty(), "the latest versions are handed over once");
    drop(load);

    let corrected = vec![(household("H1", "V1", Some(150)), 2, Some("2026-12-15".to_string()))];
    let second = load_rows(&store, &table, &file_sha(2), "2026-12-15", corrected, Vec::new()).await;
    assert!(second.load_id > first.load_id);
    assert_eq!(store.loads().await.expect("loads"), vec![first.clone(), second.clone()], "oldest first");
    assert_eq!(store.load_of_file("households", &file_sha(1)).await.expect("read"), Some(first));
    let mut load = store.begin_load(&table).await.expect("begin");
    let latest = load.take_latest();
    let h1 = &latest["H1"];
    assert_eq!((h1.version, h1.hash.as_str()), (2, household("H1", "V1", Some(150)).hash.as_str()));
    assert_eq!(h1.valid_from.as_deref(), Some("2026-12-15"));
    assert_eq!(latest["H2"].version, 1);
}

/// The current read gives every key's latest version; a read as of a date gives the latest version in force then
/// (first versions always, corrections from their date); filters select by column; each key counts once.
pub async fn reads_give_the_versions_in_force_on_a_date<S: RecordStore>(store: S) {
    let table = households_table();
    let rows = vec![household("H1", "V1", Some(100)), household("H2", "V1", Some(200)), household("H3", "V2", None)];
    load_rows(&store, &table, &file_sha(1), "2026-12-01", first_versions(rows), Vec::new()).await;
    let second = vec![
        (household("H1", "V1", Some(150)), 2, Some("2026-12-15".to_string())),
        (household("H4", "V2", Some(400)), 1, None),
    ];
    load_rows(&store, &table, &file_sha(2), "2026-12-15", second, Vec::new()).await;
    let third = vec![(household("H1", "V1", Some(175)), 3, Some("2027-01-10".to_string()))];
    load_rows(&store, &table, &file_sha(3), "2027-01-10", third, Vec::new()).await;

    let entry = |id: &str, fen: Option<i64>| (id.to_string(), fen);
    let current = deposits(&store, Filter::All, Versions::Current).await;
    assert_eq!(current, [entry("H1", Some(175)), entry("H2", Some(200)), entry("H3", None), entry("H4", Some(400))]);
    assert_eq!(
        deposits(&store, Filter::All, Versions::AsOf("2026-12-14")).await,
        [entry("H1", Some(100)), entry("H2", Some(200)), entry("H3", None), entry("H4", Some(400))],
        "before the correction; a first version is in force whenever it was loaded"
    );
    assert_eq!(
        deposits(&store, Filter::Eq("household_id", "H1"), Versions::AsOf("2026-12-15")).await,
        [entry("H1", Some(150))]
    );
    assert_eq!(
        deposits(&store, Filter::Eq("household_id", "H1"), Versions::AsOf("2027-01-09")).await,
        [entry("H1", Some(150))]
    );
    assert_eq!(deposits(&store, Filter::All, Versions::AsOf("2027-01-10")).await, current, "every correction in force");
    let h2_h4 = ["H2".to_string(), "H4".to_string(), "H9".to_string()];
    assert_eq!(
        deposits(&store, Filter::In("household_id", &h2_h4), Versions::Current).await,
        [entry("H2", Some(200)), entry("H4", Some(400))]
    );
    assert!(deposits(&store, Filter::In("household_id", &[]), Versions::Current).await.is_empty());
    // A list longer than SQLite's parameter limit (32,766), as a whole book's refresh or a county's event gives.
    let long: Vec<String> = (0..40_000).map(|n| format!("H{n}")).collect();
    assert_eq!(
        deposits(&store, Filter::In("household_id", &long), Versions::Current).await,
        [entry("H1", Some(175)), entry("H2", Some(200)), entry("H3", None), entry("H4", Some(400))]
    );
    assert_eq!(
        deposits(&store, Filter::Eq("village_code", "V2"), Versions::AsOf("2026-12-14")).await,
        [entry("H3", None), entry("H4", Some(400))]
    );
    assert!(deposits(&store, Filter::Eq("village_code", "V9"), Versions::Current).await.is_empty());
    let mut keys = store.record_keys("households").await.expect("keys");
    keys.sort();
    assert_eq!(keys, ["H1", "H2", "H3", "H4"], "each key once, whatever its versions");
    let unknown = store.scan_records(&table, &["no_such_column"], Filter::All, Versions::Current, None).await;
    assert!(unknown.is_err(), "a column the table does not have is refused: {unknown:?}");
}

/// `last_row` marks how far a reader has read; `Filter::After` gives what later loads stored (new keys and new
/// versions alike, as `versions` chooses among them), and nothing once nothing more was stored.
pub async fn rows_stored_after_a_mark_are_what_later_loads_wrote<S: RecordStore>(store: S) {
    let table = households_table();
    assert_eq!(store.last_row(&table).await.expect("never loaded"), 0);
    store.ensure_record_table(&table).await.expect("record table");
    assert_eq!(store.last_row(&table).await.expect("empty"), 0);
    let rows = vec![household("H1", "V1", Some(100)), household("H2", "V1", Some(200)), household("H3", "V2", None)];
    load_rows(&store, &table, &file_sha(1), "2026-12-01", first_versions(rows), Vec::new()).await;
    let first = store.last_row(&table).await.expect("mark");
    assert!(first > 0);
    assert!(deposits(&store, Filter::After(first), Versions::Current).await.is_empty(), "nothing after the last row");
    let second = vec![
        (household("H2", "V1", Some(250)), 2, Some("2026-12-15".to_string())),
        (household("H4", "V2", Some(400)), 1, None),
    ];
    load_rows(&store, &table, &file_sha(2), "2026-12-15", second, Vec::new()).await;
    let entry = |id: &str, fen: Option<i64>| (id.to_string(), fen);
    assert_eq!(
        deposits(&store, Filter::After(first), Versions::Current).await,
        [entry("H2", Some(250)), entry("H4", Some(400))],
        "the second load's rows: a correction and a new key"
    );
    assert_eq!(deposits(&store, Filter::After(0), Versions::Current).await.len(), 4, "after 0: every current row");
    let later = store.last_row(&table).await.expect("mark");
    assert!(later > first, "the mark moves on: {first} then {later}");
    assert!(deposits(&store, Filter::After(later), Versions::Current).await.is_empty());
}

/// Without an order, rows come back in the file's order (load after load); ordered by a column, ties keep it.
pub async fn rows_come_back_in_file_order_or_by_a_column<S: RecordStore>(store: S) {
    let table = households_table();
    let rows = vec![household("H3", "V2", Some(5)), household("H1", "V1", Some(5)), household("H2", "V1", Some(1))];
    load_rows(&store, &table, &file_sha(1), "2026-12-01", first_versions(rows), Vec::new()).await;
    load_rows(
        &store,
        &table,
        &file_sha(2),
        "2026-12-02",
        first_versions(vec![household("H0", "V1", Some(5))]),
        Vec::new(),
    )
    .await;
    let ids = |rows: Vec<Vec<Cell>>| -> Vec<String> {
        rows.into_iter()
            .map(|cells| match cells.first() {
                Some(Cell::Text(id)) => id.clone(),
                other => panic!("unexpected cell {other:?}"),
            })
            .collect()
    };
    let scan = |order_by| store.scan_records(&table, &["household_id"], Filter::All, Versions::Current, order_by);
    assert_eq!(ids(scan(None).await.expect("scan")), ["H3", "H1", "H2", "H0"], "file order, then the next load");
    assert_eq!(ids(scan(Some("household_id")).await.expect("scan")), ["H0", "H1", "H2", "H3"]);
    assert_eq!(ids(scan(Some("deposits_fen")).await.expect("scan")), ["H2", "H3", "H1", "H0"], "ties in file order");
    let all = store
        .scan_records(
            &table,
            &["deposits_fen", "village_code"],
            Filter::Eq("household_id", "H3"),
            Versions::Current,
            None,
        )
        .await
        .expect("scan");
    assert_eq!(all, [vec![Cell::Int(5), Cell::Text("V2".into())]], "the columns asked for, in the order asked");
}

/// A load's quarantine comes back with it in line order, every field intact; other loads have their own.
pub async fn quarantined_rows_are_kept_with_their_load<S: RecordStore>(store: S) {
    let table = households_table();
    let set_aside = vec![quarantined(7, "bad_date"), quarantined(3, "negative"), quarantined(12, "unknown_village")];
    let first = load_rows(
        &store,
        &table,
        &file_sha(1),
        "2026-12-01",
        first_versions(vec![household("H1", "V1", Some(1))]),
        set_aside,
    )
    .await;
    assert_eq!(first.counts.quarantined, 3);
    let second =
        load_rows(&store, &table, &file_sha(2), "2026-12-02", Vec::new(), vec![quarantined(2, "bad_id")]).await;
    assert_eq!(
        store.load_quarantine(first.load_id).await.expect("quarantine"),
        [quarantined(3, "negative"), quarantined(7, "bad_date"), quarantined(12, "unknown_village")]
    );
    assert_eq!(store.load_quarantine(second.load_id).await.expect("quarantine"), [quarantined(2, "bad_id")]);
    assert!(store.load_quarantine(second.load_id + 100).await.expect("quarantine").is_empty());
    assert_eq!(store.loads().await.expect("loads")[1].counts, second.counts, "a load of only quarantine is recorded");
    assert_eq!(deposits(&store, Filter::All, Versions::Current).await.len(), 1, "quarantined rows are not records");
}

/// A source's table is created once and then checked against its columns; sources never loaded read as empty.
pub async fn record_tables_keep_their_columns<S: RecordStore>(store: S) {
    let table = households_table();
    assert!(store.record_sources().await.expect("sources").is_empty());
    assert!(store.record_keys("households").await.expect("keys").is_empty(), "a source never loaded has no keys");
    let never = store.scan_records(&table, &["household_id"], Filter::All, Versions::Current, None).await;
    assert!(never.expect("scan").is_empty(), "a source never loaded reads as empty");
    store.ensure_record_table(&table).await.expect("create");
    store.ensure_record_table(&table).await.expect("the same columns again");
    let villages = RecordTable {
        source: "villages".to_string(),
        columns: vec![RecordColumn {
            name: "village_code".to_string(),
            ty: CellType::Text,
            indexed: true,
            personal: false,
        }],
    };
    store.ensure_record_table(&villages).await.expect("create");
    assert_eq!(store.record_sources().await.expect("sources"), ["households", "villages"]);
    assert!(deposits(&store, Filter::All, Versions::Current).await.is_empty(), "created but empty");
    let mut changed = households_table();
    changed.columns[2].ty = CellType::Text;
    let refused = store.ensure_record_table(&changed).await;
    assert!(matches!(&refused, Err(RegisterError::SchemaChanged { name, .. }) if name == "households"), "{refused:?}");
    let mut more = households_table();
    more.columns.push(RecordColumn {
        name: "members".to_string(),
        ty: CellType::Integer,
        indexed: false,
        personal: false,
    });
    assert!(matches!(store.ensure_record_table(&more).await, Err(RegisterError::SchemaChanged { .. })));
    load_rows(
        &store,
        &table,
        &file_sha(1),
        "2026-12-01",
        first_versions(vec![household("H1", "V1", Some(1))]),
        Vec::new(),
    )
    .await;
    assert_eq!(deposits(&store, Filter::All, Versions::Current).await.len(), 1, "the table still has its columns");
}
