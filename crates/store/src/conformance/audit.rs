//! The audit trail's conformance checks ([`AuditLog`]): entries chain without gaps over many appends and many
//! concurrent appenders, come back exactly as appended, a refused entry writes nothing, and exports select by time.

use std::future::Future;

use ::audit::{Digest, Entry, NewEntry, Verifier};
use domain::Timestamp;

use crate::{AuditLog, DecisionLog, LoanStore, RecordCounts, StoreError};

/// Runs every audit-trail check, each on a fresh store from `fresh`.
pub async fn check_audit<S, F, Fut>(fresh: F)
where
    S: AuditLog + Clone + 'static,
    F: Fn() -> Fut,
    Fut: Future<Output = S>,
{
    the_chain_continues_over_appends(fresh().await).await;
    entries_of_every_shape_chain_and_verify(fresh().await).await;
    concurrent_appenders_never_fork_the_chain(fresh().await).await;
    an_entry_out_of_bounds_writes_nothing(fresh().await).await;
    exports_select_entries_by_time_in_pages(fresh().await).await;
}

/// Records written through the store are counted and each has its creating entry: a store's loans and decisions
/// (its own writes, audited in their transactions) leave nothing for `unaudited_records` to name.
pub async fn check_record_counts<S: AuditLog + LoanStore + DecisionLog>(store: S) {
    assert_eq!(store.record_counts().await.expect("counts"), RecordCounts::default(), "a fresh store holds nothing");
    store.create_loan(&crate::conformance::sample_loan("L-audited-1"), &[]).await.expect("create");
    store.create_loan(&crate::conformance::sample_loan("L-audited-2"), &[]).await.expect("create");
    let decision = crate::conformance::decision("D-audited", workflow::Outcome::Approve, "2026-12-01T09:00:00+08:00");
    store.record_decision(&decision).await.expect("record");
    assert_eq!(
        store.record_counts().await.expect("counts"),
        RecordCounts { loans: 2, decisions: 1 },
        "every loan and decision written is counted"
    );
    let entries = read_all(&store, 100).await.0;
    let created = |action: &str| entries.iter().filter(|e| e.entry.action == action).count();
    assert_eq!((created("loan.create"), created("decision.record")), (2, 1), "each has its creating entry");
    assert!(store.unaudited_records(10).await.expect("anti-join").is_empty(), "nothing written without its entry");
}

/// An instant in China Standard Time.
pub fn at(text: &str) -> Timestamp {
    Timestamp::parse(text).expect("a valid timestamp")
}

