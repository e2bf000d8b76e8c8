//! CSV imports from a housing-management system (tenancies, flags, arrangements, UC claims,
//! contact history, case stages) and payment files (transactions).
//!
//! Two passes over the file, both streaming, so a 100k-row file never sits in memory:
//! 1. validate every row (format, known tenancy, duplicate reference with different content)
//!    and collect every bad row with its line, column and reason;
//! 2. only if there were none, write everything inside one database transaction. Case stages
//!    are judged again there, each on the steps before it (`stages`): a step the rules refuse
//!    is a bad row too, and the transaction is rolled back.
//!
//! So a file with a bad row imports nothing, and a file imported twice changes nothing: a
//! transaction whose `external_ref` is already stored with the same content is left alone.

mod arrangements;
mod flags;
mod history;
mod rent_changes;
mod stages;
mod uc_claims;

use crate::entities::{import_batch, patch, tenancy, tenant, transaction};
use crate::facts::{format_week_list, parse_week_list};
pub use crate::possession::StepPolicy;
use crate::vocab::ImportBatchStatus;
use chrono::{NaiveDate, Utc};
use rentdesk_domain::Pence;
use rentdesk_domain::contact::{EmailAddress, MobileNumber, Postcode};
use rentdesk_domain::ledger::PaymentMethod;
use rentdesk_domain::ledger::TransactionKind;
use rentdesk_domain::rent::RentPeriod;
use rentdesk_domain::tenancy::{Frequency, ServiceChargeFrequency, Tenure};
use sea_orm::ActiveEnum;
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QuerySelect, Set,
};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use std::io::Read;
use std::path::PathBuf;
use std::str::FromStr;

/// At most this many bad rows are listed (all are counted).
pub const MAX_LISTED_ERRORS: usize = 1000;
const CHUNK: usize = 1000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ImportKind {
    Tenancies,
    Transactions,
    Flags,
    History,
    Arrangements,
    UcClaims,
    RentChanges,
    Stages,
}

impl ImportKind {
    /// Every kind, in the order a folder is imported: each after the kinds it refers to
    /// (tenancies first; arrangements after the transactions their arrears are read from; a
    /// new kind goes where what it names has come in).
    pub const ALL: &'static [ImportKind] = &[
        ImportKind::Tenancies,
        ImportKind::Transactions,
        ImportKind::Flags,
        ImportKind::History,
        ImportKind::Arrangements,
        ImportKind::UcClaims,
        // Before the stages: a step's figures use the rent in force on its day.
        ImportKind::RentChanges,
        // Last: each step is judged on the arrears, flags, contact, arrangements and claims
        // on its day.
        ImportKind::Stages,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ImportKind::Tenancies => "tenancies",
            ImportKind::Transactions => "transactions",
            ImportKind::Flags => "flags",
            ImportKind::History => "history",
            ImportKind::Arrangements => "arrangements",
            ImportKind::UcClaims => "uc_claims",
            ImportKind::RentChanges => "rent_changes",
            ImportKind::Stages => "stages",
        }
    }
}

impl FromStr for ImportKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        ImportKind::ALL
            .iter()
            .copied()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| {
                let all: Vec<&str> = ImportKind::ALL.iter().map(|k| k.as_str()).collect();
                format!(
                    "unknown import kind {s:?}; expected one of {}",
                    all.join(", ")
                )
            })
    }
}

/// Where the CSV comes from; it is read twice, so it must be reopenable.
pub enum ImportSource {
    File(PathBuf),
    Bytes(Vec<u8>),
}

impl ImportSource {
    fn open(&self) -> std::io::Result<Box<dyn Read + Send + '_>> {
        Ok(match self {
            ImportSource::File(path) => Box::new(std::fs::File::open(path)?),
            ImportSource::Bytes(bytes) => Box::new(bytes.as_slice()),
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RowError {
    /// 1-based line in the file (the header is line 1).
    pub line: u64,
    pub column: String,
    pub reason: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportOutcome {
    pub batch_id: i64,
    /// succeeded | rejected
    pub status: String,
    pub rows_total: u64,
    pub rows_inserted: u64,
    pub rows_updated: u64,
    pub rows_unchanged: u64,
    pub errors_total: u64,
    pub errors: Vec<RowError>,
    /// Tenancies whose data changed: evaluate them next.
    pub affected_tenancy_ids: Vec<i64>,
}

#[derive(Debug, thiserror::Error)]
pub enum ImportFailure {
    #[error("cannot read the file: {0}")]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Db(#[from] sea_orm::DbErr),
    /// A folder that cannot be imported as it is (a misnamed file, no import files).
    #[error("{0}")]
    Folder(String),
}

/// Errors collected while validating; keeps the first `MAX_LISTED_ERRORS`.
#[derive(Default)]
struct Errors {
    listed: Vec<RowError>,
    total: u64,
}

impl Errors {
    fn push(&mut self, line: u64, column: &str, reason: impl Into<String>) {
        self.total += 1;
        if self.listed.len() < MAX_LISTED_ERRORS {
            self.listed.push(RowError {
                line,
                column: column.to_owned(),
                reason: reason.into(),
            });
        }
    }
}

/// A CSV reader that knows which header names are where.
struct Table<'a> {
    reader: csv::Reader<Box<dyn Read + Send + 'a>>,
    columns: HashMap<String, usize>,
}

impl<'a> Table<'a> {
    fn open(
        source: &'a ImportSource,
        required: &[&str],
        optional: &[&str],
        errors: &mut Errors,
    ) -> Result<Table<'a>, ImportFailure> {
        let mut reader = csv::ReaderBuilder::new()
            .trim(csv::Trim::All)
            .flexible(true)
            .from_reader(source.open()?);
        let headers = match reader.headers() {
            Ok(h) => h.clone(),
            Err(e) => {
                errors.push(1, "", format!("cannot read the header row: {e}"));
                csv::StringRecord::new()
            }
        };
        let mut columns = HashMap::new();
        for (i, name) in headers.iter().enumerate() {
            let name = name.trim_start_matches('\u{feff}').to_ascii_lowercase();
            if !required.contains(&name.as_str()) && !optional.contains(&name.as_str()) {
                errors.push(1, &name, "unknown column");
            } else if columns.insert(name.clone(), i).is_some() {
                errors.push(1, &name, "column appears twice");
            }
        }
        for name in required {
            if !columns.contains_key(*name) {
                errors.push(1, name, "missing column");
            }
        }
        Ok(Table { reader, columns })
    }
}

struct Row<'r> {
    line: u64,
    record: &'r csv::StringRecord,
    columns: &'r HashMap<String, usize>,
}

impl Row<'_> {
    fn get(&self, column: &str) -> Option<&str> {
        self.columns
            .get(column)
            .and_then(|&i| self.record.get(i))
            .filter(|v| !v.is_empty())
    }

