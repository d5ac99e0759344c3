//! The detectors: each turns what the lender knows about one borrower and its environment on a day into signals, a
//! cause with a tier and the evidence behind it. Every detector is named, documented here and parameterised by
//! [`MonitorConfig`]; none reads a record not yet known on the day.
//!
//! | detector | cause | fires when (defaults of version 1) |
//! |---|---|---|
//! | `dpd` | overdue | a loan is past due: yellow from 1 DPD, orange from 30, red from 60 |
//! | `missed_installments` | overdue | 2 or more installments missed within a year (each a new run of arrears), even if cured: orange |
//! | `harvest_shortfall` | harvest lateness | a row paid short when the harvest money should be in (the crop's harvest month and the 2 after it): orange |
//! | `behaviour_score` | behaviour score | the repayment-behaviour score (100 − 15 per missed installment in 180 days − worst DPD/2) under 55: orange; down 25 points in 90 days: yellow |
//! | `proceeds_diverted` | fund diversion | within 14 days of disbursement, 10% of the proceeds paid to individuals, consumer or real-estate merchants, securities or other lenders: yellow; 30%: orange |
//! | `shared_payee` | fund diversion | 3 or more borrowers paying one counterparty from their proceeds within 30 days: orange, visit |
//! | `new_inquiries` | over-indebtedness | a bureau report newer than the loan with 4 or more inquiries in 6 months: yellow; 6, or 2 new accounts elsewhere: orange |
//! | `crop_price` | price shock | the latest monthly price of a crop the household grows 15% under its 12-month mean: yellow; 25%: orange |
//! | `pig_grain_ratio` | price shock | a pig keeper while the NDRC hog-price plan is at tier 1 (ratio under 5): orange; tiers 2–3: yellow |
//! | `village_weather` | weather | a harvest loss in the household's village known within 120 days: 10% yellow, 30% orange (red only for a total loss) |
//! | `county_disease` | disease | a pig keeper in a county under an outbreak's movement ban: orange if half the herds are culled, else yellow |
//! | `migrant_income` | income shock | a household with migrant workers in a county under an employment shock: orange with 2 or more migrants, else yellow |
//! | `group_peer` | peer default | a joint-liability peer 30+ DPD: yellow; 90+: orange |
//! | `village_defaults` | peer default | 5% of the village's active borrowers at 90+ DPD: yellow; 10%: orange |
//! | `county_news` | negative news | a negative item about the household's county and its business within 30 days: yellow |
//! | `crop_condition` | crop condition | the satellite index of a crop in season sustained under its usual value (`features::crop_condition`): mild yellow, moderate or severe orange |

use std::collections::HashMap;

use domain::{Date, Decimal};
use features::input::{FarmCrop, NewsTopic, Sentiment};
use serde_json::json;

use crate::alert::{Cause, Tier};
use crate::book::{Book, BorrowerFile, commodity_of, harvest_month};
use crate::config::MonitorConfig;

/// One detector's finding about one borrower on one day.
#[derive(Debug, Clone, PartialEq)]
pub struct Signal {
    /// The family.
    pub cause: Cause,
    /// How urgent.
    pub tier: Tier,
    /// The detector's name (the table above).
    pub detector: &'static str,
    /// The loan it is about, if one.
    pub loan_id: Option<String>,
    /// Whether it is about the borrower's own conduct (repayments, use of proceeds, borrowing) rather than its
    /// environment.
    pub own: bool,
    /// One sentence a loan officer (and the farmer) can read, in Chinese.
    pub reason_zh: String,
    /// The figures behind it.
    pub evidence: serde_json::Value,
}

/// What every borrower's detectors share on a day: each borrower's worst DPD and whether it is on the book, and
/// each village's active and non-performing borrowers.
#[derive(Debug, Clone, PartialEq)]
pub struct DayView {
    /// The day.
    pub day: Date,
    /// Worst DPD and whether on the book, by index into [`Book::borrowers`]: every borrower, or only those around
    /// one ([`DayView::around`]).
    standings: Standings,
    /// Per village: borrowers active on the day, of them at 90+ DPD.
    pub villages: HashMap<String, (u32, u32)>,
}

