//! Validating one source file against its [`Contract`], as CSV or as JSON Lines ([`Format`]). A CSV header is
//! checked first and a mismatch refuses the file whole ([`HeaderError`]); then the rows stream past one at a time as
//! [`Outcome`]s, each either a typed [`ValidRow`], a [`Quarantined`] record or a skipped exact duplicate. A bad row
//! never stops the stream. Each row is checked field by field (type, range, code list, check digit), then against
//! the contract's cross-column rules, then its references, then its key.
//!
//! **Header rule.** The contract's columns must come first, by name and in the contract's order (the contract fixes
//! column order; a reordered file is refused naming the first misplaced column). Columns after the contract's last
//! one are ignored, as the versioning rules ask loaders to do with unknown trailing columns.
//!
//! **JSON Lines.** No header: every non-blank line must be a JSON object (else `malformed-line`) holding a key for
//! every contract column (a missing key is a short row: `field-count`, naming the column); key order is not
//! checked and unknown keys are ignored. Integer columns are JSON numbers, booleans (and `synthetic`) are JSON
//! booleans, every other column is a JSON string, and `null` is absent; another JSON kind is `wrong-type`. The
//! value then goes through the very checks its CSV text would.
//!
//! **Duplicates.** A row whose key was already seen in this file is skipped and counted as a duplicate if it is
//! the same row (CSV: byte for byte, trailing columns included; JSON Lines: the same contract columns), and
//! quarantined (`duplicate-key`, naming the first line) if its content differs. Sources without a declared key are
//! not checked for duplicates.

use std::borrow::Cow;
use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::Path;

use csv::{ByteRecord, ReaderBuilder};

use crate::contract::{ColumnType, Contract};
use crate::decode::{TextEncoding, UTF8_BOM};
use crate::keys::{KeyLookup, join_key};
use crate::quarantine::{LoadSummary, Quarantined, Reason};
use crate::rules;
use crate::value::{Value, masked_for_report, parse};

/// Why a whole file was refused before any row was read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HeaderError {
    /// The file has no header row.
    #[error("{file}: empty file, expected a header row")]
    Empty {
        /// The file.
        file: String,
    },
    /// A contract column is missing.
    #[error("{file}: missing column `{column}`")]
    Missing {
        /// The file.
        file: String,
        /// The missing column.
        column: &'static str,
    },
    /// A header names a column the contract does not have, where a contract column was expected.
    #[error("{file}: unknown column `{column}` where `{expected}` was expected")]
    Unknown {
        /// The file.
        file: String,
        /// The header as read.
        column: String,
        /// The contract column expected at that position.
        expected: &'static str,
    },
    /// A contract column in the wrong position.
    #[error("{file}: column `{column}` is out of order: `{expected}` was expected at position {position}")]
    OutOfOrder {
        /// The file.
        file: String,
        /// The misplaced column.
        column: String,
        /// The column expected there.
        expected: &'static str,
        /// The 1-based position.
        position: usize,
    },
    /// A header field that is not valid text in the file's encoding.
    #[error("{file}: header column {position} is not valid {encoding:?}")]
    Encoding {
        /// The file.
        file: String,
        /// The 1-based position.
        position: usize,
        /// The encoding used.
        encoding: TextEncoding,
    },
    /// The CSV structure of the header could not be read.
    #[error("{file}: unreadable header: {message}")]
    Csv {
        /// The file.
        file: String,
        /// The CSV reader's message.
        message: String,
    },
}

/// A row that passed, with its values in contract column order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidRow {
    /// The 1-based line the row starts on.
    pub line: u64,
    contract: &'static Contract,
    values: Vec<Value>,
}

impl ValidRow {
    /// The value of a column, by name.
    pub fn get(&self, column: &str) -> Option<&Value> {
        self.contract.column_index(column).and_then(|i| self.values.get(i))
    }

    /// All values, in contract column order.
    pub fn values(&self) -> &[Value] {
        &self.values
    }

    /// All values, in contract column order, taken out of the row (so their text need not be copied).
    pub fn into_values(self) -> Vec<Value> {
        self.values
    }
}

