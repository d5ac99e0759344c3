//! Rows in their logical form ([`Value`]: SQLite's storage classes) read from and written to either engine, a page
//! at a time in key order, each value converted by its column's [`Form`].
//!
//! Writing a page suspends the table's insert-time checks (triggers such as "one champion per model name" or "an
//! authority in force"), inside the page's transaction: they judge a row against the rows written before it, and
//! a history copied table by table in key order is not the order it was written in. The rows passed those checks
//! when the source stored them, and the copy is verified row for row afterwards. Triggers that refuse updates,
//! deletes and truncation are never touched.

use chrono::{DateTime, FixedOffset};
use domain::Timestamp;
use sqlx::{Row, TypeInfo, ValueRef};

use super::schema::{Column, EPOCH_COLUMNS, Form, REVIEW_AUTHORITY, Table};
use super::{Conn, CopyError};

/// One value in its logical form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Value {
    /// No value.
    Null,
    /// A whole number.
    Int(i64),
    /// Text.
    Text(String),
    /// Bytes.
    Bytes(Vec<u8>),
}

/// A name as an SQL identifier.
pub(crate) fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

fn bad(table: &Table, column: &Column, problem: impl Into<String>) -> CopyError {
    CopyError::Value { table: table.name.clone(), column: column.name.clone(), problem: problem.into() }
}

/// The `SELECT` of `table`'s rows in the order of `order` (indexes into its columns), followed by `tail` (its
/// `LIMIT` and `OFFSET`).
fn select_sql(table: &Table, order: &[usize], postgres: bool, tail: &str) -> String {
    let mut exprs = Vec::new();
    for column in &table.columns {
        let c = format!("t.{}", quoted(&column.name));
        match column.form {
            Form::Int if postgres => exprs.push(format!("{c}::bigint")),
            Form::Int | Form::Text | Form::Bytes | Form::Bool => exprs.push(c),
            Form::Date => exprs.push(format!("to_char({c}, 'YYYY-MM-DD')")),
            Form::Numeric | Form::Json => exprs.push(format!("{c}::text")),
            Form::Instant => {
                exprs.push(format!("extract(epoch FROM {c})::bigint"));
                exprs.push(format!("t.{}", quoted(&format!("{}_offset_s", column.name))));
            }
            Form::Rowid => exprs.push("t.rowid".into()),
            Form::Epoch => {
                let of = EPOCH_COLUMNS
                    .iter()
                    .find(|(t, c, _)| *t == table.name && *c == column.name)
                    .map_or(column.name.as_str(), |(_, _, of)| of);
                exprs.push(format!("extract(epoch FROM t.{})::bigint", quoted(of)));
            }
            Form::ReviewAuthority => exprs.push(format!(
                "COALESCE((SELECT a.authority_fen FROM {REVIEW_AUTHORITY} AS a
                           WHERE a.decision_id = t.decision_id AND a.seq = t.seq),
                          (SELECT o.authority_fen FROM officers AS o WHERE o.officer_id = t.officer_id))"
            )),
        }
    }
    let keys: Vec<String> = order
        .iter()
        .map(|i| {
            let column = &table.columns[*i];
            match column.form {
                Form::Rowid => "t.rowid".to_string(),
                Form::Text if postgres => format!("t.{} COLLATE \"C\"", quoted(&column.name)),
                _ => format!("t.{}", quoted(&column.name)),
            }
        })
        .collect();
    format!("SELECT {} FROM {} AS t ORDER BY {} {tail}", exprs.join(", "), quoted(&table.name), keys.join(", "))
}