#[derive(Debug, Clone, PartialEq)]
enum Standings {
    All(Vec<(u32, bool)>),
    Some(HashMap<usize, (u32, bool)>),
}

/// A borrower's worst DPD on `day` and whether it has a loan on the book.
fn standing(b: &BorrowerFile, day: Date) -> (u32, bool) {
    let mut worst = 0;
    let mut on_book = false;
    for l in &b.loans {
        if l.loan.start_date > day {
            continue;
        }
        let dpd = l.dpd_on(day);
        worst = worst.max(dpd);
        on_book |= day <= l.loan.maturity_date || dpd > 0;
    }
    (worst, on_book)
}

impl DayView {
    /// Computes the day's view of the whole book.
    pub fn of(book: &Book, day: Date) -> DayView {
        let mut all = Vec::with_capacity(book.borrowers.len());
        let mut villages: HashMap<String, (u32, u32)> = HashMap::new();
        for b in &book.borrowers {
            let (worst, on_book) = standing(b, day);
            all.push((worst, on_book));
            if on_book {
                let v = villages.entry(b.village().to_string()).or_default();
                v.0 += 1;
                if lending::is_non_performing(worst) {
                    v.1 += 1;
                }
            }
        }
        DayView { day, standings: Standings::All(all), villages }
    }

    /// The part of the day's view one borrower's detectors read: its own standing, its group peers' and its
    /// village's, so an event about one borrower costs its village, not the book.
    pub fn around(book: &Book, index: usize, day: Date) -> DayView {
        let mut some: HashMap<usize, (u32, bool)> = HashMap::new();
        let mut villages: HashMap<String, (u32, u32)> = HashMap::new();
        let Some(b) = book.borrowers.get(index) else {
            return DayView { day, standings: Standings::Some(some), villages };
        };
        let neighbours = book.by_village.get(b.village()).map(Vec::as_slice).unwrap_or(&[]);
        let mut counts = (0u32, 0u32);
        for &j in neighbours.iter().chain(b.peers.iter()).chain(std::iter::once(&index)) {
            if some.contains_key(&j) {
                continue;
            }
            let Some(other) = book.borrowers.get(j) else { continue };
            let (worst, on_book) = standing(other, day);
            some.insert(j, (worst, on_book));
            if on_book && other.village() == b.village() {
                counts.0 += 1;
                if lending::is_non_performing(worst) {
                    counts.1 += 1;
                }
            }
        }
        villages.insert(b.village().to_string(), counts);
        DayView { day, standings: Standings::Some(some), villages }
    }

    fn standing_of(&self, index: usize) -> Option<(u32, bool)> {
        match &self.standings {
            Standings::All(all) => all.get(index).copied(),
            Standings::Some(some) => some.get(&index).copied(),
        }
    }

    /// A borrower's worst DPD on the day (0 when not in the view).
    pub fn worst_dpd(&self, index: usize) -> u32 {
        self.standing_of(index).map_or(0, |s| s.0)
    }

    /// Whether a borrower has a loan on the book on the day (`false` when not in the view).
    pub fn is_active(&self, index: usize) -> bool {
        self.standing_of(index).is_some_and(|s| s.1)
    }
}

fn days(n: u32) -> chrono::Duration {
    chrono::Duration::days(i64::from(n))
}

fn tier_of<T: PartialOrd>(value: T, yellow: T, orange: T, red: Option<T>) -> Option<Tier> {
    if red.is_some_and(|r| value >= r) {
        Some(Tier::Red)
    } else if value >= orange {
        Some(Tier::Orange)
    } else if value >= yellow {
        Some(Tier::Yellow)
    } else {
        None
    }
}

/// Every detector over one borrower on the view's day, in the order of the table above.
pub fn detect(book: &Book, index: usize, view: &DayView, config: &MonitorConfig) -> Vec<Signal> {
    let mut out = Vec::new();
    let Some(b) = book.borrowers.get(index) else {
        return out;
    };
    let day = view.day;
    overdue(b, day, config, &mut out);
    harvest_lateness(b, day, config, &mut out);
    behaviour(b, day, config, &mut out);
    diversion(book, index, day, config, &mut out);
    indebtedness(b, day, config, &mut out);
    prices(book, b, day, config, &mut out);
    weather(book, b, day, config, &mut out);
    county_shocks(book, b, day, config, &mut out);
    peers(book, b, view, config, &mut out);
    news(book, b, day, config, &mut out);
    crop_condition(book, b, day, config, &mut out);
    out
}

