//! The manual review of referred decisions: an officer's action, bounded before the store's workflow sees it. An
//! approval lends at most what the decision allowed — its limit, or where the policy set none the amount asked for
//! — and never more than the product's cap (`decide::request::MAX_AMOUNT_YUAN`): more needs a new decision. Reasons and notes
//! are required, not blank, and at most [`MAX_TEXT_CHARS`] characters. The maker-checker rules themselves are the
//! store's (`store::ReviewWorkflow`).

use domain::{Clock, Money};
use serde_json::Value;
use store::{DecisionLog, ReviewAction, ReviewWorkflow, Reviewed};

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
    let decided = decided_terms(record)?;
    let asked = record["request"]["amount_yuan"].as_str().and_then(|a| Money::parse_yuan(a).ok());
    let allowed = if decided.limit.is_positive() { decided.limit } else { asked.unwrap_or(Money::ZERO) };
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
    if let ReviewAction::Approve { amount_fen } = action {
        let decision = store.decision(decision_id).await?.ok_or_else(|| {
            Error::coded(ErrorCode::UnknownDecision, "decision", format!("decision {decision_id} not found"))
        })?;
        let record: Value = serde_json::from_str(&decision.record_json).map_err(Error::internal)?;
        let ceiling = approval_ceiling(&record)?;
        if amount_fen <= 0 || amount_fen > ceiling.fen() {
            return Err(Error::coded(
                ErrorCode::OutOfRange,
                "amount_yuan",
                format!(
                    "{} yuan is outside 0.01–{ceiling} yuan: the decision's limit and the product's cap (more needs a \
                     new decision)",
                    Money::from_fen(amount_fen)
                ),
            ));
        }
    }
    Ok(store.review(decision_id, officer_id, action, reason, &clock.now_rfc3339()).await?)
}
