//! Simulation configuration: presets, a JSON override file, and validation that names the key path.
//!
//! Every number is a default from `shared/domain/synthetic-population.md` and may be overridden. A configuration is
//! checked whole before anything runs: an unknown key, a probability outside [0, 1], a negative count or a
//! scenario month outside the horizon is an error naming the key path (`weather.county_event_probability`).

use serde::{Deserialize, Serialize};

use crate::market::MarketConfig;

/// Why a configuration was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {reason}")]
pub struct ConfigError {
    /// Dotted key path, e.g. `scenarios.s4_disease.month`.
    pub path: String,
    /// Why.
    pub reason: String,
}

fn err(path: &str, reason: impl Into<String>) -> ConfigError {
    ConfigError { path: path.to_string(), reason: reason.into() }
}

/// A named scale.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Preset {
    /// About 20 villages, 2,000 households, 24 months: unit tests.
    Tiny,
    /// About 200 villages, 50,000 households, 48 months: the demo and evaluations.
    County,
    /// About 2,000 villages, 500,000 households, 60 months: benchmarks.
    Province,
}

impl std::str::FromStr for Preset {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "tiny" => Ok(Preset::Tiny),
            "county" => Ok(Preset::County),
            "province" => Ok(Preset::Province),
            other => Err(format!("unknown preset '{other}' (known: tiny, county, province)")),
        }
    }
}

/// Household population parameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PopulationConfig {
    /// Share of households with no central-bank credit record.
    pub thin_file_share: f64,
    /// Share of "large grower" households.
    pub large_grower_share: f64,
    /// Share keeping pigs in the livestock zone.
    pub pig_share_livestock_zone: f64,
    /// Share keeping pigs elsewhere.
    pub pig_share_other: f64,
    /// Probability that a labourer works away (migrant), lower and upper bound by zone.
    pub migrant_probability: [f64; 2],
    /// Crop-insurance uptake among grain households.
    pub insurance_uptake: f64,
    /// Share of insured households whose cover is income insurance (the rest insure their input cost).
    pub income_insurance_share: f64,
    /// Yearly probability of a health shock.
    pub health_shock_probability: f64,
    /// Yearly probability of a wedding, funeral or house-building event.
    pub life_event_probability: f64,
}

impl Default for PopulationConfig {
    fn default() -> Self {
        PopulationConfig {
            thin_file_share: 0.25,
            large_grower_share: 0.015,
            pig_share_livestock_zone: 0.35,
            pig_share_other: 0.10,
            migrant_probability: [0.2, 0.5],
            insurance_uptake: 0.7,
            income_insurance_share: 0.3,
            health_shock_probability: 0.06,
            life_event_probability: 0.03,
        }
    }
}

/// Lending parameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LendingConfig {
    /// Probability that an eligible household applies in a season.
    pub application_probability: f64,
    /// Share of borrowers given a revolving line instead of a seasonal loan.
    pub revolving_share: f64,
    /// One-year loan prime rate, as a decimal string (e.g. "0.030").
    pub lpr_1y: String,
    /// Largest credit-only limit, yuan.
    pub limit_cap_yuan: i64,
}

impl Default for LendingConfig {
    fn default() -> Self {
        LendingConfig {
            application_probability: 0.55,
            revolving_share: 0.1,
            lpr_1y: "0.030".into(),
            limit_cap_yuan: 200_000,
        }
    }
}

/// Weather events.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WeatherConfig {
    /// Probability per county-season of a county-wide event.
    pub county_event_probability: f64,
    /// Probability that a village inherits a county event.
    pub village_inherit_probability: f64,
    /// Probability per village-season of a local event when there is no county event.
    pub village_event_probability: f64,
}

impl Default for WeatherConfig {
    fn default() -> Self {
        // 0.08 × 0.7 + 0.92 × 0.05 ≈ 10% of village-seasons affected, the 2019–23 average share of sown area.
        WeatherConfig {
            county_event_probability: 0.08,
            village_inherit_probability: 0.7,
            village_event_probability: 0.05,
        }
    }
}

/// Shocks outside farming.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ShockConfig {
    /// Probability per county-month of an ASF-like outbreak in hog-keeping counties.
    pub disease_probability: f64,
    /// Probability per county-year of a regional employment shock.
    pub employment_shock_probability: f64,
    /// Share of migrant income lost during an employment shock.
    pub employment_shock_size: f64,
}

