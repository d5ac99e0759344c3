//! Static checks on the numeric intervals of a decision table, run when a policy is loaded: cells that can never
//! match (an empty interval), rules that can never be reached because an earlier rule of a `first` table covers
//! them, overlapping rules of a `unique` table, and gaps: values of a numeric column no rule covers. Only constant
//! cells are analysed; a cell with a field reference or a condition is assumed to match anything when looking for
//! gaps and nothing when looking for overlaps, so the checks never refuse a table that is right.

use std::cmp::Ordering;
use std::fmt;

use rust_decimal::Decimal;

use crate::compile::{Compiled, Item, Test};
use crate::expr::BinOp;
use crate::value::Value;

/// One end of an interval.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bound {
    /// No limit.
    Unbounded,
    /// The value is included.
    Closed(Decimal),
    /// The value is excluded.
    Open(Decimal),
}

/// A set of numbers between two bounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Interval {
    /// Lower end.
    pub low: Bound,
    /// Upper end.
    pub high: Bound,
}

/// The values a cell accepts, when that can be known statically: intervals of numbers, and whether null passes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cover {
    /// Accepted numbers.
    pub intervals: Vec<Interval>,
    /// Whether a null value passes.
    pub null: bool,
}

impl Interval {
    /// Every number.
    pub const ALL: Interval = Interval { low: Bound::Unbounded, high: Bound::Unbounded };

    /// True if no number lies in the interval.
    pub fn is_empty(&self) -> bool {
        match (self.low, self.high) {
            (Bound::Unbounded, _) | (_, Bound::Unbounded) => false,
            (Bound::Closed(a), Bound::Closed(b)) => a > b,
            (Bound::Closed(a) | Bound::Open(a), Bound::Closed(b) | Bound::Open(b)) => a >= b,
        }
    }

    /// The numbers in both intervals.
    pub fn intersect(&self, other: &Interval) -> Interval {
        let low = if cmp_low(&self.low, &other.low) == Ordering::Less { other.low } else { self.low };
        let high = if cmp_high(&self.high, &other.high) == Ordering::Less { self.high } else { other.high };
        Interval { low, high }
    }

    /// True if every number of `other` is in `self`.
    pub fn contains(&self, other: &Interval) -> bool {
        cmp_low(&self.low, &other.low) != Ordering::Greater && cmp_high(&self.high, &other.high) != Ordering::Less
    }
}

impl fmt::Display for Interval {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.low {
            Bound::Unbounded => f.write_str("(-inf")?,
            Bound::Closed(value) => write!(f, "[{}", value.normalize())?,
            Bound::Open(value) => write!(f, "({}", value.normalize())?,
        }
        f.write_str(", ")?;
        match self.high {
            Bound::Unbounded => f.write_str("+inf)"),
            Bound::Closed(value) => write!(f, "{}]", value.normalize()),
            Bound::Open(value) => write!(f, "{})", value.normalize()),
        }
    }
}

fn cmp_low(a: &Bound, b: &Bound) -> Ordering {
    match (a, b) {
        (Bound::Unbounded, Bound::Unbounded) => Ordering::Equal,
        (Bound::Unbounded, _) => Ordering::Less,
        (_, Bound::Unbounded) => Ordering::Greater,
        (Bound::Closed(x), Bound::Open(y)) if x == y => Ordering::Less,
        (Bound::Open(x), Bound::Closed(y)) if x == y => Ordering::Greater,
        (Bound::Closed(x) | Bound::Open(x), Bound::Closed(y) | Bound::Open(y)) => x.cmp(y),
    }
}

fn cmp_high(a: &Bound, b: &Bound) -> Ordering {
    match (a, b) {
        (Bound::Unbounded, Bound::Unbounded) => Ordering::Equal,
        (Bound::Unbounded, _) => Ordering::Greater,
        (_, Bound::Unbounded) => Ordering::Less,
        (Bound::Closed(x), Bound::Open(y)) if x == y => Ordering::Greater,
        (Bound::Open(x), Bound::Closed(y)) if x == y => Ordering::Less,
        (Bound::Closed(x) | Bound::Open(x), Bound::Closed(y) | Bound::Open(y)) => x.cmp(y),
    }
}

