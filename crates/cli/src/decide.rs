//! `agririsk decide …`: the decision model and single applications, over the service layer's `app::decisions`.

use std::path::Path;

use app::decisions::apply;
use decide::{ApplicationRequest, Decided};

use crate::Place;
use crate::args::Format;
use crate::error::CliError;
use crate::{SystemClock, emit, with_store};

/// A refused application as a command-line error (exit 2) naming the field and, in brackets, the code.
pub fn refused(e: CliError) -> CliError {
    match e {
        CliError::Refused { code, field, message } => CliError::Refused {
            code,
            field: Some(field.unwrap_or_else(|| code.as_str().to_owned())),
            message: format!("[{code}] {message}"),
        },
        other => other,
    }
}

/// Money as yuan with two decimals.
fn yuan(m: domain::Money) -> String {
    format!("{:.2}", m.to_yuan_decimal())
}

/// A decision in a few lines a loan officer can read.
pub fn decision_text(decision_id: &str, household: &str, decided: &Decided) -> String {
    let t = &decided.terms;
    let mut out = format!("{decision_id}  {household}  {}", decided.outcome.code().to_uppercase());
    if let Some(segment) = &decided.segment {
        out.push_str(&format!("  segment {segment}"));
    }
    if let Some(tier) = &decided.tier {
        out.push_str(&format!("  tier {tier}"));
    }
    out.push('\n');
    if decided.outcome != workflow::Outcome::Decline {
        let rate =
            t.annual_rate.map_or("-".into(), |r| format!("{:.2}%", r.annual() * rust_decimal::Decimal::ONE_HUNDRED));
        out.push_str(&format!(
            "  limit {} yuan, amount {} yuan, {} months at {rate}, product {}{}\n",
            yuan(t.limit),
            yuan(t.amount),
            t.term_months,
            t.product.map_or("-", lending::ProductKind::code),
            t.harvest.map_or(String::new(), |h| format!(" (harvest of {} in {})", h.crop.code(), h.region.code())),
        ));
    }
    out.push_str(&format!(
        "  PD {:.2}%, score {}, policy {}\n",
        decided.pd * 100.0,
        decided.score,
        decided.policy_version
    ));
    if !decided.withheld.is_empty() {
        out.push_str(&format!(
            "  not read, for want of the applicant's consent to them for credit assessment: {}\n",
            decided.withheld.codes().join(", ")
        ));
    }
    for r in &decided.reasons {
        out.push_str(&format!("  · {} {} / {}\n", r.code, r.zh, r.en));
    }
    out
}

/// `agririsk decide apply FILE`: decides one application (JSON) and records the decision; the same request id
/// again returns the recorded decision.
pub async fn apply_command(at: &Place, file: &Path, format: Format) -> Result<(), CliError> {
    let bytes =
        std::fs::read(file).map_err(|e| CliError::input("file", format!("{}: cannot read: {e}", file.display())))?;
    let request = ApplicationRequest::from_json(&bytes).map_err(|e| refused(e.into()))?;
    let (record, decided, existing) =
        with_store(at, async |store| apply(store, &request, &SystemClock).await.map_err(refused)).await?;
    if format == Format::Json {
        let value: serde_json::Value =
            serde_json::from_str(record.record_json.as_str()).map_err(|e| CliError::Internal(e.into()))?;
        return crate::print_json(&value);
    }
    let mut text = decision_text(record.decision_id.as_str(), &record.subject, &decided);
    if existing {
        text.push_str("  (decided before under this request id; nothing new was recorded)\n");
    }
    emit(&text)
}

/// `agririsk decide train`: trains the decision scorecard on the ingested applications and writes it.
pub async fn train_command(at: &Place, up_to: &str, horizon: u32, out: &Path) -> Result<(), CliError> {
    let up_to = domain::parse_date(up_to).map_err(|e| CliError::input("as-of", e))?;
    let artifact = with_store(at, async |store| {
        app::models::train_decision_scorecard(store, up_to, horizon, out, &SystemClock).await
    })
    .await?;
    emit(&crate::model::summary(&artifact, out))
}
