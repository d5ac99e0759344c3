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
            Value::Number(number) => {
                let text = number.normalize().to_string();
                match text.parse::<serde_json::Number>() {
                    Ok(json) if json.to_string() == text => serde_json::Value::Number(json),
                    _ => serde_json::Value::String(text),
                }
            }
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

/// Serialises as [`Value::to_json`] does.
impl serde::Serialize for Value {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Value::Null => serializer.serialize_unit(),
            Value::Bool(flag) => serializer.serialize_bool(*flag),
            Value::Number(_) => self.to_json().serialize(serializer),
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
    fn lists_display_their_items() {
        let list = Value::List(Arc::from(vec![Value::from("A"), Value::Null]));
        assert_eq!(list.to_string(), "[\"A\", null]");
        assert_eq!(list.ty(), Some(Type::List));
    }
}
