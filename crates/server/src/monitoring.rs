//! The daily monitoring run over HTTP: `POST /v1/monitor/runs` `{as_of}` runs post-loan monitoring over the whole
//! book for one day, as `agririsk monitor run --as-of` does (`app::escalation::daily_run`: the day's raises,
//! re-tiers and resolves in one transaction, then the escalation of what is overdue on it), for the lender's
//! scheduler or a risk manager.
//!
//! The book is the one this replica keeps in memory (`app::resident::ResidentBook`, in [`crate::Server`] behind a
//! lock, so one run at a time per replica): the first request reads it whole, each later one reads only what was
//! stored since. The answer says what the catch-up read and how long it and the run took. Several replicas each keep
//! their own book; the store runs a day once (a day on record is counted in `days_already_run`, nothing changes).
//!
//! Refused with nothing written: a missing or unreadable `as_of`, a day after the server's today (a day not yet over
//! cannot be monitored) or before the book begins (`app::monitoring::check_period`), an unknown body field, and a
//! caller who does not hold every branch (a run writes alerts for all of them). The writes are the caller's in the
//! audit trail (`alert.raise`, `alert.resolve`, `alert.escalate`), as every alert step is.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use app::ErrorCode;
use app::resident::{Refreshed, ResidentBook};
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use domain::{Date, Timestamp};
use identity::{Branches, Principal};
use monitor::MonitorConfig;
use serde::{Deserialize, Serialize};

use crate::Shared;
use crate::auth::ClientAddr;
use crate::error::{ApiError, ErrorBody, parse_body};
use crate::limits::JsonBody;
use crate::loans::date;

/// The route's path.
pub const RUNS_PATH: &str = "/v1/monitor/runs";

/// Largest body of a run request, bytes: `{"as_of": "YYYY-MM-DD"}` with room for spacing.
pub const RUN_BODY_LIMIT_BYTES: usize = 1024;

/// Longest a run may take before it is answered 408: a replica's first run reads the whole book (a province's
/// takes minutes), where every other request has [`crate::REQUEST_TIMEOUT`]. A run answered 408 goes on and keeps
/// its day; asking again answers `days_already_run`.
pub const RUN_TIMEOUT: Duration = Duration::from_secs(600);

/// What the catch-up says when there was no book in memory yet.
pub const FIRST_READ: &str = "first read";

/// The body's fields.
const RUN_FIELDS: [&str; 1] = ["as_of"];

/// A run request.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RunBody {
    /// The day to monitor, YYYY-MM-DD: not after the server's today, not before the first loan's value date.
    #[schema(format = Date, pattern = "^(19[0-9]{2}|2[01][0-9]{2})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")]
    pub as_of: String,
}

/// Reads a run request's body: a JSON object of the known fields only (an unknown one is 422 `invalid_field` naming
/// it), `as_of` a date (422 `missing_field` or `invalid_field` naming it).
fn parse(bytes: &[u8]) -> Result<Date, ApiError> {
    let fields: serde_json::Map<String, serde_json::Value> = parse_body(bytes)?;
    if let Some(unknown) = fields.keys().find(|k| !RUN_FIELDS.contains(&k.as_str())) {
        let shown: String = unknown.chars().take(64).collect();
        return Err(ApiError::unprocessable(
            ErrorCode::InvalidField,
            &shown,
            format!("not a field of a run request (known: {})", RUN_FIELDS.join(", ")),
        ));
    }
    if fields.get("as_of").is_some_and(serde_json::Value::is_null) {
        return Err(ApiError::unprocessable(ErrorCode::MissingField, "as_of", "is required"));
    }
    let body: RunBody = parse_body(bytes)?;
    date("as_of", &body.as_of)
}

/// Refuses a day the run cannot monitor yet: one after `today`.
fn not_after_today(as_of: Date, today: Date) -> Result<(), ApiError> {
    if as_of > today {
        return Err(ApiError::unprocessable(
            ErrorCode::InvalidField,
            "as_of",
            format!("{as_of} is after today ({today}): a day not yet over cannot be monitored"),
        ));
    }
    Ok(())
}

