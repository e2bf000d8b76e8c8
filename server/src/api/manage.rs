//! `/manage/v1` for administrators: any account by reference, and imports. The caller signs in
//! as staff (`POST /officer/v1/sign-in`) and must hold the admin role; other staff get 403.

use super::ApiTags;
use crate::api::officer::{StaffAuth, admin};
use crate::api::vocab;
use crate::problem::Problem;
use crate::state::AppState;
use chrono::NaiveDate;
use poem::http::StatusCode;
use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::types::multipart::Upload;
use poem_openapi::{ApiResponse, Multipart, Object, OpenApi};
use rentdesk_store::accounts::AccountView;
use rentdesk_store::imports::ImportKind;
use std::str::FromStr;

/// Largest import file accepted through the API (a 100k-row payment file is ~6 MB).
pub const MAX_IMPORT_BYTES: usize = 64 * 1024 * 1024;

/// Compare secrets without leaking how much of them matched through timing.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[derive(Debug, Object)]
#[oai(example)]
pub struct LastPayment {
    pub date: NaiveDate,
    /// Positive pence.
    pub amount_pence: i64,
    pub kind: vocab::TransactionKind,
}

impl poem_openapi::types::Example for LastPayment {
    fn example() -> LastPayment {
        LastPayment {
            date: NaiveDate::from_ymd_opt(2026, 11, 17).unwrap_or_default(),
            amount_pence: 9_850,
            kind: vocab::TransactionKind::Payment,
        }
    }
}

#[derive(Debug, Object)]
pub struct BenefitDue {
    pub date: NaiveDate,
    pub amount_pence: i64,
}

/// A rent account's figures as of a date, computed from the ledger by the domain rules.
#[derive(Debug, Object)]
pub struct AccountSummary {
    pub reference: String,
    pub tenure: vocab::Tenure,
    pub status: vocab::TenancyStatus,
    pub address: String,
    pub postcode: String,
    pub patch: Option<String>,
    pub lead_tenant: Option<String>,
    pub as_of: NaiveDate,
    /// Debit positive: what the tenant owes (negative = in credit).
    pub balance_pence: i64,
    pub arrears_pence: i64,
    /// Arrears that exist only because a UC or HB payment is due but not yet received.
    pub technical_arrears_pence: i64,
    /// Arrears minus technical arrears: what recovery work is about.
    pub real_arrears_pence: i64,
    /// Why part of the arrears is technical, e.g. "Universal Credit housing payment of £495.00 due 28 Nov 2026".
    pub technical_reason: Option<String>,
    /// clear | technical_only | in_arrears
    pub arrears_status: vocab::ArrearsStatus,
    /// Rent plus weekly service charge in a charged week, as in force on the day shown (the
    /// weekly equivalent of a fortnightly, four-weekly or monthly rent: × 12 ÷ 52 for monthly).
    pub weekly_charge_pence: i64,
    /// Real arrears ÷ weekly charge, e.g. "2.35"; absent when nothing is charged weekly.
    pub weeks_in_arrears: Option<String>,
    /// How often rent is payable, as in force on the day shown.
    pub rent_period: vocab::RentPeriod,
    /// Rent plus service charge for one rent period as charged (a month's for a monthly
    /// rent), in force on the day shown.
    pub rent_per_period_pence: i64,
    /// The day that rent took effect, from the rent history (absent without one).
    pub rent_since: Option<NaiveDate>,
    pub last_payment: Option<LastPayment>,
    pub next_charge_date: Option<NaiveDate>,
    pub next_benefit_due: Option<BenefitDue>,
    /// What the tenant's pattern and benefits should have paid in the last 28 days.
    pub expected_last_28_days_pence: i64,
    /// What was paid in the last 28 days.
    pub received_last_28_days_pence: i64,
}

fn hundredths(h: i64) -> String {
    let sign = if h < 0 { "-" } else { "" };
    format!("{sign}{}.{:02}", h.abs() / 100, h.abs() % 100)
}

