//! Portfolio quality on a date: outstanding principal by class, the NPL ratio and portfolio at risk (PAR1, PAR30,
//! PAR90), from one [`Exposure`] per loan.
//!
//! Definitions (`shared/domain/risk-classification.md`, CGAP):
//! - **NPL ratio** = outstanding principal of loans in a non-performing class (次级, 可疑, 损失) ÷ gross outstanding
//!   principal;
//! - **PAR*n*** = outstanding principal of loans *more than* n days past due, plus every restructured loan, ÷ gross
//!   outstanding principal. The whole balance of such a loan counts, not only its overdue part.
//!
//! Ratios are exact: the quotient of whole fen rounded once to four decimal places, half to even (0.00005 → 0.0000,
//! 0.00015 → 0.0002); an empty portfolio has ratios of zero. Since a loan more than 90 days past due is also more
//! than 30 and more than 1, PAR90 ≤ PAR30 ≤ PAR1, and every ratio lies in [0, 1] (property tests below).

use domain::{Decimal, Money, MoneyError};

use crate::classify::FiveCategory;
use crate::servicing::LoanState;

/// Why a portfolio cannot be summed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PortfolioError {
    /// A loan's outstanding principal is negative.
    #[error("outstanding: {outstanding} is negative")]
    NegativeOutstanding {
        /// The amount given.
        outstanding: Money,
    },
    /// A total does not fit in 64-bit fen.
    #[error("{field}: the total overflows 64-bit fen")]
    Overflow {
        /// The total that overflowed, e.g. `outstanding` or `par30`.
        field: &'static str,
    },
}

/// What one loan brings to portfolio quality on a date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Exposure {
    outstanding: Money,
    dpd: u32,
    class: FiveCategory,
    restructured: bool,
}

impl Exposure {
    /// A loan with `outstanding` principal (not negative), `dpd` days past due, in `class`, ever restructured or
    /// not.
    pub fn new(
        outstanding: Money,
        dpd: u32,
        class: FiveCategory,
        restructured: bool,
    ) -> Result<Exposure, PortfolioError> {
        if outstanding.is_negative() {
            return Err(PortfolioError::NegativeOutstanding { outstanding });
        }
        Ok(Exposure { outstanding, dpd, class, restructured })
    }

    /// The exposure of a loan in its replayed state.
    pub fn of(state: &LoanState) -> Exposure {
        Exposure {
            // Principal unpaid is never negative (an invariant of servicing); the floor keeps this one total.
            outstanding: state.principal_outstanding.max(Money::ZERO),
            dpd: state.standing.dpd,
            class: state.standing.class,
            restructured: state.restructured,
        }
    }

    /// Outstanding principal.
    pub fn outstanding(&self) -> Money {
        self.outstanding
    }

    /// Days past due.
    pub fn dpd(&self) -> u32 {
        self.dpd
    }

    /// Five-category class.
    pub fn class(&self) -> FiveCategory {
        self.class
    }

    /// Ever restructured.
    pub fn restructured(&self) -> bool {
        self.restructured
    }

    /// Whether it counts towards PAR over `over_dpd` days: more than that many days past due, or restructured.
    pub fn at_risk(&self, over_dpd: u32) -> bool {
        self.dpd > over_dpd || self.restructured
    }
}

/// The portfolio-at-risk windows reported: PAR1, PAR30 and PAR90.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ParWindow {
    /// More than 1 day past due.
    Over1,
    /// More than 30 days past due.
    Over30,
    /// More than 90 days past due.
    Over90,
}

impl ParWindow {
    /// Every window, shortest first.
    pub const ALL: [ParWindow; 3] = [ParWindow::Over1, ParWindow::Over30, ParWindow::Over90];

    /// The DPD a loan must exceed to be at risk.
    pub fn over_dpd(self) -> u32 {
        match self {
            ParWindow::Over1 => 1,
            ParWindow::Over30 => 30,
            ParWindow::Over90 => 90,
        }
    }

    /// The name used in files: `par1`, `par30`, `par90`.
    pub fn code(self) -> &'static str {
        match self {
            ParWindow::Over1 => "par1",
            ParWindow::Over30 => "par30",
            ParWindow::Over90 => "par90",
        }
    }

    fn index(self) -> usize {
        match self {
            ParWindow::Over1 => 0,
            ParWindow::Over30 => 1,
            ParWindow::Over90 => 2,
        }
    }
}

/// Portfolio quality: totals and ratios over a list of exposures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortfolioQuality {
    loans: usize,
    outstanding: Money,
    by_class: [Money; 5],
    at_risk: [Money; 3],
}

