//! `/manage/v1` data protection, for team leaders and administrators: subject-access exports
//! (a job producing JSON + PDF), the retention dry run and run, and the audit-log query.
//!
//! A team leader reaches only the tenancies of their team's patches (others are 404, never
//! 403, so references can't be probed) and the audit entries about those tenancies or made by
//! their team's staff. Running retention for real is for administrators.

use crate::api::ApiTags;
use crate::api::common::statuses::*;
use crate::api::common::{Answer, client_addr};
use crate::api::officer::{StaffAuth, admin, manager};
use crate::api::vocab::{ActorKind, ExportKind, ExportStatus as Status, UnknownValue};
use crate::or_answer;
use crate::problem::Problem;
use crate::state::AppState;
use chrono::{DateTime, NaiveDate, Utc};
use poem::http::StatusCode;
use poem::web::{Data, RemoteAddr};
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::{Binary, Json};
use poem_openapi::{ApiResponse, Object, OpenApi};
use rentdesk_domain::retention;
use rentdesk_store::audit::{self, Actor};
use rentdesk_store::entities::{audit_entry, staff_user, tenancy};
use rentdesk_store::staff::visible_patches;
use rentdesk_store::subject_access::ExportStatus;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

/// A subject-access export and where to fetch it.
#[derive(Debug, Object)]
#[oai(example)]
pub struct ExportOut {
    pub id: i64,
    pub kind: ExportKind,
    pub tenancy_reference: String,
    pub requested_by: Option<i64>,
    pub status: Status,
    /// Why it failed (when `failed`; the job retries).
    pub error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    /// While queued or running, since when (null once done or failed).
    pub queued_since: Option<DateTime<Utc>>,
    /// Pending with nothing moving for 5 minutes: the worker's sweep queues it again; if this
    /// stays true, the workers are down or cannot reach the database.
    pub stuck: bool,
    /// The day the request is taken as received: the London day the export was requested
    /// (request the export on the day the request arrives).
    pub received_on: NaiveDate,
    /// The last day to answer it (UK GDPR Art 12(3): one month from receipt; ICO: the
    /// corresponding date next month, or that month's last day when it has none, moved to the
    /// next working day from a weekend or bank holiday).
    pub due_on: NaiveDate,
    /// The outer limit if the month is extended by two further months for a complex request
    /// (Art 12(3); the data subject must be told within the first month). Rentdesk does not
    /// record an extension.
    pub extended_due_on: NaiveDate,
    /// Not `done` and `due_on` has passed (London today).
    pub overdue: bool,
    /// Poll this for the status.
    pub status_url: String,
    /// The JSON document, once `done`.
    pub json_url: String,
    /// The PDF rendering, once `done`.
    pub pdf_url: String,
}

impl poem_openapi::types::Example for ExportOut {
    fn example() -> ExportOut {
        ExportOut {
            id: 7,
            kind: ExportKind::SubjectAccess,
            tenancy_reference: "HD1001".into(),
            requested_by: Some(3),
            status: Status::Queued,
            error: None,
            created_at: DateTime::from_timestamp(1_795_000_000, 0).unwrap_or_default(),
            finished_at: None,
            queued_since: DateTime::from_timestamp(1_795_000_000, 0),
            stuck: false,
            received_on: NaiveDate::from_ymd_opt(2026, 11, 18).unwrap_or_default(),
            due_on: NaiveDate::from_ymd_opt(2026, 12, 18).unwrap_or_default(),
            extended_due_on: NaiveDate::from_ymd_opt(2027, 2, 18).unwrap_or_default(),
            overdue: false,
            status_url: "/manage/v1/exports/7".into(),
            json_url: "/manage/v1/exports/7/json".into(),
            pdf_url: "/manage/v1/exports/7/pdf".into(),
        }
    }
}

