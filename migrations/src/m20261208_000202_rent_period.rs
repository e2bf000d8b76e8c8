//! How often a tenancy's rent is payable (issue 20): weekly, fortnightly, four-weekly or
//! monthly. The notice dates (a NOSP's date on a rent-period boundary) and the ground 8
//! threshold (8 weeks' rent, or 2 months' for monthly rent) turn on it. Every tenancy held
//! before was weekly.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("tenancies")
                    .add_column(string("rent_period").default("weekly"))
                    .take(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("tenancies")
                    .drop_column(Alias::new("rent_period"))
                    .take(),
            )
            .await
    }
}
