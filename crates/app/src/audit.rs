//! The audit trail's use cases: verify the whole chain and the records it vouches for, export a span of it for an
//! inspector, sign a checkpoint of its head into a file outside the database, and make the signing key.
//!
//! [`verify`] reads the chain in pages of [`PAGE`] entries (never all of it in memory) through `audit::Verifier`,
//! with the signed checkpoints if given, and **recomputes** what the entries vouch for: every audited loan, loan
//! event and decision record is read back and digested as the store digested it when it wrote it
//! (`store::audit::{loan_digest, event_digest, decision_digest}`), so a repayment or a decision edited behind the
//! product's back — triggers dropped, row updated — is found and the entry that recorded it named.

use std::collections::HashMap;
use std::fmt;
use std::io::Write;
use std::path::Path;

use audit::{AuditKey, Break, Checkpoint, Digest, Entry, PublicKey, Summary, Verifier};
use domain::{Date, Timestamp};
use store::audit::LineDigest;
use store::{AuditLog, DecisionLog, LedgerLine, LoanRecord, LoanStore, StoredEvent};

use crate::error::{Error, ErrorCode};

/// Entries read per page.
pub const PAGE: u32 = 10_000;

/// A chain that verified, with what was recomputed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// The chain: entries, head and checkpoints matched.
    pub summary: Summary,
    /// Loans and loan events whose stored form was recomputed and matched their entry.
    pub loan_records: u64,
    /// Decision records recomputed and matched.
    pub decisions: u64,
}

impl fmt::Display for Verified {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}; {} loan records and {} decision records match their entries",
            self.summary, self.loan_records, self.decisions
        )
    }
}

/// What verification found wrong: a break of the chain, or a record that no longer is what its entry recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Finding {
    /// The chain or a checkpoint is broken.
    Chain(Break),
    /// A record differs from (or is missing since) the entry that recorded it.
    Record {
        /// The entry.
        seq: u64,
        /// Its action.
        action: String,
        /// The record, as the entry names it (`loan:L000001 event 2`, `decision:D1`).
        record: String,
        /// What is wrong.
        problem: &'static str,
    },
    /// A loan event stored with no entry recording it: written behind the product's back.
    Unaudited {
        /// The loan.
        loan: String,
        /// The event's number.
        event: u32,
        /// The last audit entry that recorded an event of the loan.
        last_entry: u64,
    },
    /// A loan or decision record stored with no entry creating it: written behind the product's back.
    UnauditedRecord {
        /// The record (`loan:L000001`, `decision:D1`).
        record: String,
    },
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Finding::Chain(found) => write!(f, "{found}"),
            Finding::Record { seq, action, record, problem } => {
                write!(f, "{record} {problem}: audit entry {seq} ({action}) recorded it otherwise")
            }
            Finding::Unaudited { loan, event, last_entry } => write!(
                f,
                "loan {loan} event {event} has no audit entry (the loan's last is entry {last_entry}): it was \
                 written behind the product's back"
            ),
            Finding::UnauditedRecord { record } => {
                write!(f, "{record} has no audit entry creating it: it was written behind the product's back")
            }
        }
    }
}

/// The signed checkpoints to check, and the key that must have signed them.
#[derive(Debug, Clone)]
pub struct Checkpoints {
    /// The checkpoints, as read from their file.
    pub checkpoints: Vec<Checkpoint>,
    /// The public key.
    pub key: PublicKey,
}

/// A loan event entry's detail: `{"event": seq}`.
#[derive(serde::Deserialize)]
struct EventDetail {
    event: u32,
}

/// A loan as read back: the loan, its events and its ledger lines.
#[derive(Default)]
struct LoanRead {
    loan: Option<LoanRecord>,
    events: Vec<StoredEvent>,
    ledger: Vec<LedgerLine>,
}

/// Loans read back for one page, by id.
type LoanCache = HashMap<String, LoanRead>;

/// Per loan whose events the chain records: the highest event number an entry recorded, that entry, and how many
/// events the loan had when it was read for that entry.
type Tracked = HashMap<String, (u32, u64, usize)>;

async fn loan_of<'c, S: LoanStore>(store: &S, cache: &'c mut LoanCache, id: &str) -> Result<&'c LoanRead, Error> {
    if !cache.contains_key(id) {
        let read = match domain::LoanId::parse(id) {
            Ok(loan_id) => LoanRead {
                loan: store.loan(&loan_id).await?,
                events: store.events(&loan_id).await?,
                ledger: store.ledger(&loan_id).await?,
            },
            Err(_) => LoanRead::default(),
        };
        cache.insert(id.to_string(), read);
    }
    cache.get(id).ok_or_else(|| Error::internal("a loan just read is cached"))
}

