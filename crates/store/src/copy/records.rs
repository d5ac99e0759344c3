//! Record tables (`rec_<source>`) on the target. The record register creates them from a data contract when a
//! source is first loaded, appending a `records.table` audit entry; a copy must create them without one (the
//! entry that made them is copied with the rest of the trail), so it makes them from `record_tables`' stored
//! columns with the same statements as `sqlite::records` and `postgres::records` (`table_ddl`, `update_trigger`).
//!
//! **Invariant:** these statements make the same objects as the register's; `tests/copy` compares the schema a
//! copy makes with the one the register makes, on each engine, so a change to one without the other fails.

use integrate::register::{CellType, RecordColumn, RecordTable};

use super::rows::quoted;
use super::{Conn, CopyError};

/// Bookkeeping columns in front of the data columns.
const META_COLUMNS: &[&str] = &["_key", "_version", "_load_id", "_valid_from", "_hash"];

fn safe(name: &str) -> bool {
    !name.is_empty() && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// The record table of `source` as its stored `columns_json` describes it.
pub(crate) fn table_of(source: &str, columns_json: &str) -> Result<RecordTable, CopyError> {
    let columns: Vec<RecordColumn> = serde_json::from_str(columns_json).map_err(|e| CopyError::Schema {
        table: format!("rec_{source}"),
        problem: format!("record_tables.columns_json is unreadable: {e}"),
    })?;
    if !safe(source) || columns.iter().any(|c| !safe(&c.name)) {
        return Err(CopyError::Schema { table: format!("rec_{source}"), problem: "has an unsafe name".into() });
    }
    Ok(RecordTable { source: source.to_string(), columns })
}

fn sqlite_ddl(table: &RecordTable) -> Vec<String> {
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
        format!("CREATE INDEX {name}_corrections ON {name} (_key) WHERE _version > 1"),
        format!(
            "CREATE VIEW cur_{source} AS SELECT * FROM {name} AS r
             WHERE r._version = (SELECT MAX(_version) FROM {name} WHERE _key = r._key)"
        ),
        format!(
            "CREATE TRIGGER {name}_no_update BEFORE UPDATE ON {name} WHEN NOT ({})
         BEGIN SELECT RAISE(ABORT, '{name} is append-only: only its personal data may be erased'); END",
            kept.join("\n             AND ")
        ),
        format!(
            "CREATE TRIGGER {name}_no_delete BEFORE DELETE ON {name} BEGIN SELECT RAISE(ABORT, '{name} is append-only'); END"
        ),
    ];
    for column in table.columns.iter().filter(|c| c.indexed) {
        ddl.push(format!("CREATE INDEX {name}_by_{} ON {name} ({})", column.name, quoted(&column.name)));
    }
    ddl
}

fn postgres_ddl(table: &RecordTable) -> Vec<String> {
    let name = table.table_name();
    let source = &table.source;
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
    let refusal = format!("{name} is append-only");
    let mut ddl = vec![
        format!(
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
            columns.join(",\n                ")
        ),
        format!("CREATE UNIQUE INDEX {name}_by_key ON {name} (_key, _version)"),
        format!("CREATE INDEX {name}_corrections ON {name} (_key) WHERE _version > 1"),
        format!(
            "CREATE VIEW cur_{source} AS SELECT * FROM {name} AS r
             WHERE r._version = (SELECT MAX(_version) FROM {name} WHERE _key = r._key)"
        ),
        format!(
            "CREATE TRIGGER {name}_no_update BEFORE UPDATE ON {name} FOR EACH ROW WHEN (NOT ({}))
         EXECUTE FUNCTION refuse_change('{name} is append-only: only its personal data may be erased')",
            kept.join("\n             AND ")
        ),
        format!(
            "CREATE TRIGGER {name}_no_delete BEFORE DELETE ON {name}
             FOR EACH ROW EXECUTE FUNCTION refuse_change('{refusal}')"
        ),
        format!(
            "CREATE TRIGGER {name}_no_truncate BEFORE TRUNCATE ON {name}
             FOR EACH STATEMENT EXECUTE FUNCTION refuse_change('{refusal}')"
        ),
    ];
    for column in table.columns.iter().filter(|c| c.indexed) {
        ddl.push(format!("CREATE INDEX {name}_by_{} ON {name} ({})", column.name, quoted(&column.name)));
    }
    ddl
}

/// Creates `table` on the target inside the caller's transaction.
pub(crate) async fn create(conn: &mut Conn, table: &RecordTable) -> Result<(), CopyError> {
    match conn {
        Conn::Sqlite(c) => {
            for statement in sqlite_ddl(table) {
                sqlx::query(sqlx::AssertSqlSafe(statement)).execute(&mut *c).await?;
            }
        }
        Conn::Postgres(c) => {
            for statement in postgres_ddl(table) {
                sqlx::query(sqlx::AssertSqlSafe(statement)).execute(&mut *c).await?;
            }
        }
    }
    Ok(())
}