impl PortfolioQuality {
    /// Sums the exposures; every total is checked, so an overflow is an error, never a panic.
    pub fn of(exposures: &[Exposure]) -> Result<PortfolioQuality, PortfolioError> {
        let add = |total: Money, part: Money, field: &'static str| {
            total.checked_add(part).map_err(|_: MoneyError| PortfolioError::Overflow { field })
        };
        let mut q = PortfolioQuality {
            loans: exposures.len(),
            outstanding: Money::ZERO,
            by_class: [Money::ZERO; 5],
            at_risk: [Money::ZERO; 3],
        };
        for e in exposures {
            q.outstanding = add(q.outstanding, e.outstanding, "outstanding")?;
            let class = class_index(e.class);
            q.by_class[class] = add(q.by_class[class], e.outstanding, e.class.code())?;
            for w in ParWindow::ALL {
                if e.at_risk(w.over_dpd()) {
                    q.at_risk[w.index()] = add(q.at_risk[w.index()], e.outstanding, w.code())?;
                }
            }
        }
        Ok(q)
    }

    /// Number of loans.
    pub fn loans(&self) -> usize {
        self.loans
    }

    /// Gross outstanding principal.
    pub fn outstanding(&self) -> Money {
        self.outstanding
    }

    /// Outstanding principal of one class.
    pub fn outstanding_in(&self, class: FiveCategory) -> Money {
        self.by_class[class_index(class)]
    }

    /// Outstanding principal by class, best to worst.
    pub fn outstanding_by_class(&self) -> [(FiveCategory, Money); 5] {
        FiveCategory::ALL.map(|c| (c, self.outstanding_in(c)))
    }

    /// Outstanding principal in the non-performing classes (次级 + 可疑 + 损失). It cannot overflow: it is at most
    /// the gross outstanding, which was summed with checks.
    pub fn non_performing(&self) -> Money {
        let fen: i64 =
            FiveCategory::ALL.iter().filter(|c| c.is_non_performing()).map(|c| self.outstanding_in(*c).fen()).sum();
        Money::from_fen(fen)
    }

    /// The NPL ratio: non-performing ÷ gross outstanding, 4 decimal places.
    pub fn npl_ratio(&self) -> Decimal {
        ratio(self.non_performing(), self.outstanding)
    }

    /// Outstanding principal at risk over a window (the numerator of its PAR).
    pub fn at_risk(&self, window: ParWindow) -> Money {
        self.at_risk[window.index()]
    }

    /// Portfolio at risk over a window: at risk ÷ gross outstanding, 4 decimal places.
    pub fn par(&self, window: ParWindow) -> Decimal {
        ratio(self.at_risk(window), self.outstanding)
    }

    /// PAR1.
    pub fn par1(&self) -> Decimal {
        self.par(ParWindow::Over1)
    }

    /// PAR30.
    pub fn par30(&self) -> Decimal {
        self.par(ParWindow::Over30)
    }

    /// PAR90.
    pub fn par90(&self) -> Decimal {
        self.par(ParWindow::Over90)
    }
}

fn class_index(class: FiveCategory) -> usize {
    match class {
        FiveCategory::Normal => 0,
        FiveCategory::SpecialMention => 1,
        FiveCategory::Substandard => 2,
        FiveCategory::Doubtful => 3,
        FiveCategory::Loss => 4,
    }
}

