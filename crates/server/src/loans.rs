//! From a decision to a loan: `POST /v1/decisions/{id}/disbursement` books the loan on the decided terms through
//! the lending core (`App::create_loan`, terms validated by `LoanTerms::new` on the China crop calendar) and posts
//! the disbursement keyed by the client's request id; `GET /v1/loans/{id}` and `POST /v1/loans/{id}/repayments`.
//!
//! One loan per decision: its id is derived from the decision id, so a second disbursement request for the same
//! decision finds the loan. The same request id again answers 200 with the loan; another request id is refused.

use app::ErrorCode;
use app::disbursement::{DisbursementRequest, disburse as disburse_decision};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use domain::{Date, LoanId, Money, RepaymentId};
use lending::{DatedEvent, LoanEvent};
use serde::Deserialize;

use super::Shared;
use super::error::{ApiError, ErrorBody, parse_body};
use crate::limits::JsonBody;

/// A request field holding a date, YYYY-MM-DD; 422 `invalid_field` naming it otherwise.
pub(super) fn date(field: &str, text: &str) -> Result<Date, ApiError> {
    domain::parse_date(text).map_err(|e| {
        ApiError::unprocessable(ErrorCode::InvalidField, field, format!("'{text}' is not a date YYYY-MM-DD ({e})"))
    })
}

fn loan_id(text: &str) -> Result<LoanId, ApiError> {
    LoanId::parse(text).map_err(|e| ApiError::whole(ErrorCode::UnknownLoan, format!("loan {text} not found ({e})")))
}

/// A disbursement request.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DisbursementBody {
    /// The client's id of this request (idempotency key).
    #[schema(pattern = "^[A-Za-z0-9._-]{1,64}$")]
    pub request_id: String,
    /// The disbursement date, YYYY-MM-DD: the loan starts on it; on or after the application date, within its
    /// validity, and within the window around today.
    #[schema(format = Date, pattern = "^(19[0-9]{2}|2[01][0-9]{2})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")]
    pub disbursed_on: String,
}

/// POST /v1/decisions/{id}/disbursement: books and disburses the loan of an approved decision.
#[utoipa::path(post, path = "/v1/decisions/{id}/disbursement", params(("id" = String, Path, description = "Decision id")),
    request_body = DisbursementBody, responses(
    (status = 201, description = "Loan booked and disbursed"),
    (status = 200, description = "Disbursed before under this request id"),
    (status = 404, description = "unknown_decision", body = ErrorBody),
    (status = 409, description = "not_approved, already_disbursed, request_reused", body = ErrorBody),
    (status = 422, description = "missing_field, invalid_field, out_of_range (date outside the decision's validity or the window around today)", body = ErrorBody)))]
pub async fn disburse(
    State(server): State<Shared>,
    axum::Extension(principal): axum::Extension<identity::Principal>,
    addr: crate::auth::ClientAddr,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    crate::scope::decision(&server, &principal, &id).await?;
    let body: DisbursementBody = parse_body(&body)?;
    RepaymentId::parse(&body.request_id)
        .map_err(|e| ApiError::unprocessable(ErrorCode::InvalidField, "request_id", e.to_string()))?;
    let request = DisbursementRequest {
        decision_id: id,
        request_id: body.request_id,
        disbursed_on: date("disbursed_on", &body.disbursed_on)?,
    };
    let done = disburse_decision(
        &crate::auth::store_as(&server, &principal, addr),
        server.clock.as_ref(),
        Some(server.windows.disbursements),
        &request,
    )
    .await?;
    let status = if done.new { StatusCode::CREATED } else { StatusCode::OK };
    Ok((status, axum::Json(app::views::loan_json(&done.position))).into_response())
}

/// The date a loan is viewed on.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AsOf {
    /// YYYY-MM-DD; default today (China Standard Time).
    #[param(format = Date, pattern = "^(19[0-9]{2}|2[01][0-9]{2})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")]
    pub as_of: Option<String>,
}

/// GET /v1/loans/{id}: the loan's position.
#[utoipa::path(get, path = "/v1/loans/{id}", params(("id" = String, Path, description = "Loan id"), AsOf), responses(
    (status = 200, description = "The loan's state"),
    (status = 404, description = "unknown_loan", body = ErrorBody),
    (status = 422, description = "invalid_field (as_of)", body = ErrorBody)))]
