//! Tabular data for modelling: named columns, each numeric (`f64`, NaN for missing) or categorical (codes into a
//! sorted list of levels), read from CSV the way the public credit datasets are written.
//!
//! A column is numeric when every non-missing value parses as a number; otherwise it is categorical. Missing values
//! are the empty field and the tokens in [`MISSING_TOKENS`]. Errors name the file, the line and the column.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// Field values read as missing (besides the empty field).
pub const MISSING_TOKENS: &[&str] = &["NA", "N/A", "NaN", "nan", "null", "NULL", "None"];

/// The code of a missing value in a categorical column.
pub const MISSING_CODE: u32 = u32::MAX;

/// One column's values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Column {
    /// Numbers; NaN marks a missing value.
    Numeric(Vec<f64>),
    /// Text levels: `codes[i]` indexes `levels` (sorted), or is [`MISSING_CODE`].
    Categorical {
        /// The distinct values, sorted.
        levels: Vec<String>,
        /// One code per row.
        codes: Vec<u32>,
    },
}

impl Column {
    /// Number of rows.
    pub fn len(&self) -> usize {
        match self {
            Column::Numeric(v) => v.len(),
            Column::Categorical { codes, .. } => codes.len(),
        }
    }

    /// Whether the column has no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether row `i` is missing.
    pub fn is_missing(&self, i: usize) -> bool {
        match self {
            Column::Numeric(v) => v[i].is_nan(),
            Column::Categorical { codes, .. } => codes[i] == MISSING_CODE,
        }
    }

    /// The rows at `index`, in that order.
    pub fn take(&self, index: &[usize]) -> Column {
        match self {
            Column::Numeric(v) => Column::Numeric(index.iter().map(|&i| v[i]).collect()),
            Column::Categorical { levels, codes } => {
                Column::Categorical { levels: levels.clone(), codes: index.iter().map(|&i| codes[i]).collect() }
            }
        }
    }

    /// Whether every non-missing value is the same (or there is none).
    pub fn is_constant(&self) -> bool {
        match self {
            Column::Numeric(v) => {
                let mut present = v.iter().filter(|x| !x.is_nan());
                match present.next() {
                    None => true,
                    Some(first) => present.all(|x| x == first),
                }
            }
            Column::Categorical { codes, .. } => {
                let mut present = codes.iter().filter(|&&c| c != MISSING_CODE);
                match present.next() {
                    None => true,
                    Some(first) => present.all(|c| c == first),
                }
            }
        }
    }
}

/// Named columns of equal length.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Frame {
    names: Vec<String>,
    columns: Vec<Column>,
    rows: usize,
}

/// What went wrong reading or shaping data; every variant names where.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DataError {
    /// The file could not be read.
    #[error("{file}: cannot read: {reason}")]
    Io {
        /// The file.
        file: PathBuf,
        /// Why.
        reason: String,
    },
    /// The file has no header or no data rows.
    #[error("{file}: {reason}")]
    Empty {
        /// The file.
        file: PathBuf,
        /// What is missing.
        reason: String,
    },
    /// A line is malformed.
    #[error("{file}: line {line}: {reason}")]
    Line {
        /// The file.
        file: PathBuf,
        /// 1-based line number (the header is line 1).
        line: u64,
        /// Why.
        reason: String,
    },
    /// A column is absent or unusable.
    #[error("{}column '{column}': {reason}", source_prefix(.file))]
    Column {
        /// The file, when the data came from one.
        file: Option<PathBuf>,
        /// The column.
        column: String,
        /// Why.
        reason: String,
    },
}

fn source_prefix(file: &Option<PathBuf>) -> String {
    file.as_ref().map_or(String::new(), |f| format!("{}: ", f.display()))
}

impl Frame {
    /// Builds a frame from named columns; they must have equal lengths and distinct names.
    pub fn new(names: Vec<String>, columns: Vec<Column>) -> Result<Frame, DataError> {
        let column_error =
            |column: &str, reason: String| DataError::Column { file: None, column: column.into(), reason };
        if names.len() != columns.len() {
            return Err(column_error("", format!("{} names for {} columns", names.len(), columns.len())));
        }
        let rows = columns.first().map_or(0, Column::len);
        for (name, column) in names.iter().zip(&columns) {
            if column.len() != rows {
                return Err(column_error(name, format!("has {} rows, the first column {rows}", column.len())));
            }
        }
        let mut seen = std::collections::HashSet::new();
        if let Some(dup) = names.iter().find(|n| !seen.insert(n.as_str())) {
            return Err(column_error(dup, "appears twice".into()));
        }
        Ok(Frame { names, columns, rows })
    }

