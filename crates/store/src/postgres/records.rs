//! [`RecordStore`] for [`PgStore`]: `rec_<source>` tables created from a [`RecordTable`] with the types of the
//! contract's cells (`bigint`, `text` compared byte by byte), each with a `cur_<source>` view of the latest versions
//! and triggers that keep it append-only but for an erasure's update; the `loads`, `load_quarantine` and
//! `record_tables` tables of migration `0010_loads`; and a [`PgLoad`] that writes one file's rows, quarantine, load
//! record and audit entry in one transaction.
//!
//! A load locks `loads` in `SHARE ROW EXCLUSIVE` mode before it numbers itself and reads the stored versions, and
//! holds the lock to its commit: loads queue as they do behind SQLite's write lock, so a second load of the same
//! file reads every row of the first and writes none of them again, while readers are never blocked. Rows go in by
//! one binary `COPY … FROM STDIN` per load, inside the load's transaction, held open by a writer task while the
//! caller validates and seals: [`PgLoad::write`] encodes each row as a tuple and hands the task a chunk of
//! [`COPY_CHUNK_BYTES`] at a time, so PostgreSQL inserts one chunk while the next is prepared and no round trip is
//! awaited before the commit (a `COPY` per batch, awaited, left each side idle while the other worked). A load
//! into an empty table copies into a table of its own and swaps it in at the commit ([`Stage`]).
//! Insertion order, which SQLite reads from `rowid`, is the `_row` identity column here, numbered in COPY order.

use std::collections::HashMap;

use futures_util::TryStreamExt;
use sqlx::postgres::PgRow;
use sqlx::{Postgres, Row, Transaction};

use super::{PgStore, append_in, corrupt, to_u32};
use crate::StoreError;
use integrate::register::{
    Cell, CellType, Filter, LoadCounts, LoadInfo, NewRecord, QuarantineRecord, RecordColumn, RecordLoad, RecordStore,
    RecordTable, RecordVersion, RegisterError, Versions,
};

/// Bytes of encoded tuples handed to a load's writer task at a time: large enough that the hand-over costs
/// nothing per row, small enough that PostgreSQL starts on a file's first rows at once.
pub const COPY_CHUNK_BYTES: usize = 256 * 1024;
/// Chunks queued for the writer task before [`PgLoad::write`] waits for it (with the socket's buffer, a few MiB
/// between the validating side and PostgreSQL).
const CHUNKS_IN_FLIGHT: usize = 8;
/// The signature, flags and header extension length that open PostgreSQL's binary `COPY` format.
const COPY_HEADER: &[u8] = b"PGCOPY\n\xff\r\n\0\0\0\0\0\0\0\0\0";
/// The day PostgreSQL counts binary dates from.
const PG_EPOCH: chrono::NaiveDate = chrono::NaiveDate::from_ymd_opt(2000, 1, 1).expect("a valid date");
/// Bookkeeping columns in front of the data columns, as written by a load (`_row` is numbered by the table).
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

/// PostgreSQL's longest name, in bytes: a longer one is cut short without an error, and two cut alike would clash.
const MAX_NAME: usize = 63;

/// Checks that every name made from a table (its own, its triggers' and indexes') is safe and fits [`MAX_NAME`].
fn check_names(table: &RecordTable) -> Result<(), StoreError> {
    check_name(&table.source)?;
    let too_long = |name: String| StoreError::InvalidModel {
        model: name,
        field: "record table",
        problem: "makes a name longer than PostgreSQL's 63 bytes",
    };
    let name = table.table_name();
    if name.len() + "_no_truncate".len() > MAX_NAME {
        return Err(too_long(name));
    }
    for column in &table.columns {
        check_name(&column.name)?;
        if column.name.len() > MAX_NAME || (column.indexed && name.len() + 4 + column.name.len() > MAX_NAME) {
            return Err(too_long(format!("{name}.{}", column.name)));
        }
    }
    Ok(())
}

/// The statements that make `table` (also what `copy` makes a copied record table with).
pub(crate) fn table_ddl(table: &RecordTable) -> Vec<String> {
    let name = table.table_name();
    let mut ddl = vec![format!(
        "CREATE TABLE {name} (
                _row bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                _key text COLLATE \"C\" NOT NULL,
                _version integer NOT NULL CHECK (_version > 0),
                _load_id bigint NOT NULL REFERENCES loads (load_id) DEFERRABLE INITIALLY DEFERRED,
                _valid_from date,
                _hash text NOT NULL,
                {},
                CHECK ((_version = 1) = (_valid_from IS NULL))
            )",
        column_defs(table)
    )];
    let indexes = secondary_indexes(table);
    ddl.extend(indexes.iter().take(2).map(|index| index.create(&index.name, &name)));
    ddl.extend(view_and_triggers(table));
    ddl.extend(indexes.iter().skip(2).map(|index| index.create(&index.name, &name)));
    ddl
}

