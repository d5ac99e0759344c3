//! The OpenAPI 3.1 document (`GET /openapi.json`, derived with utoipa from the handlers' annotations) and a small
//! docs page (`GET /docs`, embedded in the binary) that lists the endpoints by reading that document.

use axum::response::{Html, IntoResponse, Response};
use utoipa::OpenApi;

use super::{
    alerts, approvals, auth, credit, decisions, error, loans, monitoring, policies, portfolio, profiles, review,
    screening, session, telemetry,
};

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
        review::claim,
        review::release,
        screening::record,
        screening::of_household,
        session::login,
        session::logout,
        session::me,
        profiles::profile,
        alerts::board,
        alerts::alert,
        alerts::act,
        portfolio::report,
        portfolio::stress,
        monitoring::run,
        approvals::list,
        approvals::confirm,
        approvals::reject,
        approvals::propose_authority,
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
        review::ClaimBody,
        screening::ScreeningBody,
        screening::EntryBody,
        session::LoginBody,
        approvals::RejectBody,
        approvals::AuthorityBody,
        alerts::ActionBody,
        portfolio::StressBody,
        monitoring::RunBody,
        monitoring::RunAnswer,
        monitoring::Escalation,
        monitoring::CatchUp,
        monitoring::Timings,
    ))
)]
pub struct ApiDoc;

/// The document: the handlers' annotations, completed with the refusals every operation can meet whatever its
/// handler says (the edge's and the framework's: 400, 408, 414, 431, 500 everywhere; 413 and 415 where a body is
/// read), each described by its codes from `app::ErrorCode`'s table.
pub fn complete() -> serde_json::Value {
    use app::ErrorCode as C;
    use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
    let mut doc = ApiDoc::openapi();
    let everywhere = [
        (C::BadRequest, &[C::BadRequest][..]),
        (C::Timeout, &[C::Timeout]),
        (C::UriTooLong, &[C::UriTooLong]),
        (C::HeadersTooLarge, &[C::HeadersTooLarge]),
        (C::Internal, &[C::Internal]),
    ];
    let with_body = [
        (C::MalformedJson, &[C::MalformedJson, C::BadRequest][..]),
        (C::BodyTooLarge, &[C::BodyTooLarge]),
        (C::UnsupportedMediaType, &[C::UnsupportedMediaType]),
    ];
    // What every route behind credentials can meet: no or bad credentials, a role without the permission, a caller
    // over its rate (and a cookie session's write without its CSRF token).
    let guarded = [
        (C::Unauthenticated, &[C::Unauthenticated][..]),
        (C::Forbidden, &[C::Forbidden, C::CsrfFailed]),
        (C::RateLimited, &[C::RateLimited]),
    ];
    let access: std::collections::HashMap<(String, String), auth::Access> = auth::table()
        .into_iter()
        .map(|r| ((r.method.as_str().to_ascii_lowercase(), r.path.to_owned()), r.access))
        .collect();
    for (path, item) in doc.paths.paths.iter_mut() {
        for (method, operation, takes_body) in [
            ("get", item.get.as_mut(), false),
            ("post", item.post.as_mut(), true),
            ("delete", item.delete.as_mut(), false),
        ] {
            let Some(operation) = operation else { continue };
            let public = access.get(&(method.to_owned(), path.clone())) == Some(&auth::Access::Public);
            let extra = everywhere.iter().chain(if takes_body { &with_body[..] } else { &[] }).chain(if public {
                &[][..]
            } else {
                &guarded[..]
            });
            for (status_of, codes) in extra {
                let status = status_of.status().to_string();
                if operation.responses.responses.contains_key(&status) {
                    continue;
                }
                let description = codes.iter().map(|c| c.as_str()).collect::<Vec<_>>().join(", ");
                let content = ContentBuilder::new().schema(Some(Ref::from_schema_name("ErrorBody"))).build();
                let response = ResponseBuilder::new().description(description).content("application/json", content);
                operation.responses.responses.insert(status, response.build().into());
            }
        }
    }
    let mut doc = serde_json::to_value(doc).unwrap_or_default();
    // How callers prove who they are: an API key as a bearer token, or a person's session cookie.
    doc["components"]["securitySchemes"] = serde_json::json!({
        "api_key": {"type": "http", "scheme": "bearer", "description": "An API key from `agririsk apikey create`"},
        "session": {"type": "apiKey", "in": "cookie", "name": auth::SESSION_COOKIE,
            "description": "A person's session from POST /v1/session; writes also carry `x-csrf-token`"},
    });
    for ((method, path), rule) in &access {
        if *rule != auth::Access::Public {
            if let Some(operation) =
                doc.pointer_mut(&format!("/paths/{}/{method}", path.replace('~', "~0").replace('/', "~1")))
            {
                operation["security"] = serde_json::json!([{"api_key": []}, {"session": []}]);
            }
        }
    }
    // A review body is one of four shapes told apart by `action`; none takes fields of another.
    if let Some(shapes) = doc.pointer_mut("/components/schemas/ReviewBody/oneOf").and_then(|v| v.as_array_mut()) {
        for shape in shapes {
            shape["additionalProperties"] = serde_json::Value::Bool(false);
        }
    }
    // A step on an alert is one of five shapes told apart by `kind`; none takes fields of another.
    if let Some(shapes) = doc.pointer_mut("/components/schemas/ActionBody/oneOf").and_then(|v| v.as_array_mut()) {
        for shape in shapes {
            shape["additionalProperties"] = serde_json::Value::Bool(false);
        }
    }
    // A screening entry's scope is a data source and a purpose together, on a consent or its withdrawal only.
    if let Some(entry) = doc.pointer_mut("/components/schemas/EntryBody").and_then(|v| v.as_object_mut()) {
        entry.insert("anyOf".into(), crate::screening::scope_rule());
    }
    doc
}

