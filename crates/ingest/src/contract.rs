//! The vocabulary a data contract is written in: a [`Contract`] names a source, its columns with their
//! [`ColumnType`]s, its key, its foreign keys and its cross-column [`Rule`]s. The contracts themselves are data, in
//! `contracts.rs`; this module only says what they can express, so that a validator can check any of them the same
//! way.

/// The contract version these definitions follow (`docs/data-contracts.md`).
pub const CONTRACT_VERSION: u32 = 2;

/// One source file's contract: `<name>.csv` or `<name>.jsonl`, its columns in order, its key, its references and
/// the rules that tie its columns together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contract {
    /// The entity name; the file is `<name>.csv` or `<name>.jsonl`.
    pub name: &'static str,
    /// The contract version this definition belongs to.
    pub version: u32,
    /// The columns, in the order the file must have them.
    pub columns: &'static [Column],
    /// The columns whose values together identify a row; empty when the file declares no unique key.
    pub key: &'static [&'static str],
    /// References to other sources' keys.
    pub foreign_keys: &'static [ForeignKey],
    /// Rules between columns of one row, checked after each column has parsed.
    pub rules: &'static [Rule],
}

impl Contract {
    /// The position of a column in the contract, by name.
    pub fn column_index(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.name == name)
    }

    /// The column of that name.
    pub fn column(&self, name: &str) -> Option<&'static Column> {
        self.columns.iter().find(|c| c.name == name)
    }
}

/// One column: its name, what it holds and whether it may be empty.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column {
    /// The header name.
    pub name: &'static str,
    /// What a value must look like.
    pub ty: ColumnType,
    /// Whether the empty string is allowed (the contract's "absent").
    pub optional: bool,
}

/// An inclusive range of integers; either end may be open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IntRange {
    /// Smallest allowed value.
    pub min: Option<i64>,
    /// Largest allowed value.
    pub max: Option<i64>,
}

/// A range of decimals (or yuan amounts), in hundredths or ten-thousandths as the column's scale says: written
/// as `(value, scale)` pairs so that contracts stay `const`. `exclusive` ends reject the bound itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecimalRange {
    /// Lower bound as a mantissa and scale (`(3, 1)` = 0.3), and whether it is exclusive.
    pub min: Option<(i64, u32, bool)>,
    /// Upper bound as a mantissa and scale, and whether it is exclusive.
    pub max: Option<(i64, u32, bool)>,
}

impl DecimalRange {
    /// No bounds.
    pub const ANY: DecimalRange = DecimalRange { min: None, max: None };
}

/// What a column holds. Every variant knows how to parse its CSV text and which values are out of range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnType {
    /// Free text (Chinese names, purposes, headlines).
    Text,
    /// A record identifier shaped like `pattern`: `#` is any ASCII digit, every other character is literal
    /// (`H#######`, `L#####-####`, `99####`).
    Id {
        /// The shape.
        pattern: &'static str,
    },
    /// A plain integer.
    Int(IntRange),
    /// A decimal written with exactly `places` decimals.
    Decimal {
        /// Decimal places, exactly.
        places: u32,
        /// Allowed values.
        range: DecimalRange,
    },
    /// Yuan with exactly two decimals, `-` for negatives; parsed into `domain::Money`.
    Amount {
        /// Allowed values.
        range: DecimalRange,
        /// Whether zero is refused (`≠ 0`).
        nonzero: bool,
    },
    /// An annual rate as a normalised decimal fraction (no trailing zeros), strictly between 0 and 1.
    Rate,
    /// `YYYY-MM-DD`.
    Date,
    /// `YYYY-MM`.
    Month,
    /// `true` or `false`.
    Bool,
    /// One value of a closed code list.
    Code(&'static [&'static str]),
    /// A non-empty `;`-separated list of values of a closed code list.
    CodeList {
        /// Allowed codes.
        codes: &'static [&'static str],
    },
    /// A `;`-separated list of record identifiers shaped like `pattern`, with `min`–`max` entries.
    IdList {
        /// The shape of each entry.
        pattern: &'static str,
        /// Fewest entries.
        min: usize,
        /// Most entries.
        max: usize,
    },
    /// An 18-character GB 11643 national ID with a valid check character (personal data: always masked).
    NationalId,
    /// A phone number as the contract states it: 11 digits, leading `1` (personal data: always masked).
    Phone,
    /// A bank card number (银行卡号): 16–19 digits whose last digit is a Luhn (ISO/IEC 7812-1) check digit
    /// (personal data: always masked, as `6222 **** **** **** 3256`).
    CardNumber,
}