/// A single item: a stored value outside its vocabulary is a 500 (vocab.rs).
fn export_out(
    s: ExportStatus,
    reference: String,
    now: DateTime<Utc>,
) -> Result<ExportOut, Problem> {
    let today = rentdesk_domain::time::london_date(now);
    let base = format!("/manage/v1/exports/{}", s.id);
    let read = |e: UnknownValue| Problem::internal(&e);
    let received_on = rentdesk_domain::time::london_date(s.created_at);
    let due_on = retention::subject_access_due_on(received_on);
    Ok(ExportOut {
        received_on,
        due_on,
        extended_due_on: retention::subject_access_extended_due_on(received_on),
        overdue: s.status != "done" && today > due_on,
        id: s.id,
        kind: ExportKind::from_stored(&s.kind, "exports", s.id).map_err(read)?,
        tenancy_reference: reference,
        requested_by: s.requested_by,
        status: Status::from_stored(&s.status, "exports", s.id).map_err(read)?,
        error: s.error,
        queued_since: rentdesk_store::sweep::export_pending_since(&s.status, s.created_at),
        stuck: rentdesk_store::sweep::export_stuck(&s.status, s.created_at, s.queued_at, now),
        created_at: s.created_at,
        finished_at: s.finished_at,
        json_url: format!("{base}/json"),
        pdf_url: format!("{base}/pdf"),
        status_url: base,
    })
}

/// The answers of a file download: the file (with its name), or a problem.
macro_rules! file_response {
    ($name:ident, $content_type:literal, $doc:literal) => {
        #[derive(ApiResponse)]
        pub enum $name {
            #[doc = $doc]
            #[oai(status = 200, content_type = $content_type)]
            Ok(
                Binary<Vec<u8>>,
                #[oai(header = "Content-Disposition")] String,
            ),
            #[oai(status = 401, content_type = "application/problem+json")]
            Unauthorized(Json<Problem>),
            /// An officer: only team leaders and administrators.
            #[oai(status = 403, content_type = "application/problem+json")]
            Forbidden(Json<Problem>),
            #[oai(status = 404, content_type = "application/problem+json")]
            NotFound(Json<Problem>),
            /// The export is not done (yet): see its status.
            #[oai(status = 409, content_type = "application/problem+json")]
            Conflict(Json<Problem>),
        }

        impl From<Result<(Vec<u8>, String), Problem>> for $name {
            fn from(r: Result<(Vec<u8>, String), Problem>) -> $name {
                match r {
                    Ok((bytes, disposition)) => $name::Ok(Binary(bytes), disposition),
                    Err(p) => match p.status_code() {
                        StatusCode::UNAUTHORIZED => $name::Unauthorized(Json(p)),
                        StatusCode::FORBIDDEN => $name::Forbidden(Json(p)),
                        StatusCode::CONFLICT => $name::Conflict(Json(p)),
                        _ => $name::NotFound(Json(p)),
                    },
                }
            }
        }
    };
}

file_response!(
    JsonFile,
    "application/json",
    "The subject-access document as JSON."
);
file_response!(
    PdfFile,
    "application/pdf",
    "The subject-access document as PDF."
);

/// One field (or a whole row) retention changes.
#[derive(Debug, Object)]
pub struct RetentionChange {
    /// The table, e.g. `tenants`.
    pub table: String,
    pub id: i64,
    /// The column, or `*` when the row is deleted.
    pub field: String,
    /// `null`, `deleted`, or the replacement text (e.g. `Former tenant #12`).
    pub to: String,
}

/// A tenancy retention anonymises (or would, in a dry run).
#[derive(Debug, Object)]
pub struct RetentionTenancy {
    pub reference: String,
    pub closed_on: NaiveDate,
    /// The retention period ended on this date.
    pub due_since: NaiveDate,
    pub changes: Vec<RetentionChange>,
}

/// What retention changes: tenancies closed with a zero balance for longer than the period.
#[derive(Debug, Object)]
#[oai(example)]
pub struct RetentionReport {
    /// False for the dry run: nothing was changed.
    pub applied: bool,
    pub as_of: NaiveDate,
    /// `RETENTION_MONTHS`.
    pub retention_months: u32,
    pub tenancies: Vec<RetentionTenancy>,
}

impl poem_openapi::types::Example for RetentionReport {
    fn example() -> RetentionReport {
        let change = |table: &str, id, field: &str, to: &str| RetentionChange {
            table: table.into(),
            id,
            field: field.into(),
            to: to.into(),
        };
        RetentionReport {
            applied: false,
            as_of: NaiveDate::from_ymd_opt(2026, 11, 29).unwrap_or_default(),
            retention_months: 72,
            tenancies: vec![RetentionTenancy {
                reference: "HD0417".into(),
                closed_on: NaiveDate::from_ymd_opt(2019, 3, 31).unwrap_or_default(),
                due_since: NaiveDate::from_ymd_opt(2025, 3, 31).unwrap_or_default(),
                changes: vec![
                    change("tenancies", 417, "address_line1", "[redacted]"),
                    change("tenants", 802, "full_name", "Former tenant #802"),
                    change("tenants", 802, "mobile", "null"),
                    change("actions", 9120, "body", "[redacted]"),
                    change("devices", 55, "*", "deleted"),
                ],
            }],
        }
    }
}

