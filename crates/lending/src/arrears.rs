//! Days past due read from dated observations, and when a loan is non-performing.
//!
//! The lending core computes DPD by replaying a loan's events (`servicing`): on day x it is x − the due date of the
//! oldest unpaid installment. Data loaded from elsewhere (a core-banking export, the simulator's repayments file)
//! holds no events, only *observations*: "at the end of this date, after its postings, the loan was N days past
//! due". This module reads the same clock from such observations, so the roster, the features and monitoring
//! share one definition:
//!
//! - the DPD on day x is the latest observation on or before x, aged by one per day since it when it was past due,
//!   and 0 when it was current (or when there is none);
//! - a loan is non-performing from [`NON_PERFORMING_DPD`] days past due ([`is_non_performing`]); by class, the
//!   non-performing classes are 次级, 可疑 and 损失 ([`FiveCategory::is_non_performing`]);
//! - a loan crosses a threshold on the first day whose DPD reaches it ([`crossing_date`]).
//!
//! This is the replay's clock exactly: between two days on which the oldest unpaid installment changes, the replay's
//! DPD grows by one a day, which is the ageing rule here. So observations taken at the end of every day on which
//! the replayed DPD does anything but age (the day a loan first falls past due, a cure or partial cure, a
//! restructuring) give the replayed DPD on every day; extra observations that agree with the replay change nothing
//! (tested against the replay in `tests/it/properties.rs`). Fewer observations read low, never high: a feed that
//! records only due dates and payments sees a loan that missed a due date as current until its next row.
//!
//! [`FiveCategory::is_non_performing`]: crate::FiveCategory::is_non_performing

use domain::{Date, days_between};

/// Days past due from which a loan counts as non-performing (90 or more: "90+ DPD"), the default of the
/// training label and the 信用村 criteria.
///
/// The five-category rules put a loan in 次级 only when it is *more than* 90 days past due
/// (`ClassificationRules::substandard_after`), one day later; where the class is known (the lending core's own
/// loans) the class decides, where only the DPD is known (loaded records) this threshold does.
pub const NON_PERFORMING_DPD: u32 = 90;

/// Whether a loan this many days past due is non-performing (at least [`NON_PERFORMING_DPD`]).
pub fn is_non_performing(dpd: u32) -> bool {
    dpd >= NON_PERFORMING_DPD
}

/// A dated observation of a loan's DPD: at the end of [`observed_on`](DpdObservation::observed_on), after that
/// day's postings, the loan was [`dpd_observed`](DpdObservation::dpd_observed) days past due.
///
/// Implemented by [`Observed`] and by record types that carry such a figure (a repayment row's `dpd_after`).
pub trait DpdObservation {
    /// The day observed (end of day).
    fn observed_on(&self) -> Date;
    /// Days past due at the end of that day.
    fn dpd_observed(&self) -> u32;
}

impl<T: DpdObservation + ?Sized> DpdObservation for &T {
    fn observed_on(&self) -> Date {
        (**self).observed_on()
    }

    fn dpd_observed(&self) -> u32 {
        (**self).dpd_observed()
    }
}

/// A plain observation: the loan was `dpd` days past due at the end of `on`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Observed {
    /// The day.
    pub on: Date,
    /// Days past due at the end of it.
    pub dpd: u32,
}

impl DpdObservation for Observed {
    fn observed_on(&self) -> Date {
        self.on
    }

    fn dpd_observed(&self) -> u32 {
        self.dpd
    }
}

/// `dpd` aged from the end of `from` to the end of `to`: one more per day when past due, still 0 when current.
fn aged(dpd: u32, from: Date, to: Date) -> u32 {
    if dpd == 0 {
        return 0;
    }
    u32::try_from(i64::from(dpd) + days_between(from, to).max(0)).unwrap_or(u32::MAX)
}

/// The DPD on `on` from a loan's observations in date order (same-day observations in the order made, the last
/// one standing): the latest observation on or before `on`, aged to `on` if it was past due; 0 without one.
pub fn dpd_on<O: DpdObservation>(observations: &[O], on: Date) -> u32 {
    let upto = observations.partition_point(|o| o.observed_on() <= on);
    match upto.checked_sub(1).and_then(|i| observations.get(i)) {
        Some(last) => aged(last.dpd_observed(), last.observed_on(), on),
        None => 0,
    }
}