fn column_defs(table: &RecordTable) -> String {
    let columns: Vec<String> = table
        .columns
        .iter()
        .map(|c| {
            let ty = match c.ty {
                CellType::Integer => "bigint",
                CellType::Text => "text COLLATE \"C\"",
            };
            format!("{} {ty}", quoted(&c.name))
        })
        .collect();
    columns.join(",\n                ")
}

/// One of a record table's indexes besides its primary key.
struct Index {
    /// Its name on the record table.
    name: String,
    unique: bool,
    /// What it indexes: the columns, and a predicate.
    on: String,
}

impl Index {
    fn create(&self, index: &str, target: &str) -> String {
        let unique = if self.unique { "UNIQUE " } else { "" };
        format!("CREATE {unique}INDEX {index} ON {target} {}", self.on)
    }
}

fn secondary_indexes(table: &RecordTable) -> Vec<Index> {
    let name = table.table_name();
    let mut indexes = vec![
        Index { name: format!("{name}_by_key"), unique: true, on: "(_key, _version)".to_string() },
        // Empty until a correction arrives: tells a reader cheaply whether versions must be chosen at all.
        Index { name: format!("{name}_corrections"), unique: false, on: "(_key) WHERE _version > 1".to_string() },
    ];
    for column in table.columns.iter().filter(|c| c.indexed) {
        indexes.push(Index {
            name: format!("{name}_by_{}", column.name),
            unique: false,
            on: format!("({})", quoted(&column.name)),
        });
    }
    indexes
}

fn view_and_triggers(table: &RecordTable) -> Vec<String> {
    let name = table.table_name();
    let source = &table.source;
    let refusal = format!("{name} is append-only");
    vec![
        format!(
            "CREATE VIEW cur_{source} AS SELECT * FROM {name} AS r
             WHERE r._version = (SELECT MAX(_version) FROM {name} WHERE _key = r._key)"
        ),
        update_trigger(table),
        format!(
            "CREATE TRIGGER {name}_no_delete BEFORE DELETE ON {name}
             FOR EACH ROW EXECUTE FUNCTION refuse_change('{refusal}')"
        ),
        format!(
            "CREATE TRIGGER {name}_no_truncate BEFORE TRUNCATE ON {name}
             FOR EACH STATEMENT EXECUTE FUNCTION refuse_change('{refusal}')"
        ),
    ]
}

/// The longest record table name a first load swaps a table of its own in for (see [`Stage`]): the names it gives
/// explicitly, up to `<table>__version_check`, must be the ones PostgreSQL would have chosen, uncut.
const MAX_STAGED_NAME: usize = MAX_NAME - "__version_check".len();

/// A first load's table of its own. Into an empty record table a load copies its rows into a new table made in its
/// transaction, invisible to every other session, with its checks only; before the commit it builds the primary
/// key, the other indexes and the reference to `loads` there, once, then swaps it in for the empty table under
/// an `ACCESS EXCLUSIVE` lock held for the few statements of the swap. Readers of the empty table are not blocked
/// meanwhile, a load that fails leaves the empty table as it was, and the table swapped in is the one
/// [`table_ddl`] makes: the same columns, names, indexes, reference, view and triggers.
///
/// Maintained row by row during the `COPY`, the indexes and the reference were most of PostgreSQL's work: the
/// county's members (167,184 rows) took 6.5 s of `COPY` and 2.4 s of per-row reference checks at the commit,
/// against 1.7 s of `COPY`, 1.0 s of index builds and 0.1 s for the reference built after. The primary key, last
/// maintained row by row, was then a fifth of what was left.
///
/// The load numbers the rows itself (`_row` 1, 2, … in `COPY` order, which `COPY` writes into the identity column
/// as given) and sets the stage's sequence to the last number at the end: the numbers and the sequence are the
/// ones `nextval` would have given row by row, without PostgreSQL's call per row.
struct Stage {
    table: RecordTable,
    /// The record table's name.
    name: String,
    /// The table the rows go into.
    stage: String,
}

impl Stage {
    /// The stage for a load into `table`, whose stored rows are none, or `None` when its names are too long.
    fn new(table: &RecordTable) -> Option<Stage> {
        let name = table.table_name();
        // `$` never appears in a record table's name (`check_name`), so no other table's names clash.
        (name.len() <= MAX_STAGED_NAME).then(|| Stage { table: table.clone(), stage: format!("{name}$load"), name })
    }

