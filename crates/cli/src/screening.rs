//! `agririsk screening load`: entries of the lender's screening register from a CSV file (`app::screening`),
//! recorded by the operating-system user the command acts as (the actor of its audit entries).

use std::path::Path;

use crate::Place;
use crate::error::CliError;
use crate::{SystemClock, emit, with_store};

/// `agririsk screening load FILE`.
pub async fn load_command(at: &Place, file: &Path) -> Result<(), CliError> {
    let entries = app::screening::read_file(file)?;
    let count = entries.len();
    let new = with_store(at, async |store| {
        let by = store.acting_as().actor.clone();
        app::screening::record(store, &SystemClock, &by, entries).await
    })
    .await?;
    emit(&format!("{}: {count} entries, {new} new\n", file.display()))
}
