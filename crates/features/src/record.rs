//! One definition per source: a record type of [`crate::input`] is declared once, with [`records!`], and that
//! declaration is also its column list and the mapping of a stored row into it.
//!
//! A record register holds cells (null, an integer or text); [`Value`] is one such cell as a record reads it. Each
//! field type says how it is read from one value ([`FromValue`]: money from integer fen, decimals, dates and months
//! from their text, closed code lists from their codes, `;`-joined crop lists, optional fields from null or empty
//! text). [`records!`] turns a struct declaration into the struct and its [`Record`] implementation: the source it
//! is loaded from, its columns (the field names, in field order) and the stored class of each, and the reader. So a
//! field renamed, added or retyped changes the columns read and the mapping together, and the integration layer's
//! check against the data contract (`integrate`'s `record_shapes_match_their_contracts`) sees it.

use domain::{Date, Money};
use rust_decimal::Decimal;

/// One stored cell as a record reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Value<'a> {
    /// No value.
    Null,
    /// An integer (counts, fen, booleans as 0/1).
    Int(i64),
    /// Text (ids, codes, decimals, dates, months).
    Text(&'a str),
}

/// The storage class a field is read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stored {
    /// An integer cell.
    Int,
    /// A text cell.
    Text,
}

/// Why a stored row is not a record: the column and the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValueError {
    /// The column.
    pub column: &'static str,
    /// What is wrong with its value.
    pub reason: String,
}

/// A field type of a record: how it is read from one stored value.
pub trait FromValue: Sized {
    /// The storage class it is read from.
    const STORED: Stored;

    /// The field from its stored value; the error is the reason, the caller names the column.
    fn from_value(value: Value<'_>) -> Result<Self, String>;
}

/// How a field of type `T` is read: [`Plain`] (through `T`'s [`FromValue`]) unless its declaration names another
/// way (`pub field: T as Way`).
pub trait ReadAs<T> {
    /// The storage class it is read from.
    const STORED: Stored;

    /// The field from its stored value.
    fn read(value: Value<'_>) -> Result<T, String>;
}

/// A field read through its type's [`FromValue`].
#[derive(Debug)]
pub enum Plain {}

impl<T: FromValue> ReadAs<T> for Plain {
    const STORED: Stored = T::STORED;

    fn read(value: Value<'_>) -> Result<T, String> {
        T::from_value(value)
    }
}

/// Free text that may be empty (an empty or missing value is the empty string).
#[derive(Debug)]
pub enum OrEmpty {}

impl ReadAs<String> for OrEmpty {
    const STORED: Stored = Stored::Text;

    fn read(value: Value<'_>) -> Result<String, String> {
        Ok(Option::<String>::from_value(value)?.unwrap_or_default())
    }
}

/// A source's record as the feature engine reads it.
pub trait Record: Sized {
    /// The source (data contract) it is loaded from.
    const SOURCE: &'static str;
    /// The columns it reads, in field order: its fields' names.
    const COLUMNS: &'static [&'static str];
    /// The storage class of each column.
    const STORED: &'static [Stored];

    /// The record from a stored row's values, in [`Record::COLUMNS`] order.
    fn from_values(values: &[Value<'_>]) -> Result<Self, ValueError>;
}

/// What a record type reads: its source, columns and their storage classes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shape {
    /// The source.
    pub source: &'static str,
    /// The columns, in field order.
    pub columns: &'static [&'static str],
    /// The storage class of each column.
    pub stored: &'static [Stored],
}

fn text(value: Value<'_>) -> Result<&str, String> {
    match value {
        Value::Text(t) if !t.is_empty() => Ok(t),
        Value::Text(_) | Value::Null => Err("is empty".to_string()),
        Value::Int(_) => Err("is an integer, text was expected".to_string()),
    }
}

fn int(value: Value<'_>) -> Result<i64, String> {
    match value {
        Value::Int(v) => Ok(v),
        Value::Null => Err("is empty".to_string()),
        Value::Text(_) => Err("is text, an integer was expected".to_string()),
    }
}

impl FromValue for String {
    const STORED: Stored = Stored::Text;

    fn from_value(value: Value<'_>) -> Result<String, String> {
        text(value).map(str::to_owned)
    }
}

impl<T: FromValue> FromValue for Option<T> {
    const STORED: Stored = T::STORED;

    fn from_value(value: Value<'_>) -> Result<Option<T>, String> {
        match value {
            Value::Null | Value::Text("") => Ok(None),
            other => T::from_value(other).map(Some),
        }
    }
}

impl FromValue for i64 {
    const STORED: Stored = Stored::Int;