    fn create(&self) -> String {
        let Stage { name, stage, .. } = self;
        format!(
            "CREATE TABLE {stage} (
                _row bigint GENERATED ALWAYS AS IDENTITY (SEQUENCE NAME {name}$seq),
                _key text COLLATE \"C\" NOT NULL,
                _version integer NOT NULL CONSTRAINT {name}__version_check CHECK (_version > 0),
                _load_id bigint NOT NULL,
                _valid_from date,
                _hash text NOT NULL,
                {},
                CONSTRAINT {name}_check CHECK ((_version = 1) = (_valid_from IS NULL))
            )",
            column_defs(&self.table)
        )
    }

    /// Sets the sequence past the `rows` numbered rows, builds the indexes and the reference, then swaps the
    /// stage in for the empty record table.
    async fn swap_in(&self, tx: &mut sqlx::PgConnection, rows: i64) -> Result<(), StoreError> {
        let Stage { name, stage, table } = self;
        if rows > 0 {
            // As after `rows` calls of `nextval`: the next row is numbered `rows + 1`.
            sqlx::query(sqlx::AssertSqlSafe(format!("SELECT setval('{name}$seq', $1)")))
                .bind(rows)
                .execute(&mut *tx)
                .await?;
        }
        let indexes = secondary_indexes(table);
        let mut statements = vec![
            format!("SET LOCAL maintenance_work_mem = '{SORT_MEMORY}'"),
            format!("ALTER TABLE {stage} ADD CONSTRAINT {name}$pkey PRIMARY KEY (_row)"),
        ];
        for (i, index) in indexes.iter().enumerate() {
            statements.push(index.create(&format!("{name}$i{i}"), stage));
        }
        statements.push(format!(
            "ALTER TABLE {stage} ADD CONSTRAINT {name}__load_id_fkey FOREIGN KEY (_load_id) REFERENCES loads (load_id)
             DEFERRABLE INITIALLY DEFERRED"
        ));
        // From here to the commit, readers of the record table wait: a few catalogue changes.
        statements.push(format!("LOCK TABLE {name} IN ACCESS EXCLUSIVE MODE"));
        for statement in statements {
            sqlx::query(sqlx::AssertSqlSafe(statement)).execute(&mut *tx).await?;
        }
        let empty: bool = sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT NOT EXISTS (SELECT 1 FROM {name})")))
            .fetch_one(&mut *tx)
            .await?;
        if !empty {
            return Err(corrupt(format!("{name} gained rows during a load that holds the load lock")));
        }
        let mut statements = vec![
            format!("DROP VIEW cur_{}", table.source),
            format!("DROP TABLE {name}"),
            format!("ALTER TABLE {stage} RENAME TO {name}"),
            format!("ALTER SEQUENCE {name}$seq RENAME TO {name}__row_seq"),
            // Renames the primary key constraint with its index.
            format!("ALTER INDEX {name}$pkey RENAME TO {name}_pkey"),
        ];
        for (i, index) in indexes.iter().enumerate() {
            statements.push(format!("ALTER INDEX {name}$i{i} RENAME TO {}", index.name));
        }
        statements.extend(view_and_triggers(table));
        for statement in statements {
            sqlx::query(sqlx::AssertSqlSafe(statement)).execute(&mut *tx).await?;
        }
        Ok(())
    }
}

/// Memory for the sorts of a first load's index builds (PostgreSQL's default, 64 MB, sorts a province's member
/// keys on disk), for that transaction only.
const SORT_MEMORY: &str = "256MB";

/// The trigger that keeps a record table append-only but for one kind of update, an erasure: personal columns set
/// to NULL, every other column (the bookkeeping ones and `_row` included) unchanged. Generated from the table's
/// columns as on SQLite, so a column added to a contract is guarded without anyone remembering to.
fn update_trigger(table: &RecordTable) -> String {
    let name = table.table_name();
    let mut kept: Vec<String> = vec!["NEW._row IS NOT DISTINCT FROM OLD._row".to_string()];
    kept.extend(META_COLUMNS.iter().map(|c| format!("NEW.{c} IS NOT DISTINCT FROM OLD.{c}")));
    for column in &table.columns {
        let c = quoted(&column.name);
        kept.push(if column.personal {
            format!("(NEW.{c} IS NOT DISTINCT FROM OLD.{c} OR NEW.{c} IS NULL)")
        } else {
            format!("NEW.{c} IS NOT DISTINCT FROM OLD.{c}")
        });
    }
    format!(
        "CREATE TRIGGER {name}_no_update BEFORE UPDATE ON {name} FOR EACH ROW WHEN (NOT ({}))
         EXECUTE FUNCTION refuse_change('{name} is append-only: only its personal data may be erased')",
        kept.join("\n             AND ")
    )
}