impl Default for ShockConfig {
    fn default() -> Self {
        ShockConfig { disease_probability: 0.005, employment_shock_probability: 0.02, employment_shock_size: 0.3 }
    }
}

/// Repayment behaviour (logit weights of the payment decision).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BehaviourConfig {
    /// Intercept of the pay-in-full logit when cash covers the amount due.
    pub base: f64,
    /// Weight of latent character.
    pub character: f64,
    /// Weight of village cohesion.
    pub cohesion: f64,
    /// Weight of belonging to a joint-liability group.
    pub group: f64,
    /// Weight of living in a credit village.
    pub credit_village: f64,
    /// Logit bump when ≥ 30% of village borrowers are ≥ 90 DPD (contagion).
    pub contagion: f64,
    /// Logit change when all group peers are current (peer pressure; negative lowers the miss propensity).
    pub peer_pressure: f64,
    /// Logit change once the loan is non-performing (90+ DPD): the credit record is already damaged, so the
    /// reputational reason to pay is gone.
    pub after_default: f64,
    /// Base probability of diverting loan proceeds.
    pub diversion_base: f64,
    /// Months of expected income a household can raise from relatives and neighbours (民间借贷) to meet a payment.
    /// The room shrinks with the village's last harvest loss: a covariate shock dries up informal credit.
    pub informal_credit_months: f64,
}

impl Default for BehaviourConfig {
    fn default() -> Self {
        BehaviourConfig {
            base: 3.0,
            character: 1.5,
            cohesion: 0.5,
            group: 0.8,
            credit_village: 0.5,
            contagion: 0.5,
            peer_pressure: 0.8,
            after_default: -1.5,
            diversion_base: 0.05,
            informal_credit_months: 12.0,
        }
    }
}

/// A planted scenario's switch and timing. Months are indices from the start of the horizon (0 = first month).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ScenarioSwitch {
    /// Whether the scenario is planted.
    pub enabled: bool,
    /// The month it starts.
    pub month: u32,
}

/// The planted scenarios S1–S6 of the specification.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Scenarios {
    /// S1: summer drought in one county (loss 30–60% in 60% of its villages, rain-fed first).
    pub s1_drought: ScenarioSwitch,
    /// S2: continuous rain at wheat harvest (quality downgrade, price −15% for affected lots).
    pub s2_harvest_rain: ScenarioSwitch,
    /// S3: hog price crash (pig-grain ratio < 5 for 3 months).
    pub s3_hog_crash: ScenarioSwitch,
    /// S4: ASF outbreak in one county (cull 60–100%, 6-month movement ban).
    pub s4_disease: ScenarioSwitch,
    /// S5: a fund-diversion ring: 15 households of one village route proceeds to one counterparty.
    pub s5_diversion_ring: ScenarioSwitch,
    /// S6: migrant income −30% for 6 months in one county.
    pub s6_migrant_shock: ScenarioSwitch,
}

impl Scenarios {
    /// The specification's timing for a horizon of `months`: S1 in the summer of year 2, S3 in year 3, S4 at
    /// month 30 — each clamped into the horizon.
    pub fn planted(months: u32) -> Scenarios {
        let at = |m: u32| ScenarioSwitch { enabled: true, month: m.min(months.saturating_sub(6)) };
        Scenarios {
            s1_drought: at(12 + 5),
            s2_harvest_rain: at(5),
            s3_hog_crash: at(24 + 3),
            s4_disease: at(30),
            s5_diversion_ring: at(14),
            s6_migrant_shock: at(9),
        }
    }

    fn all(&self) -> [(&'static str, &ScenarioSwitch); 6] {
        [
            ("s1_drought", &self.s1_drought),
            ("s2_harvest_rain", &self.s2_harvest_rain),
            ("s3_hog_crash", &self.s3_hog_crash),
            ("s4_disease", &self.s4_disease),
            ("s5_diversion_ring", &self.s5_diversion_ring),
            ("s6_migrant_shock", &self.s6_migrant_shock),
        ]
    }
}

impl Default for Scenarios {
    fn default() -> Self {
        Scenarios::planted(24)
    }
}

/// Fairness hooks.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FairnessConfig {
    /// Historical decision bias against female-headed households: share by which their past approval probability
    /// and limits were lowered at equal risk (0 = none). It never changes who defaults.
    pub historical_decision_bias: f64,
}

