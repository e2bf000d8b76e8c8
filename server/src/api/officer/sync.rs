//! `GET /officer/v1/sync`: what changed in the officer's patches since the last sync, so the
//! app works offline on a visit and catches up after; which accounts came into the officer's
//! patches (sent in full) and which left them (to drop). The cursor carries the patches the app
//! saw, signed, because cover is by dates: scope can change with no row written.

use super::accounts::{ActionOut, ArrangementOut, FlagOut, TaskOut};
use super::{StaffAuth, me};
use crate::api::ApiTags;
use crate::api::common::statuses::*;
use crate::api::common::{Answer, client_addr};
use crate::api::vocab::{self, ArrearsStatus, TenancyStatus, UnknownValue};
use crate::or_answer;
use crate::problem::Problem;
use crate::state::AppState;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, NaiveDate, Utc};
use hmac::{KeyInit, Mac};
use poem::web::{Data, RemoteAddr};
use poem_openapi::param::Query;
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};
use rentdesk_store::sync::{self, Scope, Seen, Since};
use sha2::Sha256;
use std::collections::{BTreeSet, HashMap};

#[derive(Debug, Object)]
pub struct SyncedSummary {
    pub as_of: NaiveDate,
    pub balance_pence: i64,
    pub real_arrears_pence: i64,
    pub technical_arrears_pence: i64,
    pub weeks_in_arrears_hundredths: Option<i64>,
    pub status: ArrearsStatus,
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
    pub status: TenancyStatus,
    pub summary: Option<SyncedSummary>,
}

#[derive(Debug, Object)]
#[oai(example)]
pub struct SyncAnswer {
    /// Send as `since` next time: an opaque cursor carrying the time of this answer (it
    /// overlaps this window by a few seconds: upsert by id) and the patches the caller sees now.
    pub next_since: String,
    pub accounts: Vec<SyncedAccount>,
    /// Accounts sent in full because the app cannot have them yet (first sync, cover starting,
    /// a patch or account reassigned to the caller): replace whatever the app holds for them.
    pub full_account_ids: Vec<i64>,
    /// Accounts that left the caller's patches (cover ended, reassigned): drop them and
    /// everything about them.
    pub removed_account_ids: Vec<i64>,
    pub actions: Vec<ActionOut>,
    pub tasks: Vec<TaskOut>,
    pub flags: Vec<FlagOut>,
    pub arrangements: Vec<ArrangementOut>,
    /// Visits on these accounts (any officer's); for an account sent in full, the planned
    /// ones from today.
    pub visits: Vec<super::routes::VisitOut>,
}

impl poem_openapi::types::Example for SyncAnswer {
    fn example() -> SyncAnswer {
        let at = super::accounts::example_at;
        let next_since = encode_cursor(
            "example-key",
            12,
            at(1_796_032_800),
            &Some([3, 7].into_iter().collect()),
        );
        SyncAnswer {
            next_since,
            accounts: vec![SyncedAccount {
                id: 4211,
                reference: "T004211".into(),
                address: "14 Birkby Hall Road, Huddersfield".into(),
                postcode: "HD2 2XB".into(),
                latitude: Some(53.6612),
                longitude: Some(-1.7915),
                status: TenancyStatus::Active,
                summary: Some(SyncedSummary {
                    as_of: NaiveDate::from_ymd_opt(2026, 11, 30).unwrap_or_default(),
                    balance_pence: 41_280,
                    real_arrears_pence: 41_280,
                    technical_arrears_pence: 0,
                    weeks_in_arrears_hundredths: Some(430),
                    status: ArrearsStatus::InArrears,
                    computed_at: at(1_796_007_600),
                }),
            }],
            full_account_ids: vec![],
            removed_account_ids: vec![3877],
            actions: vec![ActionOut::example()],
            tasks: vec![TaskOut::example()],
            flags: vec![FlagOut::example()],
            arrangements: vec![ArrangementOut::example()],
            visits: vec![super::routes::VisitOut {
                id: 901,
                client_id: "c1d2e3f4-0a1b-4c2d-8e3f-9a0b1c2d3e4f".into(),
                tenancy_id: 4211,
                reference: "T004211".into(),
                address: "14 Birkby Hall Road, Huddersfield".into(),
                postcode: "HD2 2XB".into(),
                latitude: Some(53.6612),
                longitude: Some(-1.7915),
                officer_id: 12,
                date: NaiveDate::from_ymd_opt(2026, 12, 1).unwrap_or_default(),
                window_start: Some("10:00".into()),
                window_end: Some("12:00".into()),
                duration_minutes: 30,
                purpose: "Discuss the broken plan and the I&E".into(),
                kind: vocab::VisitKind::HomeVisit,
                status: vocab::VisitStatus::Planned,
                action_id: None,
                updated_at: at(1_796_030_000),
            }],
        }
    }
}

