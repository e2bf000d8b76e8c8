//! Produce a stored subject-access export (JSON + PDF) for its tenancy.

use std::time::Duration;

use rentdesk_jobs::SubjectAccessExport;

use super::{Job, JobContext};

impl Job for SubjectAccessExport {
    const TIMEOUT: Duration = Duration::from_secs(10 * 60);
    type Context = JobContext;

    async fn run(self, ctx: JobContext) -> anyhow::Result<()> {
        let outcome =
            rentdesk_store::subject_access::run(&ctx.db, self.export_id, ctx.today(), ctx.now())
                .await?;
        tracing::info!(
            export_id = self.export_id,
            outcome = outcome.unwrap_or("missing"),
            "subject-access export finished"
        );
        Ok(())
    }
}