/// The numbers a test accepts, if it is made of constant comparisons, intervals and equalities only (a `null`
/// alternative adds no number). `None` for anything else.
pub fn cover(test: &Test) -> Option<Cover> {
    let Test::Items(items) = test else {
        return matches!(test, Test::Any).then(|| Cover { intervals: vec![Interval::ALL], null: true });
    };
    let mut out = Vec::with_capacity(items.len());
    let mut null = false;
    for item in items {
        let interval = match item {
            Item::Equals(value) | Item::Compare(BinOp::Eq, value) => match value.constant()? {
                Value::Null => {
                    null = true;
                    continue;
                }
                Value::Number(x) => Interval { low: Bound::Closed(*x), high: Bound::Closed(*x) },
                _ => return None,
            },
            Item::Compare(op, value) => {
                let x = number(value)?;
                match op {
                    BinOp::Lt => Interval { low: Bound::Unbounded, high: Bound::Open(x) },
                    BinOp::Le => Interval { low: Bound::Unbounded, high: Bound::Closed(x) },
                    BinOp::Gt => Interval { low: Bound::Open(x), high: Bound::Unbounded },
                    BinOp::Ge => Interval { low: Bound::Closed(x), high: Bound::Unbounded },
                    _ => return None,
                }
            }
            Item::Range { low, low_closed, high, high_closed } => {
                let (a, b) = (number(low)?, number(high)?);
                Interval {
                    low: if *low_closed { Bound::Closed(a) } else { Bound::Open(a) },
                    high: if *high_closed { Bound::Closed(b) } else { Bound::Open(b) },
                }
            }
        };
        out.push(interval);
    }
    Some(Cover { intervals: out, null })
}

fn number(value: &Compiled) -> Option<Decimal> {
    value.constant()?.as_number()
}

/// A value both covers accept, described: an interval of numbers or `null`.
pub fn overlaps(a: &Cover, b: &Cover) -> Option<String> {
    let shared = a.intervals.iter().flat_map(|x| b.intervals.iter().map(move |y| x.intersect(y)));
    match shared.into_iter().find(|both| !both.is_empty()) {
        Some(interval) => Some(interval.to_string()),
        None => (a.null && b.null).then(|| "null".to_owned()),
    }
}

/// True if every value `inner` accepts, `outer` accepts (each interval of `inner` inside one of `outer`).
pub fn covers(outer: &Cover, inner: &Cover) -> bool {
    (outer.null || !inner.null)
        && inner.intervals.iter().filter(|x| !x.is_empty()).all(|x| outer.intervals.iter().any(|y| y.contains(x)))
}

/// The first range of numbers the union of the intervals leaves uncovered, if any.
pub fn first_gap(intervals: &[Interval]) -> Option<Interval> {
    let mut sorted: Vec<&Interval> = intervals.iter().filter(|x| !x.is_empty()).collect();
    sorted.sort_by(|a, b| cmp_low(&a.low, &b.low));
    let mut reached = Bound::Unbounded;
    let mut started = false;
    for interval in sorted {
        if !started {
            if interval.low != Bound::Unbounded {
                return Some(Interval { low: Bound::Unbounded, high: flip(interval.low) });
            }
            started = true;
            reached = interval.high;
            continue;
        }
        if !connects(&reached, &interval.low) {
            return Some(Interval { low: flip(reached), high: flip(interval.low) });
        }
        if cmp_high(&interval.high, &reached) == Ordering::Greater {
            reached = interval.high;
        }
        if reached == Bound::Unbounded {
            return None;
        }
    }
    if !started {
        return Some(Interval::ALL);
    }
    (reached != Bound::Unbounded).then(|| Interval { low: flip(reached), high: Bound::Unbounded })
}

/// The complementary bound: the gap after `..5]` starts at `(5`, after `..5)` at `[5`.
fn flip(bound: Bound) -> Bound {
    match bound {
        Bound::Unbounded => Bound::Unbounded,
        Bound::Closed(x) => Bound::Open(x),
        Bound::Open(x) => Bound::Closed(x),
    }
}

