//! What a copy is checked by, on both sides of it: each table's row count and content hash, each loan's ledger
//! sums per component, and the audit chain.
//!
//! The content hash is SHA-256 over a canonical text of every row, in key order: each value in its logical form
//! (integers in decimal, text as stored, bytes as they are; JSON of `schema::JSON_COLUMNS` with its keys
//! sorted), columns in name order, each field length-prefixed so no two row lists hash alike. It is computed a page
//! at a time, each page's SHA-256 chained to the one before (`h = SHA-256(h ‖ page)`), so no table is held whole.

use std::collections::BTreeMap;

use ::audit::{Digest, Entry, NewEntry, Verifier};
use domain::Timestamp;
use serde::Serialize;

use super::rows::{self, Value};
use super::schema::{Form, JSON_COLUMNS, Table};
use super::{Conn, CopyError};

/// Rows per hashed page.
const PAGE_ROWS: u64 = 2_000;

/// One table's checks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TableCheck {
    /// The table.
    pub table: String,
    /// Rows in the source.
    pub source_rows: u64,
    /// Rows in the target.
    pub target_rows: u64,
    /// The source's content hash.
    pub source_sha256: String,
    /// The target's content hash.
    pub target_sha256: String,
}

impl TableCheck {
    /// Whether the counts and the hashes agree.
    pub fn ok(&self) -> bool {
        self.source_rows == self.target_rows && self.source_sha256 == self.target_sha256
    }
}

/// The per-loan ledger sums.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LedgerCheck {
    /// Sums (one per loan and component) in the source.
    pub source_sums: u64,
    /// Sums in the target.
    pub target_sums: u64,
    /// The first few `loan/component` whose sums differ or exist on one side only.
    pub differing: Vec<String>,
}

impl LedgerCheck {
    /// Whether every sum agrees.
    pub fn ok(&self) -> bool {
        self.differing.is_empty() && self.source_sums == self.target_sums
    }
}

/// The audit chain on one side: `None` if it verifies, else where it breaks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChainCheck {
    /// Entries read.
    pub entries: u64,
    /// Where and why the chain does not verify, if it does not.
    pub broken: Option<String>,
}

/// Everything a copy is verified by.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verification {
    /// Each table, in copy order.
    pub tables: Vec<TableCheck>,
    /// Per-loan ledger sums.
    pub ledger: LedgerCheck,
    /// The source's audit chain.
    pub source_audit: ChainCheck,
    /// The target's audit chain.
    pub target_audit: ChainCheck,
}

impl Verification {
    /// Whether every check passed.
    pub fn ok(&self) -> bool {
        self.tables.iter().all(TableCheck::ok)
            && self.ledger.ok()
            && self.source_audit.broken.is_none()
            && self.target_audit.broken.is_none()
    }
}

/// JSON text with every object's keys sorted, compact; the text itself if it is not JSON.
fn canonical_json(text: &str) -> String {
    fn sorted(value: serde_json::Value) -> serde_json::Value {
        match value {
            serde_json::Value::Object(map) => {
                let mut entries: Vec<(String, serde_json::Value)> = map.into_iter().collect();
                entries.sort_by(|a, b| a.0.cmp(&b.0));
                serde_json::Value::Object(entries.into_iter().map(|(k, v)| (k, sorted(v))).collect())
            }
            serde_json::Value::Array(items) => serde_json::Value::Array(items.into_iter().map(sorted).collect()),
            other => other,
        }
    }
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(value) => sorted(value).to_string(),
        Err(_) => text.to_string(),
    }
}

/// A table's content hash and audit-chain check, fed a page at a time.
struct Hasher {
    head: [u8; 32],
    page: Vec<u8>,
    rows: u64,
    /// Column indexes in name order.
    order: Vec<usize>,
    /// Which columns hold JSON.
    json: Vec<bool>,
}

impl Hasher {
    fn new(table: &Table) -> Hasher {
        let mut order: Vec<usize> = (0..table.columns.len()).collect();
        order.sort_by(|a, b| table.columns[*a].name.cmp(&table.columns[*b].name));
        let json = table
            .columns
            .iter()
            .map(|c| c.form == Form::Json || JSON_COLUMNS.contains(&(table.name.as_str(), c.name.as_str())))
            .collect();
        Hasher { head: [0; 32], page: Vec::new(), rows: 0, order, json }
    }

    fn field(&mut self, tag: u8, bytes: &[u8]) {
        self.page.push(tag);
        self.page.extend_from_slice(&(bytes.len() as u64).to_be_bytes());
        self.page.extend_from_slice(bytes);
    }

    fn row(&mut self, row: &[Value]) {
        for i in self.order.clone() {
            match &row[i] {
                Value::Null => self.field(b'N', &[]),
                Value::Int(v) => self.field(b'I', v.to_string().as_bytes()),
                Value::Text(t) if self.json[i] => self.field(b'T', canonical_json(t).as_bytes()),
                Value::Text(t) => self.field(b'T', t.as_bytes()),
                Value::Bytes(b) => self.field(b'B', b),
            }
        }
        self.page.push(b'\n');
        self.rows += 1;
    }

