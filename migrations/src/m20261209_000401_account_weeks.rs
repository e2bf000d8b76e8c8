//! Issue 22 (reports at scale): each account's figures at the end of a rent week (or another
//! day a report needs), so the performance report sums stored rows instead of re-running the
//! arrears rules over every ledger for every week. A cache: `store::snapshots` fills it lazily,
//! keyed by the account's facts (`facts_hash`), and an import of back-dated transactions deletes
//! the rows from the earliest posted date on. Dropping it loses nothing.

use crate::common::fk;
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use ForeignKeyAction::Cascade;
        manager
            .create_table(
                Table::create()
                    .table("account_weeks")
                    .col(big_integer("tenancy_id"))
                    .col(date("on_date"))
                    .col(big_integer("facts_hash"))
                    .col(big_integer("balance_pence"))
                    .col(big_integer("rent_due_to_date_pence"))
                    .col(big_integer("collected_to_date_pence"))
                    .col(big_integer("written_off_to_date_pence"))
                    .col(big_integer("arrears_pence"))
                    .col(big_integer("real_arrears_pence"))
                    .col(big_integer("technical_arrears_pence"))
                    .col(big_integer_null("weeks_in_arrears_hundredths"))
                    .col(big_integer("annual_rent_debit_pence"))
                    .col(boolean("in_range"))
                    .primary_key(Index::create().col("tenancy_id").col("on_date"))
                    .foreign_key(&mut fk("account_weeks", "tenancy_id", "tenancies", Cascade))
                    .take(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("account_weeks").if_exists().take())
            .await
    }
}
