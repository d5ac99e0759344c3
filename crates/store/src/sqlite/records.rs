//! [`RecordStore`] for [`SqliteStore`]: `rec_<source>` tables created from a [`RecordTable`], each with a
//! `cur_<source>` view of the latest versions, append-only triggers, and a [`LoadWriter`] that writes one file's
//! rows, quarantine and `loads` row in a single `BEGIN IMMEDIATE` transaction.
//!
//! Rows go in as multi-row `INSERT` statements (up to [`ROWS_PER_STATEMENT`] rows, within SQLite's limit of 32,766
//! bound parameters), which is what makes bulk loading fast through a driver that crosses a thread per statement.

use std::collections::HashMap;

use futures_util::TryStreamExt;
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, Sqlite, Transaction};

use super::{SqliteStore, corrupt, to_u32};
use crate::StoreError;
use integrate::register::{
    Cell, CellType, LoadCounts, LoadInfo, NewRecord, QuarantineRecord, RecordColumn, RecordLoad, RecordStore,
    RecordTable, RecordVersion, RegisterError,
};
pub use integrate::register::{Filter, Versions};

/// Most rows per `INSERT` statement.
pub const ROWS_PER_STATEMENT: usize = 256;
/// SQLite's limit on bound parameters per statement (since 3.32).
const MAX_PARAMETERS: usize = 32_766;
/// Bookkeeping columns in front of the data columns.
/// Longest `IN` list bound value by value; a longer one is bound as one JSON array (`json_each`).
const IN_LIST_PLACEHOLDERS: usize = 1_000;

const META_COLUMNS: &[&str] = &["_key", "_version", "_load_id", "_valid_from", "_hash"];

fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

fn check_name(name: &str) -> Result<(), StoreError> {
    if !name.is_empty() && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_') {
        Ok(())
    } else {
        Err(StoreError::InvalidModel { model: name.to_string(), field: "record table", problem: "has an unsafe name" })
    }
}

/// The statements that make `table` (also what `copy` makes a copied record table with).
pub(crate) fn table_ddl(table: &RecordTable) -> Vec<String> {
    let name = table.table_name();
    let source = &table.source;
    let columns: Vec<String> = table
        .columns
        .iter()
        .map(|c| {
            let ty = match c.ty {
                CellType::Integer => "INTEGER",
                CellType::Text => "TEXT",
            };
            format!("{} {ty}", quoted(&c.name))
        })
        .collect();
    let mut ddl = vec![
        format!(
            "CREATE TABLE {name} (
                _key TEXT NOT NULL,
                _version INTEGER NOT NULL CHECK (_version > 0),
                _load_id INTEGER NOT NULL REFERENCES loads (load_id) DEFERRABLE INITIALLY DEFERRED,
                _valid_from TEXT,
                _hash TEXT NOT NULL,
                {},
                CHECK ((_version = 1) = (_valid_from IS NULL))
            ) STRICT",
            columns.join(",\n                ")
        ),
        format!("CREATE UNIQUE INDEX {name}_by_key ON {name} (_key, _version)"),
        // Empty until a correction arrives: tells a reader in O(1) whether versions must be chosen at all.
        format!("CREATE INDEX {name}_corrections ON {name} (_key) WHERE _version > 1"),
        format!(
            "CREATE VIEW cur_{source} AS SELECT * FROM {name} AS r
             WHERE r._version = (SELECT MAX(_version) FROM {name} WHERE _key = r._key)"
        ),
        update_trigger(table),
        format!(
            "CREATE TRIGGER {name}_no_delete BEFORE DELETE ON {name} BEGIN SELECT RAISE(ABORT, '{name} is append-only'); END"
        ),
    ];
    for column in table.columns.iter().filter(|c| c.indexed) {
        ddl.push(format!("CREATE INDEX {name}_by_{} ON {name} ({})", column.name, quoted(&column.name)));
    }
    ddl
}

