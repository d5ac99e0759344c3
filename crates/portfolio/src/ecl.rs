//! IFRS 9 expected credit loss of one loan: ECL = PD × LGD × EAD, rounded once to whole fen (half to even).
//!
//! - **Stage** (`lending::ClassificationRules::stage`: more than 30 DPD, a restructuring or a downgrade → 2; more
//!   than 90 DPD or a non-performing class → 3), and stage 2 also when the 12-month PD is at least the
//!   configured significant-increase threshold ([`stage`]).
//! - **PD**: stage 1 takes the PD over the shorter of 12 months and the remaining term, stages 2 takes it over
//!   the whole remaining term (lifetime), stage 3 is credit-impaired and takes 1. The PD over `t` months comes
//!   from the 12-month PD `p` at a constant yearly hazard, compounded over whole years and linear within a year:
//!   `PD(t) = 1 − (1 − p)^k × (1 − p × r/12)` with `t = 12k + r` ([`pd_over`]); exact decimal arithmetic, equal to
//!   `p` at 12 months and never decreasing in `t`.
//! - **LGD** by security from the configuration; **EAD** = outstanding principal + accrued interest.

use domain::{Date, Money, Rounding};
use lending::{ClassificationRules, FiveCategory, IfrsStage};
use rust_decimal::Decimal;

use crate::config::{Config, FallbackPd};

/// The kinds of security a loan may have, each with its LGD.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Security {
    /// Unsecured credit loan.
    CreditOnly,
    /// Joint-liability group.
    Group,
    /// Land-management-right mortgage.
    LandRight,
    /// Rural house-right mortgage.
    HouseRight,
    /// Third-party guarantor.
    Guarantor,
}

impl Security {
    /// The security of a loaded loan's collateral code.
    pub fn of(code: features::input::CollateralCode) -> Security {
        match code {
            features::input::CollateralCode::CreditOnly => Security::CreditOnly,
            features::input::CollateralCode::Group => Security::Group,
        }
    }

    /// Its LGD under a configuration.
    pub fn lgd(self, config: &Config) -> Decimal {
        let l = &config.lgd;
        match self {
            Security::CreditOnly => l.credit_only,
            Security::Group => l.group,
            Security::LandRight => l.land_right,
            Security::HouseRight => l.house_right,
            Security::Guarantor => l.guarantor,
        }
    }
}

/// The PD over `months` from a 12-month PD `pd_12m` (clamped to [0, 1]): constant yearly hazard over whole years,
/// linear within a year.
pub fn pd_over(pd_12m: Decimal, months: u32) -> Decimal {
    let p = pd_12m.clamp(Decimal::ZERO, Decimal::ONE);
    let survive_year = Decimal::ONE - p;
    let mut survival = Decimal::ONE;
    for _ in 0..months / 12 {
        survival *= survive_year;
    }
    survival *= Decimal::ONE - p * Decimal::from(months % 12) / Decimal::from(12);
    (Decimal::ONE - survival).clamp(Decimal::ZERO, Decimal::ONE)
}

/// Whole months from `as_of` to `maturity`, counting a part month as one; `matured_horizon` for a loan at or past
/// maturity.
pub fn remaining_months(as_of: Date, maturity: Date, matured_horizon: u32) -> u32 {
    use chrono::Datelike;
    if maturity <= as_of {
        return matured_horizon;
    }
    let whole = (maturity.year() - as_of.year()) * 12 + maturity.month() as i32 - as_of.month() as i32;
    let whole = if maturity.day() > as_of.day() { whole + 1 } else { whole };
    u32::try_from(whole.max(1)).unwrap_or(1)
}

/// The fallback 12-month PD: the larger of the grade's and the DPD bucket's (1 at more than 90 DPD).
pub fn fallback_pd(table: &FallbackPd, grade: Option<features::input::Grade>, dpd: u32) -> Decimal {
    use features::input::Grade;
    let by_grade = match grade {
        Some(Grade::Aaa) => table.aaa,
        Some(Grade::Aa) => table.aa,
        Some(Grade::A) => table.a,
        Some(Grade::B) => table.b,
        Some(Grade::Unrated) | None => table.unrated,
    };
    let by_dpd = match dpd {
        0 => Decimal::ZERO,
        1..=30 => table.dpd_1_30,
        31..=60 => table.dpd_31_60,
        61..=90 => table.dpd_61_90,
        _ => Decimal::ONE,
    };
    by_grade.max(by_dpd)
}

