//! Small builders every migration uses, so the naming of keys and indexes stays uniform.

use sea_orm_migration::{prelude::*, schema::*};

pub fn created_at() -> ColumnDef {
    timestamp_with_time_zone("created_at")
        .default(Expr::current_timestamp())
        .take()
}

pub fn fk(
    table: &str,
    column: &str,
    to: &str,
    on_delete: ForeignKeyAction,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(format!("fk_{table}_{column}"))
        .from(table.to_owned(), column.to_owned())
        .to(to.to_owned(), "id")
        .on_delete(on_delete)
        .take()
}

pub fn index(table: &str, columns: &[&str], unique: bool) -> IndexCreateStatement {
    let mut stmt = Index::create();
    stmt.name(format!("ix_{table}_{}", columns.join("_")))
        .table(table.to_owned());
    for column in columns {
        stmt.col(String::from(*column));
    }
    if unique {
        stmt.unique();
    }
    stmt.take()
}

/// Make `table` append-only: the database itself refuses UPDATE and DELETE (and TRUNCATE on
/// PostgreSQL) with an error naming the table. The one place the schema needs backend-specific
/// SQL: neither backend has a portable way to refuse them. Trigger and function names are
/// `{table}_no_update`/`_no_delete` (SQLite) and `{table}_append_only()`,
/// `{table}_no_change`/`_no_truncate` (PostgreSQL).
pub async fn append_only(manager: &SchemaManager<'_>, table: &str) -> Result<(), DbErr> {
    let sqlite = [
        format!(
            "CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} \
             BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"
        ),
        format!(
            "CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} \
             BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"
        ),
    ];
    let postgres = [
        format!(
            "CREATE OR REPLACE FUNCTION {table}_append_only() RETURNS trigger LANGUAGE plpgsql \
             AS $$ BEGIN RAISE EXCEPTION '{table} is append-only'; END; $$"
        ),
        format!(
            "CREATE TRIGGER {table}_no_change BEFORE UPDATE OR DELETE ON {table} \
             FOR EACH ROW EXECUTE FUNCTION {table}_append_only()"
        ),
        format!(
            "CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} \
             FOR EACH STATEMENT EXECUTE FUNCTION {table}_append_only()"
        ),
    ];
    per_backend(manager, table, &sqlite, &postgres).await
}

/// Undo [`append_only`].
pub async fn drop_append_only(manager: &SchemaManager<'_>, table: &str) -> Result<(), DbErr> {
    let sqlite = [
        format!("DROP TRIGGER IF EXISTS {table}_no_delete"),
        format!("DROP TRIGGER IF EXISTS {table}_no_update"),
    ];
    let postgres = [
        format!("DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}"),
        format!("DROP TRIGGER IF EXISTS {table}_no_change ON {table}"),
        format!("DROP FUNCTION IF EXISTS {table}_append_only()"),
    ];
    per_backend(manager, table, &sqlite, &postgres).await
}

async fn per_backend(
    manager: &SchemaManager<'_>,
    table: &str,
    sqlite: &[String],
    postgres: &[String],
) -> Result<(), DbErr> {
    use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseBackend};
    let statements = match manager.get_database_backend() {
        DatabaseBackend::Sqlite => sqlite,
        DatabaseBackend::Postgres => postgres,
        other => {
            return Err(DbErr::Migration(format!(
                "append-only {table}: unsupported backend {other:?}"
            )));
        }
    };
    for sql in statements {
        manager.get_connection().execute_unprepared(sql).await?;
    }
    Ok(())
}
