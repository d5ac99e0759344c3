//! Crop condition seen from orbit (遥感): a vegetation-index (NDVI) pass over each village's crops every dekad
//! (days 1, 11 and 21 of a month) from sowing to the end of the harvest month, as an optical satellite series
//! aggregated to the village would look.
//!
//! Each crop has a usual seasonal curve (`normal`: bare soil at sowing, green-up, a peak, senescence towards the
//! harvest). A season whose harvest the village loses to weather (the loss decided in `run`, whether a random event
//! or the planted S1 drought) drifts below that curve from 4–8 weeks before the harvest month, in proportion to
//! the loss: a drought creeps in over three weeks, a flood within a week, hail, typhoon and frost at once. Rain at
//! harvest time spoils the grain without showing in the canopy beforehand, so it leaves the series alone. Like a
//! real series it is noisy (sd 0.03), misses passes (about 15% of dekads, more in the rainy summer) and has cloudy
//! passes whose value is pulled towards the 0.1–0.2 of cloud tops; `cloud_share` tells them apart.
//!
//! The series draws from its own random stream per village, so adding it changed no other table of a run.

use chrono::{Datelike, Duration, Months};
use domain::Date;

use crate::rng::Rng;
use crate::tables::CropObservationRow;

/// A crop season as the village grows it: the crop code of the files and the months (1–12) of sowing and harvest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CropSeason {
    /// Crop code (`households.crops`): a calendar crop, or `fruit` for orchards.
    pub crop: &'static str,
    /// Month sowing starts (1–12).
    pub sow_month: u32,
    /// Month the harvest ends (1–12).
    pub harvest_month: u32,
}

/// The harvest loss the village suffered in one month of the run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HarvestLoss {
    /// Yield loss share, 0–1 (0: no event).
    pub share: f64,
    /// The weather event's type (`weather_events.event_type`).
    pub event_type: &'static str,
}

/// The shape of a crop's usual NDVI season: value at sowing, at the peak, and where in the season (0–1) the peak
/// falls.
struct Curve {
    start: f64,
    peak: f64,
    peak_at: f64,
}

fn curve(crop: &str) -> Curve {
    match crop {
        // Winter wheat greens up only in spring: a late peak in a long season.
        "winter-wheat" => Curve { start: 0.20, peak: 0.76, peak_at: 0.80 },
        "summer-maize" | "spring-maize" => Curve { start: 0.15, peak: 0.82, peak_at: 0.62 },
        // Flooded paddies read low before the canopy closes.
        "single-rice" | "early-rice" | "late-rice" => Curve { start: 0.18, peak: 0.84, peak_at: 0.60 },
        "soybean" => Curve { start: 0.15, peak: 0.80, peak_at: 0.60 },
        // Orchards stay green between seasons.
        "fruit" => Curve { start: 0.35, peak: 0.74, peak_at: 0.55 },
        _ => Curve { start: 0.15, peak: 0.78, peak_at: 0.60 },
    }
}

/// Smoothstep on [0, 1]: flat at both ends, so the curve has no kinks.
fn smooth(x: f64) -> f64 {
    let x = x.clamp(0.0, 1.0);
    x * x * (3.0 - 2.0 * x)
}

/// The usual NDVI of `crop` at `progress` (0 at the first day of the sowing month, 1 at the last day of the
/// harvest month): green-up to the peak, then senescence to a quarter of the way back to the start value.
pub fn normal(crop: &str, progress: f64) -> f64 {
    let c = curve(crop);
    if progress < c.peak_at {
        c.start + (c.peak - c.start) * smooth(progress / c.peak_at)
    } else {
        let end = c.start + 0.25 * (c.peak - c.start);
        c.peak - (c.peak - end) * smooth((progress - c.peak_at) / (1.0 - c.peak_at))
    }
}

/// Share of passes lost entirely (no image), by calendar month: the rainy summer months lose most.
fn missing_probability(month: u32) -> f64 {
    match month {
        6..=8 => 0.25,
        5 | 9 => 0.18,
        _ => 0.10,
    }
}

/// Share of the passes taken that are mostly cloud (cloud_share > 0.5), by calendar month.
fn cloudy_probability(month: u32) -> f64 {
    match month {
        5..=9 => 0.20,
        _ => 0.10,
    }
}

