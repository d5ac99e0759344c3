//! Values and types of the policy language: exact decimal numbers, strings, booleans, null (a missing value) and
//! the lists a `collect` decision table produces. Types are checked once, when a policy is loaded, so evaluation
//! never meets a type error; only null can appear where a value of another type is expected.

use std::fmt;
use std::sync::Arc;

use rust_decimal::Decimal;

/// A value read from the input or produced by a node.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub enum Value {
    /// A missing value: a feature not defined for the borrower, an output no rule produced, or the result of an
    /// arithmetic operation that has no value (division by zero, overflow, an operand that is null).
    #[default]
    Null,
    /// A boolean.
    Bool(bool),
    /// An exact decimal number.
    Number(Decimal),
    /// A string.
    String(Arc<str>),
    /// One value per matched rule of a `collect` decision table, in rule order.
    List(Arc<[Value]>),
}

impl Value {
    /// The number, if this is one.
    pub fn as_number(&self) -> Option<Decimal> {
        match self {
            Value::Number(number) => Some(*number),
            _ => None,
        }
    }

    /// The string, if this is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(text) => Some(text),
            _ => None,
        }
    }

    /// The boolean, if this is one.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(flag) => Some(*flag),
            _ => None,
        }
    }

    /// The list items, if this is a list.
    pub fn as_list(&self) -> Option<&[Value]> {
        match self {
            Value::List(items) => Some(items),
            _ => None,
        }
    }

    /// True for [`Value::Null`].
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// The value as JSON; numbers are written exactly, as JSON numbers when they round-trip and as strings
    /// otherwise (never through a binary float that would change them).
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Value::Null => serde_json::Value::Null,
            Value::Bool(flag) => serde_json::Value::Bool(*flag),
            Value::Number(number) => match JsonNumber::of(number) {
                JsonNumber::Int(int) => serde_json::Value::from(int),
                JsonNumber::UInt(int) => serde_json::Value::from(int),
                JsonNumber::Float(float) => serde_json::Value::from(float),
                JsonNumber::Text(text) => serde_json::Value::String(text),
            },
            Value::String(text) => serde_json::Value::String(text.to_string()),
            Value::List(items) => serde_json::Value::Array(items.iter().map(Value::to_json).collect()),
        }
    }

    /// The type of this value; `None` for null.
    pub fn ty(&self) -> Option<Type> {
        match self {
            Value::Null => None,
            Value::Bool(_) => Some(Type::Bool),
            Value::Number(_) => Some(Type::Number),
            Value::String(_) => Some(Type::String),
            Value::List(_) => Some(Type::List),
        }
    }
}

/// How an exact number is written in JSON: as a JSON number when reading that number back gives the same digits,
/// otherwise as a string of its digits (never through a binary float that would change it). Serialisation runs
/// for every number of every decision's trace, so the common cases take no allocation: an integer is written as
/// one, and a fraction is formatted once, parsed as a float and compared with how JSON would write that float.
enum JsonNumber {
    Int(i64),
    UInt(u64),
    Float(f64),
    Text(String),
}

impl JsonNumber {
    fn of(number: &Decimal) -> JsonNumber {
        let number = number.normalize();
        if number.scale() == 0 {
            if let Ok(int) = i64::try_from(number.mantissa()) {
                return JsonNumber::Int(int);
            }
            if let Ok(int) = u64::try_from(number.mantissa()) {
                return JsonNumber::UInt(int);
            }
        }
        let text = number.to_string();
        if let Ok(float) = text.parse::<f64>() {
            let mut written = [0u8; 40];
            let mut cursor = std::io::Cursor::new(&mut written[..]);
            if serde_json::to_writer(&mut cursor, &float).is_ok() {
                let end = usize::try_from(cursor.position()).unwrap_or(0);
                if written[..end] == *text.as_bytes() {
                    return JsonNumber::Float(float);
                }
            }
        }
        JsonNumber::Text(text)
    }
}

