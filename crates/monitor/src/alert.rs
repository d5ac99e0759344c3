//! An early-warning alert: its tier, cause and recommended actions, the workflow it goes through (assign,
//! acknowledge, record the action taken, escalate when overdue, close) and the bounds of what it carries.
//!
//! Every code here is stable: it is what the store writes and the API answers, so a code is never renamed; a new
//! variant gets a new code. Labels are for people (a loan officer reads Chinese, the English is for the rest).

use std::fmt;
use std::str::FromStr;

use domain::{Date, HouseholdId, LoanId, OfficerId, Timestamp};
use serde::{Deserialize, Serialize};

/// A code that names no variant of a coded type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{code}' is not a known {kind} code")]
pub struct UnknownCode {
    /// What was being parsed (`tier`, `cause`, …).
    pub kind: &'static str,
    /// The code given (at most 64 characters of it).
    pub code: String,
}

/// Defines an enum whose variants each have a stable snake_case code and a Chinese and an English label, with
/// `code()`, `label_zh()`, `label_en()`, `ALL`, `FromStr` and serde through the code.
macro_rules! coded {
    (
        $(#[$meta:meta])*
        $name:ident, $kind:literal {
            $( $(#[$vmeta:meta])* $variant:ident = $code:literal, $zh:literal, $en:literal; )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "&'static str")]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )+
        }

        impl $name {
            /// Every variant, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stable code, as stored and sent.
            pub fn code(self) -> &'static str {
                match self { $($name::$variant => $code,)+ }
            }

            /// The label a loan officer reads.
            pub fn label_zh(self) -> &'static str {
                match self { $($name::$variant => $zh,)+ }
            }

            /// The label in English.
            pub fn label_en(self) -> &'static str {
                match self { $($name::$variant => $en,)+ }
            }
        }

        impl FromStr for $name {
            type Err = UnknownCode;
            fn from_str(code: &str) -> Result<$name, UnknownCode> {
                match code {
                    $($code => Ok($name::$variant),)+
                    other => Err(UnknownCode { kind: $kind, code: other.chars().take(64).collect() }),
                }
            }
        }

        impl TryFrom<String> for $name {
            type Error = UnknownCode;
            fn try_from(code: String) -> Result<$name, UnknownCode> {
                code.parse()
            }
        }

        impl From<$name> for &'static str {
            fn from(value: $name) -> &'static str {
                value.code()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.pad(self.code())
            }
        }
    };
}

coded! {
    /// How urgent an alert is. Ordered by urgency: `Red > Orange > Yellow`.
    Tier, "tier" {
        /// Watch list.
        Yellow = "yellow", "黄色预警", "yellow";
        /// Review within a week, cut the limit.
        Orange = "orange", "橙色预警", "orange";
        /// Visit within 3 days, freeze the unused line.
        Red = "red", "红色预警", "red";
    }
}

impl Tier {
    /// The tier's place on the alert board: 0 for red (first), 1 for orange, 2 for yellow.
    pub fn board_rank(self) -> i64 {
        match self {
            Tier::Red => 0,
            Tier::Orange => 1,
            Tier::Yellow => 2,
        }
    }
}