/// A reference from some columns of this source to the key of another source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ForeignKey {
    /// The referring columns, in the order of the referenced key.
    pub columns: &'static [&'static str],
    /// The referenced source (its key is the target).
    pub references: &'static str,
    /// Whether the contract defers this check until the referenced file is loaded after this one.
    pub deferred: bool,
}

/// A rule between columns of one row. Rules naming an empty optional column hold vacuously unless they are about
/// presence ([`Condition::Present`], [`Condition::Absent`]); a row breaking one is quarantined as `cross-column`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// The text of `column` starts with the text of `prefix` (`village_code` starts with its `county_code`).
    StartsWithColumn {
        /// The column that carries the prefix.
        column: &'static str,
        /// The column whose text is the prefix.
        prefix: &'static str,
    },
    /// The number in `total` equals the sum of the numbers in `parts` (`size` = `labourers` + `dependants`).
    EqualsSum {
        /// The total.
        total: &'static str,
        /// The summands.
        parts: &'static [&'static str],
    },
    /// `a` < `b`, for numbers, dates or months of the same kind.
    Less {
        /// The smaller side.
        a: &'static str,
        /// The larger side.
        b: &'static str,
    },
    /// `a` ≤ `b`, for numbers, dates or months of the same kind.
    NotGreater {
        /// The smaller side.
        a: &'static str,
        /// The larger side.
        b: &'static str,
    },
    /// Both conditions hold or neither does (`insurance_cover` present iff `insured`).
    Iff(Condition, Condition),
    /// Whenever the first condition holds, so does the second (`open_accounts` = 0 when not `has_record`).
    Implies(Condition, Condition),
}

impl Rule {
    /// The columns the rule reads, first the one a quarantine record names.
    pub fn columns(&self) -> Vec<&'static str> {
        match *self {
            Rule::StartsWithColumn { column, prefix } => vec![column, prefix],
            Rule::EqualsSum { total, parts } => std::iter::once(total).chain(parts.iter().copied()).collect(),
            Rule::Less { a, b } | Rule::NotGreater { a, b } => vec![a, b],
            Rule::Iff(p, q) | Rule::Implies(p, q) => vec![p.column(), q.column()],
        }
    }
}

/// A condition on one column of a row, for [`Rule::Iff`] and [`Rule::Implies`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Condition {
    /// The column is not empty.
    Present(&'static str),
    /// The column is empty.
    Absent(&'static str),
    /// The column's text is one of `values` (codes, `true`/`false`, integers as written).
    Is {
        /// The column.
        column: &'static str,
        /// The accepted texts.
        values: &'static [&'static str],
    },
    /// The column's text is present and none of `values`.
    IsNot {
        /// The column.
        column: &'static str,
        /// The refused texts.
        values: &'static [&'static str],
    },
    /// The column holds the number zero (an integer, decimal or amount).
    Zero(&'static str),
    /// The column holds a number greater than zero.
    Positive(&'static str),
}

impl Condition {
    /// The column the condition reads.
    pub fn column(&self) -> &'static str {
        match *self {
            Condition::Present(column)
            | Condition::Absent(column)
            | Condition::Zero(column)
            | Condition::Positive(column)
            | Condition::Is { column, .. }
            | Condition::IsNot { column, .. } => column,
        }
    }
}
