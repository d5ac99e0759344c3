//! From a data contract to its record table, and from a validated row to the cells stored for it.
//!
//! Every contract column becomes one column of `rec_<source>`: integers, amounts (in fen) and booleans (0/1) as
//! integers; decimals and rates as their exact decimal text; dates, months, codes and ids as text; lists joined
//! with `;`. Personal data (national ID, phone, a member's name, account numbers) is never stored in clear: the
//! column holds the AES-256-GCM token from [`privacy::FieldCipher::seal`], and a `<column>_bidx` column beside it
//! holds the keyed blind index used to find and join on the value.
//!
//! **Invariant:** a row's content hash is computed over its values with each personal value replaced by its blind
//! index, so the hash is stable across loads (tokens are randomised) and does not reveal the value either.

use std::collections::HashMap;

use chrono::Datelike;

use crate::register::{Cell, CellType, NewRecord, RecordColumn, RecordTable};
use ingest::{ColumnType, Contract, ValidRow, Value, join_key};
use privacy::{FieldCipher, FieldKind, NonceSource};
use sha2::{Digest, Sha256};

use crate::IntegrateError;

/// Columns of free text that are personal data although their type is plain text.
const PERSONAL_TEXT: &[(&str, &str, FieldKind)] = &[("members", "name", FieldKind::Name)];

/// Columns other sources join on, indexed in every table that has them.
const JOIN_COLUMNS: &[&str] = &["household_id", "loan_id", "village_code", "county_code", "application_id", "group_id"];

/// The kind of personal data a column holds, if it holds any.
pub fn personal_kind(contract: &Contract, column: &str) -> Option<FieldKind> {
    let ty = contract.column(column)?.ty;
    match ty {
        ColumnType::NationalId => Some(FieldKind::NationalId),
        ColumnType::Phone => Some(FieldKind::Phone),
        ColumnType::CardNumber => Some(FieldKind::BankCard),
        _ => PERSONAL_TEXT.iter().find(|(s, c, _)| *s == contract.name && *c == column).map(|(_, _, kind)| *kind),
    }
}

/// Whether a personal column gets a blind index (names are not looked up by value, so they get none).
fn indexed_kind(kind: FieldKind) -> bool {
    !matches!(kind, FieldKind::Name | FieldKind::Address)
}

/// The blind-index column beside a personal column.
pub fn index_column(column: &str) -> String {
    format!("{column}_bidx")
}

fn cell_type(ty: &ColumnType) -> CellType {
    match ty {
        ColumnType::Int(_) | ColumnType::Amount { .. } | ColumnType::Bool => CellType::Integer,
        _ => CellType::Text,
    }
}

/// The record table of a source: its contract's columns plus a blind-index column after each indexed personal one.
pub fn record_table(contract: &Contract) -> RecordTable {
    let mut columns = Vec::with_capacity(contract.columns.len() + 2);
    for column in contract.columns {
        let indexed = JOIN_COLUMNS.contains(&column.name) || contract.key.first() == Some(&column.name);
        let kind = personal_kind(contract, column.name);
        let personal = kind.is_some();
        columns.push(RecordColumn { name: column.name.to_string(), ty: cell_type(&column.ty), indexed, personal });
        if let Some(kind) = kind
            && indexed_kind(kind)
        {
            columns.push(RecordColumn {
                name: index_column(column.name),
                ty: CellType::Text,
                indexed: true,
                personal: true,
            });
        }
    }
    RecordTable { source: contract.name.to_string(), columns }
}

