//! The registry of credit-model artifacts: what a backend stores about a model and the lifecycle of its status.
//!
//! The store treats an artifact as opaque text keyed by its content hash; fitting, serialising and scoring belong
//! to the `scoring` crate, and so does the lifecycle (`scoring::lifecycle`): a model is registered as
//! [`ModelStatus::Candidate`] and moves as [`ModelStatus::check_move`] allows. Here every move is a row of an
//! append-only history, and the current status is the last row of that history. At most one model per name is
//! champion: promoting one demotes the other ([`ModelStatus::demotes_champion`]) in the same transaction.

use std::future::Future;

use domain::{Date, days_between};
use scoring::lifecycle::ModelStatus;
use serde::{Deserialize, Serialize};

use crate::StoreError;

/// A model artifact to register.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelRecord {
    /// The artifact's content hash: hex SHA-256, 64 lowercase digits. It doubles as the idempotency key.
    pub id: String,
    /// The name models compete under, e.g. `smallholder-pd`; at most one champion per name.
    pub name: String,
    /// The model family, e.g. `scorecard`, `gbdt`, `lightgbm`, `xgboost`, `segmented`.
    pub kind: String,
    /// The version of the artifact's format.
    pub format_version: u32,
    /// When the model was built: an RFC 3339 timestamp from the caller's clock.
    pub created_at: String,
    /// The serialised model, stored and returned byte for byte, never parsed.
    pub artifact_json: String,
}

/// A registered model without its artifact, with its current status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelSummary {
    /// The artifact's content hash.
    pub id: String,
    /// The name it competes under.
    pub name: String,
    /// The model family.
    pub kind: String,
    /// The version of the artifact's format.
    pub format_version: u32,
    /// When the model was built (RFC 3339).
    pub created_at: String,
    /// The status of the model's latest history row.
    pub status: ModelStatus,
}

/// One row of a model's status history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelStatusChange {
    /// The model.
    pub model_id: String,
    /// Position in the model's history, from 1 (its registration).
    pub seq: u32,
    /// The status before; `None` on registration.
    pub from: Option<ModelStatus>,
    /// The status after.
    pub to: ModelStatus,
    /// When, as given by the caller (RFC 3339).
    pub at: String,
    /// Who made the change.
    pub by: String,
    /// Why; an automatic demotion names the model promoted in its place.
    pub reason: String,
}

/// The model registry every backend fulfils. Each method is one transaction.
pub trait ModelRegistry: Send + Sync {
    /// Registers a model as candidate, recording who registered it and when. Registering an id again with the same
    /// record is a no-op returning the stored model (in whatever status it is now); with a different name, kind,
    /// format version, creation time or artifact it is [`StoreError::ModelClash`].
    fn register_model(
        &self,
        record: &ModelRecord,
        at: &str,
        by: &str,
    ) -> impl Future<Output = Result<ModelSummary, StoreError>> + Send;

    /// A model and its artifact, byte-identical to what was registered.
    fn model(&self, id: &str) -> impl Future<Output = Result<Option<(ModelSummary, String)>, StoreError>> + Send;

    /// Every model, or those of one name, ordered by the instant `created_at` names, then by id.
    fn models(&self, name: Option<&str>) -> impl Future<Output = Result<Vec<ModelSummary>, StoreError>> + Send;

    /// Moves a model to `to` if the lifecycle allows it ([`ModelStatus::check_move`]) and returns every change
    /// made, in the order applied: promoting to champion first demotes the name's current champion to challenger.
    /// Moving a model to the status it has is a no-op returning no changes.
    fn set_model_status(
        &self,
        id: &str,
        to: ModelStatus,
        at: &str,
        by: &str,
        reason: &str,
    ) -> impl Future<Output = Result<Vec<ModelStatusChange>, StoreError>> + Send;

    /// A model's status history in order, its registration first; empty for an unknown id.
    fn model_history(&self, id: &str) -> impl Future<Output = Result<Vec<ModelStatusChange>, StoreError>> + Send;

    /// The champion of a name, if any.
    fn champion(&self, name: &str) -> impl Future<Output = Result<Option<ModelSummary>, StoreError>> + Send;
}

fn invalid(model: &str, field: &'static str, problem: &'static str) -> StoreError {
    StoreError::InvalidModel { model: model.to_string(), field, problem }
}

const TIMESTAMP: &str = "must be an RFC 3339 timestamp such as 2026-05-01T09:30:00+08:00";

