//! `GET /officer/v1/sync`: what changed in the officer's patches since the last sync, so the
//! app works offline on a visit and catches up after.

use super::accounts::{ActionOut, ArrangementOut, FlagOut, TaskOut};
use super::{StaffAuth, me};
use crate::api::ApiTags;
use crate::api::common::Answer;
use crate::or_answer;
use crate::problem::Problem;
use crate::state::AppState;
use chrono::{DateTime, NaiveDate, Utc};
use poem::web::Data;
use poem_openapi::param::Query;
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};
use rentdesk_store::audit::{self, Actor};
use std::collections::HashMap;

#[derive(Debug, Object)]
pub struct SyncedSummary {
    pub as_of: NaiveDate,
    pub balance_pence: i64,
    pub real_arrears_pence: i64,
    pub technical_arrears_pence: i64,
    pub weeks_in_arrears_hundredths: Option<i64>,
    /// clear | technical_only | in_arrears
    pub status: String,
    pub computed_at: DateTime<Utc>,
}

#[derive(Debug, Object)]
pub struct SyncedAccount {
    pub id: i64,
    pub reference: String,
    pub address: String,
    pub postcode: String,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub status: String,
    pub summary: Option<SyncedSummary>,
}

#[derive(Debug, Object)]
pub struct SyncAnswer {
    /// Send as `since` next time (it overlaps this window by a few seconds: upsert by id).
    pub next_since: DateTime<Utc>,
    pub accounts: Vec<SyncedAccount>,
    pub actions: Vec<ActionOut>,
    pub tasks: Vec<TaskOut>,
    pub flags: Vec<FlagOut>,
    pub arrangements: Vec<ArrangementOut>,
    /// Visits on these accounts (any officer's); without `since`, the planned ones from today.
    pub visits: Vec<super::routes::VisitOut>,
}

pub struct OfficerSyncApi;

#[OpenApi(prefix_path = "/officer/v1", tag = "ApiTags::Officer")]
impl OfficerSyncApi {
    /// Changes since the last sync
    ///
    /// Accounts (and their nightly figures), diary actions, tasks, flags, arrangements and
    /// visits in the caller's patches changed since `since`. Without `since`: every account,
    /// open tasks, planned visits from today and the last 90 days of the diary.
    #[oai(path = "/sync", method = "get")]
    async fn sync(
        &self,
        state: Data<&AppState>,
        auth: StaffAuth,
        /// `next_since` from the previous answer.
        since: Query<Option<DateTime<Utc>>>,
    ) -> poem::Result<Answer<SyncAnswer>> {
        let staff = or_answer!(me(&state, &auth.0).await?);
        let now = Utc::now();
        if since
            .0
            .is_some_and(|s| s > now + chrono::Duration::minutes(5))
        {
            return Ok(Answer::problem(Problem::invalid(
                "since",
                "is in the future",
            )));
        }
        let c = rentdesk_store::sync::changes(&state.db, &staff, state.today(), since.0, now)
            .await
            .map_err(|e| Problem::internal(&e))?;
        let mut summaries: HashMap<i64, _> =
            c.summaries.into_iter().map(|s| (s.tenancy_id, s)).collect();
        // An account whose figures changed is sent even if its row did not.
        let mut accounts: Vec<SyncedAccount> = c
            .tenancies
            .into_iter()
            .map(|t| SyncedAccount {
                summary: summaries.remove(&t.id).map(summary),
                id: t.id,
                reference: t.reference,
                address: t.address_line1,
                postcode: t.postcode,
                latitude: t.latitude,
                longitude: t.longitude,
                status: t.status,
            })
            .collect();
        if !summaries.is_empty() {
            use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
            let rest = rentdesk_store::entities::tenancy::Entity::find()
                .filter(
                    rentdesk_store::entities::tenancy::Column::Id
                        .is_in(summaries.keys().copied().collect::<Vec<_>>()),
                )
                .all(&state.db)
                .await
                .map_err(|e| Problem::internal(&e))?;
            for t in rest {
                accounts.push(SyncedAccount {
                    summary: summaries.remove(&t.id).map(summary),
                    id: t.id,
                    reference: t.reference,
                    address: t.address_line1,
                    postcode: t.postcode,
                    latitude: t.latitude,
                    longitude: t.longitude,
                    status: t.status,
                });
            }
        }
        audit::record(
            &state.db,
            audit::Entry {
                actor: Actor::Staff(staff.id),
                action: "sync",
                subject_kind: "patches",
                subject_id: None,
                detail: Some(format!(
                    "since {:?}: {} accounts, {} actions",
                    since.0,
                    accounts.len(),
                    c.actions.len()
                )),
                client_addr: None,
            },
        )
        .await
        .map_err(|e| Problem::internal(&e))?;
        Ok(Answer::Ok(Json(SyncAnswer {
            next_since: c.next,
            accounts,
            actions: c.actions.into_iter().map(ActionOut::from).collect(),
            tasks: c.tasks.into_iter().map(TaskOut::from).collect(),
            flags: c.flags.into_iter().map(FlagOut::from).collect(),
            arrangements: c
                .arrangements
                .into_iter()
                .map(ArrangementOut::from)
                .collect(),
            visits: c.visits.into_iter().map(Into::into).collect(),
        })))
    }
}

fn summary(s: rentdesk_store::entities::account_summary::Model) -> SyncedSummary {
    SyncedSummary {
        as_of: s.as_of,
        balance_pence: s.balance_pence,
        real_arrears_pence: s.real_arrears_pence,
        technical_arrears_pence: s.technical_arrears_pence,
        weeks_in_arrears_hundredths: s.weeks_in_arrears_hundredths,
        status: s.status,
        computed_at: s.computed_at,
    }
}
