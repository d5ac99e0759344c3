//! The monitoring configuration: every detector's parameters, versioned. An alert records the version it was raised
//! under, so a change of threshold is a new version and the alerts of the old one stay explained by it.
//!
//! The defaults are version 1. A configuration file is JSON with this shape; unknown fields are refused, and
//! [`MonitorConfig::check`] refuses values outside their sense (a share outside 0–1, thresholds out of order), naming
//! the field.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::alert::WorkflowConfig;

/// A configuration value out of its sense.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("monitoring configuration {field}: {problem}")]
pub struct InvalidConfig {
    /// The offending field, as a dotted path.
    pub field: &'static str,
    /// What is wrong with it.
    pub problem: String,
}

/// Missed installments and days past due (the lending core's one DPD clock).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OverdueConfig {
    /// DPD from which a loan is on the watch list (yellow).
    pub yellow_dpd: u32,
    /// DPD from which the alert is orange.
    pub orange_dpd: u32,
    /// DPD from which the alert is red.
    pub red_dpd: u32,
    /// Window for counting missed installments, days.
    pub missed_window_days: u32,
    /// Missed installments within the window (cured or not) that make the alert orange.
    pub missed_for_orange: u32,
}

/// Lateness against the expected harvest cash flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HarvestConfig {
    /// Months after a crop's harvest month during which its sale money is expected in (the harvest month counts as
    /// month 0): a shortfall then means the harvest did not pay.
    pub months_after_harvest: u32,
    /// How long a shortfall stays a signal, days.
    pub signal_days: u32,
}

/// Behaviour-score deterioration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BehaviourConfig {
    /// Window of repayment rows the score reads, days.
    pub window_days: u32,
    /// Points taken per row paid short within the window.
    pub points_per_shortfall: u32,
    /// A score below this is orange.
    pub orange_below: u32,
    /// A fall of at least this many points against the score `compare_days` earlier is yellow.
    pub yellow_drop: u32,
    /// How far back the score is compared, days.
    pub compare_days: u32,
}

/// Fund diversion.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DiversionConfig {
    /// Days after disbursement in which payments are watched.
    pub window_days: u32,
    /// Share of the proceeds sent to individuals, consumer or real-estate merchants, securities or other lenders
    /// that makes the alert yellow.
    pub yellow_share: Decimal,
    /// … orange.
    pub orange_share: Decimal,
    /// Distinct borrowers paying one counterparty from their proceeds within `ring_days` that make a ring (orange
    /// for every one of them, with a visit).
    pub ring_borrowers: u32,
    /// The ring's window, days.
    pub ring_days: u32,
    /// How long after disbursement a diversion stays a signal, days.
    pub signal_days: u32,
}

/// Over-indebtedness from new bureau reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IndebtednessConfig {
    /// Inquiries in 6 months (on a report newer than the loan) that make the alert yellow.
    pub inquiries_yellow: u32,
    /// … orange.
    pub inquiries_orange: u32,
    /// New accounts elsewhere since the loan's report that make the alert orange.
    pub new_accounts_orange: u32,
    /// How long a report stays a signal, days.
    pub signal_days: u32,
}

/// Price shocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PriceConfig {
    /// Fall of the latest monthly price below the mean of the 12 months before it that is yellow.
    pub fall_yellow: Decimal,
    /// … orange.
    pub fall_orange: Decimal,
    /// The NDRC hog-price tier (1 most severe) at or below which a pig keeper's alert is orange; tiers above it
    /// are yellow.
    pub hog_orange_tier: u8,
}

/// Weather and disaster in the borrower's village.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WeatherConfig {
    /// How long a loss stays a signal after it is known, days.
    pub signal_days: u32,
    /// Loss share that is yellow (受灾 from 10%).
    pub yellow_loss: Decimal,
    /// … orange (成灾 from 30%).
    pub orange_loss: Decimal,
    /// … red. Version 1 sets it to a total loss (1): measured on the simulated county, a red alert for every
    /// household of a village with 绝收 (80%+) was borne out by a default too rarely; such a loss is orange with a
    /// visit and the insurance claim, and red once the borrower is also in arrears (corroboration).
    pub red_loss: Decimal,
}

