//! Performance figures for a period: gathers each account's ledger, summary, stage, claim,
//! arrangements, notices and contacts for the tenancies in scope, and hands the plain inputs
//! to `domain::kpi` (which defines the figures). Accounts are loaded in chunks so memory and
//! query size stay bounded.
//!
//! What counts (docs/performance.md):
//! - a tenancy is *current* at a date if it has started and has no end date before it (a
//!   tenancy whose status is not `active` and has no end date counts as former);
//! - the stage at the period's end is the latest stage or notice recorded in the diary by then;
//! - notices, court applications, orders, warrants and evictions are those recorded in the
//!   diary within the period (London dates);
//! - an arrangement is *made* if it starts in the period and was agreed (not declined, not
//!   waiting for review); *kept* or *broken* is its state at the period's end, by
//!   `arrangements::adherence` (through `cases::plan_state_of`);
//! - contacts are messages sent in the period, by channel and status, and the calls, visits
//!   and letters recorded in the diary, by outcome.

use crate::cases::plan_state_of;
use crate::entities::{account_week, action, arrangement, message, patch, staff_user};
use crate::evaluation::{Scope, load_accounts};
use crate::snapshots;
use crate::staff::visible_patches;
use chrono::{Duration, NaiveDate};
use rentdesk_domain::Pence;
use rentdesk_domain::arrears::summarise;
use rentdesk_domain::calendar::{RentYear, monday_on_or_before};
use rentdesk_domain::kpi::{
    AccountInputs, Performance, PeriodMoney, Standing, WeekFigures, performance, period_money,
};
use rentdesk_domain::ledger::LedgerEntry;
use rentdesk_domain::possession::next_step::PlanState;
use rentdesk_domain::possession::types::Stage;
use rentdesk_domain::time::london_day_start;
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::str::FromStr;

/// The longest period one report covers (two rent years and a bit): bounds the work.
pub const MAX_PERIOD_DAYS: i64 = 742;
const CHUNK: usize = 500;
/// Accounts per round of the stored-figures path (no ledgers unless missing).
const SNAPSHOT_CHUNK: usize = 5000;

/// A filter that names something the caller may not see, or that does not exist.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScopeError {
    pub field: &'static str,
    pub reason: String,
}

/// The tenancy ids a report for `staff` covers: their visible patches, narrowed to one patch
/// (by code) and/or one officer's patches. A patch or officer outside the caller's team is
/// reported as unknown, so nothing about other teams can be probed.
pub async fn report_scope<C: ConnectionTrait>(
    db: &C,
    staff: &staff_user::Model,
    today: NaiveDate,
    patch_code: Option<&str>,
    officer_id: Option<i64>,
) -> Result<Result<Vec<i64>, Vec<ScopeError>>, sea_orm::DbErr> {
    let visible = visible_patches(db, staff, today).await?;
    let mut errors = vec![];
    let mut scope: Option<BTreeSet<i64>> = visible.clone();
    if let Some(code) = patch_code {
        let found = patch::Entity::find()
            .filter(patch::Column::Code.eq(code))
            .one(db)
            .await?
            .filter(|p| visible.as_ref().is_none_or(|v| v.contains(&p.id)));
        match found {
            Some(p) => scope = Some(BTreeSet::from([p.id])),
            None => errors.push(ScopeError {
                field: "patch",
                reason: format!("no patch {code:?} in your team"),
            }),
        }
    }
    if let Some(id) = officer_id {
        let officer = crate::staff::by_id(db, id)
            .await?
            .filter(|o| crate::people::manages(staff, o));
        match officer {
            Some(o) => {
                let theirs: BTreeSet<i64> = patch::Entity::find()
                    .filter(patch::Column::OfficerId.eq(o.id))
                    .all(db)
                    .await?
                    .into_iter()
                    .map(|p| p.id)
                    .filter(|p| visible.as_ref().is_none_or(|v| v.contains(p)))
                    .collect();
                scope = Some(match scope {
                    None => theirs,
                    Some(s) => s.intersection(&theirs).copied().collect(),
                });
            }
            None => errors.push(ScopeError {
                field: "officer",
                reason: format!("no member of staff {id} in your team"),
            }),
        }
    }
    if !errors.is_empty() {
        return Ok(Err(errors));
    }
    let mut ids = crate::staff::tenancies_in(db, scope.as_ref()).await?;
    ids.sort_unstable();
    Ok(Ok(ids))
}