impl PartialOrd for Tier {
    fn partial_cmp(&self, other: &Tier) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

/// By urgency: the lower board rank is the higher tier.
impl Ord for Tier {
    fn cmp(&self, other: &Tier) -> std::cmp::Ordering {
        other.board_rank().cmp(&self.board_rank())
    }
}

coded! {
    /// The family of signal an alert comes from. One open alert per borrower and cause.
    Cause, "cause" {
        /// Missed installments and days past due.
        Overdue = "overdue", "逾期", "overdue installment";
        /// Lateness against the expected harvest cash flow.
        HarvestLateness = "harvest_lateness", "收获期回款迟延", "late against the harvest cash flow";
        /// Behaviour-score deterioration.
        BehaviourScore = "behaviour_score", "行为评分下降", "behaviour score deterioration";
        /// Loan proceeds sent where they should not go.
        FundDiversion = "fund_diversion", "贷款资金挪用", "fund diversion";
        /// New bureau inquiries or new lenders.
        OverIndebtedness = "over_indebtedness", "过度负债", "over-indebtedness";
        /// A price shock for the borrower's crops or livestock.
        PriceShock = "price_shock", "价格冲击", "price shock";
        /// Weather warning or disaster in the borrower's village.
        Weather = "weather", "气象灾害", "weather or disaster";
        /// Disease outbreak in the county.
        Disease = "disease", "疫病", "disease outbreak";
        /// Default of a group peer or a rising village default rate.
        PeerDefault = "peer_default", "联保或同村违约", "peer default";
        /// Negative news for the borrower's crop or region.
        NegativeNews = "negative_news", "负面舆情", "negative news";
        /// Crop condition from remote sensing.
        CropCondition = "crop_condition", "遥感长势异常", "crop condition anomaly";
        /// A concentration limit breached.
        Concentration = "concentration", "集中度超限", "concentration limit breached";
        /// Model or data drift.
        ModelDrift = "model_drift", "模型漂移", "model drift";
        /// A regional shock to migrant employment, cutting the household's off-farm income.
        IncomeShock = "income_shock", "务工收入冲击", "off-farm income shock";
    }
}

coded! {
    /// What the loan officer is advised to do.
    RecommendedAction, "recommended action" {
        /// Visit the borrower within 3 days.
        VisitWithin3Days = "visit_within_3_days", "3日内实地走访", "visit within 3 days";
        /// Freeze the unused part of the credit line.
        FreezeUnusedLine = "freeze_unused_line", "冻结未用额度", "freeze the unused line";
        /// Cut the credit limit.
        CutLimit = "cut_limit", "压降授信额度", "cut the limit";
        /// Start the agricultural insurance claim.
        StartInsuranceClaim = "start_insurance_claim", "启动保险理赔", "start the insurance claim";
        /// Put the borrower on the watch list.
        WatchList = "watch_list", "列入关注名单", "watch list";
        /// Offer a disaster deferral.
        OfferDisasterDeferral = "offer_disaster_deferral", "提供受灾延期", "offer disaster deferral";
        /// Review the loan's five-category classification.
        ClassificationReview = "classification_review", "风险分类复核", "classification review";
    }
}

coded! {
    /// Where an alert stands in its workflow.
    Status, "status" {
        /// Raised, nobody assigned.
        Open = "open", "待分派", "open";
        /// Assigned to a loan officer.
        Assigned = "assigned", "已分派", "assigned";
        /// The officer holding it has seen it.
        Acknowledged = "acknowledged", "已确认", "acknowledged";
        /// An action and its outcome are recorded.
        ActionRecorded = "action_recorded", "已处置", "action recorded";
        /// Overdue, moved up to the branch risk manager.
        Escalated = "escalated", "已升级", "escalated";
        /// Done.
        Closed = "closed", "已关闭", "closed";
    }
}

coded! {
    /// The kind of a [`Change`], for refusals and the stored history.
    ChangeKind, "alert event" {
        /// [`Change::Assign`].
        Assign = "assign", "分派", "assign";
        /// [`Change::Acknowledge`].
        Acknowledge = "acknowledge", "确认", "acknowledge";
        /// [`Change::RecordAction`].
        RecordAction = "record_action", "登记处置", "record action";
        /// [`Change::Escalate`].
        Escalate = "escalate", "升级", "escalate";
        /// [`Change::Close`].
        Close = "close", "关闭", "close";
        /// [`Change::Retier`].
        Retier = "retier", "调整级别", "re-tier";
        /// [`Change::Resolve`].
        Resolve = "resolve", "自动解除", "resolved by monitoring";
    }
}

/// One step of an alert's workflow.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Change {
    /// Give the alert to a loan officer (again, to hand it over).
    Assign {
        /// The officer who holds it from now on.
        to: OfficerId,
    },
    /// The holder has seen it.
    Acknowledge,
    /// The holder took an action, with its outcome.
    RecordAction {
        /// What was done.
        action: RecommendedAction,
        /// What came of it, in the officer's words.
        outcome: String,
    },
    /// Overdue: moved up to the branch risk manager, who holds it from now on.
    Escalate {
        /// The risk manager.
        to: OfficerId,
    },
    /// Done, with why.
    Close {
        /// Why it is closed.
        reason: String,
    },
    /// A later run found the same cause stronger: the tier goes up.
    Retier {
        /// The tier it had.
        from: Tier,
        /// The tier it has now (higher).
        to: Tier,
    },
    /// A monitoring run found the alert's signal cleared: the alert is closed without an officer's action.
    Resolve {
        /// Why the run resolved it (which signal cleared, and how).
        reason: String,
    },
}

