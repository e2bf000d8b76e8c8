//! `/manage/v1/outreach/config`: early-intervention sequences as data (issue 4). Team leaders
//! and administrators read the configuration in force; an administrator saves a new version
//! (validated whole: every bad field is named and nothing is saved). It applies from the next
//! planning run; messages already planned keep their wording.

use super::ApiTags;
use crate::api::common::statuses::*;
use crate::api::common::{Answer, client_addr, invalid_fields};
use crate::api::officer::{StaffAuth, admin, manager};
use crate::or_answer;
use crate::problem::Problem;
use crate::state::AppState;
use chrono::{DateTime, Utc};
use poem::web::{Data, RemoteAddr};
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};
use rentdesk_domain::outreach::sequences::OutreachConfig;
use rentdesk_store::audit::{self, Actor, Entry};

/// The configuration in force.
#[derive(Debug, Object)]
pub struct OutreachConfigView {
    /// The saved version in force; absent while the shipped default is used.
    pub version: Option<i64>,
    pub saved_at: Option<DateTime<Utc>>,
    pub saved_by_staff_id: Option<i64>,
    /// The document: `missed_payment` {enabled, grace_days, message {template, channels}},
    /// `broken_arrangement` {enabled, grace_days, warning, officer_task_after},
    /// `arrears_threshold` {enabled, pause_while_arrangement, levels [{id, weeks | months,
    /// message?}]}, `uc_new_claim` {enabled, steps [{id, at {from: after_claim |
    /// after_first_payment, days}, channels, template, only_if_unpaid}], apa_request_months (2),
    /// apa_underpaid_months (2: a month behind after that many months underpaid; 0 off)},
    /// `hb_change` {enabled, grace_days}, `direct_debit_offer` {enabled,
    /// weeks_without_payment}, `tenancy_audit` {enabled, interval_months (36),
    /// first_audit_months (12)}, `stale_days`, `task_due_days`, `templates` [{template, language
    /// (en | cy), subject, body with {date} and {of_amount}}]. Channels: sms, email, push.
    pub document: serde_json::Value,
}

fn view(
    config: &OutreachConfig,
    row: Option<rentdesk_store::entities::outreach_config::Model>,
) -> OutreachConfigView {
    OutreachConfigView {
        version: row.as_ref().map(|r| r.id),
        saved_at: row.as_ref().map(|r| r.created_at),
        saved_by_staff_id: row.and_then(|r| r.saved_by_staff_id),
        document: serde_json::to_value(config).unwrap_or_default(),
    }
}

pub struct OutreachConfigApi;

#[OpenApi(prefix_path = "/manage/v1", tag = "ApiTags::Manage")]
impl OutreachConfigApi {
    /// The early-intervention configuration in force
    ///
    /// Which rules run, their grace periods and thresholds, each step's template and channel
    /// order, and the council's own wording of templates.
    #[oai(path = "/outreach/config", method = "get")]
    async fn get_config(
        &self,
        state: Data<&AppState>,
        auth: StaffAuth,
    ) -> poem::Result<Answer<OutreachConfigView, { OK | FORBIDDEN }>> {
        or_answer!(manager(&state, &auth.0).await?);
        let (config, row) = rentdesk_store::outreach_config::current(&state.db)
            .await
            .map_err(|e| Problem::internal(&e))?;
        Ok(Answer::Ok(Json(view(&config, row))))
    }

    /// Save a new early-intervention configuration (administrators)
    ///
    /// The whole document (fields left out take the shipped default). Refused with every bad
    /// field named (422) — nothing is saved then. In force from the next planning run.
    #[oai(path = "/outreach/config", method = "put")]
    async fn put_config(
        &self,
        state: Data<&AppState>,
        auth: StaffAuth,
        remote: &RemoteAddr,
        body: Json<serde_json::Value>,
    ) -> poem::Result<Answer<OutreachConfigView, { OK | FORBIDDEN | INVALID }>> {
        let staff = or_answer!(admin(&state, &auth.0, "change the outreach configuration").await?);
        let config: OutreachConfig = match serde_path_to_error::deserialize(&body.0) {
            Ok(c) => c,
            Err(e) => {
                let path = e.path().to_string();
                let field = if path == "." { "document".into() } else { path };
                return Ok(Answer::problem(Problem::invalid(
                    field,
                    e.into_inner().to_string(),
                )));
            }
        };
        let saved =
            rentdesk_store::outreach_config::save(&state.db, &config, Some(staff.id), state.now())
                .await
                .map_err(|e| Problem::internal(&e))?;
        let row = match saved {
            Ok(row) => row,
            Err(invalid) => {
                return Ok(Answer::problem(
                    invalid_fields(invalid.0).unwrap_or_else(|| Problem::invalid("document", "")),
                ));
            }
        };
        audit::record(
            &state.db,
            Entry {
                actor: Actor::Staff(staff.id),
                action: "outreach_config.save",
                subject_kind: "outreach_config",
                subject_id: Some(row.id.to_string()),
                detail: Some(row.document.clone()),
                client_addr: client_addr(remote).as_deref(),
            },
        )
        .await
        .map_err(|e| Problem::internal(&e))?;
        Ok(Answer::Ok(Json(view(&config, Some(row)))))
    }
}
