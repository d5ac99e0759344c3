//! The input schema a policy is checked against, and the inputs built from it. The caller declares every field it
//! provides (the point-in-time features, the score, the application, market data) with a type; a policy that reads
//! a field outside the schema is refused when it is loaded, and an input that does not fit the schema is refused
//! when it is built, naming the field.

use std::collections::HashMap;
use std::sync::Arc;

use rust_decimal::Decimal;
use serde::Deserialize;

use crate::value::{Type, Value};

/// Why a schema could not be read.
#[derive(Debug, thiserror::Error)]
pub enum SchemaError {
    /// The schema file is not the expected JSON.
    #[error("schema is not valid JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// A field is declared twice.
    #[error("field `{field}` is declared twice")]
    Duplicate {
        /// The field name.
        field: String,
    },
    /// A field name is not a dotted path of identifiers.
    #[error("field name `{field}` is not a dotted path of letters, digits and underscores")]
    BadName {
        /// The field name.
        field: String,
    },
    /// A field is declared as a list; only scalar inputs are supported.
    #[error("field `{field}` is declared as a list; inputs are numbers, strings or booleans")]
    ListInput {
        /// The field name.
        field: String,
    },
}

/// Why an input could not be built.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    /// A required field is missing or null.
    #[error("field `{field}` is required")]
    Missing {
        /// The field name.
        field: String,
    },
    /// A field has a value of the wrong type.
    #[error("field `{field}` must be a {expected}, got {got}")]
    WrongType {
        /// The field name.
        field: String,
        /// The declared type.
        expected: Type,
        /// What was given.
        got: String,
    },
    /// A field is not in the schema.
    #[error("field `{field}` is not in the schema")]
    Unknown {
        /// The field name.
        field: String,
    },
}

/// One declared input field.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldDef {
    /// Dotted path, e.g. `applicant.age`.
    pub field: String,
    /// Its type.
    #[serde(rename = "type")]
    pub ty: Type,
    /// Whether an input must provide a non-null value.
    #[serde(default)]
    pub required: bool,
    /// What the field means (for people; not used by the evaluator).
    #[serde(default)]
    pub description: String,
}

/// The typed list of fields a caller provides. Field `i` of the schema is slot `i` of every input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schema {
    fields: Vec<FieldDef>,
    index: HashMap<String, usize>,
}

impl Schema {
    /// Builds a schema from field definitions, refusing duplicates and malformed names.
    pub fn new(fields: Vec<FieldDef>) -> Result<Self, SchemaError> {
        let mut index = HashMap::with_capacity(fields.len());
        for (slot, def) in fields.iter().enumerate() {
            if !is_path(&def.field) {
                return Err(SchemaError::BadName { field: def.field.clone() });
            }
            if def.ty == Type::List {
                return Err(SchemaError::ListInput { field: def.field.clone() });
            }
            if index.insert(def.field.clone(), slot).is_some() {
                return Err(SchemaError::Duplicate { field: def.field.clone() });
            }
        }
        Ok(Self { fields, index })
    }

    /// Reads a schema from a JSON array of `{"field", "type", "required"?, "description"?}` objects.
    pub fn from_json(json: &str) -> Result<Self, SchemaError> {
        Self::new(serde_json::from_str(json)?)
    }

    /// The declared fields, in slot order.
    pub fn fields(&self) -> &[FieldDef] {
        &self.fields
    }

    /// The slot of a field.
    pub fn slot(&self, field: &str) -> Option<usize> {
        self.index.get(field).copied()
    }

    /// Number of fields.
    pub fn len(&self) -> usize {
        self.fields.len()
    }

    /// True if no field is declared.
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    /// Builds an input from a JSON object, reading each field by its dotted path through nested objects
    /// (`{"applicant": {"age": 30}}`) or as a flat key (`{"applicant.age": 30}`). Keys the schema does not
    /// declare are ignored; a declared field with a value of the wrong type, or a required field that is missing,
    /// is refused. Numbers are read exactly from their JSON text.
    pub fn input_from_json(self: &Arc<Self>, json: &serde_json::Value) -> Result<Input, InputError> {
        let mut values = Vec::with_capacity(self.fields.len());
        for def in &self.fields {
            let raw = lookup(json, &def.field).unwrap_or(&serde_json::Value::Null);
            values.push(json_value(def, raw)?);
        }
        let input = Input { schema: Arc::clone(self), values };
        input.check_required()?;
        Ok(input)
    }

    /// Starts an input with every field null; fill it with [`Input::set`] and finish with [`Input::check_required`].
    pub fn empty_input(self: &Arc<Self>) -> Input {
        Input { schema: Arc::clone(self), values: vec![Value::Null; self.fields.len()] }
    }
}

/// Values for every field of a schema, type-checked.
#[derive(Debug, Clone, PartialEq)]
pub struct Input {
    schema: Arc<Schema>,
    values: Vec<Value>,
}

