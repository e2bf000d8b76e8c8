//! The officer app: cover between officers (a team leader lends a patch to someone for dates).

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
                    .table("covers")
                    .col(big_pk_auto("id"))
                    .col(big_integer("patch_id"))
                    // The officer covering the patch.
                    .col(big_integer("officer_id"))
                    .col(date("starts_on"))
                    .col(date("ends_on"))
                    .col(big_integer_null("set_by_staff_id"))
                    .col(created_at())
                    .foreign_key(&mut fk("covers", "patch_id", "patches", Cascade))
                    .foreign_key(&mut fk("covers", "officer_id", "staff_users", Cascade))
                    .foreign_key(&mut fk("covers", "set_by_staff_id", "staff_users", SetNull))
                    .take(),
            )
            .await?;
        manager
            .create_index(index("covers", &["officer_id", "starts_on"], false))
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("covers").if_exists().take())
            .await?;
        Ok(())
    }
}
