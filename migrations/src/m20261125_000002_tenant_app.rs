//! What the tenant app and the outreach channels need beyond the foundation: push devices,
//! sign-in codes and refresh-token sessions, the officer task list that tenant actions and
//! outreach rules feed, retry bookkeeping on messages and self-service plan details.

use crate::common::{created_at, fk, index};
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

const TABLES: &[&str] = &[
    "devices",
    "sign_in_codes",
    "sign_in_starts",
    "sessions",
    "tasks",
];

/// Columns added to foundation tables: (table, column definition builder).
fn added_columns() -> Vec<(&'static str, ColumnDef)> {
    vec![
        // Send attempts so far; the dispatcher backs off exponentially on it.
        ("messages", integer("attempts").default(0).take()),
        // Standard Financial Statement the tenant gave with a self-service plan (JSON).
        ("arrangements", text_null("income_expenditure")),
        // Why a proposed plan needs an officer's review (outside policy), if it does.
        ("arrangements", text_null("review_reason")),
        ("arrangements", text_null("cancel_reason")),
        (
            "arrangements",
            timestamp_with_time_zone_null("cancelled_at"),
        ),
    ]
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use ForeignKeyAction::{Cascade, SetNull};

        manager
            .create_table(
                Table::create()
                    .table("devices")
                    .col(big_pk_auto("id"))
                    .col(big_integer("tenant_id"))
                    // android | ios | web
                    .col(string("platform"))
                    // The FCM registration token; one device row per token.
                    .col(string_uniq("token"))
                    .col(created_at())
                    .col(
                        timestamp_with_time_zone("last_seen_at").default(Expr::current_timestamp()),
                    )
                    .foreign_key(&mut fk("devices", "tenant_id", "tenants", Cascade))
                    .take(),
            )
            .await?;
        manager
            .create_index(index("devices", &["tenant_id"], false))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("sign_in_codes")
                    .col(big_pk_auto("id"))
                    .col(big_integer("tenant_id"))
                    // Opaque id the app holds between "start" and "verify".
                    .col(string_uniq("challenge"))
                    // HMAC-SHA256 of the code under the server's key; the code itself is never stored.
                    .col(string("code_hash"))
                    .col(timestamp_with_time_zone("expires_at"))
                    .col(integer("attempts").default(0))
                    .col(timestamp_with_time_zone_null("consumed_at"))
                    .col(string_null("client_addr"))
                    .col(created_at())
                    .foreign_key(&mut fk("sign_in_codes", "tenant_id", "tenants", Cascade))
                    .take(),
            )
            .await?;
        manager
            .create_index(index("sign_in_codes", &["tenant_id", "created_at"], false))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("sign_in_starts")
                    .col(big_pk_auto("id"))
                    // Normalised tenancy reference as typed (matched or not), for rate limits.
                    .col(string("reference"))
                    .col(string_null("client_addr"))
                    .col(timestamp_with_time_zone("at").default(Expr::current_timestamp()))
                    .take(),
            )
            .await?;
        manager
            .create_index(index("sign_in_starts", &["reference", "at"], false))
            .await?;
        manager
            .create_index(index("sign_in_starts", &["client_addr", "at"], false))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("sessions")
                    .col(big_pk_auto("id"))
                    // tenant | staff
                    .col(string("subject_kind"))
                    .col(big_integer("subject_id"))
                    // Every refresh token issued from one sign-in shares a family; replaying a
                    // rotated token revokes the whole family.
                    .col(string("family"))
                    // SHA-256 of the refresh token.
                    .col(string_uniq("token_hash"))
                    .col(timestamp_with_time_zone("expires_at"))
                    .col(timestamp_with_time_zone_null("rotated_at"))
                    .col(timestamp_with_time_zone_null("revoked_at"))
                    .col(string_null("client_addr"))
                    .col(created_at())
                    .take(),
            )
            .await?;
        manager
            .create_index(index("sessions", &["family"], false))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("tasks")
                    .col(big_pk_auto("id"))
                    .col(big_integer("tenancy_id"))
                    // review_plan | reply | change_of_circumstances | uc_claim | broken_arrangement | …
                    .col(string("kind"))
                    .col(string("title"))
                    .col(text("detail").default(""))
                    .col(date("due_on"))
                    // open | done | cancelled
                    .col(string("status").default("open"))
                    .col(big_integer_null("assigned_staff_id"))
                    .col(big_integer_null("action_id"))
                    .col(string_null("rule_id"))
                    // Set when software creates the task, so a rerun never duplicates it.
                    .col(string_null("idempotency_key"))
                    .col(created_at())
                    .col(timestamp_with_time_zone_null("completed_at"))
                    .foreign_key(&mut fk("tasks", "tenancy_id", "tenancies", Cascade))
                    .foreign_key(&mut fk(
                        "tasks",
                        "assigned_staff_id",
                        "staff_users",
                        SetNull,
                    ))
                    .foreign_key(&mut fk("tasks", "action_id", "actions", SetNull))
                    .take(),
            )
            .await?;
        manager
            .create_index(index("tasks", &["idempotency_key"], true))
            .await?;
        manager
            .create_index(index("tasks", &["tenancy_id", "status"], false))
            .await?;

        // SQLite takes one column per ALTER TABLE.
        for (table, mut column) in added_columns() {
            manager
                .alter_table(
                    Table::alter()
                        .table(table.to_owned())
                        .add_column(&mut column)
                        .take(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (table, column) in added_columns().into_iter().rev() {
            manager
                .alter_table(
                    Table::alter()
                        .table(table.to_owned())
                        .drop_column(column.get_column_name())
                        .take(),
                )
                .await?;
        }
        for table in TABLES.iter().rev() {
            manager
                .drop_table(Table::drop().table(String::from(*table)).if_exists().take())
                .await?;
        }
        Ok(())
    }
}
