//! Portfolio risk over HTTP: `GET /v1/portfolio/report` (the report as JSON, the shape of `agririsk portfolio report
//! --format json`, or its self-contained HTML page) and `POST /v1/portfolio/stress` (a scenario's stress run, the
//! JSON of `agririsk portfolio stress --format json`), through `app::portfolio`, the commands' own service layer.
//!
//! Both read the ingested book as of a date and write nothing (no idempotency key: nothing moves). The book is the
//! caller's branches' (`Loaded::within`): a branch manager's report covers their branches' loans, a risk manager's
//! or auditor's of every branch the whole book. The date is checked as the command checks it (a date, not before the
//! first loan on file); a scenario's shape by the one function a scenario file goes through
//! (`app::portfolio::parse_scenario`), its regions, crops and bounds against the data by the stress run, each
//! refusal naming the field under `scenario.`.

use app::ErrorCode;
use app::portfolio::Loaded;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use domain::Date;
use identity::Principal;
use serde::Deserialize;

use crate::Shared;
use crate::error::{ApiError, ErrorBody, parse_body};
use crate::limits::JsonBody;
use crate::loans::date;

/// Worker threads for the features the PDs are scored on: the command's count, so one report takes at most two
/// cores of the machine the server shares.
const THREADS: usize = 2;

/// Largest body of a stress run, bytes: 32 shocks of about 200 bytes, a name of 200 characters of up to 4 bytes
/// each, and room for spacing.
pub const STRESS_BODY_LIMIT_BYTES: usize = 16 * 1024;

/// The query fields the report takes.
const REPORT_FIELDS: [&str; 2] = ["as_of", "format"];

/// The report's date and format (documentation of the query; the query is read by [`ReportRequest::parse`], which
/// also refuses a field not named here).
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReportParams {
    /// The date the book is as of, YYYY-MM-DD: not before the first loan on file.
    #[param(format = Date, pattern = "^(19[0-9]{2}|2[01][0-9]{2})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")]
    pub as_of: String,
    /// `json` (default) or `html` (one self-contained page with inline SVG charts).
    #[param(pattern = "^(json|html)$")]
    pub format: Option<String>,
}

/// How the report is answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ReportFormat {
    Json,
    Html,
}

/// A report request, read from the query's pairs.
#[derive(Debug, Clone, PartialEq, Eq)]
struct ReportRequest {
    as_of: Date,
    format: ReportFormat,
}

impl ReportRequest {
    /// Reads the query: `as_of` required, `format` optional; an unknown or repeated field is 422 `invalid_field`
    /// naming it, a missing `as_of` 422 `missing_field`.
    fn parse(pairs: &[(String, String)]) -> Result<ReportRequest, ApiError> {
        for (i, (name, _)) in pairs.iter().enumerate() {
            if !REPORT_FIELDS.contains(&name.as_str()) {
                let shown: String = name.chars().take(64).collect();
                return Err(ApiError::field(
                    ErrorCode::InvalidField,
                    &shown,
                    format!("{shown}: not a field of the report's query (known: {})", REPORT_FIELDS.join(", ")),
                ));
            }
            if pairs[..i].iter().any(|(earlier, _)| earlier == name) {
                return Err(ApiError::unprocessable(ErrorCode::InvalidField, name, "is given more than once"));
            }
        }
        let value = |field: &str| pairs.iter().find(|(name, _)| name == field).map(|(_, v)| v.as_str());
        let as_of = match value("as_of") {
            Some(text) => date("as_of", text)?,
            None => return Err(ApiError::unprocessable(ErrorCode::MissingField, "as_of", "is required")),
        };
        let format = match value("format") {
            None | Some("json") => ReportFormat::Json,
            Some("html") => ReportFormat::Html,
            Some(other) => {
                let shown: String = other.chars().take(64).collect();
                return Err(ApiError::unprocessable(
                    ErrorCode::InvalidField,
                    "format",
                    format!("'{shown}' is not json or html"),
                ));
            }
        };
        Ok(ReportRequest { as_of, format })
    }
}