/// Whether two column lists are the same but for which columns are marked personal (see SQLite's twin).
fn same_columns(stored: &[RecordColumn], wanted: &[RecordColumn]) -> bool {
    stored.len() == wanted.len()
        && stored.iter().zip(wanted).all(|(a, b)| a.name == b.name && a.ty == b.ty && a.indexed == b.indexed)
}

/// Re-creates a record table's update trigger from `table`, whose columns must be the stored ones (personal
/// columns marked), as SQLite's erasure does: a table whose stored columns were not marked personal has the trigger
/// that refuses every update. Returns false when the table was never made.
pub(super) async fn renew_update_trigger(tx: &mut sqlx::PgConnection, table: &RecordTable) -> Result<bool, StoreError> {
    check_names(table)?;
    let stored: Option<String> = sqlx::query_scalar("SELECT columns_json FROM record_tables WHERE source = $1")
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
    sqlx::query(sqlx::AssertSqlSafe(format!("DROP TRIGGER IF EXISTS {name}_no_update ON {name}")))
        .execute(&mut *tx)
        .await?;
    sqlx::query(sqlx::AssertSqlSafe(update_trigger(table))).execute(&mut *tx).await?;
    Ok(true)
}

/// The `COPY` of a load's rows into `target`; `numbered` when the load sends `_row` itself (see [`Stage`]).
fn copy_sql(table: &RecordTable, target: &str, numbered: bool) -> String {
    let row = numbered.then_some("_row");
    let names: Vec<String> = row
        .into_iter()
        .chain(META_COLUMNS.iter().copied())
        .map(str::to_string)
        .chain(table.columns.iter().map(|c| quoted(&c.name)))
        .collect();
    format!("COPY {target} ({}) FROM STDIN (FORMAT binary)", names.join(","))
}

/// Appends one field of a binary `COPY` tuple: its length, then its bytes; `None` is NULL.
fn copy_field(out: &mut Vec<u8>, bytes: Option<&[u8]>) -> Result<(), StoreError> {
    match bytes {
        None => out.extend_from_slice(&(-1i32).to_be_bytes()),
        Some(bytes) => {
            let len = i32::try_from(bytes.len()).map_err(|_| corrupt("a record cell over 2 GiB"))?;
            out.extend_from_slice(&len.to_be_bytes());
            out.extend_from_slice(bytes);
        }
    }
    Ok(())
}

/// A `YYYY-MM-DD` date as binary `COPY` writes a `date`: days since 2000-01-01.
fn copy_date(text: &str) -> Result<[u8; 4], StoreError> {
    let date = chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|e| corrupt(format!("a version in force from {text:?}: {e}")))?;
    let days = i32::try_from((date - PG_EPOCH).num_days()).map_err(corrupt)?;
    Ok(days.to_be_bytes())
}

/// The columns of a `loads` row as [`load_from_row`] reads them, the date as the domain's text.
const LOAD_COLUMNS: &str = "load_id, source, file_name, file_sha256, contract_version, format, encoding,
    to_char(as_of, 'YYYY-MM-DD') AS as_of, loaded_at, rows_read, rows_new, rows_corrected, rows_unchanged,
    rows_duplicate, rows_quarantined";

