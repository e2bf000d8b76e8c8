//! Arrangements can come from a landlord's old system (issue 16): an imported arrangement keeps
//! the source's reference (`external_ref`, unique: importing the same file again changes
//! nothing), the import batch it came in, the day it was agreed (`agreed_on`; a plan made in
//! Rentdesk was agreed when it was created) and who agreed it as the file names them
//! (`agreed_by`; resolved to `created_by_staff_id` when that is a member of staff's email).
//! Arrangements made in Rentdesk have none of these.
//! One column per statement: SQLite alters a table one column at a time.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [
            string_null("external_ref"),
            big_integer_null("import_batch_id"),
            date_null("agreed_on"),
            string_null("agreed_by"),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table("arrangements")
                        .add_column(column)
                        .take(),
                )
                .await?;
        }
        manager
            .create_index(
                Index::create()
                    .name("idx_arrangements_external_ref")
                    .table("arrangements")
                    .col("external_ref")
                    .unique()
                    .take(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("idx_arrangements_external_ref")
                    .table("arrangements")
                    .to_owned(),
            )
            .await?;
        for column in ["agreed_by", "agreed_on", "import_batch_id", "external_ref"] {
            manager
                .alter_table(
                    Table::alter()
                        .table("arrangements")
                        .drop_column(column)
                        .take(),
                )
                .await?;
        }
        Ok(())
    }
}
