//! Stress tests: a versioned scenario of shocks projected through the households' repayment capacity onto their
//! PDs, and from there onto defaults, the NPL ratio, ECL and provisions by segment.
//!
//! **Shocks** (each checked against the data: a county, zone or crop nobody has is an error naming the field):
//! - `price_fall` {county, crop, fall}: the gross harvest revenue of that crop (a crop season code such as
//!   `winter-wheat`, or a commodity: `wheat`, `paddy`, `maize`, `soybean`, `fruit`, `hog`) falls by `fall` for the
//!   county's households;
//! - `drought` {zone, loss}: the whole gross harvest revenue of the agro-zone's households falls by `loss`;
//! - `asf_outbreak` {county, cull_rate}: the county's hog revenue falls by `cull_rate`;
//! - `migrant_income` {county, drop, months}: the county's migrant income falls by `drop` for `months` of the year.
//!
//! Gross revenues are the features' agronomy (`features::capacity`): area × 95% of the potential yield × the
//! mean price of the last 12 months known by the date (fruit at 4 yuan/kg); hogs: two batches a year of the
//! fattening herd at 115 kg; migrants 47,500 yuan a year each.
//!
//! **Transmission**: a household's income loss share `s = ΔI / I` (I its expected yearly income, the feature
//! `income_expected_yuan`; ΔI the shocks' revenue losses, s at most 1) multiplies its PD odds by `1 / (1 − s)²`
//! (at most 25), and by 3 more when the shock takes its capacity ratio `I / debt service` from at least 1 to
//! below 1 (synthetic-population.md §6: a household short of cash at a due date pays only part):
//! `PD' = m·PD / (1 − PD + m·PD)`. The stressed PD sets the stage (the significant-increase threshold) and the ECL
//! as in [`crate::ecl`]. Over the next 12 months (or the remaining term), a performing loan defaults with its
//! stressed PD: the projected defaults are the sum of those PDs, the projected non-performing balance the current
//! one plus each performing loan's outstanding × PD, and the projected provision moves that share of each loan
//! from its class's ratio to 次级's.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use domain::{Date, Money, Rounding};
use features::capacity::{EXPECTED_YIELD_SHARE, FRUIT_PRICE_YUAN_PER_KG, MIGRANT_INCOME_YUAN, agronomy_of};
use features::input::{BorrowerRecords, Commodity, FarmCrop, PriceRow};
use lending::portfolio::ratio;
use lending::{FiveCategory, IfrsStage};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::book::Book;
use crate::config::Config;
use crate::ecl;
use crate::report::Amount;
use crate::{Dimension, PortfolioError};

/// The one scenario version this build reads.
pub const SCENARIO_VERSION: u32 = 1;
/// Most shocks in one scenario.
pub const MAX_SHOCKS: usize = 32;
/// Largest odds multiplier of the income-loss transmission.
pub const MAX_ODDS_MULTIPLIER: i64 = 25;
/// Extra odds multiplier when the capacity ratio falls below 1.
pub const SHORTFALL_MULTIPLIER: i64 = 3;

/// Why a scenario cannot be run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StressError {
    /// Not JSON of the scenario's shape; serde's message names the field (an unknown one too).
    #[error("{0}")]
    Parse(String),
    /// A field holds a value out of range or unknown to the data.
    #[error("{field}: {reason}")]
    Invalid {
        /// The field, such as `shocks[0].county`.
        field: String,
        /// What is wrong.
        reason: String,
    },
    /// The book cannot be summed.
    #[error(transparent)]
    Portfolio(#[from] PortfolioError),
}

/// One shock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Shock {
    /// A price fall for one crop in a county.
    PriceFall {
        /// 6-digit county code.
        county: String,
        /// Crop season or commodity code.
        crop: String,
        /// Share of the price lost, in (0, 1).
        fall: Decimal,
    },
    /// A drought in an agro-zone.
    Drought {
        /// The zone (`counties.zone`).
        zone: String,
        /// Share of the harvest lost, in (0, 1).
        loss: Decimal,
    },
    /// An ASF outbreak in a county.
    AsfOutbreak {
        /// 6-digit county code.
        county: String,
        /// Share of the herds culled, in (0, 1).
        cull_rate: Decimal,
    },
    /// A migrant-income shock in a county.
    MigrantIncome {
        /// 6-digit county code.
        county: String,
        /// Share of migrant income lost, in (0, 1).
        drop: Decimal,
        /// Months it lasts, 1–12.
        months: u32,
    },
}