/// The digest of event `seq` of a loan as read back, with its ledger lines.
fn event_digest(read: &LoanRead, stored: &StoredEvent) -> Result<Digest, Error> {
    let payload = serde_json::to_string(&stored.dated.event).map_err(Error::internal)?;
    let lines: Vec<LineDigest<'_>> = read
        .ledger
        .iter()
        .filter(|line| line.event_seq == stored.seq)
        .map(|line| LineDigest {
            date: line.date,
            component: &line.component,
            amount: line.amount,
            reallocates: line.reallocates.as_deref(),
        })
        .collect();
    Ok(store::audit::event_digest(stored.seq, stored.dated.date, stored.key.as_deref(), &payload, &lines))
}

/// Recomputes the record one entry vouches for; `Ok(None)` if it matches (or the entry vouches for no record this
/// verifies), `Ok(Some(..))` naming the mismatch.
async fn recompute<S: LoanStore + DecisionLog>(
    store: &S,
    entry: &Entry,
    loans: &mut LoanCache,
    tracked: &mut Tracked,
    counts: &mut Counts,
) -> Result<Option<Finding>, Error> {
    let e = &entry.entry;
    let finding =
        |record: String, problem| Some(Finding::Record { seq: entry.seq, action: e.action.clone(), record, problem });
    if let (Some(id), Some(after)) = (e.target.strip_prefix("loan:"), e.after) {
        if e.action == "loan.create" {
            let read = loan_of(store, loans, id).await?;
            counts.loan_records += 1;
            counts.loans += 1;
            return Ok(match &read.loan {
                None => finding(format!("loan {id}"), "is missing"),
                Some(loan) if store::audit::loan_digest(loan)? != after => finding(format!("loan {id}"), "was changed"),
                Some(_) => None,
            });
        }
        if let Ok(EventDetail { event: seq }) = serde_json::from_str::<EventDetail>(&e.detail) {
            let read = loan_of(store, loans, id).await?;
            counts.loan_records += 1;
            let seen = tracked.entry(id.to_string()).or_insert((0, 0, 0));
            if seq >= seen.0 {
                *seen = (seq, entry.seq, read.events.len());
            }
            let record = format!("loan {id} event {seq}");
            let Some(stored) = read.events.iter().find(|s| s.seq == seq) else {
                return Ok(finding(record, "is missing"));
            };
            return Ok(if event_digest(read, stored)? == after { None } else { finding(record, "was changed") });
        }
    }
    if e.action == "decision.record"
        && let (Some(id), Some(after)) = (e.target.strip_prefix("decision:"), e.after)
    {
        counts.decisions += 1;
        let record = format!("decision {id}");
        return Ok(match store.decision(id).await? {
            None => finding(record, "is missing"),
            Some(stored) if store::audit::decision_digest(&stored) != after => finding(record, "was changed"),
            Some(_) => None,
        });
    }
    Ok(None)
}

/// What the walk over the trail counted.
#[derive(Default)]
struct Counts {
    /// Loan and loan event records recomputed.
    loan_records: u64,
    /// `loan.create` entries.
    loans: u64,
    /// `decision.record` entries.
    decisions: u64,
}

/// Verifies the whole chain from genesis, the checkpoints if given, and every loan, loan event and decision record
/// the entries vouch for; a loan whose events the chain records holds no event it does not. `Ok(Err(finding))`
/// names the first entry (or record) found wrong; `Err` is a failure to read.
pub async fn verify<S: AuditLog + LoanStore + DecisionLog>(
    store: &S,
    checkpoints: Option<&Checkpoints>,
) -> Result<Result<Verified, Finding>, Error> {
    let mut verifier = Verifier::new();
    if let Some(given) = checkpoints {
        verifier = match verifier.with_checkpoints(&given.checkpoints, &given.key) {
            Ok(verifier) => verifier,
            Err(found) => return Ok(Err(Finding::Chain(found))),
        };
    }
    let mut counts = Counts::default();
    let mut tracked = Tracked::new();
    let mut after = 0;
    loop {
        let page = store.audit_entries(after, PAGE).await?;
        let Some(last) = page.last() else { break };
        after = last.seq;
        let mut loans = LoanCache::new();
        for entry in &page {
            if let Err(found) = verifier.push(entry) {
                return Ok(Err(Finding::Chain(found)));
            }
            if let Some(found) = recompute(store, entry, &mut loans, &mut tracked, &mut counts).await? {
                return Ok(Err(found));
            }
        }
    }
    let summary = match verifier.finish() {
        Ok(summary) => summary,
        Err(found) => return Ok(Err(Finding::Chain(found))),
    };
    // Events are numbered without gaps: a loan read with more events than the last one recorded holds one that no
    // entry records.
    let mut unaudited: Vec<(&String, &(u32, u64, usize))> =
        tracked.iter().filter(|(_, (seq, _, stored))| *stored > *seq as usize).collect();
    unaudited.sort();
    if let Some((loan, (seq, last_entry, _))) = unaudited.first() {
        return Ok(Err(Finding::Unaudited { loan: (*loan).clone(), event: seq + 1, last_entry: *last_entry }));
    }
    // Every loan and decision is created with its entry: more stored than the trail created were written
    // behind the product's back (the names are looked for only then, as that takes a scan of the trail).
    let stored = store.record_counts().await?;
    if stored.loans > counts.loans || stored.decisions > counts.decisions {
        let record = store.unaudited_records(1).await?.pop().unwrap_or_else(|| {
            format!(
                "the store ({} loans, {} decisions; the trail created {} and {})",
                stored.loans, stored.decisions, counts.loans, counts.decisions
            )
        });
        return Ok(Err(Finding::UnauditedRecord { record }));
    }
    Ok(Ok(Verified { summary, loan_records: counts.loan_records, decisions: counts.decisions }))
}