/// The first day, on or before `until`, on which the loan was at least `threshold_dpd` days past due, from its
/// observations in date order: the same as the first day on which [`dpd_on`] reaches the threshold.
///
/// A threshold of 0 is reached on the first observed day.
pub fn crossing_date<O: DpdObservation>(observations: &[O], threshold_dpd: u32, until: Date) -> Option<Date> {
    for (i, o) in observations.iter().enumerate() {
        let (day, dpd) = (o.observed_on(), o.dpd_observed());
        if day > until {
            return None;
        }
        // A later observation of the same day supersedes this one.
        let next = observations.get(i + 1).map(DpdObservation::observed_on);
        if next == Some(day) {
            continue;
        }
        if dpd >= threshold_dpd {
            return Some(day);
        }
        if dpd == 0 {
            continue;
        }
        // Ageing from `dpd`, the threshold is reached after `threshold_dpd − dpd` more days, if no later
        // observation comes first (from its day on, that observation is the figure).
        let crossing = day + chrono::Duration::days(i64::from(threshold_dpd - dpd));
        if crossing <= until && next.is_none_or(|n| crossing < n) {
            return Some(crossing);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(text: &str) -> Date {
        domain::parse_date(text).expect("valid test date")
    }

    fn obs(on: &str, dpd: u32) -> Observed {
        Observed { on: d(on), dpd }
    }

    #[test]
    fn dpd_ages_between_observations_and_resets_on_cure() {
        let rows = [obs("2026-03-31", 30), obs("2026-04-30", 0)];
        assert_eq!(dpd_on(&rows, d("2026-03-30")), 0);
        assert_eq!(dpd_on(&rows, d("2026-03-31")), 30);
        assert_eq!(dpd_on(&rows, d("2026-04-10")), 40);
        assert_eq!(dpd_on(&rows, d("2026-04-30")), 0);
        assert_eq!(dpd_on(&rows, d("2026-05-01")), 0);
        assert_eq!(dpd_on::<Observed>(&[], d("2026-05-01")), 0);
        // Same day: the later observation stands.
        let same_day = [obs("2026-03-31", 30), obs("2026-03-31", 0)];
        assert_eq!(dpd_on(&same_day, d("2026-04-10")), 0);
    }

    #[test]
    fn non_performing_from_ninety_days() {
        assert!(!is_non_performing(89));
        assert!(is_non_performing(90));
        assert!(is_non_performing(u32::MAX));
    }

    #[test]
    fn a_missed_bullet_crosses_ninety_days_eighty_nine_days_after_its_first_day_past_due() {
        let rows = [obs("2025-10-31", 1)];
        assert_eq!(dpd_on(&rows, d("2026-01-27")), 89);
        assert_eq!(crossing_date(&rows, NON_PERFORMING_DPD, d("2026-01-27")), None);
        assert_eq!(crossing_date(&rows, NON_PERFORMING_DPD, d("2026-06-30")), Some(d("2026-01-28")));
        // Cured the day it would have reached 90: at the end of that day it was current, so it never crossed.
        let cured = [obs("2025-10-31", 1), obs("2026-01-28", 0)];
        assert_eq!(crossing_date(&cured, NON_PERFORMING_DPD, d("2026-06-30")), None);
        // An observation already past the threshold crosses on its own day.
        let late = [obs("2025-10-31", 0), obs("2026-02-15", 120)];
        assert_eq!(crossing_date(&late, NON_PERFORMING_DPD, d("2026-06-30")), Some(d("2026-02-15")));
        assert_eq!(crossing_date(&late, 0, d("2026-06-30")), Some(d("2025-10-31")));
    }

    /// Observations: strictly increasing days (gaps of 1–40) with DPD figures, some of them zero.
    fn any_observations() -> impl Strategy<Value = Vec<Observed>> {
        proptest::collection::vec((1i64..40, prop_oneof![Just(0u32), 0u32..200]), 0..12).prop_map(|steps| {
            let mut day = d("2025-01-01");
            steps
                .into_iter()
                .map(|(gap, dpd)| {
                    day += chrono::Duration::days(gap);
                    Observed { on: day, dpd }
                })
                .collect()
        })
    }

    proptest! {
        #[test]
        fn crossing_is_the_first_day_the_dpd_reaches_the_threshold(
            rows in any_observations(),
            threshold in 0u32..150,
            horizon in 0i64..600,
        ) {
            let start = d("2025-01-01");
            let until = start + chrono::Duration::days(horizon);
            let brute = (0..=horizon)
                .map(|k| start + chrono::Duration::days(k))
                .find(|day| rows.first().is_some_and(|f| f.on <= *day) && dpd_on(&rows, *day) >= threshold);
            prop_assert_eq!(crossing_date(&rows, threshold, until), brute);
        }

        #[test]
        fn dpd_grows_by_at_most_one_a_day_between_observations(rows in any_observations(), k in 0i64..600) {
            let day = d("2025-01-01") + chrono::Duration::days(k);
            let next = day + chrono::Duration::days(1);
            if !rows.iter().any(|o| o.on == next) {
                let (today, tomorrow) = (dpd_on(&rows, day), dpd_on(&rows, next));
                prop_assert!(tomorrow == 0 && today == 0 || tomorrow == today + 1);
            }
        }
    }
}