/// A scenario file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Must be [`SCENARIO_VERSION`].
    pub version: u32,
    /// A name for the report.
    pub name: String,
    /// The shocks, 1 to [`MAX_SHOCKS`].
    pub shocks: Vec<Shock>,
}

/// What the data knows, for checking a scenario.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Known {
    /// County codes.
    pub counties: BTreeSet<String>,
    /// Agro-zones.
    pub zones: BTreeSet<String>,
}

/// The commodity a crop season sells as (`None`: fruit).
fn commodity_of(crop: FarmCrop) -> Option<Commodity> {
    agronomy_of(crop).commodity
}

/// Whether a scenario's crop code names a crop season or commodity.
fn crop_known(code: &str) -> bool {
    FarmCrop::parse(code).is_ok() || Commodity::parse(code).is_ok() || code == "fruit"
}

fn matches_crop(code: &str, crop: FarmCrop) -> bool {
    crop.code() == code
        || commodity_of(crop).is_some_and(|c| c.code() == code)
        || (code == "fruit" && crop == FarmCrop::Fruit)
}

fn open_share(field: String, v: Decimal) -> Result<(), StressError> {
    if v <= Decimal::ZERO || v >= Decimal::ONE {
        return Err(StressError::Invalid { field, reason: format!("{v} is outside (0, 1)") });
    }
    Ok(())
}

impl Scenario {
    /// Reads a scenario from JSON text and checks it against what the data knows.
    pub fn from_json(text: &str, known: &Known) -> Result<Scenario, StressError> {
        let scenario = Scenario::parse(text)?;
        scenario.check(known)?;
        Ok(scenario)
    }

    /// Reads a scenario's shape from JSON text, before the data is at hand ([`Scenario::check`] comes after).
    pub fn parse(text: &str) -> Result<Scenario, StressError> {
        serde_json::from_str(text).map_err(|e| StressError::Parse(e.to_string()))
    }

    /// Checks versions, bounds and that every region and crop is known.
    pub fn check(&self, known: &Known) -> Result<(), StressError> {
        let invalid = |field: String, reason: String| Err(StressError::Invalid { field, reason });
        if self.version != SCENARIO_VERSION {
            return invalid(
                "version".into(),
                format!("{} is not a version this build reads ({SCENARIO_VERSION})", self.version),
            );
        }
        if self.name.chars().count() > 200 {
            return invalid("name".into(), "is longer than 200 characters".into());
        }
        if self.shocks.is_empty() || self.shocks.len() > MAX_SHOCKS {
            return invalid(
                "shocks".into(),
                format!("holds {} shocks; 1 to {MAX_SHOCKS} are allowed", self.shocks.len()),
            );
        }
        for (i, shock) in self.shocks.iter().enumerate() {
            let f = |name: &str| format!("shocks[{i}].{name}");
            let county = |c: &String| {
                if known.counties.contains(c) {
                    Ok(())
                } else {
                    invalid(f("county"), format!("no county {c} is on file"))
                }
            };
            match shock {
                Shock::PriceFall { county: c, crop, fall } => {
                    county(c)?;
                    if !crop_known(crop) {
                        return invalid(
                            f("crop"),
                            format!(
                                "unknown crop '{crop}' (a crop season such as winter-wheat, or wheat, paddy, maize, soybean, fruit, hog)"
                            ),
                        );
                    }
                    open_share(f("fall"), *fall)?;
                }
                Shock::Drought { zone, loss } => {
                    if !known.zones.contains(zone) {
                        return invalid(f("zone"), format!("no agro-zone {zone} is on file"));
                    }
                    open_share(f("loss"), *loss)?;
                }
                Shock::AsfOutbreak { county: c, cull_rate } => {
                    county(c)?;
                    open_share(f("cull_rate"), *cull_rate)?;
                }
                Shock::MigrantIncome { county: c, drop, months } => {
                    county(c)?;
                    open_share(f("drop"), *drop)?;
                    if !(1..=12).contains(months) {
                        return invalid(f("months"), format!("{months} is outside 1–12"));
                    }
                }
            }
        }
        Ok(())
    }
}

