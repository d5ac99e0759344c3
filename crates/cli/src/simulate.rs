//! `agririsk simulate`: runs the synthetic county through the service layer's `app::simulation`, which writes its
//! files; this module draws the progress bar and prints the summary line. `--report` summarises a written run.

use std::path::Path;

use app::simulation::OutputFormat;
use simulate::Config;

use crate::emit;
use crate::error::CliError;

/// Runs the simulation and writes every table into `out`.
pub fn run(
    config: Config,
    seed: u64,
    out: &Path,
    format: OutputFormat,
    threads: usize,
    quiet: bool,
) -> Result<(), CliError> {
    let bar = if quiet {
        indicatif::ProgressBar::hidden()
    } else {
        let bar = indicatif::ProgressBar::new(u64::from(config.villages));
        bar.set_style(
            indicatif::ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} villages, {elapsed}")
                .map_err(|e| CliError::internal(format!("progress bar: {e}")))?
                .progress_chars("=> "),
        );
        bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
        bar.set_message("simulating");
        bar
    };
    let started = std::time::Instant::now();
    let counts = app::simulation::write(&config, seed, out, format, threads, &|done| bar.set_position(u64::from(done)));
    bar.finish_and_clear();
    let counts = counts?;
    if !quiet {
        let rows: usize = counts.iter().map(|(_, n)| n).sum();
        emit(&format!(
            "simulated {} households in {} villages over {} months (seed {seed}) in {:.1} s; {} files, {rows} rows in {}\n",
            config.households,
            config.villages,
            config.months,
            started.elapsed().as_secs_f64(),
            counts.len(),
            out.display()
        ))?;
    }
    Ok(())
}