fn load_from_row(row: &PgRow) -> Result<LoadInfo, StoreError> {
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

fn cell_from(row: &PgRow, index: usize, ty: CellType) -> Result<Cell, StoreError> {
    Ok(match ty {
        CellType::Integer => row.try_get::<Option<i64>, _>(index)?.map_or(Cell::Null, Cell::Int),
        CellType::Text => row.try_get::<Option<String>, _>(index)?.map_or(Cell::Null, Cell::Text),
    })
}

/// The values a filter compares a column with, typed as the column: texts that are not integers match no integer
/// cell (as on SQLite, where such a text never equals an integer).
enum FilterValues {
    Ints(Vec<i64>),
    Texts(Vec<String>),
}

fn count(value: u64) -> Result<i64, StoreError> {
    i64::try_from(value).map_err(|_| corrupt(format!("count {value} out of range")))
}

/// The record register on PostgreSQL; [`RecordStore`] is these methods with the register's error type.
impl PgStore {
    /// See [`RecordStore::ensure_record_table`]. Makers of record tables queue on `record_tables`, so two first
    /// loads of one source at once create its table once.
    pub async fn ensure_record_table(&self, table: &RecordTable) -> Result<(), StoreError> {
        check_names(table)?;
        let wanted = serde_json::to_string(&table.columns).map_err(corrupt)?;
        let mut tx = self.pool.begin().await?;
        sqlx::query("LOCK TABLE record_tables IN SHARE ROW EXCLUSIVE MODE").execute(&mut *tx).await?;
        let stored: Option<String> = sqlx::query_scalar("SELECT columns_json FROM record_tables WHERE source = $1")
            .bind(&table.source)
            .fetch_optional(&mut *tx)
            .await?;
        if let Some(existing) = stored {
            if existing == wanted {
                return Ok(());
            }
            let had: Vec<RecordColumn> = serde_json::from_str(&existing).map_err(corrupt)?;
            if same_columns(&had, &table.columns) {
                return Ok(());
            }
            return Err(StoreError::SchemaChanged {
                name: table.source.clone(),
                stored: had.iter().map(|c| c.name.clone()).collect::<Vec<_>>().join(","),
            });
        }
        for statement in table_ddl(table) {
            sqlx::query(sqlx::AssertSqlSafe(statement)).execute(&mut *tx).await?;
        }
        sqlx::query("INSERT INTO record_tables (source, columns_json) VALUES ($1, $2)")
            .bind(&table.source)
            .bind(&wanted)
            .execute(&mut *tx)
            .await?;
        let digest = crate::audit::record_digest(&[&table.source, &wanted]);
        let entry = self.context.entry("records.table", format!("source:{}", table.source), Some(digest));
        append_in(&mut tx, &[entry]).await?;
        tx.commit().await?;
        Ok(())
    }

    /// See [`RecordStore::load_of_file`].
    pub async fn load_of_file(&self, source: &str, file_sha256: &str) -> Result<Option<LoadInfo>, StoreError> {
        let sql =
            format!("SELECT {LOAD_COLUMNS} FROM loads WHERE source = $1 AND file_sha256 = $2 ORDER BY load_id LIMIT 1");
        let row =
            sqlx::query(sqlx::AssertSqlSafe(sql)).bind(source).bind(file_sha256).fetch_optional(&self.pool).await?;
        row.as_ref().map(load_from_row).transpose()
    }

    /// See [`RecordStore::loads`].
    pub async fn loads(&self) -> Result<Vec<LoadInfo>, StoreError> {
        let sql = format!("SELECT {LOAD_COLUMNS} FROM loads ORDER BY load_id");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).fetch_all(&self.pool).await?;
        rows.iter().map(load_from_row).collect()
    }

    /// See [`RecordStore::load_quarantine`].
    pub async fn load_quarantine(&self, load_id: i64) -> Result<Vec<QuarantineRecord>, StoreError> {
        let rows = sqlx::query(
            "SELECT line, field, value, reason, detail FROM load_quarantine WHERE load_id = $1 ORDER BY line",
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
        // Every key's first row is its version 1 (a load writes a new key as version 1, a correction as the next
        // version of a stored one, and nothing is deleted), and `(_key, _version)` is unique: so these are the
        // distinct keys, without the aggregate over every version that `DISTINCT` costs each load that reads them.
        let sql = format!("SELECT _key FROM rec_{source} WHERE _version = 1");
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
        check_names(table)?;
        let column_of = |name: &str| {
            table.columns.iter().find(|c| c.name == name).ok_or_else(|| StoreError::InvalidModel {
                model: format!("{}.{name}", table.source),
                field: "column",
                problem: "is not a column of the record table",
            })
        };
        let mut types = Vec::with_capacity(columns.len());
        for name in columns {
            types.push(column_of(name)?.ty);
        }
        let name = table.table_name();
        let select: Vec<String> = columns.iter().map(|c| format!("r.{}", quoted(c))).collect();
        // Most tables were never corrected: every row is a first version, and a plain scan is exact. Only a table
        // holding corrections pays for choosing a version per key.
        let corrected: bool =
            sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT EXISTS (SELECT 1 FROM {name} WHERE _version > 1)")))
                .fetch_one(&self.pool)
                .await?;
        let mut parameters = 0;
        let mut after: Option<i64> = None;
        let mut sql = if corrected {
            let in_force = match versions {
                Versions::Current => String::new(),
                Versions::AsOf(_) => {
                    parameters += 1;
                    format!("AND (v._valid_from IS NULL OR v._valid_from <= ${parameters}::date)")
                }
            };
            format!(
                "SELECT {} FROM {name} AS r WHERE r._version = (SELECT MAX(v._version) FROM {name} AS v
                 WHERE v._key = r._key {in_force})",
                select.join(", ")
            )
        } else {
            format!("SELECT {} FROM {name} AS r WHERE true", select.join(", "))
        };
        if let Filter::After(row) = filter {
            parameters += 1;
            sql.push_str(&format!(" AND r._row > ${parameters}"));
            after = Some(row);
        }
        let texts: Vec<String> = match filter {
            Filter::All | Filter::After(_) => Vec::new(),
            Filter::Eq(_, value) => vec![value.to_string()],
            Filter::In(_, values) => values.to_vec(),
        };
        let values = match filter {
            Filter::All | Filter::After(_) => None,
            Filter::Eq(column, _) | Filter::In(column, _) => {
                let ty = column_of(column)?.ty;
                parameters += 1;
                sql.push_str(&format!(" AND r.{} = ANY(${parameters})", quoted(column)));
                Some(match ty {
                    CellType::Integer => FilterValues::Ints(texts.iter().filter_map(|t| t.parse().ok()).collect()),
                    CellType::Text => FilterValues::Texts(texts),
                })
            }
        };
        match order_by {
            Some(order) => {
                check_name(order)?;
                sql.push_str(&format!(" ORDER BY r.{}, r._row", quoted(order)));
            }
            // Insertion order: within a load, the file's row order.
            None => sql.push_str(" ORDER BY r._row"),
        }
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        if let (Versions::AsOf(date), true) = (versions, corrected) {
            query = query.bind(date.to_string());
        }
        if let Some(row) = after {
            query = query.bind(row);
        }
        match values {
            None => {}
            Some(FilterValues::Ints(ints)) if ints.is_empty() => return Ok(Vec::new()),
            Some(FilterValues::Texts(texts)) if texts.is_empty() => return Ok(Vec::new()),
            Some(FilterValues::Ints(ints)) => query = query.bind(ints),
            Some(FilterValues::Texts(texts)) => query = query.bind(texts),
        }
        let mut out = Vec::new();
        let mut rows = query.fetch(&self.pool);
        while let Some(row) = rows.try_next().await? {
            let cells = types.iter().enumerate().map(|(i, ty)| cell_from(&row, i, *ty)).collect::<Result<_, _>>()?;
            out.push(cells);
        }
        Ok(out)
    }

    /// See [`RecordStore::last_row`]: the table's largest `_row` (numbered from the identity in insertion order;
    /// loads are serialised by the load lock, so a later load's rows have larger numbers).
    pub async fn last_row(&self, table: &RecordTable) -> Result<i64, StoreError> {
        if !self.has_record_table(&table.source).await? {
            return Ok(0);
        }
        check_names(table)?;
        let sql = format!("SELECT COALESCE(MAX(_row), 0) FROM {}", table.table_name());
        Ok(sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).fetch_one(&self.pool).await?)
    }

    /// See [`RecordStore::begin_load`]: takes the load lock (see the module), numbers the load and reads the latest
    /// version of every stored key, all in the transaction the load then writes in.
    pub async fn begin_load(&self, table: &RecordTable) -> Result<PgLoad, StoreError> {
        check_names(table)?;
        let mut tx = self.pool.begin().await?;
        sqlx::query("LOCK TABLE loads IN SHARE ROW EXCLUSIVE MODE").execute(&mut *tx).await?;
        let load_id: i64 =
            sqlx::query_scalar("SELECT COALESCE(MAX(load_id), 0) + 1 FROM loads").fetch_one(&mut *tx).await?;
        let latest = latest_versions(&mut tx, table).await?;
        let stage = if latest.is_empty() { Stage::new(table) } else { None };
        let target = match &stage {
            Some(stage) => {
                sqlx::query(sqlx::AssertSqlSafe(stage.create())).execute(&mut *tx).await?;
                stage.stage.clone()
            }
            None => table.table_name(),
        };
        let numbered = stage.is_some();
        let fields =
            i16::try_from(usize::from(numbered) + META_COLUMNS.len() + table.columns.len()).map_err(corrupt)?;
        let (sender, receiver) = tokio::sync::mpsc::channel(CHUNKS_IN_FLIGHT);
        let task = CopyTask { store: self.clone(), tx, load_id, copy_sql: copy_sql(table, &target, numbered), stage };
        let handle = tokio::spawn(task.run(receiver));
        Ok(PgLoad {
            table: table.clone(),
            load_id,
            rows: numbered.then_some(0),
            fields: fields.to_be_bytes(),
            latest,
            pending: Vec::with_capacity(COPY_CHUNK_BYTES + 4096),
            quarantine: Vec::new(),
            sender: Some(sender),
            handle: Some(handle),
        })
    }
}