/// What became of one row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The row passed.
    Valid(ValidRow),
    /// The row was set aside.
    Quarantined(Quarantined),
    /// The row repeats an earlier one exactly and was skipped.
    Duplicate {
        /// Its line.
        line: u64,
        /// The line of the first occurrence.
        first_line: u64,
    },
}

/// The layout of a source file: the contract's two serialisations (`docs/data-contracts.md` §1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// `<entity>.csv`: a header row, then one RFC 4180 record per row.
    Csv,
    /// `<entity>.jsonl`: one JSON object per line, keyed by column name; no header.
    Jsonl,
}

impl Format {
    /// The format a file name's extension names (`.csv`, `.jsonl`, case-insensitive); `None` for any other. Only
    /// the name is looked at, never the file.
    pub fn from_path(path: impl AsRef<Path>) -> Option<Format> {
        let extension = path.as_ref().extension()?.to_str()?;
        if extension.eq_ignore_ascii_case("csv") {
            Some(Format::Csv)
        } else if extension.eq_ignore_ascii_case("jsonl") {
            Some(Format::Jsonl)
        } else {
            None
        }
    }

    /// The file extension, without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Jsonl => "jsonl",
        }
    }
}

/// Starts validating `bytes` as the CSV file `file` of `contract`. `encoding` is the declared encoding, or `None` to
/// detect it ([`TextEncoding::detect`]); `refs` holds the keys of referenced sources. The header is checked now;
/// the rows are checked as the returned iterator is driven.
pub fn validate<'a>(
    contract: &'static Contract,
    file: &str,
    bytes: &'a [u8],
    encoding: Option<TextEncoding>,
    refs: &'a dyn KeyLookup,
) -> Result<Validation<'a>, HeaderError> {
    validate_as(Format::Csv, contract, file, bytes, encoding, refs)
}

/// Starts validating `bytes` as the JSON Lines file `file` of `contract`, with the same outcomes and quarantine
/// reasons as [`validate`]. There is no header, so nothing refuses the file whole: each line stands alone.
pub fn validate_jsonl<'a>(
    contract: &'static Contract,
    file: &str,
    bytes: &'a [u8],
    encoding: Option<TextEncoding>,
    refs: &'a dyn KeyLookup,
) -> Validation<'a> {
    let encoding = encoding.unwrap_or_else(|| TextEncoding::detect(bytes));
    let body = bytes.strip_prefix(UTF8_BOM).unwrap_or(bytes);
    Validation::new(contract, file, encoding, Rows::Jsonl { rest: body, line: 0 }, refs)
}

/// Starts validating `bytes` as the file `file` of `contract` in `format` ([`Format::from_path`] tells it from the
/// file name): [`validate`] for CSV, [`validate_jsonl`] for JSON Lines.
pub fn validate_as<'a>(
    format: Format,
    contract: &'static Contract,
    file: &str,
    bytes: &'a [u8],
    encoding: Option<TextEncoding>,
    refs: &'a dyn KeyLookup,
) -> Result<Validation<'a>, HeaderError> {
    if format == Format::Jsonl {
        return Ok(validate_jsonl(contract, file, bytes, encoding, refs));
    }
    let encoding = encoding.unwrap_or_else(|| TextEncoding::detect(bytes));
    let body = bytes.strip_prefix(UTF8_BOM).unwrap_or(bytes);
    let mut reader = ReaderBuilder::new().has_headers(false).flexible(true).from_reader(body);
    let mut header = ByteRecord::new();
    match reader.read_byte_record(&mut header) {
        Ok(true) => {}
        Ok(false) => return Err(HeaderError::Empty { file: file.to_owned() }),
        Err(err) => return Err(HeaderError::Csv { file: file.to_owned(), message: err.to_string() }),
    }
    check_header(contract, file, &header, encoding)?;
    let rows = Rows::Csv { reader, record: ByteRecord::new(), header_len: header.len(), body };
    Ok(Validation::new(contract, file, encoding, rows, refs))
}

