//! The early-warning alert board over HTTP: `GET /v1/alerts` (the board, filtered and in keyset pages),
//! `GET /v1/alerts/{alert_id}` (one alert with its evidence, recommended actions and history) and
//! `POST /v1/alerts/{alert_id}/actions` (a workflow step: assign, acknowledge, record an action, escalate, close),
//! through `app::alerts`. The caller sees the alerts of the branches they hold, another branch's as if they did not
//! exist, and acts as the officer they are: no body names who acts. The rules are `monitor`'s and the register's.

use app::ErrorCode;
use app::alerts::{BoardQuery, BoardRequest};
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use domain::OfficerId;
use identity::Principal;
use monitor::{Change, RecommendedAction};
use serde::Deserialize;

use crate::Shared;
use crate::auth::ClientAddr;
use crate::error::{ApiError, ErrorBody, parse_body};
use crate::limits::JsonBody;
use crate::page::link_next;

/// Largest body of a step, bytes: an outcome or reason of 1,000 characters of up to 4 bytes each, and the rest.
pub const ACTION_BODY_LIMIT_BYTES: usize = 8 * 1024;

/// The board's filters and page. Each filter is optional; together they all apply.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BoardParams {
    /// Only this tier.
    #[param(pattern = "^(red|orange|yellow)$")]
    pub tier: Option<String>,
    /// Only this branch (one the caller holds; another's answers an empty board).
    #[param(pattern = "^[A-Za-z0-9._-]{1,64}$")]
    pub branch: Option<String>,
    /// Only alerts this officer holds.
    #[param(pattern = "^[A-Za-z0-9._-]{1,64}$")]
    pub officer: Option<String>,
    /// Only this status.
    #[param(pattern = "^(open|assigned|acknowledged|action_recorded|escalated|closed)$")]
    pub status: Option<String>,
    /// Only this cause.
    #[param(
        pattern = "^(overdue|harvest_lateness|behaviour_score|fund_diversion|over_indebtedness|price_shock|weather|disease|peer_default|negative_news|crop_condition|concentration|model_drift|income_shock)$"
    )]
    pub cause: Option<String>,
    /// At most this many (default 50, at most 200).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
    /// Where to continue: the `cursor` of the previous page's `Link: <…>; rel="next"` header (opaque).
    #[param(pattern = "^[A-Za-z0-9._:-]{1,128}$")]
    pub cursor: Option<String>,
}

/// GET /v1/alerts: the alert board, red first, then the oldest first, of the branches the caller holds; the next
/// page is named by the `Link` header (`rel="next"`), absent on the last page.
#[utoipa::path(get, path = "/v1/alerts", params(BoardParams), responses(
    (status = 200, description = "Alerts (number, household id, loan id, branch, tier, cause and status with their labels, holder, day raised, due date, overdue)",
        headers(("link" = String, description = "The next page: `</v1/alerts?…&limit=N&cursor=…>; rel=\"next\"`"))),
    (status = 422, description = "invalid_field (a filter or the cursor), out_of_range (limit)", body = ErrorBody)))]
pub async fn board(
    State(server): State<Shared>,
    axum::Extension(principal): axum::Extension<Principal>,
    Query(params): Query<BoardParams>,
) -> Result<Response, ApiError> {
    let query = BoardQuery {
        tier: params.tier,
        branch: params.branch,
        officer: params.officer,
        status: params.status,
        cause: params.cause,
        cursor: params.cursor,
        limit: params.limit,
    };
    let request = BoardRequest::parse(&query)?;
    let page = app::alerts::board(&server.reads, &principal, server.clock.today(), &request).await?;
    let mut response = axum::Json(&page.alerts).into_response();
    if let Some(next) = &page.next {
        // Every value here was parsed above: codes and identifiers of URL-safe characters only.
        let filters: Vec<String> = [
            ("tier", &query.tier),
            ("branch", &query.branch),
            ("officer", &query.officer),
            ("status", &query.status),
            ("cause", &query.cause),
        ]
        .into_iter()
        .filter_map(|(name, value)| value.as_ref().map(|v| format!("{name}={v}")))
        .collect();
        let path =
            if filters.is_empty() { "/v1/alerts".to_owned() } else { format!("/v1/alerts?{}", filters.join("&")) };
        link_next(&mut response, &path, request.limit(), next);
    }
    Ok(response)
}