fn retention_report(
    applied: bool,
    as_of: NaiveDate,
    months: u32,
    list: Vec<rentdesk_store::retention::Candidate>,
) -> RetentionReport {
    RetentionReport {
        applied,
        as_of,
        retention_months: months,
        tenancies: list
            .into_iter()
            .map(|c| RetentionTenancy {
                reference: c.reference,
                closed_on: c.closed_on,
                due_since: c.due_since,
                changes: c
                    .changes
                    .into_iter()
                    .map(|x| RetentionChange {
                        table: x.table.into(),
                        id: x.id,
                        field: x.field.into(),
                        to: x.to,
                    })
                    .collect(),
            })
            .collect(),
    }
}

/// One audit-log entry.
#[derive(Debug, Object)]
pub struct AuditEntryOut {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub actor_kind: ActorKind,
    pub actor_id: Option<String>,
    /// e.g. `action.recorded`, `account.viewed`, `retention.anonymised`
    pub action: String,
    /// tenancy | tenant | arrangement | patch | session | …
    pub subject_kind: String,
    pub subject_id: Option<String>,
    pub detail: Option<String>,
    pub client_addr: Option<String>,
}

impl TryFrom<audit_entry::Model> for AuditEntryOut {
    type Error = UnknownValue;
    fn try_from(e: audit_entry::Model) -> Result<AuditEntryOut, UnknownValue> {
        Ok(AuditEntryOut {
            actor_kind: ActorKind::from_stored(&e.actor_kind, "audit_log", e.id)?,
            id: e.id,
            at: e.at,
            actor_id: e.actor_id,
            action: e.action,
            subject_kind: e.subject_kind,
            subject_id: e.subject_id,
            detail: e.detail,
            client_addr: e.client_addr,
        })
    }
}

/// A page of the audit log, newest first.
#[derive(Debug, Object)]
#[oai(example)]
pub struct AuditPage {
    pub entries: Vec<AuditEntryOut>,
    /// Pass as `cursor` for the next (older) page; absent on the last page.
    pub next_cursor: Option<String>,
}

impl poem_openapi::types::Example for AuditPage {
    fn example() -> AuditPage {
        AuditPage {
            entries: vec![AuditEntryOut {
                id: 5120,
                at: DateTime::from_timestamp(1_795_000_000, 0).unwrap_or_default(),
                actor_kind: ActorKind::Staff,
                actor_id: Some("3".into()),
                action: "action.recorded".into(),
                subject_kind: "tenancy".into(),
                subject_id: Some("42".into()),
                detail: Some("visit 918".into()),
                client_addr: Some("203.0.113.7".into()),
            }],
            next_cursor: Some("5120".into()),
        }
    }
}

/// The tenancy `reference` if the caller may see it; a 404 problem otherwise.
async fn visible_by_reference(
    state: &AppState,
    staff: &staff_user::Model,
    reference: &str,
) -> poem::Result<Result<tenancy::Model, Problem>> {
    let reference = rentdesk_store::auth::normalise_reference(reference);
    let found = tenancy::Entity::find()
        .filter(tenancy::Column::Reference.eq(reference.as_str()))
        .one(&state.db)
        .await
        .map_err(|e| Problem::internal(&e))?;
    let visible = match found {
        Some(t) => rentdesk_store::staff::visible_tenancy(&state.db, staff, t.id, state.today())
            .await
            .map_err(|e| Problem::internal(&e))?,
        None => None,
    };
    Ok(visible.ok_or_else(|| Problem::not_found(&format!("tenancy {reference}"))))
}