/// Serialises as [`Value::to_json`] does.
impl serde::Serialize for Value {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Value::Null => serializer.serialize_unit(),
            Value::Bool(flag) => serializer.serialize_bool(*flag),
            Value::Number(number) => match JsonNumber::of(number) {
                JsonNumber::Int(int) => serializer.serialize_i64(int),
                JsonNumber::UInt(int) => serializer.serialize_u64(int),
                JsonNumber::Float(float) => serializer.serialize_f64(float),
                JsonNumber::Text(text) => serializer.serialize_str(&text),
            },
            Value::String(text) => serializer.serialize_str(text),
            Value::List(items) => serializer.collect_seq(items.iter()),
        }
    }
}

impl From<Decimal> for Value {
    fn from(number: Decimal) -> Self {
        Value::Number(number)
    }
}

impl From<bool> for Value {
    fn from(flag: bool) -> Self {
        Value::Bool(flag)
    }
}

impl From<&str> for Value {
    fn from(text: &str) -> Self {
        Value::String(Arc::from(text))
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Null => f.write_str("null"),
            Value::Bool(flag) => write!(f, "{flag}"),
            Value::Number(number) => write!(f, "{}", number.normalize()),
            Value::String(text) => write!(f, "{text:?}"),
            Value::List(items) => {
                f.write_str("[")?;
                for (index, item) in items.iter().enumerate() {
                    if index > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{item}")?;
                }
                f.write_str("]")
            }
        }
    }
}

/// The type of a field or an expression, known when the policy is loaded. Every type admits null.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Type {
    /// An exact decimal number.
    Number,
    /// A string.
    String,
    /// A boolean.
    Bool,
    /// The values a `collect` table produced for one output column.
    List,
}

impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Type::Number => "number",
            Type::String => "string",
            Type::Bool => "bool",
            Type::List => "list",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_become_exact_json() {
        let value = Value::Number(Decimal::new(3450, 5));
        assert_eq!(value.to_json(), serde_json::json!(0.0345));
        assert_eq!(value.to_string(), "0.0345");
        assert_eq!(Value::Number(Decimal::new(100000, 0)).to_json(), serde_json::json!(100000));
    }

    #[test]
    fn numbers_are_json_numbers_with_the_same_digits_or_strings_when_a_float_would_change_them() {
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let (mut as_numbers, mut as_strings) = (0, 0);
        for _ in 0..20_000 {
            let digits = u32::try_from(next() % 20).unwrap_or(0);
            let mantissa = i128::from(next() % 10u64.pow(digits)) * if next() % 7 == 0 { 1_000_000_000 } else { 1 };
            let signed = if next() % 3 == 0 { -mantissa } else { mantissa };
            let scale = u32::try_from(next() % 29).unwrap_or(0);
            let Ok(number) = Decimal::try_from_i128_with_scale(signed, scale) else { continue };
            let text = number.normalize().to_string();
            let written = serde_json::to_string(&Value::Number(number)).expect("serialises");
            assert_eq!(serde_json::to_string(&Value::Number(number).to_json()).expect("json"), written);
            if written == text {
                as_numbers += 1;
            } else {
                assert_eq!(written, format!("\"{text}\""), "{number}: neither the digits nor a string of them");
                let float: f64 = text.parse().expect("a float");
                assert_ne!(serde_json::to_string(&float).expect("json"), text, "{number} needed no string");
                as_strings += 1;
            }
        }
        assert!(as_numbers > 1_000 && as_strings > 1_000, "{as_numbers} numbers, {as_strings} strings");
        for (text, expected) in [
            ("0.1", "0.1"),
            ("9470871883.338333", "9470871883.338333"),
            ("123456789012345678901234.5", "\"123456789012345678901234.5\""),
            ("0.00000001", "\"0.00000001\""),
            ("18446744073709551615", "18446744073709551615"),
            ("-0.0", "0"),
        ] {
            let number: Decimal = text.parse().expect("decimal");
            assert_eq!(serde_json::to_string(&Value::Number(number)).expect("serialises"), expected, "{text}");
        }
    }

    #[test]
    fn lists_display_their_items() {
        let list = Value::List(Arc::from(vec![Value::from("A"), Value::Null]));
        assert_eq!(list.to_string(), "[\"A\", null]");
        assert_eq!(list.ty(), Some(Type::List));
    }
}
