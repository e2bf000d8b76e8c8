//! Universal Credit claims can come from a landlord's old system and DWP's landlord portal
//! (issue 16): an imported claim keeps the source's reference (`external_ref`, unique: importing
//! the same file again changes nothing) and the import batch it came in, with what a landlord
//! holds about it beyond the tenant app's report: the managed payment's (APA) dates, the day the
//! landlord learned of the claim and the last day of the Housing Benefit run-on. Claims reported
//! in Rentdesk have none of these.
//! One column per statement: SQLite alters a table one column at a time.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

const COLUMNS: [&str; 6] = [
    "external_ref",
    "import_batch_id",
    "apa_from",
    "apa_to",
    "learned_on",
    "hb_run_on_until",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [
            string_null("external_ref"),
            big_integer_null("import_batch_id"),
            date_null("apa_from"),
            date_null("apa_to"),
            date_null("learned_on"),
            date_null("hb_run_on_until"),
        ] {
            manager
                .alter_table(Table::alter().table("uc_claims").add_column(column).take())
                .await?;
        }
        manager
            .create_index(
                Index::create()
                    .name("idx_uc_claims_external_ref")
                    .table("uc_claims")
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
                    .name("idx_uc_claims_external_ref")
                    .table("uc_claims")
                    .to_owned(),
            )
            .await?;
        for column in COLUMNS.iter().rev() {
            manager
                .alter_table(
                    Table::alter()
                        .table("uc_claims")
                        .drop_column(Alias::new(*column))
                        .take(),
                )
                .await?;
        }
        Ok(())
    }
}
