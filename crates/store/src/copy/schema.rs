//! The live schema of either engine as a copy sees it: which tables to copy, in foreign-key order, and each table's
//! logical columns — every value in its SQLite form — with how each engine stores them ([`Form`]).
//!
//! Column lists are read from the database at run time, so a column a migration adds on both engines is copied
//! without a change here. What cannot be read from a schema is the short list below: tables that are not copied,
//! and the one place the engines lay a value out differently (a review action's authority).

use std::collections::{BTreeMap, BTreeSet};

use sqlx::Row;

use super::{Conn, CopyError};

/// Tables never copied: the migrations' own book, the copy's progress, SQLite's internal tables, the version
/// counters the target's triggers keep for it (`identity_version`, `screening_version`), and the open review cases
/// (`review_open`), which the target's triggers rebuild from the decisions and review actions copied into it. Claims
/// on open cases are short leases and are not carried: the copied store starts with every open case unclaimed.
const SKIPPED: &[&str] =
    &["_sqlx_migrations", super::PROGRESS_TABLE, "identity_version", "screening_version", "review_open"];

/// SQLite keeps the authority a review action was taken under in a table of its own (`review_authority`, one row
/// per action); PostgreSQL keeps it in `review_actions.authority_fen`. The copy treats it as that column.
pub(crate) const REVIEW_AUTHORITY: &str = "review_authority";

/// SQLite columns that PostgreSQL does not keep because it derives them: (table, column, the `timestamptz` column
/// whose seconds since the epoch it holds).
pub(crate) const EPOCH_COLUMNS: &[(&str, &str, &str)] = &[("login_attempts", "at_unix", "at")];

/// SQLite tables whose `rowid` is their PostgreSQL twin's identity column (the order rows were written in, which
/// readers order by): the column's name. Record tables (`rec_*`) keep theirs as `_row`.
const ROWID_COLUMNS: &[(&str, &str)] = &[("status_changes", "id"), ("dual_proposals", "n")];

/// The identity column SQLite's `rowid` stands for in `table`, if any.
fn rowid_column(table: &str) -> Option<&'static str> {
    if table.starts_with("rec_") {
        return Some("_row");
    }
    ROWID_COLUMNS.iter().find(|(t, _)| *t == table).map(|(_, c)| *c)
}

/// Columns holding JSON that PostgreSQL stores as `jsonb` (which normalises its text): hashed in canonical form.
pub(crate) const JSON_COLUMNS: &[(&str, &str)] = &[("erasures", "rows_json"), ("alerts", "evidence_json")];

/// How one engine stores one logical column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Form {
    /// A whole number (SQLite `INTEGER`; PostgreSQL `bigint`, `integer`, `smallint`).
    Int,
    /// Text.
    Text,
    /// Bytes, copied byte for byte (SQLite `BLOB`; PostgreSQL `bytea`).
    Bytes,
    /// PostgreSQL `date`; `YYYY-MM-DD` text.
    Date,
    /// PostgreSQL `timestamptz` beside `<name>_offset_s`; the instant's text in the offset it was written with.
    Instant,
    /// PostgreSQL `boolean`; 0 or 1.
    Bool,
    /// PostgreSQL `numeric`; its text (which keeps the scale written).
    Numeric,
    /// PostgreSQL `jsonb`; its text.
    Json,
    /// SQLite's `rowid`, standing for PostgreSQL's identity column of the same table (insertion order).
    Rowid,
    /// SQLite's `review_authority.authority_fen` of the action ([`REVIEW_AUTHORITY`]).
    ReviewAuthority,
    /// PostgreSQL: seconds since the epoch of another column ([`EPOCH_COLUMNS`]), read but never written.
    Epoch,
}

/// One logical column as one engine holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Column {
    /// The logical name (PostgreSQL's column name; `rowid` columns take the identity column's name).
    pub name: String,
    /// How it is stored.
    pub form: Form,
}

/// One table as one engine holds it.
#[derive(Debug, Clone)]
pub(crate) struct Table {
    /// The table's name.
    pub name: String,
    /// Its logical columns, in the table's order.
    pub columns: Vec<Column>,
    /// Its primary key's columns, in key order.
    pub key: Vec<String>,
    /// PostgreSQL: the identity column, if any.
    pub identity: Option<String>,
    /// Tables its foreign keys reference.
    pub references: BTreeSet<String>,
    /// Names of its triggers that check inserted rows against rows inserted before (suspended while rows that
    /// passed them at the source are copied in key order; see [`super::rows`]).
    pub insert_checks: Vec<String>,
}