/// `part ÷ whole` to 4 decimal places, half to even, computed exactly on whole fen; 0 when `whole` is zero.
pub fn ratio(part: Money, whole: Money) -> Decimal {
    if whole.is_zero() {
        return Decimal::ZERO;
    }
    // In units of 0.0001: q = part × 10,000 ÷ whole, exactly, as a quotient and a remainder.
    let (num, den) = (i128::from(part.fen()) * 10_000, i128::from(whole.fen()));
    let (mut q, r) = (num / den, num % den);
    // Round half to even on |r| / |den| (the quotient truncated toward zero).
    let (twice_r, abs_den) = (2 * r.abs(), den.abs());
    let away = twice_r > abs_den || (twice_r == abs_den && q % 2 != 0);
    if away {
        q += if (num < 0) == (den < 0) { 1 } else { -1 };
    }
    // |part| and |whole| are below 2^63, so |q| ≤ 10,000 × 2^63 and fits Decimal's 96-bit mantissa.
    Decimal::from_i128_with_scale(q, 4)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn exposure(yuan: i64, dpd: u32, class: FiveCategory, restructured: bool) -> Exposure {
        Exposure::new(Money::from_yuan(yuan), dpd, class, restructured).expect("non-negative")
    }

    #[test]
    fn npl_and_par_count_whole_balances() {
        use FiveCategory::*;
        let book = [
            exposure(60_000, 0, Normal, false),
            exposure(10_000, 1, SpecialMention, false),
            exposure(10_000, 2, SpecialMention, false),
            exposure(5_000, 31, SpecialMention, false),
            exposure(5_000, 0, SpecialMention, true),
            exposure(4_000, 91, Substandard, false),
            exposure(6_000, 400, Loss, false),
        ];
        let q = PortfolioQuality::of(&book).expect("small totals");
        assert_eq!((q.loans(), q.outstanding()), (7, Money::from_yuan(100_000)));
        assert_eq!(q.non_performing(), Money::from_yuan(10_000));
        assert_eq!(q.npl_ratio(), Decimal::new(1000, 4));
        // PAR1 excludes the loan exactly 1 day late ("more than 1 day"); restructured counts everywhere.
        assert_eq!(q.at_risk(ParWindow::Over1), Money::from_yuan(30_000));
        assert_eq!(
            (q.par1(), q.par30(), q.par90()),
            (Decimal::new(3000, 4), Decimal::new(2000, 4), Decimal::new(1500, 4))
        );
        assert_eq!(q.outstanding_in(SpecialMention), Money::from_yuan(30_000));
        assert_eq!(PortfolioQuality::of(&[]).map(|q| q.par30()), Ok(Decimal::ZERO));
    }

    #[test]
    fn ratios_round_half_to_even_at_four_places() {
        let r = |part, whole| ratio(Money::from_fen(part), Money::from_fen(whole));
        assert_eq!(r(1, 20_000), Decimal::ZERO); // 0.00005 → 0.0000
        assert_eq!(r(3, 20_000), Decimal::new(2, 4)); // 0.00015 → 0.0002
        assert_eq!(r(2, 3), Decimal::new(6667, 4));
        assert_eq!(r(1, 3), Decimal::new(3333, 4));
        assert_eq!(r(-1, 3), Decimal::new(-3333, 4));
        assert_eq!(r(5, 0), Decimal::ZERO);
        assert_eq!(r(i64::MAX, i64::MAX), Decimal::ONE);
    }

    #[test]
    fn negative_balances_and_overflowing_totals_are_errors() {
        assert!(matches!(
            Exposure::new(Money::from_fen(-1), 0, FiveCategory::Normal, false),
            Err(PortfolioError::NegativeOutstanding { .. })
        ));
        let huge = Exposure::new(Money::from_fen(i64::MAX), 0, FiveCategory::Normal, false).expect("non-negative");
        assert_eq!(PortfolioQuality::of(&[huge, huge]), Err(PortfolioError::Overflow { field: "outstanding" }));
    }

    fn any_exposure() -> impl Strategy<Value = Exposure> {
        (0i64..=Money::MAX_INPUT_FEN, 0u32..800, 0usize..5, any::<bool>()).prop_map(|(fen, dpd, c, restructured)| {
            Exposure::new(Money::from_fen(fen), dpd, FiveCategory::ALL[c], restructured).expect("non-negative")
        })
    }

    proptest! {
        #[test]
        fn ratios_lie_in_zero_one_and_par_windows_nest(book in proptest::collection::vec(any_exposure(), 0..40)) {
            let q = PortfolioQuality::of(&book).expect("bounded amounts cannot overflow");
            for r in [q.npl_ratio(), q.par1(), q.par30(), q.par90()] {
                prop_assert!(Decimal::ZERO <= r && r <= Decimal::ONE, "{r}");
                prop_assert!(r.scale() <= 4);
            }
            prop_assert!(q.par90() <= q.par30() && q.par30() <= q.par1());
            prop_assert!(q.at_risk(ParWindow::Over90) <= q.at_risk(ParWindow::Over30));
            prop_assert!(q.at_risk(ParWindow::Over30) <= q.at_risk(ParWindow::Over1));
            let by_class = Money::checked_sum(q.outstanding_by_class().map(|(_, m)| m));
            prop_assert_eq!(by_class, Ok(q.outstanding()));
        }

        #[test]
        fn the_ratio_is_the_exact_quotient_rounded_half_even(part in 0i64..1_000_000_000, extra in 0i64..1_000_000_000) {
            let whole = part + extra;
            prop_assume!(whole > 0);
            // Decimal's own division keeps 28 significant digits, far more than a quotient of fen needs to be
            // rounded right at four places; `round_dp` rounds half to even.
            let expected = (Decimal::from(part) / Decimal::from(whole)).round_dp(4);
            prop_assert_eq!(ratio(Money::from_fen(part), Money::from_fen(whole)), expected);
        }
    }
}