/// The trigger that keeps a record table append-only but for one kind of update, an erasure: personal columns
/// (sealed tokens and their blind indexes) set to NULL, every other column and the row id unchanged. Generated from
/// the table's columns, so a column added to a contract is guarded without anyone remembering to.
fn update_trigger(table: &RecordTable) -> String {
    let name = table.table_name();
    let mut kept: Vec<String> = vec!["NEW.rowid IS OLD.rowid".to_string()];
    kept.extend(META_COLUMNS.iter().map(|c| format!("NEW.{c} IS OLD.{c}")));
    for column in &table.columns {
        let c = quoted(&column.name);
        kept.push(if column.personal {
            format!("(NEW.{c} IS OLD.{c} OR NEW.{c} IS NULL)")
        } else {
            format!("NEW.{c} IS OLD.{c}")
        });
    }
    format!(
        "CREATE TRIGGER {name}_no_update BEFORE UPDATE ON {name} WHEN NOT ({})
         BEGIN SELECT RAISE(ABORT, '{name} is append-only: only its personal data may be erased'); END",
        kept.join("\n             AND ")
    )
}

/// Whether two column lists are the same but for which columns are marked personal: a table made before columns
/// were marked has none marked in `record_tables`, and its contract has not changed for that.
fn same_columns(stored: &[RecordColumn], wanted: &[RecordColumn]) -> bool {
    stored.len() == wanted.len()
        && stored.iter().zip(wanted).all(|(a, b)| a.name == b.name && a.ty == b.ty && a.indexed == b.indexed)
}

/// Re-creates a record table's update trigger from `table`, whose columns must be the stored ones (personal
/// columns marked): a database made before erasure existed has the trigger that refuses every update.
pub(super) async fn renew_update_trigger(
    tx: &mut sqlx::SqliteConnection,
    table: &RecordTable,
) -> Result<bool, StoreError> {
    check_name(&table.source)?;
    for column in &table.columns {
        check_name(&column.name)?;
    }
    let stored: Option<String> = sqlx::query_scalar("SELECT columns_json FROM record_tables WHERE source = ?")
        .bind(&table.source)
        .fetch_optional(&mut *tx)
        .await?;
    let Some(stored) = stored else { return Ok(false) };
    let had: Vec<RecordColumn> = serde_json::from_str(&stored).map_err(corrupt)?;
    if !same_columns(&had, &table.columns) {
        return Err(StoreError::SchemaChanged {
            name: table.source.clone(),
            stored: had.iter().map(|c| c.name.clone()).collect::<Vec<_>>().join(","),
        });
    }
    let name = table.table_name();
    sqlx::query(sqlx::AssertSqlSafe(format!("DROP TRIGGER IF EXISTS {name}_no_update"))).execute(&mut *tx).await?;
    sqlx::query(sqlx::AssertSqlSafe(update_trigger(table))).execute(&mut *tx).await?;
    Ok(true)
}

fn insert_sql(table: &RecordTable, rows: usize) -> String {
    let names: Vec<String> =
        META_COLUMNS.iter().map(|c| (*c).to_string()).chain(table.columns.iter().map(|c| quoted(&c.name))).collect();
    let one = format!("({})", vec!["?"; names.len()].join(","));
    format!("INSERT INTO {} ({}) VALUES {}", table.table_name(), names.join(","), vec![one; rows].join(","))
}