impl Change {
    /// Its kind.
    pub fn kind(&self) -> ChangeKind {
        match self {
            Change::Assign { .. } => ChangeKind::Assign,
            Change::Acknowledge => ChangeKind::Acknowledge,
            Change::RecordAction { .. } => ChangeKind::RecordAction,
            Change::Escalate { .. } => ChangeKind::Escalate,
            Change::Close { .. } => ChangeKind::Close,
            Change::Retier { .. } => ChangeKind::Retier,
            Change::Resolve { .. } => ChangeKind::Resolve,
        }
    }

    /// Checks the texts the change carries, naming the field: an outcome or reason 1 to [`MAX_TEXT_CHARS`]
    /// characters, not blank; a re-tier only upwards.
    pub fn check(&self) -> Result<(), InvalidAlert> {
        match self {
            Change::RecordAction { outcome, .. } => bounded_text("outcome", outcome, MAX_TEXT_CHARS),
            Change::Close { reason } | Change::Resolve { reason } => bounded_text("reason", reason, MAX_TEXT_CHARS),
            Change::Retier { from, to } if to <= from => {
                Err(invalid("tier", format!("a re-tier goes up only ({from} to {to})")))
            }
            _ => Ok(()),
        }
    }

    /// The officer the change makes the holder, if it names one.
    pub fn new_holder(&self) -> Option<&OfficerId> {
        match self {
            Change::Assign { to } | Change::Escalate { to } => Some(to),
            _ => None,
        }
    }
}

/// A workflow move [`Status::after`] does not allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("an alert that is {status} cannot take '{event}'")]
pub struct Refusal {
    /// The status the alert is in.
    pub status: Status,
    /// The event refused.
    pub event: ChangeKind,
}

impl Status {
    /// The status after `change`, or the refusal naming this status and the event. The whole workflow is here:
    /// open → assigned → acknowledged → action_recorded → closed; an open, assigned or acknowledged alert may be
    /// escalated, and an escalated one may still be acknowledged, acted on or closed; an alert is handed over by
    /// assigning it again while assigned; more actions may be recorded after the first; a re-tier keeps the status
    /// and is refused only once closed; a monitoring run's resolve closes an alert in any status but closed.
    pub fn after(self, change: &Change) -> Result<Status, Refusal> {
        use ChangeKind as K;
        use Status as S;
        let next = match (self, change.kind()) {
            (S::Closed, _) => None,
            (status, K::Retier) => Some(status),
            (_, K::Resolve) => Some(S::Closed),
            (S::Open | S::Assigned, K::Assign) => Some(S::Assigned),
            (S::Assigned | S::Escalated, K::Acknowledge) => Some(S::Acknowledged),
            (S::Acknowledged | S::ActionRecorded | S::Escalated, K::RecordAction) => Some(S::ActionRecorded),
            (S::Open | S::Assigned | S::Acknowledged, K::Escalate) => Some(S::Escalated),
            (S::ActionRecorded | S::Escalated, K::Close) => Some(S::Closed),
            _ => None,
        };
        next.ok_or(Refusal { status: self, event: change.kind() })
    }

    /// Whether an alert in this status still waits for its action, so its due date counts.
    pub fn awaits_action(self) -> bool {
        matches!(self, Status::Open | Status::Assigned | Status::Acknowledged)
    }
}

