//! Typing and evaluation of expressions and unary tests. An untyped tree from `expr` is checked against the fields
//! in scope and becomes a [`Compiled`] expression whose field references are slot numbers, so evaluation neither
//! hashes names nor meets a type error. Semantics of missing values: arithmetic with null (or division by zero, or
//! an overflow) gives null; a comparison with null is false, except `== null` and `!= null`; a condition that is
//! null counts as false.
//!
//! Typing and evaluation recurse over the trees, so a compiled tree is at most [`MAX_NESTING`] deep, whatever
//! built the untyped one.

use std::borrow::Cow;
use std::cmp::Ordering;

use rust_decimal::{Decimal, RoundingStrategy};

use crate::expr::{Ast, BinOp, MAX_NESTING, TestItem};
use crate::value::{Type, Value};

/// Why a parsed expression does not type-check.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TypeError {
    /// A path names no field in scope.
    #[error("unknown field `{0}`")]
    UnknownField(String),
    /// `$` used where there is no column under test.
    #[error("`$` is only meaningful in a decision-table input cell whose column has a field")]
    NoColumn,
    /// An operator or function applied to the wrong types.
    #[error("`{operation}` needs {expected}, got {got}")]
    Mismatch {
        /// The operator or function.
        operation: String,
        /// What it accepts.
        expected: String,
        /// What it got.
        got: String,
    },
    /// A function outside the subset, or called with the wrong number of arguments.
    #[error(
        "unsupported function `{0}` (supported: min([a, b, ...]), max([a, b, ...]), min(a, b), max(a, b), abs(x), \
         floor(x), ceil(x), round(x), round(x, n))"
    )]
    UnknownFunction(String),
    /// `round`'s second argument must be a whole-number literal from 0 to 28.
    #[error("round(x, n) needs n to be a whole number from 0 to 28")]
    RoundDigits,
    /// The typed tree would be deeper than [`MAX_NESTING`]: evaluation recurses over it.
    #[error("nested deeper than {MAX_NESTING} levels (min and max of n values count n - 1 levels)")]
    Nesting,
}

/// How names in an expression are resolved.
pub trait Scope {
    /// The slot and type of a field path (`$.key` included), if it is in scope. A type of `None` is a field only
    /// ever assigned null.
    fn resolve(&self, path: &str) -> Option<(usize, Option<Type>)>;
}

/// A typed expression over slots.
#[derive(Debug, Clone, PartialEq)]
pub enum Compiled {
    /// A constant.
    Const(Value),
    /// The value of a slot.
    Slot(usize),
    /// The value of the column under test (`$`).
    Column,
    /// `-x`.
    Neg(Box<Compiled>),
    /// `not x`.
    Not(Box<Compiled>),
    /// Arithmetic.
    Arith(BinOp, Box<Compiled>, Box<Compiled>),
    /// Ordering comparison of numbers.
    Order(BinOp, Box<Compiled>, Box<Compiled>),
    /// `==` (false) or `!=` (true).
    Equal(bool, Box<Compiled>, Box<Compiled>),
    /// `and`.
    And(Box<Compiled>, Box<Compiled>),
    /// `or`.
    Or(Box<Compiled>, Box<Compiled>),
    /// `min(a, b)` (false) or `max(a, b)` (true).
    MinMax(bool, Box<Compiled>, Box<Compiled>),
    /// `abs(x)`.
    Abs(Box<Compiled>),
    /// `floor(x)` (false) or `ceil(x)` (true).
    FloorCeil(bool, Box<Compiled>),
    /// `round(x, n)`, half away from zero.
    Round(Box<Compiled>, u32),
    /// `condition ? then : otherwise`; a null condition counts as false.
    If(Box<Compiled>, Box<Compiled>, Box<Compiled>),
}

/// A typed unary test on a column value.
#[derive(Debug, Clone, PartialEq)]
pub enum Test {
    /// An empty cell: any value passes.
    Any,
    /// Alternatives; the value passes if any passes.
    Items(Vec<Item>),
    /// A whole boolean condition (a cell of a column without a field, or a cell mentioning `$`).
    Condition(Compiled),
}

/// One alternative of a unary test.
#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    /// `op value`.
    Compare(BinOp, Compiled),
    /// An interval.
    Range {
        /// Lower bound.
        low: Compiled,
        /// Whether the lower bound is included.
        low_closed: bool,
        /// Upper bound.
        high: Compiled,
        /// Whether the upper bound is included.
        high_closed: bool,
    },
    /// Equality.
    Equals(Compiled),
}

