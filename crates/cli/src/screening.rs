//! `agririsk screening load`: entries of the lender's screening register from a CSV file (`app::screening`).

use std::path::Path;

use app::screening::NewEntry;
use store::SqliteStore;

use crate::error::CliError;
use crate::{SystemClock, emit};

/// `agririsk screening load FILE --by NAME`.
pub async fn load_command(data_dir: &Path, file: &Path, by: &str) -> Result<(), CliError> {
    let shown = file.display().to_string();
    let mut reader = csv::Reader::from_path(file).map_err(|e| CliError::input("file", format!("{shown}: {e}")))?;
    let expected = ["household_id", "kind", "effective_on", "source", "note"];
    let header = reader.headers().map_err(|e| CliError::input("file", format!("{shown}: {e}")))?.clone();
    if header.iter().collect::<Vec<_>>() != expected {
        return Err(CliError::input("file", format!("{shown}: the header must be {}", expected.join(","))));
    }
    let mut entries = Vec::new();
    for (i, row) in reader.records().enumerate() {
        let line = i + 2;
        let row = row.map_err(|e| CliError::input("file", format!("{shown} line {line}: {e}")))?;
        let field = |n: usize| row.get(n).unwrap_or_default().to_owned();
        let at = |name: &str| format!("{shown} line {line}: {name}");
        let kind = field(1).parse().map_err(|e| CliError::input(at("kind"), e))?;
        let effective_on = domain::parse_date(&field(2)).map_err(|e| CliError::input(at("effective_on"), e))?;
        entries.push(NewEntry { household_id: field(0), kind, effective_on, source: field(3), note: field(4) });
    }
    let count = entries.len();
    let store = SqliteStore::open(data_dir).await?;
    let result = app::screening::record(&store, &SystemClock, by, entries).await;
    store.close().await;
    let new = result?;
    emit(&format!("{shown}: {count} entries, {new} new\n"))
}
