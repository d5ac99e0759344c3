//! Monthly market prices for the simulated horizon: four grains and live hogs, in 元/kg.
//!
//! Specification: section 5 ("Exogenous processes") of `shared/domain/synthetic-population.md`. Grain prices follow
//! log p_t = log p̄ + seasonal_t + x_t with x an AR(1); the hog price follows a pig cycle times an AR(1) factor,
//! bounded by a floor and a cap. Planted shocks (scenario S3's hog crash, ASF outbreaks) are laid on top, the crash
//! from its own random stream, so the baseline draws are the same with or without shocks and a shocked run can be
//! compared with its own counterfactual. Scenario S2 (wet-harvest wheat downgrade) is a discount on affected lots,
//! not a market move, so it belongs where lots are sold, not here.
//!
//! Prices are `f64`: they are market observations, never money balances.

use std::f64::consts::TAU;

use serde::{Deserialize, Serialize};

use crate::rng::Rng;

/// A traded farm product with a national market price.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Commodity {
    /// 小麦.
    Wheat,
    /// 稻谷 (unhusked rice).
    Paddy,
    /// 玉米; also the denominator of the pig-grain ratio.
    Maize,
    /// 大豆.
    Soybean,
    /// 生猪 (live hogs).
    Hog,
}

impl Commodity {
    /// Every commodity, in output order.
    pub const ALL: [Commodity; 5] =
        [Commodity::Wheat, Commodity::Paddy, Commodity::Maize, Commodity::Soybean, Commodity::Hog];

    /// The stable machine code, as used in CSV output and serde.
    pub fn code(self) -> &'static str {
        match self {
            Commodity::Wheat => "wheat",
            Commodity::Paddy => "paddy",
            Commodity::Maize => "maize",
            Commodity::Soybean => "soybean",
            Commodity::Hog => "hog",
        }
    }

    /// The Chinese name.
    pub fn name_zh(self) -> &'static str {
        match self {
            Commodity::Wheat => "小麦",
            Commodity::Paddy => "稻谷",
            Commodity::Maize => "玉米",
            Commodity::Soybean => "大豆",
            Commodity::Hog => "生猪",
        }
    }
}

/// Pig-grain ratio below which the NDRC tier-1 (severe over-fall) alert fires.
pub const SEVERE_RATIO: f64 = 5.0;
/// Pig-grain ratio below which some alert fires.
pub const WATCH_RATIO: f64 = 6.0;
/// Pig-grain ratio range drawn for each month of a planted hog crash.
const CRASH_RATIO: (f64, f64) = (4.2, 4.8);
/// Months after an outbreak at which its price bump starts, peaks and is gone.
const OUTBREAK_LAGS_MONTHS: (f64, f64, f64) = (6.0, 12.0, 18.0);

/// Parameters of the price processes; `Default` is the specification's calibration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MarketConfig {
    /// Long-run wheat price p̄, 元/kg.
    pub wheat_base_yuan_per_kg: f64,
    /// Long-run paddy price p̄, 元/kg.
    pub paddy_base_yuan_per_kg: f64,
    /// Long-run maize price p̄, 元/kg.
    pub maize_base_yuan_per_kg: f64,
    /// Long-run soybean price p̄, 元/kg.
    pub soybean_base_yuan_per_kg: f64,
    /// Calendar month (1–12) of the wheat harvest.
    pub wheat_harvest_month: u32,
    /// Calendar month (1–12) of the (late) paddy harvest.
    pub paddy_harvest_month: u32,
    /// Calendar month (1–12) of the maize harvest.
    pub maize_harvest_month: u32,
    /// Calendar month (1–12) of the soybean harvest.
    pub soybean_harvest_month: u32,
    /// Fractional price change in a grain's harvest month (−0.06 = −6%).
    pub harvest_effect: f64,
    /// Fractional price change in the month before a grain's harvest.
    pub pre_harvest_effect: f64,
    /// AR(1) persistence of the grain log-price deviation.
    pub grain_phi: f64,
    /// Monthly innovation standard deviation of the grain log-price deviation.
    pub grain_sigma: f64,
    /// Centre of the pig cycle, 元/kg.
    pub hog_base_yuan_per_kg: f64,
    /// Relative amplitude of the pig cycle.
    pub hog_amplitude: f64,
    /// Length of the pig cycle in months.
    pub hog_period_months: f64,
    /// AR(1) persistence of the hog log-price deviation.
    pub hog_phi: f64,
    /// Monthly innovation standard deviation of the hog log-price deviation.
    pub hog_sigma: f64,
    /// Lowest hog price outside a planted crash, 元/kg.
    pub hog_floor_yuan_per_kg: f64,
    /// Highest hog price, 元/kg.
    pub hog_cap_yuan_per_kg: f64,
    /// Peak fractional hog price rise contributed by one ASF outbreak.
    pub hog_outbreak_bump: f64,
}