/// `dpd` and `missed_installments`.
fn overdue(b: &BorrowerFile, day: Date, config: &MonitorConfig, out: &mut Vec<Signal>) {
    let c = &config.overdue;
    let worst = b.loans.iter().filter(|l| l.loan.start_date <= day).map(|l| (l.dpd_on(day), l)).max_by_key(|(d, _)| *d);
    if let Some((dpd, l)) = worst
        && let Some(tier) = tier_of(dpd, c.yellow_dpd, c.orange_dpd, Some(c.red_dpd))
    {
        out.push(Signal {
            cause: Cause::Overdue,
            tier,
            detector: "dpd",
            loan_id: Some(l.loan.loan_id.clone()),
            own: true,
            reason_zh: format!("贷款{}已逾期{}天", l.loan.loan_id, dpd),
            evidence: json!({ "detector": "dpd", "loan_id": l.loan.loan_id, "dpd": dpd }),
        });
    }
    let since = day - days(c.missed_window_days);
    let mut missed = 0u32;
    let mut last: Option<(Date, &str)> = None;
    for l in &b.loans {
        for on in missed_installments(l.rows_known(day)).filter(|on| *on > since) {
            missed += 1;
            if last.is_none_or(|(d, _)| on > d) {
                last = Some((on, l.loan.loan_id.as_str()));
            }
        }
    }
    if missed >= c.missed_for_orange
        && let Some((on, loan)) = last
    {
        out.push(Signal {
            cause: Cause::Overdue,
            tier: Tier::Orange,
            detector: "missed_installments",
            loan_id: Some(loan.to_string()),
            own: true,
            reason_zh: format!("近{}天内{}次未足额还款", c.missed_window_days, missed),
            evidence: json!({ "detector": "missed_installments", "missed": missed, "window_days": c.missed_window_days,
                              "last_missed_on": on.to_string() }),
        });
    }
}

/// The days a loan's installments were missed: rows paid short while the loan was current before them (a new run of
/// arrears; the rows that follow while it stays in arrears carry the same missed installment and are not counted
/// again).
pub fn missed_installments(rows: &[features::input::Repayment]) -> impl Iterator<Item = Date> + '_ {
    rows.iter().enumerate().filter_map(|(i, r)| {
        let current_before = i == 0 || rows[i - 1].dpd_after == 0;
        (current_before && r.amount_paid < r.amount_due).then_some(r.date)
    })
}

/// Whether `on` falls in the months a crop's sale money is expected: its harvest month and the `after` months
/// that follow it.
fn in_harvest_window(crop: FarmCrop, on: Date, after: u32) -> bool {
    use chrono::Datelike;
    let h = harvest_month(crop);
    let m = on.month();
    let since = (m + 12 - h) % 12;
    since <= after
}

/// `harvest_shortfall`.
fn harvest_lateness(b: &BorrowerFile, day: Date, config: &MonitorConfig, out: &mut Vec<Signal>) {
    let c = &config.harvest;
    let since = day - days(c.signal_days);
    let crops = &b.records.household.crops;
    let mut found: Option<(&str, &features::input::Repayment, FarmCrop)> = None;
    for l in &b.loans {
        for r in l.rows_known(day).iter().rev().take_while(|r| r.date > since) {
            if r.amount_paid >= r.amount_due {
                continue;
            }
            let financed = l.loan.crop.iter().chain(crops.iter()).copied();
            if let Some(crop) =
                financed.into_iter().find(|&crop| in_harvest_window(crop, r.date, c.months_after_harvest))
            {
                if found.is_none_or(|(_, f, _)| r.date > f.date) {
                    found = Some((l.loan.loan_id.as_str(), r, crop));
                }
                break;
            }
        }
    }
    if let Some((loan, r, crop)) = found {
        out.push(Signal {
            cause: Cause::HarvestLateness,
            tier: Tier::Orange,
            detector: "harvest_shortfall",
            loan_id: Some(loan.to_string()),
            own: true,
            reason_zh: format!(
                "{}收获后应有售粮回款，{}应还{}元仅还{}元",
                crop_zh(crop),
                r.date,
                r.amount_due,
                r.amount_paid
            ),
            evidence: json!({ "detector": "harvest_shortfall", "loan_id": loan, "date": r.date.to_string(),
                              "crop": crop.code(), "amount_due_fen": r.amount_due.fen(),
                              "amount_paid_fen": r.amount_paid.fen() }),
        });
    }
}

