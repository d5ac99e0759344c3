//! Cross-column rules: after every field of a row has parsed on its own, the contract's [`Rule`]s are checked
//! against the row as a whole ("`insurance_cover` empty iff not `insured`", "`amount_paid` ≤ `amount_due`"). The
//! first broken rule is reported as a [`Broken`] naming the columns involved and their values, masked where the
//! column holds personal data, so the validator can quarantine the row as `cross-column`.

use std::borrow::Cow;
use std::cmp::Ordering;

use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::contract::{Condition, Contract, Rule};
use crate::value::{Value, masked_for_report};

/// A rule a row breaks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Broken {
    /// The first column the rule names (the quarantine record's field).
    pub column: &'static str,
    /// The first column's value as a report may show it.
    pub value: String,
    /// What is wrong, naming every column involved.
    pub detail: String,
}

/// One parsed row: each column's text as read and its typed value, in contract column order.
pub(crate) struct Row<'r> {
    pub contract: &'static Contract,
    pub texts: &'r [Cow<'r, str>],
    pub values: &'r [Value],
}

impl Row<'_> {
    fn index(&self, column: &str) -> usize {
        self.contract.column_index(column).expect("contract rules name the contract's own columns")
    }

    fn text(&self, column: &str) -> &str {
        self.texts[self.index(column)].as_ref()
    }

    fn value(&self, column: &str) -> &Value {
        &self.values[self.index(column)]
    }

    /// The text of a column as a quarantine detail may show it.
    fn shown(&self, column: &str) -> String {
        let ty = self.contract.columns[self.index(column)].ty;
        let text = self.text(column);
        if text.is_empty() { "empty".to_owned() } else { format!("`{}`", masked_for_report(&ty, text)) }
    }
}

/// A value that can be compared or added: numbers of any column kind, dates, months.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ordinal {
    Number(Decimal),
    Date(NaiveDate),
    Month(i32, u32),
}

fn ordinal(value: &Value) -> Option<Ordinal> {
    match value {
        Value::Int(n) => Some(Ordinal::Number(Decimal::from(*n))),
        Value::Decimal(d) | Value::Rate(d) => Some(Ordinal::Number(*d)),
        Value::Amount(m) => Some(Ordinal::Number(m.to_yuan_decimal())),
        Value::Date(d) => Some(Ordinal::Date(*d)),
        Value::Month { year, month } => Some(Ordinal::Month(*year, *month)),
        _ => None,
    }
}

fn number(value: &Value) -> Option<Decimal> {
    match ordinal(value) {
        Some(Ordinal::Number(n)) => Some(n),
        _ => None,
    }
}

/// Compares two values of the same kind; `None` when either is absent (the rule then holds vacuously).
fn compare(a: &Value, b: &Value) -> Option<Ordering> {
    match (ordinal(a)?, ordinal(b)?) {
        (Ordinal::Number(x), Ordinal::Number(y)) => Some(x.cmp(&y)),
        (Ordinal::Date(x), Ordinal::Date(y)) => Some(x.cmp(&y)),
        (Ordinal::Month(xy, xm), Ordinal::Month(yy, ym)) => Some((xy, xm).cmp(&(yy, ym))),
        _ => None,
    }
}

fn holds(row: &Row<'_>, condition: &Condition) -> bool {
    match *condition {
        Condition::Present(column) => !row.text(column).is_empty(),
        Condition::Absent(column) => row.text(column).is_empty(),
        Condition::Is { column, values } => values.contains(&row.text(column)),
        Condition::IsNot { column, values } => {
            let text = row.text(column);
            !text.is_empty() && !values.contains(&text)
        }
        Condition::Zero(column) => number(row.value(column)).is_some_and(|n| n.is_zero()),
        Condition::Positive(column) => number(row.value(column)).is_some_and(|n| n > Decimal::ZERO),
    }
}

/// "`insured` is `true`", or its negation when `holding` is false.
fn describe(condition: &Condition, holding: bool) -> String {
    let list = |values: &[&str]| values.iter().map(|v| format!("`{v}`")).collect::<Vec<_>>().join(" or ");
    match (*condition, holding) {
        (Condition::Present(c), true) | (Condition::Absent(c), false) => format!("`{c}` is present"),
        (Condition::Present(c), false) | (Condition::Absent(c), true) => format!("`{c}` is empty"),
        (Condition::Is { column, values }, true) => format!("`{column}` is {}", list(values)),
        (Condition::Is { column, values }, false) => format!("`{column}` is not {}", list(values)),
        (Condition::IsNot { column, values }, true) => format!("`{column}` is not {}", list(values)),
        (Condition::IsNot { column, values }, false) => format!("`{column}` is empty or {}", list(values)),
        (Condition::Zero(c), true) => format!("`{c}` is 0"),
        (Condition::Zero(c), false) => format!("`{c}` is not 0"),
        (Condition::Positive(c), true) => format!("`{c}` > 0"),
        (Condition::Positive(c), false) => format!("`{c}` is not > 0"),
    }
}

