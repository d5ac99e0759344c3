//! Arbitrary text through the expression and unary-test parsers, then typing against a few fields and
//! evaluation: nothing panics or overflows the stack, a parsed text types or is refused, a typed one evaluates.

#![no_main]

use libfuzzer_sys::fuzz_target;
use policy::Value;
use policy::compile::{Scope, compile, compile_test};
use policy::expr::{mentions_column, parse_expression, parse_unary_test};

/// `a` and `b` numbers, `s` a string, `flag` a boolean, `$.k` a number set earlier in the node.
struct Fields;

impl Scope for Fields {
    fn resolve(&self, path: &str) -> Option<(usize, Option<policy::Type>)> {
        match path {
            "a" => Some((0, Some(policy::Type::Number))),
            "b" => Some((1, Some(policy::Type::Number))),
            "s" => Some((2, Some(policy::Type::String))),
            "flag" => Some((3, Some(policy::Type::Bool))),
            "$.k" => Some((4, Some(policy::Type::Number))),
            _ => None,
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let slots = [
        Value::Number(decimal("1.5")),
        Value::Null,
        Value::from("planting"),
        Value::Bool(true),
        Value::Number(decimal("-7")),
    ];
    let column = Value::Number(decimal("0.25"));
    let _ = mentions_column(text);
    if let Ok(ast) = parse_expression(text) {
        for column_type in [None, Some(Some(policy::Type::Number)), Some(None)] {
            if let Ok((compiled, _)) = compile(&ast, &Fields, column_type) {
                let _ = compiled.eval(&slots, &column);
                let _ = compiled.holds(&slots, &column);
            }
        }
    }
    if let Ok(items) = parse_unary_test(text) {
        for column_type in [Some(policy::Type::Number), Some(policy::Type::String), None] {
            if let Ok(test) = compile_test(&items, &Fields, column_type) {
                let _ = test.passes(&slots, &column);
                let _ = test.passes(&slots, &Value::Null);
            }
        }
    }
});

fn decimal(text: &str) -> rust_decimal::Decimal {
    text.parse().expect("a decimal literal")
}