impl Default for MarketConfig {
    fn default() -> MarketConfig {
        MarketConfig {
            wheat_base_yuan_per_kg: 2.4,
            paddy_base_yuan_per_kg: 2.6,
            maize_base_yuan_per_kg: 2.3,
            soybean_base_yuan_per_kg: 4.8,
            wheat_harvest_month: 6,
            paddy_harvest_month: 10,
            maize_harvest_month: 10,
            soybean_harvest_month: 10,
            harvest_effect: -0.06,
            pre_harvest_effect: 0.04,
            grain_phi: 0.9,
            grain_sigma: 0.03,
            hog_base_yuan_per_kg: 16.0,
            hog_amplitude: 0.35,
            hog_period_months: 42.0,
            hog_phi: 0.9,
            hog_sigma: 0.04,
            hog_floor_yuan_per_kg: 10.0,
            hog_cap_yuan_per_kg: 40.0,
            hog_outbreak_bump: 0.15,
        }
    }
}

impl MarketConfig {
    /// Checks every parameter; the error is `(key path, reason)`, e.g. `("market.grain_phi", "must be in [0, 1)")`.
    pub fn validate(&self) -> Result<(), (String, String)> {
        type Rule = (fn(f64) -> bool, &'static str);
        const UNIT: Rule = (|x| (0.0..1.0).contains(&x), "must be in [0, 1)");
        const NON_NEGATIVE: Rule = (|x| x.is_finite() && x >= 0.0, "must be a finite number ≥ 0");
        const POSITIVE: Rule = (|x| x.is_finite() && x > 0.0, "must be a finite number > 0");
        const CHANGE: Rule = (|x| x.is_finite() && x > -1.0, "must be a fractional change > -1");
        const MONTH: Rule = (|x| (1.0..=12.0).contains(&x), "must be a calendar month in 1..=12");
        let checks = [
            ("wheat_base_yuan_per_kg", self.wheat_base_yuan_per_kg, POSITIVE),
            ("paddy_base_yuan_per_kg", self.paddy_base_yuan_per_kg, POSITIVE),
            ("maize_base_yuan_per_kg", self.maize_base_yuan_per_kg, POSITIVE),
            ("soybean_base_yuan_per_kg", self.soybean_base_yuan_per_kg, POSITIVE),
            ("wheat_harvest_month", f64::from(self.wheat_harvest_month), MONTH),
            ("paddy_harvest_month", f64::from(self.paddy_harvest_month), MONTH),
            ("maize_harvest_month", f64::from(self.maize_harvest_month), MONTH),
            ("soybean_harvest_month", f64::from(self.soybean_harvest_month), MONTH),
            ("harvest_effect", self.harvest_effect, CHANGE),
            ("pre_harvest_effect", self.pre_harvest_effect, CHANGE),
            ("grain_phi", self.grain_phi, UNIT),
            ("grain_sigma", self.grain_sigma, NON_NEGATIVE),
            ("hog_base_yuan_per_kg", self.hog_base_yuan_per_kg, POSITIVE),
            ("hog_amplitude", self.hog_amplitude, UNIT),
            ("hog_period_months", self.hog_period_months, POSITIVE),
            ("hog_phi", self.hog_phi, UNIT),
            ("hog_sigma", self.hog_sigma, NON_NEGATIVE),
            ("hog_floor_yuan_per_kg", self.hog_floor_yuan_per_kg, POSITIVE),
            ("hog_cap_yuan_per_kg", self.hog_cap_yuan_per_kg, POSITIVE),
            ("hog_outbreak_bump", self.hog_outbreak_bump, NON_NEGATIVE),
        ];
        let fail = |key: &str, reason: &str| Err((format!("market.{key}"), reason.to_owned()));
        for (key, value, (ok, reason)) in checks {
            if !ok(value) {
                return fail(key, reason);
            }
        }
        if self.hog_floor_yuan_per_kg >= self.hog_cap_yuan_per_kg {
            return fail("hog_floor_yuan_per_kg", "must be below market.hog_cap_yuan_per_kg");
        }
        Ok(())
    }

    /// `(p̄, harvest month)` of a grain; `None` for hogs.
    fn grain(&self, commodity: Commodity) -> Option<(f64, u32)> {
        match commodity {
            Commodity::Wheat => Some((self.wheat_base_yuan_per_kg, self.wheat_harvest_month)),
            Commodity::Paddy => Some((self.paddy_base_yuan_per_kg, self.paddy_harvest_month)),
            Commodity::Maize => Some((self.maize_base_yuan_per_kg, self.maize_harvest_month)),
            Commodity::Soybean => Some((self.soybean_base_yuan_per_kg, self.soybean_harvest_month)),
            Commodity::Hog => None,
        }
    }
}

/// A planted hog-price crash (scenario S3): the pig-grain ratio is held below 5 for these months.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HogCrash {
    /// Month index of the first crash month.
    pub start_month: u32,
    /// Number of crash months (12 weeks ≈ 3 months).
    pub months: u32,
}