/// Up to `limit` rows of `table` after the first `offset`, in the order of `order`.
pub(crate) async fn read_page(
    conn: &mut Conn,
    table: &Table,
    order: &[usize],
    offset: u64,
    limit: u64,
) -> Result<Vec<Vec<Value>>, CopyError> {
    let tail = if conn.is_postgres() { "LIMIT $1 OFFSET $2" } else { "LIMIT ?1 OFFSET ?2" };
    let sql = select_sql(table, order, conn.is_postgres(), tail);
    let (offset, limit) = (i64::try_from(offset).unwrap_or(i64::MAX), i64::try_from(limit).unwrap_or(i64::MAX));
    match conn {
        Conn::Sqlite(c) => {
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(limit).bind(offset).fetch_all(&mut *c).await?;
            rows.iter().map(|row| sqlite_row(table, row)).collect()
        }
        Conn::Postgres(c) => {
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(limit).bind(offset).fetch_all(&mut *c).await?;
            rows.iter().map(|row| postgres_row(table, row)).collect()
        }
    }
}

/// Hands every row of `table` to `each`, in the order of `order`, reading them as one stream (no row is read
/// twice, however large the table).
pub(crate) async fn for_each_row(
    conn: &mut Conn,
    table: &Table,
    order: &[usize],
    mut each: impl FnMut(Vec<Value>),
) -> Result<(), CopyError> {
    use futures_util::TryStreamExt;
    let sql = select_sql(table, order, conn.is_postgres(), "");
    match conn {
        Conn::Sqlite(c) => {
            let mut rows = sqlx::query(sqlx::AssertSqlSafe(sql)).fetch(&mut *c);
            while let Some(row) = rows.try_next().await? {
                each(sqlite_row(table, &row)?);
            }
        }
        Conn::Postgres(c) => {
            let mut rows = sqlx::query(sqlx::AssertSqlSafe(sql)).fetch(&mut *c);
            while let Some(row) = rows.try_next().await? {
                each(postgres_row(table, &row)?);
            }
        }
    }
    Ok(())
}

fn sqlite_row(table: &Table, row: &sqlx::sqlite::SqliteRow) -> Result<Vec<Value>, CopyError> {
    let mut values = Vec::with_capacity(table.columns.len());
    for (i, column) in table.columns.iter().enumerate() {
        let raw = row.try_get_raw(i)?;
        let value = if raw.is_null() {
            Value::Null
        } else {
            match raw.type_info().name() {
                "INTEGER" => Value::Int(row.try_get(i)?),
                "TEXT" => Value::Text(row.try_get(i)?),
                "BLOB" => Value::Bytes(row.try_get(i)?),
                other => return Err(bad(table, column, format!("holds a value of type {other}"))),
            }
        };
        values.push(value);
    }
    Ok(values)
}

/// The text of an instant stored as seconds since the epoch beside the offset it was written with.
fn instant_text(seconds: i64, offset_s: i32) -> Option<String> {
    let zone = FixedOffset::east_opt(offset_s)?;
    let at = DateTime::from_timestamp(seconds, 0)?;
    Some(Timestamp::from_instant(at.with_timezone(&zone)).to_string())
}

fn postgres_row(table: &Table, row: &sqlx::postgres::PgRow) -> Result<Vec<Value>, CopyError> {
    fn or_null<T>(value: Option<T>, f: impl FnOnce(T) -> Value) -> Value {
        value.map_or(Value::Null, f)
    }
    let mut values = Vec::with_capacity(table.columns.len());
    let mut i = 0;
    for column in &table.columns {
        let value = match column.form {
            Form::Int | Form::Epoch => or_null(row.try_get::<Option<i64>, _>(i)?, Value::Int),
            Form::Bytes => or_null(row.try_get::<Option<Vec<u8>>, _>(i)?, Value::Bytes),
            Form::Bool => or_null(row.try_get::<Option<bool>, _>(i)?, |b| Value::Int(i64::from(b))),
            Form::Text | Form::Date | Form::Numeric | Form::Json => {
                or_null(row.try_get::<Option<String>, _>(i)?, Value::Text)
            }
            Form::Instant => {
                let seconds: Option<i64> = row.try_get(i)?;
                i += 1;
                let offset: Option<i32> = row.try_get(i)?;
                match (seconds, offset) {
                    (None, None) => Value::Null,
                    (Some(seconds), Some(offset)) => Value::Text(
                        instant_text(seconds, offset).ok_or_else(|| bad(table, column, "holds no valid instant"))?,
                    ),
                    _ => return Err(bad(table, column, "holds an instant without its offset")),
                }
            }
            Form::Rowid | Form::ReviewAuthority => {
                return Err(bad(table, column, "is SQLite's own and read on PostgreSQL"));
            }
        };
        values.push(value);
        i += 1;
    }
    Ok(values)
}

