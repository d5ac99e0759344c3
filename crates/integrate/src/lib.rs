//! Data integration: source files into the store, and stored records back out as borrower histories.
//!
//! [`load`] takes one file through the pure validator (`ingest`), seals personal data (`privacy`), decides per row
//! whether it is new, a correction or unchanged, and commits rows, quarantine and the load record in one
//! transaction; [`directory`] loads a whole directory in its manifest's dependency order. [`schema`] maps a
//! contract to its record table and a validated row to its stored cells. [`history`] reads the records back as
//! the feature engine's input; [`profile`] assembles one borrower's 360° view as of a date, personal data masked;
//! [`export`] writes the loaded sources for model training with every personal value and household id replaced
//! by a scoped pseudonym; [`retention`] reads what `privacy::retention` needs to judge a household's personal data.
//!
//! [`register`] is the contract of the record register this crate loads into and reads from ([`RecordStore`]);
//! every function here takes any implementation of it (`store::SqliteStore` is one).
//!
//! Boundary: no SQL and no database crate here (that is `store`'s, which implements [`RecordStore`]), no validation rules (that is `ingest`'s), no clock reads (the caller
//! passes the load's date and time).

pub mod directory;
pub mod export;
pub mod feature_table;
pub mod history;
pub mod load;
pub mod profile;
pub mod register;
pub mod retention;
pub mod schema;

use std::path::PathBuf;

pub use directory::{Dangling, DirectoryReport, Manifest, Skipped, load_directory, read_manifest};
pub use load::{LoadOptions, LoadReport, Progress, Silent, load_file};
pub use register::{RecordLoad, RecordStore, RegisterError};

/// Errors of data integration.
#[derive(Debug, thiserror::Error)]
pub enum IntegrateError {
    /// The file is not what its source says: refused whole before any row was read.
    #[error(transparent)]
    Header(#[from] ingest::HeaderError),
    /// A file could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The operating-system error.
        #[source]
        source: std::io::Error,
    },
    /// A manifest is unreadable or of an unsupported version.
    #[error("{}: {reason}", path.display())]
    Manifest {
        /// The manifest.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// No contract of that name.
    #[error("unknown source `{0}`")]
    UnknownSource(String),
    /// Personal data could not be sealed.
    #[error("sealing personal data failed: {0}")]
    Seal(privacy::SealError),
    /// A stored value cannot be read back as its contract says (a damaged or hand-edited database).
    #[error("stored {table}.{column}: {reason}")]
    Stored {
        /// The source.
        table: &'static str,
        /// The column.
        column: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// A label horizon that runs past the end of the stored repayment history.
    #[error(
        "a {horizon_months}-month label as of {as_of} needs repayment history to {needed}; the stored history ends {}",
        data_end.map_or_else(|| "nowhere (no repayments are loaded)".to_string(), |d| format!("on {d}"))
    )]
    HorizonBeyondData {
        /// The as-of date.
        as_of: domain::Date,
        /// The horizon asked for.
        horizon_months: u32,
        /// The date the data must reach.
        needed: domain::Date,
        /// The last repayment date stored.
        data_end: Option<domain::Date>,
    },
    /// A request the user can correct: names the field (`id`, `out`, `scope`…) and says why.
    #[error("{field}: {reason}")]
    Input {
        /// The offending argument.
        field: &'static str,
        /// Why it was refused (personal values masked).
        reason: String,
    },
    /// A sealed value could not be opened (a key file without the key it was sealed under, or a damaged token).
    #[error("stored {table}.{column} cannot be opened with these keys: {source}")]
    Unseal {
        /// The source.
        table: &'static str,
        /// The column.
        column: &'static str,
        /// Why.
        #[source]
        source: privacy::SealError,
    },
    /// The record register failed.
    #[error(transparent)]
    Store(#[from] register::RegisterError),
}

impl IntegrateError {
    /// Whether the user can fix this by changing the input (exit code 2 on the command line).
    pub fn is_input_error(&self) -> bool {
        matches!(
            self,
            IntegrateError::Header(_)
                | IntegrateError::Manifest { .. }
                | IntegrateError::UnknownSource(_)
                | IntegrateError::HorizonBeyondData { .. }
                | IntegrateError::Input { .. }
                | IntegrateError::Unseal { .. }
                | IntegrateError::Store(register::RegisterError::SchemaChanged { .. })
        )
    }
}
