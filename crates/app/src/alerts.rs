//! The early-warning alert board as use cases, written once over `store::AlertRegister` for both engines: the
//! board (filtered, in keyset pages), one alert with its evidence, recommended actions and history, and the workflow
//! steps an officer takes on it.
//!
//! Who sees what: a caller sees the alerts of the branches they hold ([`in_scope`]: their `identity::Branches`
//! cover the alert's branch, as a household's village is covered), and an alert of another branch is answered
//! exactly as one that does not exist (`alert_not_found`). Who acts: the authenticated caller, as the officer they
//! are ([`acting_officer`]: a signed-in person whose role acts on alerts, by username, as the review workflow maps
//! a reviewer); the store then refuses an officer who is not registered, who works at another branch or who does
//! not hold the alert, and a step the workflow does not allow (`monitor::Status::after`). Every refusal has its own
//! code and names the field, and writes nothing.
//!
//! Personal data: an alert names its borrower by household id only. Its evidence is what the detectors saw
//! (figures, dates, thresholds); any text in it that reads as a national ID or a mobile number is shown masked
//! ([`shown_evidence`]). So reading an alert shows no personal data and, like a masked profile
//! (`crate::profile`), writes no audit entry; the workflow steps are audited by the store.

use domain::{Clock, Date, OfficerId};
use identity::{Actor, Branches, Permission, Principal};
use monitor::{Alert, AlertEvent, AlertStep, Change, ChangeKind};
use serde::Serialize;
use store::{AlertFilter, AlertRefusal, AlertRegister, BoardCursor, StoreError};

use crate::error::{Error, ErrorCode};
use crate::page::PageRequest;

/// Most alerts one board request reads from the store to fill a page for a caller whose branches the store cannot
/// filter on alone; past it the page ends early and its cursor continues where the reading stopped.
pub const MAX_SCANNED: usize = 2_000;

/// The board's query as a surface receives it: every filter as text, parsed by [`BoardRequest::parse`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BoardQuery {
    /// `red`, `orange` or `yellow`.
    pub tier: Option<String>,
    /// A branch.
    pub branch: Option<String>,
    /// The officer holding the alerts.
    pub officer: Option<String>,
    /// A status code (`open`, `assigned`, …).
    pub status: Option<String>,
    /// A cause code (`overdue`, `weather`, …).
    pub cause: Option<String>,
    /// Where the previous page ended ([`Board::next`]).
    pub cursor: Option<String>,
    /// At most this many alerts (1 to `crate::page::MAX_LIMIT`, `crate::page::DEFAULT_LIMIT` when absent).
    pub limit: Option<u32>,
}

/// A board request, every field parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoardRequest {
    filter: AlertFilter,
    after: Option<BoardCursor>,
    limit: u32,
}

/// Refuses a text over `monitor::alert::MAX_ID_CHARS` characters or of other characters than letters, digits, `.`, `_`
/// and `-`: what a branch or an officer id is.
fn identifier(field: &str, text: &str) -> Result<(), Error> {
    let shaped = (1..=monitor::alert::MAX_ID_CHARS).contains(&text.len())
        && text.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b));
    if shaped {
        Ok(())
    } else {
        Err(Error::input(
            field,
            format!("{field}: must be 1–{} letters, digits, '.', '_' or '-'", monitor::alert::MAX_ID_CHARS),
        ))
    }
}

/// Parses a code of a `monitor` vocabulary, naming the field.
fn code<T: std::str::FromStr<Err = monitor::UnknownCode>>(field: &str, text: Option<&str>) -> Result<Option<T>, Error> {
    text.map(|t| t.parse::<T>().map_err(|e| Error::input(field, format!("{field}: {e}")))).transpose()
}