/// Every copied table of one database, by name.
#[derive(Debug, Clone, Default)]
pub(crate) struct Schema {
    /// The tables.
    pub tables: BTreeMap<String, Table>,
}

fn form_of_sqlite(declared: &str) -> Form {
    match declared.to_ascii_uppercase().as_str() {
        "INTEGER" | "INT" | "BIGINT" => Form::Int,
        "BLOB" => Form::Bytes,
        _ => Form::Text,
    }
}

fn form_of_postgres(data_type: &str) -> Result<Form, String> {
    Ok(match data_type {
        "bigint" | "integer" | "smallint" => Form::Int,
        "text" | "character varying" | "character" => Form::Text,
        "bytea" => Form::Bytes,
        "date" => Form::Date,
        "timestamp with time zone" => Form::Instant,
        "boolean" => Form::Bool,
        "numeric" => Form::Numeric,
        "jsonb" | "json" => Form::Json,
        other => return Err(format!("type {other} is not one the copy knows")),
    })
}

impl Schema {
    /// Reads the copied tables of the database behind `conn`.
    pub(crate) async fn read(conn: &mut Conn) -> Result<Schema, CopyError> {
        match conn {
            Conn::Sqlite(c) => read_sqlite(c).await,
            Conn::Postgres(c) => read_postgres(c).await,
        }
    }

    /// The table names in an order where every table comes after the tables it references (ties by name).
    pub(crate) fn foreign_key_order(&self) -> Vec<String> {
        let mut done: Vec<String> = Vec::new();
        let mut left: BTreeSet<&str> = self.tables.keys().map(String::as_str).collect();
        while !left.is_empty() {
            let ready: Vec<&str> = left
                .iter()
                .copied()
                .filter(|name| self.tables[*name].references.iter().all(|r| r == name || !left.contains(r.as_str())))
                .collect();
            // A cycle of references (none in this schema) would be copied in name order rather than loop forever.
            let next: Vec<&str> = if ready.is_empty() { left.iter().copied().take(1).collect() } else { ready };
            for name in next {
                left.remove(name);
                done.push(name.to_string());
            }
        }
        done
    }
}

async fn read_sqlite(c: &mut sqlx::SqliteConnection) -> Result<Schema, CopyError> {
    let names: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name",
    )
    .fetch_all(&mut *c)
    .await?;
    let has_authority = names.iter().any(|n| n == REVIEW_AUTHORITY);
    let mut schema = Schema::default();
    for name in names.into_iter().filter(|n| !SKIPPED.contains(&n.as_str()) && n != REVIEW_AUTHORITY) {
        let rows = sqlx::query("SELECT name, type, pk FROM pragma_table_info(?1) ORDER BY cid")
            .bind(&name)
            .fetch_all(&mut *c)
            .await?;
        let mut columns = Vec::new();
        let mut key: Vec<(i64, String)> = Vec::new();
        for row in &rows {
            let column: String = row.try_get(0)?;
            let declared: String = row.try_get(1)?;
            let pk: i64 = row.try_get(2)?;
            if pk > 0 {
                key.push((pk, column.clone()));
            }
            columns.push(Column { name: column, form: form_of_sqlite(&declared) });
        }
        if let Some(rowid) = rowid_column(&name).filter(|r| !columns.iter().any(|c| c.name == *r)) {
            columns.push(Column { name: rowid.to_string(), form: Form::Rowid });
        }
        if name == "review_actions" && has_authority {
            columns.push(Column { name: "authority_fen".into(), form: Form::ReviewAuthority });
        }
        key.sort();
        let references: BTreeSet<String> =
            sqlx::query_scalar("SELECT DISTINCT \"table\" FROM pragma_foreign_key_list(?1)")
                .bind(&name)
                .fetch_all(&mut *c)
                .await?
                .into_iter()
                .collect();
        let triggers: Vec<(String, String)> = sqlx::query_as(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ?1 ORDER BY name",
        )
        .bind(&name)
        .fetch_all(&mut *c)
        .await?;
        let insert_checks = triggers
            .into_iter()
            .filter(|(_, sql)| sql.to_ascii_uppercase().contains("BEFORE INSERT ON"))
            .map(|(trigger, _)| trigger)
            .collect();
        let table = Table {
            name: name.clone(),
            columns,
            key: key.into_iter().map(|(_, c)| c).collect(),
            identity: None,
            references,
            insert_checks,
        };
        schema.tables.insert(name, table);
    }
    Ok(schema)
}

