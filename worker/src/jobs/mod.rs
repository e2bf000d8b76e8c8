//! Job types. Each is a thin shell around one store call; the shared machinery (timeout, panic
//! capture, giving up after the last attempt) lives in [`handle`].

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::time::Duration;

use apalis::prelude::{AbortError, Attempt, BoxDynError, Data};
use chrono::NaiveDate;
use chrono_tz::Tz;
use futures::FutureExt as _;
use sea_orm::DatabaseConnection;

use rentdesk_jobs::{MAX_ATTEMPTS, Queues};

mod campaign;
mod evaluate;
mod export;
mod import;
mod nightly;

pub use nightly::{NightlyProgress, NightlyReport, NightlyStep, run_nightly};
pub(crate) use nightly::{NightlyTick, on_nightly_tick};
pub use rentdesk_jobs::{
    CampaignFanOut, EvaluateTenancies, ImportJob, NightlyEvaluation, SubjectAccessExport,
};

/// What a job handler gets besides its arguments.
#[derive(Clone)]
pub struct JobContext {
    pub db: DatabaseConnection,
    /// To enqueue follow-up jobs (an import queues the evaluation of what it changed).
    pub queues: Queues,
    /// The housing provider's zone; "today" is the date there.
    pub timezone: Tz,
    /// When and how often tenants may be contacted (`CONTACT_*` settings).
    pub policy: rentdesk_domain::contact_policy::ContactPolicy,
    /// The most one imported amount may be (`MAX_ROW_AMOUNT_PENCE`).
    pub max_row_amount: rentdesk_domain::Pence,
    /// What an imported case stage is recorded with (`WorkerConfig::notice_rules`, …).
    pub notice_rules: rentdesk_domain::possession::protocol::NoticeRules,
    pub letter_templates: std::sync::Arc<rentdesk_domain::letters::templates::LetterTemplates>,
    /// How long personal data is kept after a tenancy closes (`RETENTION_MONTHS`).
    pub retention: rentdesk_domain::retention::RetentionPolicy,
    /// The clock the rules run on (moved by the end-to-end tests).
    pub clock: rentdesk_store::Clock,
}

impl JobContext {
    /// The current date where the tenancies are.
    pub fn today(&self) -> NaiveDate {
        today_in(self.timezone, &self.clock)
    }

    /// Now, on the rules' clock.
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.clock.now()
    }
}

pub(crate) fn today_in(tz: Tz, clock: &rentdesk_store::Clock) -> NaiveDate {
    clock.now().with_timezone(&tz).date_naive()
}

/// A kind of job: its payload and queue name ([`rentdesk_jobs::Payload`]), per-attempt time
/// limit and what running it does.
pub(crate) trait Job: rentdesk_jobs::Payload {
    /// One attempt taking longer than this fails (and is retried).
    const TIMEOUT: Duration;
    /// What the handler needs (the real jobs use [`JobContext`]).
    type Context: Clone + Send + Sync + 'static;

    fn run(self, ctx: Self::Context) -> impl Future<Output = anyhow::Result<()>> + Send;
}

/// The apalis handler for every job type.
///
/// The timeout and panic capture are done here, *inside* apalis' lifecycle layer, rather than
/// with `.timeout()` / `.catch_panic()` layers around it: an outer layer drops or unwinds the
/// task before apalis records its outcome, so the stored status stays `Running`. From here an
/// error is recorded as `Failed` (retried) and an [`AbortError`] as `Killed` (never retried).
/// On the last attempt the error is turned into an `AbortError` too, because apalis-redis
/// ignores `max_attempts` and would otherwise reschedule a failed job up to 25 times.
pub(crate) async fn handle<J: Job>(
    job: J,
    ctx: Data<J::Context>,
    attempt: Attempt,
) -> Result<(), BoxDynError> {
    let attempt = attempt.current();
    let run = tokio::time::timeout(J::TIMEOUT, job.run(ctx.0));
    let error: BoxDynError = match AssertUnwindSafe(run).catch_unwind().await {
        Ok(Ok(Ok(()))) => return Ok(()),
        Ok(Ok(Err(e))) => format!("{e:#}").into(),
        Ok(Err(_elapsed)) => format!("timed out after {:?}", J::TIMEOUT).into(),
        Err(panic) => {
            let message = panic_message(panic.as_ref());
            tracing::error!(queue = J::QUEUE, attempt, %message, "job panicked; not retried");
            return Err(AbortError::new(format!("job panicked: {message}")).into());
        }
    };
    if attempt >= MAX_ATTEMPTS {
        tracing::error!(queue = J::QUEUE, attempt, %error, "job failed on its last attempt");
        return Err(AbortError::new(error).into());
    }
    tracing::warn!(queue = J::QUEUE, attempt, %error, "job failed; will retry");
    Err(error)
}

fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = panic.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = panic.downcast_ref::<String>() {
        s.clone()
    } else {
        "unknown panic".to_owned()
    }
}
