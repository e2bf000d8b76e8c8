//! Re-evaluate some tenancies (after new data about them arrived).

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::{Job, JobContext};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvaluateTenancies {
    pub tenancy_ids: Vec<i64>,
    /// Also plan outreach for them now. Imports leave this off: their accounts are planned by
    /// the nightly run (a large file should not fan out contact mid-day).
    #[serde(default)]
    pub plan_outreach: bool,
}

impl Job for EvaluateTenancies {
    const QUEUE: &'static str = "rentdesk.evaluate";
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
