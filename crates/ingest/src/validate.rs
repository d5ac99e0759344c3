//! Validating one source file against its [`Contract`]: the header is checked first and a mismatch refuses the file
//! whole ([`HeaderError`]); then the rows stream past one at a time as [`Outcome`]s, each either a typed
//! [`ValidRow`], a [`Quarantined`] record or a skipped exact duplicate. A bad row never stops the stream.
//!
//! **Header rule.** The contract's columns must come first, by name and in the contract's order (the contract fixes
//! column order; a reordered file is refused naming the first misplaced column). Columns after the contract's last
//! one are ignored, as the versioning rules ask loaders to do with unknown trailing columns.
//!
//! **Duplicates.** A row whose key was already seen in this file is skipped and counted as a duplicate if it is
//! byte-for-byte the same row, and quarantined (`duplicate-key`, naming the first line) if its content differs.
//! Sources without a declared key are not checked for duplicates.

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};

use csv::{ByteRecord, ReaderBuilder};

use crate::contract::Contract;
use crate::decode::{TextEncoding, UTF8_BOM};
use crate::keys::{KeyLookup, join_key};
use crate::quarantine::{LoadSummary, Quarantined, Reason};
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

/// Starts validating `bytes` as the file `file` of `contract`. `encoding` is the declared encoding, or `None` to
/// detect it ([`TextEncoding::detect`]); `refs` holds the keys of referenced sources. The header is checked now;
/// the rows are checked as the returned iterator is driven.
pub fn validate<'a>(
    contract: &'static Contract,
    file: &str,
    bytes: &'a [u8],
    encoding: Option<TextEncoding>,
    refs: &'a dyn KeyLookup,
) -> Result<Validation<'a>, HeaderError> {
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
    let key_columns =
        contract.key.iter().map(|k| contract.column_index(k).expect("contract keys name its own columns")).collect();
    Ok(Validation {
        contract,
        file: file.to_owned(),
        encoding,
        reader,
        record: ByteRecord::new(),
        header_len: header.len(),
        refs,
        key_columns,
        seen: HashMap::new(),
        summary: LoadSummary { file: file.to_owned(), ..LoadSummary::default() },
        done: false,
    })
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

/// The row stream of one file. Drive it as an iterator; [`Validation::summary`] counts what has been seen so far.
pub struct Validation<'a> {
    contract: &'static Contract,
    file: String,
    encoding: TextEncoding,
    reader: csv::Reader<&'a [u8]>,
    record: ByteRecord,
    header_len: usize,
    refs: &'a dyn KeyLookup,
    key_columns: Vec<usize>,
    /// Key → (hash of the whole row, first line).
    seen: HashMap<String, (u64, u64)>,
    summary: LoadSummary,
    done: bool,
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

    /// The joined keys of the rows that passed, to make this source known to later files' reference checks
    /// ([`crate::KnownKeys::extend`]). Call after exhausting the iterator.
    pub fn into_keys(self) -> impl Iterator<Item = String> + use<> {
        self.seen.into_keys()
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

    fn check_row(&mut self, line: u64) -> Outcome {
        let record = &self.record;
        if record.len() != self.header_len {
            let detail = format!("{} fields where the header has {}", record.len(), self.header_len);
            let detail = if record.len() < self.header_len { format!("{detail} (truncated line?)") } else { detail };
            return self.quarantine(line, None, String::new(), Reason::FieldCount, detail);
        }
        let mut texts: Vec<String> = Vec::with_capacity(self.contract.columns.len());
        let mut values = Vec::with_capacity(self.contract.columns.len());
        for (column, raw) in self.contract.columns.iter().zip(record.iter()) {
            let Some(text) = self.encoding.decode(raw) else {
                let detail = format!("bytes that are not valid {:?}", self.encoding);
                return self.quarantine(line, Some(column.name), String::new(), Reason::InvalidEncoding, detail);
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
            texts.push(text.into_owned());
            values.push(value);
        }
        for fk in self.contract.foreign_keys {
            if !self.refs.knows(fk.references) {
                continue;
            }
            let parts: Vec<&str> = fk
                .columns
                .iter()
                .map(|c| {
                    texts[self.contract.column_index(c).expect("foreign keys name the contract's columns")].as_str()
                })
                .collect();
            if parts.iter().any(|p| p.is_empty()) || self.refs.contains(fk.references, &parts) {
                continue;
            }
            let first = self.contract.column(fk.columns[0]).expect("foreign keys name the contract's columns");
            let shown = masked_for_report(&first.ty, &parts.join(";"));
            let detail = format!("no {} row with this key", fk.references);
            return self.quarantine(line, Some(first.name), shown, Reason::DanglingReference, detail);
        }
        if !self.key_columns.is_empty() {
            let key = join_key(&self.key_columns.iter().map(|&i| texts[i].as_str()).collect::<Vec<_>>());
            let mut hasher = DefaultHasher::new();
            for field in self.record.iter() {
                field.hash(&mut hasher);
            }
            let hash = hasher.finish();
            if let Some(&(first_hash, first_line)) = self.seen.get(&key) {
                if first_hash == hash {
                    return Outcome::Duplicate { line, first_line };
                }
                let shown = self.contract.key.join(", ");
                let column = self.contract.column(self.contract.key[0]).expect("contract keys name its own columns");
                let value = masked_for_report(&column.ty, &texts[self.key_columns[0]]);
                let detail = format!("key ({shown}) first seen on line {first_line} with different content");
                return self.quarantine(line, Some(column.name), value, Reason::DuplicateKey, detail);
            }
            self.seen.insert(key, (hash, line));
        }
        Outcome::Valid(ValidRow { line, contract: self.contract, values })
    }
}

impl Iterator for Validation<'_> {
    type Item = Outcome;

    fn next(&mut self) -> Option<Outcome> {
        if self.done {
            return None;
        }
        let outcome = loop {
            match self.reader.read_byte_record(&mut self.record) {
                Ok(true) => {
                    let line = self.record.position().map_or(0, csv::Position::line);
                    // A blank line is no row (the csv reader already skips them; this guards a lone CR).
                    if self.record.len() == 1 && self.record.get(0).is_some_and(<[u8]>::is_empty) && self.header_len > 1
                    {
                        continue;
                    }
                    break self.check_row(line);
                }
                Ok(false) => {
                    self.done = true;
                    return None;
                }
                Err(err) => {
                    // Reading from memory cannot fail with I/O; a structural error ends the file as one bad row.
                    self.done = true;
                    let line = err.position().map_or(0, csv::Position::line);
                    break self.quarantine(line, None, String::new(), Reason::FieldCount, err.to_string());
                }
            }
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