/// Types an expression; the result type is `None` only for the literal `null`. The compiled tree is at most
/// [`MAX_NESTING`] levels deep ([`TypeError::Nesting`] otherwise).
pub fn compile(
    ast: &Ast,
    scope: &dyn Scope,
    column: Option<Option<Type>>,
) -> Result<(Compiled, Option<Type>), TypeError> {
    compile_at(ast, scope, column, 1)
}

/// [`compile`] for a subtree whose root lands at `depth` in the compiled tree (the root of all is at 1).
fn compile_at(
    ast: &Ast,
    scope: &dyn Scope,
    column: Option<Option<Type>>,
    depth: usize,
) -> Result<(Compiled, Option<Type>), TypeError> {
    if depth > MAX_NESTING {
        return Err(TypeError::Nesting);
    }
    let compile = |ast: &Ast, scope: &dyn Scope, column| compile_at(ast, scope, column, depth + 1);
    Ok(match ast {
        Ast::Number(number) => (Compiled::Const(Value::Number(*number)), Some(Type::Number)),
        Ast::String(text) => (Compiled::Const(Value::from(text.as_str())), Some(Type::String)),
        Ast::Bool(flag) => (Compiled::Const(Value::Bool(*flag)), Some(Type::Bool)),
        Ast::Null => (Compiled::Const(Value::Null), None),
        Ast::Path(path) if path == "$" => (Compiled::Column, column.ok_or(TypeError::NoColumn)?),
        Ast::Path(path) => {
            let (slot, ty) = scope.resolve(path).ok_or_else(|| TypeError::UnknownField(path.clone()))?;
            if ty == Some(Type::List) {
                return Err(mismatch(path, "a number, string or boolean field", ty));
            }
            (Compiled::Slot(slot), ty)
        }
        Ast::Neg(inner) => {
            let (inner, ty) = compile(inner, scope, column)?;
            want(ty, Type::Number, "-")?;
            (Compiled::Neg(Box::new(inner)), Some(Type::Number))
        }
        Ast::Not(inner) => {
            let (inner, ty) = compile(inner, scope, column)?;
            want(ty, Type::Bool, "not")?;
            (Compiled::Not(Box::new(inner)), Some(Type::Bool))
        }
        Ast::Binary(op, left, right) => {
            let (left, left_ty) = compile(left, scope, column)?;
            let (right, right_ty) = compile(right, scope, column)?;
            let name = op_name(*op);
            let (left, right) = (Box::new(left), Box::new(right));
            match op {
                BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div => {
                    want(left_ty, Type::Number, name)?;
                    want(right_ty, Type::Number, name)?;
                    (Compiled::Arith(*op, left, right), Some(Type::Number))
                }
                BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => {
                    want(left_ty, Type::Number, name)?;
                    want(right_ty, Type::Number, name)?;
                    (Compiled::Order(*op, left, right), Some(Type::Bool))
                }
                BinOp::Eq | BinOp::Ne => {
                    if let (Some(a), Some(b)) = (left_ty, right_ty)
                        && a != b
                    {
                        return Err(TypeError::Mismatch {
                            operation: name.to_owned(),
                            expected: "operands of one type".to_owned(),
                            got: format!("{a} and {b}"),
                        });
                    }
                    (Compiled::Equal(*op == BinOp::Ne, left, right), Some(Type::Bool))
                }
                BinOp::And | BinOp::Or => {
                    want(left_ty, Type::Bool, name)?;
                    want(right_ty, Type::Bool, name)?;
                    let node = if *op == BinOp::And { Compiled::And(left, right) } else { Compiled::Or(left, right) };
                    (node, Some(Type::Bool))
                }
            }
        }
        Ast::If(condition, then, otherwise) => {
            let (condition, condition_ty) = compile(condition, scope, column)?;
            want(condition_ty, Type::Bool, "? :")?;
            let (then, then_ty) = compile(then, scope, column)?;
            let (otherwise, otherwise_ty) = compile(otherwise, scope, column)?;
            let ty = match (then_ty, otherwise_ty) {
                (Some(a), Some(b)) if a != b => {
                    return Err(TypeError::Mismatch {
                        operation: "? :".to_owned(),
                        expected: "branches of one type".to_owned(),
                        got: format!("{a} and {b}"),
                    });
                }
                (a, b) => a.or(b),
            };
            (Compiled::If(Box::new(condition), Box::new(then), Box::new(otherwise)), ty)
        }
        Ast::List(_) => {
            return Err(TypeError::UnknownFunction("a list outside min([...]) or max([...])".to_owned()));
        }
        Ast::Call(name, args) => {
            let (name, args) = (name.as_str(), args.as_slice());
            // `min([a, b])` as GoRules writes it, or `min(a, b)`.
            let operands = match (name, args) {
                ("min" | "max", [Ast::List(items)]) => items.as_slice(),
                ("min" | "max", [_, _]) | ("abs" | "floor" | "ceil", [_]) | ("round", [_] | [_, _]) => &args[..1],
                ("min" | "max" | "abs" | "floor" | "ceil" | "round", _) => {
                    return Err(TypeError::UnknownFunction(format!("{name} with {} argument(s)", args.len())));
                }
                _ => return Err(TypeError::UnknownFunction(name.to_owned())),
            };
            let operands = if matches!((name, args), ("min" | "max", [_, _])) { args } else { operands };
            let mut typed = Vec::with_capacity(operands.len());
            for (index, operand) in operands.iter().enumerate() {
                // min and max fold into a chain of pairs: the i-th operand sits i levels further down (the last
                // two side by side); a function of one operand takes one level.
                let below = if matches!(name, "min" | "max") { index.min(operands.len().saturating_sub(2)) } else { 0 };
                let (operand, ty) = compile_at(operand, scope, column, depth + 1 + below)?;
                want(ty, Type::Number, name)?;
                typed.push(operand);
            }
            let node = match name {
                "min" | "max" => {
                    let max = name == "max";
                    let mut folded = typed.pop().ok_or_else(|| TypeError::UnknownFunction(format!("{name}([])")))?;
                    while let Some(next) = typed.pop() {
                        folded = Compiled::MinMax(max, Box::new(next), Box::new(folded));
                    }
                    folded
                }
                _ => {
                    let value = Box::new(typed.pop().ok_or_else(|| TypeError::UnknownFunction(name.to_owned()))?);
                    match name {
                        "abs" => Compiled::Abs(value),
                        "floor" => Compiled::FloorCeil(false, value),
                        "ceil" => Compiled::FloorCeil(true, value),
                        _ => {
                            let digits = match args.get(1) {
                                None => 0,
                                Some(Ast::Number(n))
                                    if n.fract().is_zero() && *n >= Decimal::ZERO && *n <= Decimal::from(28) =>
                                {
                                    u32::try_from(n.mantissa() / 10i128.pow(n.scale()))
                                        .map_err(|_| TypeError::RoundDigits)?
                                }
                                Some(_) => return Err(TypeError::RoundDigits),
                            };
                            Compiled::Round(value, digits)
                        }
                    }
                }
            };
            (node, Some(Type::Number))
        }
    })
}