fn load_from_row(row: &SqliteRow) -> Result<LoadInfo, StoreError> {
    let count = |name: &str| -> Result<u64, StoreError> {
        u64::try_from(row.try_get::<i64, _>(name)?).map_err(|_| corrupt(format!("loads.{name} is negative")))
    };
    Ok(LoadInfo {
        load_id: row.try_get("load_id")?,
        source: row.try_get("source")?,
        file_name: row.try_get("file_name")?,
        file_sha256: row.try_get("file_sha256")?,
        contract_version: to_u32(row.try_get("contract_version")?, "contract version")?,
        format: row.try_get("format")?,
        encoding: row.try_get("encoding")?,
        as_of: row.try_get("as_of")?,
        loaded_at: row.try_get("loaded_at")?,
        counts: LoadCounts {
            read: count("rows_read")?,
            new: count("rows_new")?,
            corrected: count("rows_corrected")?,
            unchanged: count("rows_unchanged")?,
            duplicate: count("rows_duplicate")?,
            quarantined: count("rows_quarantined")?,
        },
    })
}

fn cell_from(row: &SqliteRow, index: usize, ty: CellType) -> Result<Cell, StoreError> {
    Ok(match ty {
        CellType::Integer => row.try_get::<Option<i64>, _>(index)?.map_or(Cell::Null, Cell::Int),
        CellType::Text => row.try_get::<Option<String>, _>(index)?.map_or(Cell::Null, Cell::Text),
    })
}

/// The record register on SQLite; [`RecordStore`] is these methods with the register's error type.
impl SqliteStore {
    /// See [`RecordStore::ensure_record_table`].
    pub async fn ensure_record_table(&self, table: &RecordTable) -> Result<(), StoreError> {
        check_name(&table.source)?;
        for column in &table.columns {
            check_name(&column.name)?;
        }
        let wanted = serde_json::to_string(&table.columns).map_err(corrupt)?;
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let stored: Option<String> = sqlx::query_scalar("SELECT columns_json FROM record_tables WHERE source = ?")
            .bind(&table.source)
            .fetch_optional(&mut *tx)
            .await?;
        match stored {
            Some(existing) if existing == wanted => return Ok(()),
            Some(existing) => {
                let had: Vec<RecordColumn> = serde_json::from_str(&existing).map_err(corrupt)?;
                if same_columns(&had, &table.columns) {
                    return Ok(());
                }
                return Err(StoreError::SchemaChanged {
                    name: table.source.clone(),
                    stored: had.iter().map(|c| c.name.clone()).collect::<Vec<_>>().join(","),
                });
            }
            None => {}
        }
        for statement in table_ddl(table) {
            sqlx::query(sqlx::AssertSqlSafe(statement)).execute(&mut *tx).await?;
        }
        sqlx::query("INSERT INTO record_tables (source, columns_json) VALUES (?, ?)")
            .bind(&table.source)
            .bind(&wanted)
            .execute(&mut *tx)
            .await?;
        let digest = crate::audit::record_digest(&[&table.source, &wanted]);
        let entry = self.audit_entry("records.table", format!("source:{}", table.source), Some(digest));
        super::append_in(&mut tx, &[entry]).await?;
        tx.commit().await?;
        Ok(())
    }

    /// See [`RecordStore::load_of_file`].
    pub async fn load_of_file(&self, source: &str, file_sha256: &str) -> Result<Option<LoadInfo>, StoreError> {
        let row = sqlx::query("SELECT * FROM loads WHERE source = ? AND file_sha256 = ? ORDER BY load_id LIMIT 1")
            .bind(source)
            .bind(file_sha256)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(load_from_row).transpose()
    }

    /// See [`RecordStore::loads`].
    pub async fn loads(&self) -> Result<Vec<LoadInfo>, StoreError> {
        let rows = sqlx::query("SELECT * FROM loads ORDER BY load_id").fetch_all(&self.pool).await?;
        rows.iter().map(load_from_row).collect()
    }