/// The IFRS 9 stage: the lending core's DPD and class presumptions, and stage 2 when the 12-month PD is at least
/// `sicr_pd`.
pub fn stage(
    rules: &ClassificationRules,
    dpd: u32,
    restructured: bool,
    class: FiveCategory,
    pd_12m: Decimal,
    sicr_pd: Decimal,
) -> IfrsStage {
    let by_rules = rules.stage(dpd, restructured, class);
    if by_rules == IfrsStage::Stage1 && pd_12m >= sicr_pd { IfrsStage::Stage2 } else { by_rules }
}

/// The PD an ECL takes for a stage: 12-month (or the remaining term if shorter) for stage 1, lifetime for
/// stage 2, 1 for stage 3.
pub fn pd_for(stage: IfrsStage, pd_12m: Decimal, remaining_months: u32) -> Decimal {
    match stage {
        IfrsStage::Stage1 => pd_over(pd_12m, remaining_months.min(12)),
        IfrsStage::Stage2 => pd_over(pd_12m, remaining_months),
        IfrsStage::Stage3 => Decimal::ONE,
    }
}

/// PD × LGD × EAD rounded half to even to whole fen.
pub fn ecl(pd: Decimal, lgd: Decimal, ead: Money) -> Money {
    ead.times(pd * lgd).round(Rounding::HalfEven)
}