/// Days over which the canopy reaches its full depression after the onset, by event type; `None` for events
/// that do not show in the canopy before the harvest.
fn ramp_days(event_type: &str) -> Option<f64> {
    match event_type {
        "drought" => Some(21.0),
        "flood" => Some(7.0),
        "harvest-rain" => None,
        // Hail, typhoon and frost strip or kill the canopy at once.
        _ => Some(0.0),
    }
}

/// The dekad days of a month.
const DEKADS: [u32; 3] = [1, 11, 21];

/// Every pass over one village's crops. `seasons` are the village's distinct crop seasons; `losses[m]` is the loss
/// of month `m` of the run (its harvests), `first_day` the first day of month 0 and `last_day` the horizon's
/// last day. Seasons whose harvest month falls inside the run are observed, clipped to the run.
pub fn observe(
    village_code: &str,
    seasons: &[CropSeason],
    losses: &[HarvestLoss],
    first_day: Date,
    last_day: Date,
    rng: &mut Rng,
) -> Vec<CropObservationRow> {
    let mut rows = Vec::new();
    for season in seasons {
        let length = (season.harvest_month + 12 - season.sow_month) % 12;
        for (m, loss) in losses.iter().enumerate() {
            let Some(harvest_start) = first_day.checked_add_months(Months::new(m as u32)) else { continue };
            if harvest_start.month() != season.harvest_month {
                continue;
            }
            let Some(sow_start) = harvest_start.checked_sub_months(Months::new(length)) else { continue };
            let harvest_end = domain::end_of_month(harvest_start.year(), harvest_start.month());
            season_passes(
                village_code,
                season,
                *loss,
                sow_start,
                harvest_start,
                harvest_end,
                first_day,
                last_day,
                rng,
                &mut rows,
            );
        }
    }
    rows.sort_by(|a, b| a.crop.cmp(b.crop).then(a.observed_on.cmp(&b.observed_on)));
    rows
}