    fn required(&self, column: &str, errors: &mut Errors) -> Option<&str> {
        let v = self.get(column);
        if v.is_none() {
            errors.push(self.line, column, "required");
        }
        v
    }

    /// Parse an optional value; an empty cell is `None`, a bad one is an error.
    fn parse<T>(
        &self,
        column: &str,
        errors: &mut Errors,
        f: impl FnOnce(&str) -> Result<T, String>,
    ) -> Result<Option<T>, ()> {
        match self.get(column) {
            None => Ok(None),
            Some(v) => f(v)
                .map(Some)
                .map_err(|reason| errors.push(self.line, column, reason)),
        }
    }

    fn parse_required<T>(
        &self,
        column: &str,
        errors: &mut Errors,
        f: impl FnOnce(&str) -> Result<T, String>,
    ) -> Result<T, ()> {
        match self.required(column, errors) {
            None => Err(()),
            Some(v) => f(v).map_err(|reason| errors.push(self.line, column, reason)),
        }
    }
}

pub fn parse_date(s: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(s, "%d/%m/%Y"))
        .map_err(|_| format!("{s:?} is not a date (YYYY-MM-DD or DD/MM/YYYY)"))
}

fn parse_amount(s: &str) -> Result<Pence, String> {
    Pence::parse_pounds(s).map_err(|e| e.to_string())
}

/// An amount a rent account can hold: issue 15's `92233720368547758.07` imported, and every
/// later sum over that account overflowed. The append-only ledger cannot be repaired, so the
/// bound is here, at the edge (`MAX_ROW_AMOUNT_PENCE`).
fn parse_bounded_amount(s: &str, max_amount: Pence) -> Result<Pence, String> {
    parse_amount(s)?
        .bounded(max_amount)
        .map_err(|e| e.to_string())
}

fn parse_bool(s: &str) -> Result<bool, String> {
    match s.to_ascii_lowercase().as_str() {
        "true" | "yes" | "y" | "1" => Ok(true),
        "false" | "no" | "n" | "0" => Ok(false),
        _ => Err(format!("{s:?} is not yes/no (true/false)")),
    }
}

fn parse_enum<T: FromStr>(s: &str) -> Result<T, String>
where
    T::Err: std::fmt::Display,
{
    T::from_str(s).map_err(|e| e.to_string())
}

fn parse_coordinate(s: &str, range: f64) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() && v.abs() <= range => Ok(v),
        _ => Err(format!("{s:?} is not a coordinate in decimal degrees")),
    }
}

// ------------------------------------------------------------------------------------------
// Batches