/// Rows per `INSERT` statement: few enough for either engine's limit on bound parameters.
fn rows_per_statement(columns: usize) -> usize {
    (30_000 / (columns + 1)).clamp(1, 500)
}

/// Inserts `rows` (logical values aligned with `table.columns`) into `table`, inside the caller's transaction,
/// with the table's insert-time checks suspended for the statement (see the module's note).
pub(crate) async fn write_page(conn: &mut Conn, table: &Table, rows: &[Vec<Value>]) -> Result<(), CopyError> {
    match conn {
        Conn::Sqlite(c) => write_sqlite(c, table, rows).await,
        Conn::Postgres(c) => write_postgres(c, table, rows).await,
    }
}

async fn write_sqlite(c: &mut sqlx::SqliteConnection, table: &Table, rows: &[Vec<Value>]) -> Result<(), CopyError> {
    let mut suspended: Vec<String> = Vec::new();
    for trigger in &table.insert_checks {
        let sql: String = sqlx::query_scalar("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?1")
            .bind(trigger)
            .fetch_one(&mut *c)
            .await?;
        sqlx::query(sqlx::AssertSqlSafe(format!("DROP TRIGGER {}", quoted(trigger)))).execute(&mut *c).await?;
        suspended.push(sql);
    }
    let stored: Vec<(usize, &Column)> =
        table.columns.iter().enumerate().filter(|(_, c)| c.form != Form::ReviewAuthority).collect();
    let names: Vec<String> =
        stored.iter().map(|(_, c)| if c.form == Form::Rowid { "rowid".to_string() } else { quoted(&c.name) }).collect();
    let one = format!("({})", vec!["?"; stored.len()].join(", "));
    for chunk in rows.chunks(rows_per_statement(stored.len())) {
        let sql = format!(
            "INSERT INTO {} ({}) VALUES {}",
            quoted(&table.name),
            names.join(", "),
            vec![one.as_str(); chunk.len()].join(", ")
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for row in chunk {
            for (i, _) in &stored {
                query = match &row[*i] {
                    Value::Null => query.bind(None::<i64>),
                    Value::Int(v) => query.bind(*v),
                    Value::Text(v) => query.bind(v.clone()),
                    Value::Bytes(v) => query.bind(v.clone()),
                };
            }
        }
        query.execute(&mut *c).await?;
    }
    if let Some(authority) = table.columns.iter().position(|c| c.form == Form::ReviewAuthority) {
        let at = |name: &str| table.columns.iter().position(|c| c.name == name);
        let (Some(decision), Some(seq)) = (at("decision_id"), at("seq")) else {
            return Err(bad(table, &table.columns[authority], "needs decision_id and seq beside it"));
        };
        for row in rows {
            sqlx::query("INSERT INTO review_authority (decision_id, seq, authority_fen) VALUES (?1, ?2, ?3)")
                .bind(text_of(&row[decision]))
                .bind(int_of(&row[seq]))
                .bind(int_of(&row[authority]))
                .execute(&mut *c)
                .await?;
        }
    }
    for sql in suspended {
        sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&mut *c).await?;
    }
    Ok(())
}

fn text_of(value: &Value) -> Option<String> {
    match value {
        Value::Text(t) => Some(t.clone()),
        _ => None,
    }
}

fn int_of(value: &Value) -> Option<i64> {
    match value {
        Value::Int(v) => Some(*v),
        _ => None,
    }
}

