//! `agririsk screening load`: entries of the lender's screening register from a CSV file (`app::screening`).

use std::path::Path;

use crate::error::CliError;
use crate::{SystemClock, emit, with_store};

/// `agririsk screening load FILE --by NAME`.
pub async fn load_command(data_dir: &Path, file: &Path, by: &str) -> Result<(), CliError> {
    let entries = app::screening::read_file(file)?;
    let count = entries.len();
    let new =
        with_store(data_dir, async |store| app::screening::record(store, &SystemClock, by, entries).await).await?;
    emit(&format!("{}: {count} entries, {new} new\n", file.display()))
}
