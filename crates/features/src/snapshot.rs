//! The shared context as of D: commodity price statistics and each village's environment, computed once per
//! as-of date from the context records known by D and then looked up for every borrower.
//!
//! Prices enter as the monthly series of each commodity, restricted to months that had ended by D (see
//! `crate::known`). Disease bans and employment shocks are read only as "known by D and still in force in some month
//! up to D's month": their end month beyond D never changes a value.

use std::collections::HashMap;

use domain::Date;
use rust_decimal::prelude::ToPrimitive;

use crate::history::in_window;
use crate::input::{Commodity, Context, Month, Sentiment, Village};
use crate::known::known;

/// Statistics of one commodity's monthly prices known by D.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct PriceStats {
    /// Mean of the last 12 known monthly prices (fewer if fewer are known), yuan/kg.
    pub expected_price: Option<f64>,
    /// Latest price ÷ the price 3 months earlier − 1.
    pub trend_3m: Option<f64>,
    /// Latest price ÷ the price 12 months earlier − 1.
    pub trend_12m: Option<f64>,
    /// Standard deviation of the last 3 monthly log changes.
    pub volatility_3m: Option<f64>,
    /// Standard deviation of the last 12 monthly log changes.
    pub volatility_12m: Option<f64>,
    /// Pig-grain ratio of the latest month (hog only).
    pub pig_grain_ratio: Option<f64>,
    /// Alert level of the latest month: 0 none, 3 most severe (hog only).
    pub alert_level: Option<f64>,
}

/// A village's environment as of D.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct Environment {
    pub irrigation_share: f64,
    pub credit_village: bool,
    pub distance_km: f64,
    pub weather_loss_6m: f64,
    pub weather_loss_12m: f64,
    pub disease_active: bool,
    pub disease_6m: bool,
    pub employment_active: bool,
    pub employment_drop: f64,
    pub news_negative_share_3m: Option<f64>,
}

/// The context prepared for one as-of date. Build it once per date; it serves a batch and single applicants alike.
#[derive(Debug, Clone)]
pub struct Snapshot {
    as_of: Date,
    prices: HashMap<Commodity, PriceStats>,
    villages: HashMap<String, Environment>,
}

fn sample_sd(values: &[f64]) -> Option<f64> {
    if values.len() < 2 {
        return None;
    }
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let var = values.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / (n - 1.0);
    Some(var.sqrt())
}

/// One month of a commodity's series: month, price, pig-grain ratio, alert tier.
type PricePoint = (Month, f64, Option<f64>, Option<u8>);

fn price_stats(series: &[PricePoint]) -> PriceStats {
    let Some(&(last_month, last_price, ratio, tier)) = series.last() else { return PriceStats::default() };
    let at = |month: Month| series.iter().rev().find(|(m, ..)| *m == month).map(|(_, p, ..)| *p);
    let trend = |months: i32| at(last_month.plus(-months)).filter(|p| *p > 0.0).map(|p| last_price / p - 1.0);
    let volatility = |months: usize| {
        let tail = &series[series.len().saturating_sub(months + 1)..];
        let changes: Vec<f64> =
            tail.windows(2).filter(|w| w[0].1 > 0.0 && w[1].1 > 0.0).map(|w| (w[1].1 / w[0].1).ln()).collect();
        sample_sd(&changes)
    };
    let last12 = &series[series.len().saturating_sub(12)..];
    PriceStats {
        expected_price: Some(last12.iter().map(|(_, p, ..)| p).sum::<f64>() / last12.len() as f64),
        trend_3m: trend(3),
        trend_12m: trend(12),
        volatility_3m: volatility(3),
        volatility_12m: volatility(12),
        pig_grain_ratio: ratio,
        alert_level: ratio.map(|_| f64::from(tier.map_or(0, |t| 4u8.saturating_sub(t.clamp(1, 3))))),
    }
}

fn decimal(value: rust_decimal::Decimal) -> f64 {
    value.to_f64().unwrap_or(0.0)
}

