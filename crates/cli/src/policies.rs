//! `agririsk policy`: static checks of a JDM policy file and the lifecycle of stored policy versions. Checking and
//! compiling are the `policy` crate's; the lifecycle (maker-checker, dispatch) is the store's `PolicyRegister`.
//! A version is stored only after its file passes every static check against its input schema.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use sha2::{Digest, Sha256};
use store::{PolicyRegister, PolicyStatus, PolicySummary, PolicyVersion, SqliteStore};

use crate::error::CliError;
use crate::table::{Align, Table};
use crate::{emit, print_json};

fn read(path: &Path, field: &str) -> Result<String, CliError> {
    std::fs::read_to_string(path).map_err(|e| CliError::input(field, format!("{}: {e}", path.display())))
}

/// The input schema: a file, or the shipped default.
fn schema(path: Option<&Path>) -> Result<Arc<policy::Schema>, CliError> {
    let parsed = match path {
        Some(path) => policy::Schema::from_json(&read(path, "schema")?),
        None => policy::Schema::from_json(policy::default_set::SCHEMA_JSON),
    };
    parsed.map(Arc::new).map_err(|e| CliError::input("schema", e))
}

/// Loads and checks a policy file; the error names the file, node, rule and column.
pub(crate) fn checked(file: &Path, schema_file: Option<&Path>) -> Result<(String, policy::CompiledPolicy), CliError> {
    let text = read(file, "file")?;
    let compiled = policy::load(&file.display().to_string(), &text, &schema(schema_file)?)
        .map_err(|e| CliError::input("policy", e))?;
    Ok((text, compiled))
}

/// `agririsk policy check`.
pub fn check_command(file: &Path, schema_file: Option<&Path>) -> Result<(), CliError> {
    checked(file, schema_file)?;
    emit(&format!("{}: passes every static check\n", file.display()))
}

/// What `agririsk policy submit` was asked.
#[derive(Debug)]
pub struct SubmitArgs {
    /// The JDM file.
    pub file: PathBuf,
    /// Policy name.
    pub name: String,
    /// Version label.
    pub version: String,
    /// Region prefix.
    pub region: String,
    /// Segment.
    pub segment: String,
    /// Effective date as given.
    pub effective_from: String,
    /// Submitter.
    pub by: String,
    /// Schema file.
    pub schema: Option<PathBuf>,
}

/// `agririsk policy submit`.
pub async fn submit_command(data_dir: &Path, args: SubmitArgs) -> Result<(), CliError> {
    domain::parse_date(&args.effective_from).map_err(|e| CliError::input("effective-from", e))?;
    let (text, _) = checked(&args.file, args.schema.as_deref())?;
    let id: String = Sha256::digest(text.as_bytes()).iter().map(|b| format!("{b:02x}")).collect();
    let version = PolicyVersion {
        policy_id: id,
        name: args.name,
        version: args.version,
        region: args.region,
        segment: args.segment,
        effective_from: args.effective_from,
        submitted_by: args.by,
        submitted_at: crate::model::now_rfc3339(),
        jdm_json: text,
    };
    let store = SqliteStore::open(data_dir).await?;
    let result = store.submit_policy(&version).await;
    store.close().await;
    let summary = result?;
    emit(&format!(
        "policy {} {} submitted as {} ({}); it runs once someone other than {} approves it\n",
        summary.version.name,
        summary.version.version,
        summary.version.policy_id,
        summary.status,
        summary.version.submitted_by
    ))
}

/// `agririsk policy move`.
pub async fn move_command(data_dir: &Path, id: &str, to: &str, by: &str, reason: &str) -> Result<(), CliError> {
    let to = PolicyStatus::ALL
        .into_iter()
        .filter(|s| *s != PolicyStatus::Submitted)
        .find(|s| s.code() == to)
        .ok_or_else(|| CliError::input("to", format!("'{to}' is not one of approved, shadow, active, retired")))?;
    if by.trim().is_empty() {
        return Err(CliError::input("by", "is empty"));
    }
    let store = SqliteStore::open(data_dir).await?;
    let result = store.move_policy(id, to, by, &crate::model::now_rfc3339(), reason).await;
    store.close().await;
    let summary = result?;
    emit(&format!("policy {} {} ({}) is now {}\n", summary.version.name, summary.version.version, id, summary.status))
}

fn summary_json(p: &PolicySummary) -> serde_json::Value {
    serde_json::json!({
        "id": p.version.policy_id,
        "name": p.version.name,
        "version": p.version.version,
        "region": p.version.region,
        "segment": p.version.segment,
        "effective_from": p.version.effective_from,
        "submitted_by": p.version.submitted_by,
        "submitted_at": p.version.submitted_at,
        "status": p.status.code(),
    })
}

/// `agririsk policy list`.
pub async fn list_command(data_dir: &Path, name: Option<&str>, json: bool) -> Result<(), CliError> {
    let store = SqliteStore::open(data_dir).await?;
    let result = store.policies(name).await;
    store.close().await;
    let policies = result?;
    if json {
        return print_json(&serde_json::Value::Array(policies.iter().map(summary_json).collect()));
    }
    let mut table = Table::new(&[
        ("id", Align::Left),
        ("name", Align::Left),
        ("version", Align::Left),
        ("region", Align::Left),
        ("segment", Align::Left),
        ("effective", Align::Left),
        ("status", Align::Left),
    ]);
    for p in &policies {
        let any = |s: &str| if s.is_empty() { "*".to_string() } else { s.to_string() };
        table.row(vec![
            p.version.policy_id[..12].to_string(),
            p.version.name.clone(),
            p.version.version.clone(),
            any(&p.version.region),
            any(&p.version.segment),
            p.version.effective_from.clone(),
            p.status.code().to_string(),
        ]);
    }
    emit(&table.render())
}