/// The export `id` and its tenancy, if the caller may see that tenancy.
async fn visible_export(
    state: &AppState,
    staff: &staff_user::Model,
    id: i64,
) -> poem::Result<Result<(ExportStatus, tenancy::Model), Problem>> {
    let not_found = || Problem::not_found(&format!("export {id}"));
    let Some(export) = rentdesk_store::subject_access::status(&state.db, id)
        .await
        .map_err(|e| Problem::internal(&e))?
    else {
        return Ok(Err(not_found()));
    };
    let t =
        rentdesk_store::staff::visible_tenancy(&state.db, staff, export.tenancy_id, state.today())
            .await
            .map_err(|e| Problem::internal(&e))?;
    Ok(t.map(|t| (export, t)).ok_or_else(not_found))
}

/// A London calendar date from a query parameter.
fn date_param(field: &str, value: Option<&str>) -> Result<Option<NaiveDate>, Problem> {
    value
        .map(|v| rentdesk_domain::time::parse_iso_date(v).map_err(|r| Problem::invalid(field, r)))
        .transpose()
}

async fn record(
    state: &AppState,
    staff_id: i64,
    action: &str,
    subject: (&str, Option<String>),
    detail: Option<String>,
    addr: Option<&str>,
) -> poem::Result<()> {
    audit::record(
        &state.db,
        audit::Entry {
            actor: Actor::Staff(staff_id),
            action,
            subject_kind: subject.0,
            subject_id: subject.1,
            detail,
            client_addr: addr,
        },
    )
    .await
    .map_err(|e| Problem::internal(&e).into())
}

pub struct DataProtectionApi;

#[OpenApi(prefix_path = "/manage/v1", tag = "ApiTags::Manage")]
impl DataProtectionApi {
    /// Request a subject-access export
    ///
    /// Queues a job that gathers everything Rentdesk holds on the tenancy and its tenants
    /// (account, every ledger row, arrangements, case, actions, messages, flags, UC claims,
    /// tasks, devices with their push tokens withheld, app sign-ins, audit entries about them)
    /// into one JSON document and a readable PDF. Poll `status_url`; download from `json_url`
    /// and `pdf_url` once `done`. Audited.
    #[oai(path = "/tenancies/:reference/subject-access", method = "post")]
    async fn request_export(
        &self,
        state: Data<&AppState>,
        remote: &RemoteAddr,
        auth: StaffAuth,
        /// Tenancy reference, e.g. `HD1001`.
        reference: Path<String>,
    ) -> poem::Result<Answer<ExportOut, { ACCEPTED | FORBIDDEN | NOT_FOUND }>> {
        let staff = or_answer!(manager(&state, &auth.0).await?);
        let t = or_answer!(visible_by_reference(&state, &staff, &reference).await?);
        let addr = client_addr(remote);
        let row = rentdesk_store::subject_access::queue(
            &state.db,
            t.id,
            staff.id,
            addr.as_deref(),
            state.now(),
        )
        .await
        .map_err(|e| Problem::internal(&e))?;
        // The export is stored as queued: if the queue is down, the sweep queues it once back.
        rentdesk_jobs::Queues::wake(
            "subject-access-export",
            state.queues.enqueue_subject_access_export(row.id),
        )
        .await;
        let status = rentdesk_store::subject_access::status(&state.db, row.id)
            .await
            .map_err(|e| Problem::internal(&e))?
            .ok_or_else(|| Problem::internal(&"export vanished after insert"))?;
        Ok(Answer::Accepted(Json(export_out(
            status,
            t.reference,
            state.now(),
        )?)))
    }

    /// A subject-access export's status
    #[oai(path = "/exports/:id", method = "get")]
    async fn export_status(
        &self,
        state: Data<&AppState>,
        auth: StaffAuth,
        id: Path<i64>,
    ) -> poem::Result<Answer<ExportOut, { OK | FORBIDDEN | NOT_FOUND }>> {
        let staff = or_answer!(manager(&state, &auth.0).await?);
        let (export, t) = or_answer!(visible_export(&state, &staff, id.0).await?);
        Ok(Answer::Ok(Json(export_out(
            export,
            t.reference,
            state.now(),
        )?)))
    }

    /// Download a subject-access export as JSON
    ///
    /// Every stored field of every record about the tenancy and its tenants. Audited.
    #[oai(path = "/exports/:id/json", method = "get")]
    async fn export_json(
        &self,
        state: Data<&AppState>,
        remote: &RemoteAddr,
        auth: StaffAuth,
        id: Path<i64>,
    ) -> poem::Result<JsonFile> {
        Ok(self
            .download(&state, remote, auth, id.0, false)
            .await?
            .into())
    }