/// A household's capacity from the features as of the date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Capacity {
    /// Expected yearly income, yuan (`income_expected_yuan`).
    pub income_yuan: Decimal,
    /// Yearly debt service, yuan (`debt_service_annual_yuan`).
    pub debt_service_yuan: Decimal,
}

/// Everything a stress run reads beside the book.
#[derive(Debug, Clone, Copy)]
pub struct StressInputs<'a> {
    /// The borrowers the book was built from.
    pub borrowers: &'a [BorrowerRecords],
    /// Village code → county code.
    pub county_of: &'a HashMap<String, String>,
    /// Village code → agro-zone.
    pub zones: &'a HashMap<String, String>,
    /// Monthly prices.
    pub prices: &'a [PriceRow],
    /// Capacity by household id (a household without one is estimated from its gross revenues).
    pub capacities: &'a HashMap<String, Capacity>,
}

/// The mean price of a commodity over the last 12 months wholly known by `as_of`.
pub fn expected_price(prices: &[PriceRow], commodity: Commodity, as_of: Date) -> Option<Decimal> {
    let first = domain::add_months(as_of, -12);
    let (mut sum, mut n) = (Decimal::ZERO, 0u32);
    for p in prices.iter().filter(|p| p.commodity == commodity) {
        let last_day = p.month.last_day();
        if last_day <= as_of && last_day > first {
            sum += p.price_yuan_per_kg;
            n += 1;
        }
    }
    (n > 0).then(|| sum / Decimal::from(n))
}

fn dec(x: f64) -> Decimal {
    Decimal::from_f64_retain(x).unwrap_or(Decimal::ZERO).round_dp(4)
}

/// A household's gross yearly revenues, yuan: by crop season, hogs, migrants.
struct Revenues {
    crops: Vec<(FarmCrop, Decimal)>,
    hogs: Decimal,
    migrants: Decimal,
}

fn revenues(records: &BorrowerRecords, prices: &HashMap<Commodity, Decimal>) -> Revenues {
    let h = &records.household;
    let land = h.land_contracted_mu + h.land_rented_mu;
    let crops = h
        .crops
        .iter()
        .map(|&c| {
            let a = agronomy_of(c);
            let price = match a.commodity {
                Some(k) => prices.get(&k).copied().unwrap_or(Decimal::ZERO),
                None => dec(FRUIT_PRICE_YUAN_PER_KG),
            };
            (c, land * dec(a.area_share) * dec(a.yield_kg_per_mu) * dec(EXPECTED_YIELD_SHARE) * price)
        })
        .collect();
    let hog_price = prices.get(&Commodity::Hog).copied().unwrap_or(Decimal::ZERO);
    Revenues {
        crops,
        hogs: Decimal::from(h.fattening_pigs) * Decimal::from(2 * 115) * hog_price,
        migrants: Decimal::from(h.migrants) * dec(MIGRANT_INCOME_YUAN),
    }
}

/// The income a household loses to the scenario in a year, yuan.
fn income_loss(scenario: &Scenario, county: &str, zone: &str, r: &Revenues) -> Decimal {
    let mut loss = Decimal::ZERO;
    for shock in &scenario.shocks {
        match shock {
            Shock::PriceFall { county: c, crop, fall } if c == county => {
                let hit: Decimal = r.crops.iter().filter(|(k, _)| matches_crop(crop, *k)).map(|(_, v)| *v).sum();
                let hogs = if crop == "hog" { r.hogs } else { Decimal::ZERO };
                loss += *fall * (hit + hogs);
            }
            Shock::Drought { zone: z, loss: share } if z == zone => {
                loss += *share * r.crops.iter().map(|(_, v)| *v).sum::<Decimal>();
            }
            Shock::AsfOutbreak { county: c, cull_rate } if c == county => loss += *cull_rate * r.hogs,
            Shock::MigrantIncome { county: c, drop, months } if c == county => {
                loss += *drop * r.migrants * Decimal::from(*months) / Decimal::from(12);
            }
            _ => {}
        }
    }
    loss
}

