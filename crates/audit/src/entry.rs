//! [`NewEntry`] (what a state change records, bounded field by field), [`Entry`] (an entry as chained: its number,
//! the hash of the entry before and its own) and [`link`], the one hash that chains them.

use domain::Timestamp;
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use crate::Digest;

/// Tag that starts every hashed entry, so an entry's hash can never be mistaken for the digest of anything else.
const ENTRY_TAG: &[u8] = b"agririsk.audit.entry.v1\0";

/// The most characters an actor may have.
pub const ACTOR_MAX_CHARS: usize = 128;
/// The most characters an origin may have.
pub const ORIGIN_MAX_CHARS: usize = 64;
/// The most characters an action or an outcome may have.
pub const CODE_MAX_CHARS: usize = 64;
/// The most characters a target may have.
pub const TARGET_MAX_CHARS: usize = 256;
/// The most bytes a detail may have.
pub const DETAIL_MAX_BYTES: usize = 4096;

/// One state change, refused attempt or read of personal data, as the caller states it; the store numbers and
/// chains it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewEntry {
    /// When it happened.
    pub at: Timestamp,
    /// Who: `user:alice`, `key:AB12`, `os:jdoe` or `system`.
    pub actor: String,
    /// From where: a client address, or `cli`, `local`.
    pub origin: String,
    /// What, as a dotted code: `loan.repay`, `auth.login`, `decision.record`, `policy.move`.
    pub action: String,
    /// On which record: `loan:L000123`, `decision:D…`, `user:alice`, or empty.
    pub target: String,
    /// `ok`, or the code of a refusal such as `unauthenticated` or `forbidden`.
    pub outcome: String,
    /// The SHA-256 of the record's stored form before, where a record is superseded.
    pub before: Option<Digest>,
    /// The SHA-256 of the record's stored form after.
    pub after: Option<Digest>,
    /// A compact JSON object with what else identifies the change; never personal data.
    pub detail: String,
}

/// A field of a [`NewEntry`] out of its bounds.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("audit entry field {field}: {reason}")]
pub struct EntryError {
    /// The field.
    pub field: &'static str,
    /// Why it was refused.
    pub reason: String,
}

fn refuse(field: &'static str, reason: impl Into<String>) -> Result<(), EntryError> {
    Err(EntryError { field, reason: reason.into() })
}

fn check_text(field: &'static str, value: &str, max: usize, required: bool) -> Result<(), EntryError> {
    if required && value.is_empty() {
        return refuse(field, "is empty");
    }
    if value.chars().count() > max {
        return refuse(field, format!("is longer than {max} characters"));
    }
    if value.chars().any(char::is_control) {
        return refuse(field, "holds a control character");
    }
    Ok(())
}

fn check_code(field: &'static str, value: &str, extra: &[char]) -> Result<(), EntryError> {
    check_text(field, value, CODE_MAX_CHARS, true)?;
    if let Some(bad) = value.chars().find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || extra.contains(c))) {
        return refuse(field, format!("holds {bad:?}; only a-z, 0-9 and {extra:?} are allowed"));
    }
    Ok(())
}

impl NewEntry {
    /// An entry with outcome `ok`, no digests and an empty detail (`{}`).
    pub fn new(
        at: Timestamp,
        actor: impl Into<String>,
        origin: impl Into<String>,
        action: impl Into<String>,
        target: impl Into<String>,
    ) -> NewEntry {
        NewEntry {
            at,
            actor: actor.into(),
            origin: origin.into(),
            action: action.into(),
            target: target.into(),
            outcome: "ok".to_string(),
            before: None,
            after: None,
            detail: "{}".to_string(),
        }
    }

    /// Checks every field against its bounds; the error names the first field out of them.
    pub fn check(&self) -> Result<(), EntryError> {
        check_text("actor", &self.actor, ACTOR_MAX_CHARS, true)?;
        check_text("origin", &self.origin, ORIGIN_MAX_CHARS, true)?;
        check_code("action", &self.action, &['.', '_'])?;
        check_text("target", &self.target, TARGET_MAX_CHARS, false)?;
        check_code("outcome", &self.outcome, &['.', '_', '-'])?;
        if self.detail.len() > DETAIL_MAX_BYTES {
            return refuse("detail", format!("is longer than {DETAIL_MAX_BYTES} bytes"));
        }
        match serde_json::from_str::<serde_json::Value>(&self.detail) {
            Ok(serde_json::Value::Object(_)) => Ok(()),
            Ok(_) => refuse("detail", "is not a JSON object"),
            Err(e) => refuse("detail", format!("is not JSON: {e}")),
        }
    }
}

/// An entry as chained: numbered from 1 without gaps, holding the hash of the entry before ([`Digest::GENESIS`]
/// for the first) and its own hash, [`link`] of the three.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// Its number in the chain, from 1.
    pub seq: u64,
    /// What it records.
    #[serde(flatten)]
    pub entry: NewEntry,
    /// The hash of entry `seq - 1`.
    pub prev: Digest,
    /// [`link`]`(prev, seq, entry)` when it was appended.
    pub hash: Digest,
}

impl Entry {
    /// Chains `entry` as number `seq` after the entry whose hash is `prev`.
    pub fn chain(prev: Digest, seq: u64, entry: NewEntry) -> Entry {
        let hash = link(prev, seq, &entry);
        Entry { seq, entry, prev, hash }
    }
}