/// The canonical text of a value: what is hashed, keyed on and stored in text columns.
pub fn value_text(value: &Value) -> String {
    match value {
        Value::Absent => String::new(),
        Value::Text(s) | Value::Id(s) => s.clone(),
        Value::Int(i) => i.to_string(),
        Value::Decimal(d) | Value::Rate(d) => d.normalize().to_string(),
        Value::Amount(m) => m.fen().to_string(),
        // By hand: chrono's `format` parses its pattern on every call, and `format!` is slow too, both visible
        // costs in bulk loads.
        Value::Date(d) => date_text(d.year(), d.month(), Some(d.day())),
        Value::Month { year, month } => date_text(*year, *month, None),
        Value::Bool(b) => if *b { "1" } else { "0" }.to_string(),
        Value::Code(c) => (*c).to_string(),
        Value::Codes(codes) => codes.join(";"),
        Value::Ids(ids) => ids.join(";"),
        Value::NationalId(id) => id.expose().to_string(),
        Value::Phone(phone) => phone.expose().to_string(),
        Value::CardNumber(card) => card.expose().to_string(),
    }
}

/// `YYYY-MM-DD` (or `YYYY-MM` without a day) as `format!("{:04}-{:02}-{:02}")` writes it.
fn date_text(year: i32, month: u32, day: Option<u32>) -> String {
    let Ok(year @ 0..=9999) = u32::try_from(year) else {
        return match day {
            Some(day) => format!("{year:04}-{month:02}-{day:02}"),
            None => format!("{year:04}-{month:02}"),
        };
    };
    let mut text = String::with_capacity(10);
    push_digits(&mut text, year, 4);
    text.push('-');
    push_digits(&mut text, month, 2);
    if let Some(day) = day {
        text.push('-');
        push_digits(&mut text, day, 2);
    }
    text
}

/// Appends `value` in decimal, zero-padded to `width` digits (wider values in full, as `{:0width$}` writes them).
fn push_digits(text: &mut String, value: u32, width: u32) {
    if value >= 10u32.pow(width) {
        text.push_str(&value.to_string());
        return;
    }
    for place in (0..width).rev() {
        text.push(char::from(b'0' + u8::try_from(value / 10u32.pow(place) % 10).unwrap_or(0)));
    }
}

/// The cell of a plain value, taking its text rather than copying it.
fn plain_cell(value: Value) -> Cell {
    match value {
        Value::Absent => Cell::Null,
        Value::Int(i) => Cell::Int(i),
        Value::Amount(m) => Cell::Int(m.fen()),
        Value::Bool(b) => Cell::Int(i64::from(b)),
        Value::Text(text) | Value::Id(text) => Cell::Text(text),
        other => Cell::Text(value_text(&other)),
    }
}

/// An integer's decimal text, written into `buffer` (20 bytes hold `i64::MIN`) rather than a new string.
fn int_text(value: i64, buffer: &mut [u8; 20]) -> &str {
    let mut rest = value.unsigned_abs();
    let mut start = buffer.len();
    loop {
        start -= 1;
        buffer[start] = b'0' + u8::try_from(rest % 10).unwrap_or(0);
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    if value < 0 {
        start -= 1;
        buffer[start] = b'-';
    }
    std::str::from_utf8(&buffer[start..]).unwrap_or_default()
}

/// Adds one column's hashed text to a row's content hash: its length, then its bytes.
fn hash_text(hasher: &mut Sha256, text: &str) {
    let len = u64::try_from(text.len()).unwrap_or(u64::MAX);
    hasher.update(len.to_le_bytes());
    hasher.update(text.as_bytes());
}

/// Turns validated rows of one source into stored records: seals personal values, computes blind indexes,
/// content hashes and keys. Sources without a key are keyed by content hash and occurrence number, so the same
/// file loaded twice yields the same keys.
pub struct Encoder<'a, N: NonceSource> {
    contract: &'static Contract,
    cipher: &'a FieldCipher<N>,
    personal: Vec<Option<FieldKind>>,
    key_columns: Vec<usize>,
    /// Rows of a keyless source seen so far per content hash (its first 12 bytes, which are what the short hash
    /// spells).
    occurrences: HashMap<[u8; 12], u32>,
}