fn check_header(
    contract: &Contract,
    file: &str,
    header: &ByteRecord,
    encoding: TextEncoding,
) -> Result<(), HeaderError> {
    for (i, column) in contract.columns.iter().enumerate() {
        let Some(raw) = header.get(i) else {
            return Err(HeaderError::Missing { file: file.to_owned(), column: column.name });
        };
        let name =
            encoding.decode(raw).ok_or(HeaderError::Encoding { file: file.to_owned(), position: i + 1, encoding })?;
        if name == column.name {
            continue;
        }
        let name = name.into_owned();
        let present = header.iter().any(|h| h == column.name.as_bytes());
        return Err(if !present {
            HeaderError::Missing { file: file.to_owned(), column: column.name }
        } else if contract.column(&name).is_some() {
            HeaderError::OutOfOrder { file: file.to_owned(), column: name, expected: column.name, position: i + 1 }
        } else {
            HeaderError::Unknown { file: file.to_owned(), column: name, expected: column.name }
        });
    }
    Ok(())
}

/// Where the rows come from.
enum Rows<'a> {
    /// A CSV reader past the header, and the bytes it reads (to read a row again when its key repeats).
    Csv { reader: csv::Reader<&'a [u8]>, record: ByteRecord, header_len: usize, body: &'a [u8] },
    /// The JSON Lines bytes not read yet, and the number of the last line read.
    Jsonl { rest: &'a [u8], line: u64 },
}

/// One field of a row before parsing: its text (borrowed from the row as read where it can be), or why no text
/// could be had (bad bytes, a wrong JSON type).
enum Field<'t> {
    Text(Cow<'t, str>),
    Bad { reason: Reason, detail: String, shown: String },
}

/// What tells a row from another with the same key: where a CSV row starts (its fields are read again only when
/// its key repeats, so no row is hashed), or a JSON Lines row's hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RowId {
    /// The byte offset of the CSV record in the file's body.
    At(u64),
    /// The hash of the row's contract fields.
    Hash(u64),
}

/// The row stream of one file. Drive it as an iterator; [`Validation::summary`] counts what has been seen so far.
pub struct Validation<'a> {
    encoding: TextEncoding,
    rows: Rows<'a>,
    checks: Checks<'a>,
    summary: LoadSummary,
    done: bool,
}

/// What checks a row once its fields are read: the contract, the referenced keys and the keys seen so far.
struct Checks<'a> {
    contract: &'static Contract,
    file: String,
    refs: &'a dyn KeyLookup,
    key_columns: Vec<usize>,
    /// Per foreign key of the contract, the positions of its columns.
    reference_columns: Vec<Vec<usize>>,
    /// Key → (what the first row with it was, its line).
    seen: HashMap<String, (RowId, u64)>,
}

impl<'a> Validation<'a> {
    fn new(
        contract: &'static Contract,
        file: &str,
        encoding: TextEncoding,
        rows: Rows<'a>,
        refs: &'a dyn KeyLookup,
    ) -> Validation<'a> {
        let key_columns = contract
            .key
            .iter()
            .map(|k| contract.column_index(k).expect("contract keys name its own columns"))
            .collect();
        let reference_columns = contract
            .foreign_keys
            .iter()
            .map(|fk| {
                fk.columns
                    .iter()
                    .map(|c| contract.column_index(c).expect("foreign keys name the contract's columns"))
                    .collect()
            })
            .collect();
        let checks =
            Checks { contract, file: file.to_owned(), refs, key_columns, reference_columns, seen: HashMap::new() };
        Validation {
            encoding,
            rows,
            checks,
            summary: LoadSummary { file: file.to_owned(), ..LoadSummary::default() },
            done: false,
        }
    }
}