/// Create the batch row that records this import, before any data is written.
async fn open_batch(
    db: &DatabaseConnection,
    kind: ImportKind,
    filename: &str,
    source: &str,
    content: Option<Vec<u8>>,
    status: ImportBatchStatus,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<i64, sea_orm::DbErr> {
    let row = import_batch::ActiveModel {
        kind: Set(kind.as_str().to_owned()),
        filename: Set(filename.to_owned()),
        status: Set(status.into()),
        content: Set(content),
        rows_total: Set(0),
        rows_inserted: Set(0),
        rows_unchanged: Set(0),
        errors: Set(None),
        source: Set(Some(source.to_owned())),
        created_at: Set(now),
        finished_at: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(row.id)
}

/// Record a run's outcome in its batch, unless the batch has already finished: the same batch
/// can run twice at once (its job delivered again while the first run was still going, e.g. a
/// long import whose worker was taken for dead), and then the run that finishes second must not
/// overwrite the first one's outcome (a `failed` from a key clash, or a `succeeded` counting
/// every row as unchanged). Returns whether this run closed the batch.
async fn close_batch<C: ConnectionTrait>(
    db: &C,
    outcome: &ImportOutcome,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<bool, sea_orm::DbErr> {
    use sea_orm::sea_query::Expr;
    let errors = if outcome.errors.is_empty() {
        None
    } else {
        Some(serde_json::to_string(&outcome.errors).unwrap_or_default())
    };
    // A status outside the list is our bug: refused here, not stored.
    let status: crate::vocab::Stored<ImportBatchStatus> =
        ImportBatchStatus::try_from_value(&outcome.status)?.into();
    let open: Vec<crate::vocab::Stored<ImportBatchStatus>> = vec![
        ImportBatchStatus::Queued.into(),
        ImportBatchStatus::Running.into(),
    ];
    let closed = import_batch::Entity::update_many()
        .col_expr(import_batch::Column::Status, Expr::value(status))
        .col_expr(
            import_batch::Column::RowsTotal,
            Expr::value(outcome.rows_total as i64),
        )
        .col_expr(
            import_batch::Column::RowsInserted,
            Expr::value((outcome.rows_inserted + outcome.rows_updated) as i64),
        )
        .col_expr(
            import_batch::Column::RowsUnchanged,
            Expr::value(outcome.rows_unchanged as i64),
        )
        .col_expr(import_batch::Column::Errors, Expr::value(errors))
        .col_expr(import_batch::Column::FinishedAt, Expr::value(Some(now)))
        .filter(import_batch::Column::Id.eq(outcome.batch_id))
        .filter(import_batch::Column::Status.is_in(open))
        .exec(db)
        .await?;
    Ok(closed.rows_affected == 1)
}

/// The outcome another run of the same batch recorded (see [`close_batch`]): what this run
/// reports instead of its own, which it did not keep.
async fn recorded_outcome<C: ConnectionTrait>(
    db: &C,
    batch_id: i64,
) -> Result<ImportOutcome, sea_orm::DbErr> {
    let batch = import_batch::Entity::find_by_id(batch_id)
        .one(db)
        .await?
        .ok_or_else(|| sea_orm::DbErr::RecordNotFound(format!("import batch {batch_id}")))?;
    let errors: Vec<RowError> = batch
        .errors
        .as_deref()
        .and_then(|e| serde_json::from_str(e).ok())
        .unwrap_or_default();
    Ok(ImportOutcome {
        batch_id,
        status: batch.status.as_str().to_owned(),
        rows_total: batch.rows_total.max(0) as u64,
        rows_inserted: batch.rows_inserted.max(0) as u64,
        rows_updated: 0,
        rows_unchanged: batch.rows_unchanged.max(0) as u64,
        errors_total: errors.len() as u64,
        errors,
        // The run that recorded it has them evaluated.
        affected_tenancy_ids: vec![],
    })
}

/// Store an uploaded file as a queued batch (the API's path; a job then runs it).
pub async fn queue_upload(
    db: &DatabaseConnection,
    kind: ImportKind,
    filename: &str,
    content: Vec<u8>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<i64, sea_orm::DbErr> {
    open_batch(
        db,
        kind,
        filename,
        "api",
        Some(content),
        ImportBatchStatus::Queued,
        now,
    )
    .await
}

pub async fn batch(
    db: &DatabaseConnection,
    id: i64,
) -> Result<Option<import_batch::Model>, sea_orm::DbErr> {
    import_batch::Entity::find_by_id(id)
        .select_only()
        .columns([
            import_batch::Column::Id,
            import_batch::Column::Kind,
            import_batch::Column::Filename,
            import_batch::Column::Status,
            import_batch::Column::RowsTotal,
            import_batch::Column::RowsInserted,
            import_batch::Column::RowsUnchanged,
            import_batch::Column::Errors,
            import_batch::Column::Source,
            import_batch::Column::CreatedAt,
            import_batch::Column::FinishedAt,
            import_batch::Column::QueuedAt,
        ])
        .column_as(
            sea_orm::sea_query::Expr::value(Option::<Vec<u8>>::None),
            "content",
        )
        .one(db)
        .await
}

/// What a folder of import files holds, in the order they are imported ([`ImportKind::ALL`]):
/// `KIND.csv` for each kind present. Any other `.csv` file is an error (a misnamed file would
/// otherwise be left out without a word), and so is a folder with none.
pub fn folder_files(dir: &std::path::Path) -> Result<Vec<(ImportKind, PathBuf)>, String> {
    let entries =
        std::fs::read_dir(dir).map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
    let mut found = HashMap::new();
    let mut unknown = vec![];
    for entry in entries {
        let path = entry.map_err(|e| e.to_string())?.path();
        let is_csv = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("csv"));
        if !is_csv {
            continue;
        }
        let stem = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default()
            .to_ascii_lowercase();
        match ImportKind::from_str(&stem) {
            Ok(kind) => {
                found.insert(kind.as_str(), (kind, path));
            }
            Err(_) => unknown.push(path.display().to_string()),
        }
    }
    if !unknown.is_empty() {
        unknown.sort();
        let names: Vec<String> = ImportKind::ALL
            .iter()
            .map(|k| format!("{}.csv", k.as_str()))
            .collect();
        return Err(format!(
            "not an import file name (expected {}): {}",
            names.join(", "),
            unknown.join(", ")
        ));
    }
    let files: Vec<(ImportKind, PathBuf)> = ImportKind::ALL
        .iter()
        .filter_map(|k| found.remove(k.as_str()))
        .collect();
    if files.is_empty() {
        return Err(format!("no import files in {}", dir.display()));
    }
    Ok(files)
}

/// One file of a folder import and how it went.
#[derive(Debug, Clone)]
pub struct FolderFile {
    pub kind: ImportKind,
    pub path: PathBuf,
    /// `None`: not tried, because an earlier file was rejected.
    pub outcome: Option<ImportOutcome>,
}

/// Import a folder ([`folder_files`]) in dependency order, each file all-or-nothing in its own
/// transaction. At the first file that is not imported the rest are not tried (they may refer
/// to what it holds); files already imported stay.
pub async fn import_folder(
    db: &DatabaseConnection,
    dir: &std::path::Path,
    today: NaiveDate,
    policy: &StepPolicy<'_>,
    mut each: impl FnMut(&FolderFile),
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Vec<FolderFile>, ImportFailure> {
    let files = folder_files(dir).map_err(ImportFailure::Folder)?;
    let mut out = Vec::with_capacity(files.len());
    let mut stopped = false;
    for (kind, path) in files {
        let outcome = if stopped {
            None
        } else {
            let o = import_file(db, kind, path.clone(), today, policy, now).await?;
            stopped = o.status != "succeeded";
            Some(o)
        };
        let file = FolderFile {
            kind,
            path,
            outcome,
        };
        each(&file);
        out.push(file);
    }
    Ok(out)
}

/// Run an import from a file (the CLI's path).
/// `policy.max_row_amount` bounds every amount in the file (`MAX_ROW_AMOUNT_PENCE`); the rest of
/// the policy is what a case stage is recorded with (as an officer's step is).
pub async fn import_file(
    db: &DatabaseConnection,
    kind: ImportKind,
    path: PathBuf,
    today: NaiveDate,
    policy: &StepPolicy<'_>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<ImportOutcome, ImportFailure> {
    let filename = path.display().to_string();
    let batch_id = open_batch(
        db,
        kind,
        &filename,
        "cli",
        None,
        ImportBatchStatus::Running,
        now,
    )
    .await?;
    run(
        db,
        kind,
        batch_id,
        &ImportSource::File(path),
        today,
        policy,
        now,
    )
    .await
}

/// Run the import stored in `import_batches` row `batch_id` (uploaded through the API). A batch
/// that already finished is not run again, so a retried job is harmless.
pub async fn run_stored_batch(
    db: &DatabaseConnection,
    batch_id: i64,
    today: NaiveDate,
    policy: &StepPolicy<'_>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Option<ImportOutcome>, ImportFailure> {
    let Some(batch) = import_batch::Entity::find_by_id(batch_id).one(db).await? else {
        return Ok(None);
    };
    if !matches!(batch.status.as_str(), "queued" | "running") {
        return Ok(None);
    }
    let kind = ImportKind::from_str(&batch.kind).map_err(sea_orm::DbErr::Custom)?;
    let content = batch.content.unwrap_or_default();
    run(
        db,
        kind,
        batch_id,
        &ImportSource::Bytes(content),
        today,
        policy,
        now,
    )
    .await
    .map(Some)
}

async fn run(
    db: &DatabaseConnection,
    kind: ImportKind,
    batch_id: i64,
    source: &ImportSource,
    today: NaiveDate,
    policy: &StepPolicy<'_>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<ImportOutcome, ImportFailure> {
    let max_amount = policy.max_row_amount;
    let result = match kind {
        ImportKind::Tenancies => import_tenancies(db, batch_id, source, max_amount, now).await,
        ImportKind::Transactions => {
            import_transactions(db, batch_id, source, today, max_amount, now).await
        }
        ImportKind::Flags => flags::import(db, batch_id, source, today, now).await,
        ImportKind::History => history::import(db, batch_id, source, now).await,
        ImportKind::Arrangements => {
            arrangements::import(db, batch_id, source, today, max_amount, now).await
        }
        ImportKind::UcClaims => {
            uc_claims::import(db, batch_id, source, today, max_amount, now).await
        }
        ImportKind::RentChanges => {
            rent_changes::import(db, batch_id, source, today, max_amount, now).await
        }
        ImportKind::Stages => stages::import(db, batch_id, source, policy, now).await,
    };
    match result {
        Ok(outcome) => {
            if outcome.status == "rejected" {
                close_batch(db, &outcome, now).await?;
            }
            Ok(outcome)
        }
        Err(e) => {
            let failed = ImportOutcome {
                batch_id,
                status: "failed".into(),
                errors: vec![RowError {
                    line: 0,
                    column: String::new(),
                    reason: e.to_string(),
                }],
                errors_total: 1,
                ..Default::default()
            };
            close_batch(db, &failed, now).await?;
            Err(e)
        }
    }
}

/// A file that imported: its outcome recorded in its batch, in the file's own transaction,
/// which is then committed. `affected`: the tenancies whose data changed.
async fn succeeded(
    txn: sea_orm::DatabaseTransaction,
    batch_id: i64,
    rows_total: u64,
    inserted: u64,
    updated: u64,
    affected: HashSet<i64>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<ImportOutcome, ImportFailure> {
    let mut affected: Vec<i64> = affected.into_iter().collect();
    affected.sort_unstable();
    let outcome = ImportOutcome {
        batch_id,
        status: "succeeded".into(),
        rows_total,
        rows_inserted: inserted,
        rows_updated: updated,
        rows_unchanged: rows_total.saturating_sub(inserted + updated),
        errors_total: 0,
        errors: vec![],
        affected_tenancy_ids: affected,
    };
    if !close_batch(&txn, &outcome, now).await? {
        // Another run of this batch finished first: keep its outcome, and nothing of this one.
        // (Read before rolling back: the other run's commit is what made this update miss.)
        let recorded = recorded_outcome(&txn, batch_id).await?;
        txn.rollback().await?;
        return Ok(recorded);
    }
    txn.commit().await?;
    Ok(outcome)
}

fn rejected(batch_id: i64, rows_total: u64, errors: Errors) -> ImportOutcome {
    ImportOutcome {
        batch_id,
        status: "rejected".into(),
        rows_total,
        errors_total: errors.total,
        errors: errors.listed,
        ..Default::default()
    }
}

// ------------------------------------------------------------------------------------------
// Transactions

pub const TRANSACTION_COLUMNS: &[&str] = &[
    "external_ref",
    "tenancy_reference",
    "posted_on",
    "kind",
    "amount",
];
pub const TRANSACTION_OPTIONAL: &[&str] = &["method", "description"];

#[derive(Debug, Clone, PartialEq, Eq)]
struct TxRow {
    line: u64,
    external_ref: String,
    tenancy_reference: String,
    posted_on: NaiveDate,
    kind: TransactionKind,
    amount: Pence,
    method: Option<PaymentMethod>,
    description: Option<String>,
}

impl TxRow {
    /// What must match for a re-imported reference to count as the same transaction.
    fn same_as_stored(&self, tenancy_id: i64, stored: &StoredTx) -> bool {
        stored.0 == tenancy_id
            && stored.1 == self.posted_on
            && stored.2 == self.kind.as_str()
            && stored.3 == self.amount.0
            && stored.4.as_deref() == self.method.map(PaymentMethod::as_str)
    }
}

type StoredTx = (i64, NaiveDate, String, i64, Option<String>);

fn parse_tx_row(
    row: &Row<'_>,
    errors: &mut Errors,
    today: NaiveDate,
    max_amount: Pence,
) -> Option<TxRow> {
    let external_ref = row.required("external_ref", errors).map(str::to_owned);
    let tenancy_reference = row.required("tenancy_reference", errors).map(str::to_owned);
    let posted_on = row.parse_required("posted_on", errors, |s| {
        let d = parse_date(s)?;
        if d > today {
            Err(format!("{d} is in the future"))
        } else {
            Ok(d)
        }
    });
    let kind = row.parse_required("kind", errors, parse_enum::<TransactionKind>);
    let amount = row.parse_required("amount", errors, |s| parse_bounded_amount(s, max_amount));
    let method = row.parse("method", errors, parse_enum::<PaymentMethod>);
    let description = row.get("description").map(str::to_owned);
    if let (Ok(kind), Ok(amount)) = (&kind, &amount)
        && let Err(reason) = kind.check_sign(*amount)
    {
        errors.push(row.line, "amount", reason);
        return None;
    }
    Some(TxRow {
        line: row.line,
        external_ref: external_ref?,
        tenancy_reference: tenancy_reference?,
        posted_on: posted_on.ok()?,
        kind: kind.ok()?,
        amount: amount.ok()?,
        method: method.ok()?,
        description,
    })
}

/// Tenancy reference → id, looked up a chunk at a time and remembered.
#[derive(Default)]
struct TenancyIds(HashMap<String, Option<i64>>);

impl TenancyIds {
    async fn resolve<C: ConnectionTrait>(
        &mut self,
        db: &C,
        refs: impl Iterator<Item = &String>,
    ) -> Result<(), sea_orm::DbErr> {
        let missing: Vec<String> = refs
            .filter(|r| !self.0.contains_key(*r))
            .cloned()
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        if missing.is_empty() {
            return Ok(());
        }
        let found: Vec<(i64, String)> = tenancy::Entity::find()
            .select_only()
            .columns([tenancy::Column::Id, tenancy::Column::Reference])
            .filter(tenancy::Column::Reference.is_in(missing.iter().cloned()))
            .into_tuple()
            .all(db)
            .await?;
        for r in missing {
            self.0.insert(r, None);
        }
        for (id, reference) in found {
            self.0.insert(reference, Some(id));
        }
        Ok(())
    }

    fn get(&self, reference: &str) -> Option<i64> {
        self.0.get(reference).copied().flatten()
    }
}

async fn stored_transactions<C: ConnectionTrait>(
    db: &C,
    refs: &[String],
) -> Result<HashMap<String, StoredTx>, sea_orm::DbErr> {
    let rows: Vec<(String, i64, NaiveDate, String, i64, Option<String>)> =
        transaction::Entity::find()
            .select_only()
            .columns([
                transaction::Column::ExternalRef,
                transaction::Column::TenancyId,
                transaction::Column::PostedOn,
                transaction::Column::Kind,
                transaction::Column::AmountPence,
                transaction::Column::Method,
            ])
            .filter(transaction::Column::ExternalRef.is_in(refs.iter().cloned()))
            .into_tuple()
            .all(db)
            .await?;
    Ok(rows
        .into_iter()
        .map(|(r, t, d, k, a, m)| (r, (t, d, k, a, m)))
        .collect())
}

/// Read the whole file, a chunk of valid rows at a time. Returns the number of data rows.
async fn for_each_chunk<T, H: AsyncChunkHandler<T>>(
    source: &ImportSource,
    (required, optional): (&[&str], &[&str]),
    errors: &mut Errors,
    parse: impl Fn(&Row<'_>, &mut Errors) -> Option<T>,
    mut handle: H,
) -> Result<u64, ImportFailure> {
    let mut table = Table::open(source, required, optional, errors)?;
    if errors.total > 0 {
        return Ok(0);
    }
    let mut total = 0u64;
    let mut record = csv::StringRecord::new();
    let mut finished = false;
    // csv is synchronous: read a chunk, then hand it to the async handler.
    while !finished {
        let mut chunk = Vec::with_capacity(CHUNK);
        while chunk.len() < CHUNK {
            match table.reader.read_record(&mut record) {
                Ok(false) => {
                    finished = true;
                    break;
                }
                Ok(true) => {
                    if record.iter().all(str::is_empty) {
                        continue;
                    }
                    total += 1;
                    let line = record.position().map_or(0, |p| p.line());
                    let row = Row {
                        line,
                        record: &record,
                        columns: &table.columns,
                    };
                    if let Some(parsed) = parse(&row, errors) {
                        chunk.push(parsed);
                    }
                }
                Err(e) => {
                    total += 1;
                    let line = e.position().map_or(0, |p| p.line());
                    errors.push(line, "", format!("not readable as CSV: {e}"));
                    if !matches!(
                        e.kind(),
                        csv::ErrorKind::Utf8 { .. } | csv::ErrorKind::UnequalLengths { .. }
                    ) {
                        finished = true;
                        break;
                    }
                }
            }
        }
        handle.handle(chunk, errors).await?;
    }
    Ok(total)
}

/// An async callback over chunks (closures returning futures that borrow are awkward).
trait AsyncChunkHandler<T> {
    async fn handle(&mut self, chunk: Vec<T>, errors: &mut Errors) -> Result<(), ImportFailure>;
}

/// How a row's reference stands against the lines before it in the same file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RefUse {
    /// Not used before in this file.
    First,
    /// Used before for the very same content: a repeated row, harmless.
    Again,
    /// Used before for other content: an error on this line (pushed by [`SeenRefs::add`]).
    Clash,
}

/// The references a file has used so far, each with the line and the content fingerprint of
/// its first use: one reference must mean one row within a file.
#[derive(Default)]
struct SeenRefs(HashMap<String, (u64, u64)>);

impl SeenRefs {
    /// Record `reference` as used on `line` for content `fingerprint`; on a clash, push the
    /// error on `column` naming the first line.
    fn add(
        &mut self,
        reference: &str,
        line: u64,
        fingerprint: u64,
        column: &str,
        errors: &mut Errors,
    ) -> RefUse {
        match self.0.get(reference) {
            Some(&(first, fp)) if fp != fingerprint => {
                errors.push(
                    line,
                    column,
                    format!("duplicate reference with different content (also on line {first})"),
                );
                RefUse::Clash
            }
            Some(_) => RefUse::Again,
            None => {
                self.0.insert(reference.to_owned(), (line, fingerprint));
                RefUse::First
            }
        }
    }
}

struct ValidateTx<'a> {
    db: &'a DatabaseConnection,
    tenancies: TenancyIds,
    /// external_ref → (line, tenancy ref, date, kind, amount, method) for in-file duplicates.
    seen: SeenRefs,
}

fn content_fingerprint(row: &TxRow) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    (
        &row.tenancy_reference,
        row.posted_on,
        row.kind.as_str(),
        row.amount.0,
        row.method.map(PaymentMethod::as_str),
    )
        .hash(&mut h);
    h.finish()
}

impl AsyncChunkHandler<TxRow> for ValidateTx<'_> {
    async fn handle(
        &mut self,
        chunk: Vec<TxRow>,
        errors: &mut Errors,
    ) -> Result<(), ImportFailure> {
        self.tenancies
            .resolve(self.db, chunk.iter().map(|r| &r.tenancy_reference))
            .await?;
        let refs: Vec<String> = chunk.iter().map(|r| r.external_ref.clone()).collect();
        let stored = stored_transactions(self.db, &refs).await?;
        for row in &chunk {
            let Some(tenancy_id) = self.tenancies.get(&row.tenancy_reference) else {
                errors.push(
                    row.line,
                    "tenancy_reference",
                    format!("unknown tenancy {:?}", row.tenancy_reference),
                );
                continue;
            };
            let fingerprint = content_fingerprint(row);
            if self.seen.add(
                &row.external_ref,
                row.line,
                fingerprint,
                "external_ref",
                errors,
            ) == RefUse::Clash
            {
                continue;
            }
            if let Some(existing) = stored.get(&row.external_ref)
                && !row.same_as_stored(tenancy_id, existing)
            {
                errors.push(
                    row.line,
                    "external_ref",
                    "duplicate reference with different content (already imported)",
                );
            }
        }
        Ok(())
    }
}

struct WriteTx<'a, C: ConnectionTrait> {
    /// When the import runs, on the caller's clock: the time its rows are written at.
    now: chrono::DateTime<chrono::Utc>,
    db: &'a C,
    batch_id: i64,
    tenancies: TenancyIds,
    inserted: u64,
    affected: HashSet<i64>,
}

impl<C: ConnectionTrait> AsyncChunkHandler<TxRow> for WriteTx<'_, C> {
    async fn handle(
        &mut self,
        chunk: Vec<TxRow>,
        _errors: &mut Errors,
    ) -> Result<(), ImportFailure> {
        if chunk.is_empty() {
            return Ok(());
        }
        self.tenancies
            .resolve(self.db, chunk.iter().map(|r| &r.tenancy_reference))
            .await?;
        let now = self.now;
        let mut models = Vec::with_capacity(chunk.len());
        let mut seen_in_chunk = HashSet::new();
        for row in chunk {
            // Validation proved every tenancy exists; a duplicate inside the file is identical.
            let Some(tenancy_id) = self.tenancies.get(&row.tenancy_reference) else {
                continue;
            };
            if !seen_in_chunk.insert(row.external_ref.clone()) {
                continue;
            }
            models.push(transaction::ActiveModel {
                tenancy_id: Set(tenancy_id),
                posted_on: Set(row.posted_on),
                kind: Set(row.kind.as_str().to_owned()),
                amount_pence: Set(row.amount.0),
                method: Set(row.method.map(|m| m.as_str().to_owned())),
                external_ref: Set(row.external_ref),
                description: Set(row.description),
                import_batch_id: Set(Some(self.batch_id)),
                reverses_id: Set(None),
                created_at: Set(now),
                ..Default::default()
            });
        }
        let tenancy_ids: Vec<i64> = models
            .iter()
            .filter_map(|m| m.tenancy_id.try_as_ref().copied())
            .collect();
        // Stored week figures from the earliest posted day on are stale (issue 22).
        if let Some(earliest) = models
            .iter()
            .filter_map(|m| m.posted_on.try_as_ref().copied())
            .min()
        {
            crate::snapshots::invalidate_from(self.db, &tenancy_ids, earliest).await?;
        }
        let inserted = transaction::Entity::insert_many(models)
            .on_conflict(
                OnConflict::column(transaction::Column::ExternalRef)
                    .do_nothing()
                    .to_owned(),
            )
            .exec_without_returning(self.db)
            .await?;
        if inserted > 0 {
            self.affected.extend(tenancy_ids);
        }
        self.inserted += inserted;
        Ok(())
    }
}

