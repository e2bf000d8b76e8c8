//! Targeted campaigns (issue 6): the campaign as a team leader defines it (segment, channels,
//! templates with variants, schedule, throttle, end date, control group) and one row per
//! recipient recording their variant, whether they were held back, and why not if not sent.

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
                    .table("campaigns")
                    .col(big_pk_auto("id"))
                    .col(string("name"))
                    // The creator's team: who else may see and run it.
                    .col(string_null("team"))
                    .col(big_integer_null("created_by"))
                    // JSON: the segment's criteria (domain::segments::Segment).
                    .col(text("segment"))
                    // JSON: channels in order of preference.
                    .col(text("channels"))
                    // JSON: {"sms": ["variant A", "variant B"], "email": [...], ...}
                    .col(text("templates"))
                    .col(timestamp_with_time_zone_null("schedule_at"))
                    .col(integer_null("throttle_per_minute"))
                    .col(date_null("ends_on"))
                    // The first instant after `ends_on` (Europe/London): nothing is sent then.
                    .col(timestamp_with_time_zone_null("ends_at"))
                    .col(integer("control_percent").default(0))
                    // draft | scheduled | running | paused | cancelled | finished
                    .col(string("status"))
                    .col(timestamp_with_time_zone_null("launched_at"))
                    // When the fan-out last finished planning every recipient.
                    .col(timestamp_with_time_zone_null("planned_at"))
                    .col(created_at())
                    .col(timestamp_with_time_zone("updated_at").default(Expr::current_timestamp()))
                    .foreign_key(&mut fk("campaigns", "created_by", "staff_users", SetNull))
                    .take(),
            )
            .await?;
        manager
            .create_index(index("campaigns", &["team", "created_at"], false))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("campaign_recipients")
                    .col(big_pk_auto("id"))
                    .col(big_integer("campaign_id"))
                    .col(big_integer("tenancy_id"))
                    .col(integer("variant").default(0))
                    .col(boolean("control").default(false))
                    .col(string_null("channel"))
                    .col(string_null("suppressed_reason"))
                    .col(created_at())
                    .foreign_key(&mut fk(
                        "campaign_recipients",
                        "campaign_id",
                        "campaigns",
                        Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "campaign_recipients",
                        "tenancy_id",
                        "tenancies",
                        Cascade,
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_index(index(
                "campaign_recipients",
                &["campaign_id", "tenancy_id"],
                true,
            ))
            .await?;
        manager
            .create_index(index("messages", &["campaign_id", "status"], false))
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("ix_messages_campaign_id_status")
                    .table("messages")
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(
                Table::drop()
                    .table("campaign_recipients")
                    .if_exists()
                    .take(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table("campaigns").if_exists().take())
            .await?;
        Ok(())
    }
}