impl TryFrom<AccountView> for AccountSummary {
    type Error = vocab::UnknownValue;
    fn try_from(v: AccountView) -> Result<AccountSummary, vocab::UnknownValue> {
        let s = v.summary;
        let t = v.tenancy;
        let address = [
            Some(t.address_line1.as_str()),
            t.address_line2.as_deref(),
            Some(t.town.as_str()),
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(", ");
        Ok(AccountSummary {
            tenure: vocab::Tenure::from_stored(&t.tenure, "tenancies", t.id)?,
            status: vocab::TenancyStatus::from_stored(&t.status, "tenancies", t.id)?,
            reference: t.reference,
            address,
            postcode: t.postcode,
            patch: v.patch.map(|p| p.code),
            lead_tenant: v.lead_tenant.map(|p| p.full_name),
            as_of: s.as_of,
            balance_pence: s.balance.0,
            arrears_pence: s.arrears.0,
            technical_arrears_pence: s.technical_arrears.0,
            real_arrears_pence: s.real_arrears.0,
            technical_reason: s.technical_reason,
            arrears_status: s.status.into(),
            weekly_charge_pence: s.weekly_charge.0,
            weeks_in_arrears: s.weeks_in_arrears_hundredths.map(hundredths),
            rent_period: v.rent.period.into(),
            rent_per_period_pence: v.rent.charge().0,
            rent_since: v.rent_since,
            last_payment: s.last_payment.map(|p| LastPayment {
                date: p.date,
                amount_pence: p.amount.0,
                kind: p.kind.into(),
            }),
            next_charge_date: s.next_charge_date,
            next_benefit_due: s.next_benefit_due.map(|(date, amount)| BenefitDue {
                date,
                amount_pence: amount.0,
            }),
            expected_last_28_days_pence: s.expected_last_28_days.0,
            received_last_28_days_pence: s.received_last_28_days.0,
        })
    }
}

#[derive(ApiResponse)]
pub enum AccountResponse {
    #[oai(status = 200)]
    Ok(Json<Box<AccountSummary>>),
    /// Signed out, or the account was deactivated.
    #[oai(status = 401, content_type = "application/problem+json")]
    Unauthorized(Json<Problem>),
    /// Signed in, but not an administrator.
    #[oai(status = 403, content_type = "application/problem+json")]
    Forbidden(Json<Problem>),
    /// No tenancy has that reference.
    #[oai(status = 404, content_type = "application/problem+json")]
    NotFound(Json<Problem>),
    /// A query parameter is invalid.
    #[oai(status = 422, content_type = "application/problem+json")]
    Invalid(Json<Problem>),
}

#[derive(Debug, Multipart)]
pub struct ImportUpload {
    /// `tenancies` or `transactions` (formats in the README).
    pub kind: String,
    /// The CSV file.
    pub file: Upload,
}

/// An import batch and, once it has run, its outcome.
#[derive(Debug, Object)]
pub struct ImportBatch {
    pub id: i64,
    pub kind: vocab::ImportKind,
    pub filename: String,
    pub status: vocab::ImportBatchStatus,
    pub rows_total: i64,
    /// New or changed rows written.
    pub rows_written: i64,
    /// Rows already stored exactly so (re-imports change nothing).
    pub rows_unchanged: i64,
    /// Every bad row (up to 1000): line, column and reason. A rejected file imports nothing.
    pub errors: Vec<ImportRowError>,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub finished_at: Option<chrono::DateTime<chrono::Utc>>,
    /// While queued or running, since when (null once finished).
    pub queued_since: Option<chrono::DateTime<chrono::Utc>>,
    /// Still queued with nothing moving for 5 minutes: the worker's sweep queues it again; if
    /// this stays true, the workers are down or cannot reach the database.
    pub stuck: bool,
}

#[derive(Debug, Object, serde::Deserialize)]
pub struct ImportRowError {
    pub line: u64,
    pub column: String,
    pub reason: String,
}

/// A batch as read at `now` (whether it is stuck depends on when it is looked at).
impl
    TryFrom<(
        rentdesk_store::entities::import_batch::Model,
        chrono::DateTime<chrono::Utc>,
    )> for ImportBatch
{
    type Error = vocab::UnknownValue;
    fn try_from(
        (b, now): (
            rentdesk_store::entities::import_batch::Model,
            chrono::DateTime<chrono::Utc>,
        ),
    ) -> Result<ImportBatch, vocab::UnknownValue> {
        Ok(ImportBatch {
            queued_since: rentdesk_store::sweep::import_pending_since(&b),
            stuck: rentdesk_store::sweep::import_stuck(&b, now),
            kind: vocab::ImportKind::from_stored(&b.kind, "import_batches", b.id)?,
            status: vocab::ImportBatchStatus::from_stored(&b.status, "import_batches", b.id)?,
            id: b.id,
            filename: b.filename,
            rows_total: b.rows_total,
            rows_written: b.rows_inserted,
            rows_unchanged: b.rows_unchanged,
            errors: b
                .errors
                .as_deref()
                .and_then(|e| serde_json::from_str(e).ok())
                .unwrap_or_default(),
            created_at: b.created_at,
            finished_at: b.finished_at,
        })
    }
}

#[derive(ApiResponse)]
pub enum ImportQueued {
    /// Stored and queued; poll the `Location` for the outcome.
    #[oai(status = 202)]
    Accepted(Json<ImportBatch>, #[oai(header = "Location")] String),
    /// Signed out, or the account was deactivated.
    #[oai(status = 401, content_type = "application/problem+json")]
    Unauthorized(Json<Problem>),
    /// Signed in, but not an administrator.
    #[oai(status = 403, content_type = "application/problem+json")]
    Forbidden(Json<Problem>),
    #[oai(status = 422, content_type = "application/problem+json")]
    Invalid(Json<Problem>),
}

#[derive(ApiResponse)]
pub enum ImportStatus {
    #[oai(status = 200)]
    Ok(Json<ImportBatch>),
    /// Signed out, or the account was deactivated.
    #[oai(status = 401, content_type = "application/problem+json")]
    Unauthorized(Json<Problem>),
    /// Signed in, but not an administrator.
    #[oai(status = 403, content_type = "application/problem+json")]
    Forbidden(Json<Problem>),
    #[oai(status = 404, content_type = "application/problem+json")]
    NotFound(Json<Problem>),
}

/// The caller is an administrator, or the answer that refuses them (401 or 403).
macro_rules! admin_or {
    ($answer:ident, $state:expr, $auth:expr, $what:expr) => {
        match admin($state, &$auth.0, $what).await? {
            Ok(s) => s,
            Err(p) if p.status_code() == StatusCode::UNAUTHORIZED => {
                return Ok($answer::Unauthorized(Json(p)));
            }
            Err(p) => return Ok($answer::Forbidden(Json(p))),
        }
    };
}

pub struct ManageApi;

#[OpenApi(prefix_path = "/manage/v1", tag = "ApiTags::Manage")]
impl ManageApi {
    /// A rent account's summary
    ///
    /// Balance, arrears in pounds and weeks, technical arrears (a UC or HB payment due but not
    /// yet received) apart from real arrears, last payment, expected versus received, next
    /// charge. Computed from the ledger as of `as_of` (default: today in Europe/London).
    #[oai(path = "/tenancies/:reference/account", method = "get")]
    async fn account(
        &self,
        state: Data<&AppState>,
        auth: StaffAuth,
        /// Tenancy reference, e.g. `T000042`.
        reference: Path<String>,
        /// Compute as of this date (YYYY-MM-DD); default today.
        as_of: Query<Option<String>>,
    ) -> poem::Result<AccountResponse> {
        admin_or!(
            AccountResponse,
            &state,
            auth,
            "read any account by reference"
        );
        let today = match as_of
            .0
            .as_deref()
            .map(rentdesk_domain::time::parse_iso_date)
        {
            None => state.today(),
            Some(Ok(d)) => d,
            Some(Err(reason)) => {
                return Ok(AccountResponse::Invalid(Json(Problem::invalid(
                    "as_of", reason,
                ))));
            }
        };
        match rentdesk_store::accounts::account_by_reference(&state.db, &reference, today).await {
            Ok(Some(view)) => Ok(AccountResponse::Ok(Json(Box::new(vocab::one(view)?)))),
            Ok(None) => Ok(AccountResponse::NotFound(Json(Problem::not_found(
                &format!("tenancy {}", reference.0),
            )))),
            Err(e) => Err(Problem::internal(&e).into()),
        }
    }