async fn import_transactions(
    db: &DatabaseConnection,
    batch_id: i64,
    source: &ImportSource,
    today: NaiveDate,
    max_amount: Pence,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<ImportOutcome, ImportFailure> {
    let mut errors = Errors::default();
    let columns = (TRANSACTION_COLUMNS, TRANSACTION_OPTIONAL);
    let parse = |row: &Row<'_>, errors: &mut Errors| parse_tx_row(row, errors, today, max_amount);
    let validate = ValidateTx {
        db,
        tenancies: TenancyIds::default(),
        seen: SeenRefs::default(),
    };
    let rows_total = for_each_chunk(source, columns, &mut errors, parse, validate).await?;
    if errors.total > 0 {
        return Ok(rejected(batch_id, rows_total, errors));
    }
    let txn = crate::db::begin_write(db).await?;
    let mut write = WriteTx {
        now,
        db: &txn,
        batch_id,
        tenancies: TenancyIds::default(),
        inserted: 0,
        affected: HashSet::new(),
    };
    for_each_chunk(source, columns, &mut errors, parse, &mut write).await?;
    let (inserted, affected) = (write.inserted, write.affected);
    succeeded(txn, batch_id, rows_total, inserted, 0, affected, now).await
}

impl<T, H: AsyncChunkHandler<T>> AsyncChunkHandler<T> for &mut H {
    async fn handle(&mut self, chunk: Vec<T>, errors: &mut Errors) -> Result<(), ImportFailure> {
        (**self).handle(chunk, errors).await
    }
}

// ------------------------------------------------------------------------------------------
// Tenancies (with the people on them)

pub const TENANCY_COLUMNS: &[&str] = &[
    "reference",
    "tenure",
    "address_line1",
    "town",
    "postcode",
    "start_date",
    "weekly_rent",
    "payment_method",
    "lead_tenant_name",
];
pub const TENANCY_OPTIONAL: &[&str] = &[
    "status",
    "address_line2",
    "latitude",
    "longitude",
    "patch",
    "end_date",
    "weekly_service_charge",
    "rent_period",
    "rent_free_weeks",
    "rent_free_only_when_clear",
    "periodic_service_charge",
    "periodic_service_charge_frequency",
    "self_pay_amount",
    "self_pay_frequency",
    "self_pay_anchor",
    "hb_weekly",
    "hb_first_pay_date",
    "hb_end_date",
    "last_audit_on",
    "lead_tenant_dob",
    "lead_tenant_mobile",
    "lead_tenant_email",
    "joint_tenant_name",
    "joint_tenant_dob",
];

pub const TENANCY_STATUSES: &[&str] = &["active", "former", "closed"];

/// Every status an import batch row holds: `rejected` when validation refused the file,
/// `failed` when writing it did.
pub const BATCH_STATUSES: [&str; 5] = ["queued", "running", "succeeded", "rejected", "failed"];

#[derive(Debug, Clone, PartialEq)]
struct Person {
    name: String,
    dob: Option<NaiveDate>,
    mobile: Option<String>,
    email: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
struct TenancyRow {
    line: u64,
    patch: Option<String>,
    /// Every tenancy column but ids, patch and timestamps.
    fields: tenancy::Model,
    lead: Person,
    joint: Option<Person>,
}

fn parse_tenancy_row(row: &Row<'_>, errors: &mut Errors, max_amount: Pence) -> Option<TenancyRow> {
    let before = errors.total;
    let reference = row.required("reference", errors).map(str::to_owned);
    let tenure = row.parse_required("tenure", errors, parse_enum::<Tenure>);
    let status = row
        .parse("status", errors, |s| {
            let s = s.to_ascii_lowercase();
            if TENANCY_STATUSES.contains(&s.as_str()) {
                Ok(s)
            } else {
                Err(format!(
                    "unknown value {s:?}; expected one of: {}",
                    TENANCY_STATUSES.join(", ")
                ))
            }
        })
        .map(|s| s.unwrap_or_else(|| "active".to_owned()));
    let address_line1 = row.required("address_line1", errors).map(str::to_owned);
    let town = row.required("town", errors).map(str::to_owned);
    let postcode = row.parse_required("postcode", errors, |s| {
        Postcode::parse(s).map_err(|e| e.to_string())
    });
    let latitude = row.parse("latitude", errors, |s| parse_coordinate(s, 90.0));
    let longitude = row.parse("longitude", errors, |s| parse_coordinate(s, 180.0));
    let start_date = row.parse_required("start_date", errors, parse_date);
    let end_date = row.parse("end_date", errors, parse_date);
    let non_negative = |s: &str| {
        let p = parse_bounded_amount(s, max_amount)?;
        if p.0 < 0 {
            Err("must not be negative".to_owned())
        } else {
            Ok(p)
        }
    };
    let weekly_rent = row.parse_required("weekly_rent", errors, non_negative);
    let weekly_service = row.parse("weekly_service_charge", errors, non_negative);
    let rent_period = row.parse("rent_period", errors, parse_enum::<RentPeriod>);
    let rent_free = row.parse("rent_free_weeks", errors, |s| {
        parse_week_list(&s.replace(';', ","))
    });
    let rent_free_only_when_clear = row.parse("rent_free_only_when_clear", errors, parse_bool);
    let periodic = row.parse("periodic_service_charge", errors, non_negative);
    let periodic_freq = row.parse(
        "periodic_service_charge_frequency",
        errors,
        parse_enum::<ServiceChargeFrequency>,
    );
    let payment_method = row.parse_required("payment_method", errors, parse_enum::<PaymentMethod>);
    let self_pay = row.parse("self_pay_amount", errors, non_negative);
    let self_pay_freq = row.parse("self_pay_frequency", errors, parse_enum::<Frequency>);
    let self_pay_anchor = row.parse("self_pay_anchor", errors, parse_date);
    let hb_weekly = row.parse("hb_weekly", errors, non_negative);
    let hb_first = row.parse("hb_first_pay_date", errors, parse_date);
    let hb_end = row.parse("hb_end_date", errors, parse_date);
    let last_audit = row.parse("last_audit_on", errors, parse_date);
    let lead_name = row.required("lead_tenant_name", errors).map(str::to_owned);
    let lead_dob = row.parse("lead_tenant_dob", errors, parse_date);
    let mobile = row.parse("lead_tenant_mobile", errors, |s| {
        MobileNumber::parse(s)
            .map(|m| m.as_ref().to_owned())
            .map_err(|e| e.to_string())
    });
    let email = row.parse("lead_tenant_email", errors, |s| {
        EmailAddress::parse(s)
            .map(|m| m.as_ref().to_owned())
            .map_err(|e| e.to_string())
    });
    let joint_name = row.get("joint_tenant_name").map(str::to_owned);
    let joint_dob = row.parse("joint_tenant_dob", errors, parse_date);

    // Cross-field rules, each reported on the column a person would fix.
    if let (Ok(Some(p)), Ok(None)) = (&periodic, &periodic_freq)
        && p.0 > 0
    {
        errors.push(
            row.line,
            "periodic_service_charge_frequency",
            "required when periodic_service_charge is given",
        );
    }
    let self_pay_parts = [
        matches!(self_pay, Ok(Some(_))),
        matches!(self_pay_freq, Ok(Some(_))),
        matches!(self_pay_anchor, Ok(Some(_))),
    ];
    if self_pay_parts.iter().any(|&b| b) && !self_pay_parts.iter().all(|&b| b) {
        errors.push(
            row.line,
            "self_pay_amount",
            "self_pay_amount, self_pay_frequency and self_pay_anchor go together",
        );
    }
    if matches!(hb_weekly, Ok(Some(_))) != matches!(hb_first, Ok(Some(_))) {
        errors.push(
            row.line,
            "hb_first_pay_date",
            "hb_weekly and hb_first_pay_date go together",
        );
    }
    if let (Ok(start), Ok(Some(end))) = (&start_date, &end_date)
        && end < start
    {
        errors.push(row.line, "end_date", "before start_date");
    }
    if let (Ok(start), Ok(Some(audit))) = (&start_date, &last_audit)
        && audit < start
    {
        errors.push(row.line, "last_audit_on", "before start_date");
    }
    if matches!(hb_end, Ok(Some(_))) && !matches!(hb_weekly, Ok(Some(_))) {
        errors.push(row.line, "hb_end_date", "only for a tenancy with hb_weekly");
    }
    if let (Ok(Some(first)), Ok(Some(end))) = (&hb_first, &hb_end)
        && rentdesk_domain::benefits::hb_ends_before_first_period(*first, *end)
    {
        errors.push(
            row.line,
            "hb_end_date",
            "before the period hb_first_pay_date pays for",
        );
    }
    if matches!(latitude, Ok(Some(_))) != matches!(longitude, Ok(Some(_))) {
        errors.push(row.line, "longitude", "latitude and longitude go together");
    }
    if errors.total > before {
        return None;
    }
    let epoch = chrono::DateTime::<Utc>::UNIX_EPOCH;
    let fields = tenancy::Model {
        id: 0,
        reference: reference?,
        tenure: tenure.ok()?.as_str().to_owned(),
        status: status.ok()?,
        address_line1: address_line1?,
        address_line2: row.get("address_line2").map(str::to_owned),
        town: town?,
        postcode: postcode.ok()?.as_ref().to_owned(),
        latitude: latitude.ok()?,
        longitude: longitude.ok()?,
        patch_id: None,
        start_date: start_date.ok()?,
        end_date: end_date.ok()?,
        weekly_rent_pence: weekly_rent.ok()?.0,
        weekly_service_charge_pence: weekly_service.ok()?.unwrap_or_default().0,
        rent_period: rent_period.ok()?.unwrap_or_default().as_str().to_owned(),
        rent_free_weeks: format_week_list(&rent_free.ok()?.unwrap_or_default()),
        rent_free_only_when_clear: rent_free_only_when_clear.ok()?.unwrap_or(false),
        periodic_service_charge_pence: periodic.ok()?.map(|p| p.0),
        periodic_service_charge_frequency: periodic_freq.ok()?.map(|f| f.as_str().to_owned()),
        payment_method: payment_method.ok()?.as_str().to_owned(),
        self_pay_pence: self_pay.ok()?.map(|p| p.0),
        self_pay_frequency: self_pay_freq.ok()?.map(|f| f.as_str().to_owned()),
        self_pay_anchor: self_pay_anchor.ok()?,
        hb_weekly_pence: hb_weekly.ok()?.map(|p| p.0),
        hb_first_pay_date: hb_first.ok()?,
        hb_end_date: hb_end.ok()?,
        last_audit_on: last_audit.ok()?,
        created_at: epoch,
        updated_at: epoch,
        anonymised_at: None,
    };
    Some(TenancyRow {
        line: row.line,
        patch: row.get("patch").map(str::to_owned),
        fields,
        lead: Person {
            name: lead_name?,
            dob: lead_dob.ok()?,
            mobile: mobile.ok()?,
            email: email.ok()?,
        },
        joint: joint_name.map(|name| Person {
            name,
            dob: joint_dob.ok().flatten(),
            mobile: None,
            email: None,
        }),
    })
}

fn tenancy_fingerprint(row: &TenancyRow) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    format!(
        "{:?}|{:?}|{:?}|{:?}",
        row.fields, row.patch, row.lead, row.joint
    )
    .hash(&mut h);
    h.finish()
}

struct ValidateTenancies {
    seen: SeenRefs,
}

impl AsyncChunkHandler<TenancyRow> for ValidateTenancies {
    async fn handle(
        &mut self,
        chunk: Vec<TenancyRow>,
        errors: &mut Errors,
    ) -> Result<(), ImportFailure> {
        for row in &chunk {
            let fingerprint = tenancy_fingerprint(row);
            self.seen.add(
                &row.fields.reference,
                row.line,
                fingerprint,
                "reference",
                errors,
            );
        }
        Ok(())
    }
}

struct WriteTenancies<'a, C: ConnectionTrait> {
    /// When the import runs, on the caller's clock: the time its rows are written at.
    now: chrono::DateTime<chrono::Utc>,
    db: &'a C,
    patches: HashMap<String, i64>,
    inserted: u64,
    updated: u64,
    affected: HashSet<i64>,
}