/// Reads a checkpoints file: one JSON checkpoint a line, blank lines skipped; a line that is not one is refused
/// naming the file and line.
pub fn read_checkpoints(path: &Path) -> Result<Vec<Checkpoint>, Error> {
    let field = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| Error::input(&field, e))?;
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(i, line)| serde_json::from_str(line).map_err(|e| Error::input(format!("{field} line {}", i + 1), e)))
        .collect()
}

/// Reads a public key given as its text or as a file holding it.
pub fn public_key(text_or_file: &str) -> Result<PublicKey, Error> {
    if let Ok(key) = PublicKey::parse(text_or_file) {
        return Ok(key);
    }
    let text = std::fs::read_to_string(text_or_file)
        .map_err(|e| Error::input("public-key", format!("neither a public key nor a readable file: {e}")))?;
    PublicKey::parse(&text).map_err(|e| Error::input("public-key", e))
}

/// Reads the signing key from its key file.
pub fn signing_key(path: &Path) -> Result<AuditKey, Error> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::input("key", format!("{}: {e}", path.display())))?;
    AuditKey::parse(&text).map_err(|e| Error::input("key", format!("{}: {e}", path.display())))
}

/// Opens `path` for appending, creating it readable and writable by its owner only (600).
fn private_append(path: &Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.append(true).create(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)
}

/// Signs the chain head now with `key` and appends the checkpoint as one JSON line to `file` (created mode 600),
/// which should live outside the data directory. An empty chain has nothing to sign.
pub async fn checkpoint<S: AuditLog>(
    store: &S,
    key: &AuditKey,
    file: &Path,
    now: Timestamp,
) -> Result<Checkpoint, Error> {
    let head = store
        .audit_head()
        .await?
        .ok_or_else(|| Error::whole(ErrorCode::OutOfRange, "the audit trail is empty: there is no head to sign"))?;
    let checkpoint = key.checkpoint(head.seq, head.hash, now);
    let mut line = serde_json::to_string(&checkpoint).map_err(Error::internal)?;
    line.push('\n');
    let field = file.display().to_string();
    let mut out = private_append(file).map_err(|e| Error::input(&field, e))?;
    out.write_all(line.as_bytes()).and_then(|()| out.sync_all()).map_err(|e| Error::input(&field, e))?;
    Ok(checkpoint)
}

/// Writes a new signing key made from `seed` (32 random bytes from the operating system) to `out`, mode 600,
/// refusing to overwrite a file; returns its public key.
pub fn keygen(out: &Path, seed: [u8; 32]) -> Result<PublicKey, Error> {
    let key = AuditKey::from_seed(seed);
    let field = out.display().to_string();
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(out).map_err(|e| Error::input(&field, e))?;
    let text = format!("{}\n", key.to_text());
    file.write_all(text.as_bytes()).and_then(|()| file.sync_all()).map_err(|e| Error::input(&field, e))?;
    Ok(key.public())
}