/// The repayment-behaviour score on `day`: 100, less `points_per_shortfall` per installment missed within the
/// window ([`missed_installments`]), less half the worst DPD in it, floored at 0.
pub fn behaviour_score(b: &BorrowerFile, day: Date, config: &MonitorConfig) -> u32 {
    let c = &config.behaviour;
    let since = day - days(c.window_days);
    let mut short = 0u32;
    let mut worst = 0u32;
    for l in &b.loans {
        let rows = l.rows_known(day);
        short += missed_installments(rows).filter(|on| *on > since).count() as u32;
        for r in rows.iter().filter(|r| r.date > since) {
            worst = worst.max(r.dpd_after);
        }
        worst = worst.max(l.dpd_on(day));
    }
    100u32.saturating_sub(short.saturating_mul(c.points_per_shortfall)).saturating_sub(worst / 2)
}

/// `behaviour_score`.
fn behaviour(b: &BorrowerFile, day: Date, config: &MonitorConfig, out: &mut Vec<Signal>) {
    let c = &config.behaviour;
    let now = behaviour_score(b, day, config);
    let before = behaviour_score(b, day - days(c.compare_days), config);
    let tier = if now < c.orange_below {
        Tier::Orange
    } else if before.saturating_sub(now) >= c.yellow_drop {
        Tier::Yellow
    } else {
        return;
    };
    out.push(Signal {
        cause: Cause::BehaviourScore,
        tier,
        detector: "behaviour_score",
        loan_id: None,
        own: true,
        reason_zh: format!("还款行为评分由{}分降至{}分", before, now),
        evidence: json!({ "detector": "behaviour_score", "score": now, "score_before": before,
                          "compare_days": c.compare_days }),
    });
}

/// `proceeds_diverted` and `shared_payee`.
fn diversion(book: &Book, index: usize, day: Date, config: &MonitorConfig, out: &mut Vec<Signal>) {
    let c = &config.diversion;
    let Some(b) = book.borrowers.get(index) else { return };
    for l in &b.loans {
        let start = l.loan.start_date;
        if start > day || day > start + days(c.signal_days) || !l.loan.principal.is_positive() {
            continue;
        }
        let window_end = (start + days(c.window_days)).min(day);
        let mut paid = 0i64;
        let mut kinds: Vec<&str> = Vec::new();
        for t in &b.records.transactions {
            if t.loan_id.as_deref() == Some(l.loan.loan_id.as_str())
                && t.counterparty_type.is_diversion()
                && t.date >= start
                && t.date <= window_end
            {
                paid = paid.saturating_add(t.amount.fen().saturating_abs());
                if !kinds.contains(&t.counterparty_type.code()) {
                    kinds.push(t.counterparty_type.code());
                }
            }
        }
        let share = Decimal::from(paid) / Decimal::from(l.loan.principal.fen());
        if let Some(tier) = tier_of(share, c.yellow_share, c.orange_share, None) {
            out.push(Signal {
                cause: Cause::FundDiversion,
                tier,
                detector: "proceeds_diverted",
                loan_id: Some(l.loan.loan_id.clone()),
                own: true,
                reason_zh: format!(
                    "放款后{}天内{}%的贷款资金转入非生产用途",
                    c.window_days,
                    (share * Decimal::ONE_HUNDRED).round()
                ),
                evidence: json!({ "detector": "proceeds_diverted", "loan_id": l.loan.loan_id,
                                  "share": share.round_dp(4).to_string(), "paid_fen": paid, "to": kinds }),
            });
        }
    }
    // Rings: a counterparty this borrower paid from proceeds, paid by enough other borrowers within the ring window.
    let mut seen: Vec<&str> = Vec::new();
    for t in &b.records.transactions {
        let Some(loan) = t.loan_id.as_deref() else { continue };
        if !t.counterparty_type.is_diversion() || t.date > day || day > t.date + days(c.signal_days) {
            continue;
        }
        if seen.contains(&t.counterparty_id.as_str()) {
            continue;
        }
        let Some(payments) = book.env.payees.get(&t.counterparty_id) else { continue };
        if !payments.iter().any(|p| p.borrower == index && p.loan_id == loan) {
            continue;
        }
        seen.push(t.counterparty_id.as_str());
        let from = t.date - days(c.ring_days);
        let to = (t.date + days(c.ring_days)).min(day);
        let mut payers: Vec<usize> =
            payments.iter().filter(|p| p.date >= from && p.date <= to).map(|p| p.borrower).collect();
        payers.sort_unstable();
        payers.dedup();
        if payers.len() >= c.ring_borrowers as usize {
            out.push(Signal {
                cause: Cause::FundDiversion,
                tier: Tier::Orange,
                detector: "shared_payee",
                loan_id: Some(loan.to_string()),
                own: true,
                reason_zh: format!("{}户借款人的贷款资金集中转给同一收款方", payers.len()),
                evidence: json!({ "detector": "shared_payee", "counterparty": t.counterparty_id,
                                  "borrowers": payers.len(), "window_days": c.ring_days }),
            });
        }
    }
}