pub struct OfficerSyncApi;

#[OpenApi(prefix_path = "/officer/v1", tag = "ApiTags::Officer")]
impl OfficerSyncApi {
    /// Changes since the last sync
    ///
    /// Accounts (and their nightly figures), diary actions, tasks, flags, arrangements and
    /// visits in the caller's patches changed since `since`. Accounts that came into the
    /// caller's patches since (cover starting, reassignment) come in full, listed in
    /// `full_account_ids`; accounts that left them are listed in `removed_account_ids`.
    /// Without `since`: every account in full (open tasks, planned visits from today and the
    /// last 90 days of the diary).
    #[oai(path = "/sync", method = "get")]
    async fn sync(
        &self,
        state: Data<&AppState>,
        remote: &RemoteAddr,
        auth: StaffAuth,
        /// `next_since` from the previous answer. (A bare RFC 3339 time is still accepted from
        /// older apps; it does not say which patches the app had, so cover starting or ending
        /// goes unnoticed.)
        since: Query<Option<String>>,
    ) -> poem::Result<Answer<SyncAnswer, { OK | INVALID }>> {
        let staff = or_answer!(me(&state, &auth.0).await?);
        let now = state.now();
        let key = state.settings.auth.token_signing_key.expose();
        let since = match since.0.as_deref().map(|s| parse_since(key, staff.id, s)) {
            None => None,
            Some(Ok(s)) if s.at > now + chrono::Duration::minutes(5) => {
                return Ok(Answer::problem(Problem::invalid(
                    "since",
                    "is in the future",
                )));
            }
            Some(Ok(s)) => Some(s),
            Some(Err(reason)) => return Ok(Answer::problem(Problem::invalid("since", reason))),
        };
        let from = since.as_ref().map(|s| s.at);
        let c = sync::changes(&state.db, &staff, state.today(), since, now)
            .await
            .map_err(|e| Problem::internal(&e))?;
        sync::record_read(
            &state.db,
            staff.id,
            from,
            &c,
            client_addr(remote).as_deref(),
            state.now(),
        )
        .await
        .map_err(|e| Problem::internal(&e))?;
        let mut summaries: HashMap<i64, _> =
            c.summaries.into_iter().map(|s| (s.tenancy_id, s)).collect();
        Ok(Answer::Ok(Json(SyncAnswer {
            next_since: encode_cursor(key, staff.id, c.next, &c.scope),
            accounts: vocab::kept(c.tenancies.into_iter().map(|t| {
                Ok(SyncedAccount {
                    summary: summaries.remove(&t.id).map(summary).transpose()?,
                    status: TenancyStatus::from_stored(&t.status, "tenancies", t.id)?,
                    id: t.id,
                    reference: t.reference,
                    address: t.address_line1,
                    postcode: t.postcode,
                    latitude: t.latitude,
                    longitude: t.longitude,
                })
            })),
            full_account_ids: c.full,
            removed_account_ids: c.removed,
            actions: crate::api::vocab::readable(c.actions),
            tasks: vocab::readable(c.tasks),
            flags: vocab::readable(c.flags),
            arrangements: vocab::readable(c.arrangements),
            visits: vocab::readable(c.visits),
        })))
    }
}

const CURSOR_VERSION: &str = "s1";

fn cursor_mac(key: &str, payload: &str) -> hmac::Hmac<Sha256> {
    let mut mac = hmac::Hmac::<Sha256>::new_from_slice(key.as_bytes())
        .expect("HMAC takes keys of any length");
    mac.update(b"officer-sync-cursor:");
    mac.update(payload.as_bytes());
    mac
}

/// The cursor: `<payload>.<HMAC-SHA256>`, both base64url, payload
/// `s1|<staff id>|<time, µs since the epoch>|<patch ids, or *>`. Signed and tied to the member of
/// staff, so an edited or borrowed cursor cannot name patches the caller never had (their
/// accounts would be listed as removed).
pub fn encode_cursor(key: &str, staff_id: i64, at: DateTime<Utc>, scope: &Scope) -> String {
    let patches = match scope {
        None => "*".to_owned(),
        Some(p) => p
            .iter()
            .map(|id| id.to_string())
            .collect::<Vec<_>>()
            .join(","),
    };
    let payload = format!(
        "{CURSOR_VERSION}|{staff_id}|{}|{patches}",
        at.timestamp_micros()
    );
    let mac = cursor_mac(key, &payload).finalize().into_bytes();
    format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(payload.as_bytes()),
        URL_SAFE_NO_PAD.encode(mac)
    )
}

