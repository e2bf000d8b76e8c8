//! Data protection: subject-access exports produced by the worker, the mark retention leaves on
//! an anonymised tenancy, and database triggers that make the audit log append-only.
//!
//! The triggers are the one place this schema needs backend-specific SQL: neither backend has
//! a portable way to refuse UPDATE and DELETE on a table. Both raise an error naming the table,
//! so an attempt fails loudly instead of silently changing history. Retention never needs to
//! touch audit rows (it adds new ones).

use crate::common::{append_only, created_at, drop_append_only, fk, index};
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
                    .table("exports")
                    .col(big_pk_auto("id"))
                    // subject_access
                    .col(string("kind"))
                    .col(big_integer("tenancy_id"))
                    .col(big_integer_null("requested_by"))
                    // queued | running | done | failed
                    .col(string("status"))
                    // The export as one JSON document, once done.
                    .col(text_null("json"))
                    // Its PDF rendering.
                    .col(blob_null("pdf"))
                    .col(text_null("error"))
                    .col(created_at())
                    .col(timestamp_with_time_zone_null("finished_at"))
                    .foreign_key(&mut fk("exports", "tenancy_id", "tenancies", Cascade))
                    .foreign_key(&mut fk("exports", "requested_by", "staff_users", SetNull))
                    .take(),
            )
            .await?;
        manager
            .create_index(index("exports", &["tenancy_id"], false))
            .await?;
        // Set once retention has removed the personal data; the row itself stays for reports.
        manager
            .alter_table(
                Table::alter()
                    .table("tenancies")
                    .add_column(timestamp_with_time_zone_null("anonymised_at"))
                    .take(),
            )
            .await?;
        // The audit query filters by actor and pages newest first.
        manager
            .create_index(index("audit_log", &["actor_kind", "actor_id"], false))
            .await?;
        append_only(manager, "audit_log").await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_append_only(manager, "audit_log").await?;
        manager
            .drop_index(
                Index::drop()
                    .name("ix_audit_log_actor_kind_actor_id")
                    .table("audit_log")
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table("tenancies")
                    .drop_column("anonymised_at")
                    .take(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table("exports").if_exists().take())
            .await
    }
}
