//! Home visits an officer plans (issue 7): one row per visit, optionally with an appointment
//! window agreed with the tenant. The day's route is computed from these rows on request, so
//! adding or cancelling a visit re-plans.

use crate::common::{created_at, fk, index};
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
                    .table("visits")
                    .col(big_pk_auto("id"))
                    .col(big_integer("tenancy_id"))
                    // The officer whose route it is on.
                    .col(big_integer("officer_id"))
                    // The London calendar date of the visit.
                    .col(date("visit_date"))
                    // London wall-clock "HH:MM"; both set or both null.
                    .col(string_len_null("window_start", 5))
                    .col(string_len_null("window_end", 5))
                    .col(integer("duration_minutes"))
                    .col(text("purpose").default(""))
                    // planned | cancelled | done
                    .col(string("status").default("planned"))
                    // The phone's own id: an offline-queued visit is stored once.
                    .col(string_uniq("client_id"))
                    // The diary entry written when the visit was done.
                    .col(big_integer_null("action_id"))
                    .col(created_at())
                    .col(timestamp_with_time_zone("updated_at").default(Expr::current_timestamp()))
                    .foreign_key(&mut fk("visits", "tenancy_id", "tenancies", Cascade))
                    .foreign_key(&mut fk("visits", "officer_id", "staff_users", Cascade))
                    .take(),
            )
            .await?;
        manager
            .create_index(index("visits", &["officer_id", "visit_date"], false))
            .await?;
        manager
            .create_index(index("visits", &["tenancy_id", "updated_at"], false))
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("visits").if_exists().take())
            .await?;
        Ok(())
    }
}
