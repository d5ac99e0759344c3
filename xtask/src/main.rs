//! Project automation for the agririsk workspace, run as `cargo xtask <command>`.
//!
//! Commands:
//! - `ci`: formatting check, clippy, tidy checks and tests, stopping at the first failure;
//! - `tidy`: the repository tidy checks alone (see [`tidy`]);
//! - `fmt`: format the whole workspace;
//! - `bench`: run the benchmarks, which print their own figures;
//! - `fuzz`: run each cargo-fuzz target of `fuzz/` for a few seconds (see [`fuzz`]).

mod tidy;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Instant;

use anyhow::{Context, Result, bail};

const USAGE: &str = "usage: cargo xtask <command>

commands:
  ci     cargo fmt --check, clippy -D warnings, tidy checks, tests (stops at first failure)
  tidy   run the repository tidy checks only
  fmt    format the whole workspace (cargo fmt --all)
  bench  run the benchmarks and print their figures (see docs/benchmarks.md); `bench lending|scoring|ingest|data|policy|decide` runs one group
  fuzz   run each cargo-fuzz target in fuzz/ (policy_load, policy_expr, decide_request) for 20 seconds, from its
         committed seeds; `fuzz <seconds> [target...]` sets the time and picks targets. Installs cargo-fuzz if
         missing and works on stable Rust (RUSTC_BOOTSTRAP=1, no sanitizer); a crash fails the command and leaves
         its input in fuzz/artifacts/<target>/";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("xtask: error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

/// Dispatches one xtask command.
fn run(args: &[String]) -> Result<()> {
    let root = workspace_root();
    match args.first().map(String::as_str) {
        Some("ci") => ci(&root),
        Some("tidy") => tidy::run(&root),
        Some("fmt") => run_cargo(&root, &["fmt", "--all"]),
        Some("bench") => bench(&root, args.get(1).map(String::as_str)),
        Some("fuzz") => fuzz(&root, &args[1..]),
        Some("help" | "-h" | "--help") => {
            println!("{USAGE}");
            Ok(())
        }
        Some(other) => bail!("unknown command `{other}`\n\n{USAGE}"),
        None => bail!("missing command\n\n{USAGE}"),
    }
}

/// The benchmarks, by group; `cargo xtask bench [lending|scoring]` runs one group, no argument runs all.
fn bench(root: &Path, only: Option<&str>) -> Result<()> {
    let groups: [(&str, &[&[&str]]); 6] = [
        ("lending", &[&["bench", "-p", "lending", "--bench", "servicing", "--quiet"]]),
        (
            "scoring",
            &[
                &["bench", "-p", "scoring", "--bench", "scorecard", "--quiet"],
                &["bench", "-p", "scoring", "--bench", "trees", "--quiet"],
            ],
        ),
        ("ingest", &[&["bench", "-p", "ingest", "--bench", "validate", "--quiet"]]),
        ("data", &[&["bench", "-p", "cli", "--bench", "data", "--quiet"]]),
        ("policy", &[&["bench", "-p", "policy", "--bench", "evaluate", "--quiet"]]),
        ("decide", &[&["bench", "-p", "cli", "--bench", "decide", "--quiet"]]),
    ];
    if let Some(name) = only.filter(|n| !groups.iter().any(|(g, _)| g == n)) {
        bail!("unknown benchmark group `{name}` (known: lending, scoring, ingest, data, policy, decide)");
    }
    for (group, commands) in groups {
        if only.is_none_or(|n| n == group) {
            for args in commands {
                run_cargo(root, args)?;
            }
        }
    }
    Ok(())
}

/// Seconds each fuzz target runs when `cargo xtask fuzz` is given no time.
const FUZZ_SECONDS: u32 = 20;