/// The odds multiplier for an income loss `loss` out of `income`, with yearly debt service `service`.
pub fn odds_multiplier(income: Decimal, loss: Decimal, service: Decimal) -> Decimal {
    if loss <= Decimal::ZERO {
        return Decimal::ONE;
    }
    let cap = Decimal::from(MAX_ODDS_MULTIPLIER);
    let share = if income > Decimal::ZERO { (loss / income).min(Decimal::ONE) } else { Decimal::ONE };
    let left = Decimal::ONE - share;
    let mut m = if left * left * cap <= Decimal::ONE { cap } else { Decimal::ONE / (left * left) };
    if service > Decimal::ZERO && income >= service && income - loss < service {
        m *= Decimal::from(SHORTFALL_MULTIPLIER);
    }
    m
}

/// A PD with its odds multiplied by `m`.
pub fn stressed_pd(pd: Decimal, m: Decimal) -> Decimal {
    let p = pd.clamp(Decimal::ZERO, Decimal::ONE);
    if p == Decimal::ONE || m == Decimal::ONE {
        return p;
    }
    let up = m * p;
    (up / (Decimal::ONE - p + up)).clamp(p, Decimal::ONE)
}

/// Base and stressed figures of one segment (or the whole book).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StressRow {
    /// The segment (`total` for the book).
    pub segment: String,
    /// Loans.
    pub loans: u64,
    /// Loans of shocked households.
    pub loans_shocked: u64,
    /// Outstanding.
    pub outstanding: Amount,
    /// Expected defaults over 12 months, base.
    pub defaults_base: Decimal,
    /// Expected defaults over 12 months, stressed.
    pub defaults_stressed: Decimal,
    /// NPL ratio now.
    pub npl_ratio_current: Decimal,
    /// Projected NPL ratio, base.
    pub npl_ratio_base: Decimal,
    /// Projected NPL ratio, stressed.
    pub npl_ratio_stressed: Decimal,
    /// ECL, base.
    pub ecl_base: Amount,
    /// ECL, stressed.
    pub ecl_stressed: Amount,
    /// Regulatory provision now.
    pub provision_current: Amount,
    /// Projected provision, stressed.
    pub provision_stressed: Amount,
}

/// A stress run's answer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StressReport {
    /// The date.
    pub as_of: Date,
    /// The scenario's name.
    pub scenario: String,
    /// The shocks.
    pub shocks: Vec<Shock>,
    /// Households hit by some shock.
    pub households_shocked: u64,
    /// Assumptions, in words.
    pub assumptions: Vec<String>,
    /// The whole book.
    pub total: StressRow,
    /// By segment, in key order.
    pub segments: Vec<StressRow>,
}

#[derive(Default)]
struct Acc {
    loans: u64,
    shocked: u64,
    outstanding: i128,
    npl: i128,
    defaults_base: Decimal,
    defaults_stressed: Decimal,
    npl_base: i128,
    npl_stressed: i128,
    ecl_base: i128,
    ecl_stressed: i128,
    provision_current: i128,
    provision_stressed: i128,
}

fn money(fen: i128, field: &'static str) -> Result<Amount, PortfolioError> {
    i64::try_from(fen).map(|f| Money::from_fen(f).into()).map_err(|_| PortfolioError::Overflow { field })
}

impl Acc {
    fn row(&self, segment: String) -> Result<StressRow, PortfolioError> {
        let out = money(self.outstanding, "outstanding")?;
        let r = |fen: i128| -> Result<Decimal, PortfolioError> { Ok(ratio(money(fen, "npl")?.yuan, out.yuan)) };
        Ok(StressRow {
            segment,
            loans: self.loans,
            loans_shocked: self.shocked,
            outstanding: out,
            defaults_base: self.defaults_base.round_dp(2),
            defaults_stressed: self.defaults_stressed.round_dp(2),
            npl_ratio_current: r(self.npl)?,
            npl_ratio_base: r(self.npl_base)?,
            npl_ratio_stressed: r(self.npl_stressed)?,
            ecl_base: money(self.ecl_base, "ecl")?,
            ecl_stressed: money(self.ecl_stressed, "ecl")?,
            provision_current: money(self.provision_current, "provision")?,
            provision_stressed: money(self.provision_stressed, "provision")?,
        })
    }
}