impl<C: ConnectionTrait> WriteTenancies<'_, C> {
    async fn patch_id(&mut self, code: &str) -> Result<i64, sea_orm::DbErr> {
        if let Some(&id) = self.patches.get(code) {
            return Ok(id);
        }
        let id = match patch::Entity::find()
            .filter(patch::Column::Code.eq(code))
            .one(self.db)
            .await?
        {
            Some(p) => p.id,
            None => {
                patch::ActiveModel {
                    code: Set(code.to_owned()),
                    name: Set(code.to_owned()),
                    officer_id: Set(None),
                    created_at: Set(self.now),
                    ..Default::default()
                }
                .insert(self.db)
                .await?
                .id
            }
        };
        self.patches.insert(code.to_owned(), id);
        Ok(id)
    }

    async fn write_people(
        &self,
        tenancy_id: i64,
        row: &TenancyRow,
        replace: bool,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<bool, sea_orm::DbErr> {
        let existing = tenant::Entity::find()
            .filter(tenant::Column::TenancyId.eq(tenancy_id))
            .all(self.db)
            .await?;
        let mut changed = false;
        for (is_lead, person) in [(true, Some(&row.lead)), (false, row.joint.as_ref())] {
            let current = existing.iter().find(|t| t.is_lead == is_lead);
            match (current, person) {
                (Some(t), Some(p)) => {
                    let same = t.full_name == p.name
                        && t.date_of_birth == p.dob
                        && (!is_lead || (t.mobile == p.mobile && t.email == p.email));
                    if !same && replace {
                        let mut am: tenant::ActiveModel = t.clone().into();
                        am.full_name = Set(p.name.clone());
                        am.date_of_birth = Set(p.dob);
                        if is_lead {
                            // A new number or address is presumed good until a provider says not.
                            if t.mobile != p.mobile {
                                am.mobile_invalid = Set(false);
                            }
                            if t.email != p.email {
                                am.email_invalid = Set(false);
                            }
                            am.mobile = Set(p.mobile.clone());
                            am.email = Set(p.email.clone());
                        }
                        am.update(self.db).await?;
                    }
                    changed |= !same;
                }
                (None, Some(p)) => {
                    tenant::ActiveModel::person(
                        tenancy_id,
                        p.name.clone(),
                        p.dob,
                        is_lead,
                        p.mobile.clone(),
                        p.email.clone(),
                        now,
                    )
                    .insert(self.db)
                    .await?;
                    changed = true;
                }
                // People leave a tenancy through the housing system's own process; an extract
                // without a joint tenant does not delete one here.
                (_, None) => {}
            }
        }
        Ok(changed)
    }
}