/// `since` as sent: a cursor this server issued to this member of staff, or a bare time.
pub fn parse_since(key: &str, staff_id: i64, s: &str) -> Result<Since, &'static str> {
    if let Ok(at) = DateTime::parse_from_rfc3339(s) {
        return Ok(Since {
            at: at.with_timezone(&Utc),
            seen: Seen::Unknown,
        });
    }
    const NOT_OURS: &str = "is not a sync cursor issued to you (send next_since as it came)";
    let (payload, mac) = s.split_once('.').ok_or(NOT_OURS)?;
    let payload = URL_SAFE_NO_PAD.decode(payload).map_err(|_| NOT_OURS)?;
    let mac = URL_SAFE_NO_PAD.decode(mac).map_err(|_| NOT_OURS)?;
    let payload = String::from_utf8(payload).map_err(|_| NOT_OURS)?;
    cursor_mac(key, &payload)
        .verify_slice(&mac)
        .map_err(|_| NOT_OURS)?;
    let mut parts = payload.split('|');
    let (Some(CURSOR_VERSION), Some(staff), Some(at), Some(patches), None) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return Err(NOT_OURS);
    };
    if staff.parse::<i64>() != Ok(staff_id) {
        return Err(NOT_OURS);
    }
    let at = at
        .parse::<i64>()
        .ok()
        .and_then(DateTime::from_timestamp_micros)
        .ok_or(NOT_OURS)?;
    let scope = match patches {
        "*" => None,
        "" => Some(BTreeSet::new()),
        list => Some(
            list.split(',')
                .map(str::parse::<i64>)
                .collect::<Result<BTreeSet<i64>, _>>()
                .map_err(|_| NOT_OURS)?,
        ),
    };
    Ok(Since {
        at,
        seen: Seen::Scope(scope),
    })
}

fn summary(
    s: rentdesk_store::entities::account_summary::Model,
) -> Result<SyncedSummary, UnknownValue> {
    Ok(SyncedSummary {
        status: ArrearsStatus::from_stored(&s.status, "account_summaries", s.tenancy_id)?,
        as_of: s.as_of,
        balance_pence: s.balance_pence,
        real_arrears_pence: s.real_arrears_pence,
        technical_arrears_pence: s.technical_arrears_pence,
        weeks_in_arrears_hundredths: s.weeks_in_arrears_hundredths,
        computed_at: s.computed_at,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "test-key-0123456789";

    fn since(patches: Option<&[i64]>) -> Since {
        Since {
            at: DateTime::from_timestamp_micros(1_796_200_000_123_456).unwrap(),
            seen: Seen::Scope(patches.map(|p| p.iter().copied().collect())),
        }
    }

    #[test]
    fn a_cursor_reads_back_for_its_staff_member_only() {
        for s in [since(Some(&[3, 1])), since(Some(&[])), since(None)] {
            let Seen::Scope(scope) = &s.seen else {
                unreachable!()
            };
            let c = encode_cursor(KEY, 7, s.at, scope);
            assert_eq!(parse_since(KEY, 7, &c), Ok(s.clone()));
            assert!(parse_since(KEY, 8, &c).is_err(), "another officer's cursor");
            assert!(parse_since("other-key-0123456789", 7, &c).is_err());
        }
    }

    #[test]
    fn an_edited_cursor_is_refused() {
        let s = since(Some(&[1]));
        let c = encode_cursor(KEY, 7, s.at, &Some([1].into()));
        let (payload, mac) = c.split_once('.').unwrap();
        let forged = String::from_utf8(URL_SAFE_NO_PAD.decode(payload).unwrap())
            .unwrap()
            .replace("|1", "|1,2");
        let forged = format!("{}.{mac}", URL_SAFE_NO_PAD.encode(forged));
        assert!(parse_since(KEY, 7, &forged).is_err());
        for junk in ["", ".", "x.y", "czE.", "nonsense"] {
            assert!(parse_since(KEY, 7, junk).is_err(), "{junk:?}");
        }
    }

    #[test]
    fn a_bare_time_from_an_older_app_is_a_since_with_unknown_scope() {
        let s = parse_since(KEY, 7, "2026-11-30T09:00:00Z").unwrap();
        assert_eq!(s.seen, Seen::Unknown);
        assert_eq!(s.at.to_rfc3339(), "2026-11-30T09:00:00+00:00");
    }
}