    /// See [`RecordStore::load_quarantine`].
    pub async fn load_quarantine(&self, load_id: i64) -> Result<Vec<QuarantineRecord>, StoreError> {
        let rows = sqlx::query(
            "SELECT line, field, value, reason, detail FROM load_quarantine WHERE load_id = ? ORDER BY line",
        )
        .bind(load_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(QuarantineRecord {
                    line: u64::try_from(row.try_get::<i64, _>("line")?).map_err(corrupt)?,
                    field: row.try_get("field")?,
                    value: row.try_get("value")?,
                    reason: row.try_get("reason")?,
                    detail: row.try_get("detail")?,
                })
            })
            .collect()
    }

    /// See [`RecordStore::record_keys`].
    pub async fn record_keys(&self, source: &str) -> Result<Vec<String>, StoreError> {
        check_name(source)?;
        if !self.has_record_table(source).await? {
            return Ok(Vec::new());
        }
        let sql = format!("SELECT DISTINCT _key FROM rec_{source}");
        Ok(sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).fetch_all(&self.pool).await?)
    }

    /// Whether the source has a record table: from the clones' shared memory of sources seen, else looked up.
    async fn has_record_table(&self, source: &str) -> Result<bool, StoreError> {
        if self.sources.read().is_ok_and(|seen| seen.contains(source)) {
            return Ok(true);
        }
        let known = self.record_sources().await?;
        let found = known.iter().any(|s| s == source);
        if let Ok(mut seen) = self.sources.write() {
            seen.extend(known);
        }
        Ok(found)
    }

    /// See [`RecordStore::record_sources`].
    pub async fn record_sources(&self) -> Result<Vec<String>, StoreError> {
        Ok(sqlx::query_scalar("SELECT source FROM record_tables ORDER BY source").fetch_all(&self.pool).await?)
    }

    /// See [`RecordStore::scan_records`].
    pub async fn scan_records(
        &self,
        table: &RecordTable,
        columns: &[&str],
        filter: Filter<'_>,
        versions: Versions<'_>,
        order_by: Option<&str>,
    ) -> Result<Vec<Vec<Cell>>, StoreError> {
        if !self.has_record_table(&table.source).await? {
            return Ok(Vec::new());
        }
        let mut types = Vec::with_capacity(columns.len());
        for name in columns {
            check_name(name)?;
            let column = table.columns.iter().find(|c| c.name == *name).ok_or_else(|| StoreError::InvalidModel {
                model: format!("{}.{name}", table.source),
                field: "column",
                problem: "is not a column of the record table",
            })?;
            types.push(column.ty);
        }
        let name = table.table_name();
        let select: Vec<String> = columns.iter().map(|c| format!("r.{}", quoted(c))).collect();
        // Most tables were never corrected: every row is a first version, in force from its own dates, and a
        // plain scan is exact. Only a table holding corrections pays for choosing a version per key.
        let corrected = self.holds_corrections(&name).await?;
        let (mut sql, bind_date) = if corrected {
            let in_force = match versions {
                Versions::Current => "",
                Versions::AsOf(_) => "AND (v._valid_from IS NULL OR v._valid_from <= ?)",
            };
            let sql = format!(
                "SELECT {} FROM {name} AS r WHERE r._version = (SELECT MAX(v._version) FROM {name} AS v
                 WHERE v._key = r._key {in_force})",
                select.join(", ")
            );
            (sql, matches!(versions, Versions::AsOf(_)))
        } else {
            (format!("SELECT {} FROM {name} AS r WHERE 1", select.join(", ")), false)
        };
        match filter {
            Filter::All => {}
            Filter::Eq(column, _) => {
                check_name(column)?;
                sql.push_str(&format!(" AND r.{} = ?", quoted(column)));
            }
            Filter::In(column, values) => {
                check_name(column)?;
                if values.is_empty() {
                    return Ok(Vec::new());
                }
                if values.len() > IN_LIST_PLACEHOLDERS {
                    // SQLite takes at most 32,766 parameters: a long list goes in as one JSON array.
                    sql.push_str(&format!(" AND r.{} IN (SELECT value FROM json_each(?))", quoted(column)));
                } else {
                    sql.push_str(&format!(" AND r.{} IN ({})", quoted(column), vec!["?"; values.len()].join(",")));
                }
            }
            Filter::After(_) => sql.push_str(" AND r.rowid > ?"),
        }
        match order_by {
            Some(order) => {
                check_name(order)?;
                sql.push_str(&format!(" ORDER BY r.{}, r.rowid", quoted(order)));
            }
            // Insertion order: within a load, the file's row order (which event logs such as repayments rely on
            // for several rows of one date).
            None => sql.push_str(" ORDER BY r.rowid"),
        }
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        if let (Versions::AsOf(date), true) = (versions, bind_date) {
            query = query.bind(date.to_string());
        }
        match filter {
            Filter::All => {}
            Filter::Eq(_, value) => query = query.bind(value.to_string()),
            Filter::In(_, values) if values.len() > IN_LIST_PLACEHOLDERS => {
                query = query.bind(serde_json::to_string(values).map_err(|e| StoreError::Corrupt(e.to_string()))?);
            }
            Filter::In(_, values) => {
                for value in values {
                    query = query.bind(value.clone());
                }
            }
            Filter::After(row) => query = query.bind(row),
        }
        let mut out = Vec::new();
        let mut rows = query.fetch(&self.pool);
        while let Some(row) = rows.try_next().await? {
            let cells = types.iter().enumerate().map(|(i, ty)| cell_from(&row, i, *ty)).collect::<Result<_, _>>()?;
            out.push(cells);
        }
        Ok(out)
    }

    /// See [`RecordStore::last_row`]: the table's largest rowid (rows are numbered in insertion order; `VACUUM`
    /// may renumber them, see the trait).
    pub async fn last_row(&self, table: &RecordTable) -> Result<i64, StoreError> {
        if !self.has_record_table(&table.source).await? {
            return Ok(0);
        }
        let sql = format!("SELECT COALESCE(MAX(rowid), 0) FROM {}", table.table_name());
        Ok(sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).fetch_one(&self.pool).await?)
    }

    /// Whether a record table holds a correction (a version above 1). Through the table's partial index of
    /// corrections, named so: SQLite's planner, without statistics, would otherwise scan the whole key index
    /// (0.1 s for a province's transactions, on every scan). A table made without that index is probed plainly.
    async fn holds_corrections(&self, name: &str) -> Result<bool, StoreError> {
        let indexed = format!("SELECT EXISTS (SELECT 1 FROM {name} INDEXED BY {name}_corrections WHERE _version > 1)");
        match sqlx::query_scalar(sqlx::AssertSqlSafe(indexed)).fetch_one(&self.pool).await {
            Ok(found) => Ok(found),
            Err(sqlx::Error::Database(e)) if e.message().contains("no such index") => {
                let plain = format!("SELECT EXISTS (SELECT 1 FROM {name} WHERE _version > 1)");
                Ok(sqlx::query_scalar(sqlx::AssertSqlSafe(plain)).fetch_one(&self.pool).await?)
            }
            Err(e) => Err(e.into()),
        }
    }

    /// See [`RecordStore::begin_load`]: SQLite takes the write lock with `BEGIN IMMEDIATE` and hands the
    /// transaction to a writer task, so that it inserts one batch while the caller prepares the next.
    pub async fn begin_load(&self, table: &RecordTable) -> Result<LoadWriter, StoreError> {
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let load_id: i64 =
            sqlx::query_scalar("SELECT COALESCE(MAX(load_id), 0) + 1 FROM loads").fetch_one(&mut *tx).await?;
        let latest = latest_versions(&mut tx, table).await?;
        // Into an empty table, rows go in without their indexes, which are then built once, sorted, before the
        // commit: several times faster than maintaining them row by row, and just as atomic.
        let mut deferred_indexes = Vec::new();
        if latest.is_empty() {
            let indexes: Vec<(String, String)> = sqlx::query_as(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL",
            )
            .bind(table.table_name())
            .fetch_all(&mut *tx)
            .await?;
            for (name, sql) in indexes {
                sqlx::query(sqlx::AssertSqlSafe(format!("DROP INDEX {}", quoted(&name)))).execute(&mut *tx).await?;
                deferred_indexes.push(sql);
            }
        }
        let width = META_COLUMNS.len() + table.columns.len();
        let per_statement = ROWS_PER_STATEMENT.min(MAX_PARAMETERS / width).max(1);
        let (sender, receiver) = tokio::sync::mpsc::channel(4);
        let task = BatchTask {
            store: self.clone(),
            full_sql: insert_sql(table, per_statement),
            table: table.clone(),
            tx,
            load_id,
            per_statement,
            deferred_indexes,
        };
        let handle = tokio::spawn(task.run(receiver));
        Ok(LoadWriter {
            source: table.source.clone(),
            width: table.columns.len(),
            load_id,
            per_statement,
            latest,
            pending: Vec::with_capacity(per_statement),
            quarantine: Vec::new(),
            sender: Some(sender),
            handle: Some(handle),
        })
    }
}

