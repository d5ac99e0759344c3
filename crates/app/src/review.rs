//! The manual review of referred decisions: an officer's action, bounded before the store's workflow sees it. An
//! approval lends at most what the decision allowed — its limit, or where the policy set none the amount asked for
//! — and never more than the product's cap (`decide::request::MAX_AMOUNT_YUAN`): more needs a new decision. Reasons and notes
//! are required, not blank, and at most [`MAX_TEXT_CHARS`] characters. The maker-checker rules themselves are
//! `workflow`'s (`workflow::ReviewState::after`), applied by the store in the recording transaction
//! (`store::ReviewWorkflow`).
//!
//! Officers working the queue claim cases ([`claim`]): each claim gives the oldest open case nobody holds that the
//! officer may act on, for a lease of one minute to eight hours (30 minutes unless asked), and while it runs another
//! officer's action on the case is refused (`claimed`). [`release`] gives a case back before its lease ends.

use domain::{Clock, Money};
use serde_json::Value;
use store::{DecisionLog, ReviewWorkflow};
use workflow::{Claim, Lease, QueueItem, ReviewAction, Reviewed};

use crate::disbursement::decided_terms;
use crate::error::{Error, ErrorCode};

/// The longest reason, note or channel accepted, in characters.
pub const MAX_TEXT_CHARS: usize = 500;

/// Checks a free-text field: required, not blank, at most [`MAX_TEXT_CHARS`] characters.
pub fn text(field: &str, value: &str) -> Result<(), Error> {
    if value.trim().is_empty() {
        return Err(Error::coded(ErrorCode::InvalidField, field, "must not be blank"));
    }
    let chars = value.chars().count();
    if chars > MAX_TEXT_CHARS {
        return Err(Error::coded(
            ErrorCode::InvalidField,
            field,
            format!("is {chars} characters long; at most {MAX_TEXT_CHARS}"),
        ));
    }
    Ok(())
}

/// The most a review may approve on a decision: its limit, or without one the amount asked for, and never more
/// than the product's cap.
pub fn approval_ceiling(record: &Value) -> Result<Money, Error> {
    let limit = decided_terms(record)?.limit;
    let asked = record["request"]["amount_yuan"].as_str().and_then(|a| Money::parse_yuan(a).ok());
    let allowed = if limit.is_positive() { limit } else { asked.unwrap_or(Money::ZERO) };
    Ok(allowed.min(Money::from_yuan(decide::request::MAX_AMOUNT_YUAN)))
}

/// An officer's action on a referred decision.
pub async fn review<S: DecisionLog + ReviewWorkflow>(
    store: &S,
    clock: &(dyn Clock + Send + Sync),
    decision_id: &str,
    officer_id: &str,
    action: ReviewAction,
    reason: &str,
) -> Result<Reviewed, Error> {
    text("reason", reason)?;
    if let ReviewAction::Approve { amount } = action {
        let decision = store.decision(decision_id).await?.ok_or_else(|| {
            Error::coded(ErrorCode::UnknownDecision, "decision", format!("decision {decision_id} not found"))
        })?;
        let record: Value = serde_json::from_str(decision.record_json.as_str()).map_err(Error::internal)?;
        let ceiling = approval_ceiling(&record)?;
        if !amount.is_positive() || amount > ceiling {
            return Err(Error::coded(
                ErrorCode::OutOfRange,
                "amount_yuan",
                format!(
                    "{} yuan is outside 0.01–{ceiling} yuan: the decision's limit and the product's cap (more needs a \
                     new decision)",
                    amount
                ),
            ));
        }
    }
    Ok(store.review(decision_id, officer_id, action, reason, &clock.now()).await?)
}

/// The lease a claim asks for in seconds, or the default one; outside its bounds `out_of_range` naming `lease_s`.
pub fn lease(lease_s: Option<u32>) -> Result<Lease, Error> {
    match lease_s {
        None => Ok(Lease::DEFAULT),
        Some(seconds) => Lease::seconds(seconds).map_err(|e| {
            Error::coded(
                ErrorCode::OutOfRange,
                "lease_s",
                format!("{seconds} is outside {}–{} seconds ({e})", Lease::MIN_S, Lease::MAX_S),
            )
        }),
    }
}

/// Claims the oldest open case `officer_id` may act on and `within` accepts (the caller's scope) for `lease_s`
/// seconds ([`lease`]); `None` when there is none.
pub async fn claim<S: ReviewWorkflow>(
    store: &S,
    clock: &(dyn Clock + Send + Sync),
    officer_id: &str,
    lease_s: Option<u32>,
    within: &(dyn Fn(&QueueItem) -> bool + Sync),
) -> Result<Option<Claim>, Error> {
    let lease = lease(lease_s)?;
    Ok(store.claim_next(officer_id, &clock.now(), lease, within).await?)
}

/// Gives back `officer_id`'s claim on a decision: `true` when they held one. Another officer's running claim is
/// `claimed`.
pub async fn release<S: ReviewWorkflow>(
    store: &S,
    clock: &(dyn Clock + Send + Sync),
    decision_id: &str,
    officer_id: &str,
) -> Result<bool, Error> {
    Ok(store.release_claim(decision_id, officer_id, &clock.now()).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(limit_fen: i64, product: Value) -> Value {
        serde_json::json!({
            "format": "agririsk.decision/1",
            "request": { "amount_yuan": "30000.00" },
            "terms": {
                "limit_fen": limit_fen, "amount_fen": limit_fen.min(3_000_000), "term_months": 10,
                "annual_rate": "0.04", "product": product, "interest_every": "monthly", "harvest": null,
                "batch_months": []
            }
        })
    }

    #[test]
    fn a_lease_is_the_default_or_within_its_bounds() {
        assert_eq!(lease(None).expect("default"), Lease::DEFAULT);
        assert_eq!(lease(Some(60)).expect("a minute").as_seconds(), 60);
        for refused in [0, 59, 28_801, u32::MAX] {
            match lease(Some(refused)) {
                Err(Error::Refused { code, field, .. }) => {
                    assert_eq!((code, field.as_deref()), (ErrorCode::OutOfRange, Some("lease_s")))
                }
                other => panic!("{refused}: {other:?}"),
            }
        }
    }

    #[test]
    fn the_ceiling_is_the_typed_limit_or_else_the_amount_asked() {
        let equal_installment = serde_json::to_value(lending::ProductKind::EqualInstallment).expect("a code");
        let ceiling = approval_ceiling(&record(2_800_000, equal_installment.clone())).expect("readable");
        assert_eq!(ceiling, Money::from_yuan(28_000));
        assert_eq!(approval_ceiling(&record(0, Value::Null)).expect("readable"), Money::from_yuan(30_000));
        // Terms the typed contract cannot read are the store's fault, not the officer's.
        let err = approval_ceiling(&record(-5, equal_installment)).expect_err("a negative limit");
        assert!(matches!(err, Error::Internal(_)), "{err:?}");
        let err = approval_ceiling(&record(2_800_000, "balloon".into())).expect_err("an unknown product");
        assert!(matches!(err, Error::Internal(_)), "{err:?}");
    }
}
