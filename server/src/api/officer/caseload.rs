//! `GET /officer/v1/caseload`: the accounts in the caller's patches that need action today,
//! highest priority first, each with its reasons in plain words; and how many were left out
//! and why. Priority is `domain::priority::assess` (technical arrears discounted).

use super::{StaffAuth, audit_reads, me};
use crate::api::ApiTags;
use crate::api::common::statuses::*;
use crate::api::common::{Answer, client_addr};
use crate::api::vocab::{self, ArrangementFilter, Stage};
use crate::or_answer;
use crate::problem::Problem;
use crate::state::AppState;
use chrono::NaiveDate;
use poem::web::{Data, RemoteAddr};
use poem_openapi::param::Query;
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};
use rentdesk_domain::possession::next_step::PlanState;
use rentdesk_domain::priority::Exclusion;
use rentdesk_store::caseload::Assessed;
use std::collections::BTreeMap;

#[derive(Debug, Object)]
pub struct CaseloadItem {
    pub tenancy_id: i64,
    pub reference: String,
    pub address: String,
    pub postcode: String,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub real_arrears_pence: i64,
    /// e.g. "4.30"
    pub weeks_in_arrears: Option<String>,
    pub stage: Stage,
    pub score: i64,
    /// Why this account needs action today, most important first.
    pub reasons: Vec<String>,
    /// Breathing Space accounts are listed (not hidden) but no enforcement step is allowed;
    /// while the landlord may still ask for a review (20 days beginning with the day it
    /// started, SI 2020/1311 reg 17(3)), it says until when.
    pub on_hold: Option<String>,
    pub last_contact: Option<NaiveDate>,
    pub vulnerable: bool,
}

#[derive(Debug, Object)]
pub struct LeftOut {
    pub key: vocab::LeftOutKey,
    pub count: u64,
    /// e.g. "212 accounts in technical arrears only"
    pub description: String,
}

#[derive(Debug, Object)]
#[oai(example)]
pub struct Caseload {
    pub as_of: NaiveDate,
    /// Accounts that match the filters and need action today (before paging).
    pub total: u64,
    pub accounts: Vec<CaseloadItem>,
    pub next_cursor: Option<String>,
    /// Accounts with arrears left out, by reason.
    pub left_out: Vec<LeftOut>,
}

impl poem_openapi::types::Example for Caseload {
    fn example() -> Caseload {
        let day = |m, d| NaiveDate::from_ymd_opt(2026, m, d).unwrap_or_default();
        Caseload {
            as_of: day(11, 30),
            total: 214,
            accounts: vec![
                CaseloadItem {
                    tenancy_id: 4211,
                    reference: "T004211".into(),
                    address: "14 Birkby Hall Road".into(),
                    postcode: "HD2 2XB".into(),
                    latitude: Some(53.6612),
                    longitude: Some(-1.7915),
                    real_arrears_pence: 41_280,
                    weeks_in_arrears: Some("4.30".into()),
                    stage: Stage::FirstLetter,
                    score: 612,
                    reasons: vec![
                        "missed 2 instalments of the plan agreed 3 Oct".into(),
                        "real arrears of £412.80 (4.3 weeks' rent)".into(),
                        "arrears rose from 2.1 to 4.3 weeks in 12 weeks".into(),
                        "no contact for 35 days".into(),
                    ],
                    on_hold: None,
                    last_contact: Some(day(10, 26)),
                    vulnerable: false,
                },
                CaseloadItem {
                    tenancy_id: 3877,
                    reference: "T003877".into(),
                    address: "2 Fartown Green".into(),
                    postcode: "HD2 1AE".into(),
                    latitude: Some(53.6621),
                    longitude: Some(-1.7801),
                    real_arrears_pence: 65_900,
                    weeks_in_arrears: Some("6.80".into()),
                    stage: Stage::NoticeServed,
                    score: 680,
                    reasons: vec![
                        "in Breathing Space until 9 Jan".into(),
                        "real arrears of £659.00 (6.8 weeks' rent)".into(),
                    ],
                    on_hold: Some("Breathing Space until 9 Jan 2027: no enforcement step".into()),
                    last_contact: Some(day(11, 20)),
                    vulnerable: true,
                },
            ],
            next_cursor: Some("1.-680.-65900.3877".into()),
            left_out: vec![
                LeftOut {
                    key: vocab::LeftOutKey::TechnicalOnly,
                    count: 212,
                    description: "212 accounts in technical arrears only".into(),
                },
                LeftOut {
                    key: vocab::LeftOutKey::ArrangementKept,
                    count: 340,
                    description: "340 accounts on track with an arrangement".into(),
                },
            ],
        }
    }
}

