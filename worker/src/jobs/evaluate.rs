//! Re-evaluate some tenancies (after new data about them arrived).

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::{Job, JobContext};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvaluateTenancies {
    pub tenancy_ids: Vec<i64>,
}

impl Job for EvaluateTenancies {
    const QUEUE: &'static str = "rentdesk.evaluate";
    const TIMEOUT: Duration = Duration::from_secs(15 * 60);
    type Context = JobContext;

    async fn run(self, ctx: JobContext) -> anyhow::Result<()> {
        let today = ctx.today();
        let report =
            rentdesk_store::evaluation::evaluate_tenancies(&ctx.db, &self.tenancy_ids, today)
                .await?;
        tracing::info!(accounts = report.accounts, in_arrears = report.in_arrears, %today, "tenancies evaluated");
        Ok(())
    }
}