/// GET /v1/alerts/{alert_id}: one alert with its evidence, recommended actions (code and labels) and full history.
#[utoipa::path(get, path = "/v1/alerts/{alert_id}",
    params(("alert_id" = String, Path, description = "Alert number", pattern = "^[1-9][0-9]{0,17}$")),
    responses(
    (status = 200, description = "The alert: the board's fields, evidence (national IDs and phones masked), recommended_actions, raised_at, config_version and history (seq, kind, change, by, at, status)"),
    (status = 404, description = "alert_not_found (unknown, or of a branch the caller does not hold)", body = ErrorBody),
    (status = 422, description = "invalid_field (alert_id is not an alert number)", body = ErrorBody)))]
pub async fn alert(
    State(server): State<Shared>,
    axum::Extension(principal): axum::Extension<Principal>,
    Path(alert_id): Path<String>,
) -> Result<Response, ApiError> {
    let alert_id = app::alerts::alert_id_of(&alert_id)?;
    let detail = app::alerts::alert(&server.reads, &principal, server.clock.today(), alert_id).await?;
    Ok(axum::Json(detail).into_response())
}

/// A workflow step on an alert, told apart by `kind` (the shape of `monitor::Change`); who takes it is the caller.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum ActionBody {
    /// Give the alert to an officer of its branch (again, to hand it over).
    Assign {
        /// The officer who holds it from now on.
        #[schema(pattern = "^[A-Za-z0-9._-]{1,64}$")]
        to: String,
    },
    /// The holder has seen it.
    Acknowledge {},
    /// The holder took an action, with its outcome.
    RecordAction {
        /// What was done: a recommended-action code.
        #[schema(
            pattern = "^(visit_within_3_days|freeze_unused_line|cut_limit|start_insurance_claim|watch_list|offer_disaster_deferral|classification_review)$"
        )]
        action: String,
        /// What came of it, in the officer's words.
        #[schema(min_length = 1, max_length = 1000, pattern = "^\\s*\\S[\\s\\S]*$")]
        outcome: String,
    },
    /// Overdue: moved up to the branch's risk manager, who holds it from now on.
    Escalate {
        /// The officer it moves to.
        #[schema(pattern = "^[A-Za-z0-9._-]{1,64}$")]
        to: String,
    },
    /// Done, with why.
    Close {
        /// Why it is closed.
        #[schema(min_length = 1, max_length = 1000, pattern = "^\\s*\\S[\\s\\S]*$")]
        reason: String,
    },
}

/// An officer named in a step, checked at the edge.
fn officer(field: &str, text: &str) -> Result<OfficerId, ApiError> {
    crate::limits::identifier(field, text)?;
    OfficerId::parse(text).map_err(|e| ApiError::unprocessable(ErrorCode::InvalidField, field, e))
}

impl ActionBody {
    /// The step as `monitor` names it.
    fn change(self) -> Result<Change, ApiError> {
        Ok(match self {
            ActionBody::Assign { to } => Change::Assign { to: officer("to", &to)? },
            ActionBody::Acknowledge {} => Change::Acknowledge,
            ActionBody::RecordAction { action, outcome } => Change::RecordAction {
                action: action
                    .parse::<RecommendedAction>()
                    .map_err(|e| ApiError::unprocessable(ErrorCode::InvalidField, "action", e))?,
                outcome,
            },
            ActionBody::Escalate { to } => Change::Escalate { to: officer("to", &to)? },
            ActionBody::Close { reason } => Change::Close { reason },
        })
    }
}

/// POST /v1/alerts/{alert_id}/actions: the signed-in officer takes a workflow step on the alert; the answer is the
/// alert after it, with its history. A refusal writes nothing.
#[utoipa::path(post, path = "/v1/alerts/{alert_id}/actions",
    params(("alert_id" = String, Path, description = "Alert number", pattern = "^[1-9][0-9]{0,17}$")),
    request_body = ActionBody, responses(
    (status = 200, description = "Taken: the alert as it stands after, with its history"),
    (status = 403, description = "alert_other_branch (the acting officer or the one named in `to` works at another branch), alert_not_holder (another officer holds the alert), forbidden (the caller is no officer, or the role does not act on alerts), csrf_failed", body = ErrorBody),
    (status = 404, description = "alert_not_found (unknown, or of a branch the caller does not hold), unknown_officer (the caller or `to` is not a registered officer)", body = ErrorBody),
    (status = 409, description = "alert_transition_refused (the workflow does not allow the step from the alert's status)", body = ErrorBody),
    (status = 422, description = "alert_invalid (a blank or over-long outcome or reason), missing_field, invalid_field (the kind, `to`, the action or the alert number)", body = ErrorBody)))]
