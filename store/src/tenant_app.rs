//! What the tenant app reads and changes about the signed-in tenant: contact preferences,
//! push devices, their message inbox, a Universal Credit claim and changes of circumstances.
//! Every function takes the tenant (or tenancy) from the caller's verified token, never from
//! the request, so one tenant cannot reach another's rows.

use crate::audit::{self, Actor};
use crate::entities::{device, message, tenancy, tenant, uc_claim};
use crate::tasks::{self, NewTask};
use chrono::NaiveDate;
use rentdesk_domain::tasks::DueIn;
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

pub async fn tenant_and_tenancy(
    db: &DatabaseConnection,
    tenant_id: i64,
) -> Result<Option<(tenant::Model, tenancy::Model)>, sea_orm::DbErr> {
    // One statement (a join) instead of the person, then their tenancy: every tenant request
    // runs this.
    use sea_orm::{JoinType, RelationDef};
    let to_tenancy: RelationDef = tenant::Entity::belongs_to(tenancy::Entity)
        .from(tenant::Column::TenancyId)
        .to(tenancy::Column::Id)
        .into();
    Ok(tenant::Entity::find_by_id(tenant_id)
        .select_also(tenancy::Entity)
        .join(JoinType::InnerJoin, to_tenancy)
        .one(db)
        .await?
        .and_then(|(person, t)| t.map(|t| (person, t))))
}

/// Contact preferences as the tenant sets them. `None` leaves a field unchanged.
#[derive(Debug, Default, Clone)]
pub struct PreferenceChange {
    pub sms_enabled: Option<bool>,
    pub email_enabled: Option<bool>,
    pub push_enabled: Option<bool>,
    /// `Some(None)` clears the preference.
    pub preferred_channel: Option<Option<String>>,
    pub language: Option<String>,
    pub amounts_in_previews: Option<bool>,
}

pub async fn change_preferences(
    db: &DatabaseConnection,
    person: tenant::Model,
    change: PreferenceChange,
    client_addr: Option<&str>,
) -> Result<tenant::Model, sea_orm::DbErr> {
    let txn = crate::db::begin_write(db).await?;
    let id = person.id;
    let mut row: tenant::ActiveModel = person.into();
    if let Some(v) = change.sms_enabled {
        row.sms_enabled = Set(v);
    }
    if let Some(v) = change.email_enabled {
        row.email_enabled = Set(v);
    }
    if let Some(v) = change.push_enabled {
        row.push_enabled = Set(v);
    }
    if let Some(v) = change.preferred_channel.clone() {
        row.preferred_channel = Set(v);
    }
    if let Some(v) = change.language.clone() {
        row.language = Set(v);
    }
    if let Some(v) = change.amounts_in_previews {
        row.amounts_in_previews = Set(v);
    }
    let updated = row.update(&txn).await?;
    audit::record(
        &txn,
        audit::Entry {
            actor: Actor::Tenant(id),
            action: "preferences.changed",
            subject_kind: "tenant",
            subject_id: Some(id.to_string()),
            detail: Some(format!("{change:?}")),
            client_addr,
        },
    )
    .await?;
    txn.commit().await?;
    Ok(updated)
}

pub async fn devices(
    db: &DatabaseConnection,
    tenant_id: i64,
) -> Result<Vec<device::Model>, sea_orm::DbErr> {
    device::Entity::find()
        .filter(device::Column::TenantId.eq(tenant_id))
        .order_by_asc(device::Column::Id)
        .all(db)
        .await
}

