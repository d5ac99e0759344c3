//! The credit-village (信用村) test of whole-village credit granting (整村授信): a village earns the title when at
//! least 70% of its households are rated credit households (信用户), at least 85% of its borrowing households have
//! no arrears, its non-performing ratio is below 5% and its new non-performing ratio below 1%
//! (`shared/domain/rural-credit-practice.md`, after the rural credit cooperatives' published criteria).
//!
//! Every criterion is computed exactly (integer counts and fen, ratios compared by cross-multiplication), and the
//! assessment says which criteria failed and by how much, so a branch knows what the village lacks.

use domain::Money;

/// What a village's assessment is computed from, as of one date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VillageFacts {
    /// Households in the village.
    pub households: u32,
    /// Of which rated credit households (信用户).
    pub credit_households: u32,
    /// Households with a loan outstanding.
    pub borrowing_households: u32,
    /// Of which with no arrears (nothing past due).
    pub borrowing_without_arrears: u32,
    /// Outstanding principal of the village's loans.
    pub outstanding: Money,
    /// Of which non-performing (substandard, doubtful, loss).
    pub non_performing: Money,
    /// Non-performing principal of loans that became non-performing in the last 12 months.
    pub new_non_performing: Money,
}

/// One criterion: its rule, the village's figure and whether it is met.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Criterion {
    /// Stable code.
    pub code: &'static str,
    /// The rule in Chinese and English.
    pub rule: &'static str,
    /// The village's figure as numerator and denominator (counts or fen).
    pub figure: (i64, i64),
    /// Whether the village meets it.
    pub met: bool,
}

impl Criterion {
    /// The figure as a percentage with one decimal, for display (`None` when the denominator is zero).
    pub fn percent(&self) -> Option<String> {
        let (num, den) = self.figure;
        if den == 0 {
            return None;
        }
        // Tenths of a percent, rounded half up, in integers.
        let tenths = (num * 2000 + den) / (2 * den);
        Some(format!("{}.{}%", tenths / 10, tenths % 10))
    }
}

/// The assessment of a village.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VillageRating {
    /// Every criterion, in the order of the rules.
    pub criteria: Vec<Criterion>,
}

impl VillageRating {
    /// Whether the village qualifies as a credit village: every criterion met.
    pub fn credit_village(&self) -> bool {
        self.criteria.iter().all(|c| c.met)
    }

    /// The criteria it fails.
    pub fn failed(&self) -> impl Iterator<Item = &Criterion> {
        self.criteria.iter().filter(|c| !c.met)
    }
}

/// `num / den ≥ pct / 100`, exactly; an empty denominator meets an "at least" rule only vacuously when nothing is
/// asked of it (no borrowers means no arrears).
fn at_least(num: i64, den: i64, pct: i64) -> bool {
    den == 0 || num * 100 >= pct * den
}

/// `num / den < pct / 100`, exactly; nothing outstanding means no non-performing loans.
fn below(num: i64, den: i64, pct: i64) -> bool {
    den == 0 || num * 100 < pct * den
}

/// Assesses a village against the credit-village criteria.
pub fn assess(facts: &VillageFacts) -> VillageRating {
    let (hh, credit) = (i64::from(facts.households), i64::from(facts.credit_households));
    let (borrowing, clean) = (i64::from(facts.borrowing_households), i64::from(facts.borrowing_without_arrears));
    let (out, npl, new) = (facts.outstanding.fen(), facts.non_performing.fen(), facts.new_non_performing.fen());
    let criteria = vec![
        Criterion {
            code: "credit-households",
            rule: "信用户占农户总数 ≥ 70% / at least 70% of households are credit households",
            figure: (credit, hh),
            // A village without households cannot qualify.
            met: hh > 0 && at_least(credit, hh, 70),
        },
        Criterion {
            code: "borrowers-without-arrears",
            rule: "无拖欠贷款户占贷款户 ≥ 85% / at least 85% of borrowing households have no arrears",
            figure: (clean, borrowing),
            met: at_least(clean, borrowing, 85),
        },
        Criterion {
            code: "npl-ratio",
            rule: "不良贷款率 < 5% / non-performing loans below 5% of outstanding",
            figure: (npl, out),
            met: below(npl, out, 5),
        },
        Criterion {
            code: "new-npl-ratio",
            rule: "新增不良贷款率 < 1% / new non-performing loans below 1% of outstanding",
            figure: (new, out),
            met: below(new, out, 1),
        },
    ];
    VillageRating { criteria }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts() -> VillageFacts {
        VillageFacts {
            households: 200,
            credit_households: 140,
            borrowing_households: 100,
            borrowing_without_arrears: 85,
            outstanding: Money::from_fen(1_000_000_000),
            non_performing: Money::from_fen(49_999_999),
            new_non_performing: Money::from_fen(9_999_999),
        }
    }

    #[test]
    fn a_village_exactly_at_every_threshold_qualifies() {
        let rating = assess(&facts());
        assert!(rating.credit_village(), "{:?}", rating.failed().collect::<Vec<_>>());
        assert_eq!(rating.criteria[0].percent().as_deref(), Some("70.0%"));
    }

    /// A criterion's code and the edit that takes the village one step past its threshold.
    type Case = (&'static str, fn(&mut VillageFacts));

    #[test]
    fn each_criterion_fails_one_step_past_its_threshold() {
        let cases: [Case; 4] = [
            ("credit-households", |f| f.credit_households = 139),
            ("borrowers-without-arrears", |f| f.borrowing_without_arrears = 84),
            ("npl-ratio", |f| f.non_performing = Money::from_fen(50_000_000)),
            ("new-npl-ratio", |f| f.new_non_performing = Money::from_fen(10_000_000)),
        ];
        for (code, edit) in cases {
            let mut f = facts();
            edit(&mut f);
            let rating = assess(&f);
            assert!(!rating.credit_village());
            let failed: Vec<&str> = rating.failed().map(|c| c.code).collect();
            assert_eq!(failed, vec![code]);
        }
    }

    #[test]
    fn an_empty_village_does_not_qualify_and_a_village_without_loans_is_judged_on_ratings() {
        let empty = VillageFacts { households: 0, credit_households: 0, ..facts() };
        assert!(!assess(&empty).credit_village());
        let no_loans = VillageFacts {
            borrowing_households: 0,
            borrowing_without_arrears: 0,
            outstanding: Money::ZERO,
            non_performing: Money::ZERO,
            new_non_performing: Money::ZERO,
            ..facts()
        };
        assert!(assess(&no_loans).credit_village());
        assert_eq!(assess(&no_loans).criteria[2].percent(), None);
    }
}