/// Refuses a caller who does not hold every branch: a run writes alerts for the whole book.
fn holds_every_branch(principal: &Principal) -> Result<(), ApiError> {
    match &principal.branches {
        Branches::All => Ok(()),
        Branches::Only(_) => Err(ApiError::whole(
            ErrorCode::Forbidden,
            format!("a monitoring run writes alerts for every branch; the caller holds only {}", principal.branches),
        )),
    }
}

/// What a run did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct RunAnswer {
    /// The day asked for, YYYY-MM-DD.
    #[schema(value_type = String, format = Date)]
    pub day: Date,
    /// 1 when the day was run now, 0 when it was on record already.
    pub days_run: u32,
    /// 1 when the day had been run before (by this replica, another, or the command line): nothing changed.
    pub days_already_run: u32,
    /// New alerts.
    pub raised: u32,
    /// Open alerts re-tiered upward.
    pub retiered: u32,
    /// Alerts resolved.
    pub resolved: u32,
    /// Alerts open after the day.
    pub open_after: u32,
    /// Borrowers on the book on the day (0 when it was not run now).
    pub active_borrowers: u32,
    /// Loans on the book on the day (0 when it was not run now).
    pub active_loans: u32,
    /// The escalation of the alerts overdue on the day.
    pub escalation: Escalation,
    /// What the book in memory read to catch up before the run.
    pub catch_up: CatchUp,
    /// How long the catch-up and the run took.
    pub timings: Timings,
}

/// The escalation after the day (`app::escalation::EscalationReport`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Escalation {
    /// Overdue alerts moved up to their branch's escalation officer.
    pub escalated: u32,
    /// Alerts overdue on the day and left as they were: their branch has no escalation officer on file.
    pub not_escalated: u32,
    /// Those alerts by branch (at most 100 branches).
    pub branches_without_manager: BTreeMap<String, u32>,
}

/// What the catch-up read (`app::resident::Refreshed`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct CatchUp {
    /// Everything was read, and why (`first read`: this replica's first run; `a load of corrections`, `an erasure`,
    /// `a source renumbered`); null when only what was stored since was read.
    pub everything: Option<String>,
    /// Households read.
    pub households: u64,
    /// Loans booked here read.
    pub booked_loans: u64,
    /// Whether the shared context was read.
    pub context: bool,
    /// Whether the satellite passes were read.
    pub passes: bool,
}

impl From<Refreshed> for CatchUp {
    fn from(r: Refreshed) -> CatchUp {
        CatchUp {
            everything: r.everything.map(str::to_owned),
            households: u64::try_from(r.households).unwrap_or(u64::MAX),
            booked_loans: u64::try_from(r.booked_loans).unwrap_or(u64::MAX),
            context: r.context,
            passes: r.passes,
        }
    }
}

/// Wall-clock times, milliseconds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Timings {
    /// Reading the book (the first run) or what was stored since.
    pub catch_up_ms: u64,
    /// Building the day's book, assessing it, writing the alerts and escalating.
    pub run_ms: u64,
}

fn ms(elapsed: Duration) -> u64 {
    u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX)
}

