//! Early-intervention sequences as data (issue 4): every saved version of the council's
//! outreach configuration (the newest is in force; older ones say who changed what, when), the
//! subject stored with each message, since the council may word its own, and the end of a
//! Housing Benefit claim as the HB team reports it (the "HB stopped" rule, and nothing more
//! expected after it).

use crate::common::{created_at, fk};
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("outreach_configs")
                    .col(big_pk_auto("id"))
                    // `domain::sequences::OutreachConfig` as JSON, validated before it is saved.
                    .col(text("document"))
                    .col(big_integer_null("saved_by_staff_id"))
                    .col(created_at())
                    .foreign_key(&mut fk(
                        "outreach_configs",
                        "saved_by_staff_id",
                        "staff_users",
                        ForeignKeyAction::SetNull,
                    ))
                    .take(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table("messages")
                    .add_column(string_null("subject"))
                    .take(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table("tenancies")
                    .add_column(date_null("hb_end_date"))
                    .take(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("tenancies")
                    .drop_column("hb_end_date")
                    .take(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table("messages")
                    .drop_column("subject")
                    .take(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table("outreach_configs").if_exists().take())
            .await
    }
}
