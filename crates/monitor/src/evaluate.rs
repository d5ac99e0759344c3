//! Scoring stored alerts against what happened: the loans that reached 90 DPD (from the book's own repayment rows,
//! on the lending core's clock) and the simulator's planted scenarios (`shocks.csv`, `shock_households.csv`).
//!
//! Definitions (also in `docs/monitoring.md`):
//! - A **default episode** is a loan's run of days past due that reaches 90 DPD; it starts on its **first day past
//!   due** (the day the DPD clock left 0 for that run), reaches 30 and 90 DPD on the days the clock says, and ends
//!   when the DPD is back to 0 (or never). A borrower is a defaulter by its first episode in the horizon.
//! - An alert **warns** from the day it became red or orange (raised so, or re-tiered to it) until it closed.
//!   A defaulter is warned **before its first day past due** if a warning was in force at some time in the
//!   [`LOOKBACK_DAYS`] before that day; before 90 DPD likewise up to the day it reached 90.
//! - **Lead time**: from the start of the first such warning (at most [`LOOKBACK_DAYS`] before the first day past
//!   due) to the day the loan reached 30 DPD.
//! - An alert is **borne out** if its borrower is at 90+ DPD at some time in the [`OUTCOME_DAYS`] after it reached
//!   its tier; red precision is the share of red alerts borne out; every alert not borne out is a false alert,
//!   counted per 1,000 active loan-months of the horizon.

use std::collections::{HashMap, HashSet};

use domain::Date;
use serde::Serialize;

use crate::alert::{Cause, Tier};
use crate::book::Book;

/// How long before the first day past due a warning counts, days.
pub const LOOKBACK_DAYS: i64 = 180;
/// How long after an alert its borrower's default bears it out, days.
pub const OUTCOME_DAYS: i64 = 365;
/// A ring household counts as flagged if a fund-diversion alert is in force within this many days of its first
/// diversion.
pub const RING_DAYS: i64 = 30;

/// A stored alert as the evaluation reads it: when it reached each tier and when it closed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertSpan {
    /// The household.
    pub household_id: String,
    /// The cause.
    pub cause: Cause,
    /// The day raised.
    pub raised_on: Date,
    /// The tier it was raised at, then each re-tier with its day, in order.
    pub tiers: Vec<(Date, Tier)>,
    /// The day it closed, if it did.
    pub closed_on: Option<Date>,
}

impl AlertSpan {
    /// The highest tier it reached.
    pub fn top_tier(&self) -> Tier {
        self.tiers.iter().map(|(_, t)| *t).max().unwrap_or(Tier::Yellow)
    }

    /// The first day it was at `tier` or above.
    pub fn reached(&self, tier: Tier) -> Option<Date> {
        self.tiers.iter().find(|(_, t)| *t >= tier).map(|(d, _)| *d)
    }

    /// Whether it was at `tier` or above at some time in `[from, to)`.
    fn in_force(&self, tier: Tier, from: Date, to: Date) -> Option<Date> {
        let start = self.reached(tier)?;
        let end = self.closed_on.unwrap_or(Date::MAX);
        (start < to && end >= from).then(|| start.max(from))
    }
}

/// A planted scenario of the simulator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scenario {
    /// `S1` … `S6`.
    pub code: String,
    /// What it is.
    pub description: String,
    /// First day.
    pub start: Date,
    /// Last day.
    pub end: Date,
    /// The households it hit.
    pub households: HashSet<String>,
}

/// A loan's run of days past due that reached 90.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Episode {
    /// The household.
    pub household: usize,
    /// The loan.
    pub loan_id: String,
    /// Its first day past due.
    pub first_dpd: Date,
    /// The day it reached 30 DPD.
    pub dpd30: Date,
    /// The day it reached 90 DPD.
    pub dpd90: Date,
    /// The day the DPD was back to 0, if it was.
    pub cured: Option<Date>,
}