/// Register an FCM token for the tenant. A token already registered (to anyone: phones change
/// hands) moves to this tenant and is refreshed; the answer is the row.
pub async fn register_device(
    db: &DatabaseConnection,
    tenant_id: i64,
    platform: &str,
    token: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<device::Model, sea_orm::DbErr> {
    device::Entity::insert(device::ActiveModel {
        tenant_id: Set(tenant_id),
        platform: Set(platform.to_owned()),
        token: Set(token.to_owned()),
        created_at: Set(now),
        last_seen_at: Set(now),
        ..Default::default()
    })
    .on_conflict(
        OnConflict::column(device::Column::Token)
            .update_columns([
                device::Column::TenantId,
                device::Column::Platform,
                device::Column::LastSeenAt,
            ])
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    device::Entity::find()
        .filter(device::Column::Token.eq(token))
        .one(db)
        .await?
        .ok_or_else(|| sea_orm::DbErr::RecordNotFound("device after upsert".into()))
}

/// Remove one of the tenant's own devices; `false` if it is not theirs (or does not exist).
pub async fn remove_device(
    db: &DatabaseConnection,
    tenant_id: i64,
    device_id: i64,
) -> Result<bool, sea_orm::DbErr> {
    Ok(device::Entity::delete_many()
        .filter(device::Column::Id.eq(device_id))
        .filter(device::Column::TenantId.eq(tenant_id))
        .exec(db)
        .await?
        .rows_affected
        == 1)
}

/// Messages Rentdesk sent (or tried to send) to the tenant, newest first, older than
/// `before_id`. Suppressed messages were never sent and are not shown.
pub async fn inbox(
    db: &DatabaseConnection,
    tenant_id: i64,
    before_id: Option<i64>,
    limit: u64,
) -> Result<(Vec<message::Model>, Option<i64>), sea_orm::DbErr> {
    let mut q = message::Entity::find()
        .filter(message::Column::TenantId.eq(tenant_id))
        .filter(message::Column::Channel.is_in(["sms", "email", "push"]))
        .filter(message::Column::Status.is_not_in(["suppressed", "officer_task"]));
    if let Some(b) = before_id {
        q = q.filter(message::Column::Id.lt(b));
    }
    let mut rows = q
        .order_by_desc(message::Column::Id)
        .limit(limit + 1)
        .all(db)
        .await?;
    let more = rows.len() as u64 > limit;
    rows.truncate(limit as usize);
    let next = if more {
        rows.last().map(|m| m.id)
    } else {
        None
    };
    Ok((rows, next))
}

pub struct UcReport {
    pub claim_start: NaiveDate,
    pub housing_costs_claimed: bool,
    pub managed_payment_wanted: bool,
    pub monthly_housing_pence: Option<i64>,
}

/// Record a UC claim the tenant reports: the claim (the nightly and on-demand evaluation pick
/// up its new-claim sequence), a diary action and a task for the patch officer (ask for a
/// Managed Payment if wanted, verify housing costs). Same claim start twice → the existing one.
pub async fn report_uc_claim(
    db: &DatabaseConnection,
    person: &tenant::Model,
    report: UcReport,
    client_addr: Option<&str>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(uc_claim::Model, bool), sea_orm::DbErr> {
    let txn = crate::db::begin_write(db).await?;
    if let Some(existing) = uc_claim::Entity::find()
        .filter(uc_claim::Column::TenancyId.eq(person.tenancy_id))
        .filter(uc_claim::Column::ClaimStart.eq(report.claim_start))
        .one(&txn)
        .await?
    {
        txn.commit().await?;
        return Ok((existing, false));
    }
    let claim = uc_claim::ActiveModel {
        tenancy_id: Set(person.tenancy_id),
        claim_start: Set(report.claim_start),
        housing_costs_claimed: Set(report.housing_costs_claimed),
        monthly_housing_pence: Set(report.monthly_housing_pence),
        apa_status: Set(if report.managed_payment_wanted {
            "wanted".into()
        } else {
            "none".into()
        }),
        paid_to_landlord: Set(false),
        reported_by: Set("tenant".into()),
        ended_on: Set(None),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let mut todo = vec![];
    if report.housing_costs_claimed {
        todo.push("verify the housing costs element with DWP");
    } else {
        todo.push("housing costs were NOT claimed: help the tenant add them to the claim");
    }
    if report.managed_payment_wanted {
        todo.push("request a Managed Payment to Landlord (APA)");
    }
    let body = format!(
        "Tenant reported a Universal Credit claim started {} (housing costs claimed: {}, Managed \
         Payment wanted: {}).",
        report.claim_start.format("%-d %b %Y"),
        if report.housing_costs_claimed {
            "yes"
        } else {
            "no"
        },
        if report.managed_payment_wanted {
            "yes"
        } else {
            "no"
        },
    );
    tasks::raise(
        &txn,
        crate::vocab::ActionKind::UcClaim,
        &body,
        NewTask {
            tenancy_id: person.tenancy_id,
            kind: rentdesk_domain::tasks::UC_CLAIM_TASK,
            title: "New Universal Credit claim reported by the tenant".into(),
            detail: format!("To do: {}.", todo.join("; ")),
            due_on: rentdesk_domain::tasks::due_on(
                rentdesk_domain::time::london_date(now),
                DueIn::UcClaimReported,
            ),
            rule_id: Some(rentdesk_domain::tasks::UC_CLAIM_REPORTED),
            idempotency_key: Some(format!("uc_claim:{}", claim.id)),
        },
        now,
    )
    .await?;
    audit::record(
        &txn,
        audit::Entry {
            actor: Actor::Tenant(person.id),
            action: "uc_claim.reported",
            subject_kind: "tenancy",
            subject_id: Some(person.tenancy_id.to_string()),
            detail: Some(format!("uc_claim {}", claim.id)),
            client_addr,
        },
    )
    .await?;
    txn.commit().await?;
    Ok((claim, true))
}

/// A change of circumstances the tenant reports: a diary action and a task for the officer.
pub async fn report_change(
    db: &DatabaseConnection,
    person: &tenant::Model,
    kind: &str,
    effective: NaiveDate,
    detail: &str,
    client_addr: Option<&str>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<i64, sea_orm::DbErr> {
    let txn = crate::db::begin_write(db).await?;
    let what = kind.replace('_', " ");
    let body = format!(
        "Tenant reported a change of circumstances: {what} from {}. {detail}",
        effective.format("%-d %b %Y")
    );
    let task = tasks::raise(
        &txn,
        crate::vocab::ActionKind::ChangeOfCircumstances,
        body.trim(),
        NewTask {
            tenancy_id: person.tenancy_id,
            kind: "change_of_circumstances",
            title: format!("Change of circumstances: {what}"),
            detail: "Contact the tenant: check benefit entitlement and whether their repayment \
                     plan is still affordable."
                .into(),
            due_on: rentdesk_domain::tasks::due_on(
                rentdesk_domain::time::london_date(now),
                DueIn::ChangeOfCircumstances,
            ),
            rule_id: Some(rentdesk_domain::tasks::CHANGE_OF_CIRCUMSTANCES_REPORTED),
            idempotency_key: None,
        },
        now,
    )
    .await?
    .unwrap_or_default();
    audit::record(
        &txn,
        audit::Entry {
            actor: Actor::Tenant(person.id),
            action: "change_of_circumstances.reported",
            subject_kind: "tenancy",
            subject_id: Some(person.tenancy_id.to_string()),
            detail: Some(kind.to_owned()),
            client_addr,
        },
    )
    .await?;
    txn.commit().await?;
    Ok(task)
}

/// The one-click unsubscribe link of an email (`message_id` already verified): emails off for
/// the person it went to, recorded. `false` when the message or person is gone.
pub async fn unsubscribe_email(
    db: &DatabaseConnection,
    message_id: i64,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<bool, sea_orm::DbErr> {
    let Some(m) = message::Entity::find_by_id(message_id).one(db).await? else {
        return Ok(false);
    };
    let Some(tenant_id) = m.tenant_id else {
        return Ok(false);
    };
    let txn = crate::db::begin_write(db).await?;
    let changed = tenant::Entity::update_many()
        .col_expr(
            tenant::Column::EmailEnabled,
            sea_orm::sea_query::Expr::value(false),
        )
        .filter(tenant::Column::Id.eq(tenant_id))
        .filter(tenant::Column::EmailEnabled.eq(true))
        .exec(&txn)
        .await?
        .rows_affected;
    if changed == 1 {
        crate::diary::note(
            &txn,
            m.tenancy_id,
            crate::vocab::ActionKind::OptOut,
            "Tenant unsubscribed from emails with the link in an email.",
            now,
        )
        .await?;
        audit::record(
            &txn,
            audit::Entry {
                actor: Actor::Tenant(tenant_id),
                action: "email.opted_out",
                subject_kind: "tenant",
                subject_id: Some(tenant_id.to_string()),
                detail: Some(format!("message {message_id}")),
                client_addr: None,
            },
        )
        .await?;
    }
    txn.commit().await?;
    Ok(true)
}