/// Planted shocks that move national prices.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MarketShocks {
    /// An optional hog-price crash.
    pub hog_crash: Option<HogCrash>,
    /// Month indices at which an ASF outbreak starts in some county (repeat a month for several outbreaks).
    pub disease_months: Vec<u32>,
}

/// Simulated monthly prices; month index 0 is `(start_year, start_month)`.
#[derive(Debug, Clone, PartialEq)]
pub struct MarketPrices {
    start_year: i32,
    start_month: u32,
    /// `prices[month][commodity as usize]`, 元/kg.
    prices: Vec<[f64; 5]>,
}

/// One line of the prices output table.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct PriceRow {
    /// Calendar month, `"2026-01"`.
    pub month: String,
    /// Commodity code (`Commodity::code`).
    pub commodity: &'static str,
    /// Price with two decimals, e.g. `"2.41"`.
    pub price_yuan_per_kg: String,
    /// Pig-grain ratio with two decimals; hog rows only.
    pub pig_grain_ratio: Option<String>,
    /// NDRC alert tier (`MarketPrices::hog_alert_tier`); hog rows only.
    pub hog_alert_tier: Option<u8>,
    /// Always true: these prices are synthetic.
    pub synthetic: bool,
}

/// Calendar month (1–12) of month index `t`.
fn calendar_month(start_month: u32, t: u32) -> u32 {
    (start_month - 1 + t) % 12 + 1
}

/// Share of one outbreak's peak bump felt `lag` months after it: zero until 6, rising to 1 at 12, gone by 18.
///
/// Summed over outbreaks, a handful of outbreaks gives the specification's +50–150% national response 6–12 months
/// later; one outbreak alone moves the price by `hog_outbreak_bump` at most.
fn outbreak_weight(lag: f64) -> f64 {
    let (start, peak, end) = OUTBREAK_LAGS_MONTHS;
    if lag <= start || lag >= end {
        0.0
    } else if lag <= peak {
        (lag - start) / (peak - start)
    } else {
        (end - lag) / (end - peak)
    }
}

/// Draws an AR(1) path of length `n`, starting from its stationary distribution.
fn ar1(rng: &mut Rng, phi: f64, sigma: f64, n: usize) -> Vec<f64> {
    let mut x = rng.normal(0.0, sigma / (1.0 - phi * phi).sqrt());
    (0..n)
        .map(|t| {
            if t > 0 {
                x = phi * x + sigma * rng.standard_normal();
            }
            x
        })
        .collect()
}