/// Due dates by tier: days from the day an alert is raised to the day its holder must have acknowledged it and
/// recorded the action. Versioned: the version an alert was raised under is the one its due date came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkflowConfig {
    /// The configuration's version.
    pub version: u32,
    /// Days allowed on a red alert.
    pub red_days: u32,
    /// Days allowed on an orange alert.
    pub orange_days: u32,
    /// Days allowed on a yellow alert.
    pub yellow_days: u32,
}

impl Default for WorkflowConfig {
    /// Version 1: red 3 days, orange 7, yellow 30 (the early-warning practice the issue cites).
    fn default() -> WorkflowConfig {
        WorkflowConfig { version: 1, red_days: 3, orange_days: 7, yellow_days: 30 }
    }
}

impl WorkflowConfig {
    /// Days allowed on an alert of `tier`.
    pub fn days(&self, tier: Tier) -> u32 {
        match tier {
            Tier::Red => self.red_days,
            Tier::Orange => self.orange_days,
            Tier::Yellow => self.yellow_days,
        }
    }

    /// The due date of an alert of `tier` raised (or re-tiered) on `on`; `None` past the calendar's end.
    pub fn due_on(&self, tier: Tier, on: Date) -> Option<Date> {
        on.checked_add_days(chrono::Days::new(u64::from(self.days(tier))))
    }
}

/// Longest household, loan, branch or officer id text.
pub const MAX_ID_CHARS: usize = 64;
/// Longest outcome or closing reason.
pub const MAX_TEXT_CHARS: usize = 1_000;
/// Largest evidence document, as compact JSON.
pub const MAX_EVIDENCE_BYTES: usize = 16 * 1024;
/// Deepest nesting of the evidence document (the document itself is depth 1).
pub const MAX_EVIDENCE_DEPTH: usize = 8;
/// Most recommended actions an alert carries.
pub const MAX_ACTIONS: usize = 4;

/// An alert a run raises.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewAlert {
    /// The borrowing household.
    pub household_id: HouseholdId,
    /// The loan, when the signal is about one.
    pub loan_id: Option<LoanId>,
    /// The branch the borrower belongs to; only its officers act on the alert.
    pub branch: String,
    /// How urgent.
    pub tier: Tier,
    /// The signal family.
    pub cause: Cause,
    /// What the detectors saw (figures, dates, thresholds), bounded in size and depth.
    pub evidence: serde_json::Value,
    /// What the officer is advised to do: 1 to 4, no repeats.
    pub actions: Vec<RecommendedAction>,
    /// The day the run was for.
    pub raised_on: Date,
    /// When it was raised.
    pub raised_at: Timestamp,
    /// The version of the monitoring configuration the run used.
    pub config_version: u32,
    /// When the action is due ([`WorkflowConfig::due_on`] of the tier and `raised_on`).
    pub due_on: Date,
}

/// A [`NewAlert`] or [`Change`] out of its bounds.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("alert {field}: {problem}")]
pub struct InvalidAlert {
    /// The offending field.
    pub field: &'static str,
    /// What is wrong with it.
    pub problem: String,
}

fn invalid(field: &'static str, problem: impl Into<String>) -> InvalidAlert {
    InvalidAlert { field, problem: problem.into() }
}

/// Refuses a text that is blank or longer than `max` characters.
fn bounded_text(field: &'static str, text: &str, max: usize) -> Result<(), InvalidAlert> {
    let n = text.chars().count();
    if n > max || text.trim().is_empty() {
        return Err(invalid(field, format!("must be 1 to {max} characters, not blank (got {n})")));
    }
    Ok(())
}

/// The nesting depth of a JSON value: 1 for a scalar or an empty container. Iterative, so a hostile document
/// cannot exhaust the stack.
fn depth(value: &serde_json::Value) -> usize {
    let mut deepest = 0;
    let mut stack = vec![(value, 1usize)];
    while let Some((v, d)) = stack.pop() {
        deepest = deepest.max(d);
        match v {
            serde_json::Value::Array(items) => stack.extend(items.iter().map(|i| (i, d + 1))),
            serde_json::Value::Object(map) => stack.extend(map.values().map(|i| (i, d + 1))),
            _ => {}
        }
    }
    deepest
}