/// `new_inquiries`.
fn indebtedness(b: &BorrowerFile, day: Date, config: &MonitorConfig, out: &mut Vec<Signal>) {
    let c = &config.indebtedness;
    let Some(first_active) = b.loans.iter().filter(|l| l.active_on(day)).map(|l| l.loan.start_date).min() else {
        return;
    };
    let reports = &b.records.bureau_reports;
    let known: Vec<_> = reports.iter().filter(|r| r.report_date <= day).collect();
    let Some(latest) = known.last() else { return };
    if latest.report_date <= first_active || day > latest.report_date + days(c.signal_days) {
        return;
    }
    let base = known.iter().rev().find(|r| r.report_date <= first_active);
    let new_accounts = base.map_or(0, |r| latest.open_accounts.saturating_sub(r.open_accounts));
    let tier = if latest.inquiries_6m >= c.inquiries_orange || new_accounts >= c.new_accounts_orange {
        Tier::Orange
    } else if latest.inquiries_6m >= c.inquiries_yellow {
        Tier::Yellow
    } else {
        return;
    };
    out.push(Signal {
        cause: Cause::OverIndebtedness,
        tier,
        detector: "new_inquiries",
        loan_id: None,
        own: true,
        reason_zh: format!("近6个月征信查询{}次，新增他行账户{}个", latest.inquiries_6m, new_accounts),
        evidence: json!({ "detector": "new_inquiries", "report_date": latest.report_date.to_string(),
                          "inquiries_6m": latest.inquiries_6m, "new_accounts": new_accounts }),
    });
}