async fn write_postgres(c: &mut sqlx::PgConnection, table: &Table, rows: &[Vec<Value>]) -> Result<(), CopyError> {
    let relation = quoted(&table.name);
    for trigger in &table.insert_checks {
        let sql = format!("ALTER TABLE {relation} DISABLE TRIGGER {}", quoted(trigger));
        sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&mut *c).await?;
    }
    let mut names = Vec::new();
    for column in table.columns.iter().filter(|c| c.form != Form::Epoch) {
        names.push(quoted(&column.name));
        if column.form == Form::Instant {
            names.push(quoted(&format!("{}_offset_s", column.name)));
        }
    }
    let overriding = if table.identity.is_some() { " OVERRIDING SYSTEM VALUE" } else { "" };
    for chunk in rows.chunks(rows_per_statement(names.len())) {
        let mut n = 0;
        let mut tuples = Vec::with_capacity(chunk.len());
        for _ in chunk {
            let mut slots = Vec::with_capacity(names.len());
            for column in table.columns.iter().filter(|c| c.form != Form::Epoch) {
                n += 1;
                slots.push(match column.form {
                    Form::Int => format!("${n}::bigint"),
                    Form::Text => format!("${n}::text"),
                    Form::Bytes => format!("${n}::bytea"),
                    Form::Date => format!("${n}::date"),
                    Form::Bool => format!("${n}::boolean"),
                    Form::Numeric => format!("${n}::numeric"),
                    Form::Json => format!("${n}::jsonb"),
                    Form::Instant => {
                        n += 1;
                        format!("${}::timestamptz, ${n}::integer", n - 1)
                    }
                    Form::Rowid | Form::ReviewAuthority | Form::Epoch => {
                        return Err(bad(table, column, "is SQLite's own and written on PostgreSQL"));
                    }
                });
            }
            tuples.push(format!("({})", slots.join(", ")));
        }
        let sql = format!("INSERT INTO {relation} ({}){overriding} VALUES {}", names.join(", "), tuples.join(", "));
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for row in chunk {
            for (column, value) in table.columns.iter().zip(row).filter(|(c, _)| c.form != Form::Epoch) {
                query = match (column.form, value) {
                    (Form::Int, Value::Int(v)) => query.bind(*v),
                    (Form::Int, Value::Null) => query.bind(None::<i64>),
                    (Form::Bool, Value::Null) => query.bind(None::<bool>),
                    (Form::Bool, Value::Int(v)) => query.bind(*v != 0),
                    (Form::Bytes, Value::Bytes(v)) => query.bind(v.clone()),
                    (Form::Bytes, Value::Null) => query.bind(None::<Vec<u8>>),
                    (Form::Instant, Value::Null) => query.bind(None::<String>).bind(None::<i32>),
                    (Form::Instant, Value::Text(text)) => {
                        let at = Timestamp::parse(text).map_err(|_| {
                            bad(table, column, format!("{text:?} is not an instant as the store writes it"))
                        })?;
                        query.bind(text.clone()).bind(at.instant().offset().local_minus_utc())
                    }
                    (_, Value::Text(v)) => query.bind(v.clone()),
                    (_, Value::Null) => query.bind(None::<String>),
                    (form, other) => return Err(bad(table, column, format!("{other:?} cannot be stored as {form:?}"))),
                };
            }
        }
        query.execute(&mut *c).await?;
    }
    for trigger in &table.insert_checks {
        let sql = format!("ALTER TABLE {relation} ENABLE TRIGGER {}", quoted(trigger));
        sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&mut *c).await?;
    }
    Ok(())
}

/// Rows of `table`.
pub(crate) async fn count(conn: &mut Conn, table: &str) -> Result<u64, CopyError> {
    let sql = format!("SELECT COUNT(*) FROM {}", quoted(table));
    let n: i64 = match conn {
        Conn::Sqlite(c) => sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).fetch_one(&mut *c).await?,
        Conn::Postgres(c) => sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).fetch_one(&mut *c).await?,
    };
    Ok(u64::try_from(n).unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_instant_reads_back_in_the_offset_it_was_written_with() {
        let text = "2026-12-06T19:33:02+08:00";
        let at = Timestamp::parse(text).expect("an instant");
        let seconds = at.instant().timestamp();
        assert_eq!(instant_text(seconds, 8 * 3600).as_deref(), Some(text));
        assert_eq!(instant_text(seconds, 0).as_deref(), Some("2026-12-06T11:33:02Z"));
    }
}
