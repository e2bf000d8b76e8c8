//! Dispatch: send the outbox's due SMS messages through the provider, each exactly once.
//!
//! A message is claimed (`queued → sending`) before the provider is called, and the answer is
//! recorded right after: `sent` with Twilio's SID, back to `queued` a little later when Twilio
//! is unavailable (429/5xx/timeouts), or `failed` when refused (an invalid number is remembered
//! on the tenant so the contact policy falls back to the next channel). With no SMS provider
//! configured (`rentdesk dev`), messages go to the local outbox: logged and marked sent there.
//!
//! Email (SMTP) and push (FCM) are not dispatched yet: such rows stay queued.

use crate::sms::{SmsError, SmsProvider};
use chrono::{DateTime, Duration, Utc};
use rentdesk_store::outbox;
use sea_orm::DatabaseConnection;

/// A retry after the provider was unavailable waits this long (plus the next tick).
pub const RETRY_AFTER: Duration = Duration::minutes(2);
const BATCH: u64 = 200;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DispatchReport {
    pub sent: u64,
    pub to_outbox: u64,
    pub retrying: u64,
    pub failed: u64,
    pub marked_unknown: u64,
}

/// Send every SMS due at `now`. `provider = None` delivers to the local outbox.
pub async fn dispatch_sms<P: SmsProvider>(
    db: &DatabaseConnection,
    provider: Option<&P>,
    status_callback: Option<&str>,
    now: DateTime<Utc>,
) -> anyhow::Result<DispatchReport> {
    let mut report = DispatchReport {
        marked_unknown: outbox::mark_abandoned_unknown(db, now).await?,
        ..Default::default()
    };
    loop {
        let batch = outbox::claim_due(db, "sms", now, BATCH).await?;
        if batch.is_empty() {
            return Ok(report);
        }
        for claimed in &batch {
            let id = claimed.message.id;
            let Some(to) = claimed.address.as_deref() else {
                outbox::mark_failed(db, claimed, "no mobile number on record", false, now).await?;
                report.failed += 1;
                continue;
            };
            let Some(provider) = provider else {
                tracing::info!(message_id = id, to, body = %claimed.message.body, "outbox: SMS (no SMS provider configured)");
                outbox::mark_sent(db, id, &format!("outbox:{id}"), now).await?;
                report.to_outbox += 1;
                continue;
            };
            match provider
                .send(to, &claimed.message.body, status_callback)
                .await
            {
                Ok(sent) => {
                    outbox::mark_sent(db, id, &sent.sid, now).await?;
                    report.sent += 1;
                }
                Err(e @ SmsError::Retryable { .. }) => {
                    tracing::warn!(message_id = id, "SMS provider unavailable, will retry: {e}");
                    outbox::mark_retry(db, id, &e.to_string(), now + RETRY_AFTER, now).await?;
                    report.retrying += 1;
                }
                Err(e) => {
                    tracing::warn!(message_id = id, "SMS refused: {e}");
                    outbox::mark_failed(db, claimed, &e.to_string(), e.is_invalid_number(), now)
                        .await?;
                    report.failed += 1;
                }
            }
        }
    }
}

/// Data for the dispatch cron worker.
#[derive(Clone)]
pub(crate) struct DispatchTick {
    pub db: DatabaseConnection,
    pub sms: Option<crate::sms::TwilioClient>,
}

/// Every tick, in every worker process: claiming makes concurrent ticks harmless.
pub(crate) async fn on_dispatch_tick(
    _tick: apalis_cron::Tick<chrono_tz::Tz>,
    data: apalis::prelude::Data<DispatchTick>,
) -> Result<(), apalis::prelude::BoxDynError> {
    let report = dispatch_sms(&data.db, data.sms.as_ref(), None, Utc::now())
        .await
        .map_err(|e| format!("{e:#}"))?;
    if report != DispatchReport::default() {
        tracing::info!(?report, "dispatch");
    }
    Ok(())
}