impl Snapshot {
    /// Prepares the context as of `as_of`, reading only context records known by then.
    pub fn new(as_of: Date, context: &Context) -> Snapshot {
        let mut series: HashMap<Commodity, Vec<PricePoint>> = HashMap::new();
        for row in known(&context.prices, as_of) {
            let ratio = row.pig_grain_ratio.map(decimal);
            series.entry(row.commodity).or_default().push((
                row.month,
                decimal(row.price_yuan_per_kg),
                ratio,
                row.hog_alert_tier,
            ));
        }
        let prices = series
            .into_iter()
            .map(|(commodity, mut s)| {
                s.sort_by_key(|(m, ..)| *m);
                s.dedup_by_key(|(m, ..)| *m);
                (commodity, price_stats(&s))
            })
            .collect();

        let month = Month::of(as_of);
        let mut weather: HashMap<&str, (f64, f64)> = HashMap::new();
        for event in known(&context.weather_events, as_of) {
            let age = month.months_since(event.harvest_month);
            let loss = decimal(event.loss_share);
            let entry = weather.entry(event.village_code.as_str()).or_default();
            if age < 6 {
                entry.0 = entry.0.max(loss);
            }
            if age < 12 {
                entry.1 = entry.1.max(loss);
            }
        }
        let mut disease: HashMap<&str, (bool, bool)> = HashMap::new();
        for event in known(&context.disease_events, as_of) {
            let entry = disease.entry(event.county_code.as_str()).or_default();
            entry.0 |= event.end_month >= month;
            entry.1 |= event.end_month >= month.plus(-6);
        }
        let mut employment: HashMap<&str, f64> = HashMap::new();
        for shock in known(&context.employment_shocks, as_of).filter(|s| s.end_month >= month) {
            let entry = employment.entry(shock.county_code.as_str()).or_default();
            *entry = entry.max(decimal(shock.income_drop));
        }
        let mut news: HashMap<&str, (u32, u32)> = HashMap::new();
        for item in known(&context.news, as_of).filter(|n| in_window(n.date, as_of, 3)) {
            let entry = news.entry(item.county_code.as_str()).or_default();
            entry.0 += 1;
            entry.1 += u32::from(item.sentiment == Sentiment::Negative);
        }

        let environment = |v: &Village| {
            let (weather_loss_6m, weather_loss_12m) = weather.get(v.village_code.as_str()).copied().unwrap_or_default();
            let (disease_active, disease_6m) = disease.get(v.county_code.as_str()).copied().unwrap_or_default();
            let drop = employment.get(v.county_code.as_str()).copied();
            let news = news.get(v.county_code.as_str()).map(|(n, neg)| f64::from(*neg) / f64::from(*n));
            Environment {
                irrigation_share: decimal(v.irrigation_share),
                credit_village: v.credit_village,
                distance_km: decimal(v.distance_km),
                weather_loss_6m,
                weather_loss_12m,
                disease_active,
                disease_6m,
                employment_active: drop.is_some(),
                employment_drop: drop.unwrap_or(0.0),
                news_negative_share_3m: news,
            }
        };
        let villages = context.villages.iter().map(|v| (v.village_code.clone(), environment(v))).collect();
        Snapshot { as_of, prices, villages }
    }

    /// The as-of date D.
    pub fn as_of(&self) -> Date {
        self.as_of
    }

    /// Price statistics of a commodity (all missing if no price is known by D).
    pub(crate) fn price(&self, commodity: Commodity) -> PriceStats {
        self.prices.get(&commodity).copied().unwrap_or_default()
    }

    /// A village's environment (`None` if the village is not in the context).
    pub(crate) fn village(&self, village_code: &str) -> Option<&Environment> {
        self.villages.get(village_code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trends_and_volatility_from_a_known_series() {
        let m = |i| Month::new(2026, 1).plus(i);
        let series: Vec<_> = (0..13).map(|i| (m(i), 2.0 + 0.1 * f64::from(i), None, None)).collect();
        let stats = price_stats(&series);
        let trend3 = stats.trend_3m.expect("13 months known");
        assert!((trend3 - (3.2 / 2.9 - 1.0)).abs() < 1e-12);
        assert!((stats.trend_12m.expect("13 months known") - 0.6).abs() < 1e-12);
        let mean12: f64 = (1..13).map(|i| 2.0 + 0.1 * f64::from(i)).sum::<f64>() / 12.0;
        assert!((stats.expected_price.expect("known") - mean12).abs() < 1e-12);
        assert!(stats.volatility_3m.is_some());
        assert_eq!(stats.alert_level, None);
        assert_eq!(price_stats(&[]).expected_price, None);
    }
}
