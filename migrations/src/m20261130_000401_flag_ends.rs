//! A flag can be ended (a mental health crisis Breathing Space has no end date when it is set)
//! or withdrawn as entered in error, never deleted: why it stopped counting, the officer's
//! note, who recorded it and when (so the officer app's sync brings the change).
//! One column per statement: SQLite alters a table one column at a time.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

const COLUMNS: [&str; 4] = ["end_reason", "end_note", "ended_by_staff_id", "ended_at"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [
            // ended | cancelled | entered_in_error
            string_null("end_reason"),
            text_null("end_note"),
            big_integer_null("ended_by_staff_id"),
            timestamp_with_time_zone_null("ended_at"),
        ] {
            manager
                .alter_table(Table::alter().table("flags").add_column(column).take())
                .await?;
        }
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