fn put(hasher: &mut Sha256, bytes: &[u8]) {
    hasher.update((bytes.len() as u64).to_be_bytes());
    hasher.update(bytes);
}

fn put_digest(hasher: &mut Sha256, digest: Option<&Digest>) {
    match digest {
        None => hasher.update([0]),
        Some(digest) => {
            hasher.update([1]);
            hasher.update(digest.as_bytes());
        }
    }
}

/// The hash of entry number `seq` chained after `prev`: SHA-256 over a tag, the number, every field
/// length-prefixed (so no two different entries encode alike) and `prev`.
pub fn link(prev: Digest, seq: u64, entry: &NewEntry) -> Digest {
    let mut hasher = Sha256::new();
    hasher.update(ENTRY_TAG);
    hasher.update(seq.to_be_bytes());
    put(&mut hasher, entry.at.to_string().as_bytes());
    put(&mut hasher, entry.actor.as_bytes());
    put(&mut hasher, entry.origin.as_bytes());
    put(&mut hasher, entry.action.as_bytes());
    put(&mut hasher, entry.target.as_bytes());
    put(&mut hasher, entry.outcome.as_bytes());
    put_digest(&mut hasher, entry.before.as_ref());
    put_digest(&mut hasher, entry.after.as_ref());
    put(&mut hasher, entry.detail.as_bytes());
    hasher.update(prev.as_bytes());
    Digest::from_bytes(hasher.finalize().into())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn at() -> Timestamp {
        Timestamp::parse("2026-12-06T19:33:02+08:00").expect("a valid timestamp")
    }

    pub(crate) fn sample(n: u64) -> NewEntry {
        let mut entry = NewEntry::new(at(), "user:alice", "10.0.0.1", "loan.repay", format!("loan:L{n:06}"));
        entry.after = Some(Digest::of(format!("event {n}").as_bytes()));
        entry
    }

    #[test]
    fn every_field_changes_the_hash() {
        let base = sample(1);
        let hash = link(Digest::GENESIS, 1, &base);
        let mut variants = Vec::new();
        let mut e = base.clone();
        e.actor.push('x');
        variants.push(e);
        let mut e = base.clone();
        e.origin.push('x');
        variants.push(e);
        let mut e = base.clone();
        e.action.push('x');
        variants.push(e);
        let mut e = base.clone();
        e.target.push('x');
        variants.push(e);
        let mut e = base.clone();
        e.outcome = "forbidden".into();
        variants.push(e);
        let mut e = base.clone();
        e.before = Some(Digest::GENESIS);
        variants.push(e);
        let mut e = base.clone();
        e.after = None;
        variants.push(e);
        let mut e = base.clone();
        e.detail = r#"{"a":1}"#.into();
        variants.push(e);
        let mut e = base.clone();
        e.at = Timestamp::parse("2026-12-06T19:33:03+08:00").expect("valid");
        variants.push(e);
        for variant in &variants {
            assert_ne!(link(Digest::GENESIS, 1, variant), hash, "{variant:?}");
        }
        assert_ne!(link(Digest::GENESIS, 2, &base), hash);
        assert_ne!(link(Digest::of(b"x"), 1, &base), hash);
    }

    #[test]
    fn moving_text_between_fields_changes_the_hash() {
        let a = NewEntry::new(at(), "user:ab", "c", "x.y", "");
        let b = NewEntry::new(at(), "user:a", "bc", "x.y", "");
        assert_ne!(link(Digest::GENESIS, 1, &a), link(Digest::GENESIS, 1, &b));
    }

    #[test]
    fn check_names_the_field_out_of_bounds() {
        assert_eq!(sample(1).check(), Ok(()));
        let field = |f: fn(&mut NewEntry)| {
            let mut e = sample(1);
            f(&mut e);
            e.check().expect_err("out of bounds").field
        };
        assert_eq!(field(|e| e.actor = "a".repeat(129)), "actor");
        assert_eq!(field(|e| e.actor.clear()), "actor");
        assert_eq!(field(|e| e.origin = "o".repeat(65)), "origin");
        assert_eq!(field(|e| e.action = "Loan.Repay".into()), "action");
        assert_eq!(field(|e| e.action = "a".repeat(65)), "action");
        assert_eq!(field(|e| e.target = "t".repeat(257)), "target");
        assert_eq!(field(|e| e.target = "a\nb".into()), "target");
        assert_eq!(field(|e| e.outcome = "not ok".into()), "outcome");
        assert_eq!(field(|e| e.detail = "[1]".into()), "detail");
        assert_eq!(field(|e| e.detail = "{".into()), "detail");
        assert_eq!(field(|e| e.detail = format!(r#"{{"a":"{}"}}"#, "x".repeat(4096))), "detail");
    }

    #[test]
    fn an_entry_round_trips_through_json() {
        let entry = Entry::chain(Digest::GENESIS, 1, sample(1));
        let text = serde_json::to_string(&entry).expect("serialises");
        assert!(text.contains(r#""seq":1"#), "{text}");
        assert_eq!(serde_json::from_str::<Entry>(&text).expect("parses"), entry);
    }
}