impl Validation<'_> {
    /// The counts so far (final once the iterator is exhausted).
    pub fn summary(&self) -> &LoadSummary {
        &self.summary
    }

    /// The encoding the file is read in.
    pub fn encoding(&self) -> TextEncoding {
        self.encoding
    }

    /// The format the file is read in.
    pub fn format(&self) -> Format {
        match self.rows {
            Rows::Csv { .. } => Format::Csv,
            Rows::Jsonl { .. } => Format::Jsonl,
        }
    }

    /// The joined keys of the rows that passed, to make this source known to later files' reference checks
    /// ([`crate::KnownKeys::extend`]). Call after exhausting the iterator.
    pub fn into_keys(self) -> impl Iterator<Item = String> + use<> {
        self.checks.seen.into_keys()
    }

    /// Drives the iterator to the end, returning every quarantined row and the summary.
    pub fn finish(mut self) -> (Vec<Quarantined>, LoadSummary) {
        let quarantined = self
            .by_ref()
            .filter_map(|o| match o {
                Outcome::Quarantined(q) => Some(q),
                _ => None,
            })
            .collect();
        (quarantined, self.summary)
    }

    /// The next CSV row's outcome, or `None` at the end of the file.
    fn next_csv(&mut self) -> Option<Outcome> {
        let Rows::Csv { reader, record, header_len, body } = &mut self.rows else {
            unreachable!("called for CSV only")
        };
        let (header_len, body) = (*header_len, *body);
        let checks = &mut self.checks;
        loop {
            match reader.read_byte_record(record) {
                Ok(true) => {
                    let line = record.position().map_or(0, csv::Position::line);
                    // A blank line is no row (the csv reader already skips them; this guards a lone CR).
                    if record.len() == 1 && record.get(0).is_some_and(<[u8]>::is_empty) && header_len > 1 {
                        continue;
                    }
                    if record.len() != header_len {
                        let detail = format!("{} fields where the header has {header_len}", record.len());
                        let detail =
                            if record.len() < header_len { format!("{detail} (truncated line?)") } else { detail };
                        return Some(checks.quarantine(line, None, String::new(), Reason::FieldCount, detail));
                    }
                    let encoding = self.encoding;
                    let fields =
                        checks.contract.columns.iter().zip(record.iter()).map(|(_, raw)| match encoding.decode(raw) {
                            Some(text) => Field::Text(text),
                            None => Field::Bad {
                                reason: Reason::InvalidEncoding,
                                detail: format!("bytes that are not valid {encoding:?}"),
                                shown: String::new(),
                            },
                        });
                    let at = record.position().map_or(0, csv::Position::byte);
                    // The same row, byte for byte (trailing columns included), as the first one with its key.
                    let record = &*record;
                    let same = |first: RowId| match first {
                        RowId::At(offset) => {
                            record_at(body, offset).is_some_and(|first| first.iter().eq(record.iter()))
                        }
                        RowId::Hash(_) => false,
                    };
                    return Some(checks.check_fields(line, fields, RowId::At(at), same));
                }
                Ok(false) => return None,
                Err(err) => {
                    // Reading from memory cannot fail with I/O; a structural error ends the file as one bad row.
                    self.done = true;
                    let line = err.position().map_or(0, csv::Position::line);
                    return Some(checks.quarantine(line, None, String::new(), Reason::FieldCount, err.to_string()));
                }
            }
        }
    }

    /// The next JSON Lines row's outcome, or `None` at the end of the file.
    fn next_jsonl(&mut self) -> Option<Outcome> {
        let Rows::Jsonl { rest, line } = &mut self.rows else { unreachable!("called for JSON Lines only") };
        let (raw, line) = loop {
            if rest.is_empty() {
                return None;
            }
            let end = rest.iter().position(|&b| b == b'\n').unwrap_or(rest.len());
            let raw = &rest[..end];
            *rest = rest.get(end + 1..).unwrap_or_default();
            *line += 1;
            let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
            // A blank line is no row (a trailing newline, an empty table's empty file).
            if !raw.iter().all(u8::is_ascii_whitespace) {
                break (raw, *line);
            }
        };
        let checks = &mut self.checks;
        let Some(text) = self.encoding.decode(raw) else {
            let detail = format!("bytes that are not valid {:?}", self.encoding);
            return Some(checks.quarantine(line, None, String::new(), Reason::InvalidEncoding, detail));
        };
        let object = match serde_json::from_str::<serde_json::Value>(&text) {
            Ok(serde_json::Value::Object(object)) => object,
            Ok(other) => {
                let detail = format!("a JSON {}, not an object", json_kind(&other));
                return Some(checks.quarantine(line, None, String::new(), Reason::MalformedLine, detail));
            }
            Err(err) => {
                let detail = format!("not JSON: {err}");
                return Some(checks.quarantine(line, None, String::new(), Reason::MalformedLine, detail));
            }
        };
        let mut fields = Vec::with_capacity(checks.contract.columns.len());
        let mut hasher = DefaultHasher::new();
        for column in checks.contract.columns {
            let Some(value) = object.get(column.name) else {
                let detail = format!("no key `{}` in the object (truncated line?)", column.name);
                return Some(checks.quarantine(line, Some(column.name), String::new(), Reason::FieldCount, detail));
            };
            let field = json_field(&column.ty, value);
            match &field {
                Field::Text(text) => text.hash(&mut hasher),
                Field::Bad { .. } => value.to_string().hash(&mut hasher),
            }
            fields.push(field);
        }
        let id = RowId::Hash(hasher.finish());
        Some(checks.check_fields(line, fields.into_iter(), id, |first| first == id))
    }
}

