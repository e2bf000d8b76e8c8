//! The rent by effective date (issue 16): a tenancy's rent and service charge change every
//! April (and service charges at other times), and every figure about a past day must use the
//! rent in force that day. One row per tenancy and effective date (unique: re-importing the
//! housing system's rent history changes nothing), with the period the amounts are for.
//! The tenancy row's `weekly_rent_pence` and `weekly_service_charge_pence` stay as today's rent.

use crate::common::{created_at, fk, index};
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use ForeignKeyAction::{Cascade, SetNull};
        manager
            .create_table(
                Table::create()
                    .table("rent_changes")
                    .col(big_pk_auto("id"))
                    .col(big_integer("tenancy_id"))
                    .col(date("effective_from"))
                    .col(string("rent_period").default("weekly"))
                    .col(big_integer("rent_pence"))
                    .col(big_integer("service_charge_pence").default(0))
                    .col(big_integer_null("import_batch_id"))
                    .col(created_at())
                    .foreign_key(&mut fk("rent_changes", "tenancy_id", "tenancies", Cascade))
                    .foreign_key(&mut fk(
                        "rent_changes",
                        "import_batch_id",
                        "import_batches",
                        SetNull,
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_index(index(
                "rent_changes",
                &["tenancy_id", "effective_from"],
                true,
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("rent_changes").if_exists().take())
            .await
    }
}
