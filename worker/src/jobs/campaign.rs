//! Fan a launched campaign out into message rows (see `rentdesk_store::campaigns::fan_out`).
//! Safe to run again (a retry, a relaunch): recipients already planned are skipped.

use std::time::Duration;

use rentdesk_jobs::CampaignFanOut;

use super::{Job, JobContext};

impl Job for CampaignFanOut {
    const TIMEOUT: Duration = Duration::from_secs(30 * 60);
    type Context = JobContext;

    async fn run(self, ctx: JobContext) -> anyhow::Result<()> {
        let today = ctx.today();
        let report = rentdesk_store::campaigns::fan_out(
            &ctx.db,
            self.campaign_id,
            today,
            ctx.now(),
            &ctx.policy,
        )
        .await?;
        tracing::info!(
            campaign_id = self.campaign_id,
            matched = report.matched,
            queued = report.queued,
            held_back = report.held_back,
            suppressed = report.suppressed,
            already_planned = report.already_planned,
            "campaign fanned out"
        );
        Ok(())
    }
}