/// True if an interval starting at `low` continues one that reached `high` without a hole.
fn connects(high: &Bound, low: &Bound) -> bool {
    match (high, low) {
        (Bound::Unbounded, _) | (_, Bound::Unbounded) => true,
        (Bound::Open(a), Bound::Open(b)) => b < a,
        (Bound::Closed(a) | Bound::Open(a), Bound::Closed(b) | Bound::Open(b)) => b <= a,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(n: i64) -> Decimal {
        Decimal::from(n)
    }

    fn closed(a: i64, b: i64) -> Interval {
        Interval { low: Bound::Closed(d(a)), high: Bound::Closed(d(b)) }
    }

    #[test]
    fn gaps_between_closed_and_open_ends() {
        let below = Interval { low: Bound::Unbounded, high: Bound::Open(d(18)) };
        let above = Interval { low: Bound::Open(d(65)), high: Bound::Unbounded };
        assert_eq!(first_gap(&[below, closed(18, 65), above]), None);
        let gap = first_gap(&[below, closed(19, 65), above]).expect("a gap");
        assert_eq!(gap.to_string(), "[18, 19)");
        let open_top = Interval { low: Bound::Unbounded, high: Bound::Open(d(5)) };
        let open_bottom = Interval { low: Bound::Open(d(5)), high: Bound::Unbounded };
        assert_eq!(first_gap(&[open_top, open_bottom]).expect("5 missing").to_string(), "[5, 5]");
        assert_eq!(first_gap(&[closed(0, 1)]).expect("below 0").to_string(), "(-inf, 0)");
        assert_eq!(first_gap(&[]), Some(Interval::ALL));
    }

    #[test]
    fn overlaps_and_containment() {
        let numbers = |intervals: Vec<Interval>| Cover { intervals, null: false };
        assert_eq!(
            overlaps(&numbers(vec![closed(0, 10)]), &numbers(vec![closed(10, 20)])).as_deref(),
            Some("[10, 10]")
        );
        let half_open = Interval { low: Bound::Closed(d(0)), high: Bound::Open(d(10)) };
        assert!(overlaps(&numbers(vec![half_open]), &numbers(vec![closed(10, 20)])).is_none());
        assert!(covers(&numbers(vec![Interval::ALL]), &numbers(vec![closed(1, 2)])));
        assert!(!covers(&numbers(vec![closed(1, 2)]), &numbers(vec![closed(1, 3)])));
        let only_null = Cover { intervals: Vec::new(), null: true };
        assert!(!covers(&numbers(vec![Interval::ALL]), &only_null));
        assert_eq!(overlaps(&only_null, &only_null).as_deref(), Some("null"));
        assert!(closed(3, 2).is_empty());
    }
}

#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use super::*;

    fn bound() -> impl Strategy<Value = Bound> {
        prop_oneof![
            1 => Just(Bound::Unbounded),
            4 => (-5i64..5).prop_map(|x| Bound::Closed(Decimal::from(x))),
            4 => (-5i64..5).prop_map(|x| Bound::Open(Decimal::from(x))),
        ]
    }

    fn inside(interval: &Interval, x: Decimal) -> bool {
        let above = match interval.low {
            Bound::Unbounded => true,
            Bound::Closed(low) => x >= low,
            Bound::Open(low) => x > low,
        };
        let below = match interval.high {
            Bound::Unbounded => true,
            Bound::Closed(high) => x <= high,
            Bound::Open(high) => x < high,
        };
        above && below
    }

    /// A number inside a non-empty gap: a closed end, or a point between the ends, or past the one finite end.
    fn witness(gap: &Interval) -> Decimal {
        match (gap.low, gap.high) {
            (Bound::Closed(x), _) | (_, Bound::Closed(x)) => x,
            (Bound::Open(a), Bound::Open(b)) => (a + b) / Decimal::TWO,
            (Bound::Open(a), Bound::Unbounded) => a + Decimal::ONE,
            (Bound::Unbounded, Bound::Open(b)) => b - Decimal::ONE,
            (Bound::Unbounded, Bound::Unbounded) => Decimal::ZERO,
        }
    }

    proptest! {
        /// Differential check of the sweep against sampling: no gap means every sample point is covered; a gap
        /// holds a number no interval contains.
        #[test]
        fn first_gap_agrees_with_sampling(intervals in prop::collection::vec((bound(), bound()), 0..6)) {
            let intervals: Vec<Interval> = intervals.into_iter().map(|(low, high)| Interval { low, high }).collect();
            match first_gap(&intervals) {
                None => {
                    for k in -14i64..=14 {
                        let x = Decimal::new(k, 0) / Decimal::TWO;
                        prop_assert!(intervals.iter().any(|i| inside(i, x)), "{x} uncovered");
                    }
                }
                Some(gap) => {
                    prop_assert!(!gap.is_empty(), "reported an empty gap {gap}");
                    let x = witness(&gap);
                    prop_assert!(inside(&gap, x));
                    prop_assert!(!intervals.iter().any(|i| inside(i, x)), "{x} in gap {gap} is covered");
                }
            }
        }
    }
}