impl NewAlert {
    /// Checks every bound, naming the field it refuses: ids and branch at most [`MAX_ID_CHARS`], the branch not
    /// blank, the evidence a JSON object of at most [`MAX_EVIDENCE_BYTES`] and [`MAX_EVIDENCE_DEPTH`] levels, 1 to
    /// [`MAX_ACTIONS`] recommended actions without repeats, the due date not before the day raised.
    pub fn check(&self) -> Result<(), InvalidAlert> {
        bounded_text("household_id", self.household_id.as_str(), MAX_ID_CHARS)?;
        if let Some(loan) = &self.loan_id {
            bounded_text("loan_id", loan.as_str(), MAX_ID_CHARS)?;
        }
        bounded_text("branch", &self.branch, MAX_ID_CHARS)?;
        if !self.evidence.is_object() {
            return Err(invalid("evidence", "must be a JSON object"));
        }
        let levels = depth(&self.evidence);
        if levels > MAX_EVIDENCE_DEPTH {
            return Err(invalid("evidence", format!("nests {levels} levels deep, at most {MAX_EVIDENCE_DEPTH}")));
        }
        let size = serde_json::to_vec(&self.evidence).map_or(usize::MAX, |bytes| bytes.len());
        if size > MAX_EVIDENCE_BYTES {
            return Err(invalid("evidence", format!("is {size} bytes as JSON, at most {MAX_EVIDENCE_BYTES}")));
        }
        if self.actions.is_empty() || self.actions.len() > MAX_ACTIONS {
            return Err(invalid("actions", format!("must be 1 to {MAX_ACTIONS} (got {})", self.actions.len())));
        }
        for (i, action) in self.actions.iter().enumerate() {
            if self.actions[..i].contains(action) {
                return Err(invalid("actions", format!("{action} is listed twice")));
            }
        }
        if self.due_on < self.raised_on {
            return Err(invalid("due_on", format!("{} is before the day raised, {}", self.due_on, self.raised_on)));
        }
        Ok(())
    }
}

/// A workflow step taken on an alert: what, by which officer, when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertEvent {
    /// The step.
    pub change: Change,
    /// The officer taking it.
    pub by: OfficerId,
    /// When.
    pub at: Timestamp,
}

impl AlertEvent {
    /// Checks the texts the step carries ([`Change::check`]).
    pub fn check(&self) -> Result<(), InvalidAlert> {
        self.change.check()
    }
}

/// A stored alert as it stands now.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    /// Its number, from 1.
    pub alert_id: i64,
    /// What was raised, with the tier and due date as they stand now (a re-tier raises both).
    pub raised: NewAlert,
    /// Where it stands.
    pub status: Status,
    /// The officer who holds it, once assigned or escalated.
    pub holder: Option<OfficerId>,
    /// Events in its history (the raise is event 1).
    pub events: u32,
}

impl Alert {
    /// Whether the action is overdue on `on`: the alert still waits for its action (open, assigned or
    /// acknowledged) and its due date is past.
    pub fn is_overdue(&self, on: Date) -> bool {
        self.status.awaits_action() && on > self.raised.due_on
    }
}