/// `crop_price` and `pig_grain_ratio`.
fn prices(book: &Book, b: &BorrowerFile, day: Date, config: &MonitorConfig, out: &mut Vec<Signal>) {
    let c = &config.price;
    let mut commodities: Vec<_> = b.records.household.crops.iter().filter_map(|&crop| commodity_of(crop)).collect();
    commodities.sort_by_key(|c| c.code());
    commodities.dedup();
    for commodity in commodities {
        let Some(series) = book.env.prices.get(&commodity) else { continue };
        let known = &series[..series.partition_point(|p| p.month.last_day() <= day)];
        let Some((latest, before)) = known.split_last() else { continue };
        if latest.month.last_day() + days(31) < day || before.len() < 12 {
            continue;
        }
        let year = &before[before.len() - 12..];
        let mean = year.iter().map(|p| p.price_yuan_per_kg).sum::<Decimal>() / Decimal::from(12);
        if mean <= Decimal::ZERO {
            continue;
        }
        let fall = (mean - latest.price_yuan_per_kg) / mean;
        if let Some(tier) = tier_of(fall, c.fall_yellow, c.fall_orange, None) {
            out.push(Signal {
                cause: Cause::PriceShock,
                tier,
                detector: "crop_price",
                loan_id: None,
                own: false,
                reason_zh: format!(
                    "{}价格较近12个月均价下跌{}%",
                    commodity_zh(commodity),
                    (fall * Decimal::ONE_HUNDRED).round()
                ),
                evidence: json!({ "detector": "crop_price", "commodity": commodity.code(),
                                  "month": latest.month.to_string(), "price": latest.price_yuan_per_kg.to_string(),
                                  "mean_12m": mean.round_dp(3).to_string() }),
            });
        }
    }
    if b.keeps_pigs()
        && let Some(series) = book.env.prices.get(&features::input::Commodity::Hog)
    {
        let known = &series[..series.partition_point(|p| p.month.last_day() <= day)];
        if let Some(latest) = known.last()
            && latest.month.last_day() + days(31) >= day
            && let Some(level) = latest.hog_alert_tier
        {
            let tier = if level <= c.hog_orange_tier { Tier::Orange } else { Tier::Yellow };
            let ratio = latest.pig_grain_ratio.map(|r| r.to_string());
            out.push(Signal {
                cause: Cause::PriceShock,
                tier,
                detector: "pig_grain_ratio",
                loan_id: None,
                own: false,
                reason_zh: format!("猪粮比{}，处于国家预案{}级预警", ratio.as_deref().unwrap_or("-"), level),
                evidence: json!({ "detector": "pig_grain_ratio", "month": latest.month.to_string(),
                                  "ratio": ratio, "ndrc_tier": level }),
            });
        }
    }
}

/// `village_weather`.
fn weather(book: &Book, b: &BorrowerFile, day: Date, config: &MonitorConfig, out: &mut Vec<Signal>) {
    let c = &config.weather;
    if b.records.household.crops.is_empty() {
        return;
    }
    let Some(events) = book.env.weather.get(b.village()) else { return };
    let worst = events
        .iter()
        .filter(|w| {
            let known = w.harvest_month.last_day();
            known <= day && day <= known + days(c.signal_days)
        })
        .max_by_key(|w| w.loss_share);
    let Some(w) = worst else { return };
    let Some(tier) = tier_of(w.loss_share, c.yellow_loss, c.orange_loss, Some(c.red_loss)) else { return };
    out.push(Signal {
        cause: Cause::Weather,
        tier,
        detector: "village_weather",
        loan_id: None,
        own: false,
        reason_zh: format!("本村{}遭受{}，减产约{}%", w.harvest_month, weather_zh(w.event_type), (w.loss_share * Decimal::ONE_HUNDRED).round()),
        evidence: json!({ "detector": "village_weather", "village": b.village(), "harvest_month": w.harvest_month.to_string(),
                          "event": w.event_type.code(), "loss_share": w.loss_share.to_string(),
                          "insured": b.records.household.insured }),
    });
}

/// `county_disease` and `migrant_income`.
fn county_shocks(book: &Book, b: &BorrowerFile, day: Date, config: &MonitorConfig, out: &mut Vec<Signal>) {
    let c = &config.county;
    if b.keeps_pigs()
        && let Some(events) = book.env.disease.get(&b.county)
        && let Some(d) = events
            .iter()
            .filter(|d| d.start_month.first_day() <= day && day <= d.end_month.last_day())
            .max_by_key(|d| d.cull_rate)
    {
        let tier = if d.cull_rate >= c.cull_orange { Tier::Orange } else { Tier::Yellow };
        out.push(Signal {
            cause: Cause::Disease,
            tier,
            detector: "county_disease",
            loan_id: None,
            own: false,
            reason_zh: format!(
                "本县发生{}疫情，扑杀率约{}%，禁运至{}",
                d.species,
                (d.cull_rate * Decimal::ONE_HUNDRED).round(),
                d.end_month
            ),
            evidence: json!({ "detector": "county_disease", "county": b.county, "species": d.species.code(),
                              "start_month": d.start_month.to_string(), "end_month": d.end_month.to_string(),
                              "cull_rate": d.cull_rate.to_string() }),
        });
    }
    let migrants = b.records.household.migrants;
    if migrants > 0
        && let Some(events) = book.env.employment.get(&b.county)
        && let Some(e) = events.iter().find(|e| e.start_month.first_day() <= day && day <= e.end_month.last_day())
    {
        let tier = if migrants >= c.migrants_orange { Tier::Orange } else { Tier::Yellow };
        out.push(Signal {
            cause: Cause::IncomeShock,
            tier,
            detector: "migrant_income",
            loan_id: None,
            own: false,
            reason_zh: format!("本县外出务工收入下降约{}%，家中{}人外出务工", (e.income_drop * Decimal::ONE_HUNDRED).round(), migrants),
            evidence: json!({ "detector": "migrant_income", "county": b.county, "income_drop": e.income_drop.to_string(),
                              "migrants": migrants, "until": e.end_month.to_string() }),
        });
    }
}

