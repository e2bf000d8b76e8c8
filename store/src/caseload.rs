//! The caseload: every account of a set of tenancies assessed by `domain::priority::assess`,
//! loaded in bulk (a fixed number of queries per chunk of tenancies, never one per account),
//! highest priority first. The officer API filters and pages this; it does not re-rank it.

use crate::cases::{domain_arrangement, instalment_grace_days, plan_state_of};
use crate::entities::{action, arrangement, case, flag, message};
use crate::evaluation::{LoadedAccount, Scope, load_accounts};
use crate::facts::CorruptRow;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use rentdesk_domain::Pence;
use rentdesk_domain::arrangements;
use rentdesk_domain::arrangements::InstalmentStatus;
use rentdesk_domain::arrears::summarise;
use rentdesk_domain::benefits::BENEFIT_GRACE_DAYS;
use rentdesk_domain::benefits::BenefitIncome;
use rentdesk_domain::outreach::triggers;
use rentdesk_domain::possession::protocol::NoticeDates;
use rentdesk_domain::possession::types::Stage;
use rentdesk_domain::priority::{
    Assessment, PlanFacts, PriorityFacts, PriorityPolicy, UcClaimFacts, assess as assess_one,
};
use sea_orm::sea_query::{Expr, Func};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use std::collections::HashMap;
use std::str::FromStr;

const CHUNK: usize = 1000;

/// Diary entries that mean someone reached the tenant or the tenant reached us.
/// (`sms` and `email` are texts and emails sent by a landlord's old system, imported as history.)
pub const CONTACT_ACTIONS: [&str; 7] = [
    "call",
    "visit",
    "letter",
    "reply",
    "arrangement",
    "sms",
    "email",
];
/// Message states that mean it left us.
pub const CONTACT_MESSAGES: [&str; 2] = ["sent", "delivered"];
/// Flag kinds that mark a tenant as vulnerable.
pub const VULNERABILITY: &str = "vulnerability";

/// One account on (or counted off) the caseload.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Assessed {
    pub tenancy_id: i64,
    pub reference: String,
    /// First line, second line and town, comma-separated.
    pub address: String,
    pub postcode: String,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub patch_id: Option<i64>,
    pub real_arrears: Pence,
    pub weeks_in_arrears_hundredths: Option<i64>,
    pub stage: Stage,
    /// What the assessment saw (for the API's filters: UC, arrangement, vulnerable, contact).
    pub facts: PriorityFacts,
    pub assessment: Assessment,
}

/// Assess `tenancy_ids` as of `today` with `policy`, highest score first (ties: larger real
/// arrears, then tenancy id). Unknown ids are skipped.
pub async fn assess_with(
    db: &DatabaseConnection,
    tenancy_ids: &[i64],
    today: NaiveDate,
    policy: &PriorityPolicy,
) -> anyhow::Result<Vec<Assessed>> {
    let mut ids = tenancy_ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    let mut out = Vec::with_capacity(ids.len());
    // Broken or kept by the council's own grace, as the worker's broken-arrangement rule sees it.
    let grace = instalment_grace_days(db).await?;
    for chunk in ids.chunks(CHUNK) {
        out.extend(assess_chunk(db, chunk, today, policy, grace).await?);
    }
    out.sort_by(|a, b| {
        b.assessment
            .score
            .cmp(&a.assessment.score)
            .then(b.real_arrears.cmp(&a.real_arrears))
            .then(a.tenancy_id.cmp(&b.tenancy_id))
    });
    Ok(out)
}

/// [`assess_with`] the default policy.
pub async fn assess(
    db: &DatabaseConnection,
    tenancy_ids: &[i64],
    today: NaiveDate,
) -> anyhow::Result<Vec<Assessed>> {
    assess_with(db, tenancy_ids, today, &PriorityPolicy::default()).await
}

/// Everything beside the ledger that the priority rules read, for one chunk.
#[derive(Default)]
struct Context {
    cases: HashMap<i64, case::Model>,
    plans: HashMap<i64, arrangement::Model>,
    /// The flags in force today.
    flags: HashMap<i64, Vec<flag::Model>>,
    /// Every Breathing Space (start, end), past, present or ahead: they move notice deadlines.
    breathing_spaces: HashMap<i64, Vec<(NaiveDate, Option<NaiveDate>)>>,
    /// The notice last served on each account, with its dates (as `steps::current_notice`).
    notices: HashMap<i64, NoticeDates>,
    last_contact: HashMap<i64, NaiveDate>,
}