/// The default episodes of the book that reached 90 DPD by `until`, each loan's every episode, in household order.
pub fn episodes(book: &Book, until: Date) -> Vec<Episode> {
    let mut out = Vec::new();
    for (i, b) in book.borrowers.iter().enumerate() {
        for l in &b.loans {
            let rows = &l.rows;
            let mut k = 0;
            while k < rows.len() {
                let r = &rows[k];
                if r.date > until {
                    break;
                }
                if r.dpd_after == 0 {
                    k += 1;
                    continue;
                }
                // A run starts here: its first day past due is the row's date less its DPD.
                let first = r.date - chrono::Duration::days(i64::from(r.dpd_after));
                let mut end = k;
                while end + 1 < rows.len() && rows[end + 1].dpd_after > 0 {
                    end += 1;
                }
                // The run with the row that ended it, if one did: the clock ages a past-due figure only until the
                // next observation.
                let run = &rows[k..(end + 2).min(rows.len())];
                let cured = rows.get(end + 1).map(|r| r.date);
                if let Some(d90) = lending::crossing_date(run, 90, until) {
                    let d30 = lending::crossing_date(run, 30, until).unwrap_or(d90);
                    out.push(Episode {
                        household: i,
                        loan_id: l.loan.loan_id.clone(),
                        first_dpd: first,
                        dpd30: d30,
                        dpd90: d90,
                        cured,
                    });
                }
                k = end + 1;
            }
        }
    }
    out.sort_by_key(|a| (a.household, a.first_dpd));
    out
}

/// Figures of one population of defaulters and alerts.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Figures {
    /// Borrowers who reached 90 DPD in the horizon.
    pub defaulters: usize,
    /// Of them, the share warned (red or orange) before their first day past due.
    pub recall_before_first_dpd: Option<f64>,
    /// … before they reached 90 DPD.
    pub recall_before_90dpd: Option<f64>,
    /// Median days from the first warning to 30 DPD.
    pub median_lead_days: Option<f64>,
    /// Red alerts.
    pub red_alerts: usize,
    /// Share of red alerts borne out.
    pub red_precision: Option<f64>,
    /// Alerts not borne out per 1,000 active loan-months.
    pub false_alerts_per_1000_loan_months: Option<f64>,
}

/// Precision and recall of one tier.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TierFigures {
    /// The tier.
    pub tier: Tier,
    /// Alerts whose highest tier is this one.
    pub alerts: usize,
    /// Share of them borne out.
    pub precision: Option<f64>,
    /// Share of defaulters with an alert of this tier or higher before 90 DPD.
    pub recall: Option<f64>,
}

/// The figures of one planted scenario.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScenarioFigures {
    /// `S1` … `S6`.
    pub scenario: String,
    /// What it is.
    pub description: String,
    /// Households it hit that had a loan on the book during it.
    pub borrowers_hit: usize,
    /// Share of them with an alert in force during it or in the 90 days after.
    pub recall_any_alert: Option<f64>,
    /// Share of the alerts raised during it (and 90 days after) in its households' counties that are about its
    /// households.
    pub precision: Option<f64>,
    /// The top-level figures over its households.
    #[serde(flatten)]
    pub figures: Figures,
    /// For a diversion ring: households whose diversion was flagged within 30 days, of the ring's households.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ring_flagged_within_30_days: Option<(usize, usize)>,
}

/// The whole evaluation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Evaluation {
    /// The first day scored.
    pub from: Date,
    /// The last day scored.
    pub to: Date,
    /// Alerts scored.
    pub alerts: usize,
    /// Active loan-months in the horizon.
    pub loan_months: f64,
    /// The top-level figures.
    #[serde(flatten)]
    pub figures: Figures,
    /// Per tier.
    pub tiers: Vec<TierFigures>,
    /// Per planted scenario.
    pub scenarios: Vec<ScenarioFigures>,
}

fn share(part: usize, whole: usize) -> Option<f64> {
    (whole > 0).then(|| round4(part as f64 / whole as f64))
}

fn round4(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

fn median(mut values: Vec<i64>) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_unstable();
    let n = values.len();
    Some(if n % 2 == 1 { values[n / 2] as f64 } else { (values[n / 2 - 1] + values[n / 2]) as f64 / 2.0 })
}

fn days(n: i64) -> chrono::Duration {
    chrono::Duration::days(n)
}

/// Whether the household was at 90+ DPD at some time in `[from, to]`.
fn defaulted_in(episodes: &[&Episode], from: Date, to: Date) -> bool {
    episodes.iter().any(|e| e.dpd90 <= to && e.cured.is_none_or(|c| c > from))
}