/// The CSV record that starts at byte `offset` of `body`, read as the validator reads records.
fn record_at(body: &[u8], offset: u64) -> Option<ByteRecord> {
    let rest = body.get(usize::try_from(offset).ok()?..)?;
    let mut reader = ReaderBuilder::new().has_headers(false).flexible(true).from_reader(rest);
    let mut record = ByteRecord::new();
    reader.read_byte_record(&mut record).ok()?.then_some(record)
}

impl Checks<'_> {
    fn quarantine(
        &self,
        line: u64,
        field: Option<&'static str>,
        value: String,
        reason: Reason,
        detail: String,
    ) -> Outcome {
        Outcome::Quarantined(Quarantined { file: self.file.clone(), line, field, value, reason, detail })
    }

    /// Parses the fields of a row of the right shape, then checks its cross-column rules, references and key.
    /// `id` tells this row apart, `same` whether the first row seen with its key, so told apart, is the same row.
    fn check_fields<'t>(
        &mut self,
        line: u64,
        fields: impl Iterator<Item = Field<'t>>,
        id: RowId,
        same: impl FnOnce(RowId) -> bool,
    ) -> Outcome {
        let mut texts: Vec<Cow<'t, str>> = Vec::with_capacity(self.contract.columns.len());
        let mut values = Vec::with_capacity(self.contract.columns.len());
        for (column, field) in self.contract.columns.iter().zip(fields) {
            let text = match field {
                Field::Text(text) => text,
                Field::Bad { reason, detail, shown } => {
                    return self.quarantine(line, Some(column.name), shown, reason, detail);
                }
            };
            let value = if text.is_empty() {
                if !column.optional {
                    return self.quarantine(
                        line,
                        Some(column.name),
                        String::new(),
                        Reason::MissingValue,
                        "required value is empty".into(),
                    );
                }
                Value::Absent
            } else {
                match parse(&column.ty, &text) {
                    Ok(value) => value,
                    Err(problem) => {
                        let shown = masked_for_report(&column.ty, &text);
                        return self.quarantine(line, Some(column.name), shown, problem.reason, problem.detail);
                    }
                }
            };
            texts.push(text);
            values.push(value);
        }
        let row = rules::Row { contract: self.contract, texts: &texts, values: &values };
        if let Some(broken) = rules::first_broken(&row) {
            return self.quarantine(line, Some(broken.column), broken.value, Reason::CrossColumn, broken.detail);
        }
        for (fk, columns) in self.contract.foreign_keys.iter().zip(&self.reference_columns) {
            if !self.refs.knows(fk.references) {
                continue;
            }
            // A reference of one column (all of today's) is looked up without a list made per row.
            let one: [&str; 1];
            let many: Vec<&str>;
            let parts: &[&str] = match columns.as_slice() {
                [column] => {
                    one = [texts[*column].as_ref()];
                    &one
                }
                columns => {
                    many = columns.iter().map(|&i| texts[i].as_ref()).collect();
                    &many
                }
            };
            if parts.iter().any(|p| p.is_empty()) || self.refs.contains(fk.references, parts) {
                continue;
            }
            let first = self.contract.column(fk.columns[0]).expect("foreign keys name the contract's columns");
            let shown = masked_for_report(&first.ty, &parts.join(";"));
            let detail = format!("no {} row with this key", fk.references);
            return self.quarantine(line, Some(first.name), shown, Reason::DanglingReference, detail);
        }
        if !self.key_columns.is_empty() {
            let key = match self.key_columns.as_slice() {
                [one] => texts[*one].clone().into_owned(),
                many => join_key(&many.iter().map(|&i| texts[i].as_ref()).collect::<Vec<_>>()),
            };
            match self.seen.entry(key) {
                Entry::Occupied(first) => {
                    let (first_id, first_line) = *first.get();
                    if same(first_id) {
                        return Outcome::Duplicate { line, first_line };
                    }
                    let shown = self.contract.key.join(", ");
                    let column =
                        self.contract.column(self.contract.key[0]).expect("contract keys name its own columns");
                    let value = masked_for_report(&column.ty, &texts[self.key_columns[0]]);
                    let detail = format!("key ({shown}) first seen on line {first_line} with different content");
                    return self.quarantine(line, Some(column.name), value, Reason::DuplicateKey, detail);
                }
                Entry::Vacant(slot) => {
                    slot.insert((id, line));
                }
            }
        }
        Outcome::Valid(ValidRow { line, contract: self.contract, values })
    }
}

