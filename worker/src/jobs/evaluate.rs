//! Re-evaluate some tenancies (after new data about them arrived).

use std::time::Duration;

use rentdesk_jobs::EvaluateTenancies;

use super::{Job, JobContext};

impl Job for EvaluateTenancies {
    const TIMEOUT: Duration = Duration::from_secs(15 * 60);
    type Context = JobContext;

    async fn run(self, ctx: JobContext) -> anyhow::Result<()> {
        let today = ctx.today();
        let report = rentdesk_store::evaluation::evaluate_tenancies(
            &ctx.db,
            &self.tenancy_ids,
            today,
            ctx.now(),
        )
        .await?;
        tracing::info!(accounts = report.accounts, in_arrears = report.in_arrears, %today, "tenancies evaluated");
        if !self.plan_outreach {
            return Ok(());
        }
        // New data can start a sequence (a UC claim just reported): plan it now, not tonight.
        let outreach = rentdesk_store::outreach::plan_tenancies(
            &ctx.db,
            &self.tenancy_ids,
            today,
            ctx.now(),
            &ctx.policy,
        )
        .await?;
        tracing::info!(
            queued = outreach.queued,
            suppressed = outreach.suppressed,
            "outreach planned for re-evaluated tenancies"
        );
        Ok(())
    }
}