/// Checks one rule against a row.
fn check(row: &Row<'_>, rule: &Rule) -> Result<(), String> {
    match *rule {
        Rule::StartsWithColumn { column, prefix } => {
            let (text, start) = (row.text(column), row.text(prefix));
            if text.is_empty() || start.is_empty() || text.starts_with(start) {
                return Ok(());
            }
            Err(format!("`{column}` ({}) does not start with `{prefix}` ({})", row.shown(column), row.shown(prefix)))
        }
        Rule::EqualsSum { total, parts } => {
            let Some(want) = number(row.value(total)) else { return Ok(()) };
            let Some(sum) = parts.iter().map(|p| number(row.value(p))).sum::<Option<Decimal>>() else { return Ok(()) };
            if want == sum {
                return Ok(());
            }
            let names = parts.iter().map(|p| format!("`{p}`")).collect::<Vec<_>>().join(" + ");
            let values = parts.iter().map(|p| row.text(p)).collect::<Vec<_>>().join(" + ");
            Err(format!("`{total}` ({}) is not {names} ({values} = {sum})", row.shown(total)))
        }
        Rule::Less { a, b } => match compare(row.value(a), row.value(b)) {
            Some(Ordering::Greater | Ordering::Equal) => {
                Err(format!("`{a}` ({}) is not less than `{b}` ({})", row.shown(a), row.shown(b)))
            }
            _ => Ok(()),
        },
        Rule::NotGreater { a, b } => match compare(row.value(a), row.value(b)) {
            Some(Ordering::Greater) => {
                Err(format!("`{a}` ({}) is greater than `{b}` ({})", row.shown(a), row.shown(b)))
            }
            _ => Ok(()),
        },
        Rule::Iff(p, q) => {
            let (hp, hq) = (holds(row, &p), holds(row, &q));
            if hp == hq {
                return Ok(());
            }
            Err(format!(
                "{} ({}) but {} ({}): the contract requires both or neither",
                describe(&p, hp),
                row.shown(p.column()),
                describe(&q, hq),
                row.shown(q.column())
            ))
        }
        Rule::Implies(p, q) => {
            if !holds(row, &p) || holds(row, &q) {
                return Ok(());
            }
            Err(format!(
                "{} ({}) but {} ({})",
                describe(&p, true),
                row.shown(p.column()),
                describe(&q, false),
                row.shown(q.column())
            ))
        }
    }
}

/// The first of the contract's rules the row breaks, if any.
pub(crate) fn first_broken(row: &Row<'_>) -> Option<Broken> {
    row.contract.rules.iter().find_map(|rule| {
        let detail = check(row, rule).err()?;
        let column = rule.columns()[0];
        let ty = row.contract.columns[row.index(column)].ty;
        Some(Broken { column, value: masked_for_report(&ty, row.text(column)), detail })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::{Column, ColumnType, IntRange};
    use crate::value::parse;

    const INT: ColumnType = ColumnType::Int(IntRange { min: None, max: None });

    const TOY: Contract = Contract {
        name: "toy",
        version: 2,
        columns: &[
            Column { name: "a", ty: INT, optional: true },
            Column { name: "b", ty: INT, optional: true },
            Column { name: "c", ty: INT, optional: true },
            Column { name: "flag", ty: ColumnType::Bool, optional: false },
        ],
        key: &[],
        foreign_keys: &[],
        rules: &[],
    };

    fn row_check(rule: Rule, texts: [&str; 4]) -> Result<(), String> {
        let texts: Vec<Cow<'_, str>> = texts.iter().map(|t| Cow::Borrowed(*t)).collect();
        let values: Vec<Value> = TOY
            .columns
            .iter()
            .zip(&texts)
            .map(|(c, t)| if t.is_empty() { Value::Absent } else { parse(&c.ty, t).expect("test values parse") })
            .collect();
        check(&Row { contract: &TOY, texts: &texts, values: &values }, &rule)
    }

    #[test]
    fn comparisons_hold_vacuously_when_a_side_is_absent() {
        let rule = Rule::NotGreater { a: "a", b: "b" };
        assert_eq!(row_check(rule, ["1", "2", "", "true"]), Ok(()));
        assert_eq!(row_check(rule, ["2", "2", "", "true"]), Ok(()));
        assert_eq!(row_check(rule, ["", "2", "", "true"]), Ok(()));
        assert_eq!(row_check(rule, ["3", "2", "", "true"]), Err("`a` (`3`) is greater than `b` (`2`)".to_owned()));
        assert!(row_check(Rule::Less { a: "a", b: "b" }, ["2", "2", "", "true"]).is_err());
    }

    #[test]
    fn sums_and_conditions() {
        let sum = Rule::EqualsSum { total: "a", parts: &["b", "c"] };
        assert_eq!(row_check(sum, ["5", "3", "2", "true"]), Ok(()));
        assert_eq!(row_check(sum, ["5", "3", "3", "true"]), Err("`a` (`5`) is not `b` + `c` (3 + 3 = 6)".to_owned()));
        let iff = Rule::Iff(Condition::Present("a"), Condition::Is { column: "flag", values: &["true"] });
        assert_eq!(row_check(iff, ["1", "", "", "true"]), Ok(()));
        assert_eq!(row_check(iff, ["", "", "", "false"]), Ok(()));
        assert_eq!(
            row_check(iff, ["", "", "", "true"]),
            Err("`a` is empty (empty) but `flag` is `true` (`true`): the contract requires both or neither".to_owned())
        );
        let implies = Rule::Implies(Condition::Zero("a"), Condition::Positive("b"));
        assert_eq!(row_check(implies, ["1", "0", "", "true"]), Ok(()));
        assert_eq!(
            row_check(implies, ["0", "0", "", "true"]),
            Err("`a` is 0 (`0`) but `b` is not > 0 (`0`)".to_owned())
        );
    }
}