/// `cargo xtask fuzz [seconds] [target...]`: builds the cargo-fuzz workspace in `fuzz/` and runs each target (all
/// of `cargo fuzz list` unless some are named) for the given seconds, reading the committed seeds in
/// `fuzz/seeds/<target>` and keeping what it generates in `fuzz/corpus/<target>` (ignored by git). cargo-fuzz is
/// installed from crates.io if missing. libFuzzer needs nightly-only compiler flags: `RUSTC_BOOTSTRAP=1` lets
/// stable accept them, and `--sanitizer none` avoids AddressSanitizer, which stable cannot build (the workspace
/// forbids unsafe code, so it would find little). An input running longer than 10 seconds counts as a failure.
fn fuzz(root: &Path, args: &[String]) -> Result<()> {
    let (seconds, named) = match args.first().map(|first| first.parse::<u32>()) {
        Some(Ok(seconds)) if seconds > 0 => (seconds, &args[1..]),
        Some(Ok(_)) => bail!("fuzz: the time must be at least one second"),
        _ => (FUZZ_SECONDS, args),
    };
    let started = Instant::now();
    let installed = cargo_command(root).args(["fuzz", "--version"]).output().is_ok_and(|out| out.status.success());
    if !installed {
        println!("==> fuzz: installing cargo-fuzz");
        run_cargo(root, &["install", "cargo-fuzz", "--locked"])?;
        println!("<== fuzz: cargo-fuzz installed in {:.1}s", started.elapsed().as_secs_f64());
    }
    let listed = cargo_command(root).args(["fuzz", "list"]).output().context("failed to spawn `cargo fuzz list`")?;
    if !listed.status.success() {
        bail!("`cargo fuzz list` failed ({})", listed.status);
    }
    let all: Vec<String> = String::from_utf8_lossy(&listed.stdout).lines().map(str::trim).map(str::to_owned).collect();
    if let Some(unknown) = named.iter().find(|name| !all.contains(name)) {
        bail!("unknown fuzz target `{unknown}` (known: {})", all.join(", "));
    }
    let targets: Vec<&String> = if named.is_empty() { all.iter().collect() } else { named.iter().collect() };
    let build = Instant::now();
    run_fuzz(root, &["build", "--sanitizer", "none"])?;
    println!("<== fuzz: targets built in {:.1}s", build.elapsed().as_secs_f64());
    let max_time = format!("-max_total_time={seconds}");
    for target in targets {
        let corpus = root.join("fuzz/corpus").join(target);
        std::fs::create_dir_all(&corpus).with_context(|| format!("creating {}", corpus.display()))?;
        let (corpus, seeds) = (format!("fuzz/corpus/{target}"), format!("fuzz/seeds/{target}"));
        println!("==> fuzz {target} for {seconds}s");
        let run = Instant::now();
        run_fuzz(root, &["run", target, "--sanitizer", "none", &corpus, &seeds, "--", &max_time, "-timeout=10"])?;
        println!("<== fuzz {target}: no failure in {:.1}s", run.elapsed().as_secs_f64());
    }
    println!("fuzz: done in {:.1}s", started.elapsed().as_secs_f64());
    Ok(())
}

/// Runs `cargo fuzz <args>` in the workspace root with `RUSTC_BOOTSTRAP=1`, failing on a non-zero exit.
fn run_fuzz(root: &Path, args: &[&str]) -> Result<()> {
    let status = cargo_command(root)
        .arg("fuzz")
        .args(args)
        .env("RUSTC_BOOTSTRAP", "1")
        .status()
        .with_context(|| format!("failed to spawn `cargo fuzz {}`", args.join(" ")))?;
    if !status.success() {
        bail!("`cargo fuzz {}` failed ({status}); a crashing input is kept under fuzz/artifacts/", args.join(" "));
    }
    Ok(())
}

/// The workspace root: the parent of this crate's manifest directory.
fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives one level below the workspace root")
        .to_path_buf()
}

/// A `cargo` command using the cargo that invoked us (`$CARGO`), else `cargo` on `PATH`.
fn cargo_command(root: &Path) -> Command {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(root);
    cmd
}

