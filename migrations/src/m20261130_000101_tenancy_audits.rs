//! Tenancy audit visits (issue 7): a visit has a kind (`home_visit`, or `tenancy_audit`), and
//! the diary entry a visit writes keeps that purpose, so "the last completed audit" is one
//! indexed query over the diary whichever way the visit was recorded (a planned visit marked
//! done, or a visit recorded straight in the diary). A tenancy may also bring the date of its
//! last audit from the housing system (`last_audit_on`, imported), so going live does not make
//! every tenancy due at once.
//! One column per statement: SQLite alters a table one column at a time.

use crate::common::index;
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("visits")
                    // home_visit | tenancy_audit
                    .add_column(string("kind").default("home_visit"))
                    .take(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table("actions")
                    // Why a visit was made, when it matters to a rule: tenancy_audit.
                    .add_column(string_null("purpose"))
                    .take(),
            )
            .await?;
        manager
            .create_index(index("actions", &["purpose", "tenancy_id"], false))
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table("tenancies")
                    // The last audit the housing system knows of, when imported.
                    .add_column(date_null("last_audit_on"))
                    .take(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("tenancies")
                    .drop_column("last_audit_on")
                    .take(),
            )
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name("ix_actions_purpose_tenancy_id")
                    .table("actions")
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table("actions")
                    .drop_column("purpose")
                    .take(),
            )
            .await?;
        manager
            .alter_table(Table::alter().table("visits").drop_column("kind").take())
            .await
    }
}
