//! Data protection: subject-access exports produced by the worker, the mark retention leaves on
//! an anonymised tenancy, and database triggers that make the audit log append-only.
//!
//! The triggers are the one place this schema needs backend-specific SQL: neither backend has
//! a portable way to refuse UPDATE and DELETE on a table. Both raise an error naming the table,
//! so an attempt fails loudly instead of silently changing history. Retention never needs to
//! touch audit rows (it adds new ones).

use crate::common::{created_at, fk, index};
use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseBackend};
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

const SQLITE_UP: &[&str] = &[
    "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log \
     BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
    "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log \
     BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
];
const SQLITE_DOWN: &[&str] = &[
    "DROP TRIGGER IF EXISTS audit_log_no_delete",
    "DROP TRIGGER IF EXISTS audit_log_no_update",
];
const POSTGRES_UP: &[&str] = &[
    "CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ \
     BEGIN RAISE EXCEPTION 'audit_log is append-only'; END; $$",
    "CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log \
     FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()",
    "CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log \
     FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()",
];
const POSTGRES_DOWN: &[&str] = &[
    "DROP TRIGGER IF EXISTS audit_log_no_truncate ON audit_log",
    "DROP TRIGGER IF EXISTS audit_log_no_change ON audit_log",
    "DROP FUNCTION IF EXISTS audit_log_append_only()",
];

async fn run(manager: &SchemaManager<'_>, sqlite: &[&str], postgres: &[&str]) -> Result<(), DbErr> {
    let statements = match manager.get_database_backend() {
        DatabaseBackend::Sqlite => sqlite,
        DatabaseBackend::Postgres => postgres,
        other => {
            return Err(DbErr::Migration(format!(
                "append-only audit log: unsupported backend {other:?}"
            )));
        }
    };
    for sql in statements {
        manager.get_connection().execute_unprepared(sql).await?;
    }
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use ForeignKeyAction::{Cascade, SetNull};
        manager
            .create_table(
                Table::create()
                    .table("exports")
                    .col(big_pk_auto("id"))
                    // subject_access
                    .col(string("kind"))
                    .col(big_integer("tenancy_id"))
                    .col(big_integer_null("requested_by"))
                    // queued | running | done | failed
                    .col(string("status"))
                    // The export as one JSON document, once done.
                    .col(text_null("json"))
                    // Its PDF rendering.
                    .col(blob_null("pdf"))
                    .col(text_null("error"))
                    .col(created_at())
                    .col(timestamp_with_time_zone_null("finished_at"))
                    .foreign_key(&mut fk("exports", "tenancy_id", "tenancies", Cascade))
                    .foreign_key(&mut fk("exports", "requested_by", "staff_users", SetNull))
                    .take(),
            )
            .await?;
        manager
            .create_index(index("exports", &["tenancy_id"], false))
            .await?;
        // Set once retention has removed the personal data; the row itself stays for reports.
        manager
            .alter_table(
                Table::alter()
                    .table("tenancies")
                    .add_column(timestamp_with_time_zone_null("anonymised_at"))
                    .take(),
            )
            .await?;
        // The audit query filters by actor and pages newest first.
        manager
            .create_index(index("audit_log", &["actor_kind", "actor_id"], false))
            .await?;
        run(manager, SQLITE_UP, POSTGRES_UP).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run(manager, SQLITE_DOWN, POSTGRES_DOWN).await?;
        manager
            .drop_index(
                Index::drop()
                    .name("ix_audit_log_actor_kind_actor_id")
                    .table("audit_log")
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table("tenancies")
                    .drop_column("anonymised_at")
                    .take(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table("exports").if_exists().take())
            .await
    }
}