/// A whole configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Number of counties.
    pub counties: u32,
    /// Number of villages.
    pub villages: u32,
    /// Number of households.
    pub households: u32,
    /// Months simulated.
    pub months: u32,
    /// First simulated year.
    pub start_year: i32,
    /// First simulated month (1–12).
    pub start_month: u32,
    /// Population parameters.
    pub population: PopulationConfig,
    /// Lending parameters.
    pub lending: LendingConfig,
    /// Weather.
    pub weather: WeatherConfig,
    /// Disease and employment shocks.
    pub shocks: ShockConfig,
    /// Repayment behaviour.
    pub behaviour: BehaviourConfig,
    /// Market prices.
    pub market: MarketConfig,
    /// Planted scenarios.
    pub scenarios: Scenarios,
    /// Fairness hooks.
    pub fairness: FairnessConfig,
}

impl Default for Config {
    fn default() -> Self {
        Config::preset(Preset::Tiny)
    }
}

impl Config {
    /// A preset. Every horizon ends in December 2026.
    pub fn preset(preset: Preset) -> Config {
        let (counties, villages, households, months) = match preset {
            Preset::Tiny => (2, 20, 2_000, 24),
            Preset::County => (3, 200, 50_000, 48),
            Preset::Province => (20, 2_000, 500_000, 60),
        };
        Config {
            counties,
            villages,
            households,
            months,
            start_year: 2027 - i32::try_from(months / 12).unwrap_or(2),
            start_month: 1,
            population: PopulationConfig::default(),
            lending: LendingConfig::default(),
            weather: WeatherConfig::default(),
            shocks: ShockConfig::default(),
            behaviour: BehaviourConfig::default(),
            market: MarketConfig::default(),
            scenarios: Scenarios::planted(months),
            fairness: FairnessConfig::default(),
        }
    }

    /// A preset with overrides from a JSON document (any subset of the keys). Unknown keys and ill-typed values
    /// are errors naming the key path.
    pub fn with_overrides(preset: Preset, json: &str) -> Result<Config, ConfigError> {
        let base = serde_json::to_value(Config::preset(preset)).map_err(|e| err("", e.to_string()))?;
        let overrides: serde_json::Value = serde_json::from_str(json).map_err(|e| err("", format!("not JSON: {e}")))?;
        if !overrides.is_object() {
            return Err(err("", "the configuration must be a JSON object"));
        }
        let mut merged = base;
        merge(&mut merged, &overrides, "")?;
        let text = merged.to_string();
        let mut de = serde_json::Deserializer::from_str(&text);
        let config: Config = serde_path_to_error::deserialize(&mut de).map_err(|e| {
            let path = e.path().to_string();
            err(&path, e.inner().to_string())
        })?;
        config.validate()?;
        Ok(config)
    }

