//! Dispatch claims due messages by (status, channel, scheduled_for) every few seconds; without
//! an index that is a scan of the whole outbox, which grows forever (100k queued SMS: the
//! claim query dominated the dispatch benchmark).

use crate::common::index;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const COLUMNS: &[&str] = &["status", "channel", "scheduled_for"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(index("messages", COLUMNS, false))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name(format!("ix_messages_{}", COLUMNS.join("_")))
                    .table("messages")
                    .to_owned(),
            )
            .await
    }
}
