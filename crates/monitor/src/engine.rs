//! A day of monitoring over the whole book: every active borrower's signals ([`crate::signals::detect`]) combined
//! into at most one alert per cause ([`combine`]), with its tier, the reasons a person can read, the evidence and
//! the recommended actions. Pure: the same book, day and configuration give the same alerts, so re-running a day
//! gives the same answer (the store adds that a borrower has one open alert per cause).

use domain::{Date, HouseholdId, LoanId, Timestamp};
use serde_json::json;

use crate::alert::{Cause, NewAlert, RecommendedAction as A, Tier};
use crate::book::{Book, BorrowerFile};
use crate::config::MonitorConfig;
use crate::signals::{DayView, Signal, detect};

/// Most reasons an alert lists for people (the full evidence keeps every signal).
pub const MAX_REASONS: usize = 4;

/// What the run proposes for one day: the alerts every active borrower's signals make, in household then cause
/// order.
#[derive(Debug, Clone, PartialEq)]
pub struct DayAssessment {
    /// The day.
    pub day: Date,
    /// Borrowers with a loan on the book that day.
    pub active_borrowers: usize,
    /// Loans on the book that day.
    pub active_loans: usize,
    /// The alerts, at most one per borrower and cause.
    pub alerts: Vec<NewAlert>,
}

/// Assesses every borrower on the book on `day`, on as many threads as the machine offers (the day's view is shared;
/// each thread takes a contiguous slice of the borrowers, so the alerts come out in household order whatever the
/// threads).
pub fn assess_day(book: &Book, day: Date, config: &MonitorConfig, raised_at: &Timestamp) -> DayAssessment {
    let threads = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
    assess_day_on(book, day, config, raised_at, threads)
}

/// [`assess_day`] on `threads` threads (at least 1).
pub fn assess_day_on(
    book: &Book,
    day: Date,
    config: &MonitorConfig,
    raised_at: &Timestamp,
    threads: usize,
) -> DayAssessment {
    let view = DayView::of(book, day);
    let n = book.borrowers.len();
    let chunk = n.div_ceil(threads.max(1)).max(1);
    let assess = |range: std::ops::Range<usize>| {
        let mut alerts = Vec::new();
        let (mut borrowers, mut loans) = (0usize, 0usize);
        for i in range {
            if !view.is_active(i) {
                continue;
            }
            let b = &book.borrowers[i];
            borrowers += 1;
            loans += b.loans.iter().filter(|l| l.active_on(day)).count();
            let signals = detect(book, i, &view, config);
            alerts.extend(combine(b, &signals, day, config, raised_at));
        }
        (alerts, borrowers, loans)
    };
    let parts: Vec<(Vec<NewAlert>, usize, usize)> = if threads <= 1 || n < 2 * chunk.min(10_000) {
        vec![assess(0..n)]
    } else {
        std::thread::scope(|scope| {
            let handles: Vec<_> = (0..n)
                .step_by(chunk)
                .map(|start| {
                    let assess = &assess;
                    scope.spawn(move || assess(start..(start + chunk).min(n)))
                })
                .collect();
            // A panic in a detector is a bug: it goes on to the caller, never a day with a slice's alerts missing.
            handles.into_iter().map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e))).collect()
        })
    };
    let mut out = DayAssessment { day, active_borrowers: 0, active_loans: 0, alerts: Vec::new() };
    for (alerts, borrowers, loans) in parts {
        out.alerts.extend(alerts);
        out.active_borrowers += borrowers;
        out.active_loans += loans;
    }
    out
}

/// Assesses one borrower (by household id) on `day`: what an event about it (a repayment, a transaction) changes.
/// `None` when the household is not on the book.
pub fn assess_borrower(
    book: &Book,
    household_id: &str,
    day: Date,
    config: &MonitorConfig,
    raised_at: &Timestamp,
) -> Option<Vec<NewAlert>> {
    let &i = book.by_household.get(household_id)?;
    let b = book.borrowers.get(i)?;
    // The peers' and the village's state are part of the borrower's signals: the view of the day is needed, but only
    // for this borrower's village and group.
    let view = DayView::around(book, i, day);
    let signals = detect(book, i, &view, config);
    Some(combine(b, &signals, day, config, raised_at))
}