/// Loads the book as of `as_of`, narrowed to the caller's branches, and runs `work` on it, all on the blocking pool:
/// scoring every borrower is CPU-bound work that must not hold an async worker.
async fn with_book<T: Send + 'static>(
    server: &Shared,
    principal: &Principal,
    as_of: Date,
    work: impl FnOnce(&Loaded) -> Result<T, app::Error> + Send + 'static,
) -> Result<T, ApiError> {
    let reads = server.reads.clone();
    let branches = principal.branches.clone();
    let runtime = tokio::runtime::Handle::current();
    let done = tokio::task::spawn_blocking(move || {
        let loaded = runtime.block_on(app::portfolio::load(&reads, as_of, THREADS))?.within(&branches);
        work(&loaded)
    });
    done.await.map_err(ApiError::internal)?.map_err(ApiError::from)
}

/// GET /v1/portfolio/report: the portfolio report of the caller's branches as of a date.
#[utoipa::path(get, path = "/v1/portfolio/report", params(ReportParams), responses(
    (status = 200, description = "The report: PAR1/30/90, NPL and balances by five-category class, IFRS 9 stages and ECL, the regulatory provision and its coverage ratios, trend, roll rates, vintage curves, write-offs, concentration with its limits and breaches, breakdowns by branch, product and segment, and the assumptions (amounts as `{fen, yuan}`, ratios as decimal text); with `format=html` one self-contained page, sent as an attachment",
        content((Object = "application/json"), (String = "text/html"))),
    (status = 422, description = "missing_field (as_of), invalid_field (as_of not a date or before the first loan on file, format, an unknown or repeated query field)", body = ErrorBody)))]
pub async fn report(
    State(server): State<Shared>,
    axum::Extension(principal): axum::Extension<Principal>,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let request = ReportRequest::parse(&pairs)?;
    // The built-in configuration: the API takes no configuration file.
    let config = app::portfolio::load_config(None)?;
    let report = with_book(&server, &principal, request.as_of, move |loaded| loaded.report(&config)).await?;
    Ok(match request.format {
        ReportFormat::Json => {
            let text = app::portfolio::render::json(&report).map_err(ApiError::internal)?;
            ([(header::CONTENT_TYPE, "application/json")], text).into_response()
        }
        ReportFormat::Html => {
            // The server's content security policy allows no inline style, so the page is offered as a file: opened
            // from disk it is whole, as the command's `--out` file is.
            let disposition = format!("attachment; filename=\"portfolio-report-{}.html\"", request.as_of);
            let page = app::portfolio::render::html(&report);
            (
                [
                    (header::CONTENT_TYPE, "text/html; charset=utf-8".to_owned()),
                    (header::CONTENT_DISPOSITION, disposition),
                ],
                page,
            )
                .into_response()
        }
    })
}

/// A stress run: the date of the book and the scenario.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StressBody {
    /// The date the book is as of, YYYY-MM-DD: not before the first loan on file.
    #[schema(format = Date, pattern = "^(19[0-9]{2}|2[01][0-9]{2})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")]
    pub as_of: String,
    /// The scenario, as a scenario file holds it (docs/portfolio.md): `{version: 1, name, shocks: [...]}`, 1–32
    /// shocks, each `{kind: "price_fall", county, crop, fall}`, `{kind: "drought", zone, loss}`,
    /// `{kind: "asf_outbreak", county, cull_rate}` or `{kind: "migrant_income", county, drop, months}`; shares as
    /// decimal text in (0, 1), months 1–12, every county, zone and crop one on file.
    #[schema(value_type = Object)]
    pub scenario: serde_json::Value,
}

/// A refusal about the scenario, its field named from the body's root: `scenario.shocks[0].zone`.
fn in_scenario(e: app::Error) -> app::Error {
    match e {
        app::Error::Refused { code, field: Some(field), message } if field != "scenario" && field != "as_of" => {
            let field = format!("scenario.{field}");
            app::Error::Refused { code, message: format!("{field}: {message}"), field: Some(field) }
        }
        other => other,
    }
}

/// POST /v1/portfolio/stress: projects defaults, NPL, ECL and provisions of the caller's branches' book under a
/// scenario of shocks. Nothing is written.
#[utoipa::path(post, path = "/v1/portfolio/stress", request_body = StressBody, responses(
    (status = 200, description = "The stress report: the scenario, households shocked, and by segment and for the book the loans, expected defaults (base and stressed), NPL ratio (current and projected), ECL (base and stressed) and provision (current and projected), with the assumptions"),
    (status = 422, description = "missing_field (as_of, scenario), invalid_field (as_of, a field of the body, or of the scenario named under `scenario.`: an unknown field, kind, county, zone or crop, a share outside (0, 1), months outside 1–12, a version other than 1, no or over 32 shocks)", body = ErrorBody)))]
