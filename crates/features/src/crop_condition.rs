//! Crop condition from remote sensing (遥感): turns a village's satellite series for one crop
//! (`crop_observations`) into a signal when its vegetation index stays below the usual value for the crop and
//! date, weeks before a poor harvest reaches the due date.
//!
//! A pass's anomaly is `ndvi − ndvi_normal`. A single pass proves little: clouds pull the index down and a real
//! series misses passes. So passes mostly under cloud are skipped, and the signal needs several usable passes
//! below a threshold within a recent window (defaults in [`ConditionConfig`]). Point in time: an assessment as of
//! a date reads only the passes observed on or before it.

use domain::Date;
use rust_decimal::Decimal;

/// One satellite pass over a village's crop (a row of `crop_observations`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CropObservation {
    /// Date of the pass.
    pub observed_on: Date,
    /// Vegetation index seen, in [-1, 1].
    pub ndvi: Decimal,
    /// The usual index for the crop at that date, in [-1, 1].
    pub ndvi_normal: Decimal,
    /// Share of the village under cloud, 0–1.
    pub cloud_share: Decimal,
}

impl CropObservation {
    /// The pass's departure from the usual value: `ndvi − ndvi_normal` (negative: a poorer canopy than usual).
    pub fn anomaly(&self) -> Decimal {
        self.ndvi - self.ndvi_normal
    }
}

/// The detector's parameters. The defaults: passes with more than half the village under cloud are skipped; a
/// signal needs at least 3 usable passes with an anomaly below −0.08 within the last 40 days; its severity is
/// mild, moderate below a mean anomaly of −0.15, severe below −0.25.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConditionConfig {
    /// Passes with a larger `cloud_share` are not used.
    pub max_cloud_share: Decimal,
    /// The window, in days before and including the as-of date.
    pub window_days: u32,
    /// An anomaly below this counts against the crop.
    pub threshold: Decimal,
    /// How many such passes the window must hold for a signal.
    pub min_passes: usize,
    /// A mean anomaly of the evidence at or below this is moderate.
    pub moderate_below: Decimal,
    /// A mean anomaly of the evidence at or below this is severe.
    pub severe_below: Decimal,
}

impl Default for ConditionConfig {
    fn default() -> Self {
        ConditionConfig {
            max_cloud_share: Decimal::new(5, 1),
            window_days: 40,
            threshold: Decimal::new(-8, 2),
            min_passes: 3,
            moderate_below: Decimal::new(-15, 2),
            severe_below: Decimal::new(-25, 2),
        }
    }
}

/// How poor the canopy is, by the mean anomaly of the evidence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// Below the threshold, above the moderate bound.
    Mild,
    /// At or below the moderate bound.
    Moderate,
    /// At or below the severe bound.
    Severe,
}

impl Severity {
    /// A stable code: `mild`, `moderate` or `severe`.
    pub fn code(self) -> &'static str {
        match self {
            Severity::Mild => "mild",
            Severity::Moderate => "moderate",
            Severity::Severe => "severe",
        }
    }
}

/// A pass the signal rests on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Evidence {
    /// Date of the pass.
    pub observed_on: Date,
    /// Its anomaly, `ndvi − ndvi_normal`.
    pub anomaly: Decimal,
    /// Its cloud share.
    pub cloud_share: Decimal,
}

/// A sustained anomaly: the crop has looked worse than usual on several recent clear passes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CropSignal {
    /// The date assessed.
    pub as_of: Date,
    /// How poor.
    pub severity: Severity,
    /// Mean anomaly of the evidence.
    pub mean_anomaly: Decimal,
    /// The usable passes below the threshold within the window, oldest first.
    pub evidence: Vec<Evidence>,
}

/// Assesses one village's series for one crop as of `as_of`, in any order: a signal if the window ending on
/// `as_of` holds at least `min_passes` usable passes below the threshold (and at least one), else `None`.
/// Passes observed after `as_of` are never read.
pub fn assess(series: &[CropObservation], as_of: Date, config: &ConditionConfig) -> Option<CropSignal> {
    let window_start = as_of - chrono::Duration::days(i64::from(config.window_days));
    let mut evidence: Vec<Evidence> = series
        .iter()
        .filter(|o| o.observed_on <= as_of && o.observed_on > window_start)
        .filter(|o| o.cloud_share <= config.max_cloud_share)
        .filter(|o| o.anomaly() < config.threshold)
        .map(|o| Evidence { observed_on: o.observed_on, anomaly: o.anomaly(), cloud_share: o.cloud_share })
        .collect();
    if evidence.is_empty() || evidence.len() < config.min_passes {
        return None;
    }
    evidence.sort_by_key(|e| e.observed_on);
    let total: Decimal = evidence.iter().map(|e| e.anomaly).sum();
    // The count is a handful of passes; a series long enough to overflow the division has no mean to report.
    let mean_anomaly = total.checked_div(Decimal::from(evidence.len() as u64))?.round_dp(3);
    let severity = if mean_anomaly <= config.severe_below {
        Severity::Severe
    } else if mean_anomaly <= config.moderate_below {
        Severity::Moderate
    } else {
        Severity::Mild
    };
    Some(CropSignal { as_of, severity, mean_anomaly, evidence })
}