impl BoardRequest {
    /// Parses every filter, naming the field it refuses (`invalid_field`; `out_of_range` for the limit).
    pub fn parse(query: &BoardQuery) -> Result<BoardRequest, Error> {
        let limit = PageRequest::new(query.limit, None)?.limit();
        if let Some(branch) = &query.branch {
            identifier("branch", branch)?;
        }
        let holder = match &query.officer {
            Some(officer) => {
                identifier("officer", officer)?;
                Some(OfficerId::parse(officer).map_err(|e| Error::input("officer", format!("officer: {e}")))?)
            }
            None => None,
        };
        let filter = AlertFilter {
            tier: code("tier", query.tier.as_deref())?,
            branch: query.branch.clone(),
            holder,
            status: code("status", query.status.as_deref())?,
            cause: code("cause", query.cause.as_deref())?,
        };
        let after = query.cursor.as_deref().map(parse_cursor).transpose()?;
        Ok(BoardRequest { filter, after, limit })
    }

    /// The most alerts on the page.
    pub fn limit(&self) -> u32 {
        self.limit
    }
}

/// A board cursor as text: `TIER.YYYY-MM-DD.NUMBER` of the last alert of a page. Callers treat it as opaque.
pub fn cursor_text(cursor: &BoardCursor) -> String {
    format!("{}.{}.{}", cursor.tier.code(), cursor.raised_on, cursor.alert_id)
}

/// Reads a cursor [`cursor_text`] wrote; anything else is `invalid_field` on `cursor`.
pub fn parse_cursor(text: &str) -> Result<BoardCursor, Error> {
    let refused =
        || Error::input("cursor", "cursor: is not a cursor of the alert board (take it from the previous page)");
    let mut parts = text.split('.');
    let (Some(tier), Some(day), Some(id), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
        return Err(refused());
    };
    let tier = tier.parse().map_err(|_| refused())?;
    let raised_on = domain::parse_date(day).map_err(|_| refused())?;
    let alert_id = alert_id_of(id).map_err(|_| refused())?;
    Ok(BoardCursor { tier, raised_on, alert_id })
}

/// An alert number as a path gives it: 1 to 18 digits, not 0; else `invalid_field` on `alert_id`.
pub fn alert_id_of(text: &str) -> Result<i64, Error> {
    let refused = || Error::input("alert_id", "alert_id: must be an alert number (1 to 18 digits, not 0)");
    if !(1..=18).contains(&text.len()) || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(refused());
    }
    text.parse::<i64>().ok().filter(|id| *id > 0).ok_or_else(refused)
}

/// Whether the caller holds the branch `branch`: every branch, or one of theirs covers it.
pub fn in_scope(principal: &Principal, branch: &str) -> bool {
    principal.branches.covers(branch)
}

/// The officer the caller acts as on alerts: a signed-in person whose role acts on alerts, by username. A system's
/// key and the command line's operating-system user are nobody's officer: 403 `forbidden`.
pub fn acting_officer(principal: &Principal) -> Result<OfficerId, Error> {
    let refused =
        || Error::whole(ErrorCode::Forbidden, format!("{} is not a person who acts on alerts", principal.actor));
    match &principal.actor {
        Actor::User(name) if principal.may(Permission::ActOnAlerts) => OfficerId::parse(name).map_err(|_| refused()),
        _ => Err(refused()),
    }
}

/// A coded value with its labels, as the board shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Labelled {
    /// The stable code.
    pub code: &'static str,
    /// The label a loan officer reads.
    pub label_zh: &'static str,
    /// The label in English.
    pub label_en: &'static str,
}

macro_rules! labelled {
    ($value:expr) => {{
        let v = $value;
        Labelled { code: v.code(), label_zh: v.label_zh(), label_en: v.label_en() }
    }};
}

/// An alert as the board lists it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AlertSummary {
    /// Its number.
    pub alert_id: i64,
    /// The borrowing household, by id only.
    pub household_id: String,
    /// The loan, when the signal is about one.
    pub loan_id: Option<String>,
    /// The borrower's branch.
    pub branch: String,
    /// How urgent, now.
    pub tier: Labelled,
    /// The signal family.
    pub cause: Labelled,
    /// Where it stands.
    pub status: Labelled,
    /// The officer holding it, once assigned or escalated.
    pub holder: Option<String>,
    /// The day it was raised.
    pub raised_on: String,
    /// When the action is due.
    pub due_on: String,
    /// Whether the action is overdue today (`monitor::Alert::is_overdue`).
    pub overdue: bool,
}