/// GET /openapi.json.
pub async fn document() -> Response {
    axum::Json(complete()).into_response()
}

/// GET /docs: the page, its style sheet and its script are served apart, so the content security policy allows no
/// inline script or style (`crate::security`).
pub async fn page() -> Html<&'static str> {
    Html(include_str!("docs.html"))
}

/// GET /docs.css.
pub async fn page_style() -> Response {
    ([(axum::http::header::CONTENT_TYPE, "text/css; charset=utf-8")], include_str!("docs.css")).into_response()
}

/// GET /docs.js.
pub async fn page_script() -> Response {
    ([(axum::http::header::CONTENT_TYPE, "text/javascript; charset=utf-8")], include_str!("docs.js")).into_response()
}

#[cfg(test)]
mod tests {
    use app::ErrorCode;

    /// The codes a response's description names: the leading `snake_case` words of each comma-separated part.
    fn codes_in(description: &str) -> Vec<&str> {
        description
            .split(',')
            .filter_map(|part| part.split(|c: char| !(c.is_ascii_lowercase() || c == '_')).find(|w| !w.is_empty()))
            .filter(|w| w.contains('_') || ErrorCode::ALL.iter().any(|c| c.as_str() == *w))
            .collect()
    }

    #[test]
    fn every_documented_refusal_is_a_code_of_the_table_with_its_status() {
        let doc = super::complete();
        let mut checked = 0;
        for (path, item) in doc["paths"].as_object().expect("paths") {
            for (method, operation) in item.as_object().expect("operations") {
                for (status, response) in operation["responses"].as_object().expect("responses") {
                    let status: u16 = status.parse().expect("a numeric status");
                    if status < 400 {
                        continue;
                    }
                    let description = response["description"].as_str().unwrap_or_default();
                    let codes = codes_in(description);
                    assert!(!codes.is_empty(), "{method} {path} {status}: no code in '{description}'");
                    for code in codes {
                        let known = ErrorCode::ALL.iter().find(|c| c.as_str() == code);
                        let known = known.unwrap_or_else(|| panic!("{method} {path} {status}: unknown code {code}"));
                        assert_eq!(
                            known.status(),
                            status,
                            "{method} {path}: {code} is answered with {}",
                            known.status()
                        );
                        checked += 1;
                    }
                }
            }
        }
        assert!(checked > 50, "only {checked} codes checked");
    }

    #[test]
    fn docs_api_md_lists_exactly_the_code_table() {
        let docs =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/api.md")).expect("docs/api.md");
        let expected: Vec<String> = ErrorCode::ALL
            .iter()
            .map(|c| format!("| `{}` | {} | {} |", c.as_str(), c.status(), c.description()))
            .collect();
        let found: Vec<String> = docs
            .lines()
            .filter(|l| l.starts_with("| `") && l.split('|').nth(2).is_some_and(|s| s.trim().parse::<u16>().is_ok()))
            .map(str::to_owned)
            .collect();
        assert_eq!(
            found,
            expected,
            "docs/api.md's code table differs from app::ErrorCode; it should read:\n{}",
            expected.join("\n")
        );
    }
}