pub async fn act(
    State(server): State<Shared>,
    axum::Extension(principal): axum::Extension<Principal>,
    addr: ClientAddr,
    Path(alert_id): Path<String>,
    JsonBody(body): JsonBody<ACTION_BODY_LIMIT_BYTES>,
) -> Result<Response, ApiError> {
    let alert_id = app::alerts::alert_id_of(&alert_id)?;
    let change = parse_body::<ActionBody>(&body)?.change()?;
    let store = crate::auth::store_as(&server, &principal, addr);
    let detail = app::alerts::act(&store, server.clock.as_ref(), &principal, alert_id, change).await?;
    Ok(axum::Json(detail).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;
    use monitor::{Cause, ChangeKind, Status, Tier};

    /// The codes a `^(a|b|c)$` pattern accepts, sorted.
    fn alternatives(pattern: &str) -> Vec<&str> {
        let mut codes: Vec<&str> = pattern.trim_start_matches("^(").trim_end_matches(")$").split('|').collect();
        codes.sort_unstable();
        codes
    }

    #[test]
    fn the_documented_code_lists_are_monitors() {
        let doc = crate::openapi::complete();
        let parameters = doc["paths"]["/v1/alerts"]["get"]["parameters"].as_array().cloned().expect("parameters");
        let pattern = |name: &str| {
            let p = parameters.iter().find(|p| p["name"] == name).expect("a parameter");
            p["schema"]["pattern"].as_str().expect("a pattern").to_owned()
        };
        let codes = |mut all: Vec<&'static str>| {
            all.sort_unstable();
            all
        };
        assert_eq!(alternatives(&pattern("tier")), codes(Tier::ALL.iter().map(|t| t.code()).collect()));
        assert_eq!(alternatives(&pattern("status")), codes(Status::ALL.iter().map(|t| t.code()).collect()));
        assert_eq!(alternatives(&pattern("cause")), codes(Cause::ALL.iter().map(|t| t.code()).collect()));
        let action = doc.pointer("/components/schemas/ActionBody/oneOf").and_then(|v| v.as_array()).expect("oneOf");
        let record = action
            .iter()
            .find_map(|shape| shape.pointer("/properties/action/pattern").and_then(|p| p.as_str()))
            .expect("the action's pattern");
        assert_eq!(alternatives(record), codes(RecommendedAction::ALL.iter().map(|a| a.code()).collect()));
    }

    #[test]
    fn every_step_a_person_takes_reads_in_monitors_shape_and_a_re_tier_does_not() {
        let to = OfficerId::parse("li").expect("id");
        let steps = [
            Change::Assign { to: to.clone() },
            Change::Acknowledge,
            Change::RecordAction { action: RecommendedAction::CutLimit, outcome: "limit cut to 20,000".into() },
            Change::Escalate { to },
            Change::Close { reason: "repaid".into() },
        ];
        let kinds: Vec<ChangeKind> = steps.iter().map(Change::kind).collect();
        let people: Vec<ChangeKind> = ChangeKind::ALL
            .iter()
            .copied()
            .filter(|k| !matches!(k, ChangeKind::Retier | ChangeKind::Resolve))
            .collect();
        assert_eq!(kinds, people, "every kind but the run's re-tier and resolve");
        for step in steps {
            let json = serde_json::to_vec(&step).expect("json");
            let body: ActionBody = parse_body(&json).expect("the same shape");
            assert_eq!(body.change().expect("a change"), step);
        }
        let retier = serde_json::to_vec(&Change::Retier { from: Tier::Yellow, to: Tier::Red }).expect("json");
        assert_eq!(parse_body::<ActionBody>(&retier).expect_err("refused").code, ErrorCode::InvalidField);
        let extra = br#"{"kind": "acknowledge", "by": "someone-else"}"#;
        assert_eq!(parse_body::<ActionBody>(extra).expect_err("no actor in a body").code, ErrorCode::InvalidField);
        let bad = br#"{"kind": "record_action", "action": "pray", "outcome": "x"}"#;
        let e = parse_body::<ActionBody>(bad).expect("the shape").change().expect_err("unknown action");
        assert_eq!((e.code, e.field.as_deref()), (ErrorCode::InvalidField, Some("action")));
        let bad = br#"{"kind": "assign", "to": "a b"}"#;
        let e = parse_body::<ActionBody>(bad).expect("the shape").change().expect_err("bad officer");
        assert_eq!((e.code, e.field.as_deref()), (ErrorCode::InvalidField, Some("to")));
    }
}