/// Disease outbreaks and off-farm income shocks in the county.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CountyShockConfig {
    /// Cull rate from which a pig keeper's disease alert is orange.
    pub cull_orange: Decimal,
    /// Migrants from which a household's income-shock alert is orange (fewer: yellow).
    pub migrants_orange: u32,
}

/// Defaults of peers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PeerConfig {
    /// A group peer at this DPD or more is yellow.
    pub group_yellow_dpd: u32,
    /// … orange.
    pub group_orange_dpd: u32,
    /// Share of the village's borrowers at 90+ DPD that is yellow.
    pub village_yellow: Decimal,
    /// … orange.
    pub village_orange: Decimal,
    /// Fewest active borrowers a village needs for its rate to count.
    pub village_min_borrowers: u32,
}

/// Negative news.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewsConfig {
    /// How long a negative item stays a signal, days.
    pub signal_days: u32,
}

/// Crop condition from remote sensing (the parameters of `features::crop_condition`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CropConfig {
    /// Passes with a larger cloud share are skipped.
    pub max_cloud_share: Decimal,
    /// The window of passes read, days.
    pub window_days: u32,
    /// An anomaly below this counts against the crop.
    pub threshold: Decimal,
    /// How many such passes the window needs.
    pub min_passes: u32,
    /// Mean anomaly at or below which the condition is moderate (orange).
    pub moderate_below: Decimal,
    /// … severe.
    pub severe_below: Decimal,
}

impl CropConfig {
    /// The detector's parameters.
    pub fn condition(&self) -> features::crop_condition::ConditionConfig {
        features::crop_condition::ConditionConfig {
            max_cloud_share: self.max_cloud_share,
            window_days: self.window_days,
            threshold: self.threshold,
            min_passes: self.min_passes as usize,
            moderate_below: self.moderate_below,
            severe_below: self.severe_below,
        }
    }
}

/// How signals combine and alerts end.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CombineConfig {
    /// An orange signal of arrears (30+ DPD, or a short payment when the harvest money should be in) corroborated by
    /// an orange signal of the borrower's environment (weather, crop condition, price, disease, income shock, peers)
    /// makes the borrower's alert red.
    pub corroborate_to_red: bool,
    /// An open alert whose cause has not signalled for this many days is resolved by the run.
    pub resolve_after_days: u32,
}

/// Every detector's parameters, versioned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MonitorConfig {
    /// The configuration's version, recorded on every alert.
    pub version: u32,
    /// Due dates by tier.
    pub workflow: WorkflowConfig,
    /// Overdue.
    pub overdue: OverdueConfig,
    /// Harvest lateness.
    pub harvest: HarvestConfig,
    /// Behaviour score.
    pub behaviour: BehaviourConfig,
    /// Fund diversion.
    pub diversion: DiversionConfig,
    /// Over-indebtedness.
    pub indebtedness: IndebtednessConfig,
    /// Price shocks.
    pub price: PriceConfig,
    /// Weather.
    pub weather: WeatherConfig,
    /// Disease and income shocks.
    pub county: CountyShockConfig,
    /// Peers.
    pub peers: PeerConfig,
    /// News.
    pub news: NewsConfig,
    /// Crop condition.
    pub crop: CropConfig,
    /// Combination and resolution.
    pub combine: CombineConfig,
}

fn dec(units: i64, scale: u32) -> Decimal {
    Decimal::new(units, scale)
}