impl RecordStore for PgStore {
    type Load = PgLoad;

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

    async fn begin_load(&self, table: &RecordTable) -> Result<PgLoad, RegisterError> {
        Ok(self.begin_load(table).await?)
    }
}

async fn latest_versions(
    tx: &mut Transaction<'static, Postgres>,
    table: &RecordTable,
) -> Result<HashMap<String, RecordVersion>, StoreError> {
    let sql = format!(
        "SELECT DISTINCT ON (_key) _key, _version, _hash, to_char(_valid_from, 'YYYY-MM-DD') AS _valid_from
         FROM {} ORDER BY _key, _version DESC",
        table.table_name()
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

/// What a [`PgLoad`] hands its writer task.
enum Command {
    /// Encoded `COPY` tuples, to be sent on.
    Tuples(Vec<u8>),
    /// The load is complete: end the `COPY`, record the load and its quarantine, commit. With the rows the load
    /// numbered itself, if it did.
    Commit(Box<LoadInfo>, Vec<QuarantineRecord>, i64),
}

/// The task that owns a load's transaction and its one `COPY … FROM STDIN`, which stays open for the whole file:
/// tuples stream to PostgreSQL while the caller validates and seals the next rows, and nothing waits for a round
/// trip until the commit.
struct CopyTask {
    /// The store whose acting context the load's audit entry records.
    store: PgStore,
    tx: Transaction<'static, Postgres>,
    load_id: i64,
    copy_sql: String,
    /// For a load into an empty table, the table of its own it copies into (see [`Stage`]).
    stage: Option<Stage>,
}

impl CopyTask {
    async fn run(mut self, mut receiver: tokio::sync::mpsc::Receiver<Command>) -> Result<(), StoreError> {
        let finished = {
            let mut copy = self.tx.copy_in_raw(&self.copy_sql).await?;
            copy.send(COPY_HEADER).await?;
            loop {
                match receiver.recv().await {
                    Some(Command::Tuples(data)) => {
                        copy.send(data).await?;
                    }
                    Some(Command::Commit(info, quarantine, rows)) => {
                        // The trailer: a tuple of -1 fields.
                        copy.send(&(-1i16).to_be_bytes()[..]).await?;
                        copy.finish().await?;
                        break Some((info, quarantine, rows));
                    }
                    None => {
                        copy.abort("the load was abandoned").await?;
                        break None;
                    }
                }
            }
        };
        match finished {
            Some((info, quarantine, rows)) => self.commit(&info, quarantine, rows).await,
            // Dropped without a commit: the transaction rolls back as it is dropped here.
            None => Ok(()),
        }
    }

    async fn commit(mut self, info: &LoadInfo, quarantine: Vec<QuarantineRecord>, rows: i64) -> Result<(), StoreError> {
        let c = &info.counts;
        sqlx::query(
            "INSERT INTO loads (load_id, source, file_name, file_sha256, contract_version, format, encoding, as_of,
                                loaded_at, rows_read, rows_new, rows_corrected, rows_unchanged, rows_duplicate,
                                rows_quarantined)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8::date, $9, $10, $11, $12, $13, $14, $15)",
        )
        .bind(info.load_id)
        .bind(&info.source)
        .bind(&info.file_name)
        .bind(&info.file_sha256)
        .bind(i32::try_from(info.contract_version).map_err(corrupt)?)
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
                "INSERT INTO load_quarantine (load_id, line, field, value, reason, detail)
                 VALUES ($1, $2, $3, $4, $5, $6)",
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
        // After the `loads` row, which the reference checks; before the audit entry, whose lock on the audit log
        // would otherwise be held through the index builds.
        if let Some(stage) = self.stage.take() {
            stage.swap_in(&mut self.tx, rows).await?;
        }
        // As on SQLite: the file's SHA-256 is the load's identity; its counts go in the detail.
        let after = ::audit::Digest::parse(&info.file_sha256).ok();
        let mut entry = self.store.context.entry("records.load", format!("load:{}", info.load_id), after);
        entry.detail = serde_json::json!({
            "source": info.source,
            "rows_new": c.new,
            "rows_corrected": c.corrected,
            "rows_quarantined": c.quarantined,
        })
        .to_string();
        append_in(&mut self.tx, &[entry]).await?;
        self.tx.commit().await?;
        Ok(())
    }
}