    /// Number of rows.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Column names, in order.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// Columns, in order.
    pub fn columns(&self) -> &[Column] {
        &self.columns
    }

    /// Position of the column named `name`.
    pub fn position(&self, name: &str) -> Option<usize> {
        self.names.iter().position(|n| n == name)
    }

    /// The column named `name`.
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.position(name).map(|i| &self.columns[i])
    }

    /// The rows at `index`, in that order.
    pub fn take(&self, index: &[usize]) -> Frame {
        Frame {
            names: self.names.clone(),
            columns: self.columns.iter().map(|c| c.take(index)).collect(),
            rows: index.len(),
        }
    }

    /// Removes the column named `name` and returns it.
    pub fn remove(&mut self, name: &str) -> Option<Column> {
        let i = self.position(name)?;
        self.names.remove(i);
        Some(self.columns.remove(i))
    }

    /// Splits off a binary target column: values 0/1 (or the two levels of a text column `0`/`1`, `false`/`true`).
    /// Errors name the column and the first offending row (1-based data row).
    pub fn take_target(&mut self, name: &str) -> Result<Vec<u8>, DataError> {
        let err = |reason: String| DataError::Column { file: None, column: name.into(), reason };
        let column = self.remove(name).ok_or_else(|| err("no such column".into()))?;
        let target: Vec<u8> = match &column {
            Column::Numeric(v) => v
                .iter()
                .enumerate()
                .map(|(i, x)| match *x {
                    0.0 => Ok(0),
                    1.0 => Ok(1),
                    x if x.is_nan() => Err(err(format!("row {}: target is missing", i + 1))),
                    x => Err(err(format!("row {}: target {x} is not 0 or 1", i + 1))),
                })
                .collect::<Result<_, _>>()?,
            Column::Categorical { levels, codes } => codes
                .iter()
                .enumerate()
                .map(|(i, &c)| match levels.get(c as usize).map(String::as_str) {
                    Some("0" | "false" | "False") => Ok(0),
                    Some("1" | "true" | "True") => Ok(1),
                    None => Err(err(format!("row {}: target is missing", i + 1))),
                    Some(other) => Err(err(format!("row {}: target '{other}' is not 0 or 1", i + 1))),
                })
                .collect::<Result<_, _>>()?,
        };
        if target.is_empty() {
            return Err(err("no rows".into()));
        }
        if target.iter().all(|&y| y == target[0]) {
            return Err(err(format!("every row is {}: a target needs both classes", target[0])));
        }
        Ok(target)
    }
}

impl fmt::Display for Frame {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} rows × {} columns", self.rows, self.names.len())
    }
}

fn is_missing_token(field: &str) -> bool {
    let field = field.trim();
    field.is_empty() || MISSING_TOKENS.contains(&field)
}

/// Reads a CSV file with a header row into a frame. Column types are inferred as described in the module docs.
pub fn read_csv(path: &Path) -> Result<Frame, DataError> {
    let file = path.to_path_buf();
    let bytes = std::fs::read(path).map_err(|e| DataError::Io { file: file.clone(), reason: e.to_string() })?;
    read_csv_bytes(&bytes, &file)
}

/// Reads CSV from memory; `file` names the source in errors.
pub fn read_csv_bytes(bytes: &[u8], file: &Path) -> Result<Frame, DataError> {
    let file = file.to_path_buf();
    let mut reader = csv::ReaderBuilder::new().has_headers(true).flexible(false).from_reader(bytes);
    let line_error = |e: csv::Error| {
        let line = e.position().map_or(0, |p| p.line());
        let reason = match e.kind() {
            csv::ErrorKind::UnequalLengths { expected_len, len, .. } => {
                format!("{len} fields where the header has {expected_len}")
            }
            csv::ErrorKind::Utf8 { .. } => "not valid UTF-8".to_string(),
            _ => e.to_string(),
        };
        DataError::Line { file: file.clone(), line, reason }
    };
    let header = reader.headers().map_err(line_error)?.clone();
    if header.is_empty() || (header.len() == 1 && header[0].trim().is_empty()) {
        return Err(DataError::Empty { file, reason: "no header row".into() });
    }
    let names: Vec<String> = header.iter().map(|h| h.trim().to_string()).collect();
    if let Some(i) = names.iter().position(String::is_empty) {
        return Err(DataError::Line { file, line: 1, reason: format!("column {} has an empty name", i + 1) });
    }
    let mut raw: Vec<Vec<String>> = vec![Vec::new(); names.len()];
    for record in reader.records() {
        let record = record.map_err(line_error)?;
        for (j, field) in record.iter().enumerate() {
            raw[j].push(field.to_string());
        }
    }
    if raw[0].is_empty() {
        return Err(DataError::Empty { file, reason: "no data rows".into() });
    }
    let columns = raw.into_iter().map(|values| infer(&values)).collect();
    Frame::new(names, columns).map_err(|e| match e {
        DataError::Column { column, reason, .. } => DataError::Column { file: Some(file.clone()), column, reason },
        other => other,
    })
}