impl Default for MonitorConfig {
    /// Version 1. Sources: the weather tiers are the disaster statistics' 受灾 / 成灾 thresholds (10%, 30% loss); the hog tiers the NDRC 2021 pig-grain ratio plan; the 14-day diversion window and the 30% share
    /// the early-warning practice of `shared/domain/early-warning.md`; the crop-condition figures are
    /// `features::crop_condition`'s defaults.
    fn default() -> MonitorConfig {
        MonitorConfig {
            version: 1,
            workflow: WorkflowConfig::default(),
            overdue: OverdueConfig {
                yellow_dpd: 1,
                orange_dpd: 30,
                red_dpd: 60,
                missed_window_days: 365,
                missed_for_orange: 2,
            },
            harvest: HarvestConfig { months_after_harvest: 2, signal_days: 45 },
            behaviour: BehaviourConfig {
                window_days: 180,
                points_per_shortfall: 15,
                orange_below: 55,
                yellow_drop: 25,
                compare_days: 90,
            },
            diversion: DiversionConfig {
                window_days: 14,
                yellow_share: dec(10, 2),
                orange_share: dec(30, 2),
                ring_borrowers: 3,
                ring_days: 30,
                signal_days: 120,
            },
            indebtedness: IndebtednessConfig {
                inquiries_yellow: 4,
                inquiries_orange: 6,
                new_accounts_orange: 2,
                signal_days: 180,
            },
            price: PriceConfig { fall_yellow: dec(15, 2), fall_orange: dec(25, 2), hog_orange_tier: 1 },
            weather: WeatherConfig {
                signal_days: 120,
                yellow_loss: dec(10, 2),
                orange_loss: dec(30, 2),
                red_loss: Decimal::ONE,
            },
            county: CountyShockConfig { cull_orange: dec(50, 2), migrants_orange: 2 },
            peers: PeerConfig {
                group_yellow_dpd: 30,
                group_orange_dpd: 90,
                village_yellow: dec(5, 2),
                village_orange: dec(10, 2),
                village_min_borrowers: 10,
            },
            news: NewsConfig { signal_days: 30 },
            crop: CropConfig {
                max_cloud_share: dec(5, 1),
                window_days: 40,
                threshold: dec(-8, 2),
                min_passes: 3,
                moderate_below: dec(-15, 2),
                severe_below: dec(-25, 2),
            },
            combine: CombineConfig { corroborate_to_red: true, resolve_after_days: 30 },
        }
    }
}

fn share(field: &'static str, value: Decimal) -> Result<(), InvalidConfig> {
    if value < Decimal::ZERO || value > Decimal::ONE {
        return Err(InvalidConfig { field, problem: format!("{value} is outside 0–1") });
    }
    Ok(())
}

fn ordered<T: PartialOrd + std::fmt::Display>(field: &'static str, low: T, high: T) -> Result<(), InvalidConfig> {
    if low > high {
        return Err(InvalidConfig { field, problem: format!("{low} must not exceed {high}") });
    }
    Ok(())
}

fn days(field: &'static str, value: u32) -> Result<(), InvalidConfig> {
    if value == 0 || value > 3_660 {
        return Err(InvalidConfig { field, problem: format!("{value} days is outside 1–3660") });
    }
    Ok(())
}

impl MonitorConfig {
    /// Reads a configuration from JSON and checks it.
    pub fn from_json(text: &str) -> Result<MonitorConfig, InvalidConfig> {
        let config: MonitorConfig =
            serde_json::from_str(text).map_err(|e| InvalidConfig { field: "(document)", problem: e.to_string() })?;
        config.check()?;
        Ok(config)
    }