/// Interest accrued on `outstanding` at `annual_rate` (ACT/360, the lending core's default day count) from
/// `since` to `as_of`, for at most `cap_days` days, rounded half to even.
pub fn accrued_interest(outstanding: Money, annual_rate: Decimal, since: Date, as_of: Date, cap_days: u32) -> Money {
    let days = domain::days_between(since, as_of).clamp(0, i64::from(cap_days));
    outstanding.times(annual_rate).divided_by(Decimal::from(360)).times(Decimal::from(days)).round(Rounding::HalfEven)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> Date {
        domain::parse_date(text).expect("valid date")
    }

    #[test]
    fn pd_over_a_term_compounds_whole_years_and_is_linear_within_one() {
        let p = Decimal::new(10, 2);
        assert_eq!(pd_over(p, 12), p);
        assert_eq!(pd_over(p, 24), Decimal::new(19, 2));
        assert_eq!(pd_over(p, 6), Decimal::new(5, 2));
        // 18 months: 1 − 0.9 × (1 − 0.05) = 0.145.
        assert_eq!(pd_over(p, 18), Decimal::new(145, 3));
        assert_eq!(pd_over(p, 0), Decimal::ZERO);
        assert_eq!(pd_over(Decimal::ONE, 3), Decimal::new(25, 2));
        let mut last = Decimal::ZERO;
        for t in 0..60 {
            let now = pd_over(Decimal::new(7, 2), t);
            assert!(now >= last, "PD({t}) fell");
            last = now;
        }
    }

    proptest::proptest! {
        #[test]
        fn lifetime_pd_never_falls_with_the_term_or_the_pd(p_bp in 0i64..=10_000, q_bp in 0i64..=10_000, t in 0u32..120) {
            let (p, q) = (Decimal::new(p_bp.min(q_bp), 4), Decimal::new(p_bp.max(q_bp), 4));
            proptest::prop_assert!(pd_over(p, t) <= pd_over(p, t + 1));
            proptest::prop_assert!(pd_over(p, t) <= pd_over(q, t));
            proptest::prop_assert!(pd_over(p, t) >= Decimal::ZERO && pd_over(p, t) <= Decimal::ONE);
            // Stage 2 (lifetime) never takes less than stage 1 (at most 12 months).
            proptest::prop_assert!(pd_for(IfrsStage::Stage2, p, t) >= pd_for(IfrsStage::Stage1, p, t));
        }

        #[test]
        fn ecl_is_at_most_the_ead(pd_bp in 0i64..=10_000, lgd_bp in 0i64..=10_000, fen in 0i64..=Money::MAX_INPUT_FEN) {
            let e = ecl(Decimal::new(pd_bp, 4), Decimal::new(lgd_bp, 4), Money::from_fen(fen));
            proptest::prop_assert!(e >= Money::ZERO && e <= Money::from_fen(fen));
        }
    }

    #[test]
    fn ecl_is_exact_to_the_fen() {
        // 100,000.00 yuan + 123.45 accrued, PD 2%, LGD 45%: 0.009 × 10,012,345 fen = 90,111.105 → 90,111 fen.
        let ead = Money::from_fen(10_012_345);
        assert_eq!(ecl(Decimal::new(2, 2), Decimal::new(45, 2), ead), Money::from_fen(90_111));
        // Half to even: 0.5 × 1 fen → 0, 0.5 × 3 fen → 2.
        assert_eq!(ecl(Decimal::new(5, 1), Decimal::ONE, Money::from_fen(1)), Money::ZERO);
        assert_eq!(ecl(Decimal::new(5, 1), Decimal::ONE, Money::from_fen(3)), Money::from_fen(2));
        // Stage 3: PD 1, ECL = LGD × EAD.
        assert_eq!(
            ecl(pd_for(IfrsStage::Stage3, Decimal::new(1, 2), 6), Decimal::new(45, 2), ead),
            Money::from_fen(4_505_555)
        );
    }

    #[test]
    fn stages_follow_the_rules_and_the_pd_threshold() {
        let rules = ClassificationRules::CBIRC_2023;
        let sicr = Decimal::new(20, 2);
        let low = Decimal::new(1, 2);
        assert_eq!(stage(&rules, 0, false, FiveCategory::Normal, low, sicr), IfrsStage::Stage1);
        assert_eq!(stage(&rules, 0, false, FiveCategory::Normal, sicr, sicr), IfrsStage::Stage2);
        assert_eq!(stage(&rules, 31, false, FiveCategory::SpecialMention, low, sicr), IfrsStage::Stage2);
        assert_eq!(stage(&rules, 0, true, FiveCategory::SpecialMention, low, sicr), IfrsStage::Stage2);
        assert_eq!(stage(&rules, 91, false, FiveCategory::Substandard, low, sicr), IfrsStage::Stage3);
    }

    #[test]
    fn remaining_terms_count_part_months_and_matured_loans_take_the_workout_horizon() {
        assert_eq!(remaining_months(d("2026-01-15"), d("2026-07-15"), 12), 6);
        assert_eq!(remaining_months(d("2026-01-15"), d("2026-07-16"), 12), 7);
        assert_eq!(remaining_months(d("2026-01-15"), d("2026-01-16"), 12), 1);
        assert_eq!(remaining_months(d("2026-01-15"), d("2026-01-15"), 12), 12);
    }

    #[test]
    fn fallback_pd_takes_the_worse_of_grade_and_bucket() {
        use features::input::Grade;
        let t = FallbackPd::default();
        assert_eq!(fallback_pd(&t, Some(Grade::Aaa), 0), Decimal::new(5, 3));
        assert_eq!(fallback_pd(&t, Some(Grade::Aaa), 10), Decimal::new(30, 2));
        assert_eq!(fallback_pd(&t, None, 0), Decimal::new(6, 2));
        assert_eq!(fallback_pd(&t, Some(Grade::B), 120), Decimal::ONE);
    }

    #[test]
    fn interest_accrues_act_360_up_to_the_cap() {
        // 36,000.00 yuan at 5% for 30 days: 3,600,000 × 0.05 / 360 × 30 = 15,000 fen.
        let m = Money::from_yuan(36_000);
        assert_eq!(
            accrued_interest(m, Decimal::new(5, 2), d("2026-01-01"), d("2026-01-31"), 360),
            Money::from_fen(15_000)
        );
        assert_eq!(
            accrued_interest(m, Decimal::new(5, 2), d("2026-01-01"), d("2026-01-31"), 10),
            Money::from_fen(5_000)
        );
        assert_eq!(accrued_interest(m, Decimal::new(5, 2), d("2026-02-01"), d("2026-01-31"), 360), Money::ZERO);
    }
}
