//! An account's whole history, a page at a time: the ledger, the action diary and the messages.
//! `GET accounts/{id}` shows the first page of each with the cursor to the next; these go on
//! from there, so nothing in the record is out of an officer's reach.

use super::accounts::{ActionOut, LedgerLine, MessageOut};
use super::{StaffAuth, audit_read, me};
use crate::api::ApiTags;
use crate::api::common::statuses::*;
use crate::api::common::{Answer, client_addr};
use crate::or_answer;
use crate::problem::Problem;
use crate::state::AppState;
use chrono::{DateTime, Utc};
use poem::web::{Data, RemoteAddr};
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};
use rentdesk_store::entities::{action, message};
use rentdesk_store::statement::Cursor as LedgerCursor;
use sea_orm::sea_query::Condition;
use sea_orm::{
    ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};

/// Where a diary page ends: the last entry's time and id; older entries follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DiaryCursor {
    pub occurred_at: DateTime<Utc>,
    pub id: i64,
}

impl DiaryCursor {
    pub fn encode(&self) -> String {
        format!("{}.{}", self.occurred_at.timestamp_micros(), self.id)
    }

    pub fn decode(s: &str) -> Result<DiaryCursor, String> {
        let bad = || "not a cursor this API gave out".to_owned();
        let (t, id) = s.split_once('.').ok_or_else(bad)?;
        Ok(DiaryCursor {
            occurred_at: t
                .parse()
                .ok()
                .and_then(DateTime::from_timestamp_micros)
                .ok_or_else(bad)?,
            id: id.parse().map_err(|_| bad())?,
        })
    }
}

/// The diary of `tenancy_id`, newest first (by when it happened, then as recorded), after
/// `cursor`; and the cursor to the next page if there is one.
pub async fn diary_page(
    db: &DatabaseConnection,
    tenancy_id: i64,
    cursor: Option<DiaryCursor>,
    limit: u64,
) -> Result<(Vec<action::Model>, Option<String>), DbErr> {
    let mut q = action::Entity::find().filter(action::Column::TenancyId.eq(tenancy_id));
    if let Some(c) = cursor {
        q = q.filter(
            Condition::any()
                .add(action::Column::OccurredAt.lt(c.occurred_at))
                .add(
                    Condition::all()
                        .add(action::Column::OccurredAt.eq(c.occurred_at))
                        .add(action::Column::Id.lt(c.id)),
                ),
        );
    }
    let mut rows = q
        .order_by_desc(action::Column::OccurredAt)
        .order_by_desc(action::Column::Id)
        .limit(limit + 1)
        .all(db)
        .await?;
    let next = (rows.len() as u64 > limit).then(|| {
        rows.truncate(limit as usize);
        rows.last().map(|a| {
            DiaryCursor {
                occurred_at: a.occurred_at,
                id: a.id,
            }
            .encode()
        })
    });
    Ok((rows, next.flatten()))
}

/// Messages sent, suppressed or received on `tenancy_id`, newest first, before message id
/// `before`; and the cursor to the next page.
pub async fn messages_page(
    db: &DatabaseConnection,
    tenancy_id: i64,
    before: Option<i64>,
    limit: u64,
) -> Result<(Vec<message::Model>, Option<String>), DbErr> {
    let mut q = message::Entity::find().filter(message::Column::TenancyId.eq(tenancy_id));
    if let Some(b) = before {
        q = q.filter(message::Column::Id.lt(b));
    }
    let mut rows = q
        .order_by_desc(message::Column::Id)
        .limit(limit + 1)
        .all(db)
        .await?;
    let next = (rows.len() as u64 > limit).then(|| {
        rows.truncate(limit as usize);
        rows.last().map(|m| m.id.to_string())
    });
    Ok((rows, next.flatten()))
}

#[derive(Debug, Object)]
pub struct LedgerPage {
    pub lines: Vec<LedgerLine>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Object)]
pub struct DiaryPage {
    pub actions: Vec<ActionOut>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Object)]
pub struct MessagePage {
    pub messages: Vec<MessageOut>,
    pub next_cursor: Option<String>,
}

pub struct OfficerHistoryApi;

/// The account if the caller may see it, audited as `what`.
async fn visible(
    state: &AppState,
    auth: &StaffAuth,
    id: i64,
    what: &str,
    remote: &RemoteAddr,
) -> poem::Result<Result<(), Problem>> {
    let staff = match me(state, &auth.0).await? {
        Ok(s) => s,
        Err(p) => return Ok(Err(p)),
    };
    let found = rentdesk_store::staff::visible_tenancy(&state.db, &staff, id, state.today())
        .await
        .map_err(|e| Problem::internal(&e))?;
    if found.is_none() {
        return Ok(Err(Problem::not_found(&format!("account {id}"))));
    }
    audit_read(state, staff.id, what, id, client_addr(remote).as_deref()).await?;
    Ok(Ok(()))
}

