//! The foundation schema: accounts, people, the append-only ledger and everything the
//! income-recovery process records about an account.
//!
//! Money columns are signed integer pence (`*_pence`, BIGINT). Dates that are rent-calendar
//! facts (posted, due, start) are DATE; instants are timestamps with time zone stored in UTC.
//! Enumerations are short strings whose values are owned by `rentdesk-domain` (`as_str()`), so
//! later issues can add values without a migration on either backend.

use crate::common::{created_at, fk, index};
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Tables in creation order; dropped in reverse.
const TABLES: &[&str] = &[
    "staff_users",
    "patches",
    "tenancies",
    "tenants",
    "import_batches",
    "transactions",
    "account_summaries",
    "arrangements",
    "cases",
    "actions",
    "flags",
    "uc_claims",
    "messages",
    "audit_log",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use ForeignKeyAction::{Cascade, Restrict, SetNull};

        manager
            .create_table(
                Table::create()
                    .table("staff_users")
                    .col(big_pk_auto("id"))
                    .col(string_uniq("email"))
                    .col(string("name"))
                    // officer | team_leader | admin
                    .col(string("role"))
                    .col(string_null("team"))
                    .col(string_null("password_hash"))
                    .col(boolean("active").default(true))
                    .col(created_at())
                    .take(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("patches")
                    .col(big_pk_auto("id"))
                    .col(string_uniq("code"))
                    .col(string("name"))
                    .col(big_integer_null("officer_id"))
                    .col(created_at())
                    .foreign_key(&mut fk("patches", "officer_id", "staff_users", SetNull))
                    .take(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("tenancies")
                    .col(big_pk_auto("id"))
                    .col(string_uniq("reference"))
                    // secure | assured | starter | leasehold | shared_ownership
                    .col(string("tenure"))
                    // active | former (ended, debt remains) | closed
                    .col(string("status"))
                    .col(string("address_line1"))
                    .col(string_null("address_line2"))
                    .col(string("town"))
                    .col(string("postcode"))
                    .col(double_null("latitude"))
                    .col(double_null("longitude"))
                    .col(big_integer_null("patch_id"))
                    .col(date("start_date"))
                    .col(date_null("end_date"))
                    .col(big_integer("weekly_rent_pence"))
                    .col(big_integer("weekly_service_charge_pence").default(0))
                    // Comma-separated 1-based rent-week numbers with no debit, e.g. "1,39,40,52".
                    .col(string("rent_free_weeks").default(""))
                    .col(boolean("rent_free_only_when_clear").default(false))
                    .col(big_integer_null("periodic_service_charge_pence"))
                    .col(string_null("periodic_service_charge_frequency"))
                    .col(string("payment_method"))
                    // The tenant's own payment pattern, if known: amount, frequency, one due date.
                    .col(big_integer_null("self_pay_pence"))
                    .col(string_null("self_pay_frequency"))
                    .col(date_null("self_pay_anchor"))
                    // Housing Benefit paid to the landlord four-weekly in arrears.
                    .col(big_integer_null("hb_weekly_pence"))
                    .col(date_null("hb_first_pay_date"))
                    .col(created_at())
                    .col(timestamp_with_time_zone("updated_at").default(Expr::current_timestamp()))
                    .foreign_key(&mut fk("tenancies", "patch_id", "patches", SetNull))
                    .take(),
            )
            .await?;
        manager
            .create_index(index("tenancies", &["patch_id"], false))
            .await?;
        manager
            .create_index(index("tenancies", &["postcode"], false))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("tenants")
                    .col(big_pk_auto("id"))
                    .col(big_integer("tenancy_id"))
                    .col(string("full_name"))
                    .col(date_null("date_of_birth"))
                    .col(boolean("is_lead").default(false))
                    .col(string_null("mobile"))
                    .col(string_null("email"))
                    .col(string_null("preferred_channel"))
                    .col(string("language").default("en"))
                    .col(boolean("sms_enabled").default(true))
                    .col(boolean("email_enabled").default(true))
                    .col(boolean("push_enabled").default(true))
                    .col(boolean("mobile_invalid").default(false))
                    .col(boolean("email_invalid").default(false))
                    // docs/contact.md#keep-the-debt-private: no amounts in SMS/push previews unless the tenant opted in.
                    .col(boolean("amounts_in_previews").default(false))
                    .col(created_at())
                    .foreign_key(&mut fk("tenants", "tenancy_id", "tenancies", Cascade))
                    .take(),
            )
            .await?;
        manager
            .create_index(index("tenants", &["tenancy_id"], false))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("import_batches")
                    .col(big_pk_auto("id"))
                    // tenancies | transactions
                    .col(string("kind"))
                    .col(string("filename"))
                    // queued | running | succeeded | rejected | failed
                    .col(string("status"))
                    // The uploaded file, kept until the job has run it (API uploads only).
                    .col(blob_null("content"))
                    .col(big_integer("rows_total").default(0))
                    .col(big_integer("rows_inserted").default(0))
                    .col(big_integer("rows_unchanged").default(0))
                    // JSON array of {line, column, reason}.
                    .col(text_null("errors"))
                    .col(string_null("source"))
                    .col(created_at())
                    .col(timestamp_with_time_zone_null("finished_at"))
                    .take(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("transactions")
                    .col(big_pk_auto("id"))
                    .col(big_integer("tenancy_id"))
                    .col(date("posted_on"))
                    .col(string("kind"))
                    // Debit +, credit −.
                    .col(big_integer("amount_pence"))
                    .col(string_null("method"))
                    // Idempotency: the source system's reference, unique across the ledger.
                    .col(string_uniq("external_ref"))
                    .col(string_null("description"))
                    .col(big_integer_null("import_batch_id"))
                    .col(big_integer_null("reverses_id"))
                    .col(created_at())
                    .foreign_key(&mut fk("transactions", "tenancy_id", "tenancies", Restrict))
                    .foreign_key(&mut fk(
                        "transactions",
                        "import_batch_id",
                        "import_batches",
                        SetNull,
                    ))
                    .foreign_key(&mut fk(
                        "transactions",
                        "reverses_id",
                        "transactions",
                        Restrict,
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_index(index("transactions", &["tenancy_id", "posted_on"], false))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("account_summaries")
                    .col(big_integer("tenancy_id").primary_key())
                    .col(date("as_of"))
                    .col(big_integer("balance_pence"))
                    .col(big_integer("arrears_pence"))
                    .col(big_integer("technical_arrears_pence"))
                    .col(big_integer("real_arrears_pence"))
                    .col(text_null("technical_reason"))
                    .col(big_integer("weekly_charge_pence"))
                    .col(big_integer_null("weeks_in_arrears_hundredths"))
                    // clear | technical_only | in_arrears
                    .col(string("status"))
                    .col(date_null("last_payment_on"))
                    .col(big_integer_null("last_payment_pence"))
                    .col(date_null("next_charge_on"))
                    .col(big_integer("expected_28d_pence"))
                    .col(big_integer("received_28d_pence"))
                    .col(timestamp_with_time_zone("computed_at"))
                    .foreign_key(&mut fk(
                        "account_summaries",
                        "tenancy_id",
                        "tenancies",
                        Cascade,
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_index(index("account_summaries", &["status"], false))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("arrangements")
                    .col(big_pk_auto("id"))
                    .col(big_integer("tenancy_id"))
                    // proposed | active | broken | cancelled | completed
                    .col(string("status"))
                    .col(string("frequency"))
                    .col(big_integer("instalment_pence"))
                    .col(boolean("includes_rent").default(true))
                    .col(date("start_date"))
                    .col(date_null("end_date"))
                    .col(big_integer("arrears_at_start_pence"))
                    .col(big_integer_null("created_by_staff_id"))
                    .col(boolean("proposed_by_tenant").default(false))
                    .col(text_null("agreement_text"))
                    .col(created_at())
                    .col(timestamp_with_time_zone("updated_at").default(Expr::current_timestamp()))
                    .foreign_key(&mut fk("arrangements", "tenancy_id", "tenancies", Cascade))
                    .foreign_key(&mut fk(
                        "arrangements",
                        "created_by_staff_id",
                        "staff_users",
                        SetNull,
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_index(index("arrangements", &["tenancy_id", "status"], false))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("cases")
                    .col(big_pk_auto("id"))
                    .col(big_integer_uniq("tenancy_id"))
                    // docs/possession.md#stages: none → early_intervention → first_letter → …
                    .col(string("stage"))
                    .col(integer("priority").default(0))
                    // JSON array of {rule, reason}.
                    .col(text("reasons").default("[]"))
                    .col(big_integer_null("owner_id"))
                    .col(date("stage_since"))
                    .col(created_at())
                    .col(timestamp_with_time_zone("updated_at").default(Expr::current_timestamp()))
                    .foreign_key(&mut fk("cases", "tenancy_id", "tenancies", Cascade))
                    .foreign_key(&mut fk("cases", "owner_id", "staff_users", SetNull))
                    .take(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("actions")
                    .col(big_pk_auto("id"))
                    .col(big_integer("tenancy_id"))
                    // call | visit | note | letter | message | notice | referral | step | …
                    .col(string("kind"))
                    .col(string_null("outcome"))
                    .col(text("body").default(""))
                    .col(big_integer_null("author_staff_id"))
                    // Set when the software acted: the rule id (e.g. "missed_payment").
                    .col(string_null("rule_id"))
                    // JSON facts that triggered the rule.
                    .col(text_null("facts"))
                    // Offline clients send their own id so a replay stores once.
                    .col(string_null("client_id"))
                    .col(timestamp_with_time_zone("occurred_at"))
                    .col(created_at())
                    .foreign_key(&mut fk("actions", "tenancy_id", "tenancies", Cascade))
                    .foreign_key(&mut fk(
                        "actions",
                        "author_staff_id",
                        "staff_users",
                        SetNull,
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_index(index("actions", &["client_id"], true))
            .await?;
        manager
            .create_index(index("actions", &["tenancy_id", "occurred_at"], false))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("flags")
                    .col(big_pk_auto("id"))
                    .col(big_integer("tenancy_id"))
                    .col(big_integer_null("tenant_id"))
                    // vulnerability | breathing_space_standard | breathing_space_mental_health |
                    // safeguarding
                    .col(string("kind"))
                    .col(boolean("no_automated_contact").default(false))
                    .col(date("starts_on"))
                    .col(date_null("ends_on"))
                    .col(text("detail").default(""))
                    .col(big_integer_null("set_by_staff_id"))
                    .col(created_at())
                    .foreign_key(&mut fk("flags", "tenancy_id", "tenancies", Cascade))
                    .foreign_key(&mut fk("flags", "tenant_id", "tenants", Cascade))
                    .foreign_key(&mut fk("flags", "set_by_staff_id", "staff_users", SetNull))
                    .take(),
            )
            .await?;
        manager
            .create_index(index("flags", &["tenancy_id"], false))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("uc_claims")
                    .col(big_pk_auto("id"))
                    .col(big_integer("tenancy_id"))
                    .col(date("claim_start"))
                    .col(boolean("housing_costs_claimed").default(true))
                    .col(big_integer_null("monthly_housing_pence"))
                    // Managed Payment to Landlord: none | wanted | requested | in_place
                    .col(string("apa_status").default("none"))
                    .col(boolean("paid_to_landlord").default(false))
                    // tenant | officer | import | seed
                    .col(string("reported_by"))
                    .col(date_null("ended_on"))
                    .col(created_at())
                    .foreign_key(&mut fk("uc_claims", "tenancy_id", "tenancies", Cascade))
                    .take(),
            )
            .await?;
        manager
            .create_index(index("uc_claims", &["tenancy_id"], false))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("messages")
                    .col(big_pk_auto("id"))
                    // rule or campaign : tenancy : period : channel — unique, so never sent twice.
                    .col(string_uniq("idempotency_key"))
                    .col(big_integer("tenancy_id"))
                    .col(big_integer_null("tenant_id"))
                    // sms | email | push | letter
                    .col(string("channel"))
                    .col(string("template"))
                    .col(string_null("rule_id"))
                    .col(big_integer_null("campaign_id"))
                    .col(text("body").default(""))
                    // queued | sending | sent | delivered | failed | suppressed | unknown | received
                    .col(string("status"))
                    .col(string_null("suppression_reason"))
                    .col(string_null("provider_id"))
                    .col(text_null("error"))
                    .col(timestamp_with_time_zone_null("scheduled_for"))
                    .col(timestamp_with_time_zone_null("sent_at"))
                    .col(created_at())
                    .col(timestamp_with_time_zone("updated_at").default(Expr::current_timestamp()))
                    .foreign_key(&mut fk("messages", "tenancy_id", "tenancies", Cascade))
                    .foreign_key(&mut fk("messages", "tenant_id", "tenants", SetNull))
                    .take(),
            )
            .await?;
        manager
            .create_index(index("messages", &["tenancy_id", "created_at"], false))
            .await?;
        manager
            .create_index(index("messages", &["provider_id"], false))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("audit_log")
                    .col(big_pk_auto("id"))
                    .col(timestamp_with_time_zone("at").default(Expr::current_timestamp()))
                    // staff | tenant | system | admin_token
                    .col(string("actor_kind"))
                    .col(string_null("actor_id"))
                    .col(string("action"))
                    .col(string("subject_kind"))
                    .col(string_null("subject_id"))
                    .col(text_null("detail"))
                    .col(string_null("client_addr"))
                    .take(),
            )
            .await?;
        manager
            .create_index(index("audit_log", &["subject_kind", "subject_id"], false))
            .await?;
        manager
            .create_index(index("audit_log", &["at"], false))
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in TABLES.iter().rev() {
            manager
                .drop_table(Table::drop().table(String::from(*table)).if_exists().take())
                .await?;
        }
        Ok(())
    }
}