/// One entry of an alert's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertStep {
    /// Its place in the history, from 1 (the raise).
    pub seq: u32,
    /// The step; `None` for the raise itself.
    pub change: Option<Change>,
    /// Who: the officer, or for the raise, a re-tier and a resolve by a run, the store's acting actor.
    pub by: String,
    /// When.
    pub at: Timestamp,
    /// The status after it.
    pub status: Status,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn officer(id: &str) -> OfficerId {
        OfficerId::parse(id).expect("officer id")
    }

    fn every_change() -> Vec<Change> {
        vec![
            Change::Assign { to: officer("li") },
            Change::Acknowledge,
            Change::RecordAction { action: RecommendedAction::VisitWithin3Days, outcome: "visited".into() },
            Change::Escalate { to: officer("wang") },
            Change::Close { reason: "repaid".into() },
            Change::Retier { from: Tier::Yellow, to: Tier::Red },
            Change::Resolve { reason: "signal cleared".into() },
        ]
    }

    #[test]
    fn every_legal_and_illegal_transition() {
        use ChangeKind as K;
        use Status as S;
        // (from, event, to) for every legal move; every other pair must be refused.
        let legal: &[(S, K, S)] = &[
            (S::Open, K::Assign, S::Assigned),
            (S::Open, K::Escalate, S::Escalated),
            (S::Open, K::Retier, S::Open),
            (S::Assigned, K::Assign, S::Assigned),
            (S::Assigned, K::Acknowledge, S::Acknowledged),
            (S::Assigned, K::Escalate, S::Escalated),
            (S::Assigned, K::Retier, S::Assigned),
            (S::Acknowledged, K::RecordAction, S::ActionRecorded),
            (S::Acknowledged, K::Escalate, S::Escalated),
            (S::Acknowledged, K::Retier, S::Acknowledged),
            (S::ActionRecorded, K::RecordAction, S::ActionRecorded),
            (S::ActionRecorded, K::Close, S::Closed),
            (S::ActionRecorded, K::Retier, S::ActionRecorded),
            (S::Escalated, K::Acknowledge, S::Acknowledged),
            (S::Escalated, K::RecordAction, S::ActionRecorded),
            (S::Escalated, K::Close, S::Closed),
            (S::Escalated, K::Retier, S::Escalated),
            (S::Open, K::Resolve, S::Closed),
            (S::Assigned, K::Resolve, S::Closed),
            (S::Acknowledged, K::Resolve, S::Closed),
            (S::ActionRecorded, K::Resolve, S::Closed),
            (S::Escalated, K::Resolve, S::Closed),
        ];
        let mut checked = 0;
        for &status in Status::ALL {
            for change in every_change() {
                let expected = legal.iter().find(|(s, k, _)| *s == status && *k == change.kind()).map(|(_, _, t)| *t);
                match (status.after(&change), expected) {
                    (Ok(next), Some(to)) => assert_eq!(next, to, "{status} + {}", change.kind()),
                    (Err(refusal), None) => {
                        assert_eq!(refusal, Refusal { status, event: change.kind() });
                        let text = refusal.to_string();
                        assert!(text.contains(status.code()) && text.contains(change.kind().code()), "{text}");
                    }
                    (got, want) => panic!("{status} + {}: got {got:?}, expected {want:?}", change.kind()),
                }
                checked += 1;
            }
        }
        assert_eq!(checked, Status::ALL.len() * ChangeKind::ALL.len());
    }

    #[test]
    fn closed_is_final() {
        for change in every_change() {
            assert!(Status::Closed.after(&change).is_err(), "{}", change.kind());
        }
    }

    #[test]
    fn tiers_order_red_over_orange_over_yellow_and_board_red_first() {
        assert!(Tier::Red > Tier::Orange && Tier::Orange > Tier::Yellow);
        let mut board = vec![Tier::Yellow, Tier::Red, Tier::Orange];
        board.sort_by_key(|t| t.board_rank());
        assert_eq!(board, [Tier::Red, Tier::Orange, Tier::Yellow]);
        assert_eq!(Tier::ALL.iter().max(), Some(&Tier::Red));
    }

    #[test]
    fn codes_round_trip_and_unknown_codes_are_named() {
        fn round_trip<T: Copy + PartialEq + fmt::Debug + FromStr<Err = UnknownCode>>(
            all: &[T],
            code: impl Fn(T) -> &'static str,
            labels: impl Fn(T) -> (&'static str, &'static str),
        ) {
            for &v in all {
                assert_eq!(code(v).parse::<T>().expect("known"), v);
                let (zh, en) = labels(v);
                assert!(!zh.is_empty() && !en.is_empty());
                assert!(code(v).bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'));
            }
        }
        round_trip(Tier::ALL, Tier::code, |t| (t.label_zh(), t.label_en()));
        round_trip(Cause::ALL, Cause::code, |t| (t.label_zh(), t.label_en()));
        round_trip(RecommendedAction::ALL, RecommendedAction::code, |t| (t.label_zh(), t.label_en()));
        round_trip(Status::ALL, Status::code, |t| (t.label_zh(), t.label_en()));
        round_trip(ChangeKind::ALL, ChangeKind::code, |t| (t.label_zh(), t.label_en()));
        assert_eq!(Cause::ALL.len(), 14);
        assert_eq!(RecommendedAction::ALL.len(), 7);
        let unknown = "drought".parse::<Cause>().expect_err("unknown");
        assert_eq!(unknown, UnknownCode { kind: "cause", code: "drought".into() });
        assert_eq!(serde_json::to_string(&Cause::FundDiversion).expect("json"), "\"fund_diversion\"");
        assert!(serde_json::from_str::<Tier>("\"purple\"").is_err());
    }

    #[test]
    fn income_shock_is_the_last_cause_and_keeps_the_codes_before_it() {
        assert_eq!(Cause::ALL.last(), Some(&Cause::IncomeShock));
        assert_eq!(Cause::ALL[12], Cause::ModelDrift, "a new cause goes at the end");
        assert_eq!("income_shock".parse::<Cause>(), Ok(Cause::IncomeShock));
        assert_eq!(
            (Cause::IncomeShock.label_zh(), Cause::IncomeShock.label_en()),
            ("务工收入冲击", "off-farm income shock")
        );
        assert_eq!(serde_json::to_string(&Cause::IncomeShock).expect("json"), "\"income_shock\"");
    }

    #[test]
    fn a_run_resolves_any_alert_not_closed_with_a_bounded_reason() {
        let resolve = Change::Resolve { reason: "dpd back to 0".into() };
        assert_eq!(resolve.kind(), ChangeKind::Resolve);
        assert_eq!(
            (ChangeKind::Resolve.code(), ChangeKind::Resolve.label_zh(), ChangeKind::Resolve.label_en()),
            ("resolve", "自动解除", "resolved by monitoring")
        );
        assert_eq!(resolve.new_holder(), None);
        for &status in Status::ALL.iter().filter(|s| **s != Status::Closed) {
            assert_eq!(status.after(&resolve), Ok(Status::Closed), "{status}");
        }
        assert_eq!(Status::Closed.after(&resolve), Err(Refusal { status: Status::Closed, event: ChangeKind::Resolve }));
        assert_eq!(resolve.check(), Ok(()));
        let reason = |text: &str| Change::Resolve { reason: text.to_string() }.check().map_err(|e| e.field);
        assert_eq!(reason(" "), Err("reason"));
        assert_eq!(reason(&"字".repeat(MAX_TEXT_CHARS + 1)), Err("reason"));
        assert_eq!(reason(&"字".repeat(MAX_TEXT_CHARS)), Ok(()));
        let json = serde_json::to_value(&resolve).expect("json");
        assert_eq!(json, serde_json::json!({ "kind": "resolve", "reason": "dpd back to 0" }));
    }

    #[test]
    fn due_dates_follow_the_tier() {
        let config = WorkflowConfig::default();
        let on = domain::parse_date("2026-06-28").expect("date");
        let due = |tier| config.due_on(tier, on).expect("in range").to_string();
        assert_eq!(
            (due(Tier::Red), due(Tier::Orange), due(Tier::Yellow)),
            ("2026-07-01".into(), "2026-07-05".into(), "2026-07-28".into())
        );
        assert_eq!(config.version, 1);
    }

    pub(super) fn sample() -> NewAlert {
        let raised_on = domain::parse_date("2026-06-28").expect("date");
        NewAlert {
            household_id: HouseholdId::parse("H000001").expect("id"),
            loan_id: Some(LoanId::parse("L000001").expect("id")),
            branch: "990101".into(),
            tier: Tier::Red,
            cause: Cause::Weather,
            evidence: serde_json::json!({ "warning": "red rainstorm", "village": "V01" }),
            actions: vec![RecommendedAction::VisitWithin3Days, RecommendedAction::StartInsuranceClaim],
            raised_on,
            raised_at: Timestamp::parse("2026-06-28T06:00:00+08:00").expect("ts"),
            config_version: 1,
            due_on: WorkflowConfig::default().due_on(Tier::Red, raised_on).expect("date"),
        }
    }

    #[test]
    fn an_alert_in_bounds_passes_and_each_bound_names_its_field() {
        assert_eq!(sample().check(), Ok(()));
        let refused = |alert: NewAlert| alert.check().expect_err("out of bounds").field;
        assert_eq!(refused(NewAlert { branch: " ".into(), ..sample() }), "branch");
        assert_eq!(refused(NewAlert { branch: "9".repeat(65), ..sample() }), "branch");
        assert_eq!(refused(NewAlert { actions: vec![], ..sample() }), "actions");
        let five = vec![
            RecommendedAction::VisitWithin3Days,
            RecommendedAction::FreezeUnusedLine,
            RecommendedAction::CutLimit,
            RecommendedAction::WatchList,
            RecommendedAction::ClassificationReview,
        ];
        assert_eq!(refused(NewAlert { actions: five.clone(), ..sample() }), "actions");
        assert_eq!(NewAlert { actions: five[..4].to_vec(), ..sample() }.check(), Ok(()));
        let twice = vec![RecommendedAction::CutLimit, RecommendedAction::CutLimit];
        assert_eq!(refused(NewAlert { actions: twice, ..sample() }), "actions");
        assert_eq!(refused(NewAlert { evidence: serde_json::json!([1, 2]), ..sample() }), "evidence");
        let big = serde_json::json!({ "text": "x".repeat(MAX_EVIDENCE_BYTES) });
        assert_eq!(refused(NewAlert { evidence: big, ..sample() }), "evidence");
        let mut deep = serde_json::json!(1);
        for _ in 0..MAX_EVIDENCE_DEPTH {
            deep = serde_json::json!({ "d": deep });
        }
        assert_eq!(refused(NewAlert { evidence: deep.clone(), ..sample() }), "evidence");
        let at_limit = deep["d"].clone();
        assert_eq!(NewAlert { evidence: at_limit, ..sample() }.check(), Ok(()));
        let early = domain::parse_date("2026-06-27").expect("date");
        assert_eq!(refused(NewAlert { due_on: early, ..sample() }), "due_on");
    }

    #[test]
    fn event_texts_are_bounded_and_re_tiers_go_up_only() {
        let at = Timestamp::parse("2026-06-29T09:00:00+08:00").expect("ts");
        let event = |change| AlertEvent { change, by: officer("li"), at };
        let action = |outcome: &str| Change::RecordAction {
            action: RecommendedAction::VisitWithin3Days,
            outcome: outcome.to_string(),
        };
        assert_eq!(event(action("visited, crops flooded")).check(), Ok(()));
        assert_eq!(event(action("")).check().expect_err("blank").field, "outcome");
        assert_eq!(event(action(&"字".repeat(MAX_TEXT_CHARS + 1))).check().expect_err("long").field, "outcome");
        assert_eq!(event(Change::Close { reason: "  ".into() }).check().expect_err("blank").field, "reason");
        assert_eq!(
            event(Change::Retier { from: Tier::Red, to: Tier::Orange }).check().expect_err("down").field,
            "tier"
        );
        assert_eq!(event(Change::Retier { from: Tier::Orange, to: Tier::Red }).check(), Ok(()));
    }

    #[test]
    fn overdue_only_while_the_action_is_awaited_and_after_the_due_date() {
        let alert = Alert { alert_id: 1, raised: sample(), status: Status::Assigned, holder: None, events: 2 };
        let due = alert.raised.due_on;
        let next = due.succ_opt().expect("date");
        assert!(!alert.is_overdue(due), "due today is not overdue");
        assert!(alert.is_overdue(next));
        for status in [Status::ActionRecorded, Status::Escalated, Status::Closed] {
            assert!(!Alert { status, ..alert.clone() }.is_overdue(next), "{status}");
        }
    }

    #[test]
    fn changes_serialize_with_their_kind_code() {
        for change in every_change() {
            let json = serde_json::to_value(&change).expect("json");
            assert_eq!(json["kind"], change.kind().code());
            assert_eq!(serde_json::from_value::<Change>(json).expect("back"), change);
        }
    }
}