/// Diary-recorded enforcement events and arrangement outcomes in the period.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Events {
    pub notices_served: u64,
    pub court_applications: u64,
    pub orders: u64,
    pub warrants: u64,
    pub evictions: u64,
    pub arrangements_made: u64,
    pub arrangements_kept: u64,
    pub arrangements_broken: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ContactCount {
    /// sms | email | push (messages) or call | visit | letter (the diary).
    pub channel: String,
    pub outcome: String,
    pub count: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Report {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub figures: Performance,
    pub events: Events,
    pub contacts: Vec<ContactCount>,
    pub weeks: Vec<WeekFigures>,
}

/// Current at `date`: started, and not ended before it.
fn standing_on(t: &crate::entities::tenancy::Model, date: NaiveDate) -> Option<Standing> {
    if t.start_date > date {
        return None;
    }
    let former = match t.end_date {
        Some(end) => end < date,
        None => t.status != "active",
    };
    Some(if former {
        Standing::Former
    } else {
        Standing::Current
    })
}

/// Rent weeks (Monday..Sunday) overlapping [from, to], each clipped to the period so that the
/// weeks add up to the period.
pub fn weeks_of(from: NaiveDate, to: NaiveDate) -> Vec<(NaiveDate, NaiveDate, NaiveDate)> {
    let mut out = vec![];
    let mut monday = monday_on_or_before(from);
    while monday <= to {
        let sunday = monday + Duration::days(6);
        out.push((monday, monday.max(from), sunday.min(to)));
        monday += Duration::weeks(1);
    }
    out
}

#[derive(Default)]
struct WeekAcc {
    due: Pence,
    collected: Pence,
    arrears: Pence,
    real: Pence,
    roll: Pence,
}

/// The performance report for the tenancies `ids` over [from, to], from each account's figures
/// at the day before `from` and at each rent week's end (`store::snapshots`: stored for days
/// before `today`, computed from the ledger when missing or stale). The same figures as
/// [`performance_report_reference`], which recomputes everything from the ledgers.
#[tracing::instrument(skip_all, fields(%from, %to, accounts = ids.len()))]
pub async fn performance_report(
    db: &DatabaseConnection,
    ids: &[i64],
    from: NaiveDate,
    to: NaiveDate,
    today: NaiveDate,
) -> anyhow::Result<Report> {
    let weeks = weeks_of(from, to);
    // The day before the period, then each week's (clipped) end: consecutive days bound each
    // week's money, and the last is `to`.
    let before = from
        .pred_opt()
        .ok_or_else(|| anyhow::anyhow!("a report cannot start on {from}"))?;
    let days: Vec<NaiveDate> = std::iter::once(before)
        .chain(weeks.iter().map(|(_, _, end)| *end))
        .collect();
    let mut week_acc: Vec<WeekAcc> = weeks.iter().map(|_| WeekAcc::default()).collect();
    let mut inputs = Vec::with_capacity(ids.len());
    let mut events = Events::default();
    let mut contacts: BTreeMap<(String, String), u64> = BTreeMap::new();
    let window = (
        london_day_start(from),
        london_day_start(to + Duration::days(1)),
    );
    let grace = crate::cases::instalment_grace_days(db).await?;
    for chunk in ids.chunks(SNAPSHOT_CHUNK) {
        let scope = Scope::new(chunk);
        let heads = snapshots::load_heads(db, &scope, to).await?;
        let mut stored = snapshots::stored(db, &scope, &days).await?;
        let mut missing: Vec<i64> = heads
            .iter()
            .filter(|h| standing_on(&h.tenancy, to).is_some())
            .filter(|h| {
                let hash = snapshots::facts_hash(&h.facts);
                days.iter().any(|d| {
                    stored
                        .get(&(h.tenancy.id, *d))
                        .is_none_or(|r| r.facts_hash != hash)
                })
            })
            .map(|h| h.tenancy.id)
            .collect();
        missing.sort_unstable();
        // Ledgers: those of accounts to compute, and of accounts with a plan to judge.
        let arrangements = arrangement::Entity::find()
            .filter(scope.of(arrangement::Column::TenancyId))
            .filter(arrangement::Column::StartDate.lte(to))
            .all(db)
            .await?;
        let mut need: Vec<i64> = arrangements
            .iter()
            .filter(|a| matches!(a.status.as_str(), "active" | "broken"))
            .map(|a| a.tenancy_id)
            .chain(missing.iter().copied())
            .collect();
        need.sort_unstable();
        need.dedup();
        let loaded = if need.is_empty() {
            vec![]
        } else {
            load_accounts(db, &Scope::new(&need), to).await?
        };
        let mut fresh = vec![];
        for acc in loaded
            .iter()
            .filter(|a| missing.binary_search(&a.tenancy.id).is_ok())
        {
            fresh.extend(snapshots::compute(
                acc.tenancy.id,
                &acc.facts,
                &acc.entries,
                &days,
            ));
        }
        // The ledger rows each computation read: stored only while the ledger still has them all.
        let counts: HashMap<i64, u64> = loaded
            .iter()
            .filter(|a| missing.binary_search(&a.tenancy.id).is_ok())
            .map(|a| (a.tenancy.id, a.entries.len() as u64))
            .collect();
        if let Err(e) = snapshots::store(db, &fresh, today, to, &counts).await {
            // A cache: the report is right without it (SQLite refuses a write whose snapshot an
            // import's commit made stale, which is this same race).
            tracing::warn!(error = %e, "stored week figures not kept this time");
        }
        stored.extend(fresh.into_iter().map(|r| ((r.tenancy_id, r.on_date), r)));
        let ledgers: HashMap<i64, &[LedgerEntry]> = loaded
            .iter()
            .map(|a| (a.tenancy.id, a.entries.as_slice()))
            .collect();
        let stage_at_end =
            diary_and_messages(db, &scope, window, &mut events, &mut contacts).await?;
        count_arrangements(&arrangements, &ledgers, from, to, grace, &mut events)?;
        for h in &heads {
            let t = &h.tenancy;
            let Some(standing) = standing_on(t, to) else {
                continue;
            };
            let rows: Option<Vec<&account_week::Model>> =
                days.iter().map(|d| stored.get(&(t.id, *d))).collect();
            // Left out, as by `load_accounts`: figures out of range at the period's end (an
            // account whose ledger could not be summarised has no rows).
            let Some(rows) = rows.filter(|r| r.last().is_some_and(|end| end.in_range)) else {
                continue;
            };
            let (first, end) = (rows[0], rows[rows.len() - 1]);
            let [rent_due, collected, written_off] = snapshots::money_between(first, end);
            let claim_open = h
                .claim
                .as_ref()
                .filter(|c| c.claim_start <= to && c.ended_on.is_none_or(|e| e >= to));
            inputs.push(AccountInputs {
                standing,
                money: PeriodMoney {
                    rent_due,
                    collected,
                    written_off,
                    arrears_brought_forward: Pence(first.balance_pence).max(Pence::ZERO),
                },
                arrears: Pence(end.arrears_pence),
                real_arrears: Pence(end.real_arrears_pence),
                technical_arrears: Pence(end.technical_arrears_pence),
                weeks_in_arrears_hundredths: end.weeks_in_arrears_hundredths,
                annual_rent_debit: Pence(end.annual_rent_debit_pence),
                stage: stage_at_end.get(&t.id).copied().unwrap_or(Stage::None),
                uc_claimant: claim_open.is_some(),
                apa: claim_open.is_some_and(|c| c.apa_status == "in_place"),
                direct_debit: t.payment_method == "direct_debit",
            });
            for (((_, _, end), pair), w) in
                weeks.iter().zip(rows.windows(2)).zip(week_acc.iter_mut())
            {
                let [due, collected, _] = snapshots::money_between(pair[0], pair[1]);
                w.due += due;
                w.collected += collected;
                if standing_on(t, *end) == Some(Standing::Current) {
                    w.arrears += Pence(pair[1].arrears_pence);
                    w.real += Pence(pair[1].real_arrears_pence);
                    w.roll += Pence(pair[1].annual_rent_debit_pence);
                }
            }
        }
    }
    Ok(finish(
        from, to, &inputs, events, contacts, &weeks, week_acc,
    ))
}

fn finish(
    from: NaiveDate,
    to: NaiveDate,
    inputs: &[AccountInputs],
    events: Events,
    contacts: BTreeMap<(String, String), u64>,
    weeks: &[(NaiveDate, NaiveDate, NaiveDate)],
    week_acc: Vec<WeekAcc>,
) -> Report {
    Report {
        from,
        to,
        figures: performance(inputs),
        events,
        contacts: contacts
            .into_iter()
            .map(|((channel, outcome), count)| ContactCount {
                channel,
                outcome,
                count,
            })
            .collect(),
        weeks: weeks
            .iter()
            .zip(week_acc)
            .map(|((monday, _, _), w)| {
                WeekFigures::new(*monday, w.due, w.collected, w.arrears, w.real, w.roll)
            })
            .collect(),
    }
}

/// The performance report recomputed from every ledger (one `arrears::summarise` per account
/// per week): the reference [`performance_report`] must agree with (tests, `bench reports
/// --check`). Nothing is read from or written to `account_weeks`.
#[tracing::instrument(skip_all, fields(%from, %to, accounts = ids.len()))]
pub async fn performance_report_reference(
    db: &DatabaseConnection,
    ids: &[i64],
    from: NaiveDate,
    to: NaiveDate,
) -> anyhow::Result<Report> {
    let weeks = weeks_of(from, to);
    let mut week_acc: Vec<WeekAcc> = weeks.iter().map(|_| WeekAcc::default()).collect();
    let mut inputs = Vec::with_capacity(ids.len());
    let mut events = Events::default();
    let mut contacts: BTreeMap<(String, String), u64> = BTreeMap::new();
    let window = (
        london_day_start(from),
        london_day_start(to + Duration::days(1)),
    );
    let year = RentYear::containing(to);
    let grace = crate::cases::instalment_grace_days(db).await?;
    for chunk in ids.chunks(CHUNK) {
        let accounts = load_accounts(db, &Scope::new(chunk), to).await?;
        let scope = Scope::new(chunk);
        let stage_at_end =
            diary_and_messages(db, &scope, window, &mut events, &mut contacts).await?;
        let arrangements = arrangement::Entity::find()
            .filter(scope.of(arrangement::Column::TenancyId))
            .filter(arrangement::Column::StartDate.lte(to))
            .all(db)
            .await?;
        let ledgers: HashMap<i64, &[LedgerEntry]> = accounts
            .iter()
            .map(|a| (a.tenancy.id, a.entries.as_slice()))
            .collect();
        count_arrangements(&arrangements, &ledgers, from, to, grace, &mut events)?;
        for acc in &accounts {
            let t = &acc.tenancy;
            let Some(standing) = standing_on(t, to) else {
                continue;
            };
            let s = &acc.summary;
            let claim_open = acc
                .claim
                .as_ref()
                .filter(|c| c.claim_start <= to && c.ended_on.is_none_or(|e| e >= to));
            inputs.push(AccountInputs {
                standing,
                money: period_money(&acc.entries, from, to),
                arrears: s.arrears,
                real_arrears: s.real_arrears,
                technical_arrears: s.technical_arrears,
                weeks_in_arrears_hundredths: s.weeks_in_arrears_hundredths,
                annual_rent_debit: acc.facts.schedule.annual_debit(year),
                stage: stage_at_end.get(&t.id).copied().unwrap_or(Stage::None),
                uc_claimant: claim_open.is_some(),
                apa: claim_open.is_some_and(|c| c.apa_status == "in_place"),
                direct_debit: t.payment_method == "direct_debit",
            });
            for ((_, start, end), w) in weeks.iter().zip(week_acc.iter_mut()) {
                // The ledger is in date order: each week reads only its own rows, and the
                // summary at its end only the rows up to then (what `summarise` would keep).
                let upto = acc.entries.partition_point(|e| e.posted_on <= *end);
                let first = acc.entries[..upto].partition_point(|e| e.posted_on < *start);
                let money = period_money(&acc.entries[first..upto], *start, *end);
                w.due += money.rent_due;
                w.collected += money.collected;
                if standing_on(t, *end) == Some(Standing::Current) {
                    let then = summarise(&acc.facts, &acc.entries[..upto], *end);
                    w.arrears += then.arrears;
                    w.real += then.real_arrears;
                    w.roll += acc.facts.schedule.annual_debit(RentYear::containing(*end));
                }
            }
        }
    }
    Ok(finish(
        from, to, &inputs, events, contacts, &weeks, week_acc,
    ))
}

type Window = (chrono::DateTime<chrono::Utc>, chrono::DateTime<chrono::Utc>);

/// Count the diary's enforcement events and contacts, and Rentdesk's messages, in the period;
/// return each tenancy's stage at its end.
async fn diary_and_messages(
    db: &DatabaseConnection,
    scope: &Scope<'_>,
    window: Window,
    events: &mut Events,
    contacts: &mut BTreeMap<(String, String), u64>,
) -> Result<HashMap<i64, Stage>, sea_orm::DbErr> {
    let actions = action::Entity::find()
        .filter(scope.of(action::Column::TenancyId))
        .filter(action::Column::Kind.is_in([
            crate::vocab::ActionKind::Stage,
            crate::vocab::ActionKind::Notice,
            crate::vocab::ActionKind::Call,
            crate::vocab::ActionKind::Visit,
            crate::vocab::ActionKind::Letter,
            crate::vocab::ActionKind::Sms,
            crate::vocab::ActionKind::Email,
        ]))
        .filter(action::Column::OccurredAt.lt(window.1))
        .all(db)
        .await?;
    let mut stage_at_end: HashMap<i64, (chrono::DateTime<chrono::Utc>, i64, Stage)> =
        HashMap::new();
    for a in &actions {
        let in_period = a.occurred_at >= window.0;
        match (a.kind.as_str(), a.outcome.as_deref()) {
            ("stage" | "notice", Some(outcome)) => {
                if let Ok(stage) = Stage::from_str(outcome) {
                    let key = (a.occurred_at, a.id);
                    let e =
                        stage_at_end
                            .entry(a.tenancy_id)
                            .or_insert((a.occurred_at, a.id, stage));
                    if key >= (e.0, e.1) {
                        *e = (a.occurred_at, a.id, stage);
                    }
                }
                if in_period {
                    match (a.kind.as_str(), outcome) {
                        ("notice", _) => events.notices_served += 1,
                        (_, "court_application") => events.court_applications += 1,
                        (_, "order") => events.orders += 1,
                        (_, "warrant") => events.warrants += 1,
                        (_, "eviction") => events.evictions += 1,
                        _ => {}
                    }
                }
            }
            // Texts and emails are imported history (outcome `sent`); Rentdesk's own are
            // the messages counted below.
            ("call" | "visit" | "letter" | "sms" | "email", outcome) if in_period => {
                *contacts
                    .entry((a.kind.to_string(), outcome.unwrap_or("recorded").to_owned()))
                    .or_default() += 1;
            }
            _ => {}
        }
    }
    for m in message::Entity::find()
        .filter(scope.of(message::Column::TenancyId))
        .filter(message::Column::SentAt.gte(window.0))
        .filter(message::Column::SentAt.lt(window.1))
        .all(db)
        .await?
    {
        *contacts.entry((m.channel, m.status)).or_default() += 1;
    }
    Ok(stage_at_end
        .into_iter()
        .map(|(id, (_, _, stage))| (id, stage))
        .collect())
}

/// Arrangements made in the period, and kept or broken at its end (for accounts in `ledgers`:
/// those in range).
fn count_arrangements(
    arrangements: &[arrangement::Model],
    ledgers: &HashMap<i64, &[LedgerEntry]>,
    from: NaiveDate,
    to: NaiveDate,
    grace: u32,
    events: &mut Events,
) -> anyhow::Result<()> {
    for a in arrangements {
        let agreed = !matches!(a.status.as_str(), "pending_review" | "declined");
        if agreed && a.start_date >= from {
            events.arrangements_made += 1;
        }
        if matches!(a.status.as_str(), "active" | "broken")
            && let Some(entries) = ledgers.get(&a.tenancy_id)
        {
            match plan_state_of(a, entries, to, grace)? {
                Some(PlanState::Kept { .. }) => events.arrangements_kept += 1,
                Some(PlanState::Broken) => events.arrangements_broken += 1,
                _ => {}
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn weeks_are_clipped_to_the_period() {
        // Wednesday 4 Nov to Tuesday 17 Nov 2026: three rent weeks, the ends clipped.
        let w = weeks_of(ymd(2026, 11, 4), ymd(2026, 11, 17));
        assert_eq!(
            w,
            [
                (ymd(2026, 11, 2), ymd(2026, 11, 4), ymd(2026, 11, 8)),
                (ymd(2026, 11, 9), ymd(2026, 11, 9), ymd(2026, 11, 15)),
                (ymd(2026, 11, 16), ymd(2026, 11, 16), ymd(2026, 11, 17)),
            ]
        );
        assert_eq!(weeks_of(ymd(2026, 11, 2), ymd(2026, 11, 2)).len(), 1);
    }
}