/// Scores alerts against the book's defaults over `[from, to]`, and against the planted scenarios. `ring` is the
/// scenario code of a fund-diversion ring (`S5`), whose households' first diversion dates come from the book's
/// transactions.
pub fn evaluate(
    book: &Book,
    alerts: &[AlertSpan],
    scenarios: &[Scenario],
    from: Date,
    to: Date,
    ring: &str,
) -> Evaluation {
    let all_episodes = episodes(book, to);
    let mut by_household: HashMap<usize, Vec<&Episode>> = HashMap::new();
    for e in &all_episodes {
        by_household.entry(e.household).or_default().push(e);
    }
    let mut alerts_of: HashMap<&str, Vec<&AlertSpan>> = HashMap::new();
    for a in alerts {
        alerts_of.entry(a.household_id.as_str()).or_default().push(a);
    }
    let loan_months = loan_months(book, from, to);
    let everyone = |_: &str| true;
    let figures = figures_for(book, alerts, &by_household, &alerts_of, from, to, loan_months, &everyone);

    let defaulters = first_episodes(&by_household, from, to);
    let mut tiers = Vec::new();
    for &tier in &[Tier::Red, Tier::Orange, Tier::Yellow] {
        let with_top: Vec<&AlertSpan> = alerts.iter().filter(|a| a.top_tier() == tier).collect();
        let borne = with_top.iter().filter(|a| borne_out(book, a, &by_household, tier)).count();
        let warned = defaulters
            .iter()
            .filter(|e| {
                let id = book.borrowers[e.household].household_id();
                alerts_of.get(id).is_some_and(|list| {
                    list.iter().any(|a| a.in_force(tier, e.first_dpd - days(LOOKBACK_DAYS), e.dpd90).is_some())
                })
            })
            .count();
        tiers.push(TierFigures {
            tier,
            alerts: with_top.len(),
            precision: share(borne, with_top.len()),
            recall: share(warned, defaulters.len()),
        });
    }

    let mut out_scenarios = Vec::new();
    for s in scenarios {
        let until = s.end + days(90);
        let hit: Vec<usize> = s
            .households
            .iter()
            .filter_map(|h| book.by_household.get(h).copied())
            .filter(|&i| {
                book.borrowers[i]
                    .loans
                    .iter()
                    .any(|l| l.loan.start_date <= s.end && l.active_on(s.start.max(l.loan.start_date)))
            })
            .collect();
        let alerted = hit
            .iter()
            .filter(|&&i| {
                alerts_of
                    .get(book.borrowers[i].household_id())
                    .is_some_and(|list| list.iter().any(|a| a.in_force(Tier::Yellow, s.start, until).is_some()))
            })
            .count();
        let counties: HashSet<&str> = hit.iter().map(|&i| book.borrowers[i].county.as_str()).collect();
        let in_window: Vec<&AlertSpan> = alerts
            .iter()
            .filter(|a| a.raised_on >= s.start && a.raised_on <= until)
            .filter(|a| {
                book.by_household
                    .get(&a.household_id)
                    .is_some_and(|&i| counties.contains(book.borrowers[i].county.as_str()))
            })
            .collect();
        let about = in_window.iter().filter(|a| s.households.contains(&a.household_id)).count();
        let member = |h: &str| s.households.contains(h);
        let ring_flagged = (s.code == ring).then(|| ring_figures(book, s, &alerts_of));
        out_scenarios.push(ScenarioFigures {
            scenario: s.code.clone(),
            description: s.description.clone(),
            borrowers_hit: hit.len(),
            recall_any_alert: share(alerted, hit.len()),
            precision: share(about, in_window.len()),
            figures: figures_for(book, alerts, &by_household, &alerts_of, from, to, loan_months, &member),
            ring_flagged_within_30_days: ring_flagged,
        });
    }
    Evaluation {
        from,
        to,
        alerts: alerts.len(),
        loan_months: round4(loan_months),
        figures,
        tiers,
        scenarios: out_scenarios,
    }
}

/// The first episode of every defaulter whose 90 DPD falls in `[from, to]`.
fn first_episodes<'a>(by_household: &HashMap<usize, Vec<&'a Episode>>, from: Date, to: Date) -> Vec<&'a Episode> {
    let mut out: Vec<&Episode> = by_household
        .values()
        .filter_map(|list| list.iter().find(|e| e.dpd90 >= from && e.dpd90 <= to).copied())
        .collect();
    out.sort_by_key(|a| (a.household, a.first_dpd));
    out
}

