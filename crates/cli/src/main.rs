//! The `agririsk` binary: parses the command line, runs the command, prints one error line and sets the exit code.

use std::process::ExitCode;

use clap::Parser;

/// mimalloc instead of the system allocator: bulk loads allocate a few short-lived strings per field, and glibc's
/// allocator spent a fifth of an ingest's time consolidating and unlinking chunks.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = cli::args::Cli::parse();
    // The server takes both cores' worth of connections; every other command is a single sequential job.
    let mut builder = if matches!(cli.command, cli::args::Command::Serve { .. }) {
        tokio::runtime::Builder::new_multi_thread()
    } else {
        tokio::runtime::Builder::new_current_thread()
    };
    let runtime = match builder.enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(cli::run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}
