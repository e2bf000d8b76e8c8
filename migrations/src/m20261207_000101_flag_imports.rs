//! Flags can come from a landlord's old system (issue 16): an imported flag keeps the source's
//! reference (`external_ref`, unique: importing the same file again changes nothing) and the
//! import batch it came in. Flags set in Rentdesk have neither.
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
        ] {
            manager
                .alter_table(Table::alter().table("flags").add_column(column).take())
                .await?;
        }
        manager
            .create_index(
                Index::create()
                    .name("idx_flags_external_ref")
                    .table("flags")
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
                    .name("idx_flags_external_ref")
                    .table("flags")
                    .to_owned(),
            )
            .await?;
        for column in ["import_batch_id", "external_ref"] {
            manager
                .alter_table(Table::alter().table("flags").drop_column(column).take())
                .await?;
        }
        Ok(())
    }
}