/// An entry by `user:n` on `loan:L{n}`, at `when`.
pub fn entry(n: u32, when: &str) -> NewEntry {
    let mut entry = NewEntry::new(at(when), format!("user:u{n}"), "10.0.0.1", "loan.repaid", format!("loan:L{n}"));
    entry.after = Some(Digest::of(&n.to_be_bytes()));
    entry.detail = format!(r#"{{"seq":{n}}}"#);
    entry
}

/// Every stored entry, read in pages of `page`, verified from genesis.
pub async fn read_all<S: AuditLog>(store: &S, page: u32) -> (Vec<Entry>, Result<::audit::Summary, ::audit::Break>) {
    let mut all = Vec::new();
    let mut verifier = Verifier::new();
    let mut broken = None;
    loop {
        let after = all.last().map_or(0, |e: &Entry| e.seq);
        let batch = store.audit_entries(after, page).await.expect("read entries");
        if batch.is_empty() {
            break;
        }
        for entry in &batch {
            if broken.is_none()
                && let Err(found) = verifier.push(entry)
            {
                broken = Some(found);
            }
        }
        all.extend(batch);
    }
    let result = match broken {
        Some(found) => Err(found),
        None => verifier.finish(),
    };
    (all, result)
}

/// Entries of every shape chain and verify: with a digest before and none after, neither, both; text in Chinese
/// (several bytes a character, so a length counted in characters would differ); an empty target; a time in
/// another offset. On PostgreSQL the database computes the links, so this holds its computation to the verifier's.
pub async fn entries_of_every_shape_chain_and_verify<S: AuditLog>(store: S) {
    let mut shapes = Vec::new();
    let mut before_only = entry(1, "2026-12-01T09:00:00+08:00");
    before_only.before = Some(Digest::of(b"before"));
    before_only.after = None;
    shapes.push(before_only);
    let mut neither = entry(2, "2026-12-01T01:00:00Z");
    neither.after = None;
    neither.target = String::new();
    shapes.push(neither);
    let mut both = entry(3, "2026-12-01T06:45:00+05:45");
    both.before = Some(Digest::of(b"old"));
    both.actor = "user:李四".into();
    both.detail = r#"{"note":"春耕贷款 复核通过","amount_fen":740000}"#.into();
    shapes.push(both);
    let chained = store.append_audit(&shapes).await.expect("append");
    assert_eq!(chained.iter().map(|e| &e.entry).collect::<Vec<_>>(), shapes.iter().collect::<Vec<_>>());
    let (all, verified) = read_all(&store, 2).await;
    assert!(verified.is_ok(), "the chain verifies: {verified:?}");
    assert_eq!(&all[all.len() - 3..], &chained[..], "read back as the append returned them");
}

/// Entries appended in several calls form one chain numbered from 1, each chained to the one before, and come back
/// exactly as the append returned them.
pub async fn the_chain_continues_over_appends<S: AuditLog>(store: S) {
    let before = store.audit_head().await.expect("head").map_or(0, |e| e.seq);
    let mut appended = Vec::new();
    for round in 0..3 {
        let batch: Vec<NewEntry> = (0..3).map(|i| entry(round * 3 + i, "2026-12-01T09:00:00+08:00")).collect();
        let chained = store.append_audit(&batch).await.expect("append");
        assert_eq!(chained.len(), 3, "one entry chained per entry given");
        for (given, stored) in batch.iter().zip(&chained) {
            assert_eq!(&stored.entry, given, "an entry is stored as given");
        }
        appended.extend(chained);
    }
    let seqs: Vec<u64> = appended.iter().map(|e| e.seq).collect();
    assert_eq!(seqs, (before + 1..=before + 9).collect::<Vec<_>>(), "numbered without gaps");
    let (all, verified) = read_all(&store, 4).await;
    let summary = verified.expect("the chain verifies");
    assert_eq!(summary.head_seq, before + 9);
    assert_eq!(&all[all.len() - 9..], &appended[..], "read back exactly as appended");
    assert_eq!(store.audit_head().await.expect("head").as_ref(), appended.last(), "the head is the last entry");
    assert!(store.append_audit(&[]).await.expect("nothing").is_empty());
}

/// Many appenders at once: every entry is stored once and the chain has no fork (no two entries chained to the
/// same hash, none numbered twice).
pub async fn concurrent_appenders_never_fork_the_chain<S: AuditLog + Clone + 'static>(store: S) {
    let before = store.audit_head().await.expect("head").map_or(0, |e| e.seq);
    let tasks: Vec<_> = (0..8u32)
        .map(|task| {
            let store = store.clone();
            tokio::spawn(async move {
                for i in 0..10u32 {
                    store.append_audit(&[entry(task * 100 + i, "2026-12-01T09:00:00+08:00")]).await.expect("append");
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.expect("appender");
    }
    let (all, verified) = read_all(&store, 1000).await;
    let summary = verified.expect("one chain, no fork");
    assert_eq!(summary.head_seq, before + 80);
    let mut targets: Vec<&str> =
        all.iter().skip(usize::try_from(before).expect("small")).map(|e| e.entry.target.as_str()).collect();
    targets.sort_unstable();
    targets.dedup();
    assert_eq!(targets.len(), 80, "every entry stored once");
}

/// A batch with one entry out of bounds is refused whole, naming the field; nothing of it is written.
pub async fn an_entry_out_of_bounds_writes_nothing<S: AuditLog>(store: S) {
    let head = store.audit_head().await.expect("head");
    let mut bad = entry(2, "2026-12-01T09:00:00+08:00");
    bad.action = "Loan Repaid".into();
    let refused = store.append_audit(&[entry(1, "2026-12-01T09:00:00+08:00"), bad]).await.expect_err("refused");
    match refused {
        StoreError::InvalidAudit(e) => assert_eq!(e.field, "action"),
        other => panic!("expected an audit entry refusal, got {other:?}"),
    }
    let mut long = entry(3, "2026-12-01T09:00:00+08:00");
    long.detail = format!(r#"{{"x":"{}"}}"#, "y".repeat(5000));
    assert!(matches!(store.append_audit(&[long]).await, Err(StoreError::InvalidAudit(e)) if e.field == "detail"));
    assert_eq!(store.audit_head().await.expect("head"), head, "nothing written");
}

/// An export selects the entries made in a span of time, in number order, page by page.
pub async fn exports_select_entries_by_time_in_pages<S: AuditLog>(store: S) {
    let times = [
        "2026-11-30T23:59:59+08:00",
        "2026-12-01T00:00:00+08:00",
        "2026-12-01T12:00:00+08:00",
        "2026-12-01T23:59:59+08:00",
        "2026-12-02T00:00:00+08:00",
    ];
    let entries: Vec<NewEntry> =
        times.iter().enumerate().map(|(i, t)| entry(u32::try_from(i).expect("small"), t)).collect();
    let chained = store.append_audit(&entries).await.expect("append");
    let (from, to) = (at("2026-12-01T00:00:00+08:00"), at("2026-12-02T00:00:00+08:00"));
    let mut got = Vec::new();
    loop {
        let after = got.last().map_or(0, |e: &Entry| e.seq);
        let page = store.audit_between(&from, &to, after, 2).await.expect("export");
        if page.is_empty() {
            break;
        }
        assert!(page.len() <= 2, "a page holds at most its limit");
        got.extend(page);
    }
    assert_eq!(got, chained[1..4].to_vec(), "from inclusive, to exclusive, exactly as stored");
    // The same span named in UTC selects the same entries.
    let utc = (at("2026-11-30T16:00:00Z"), at("2026-12-01T16:00:00Z"));
    assert_eq!(store.audit_between(&utc.0, &utc.1, 0, 10).await.expect("export"), chained[1..4].to_vec());
}
