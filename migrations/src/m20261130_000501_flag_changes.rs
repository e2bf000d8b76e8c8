//! Flags change after they are set (an end moved, a detail redacted by retention), so each
//! keeps when it last changed (`updated_at`: the officer app's sync brings a flag changed since
//! its cursor; backfilled from the end or the creation). A Breathing Space also keeps the day
//! the landlord was notified (`notified_on`: the 20-day review deadline runs from it; `NULL`:
//! the day it was recorded) and, for a mental health crisis one, the day the crisis treatment
//! ended (`treatment_ended_on`: its last day is 30 days later).
//! One column per statement: SQLite alters a table one column at a time.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

const COLUMNS: [&str; 3] = ["updated_at", "notified_on", "treatment_ended_on"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [
            timestamp_with_time_zone_null("updated_at"),
            date_null("notified_on"),
            date_null("treatment_ended_on"),
        ] {
            manager
                .alter_table(Table::alter().table("flags").add_column(column).take())
                .await?;
        }
        // Portable SQL: the last change known so far is the end (or withdrawal), else the
        // creation.
        manager
            .get_connection()
            .execute_unprepared("UPDATE flags SET updated_at = COALESCE(ended_at, created_at)")
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in COLUMNS.iter().rev() {
            manager
                .alter_table(Table::alter().table("flags").drop_column(*column).take())
                .await?;
        }
        Ok(())
    }
}