/// `group_peer` and `village_defaults`.
fn peers(book: &Book, b: &BorrowerFile, view: &DayView, config: &MonitorConfig, out: &mut Vec<Signal>) {
    let c = &config.peers;
    let worst_peer = b.peers.iter().map(|&p| (view.worst_dpd(p), p)).max_by_key(|(d, _)| *d);
    if let Some((dpd, p)) = worst_peer
        && let Some(tier) = tier_of(dpd, c.group_yellow_dpd, c.group_orange_dpd, None)
    {
        let peer = book.borrowers.get(p).map(|x| x.household_id().to_string()).unwrap_or_default();
        out.push(Signal {
            cause: Cause::PeerDefault,
            tier,
            detector: "group_peer",
            loan_id: None,
            own: false,
            reason_zh: format!("联保小组成员逾期{}天", dpd),
            evidence: json!({ "detector": "group_peer", "peer": peer, "peer_dpd": dpd }),
        });
    }
    if let Some(&(active, bad)) = view.villages.get(b.village())
        && active >= c.village_min_borrowers.max(1)
    {
        let rate = Decimal::from(bad) / Decimal::from(active);
        if let Some(tier) = tier_of(rate, c.village_yellow, c.village_orange, None) {
            out.push(Signal {
                cause: Cause::PeerDefault,
                tier,
                detector: "village_defaults",
                loan_id: None,
                own: false,
                reason_zh: format!("本村{}户借款人中{}户逾期90天以上", active, bad),
                evidence: json!({ "detector": "village_defaults", "village": b.village(), "borrowers": active,
                                  "non_performing": bad }),
            });
        }
    }
}

/// Whether a news topic bears on the household's business.
fn concerns(topic: NewsTopic, b: &BorrowerFile) -> bool {
    let farms = !b.records.household.crops.is_empty();
    match topic {
        NewsTopic::HogPrice | NewsTopic::Disease => b.keeps_pigs(),
        NewsTopic::GrainPrice
        | NewsTopic::FarmPrice
        | NewsTopic::Drought
        | NewsTopic::Flood
        | NewsTopic::Hail
        | NewsTopic::Typhoon
        | NewsTopic::Frost
        | NewsTopic::HarvestRain => farms,
        NewsTopic::Employment => b.records.household.migrants > 0,
        NewsTopic::Disaster => true,
        NewsTopic::Policy | NewsTopic::RuralLife => false,
    }
}

/// `county_news`.
fn news(book: &Book, b: &BorrowerFile, day: Date, config: &MonitorConfig, out: &mut Vec<Signal>) {
    let Some(items) = book.env.news.get(&b.county) else { return };
    let since = day - days(config.news.signal_days);
    let known = &items[..items.partition_point(|n| n.date <= day)];
    let hit = known
        .iter()
        .rev()
        .take_while(|n| n.date > since)
        .find(|n| n.sentiment == Sentiment::Negative && concerns(n.topic, b));
    if let Some(n) = hit {
        out.push(Signal {
            cause: Cause::NegativeNews,
            tier: Tier::Yellow,
            detector: "county_news",
            loan_id: None,
            own: false,
            reason_zh: format!("{}本县出现{}方面的负面消息", n.date, topic_zh(n.topic)),
            evidence: json!({ "detector": "county_news", "date": n.date.to_string(), "county": n.county_code,
                              "topic": n.topic.code() }),
        });
    }
}