impl RecordStore for SqliteStore {
    type Load = LoadWriter;

    async fn ensure_record_table(&self, table: &RecordTable) -> Result<(), RegisterError> {
        Ok(self.ensure_record_table(table).await?)
    }

    async fn load_of_file(&self, source: &str, file_sha256: &str) -> Result<Option<LoadInfo>, RegisterError> {
        Ok(self.load_of_file(source, file_sha256).await?)
    }

    async fn loads(&self) -> Result<Vec<LoadInfo>, RegisterError> {
        Ok(self.loads().await?)
    }

    async fn load_quarantine(&self, load_id: i64) -> Result<Vec<QuarantineRecord>, RegisterError> {
        Ok(self.load_quarantine(load_id).await?)
    }

    async fn record_keys(&self, source: &str) -> Result<Vec<String>, RegisterError> {
        Ok(self.record_keys(source).await?)
    }

    async fn record_sources(&self) -> Result<Vec<String>, RegisterError> {
        Ok(self.record_sources().await?)
    }

    async fn scan_records(
        &self,
        table: &RecordTable,
        columns: &[&str],
        filter: Filter<'_>,
        versions: Versions<'_>,
        order_by: Option<&str>,
    ) -> Result<Vec<Vec<Cell>>, RegisterError> {
        Ok(self.scan_records(table, columns, filter, versions, order_by).await?)
    }