/// Numeric when every present value parses; otherwise categorical with sorted levels.
fn infer(values: &[String]) -> Column {
    let numbers: Option<Vec<f64>> =
        values
            .iter()
            .map(|v| {
                if is_missing_token(v) {
                    Some(f64::NAN)
                } else {
                    v.trim().parse::<f64>().ok().filter(|x| x.is_finite())
                }
            })
            .collect();
    if let Some(numbers) = numbers {
        return Column::Numeric(numbers);
    }
    let mut index: BTreeMap<&str, u32> = BTreeMap::new();
    for v in values.iter().filter(|v| !is_missing_token(v)) {
        index.entry(v.as_str()).or_insert(0);
    }
    for (code, slot) in index.values_mut().enumerate() {
        *slot = code as u32;
    }
    let codes = values.iter().map(|v| if is_missing_token(v) { MISSING_CODE } else { index[v.as_str()] }).collect();
    Column::Categorical { levels: index.keys().map(|k| k.to_string()).collect(), codes }
}

/// Reads a fold file: a header, then one fold number per data row, `rows` of them.
pub fn read_folds(path: &Path, rows: usize) -> Result<Vec<u8>, DataError> {
    let frame = read_csv(path)?;
    let file = Some(path.to_path_buf());
    let name = frame.names().first().cloned().unwrap_or_default();
    let err = |reason: String| DataError::Column { file: file.clone(), column: name.clone(), reason };
    if frame.rows() != rows {
        return Err(err(format!("{} folds for {rows} data rows", frame.rows())));
    }
    match &frame.columns()[0] {
        Column::Numeric(v) => v
            .iter()
            .enumerate()
            .map(|(i, &x)| {
                if x.fract() == 0.0 && (0.0..=255.0).contains(&x) {
                    Ok(x as u8)
                } else {
                    Err(err(format!("row {}: fold {x} is not a small whole number", i + 1)))
                }
            })
            .collect(),
        Column::Categorical { .. } => Err(err("folds must be whole numbers".into())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Result<Frame, DataError> {
        read_csv_bytes(text.as_bytes(), Path::new("t.csv"))
    }

    #[test]
    fn infers_numeric_and_categorical_columns_with_missing_values() {
        let f = read("a,b,bad\n1.5,x,0\n,y,1\nNA,x,0\n").expect("valid");
        assert_eq!(f.rows(), 3);
        match f.column("a").expect("a") {
            Column::Numeric(v) => assert!(v[0] == 1.5 && v[1].is_nan() && v[2].is_nan()),
            other => panic!("{other:?}"),
        }
        assert_eq!(
            f.column("b"),
            Some(&Column::Categorical { levels: vec!["x".into(), "y".into()], codes: vec![0, 1, 0] })
        );
    }

    #[test]
    fn errors_name_file_line_and_column() {
        let e = read("a,b\n1,2\n3\n").expect_err("short row");
        assert_eq!(e.to_string(), "t.csv: line 3: 1 fields where the header has 2");
        assert_eq!(read("").expect_err("empty").to_string(), "t.csv: no header row");
        assert_eq!(read("a,b\n").expect_err("no rows").to_string(), "t.csv: no data rows");
        let mut f = read("a,bad\n1,0\n2,2\n").expect("valid");
        assert_eq!(
            f.take_target("bad").expect_err("not binary").to_string(),
            "column 'bad': row 2: target 2 is not 0 or 1"
        );
        let mut f2 = read("a,bad\n1,0\n2,0\n").expect("valid");
        assert!(f2.take_target("bad").expect_err("one class").to_string().contains("both classes"));
        assert_eq!(f.take_target("nope").expect_err("absent").to_string(), "column 'nope': no such column");
    }

    #[test]
    fn take_selects_rows_in_order() {
        let f = read("a,b\n1,x\n2,y\n3,z\n").expect("valid");
        let t = f.take(&[2, 0]);
        assert_eq!(t.column("a"), Some(&Column::Numeric(vec![3.0, 1.0])));
        assert!(!t.columns()[1].is_constant());
        assert!(f.take(&[1]).columns()[0].is_constant());
    }
}