impl<'a, N: NonceSource> Encoder<'a, N> {
    /// An encoder for one file of `contract`.
    pub fn new(contract: &'static Contract, cipher: &'a FieldCipher<N>) -> Encoder<'a, N> {
        let personal = contract.columns.iter().map(|c| personal_kind(contract, c.name)).collect();
        let key_columns = contract.key.iter().filter_map(|k| contract.column_index(k)).collect();
        Encoder { contract, cipher, personal, key_columns, occurrences: HashMap::new() }
    }

    /// The record for one valid row (its values are moved into the record's cells, not copied).
    pub fn encode(&mut self, row: ValidRow) -> Result<NewRecord, IntegrateError> {
        let mut hasher = Sha256::new();
        hasher.update(self.contract.name.as_bytes());
        let values = row.into_values();
        let mut cells = Vec::with_capacity(values.len() + 2);
        // A key column's text as hashed: a personal value's blind index, never its plain text, so a key such as
        // (provider, account number) does not keep the number in clear.
        let mut key_parts = vec![String::new(); self.key_columns.len()];
        let mut number = [0u8; 20];
        for (column, (value, kind)) in values.into_iter().zip(&self.personal).enumerate() {
            let key_part = self.key_columns.iter().position(|&k| k == column);
            match (kind, value) {
                (Some(kind), Value::Absent) => {
                    cells.push(Cell::Null);
                    if indexed_kind(*kind) {
                        cells.push(Cell::Null);
                    }
                    hash_text(&mut hasher, "");
                }
                (Some(kind), value) => {
                    let text = value_text(&value);
                    let token = self.cipher.seal(*kind, &text).map_err(IntegrateError::Seal)?;
                    cells.push(Cell::Text(token.into_string()));
                    let index = self.cipher.blind_index(*kind, &text).into_string();
                    hash_text(&mut hasher, &index);
                    if let Some(part) = key_part {
                        key_parts[part].clone_from(&index);
                    }
                    if indexed_kind(*kind) {
                        cells.push(Cell::Text(index));
                    }
                }
                (None, value) => {
                    let cell = plain_cell(value);
                    let text = match &cell {
                        Cell::Null => "",
                        Cell::Int(i) => int_text(*i, &mut number),
                        Cell::Text(t) => t,
                    };
                    hash_text(&mut hasher, text);
                    if let Some(part) = key_part {
                        text.clone_into(&mut key_parts[part]);
                    }
                    cells.push(cell);
                }
            }
        }
        let digest = hasher.finalize();
        let hash = short_hash(&digest);
        let key = if self.key_columns.is_empty() {
            let mut first = [0u8; 12];
            first.copy_from_slice(&digest[..12]);
            let n = self.occurrences.entry(first).or_insert(0);
            *n += 1;
            let n = int_text(i64::from(*n), &mut number);
            let mut key = String::with_capacity(hash.len() + 1 + n.len());
            key.push_str(&hash);
            key.push('#');
            key.push_str(n);
            key
        } else {
            join_key(&key_parts)
        };
        Ok(NewRecord { key, hash, cells })
    }
}

/// The first 96 bits of a SHA-256 digest as 16 characters of URL-safe base64: short keys keep the indexes of
/// large event logs small (a collision among ten million rows has odds of about 1 in 10^14).
pub fn short_hash(digest: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::with_capacity(16);
    for chunk in digest[..12].chunks(3) {
        let n = (u32::from(chunk[0]) << 16) | (u32::from(chunk[1]) << 8) | u32::from(chunk[2]);
        for shift in [18, 12, 6, 0] {
            out.push(char::from(ALPHABET[((n >> shift) & 63) as usize]));
        }
    }
    out
}

pub use domain::hex;