/// The recommended actions for an alert of `cause` at `tier` (1 to 4, no repeats).
pub fn actions(cause: Cause, tier: Tier, insured: bool) -> Vec<A> {
    let mut out: Vec<A> = match (tier, cause) {
        (Tier::Red, Cause::Weather | Cause::CropCondition) => {
            vec![A::VisitWithin3Days, A::StartInsuranceClaim, A::OfferDisasterDeferral, A::FreezeUnusedLine]
        }
        (Tier::Red, Cause::Overdue | Cause::HarvestLateness) => {
            vec![A::VisitWithin3Days, A::FreezeUnusedLine, A::ClassificationReview]
        }
        (Tier::Red, _) => vec![A::VisitWithin3Days, A::FreezeUnusedLine, A::CutLimit],
        (Tier::Orange, Cause::Weather | Cause::CropCondition) => {
            vec![A::StartInsuranceClaim, A::OfferDisasterDeferral, A::CutLimit]
        }
        (Tier::Orange, Cause::Overdue) => vec![A::CutLimit, A::ClassificationReview],
        (Tier::Orange, Cause::FundDiversion) => vec![A::VisitWithin3Days, A::FreezeUnusedLine],
        (Tier::Orange, Cause::Disease | Cause::PriceShock | Cause::IncomeShock) => {
            vec![A::CutLimit, A::OfferDisasterDeferral]
        }
        (Tier::Orange, _) => vec![A::CutLimit, A::WatchList],
        (Tier::Yellow, _) => vec![A::WatchList],
    };
    if !insured {
        out.retain(|a| *a != A::StartInsuranceClaim);
    }
    if out.is_empty() {
        out.push(A::WatchList);
    }
    out.truncate(crate::alert::MAX_ACTIONS);
    out
}

/// The detectors whose orange signal an orange signal of the environment makes red: the borrower is in arrears now
/// (30+ DPD) or paid short when its harvest money should have been in. (Signals of past conduct — missed installments
/// since cured, a falling behaviour score, diverted proceeds — stay orange: measured on the simulated county, making
/// them red too halved the red alerts' precision.)
pub const CORROBORATED: &[&str] = &["dpd"];

/// How many distinct environmental causes at orange corroborate arrears into red.
pub const CORROBORATING_CAUSES: usize = 2;

/// Combines one borrower's signals of a day into at most one alert per cause: the cause's tier is its strongest
/// signal's; when [`crate::config::CombineConfig::corroborate_to_red`] holds, an orange signal of arrears
/// ([`CORROBORATED`]) corroborated by an orange signal of the borrower's environment makes that alert red, and says
/// so. Causes follow [`Cause::ALL`]'s order.
pub fn combine(
    b: &BorrowerFile,
    signals: &[Signal],
    day: Date,
    config: &MonitorConfig,
    raised_at: &Timestamp,
) -> Vec<NewAlert> {
    let Ok(household_id) = HouseholdId::parse(b.household_id()) else {
        return Vec::new();
    };
    let environment: Vec<Cause> = {
        let mut causes: Vec<Cause> =
            signals.iter().filter(|s| !s.own && s.tier >= Tier::Orange).map(|s| s.cause).collect();
        causes.dedup();
        causes
    };
    let mut alerts = Vec::new();
    for &cause in Cause::ALL {
        let of_cause: Vec<&Signal> = signals.iter().filter(|s| s.cause == cause).collect();
        let Some(strongest) = of_cause.iter().max_by_key(|s| s.tier) else { continue };
        let mut tier = strongest.tier;
        let mut corroborated_by: Vec<&str> = Vec::new();
        let in_arrears = of_cause.iter().any(|s| s.tier == Tier::Orange && CORROBORATED.contains(&s.detector));
        if config.combine.corroborate_to_red
            && in_arrears
            && tier == Tier::Orange
            && environment.len() >= CORROBORATING_CAUSES
        {
            tier = Tier::Red;
            corroborated_by = environment.iter().map(|c| c.code()).collect();
        }
        let reasons: Vec<&str> = of_cause.iter().take(MAX_REASONS).map(|s| s.reason_zh.as_str()).collect();
        let detail: Vec<serde_json::Value> = of_cause
            .iter()
            .take(8)
            .map(|s| json!({ "detector": s.detector, "tier": s.tier.code(), "figures": s.evidence }))
            .collect();
        let evidence = json!({
            "reasons_zh": reasons,
            "signals": detail,
            "corroborated_by": corroborated_by,
        });
        let loan_id = of_cause.iter().find_map(|s| s.loan_id.as_deref()).and_then(|l| LoanId::parse(l).ok());
        alerts.push(NewAlert {
            household_id: household_id.clone(),
            loan_id,
            branch: b.branch.clone(),
            tier,
            cause,
            evidence,
            actions: actions(cause, tier, b.records.household.insured),
            raised_on: day,
            raised_at: *raised_at,
            config_version: config.version,
            due_on: config.workflow.due_on(tier, day).unwrap_or(day),
        });
    }
    alerts
}