/// Runs `cargo <args>` in the workspace root, failing on a non-zero exit.
fn run_cargo(root: &Path, args: &[&str]) -> Result<()> {
    let status = cargo_command(root)
        .args(args)
        .status()
        .with_context(|| format!("failed to spawn `cargo {}`", args.join(" ")))?;
    if !status.success() {
        bail!("`cargo {}` failed ({status})", args.join(" "));
    }
    Ok(())
}

/// `cargo <args>` with `AGRIRISK_TEST_ENGINE=postgres`, when a cluster is given (`AGRIRISK_TEST_POSTGRES_URL`);
/// without one it is skipped, saying so, unless `AGRIRISK_REQUIRE_POSTGRES=1`.
fn end_to_end_on_postgres(root: &Path, args: &[&str]) -> Result<()> {
    if std::env::var("AGRIRISK_TEST_POSTGRES_URL").is_ok_and(|url| !url.is_empty()) {
        let status = cargo_command(root)
            .args(args)
            .env("AGRIRISK_TEST_ENGINE", "postgres")
            .status()
            .with_context(|| format!("failed to spawn `cargo {}`", args.join(" ")))?;
        if !status.success() {
            bail!("`cargo {}` on PostgreSQL failed ({status})", args.join(" "));
        }
        return Ok(());
    }
    if std::env::var("AGRIRISK_REQUIRE_POSTGRES").as_deref() == Ok("1") {
        bail!("AGRIRISK_REQUIRE_POSTGRES=1 but AGRIRISK_TEST_POSTGRES_URL is not set (bash xtask/pg.sh run …)");
    }
    println!(
        "ci: the end-to-end suite on PostgreSQL is skipped: no AGRIRISK_TEST_POSTGRES_URL (bash xtask/pg.sh run cargo xtask ci)"
    );
    Ok(())
}

/// The full CI pipeline; stops at the first failing step.
fn ci(root: &Path) -> Result<()> {
    // Without a committed Cargo.lock, `--locked` would refuse to create one.
    let locked: &[&str] = if root.join("Cargo.lock").is_file() {
        &["--locked"]
    } else {
        println!("ci: no Cargo.lock found; running without --locked");
        &[]
    };
    let clippy: Vec<&str> = ["clippy", "--workspace", "--all-targets"]
        .iter()
        .chain(locked)
        .chain(&["--", "-D", "warnings"])
        .copied()
        .collect();
    let test: Vec<&str> = ["test", "--workspace"].iter().chain(locked).copied().collect();
    // The end-to-end suite (ingest, decide, review, disburse, repay, classify, the HTTP API, replicas) again with
    // every data directory's store on PostgreSQL; the store's own suites ran on both engines in `test`.
    let on_postgres: Vec<&str> = ["test", "-p", "cli", "--test", "it"].iter().chain(locked).copied().collect();

    // Each step is a cargo invocation, or `None` for the in-process tidy checks.
    let steps: [(&str, Option<&[&str]>); 5] = [
        ("fmt", Some(&["fmt", "--all", "--", "--check"])),
        ("clippy", Some(&clippy)),
        ("tidy", None),
        ("test", Some(&test)),
        ("end-to-end on postgres", Some(&on_postgres)),
    ];
    let total = Instant::now();
    let count = steps.len();
    for (index, (name, step)) in steps.into_iter().enumerate() {
        println!("==> ci step {}/{count}: {name}", index + 1);
        let started = Instant::now();
        let outcome = match step {
            Some(args) if name == "end-to-end on postgres" => end_to_end_on_postgres(root, args),
            Some(args) => run_cargo(root, args),
            None => tidy::run(root),
        };
        let secs = started.elapsed().as_secs_f64();
        match outcome {
            Ok(()) => println!("<== ci step {name}: ok in {secs:.1}s"),
            Err(err) => {
                println!("<== ci step {name}: FAILED after {secs:.1}s");
                return Err(err.context(format!("ci step `{name}` failed")));
            }
        }
    }
    println!("ci: all {count} steps passed in {:.1}s", total.elapsed().as_secs_f64());
    Ok(())
}