impl AlertSummary {
    /// The summary of `alert` on `today`.
    pub fn of(alert: &Alert, today: Date) -> AlertSummary {
        let raised = &alert.raised;
        AlertSummary {
            alert_id: alert.alert_id,
            household_id: raised.household_id.as_str().to_owned(),
            loan_id: raised.loan_id.as_ref().map(|l| l.as_str().to_owned()),
            branch: raised.branch.clone(),
            tier: labelled!(raised.tier),
            cause: labelled!(raised.cause),
            status: labelled!(alert.status),
            holder: alert.holder.as_ref().map(|h| h.as_str().to_owned()),
            raised_on: raised.raised_on.to_string(),
            due_on: raised.due_on.to_string(),
            overdue: alert.is_overdue(today),
        }
    }
}

/// One step of an alert's history as shown.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StepView {
    /// Its place, from 1 (the raise).
    pub seq: u32,
    /// `raise` or the step's kind code.
    pub kind: &'static str,
    /// The step as it was taken (`kind` and its fields); absent for the raise.
    pub change: Option<Change>,
    /// Who took it.
    pub by: String,
    /// When.
    pub at: String,
    /// The status it left the alert in.
    pub status: Labelled,
}

impl StepView {
    fn of(step: &AlertStep) -> StepView {
        StepView {
            seq: step.seq,
            kind: step.change.as_ref().map_or("raise", |c| c.kind().code()),
            change: step.change.clone(),
            by: step.by.clone(),
            at: step.at.to_string(),
            status: labelled!(step.status),
        }
    }
}

/// One alert with everything an officer needs to act on it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AlertDetail {
    /// What the board shows.
    #[serde(flatten)]
    pub summary: AlertSummary,
    /// What the detectors saw, national IDs and mobile numbers masked ([`shown_evidence`]).
    pub evidence: serde_json::Value,
    /// What the officer is advised to do, in order.
    pub recommended_actions: Vec<Labelled>,
    /// When it was raised.
    pub raised_at: String,
    /// The monitoring configuration's version the run used.
    pub config_version: u32,
    /// Its full history, the raise first.
    pub history: Vec<StepView>,
}

/// The evidence as shown: any string in it that reads as a national ID or a mobile number is replaced by its masked
/// form (detectors write figures, dates and thresholds; this keeps a slip of theirs from showing a person's number).
pub fn shown_evidence(evidence: &serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match evidence {
        Value::String(text) => match (domain::NationalId::parse(text), domain::MobileNumber::parse(text)) {
            (Ok(id), _) => Value::String(id.masked()),
            (_, Ok(phone)) => Value::String(phone.masked()),
            _ => evidence.clone(),
        },
        Value::Array(items) => Value::Array(items.iter().map(shown_evidence).collect()),
        Value::Object(map) => Value::Object(map.iter().map(|(k, v)| (k.clone(), shown_evidence(v))).collect()),
        other => other.clone(),
    }
}

/// A page of the board.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Board {
    /// The alerts, red first, then the oldest first.
    pub alerts: Vec<AlertSummary>,
    /// The cursor of the next page ([`cursor_text`]); `None` on the last page. A page may hold fewer alerts than
    /// asked (even none) and still have a next one, when the caller's branches are read past [`MAX_SCANNED`] alerts.
    pub next: Option<String>,
}

/// A page of the board for `principal`: the alerts `request` asks for among those of the branches they hold.
pub async fn board<S: AlertRegister>(
    store: &S,
    principal: &Principal,
    today: Date,
    request: &BoardRequest,
) -> Result<Board, Error> {
    read_board(store, principal, today, request, store::alerts::MAX_PAGE, MAX_SCANNED).await
}