    /// Download a subject-access export as PDF
    ///
    /// The same records, readable and printable. Audited.
    #[oai(path = "/exports/:id/pdf", method = "get")]
    async fn export_pdf(
        &self,
        state: Data<&AppState>,
        remote: &RemoteAddr,
        auth: StaffAuth,
        id: Path<i64>,
    ) -> poem::Result<PdfFile> {
        Ok(self
            .download(&state, remote, auth, id.0, true)
            .await?
            .into())
    }

    /// What retention would anonymise today (dry run)
    ///
    /// Tenancies closed with a zero balance for longer than `RETENTION_MONTHS`, each with
    /// every field and row that would change. Changes nothing. A team leader sees only their
    /// team's tenancies.
    #[oai(path = "/retention/dry-run", method = "get")]
    async fn retention_dry_run(
        &self,
        state: Data<&AppState>,
        remote: &RemoteAddr,
        auth: StaffAuth,
    ) -> poem::Result<Answer<RetentionReport, { OK | FORBIDDEN }>> {
        let staff = or_answer!(manager(&state, &auth.0).await?);
        let today = state.today();
        let policy = state.settings.retention_policy();
        let mut plan = rentdesk_store::retention::plan(&state.db, policy, today)
            .await
            .map_err(|e| Problem::internal(&e))?;
        if let Some(patches) = visible_patches(&state.db, &staff, today)
            .await
            .map_err(|e| Problem::internal(&e))?
        {
            let mine = rentdesk_store::staff::tenancies_in(&state.db, Some(&patches))
                .await
                .map_err(|e| Problem::internal(&e))?;
            plan.retain(|c| mine.contains(&c.tenancy_id));
        }
        record(
            &state,
            staff.id,
            "retention.dry_run",
            ("retention", None),
            Some(format!("{} tenancies", plan.len())),
            client_addr(remote).as_deref(),
        )
        .await?;
        Ok(Answer::Ok(Json(retention_report(
            false,
            today,
            policy.months,
            plan,
        ))))
    }

    /// Run retention now (administrators)
    ///
    /// Anonymises what the dry run lists, the same as the nightly job does, and answers with
    /// what changed. Running it again changes nothing. Each anonymised tenancy is audited.
    #[oai(path = "/retention/run", method = "post")]
    async fn retention_run(
        &self,
        state: Data<&AppState>,
        auth: StaffAuth,
    ) -> poem::Result<Answer<RetentionReport, { OK | FORBIDDEN }>> {
        let staff = or_answer!(admin(&state, &auth.0, "run retention").await?);
        let today = state.today();
        let policy = state.settings.retention_policy();
        let done = rentdesk_store::retention::run(
            &state.db,
            policy,
            today,
            Actor::Staff(staff.id),
            state.now(),
        )
        .await
        .map_err(|e| Problem::internal(&e))?;
        Ok(Answer::Ok(Json(retention_report(
            true,
            today,
            policy.months,
            done,
        ))))
    }