    async fn last_row(&self, table: &RecordTable) -> Result<i64, RegisterError> {
        Ok(self.last_row(table).await?)
    }

    async fn begin_load(&self, table: &RecordTable) -> Result<LoadWriter, RegisterError> {
        Ok(self.begin_load(table).await?)
    }
}

async fn latest_versions(
    tx: &mut Transaction<'static, Sqlite>,
    table: &RecordTable,
) -> Result<HashMap<String, RecordVersion>, StoreError> {
    let name = table.table_name();
    let sql = format!(
        "SELECT _key, _version, _hash, _valid_from FROM {name} AS r
         WHERE r._version = (SELECT MAX(_version) FROM {name} WHERE _key = r._key)"
    );
    let mut map = HashMap::new();
    let mut rows = sqlx::query(sqlx::AssertSqlSafe(sql)).fetch(&mut **tx);
    while let Some(row) = rows.try_next().await? {
        let version = RecordVersion {
            version: to_u32(row.try_get("_version")?, "record version")?,
            hash: row.try_get("_hash")?,
            valid_from: row.try_get("_valid_from")?,
        };
        map.insert(row.try_get::<String, _>("_key")?, version);
    }
    Ok(map)
}

type Batch = Vec<(NewRecord, u32, Option<String>)>;

enum Command {
    Rows(Batch),
    Commit(Box<LoadInfo>, Vec<QuarantineRecord>),
}