/// The first signal of a series on or before `until`: the series is assessed as of each pass date in turn (a
/// signal can only appear on a day a pass arrives), oldest first.
pub fn first_signal(series: &[CropObservation], until: Date, config: &ConditionConfig) -> Option<CropSignal> {
    let mut dates: Vec<Date> = series.iter().map(|o| o.observed_on).filter(|d| *d <= until).collect();
    dates.sort_unstable();
    dates.dedup();
    dates.into_iter().find_map(|d| assess(series, d, config))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(s: &str) -> Date {
        domain::parse_date(s).expect("date")
    }

    fn dec(s: &str) -> Decimal {
        s.parse().expect("decimal")
    }

    fn pass(on: &str, ndvi: &str, normal: &str, cloud: &str) -> CropObservation {
        CropObservation { observed_on: date(on), ndvi: dec(ndvi), ndvi_normal: dec(normal), cloud_share: dec(cloud) }
    }

    /// A healthy season's dekads from July to September, a little noisy.
    fn healthy() -> Vec<CropObservation> {
        vec![
            pass("2024-07-01", "0.452", "0.450", "0.02"),
            pass("2024-07-11", "0.561", "0.580", "0.05"),
            pass("2024-07-21", "0.702", "0.690", "0.01"),
            pass("2024-08-01", "0.748", "0.770", "0.08"),
            pass("2024-08-11", "0.812", "0.810", "0.03"),
            pass("2024-08-21", "0.790", "0.800", "0.04"),
            pass("2024-09-01", "0.741", "0.760", "0.02"),
        ]
    }

    #[test]
    fn a_healthy_series_gives_no_signal() {
        let config = ConditionConfig::default();
        assert_eq!(first_signal(&healthy(), date("2024-09-30"), &config), None);
    }

    #[test]
    fn one_cloudy_pass_does_not_fire() {
        let config = ConditionConfig::default();
        let mut series = healthy();
        // A pass mostly under cloud reads near cloud tops, far below normal: skipped.
        series[4] = pass("2024-08-11", "0.220", "0.810", "0.85");
        assert_eq!(first_signal(&series, date("2024-09-30"), &config), None);
        // Even one thinly clouded pass counted as usable is one pass, not a sustained anomaly.
        series[4] = pass("2024-08-11", "0.600", "0.810", "0.40");
        assert_eq!(first_signal(&series, date("2024-09-30"), &config), None);
    }

    #[test]
    fn a_sustained_drought_fires_with_its_severity_and_evidence() {
        let config = ConditionConfig::default();
        let mut series = healthy();
        series[3] = pass("2024-08-01", "0.650", "0.770", "0.05");
        series[4] = pass("2024-08-11", "0.600", "0.810", "0.03");
        series[5] = pass("2024-08-21", "0.520", "0.800", "0.04");
        series[6] = pass("2024-09-01", "0.430", "0.760", "0.02");
        let first = first_signal(&series, date("2024-09-30"), &config).expect("a signal");
        assert_eq!(first.as_of, date("2024-08-21"));
        assert_eq!(first.evidence.len(), 3);
        // (−0.120 − 0.210 − 0.280) ÷ 3 = −0.203: moderate.
        assert_eq!(first.mean_anomaly, dec("-0.203"));
        assert_eq!(first.severity, Severity::Moderate);
        let later = assess(&series, date("2024-09-05"), &config).expect("still a signal");
        // The window (2024-07-27, 2024-09-05] holds all four; mean −0.235.
        assert_eq!(later.evidence.len(), 4);
        assert_eq!(later.severity, Severity::Moderate);
        let deeper: Vec<CropObservation> =
            series.iter().map(|o| CropObservation { ndvi: o.ndvi - dec("0.1"), ..*o }).collect();
        assert_eq!(assess(&deeper, date("2024-09-05"), &config).map(|s| s.severity), Some(Severity::Severe));
    }

    #[test]
    fn missing_passes_are_tolerated() {
        let config = ConditionConfig::default();
        // Three poor passes with two dekads missing between them still fall within 40 days.
        let series = vec![
            pass("2024-07-21", "0.560", "0.690", "0.01"),
            pass("2024-08-11", "0.690", "0.810", "0.03"),
            pass("2024-08-21", "0.640", "0.800", "0.04"),
        ];
        let signal = first_signal(&series, date("2024-09-30"), &config).expect("fires");
        assert_eq!(signal.as_of, date("2024-08-21"));
        // (−0.130 − 0.120 − 0.160) ÷ 3 = −0.137: mild.
        assert_eq!(signal.mean_anomaly, dec("-0.137"));
        assert_eq!(signal.severity, Severity::Mild);
        // The same passes spread over more than 40 days are not sustained.
        let spread =
            vec![series[0], pass("2024-08-21", "0.640", "0.800", "0.04"), pass("2024-09-11", "0.5", "0.7", "0")];
        assert_eq!(first_signal(&spread, date("2024-09-30"), &config), None);
    }

    #[test]
    fn nothing_after_the_as_of_date_is_read() {
        let config = ConditionConfig::default();
        let series = healthy();
        let as_of = date("2024-08-15");
        let before = assess(&series, as_of, &config);
        // Later passes, however alarming, do not change an assessment as of an earlier date.
        let mut with_future = series.clone();
        for day in ["2024-08-16", "2024-08-21", "2024-09-01", "2024-09-11"] {
            with_future.push(pass(day, "-0.900", "0.800", "0.00"));
        }
        assert_eq!(assess(&with_future, as_of, &config), before);
        assert_eq!(first_signal(&with_future, as_of, &config), None);
        assert!(first_signal(&with_future, date("2024-09-30"), &config).is_some(), "the check can fail");
    }

    #[test]
    fn a_config_asking_for_no_passes_still_needs_evidence() {
        let config = ConditionConfig { min_passes: 0, ..ConditionConfig::default() };
        assert_eq!(assess(&healthy(), date("2024-09-30"), &config), None);
        assert_eq!(assess(&[], date("2024-09-30"), &config), None);
    }
}