/// Types a unary test on a column of type `column` (`None`: the column only holds null).
pub fn compile_test(items: &[TestItem], scope: &dyn Scope, column: Option<Type>) -> Result<Test, TypeError> {
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        out.push(match item {
            TestItem::Compare(op, value) => {
                let (value, ty) = compile(value, scope, Some(column))?;
                match op {
                    BinOp::Eq | BinOp::Ne => same_type(column, ty, op_name(*op))?,
                    _ => {
                        want(column, Type::Number, op_name(*op))?;
                        want(ty, Type::Number, op_name(*op))?;
                    }
                }
                Item::Compare(*op, value)
            }
            TestItem::Range { low, low_closed, high, high_closed } => {
                let (low, low_ty) = compile(low, scope, Some(column))?;
                let (high, high_ty) = compile(high, scope, Some(column))?;
                want(column, Type::Number, "an interval")?;
                want(low_ty, Type::Number, "an interval")?;
                want(high_ty, Type::Number, "an interval")?;
                Item::Range { low, low_closed: *low_closed, high, high_closed: *high_closed }
            }
            TestItem::Equals(value) => {
                let (value, ty) = compile(value, scope, Some(column))?;
                same_type(column, ty, "==")?;
                Item::Equals(value)
            }
        });
    }
    Ok(Test::Items(out))
}

fn op_name(op: BinOp) -> &'static str {
    match op {
        BinOp::Add => "+",
        BinOp::Sub => "-",
        BinOp::Mul => "*",
        BinOp::Div => "/",
        BinOp::Lt => "<",
        BinOp::Le => "<=",
        BinOp::Gt => ">",
        BinOp::Ge => ">=",
        BinOp::Eq => "==",
        BinOp::Ne => "!=",
        BinOp::And => "and",
        BinOp::Or => "or",
    }
}