/// [`board`], reading the store `fetch` alerts at a time and, for a caller holding some branches, at most about
/// `budget` alerts before the page ends early.
async fn read_board<S: AlertRegister>(
    store: &S,
    principal: &Principal,
    today: Date,
    request: &BoardRequest,
    fetch: u32,
    budget: usize,
) -> Result<Board, Error> {
    let limit = request.limit as usize;
    // The store filters one branch exactly; a caller holding every branch, or asking for one branch they hold, is
    // answered by the store alone. A caller holding some branches is answered by reading the board in order and
    // keeping theirs (a branch code covers the branches within its area), so no alert of theirs is skipped.
    let whole = match (&principal.branches, &request.filter.branch) {
        (Branches::All, _) => true,
        (_, Some(branch)) if in_scope(principal, branch) => true,
        // Another branch's alerts: as if there were none.
        (_, Some(_)) => return Ok(Board { alerts: Vec::new(), next: None }),
        (Branches::Only(_), None) => false,
    };
    let fetch = if whole { request.limit } else { fetch };
    let mut after = request.after;
    let mut alerts = Vec::new();
    let mut scanned = 0;
    loop {
        let page = store.alert_board(&request.filter, after.as_ref(), fetch).await?;
        let read = page.alerts.len();
        for (i, alert) in page.alerts.iter().enumerate() {
            after = Some(BoardCursor::after(alert));
            if !in_scope(principal, &alert.raised.branch) {
                continue;
            }
            alerts.push(AlertSummary::of(alert, today));
            if alerts.len() == limit {
                let more = i + 1 < read || page.next.is_some();
                return Ok(Board { alerts, next: if more { after.as_ref().map(cursor_text) } else { None } });
            }
        }
        scanned += read;
        match page.next {
            Some(next) if scanned < budget && read > 0 => after = Some(next),
            Some(next) => return Ok(Board { alerts, next: Some(cursor_text(&next)) }),
            None => return Ok(Board { alerts, next: None }),
        }
    }
}

/// The alert, if it exists and `principal` holds its branch; else `alert_not_found`.
async fn visible<S: AlertRegister>(store: &S, principal: &Principal, alert_id: i64) -> Result<Alert, Error> {
    match store.alert(alert_id).await? {
        Some(alert) if in_scope(principal, &alert.raised.branch) => Ok(alert),
        _ => Err(Error::coded(ErrorCode::AlertNotFound, "alert_id", format!("alert {alert_id} not found"))),
    }
}

/// The detail of `alert`, with its history read now.
async fn detail<S: AlertRegister>(store: &S, alert: &Alert, today: Date) -> Result<AlertDetail, Error> {
    let history = store.alert_history(alert.alert_id).await?;
    Ok(AlertDetail {
        summary: AlertSummary::of(alert, today),
        evidence: shown_evidence(&alert.raised.evidence),
        recommended_actions: alert.raised.actions.iter().map(|a| labelled!(*a)).collect(),
        raised_at: alert.raised.raised_at.to_string(),
        config_version: alert.raised.config_version,
        history: history.iter().map(StepView::of).collect(),
    })
}

/// One alert with its evidence, recommended actions and full history; `alert_not_found` for an unknown alert or one
/// of a branch the caller does not hold.
pub async fn alert<S: AlertRegister>(
    store: &S,
    principal: &Principal,
    today: Date,
    alert_id: i64,
) -> Result<AlertDetail, Error> {
    let alert = visible(store, principal, alert_id).await?;
    detail(store, &alert, today).await
}

/// The refusal of a step the register made, its field told apart by who it names: the acting officer (`officer`)
/// or the one the step hands the alert to (`to`).
fn refused(error: StoreError, by: &OfficerId) -> Error {
    let named = |officer: &str| if officer == by.as_str() { "officer" } else { "to" };
    let field = match &error {
        StoreError::Alert { refusal: AlertRefusal::OtherBranch { officer, .. }, .. }
        | StoreError::Alert { refusal: AlertRefusal::UnknownOfficer(officer), .. } => Some(named(officer)),
        _ => None,
    };
    match (Error::from(error), field) {
        (Error::Refused { code, message, .. }, Some(field)) => Error::coded(code, field, message),
        (other, _) => other,
    }
}