pub async fn position(
    State(server): State<Shared>,
    axum::Extension(principal): axum::Extension<identity::Principal>,
    Path(id): Path<String>,
    Query(as_of): Query<AsOf>,
) -> Result<Response, ApiError> {
    let loan = loan_id(&id)?;
    let on = match as_of.as_of {
        Some(text) => date("as_of", &text)?,
        None => server.clock.today(),
    };
    crate::scope::loan(&server, &principal, &loan).await?;
    let position = server.app.position(&loan, on).await?;
    Ok(axum::Json(app::views::loan_json(&position)).into_response())
}

/// A repayment.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RepaymentBody {
    /// The repayment's id (idempotency key).
    #[schema(pattern = "^[A-Za-z0-9._-]{1,64}$")]
    pub id: String,
    /// Amount in yuan, at most two decimals, greater than zero; at most what the loan can take plus the
    /// overpayment margin.
    #[schema(pattern = "^(0\\.(0[1-9]|[1-9][0-9]?)|[1-9][0-9]{0,9}(\\.[0-9]{1,2})?)$")]
    pub amount_yuan: String,
    /// Date received, YYYY-MM-DD; within the window around today (never in the future).
    #[schema(format = Date, pattern = "^(19[0-9]{2}|2[01][0-9]{2})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")]
    pub date: String,
}

/// Event-driven monitoring after a new posting: the loan's borrower is evaluated today, in the background once the
/// posting is stored (the answer does not wait for it; what it raises is on the alert board; a failure is logged,
/// and the daily run evaluates the borrower again in any case).
fn evaluate_after_posting(server: &Shared, loan: &LoanId) {
    let (store, loan, today, now) = (server.store.clone(), loan.clone(), server.clock.today(), server.clock.now());
    tokio::spawn(async move {
        if let Err(e) = app::monitoring::after_posting(&store, &loan, today, now).await {
            tracing::warn!(loan = loan.as_str(), error = %e, "event-driven monitoring after a posting failed");
        }
    });
}

/// POST /v1/loans/{id}/repayments: posts a repayment through the lending core, idempotent by its id.
#[utoipa::path(post, path = "/v1/loans/{id}/repayments", params(("id" = String, Path, description = "Loan id")),
    request_body = RepaymentBody, responses(
    (status = 201, description = "Posted"),
    (status = 200, description = "Posted before under this id"),
    (status = 404, description = "unknown_loan", body = ErrorBody),
    (status = 409, description = "request_reused, conflict, loan_refused", body = ErrorBody),
    (status = 422, description = "invalid_field, out_of_range (amount, or a date outside the window around today)", body = ErrorBody)))]
pub async fn repay(
    State(server): State<Shared>,
    axum::Extension(principal): axum::Extension<identity::Principal>,
    addr: crate::auth::ClientAddr,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let loan = loan_id(&id)?;
    // Another branch's loan is unknown whatever the body says.
    crate::scope::loan(&server, &principal, &loan).await?;
    let body: RepaymentBody = parse_body(&body)?;
    let repayment = RepaymentId::parse(&body.id)
        .map_err(|e| ApiError::unprocessable(ErrorCode::InvalidField, "id", e.to_string()))?;
    let amount = Money::parse_yuan(&body.amount_yuan)
        .map_err(|e| ApiError::unprocessable(ErrorCode::InvalidField, "amount_yuan", e.to_string()))?;
    if !amount.is_positive() {
        return Err(ApiError::unprocessable(ErrorCode::OutOfRange, "amount_yuan", "must be greater than zero"));
    }
    let when = date("date", &body.date)?;
    server.windows.repayments.check("date", when, server.clock.today())?;
    let key = Some(repayment.as_str().to_owned());
    let event = DatedEvent { date: when, event: LoanEvent::Repaid { id: repayment, amount } };
    let posted =
        server.app.with_store(crate::auth::store_as(&server, &principal, addr)).post(&loan, event, key).await?;
    if !posted.duplicate {
        evaluate_after_posting(&server, &loan);
    }
    let status = if posted.duplicate { StatusCode::OK } else { StatusCode::CREATED };
    Ok((status, axum::Json(app::views::posted_json(loan.as_str(), &posted))).into_response())
}