    /// Query the audit log
    ///
    /// Newest first, cursor-paginated. Filters combine: `tenancy` (entries about the tenancy,
    /// its tenants and their plans, and what its tenants did), `staff` (what that member of
    /// staff did), `from`/`to` (Europe/London dates, inclusive). A team leader sees entries
    /// about their team's tenancies and entries made by their team's staff. The log is
    /// append-only: no endpoint changes it, and the database refuses updates and deletes.
    #[oai(path = "/audit", method = "get")]
    #[allow(clippy::too_many_arguments)]
    async fn audit_log(
        &self,
        state: Data<&AppState>,
        remote: &RemoteAddr,
        auth: StaffAuth,
        /// Tenancy reference.
        tenancy: Query<Option<String>>,
        /// Staff member id.
        staff: Query<Option<i64>>,
        /// First date (YYYY-MM-DD), inclusive.
        from: Query<Option<String>>,
        /// Last date (YYYY-MM-DD), inclusive.
        to: Query<Option<String>>,
        /// From the previous page's `next_cursor`.
        cursor: Query<Option<String>>,
        /// 1–500 (default 100).
        #[oai(validator(minimum(value = "1"), maximum(value = "500")))]
        limit: Query<Option<u64>>,
    ) -> poem::Result<Answer<AuditPage, { OK | FORBIDDEN | NOT_FOUND | INVALID }>> {
        let me = or_answer!(manager(&state, &auth.0).await?);
        let from = or_answer!(date_param("from", from.0.as_deref()));
        let to = or_answer!(date_param("to", to.0.as_deref()));
        if let (Some(f), Some(t)) = (from, to)
            && t < f
        {
            return Ok(Answer::problem(Problem::invalid("to", "before from")));
        }
        let before_id = match cursor.0.as_deref() {
            None => None,
            Some(c) => match c.parse::<i64>() {
                Ok(id) if id > 0 => Some(id),
                _ => return Ok(Answer::problem(Problem::invalid("cursor", "not a cursor"))),
            },
        };
        let patches = visible_patches(&state.db, &me, state.today())
            .await
            .map_err(|e| Problem::internal(&e))?;
        let team = match &patches {
            None => None,
            Some(_) => Some(
                audit::team_staff(&state.db, &me)
                    .await
                    .map_err(|e| Problem::internal(&e))?,
            ),
        };
        let mut subject = ("audit_log", None);
        let about = match tenancy.0.as_deref() {
            None => None,
            Some(reference) => {
                let t = or_answer!(visible_by_reference(&state, &me, reference).await?);
                subject = ("tenancy", Some(t.id.to_string()));
                Some(
                    audit::about_tenancy(&state.db, &t)
                        .await
                        .map_err(|e| Problem::internal(&e))?,
                )
            }
        };
        if let (Some(id), Some(team)) = (staff.0, &team)
            && !team.contains(&id)
        {
            return Ok(Answer::problem(Problem::not_found(&format!("staff {id}"))));
        }
        let query = audit::Query {
            about,
            staff_id: staff.0,
            from: from.map(rentdesk_domain::time::london_day_start),
            to: to
                .and_then(|d| d.succ_opt())
                .map(rentdesk_domain::time::london_day_start),
            scope: patches
                .as_ref()
                .map(|p| audit::within_scope(p, team.as_deref().unwrap_or_default())),
            before_id,
            limit: limit.0.unwrap_or(100),
        };
        let (entries, next) = audit::query(&state.db, query)
            .await
            .map_err(|e| Problem::internal(&e))?;
        record(
            &state,
            me.id,
            "audit.queried",
            subject,
            Some(format!(
                "staff={:?} from={from:?} to={to:?} entries={}",
                staff.0,
                entries.len()
            )),
            client_addr(remote).as_deref(),
        )
        .await?;
        Ok(Answer::Ok(Json(AuditPage {
            entries: crate::api::vocab::readable(entries),
            next_cursor: next.map(|id| id.to_string()),
        })))
    }
}

impl DataProtectionApi {
    /// The export's file as (bytes, Content-Disposition), audited; or the problem.
    async fn download(
        &self,
        state: &AppState,
        remote: &RemoteAddr,
        auth: StaffAuth,
        id: i64,
        pdf: bool,
    ) -> poem::Result<Result<(Vec<u8>, String), Problem>> {
        let staff = match manager(state, &auth.0).await? {
            Ok(s) => s,
            Err(p) => return Ok(Err(p)),
        };
        let (status, t) = match visible_export(state, &staff, id).await? {
            Ok(found) => found,
            Err(p) => return Ok(Err(p)),
        };
        if status.status != "done" {
            return Ok(Err(Problem::new(
                StatusCode::CONFLICT,
                "not-ready",
                "The export is not ready",
            )
            .detail(format!("its status is {}", status.status))));
        }
        let row = rentdesk_store::subject_access::get(&state.db, id)
            .await
            .map_err(|e| Problem::internal(&e))?
            .ok_or_else(|| Problem::internal(&"export vanished"))?;
        let ext = if pdf { "pdf" } else { "json" };
        record(
            state,
            staff.id,
            "subject_access.downloaded",
            ("tenancy", Some(t.id.to_string())),
            Some(format!("export {id} {ext}")),
            client_addr(remote).as_deref(),
        )
        .await?;
        let disposition = format!(
            "attachment; filename=\"subject-access-{}-{id}.{ext}\"",
            t.reference
        );
        let bytes = if pdf {
            row.pdf.unwrap_or_default()
        } else {
            row.json.unwrap_or_default().into_bytes()
        };
        Ok(Ok((bytes, disposition)))
    }
}