#[allow(clippy::too_many_arguments)]
fn season_passes(
    village_code: &str,
    season: &CropSeason,
    loss: HarvestLoss,
    sow_start: Date,
    harvest_start: Date,
    harvest_end: Date,
    first_day: Date,
    last_day: Date,
    rng: &mut Rng,
    rows: &mut Vec<CropObservationRow>,
) {
    let span = (harvest_end - sow_start).num_days().max(1) as f64;
    // Every season's draws happen whatever part of it the run shows, so a season's values do not depend on the
    // horizon's start.
    let onset = harvest_start - Duration::days(rng.int(28, 56));
    let ramp = ramp_days(loss.event_type).filter(|_| loss.share > 0.0);
    // A season's own departure from the usual curve (variety, sowing date, soil): small, persistent.
    let offset = rng.normal(0.0, 0.015);
    let mut month = sow_start;
    while month <= harvest_start {
        for day in DEKADS {
            let Some(date) = month.with_day(day) else { continue };
            let missing = rng.chance(missing_probability(month.month()));
            let cloudy = rng.chance(cloudy_probability(month.month()));
            let partly = rng.chance(0.2);
            let (noise, cloud_u, cloud_top) = (rng.normal(0.0, 0.03), rng.uniform(), rng.range(0.1, 0.2));
            if missing || date < first_day || date > last_day {
                continue;
            }
            let progress = (date - sow_start).num_days() as f64 / span;
            let usual = normal(season.crop, progress);
            let depression = match ramp {
                Some(days) if date >= onset => {
                    let reached = if days > 0.0 { ((date - onset).num_days() as f64 / days).min(1.0) } else { 1.0 };
                    // A 60% loss takes about half of the peak canopy's green above bare soil (0.1), a 10% loss a
                    // twelfth; a stressed crop browns early, so the gap holds through senescence, down to bare soil.
                    let depth = reached * 0.9 * loss.share * (curve(season.crop).peak - 0.1);
                    depth.min((usual - 0.1).max(0.0))
                }
                _ => 0.0,
            };
            let canopy = usual + offset - depression + noise;
            let (cloud_share, ndvi) = if cloudy {
                // Mostly cloud: the value mixes the canopy with cloud tops.
                let c = 0.5 + 0.5 * cloud_u;
                (c, (1.0 - c) * canopy + c * cloud_top)
            } else if partly {
                // Cloud masked out, a thin haze left.
                let c = 0.1 + 0.4 * cloud_u;
                (c, canopy - 0.05 * c)
            } else {
                (0.1 * cloud_u, canopy)
            };
            rows.push(CropObservationRow {
                village_code: village_code.to_string(),
                crop: season.crop,
                observed_on: date,
                ndvi: format!("{:.3}", ndvi.clamp(-1.0, 1.0)),
                ndvi_normal: format!("{:.3}", usual.clamp(-1.0, 1.0)),
                cloud_share: format!("{cloud_share:.4}"),
                synthetic: true,
            });
        }
        let Some(next) = month.checked_add_months(Months::new(1)) else { break };
        month = next;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(s: &str) -> Date {
        domain::parse_date(s).expect("date")
    }

    const MAIZE: CropSeason = CropSeason { crop: "summer-maize", sow_month: 6, harvest_month: 10 };

    fn losses(months: usize, at: usize, share: f64, event_type: &'static str) -> Vec<HarvestLoss> {
        let mut l = vec![HarvestLoss { share: 0.0, event_type: "drought" }; months];
        l[at] = HarvestLoss { share, event_type };
        l
    }

    fn mean_anomaly(rows: &[CropObservationRow], from: &str, to: &str) -> f64 {
        let clear: Vec<f64> = rows
            .iter()
            .filter(|r| r.observed_on >= date(from) && r.observed_on <= date(to))
            .filter(|r| r.cloud_share.parse::<f64>().unwrap_or(1.0) <= 0.5)
            .map(|r| r.ndvi.parse::<f64>().unwrap_or(0.0) - r.ndvi_normal.parse::<f64>().unwrap_or(0.0))
            .collect();
        clear.iter().sum::<f64>() / clear.len().max(1) as f64
    }

    #[test]
    fn the_usual_curve_greens_up_peaks_and_senesces() {
        let at = |p| normal("summer-maize", p);
        assert!(at(0.0) < 0.2 && at(0.62) > 0.8);
        assert!(at(0.3) > at(0.1) && at(0.9) < at(0.7) && at(1.0) > at(0.0));
        for p in 0..=100 {
            let v = normal("winter-wheat", f64::from(p) / 100.0);
            assert!((-1.0..=1.0).contains(&v));
        }
    }

    #[test]
    fn passes_fall_on_dekads_inside_the_season_and_the_run() {
        let l = losses(24, 9, 0.0, "drought");
        let rows = observe("990101000001", &[MAIZE], &l, date("2024-01-01"), date("2025-12-31"), &mut Rng::new(1));
        assert!(!rows.is_empty());
        for r in &rows {
            assert!([1, 11, 21].contains(&r.observed_on.day()));
            assert!((6..=10).contains(&r.observed_on.month()), "{}", r.observed_on);
        }
        // Two seasons of 15 dekads each; about 15% of passes missing.
        let expected = 2 * 15;
        assert!(rows.len() < expected && rows.len() > expected * 6 / 10, "{}", rows.len());
    }

    #[test]
    fn a_large_loss_depresses_the_canopy_before_the_harvest_month_and_no_loss_does_not() {
        let first = date("2024-01-01");
        let last = date("2024-12-31");
        let mut deep = 0.0;
        let mut none = 0.0;
        for seed in 0..20 {
            let hit = losses(12, 9, 0.6, "drought");
            let rows = observe("990101000001", &[MAIZE], &hit, first, last, &mut Rng::new(seed));
            deep += mean_anomaly(&rows, "2024-09-11", "2024-09-30") / 20.0;
            let calm = losses(12, 9, 0.0, "drought");
            let rows = observe("990101000001", &[MAIZE], &calm, first, last, &mut Rng::new(seed));
            none += mean_anomaly(&rows, "2024-09-11", "2024-09-30") / 20.0;
        }
        assert!(deep < -0.2, "{deep}");
        assert!(none.abs() < 0.03, "{none}");
    }

    #[test]
    fn the_same_stream_gives_the_same_series() {
        let l = losses(12, 9, 0.4, "hail");
        let a = observe("990101000001", &[MAIZE], &l, date("2024-01-01"), date("2024-12-31"), &mut Rng::new(5));
        let b = observe("990101000001", &[MAIZE], &l, date("2024-01-01"), date("2024-12-31"), &mut Rng::new(5));
        let text = |rows: &[CropObservationRow]| serde_json::to_string(rows).expect("rows serialise");
        assert_eq!(text(&a), text(&b));
    }
}
