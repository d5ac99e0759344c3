//! Record tables (`rec_<source>`) on the target. The record register creates them from a data contract when a
//! source is first loaded, appending a `records.table` audit entry; a copy must create them without one (the
//! entry that made them is copied with the rest of the trail), so it makes them from `record_tables`' stored
//! columns with the register's own statements (`sqlite::records::table_ddl`, `postgres::records::table_ddl`).

use integrate::register::{RecordColumn, RecordTable};

use super::{Conn, CopyError};

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

/// Creates `table` on the target inside the caller's transaction.
pub(crate) async fn create(conn: &mut Conn, table: &RecordTable) -> Result<(), CopyError> {
    match conn {
        Conn::Sqlite(c) => {
            for statement in crate::sqlite::record_table_ddl(table) {
                sqlx::query(sqlx::AssertSqlSafe(statement)).execute(&mut *c).await?;
            }
        }
        Conn::Postgres(c) => {
            for statement in crate::postgres::record_table_ddl(table) {
                sqlx::query(sqlx::AssertSqlSafe(statement)).execute(&mut *c).await?;
            }
        }
    }
    Ok(())
}