    /// Upload an import file
    ///
    /// Multipart form with `kind` (`tenancies`, `transactions`, `flags`, `history`,
    /// `arrangements`, `uc_claims`: Universal Credit claims as DWP and the landlord portal give
    /// them, `rent_changes`: the rent and service charge by effective date and rent period, or
    /// `stages`: case stages, each recorded as the officer's step on its day) and
    /// `file` (CSV). The file is stored and imported by the worker; the answer's
    /// `Location` shows the outcome. A file with any bad row imports nothing and lists every bad
    /// row.
    #[oai(path = "/imports", method = "post")]
    async fn upload_import(
        &self,
        state: Data<&AppState>,
        auth: StaffAuth,
        form: ImportUpload,
    ) -> poem::Result<ImportQueued> {
        admin_or!(ImportQueued, &state, auth, "import files");
        let kind = match ImportKind::from_str(&form.kind) {
            Ok(k) => k,
            Err(reason) => {
                return Ok(ImportQueued::Invalid(Json(Problem::invalid(
                    "kind", reason,
                ))));
            }
        };
        if form.file.size() > MAX_IMPORT_BYTES {
            return Ok(ImportQueued::Invalid(Json(Problem::invalid(
                "file",
                format!("larger than {MAX_IMPORT_BYTES} bytes"),
            ))));
        }
        let filename = form.file.file_name().unwrap_or("upload.csv").to_owned();
        let content = form
            .file
            .into_vec()
            .await
            .map_err(|e| Problem::internal(&e))?;
        if content.is_empty() {
            return Ok(ImportQueued::Invalid(Json(Problem::invalid(
                "file", "empty",
            ))));
        }
        let id =
            rentdesk_store::imports::queue_upload(&state.db, kind, &filename, content, state.now())
                .await
                .map_err(|e| Problem::internal(&e))?;
        // The batch is stored as queued: if the queue is down, the sweep queues it once back.
        rentdesk_jobs::Queues::wake("import", state.queues.enqueue_import(id)).await;
        let batch = rentdesk_store::imports::batch(&state.db, id)
            .await
            .map_err(|e| Problem::internal(&e))?
            .ok_or_else(|| Problem::internal(&"batch vanished after insert"))?;
        Ok(ImportQueued::Accepted(
            Json(vocab::one((batch, state.now()))?),
            format!("/manage/v1/imports/{id}"),
        ))
    }

    /// An import's status and outcome
    #[oai(path = "/imports/:id", method = "get")]
    async fn import_status(
        &self,
        state: Data<&AppState>,
        auth: StaffAuth,
        id: Path<i64>,
    ) -> poem::Result<ImportStatus> {
        admin_or!(ImportStatus, &state, auth, "see imports");
        match rentdesk_store::imports::batch(&state.db, id.0).await {
            Ok(Some(b)) => Ok(ImportStatus::Ok(Json(vocab::one((b, state.now()))?))),
            Ok(None) => Ok(ImportStatus::NotFound(Json(Problem::not_found(&format!(
                "import {}",
                id.0
            ))))),
            Err(e) => Err(Problem::internal(&e).into()),
        }
    }
}