    fn flush(&mut self) {
        let mut bytes = self.head.to_vec();
        bytes.append(&mut self.page);
        self.head = *Digest::of(&bytes).as_bytes();
    }

    fn finish(mut self) -> (u64, String) {
        self.flush();
        (self.rows, Digest::of(&self.head).to_string())
    }
}

/// The audit entry a logical `audit_log` row holds.
fn entry_of(table: &Table, row: &[Value]) -> Result<Entry, String> {
    let get = |name: &str| {
        table.columns.iter().position(|c| c.name == name).map(|i| &row[i]).ok_or(format!("no column {name}"))
    };
    let text = |name: &str| match get(name)? {
        Value::Text(t) => Ok(t.clone()),
        other => Err(format!("{name} is {other:?}")),
    };
    let digest = |name: &str| match get(name)? {
        Value::Null => Ok(None),
        Value::Text(t) => Digest::parse(t).map(Some).map_err(|e| format!("{name}: {e}")),
        other => Err(format!("{name} is {other:?}")),
    };
    let seq = match get("seq")? {
        Value::Int(v) => u64::try_from(*v).map_err(|_| format!("seq {v}"))?,
        other => return Err(format!("seq is {other:?}")),
    };
    let at = Timestamp::parse(&text("at")?).map_err(|e| format!("entry {seq}: at: {e}"))?;
    let entry = NewEntry {
        at,
        actor: text("actor")?,
        origin: text("origin")?,
        action: text("action")?,
        target: text("target")?,
        outcome: text("outcome")?,
        before: digest("before_sha256")?,
        after: digest("after_sha256")?,
        detail: text("detail")?,
    };
    let prev = digest("prev")?.ok_or("prev is missing")?;
    let hash = digest("hash")?.ok_or("hash is missing")?;
    Ok(Entry { seq, entry, prev, hash })
}

/// One table's row count and content hash; for `audit_log`, its chain checked too.
pub(crate) async fn hash_table(
    conn: &mut Conn,
    table: &Table,
    order: &[usize],
) -> Result<(u64, String, Option<ChainCheck>), CopyError> {
    let mut hasher = Hasher::new(table);
    let mut chain = (table.name == "audit_log").then(|| (Verifier::new(), 0u64, None::<String>));
    rows::for_each_row(conn, table, order, |row| {
        hasher.row(&row);
        if hasher.rows % PAGE_ROWS == 0 {
            hasher.flush();
        }
        if let Some((verifier, entries, broken)) = chain.as_mut()
            && broken.is_none()
        {
            *entries += 1;
            match entry_of(table, &row) {
                Ok(entry) => {
                    if let Err(found) = verifier.push(&entry) {
                        *broken = Some(found.to_string());
                    }
                }
                Err(problem) => *broken = Some(problem),
            }
        }
    })
    .await?;
    let (rows, sha256) = hasher.finish();
    let chain = chain.map(|(verifier, entries, broken)| {
        let broken = broken.or_else(|| verifier.finish().err().map(|found| found.to_string()));
        ChainCheck { entries, broken }
    });
    Ok((rows, sha256, chain))
}

/// Sum of ledger postings per loan and component.
pub(crate) async fn ledger_sums(conn: &mut Conn) -> Result<BTreeMap<(String, String), i64>, CopyError> {
    let rows: Vec<(String, String, i64)> =
        match conn {
            Conn::Sqlite(c) => {
                sqlx::query_as(
                    "SELECT loan_id, component, SUM(amount_fen) FROM ledger_postings GROUP BY loan_id, component",
                )
                .fetch_all(&mut *c)
                .await?
            }
            Conn::Postgres(c) => sqlx::query_as(
                "SELECT loan_id, component, SUM(amount_fen)::bigint FROM ledger_postings GROUP BY loan_id, component",
            )
            .fetch_all(&mut *c)
            .await?,
        };
    Ok(rows.into_iter().map(|(loan, component, sum)| ((loan, component), sum)).collect())
}

/// Compares two sides' ledger sums.
pub(crate) fn compare_ledgers(
    source: &BTreeMap<(String, String), i64>,
    target: &BTreeMap<(String, String), i64>,
) -> LedgerCheck {
    let mut differing = Vec::new();
    for key in source.keys().chain(target.keys().filter(|k| !source.contains_key(*k))) {
        if source.get(key) != target.get(key) && differing.len() < 10 {
            differing.push(format!("{}/{}", key.0, key.1));
        }
    }
    LedgerCheck { source_sums: source.len() as u64, target_sums: target.len() as u64, differing }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_json_sorts_keys_at_every_depth_and_drops_spaces() {
        assert_eq!(canonical_json(r#"{"b": 1, "a": {"d": [1, {"z": 0, "y": 1}], "c": null}}"#), {
            r#"{"a":{"c":null,"d":[1,{"y":1,"z":0}]},"b":1}"#
        });
        assert_eq!(canonical_json("not json"), "not json");
    }

    #[test]
    fn ledger_sums_differ_when_one_side_lacks_a_component() {
        let a = BTreeMap::from([(("L1".to_string(), "principal".to_string()), 100)]);
        let b = BTreeMap::new();
        assert!(!compare_ledgers(&a, &b).ok());
        assert!(compare_ledgers(&a, &a).ok());
    }
}
