//! Pending work is read from the database, not trusted to the queue (issue 21): a campaign
//! launched but not planned, an import batch or a subject-access export still queued. The
//! queue only wakes workers; when it loses a job (Redis restarted without persistence, a
//! failover, an eviction), the worker's sweep finds the row still pending and queues it again.
//! `queued_at` is when its job was last queued by the sweep (null: only when it was created or
//! launched), so a row is queued again at most once per sweep interval.
//! One column per statement: SQLite alters a table one column at a time.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

const TABLES: [&str; 3] = ["campaigns", "import_batches", "exports"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in TABLES {
            manager
                .alter_table(
                    Table::alter()
                        .table(table)
                        .add_column(timestamp_with_time_zone_null("queued_at"))
                        .take(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in TABLES {
            manager
                .alter_table(Table::alter().table(table).drop_column("queued_at").take())
                .await?;
        }
        Ok(())
    }
}