    fn from_value(value: Value<'_>) -> Result<i64, String> {
        int(value)
    }
}

impl FromValue for u32 {
    const STORED: Stored = Stored::Int;

    fn from_value(value: Value<'_>) -> Result<u32, String> {
        let v = int(value)?;
        u32::try_from(v).map_err(|_| format!("{v} is out of range"))
    }
}

impl FromValue for u8 {
    const STORED: Stored = Stored::Int;

    fn from_value(value: Value<'_>) -> Result<u8, String> {
        let v = int(value)?;
        u8::try_from(v).map_err(|_| format!("{v} is out of range"))
    }
}

impl FromValue for bool {
    const STORED: Stored = Stored::Int;

    fn from_value(value: Value<'_>) -> Result<bool, String> {
        Ok(int(value)? != 0)
    }
}

impl FromValue for Money {
    const STORED: Stored = Stored::Int;

    fn from_value(value: Value<'_>) -> Result<Money, String> {
        Ok(Money::from_fen(int(value)?))
    }
}

impl FromValue for Decimal {
    const STORED: Stored = Stored::Text;

    fn from_value(value: Value<'_>) -> Result<Decimal, String> {
        let t = text(value)?;
        t.parse().map_err(|_| format!("`{t}` is not a decimal"))
    }
}

impl FromValue for Date {
    const STORED: Stored = Stored::Text;

    fn from_value(value: Value<'_>) -> Result<Date, String> {
        domain::parse_date(text(value)?).map_err(|e| e.to_string())
    }
}

/// Declares record types: each struct as written, plus its [`Record`] implementation (source, columns from the
/// field names, storage classes from the field types, the reader), and `RECORD_SHAPES` listing them all.
macro_rules! records {
    ($(
        $(#[$meta:meta])*
        pub struct $name:ident from $source:literal {
            $($(#[$fmeta:meta])* pub $field:ident: $ty:ty $(as $way:ty)?,)+
        }
    )+) => {
        $(
            $(#[$meta])*
            pub struct $name {
                $($(#[$fmeta])* pub $field: $ty,)+
            }

            impl $crate::record::Record for $name {
                const SOURCE: &'static str = $source;
                const COLUMNS: &'static [&'static str] = &[$(stringify!($field),)+];
                const STORED: &'static [$crate::record::Stored] =
                    &[$(<records!(@way $($way)?) as $crate::record::ReadAs<$ty>>::STORED,)+];

                fn from_values(
                    values: &[$crate::record::Value<'_>],
                ) -> Result<$name, $crate::record::ValueError> {
                    let mut columns = Self::COLUMNS.iter().zip(values.iter().copied().chain(std::iter::repeat(
                        $crate::record::Value::Null,
                    )));
                    Ok($name {
                        $($field: {
                            let (column, value) = columns.next().expect("one column per field");
                            <records!(@way $($way)?) as $crate::record::ReadAs<$ty>>::read(value)
                                .map_err(|reason| $crate::record::ValueError { column, reason })?
                        },)+
                    })
                }
            }
        )+

        /// Every record type's source, columns and storage classes.
        pub const RECORD_SHAPES: &[$crate::record::Shape] = &[$(
            $crate::record::Shape {
                source: $source,
                columns: <$name as $crate::record::Record>::COLUMNS,
                stored: <$name as $crate::record::Record>::STORED,
            },
        )+];
    };
    (@way) => { $crate::record::Plain };
    (@way $way:ty) => { $way };
}

pub(crate) use records;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_read_as_their_types_and_say_why_not() {
        assert_eq!(u32::from_value(Value::Int(7)), Ok(7));
        assert_eq!(u32::from_value(Value::Int(-1)), Err("-1 is out of range".to_string()));
        assert_eq!(u32::from_value(Value::Text("7")), Err("is text, an integer was expected".to_string()));
        assert_eq!(String::from_value(Value::Text("")), Err("is empty".to_string()));
        assert_eq!(Option::<String>::from_value(Value::Text("")), Ok(None));
        assert_eq!(Option::<u32>::from_value(Value::Null), Ok(None));
        assert_eq!(Money::from_value(Value::Int(150)), Ok(Money::from_fen(150)));
        assert_eq!(Decimal::from_value(Value::Text("0.5")), Ok(Decimal::new(5, 1)));
        assert_eq!(Decimal::from_value(Value::Text("half")), Err("`half` is not a decimal".to_string()));
        assert_eq!(<OrEmpty as ReadAs<String>>::read(Value::Null), Ok(String::new()));
        assert!(Date::from_value(Value::Text("2026-02-30")).is_err());
    }
}