pub async fn stress(
    State(server): State<Shared>,
    axum::Extension(principal): axum::Extension<Principal>,
    JsonBody(body): JsonBody<STRESS_BODY_LIMIT_BYTES>,
) -> Result<Response, ApiError> {
    let body: StressBody = parse_body(&body)?;
    let as_of = date("as_of", &body.as_of)?;
    let scenario = app::portfolio::parse_scenario(&body.scenario.to_string()).map_err(in_scenario)?;
    // The built-in configuration: the API takes no configuration file.
    let config = app::portfolio::load_config(None)?;
    let report =
        with_book(&server, &principal, as_of, move |loaded| loaded.stress(&scenario, &config).map_err(in_scenario))
            .await?;
    Ok(axum::Json(report).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(query: &[(&str, &str)]) -> Vec<(String, String)> {
        query.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn the_report_query_takes_a_date_and_a_format_and_names_anything_else() {
        let ok = ReportRequest::parse(&pairs(&[("as_of", "2026-06-30")])).expect("a request");
        assert_eq!((ok.as_of.to_string().as_str(), ok.format), ("2026-06-30", ReportFormat::Json));
        let html = ReportRequest::parse(&pairs(&[("format", "html"), ("as_of", "2026-06-30")])).expect("html");
        assert_eq!(html.format, ReportFormat::Html);
        for (query, code, field) in [
            (vec![], ErrorCode::MissingField, "as_of"),
            (vec![("as_of", "2026-02-30")], ErrorCode::InvalidField, "as_of"),
            (vec![("as_of", "2026-06-30"), ("format", "pdf")], ErrorCode::InvalidField, "format"),
            (vec![("as_of", "2026-06-30"), ("branch", "990101")], ErrorCode::InvalidField, "branch"),
            (vec![("as_of", "2026-06-30"), ("as_of", "2026-07-31")], ErrorCode::InvalidField, "as_of"),
        ] {
            let e = ReportRequest::parse(&pairs(&query)).expect_err("refused");
            assert_eq!((e.code, e.field.as_deref()), (code, Some(field)), "{query:?}");
        }
    }

    #[test]
    fn the_document_describes_both_formats_and_the_stress_body() {
        let doc = crate::openapi::complete();
        let content = &doc["paths"]["/v1/portfolio/report"]["get"]["responses"]["200"]["content"];
        assert!(content.get("application/json").is_some() && content.get("text/html").is_some(), "{content}");
        let params = doc["paths"]["/v1/portfolio/report"]["get"]["parameters"].as_array().expect("parameters");
        let names: Vec<&str> = params.iter().filter_map(|p| p["name"].as_str()).collect();
        assert_eq!(names, REPORT_FIELDS, "the documented query is the one read");
        let body = doc.pointer("/components/schemas/StressBody/properties").expect("the stress body");
        assert!(body.get("as_of").is_some() && body.get("scenario").is_some(), "{body}");
        let stress = &doc["paths"]["/v1/portfolio/stress"]["post"];
        assert!(stress["responses"].get("413").is_some() && stress["responses"].get("403").is_some(), "{stress}");
    }

    #[test]
    fn a_scenarios_fields_are_named_from_the_bodys_root() {
        let e = in_scenario(app::Error::input("shocks[0].zone", "no agro-zone moon is on file"));
        match e {
            app::Error::Refused { field, message, .. } => {
                assert_eq!(field.as_deref(), Some("scenario.shocks[0].zone"));
                assert!(message.starts_with("scenario.shocks[0].zone: no agro-zone"), "{message}");
            }
            app::Error::Internal(e) => panic!("{e}"),
        }
        for kept in ["scenario", "as_of"] {
            let e = in_scenario(app::Error::input(kept, "x"));
            assert!(matches!(e, app::Error::Refused { field: Some(f), .. } if f == kept));
        }
        let shape = app::portfolio::parse_scenario(r#"{"version": 1, "name": "x", "shocks": [], "colour": 1}"#);
        let e = ApiError::from(shape.map_err(in_scenario).expect_err("an unknown field"));
        assert_eq!((e.code, e.field.as_deref()), (ErrorCode::InvalidField, Some("scenario")));
        assert!(e.message.contains("colour"), "{}", e.message);
    }
}
