//! Command errors and their exit codes. A command fails with the service layer's [`app::Error`]: its exit code
//! comes from the one code table (`app::ErrorCode::exit_code`): 2 for anything the user can fix (bad input, an
//! illegal move, an unknown loan), 1 for failures of the machine (disk, database).

/// An error that ends a command (the service layer's error, printed as `error: <field>: <reason>`).
pub type CliError = app::Error;
