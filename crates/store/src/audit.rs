//! [`AuditLog`]: the register of the audit trail. Entries are appended chained (`audit::link`) in one transaction
//! that reads the head inside it, so concurrent appenders never fork the chain, and read back exactly as stored
//! (never recomputed), so `audit::Verifier` sees what the database holds.
//!
//! Beside it, the digests the store writes into entries, computed by one function each so the service layer's
//! verification recomputes them from the records as read back: [`loan_digest`], [`event_digest`],
//! [`decision_digest`], [`record_digest`].

use std::future::Future;

use ::audit::{Digest, Entry, NewEntry};
use domain::Timestamp;
use workflow::DecisionRecord;

use crate::{NewLoan, StoreError};

/// The audit trail's register.
pub trait AuditLog: Send + Sync {
    /// Appends entries, in order, after the current head, in one transaction; every entry is checked first and a
    /// refused one writes nothing. Returns them as chained.
    fn append_audit(&self, entries: &[NewEntry]) -> impl Future<Output = Result<Vec<Entry>, StoreError>> + Send;

    /// Up to `limit` entries numbered after `after_seq`, in order, exactly as stored.
    fn audit_entries(&self, after_seq: u64, limit: u32) -> impl Future<Output = Result<Vec<Entry>, StoreError>> + Send;

    /// The last entry, if any.
    fn audit_head(&self) -> impl Future<Output = Result<Option<Entry>, StoreError>> + Send;

    /// Up to `limit` entries made at or after `from` and before `to`, numbered after `after_seq`, in order, exactly
    /// as stored: pages of an export.
    fn audit_between(
        &self,
        from: &Timestamp,
        to: &Timestamp,
        after_seq: u64,
        limit: u32,
    ) -> impl Future<Output = Result<Vec<Entry>, StoreError>> + Send;

    /// How many loans and decision records the store holds: each was written with its creating entry
    /// (`loan.create`, `decision.record`), so a verifier that counted fewer such entries knows rows were written
    /// behind the product's back.
    fn record_counts(&self) -> impl Future<Output = Result<RecordCounts, StoreError>> + Send;

    /// Up to `limit` loans and decision records (`loan:ID`, `decision:ID`, loans first, each in id order) that have
    /// no creating entry in the trail.
    fn unaudited_records(&self, limit: u32) -> impl Future<Output = Result<Vec<String>, StoreError>> + Send;
}

/// The number of records of each audited kind a store holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RecordCounts {
    /// Loans.
    pub loans: u64,
    /// Decision records.
    pub decisions: u64,
}

/// SHA-256 over length-prefixed fields, so no two different field lists hash alike.
fn digest_of(fields: &[&[u8]]) -> Digest {
    let mut bytes = Vec::with_capacity(fields.iter().map(|f| f.len() + 8).sum());
    for field in fields {
        bytes.extend_from_slice(&(field.len() as u64).to_be_bytes());
        bytes.extend_from_slice(field);
    }
    Digest::of(&bytes)
}

/// The digest of a loan as stored: its id, borrower, rules, booking date and terms (JSON).
pub fn loan_digest(loan: &NewLoan) -> Result<Digest, StoreError> {
    let terms = serde_json::to_string(&loan.terms).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    Ok(digest_of(&[
        loan.id.as_str().as_bytes(),
        loan.borrower.as_str().as_bytes(),
        loan.rules.as_bytes(),
        loan.booked_on.to_string().as_bytes(),
        terms.as_bytes(),
    ]))
}

/// One ledger line as an event's digest covers it: posting date, component, amount in fen, and the repayment a
/// reallocation line reallocates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineDigest<'a> {
    /// The posting date.
    pub date: domain::Date,
    /// The component.
    pub component: &'a str,
    /// The signed amount.
    pub amount: domain::Money,
    /// On a reallocation line, the repayment.
    pub reallocates: Option<&'a str>,
}

/// The digest of a loan event as stored: its number, effective date, idempotency key, JSON and the ledger lines it
/// posted, in order — so a repayment's amount edited in its event or in its ledger lines no longer matches.
pub fn event_digest(
    seq: u32,
    date: domain::Date,
    key: Option<&str>,
    payload_json: &str,
    lines: &[LineDigest<'_>],
) -> Digest {
    let mut fields: Vec<Vec<u8>> = vec![
        seq.to_be_bytes().to_vec(),
        date.to_string().into_bytes(),
        key.unwrap_or("").as_bytes().to_vec(),
        vec![u8::from(key.is_some())],
        payload_json.as_bytes().to_vec(),
    ];
    for line in lines {
        fields.push(line.date.to_string().into_bytes());
        fields.push(line.component.as_bytes().to_vec());
        fields.push(line.amount.fen().to_be_bytes().to_vec());
        fields.push(line.reallocates.unwrap_or("").as_bytes().to_vec());
        fields.push(vec![u8::from(line.reallocates.is_some())]);
    }
    let refs: Vec<&[u8]> = fields.iter().map(Vec::as_slice).collect();
    digest_of(&refs)
}

/// The digest of a decision record as stored: every column.
pub fn decision_digest(record: &DecisionRecord) -> Digest {
    digest_of(&[
        record.decision_id.as_str().as_bytes(),
        record.request_id.as_bytes(),
        record.request_sha256.as_bytes(),
        record.subject.as_bytes(),
        record.outcome.code().as_bytes(),
        record.policy_version.as_bytes(),
        record.model_id.as_deref().unwrap_or("").as_bytes(),
        &[u8::from(record.model_id.is_some())],
        record.decided_at.to_string().as_bytes(),
        record.record_json.as_str().as_bytes(),
    ])
}

/// The digest of any other stored row, from its columns in order.
pub fn record_digest(columns: &[&str]) -> Digest {
    let fields: Vec<&[u8]> = columns.iter().map(|c| c.as_bytes()).collect();
    digest_of(&fields)
}
