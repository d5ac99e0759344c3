//! From a decision to a loan: `POST /v1/decisions/{id}/disbursement` books the loan on the decided terms through
//! the lending core (`App::create_loan`, terms validated by `LoanTerms::new` on the China crop calendar) and posts
//! the disbursement keyed by the client's request id; `GET /v1/loans/{id}` and `POST /v1/loans/{id}/repayments`.
//!
//! One loan per decision: its id is derived from the decision id, so a second disbursement request for the same
//! decision finds the loan. The same request id again answers 200 with the loan; another request id is refused.

use app::ErrorCode;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use decide::Terms;
use domain::{BorrowerId, Crop, CropCalendar, Date, LoanId, Money, Region, RepaymentId};
use lending::{DatedEvent, LoanEvent, LoanTerms};
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::Value;
use store::{DecisionLog, Disbursement, LoanStore, Outcome, ReviewState, ReviewWorkflow};

use super::Shared;
use super::error::{ApiError, ErrorBody, parse_body};

/// The classification rules loans booked through the API follow.
const RULES: &str = "cbirc-2023";

/// A request field holding a date, YYYY-MM-DD; 422 `invalid_field` naming it otherwise.
pub(super) fn date(field: &str, text: &str) -> Result<Date, ApiError> {
    domain::parse_date(text).map_err(|e| {
        ApiError::unprocessable(ErrorCode::InvalidField, field, format!("'{text}' is not a date YYYY-MM-DD ({e})"))
    })
}

fn loan_id(text: &str) -> Result<LoanId, ApiError> {
    LoanId::parse(text).map_err(|e| ApiError::whole(ErrorCode::UnknownLoan, format!("loan {text} not found ({e})")))
}

/// The decided terms read back from a stored record.
fn terms_of(record: &Value) -> Result<Terms, ApiError> {
    let t = &record["terms"];
    let bad = |what: &str| ApiError::internal(format!("stored decision record: terms.{what} is unreadable"));
    let fen = |key: &str| t[key].as_i64().map(Money::from_fen).ok_or_else(|| bad(key));
    let harvest = match &t["harvest"] {
        Value::Null => None,
        h => {
            let crop: Crop = h["crop"].as_str().and_then(|c| c.parse().ok()).ok_or_else(|| bad("harvest.crop"))?;
            let region: Region =
                h["region"].as_str().and_then(|r| r.parse().ok()).ok_or_else(|| bad("harvest.region"))?;
            Some((crop, region))
        }
    };
    Ok(Terms {
        limit: fen("limit_fen")?,
        amount: fen("amount_fen")?,
        term_months: t["term_months"].as_u64().and_then(|m| u32::try_from(m).ok()).ok_or_else(|| bad("term_months"))?,
        annual_rate: t["annual_rate"]
            .as_str()
            .map(str::parse::<Decimal>)
            .transpose()
            .map_err(|_| bad("annual_rate"))?,
        product: t["product"].as_str().map(str::to_owned),
        interest_every: t["interest_every"].as_str().map(str::to_owned),
        harvest,
        batch_months: t["batch_months"]
            .as_array()
            .map(|a| a.iter().filter_map(|m| m.as_u64().and_then(|m| u32::try_from(m).ok())).collect())
            .unwrap_or_default(),
    })
}

/// A disbursement request.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DisbursementBody {
    /// The client's id of this request (idempotency key).
    pub request_id: String,
    /// The disbursement date, YYYY-MM-DD: the loan starts on it.
    pub disbursed_on: String,
}

/// POST /v1/decisions/{id}/disbursement: books and disburses the loan of an approved decision.
#[utoipa::path(post, path = "/v1/decisions/{id}/disbursement", params(("id" = String, Path, description = "Decision id")),
    request_body = DisbursementBody, responses(
    (status = 201, description = "Loan booked and disbursed"),
    (status = 200, description = "Disbursed before under this request id"),
    (status = 404, description = "unknown_decision", body = ErrorBody),
    (status = 409, description = "not_approved, already_disbursed", body = ErrorBody),
    (status = 422, description = "missing_field, invalid_field", body = ErrorBody)))]
