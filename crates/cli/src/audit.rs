//! `agririsk audit verify | export | checkpoint | keygen`: the audit trail from the command line (`app::audit`),
//! and the acting context the command line writes under: the operating-system user, from `cli`.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use app::audit::{self, Checkpoints};
use store::Database;

use crate::Place;
use crate::error::CliError;
use crate::{SystemClock, date, emit, with_store};

/// The store acting as the operating-system user (`os:NAME` from `$USER` or `$LOGNAME`), from `cli`, stamping
/// entries with the system clock.
pub(crate) fn as_os_user(store: &Database) -> Database {
    store.with_clock(Arc::new(SystemClock)).acting(os_actor(), "cli")
}

/// The operating-system user as an actor, `os:NAME` from `$USER` or `$LOGNAME` (`os:unknown` without either).
pub(crate) fn os_actor() -> String {
    let user = std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .ok()
        .filter(|name| !name.is_empty() && name.chars().all(|c| !c.is_control()))
        .unwrap_or_else(|| "unknown".to_string());
    let user: String = user.chars().take(120).collect();
    format!("os:{user}")
}

/// Where checkpoints go unless named: `agririsk-checkpoints.jsonl` beside the data directory, outside it.
pub(crate) fn default_checkpoints(at: &Place) -> PathBuf {
    let parent = at.dir.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    parent.join("agririsk-checkpoints.jsonl")
}

/// `agririsk audit verify [--checkpoints FILE --public-key KEYTEXT|FILE]`: exit 0 and a summary, or exit 1 naming
/// the entry found wrong.
pub async fn verify_command(at: &Place, checkpoints: Option<&Path>, public_key: Option<&str>) -> Result<(), CliError> {
    let given = match (checkpoints, public_key) {
        (file, Some(key)) => {
            let file = file.map_or_else(|| default_checkpoints(at), Path::to_path_buf);
            Some(Checkpoints { checkpoints: audit::read_checkpoints(&file)?, key: audit::public_key(key)? })
        }
        (Some(_), None) => {
            return Err(CliError::input("public-key", "is needed to check the checkpoints' signatures"));
        }
        (None, None) => None,
    };
    let verdict = with_store(at, async |store| Ok(audit::verify(store, given.as_ref()).await?)).await?;
    match verdict {
        Ok(verified) => emit(&format!("audit trail intact: {verified}\n")),
        Err(finding) => Err(CliError::internal(format!("audit trail broken: {finding}"))),
    }
}

/// `agririsk audit export --from DATE --to DATE [--out FILE]`: the entries of those days as stored, one JSON line
/// each; a file is written whole or not at all.
pub async fn export_command(at: &Place, from: &str, to: &str, out: Option<&Path>) -> Result<(), CliError> {
    let (from, to) = (date("from", from)?, date("to", to)?);
    match out {
        None => {
            let mut stdout = std::io::stdout().lock();
            with_store(at, async |store| Ok(audit::export(store, from, to, &mut stdout).await?)).await?;
            Ok(())
        }
        Some(path) => {
            let partial = PathBuf::from(format!("{}.partial", path.display()));
            let field = path.display().to_string();
            let file = std::fs::File::create(&partial).map_err(|e| CliError::input(&field, e))?;
            let mut writer = std::io::BufWriter::new(file);
            let written = with_store(at, async |store| Ok(audit::export(store, from, to, &mut writer).await?)).await;
            drop(writer);
            let count = match written {
                Ok(count) => count,
                Err(e) => {
                    let _ = std::fs::remove_file(&partial);
                    return Err(e);
                }
            };
            std::fs::rename(&partial, path).map_err(|e| CliError::input(&field, e))?;
            emit(&format!("wrote {count} audit entries ({from} to {to}) to {field}\n"))
        }
    }
}

/// `agririsk audit checkpoint --key FILE [--checkpoints FILE]`: signs the chain head now.
pub async fn checkpoint_command(at: &Place, key: &Path, checkpoints: Option<&Path>) -> Result<(), CliError> {
    let key = audit::signing_key(key)?;
    let file = checkpoints.map_or_else(|| default_checkpoints(at), Path::to_path_buf);
    let now = domain::Clock::now(&SystemClock);
    let signed = with_store(at, async |store| Ok(audit::checkpoint(store, &key, &file, now).await?)).await?;
    emit(&format!("signed audit entry {} ({}) into {}\n", signed.seq, signed.head, file.display()))
}

/// `agririsk audit keygen --out FILE`: a new signing key (mode 600, never overwriting); prints its public key.
pub fn keygen_command(out: &Path) -> Result<(), CliError> {
    let mut seed = [0; 32];
    getrandom::fill(&mut seed).map_err(|e| CliError::internal(format!("no randomness from the system: {e}")))?;
    let public = audit::keygen(out, seed);
    seed.fill(0);
    let public = public?;
    emit(&format!(
        "wrote audit signing key {} (mode 600; keep it apart from the data directory)\npublic key: {public}\n",
        out.display()
    ))
}

/// Runs an `agririsk audit` subcommand.
pub async fn run(command: crate::args::AuditCommand, at: &Place) -> Result<(), CliError> {
    use crate::args::AuditCommand as A;
    match command {
        A::Verify { checkpoints, public_key } => {
            verify_command(at, checkpoints.as_deref(), public_key.as_deref()).await
        }
        A::Export { from, to, out } => export_command(at, &from, &to, out.as_deref()).await,
        A::Checkpoint { key, checkpoints } => checkpoint_command(at, &key, checkpoints.as_deref()).await,
        A::Keygen { out } => keygen_command(&out),
    }
}