    /// Checks every value; the first problem is returned with its key path.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let positive = |path: &str, v: u32| if v == 0 { Err(err(path, "must be at least 1")) } else { Ok(()) };
        positive("counties", self.counties)?;
        positive("villages", self.villages)?;
        positive("households", self.households)?;
        positive("months", self.months)?;
        if self.villages < self.counties {
            return Err(err("villages", format!("{} villages cannot fill {} counties", self.villages, self.counties)));
        }
        if self.households < self.villages {
            return Err(err("households", "every village needs at least one household"));
        }
        if self.months > 240 {
            return Err(err("months", "at most 240"));
        }
        if !(1..=12).contains(&self.start_month) {
            return Err(err("start_month", "must be 1–12"));
        }
        if !(2000..=2100).contains(&self.start_year) {
            return Err(err("start_year", "must be 2000–2100"));
        }
        let p = &self.population;
        let probabilities = [
            ("population.thin_file_share", p.thin_file_share),
            ("population.large_grower_share", p.large_grower_share),
            ("population.pig_share_livestock_zone", p.pig_share_livestock_zone),
            ("population.pig_share_other", p.pig_share_other),
            ("population.migrant_probability[0]", p.migrant_probability[0]),
            ("population.migrant_probability[1]", p.migrant_probability[1]),
            ("population.insurance_uptake", p.insurance_uptake),
            ("population.income_insurance_share", p.income_insurance_share),
            ("population.health_shock_probability", p.health_shock_probability),
            ("population.life_event_probability", p.life_event_probability),
            ("lending.application_probability", self.lending.application_probability),
            ("lending.revolving_share", self.lending.revolving_share),
            ("weather.county_event_probability", self.weather.county_event_probability),
            ("weather.village_inherit_probability", self.weather.village_inherit_probability),
            ("weather.village_event_probability", self.weather.village_event_probability),
            ("shocks.disease_probability", self.shocks.disease_probability),
            ("shocks.employment_shock_probability", self.shocks.employment_shock_probability),
            ("shocks.employment_shock_size", self.shocks.employment_shock_size),
            ("behaviour.diversion_base", self.behaviour.diversion_base),
            ("fairness.historical_decision_bias", self.fairness.historical_decision_bias),
        ];
        for (path, value) in probabilities {
            if !(0.0..=1.0).contains(&value) {
                return Err(err(path, format!("{value} is not a probability in [0, 1]")));
            }
        }
        if p.migrant_probability[0] > p.migrant_probability[1] {
            return Err(err("population.migrant_probability", "the lower bound exceeds the upper bound"));
        }
        let lpr = domain::Rate::parse(&self.lending.lpr_1y).map_err(|e| err("lending.lpr_1y", e.to_string()))?;
        if lpr > domain::Rate::standard_ceiling() {
            return Err(err("lending.lpr_1y", "is above 0.36"));
        }
        if !(0.0..=24.0).contains(&self.behaviour.informal_credit_months) {
            return Err(err("behaviour.informal_credit_months", "must be 0–24 months of income"));
        }
        if self.lending.limit_cap_yuan <= 0 {
            return Err(err("lending.limit_cap_yuan", "must be positive"));
        }
        self.market.validate().map_err(|(path, reason)| err(&path, reason))?;
        for (name, s) in self.scenarios.all() {
            if s.enabled && s.month >= self.months {
                return Err(err(
                    &format!("scenarios.{name}.month"),
                    format!("month {} is outside the horizon of {} months", s.month, self.months),
                ));
            }
        }
        Ok(())
    }

    /// Whether a scenario is planted (for the ground-truth file and the report).
    pub fn scenario_list(&self) -> Vec<(&'static str, bool, u32)> {
        self.scenarios.all().into_iter().map(|(n, s)| (n, s.enabled, s.month)).collect()
    }
}

/// Merges `overrides` into `base`, refusing keys the base does not have.
fn merge(base: &mut serde_json::Value, overrides: &serde_json::Value, path: &str) -> Result<(), ConfigError> {
    let (Some(base_map), Some(over_map)) = (base.as_object_mut(), overrides.as_object()) else {
        *base = overrides.clone();
        return Ok(());
    };
    for (key, value) in over_map {
        let child = if path.is_empty() { key.clone() } else { format!("{path}.{key}") };
        match base_map.get_mut(key) {
            None => return Err(err(&child, "unknown key")),
            Some(slot) if slot.is_object() && value.is_object() => merge(slot, value, &child)?,
            Some(slot) => *slot = value.clone(),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rejected(json: &str) -> ConfigError {
        Config::with_overrides(Preset::Tiny, json).expect_err("should be rejected")
    }

    #[test]
    fn presets_are_valid() {
        for p in [Preset::Tiny, Preset::County, Preset::Province] {
            assert_eq!(Config::preset(p).validate(), Ok(()));
        }
        let c = Config::preset(Preset::County);
        assert_eq!((c.start_year, c.months), (2023, 48));
    }

    #[test]
    fn bad_values_name_their_key_path() {
        assert_eq!(
            rejected(r#"{"weather": {"county_event_probabilty": 0.1}}"#).path,
            "weather.county_event_probabilty"
        );
        assert_eq!(
            rejected(r#"{"weather": {"county_event_probability": 1.5}}"#).path,
            "weather.county_event_probability"
        );
        assert_eq!(rejected(r#"{"households": -5}"#).path, "households");
        assert_eq!(rejected(r#"{"villages": 0}"#).path, "villages");
        assert_eq!(
            rejected(r#"{"scenarios": {"s4_disease": {"enabled": true, "month": 30}}}"#).path,
            "scenarios.s4_disease.month"
        );
        assert_eq!(rejected(r#"{"lending": {"lpr_1y": "abc"}}"#).path, "lending.lpr_1y");
        assert_eq!(rejected(r#"{"behaviour": {"base": "high"}}"#).path, "behaviour.base");
        assert_eq!(rejected("[1, 2]").path, "");
        let ok = Config::with_overrides(
            Preset::Tiny,
            r#"{"households": 500, "scenarios": {"s1_drought": {"enabled": false}}}"#,
        )
        .expect("valid");
        assert_eq!(ok.households, 500);
        assert!(!ok.scenarios.s1_drought.enabled);
    }
}
