//! When a task last changed (completed, given to someone else), so an edit made offline
//! against an older copy is answered with both versions instead of overwriting the newer one.
//! Nullable: SQLite cannot add a column with a non-constant default; `NULL` reads as
//! `created_at`.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("tasks")
                    .add_column(timestamp_with_time_zone_null("updated_at"))
                    .take(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("tasks")
                    .drop_column("updated_at")
                    .take(),
            )
            .await
    }
}