/// Brings the book in `slot` up to date (reading it whole when there is none yet), then runs `as_of` over it.
async fn catch_up_and_run(
    store: &store::Database,
    slot: &mut Option<ResidentBook>,
    as_of: Date,
    now: Timestamp,
) -> Result<RunAnswer, ApiError> {
    // The built-in configuration: the API takes no configuration file.
    let config = MonitorConfig::default();
    let started = Instant::now();
    let (resident, caught_up) = match slot.take() {
        Some(mut resident) => {
            // A failed catch-up drops the book (it stays out of the slot): the next run reads it whole.
            let refreshed = resident.refresh(store, &config).await?;
            (resident, refreshed)
        }
        None => {
            let resident = ResidentBook::load(store, &config).await?;
            let (households, booked_loans) = resident.size();
            let read =
                Refreshed { everything: Some(FIRST_READ), households, booked_loans, context: true, passes: true };
            (resident, read)
        }
    };
    let resident = slot.insert(resident);
    let catch_up_ms = ms(started.elapsed());

    let started = Instant::now();
    let (book, _) = resident.book(as_of)?;
    app::monitoring::check_period(&book, as_of, as_of, "as_of", "as_of")?;
    let report = app::escalation::daily_run(store, &book, as_of, as_of, &config, now, &mut |_| {}).await?;
    let (run, escalation) = (report.run, report.escalation);
    Ok(RunAnswer {
        day: as_of,
        days_run: run.days_run,
        days_already_run: run.days_already_run,
        raised: run.raised,
        retiered: run.retiered,
        resolved: run.resolved,
        open_after: run.open_after,
        active_borrowers: run.active_borrowers,
        active_loans: run.active_loans,
        escalation: Escalation {
            escalated: escalation.escalated,
            not_escalated: escalation.not_escalated,
            branches_without_manager: escalation.branches_without_manager,
        },
        catch_up: caught_up.into(),
        timings: Timings { catch_up_ms, run_ms: ms(started.elapsed()) },
    })
}

/// POST /v1/monitor/runs: runs the daily monitoring for one day over the whole book kept in memory, brought up to
/// date first; a day run before changes nothing.
#[utoipa::path(post, path = "/v1/monitor/runs", request_body = RunBody, responses(
    (status = 200, description = "The day run (`days_run` 1), or found on record (`days_already_run` 1, nothing written): alerts raised, re-tiered, resolved and open after, the book's borrowers and loans that day, the escalation, what the catch-up read and the timings", body = RunAnswer),
    (status = 403, description = "forbidden (the role does not grant run_monitoring, or the caller does not hold every branch), csrf_failed", body = ErrorBody),
    (status = 408, description = "timeout (the run took longer than 600 s; it goes on and keeps its day)", body = ErrorBody),
    (status = 422, description = "missing_field (as_of), invalid_field (as_of not a date or after today, an unknown field named), out_of_range (as_of before the first loan's value date, or an empty book)", body = ErrorBody)))]
