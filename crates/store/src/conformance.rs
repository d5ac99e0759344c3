//! The conformance suite: what every [`LoanStore`] and [`ModelRegistry`] backend must do, written once against the
//! traits.
//!
//! A backend's tests call [`check_all`] and [`check_registry`] with a function that makes a fresh, empty store;
//! each check gets its own.
//! Checks panic with a message naming the broken promise, like any test assertion.

use std::future::Future;

use domain::{BorrowerId, CropCalendar, LoanId, Money, RepaymentId, parse_date};
use lending::{
    Bucket, Change, DatedEvent, FiveCategory, LoanEvent, LoanStatus, LoanTerms, Posting, StatusChange, TermsRequest,
};

use crate::{
    Appended, LoanStore, ModelRecord, ModelRegistry, ModelStatus, ModelStatusChange, NewEvent, NewLoan, StoreError,
};

/// A harvest-bullet loan of 50,000 yuan under `id`, for suites that need one.
pub fn sample_loan(id: &str) -> NewLoan {
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
    let Err(err @ StoreError::IllegalModelMove { .. }) = err else {
        panic!("challenger -> candidate must fail: {err:?}")
    };
    assert_eq!(
        err.to_string(),
        format!("model {id}: no model returns to candidate; cannot move from challenger to candidate")
    );
    assert_eq!(move_to(&store, id, ModelStatus::Champion).await.len(), 1, "challenger -> champion");
    let err = store.set_model_status(id, ModelStatus::Candidate, "2026-05-04T00:00:00Z", "committee", "x").await;
    assert!(matches!(err, Err(StoreError::IllegalModelMove { .. })), "champion -> candidate must fail: {err:?}");
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
        let Err(err @ StoreError::IllegalModelMove { .. }) = err else { panic!("retired -> {to} must fail: {err:?}") };
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
