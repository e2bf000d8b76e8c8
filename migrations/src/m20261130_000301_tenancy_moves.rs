//! When an account moved from one patch to another (a manager's reassignment, or a
//! housing-system import), so the officer app's sync can tell the officer who lost it to drop
//! it and the one who gained it to take it in full. The account row itself only keeps where it
//! is now.

use crate::common::{fk, index};
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
                    .table("tenancy_moves")
                    .col(big_pk_auto("id"))
                    .col(big_integer("tenancy_id"))
                    .col(big_integer_null("from_patch_id"))
                    .col(big_integer_null("to_patch_id"))
                    .col(timestamp_with_time_zone("moved_at"))
                    .foreign_key(&mut fk("tenancy_moves", "tenancy_id", "tenancies", Cascade))
                    .foreign_key(&mut fk(
                        "tenancy_moves",
                        "from_patch_id",
                        "patches",
                        SetNull,
                    ))
                    .foreign_key(&mut fk("tenancy_moves", "to_patch_id", "patches", SetNull))
                    .take(),
            )
            .await?;
        manager
            .create_index(index("tenancy_moves", &["moved_at"], false))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("tenancy_moves").if_exists().take())
            .await
    }
}
