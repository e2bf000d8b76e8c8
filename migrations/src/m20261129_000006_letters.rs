//! Stage letters (issue 7): each letter as the PDF that was sent, with the diary entry of the
//! step it went with.

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
                    .table("letters")
                    .col(big_pk_auto("id"))
                    .col(big_integer("tenancy_id"))
                    // The escalation stage it went with (first_letter, notice_served, …).
                    .col(string("stage"))
                    .col(string("title"))
                    .col(blob("pdf"))
                    .col(big_integer_null("action_id"))
                    .col(big_integer_null("created_by_staff_id"))
                    .col(created_at())
                    .foreign_key(&mut fk("letters", "tenancy_id", "tenancies", Cascade))
                    .foreign_key(&mut fk("letters", "action_id", "actions", SetNull))
                    .foreign_key(&mut fk(
                        "letters",
                        "created_by_staff_id",
                        "staff_users",
                        SetNull,
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_index(index("letters", &["tenancy_id"], false))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("letters").if_exists().take())
            .await
    }
}