/// Simulates `months` months of prices from `(start_year, start_month)`; the config must have passed `validate`.
///
/// Draws one seed from `rng` and derives a stream per commodity (and one for the crash) from it, so the output is
/// determined by the rng state and adding a shock leaves every other month as it was. Outside a crash the hog price
/// is clamped to `[floor, cap]`; in crash months it is maize × U(4.2, 4.8), which may fall below the floor.
pub fn simulate(
    config: &MarketConfig,
    start_year: i32,
    start_month: u32,
    months: u32,
    shocks: &MarketShocks,
    rng: &mut Rng,
) -> MarketPrices {
    assert!((1..=12).contains(&start_month), "start_month {start_month} is not a calendar month");
    let root = Rng::new(rng.next_u64());
    let n = months as usize;
    let mut prices = vec![[0.0; 5]; n];
    for commodity in Commodity::ALL {
        let Some((base, harvest_month)) = config.grain(commodity) else { continue };
        let x = ar1(&mut root.derive_named(commodity.code()), config.grain_phi, config.grain_sigma, n);
        for (t, row) in prices.iter_mut().enumerate() {
            let month = calendar_month(start_month, t as u32);
            let seasonal = if month == harvest_month {
                config.harvest_effect.ln_1p()
            } else if month % 12 + 1 == harvest_month {
                config.pre_harvest_effect.ln_1p()
            } else {
                0.0
            };
            row[commodity as usize] = base * (seasonal + x[t]).exp();
        }
    }

    let mut hog_rng = root.derive_named(Commodity::Hog.code());
    let phase = hog_rng.range(0.0, TAU);
    let x = ar1(&mut hog_rng, config.hog_phi, config.hog_sigma, n);
    for (t, row) in prices.iter_mut().enumerate() {
        let cycle = 1.0 + config.hog_amplitude * (TAU * t as f64 / config.hog_period_months + phase).sin();
        let outbreaks: f64 = shocks.disease_months.iter().map(|&m| outbreak_weight(t as f64 - f64::from(m))).sum();
        let price = config.hog_base_yuan_per_kg * cycle * x[t].exp() * (1.0 + config.hog_outbreak_bump * outbreaks);
        row[Commodity::Hog as usize] = price.clamp(config.hog_floor_yuan_per_kg, config.hog_cap_yuan_per_kg);
    }

    if let Some(crash) = shocks.hog_crash {
        let mut crash_rng = root.derive_named("hog-crash");
        let end = crash.start_month.saturating_add(crash.months).min(months);
        for row in &mut prices[(crash.start_month.min(end) as usize)..end as usize] {
            row[Commodity::Hog as usize] =
                row[Commodity::Maize as usize] * crash_rng.range(CRASH_RATIO.0, CRASH_RATIO.1);
        }
    }
    MarketPrices { start_year, start_month, prices }
}

impl MarketPrices {
    /// Number of simulated months.
    pub fn months(&self) -> u32 {
        self.prices.len() as u32
    }

    /// Price in 元/kg. Panics if `month` is outside the horizon (a programmer error).
    pub fn price(&self, commodity: Commodity, month: u32) -> f64 {
        assert!(month < self.months(), "month {month} is outside the {}-month horizon", self.months());
        self.prices[month as usize][commodity as usize]
    }

    /// Pig-grain ratio: hog price ÷ maize price.
    pub fn pig_grain_ratio(&self, month: u32) -> f64 {
        self.price(Commodity::Hog, month) / self.price(Commodity::Maize, month)
    }

    /// NDRC (2021) hog-price alert tier, 1 most severe, or `None` when the ratio is 6 or more.
    ///
    /// Monthly approximation of the weekly rule: ratio < 5 → tier 1; 5 ≤ ratio < 6 in this month and the two
    /// before → tier 2 (the rule's "3 consecutive weeks" becomes 3 months, so tier 2 is rarer than in weekly
    /// data and cannot fire in the first two months); any other ratio < 6 → tier 3. The ratio is rounded to two
    /// decimals first, as it is published (and as `rows` prints it), so a printed "6.00" never carries an alert.
    pub fn hog_alert_tier(&self, month: u32) -> Option<u8> {
        let published = |m: u32| (self.pig_grain_ratio(m) * 100.0).round() / 100.0;
        let in_band = |m: u32| (SEVERE_RATIO..WATCH_RATIO).contains(&published(m));
        let ratio = published(month);
        if ratio < SEVERE_RATIO {
            Some(1)
        } else if month >= 2 && (month - 2..=month).all(in_band) {
            Some(2)
        } else if ratio < WATCH_RATIO {
            Some(3)
        } else {
            None
        }
    }

    /// Calendar `(year, month)` of a month index.
    pub fn year_month(&self, month: u32) -> (i32, u32) {
        let total = self.start_month - 1 + month;
        (self.start_year + (total / 12) as i32, total % 12 + 1)
    }

    /// What a farmer expects the price to be: the mean over the 12 months before `month` (fewer near the start;
    /// the month's own price at month 0).
    pub fn expected_price(&self, commodity: Commodity, month: u32) -> f64 {
        let current = self.price(commodity, month);
        let window = month.saturating_sub(12)..month;
        if window.is_empty() {
            return current;
        }
        let count = window.len() as f64;
        window.map(|m| self.price(commodity, m)).sum::<f64>() / count
    }