fn weeks(h: Option<i64>) -> Option<String> {
    h.map(|h| {
        let sign = if h < 0 { "-" } else { "" };
        format!("{sign}{}.{:02}", h.abs() / 100, h.abs() % 100)
    })
}

/// Position in caseload order: accounts that can be acted on first, then those on hold; within
/// each, score desc, arrears desc, id asc.
type Key = (bool, i64, i64, i64);

fn key(a: &Assessed, on_hold: bool) -> Key {
    (
        on_hold,
        -a.assessment.score,
        -a.real_arrears.0,
        a.tenancy_id,
    )
}

fn encode((hold, x, y, z): Key) -> String {
    format!("{}.{x}.{y}.{z}", u8::from(hold))
}

fn decode(cursor: &str) -> Result<Key, String> {
    let bad = || "not a cursor this API gave out".to_owned();
    let parts: Vec<i64> = cursor
        .split('.')
        .map(|p| p.parse().map_err(|_| bad()))
        .collect::<Result<_, _>>()?;
    match parts[..] {
        [h @ (0 | 1), a, b, c] => Ok((h == 1, a, b, c)),
        _ => Err(bad()),
    }
}

pub struct OfficerCaseloadApi;

#[OpenApi(prefix_path = "/officer/v1", tag = "ApiTags::Officer")]
impl OfficerCaseloadApi {
    /// Who needs action today, and why
    ///
    /// The caller's accounts that need action today, highest priority first, with reasons in
    /// plain words. Technical arrears (a UC or HB payment due) are discounted. Accounts with
    /// nothing to do today are left out and counted by reason. Breathing Space accounts stay
    /// in the list, marked on hold.
    #[oai(path = "/caseload", method = "get")]
    #[allow(clippy::too_many_arguments)]
    async fn caseload(
        &self,
        state: Data<&AppState>,
        remote: &RemoteAddr,
        auth: StaffAuth,
        /// Only this stage (e.g. `second_letter`).
        stage: Query<Option<Stage>>,
        /// Only accounts with (true) or without (false) a Universal Credit claim.
        uc: Query<Option<bool>>,
        /// Only accounts whose arrangement is in this state (`none`: no arrangement).
        arrangement: Query<Option<ArrangementFilter>>,
        /// Only accounts flagged vulnerable (true) or not (false).
        vulnerable: Query<Option<bool>>,
        /// Only accounts with no contact for at least this many days.
        #[oai(validator(minimum(value = "1"), maximum(value = "3650")))]
        no_contact_days: Query<Option<i64>>,
        cursor: Query<Option<String>>,
        /// 1–500 (default 100).
        #[oai(validator(minimum(value = "1"), maximum(value = "500")))]
        limit: Query<Option<usize>>,
    ) -> poem::Result<Answer<Caseload, { OK | INVALID }>> {
        let staff = or_answer!(me(&state, &auth.0).await?);
        let today = state.today();
        let mut errors = vec![];
        let after = match cursor.0.as_deref().map(decode) {
            None => None,
            Some(Ok(c)) => Some(c),
            Some(Err(e)) => {
                errors.push(("cursor".to_owned(), e));
                None
            }
        };
        if let Some(p) = crate::api::common::invalid_fields(errors) {
            return Ok(Answer::problem(p));
        }
        let patches = rentdesk_store::staff::visible_patches(&state.db, &staff, today)
            .await
            .map_err(|e| Problem::internal(&e))?;
        let ids = rentdesk_store::staff::tenancies_in(&state.db, patches.as_ref())
            .await
            .map_err(|e| Problem::internal(&e))?;
        let assessed = rentdesk_store::caseload::assess(&state.db, &ids, today)
            .await
            .map_err(|e| Problem::internal(&e))?;
        let mut left_out: BTreeMap<&'static str, (u64, &'static str)> = BTreeMap::new();
        let mut listed = vec![];
        for a in assessed {
            let on_hold = match &a.assessment.excluded {
                None => None,
                Some(Exclusion::BreathingSpace { until, review_by }) => {
                    let mut why = match until {
                        Some(d) => format!(
                            "Breathing Space until {}: no enforcement step",
                            d.format("%-d %b %Y")
                        ),
                        None => {
                            "Breathing Space (mental health crisis): no enforcement step".to_owned()
                        }
                    };
                    // SI 2020/1311 reg 17(3): a review may be asked for within 20 days beginning
                    // with the day the moratorium started.
                    if let Some(r) = review_by {
                        why.push_str(&format!(
                            "; a review may be asked for until {}",
                            r.format("%-d %b %Y")
                        ));
                    }
                    Some(why)
                }
                Some(Exclusion::NoArrears) => continue,
                Some(e) => {
                    let entry = left_out
                        .entry(vocab::LeftOutKey::from(e).as_str())
                        .or_insert((0, e.plain()));
                    entry.0 += 1;
                    continue;
                }
            };
            let f = &a.facts;
            let keep = stage.0.is_none_or(|s| a.stage == s.into())
                && uc.0.is_none_or(|want| f.uc_claim.is_some() == want)
                && vulnerable.0.is_none_or(|want| f.vulnerable == want)
                && no_contact_days
                    .0
                    .is_none_or(|n| f.last_contact.is_none_or(|d| (today - d).num_days() >= n))
                && arrangement.0.is_none_or(|want| {
                    let have = match f.plan.as_ref().map(|p| &p.state) {
                        None => ArrangementFilter::None,
                        Some(PlanState::Kept { .. }) => ArrangementFilter::Active,
                        Some(PlanState::Broken) => ArrangementFilter::Broken,
                        Some(PlanState::PendingReview) => ArrangementFilter::PendingReview,
                    };
                    have == want
                });
            if keep {
                listed.push((a, on_hold));
            }
        }
        // Accounts on hold go after those that can be acted on.
        listed.sort_by_key(|(a, hold)| key(a, hold.is_some()));
        let total = listed.len() as u64;
        let limit = limit.0.unwrap_or(100);
        let start = match after {
            None => 0,
            Some(c) => listed
                .iter()
                .position(|(a, hold)| key(a, hold.is_some()) > c)
                .unwrap_or(listed.len()),
        };
        let page: Vec<_> = listed.into_iter().skip(start).take(limit + 1).collect();
        let next = (page.len() > limit).then(|| {
            let (a, hold) = &page[limit - 1];
            encode(key(a, hold.is_some()))
        });
        let page: Vec<_> = page.into_iter().take(limit).collect();
        // The page shows these tenants' arrears and circumstances.
        audit_reads(
            &state,
            staff.id,
            "caseload.read",
            page.iter().map(|(a, _)| a.tenancy_id),
            client_addr(remote).as_deref(),
        )
        .await?;
        Ok(Answer::Ok(Json(Caseload {
            as_of: today,
            total,
            accounts: page
                .into_iter()
                .map(|(a, on_hold)| CaseloadItem {
                    tenancy_id: a.tenancy_id,
                    reference: a.reference,
                    address: a.address,
                    postcode: a.postcode,
                    latitude: a.latitude,
                    longitude: a.longitude,
                    real_arrears_pence: a.real_arrears.0,
                    weeks_in_arrears: weeks(a.weeks_in_arrears_hundredths),
                    stage: a.stage.into(),
                    score: a.assessment.score,
                    reasons: a.assessment.reasons,
                    on_hold,
                    last_contact: a.facts.last_contact,
                    vulnerable: a.facts.vulnerable,
                })
                .collect(),
            next_cursor: next,
            left_out: left_out
                .into_iter()
                .filter_map(|(key, (count, plain))| {
                    vocab::LeftOutKey::parse(key).map(|key| (key, count, plain))
                })
                .map(|(key, count, plain)| LeftOut {
                    key,
                    count,
                    description: format!(
                        "{count} account{} {plain}",
                        if count == 1 { "" } else { "s" }
                    ),
                })
                .collect(),
        })))
    }
}