/// One file's load in progress on PostgreSQL. A writer task holds its transaction (and the load lock) and streams
/// the rows in as [`PgLoad::write`] encodes them; dropped without [`PgLoad::commit`], the task ends, the transaction
/// rolls back and nothing of the load remains.
pub struct PgLoad {
    table: RecordTable,
    load_id: i64,
    /// For a load into a table of its own, the rows numbered so far (`_row` is sent with each row).
    rows: Option<i64>,
    /// The data cells' and bookkeeping fields' count, as each tuple begins.
    fields: [u8; 2],
    latest: HashMap<String, RecordVersion>,
    /// Tuples encoded since the last hand-over to the task.
    pending: Vec<u8>,
    quarantine: Vec<QuarantineRecord>,
    sender: Option<tokio::sync::mpsc::Sender<Command>>,
    handle: Option<tokio::task::JoinHandle<Result<(), StoreError>>>,
}

impl std::fmt::Debug for PgLoad {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgLoad").field("source", &self.table.source).field("load_id", &self.load_id).finish()
    }
}

impl RecordLoad for PgLoad {
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
        Ok(PgLoad::write(self, record, version, valid_from).await?)
    }

    fn quarantine(&mut self, record: QuarantineRecord) {
        self.quarantine.push(record);
    }

    async fn commit(self, info: &LoadInfo) -> Result<(), RegisterError> {
        Ok(PgLoad::commit(self, info).await?)
    }
}