pub async fn run(
    State(server): State<Shared>,
    axum::Extension(principal): axum::Extension<Principal>,
    addr: ClientAddr,
    JsonBody(body): JsonBody<RUN_BODY_LIMIT_BYTES>,
) -> Result<Response, ApiError> {
    let as_of = parse(&body)?;
    not_after_today(as_of, server.clock.today())?;
    holds_every_branch(&principal)?;
    let store = crate::auth::store_as(&server, &principal, addr);
    let now = server.clock.now();
    let runtime = tokio::runtime::Handle::current();
    // Reading and assessing the book is CPU-bound work that must not hold an async worker. It goes on if the
    // caller leaves: every day is written whole or not at all, and the book stays current for the next run.
    let done = tokio::task::spawn_blocking(move || {
        runtime.block_on(async {
            let mut slot = server.resident.lock().await;
            catch_up_and_run(&store, &mut slot, as_of, now).await
        })
    });
    let answer = done.await.map_err(ApiError::internal)??;
    Ok(axum::Json(answer).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> Date {
        domain::parse_date(text).expect("a date")
    }

    #[test]
    fn a_run_body_is_a_date_and_nothing_else_and_every_refusal_names_its_field() {
        assert_eq!(parse(br#"{"as_of": "2026-06-30"}"#).expect("a day"), day("2026-06-30"));
        for (body, code, field) in [
            (&br#"{}"#[..], ErrorCode::MissingField, "as_of"),
            (br#"{"as_of": null}"#, ErrorCode::MissingField, "as_of"),
            (br#"{"as_of": "2026-02-30"}"#, ErrorCode::InvalidField, "as_of"),
            (br#"{"as_of": 20260630}"#, ErrorCode::InvalidField, "as_of"),
            (br#"{"as_of": "2026-06-30", "config": {}}"#, ErrorCode::InvalidField, "config"),
            (br#"{"from": "2026-06-01", "as_of": "2026-06-30"}"#, ErrorCode::InvalidField, "from"),
        ] {
            let e = parse(body).expect_err("refused");
            assert_eq!((e.code, e.field.as_deref()), (code, Some(field)), "{}", String::from_utf8_lossy(body));
            assert!(e.message.starts_with(&format!("{field}: ")), "{}", e.message);
        }
        // Not an object, not JSON, or a repeated key: malformed before any field is read.
        for body in [&b"[]"[..], b"{", br#"{"as_of": "2026-06-30", "as_of": "2026-06-29"}"#] {
            assert_eq!(parse(body).expect_err("malformed").code, ErrorCode::MalformedJson);
        }
        // An unknown field's name is bounded in the answer.
        let long = format!(r#"{{"as_of": "2026-06-30", "{}": 1}}"#, "x".repeat(500));
        let e = parse(long.as_bytes()).expect_err("unknown");
        assert_eq!(e.field.map(|f| f.len()), Some(64));
    }

    #[test]
    fn a_day_not_yet_over_is_refused_and_today_is_run() {
        let today = day("2026-12-06");
        assert!(not_after_today(today, today).is_ok());
        assert!(not_after_today(day("2026-12-05"), today).is_ok());
        let e = not_after_today(day("2026-12-07"), today).expect_err("tomorrow");
        assert_eq!((e.code, e.field.as_deref()), (ErrorCode::InvalidField, Some("as_of")));
        assert!(e.message.contains("not yet over"), "{}", e.message);
    }

    #[test]
    fn only_a_caller_of_every_branch_runs_the_whole_book() {
        let caller = |branches: &str| Principal {
            actor: identity::Actor::Key("k1".into()),
            role: identity::Role::System,
            branches: Branches::parse(branches).expect("branches"),
            only: None,
        };
        assert!(holds_every_branch(&caller("*")).is_ok());
        let e = holds_every_branch(&caller("990101")).expect_err("one county");
        assert_eq!(e.code, ErrorCode::Forbidden);
        assert!(e.message.contains("990101"), "{}", e.message);
    }

    #[test]
    fn the_document_describes_the_run_its_answer_and_its_refusals() {
        let doc = crate::openapi::complete();
        let run = &doc["paths"][RUNS_PATH]["post"];
        for status in ["200", "403", "408", "413", "415", "422"] {
            assert!(run["responses"].get(status).is_some(), "{status} undocumented: {run}");
        }
        assert!(run.get("security").is_some(), "behind credentials: {run}");
        let body = doc.pointer("/components/schemas/RunBody").expect("the body");
        assert_eq!(body["required"], serde_json::json!(["as_of"]), "{body}");
        assert_eq!(body["additionalProperties"], false, "{body}");
        let names: Vec<&str> = body["properties"].as_object().expect("properties").keys().map(String::as_str).collect();
        assert_eq!(names, RUN_FIELDS, "the documented body is the one read");
        let answer = doc.pointer("/components/schemas/RunAnswer/properties").expect("the answer");
        for field in ["day", "days_run", "days_already_run", "raised", "open_after", "catch_up", "timings"] {
            assert!(answer.get(field).is_some(), "{field} undocumented: {answer}");
        }
        let catch_up = doc.pointer("/components/schemas/CatchUp/properties").expect("the catch-up");
        assert!(catch_up.get("everything").is_some() && catch_up.get("households").is_some(), "{catch_up}");
        // Exactly the route the table routes, behind the permission.
        let route = crate::auth::table().into_iter().find(|r| r.path == RUNS_PATH).expect("routed");
        assert_eq!(route.access, crate::auth::Access::Needs(identity::Permission::RunMonitoring));
    }

    #[test]
    fn a_first_read_is_named_and_a_catch_up_keeps_the_books_figures() {
        let first =
            Refreshed { everything: Some(FIRST_READ), households: 7, booked_loans: 2, context: true, passes: true };
        let shown = serde_json::to_value(CatchUp::from(first)).expect("json");
        assert_eq!(
            shown,
            serde_json::json!({"everything": "first read", "households": 7, "booked_loans": 2, "context": true, "passes": true})
        );
        let only = CatchUp::from(Refreshed { households: 3, ..Refreshed::default() });
        assert_eq!((only.everything, only.households, only.context), (None, 3, false));
    }
}