/// Runs a checked scenario over a book.
pub fn run(
    book: &Book,
    inputs: &StressInputs<'_>,
    scenario: &Scenario,
    config: &Config,
) -> Result<StressReport, StressError> {
    let as_of = book.as_of;
    let prices: HashMap<Commodity, Decimal> =
        Commodity::ALL.iter().filter_map(|&c| expected_price(inputs.prices, c, as_of).map(|p| (c, p))).collect();
    let seg = Dimension::Segment.index();
    let mut by_segment: BTreeMap<&str, Acc> = BTreeMap::new();
    let mut total = Acc::default();
    let mut shocked_households = 0u64;
    let mut last: Option<(u32, Decimal, bool)> = None;
    let sub = config.provisions.substandard;
    for p in &book.positions {
        let records = inputs.borrowers.get(p.household as usize).ok_or_else(|| StressError::Invalid {
            field: "borrowers".into(),
            reason: "are not the ones the book was built from".into(),
        })?;
        let multiplier = match last {
            Some((h, m, _)) if h == p.household => m,
            _ => {
                let village = records.household.village_code.as_str();
                let county = inputs.county_of.get(village).map_or("", String::as_str);
                let zone = inputs.zones.get(village).map_or("", String::as_str);
                let r = revenues(records, &prices);
                let loss = income_loss(scenario, county, zone, &r);
                let capacity =
                    inputs.capacities.get(&records.household.household_id).copied().unwrap_or_else(|| Capacity {
                        income_yuan: r.crops.iter().map(|(_, v)| *v).sum::<Decimal>() + r.hogs + r.migrants,
                        debt_service_yuan: Decimal::ZERO,
                    });
                let m = odds_multiplier(capacity.income_yuan, loss, capacity.debt_service_yuan);
                let hit = loss > Decimal::ZERO;
                shocked_households += u64::from(hit);
                last = Some((p.household, m, hit));
                m
            }
        };
        let hit = last.is_some_and(|(_, _, hit)| hit);
        let e = p.exposure;
        let outstanding = e.outstanding();
        let performing = p.stage != IfrsStage::Stage3 && !e.class().is_non_performing();
        let pd_stressed = stressed_pd(p.pd_12m, multiplier);
        let stage_stressed = ecl::stage(&book.rules, e.dpd(), e.restructured(), e.class(), pd_stressed, config.sicr_pd);
        let ecl_stressed = ecl::ecl(ecl::pd_for(stage_stressed, pd_stressed, p.remaining_months), p.lgd, p.ead);
        let horizon = p.remaining_months.min(12);
        let (d_base, d_stressed) = if performing {
            (ecl::pd_over(p.pd_12m, horizon), ecl::pd_over(pd_stressed, horizon))
        } else {
            (Decimal::ZERO, Decimal::ZERO)
        };
        let npl_now = if e.class().is_non_performing() { outstanding } else { Money::ZERO };
        let moved = |d: Decimal| outstanding.times(d).round(Rounding::HalfEven);
        let class_ratio = config.provisions.of(e.class());
        let provision_now = outstanding.times(class_ratio + config.provisions.general).round(Rounding::HalfEven);
        let step =
            if e.class() < FiveCategory::Substandard { (sub - class_ratio).max(Decimal::ZERO) } else { Decimal::ZERO };
        let provision_stressed =
            outstanding.times(class_ratio + config.provisions.general + d_stressed * step).round(Rounding::HalfEven);
        for acc in [by_segment.entry(book.names[seg][p.groups[seg] as usize].as_str()).or_default(), &mut total] {
            acc.loans += 1;
            acc.shocked += u64::from(hit);
            acc.outstanding += i128::from(outstanding.fen());
            acc.npl += i128::from(npl_now.fen());
            acc.defaults_base += d_base;
            acc.defaults_stressed += d_stressed;
            acc.npl_base += i128::from(npl_now.fen()) + i128::from(moved(d_base).fen());
            acc.npl_stressed += i128::from(npl_now.fen()) + i128::from(moved(d_stressed).fen());
            acc.ecl_base += i128::from(p.ecl.fen());
            acc.ecl_stressed += i128::from(ecl_stressed.fen());
            acc.provision_current += i128::from(provision_now.fen());
            acc.provision_stressed += i128::from(provision_stressed.fen());
        }
    }
    let assumptions = vec![
        "gross revenue: area × 95% of the potential yield × the mean price of the last 12 months (fruit 4 yuan/kg); hogs: 2 batches a year × 115 kg; migrants 47,500 yuan a year".to_owned(),
        format!("transmission: PD odds × 1/(1 − s)² (at most {MAX_ODDS_MULTIPLIER}), s = income lost ÷ expected income; × {SHORTFALL_MULTIPLIER} more when income falls below the yearly debt service"),
        "projected over 12 months (or the remaining term): defaults = Σ stressed PD of performing loans; NPL = current + Σ outstanding × PD".to_owned(),
        format!("projected provision: each performing loan's default share moves from its class's ratio to 次级's ({sub}); general {} on all loans", config.provisions.general),
        "ECL as in the report, with the stressed PD setting the stage (significant increase) and the PD; LGD and EAD unchanged".to_owned(),
        "insurance indemnities and government relief are not counted (conservative)".to_owned(),
    ];
    Ok(StressReport {
        as_of,
        scenario: scenario.name.clone(),
        shocks: scenario.shocks.clone(),
        households_shocked: shocked_households,
        assumptions,
        total: total.row("total".into())?,
        segments: by_segment.iter().map(|(k, a)| a.row((*k).to_owned())).collect::<Result<Vec<_>, _>>()?,
    })
}