/// The `cursor` query parameter decoded, or a 422 naming it.
fn cursor_param<T>(
    cursor: &Query<Option<String>>,
    decode: impl Fn(&str) -> Result<T, String>,
) -> Result<Option<T>, Problem> {
    cursor
        .0
        .as_deref()
        .map(decode)
        .transpose()
        .map_err(|r| Problem::invalid("cursor", r))
}

fn limit_or(limit: Option<u64>) -> u64 {
    limit.unwrap_or(50)
}

#[OpenApi(prefix_path = "/officer/v1", tag = "ApiTags::Officer")]
impl OfficerHistoryApi {
    /// An account's ledger, a page at a time
    ///
    /// Newest first, with the balance after each line; `cursor` is the previous page's
    /// `next_cursor` (or the account's `ledger_next_cursor`).
    #[oai(path = "/accounts/:id/ledger", method = "get")]
    async fn ledger(
        &self,
        state: Data<&AppState>,
        remote: &RemoteAddr,
        auth: StaffAuth,
        id: Path<i64>,
        cursor: Query<Option<String>>,
        /// 1–200 (default 50).
        #[oai(validator(minimum(value = "1"), maximum(value = "200")))]
        limit: Query<Option<u64>>,
    ) -> poem::Result<Answer<LedgerPage, { OK | NOT_FOUND | INVALID }>> {
        let after = or_answer!(cursor_param(&cursor, LedgerCursor::decode));
        or_answer!(visible(&state, &auth, id.0, "ledger.read", remote).await?);
        let page =
            rentdesk_store::statement::page(&state.db, id.0, None, None, after, limit_or(limit.0))
                .await
                .map_err(|e| Problem::internal(&e))?;
        Ok(Answer::Ok(Json(LedgerPage {
            lines: crate::api::vocab::readable(page.lines),
            next_cursor: page.next.map(|c| c.encode()),
        })))
    }

    /// An account's action diary, a page at a time
    ///
    /// Every call, visit, note, letter, referral, step and automated action, newest first;
    /// `cursor` is the previous page's `next_cursor` (or the account's `actions_next_cursor`).
    #[oai(path = "/accounts/:id/diary", method = "get")]
    async fn diary(
        &self,
        state: Data<&AppState>,
        remote: &RemoteAddr,
        auth: StaffAuth,
        id: Path<i64>,
        cursor: Query<Option<String>>,
        /// 1–200 (default 50).
        #[oai(validator(minimum(value = "1"), maximum(value = "200")))]
        limit: Query<Option<u64>>,
    ) -> poem::Result<Answer<DiaryPage, { OK | NOT_FOUND | INVALID }>> {
        let after = or_answer!(cursor_param(&cursor, DiaryCursor::decode));
        or_answer!(visible(&state, &auth, id.0, "diary.read", remote).await?);
        let (rows, next) = diary_page(&state.db, id.0, after, limit_or(limit.0))
            .await
            .map_err(|e| Problem::internal(&e))?;
        Ok(Answer::Ok(Json(DiaryPage {
            actions: crate::api::vocab::readable(rows),
            next_cursor: next,
        })))
    }

    /// An account's messages, a page at a time
    ///
    /// Sent, suppressed (with why) and received, newest first; `cursor` is the previous
    /// page's `next_cursor` (or the account's `messages_next_cursor`).
    #[oai(path = "/accounts/:id/messages", method = "get")]
    async fn messages(
        &self,
        state: Data<&AppState>,
        remote: &RemoteAddr,
        auth: StaffAuth,
        id: Path<i64>,
        cursor: Query<Option<String>>,
        /// 1–200 (default 50).
        #[oai(validator(minimum(value = "1"), maximum(value = "200")))]
        limit: Query<Option<u64>>,
    ) -> poem::Result<Answer<MessagePage, { OK | NOT_FOUND | INVALID }>> {
        let before = or_answer!(cursor_param(&cursor, |c| c
            .parse::<i64>()
            .map_err(|_| "not a cursor this API gave out".to_owned())));
        or_answer!(visible(&state, &auth, id.0, "messages.read", remote).await?);
        let (rows, next) = messages_page(&state.db, id.0, before, limit_or(limit.0))
            .await
            .map_err(|e| Problem::internal(&e))?;
        Ok(Answer::Ok(Json(MessagePage {
            messages: crate::api::vocab::readable(rows),
            next_cursor: next,
        })))
    }
}