/// Takes a workflow step on an alert as the caller ([`acting_officer`]) at the clock's time and returns the alert
/// with its history after it. Refused, with nothing written: a caller who is no officer (`forbidden`), a re-tier
/// (a monitoring run's) or a text out of bounds (`alert_invalid`), an unknown alert or one of a branch the caller
/// does not hold (`alert_not_found`), an officer not registered (`unknown_officer`), of another branch
/// (`alert_other_branch`) or not the holder (`alert_not_holder`), a move the workflow does not allow
/// (`alert_transition_refused`).
pub async fn act<S: AlertRegister>(
    store: &S,
    clock: &(dyn Clock + Send + Sync),
    principal: &Principal,
    alert_id: i64,
    change: Change,
) -> Result<AlertDetail, Error> {
    let by = acting_officer(principal)?;
    if matches!(change.kind(), ChangeKind::Retier | ChangeKind::Resolve) {
        return Err(Error::coded(
            ErrorCode::AlertInvalid,
            "kind",
            "kind: a re-tier or a resolve is made by a monitoring run (the cause came back stronger, or cleared), \
             not by a person",
        ));
    }
    let event = AlertEvent { change, by: by.clone(), at: clock.now() };
    event.check().map_err(StoreError::from)?;
    visible(store, principal, alert_id).await?;
    let after = store.act(alert_id, &event).await.map_err(|e| refused(e, &by))?;
    detail(store, &after, clock.today()).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::{HouseholdId, Money, Timestamp};
    use identity::Role;
    use monitor::{Cause, NewAlert, RecommendedAction, Status, Tier, WorkflowConfig};
    use store::{ReviewWorkflow, SqliteStore};

    struct Stopped;

    impl Clock for Stopped {
        fn today(&self) -> Date {
            domain::parse_date("2026-07-02").expect("date")
        }

        fn now(&self) -> Timestamp {
            Timestamp::parse("2026-07-02T09:00:00+08:00").expect("at")
        }
    }

    fn person(name: &str, role: Role, branches: &str) -> Principal {
        Principal {
            actor: Actor::User(name.into()),
            role,
            branches: Branches::parse(branches).expect("branches"),
            only: None,
        }
    }

    fn raised(household: &str, branch: &str, tier: Tier, cause: Cause, day: &str) -> NewAlert {
        let raised_on = domain::parse_date(day).expect("date");
        NewAlert {
            household_id: HouseholdId::parse(household).expect("id"),
            loan_id: None,
            branch: branch.into(),
            tier,
            cause,
            evidence: serde_json::json!({ "dpd": 12, "contact": "13812345678" }),
            actions: vec![RecommendedAction::VisitWithin3Days],
            raised_on,
            raised_at: Timestamp::parse(&format!("{day}T06:00:00+08:00")).expect("at"),
            config_version: 1,
            due_on: WorkflowConfig::default().due_on(tier, raised_on).expect("due"),
        }
    }

    async fn officer(store: &SqliteStore, id: &str, branch: &str) {
        let officer = workflow::Officer {
            officer_id: OfficerId::parse(id).expect("id"),
            name: format!("Officer {id}"),
            branch: branch.into(),
            authority: Money::from_yuan(10_000),
            registered_at: Timestamp::parse("2026-06-01T00:00:00+08:00").expect("at"),
        };
        store.register_officer(&officer).await.expect("officer");
    }

    /// Two branches' alerts: three in 990101001 (red, orange, yellow) and one red in 990102001.
    async fn seeded() -> (tempfile::TempDir, SqliteStore) {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = SqliteStore::open(dir.path()).await.expect("open");
        for alert in [
            raised("H1", "990101001", Tier::Yellow, Cause::Weather, "2026-06-28"),
            raised("H2", "990101001", Tier::Red, Cause::Overdue, "2026-06-29"),
            raised("H3", "990102001", Tier::Red, Cause::Overdue, "2026-06-27"),
            raised("H4", "990101001", Tier::Orange, Cause::FundDiversion, "2026-06-30"),
        ] {
            store.raise(&alert).await.expect("raise");
        }
        officer(&store, "li", "990101001").await;
        officer(&store, "zhang", "990101001").await;
        officer(&store, "wang", "990102001").await;
        (dir, store)
    }

    fn request(query: BoardQuery) -> BoardRequest {
        BoardRequest::parse(&query).expect("a request")
    }

    async fn walk(store: &SqliteStore, principal: &Principal, query: BoardQuery) -> Vec<String> {
        let mut seen = Vec::new();
        let mut query = query;
        loop {
            let page = board(store, principal, Stopped.today(), &request(query.clone())).await.expect("board");
            seen.extend(page.alerts.iter().map(|a| a.household_id.clone()));
            match page.next {
                Some(next) => query.cursor = Some(next),
                None => return seen,
            }
        }
    }

    #[tokio::test]
    async fn the_board_shows_only_the_callers_branches_red_first_in_pages() {
        let (_dir, store) = seeded().await;
        let everyone = person("risk", Role::RiskManager, "*");
        let all = walk(&store, &everyone, BoardQuery { limit: Some(1), ..BoardQuery::default() }).await;
        assert_eq!(all, ["H3", "H2", "H4", "H1"], "red oldest first, then orange, then yellow");
        // A township-wide officer sees their township's alerts, a county-wide one both, page by page.
        let li = person("li", Role::LoanOfficer, "990101001");
        assert_eq!(walk(&store, &li, BoardQuery { limit: Some(2), ..BoardQuery::default() }).await, ["H2", "H4", "H1"]);
        let county = person("chen", Role::Auditor, "990101,990102");
        assert_eq!(walk(&store, &county, BoardQuery::default()).await, all);
        // Another branch's alerts, asked for by name, are as if there were none.
        let theirs = BoardQuery { branch: Some("990102001".into()), ..BoardQuery::default() };
        assert!(walk(&store, &li, theirs.clone()).await.is_empty());
        assert_eq!(walk(&store, &everyone, theirs).await, ["H3"]);
        let red = BoardQuery { tier: Some("red".into()), ..BoardQuery::default() };
        assert_eq!(walk(&store, &li, red).await, ["H2"]);
        let page = board(&store, &li, Stopped.today(), &request(BoardQuery::default())).await.expect("board");
        assert_eq!(page.alerts[0].tier.label_zh, "红色预警");
        assert!(!page.alerts[0].overdue, "H2, red since 06-29, is due on 07-02: not overdue that day");
        let page = board(&store, &everyone, Stopped.today(), &request(BoardQuery::default())).await.expect("board");
        assert!(page.alerts[0].overdue, "H3, red since 06-27, was due on 06-30");
    }

    #[tokio::test]
    async fn a_page_that_reads_past_its_budget_ends_early_and_its_cursor_goes_on_where_the_reading_stopped() {
        let (_dir, store) = seeded().await;
        let li = person("li", Role::LoanOfficer, "990101001");
        let mut query = BoardQuery { limit: Some(2), ..BoardQuery::default() };
        let mut pages = Vec::new();
        loop {
            let page = read_board(&store, &li, Stopped.today(), &request(query.clone()), 1, 1).await.expect("board");
            pages.push(page.alerts.iter().map(|a| a.household_id.clone()).collect::<Vec<_>>());
            match page.next {
                Some(next) => query.cursor = Some(next),
                None => break,
            }
        }
        // The first read is the other branch's red alert: an empty page, and the walk goes on from after it.
        assert_eq!(pages[0], Vec::<String>::new());
        assert_eq!(pages.concat(), ["H2", "H4", "H1"]);
    }

    #[test]
    fn every_filter_and_the_cursor_name_the_field_they_refuse() {
        let refused = |query: BoardQuery| {
            let e = BoardRequest::parse(&query).expect_err("refused");
            (e.code(), e.field().map(str::to_owned))
        };
        let field = |f: &str| Some(f.to_owned());
        let q = BoardQuery::default;
        assert_eq!(
            refused(BoardQuery { tier: Some("purple".into()), ..q() }),
            (ErrorCode::InvalidField, field("tier"))
        );
        assert_eq!(
            refused(BoardQuery { status: Some("done".into()), ..q() }),
            (ErrorCode::InvalidField, field("status"))
        );
        assert_eq!(refused(BoardQuery { cause: Some("x".into()), ..q() }), (ErrorCode::InvalidField, field("cause")));
        assert_eq!(
            refused(BoardQuery { branch: Some("b".repeat(65)), ..q() }),
            (ErrorCode::InvalidField, field("branch"))
        );
        assert_eq!(
            refused(BoardQuery { officer: Some("a b".into()), ..q() }),
            (ErrorCode::InvalidField, field("officer"))
        );
        assert_eq!(refused(BoardQuery { limit: Some(201), ..q() }), (ErrorCode::OutOfRange, field("limit")));
        assert_eq!(refused(BoardQuery { limit: Some(0), ..q() }), (ErrorCode::OutOfRange, field("limit")));
        for cursor in [
            "",
            "red",
            "red.2026-06-28",
            "red.2026-02-30.4",
            "pink.2026-06-28.4",
            "red.2026-06-28.0",
            "red.2026-06-28.4.5",
        ] {
            assert_eq!(
                refused(BoardQuery { cursor: Some(cursor.into()), ..q() }),
                (ErrorCode::InvalidField, field("cursor"))
            );
        }
        let cursor =
            BoardCursor { tier: Tier::Orange, raised_on: domain::parse_date("2026-06-28").expect("d"), alert_id: 42 };
        assert_eq!(parse_cursor(&cursor_text(&cursor)).expect("round trip"), cursor);
        assert_eq!(alert_id_of("42").expect("a number"), 42);
        for bad in ["0", "-1", "4x", "", "1234567890123456789", "{alert_id}"] {
            assert_eq!(alert_id_of(bad).expect_err(bad).field(), Some("alert_id"));
        }
    }

    #[tokio::test]
    async fn an_alert_shows_its_household_id_masked_evidence_actions_and_history() {
        let (_dir, store) = seeded().await;
        let li = person("li", Role::LoanOfficer, "990101001");
        let shown = alert(&store, &li, Stopped.today(), 2).await.expect("alert");
        assert_eq!(shown.summary.household_id, "H2");
        assert_eq!(shown.evidence["contact"], "138****5678", "a phone in the evidence is masked");
        assert_eq!(shown.evidence["dpd"], 12);
        assert_eq!(shown.recommended_actions[0].label_zh, "3日内实地走访");
        assert_eq!(shown.history.len(), 1);
        assert_eq!(shown.history[0].kind, "raise");
        // Of another branch, or unknown: the same answer.
        for id in [3, 99] {
            let e = alert(&store, &li, Stopped.today(), id).await.expect_err("not found");
            assert_eq!((e.code(), e.field()), (ErrorCode::AlertNotFound, Some("alert_id")));
        }
    }

    #[tokio::test]
    async fn the_holder_walks_an_alert_to_closed_and_every_refusal_has_its_code_and_writes_nothing() {
        let (_dir, store) = seeded().await;
        let li = person("li", Role::LoanOfficer, "990101001");
        let zhang = person("zhang", Role::LoanOfficer, "990101001");
        let step = |principal: Principal, change: Change| {
            let store = &store;
            async move { act(store, &Stopped, &principal, 2, change).await }
        };
        let history = || async { store.alert_history(2).await.expect("history").len() };
        let officer = |id: &str| OfficerId::parse(id).expect("id");
        let code_and_field = |e: Error| (e.code(), e.field().map(str::to_owned));

        // Handing it to an officer of another branch, or to nobody registered.
        let e = step(li.clone(), Change::Assign { to: officer("wang") }).await.expect_err("other branch");
        assert_eq!(code_and_field(e), (ErrorCode::AlertOtherBranch, Some("to".into())));
        let e = step(li.clone(), Change::Assign { to: officer("nobody") }).await.expect_err("unknown");
        assert_eq!(code_and_field(e), (ErrorCode::UnknownOfficer, Some("to".into())));
        // Acknowledging an open alert: the workflow refuses.
        let e = step(li.clone(), Change::Acknowledge).await.expect_err("illegal");
        assert_eq!(code_and_field(e), (ErrorCode::AlertTransitionRefused, Some("kind".into())));
        assert_eq!(history().await, 1, "nothing written");

        let assigned = step(li.clone(), Change::Assign { to: officer("li") }).await.expect("assign");
        assert_eq!(assigned.summary.status.code, "assigned");
        // Not the holder.
        let e = step(zhang.clone(), Change::Acknowledge).await.expect_err("not holder");
        assert_eq!(code_and_field(e), (ErrorCode::AlertNotHolder, Some("officer".into())));
        // An officer of another branch whose scope still covers the alert (a county-wide loan officer).
        let wang = person("wang", Role::LoanOfficer, "990101,990102");
        let e = step(wang, Change::Acknowledge).await.expect_err("other branch");
        assert_eq!(code_and_field(e), (ErrorCode::AlertOtherBranch, Some("officer".into())));
        // Out of scope: as if it did not exist.
        let outsider = person("wang", Role::LoanOfficer, "990102");
        let e = step(outsider, Change::Acknowledge).await.expect_err("out of scope");
        assert_eq!(code_and_field(e), (ErrorCode::AlertNotFound, Some("alert_id".into())));
        // Bounds, a re-tier, and a caller who is no officer.
        let long = Change::RecordAction { action: RecommendedAction::VisitWithin3Days, outcome: "字".repeat(1_001) };
        let e = step(li.clone(), long).await.expect_err("too long");
        assert_eq!(code_and_field(e), (ErrorCode::AlertInvalid, Some("outcome".into())));
        let e = step(li.clone(), Change::Retier { from: Tier::Red, to: Tier::Red }).await.expect_err("retier");
        assert_eq!(code_and_field(e), (ErrorCode::AlertInvalid, Some("kind".into())));
        let auditor = person("audit", Role::Auditor, "*");
        assert_eq!(step(auditor, Change::Acknowledge).await.expect_err("no officer").code(), ErrorCode::Forbidden);
        let key = Principal { actor: Actor::Key("k1".into()), ..person("x", Role::LoanOfficer, "*") };
        assert_eq!(step(key, Change::Acknowledge).await.expect_err("a key").code(), ErrorCode::Forbidden);
        assert_eq!(history().await, 2, "only the assignment was written");

        step(li.clone(), Change::Acknowledge).await.expect("acknowledge");
        let action = Change::RecordAction { action: RecommendedAction::VisitWithin3Days, outcome: "visited".into() };
        step(li.clone(), action).await.expect("action");
        let closed = step(li.clone(), Change::Close { reason: "repaid".into() }).await.expect("close");
        assert_eq!(closed.summary.status.code, Status::Closed.code());
        let kinds: Vec<&str> = closed.history.iter().map(|s| s.kind).collect();
        assert_eq!(kinds, ["raise", "assign", "acknowledge", "record_action", "close"]);
        assert!(closed.history.iter().skip(1).all(|s| s.by == "li"));
        let e = step(li, Change::Close { reason: "again".into() }).await.expect_err("closed");
        assert_eq!(e.code(), ErrorCode::AlertTransitionRefused);
    }
}