async fn load_context(
    db: &DatabaseConnection,
    scope: &Scope<'_>,
    today: NaiveDate,
) -> anyhow::Result<Context> {
    let mut cx = Context::default();
    for c in case::Entity::find()
        .filter(scope.of(case::Column::TenancyId))
        .all(db)
        .await?
    {
        cx.cases.insert(c.tenancy_id, c);
    }
    // The current plan: the latest one still in force or waiting (as `plans::current`).
    for a in arrangement::Entity::find()
        .filter(scope.of(arrangement::Column::TenancyId))
        .filter(arrangement::Column::Status.is_in(crate::plans::CURRENT))
        .order_by_asc(arrangement::Column::Id)
        .all(db)
        .await?
    {
        cx.plans.insert(a.tenancy_id, a);
    }
    for f in flag::Entity::find()
        .filter(scope.of(flag::Column::TenancyId))
        .filter(crate::flags::not_withdrawn())
        .all(db)
        .await?
    {
        if f.kind.starts_with("breathing_space") {
            cx.breathing_spaces
                .entry(f.tenancy_id)
                .or_default()
                .push((f.starts_on, f.ends_on));
        }
        if crate::flags::state(&f).in_force(today) {
            cx.flags.entry(f.tenancy_id).or_default().push(f);
        }
    }
    // Oldest first, so the latest notice served (up to `today`) wins.
    let until = rentdesk_domain::time::london_day_start(today + Duration::days(1));
    for a in action::Entity::find()
        .filter(scope.of(action::Column::TenancyId))
        .filter(action::Column::Kind.eq(crate::vocab::ActionKind::Notice))
        .filter(action::Column::OccurredAt.lt(until))
        .order_by_asc(action::Column::OccurredAt)
        .order_by_asc(action::Column::Id)
        .all(db)
        .await?
    {
        if let Some(n) = a
            .facts
            .as_deref()
            .and_then(|f| serde_json::from_str::<NoticeDates>(f).ok())
        {
            cx.notices.insert(a.tenancy_id, n);
        }
    }
    cx.last_contact = last_contacts(db, scope, today).await?;
    Ok(cx)
}

/// The London date each account in `scope` was last in contact (a call, visit, letter, reply
/// or arrangement in the diary, or a message that left us), up to the end of `today`.
pub(crate) async fn last_contacts(
    db: &DatabaseConnection,
    scope: &Scope<'_>,
    today: NaiveDate,
) -> Result<HashMap<i64, NaiveDate>, sea_orm::DbErr> {
    let mut last_contact: HashMap<i64, NaiveDate> = HashMap::new();
    // Nothing after the end of `today` counts: back-dated runs see what was known then.
    let until = rentdesk_domain::time::london_day_start(today + Duration::days(1));
    let actions: Vec<(i64, Option<DateTime<Utc>>)> = action::Entity::find()
        .select_only()
        .column(action::Column::TenancyId)
        .column_as(
            Expr::expr(Func::max(Expr::col(action::Column::OccurredAt))),
            "last_contact",
        )
        .filter(scope.of(action::Column::TenancyId))
        .filter(action::Column::Kind.is_in(CONTACT_ACTIONS))
        .filter(action::Column::OccurredAt.lt(until))
        .group_by(action::Column::TenancyId)
        .into_tuple()
        .all(db)
        .await?;
    let messages: Vec<(i64, Option<DateTime<Utc>>)> = message::Entity::find()
        .select_only()
        .column(message::Column::TenancyId)
        .column_as(
            Expr::expr(Func::max(Expr::col(message::Column::SentAt))),
            "last_contact",
        )
        .filter(scope.of(message::Column::TenancyId))
        .filter(message::Column::Status.is_in(CONTACT_MESSAGES))
        .filter(message::Column::SentAt.lt(until))
        .group_by(message::Column::TenancyId)
        .into_tuple()
        .all(db)
        .await?;
    for (tenancy_id, at) in actions.into_iter().chain(messages) {
        if let Some(at) = at {
            let day = rentdesk_domain::time::london_date(at);
            let e = last_contact.entry(tenancy_id).or_insert(day);
            *e = (*e).max(day);
        }
    }
    Ok(last_contact)
}

