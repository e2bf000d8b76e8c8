//! Contact and action history can come from a landlord's old system (issue 16): an imported
//! diary entry keeps the source's reference (`external_ref`, unique: importing the same file
//! again changes nothing) and the import batch it came in. Entries written in Rentdesk have
//! neither. One column per statement: SQLite alters a table one column at a time.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [
            string_null("external_ref"),
            big_integer_null("import_batch_id"),
        ] {
            manager
                .alter_table(Table::alter().table("actions").add_column(column).take())
                .await?;
        }
        manager
            .create_index(
                Index::create()
                    .name("idx_actions_external_ref")
                    .table("actions")
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
                    .name("idx_actions_external_ref")
                    .table("actions")
                    .to_owned(),
            )
            .await?;
        for column in ["import_batch_id", "external_ref"] {
            manager
                .alter_table(Table::alter().table("actions").drop_column(column).take())
                .await?;
        }
        Ok(())
    }
}