impl Input {
    /// Sets a field, checking its type.
    pub fn set(&mut self, field: &str, value: impl Into<Value>) -> Result<&mut Self, InputError> {
        let slot = self.schema.slot(field).ok_or_else(|| InputError::Unknown { field: field.to_owned() })?;
        let value = value.into();
        let def = &self.schema.fields[slot];
        if let Some(ty) = value.ty()
            && ty != def.ty
        {
            return Err(InputError::WrongType { field: field.to_owned(), expected: def.ty, got: ty.to_string() });
        }
        self.values[slot] = value;
        Ok(self)
    }

    /// Sets the field at a slot of the schema ([`Schema::slot`]), checking its type: for callers that look the slots
    /// up once and fill many inputs.
    ///
    /// # Panics
    /// If the slot is not one of the schema's.
    pub fn set_at(&mut self, slot: usize, value: Value) -> Result<&mut Self, InputError> {
        let def = &self.schema.fields[slot];
        if let Some(ty) = value.ty()
            && ty != def.ty
        {
            return Err(InputError::WrongType { field: def.field.clone(), expected: def.ty, got: ty.to_string() });
        }
        self.values[slot] = value;
        Ok(self)
    }

    /// Checks that every required field has a value.
    pub fn check_required(&self) -> Result<(), InputError> {
        for (def, value) in self.schema.fields.iter().zip(&self.values) {
            if def.required && value.is_null() {
                return Err(InputError::Missing { field: def.field.clone() });
            }
        }
        Ok(())
    }

    /// The value of a field, if the schema declares it.
    pub fn get(&self, field: &str) -> Option<&Value> {
        self.schema.slot(field).map(|slot| &self.values[slot])
    }

    /// The schema this input follows.
    pub fn schema(&self) -> &Arc<Schema> {
        &self.schema
    }

    pub(crate) fn values(&self) -> &[Value] {
        &self.values
    }
}

/// True for a dotted path of identifiers (`applicant.age`, `features.dpd_max_24m`).
pub(crate) fn is_path(text: &str) -> bool {
    !text.is_empty()
        && text.split('.').all(|part| {
            let mut chars = part.chars();
            matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
                && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        })
}

fn lookup<'a>(json: &'a serde_json::Value, path: &str) -> Option<&'a serde_json::Value> {
    if let Some(flat) = json.get(path) {
        return Some(flat);
    }
    let mut current = json;
    for part in path.split('.') {
        current = current.get(part)?;
    }
    Some(current)
}

fn json_value(def: &FieldDef, raw: &serde_json::Value) -> Result<Value, InputError> {
    let wrong = || InputError::WrongType { field: def.field.clone(), expected: def.ty, got: raw.to_string() };
    Ok(match (def.ty, raw) {
        (_, serde_json::Value::Null) => Value::Null,
        (Type::Number, serde_json::Value::Number(number)) => {
            Value::Number(parse_decimal(&number.to_string()).ok_or_else(wrong)?)
        }
        (Type::String, serde_json::Value::String(text)) => Value::from(text.as_str()),
        (Type::Bool, serde_json::Value::Bool(flag)) => Value::Bool(*flag),
        _ => return Err(wrong()),
    })
}

/// Parses a decimal from its text, in plain or scientific notation.
pub(crate) fn parse_decimal(text: &str) -> Option<Decimal> {
    text.parse::<Decimal>().ok().or_else(|| Decimal::from_scientific(text).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema() -> Arc<Schema> {
        Arc::new(
            Schema::from_json(
                r#"[{"field": "applicant.age", "type": "number", "required": true},
                    {"field": "applicant.segment", "type": "string"},
                    {"field": "features.is_insured", "type": "bool"}]"#,
            )
            .expect("valid schema"),
        )
    }

    #[test]
    fn nested_and_flat_json_read_alike() {
        let schema = schema();
        let nested = schema.input_from_json(&serde_json::json!({"applicant": {"age": 30.5}})).expect("valid");
        let flat = schema.input_from_json(&serde_json::json!({"applicant.age": 30.5})).expect("valid");
        assert_eq!(nested, flat);
        assert_eq!(nested.get("applicant.age"), Some(&Value::Number(Decimal::new(305, 1))));
        assert_eq!(nested.get("applicant.segment"), Some(&Value::Null));
    }

    #[test]
    fn missing_required_and_wrong_types_name_the_field() {
        let schema = schema();
        let missing = schema.input_from_json(&serde_json::json!({})).expect_err("age is required");
        assert_eq!(missing.to_string(), "field `applicant.age` is required");
        let wrong = schema.input_from_json(&serde_json::json!({"applicant": {"age": "thirty"}})).expect_err("type");
        assert!(wrong.to_string().contains("`applicant.age` must be a number"), "{wrong}");
        let mut input = schema.empty_input();
        assert!(input.set("features.is_insured", Decimal::ONE).is_err());
        assert!(input.set("nope", true).is_err());
    }

    #[test]
    fn duplicate_and_malformed_names_are_refused() {
        let dup = Schema::from_json(r#"[{"field": "a", "type": "number"}, {"field": "a", "type": "bool"}]"#);
        assert!(matches!(dup, Err(SchemaError::Duplicate { .. })));
        let bad = Schema::from_json(r#"[{"field": "a..b", "type": "number"}]"#);
        assert!(matches!(bad, Err(SchemaError::BadName { .. })));
    }
}