fn borne_out(book: &Book, a: &AlertSpan, by_household: &HashMap<usize, Vec<&Episode>>, tier: Tier) -> bool {
    let Some(&i) = book.by_household.get(&a.household_id) else { return false };
    let Some(at) = a.reached(tier) else { return false };
    by_household.get(&i).is_some_and(|list| defaulted_in(list, at, at + days(OUTCOME_DAYS)))
}

#[allow(clippy::too_many_arguments)]
fn figures_for(
    book: &Book,
    alerts: &[AlertSpan],
    by_household: &HashMap<usize, Vec<&Episode>>,
    alerts_of: &HashMap<&str, Vec<&AlertSpan>>,
    from: Date,
    to: Date,
    loan_months: f64,
    member: &dyn Fn(&str) -> bool,
) -> Figures {
    let defaulters: Vec<&Episode> = first_episodes(by_household, from, to)
        .into_iter()
        .filter(|e| member(book.borrowers[e.household].household_id()))
        .collect();
    let mut before_first = 0;
    let mut before_90 = 0;
    let mut leads = Vec::new();
    for e in &defaulters {
        let id = book.borrowers[e.household].household_id();
        let list = alerts_of.get(id).map(Vec::as_slice).unwrap_or(&[]);
        let window = e.first_dpd - days(LOOKBACK_DAYS);
        if list.iter().any(|a| a.in_force(Tier::Orange, window, e.first_dpd).is_some()) {
            before_first += 1;
        }
        if list.iter().any(|a| a.in_force(Tier::Orange, window, e.dpd90).is_some()) {
            before_90 += 1;
        }
        if let Some(start) = list.iter().filter_map(|a| a.in_force(Tier::Orange, window, e.dpd30)).min() {
            leads.push((e.dpd30 - start).num_days());
        }
    }
    let scored: Vec<&AlertSpan> = alerts.iter().filter(|a| member(&a.household_id)).collect();
    let red: Vec<&&AlertSpan> = scored.iter().filter(|a| a.top_tier() == Tier::Red).collect();
    let red_borne = red.iter().filter(|a| borne_out(book, a, by_household, Tier::Red)).count();
    let false_alerts = scored
        .iter()
        .filter(|a| !borne_out(book, a, by_household, a.tiers.first().map_or(Tier::Yellow, |t| t.1)))
        .count();
    Figures {
        defaulters: defaulters.len(),
        recall_before_first_dpd: share(before_first, defaulters.len()),
        recall_before_90dpd: share(before_90, defaulters.len()),
        median_lead_days: median(leads),
        red_alerts: red.len(),
        red_precision: share(red_borne, red.len()),
        false_alerts_per_1000_loan_months: (loan_months > 0.0)
            .then(|| round4(false_alerts as f64 * 1_000.0 / loan_months)),
    }
}

/// Ring households whose first diversion of proceeds had a fund-diversion alert in force within [`RING_DAYS`], and
/// the ring's households with a diversion on the book.
fn ring_figures(book: &Book, s: &Scenario, alerts_of: &HashMap<&str, Vec<&AlertSpan>>) -> (usize, usize) {
    let mut flagged = 0;
    let mut ring = 0;
    for h in &s.households {
        let Some(&i) = book.by_household.get(h) else { continue };
        let b = &book.borrowers[i];
        let first = b
            .records
            .transactions
            .iter()
            .filter(|t| {
                t.loan_id.is_some() && t.counterparty_type.is_diversion() && t.date >= s.start && t.date <= s.end
            })
            .map(|t| t.date)
            .min();
        let Some(first) = first else { continue };
        ring += 1;
        let hit = alerts_of.get(h.as_str()).is_some_and(|list| {
            list.iter().any(|a| {
                a.cause == Cause::FundDiversion
                    && a.in_force(Tier::Yellow, first, first + days(RING_DAYS + 1)).is_some()
            })
        });
        if hit {
            flagged += 1;
        }
    }
    (flagged, ring)
}

/// Active loan-months over `[from, to]`: each loan's days on the book in the range, over 30.4375.
pub fn loan_months(book: &Book, from: Date, to: Date) -> f64 {
    let mut total_days = 0i64;
    for b in &book.borrowers {
        for l in &b.loans {
            let start = l.loan.start_date.max(from);
            let end = l.rows.last().map_or(l.loan.maturity_date, |r| r.date.max(l.loan.maturity_date)).min(to);
            if end >= start {
                total_days += (end - start).num_days() + 1;
            }
        }
    }
    total_days as f64 / 30.4375
}