impl<C: ConnectionTrait> AsyncChunkHandler<TenancyRow> for WriteTenancies<'_, C> {
    async fn handle(
        &mut self,
        chunk: Vec<TenancyRow>,
        _errors: &mut Errors,
    ) -> Result<(), ImportFailure> {
        let refs: Vec<String> = chunk.iter().map(|r| r.fields.reference.clone()).collect();
        let mut existing: HashMap<String, tenancy::Model> = tenancy::Entity::find()
            .filter(tenancy::Column::Reference.is_in(refs))
            .all(self.db)
            .await?
            .into_iter()
            .map(|t| (t.reference.clone(), t))
            .collect();
        // A tenancy with a rent history takes its current rent from there (`rent_changes`):
        // the file's weekly figures and period are for tenancies without one.
        let with_history: HashSet<i64> = crate::entities::rent_change::Entity::find()
            .select_only()
            .column(crate::entities::rent_change::Column::TenancyId)
            .filter(
                crate::entities::rent_change::Column::TenancyId
                    .is_in(existing.values().map(|t| t.id)),
            )
            .into_tuple::<i64>()
            .all(self.db)
            .await?
            .into_iter()
            .collect();
        let now = self.now;
        for row in chunk {
            let patch_id = match &row.patch {
                Some(code) => Some(self.patch_id(code).await?),
                None => None,
            };
            let mut wanted = row.fields.clone();
            wanted.patch_id = patch_id;
            match existing.remove(&wanted.reference) {
                Some(current) => {
                    wanted.id = current.id;
                    wanted.created_at = current.created_at;
                    wanted.updated_at = current.updated_at;
                    wanted.anonymised_at = current.anonymised_at;
                    if with_history.contains(&current.id) {
                        wanted.weekly_rent_pence = current.weekly_rent_pence;
                        wanted.weekly_service_charge_pence = current.weekly_service_charge_pence;
                        wanted.rent_period = current.rent_period.clone();
                    }
                    let tenancy_changed = wanted != current;
                    if tenancy_changed {
                        wanted.updated_at = now;
                        let mut am = tenancy::ActiveModel::from(wanted).reset_all();
                        am.id = sea_orm::ActiveValue::Unchanged(current.id);
                        am.created_at = sea_orm::ActiveValue::Unchanged(current.created_at);
                        am.update(self.db).await?;
                        if current.patch_id != patch_id {
                            crate::sync::record_move(
                                self.db,
                                current.id,
                                current.patch_id,
                                patch_id,
                                now,
                            )
                            .await?;
                        }
                    }
                    let people_changed = self.write_people(current.id, &row, true, now).await?;
                    if tenancy_changed || people_changed {
                        self.updated += 1;
                        self.affected.insert(current.id);
                    }
                }
                None => {
                    wanted.created_at = now;
                    wanted.updated_at = now;
                    let mut am = tenancy::ActiveModel::from(wanted).reset_all();
                    am.id = sea_orm::ActiveValue::NotSet;
                    let inserted = am.insert(self.db).await?;
                    self.write_people(inserted.id, &row, false, now).await?;
                    self.inserted += 1;
                    self.affected.insert(inserted.id);
                }
            }
        }
        Ok(())
    }
}

async fn import_tenancies(
    db: &DatabaseConnection,
    batch_id: i64,
    source: &ImportSource,
    max_amount: Pence,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<ImportOutcome, ImportFailure> {
    let mut errors = Errors::default();
    let columns = (TENANCY_COLUMNS, TENANCY_OPTIONAL);
    let parse_row = |row: &Row<'_>, errors: &mut Errors| parse_tenancy_row(row, errors, max_amount);
    let validate = ValidateTenancies {
        seen: SeenRefs::default(),
    };
    let rows_total = for_each_chunk(source, columns, &mut errors, parse_row, validate).await?;
    if errors.total > 0 {
        return Ok(rejected(batch_id, rows_total, errors));
    }
    let txn = crate::db::begin_write(db).await?;
    let mut write = WriteTenancies {
        now,
        db: &txn,
        patches: HashMap::new(),
        inserted: 0,
        updated: 0,
        affected: HashSet::new(),
    };
    for_each_chunk(source, columns, &mut errors, parse_row, &mut write).await?;
    let (inserted, updated, affected) = (write.inserted, write.updated, write.affected);
    succeeded(txn, batch_id, rows_total, inserted, updated, affected, now).await
}