/// One file's load on PostgreSQL; [`RecordLoad`] is these methods with the register's error type.
impl PgLoad {
    /// See [`RecordLoad::write`]: encodes the row as a binary `COPY` tuple; every [`COPY_CHUNK_BYTES`] the tuples go
    /// to the writer task, which sends them on while this side prepares the next rows.
    pub async fn write(
        &mut self,
        record: NewRecord,
        version: u32,
        valid_from: Option<String>,
    ) -> Result<(), StoreError> {
        if record.cells.len() != self.table.columns.len() {
            return Err(corrupt(format!(
                "{}: row {} has {} cells for {} columns",
                self.table.source,
                record.key,
                record.cells.len(),
                self.table.columns.len()
            )));
        }
        // Checked before a byte is added, so a refused row leaves no partial tuple behind.
        for (cell, column) in record.cells.iter().zip(&self.table.columns) {
            match (cell, column.ty) {
                (Cell::Null, _) | (Cell::Int(_), CellType::Integer) | (Cell::Text(_), CellType::Text) => {}
                (cell, ty) => {
                    return Err(corrupt(format!(
                        "{}.{}: a {cell:?} in a {ty:?} column",
                        self.table.source, column.name
                    )));
                }
            }
        }
        let version = i32::try_from(version).map_err(|_| corrupt(format!("record version {version}")))?;
        let valid_from = valid_from.as_deref().map(copy_date).transpose()?;
        let data = &mut self.pending;
        data.extend_from_slice(&self.fields);
        if let Some(rows) = &mut self.rows {
            *rows += 1;
            copy_field(data, Some(&rows.to_be_bytes()))?;
        }
        copy_field(data, Some(record.key.as_bytes()))?;
        copy_field(data, Some(&version.to_be_bytes()))?;
        copy_field(data, Some(&self.load_id.to_be_bytes()))?;
        copy_field(data, valid_from.as_ref().map(|d| &d[..]))?;
        copy_field(data, Some(record.hash.as_bytes()))?;
        for cell in &record.cells {
            match cell {
                Cell::Null => copy_field(data, None)?,
                Cell::Int(value) => copy_field(data, Some(&value.to_be_bytes()))?,
                Cell::Text(text) => copy_field(data, Some(text.as_bytes()))?,
            }
        }
        if self.pending.len() >= COPY_CHUNK_BYTES {
            self.send_pending().await?;
            // On a single-threaded runtime, let the task put the chunk on the wire before the next rows are made.
            tokio::task::yield_now().await;
        }
        Ok(())
    }

    /// See [`RecordLoad::commit`].
    pub async fn commit(mut self, info: &LoadInfo) -> Result<(), StoreError> {
        if info.load_id != self.load_id || !info.counts.is_consistent() {
            return Err(corrupt(format!("load {}: inconsistent load record", self.load_id)));
        }
        self.send_pending().await?;
        let quarantine = std::mem::take(&mut self.quarantine);
        self.send(Command::Commit(Box::new(info.clone()), quarantine, self.rows.unwrap_or(0))).await?;
        self.finish_task().await
    }

    async fn send_pending(&mut self) -> Result<(), StoreError> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let chunk = std::mem::replace(&mut self.pending, Vec::with_capacity(COPY_CHUNK_BYTES + 4096));
        self.send(Command::Tuples(chunk)).await
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