/// The JSON kind of a value, for messages.
fn json_kind(value: &serde_json::Value) -> &'static str {
    match value {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "boolean",
        serde_json::Value::Number(_) => "number",
        serde_json::Value::String(_) => "string",
        serde_json::Value::Array(_) => "array",
        serde_json::Value::Object(_) => "object",
    }
}

/// A JSON value as the text the CSV file would hold (§1 of the contract: integers are numbers, booleans are
/// booleans, everything else is a string; `null` is absent), or a wrong-type field if its JSON kind is not the one
/// the column's type is written as. A code column also takes a boolean, whose text the code list then judges.
fn json_field<'j>(ty: &ColumnType, value: &'j serde_json::Value) -> Field<'j> {
    use serde_json::Value as Json;
    let expected = match ty {
        ColumnType::Int(_) => "number",
        ColumnType::Bool => "boolean",
        _ => "string",
    };
    match (ty, value) {
        (_, Json::Null) => Field::Text(Cow::Borrowed("")),
        (ColumnType::Int(_), Json::Number(n)) => Field::Text(Cow::Owned(n.to_string())),
        // A code list of booleans (`synthetic`, allowed: `true`) is written as a JSON boolean too.
        (ColumnType::Bool | ColumnType::Code(_), Json::Bool(b)) => {
            Field::Text(Cow::Borrowed(if *b { "true" } else { "false" }))
        }
        (ColumnType::Int(_) | ColumnType::Bool, _) => Field::Bad {
            reason: Reason::WrongType,
            detail: format!("a JSON {} where a {expected} was expected", json_kind(value)),
            shown: masked_for_report(ty, &json_text(value)),
        },
        (_, Json::String(s)) => Field::Text(Cow::Borrowed(s)),
        (_, other) => Field::Bad {
            reason: Reason::WrongType,
            detail: format!("a JSON {} where a {expected} was expected", json_kind(other)),
            shown: masked_for_report(ty, &json_text(other)),
        },
    }
}

/// A JSON value's text as a report shows it: a string without its quotes, anything else as JSON.
fn json_text(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

impl Iterator for Validation<'_> {
    type Item = Outcome;

    fn next(&mut self) -> Option<Outcome> {
        if self.done {
            return None;
        }
        let next = match self.rows {
            Rows::Csv { .. } => self.next_csv(),
            Rows::Jsonl { .. } => self.next_jsonl(),
        };
        let Some(outcome) = next else {
            self.done = true;
            return None;
        };
        self.summary.read += 1;
        match &outcome {
            Outcome::Valid(_) => self.summary.valid += 1,
            Outcome::Quarantined(q) => {
                self.summary.quarantined += 1;
                *self.summary.by_reason.entry(q.reason).or_default() += 1;
            }
            Outcome::Duplicate { .. } => self.summary.duplicates += 1,
        }
        Some(outcome)
    }
}