/// The task that owns a load's transaction and executes its statements.
struct BatchTask {
    /// The store whose acting context the load's audit entry records.
    store: SqliteStore,
    table: RecordTable,
    tx: Transaction<'static, Sqlite>,
    load_id: i64,
    per_statement: usize,
    full_sql: String,
    deferred_indexes: Vec<String>,
}

impl BatchTask {
    async fn run(mut self, mut receiver: tokio::sync::mpsc::Receiver<Command>) -> Result<(), StoreError> {
        while let Some(command) = receiver.recv().await {
            match command {
                Command::Rows(batch) => self.insert(batch).await?,
                Command::Commit(info, quarantine) => return self.commit(&info, quarantine).await,
            }
        }
        // The writer was dropped without committing: the transaction rolls back as it is dropped here.
        Ok(())
    }

    async fn insert(&mut self, batch: Batch) -> Result<(), StoreError> {
        let sql = if batch.len() == self.per_statement {
            self.full_sql.clone()
        } else {
            insert_sql(&self.table, batch.len())
        };
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for (record, version, valid_from) in batch {
            query =
                query.bind(record.key).bind(i64::from(version)).bind(self.load_id).bind(valid_from).bind(record.hash);
            for cell in record.cells {
                query = match cell {
                    Cell::Null => query.bind(None::<String>),
                    Cell::Int(value) => query.bind(value),
                    Cell::Text(text) => query.bind(text),
                };
            }
        }
        query.execute(&mut *self.tx).await?;
        Ok(())
    }

    async fn commit(mut self, info: &LoadInfo, quarantine: Vec<QuarantineRecord>) -> Result<(), StoreError> {
        for sql in std::mem::take(&mut self.deferred_indexes) {
            sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&mut *self.tx).await?;
        }
        let c = &info.counts;
        sqlx::query(
            "INSERT INTO loads (load_id, source, file_name, file_sha256, contract_version, format, encoding, as_of,
                                loaded_at, rows_read, rows_new, rows_corrected, rows_unchanged, rows_duplicate,
                                rows_quarantined)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(info.load_id)
        .bind(&info.source)
        .bind(&info.file_name)
        .bind(&info.file_sha256)
        .bind(i64::from(info.contract_version))
        .bind(&info.format)
        .bind(&info.encoding)
        .bind(&info.as_of)
        .bind(&info.loaded_at)
        .bind(count(c.read)?)
        .bind(count(c.new)?)
        .bind(count(c.corrected)?)
        .bind(count(c.unchanged)?)
        .bind(count(c.duplicate)?)
        .bind(count(c.quarantined)?)
        .execute(&mut *self.tx)
        .await?;
        for q in quarantine {
            sqlx::query(
                "INSERT INTO load_quarantine (load_id, line, field, value, reason, detail) VALUES (?, ?, ?, ?, ?, ?)",
            )
            .bind(self.load_id)
            .bind(count(q.line)?)
            .bind(q.field)
            .bind(q.value)
            .bind(q.reason)
            .bind(q.detail)
            .execute(&mut *self.tx)
            .await?;
        }
        // The file's SHA-256 is the load's identity; its counts go in the detail.
        let after = audit::Digest::parse(&info.file_sha256).ok();
        let mut entry = self.store.audit_entry("records.load", format!("load:{}", info.load_id), after);
        entry.detail = serde_json::json!({
            "source": info.source,
            "rows_new": c.new,
            "rows_corrected": c.corrected,
            "rows_quarantined": c.quarantined,
        })
        .to_string();
        super::append_in(&mut self.tx, &[entry]).await?;
        self.tx.commit().await?;
        Ok(())
    }
}

/// One file's load in progress. Rows are queued and inserted by a background task in multi-row statements.
pub struct LoadWriter {
    source: String,
    width: usize,
    load_id: i64,
    per_statement: usize,
    latest: HashMap<String, RecordVersion>,
    pending: Batch,
    quarantine: Vec<QuarantineRecord>,
    sender: Option<tokio::sync::mpsc::Sender<Command>>,
    handle: Option<tokio::task::JoinHandle<Result<(), StoreError>>>,
}