    /// The output table, ordered by month then commodity (`Commodity::ALL` order).
    pub fn rows(&self) -> Vec<PriceRow> {
        (0..self.months())
            .flat_map(|m| {
                let (year, month) = self.year_month(m);
                Commodity::ALL.map(|commodity| {
                    let hog = commodity == Commodity::Hog;
                    PriceRow {
                        month: format!("{year:04}-{month:02}"),
                        commodity: commodity.code(),
                        price_yuan_per_kg: format!("{:.2}", self.price(commodity, m)),
                        pig_grain_ratio: hog.then(|| format!("{:.2}", self.pig_grain_ratio(m))),
                        hog_alert_tier: if hog { self.hog_alert_tier(m) } else { None },
                        synthetic: true,
                    }
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(seed: u64, months: u32, shocks: &MarketShocks) -> MarketPrices {
        simulate(&MarketConfig::default(), 2026, 1, months, shocks, &mut Rng::new(seed))
    }

    #[test]
    fn same_seed_gives_identical_rows() {
        let none = MarketShocks::default();
        assert_eq!(run(7, 48, &none).rows(), run(7, 48, &none).rows());
        assert_ne!(run(7, 48, &none).rows(), run(8, 48, &none).rows());
    }

    #[test]
    fn prices_stay_in_plausible_bands() {
        let config = MarketConfig::default();
        for seed in 1..=20 {
            let prices = run(seed, 60, &MarketShocks::default());
            for m in 0..60 {
                for commodity in &Commodity::ALL[..4] {
                    let (base, _) = config.grain(*commodity).expect("grain");
                    let p = prices.price(*commodity, m);
                    assert!((0.6 * base..=1.4 * base).contains(&p), "seed {seed} {commodity:?} month {m}: {p}");
                }
                let hog = prices.price(Commodity::Hog, m);
                assert!((config.hog_floor_yuan_per_kg..=config.hog_cap_yuan_per_kg).contains(&hog), "hog {hog}");
            }
        }
    }

    #[test]
    fn wheat_is_cheaper_in_its_harvest_month_than_the_month_before() {
        let (mut sum, mut count) = (0.0, 0.0);
        for seed in 0..200 {
            let prices = run(seed, 60, &MarketShocks::default());
            for june in (5..60).step_by(12) {
                assert_eq!(prices.year_month(june).1, 6);
                sum += (prices.price(Commodity::Wheat, june) / prices.price(Commodity::Wheat, june - 1)).ln();
                count += 1.0;
            }
        }
        assert!(sum / count < -0.05, "mean log change {}", sum / count);
    }

    #[test]
    fn hog_crash_forces_tier_one_and_leaves_other_months_alone() {
        let crash = MarketShocks { hog_crash: Some(HogCrash { start_month: 24, months: 3 }), ..Default::default() };
        for seed in 1..=20 {
            let (base, shocked) = (run(seed, 48, &MarketShocks::default()), run(seed, 48, &crash));
            for m in 0..48 {
                if (24..27).contains(&m) {
                    assert!(shocked.pig_grain_ratio(m) < 5.0);
                    assert_eq!(shocked.hog_alert_tier(m), Some(1));
                } else {
                    assert_eq!(shocked.price(Commodity::Hog, m), base.price(Commodity::Hog, m), "month {m}");
                }
                assert_eq!(shocked.price(Commodity::Maize, m), base.price(Commodity::Maize, m));
            }
        }
    }

    #[test]
    fn many_outbreaks_raise_the_hog_price_between_six_and_eighteen_months_later() {
        let outbreaks = MarketShocks { disease_months: vec![10; 6], ..Default::default() };
        let mut peak_sum = 0.0;
        for seed in 1..=20 {
            let (base, shocked) = (run(seed, 40, &MarketShocks::default()), run(seed, 40, &outbreaks));
            let ratio = |m| shocked.price(Commodity::Hog, m) / base.price(Commodity::Hog, m);
            assert!((0..40).all(|m| ratio(m) >= 1.0), "seed {seed}");
            assert!((0..=16).chain(28..40).all(|m| ratio(m) == 1.0), "seed {seed}");
            peak_sum += ratio(22);
        }
        assert!(peak_sum / 20.0 > 1.5, "mean peak ratio {}", peak_sum / 20.0);
    }

    #[test]
    fn alert_tiers_follow_the_ratio_rule() {
        let ratios = [6.5, 5.5, 5.5, 5.5, 4.9, 5.9, 6.0];
        let prices = MarketPrices {
            start_year: 2026,
            start_month: 1,
            prices: ratios.map(|r| [0.0, 0.0, 2.0, 0.0, 2.0 * r]).to_vec(),
        };
        let tiers: Vec<_> = (0..7).map(|m| prices.hog_alert_tier(m)).collect();
        assert_eq!(tiers, [None, Some(3), Some(3), Some(2), Some(1), Some(3), None]);
    }

    #[test]
    fn a_ratio_printed_as_six_carries_no_alert() {
        let prices = MarketPrices { start_year: 2026, start_month: 1, prices: vec![[0.0, 0.0, 2.0, 0.0, 11.999]] };
        assert_eq!(prices.rows()[4].pig_grain_ratio.as_deref(), Some("6.00"));
        assert_eq!(prices.hog_alert_tier(0), None);
    }

    #[test]
    fn calendar_and_expectation() {
        let prices = simulate(&MarketConfig::default(), 2026, 11, 30, &MarketShocks::default(), &mut Rng::new(1));
        assert_eq!(prices.year_month(0), (2026, 11));
        assert_eq!(prices.year_month(2), (2027, 1));
        assert_eq!(prices.year_month(14), (2028, 1));
        let wheat = |m| prices.price(Commodity::Wheat, m);
        assert_eq!(prices.expected_price(Commodity::Wheat, 0), wheat(0));
        assert!((prices.expected_price(Commodity::Wheat, 2) - (wheat(0) + wheat(1)) / 2.0).abs() < 1e-12);
        let mean: f64 = (8..20).map(wheat).sum::<f64>() / 12.0;
        assert!((prices.expected_price(Commodity::Wheat, 20) - mean).abs() < 1e-12);
    }

    #[test]
    fn validate_names_the_bad_key() {
        assert_eq!(MarketConfig::default().validate(), Ok(()));
        let bad = |edit: fn(&mut MarketConfig)| {
            let mut config = MarketConfig::default();
            edit(&mut config);
            config.validate().expect_err("invalid").0
        };
        assert_eq!(bad(|c| c.grain_phi = 1.0), "market.grain_phi");
        assert_eq!(bad(|c| c.hog_phi = -0.1), "market.hog_phi");
        assert_eq!(bad(|c| c.grain_sigma = -0.01), "market.grain_sigma");
        assert_eq!(bad(|c| c.hog_sigma = f64::NAN), "market.hog_sigma");
        assert_eq!(bad(|c| c.soybean_base_yuan_per_kg = 0.0), "market.soybean_base_yuan_per_kg");
        assert_eq!(bad(|c| c.hog_floor_yuan_per_kg = 40.0), "market.hog_floor_yuan_per_kg");
        assert_eq!(bad(|c| c.wheat_harvest_month = 13), "market.wheat_harvest_month");
        assert_eq!(bad(|c| c.maize_harvest_month = 0), "market.maize_harvest_month");
    }

    #[test]
    fn config_deserialises_with_defaults_and_rejects_unknown_keys() {
        let config: MarketConfig = serde_json::from_str(r#"{"grain_phi": 0.8}"#).expect("valid json");
        assert_eq!(config, MarketConfig { grain_phi: 0.8, ..MarketConfig::default() });
        assert!(serde_json::from_str::<MarketConfig>(r#"{"grain_pi": 0.8}"#).is_err());
        assert_eq!(serde_json::to_string(&Commodity::Soybean).expect("serialises"), r#""soybean""#);
    }

    #[test]
    fn rows_cover_every_month_and_commodity_with_two_decimals() {
        let rows = run(5, 14, &MarketShocks::default()).rows();
        assert_eq!(rows.len(), 14 * 5);
        assert_eq!((rows[0].month.as_str(), rows[0].commodity), ("2026-01", "wheat"));
        assert_eq!((rows[69].month.as_str(), rows[69].commodity), ("2027-02", "hog"));
        let two_decimals = |s: &str| s.split_once('.').is_some_and(|(_, d)| d.len() == 2) && s.parse::<f64>().is_ok();
        for (i, row) in rows.iter().enumerate() {
            assert_eq!(row.commodity, Commodity::ALL[i % 5].code());
            assert!(two_decimals(&row.price_yuan_per_kg), "{}", row.price_yuan_per_kg);
            assert!(row.synthetic);
            match row.commodity {
                "hog" => assert!(row.pig_grain_ratio.as_deref().is_some_and(two_decimals)),
                _ => assert_eq!((row.pig_grain_ratio.as_ref(), row.hog_alert_tier), (None, None)),
            }
        }
    }
}