fn mismatch(operation: &str, expected: &str, got: Option<Type>) -> TypeError {
    TypeError::Mismatch {
        operation: operation.to_owned(),
        expected: expected.to_owned(),
        got: got.map_or_else(|| "null".to_owned(), |ty| ty.to_string()),
    }
}

fn want(got: Option<Type>, expected: Type, operation: &str) -> Result<(), TypeError> {
    match got {
        None => Ok(()),
        Some(ty) if ty == expected => Ok(()),
        Some(_) => Err(mismatch(operation, &format!("a {expected}"), got)),
    }
}

fn same_type(column: Option<Type>, value: Option<Type>, operation: &str) -> Result<(), TypeError> {
    match (column, value) {
        (Some(a), Some(b)) if a != b => Err(TypeError::Mismatch {
            operation: operation.to_owned(),
            expected: format!("a {a} like its column"),
            got: b.to_string(),
        }),
        _ => Ok(()),
    }
}

impl Compiled {
    /// Evaluates over the slot values, with `column` as `$`.
    pub fn eval(&self, slots: &[Value], column: &Value) -> Value {
        self.get(slots, column).into_owned()
    }

    /// Evaluates, borrowing constants and field values instead of cloning them.
    pub fn get<'v>(&'v self, slots: &'v [Value], column: &'v Value) -> Cow<'v, Value> {
        let owned = match self {
            Compiled::Const(value) => return Cow::Borrowed(value),
            Compiled::Slot(slot) => return Cow::Borrowed(&slots[*slot]),
            Compiled::Column => return Cow::Borrowed(column),
            Compiled::If(condition, then, otherwise) => {
                return if condition.holds(slots, column) {
                    then.get(slots, column)
                } else {
                    otherwise.get(slots, column)
                };
            }
            Compiled::Neg(inner) => number_op(inner.number(slots, column), |n| Some(-n)),
            Compiled::Not(inner) => Value::Bool(!inner.holds(slots, column)),
            Compiled::Arith(op, left, right) => {
                let (Some(a), Some(b)) = (left.number(slots, column), right.number(slots, column)) else {
                    return Cow::Owned(Value::Null);
                };
                let result = match op {
                    BinOp::Add => a.checked_add(b),
                    BinOp::Sub => a.checked_sub(b),
                    BinOp::Mul => a.checked_mul(b),
                    _ => a.checked_div(b),
                };
                result.map_or(Value::Null, Value::Number)
            }
            Compiled::Order(..) | Compiled::Equal(..) | Compiled::And(..) | Compiled::Or(..) => {
                Value::Bool(self.holds(slots, column))
            }
            Compiled::MinMax(max, left, right) => {
                let (Some(a), Some(b)) = (left.number(slots, column), right.number(slots, column)) else {
                    return Cow::Owned(Value::Null);
                };
                Value::Number(if *max { a.max(b) } else { a.min(b) })
            }
            Compiled::Abs(inner) => number_op(inner.number(slots, column), |n| Some(n.abs())),
            Compiled::FloorCeil(ceil, inner) => {
                number_op(inner.number(slots, column), |n| Some(if *ceil { n.ceil() } else { n.floor() }))
            }
            Compiled::Round(inner, digits) => number_op(inner.number(slots, column), |n| {
                Some(n.round_dp_with_strategy(*digits, RoundingStrategy::MidpointAwayFromZero))
            }),
        };
        Cow::Owned(owned)
    }

    /// Evaluates to a number, or `None` for null.
    fn number(&self, slots: &[Value], column: &Value) -> Option<Decimal> {
        self.get(slots, column).as_number()
    }

    /// Evaluates as a condition: true only for a true boolean.
    pub fn holds(&self, slots: &[Value], column: &Value) -> bool {
        match self {
            Compiled::Order(op, left, right) => {
                let (Some(a), Some(b)) = (left.number(slots, column), right.number(slots, column)) else {
                    return false;
                };
                order_holds(*op, a.cmp(&b))
            }
            Compiled::Equal(negate, left, right) => (left.get(slots, column) == right.get(slots, column)) != *negate,
            Compiled::And(left, right) => left.holds(slots, column) && right.holds(slots, column),
            Compiled::Or(left, right) => left.holds(slots, column) || right.holds(slots, column),
            Compiled::Not(inner) => !inner.holds(slots, column),
            other => *other.get(slots, column) == Value::Bool(true),
        }
    }

    /// The constant this expression is, if it has no field references.
    pub fn constant(&self) -> Option<&Value> {
        match self {
            Compiled::Const(value) => Some(value),
            _ => None,
        }
    }
}