pub async fn disburse(State(server): State<Shared>, Path(id): Path<String>, body: Bytes) -> Result<Response, ApiError> {
    let body: DisbursementBody = parse_body(&body)?;
    let key = RepaymentId::parse(&body.request_id)
        .map_err(|e| ApiError::unprocessable(ErrorCode::InvalidField, "request_id", e.to_string()))?;
    let start = date("disbursed_on", &body.disbursed_on)?;
    let decision = server
        .store
        .decision(&id)
        .await?
        .ok_or_else(|| ApiError::whole(ErrorCode::UnknownDecision, format!("decision {id} not found")))?;
    // An automated approval lends the decided amount; a referral only once a person approved it, for the amount
    // approved (maker-checker above the officer's authority).
    let approved_fen = match decision.outcome {
        Outcome::Approve => None,
        _ => match server.store.review_state(&id).await? {
            ReviewState::Approved { amount_fen, .. } => Some(amount_fen),
            state => {
                return Err(ApiError::field(
                    ErrorCode::NotApproved,
                    "outcome",
                    format!(
                        "decision {id} is a {} (review: {state:?}); only an approval is disbursed",
                        decision.outcome
                    ),
                ));
            }
        },
    };
    let loan = LoanId::parse(&format!("L{}", decision.decision_id)).map_err(ApiError::internal)?;
    if server.store.loan(&loan).await?.is_some() {
        let events = server.store.events(&loan).await?;
        let same = events
            .iter()
            .any(|e| e.key.as_deref() == Some(key.as_str()) && matches!(e.dated.event, LoanEvent::Disbursed { .. }));
        if !same {
            return Err(ApiError::field(
                ErrorCode::AlreadyDisbursed,
                "request_id",
                format!("decision {id} was disbursed as loan {loan} under another request id"),
            ));
        }
        let position = server.app.position(&loan, start).await?;
        return Ok((StatusCode::OK, axum::Json(app::views::loan_json(&position))).into_response());
    }
    let record: Value = serde_json::from_str(&decision.record_json).map_err(ApiError::internal)?;
    let mut terms = terms_of(&record)?;
    if let Some(fen) = approved_fen {
        terms.amount = Money::from_fen(fen);
    }
    let request = terms.terms_request(start).ok_or_else(|| ApiError::internal("approved decision without terms"))?;
    let terms = LoanTerms::new(&request, &CropCalendar::china_default()).map_err(|e| {
        ApiError::unprocessable(
            ErrorCode::InvalidField,
            e.field,
            format!("the decided terms cannot start on {start}: {}", e.reason),
        )
    })?;
    let borrower = BorrowerId::parse(&decision.subject).map_err(ApiError::internal)?;
    let amount = terms.principal();
    server.app.create_loan(Some(loan.clone()), borrower, terms, RULES, &format!("decision {id}")).await?;
    let event = DatedEvent { date: start, event: LoanEvent::Disbursed { amount } };
    server.app.post(&loan, event, Some(key.as_str().to_owned())).await?;
    let disbursement = Disbursement {
        decision_id: decision.decision_id.clone(),
        loan_id: loan.as_str().to_owned(),
        request_id: key.as_str().to_owned(),
        amount_fen: amount.fen(),
        disbursed_at: server.clock.now_rfc3339(),
    };
    server.store.record_disbursement(&disbursement).await?;
    let position = server.app.position(&loan, start).await?;
    Ok((StatusCode::CREATED, axum::Json(app::views::loan_json(&position))).into_response())
}

/// The date a loan is viewed on.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct AsOf {
    /// YYYY-MM-DD; default today (China Standard Time).
    pub as_of: Option<String>,
}

/// GET /v1/loans/{id}: the loan's position.
#[utoipa::path(get, path = "/v1/loans/{id}", params(("id" = String, Path, description = "Loan id"), AsOf), responses(
    (status = 200, description = "The loan's state"),
    (status = 404, description = "unknown_loan", body = ErrorBody)))]
pub async fn position(
    State(server): State<Shared>,
    Path(id): Path<String>,
    Query(as_of): Query<AsOf>,
) -> Result<Response, ApiError> {
    let loan = loan_id(&id)?;
    let on = match as_of.as_of {
        Some(text) => date("as_of", &text)?,
        None => server.clock.today(),
    };
    if server.store.loan(&loan).await?.is_none() {
        return Err(ApiError::whole(ErrorCode::UnknownLoan, format!("loan {id} not found")));
    }
    let position = server.app.position(&loan, on).await?;
    Ok(axum::Json(app::views::loan_json(&position)).into_response())
}

/// A repayment.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RepaymentBody {
    /// The repayment's id (idempotency key).
    pub id: String,
    /// Amount in yuan, at most two decimals.
    pub amount_yuan: String,
    /// Date received, YYYY-MM-DD.
    pub date: String,
}

/// POST /v1/loans/{id}/repayments: posts a repayment through the lending core, idempotent by its id.
#[utoipa::path(post, path = "/v1/loans/{id}/repayments", params(("id" = String, Path, description = "Loan id")),
    request_body = RepaymentBody, responses(
    (status = 201, description = "Posted"),
    (status = 200, description = "Posted before under this id"),
    (status = 404, description = "unknown_loan", body = ErrorBody),
    (status = 409, description = "request_reused", body = ErrorBody),
    (status = 422, description = "invalid_field", body = ErrorBody)))]
pub async fn repay(State(server): State<Shared>, Path(id): Path<String>, body: Bytes) -> Result<Response, ApiError> {
    let body: RepaymentBody = parse_body(&body)?;
    let loan = loan_id(&id)?;
    let repayment = RepaymentId::parse(&body.id)
        .map_err(|e| ApiError::unprocessable(ErrorCode::InvalidField, "id", e.to_string()))?;
    let amount = Money::parse_yuan(&body.amount_yuan)
        .map_err(|e| ApiError::unprocessable(ErrorCode::InvalidField, "amount_yuan", e.to_string()))?;
    if !amount.is_positive() {
        return Err(ApiError::unprocessable(ErrorCode::OutOfRange, "amount_yuan", "must be greater than zero"));
    }
    let when = date("date", &body.date)?;
    if server.store.loan(&loan).await?.is_none() {
        return Err(ApiError::whole(ErrorCode::UnknownLoan, format!("loan {id} not found")));
    }
    let key = Some(repayment.as_str().to_owned());
    let event = DatedEvent { date: when, event: LoanEvent::Repaid { id: repayment, amount } };
    let posted = server.app.post(&loan, event, key).await?;
    let status = if posted.duplicate { StatusCode::OK } else { StatusCode::CREATED };
    Ok((status, axum::Json(app::views::posted_json(loan.as_str(), &posted))).into_response())
}
