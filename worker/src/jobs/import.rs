//! Run an uploaded import batch, then queue the evaluation of the tenancies it changed.

use std::time::Duration;

use rentdesk_jobs::ImportJob;

use super::{Job, JobContext};

impl Job for ImportJob {
    const TIMEOUT: Duration = Duration::from_secs(30 * 60);
    type Context = JobContext;

    async fn run(self, ctx: JobContext) -> anyhow::Result<()> {
        let today = ctx.today();
        let policy = rentdesk_store::imports::StepPolicy {
            notice_rules: &ctx.notice_rules,
            max_row_amount: ctx.max_row_amount,
            landlord: &ctx.policy.landlord_name,
            templates: &ctx.letter_templates,
        };
        let outcome = rentdesk_store::imports::run_stored_batch(
            &ctx.db,
            self.batch_id,
            today,
            &policy,
            ctx.now(),
        )
        .await?;
        let Some(outcome) = outcome else {
            tracing::info!(
                batch_id = self.batch_id,
                "import batch missing or already run"
            );
            return Ok(());
        };
        tracing::info!(
            batch_id = self.batch_id,
            status = %outcome.status,
            rows = outcome.rows_total,
            inserted = outcome.rows_inserted,
            errors = outcome.errors_total,
            "import batch finished"
        );
        ctx.queues
            .enqueue_evaluation(outcome.affected_tenancy_ids)
            .await
    }
}