impl Test {
    /// Whether the column value passes.
    pub fn passes(&self, slots: &[Value], column: &Value) -> bool {
        match self {
            Test::Any => true,
            Test::Condition(condition) => condition.holds(slots, column),
            Test::Items(items) => items.iter().any(|item| item.passes(slots, column)),
        }
    }
}

impl Item {
    fn passes(&self, slots: &[Value], column: &Value) -> bool {
        match self {
            Item::Equals(value) | Item::Compare(BinOp::Eq, value) => *value.get(slots, column) == *column,
            Item::Compare(BinOp::Ne, value) => *value.get(slots, column) != *column,
            Item::Compare(op, value) => match (column.as_number(), value.number(slots, column)) {
                (Some(a), Some(b)) => order_holds(*op, a.cmp(&b)),
                _ => false,
            },
            Item::Range { low, low_closed, high, high_closed } => {
                let (Some(x), Some(lo), Some(hi)) =
                    (column.as_number(), low.number(slots, column), high.number(slots, column))
                else {
                    return false;
                };
                let above = if *low_closed { x >= lo } else { x > lo };
                let below = if *high_closed { x <= hi } else { x < hi };
                above && below
            }
        }
    }
}

fn order_holds(op: BinOp, ordering: Ordering) -> bool {
    match op {
        BinOp::Lt => ordering == Ordering::Less,
        BinOp::Le => ordering != Ordering::Greater,
        BinOp::Gt => ordering == Ordering::Greater,
        BinOp::Ge => ordering != Ordering::Less,
        _ => false,
    }
}