/// Where a feature-input record type disagrees with its data contract: columns it reads that the source's record
/// table lacks or stores as another class. Empty when they agree.
pub fn shape_mismatches(shape: &features::record::Shape) -> Vec<String> {
    use features::record::Stored;
    let Some(contract) = ingest::contracts::by_name(shape.source) else {
        return vec![format!("{}: no such source", shape.source)];
    };
    let table = record_table(contract);
    shape
        .columns
        .iter()
        .zip(shape.stored)
        .filter_map(|(column, stored)| {
            let expected = match stored {
                Stored::Int => CellType::Integer,
                Stored::Text => CellType::Text,
            };
            match table.columns.iter().find(|c| c.name == *column) {
                None => Some(format!("{}.{column} is not in the contract", shape.source)),
                Some(found) if found.ty != expected => {
                    Some(format!("{}.{column} is stored as {:?}, read as {expected:?}", shape.source, found.ty))
                }
                Some(_) => None,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use features::record::{Shape, Stored};

    use super::*;

    /// The feature inputs declare their columns once (`features::record`); here each declaration meets its data
    /// contract: every column a record type reads exists in its source's record table, stored as the type reads it.
    #[test]
    fn record_shapes_match_their_contracts() {
        for shape in features::input::RECORD_SHAPES {
            assert_eq!(shape.columns.len(), shape.stored.len());
            assert_eq!(shape_mismatches(shape), Vec::<String>::new());
        }
        assert_eq!(features::input::RECORD_SHAPES.len(), 15, "every feature input is a record type (crop passes too)");
    }

    /// The retention table names exactly the columns the contracts seal, source by source, and every one of them
    /// (with its blind index) is marked personal in its record table, so an erasure clears them all.
    #[test]
    fn the_retention_table_names_every_sealed_column() {
        for contract in ingest::contracts::ALL {
            let sealed: Vec<&str> =
                contract.columns.iter().map(|c| c.name).filter(|c| personal_kind(contract, c).is_some()).collect();
            let listed = privacy::retention::SOURCES.iter().find(|s| s.source == contract.name).map(|s| s.columns);
            assert_eq!(listed.unwrap_or(&[]), &sealed[..], "{}", contract.name);
            let table = record_table(contract);
            for column in &table.columns {
                let base = column.name.strip_suffix("_bidx").unwrap_or(&column.name);
                assert_eq!(column.personal, sealed.contains(&base), "{}.{}", contract.name, column.name);
            }
        }
    }

    /// The hand-written texts are the ones `format!` and `to_string` write.
    #[test]
    fn dates_months_and_integers_are_written_as_format_writes_them() {
        for (year, month, day) in [(2026, 3, 7), (0, 1, 1), (9999, 12, 31), (10000, 1, 2), (-1, 5, 6), (33, 10, 10)] {
            assert_eq!(date_text(year, month, Some(day)), format!("{year:04}-{month:02}-{day:02}"));
            assert_eq!(date_text(year, month, None), format!("{year:04}-{month:02}"));
        }
        let mut buffer = [0u8; 20];
        for value in [0, 7, -7, 10, 1_234_567, -90, i64::MAX, i64::MIN] {
            assert_eq!(int_text(value, &mut buffer), value.to_string());
        }
    }

    /// The check can fail: a column the contract lacks, one stored otherwise, or an unknown source is caught.
    #[test]
    fn a_shape_out_of_step_with_its_contract_is_seen() {
        let shape = |source, columns, stored| Shape { source, columns, stored };
        let good = shape("households", &["household_id", "deposits"], &[Stored::Text, Stored::Int]);
        assert!(shape_mismatches(&good).is_empty());
        let misspelt = shape("households", &["household_id", "deposit"], &[Stored::Text, Stored::Int]);
        assert_eq!(shape_mismatches(&misspelt), ["households.deposit is not in the contract"]);
        let retyped = shape("households", &["deposits"], &[Stored::Text]);
        assert_eq!(shape_mismatches(&retyped), ["households.deposits is stored as Integer, read as Text"]);
        assert_eq!(shape_mismatches(&shape("harvests", &[], &[])), ["harvests: no such source"]);
    }
}