/// Whether `day` falls in a crop's growing season: the 5 months up to and including its harvest month.
fn in_season(crop: FarmCrop, day: Date) -> bool {
    use chrono::Datelike;
    let h = harvest_month(crop);
    let until_harvest = (h + 12 - day.month()) % 12;
    until_harvest <= 4
}

/// `crop_condition`.
fn crop_condition(book: &Book, b: &BorrowerFile, day: Date, config: &MonitorConfig, out: &mut Vec<Signal>) {
    let condition = config.crop.condition();
    let mut best: Option<(features::crop_condition::CropSignal, FarmCrop)> = None;
    for &crop in &b.records.household.crops {
        if !in_season(crop, day) {
            continue;
        }
        let Some(series) = book.env.crops.get(&(b.village().to_string(), crop)) else { continue };
        let known = &series[..series.partition_point(|o| o.observed_on <= day)];
        if let Some(signal) = features::crop_condition::assess(known, day, &condition)
            && best.as_ref().is_none_or(|(s, _)| signal.mean_anomaly < s.mean_anomaly)
        {
            best = Some((signal, crop));
        }
    }
    let Some((signal, crop)) = best else { return };
    use features::crop_condition::Severity;
    let tier = match signal.severity {
        Severity::Mild => Tier::Yellow,
        Severity::Moderate | Severity::Severe => Tier::Orange,
    };
    let passes: Vec<_> = signal
        .evidence
        .iter()
        .rev()
        .take(6)
        .map(|e| json!({ "observed_on": e.observed_on.to_string(), "anomaly": e.anomaly.to_string() }))
        .collect();
    out.push(Signal {
        cause: Cause::CropCondition,
        tier,
        detector: "crop_condition",
        loan_id: None,
        own: false,
        reason_zh: format!(
            "卫星遥感显示本村{}长势持续低于常年（植被指数偏低{}）",
            crop_zh(crop),
            signal.mean_anomaly.abs()
        ),
        evidence: json!({ "detector": "crop_condition", "village": b.village(), "crop": crop.code(),
                          "severity": signal.severity.code(), "mean_anomaly": signal.mean_anomaly.to_string(),
                          "passes": passes }),
    });
}

/// A crop's Chinese name, for the reasons people read.
pub fn crop_zh(crop: FarmCrop) -> &'static str {
    match crop {
        FarmCrop::WinterWheat => "冬小麦",
        FarmCrop::SummerMaize => "夏玉米",
        FarmCrop::SingleRice => "一季稻",
        FarmCrop::EarlyRice => "早稻",
        FarmCrop::LateRice => "晚稻",
        FarmCrop::SpringMaize => "春玉米",
        FarmCrop::Soybean => "大豆",
        FarmCrop::Fruit => "果茶",
    }
}

fn commodity_zh(c: features::input::Commodity) -> &'static str {
    use features::input::Commodity as C;
    match c {
        C::Wheat => "小麦",
        C::Paddy => "稻谷",
        C::Maize => "玉米",
        C::Soybean => "大豆",
        C::Hog => "生猪",
    }
}

fn weather_zh(w: features::input::WeatherType) -> &'static str {
    use features::input::WeatherType as W;
    match w {
        W::Drought => "旱灾",
        W::Flood => "洪涝",
        W::Hail => "冰雹",
        W::Typhoon => "台风",
        W::Frost => "霜冻",
        W::HarvestRain => "收获期连阴雨",
    }
}

fn topic_zh(t: NewsTopic) -> &'static str {
    match t {
        NewsTopic::HogPrice => "生猪价格",
        NewsTopic::GrainPrice => "粮食价格",
        NewsTopic::FarmPrice => "农产品价格",
        NewsTopic::Drought => "旱情",
        NewsTopic::Flood => "汛情",
        NewsTopic::Hail => "冰雹",
        NewsTopic::Typhoon => "台风",
        NewsTopic::Frost => "霜冻",
        NewsTopic::HarvestRain => "收获期降雨",
        NewsTopic::Disaster => "灾害",
        NewsTopic::Disease => "疫病",
        NewsTopic::Policy => "政策",
        NewsTopic::Employment => "就业",
        NewsTopic::RuralLife => "农村生活",
    }
}