async fn assess_chunk(
    db: &DatabaseConnection,
    ids: &[i64],
    today: NaiveDate,
    policy: &PriorityPolicy,
    grace_days: u32,
) -> anyhow::Result<Vec<Assessed>> {
    let scope = Scope::new(ids);
    let accounts = load_accounts(db, &scope, today).await?;
    let cx = load_context(db, &scope, today).await?;
    accounts
        .into_iter()
        .map(|a| {
            let facts = priority_facts(&a, &cx, today, policy, grace_days)?;
            let assessment = assess_one(&facts, policy, today);
            let t = a.tenancy;
            let address = [Some(t.address_line1), t.address_line2, Some(t.town)]
                .into_iter()
                .flatten()
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
                .join(", ");
            Ok(Assessed {
                tenancy_id: t.id,
                reference: t.reference,
                address,
                postcode: t.postcode,
                latitude: t.latitude,
                longitude: t.longitude,
                patch_id: t.patch_id,
                real_arrears: facts.now.real_arrears,
                weeks_in_arrears_hundredths: facts.now.weeks_in_arrears_hundredths,
                stage: facts.stage,
                facts,
                assessment,
            })
        })
        .collect()
}

/// The facts of one loaded account (pure: every row it needs is in `cx`).
fn priority_facts(
    a: &LoadedAccount,
    cx: &Context,
    today: NaiveDate,
    policy: &PriorityPolicy,
    grace_days: u32,
) -> anyhow::Result<PriorityFacts> {
    let id = a.tenancy.id;
    let (stage, stage_since) = match cx.cases.get(&id) {
        Some(c) => (
            Stage::from_str(&c.stage).map_err(|reason| CorruptRow {
                table: "cases",
                id: c.id,
                column: "stage",
                value: c.stage.clone(),
                reason,
            })?,
            c.stage_since,
        ),
        None => (Stage::None, today),
    };
    let plan = match cx.plans.get(&id) {
        Some(p) => plan_state_of(p, &a.entries, today, grace_days)?.map(|state| {
            let missed = domain_arrangement(p)
                .map(|arr| {
                    arrangements::adherence(&arr, &a.entries, today, grace_days)
                        .iter()
                        .filter(|i| {
                            matches!(
                                i.status,
                                InstalmentStatus::Missed | InstalmentStatus::PartPaid
                            )
                        })
                        .count() as u32
                })
                .unwrap_or(0);
            PlanFacts {
                agreed: p.start_date,
                state,
                missed_instalments: missed,
            }
        }),
        None => None,
    };
    let flags = cx.flags.get(&id).map(Vec::as_slice).unwrap_or_default();
    let in_breathing_space = flags.iter().find(|f| f.kind.starts_with("breathing_space"));
    let breathing_space = in_breathing_space.map(|f| f.ends_on);
    let breathing_space_review_by = in_breathing_space.and_then(crate::flags::review_by);
    let vulnerable = flags.iter().any(|f| f.kind == VULNERABILITY);
    let uc_claim = match a.facts.benefit {
        Some(BenefitIncome::UniversalCredit {
            claim_start,
            ends_on: None,
            ..
        }) => Some(UcClaimFacts::new(claim_start)),
        _ => None,
    };
    let hb_change = match a.facts.benefit {
        Some(income @ BenefitIncome::HousingBenefit { .. }) => {
            triggers::hb_change(&income, &a.entries, today, BENEFIT_GRACE_DAYS).map(|t| t.reason)
        }
        _ => None,
    };
    let then = today - Duration::days(policy.trend_days);
    let earlier =
        (a.facts.schedule.start_date <= then).then(|| summarise(&a.facts, &a.entries, then));
    // Real arrears on the recent rent-week starts the tenancy had, newest first.
    let weekly: Vec<(NaiveDate, i64)> = rentdesk_domain::priority::recent_weeks(today, policy)
        .into_iter()
        .filter(|d| a.facts.schedule.start_date <= *d)
        .filter_map(|d| {
            summarise(&a.facts, &a.entries, d)
                .weeks_in_arrears_hundredths
                .map(|w| (d, w))
        })
        .collect();
    let recent = rentdesk_domain::priority::recent_levels(
        a.summary.weeks_in_arrears_hundredths,
        &weekly,
        today,
        policy,
    );
    Ok(PriorityFacts {
        now: a.summary.clone(),
        earlier,
        recent_peak: recent.peak,
        recent_low: recent.low,
        usual: recent.usual,
        plan,
        last_contact: cx.last_contact.get(&id).copied(),
        stage,
        stage_since,
        notice: cx.notices.get(&id).cloned(),
        uc_claim,
        hb_change,
        vulnerable,
        breathing_space,
        breathing_space_review_by,
        breathing_spaces: cx.breathing_spaces.get(&id).cloned().unwrap_or_default(),
    })
}
