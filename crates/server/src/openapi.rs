//! The OpenAPI 3.1 document (`GET /openapi.json`, derived with utoipa from the handlers' annotations) and a small
//! docs page (`GET /docs`, embedded in the binary) that lists the endpoints by reading that document.

use axum::response::{Html, IntoResponse, Response};
use utoipa::OpenApi;

use super::{credit, decisions, error, loans, policies, review, telemetry};

/// The API description.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "agririsk",
        description = "Rural microcredit decisions, loans and policies. Errors are always {\"error\": {\"code\", \"field\", \"message\"}}."
    ),
    paths(
        super::health,
        super::ready,
        telemetry::metrics,
        decisions::submit,
        decisions::get_decision,
        decisions::of_household,
        decisions::request_review,
        loans::disburse,
        loans::position,
        loans::repay,
        policies::list,
        policies::move_policy,
        credit::simulate,
        credit::roster,
        review::register,
        review::queue,
        review::review,
    ),
    components(schemas(
        error::ErrorBody,
        error::ErrorDetail,
        decisions::Application,
        decisions::DecisionRecord,
        decisions::ReviewRequestBody,
        loans::DisbursementBody,
        loans::RepaymentBody,
        policies::MoveBody,
        credit::SimulateBody,
        review::OfficerBody,
        review::ReviewBody,
    ))
)]
pub struct ApiDoc;

/// GET /openapi.json.
pub async fn document() -> Response {
    axum::Json(ApiDoc::openapi()).into_response()
}

/// GET /docs.
pub async fn page() -> Html<&'static str> {
    Html(include_str!("docs.html"))
}