async fn read_postgres(c: &mut sqlx::PgConnection) -> Result<Schema, CopyError> {
    let names: Vec<String> = sqlx::query_scalar(
        "SELECT table_name::text FROM information_schema.tables
         WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY 1",
    )
    .fetch_all(&mut *c)
    .await?;
    let mut schema = Schema::default();
    for name in names.into_iter().filter(|n| !SKIPPED.contains(&n.as_str())) {
        let rows = sqlx::query(
            "SELECT column_name::text, data_type::text, is_identity::text FROM information_schema.columns
             WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position",
        )
        .bind(&name)
        .fetch_all(&mut *c)
        .await?;
        let mut physical: Vec<(String, Form, bool)> = Vec::new();
        for row in &rows {
            let column: String = row.try_get(0)?;
            let data_type: String = row.try_get(1)?;
            let identity: String = row.try_get(2)?;
            let form = form_of_postgres(&data_type).map_err(|problem| CopyError::Schema {
                table: name.clone(),
                problem: format!("{column}: {problem}"),
            })?;
            physical.push((column, form, identity == "YES"));
        }
        let instants: BTreeSet<String> =
            physical.iter().filter(|(_, f, _)| *f == Form::Instant).map(|(c, _, _)| format!("{c}_offset_s")).collect();
        for (column, form, _) in &physical {
            if *form == Form::Instant && !physical.iter().any(|(c, _, _)| *c == format!("{column}_offset_s")) {
                return Err(CopyError::Schema {
                    table: name.clone(),
                    problem: format!("{column} is a timestamptz without its {column}_offset_s"),
                });
            }
        }
        let identity = physical.iter().find(|(_, _, identity)| *identity).map(|(c, _, _)| c.clone());
        let mut columns: Vec<Column> = physical
            .into_iter()
            .filter(|(c, _, _)| !instants.contains(c))
            .map(|(name, form, _)| Column { name, form })
            .collect();
        for (table, column, _) in EPOCH_COLUMNS.iter().filter(|(t, _, _)| *t == name) {
            if !columns.iter().any(|c| c.name == *column) {
                columns.push(Column { name: column.to_string(), form: Form::Epoch });
            }
            debug_assert_eq!(*table, name);
        }
        let key: Vec<String> = sqlx::query_scalar(
            "SELECT a.attname::text FROM pg_index AS i
             JOIN pg_attribute AS a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
             WHERE i.indrelid = to_regclass(quote_ident($1)) AND i.indisprimary
             ORDER BY array_position(i.indkey::int2[], a.attnum)",
        )
        .bind(&name)
        .fetch_all(&mut *c)
        .await?;
        let references: BTreeSet<String> = sqlx::query_scalar(
            "SELECT DISTINCT c.relname::text FROM pg_constraint AS k JOIN pg_class AS c ON c.oid = k.confrelid
             WHERE k.conrelid = to_regclass(quote_ident($1)) AND k.contype = 'f'",
        )
        .bind(&name)
        .fetch_all(&mut *c)
        .await?
        .into_iter()
        .collect();
        // tgtype bits: 2 = BEFORE, 4 = INSERT, 8 = DELETE, 16 = UPDATE, 32 = TRUNCATE. Only triggers that fire
        // on inserts alone: every trigger refusing updates, deletes or truncation stays on.
        let insert_checks: Vec<String> = sqlx::query_scalar(
            "SELECT tgname::text FROM pg_trigger
             WHERE tgrelid = to_regclass(quote_ident($1)) AND NOT tgisinternal
               AND (tgtype & 2) = 2 AND (tgtype & 4) = 4 AND (tgtype & 56) = 0
             ORDER BY tgname",
        )
        .bind(&name)
        .fetch_all(&mut *c)
        .await?;
        schema.tables.insert(name.clone(), Table { name, columns, key, identity, references, insert_checks });
    }
    Ok(schema)
}

/// One table to copy: its columns on either side, aligned (`source.columns[i]` is `target.columns[i]`), and the
/// logical columns its rows are read in order of.
#[derive(Debug, Clone)]
pub(crate) struct Plan {
    /// The table as the source holds it.
    pub source: Table,
    /// The table as the target holds it.
    pub target: Table,
    /// Indexes of the columns rows are ordered by, on both sides.
    pub order: Vec<usize>,
}

impl Plan {
    /// The table's name.
    pub(crate) fn name(&self) -> &str {
        &self.source.name
    }
}

