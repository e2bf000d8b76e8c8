//! The audit log's tamper-evidence (issue 19): `audit_seals` chains the audit entries, one seal
//! per entry, each seal's `hash` covering the previous seal's hash and its entry's content. A
//! worker seals new entries every tick (`store::audit_chain::seal`); `rentdesk audit verify`
//! walks the chain and names the first entry that was edited, removed or sealed out of order.
//!
//! Seals are a table of their own rather than columns on `audit_log`: the log stays exactly
//! as written (its append-only triggers are untouched), and sealing after the commit means no
//! transaction that writes an audit entry ever waits for another one's (a chain written at
//! insert would serialise every audited transaction, an import's minutes included).
//! `seq` is the chain position, assigned by the sealer (1, 2, 3, … without gaps), and its
//! primary key is what keeps two sealers from forking the chain: the second one's insert fails.
//! Seals are append-only too, by the same kind of triggers as the log.

use sea_orm_migration::{prelude::*, schema::*, sea_orm::DatabaseBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

const SQLITE_UP: &[&str] = &[
    "CREATE TRIGGER audit_seals_no_update BEFORE UPDATE ON audit_seals \
     BEGIN SELECT RAISE(ABORT, 'audit_seals is append-only'); END",
    "CREATE TRIGGER audit_seals_no_delete BEFORE DELETE ON audit_seals \
     BEGIN SELECT RAISE(ABORT, 'audit_seals is append-only'); END",
];
const SQLITE_DOWN: &[&str] = &[
    "DROP TRIGGER IF EXISTS audit_seals_no_delete",
    "DROP TRIGGER IF EXISTS audit_seals_no_update",
];
const POSTGRES_UP: &[&str] = &[
    "CREATE OR REPLACE FUNCTION audit_seals_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ \
     BEGIN RAISE EXCEPTION 'audit_seals is append-only'; END; $$",
    "CREATE TRIGGER audit_seals_no_change BEFORE UPDATE OR DELETE ON audit_seals \
     FOR EACH ROW EXECUTE FUNCTION audit_seals_append_only()",
    "CREATE TRIGGER audit_seals_no_truncate BEFORE TRUNCATE ON audit_seals \
     FOR EACH STATEMENT EXECUTE FUNCTION audit_seals_append_only()",
];
const POSTGRES_DOWN: &[&str] = &[
    "DROP TRIGGER IF EXISTS audit_seals_no_truncate ON audit_seals",
    "DROP TRIGGER IF EXISTS audit_seals_no_change ON audit_seals",
    "DROP FUNCTION IF EXISTS audit_seals_append_only()",
];

async fn run(manager: &SchemaManager<'_>, sqlite: &[&str], postgres: &[&str]) -> Result<(), DbErr> {
    let statements = match manager.get_database_backend() {
        DatabaseBackend::Sqlite => sqlite,
        DatabaseBackend::Postgres => postgres,
        other => {
            return Err(DbErr::Migration(format!(
                "audit seals: unsupported backend {other:?}"
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
        manager
            .create_table(
                Table::create()
                    .table("audit_seals")
                    .col(big_integer("seq").primary_key())
                    .col(big_integer_uniq("entry_id"))
                    .col(string("prev_hash"))
                    .col(string("hash"))
                    .col(timestamp_with_time_zone("sealed_at"))
                    .take(),
            )
            .await?;
        run(manager, SQLITE_UP, POSTGRES_UP).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run(manager, SQLITE_DOWN, POSTGRES_DOWN).await?;
        manager
            .drop_table(Table::drop().table("audit_seals").take())
            .await
    }
}