    /// Checks every value's sense, naming the first field out of it.
    pub fn check(&self) -> Result<(), InvalidConfig> {
        let o = &self.overdue;
        if o.yellow_dpd == 0 {
            return Err(InvalidConfig { field: "overdue.yellow_dpd", problem: "must be at least 1".into() });
        }
        ordered("overdue.yellow_dpd", o.yellow_dpd, o.orange_dpd)?;
        ordered("overdue.orange_dpd", o.orange_dpd, o.red_dpd)?;
        days("overdue.missed_window_days", o.missed_window_days)?;
        days("harvest.signal_days", self.harvest.signal_days)?;
        ordered("harvest.months_after_harvest", self.harvest.months_after_harvest, 11)?;
        days("behaviour.window_days", self.behaviour.window_days)?;
        days("behaviour.compare_days", self.behaviour.compare_days)?;
        ordered("behaviour.orange_below", self.behaviour.orange_below, 100)?;
        let d = &self.diversion;
        days("diversion.window_days", d.window_days)?;
        days("diversion.ring_days", d.ring_days)?;
        days("diversion.signal_days", d.signal_days)?;
        share("diversion.yellow_share", d.yellow_share)?;
        share("diversion.orange_share", d.orange_share)?;
        ordered("diversion.yellow_share", d.yellow_share, d.orange_share)?;
        if d.ring_borrowers < 2 {
            return Err(InvalidConfig { field: "diversion.ring_borrowers", problem: "a ring needs at least 2".into() });
        }
        ordered(
            "indebtedness.inquiries_yellow",
            self.indebtedness.inquiries_yellow,
            self.indebtedness.inquiries_orange,
        )?;
        days("indebtedness.signal_days", self.indebtedness.signal_days)?;
        share("price.fall_yellow", self.price.fall_yellow)?;
        share("price.fall_orange", self.price.fall_orange)?;
        ordered("price.fall_yellow", self.price.fall_yellow, self.price.fall_orange)?;
        if !(1..=3).contains(&self.price.hog_orange_tier) {
            return Err(InvalidConfig { field: "price.hog_orange_tier", problem: "must be 1, 2 or 3".into() });
        }
        let w = &self.weather;
        days("weather.signal_days", w.signal_days)?;
        for (field, v) in [
            ("weather.yellow_loss", w.yellow_loss),
            ("weather.orange_loss", w.orange_loss),
            ("weather.red_loss", w.red_loss),
        ] {
            share(field, v)?;
        }
        ordered("weather.yellow_loss", w.yellow_loss, w.orange_loss)?;
        ordered("weather.orange_loss", w.orange_loss, w.red_loss)?;
        share("county.cull_orange", self.county.cull_orange)?;
        let p = &self.peers;
        ordered("peers.group_yellow_dpd", p.group_yellow_dpd, p.group_orange_dpd)?;
        share("peers.village_yellow", p.village_yellow)?;
        share("peers.village_orange", p.village_orange)?;
        ordered("peers.village_yellow", p.village_yellow, p.village_orange)?;
        days("news.signal_days", self.news.signal_days)?;
        let c = &self.crop;
        share("crop.max_cloud_share", c.max_cloud_share)?;
        days("crop.window_days", c.window_days)?;
        if c.min_passes == 0 || c.min_passes > 36 {
            return Err(InvalidConfig { field: "crop.min_passes", problem: "must be 1–36".into() });
        }
        ordered("crop.severe_below", c.severe_below, c.moderate_below)?;
        ordered("crop.moderate_below", c.moderate_below, c.threshold)?;
        days("combine.resolve_after_days", self.combine.resolve_after_days)?;
        for (field, n) in [
            ("workflow.red_days", self.workflow.red_days),
            ("workflow.orange_days", self.workflow.orange_days),
            ("workflow.yellow_days", self.workflow.yellow_days),
        ] {
            days(field, n)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_check_and_round_trip_through_json() {
        let config = MonitorConfig::default();
        config.check().expect("the defaults make sense");
        let text = serde_json::to_string_pretty(&config).expect("serialises");
        assert_eq!(MonitorConfig::from_json(&text), Ok(config));
    }

    #[test]
    fn a_value_out_of_sense_or_an_unknown_field_is_named() {
        let mut config = MonitorConfig::default();
        config.weather.orange_loss = Decimal::new(15, 1);
        assert_eq!(config.check().map_err(|e| e.field), Err("weather.orange_loss"));
        let mut config = MonitorConfig::default();
        config.overdue.orange_dpd = 90;
        assert_eq!(config.check().map_err(|e| e.field), Err("overdue.orange_dpd"));
        let mut json: serde_json::Value = serde_json::to_value(MonitorConfig::default()).expect("value");
        json["weather"]["colour"] = serde_json::json!("red");
        let err = MonitorConfig::from_json(&json.to_string()).expect_err("unknown field");
        assert!(err.problem.contains("colour"), "{err}");
    }
}