/// Refuses a record the registry must not hold: an id that is not a SHA-256 in lowercase hex, an empty name or
/// kind, a creation time that is not RFC 3339.
pub(crate) fn check_record(record: &ModelRecord) -> Result<(), StoreError> {
    let id = &record.id;
    if id.len() != 64 || !id.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
        return Err(invalid(id, "id", "must be the artifact's SHA-256 as 64 lowercase hex digits"));
    }
    if record.name.trim().is_empty() {
        return Err(invalid(id, "name", "must not be empty"));
    }
    if record.kind.trim().is_empty() {
        return Err(invalid(id, "kind", "must not be empty"));
    }
    if instant(&record.created_at).is_none() {
        return Err(invalid(id, "created_at", TIMESTAMP));
    }
    Ok(())
}

/// Refuses a status change without an RFC 3339 time or without an author.
pub(crate) fn check_change(model: &str, at: &str, by: &str) -> Result<(), StoreError> {
    if instant(at).is_none() {
        return Err(invalid(model, "at", TIMESTAMP));
    }
    if by.trim().is_empty() {
        return Err(invalid(model, "by", "must not be empty"));
    }
    Ok(())
}

/// The UTC instant an RFC 3339 timestamp names, as seconds since 1970 and nanoseconds, so that timestamps written
/// with different offsets or fraction lengths order by time; `None` unless `text` is
/// `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)` with a year from 1900 to 2199 and no leap second.
pub(crate) fn instant(text: &str) -> Option<(i64, u32)> {
    let date = domain::parse_date(text.get(..10)?).ok()?;
    let rest = text.get(10..)?.strip_prefix(['T', 't'])?;
    let (h, rest) = two_digits(rest, 23)?;
    let (m, rest) = two_digits(rest.strip_prefix(':')?, 59)?;
    let (s, mut rest) = two_digits(rest.strip_prefix(':')?, 59)?;
    let mut nanos = 0;
    if let Some(fraction) = rest.strip_prefix('.') {
        let digits = fraction.bytes().take_while(u8::is_ascii_digit).count();
        if !(1..=9).contains(&digits) {
            return None;
        }
        nanos = fraction[..digits]
            .bytes()
            .chain(std::iter::repeat(b'0'))
            .take(9)
            .fold(0, |n, d| n * 10 + u32::from(d - b'0'));
        rest = &fraction[digits..];
    }
    let offset = match rest {
        "Z" | "z" => 0,
        _ => {
            let sign = match rest.get(..1)? {
                "+" => 1,
                "-" => -1,
                _ => return None,
            };
            let (oh, tail) = two_digits(&rest[1..], 23)?;
            let (om, tail) = two_digits(tail.strip_prefix(':')?, 59)?;
            if !tail.is_empty() {
                return None;
            }
            sign * (oh * 3600 + om * 60)
        }
    };
    let days = days_between(Date::from_ymd_opt(1970, 1, 1)?, date);
    Some((days * 86_400 + h * 3600 + m * 60 + s - offset, nanos))
}

/// Two ASCII digits at the start of `text` making a number no greater than `max`, and what follows.
fn two_digits(text: &str, max: i64) -> Option<(i64, &str)> {
    let digits = text.get(..2)?.as_bytes();
    if !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let value = i64::from(digits[0] - b'0') * 10 + i64::from(digits[1] - b'0');
    (value <= max).then_some((value, &text[2..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_order_by_the_instant_they_name() {
        let utc = instant("2026-05-01T01:00:00Z").expect("valid");
        assert_eq!(instant("2026-05-01T09:00:00+08:00"), Some(utc));
        assert_eq!(instant("2026-04-30T20:30:00-04:30"), Some(utc));
        assert_eq!(instant("1970-01-01T00:00:00Z"), Some((0, 0)));
        assert_eq!(instant("2026-05-01t01:00:00.5z"), Some((utc.0, 500_000_000)));
        assert_eq!(instant("2026-05-01T01:00:00.000000001Z"), Some((utc.0, 1)));
        // Text order would put the fraction first; the instant does not.
        assert!(instant("2026-05-01T01:00:00.5Z") > instant("2026-05-01T01:00:00Z"));
        for bad in [
            "",
            "2026-05-01",
            "2026-05-01 01:00:00Z",
            "2026-05-01T01:00:00",
            "2026-05-01T24:00:00Z",
            "2026-05-01T01:60:00Z",
            "2026-05-01T01:00:60Z",
            "2026-02-30T01:00:00Z",
            "2026-05-01T01:00:00.Z",
            "2026-05-01T01:00:00.1234567890Z",
            "2026-05-01T01:00:00+0800",
            "2026-05-01T01:00:00+08:00 ",
            "2026-05-01T01:00:00Z+",
            "2026-05-01T1:00:00Z",
            "2026-05-01T01:00:00＋08:00",
            "1899-12-31T23:59:59Z",
        ] {
            assert_eq!(instant(bad), None, "{bad:?}");
        }
    }
}
