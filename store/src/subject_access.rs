//! Subject-access exports (UK GDPR Art. 15): everything Rentdesk holds on one tenancy and its
//! tenants, as one JSON document and a readable PDF, built by a worker job from a stored
//! `exports` row (queued → running → done | failed).
//!
//! The JSON carries every stored column of every row about the tenancy, so a column added
//! later is exported without touching this file. Secrets are not personal data and are left
//! out: a device's push token is replaced by "redacted"; session and sign-in code hashes are
//! dropped.

use crate::audit::{self, Actor};
use crate::entities::{
    account_summary, action, arrangement, audit_entry, case, device, export, flag, message, patch,
    session, sign_in_code, task, tenancy, tenant, transaction, uc_claim,
};
use crate::pdf::{Document, Table};
use crate::vocab::ExportStatus as Status;
use chrono::{NaiveDate, Utc};
use rentdesk_domain::Pence;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use serde::Serialize;
use serde_json::{Value, json};

pub const KIND: &str = "subject_access";

/// Every status an export row holds.
pub const STATUSES: [&str; 4] = ["queued", "running", "done", "failed"];

/// Store a queued export of `tenancy_id` requested by `staff_id`, audited; its id.
pub async fn queue<C: ConnectionTrait>(
    db: &C,
    tenancy_id: i64,
    staff_id: i64,
    client_addr: Option<&str>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<export::Model, sea_orm::DbErr> {
    let row = export::ActiveModel {
        kind: Set(KIND.to_owned()),
        tenancy_id: Set(tenancy_id),
        requested_by: Set(Some(staff_id)),
        status: Set(Status::Queued.into()),
        json: Set(None),
        pdf: Set(None),
        error: Set(None),
        created_at: Set(now),
        finished_at: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await?;
    audit::record(
        db,
        audit::Entry {
            actor: Actor::Staff(staff_id),
            action: "subject_access.requested",
            subject_kind: "tenancy",
            subject_id: Some(tenancy_id.to_string()),
            detail: Some(format!("export {}", row.id)),
            client_addr,
        },
    )
    .await?;
    Ok(row)
}

/// An export's state, without its (possibly large) contents.
#[derive(Debug, Clone, PartialEq, sea_orm::FromQueryResult)]
pub struct ExportStatus {
    pub id: i64,
    pub kind: String,
    pub tenancy_id: i64,
    pub requested_by: Option<i64>,
    pub status: String,
    pub error: Option<String>,
    pub created_at: chrono::DateTime<Utc>,
    pub finished_at: Option<chrono::DateTime<Utc>>,
    /// When a job last took it up (the sweep's claim, or the run's start).
    pub queued_at: Option<chrono::DateTime<Utc>>,
}

pub async fn status<C: ConnectionTrait>(
    db: &C,
    id: i64,
) -> Result<Option<ExportStatus>, sea_orm::DbErr> {
    export::Entity::find_by_id(id)
        .select_only()
        .columns([
            export::Column::Id,
            export::Column::Kind,
            export::Column::TenancyId,
            export::Column::RequestedBy,
            export::Column::Status,
            export::Column::Error,
            export::Column::CreatedAt,
            export::Column::FinishedAt,
            export::Column::QueuedAt,
        ])
        .into_model::<ExportStatus>()
        .one(db)
        .await
}

/// The whole export row, contents included.
pub async fn get<C: ConnectionTrait>(
    db: &C,
    id: i64,
) -> Result<Option<export::Model>, sea_orm::DbErr> {
    export::Entity::find_by_id(id).one(db).await
}

/// Run a stored export: build the document and its PDF, store both and mark it done. A done
/// export is left alone (a retried job is harmless); a missing one is `None`.
pub async fn run(
    db: &DatabaseConnection,
    id: i64,
    today: NaiveDate,
    now: chrono::DateTime<chrono::Utc>,
) -> anyhow::Result<Option<&'static str>> {
    let Some(row) = status(db, id).await? else {
        return Ok(None);
    };
    if row.status == "done" {
        return Ok(Some("done"));
    }
    // `queued_at` marks when this run started: a worker that dies mid-run leaves the row
    // `running`, and the sweep queues it again once that is `sweep::STRANDED_AFTER` old.
    export::ActiveModel {
        id: sea_orm::ActiveValue::Unchanged(id),
        status: Set(Status::Running.into()),
        queued_at: Set(Some(now)),
        ..Default::default()
    }
    .update(db)
    .await?;
    match build(db, row.tenancy_id, today, now).await {
        Ok((doc, pdf)) => {
            let json = serde_json::to_string_pretty(&doc)?;
            export::ActiveModel {
                id: sea_orm::ActiveValue::Unchanged(id),
                status: Set(Status::Done.into()),
                json: Set(Some(json)),
                pdf: Set(Some(pdf)),
                error: Set(None),
                finished_at: Set(Some(now)),
                ..Default::default()
            }
            .update(db)
            .await?;
            audit::record(
                db,
                audit::Entry {
                    actor: Actor::System,
                    action: "subject_access.produced",
                    subject_kind: "tenancy",
                    subject_id: Some(row.tenancy_id.to_string()),
                    detail: Some(format!("export {id}")),
                    client_addr: None,
                },
            )
            .await?;
            Ok(Some("done"))
        }
        Err(e) => {
            set_status(db, id, Status::Failed, Some(format!("{e:#}"))).await?;
            Err(e)
        }
    }
}

async fn set_status(
    db: &DatabaseConnection,
    id: i64,
    status: Status,
    error: Option<String>,
) -> Result<(), sea_orm::DbErr> {
    export::ActiveModel {
        id: sea_orm::ActiveValue::Unchanged(id),
        status: Set(status.into()),
        error: Set(error),
        finished_at: Set((status == Status::Failed).then(Utc::now)),
        ..Default::default()
    }
    .update(db)
    .await?;
    Ok(())
}

/// Everything held about one tenancy, as stored.
#[derive(Debug, Serialize)]
pub struct SubjectAccess {
    pub kind: &'static str,
    pub generated_at: chrono::DateTime<Utc>,
    pub as_of: NaiveDate,
    pub tenancy: tenancy::Model,
    pub patch: Option<String>,
    /// The account's figures as of `as_of`, computed from the ledger.
    pub account: Value,
    pub account_summary: Option<account_summary::Model>,
    pub tenants: Vec<tenant::Model>,
    /// Every ledger row, oldest first, with the running balance after it.
    pub ledger: Vec<Value>,
    pub arrangements: Vec<arrangement::Model>,
    pub case: Option<case::Model>,
    pub actions: Vec<action::Model>,
    pub messages: Vec<message::Model>,
    pub flags: Vec<flag::Model>,
    pub uc_claims: Vec<uc_claim::Model>,
    pub tasks: Vec<task::Model>,
    pub devices: Vec<Value>,
    pub sessions: Vec<Value>,
    pub sign_in_codes: Vec<Value>,
    pub audit_entries: Vec<audit_entry::Model>,
}

/// Collect the document and render its PDF.
pub async fn build(
    db: &DatabaseConnection,
    tenancy_id: i64,
    today: NaiveDate,
    now: chrono::DateTime<chrono::Utc>,
) -> anyhow::Result<(SubjectAccess, Vec<u8>)> {
    let doc = collect(db, tenancy_id, today, now).await?;
    let pdf = render(&doc);
    Ok((doc, pdf))
}

async fn collect(
    db: &DatabaseConnection,
    tenancy_id: i64,
    today: NaiveDate,
    now: chrono::DateTime<chrono::Utc>,
) -> anyhow::Result<SubjectAccess> {
    let t = tenancy::Entity::find_by_id(tenancy_id)
        .one(db)
        .await?
        .ok_or_else(|| anyhow::anyhow!("tenancy {tenancy_id} no longer exists"))?;
    let patch = match t.patch_id {
        Some(p) => patch::Entity::find_by_id(p).one(db).await?.map(|p| p.code),
        None => None,
    };
    let tenants = tenant::Entity::find()
        .filter(tenant::Column::TenancyId.eq(t.id))
        .order_by_asc(tenant::Column::Id)
        .all(db)
        .await?;
    let tenant_ids: Vec<i64> = tenants.iter().map(|p| p.id).collect();
    let account = match crate::accounts::full_account(db, t.id, today).await? {
        Some(full) => {
            let s = full.view.summary;
            json!({
                "as_of": s.as_of,
                "balance_pence": s.balance.0,
                "arrears_pence": s.arrears.0,
                "technical_arrears_pence": s.technical_arrears.0,
                "real_arrears_pence": s.real_arrears.0,
                "technical_reason": s.technical_reason,
                "weekly_charge_pence": s.weekly_charge.0,
                "weeks_in_arrears_hundredths": s.weeks_in_arrears_hundredths,
                "last_payment_on": s.last_payment.as_ref().map(|p| p.date),
                "last_payment_pence": s.last_payment.as_ref().map(|p| p.amount.0),
            })
        }
        None => Value::Null,
    };
    let mut balance = Pence(0);
    let ledger = transaction::Entity::find()
        .filter(transaction::Column::TenancyId.eq(t.id))
        .order_by_asc(transaction::Column::PostedOn)
        .order_by_asc(transaction::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|row| {
            balance += Pence(row.amount_pence);
            let mut v = serde_json::to_value(&row).unwrap_or(Value::Null);
            v["balance_after_pence"] = json!(balance.0);
            v
        })
        .collect();
    let devices = device::Entity::find()
        .filter(device::Column::TenantId.is_in(tenant_ids.clone()))
        .order_by_asc(device::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|d| {
            let mut v = serde_json::to_value(&d).unwrap_or(Value::Null);
            v["token"] = json!("redacted");
            v
        })
        .collect();
    let sessions = session::Entity::find()
        .filter(session::Column::SubjectKind.eq("tenant"))
        .filter(session::Column::SubjectId.is_in(tenant_ids.clone()))
        .order_by_asc(session::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|s| without(&s, &["token_hash", "family"]))
        .collect();
    let sign_in_codes = sign_in_code::Entity::find()
        .filter(sign_in_code::Column::TenantId.is_in(tenant_ids.clone()))
        .order_by_asc(sign_in_code::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|c| without(&c, &["code_hash", "challenge"]))
        .collect();
    let about = audit::about_tenancy(db, &t).await?;
    let audit_entries = audit_entry::Entity::find()
        .filter(about)
        .order_by_asc(audit_entry::Column::Id)
        .all(db)
        .await?;
    Ok(SubjectAccess {
        kind: KIND,
        generated_at: now,
        as_of: today,
        patch,
        account,
        account_summary: account_summary::Entity::find_by_id(t.id).one(db).await?,
        ledger,
        arrangements: by_tenancy::<arrangement::Entity, _>(
            db,
            arrangement::Column::TenancyId,
            t.id,
        )
        .await?,
        case: case::Entity::find()
            .filter(case::Column::TenancyId.eq(t.id))
            .one(db)
            .await?,
        actions: by_tenancy::<action::Entity, _>(db, action::Column::TenancyId, t.id).await?,
        messages: by_tenancy::<message::Entity, _>(db, message::Column::TenancyId, t.id).await?,
        flags: by_tenancy::<flag::Entity, _>(db, flag::Column::TenancyId, t.id).await?,
        uc_claims: by_tenancy::<uc_claim::Entity, _>(db, uc_claim::Column::TenancyId, t.id).await?,
        tasks: by_tenancy::<task::Entity, _>(db, task::Column::TenancyId, t.id).await?,
        devices,
        sessions,
        sign_in_codes,
        audit_entries,
        tenants,
        tenancy: t,
    })
}

/// Every row of `E` whose `column` is `tenancy_id`, in insertion order.
async fn by_tenancy<E, C>(
    db: &DatabaseConnection,
    column: C,
    tenancy_id: i64,
) -> Result<Vec<E::Model>, sea_orm::DbErr>
where
    E: EntityTrait,
    C: ColumnTrait,
{
    use sea_orm::{Iterable, PrimaryKeyToColumn};
    let mut q = E::find().filter(column.eq(tenancy_id));
    if let Some(pk) = E::PrimaryKey::iter().next() {
        q = q.order_by_asc(pk.into_column());
    }
    q.all(db).await
}

fn without<T: Serialize>(row: &T, secrets: &[&str]) -> Value {
    let mut v = serde_json::to_value(row).unwrap_or(Value::Null);
    if let Value::Object(map) = &mut v {
        for key in secrets {
            map.remove(*key);
        }
    }
    v
}

// ---------------------------------------------------------------------------------------------
// The readable rendering.

fn pounds(p: i64) -> String {
    let sign = if p < 0 { "-" } else { "" };
    format!("{sign}£{}.{:02}", p.abs() / 100, p.abs() % 100)
}

fn opt<T: ToString>(v: &Option<T>) -> String {
    v.as_ref().map(ToString::to_string).unwrap_or_default()
}

fn at(t: &chrono::DateTime<Utc>) -> String {
    t.with_timezone(&chrono_tz::Europe::London)
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

/// The PDF: the same content as the JSON, as headed sections and tables.
pub fn render(d: &SubjectAccess) -> Vec<u8> {
    let t = &d.tenancy;
    let address = [
        Some(t.address_line1.as_str()),
        t.address_line2.as_deref(),
        Some(t.town.as_str()),
        Some(t.postcode.as_str()),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(", ");
    let mut doc = Document::new(format!("Subject access export: tenancy {}", t.reference))
        .para(format!(
            "Everything Rentdesk holds about tenancy {} and its tenants, produced {} (times are UK time). \
             The accompanying JSON file holds the same records with every stored field.",
            t.reference,
            at(&d.generated_at)
        ))
        .heading("Tenancy")
        .table(
            Table::new(["Field", "Value"])
                .row(["Reference", t.reference.as_str()])
                .row(["Address", address.as_str()])
                .row(["Tenure", t.tenure.as_str()])
                .row(["Status", t.status.as_str()])
                .row(["Patch", opt(&d.patch).as_str()])
                .row(["Start date", t.start_date.to_string().as_str()])
                .row(["End date", opt(&t.end_date).as_str()])
                .row(["Weekly rent", pounds(t.weekly_rent_pence).as_str()])
                .row([
                    "Weekly service charge",
                    pounds(t.weekly_service_charge_pence).as_str(),
                ])
                .row(["Payment method", t.payment_method.as_str()]),
        );
    if let Some(balance) = d.account.get("balance_pence").and_then(Value::as_i64) {
        let arrears = d.account["arrears_pence"].as_i64().unwrap_or(0);
        doc = doc.para(format!(
            "Balance as of {}: {} (arrears {}).",
            d.as_of,
            pounds(balance),
            pounds(arrears)
        ));
    }
    doc = doc.heading("Tenants");
    let mut people = Table::new([
        "Name", "Born", "Lead", "Mobile", "Email", "Language", "Channels",
    ]);
    for p in &d.tenants {
        let channels = [
            (p.sms_enabled, "sms"),
            (p.email_enabled, "email"),
            (p.push_enabled, "push"),
        ]
        .iter()
        .filter(|(on, _)| *on)
        .map(|(_, c)| *c)
        .collect::<Vec<_>>()
        .join(", ");
        people.push([
            p.full_name.clone(),
            opt(&p.date_of_birth),
            if p.is_lead { "yes" } else { "no" }.into(),
            opt(&p.mobile),
            opt(&p.email),
            p.language.clone(),
            channels,
        ]);
    }
    doc = doc.table(people);

    let mut ledger = Table::new(["Date", "Kind", "Description", "Amount", "Balance"]);
    for row in &d.ledger {
        ledger.push([
            row["posted_on"].as_str().unwrap_or_default().to_owned(),
            row["kind"].as_str().unwrap_or_default().to_owned(),
            row["description"].as_str().unwrap_or_default().to_owned(),
            pounds(row["amount_pence"].as_i64().unwrap_or(0)),
            pounds(row["balance_after_pence"].as_i64().unwrap_or(0)),
        ]);
    }
    doc = section(doc, "Rent account (every ledger entry)", ledger);

    let mut plans = Table::new(["Start", "Status", "Frequency", "Instalment", "Notes"]);
    for a in &d.arrangements {
        plans.push([
            a.start_date.to_string(),
            a.status.clone(),
            a.frequency.clone(),
            pounds(a.instalment_pence),
            [&a.agreement_text, &a.review_reason, &a.cancel_reason]
                .into_iter()
                .flatten()
                .cloned()
                .collect::<Vec<_>>()
                .join(" "),
        ]);
    }
    doc = section(doc, "Repayment arrangements", plans);
    if let Some(c) = &d.case {
        doc = doc.heading("Recovery case").para(format!(
            "Stage {} since {}; priority {}.",
            c.stage, c.stage_since, c.priority
        ));
    }

    let mut actions = Table::new(["When", "Kind", "Outcome", "Note", "By"]);
    for a in &d.actions {
        actions.push([
            at(&a.occurred_at),
            a.kind.to_string(),
            opt(&a.outcome),
            a.body.clone(),
            match (&a.author_staff_id, &a.rule_id) {
                (Some(s), _) => format!("staff {s}"),
                (None, Some(r)) => format!("rule {r}"),
                _ => String::new(),
            },
        ]);
    }
    doc = section(doc, "Action diary", actions);

    let mut messages = Table::new(["When", "Channel", "Status", "Message"]);
    for m in &d.messages {
        messages.push([
            at(&m.created_at),
            m.channel.clone(),
            m.status.clone(),
            m.body.clone(),
        ]);
    }
    doc = section(doc, "Messages", messages);

    let mut flags = Table::new([
        "Kind",
        "From",
        "To",
        "No automated contact",
        "Detail",
        "Ended because",
    ]);
    for f in &d.flags {
        flags.push([
            f.kind.clone(),
            f.starts_on.to_string(),
            opt(&f.ends_on),
            if f.no_automated_contact { "yes" } else { "no" }.into(),
            f.detail.clone(),
            [f.end_reason.as_deref(), f.end_note.as_deref()]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(": "),
        ]);
    }
    doc = section(
        doc,
        "Flags (vulnerability, Breathing Space, safeguarding)",
        flags,
    );

    let mut claims = Table::new([
        "Claim start",
        "Monthly housing",
        "APA",
        "Reported by",
        "Ended",
    ]);
    for c in &d.uc_claims {
        claims.push([
            c.claim_start.to_string(),
            c.monthly_housing_pence.map(pounds).unwrap_or_default(),
            c.apa_status.clone(),
            c.reported_by.clone(),
            opt(&c.ended_on),
        ]);
    }
    doc = section(doc, "Universal Credit claims", claims);

    let mut tasks = Table::new(["Due", "Kind", "Title", "Status", "Detail"]);
    for t in &d.tasks {
        tasks.push([
            t.due_on.to_string(),
            t.kind.clone(),
            t.title.clone(),
            t.status.to_string(),
            t.detail.clone(),
        ]);
    }
    doc = section(doc, "Officer tasks", tasks);

    let mut devices = Table::new(["Platform", "Registered", "Last seen"]);
    for v in &d.devices {
        devices.push([
            v["platform"].as_str().unwrap_or_default(),
            v["created_at"].as_str().unwrap_or_default(),
            v["last_seen_at"].as_str().unwrap_or_default(),
        ]);
    }
    doc = section(doc, "App devices (push tokens withheld)", devices);

    let mut sessions = Table::new(["Signed in", "Expires", "Ended", "From address"]);
    for s in &d.sessions {
        sessions.push([
            s["created_at"].as_str().unwrap_or_default(),
            s["expires_at"].as_str().unwrap_or_default(),
            s["revoked_at"].as_str().unwrap_or_default(),
            s["client_addr"].as_str().unwrap_or_default(),
        ]);
    }
    doc = section(doc, "App sign-ins", sessions);

    let mut audit = Table::new(["When", "Who", "Action", "About", "Detail"]);
    for e in &d.audit_entries {
        audit.push([
            at(&e.at),
            format!("{} {}", e.actor_kind, opt(&e.actor_id)),
            e.action.clone(),
            format!("{} {}", e.subject_kind, opt(&e.subject_id)),
            opt(&e.detail),
        ]);
    }
    doc = section(doc, "Audit log entries", audit);
    doc.render()
}

fn section(doc: Document, title: &str, table: Table) -> Document {
    let doc = doc.heading(title);
    if table.is_empty() {
        doc.para("None held.")
    } else {
        doc.table(table)
    }
}
