//! What happens to a bad row: a [`Quarantined`] record saying where (file, line, field), what (the value, with
//! personal identifiers masked) and why (a [`Reason`] plus a detail), and the [`LoadSummary`] counting a file's
//! outcomes per reason.

use std::collections::BTreeMap;
use std::fmt;

/// The category of a quarantined row; the summary counts rows per reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Reason {
    /// The text does not parse as the column's type.
    WrongType,
    /// The value parses but is outside the contract's range.
    OutOfRange,
    /// A national ID whose GB 11643 check character is wrong.
    BadCheckDigit,
    /// A value outside a closed code list.
    UnknownCode,
    /// A required field is empty.
    MissingValue,
    /// A foreign key names no row of the referenced source.
    DanglingReference,
    /// The row's key was seen before with different content.
    DuplicateKey,
    /// The row has fewer or more fields than the header (a truncated line, a stray delimiter), or a JSON Lines
    /// object lacks a contract column's key.
    FieldCount,
    /// A field holds bytes that are not valid in the file's encoding.
    InvalidEncoding,
    /// A JSON Lines line that is not a JSON object (invalid JSON, or an array, string, number…).
    MalformedLine,
    /// Every field parses, but the row breaks a rule between columns (`maturity_date` before `start_date`).
    CrossColumn,
}

impl Reason {
    /// A stable machine-readable code.
    pub fn code(self) -> &'static str {
        match self {
            Reason::WrongType => "wrong-type",
            Reason::OutOfRange => "out-of-range",
            Reason::BadCheckDigit => "bad-check-digit",
            Reason::UnknownCode => "unknown-code",
            Reason::MissingValue => "missing-value",
            Reason::DanglingReference => "dangling-reference",
            Reason::DuplicateKey => "duplicate-key",
            Reason::FieldCount => "field-count",
            Reason::InvalidEncoding => "invalid-encoding",
            Reason::MalformedLine => "malformed-line",
            Reason::CrossColumn => "cross-column",
        }
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// A row set aside instead of loaded. Holds no unmasked national ID, phone or card number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quarantined {
    /// The file name (`households.csv`, `households.jsonl`).
    pub file: String,
    /// The 1-based line the row starts on (in CSV the header is line 1; JSON Lines has no header).
    pub line: u64,
    /// The offending column, when one field is to blame.
    pub field: Option<&'static str>,
    /// The offending value as read, masked if it is a personal identifier; empty when no single value applies.
    pub value: String,
    /// The reason category.
    pub reason: Reason,
    /// A human explanation.
    pub detail: String,
}

impl fmt::Display for Quarantined {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.file, self.line)?;
        if let Some(field) = self.field {
            write!(f, " {field}={:?}", self.value)?;
        }
        write!(f, ": {} ({})", self.reason, self.detail)
    }
}

/// The counts of one file's validation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LoadSummary {
    /// The file name.
    pub file: String,
    /// Data rows read (excluding the header).
    pub read: u64,
    /// Rows that passed.
    pub valid: u64,
    /// Rows quarantined.
    pub quarantined: u64,
    /// Rows skipped as exact duplicates of an earlier row with the same key.
    pub duplicates: u64,
    /// Quarantined rows per reason.
    pub by_reason: BTreeMap<Reason, u64>,
}

impl LoadSummary {
    /// Whether every row read is accounted for exactly once.
    pub fn is_consistent(&self) -> bool {
        self.read == self.valid + self.quarantined + self.duplicates
            && self.by_reason.values().sum::<u64>() == self.quarantined
    }
}