fn number_op(value: Option<Decimal>, f: impl Fn(Decimal) -> Option<Decimal>) -> Value {
    value.and_then(f).map_or(Value::Null, Value::Number)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::{parse_expression, parse_unary_test};

    struct Fields;

    impl Scope for Fields {
        fn resolve(&self, path: &str) -> Option<(usize, Option<Type>)> {
            match path {
                "a" => Some((0, Some(Type::Number))),
                "b" => Some((1, Some(Type::Number))),
                "s" => Some((2, Some(Type::String))),
                "flag" => Some((3, Some(Type::Bool))),
                _ => None,
            }
        }
    }

    fn slots() -> Vec<Value> {
        vec![Value::Number(Decimal::new(15, 1)), Value::Null, Value::from("planting"), Value::Bool(true)]
    }

    fn eval(text: &str) -> Value {
        let ast = parse_expression(text).expect("parses");
        let (compiled, _) = compile(&ast, &Fields, None).expect("types");
        compiled.eval(&slots(), &Value::Null)
    }

    fn dec(text: &str) -> Value {
        Value::Number(text.parse().expect("decimal"))
    }

    #[test]
    fn exact_decimal_arithmetic() {
        assert_eq!(eval("0.1 + 0.2"), dec("0.3"));
        assert_eq!(eval("a * 3 - 1"), dec("3.5"));
        assert_eq!(eval("round(2 / 3, 4)"), dec("0.6667"));
        assert_eq!(eval("round(2.5, 0)"), dec("3"));
        assert_eq!(eval("min(a, 1) + max(a, 10)"), dec("11"));
        assert_eq!(eval("min([a, 3, 0.5]) + max([a])"), dec("2"));
        assert_eq!(eval("round(2.5) + round(-2.5)"), dec("0"));
        assert_eq!(eval("max([a, b])"), Value::Null);
        assert_eq!(eval("floor(a) + ceil(a) + abs(-2)"), dec("5"));
        assert_eq!(eval("a > 1 ? \"high\" : \"low\""), Value::from("high"));
        assert_eq!(eval("b > 1 ? 1 : null"), Value::Null);
    }

    #[test]
    fn nulls_propagate_and_fail_comparisons() {
        assert_eq!(eval("b + 1"), Value::Null);
        assert_eq!(eval("a / 0"), Value::Null);
        assert_eq!(eval("b > 1"), Value::Bool(false));
        assert_eq!(eval("b == null"), Value::Bool(true));
        assert_eq!(eval("not (b > 1)"), Value::Bool(true));
        assert_eq!(eval("s == \"planting\" and flag"), Value::Bool(true));
    }

    #[test]
    fn type_errors_are_caught_at_compile_time() {
        let check = |text: &str| compile(&parse_expression(text).expect("parses"), &Fields, None).map(|_| ());
        assert!(matches!(check("s + 1"), Err(TypeError::Mismatch { .. })));
        assert!(matches!(check("a and flag"), Err(TypeError::Mismatch { .. })));
        assert!(matches!(check("s == 1"), Err(TypeError::Mismatch { .. })));
        assert_eq!(check("nope > 1"), Err(TypeError::UnknownField("nope".into())));
        assert!(matches!(check("len(s)"), Err(TypeError::UnknownFunction(_))));
        assert!(matches!(check("min(a)"), Err(TypeError::UnknownFunction(_))));
        assert!(matches!(check("[a, b]"), Err(TypeError::UnknownFunction(_))));
        assert!(matches!(check("max([a, s])"), Err(TypeError::Mismatch { .. })));
        assert_eq!(check("round(a, b)"), Err(TypeError::RoundDigits));
        assert_eq!(check("$ > 1"), Err(TypeError::NoColumn));
    }

    #[test]
    fn trees_at_the_nesting_limit_type_and_evaluate_on_a_small_stack() {
        let deepest = [
            ("-".repeat(MAX_NESTING - 1) + "a", dec("-1.5")),
            ("a + ".repeat(MAX_NESTING - 1) + "a", dec("96")),
            ("not ".repeat(MAX_NESTING - 3) + "(a > 1)", Value::Bool(false)),
            ("abs(".repeat(MAX_NESTING - 1) + "a" + &")".repeat(MAX_NESTING - 1), dec("1.5")),
            (format!("max([{}])", vec!["a"; MAX_NESTING].join(", ")), dec("1.5")),
            ("b > 1 ? 0 : ".repeat(MAX_NESTING - 2) + "a", dec("1.5")),
        ];
        for (text, expected) in deepest {
            let value = crate::on_small_stack(|| eval(&text));
            assert_eq!(value, expected, "{}", &text[..20]);
        }
    }

    #[test]
    fn typed_trees_deeper_than_the_limit_are_refused() {
        let check = |text: String| compile(&parse_expression(&text).expect("parses"), &Fields, None).map(drop);
        // min and max of n values fold into n - 1 levels of pairs.
        let many = |n: usize| format!("min([{}])", vec!["a"; n].join(", "));
        assert_eq!(check(many(MAX_NESTING + 1)), Err(TypeError::Nesting));
        assert_eq!(check(many(2_000)), Err(TypeError::Nesting));
        // Below 61 minus signs, `min([a, a, a])` is 3 levels as parsed (call, list, value) and as typed (two pairs,
        // values); `min([a, a, a, a])` parses in 3 levels too but types into 4.
        assert_eq!(check("-".repeat(MAX_NESTING - 3) + &many(3)), Ok(()));
        assert_eq!(check("-".repeat(MAX_NESTING - 3) + &many(4)), Err(TypeError::Nesting));
        // A tree built by hand, not by the parser, is bounded too.
        let mut ast = Ast::Path("a".into());
        for _ in 0..1_000 {
            ast = Ast::Neg(Box::new(ast));
        }
        let refused = crate::on_small_stack(move || compile(&ast, &Fields, None).map(drop));
        assert_eq!(refused, Err(TypeError::Nesting));
        assert_eq!(
            TypeError::Nesting.to_string(),
            "nested deeper than 64 levels (min and max of n values count n - 1 levels)"
        );
    }

    #[test]
    fn unary_tests() {
        let test = |text: &str, column: Type, value: Value| {
            let items = parse_unary_test(text).expect("parses");
            compile_test(&items, &Fields, Some(column)).expect("types").passes(&slots(), &value)
        };
        assert!(test("[18..65]", Type::Number, dec("65")));
        assert!(!test("[18..65)", Type::Number, dec("65")));
        assert!(test("> 600", Type::Number, dec("601")));
        assert!(!test("> 600", Type::Number, Value::Null));
        assert!(test("\"planting\", \"livestock\"", Type::String, Value::from("livestock")));
        assert!(test("null, 0", Type::Number, Value::Null));
        assert!(test("true", Type::Bool, Value::Bool(true)));
        assert!(test("!= 0", Type::Number, Value::Null));
        assert!(test("< a", Type::Number, dec("1")));
        let items = parse_unary_test("> 1").expect("parses");
        assert!(compile_test(&items, &Fields, Some(Type::String)).is_err());
    }
}