/// Writes the entries made from the start of `from` to the end of `to` (days in China Standard Time), as stored,
/// one JSON line each, to `out`, page by page; returns how many. An inspector re-verifies them as a segment
/// (`audit::Verifier::segment`).
pub async fn export<S: AuditLog>(store: &S, from: Date, to: Date, out: &mut impl Write) -> Result<u64, Error> {
    if to < from {
        return Err(Error::coded(ErrorCode::OutOfRange, "to", format!("{to} is before --from {from}")));
    }
    let start = Timestamp::midnight_cst(from);
    let end = Timestamp::midnight_cst(to.succ_opt().ok_or_else(|| Error::input("to", "has no next day"))?);
    let (mut after, mut count) = (0, 0);
    loop {
        let page = store.audit_between(&start, &end, after, PAGE).await?;
        let Some(last) = page.last() else { break };
        after = last.seq;
        for entry in &page {
            serde_json::to_writer(&mut *out, entry).map_err(Error::internal)?;
            out.write_all(b"\n").map_err(Error::internal)?;
            count += 1;
        }
    }
    out.flush().map_err(Error::internal)?;
    Ok(count)
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::{Money, RepaymentId, parse_date};
    use lending::{DatedEvent, LoanEvent};
    use store::{NewEvent, SqliteStore, conformance};
    use workflow::Outcome;

    fn now() -> Timestamp {
        Timestamp::parse("2026-12-07T09:00:00+08:00").expect("timestamp")
    }

    /// A store with a loan repaid twice and a decision, all audited.
    async fn store() -> (tempfile::TempDir, SqliteStore) {
        let dir = tempfile::tempdir().expect("tempdir");
        let opened = SqliteStore::open(dir.path()).await.expect("open");
        let store = opened.with_clock(std::sync::Arc::new(Stopped)).acting("os:jdoe", "cli");
        let loan = conformance::sample_loan("L000001");
        store.create_loan(&loan, &[]).await.expect("create");
        for (i, id) in ["R1", "R2"].into_iter().enumerate() {
            let event = NewEvent::keyed_by_id(DatedEvent {
                date: parse_date("2026-04-10").expect("date"),
                event: LoanEvent::Repaid { id: RepaymentId::parse(id).expect("id"), amount: Money::from_fen(100) },
            });
            store.append(&loan.id, u32::try_from(i).expect("small"), &event, &[], &[]).await.expect("append");
        }
        let decision = conformance::decision("D1", Outcome::Approve, "2026-12-01T09:00:00+08:00");
        store.record_decision(&decision).await.expect("decision");
        (dir, store)
    }

    #[tokio::test]
    async fn an_intact_trail_verifies_and_recomputes_its_records() {
        let (_dir, store) = store().await;
        let verified = verify(&store, None).await.expect("read").expect("intact");
        assert_eq!(verified.summary.entries, 4);
        assert_eq!((verified.loan_records, verified.decisions), (3, 1));
    }

    #[tokio::test]
    async fn a_repayment_edited_behind_the_products_back_is_named() {
        let (_dir, store) = store().await;
        store.execute_raw("DROP TRIGGER loan_events_no_update").await.expect("drop the guard");
        store
            .execute_raw(
                r#"UPDATE loan_events SET payload_json = replace(payload_json, '"1.00"', '"0.01"') WHERE seq = 2"#,
            )
            .await
            .expect("forge");
        let found = verify(&store, None).await.expect("read").expect_err("found");
        assert!(matches!(&found, Finding::Record { seq: 3, .. }), "{found}");
        assert_eq!(
            found.to_string(),
            "loan L000001 event 2 was changed: audit entry 3 (loan.repaid) recorded it otherwise"
        );
    }

    #[tokio::test]
    async fn a_ledger_line_edited_or_an_event_inserted_behind_the_products_back_is_named() {
        let (_dir, store) = store().await;
        let loan = domain::LoanId::parse("L000001").expect("id");
        // The store's own append, with a ledger line, audited; then the line's amount forged.
        let event = NewEvent::keyed_by_id(DatedEvent {
            date: parse_date("2026-04-11").expect("date"),
            event: LoanEvent::Repaid { id: RepaymentId::parse("R3").expect("id"), amount: Money::from_fen(300) },
        });
        let line = lending::Posting { component: "current-interest", amount: Money::from_fen(300), reallocates: None };
        store.append(&loan, 2, &event, &[line], &[]).await.expect("append");
        verify(&store, None).await.expect("read").expect("intact with its ledger line");
        store.execute_raw("DROP TRIGGER ledger_postings_no_update").await.expect("drop the guard");
        store.execute_raw("UPDATE ledger_postings SET amount_fen = 3 WHERE event_seq = 3").await.expect("forge");
        let found = verify(&store, None).await.expect("read").expect_err("found");
        assert!(found.to_string().starts_with("loan L000001 event 3 was changed: audit entry 5"), "{found}");

        let (_other, fresh) = self::store().await;
        fresh
            .execute_raw(
                "INSERT INTO loan_events (loan_id, seq, effective_date, kind, amount_fen, idempotency_key, payload_json)
                 SELECT loan_id, 3, effective_date, kind, amount_fen, 'forged', payload_json FROM loan_events
                 WHERE seq = 2",
            )
            .await
            .expect("forge");
        let found = verify(&fresh, None).await.expect("read").expect_err("found");
        assert_eq!(found, Finding::Unaudited { loan: "L000001".into(), event: 3, last_entry: 3 });
        assert!(found.to_string().contains("has no audit entry"), "{found}");
    }

    #[tokio::test]
    async fn a_decision_edited_or_deleted_behind_the_products_back_is_named() {
        let (_dir, store) = store().await;
        store.execute_raw("DROP TRIGGER decisions_no_update").await.expect("drop the guard");
        store.execute_raw("UPDATE decisions SET outcome = 'decline'").await.expect("forge");
        let found = verify(&store, None).await.expect("read").expect_err("found");
        assert!(found.to_string().starts_with("decision D1 was changed: audit entry 4"), "{found}");
    }

    #[tokio::test]
    async fn a_loan_or_decision_inserted_behind_the_products_back_is_named() {
        let (_dir, store) = store().await;
        verify(&store, None).await.expect("read").expect("intact");
        store
            .execute_raw(
                "INSERT INTO decisions SELECT 'D0', 'req-forged', request_sha256, subject, outcome, policy_version,
                 model_id, decided_at, record_json FROM decisions WHERE decision_id = 'D1'",
            )
            .await
            .expect("forge a decision");
        let found = verify(&store, None).await.expect("read").expect_err("found");
        assert_eq!(found, Finding::UnauditedRecord { record: "decision:D0".into() });
        assert!(found.to_string().contains("written behind the product's back"), "{found}");

        let (_other, fresh) = self::store().await;
        fresh
            .execute_raw(
                "INSERT INTO loans SELECT 'L000000', borrower_id, product, principal_fen, annual_rate, start_date, rules,
                 terms_json, booked_on FROM loans",
            )
            .await
            .expect("forge a loan");
        let found = verify(&fresh, None).await.expect("read").expect_err("found");
        assert_eq!(found, Finding::UnauditedRecord { record: "loan:L000000".into() });
    }

    #[tokio::test]
    async fn checkpoints_are_written_privately_and_checked() {
        let (dir, store) = store().await;
        let key_file = dir.path().join("audit.key");
        let public = keygen(&key_file, [9; 32]).expect("keygen");
        assert!(keygen(&key_file, [9; 32]).is_err(), "a key file is never overwritten");
        let key = signing_key(&key_file).expect("read key");
        assert_eq!(key.public(), public);
        let file = dir.path().join("checkpoints.jsonl");
        let signed = checkpoint(&store, &key, &file, now()).await.expect("checkpoint");
        assert_eq!(signed.seq, 4);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            for path in [&key_file, &file] {
                assert_eq!(std::fs::metadata(path).expect("meta").permissions().mode() & 0o777, 0o600);
            }
        }
        let given = Checkpoints { checkpoints: read_checkpoints(&file).expect("read"), key: public };
        let verified = verify(&store, Some(&given)).await.expect("read").expect("intact");
        assert_eq!(verified.summary.checkpoints, 1);
        let other = Checkpoints { key: AuditKey::from_seed([1; 32]).public(), ..given };
        let found = verify(&store, Some(&other)).await.expect("read").expect_err("another key");
        assert!(matches!(found, Finding::Chain(Break { seq: 4, .. })), "{found}");
    }

    #[tokio::test]
    async fn an_export_holds_the_days_entries_as_stored() {
        let (_dir, store) = store().await;
        let today = parse_date("2026-12-07").expect("date");
        let mut out = Vec::new();
        let count = export(&store, today, today, &mut out).await.expect("export");
        assert_eq!(count, 4);
        let mut verifier = Verifier::segment();
        for line in String::from_utf8(out).expect("utf-8").lines() {
            verifier.push(&serde_json::from_str(line).expect("an entry")).expect("chained");
        }
        assert_eq!(verifier.finish().expect("segment").entries, 4);
        let yesterday = today.pred_opt().expect("a day before");
        assert_eq!(export(&store, yesterday, yesterday, &mut Vec::new()).await.expect("export"), 0);
        assert!(export(&store, today, yesterday, &mut Vec::new()).await.is_err(), "to before from");
    }

    /// A clock stopped at [`now`], for the store to stamp entries with.
    struct Stopped;

    impl domain::Clock for Stopped {
        fn today(&self) -> Date {
            now().instant().date_naive()
        }

        fn now(&self) -> Timestamp {
            now()
        }
    }
}