/// What the data knows, from the village → county and village → zone maps.
pub fn known(county_of: &HashMap<String, String>, zones: &HashMap<String, String>) -> Known {
    Known { counties: county_of.values().cloned().collect(), zones: zones.values().cloned().collect() }
}

/// The stress report as a plain-text table.
pub fn table(r: &StressReport) -> String {
    use crate::render::percent;
    use std::fmt::Write as _;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "压力测试 stress test '{}' as of {} ({} households shocked)\n",
        r.scenario, r.as_of, r.households_shocked
    );
    let _ = writeln!(
        out,
        "{:<28} {:>6} {:>8} {:>16} {:>9} {:>9} {:>9} {:>9} {:>14} {:>14} {:>14} {:>14}",
        "segment 客群",
        "loans",
        "shocked",
        "outstanding",
        "def base",
        "def str",
        "NPL now",
        "NPL str",
        "ECL base",
        "ECL stressed",
        "prov now",
        "prov stressed"
    );
    for row in r.segments.iter().chain(std::iter::once(&r.total)) {
        let _ = writeln!(
            out,
            "{:<28} {:>6} {:>8} {:>16} {:>9} {:>9} {:>9} {:>9} {:>14} {:>14} {:>14} {:>14}",
            row.segment,
            row.loans,
            row.loans_shocked,
            row.outstanding.yuan.to_string(),
            row.defaults_base.to_string(),
            row.defaults_stressed.to_string(),
            percent(row.npl_ratio_current),
            percent(row.npl_ratio_stressed),
            row.ecl_base.yuan.to_string(),
            row.ecl_stressed.yuan.to_string(),
            row.provision_current.yuan.to_string(),
            row.provision_stressed.yuan.to_string(),
        );
    }
    let _ = writeln!(out, "\n假设 assumptions");
    for a in &r.assumptions {
        let _ = writeln!(out, "  - {a}");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn known() -> Known {
        Known { counties: ["990101".to_owned()].into(), zones: ["HHH".to_owned()].into() }
    }

    #[test]
    fn a_valid_scenario_reads() {
        let s = Scenario::from_json(
            r#"{"version": 1, "name": "wheat and drought", "shocks": [
                {"kind": "price_fall", "county": "990101", "crop": "wheat", "fall": "0.25"},
                {"kind": "drought", "zone": "HHH", "loss": "0.4"},
                {"kind": "asf_outbreak", "county": "990101", "cull_rate": "0.6"},
                {"kind": "migrant_income", "county": "990101", "drop": "0.3", "months": 6}]}"#,
            &known(),
        )
        .expect("valid");
        assert_eq!(s.shocks.len(), 4);
    }

    #[test]
    fn bad_scenarios_name_the_field() {
        let err = |text: &str| Scenario::from_json(text, &known()).expect_err("invalid").to_string();
        let one = |shock: &str| format!(r#"{{"version": 1, "name": "x", "shocks": [{shock}]}}"#);
        let e = err(&one(r#"{"kind": "price_fall", "county": "990199", "crop": "wheat", "fall": "0.25"}"#));
        assert!(e.starts_with("shocks[0].county:"), "{e}");
        let e = err(&one(r#"{"kind": "price_fall", "county": "990101", "crop": "tobacco", "fall": "0.25"}"#));
        assert!(e.starts_with("shocks[0].crop:"), "{e}");
        let e = err(&one(r#"{"kind": "price_fall", "county": "990101", "crop": "wheat", "fall": "1.25"}"#));
        assert!(e.starts_with("shocks[0].fall:"), "{e}");
        let e = err(&one(r#"{"kind": "price_fall", "county": "990101", "crop": "wheat", "fall": "0"}"#));
        assert!(e.starts_with("shocks[0].fall:"), "{e}");
        let e = err(&one(r#"{"kind": "drought", "zone": "MOON", "loss": "0.3"}"#));
        assert!(e.starts_with("shocks[0].zone:"), "{e}");
        let e = err(&one(r#"{"kind": "drought", "zone": "HHH", "loss": "0.3", "severity": 2}"#));
        assert!(e.contains("unknown field") && e.contains("severity"), "{e}");
        let e = err(r#"{"version": 1, "name": "x", "shocks": [], "extra": 1}"#);
        assert!(e.contains("extra"), "{e}");
        let e = err(r#"{"version": 1, "name": "x", "shocks": []}"#);
        assert!(e.starts_with("shocks:"), "{e}");
        let e = err(&one(r#"{"kind": "migrant_income", "county": "990101", "drop": "0.3", "months": 13}"#));
        assert!(e.starts_with("shocks[0].months:"), "{e}");
    }

    proptest::proptest! {
        #[test]
        fn a_stressed_pd_is_a_probability_never_below_the_base(
            pd_bp in 0i64..=10_000,
            income in 0i64..1_000_000,
            loss in 0i64..1_000_000,
            service in 0i64..200_000,
        ) {
            let pd = Decimal::new(pd_bp, 4);
            let m = odds_multiplier(Decimal::from(income), Decimal::from(loss), Decimal::from(service));
            proptest::prop_assert!(m >= Decimal::ONE && m <= Decimal::from(MAX_ODDS_MULTIPLIER * SHORTFALL_MULTIPLIER));
            let stressed = stressed_pd(pd, m);
            proptest::prop_assert!(stressed >= pd && stressed <= Decimal::ONE, "{} → {}", pd, stressed);
            // More loss never lowers the stressed PD.
            let more = stressed_pd(pd, odds_multiplier(Decimal::from(income), Decimal::from(loss + 1_000), Decimal::from(service)));
            proptest::prop_assert!(more >= stressed);
        }
    }

    #[test]
    fn the_transmission_raises_pd_monotonically() {
        let d = |m, s| Decimal::new(m, s);
        assert_eq!(odds_multiplier(d(100, 0), Decimal::ZERO, d(10, 0)), Decimal::ONE);
        // Half the income lost: odds × 4; PD 0.02 → 0.08 / 1.06.
        assert_eq!(odds_multiplier(d(100, 0), d(50, 0), d(10, 0)), d(4, 0));
        assert_eq!(stressed_pd(d(2, 2), d(4, 0)), d(8, 2) / d(106, 2));
        // Capacity falls below the debt service: × 3 more.
        assert_eq!(odds_multiplier(d(100, 0), d(50, 0), d(60, 0)), d(12, 0));
        // Everything lost: the cap.
        assert_eq!(odds_multiplier(d(100, 0), d(100, 0), Decimal::ZERO), d(25, 0));
        assert_eq!(stressed_pd(Decimal::ONE, d(25, 0)), Decimal::ONE);
        let mut last = Decimal::ZERO;
        for loss in 0..100 {
            let p = stressed_pd(d(3, 2), odds_multiplier(d(100, 0), Decimal::from(loss), d(30, 0)));
            assert!(p >= last);
            last = p;
        }
    }
}