impl std::fmt::Debug for LoadWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoadWriter").field("source", &self.source).field("load_id", &self.load_id).finish()
    }
}

impl RecordLoad for LoadWriter {
    fn load_id(&self) -> i64 {
        self.load_id
    }

    fn take_latest(&mut self) -> HashMap<String, RecordVersion> {
        std::mem::take(&mut self.latest)
    }

    async fn write(
        &mut self,
        record: NewRecord,
        version: u32,
        valid_from: Option<String>,
    ) -> Result<(), RegisterError> {
        Ok(LoadWriter::write(self, record, version, valid_from).await?)
    }

    fn quarantine(&mut self, record: QuarantineRecord) {
        self.quarantine.push(record);
    }

    async fn commit(self, info: &LoadInfo) -> Result<(), RegisterError> {
        Ok(LoadWriter::commit(self, info).await?)
    }
}

/// One file's load on SQLite; [`RecordLoad`] is these methods with the register's error type.
impl LoadWriter {
    /// See [`RecordLoad::load_id`].
    pub fn load_id(&self) -> i64 {
        self.load_id
    }

    /// See [`RecordLoad::take_latest`].
    pub fn take_latest(&mut self) -> HashMap<String, RecordVersion> {
        std::mem::take(&mut self.latest)
    }

    /// See [`RecordLoad::write`].
    pub async fn write(
        &mut self,
        record: NewRecord,
        version: u32,
        valid_from: Option<String>,
    ) -> Result<(), StoreError> {
        if record.cells.len() != self.width {
            return Err(corrupt(format!(
                "{}: row {} has {} cells for {} columns",
                self.source,
                record.key,
                record.cells.len(),
                self.width
            )));
        }
        self.pending.push((record, version, valid_from));
        if self.pending.len() == self.per_statement {
            self.send_pending().await?;
            // Let the writer task hand the batch to SQLite's thread before the caller prepares the next one.
            tokio::task::yield_now().await;
        }
        Ok(())
    }

    /// See [`RecordLoad::quarantine`].
    pub fn quarantine(&mut self, record: QuarantineRecord) {
        self.quarantine.push(record);
    }

    /// See [`RecordLoad::commit`].
    pub async fn commit(mut self, info: &LoadInfo) -> Result<(), StoreError> {
        if info.load_id != self.load_id || !info.counts.is_consistent() {
            return Err(corrupt(format!("load {}: inconsistent load record", self.load_id)));
        }
        self.send_pending().await?;
        let quarantine = std::mem::take(&mut self.quarantine);
        self.send(Command::Commit(Box::new(info.clone()), quarantine)).await?;
        self.finish_task().await
    }

    async fn send_pending(&mut self) -> Result<(), StoreError> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let batch = std::mem::replace(&mut self.pending, Vec::with_capacity(self.per_statement));
        self.send(Command::Rows(batch)).await
    }

    async fn send(&mut self, command: Command) -> Result<(), StoreError> {
        let sender = self.sender.as_ref().ok_or_else(|| corrupt("load writer already finished"))?;
        if sender.send(command).await.is_err() {
            // The task stopped early: it failed, and its error says why.
            return Err(self.finish_task().await.err().unwrap_or_else(|| corrupt("load writer stopped")));
        }
        Ok(())
    }

    async fn finish_task(&mut self) -> Result<(), StoreError> {
        self.sender = None;
        match self.handle.take() {
            Some(handle) => handle.await.map_err(|e| corrupt(format!("load writer task: {e}")))?,
            None => Ok(()),
        }
    }
}

fn count(value: u64) -> Result<i64, StoreError> {
    i64::try_from(value).map_err(|_| corrupt(format!("count {value} out of range")))
}
