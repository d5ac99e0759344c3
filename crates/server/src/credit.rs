//! Policy replay and whole-village pre-credit over HTTP: `POST /v1/policies/simulate` replays past applications
//! through a candidate policy sent in the body (checked statically first) beside the champion, and
//! `GET /v1/villages/{code}/roster` runs every household of a village through the policy. Both are the commands'
//! own functions (`policy_sim::simulate`, `village::credit_roster`), run off the async workers; neither writes.

use app::ErrorCode;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::Shared;
use super::error::{ApiError, ErrorBody, parse_body};
use super::loans::date;
use crate::limits::JsonBody;
use crate::page::{PageQuery, link_next};
use app::Error as CliError;

/// Runs CPU-bound work on the blocking pool.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, CliError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(work).await.map_err(ApiError::internal)?.map_err(ApiError::from)
}

/// A candidate policy and the period to replay.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SimulateBody {
    /// The candidate JDM graph (the document GoRules' editor saves).
    #[schema(value_type = Object)]
    pub candidate: serde_json::Value,
    /// First application date, YYYY-MM-DD.
    #[schema(format = Date, pattern = "^(19[0-9]{2}|2[01][0-9]{2})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")]
    pub from: String,
    /// Last application date, YYYY-MM-DD (not before `from`).
    #[schema(format = Date, pattern = "^(19[0-9]{2}|2[01][0-9]{2})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")]
    pub to: String,
}

/// POST /v1/policies/simulate: the swap set, approval rates, expected and realised bad rates and volume by segment
/// and tier of the candidate beside the champion, over the stored applications of the period. Nothing is written.
#[utoipa::path(post, path = "/v1/policies/simulate", request_body = SimulateBody, responses(
    (status = 200, description = "The comparison"),
    (status = 422, description = "policy_check_failed (naming node, rule and column), invalid_field", body = ErrorBody),
    (status = 503, description = "not_ready", body = ErrorBody)))]
pub async fn simulate(State(server): State<Shared>, JsonBody(body): JsonBody) -> Result<Response, ApiError> {
    let body: SimulateBody = parse_body(&body)?;
    let (from, to) = (date("from", &body.from)?, date("to", &body.to)?);
    let candidate = app::policy_sim::candidate("candidate", &body.candidate.to_string())?;
    let decider = server.decider()?;
    let screening = std::sync::Arc::clone(&server.screening);
    let withheld = move |household: &str, on| screening.as_of(household, on).withheld;
    let result =
        blocking(move || app::policy_sim::simulate(&decider, &candidate, "candidate", from, to, &withheld)).await?;
    Ok(axum::Json(result.json()).into_response())
}

/// The date of a roster.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct On {
    /// YYYY-MM-DD; default today (China Standard Time).
    #[param(format = Date, pattern = "^(19[0-9]{2}|2[01][0-9]{2})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")]
    pub on: Option<String>,
}

/// GET /v1/villages/{code}/roster: whole-village pre-credit (整村授信): every household's grade, tier, limit, price,
/// product and reasons, in household-id order a page of `rows` at a time (the next page named by the `Link` header,
/// `rel="next"`, absent on the last page), with the whole village's totals and 信用村 rating on every page.
#[utoipa::path(get, path = "/v1/villages/{code}/roster", params(("code" = String, Path, description = "12-digit village code"), On, PageQuery),
    responses(
    (status = 200, description = "The roster (one page of rows) and the village rating",
        headers(("link" = String, description = "The next page: `</v1/villages/{code}/roster?on=YYYY-MM-DD&limit=N&cursor=…>; rel=\"next\"`, the date of the first page"))),
    (status = 404, description = "unknown_village, unknown_applicant (the cursor is not a household of the roster)", body = ErrorBody),
    (status = 422, description = "invalid_field (on), out_of_range (limit)", body = ErrorBody),
    (status = 503, description = "not_ready", body = ErrorBody)))]
pub async fn roster(
    State(server): State<Shared>,
    axum::Extension(principal): axum::Extension<identity::Principal>,
    Path(code): Path<String>,
    Query(on): Query<On>,
    Query(page): Query<PageQuery>,
) -> Result<Response, ApiError> {
    let page = page.request()?;
    crate::scope::village(&principal, &code)?;
    let on = match on.on {
        Some(text) => date("on", &text)?,
        None => server.clock.today(),
    };
    let decider = server.decider()?;
    let village = code.clone();
    let screening = std::sync::Arc::clone(&server.screening);
    let screened = move |household: &str, on| screening.as_of(household, on);
    let roster = tokio::task::spawn_blocking(move || app::village::credit_roster(&decider, &village, on, &screened))
        .await
        .map_err(ApiError::internal)?
        .map_err(|e| match e {
            // The village is the path's `code` here.
            CliError::Refused { code: ErrorCode::UnknownVillage, message, .. } => {
                ApiError::field(ErrorCode::UnknownVillage, "code", message)
            }
            other => ApiError::from(other),
        })?;
    let (roster, next) = roster.page(&page)?;
    let mut response = axum::Json(roster).into_response();
    if let Some(last) = &next {
        link_next(&mut response, &format!("/v1/villages/{code}/roster?on={on}"), page.limit(), last);
    }
    Ok(response)
}