/// Pairs each table of `source` with the target's, in foreign-key order. A table whose logical columns differ
/// between the two is an error naming them, and so is a source table the target lacks — unless `records_to_come`
/// and it is a record table (`rec_*`), which the caller is about to create: it is left out of the plan.
pub(crate) fn plan(
    source: &Schema,
    source_sqlite: bool,
    target: &Schema,
    target_sqlite: bool,
    records_to_come: bool,
) -> Result<Vec<Plan>, CopyError> {
    let mut plans = Vec::new();
    for name in source.foreign_key_order() {
        if records_to_come && name.starts_with("rec_") && !target.tables.contains_key(&name) {
            continue;
        }
        let from = source.tables[&name].clone();
        let mut to = target.tables.get(&name).cloned().ok_or_else(|| CopyError::Schema {
            table: name.clone(),
            problem: "the target has no such table; are both databases at this binary's schema?".into(),
        })?;
        let names = |t: &Table| t.columns.iter().map(|c| c.name.clone()).collect::<BTreeSet<_>>();
        let (have, want) = (names(&from), names(&to));
        if have != want {
            let only = |a: &BTreeSet<String>, b: &BTreeSet<String>| a.difference(b).cloned().collect::<Vec<_>>();
            return Err(CopyError::Schema {
                table: name,
                problem: format!(
                    "columns differ: only in the source {:?}, only in the target {:?}",
                    only(&have, &want),
                    only(&want, &have)
                ),
            });
        }
        to.columns = from
            .columns
            .iter()
            .map(|c| to.columns.iter().find(|t| t.name == c.name).cloned().expect("the same names on both sides"))
            .collect();
        let sqlite_side = if source_sqlite {
            Some(&from)
        } else if target_sqlite {
            Some(&to)
        } else {
            None
        };
        let key = match sqlite_side {
            Some(t) if !t.key.is_empty() => t.key.clone(),
            Some(t) => t.columns.iter().filter(|c| c.form == Form::Rowid).map(|c| c.name.clone()).collect(),
            None => from.key.clone(),
        };
        let order: Vec<usize> = if key.is_empty() {
            (0..from.columns.len()).collect()
        } else {
            key.iter().filter_map(|k| from.columns.iter().position(|c| c.name == *k)).collect()
        };
        plans.push(Plan { source: from, target: to, order });
    }
    Ok(plans)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(name: &str, columns: &[(&str, Form)], key: &[&str], references: &[&str]) -> Table {
        Table {
            name: name.into(),
            columns: columns.iter().map(|(c, form)| Column { name: (*c).into(), form: *form }).collect(),
            key: key.iter().map(|k| (*k).into()).collect(),
            identity: None,
            references: references.iter().map(|r| (*r).into()).collect(),
            insert_checks: Vec::new(),
        }
    }

    fn schema(tables: Vec<Table>) -> Schema {
        Schema { tables: tables.into_iter().map(|t| (t.name.clone(), t)).collect() }
    }

    #[test]
    fn tables_come_after_the_tables_they_reference() {
        let s = schema(vec![
            table("ledger_postings", &[], &[], &["loan_events"]),
            table("loan_events", &[], &[], &["loans"]),
            table("loans", &[], &[], &[]),
            table("audit_log", &[], &[], &[]),
        ]);
        assert_eq!(s.foreign_key_order(), ["audit_log", "loans", "loan_events", "ledger_postings"]);
    }

    #[test]
    fn a_column_on_one_side_only_is_named_and_columns_align_by_name() {
        let sqlite = schema(vec![table(
            "decisions",
            &[("decision_id", Form::Text), ("decided_at", Form::Text), ("record_json", Form::Text)],
            &["decision_id"],
            &[],
        )]);
        let postgres = schema(vec![table(
            "decisions",
            &[("decided_at", Form::Instant), ("decision_id", Form::Text), ("record_json", Form::Text)],
            &["decision_id"],
            &[],
        )]);
        let plans = plan(&sqlite, true, &postgres, false, false).expect("the same columns");
        assert_eq!(plans[0].target.columns[1], Column { name: "decided_at".into(), form: Form::Instant });
        assert_eq!(plans[0].order, [0]);
        let mut wider = postgres.clone();
        let decisions = wider.tables.get_mut("decisions").expect("table");
        decisions.columns.push(Column { name: "record_compact".into(), form: Form::Bytes });
        let refused = plan(&sqlite, true, &wider, false, false).expect_err("a column the source lacks");
        assert!(refused.to_string().contains("only in the target [\"record_compact\"]"), "{refused}");
    }

    #[test]
    fn sqlite_rowid_stands_for_the_identity_of_status_changes_and_record_tables() {
        assert_eq!(rowid_column("status_changes"), Some("id"));
        assert_eq!(rowid_column("rec_households"), Some("_row"));
        assert_eq!(rowid_column("loans"), None);
    }
}
