//! The lived-in demo landlord: what `rentdesk dev` adds on first start after the seed
//! (`seed::seed`) and before the nightly run. The seed writes two years of ledger and nothing an
//! officer did; this module lives through the last months of that history as the income team
//! would have, by calling the same store functions the officer API calls, with the clock set
//! to the day each thing happened: letters, protocol steps, notices, court steps through
//! `possession::record_step`, calls, visits and notes through `officer::record_action`. The
//! rules refuse what the law does not allow, so the history is consistent by construction: a
//! refusal is a wrong choice here, reported in [`LivedInReport::refused`] (the e2e test
//! requires none), never bypassed.
//!
//! Accounts are picked by what their ledger says on the days that matter (arrears of so many
//! weeks when the letter or notice went out, the order's terms kept or broken since), so every
//! stage lands on an account that would really be there. Deterministic: the same seed and
//! date give the same history. Not part of `seed::seed_profile`: the benchmarks time that.
//!
//! The choreography is [`scenes`]: one list, read top to bottom, of what each kind of account
//! went through and how many days ago.

use crate::entities::{arrangement, flag, patch, staff_user, tenancy, transaction, uc_claim};
use crate::officer::NewAction;
use crate::possession::{StepPolicy, StepRefusal, StepRequest, TermsRequest, record_step};
use crate::seed::Rng;
use crate::vocab::ActionKind;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use rentdesk_domain::Pence;
use rentdesk_domain::arrangements::InstalmentStatus;
use rentdesk_domain::ledger::LedgerEntry;
use rentdesk_domain::possession::court;
use rentdesk_domain::possession::order::OrderTerms;
use rentdesk_domain::possession::protocol::{ProtocolStep, ServiceMethod};
use rentdesk_domain::possession::types::Stage;
use rentdesk_domain::tenancy::Frequency;
use sea_orm::sea_query::{Alias, Expr, Func};
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// One thing done on an account.
#[derive(Debug, Clone, Copy)]
enum Do {
    /// A stage with no details: a letter, early intervention, protocol steps complete, the
    /// court application, a warrant.
    Stage(Stage),
    Protocol(ProtocolStep),
    /// A protocol step that is a letter giving the tenant a time limit of `days` (Part 3's
    /// letter explaining why possession is sought, para 2.9's warning).
    ProtocolLetter {
        step: ProtocolStep,
        days: i64,
    },
    /// The notice the tenure gets (NOSP or section 8), sent that day by first-class post, or
    /// by hand at 10:30.
    Notice {
        by_hand: bool,
    },
    /// The hearing, listed `in_days` after the day it is recorded.
    Hearing {
        in_days: i64,
    },
    /// The order made at the hearing recorded before (`kind`: suspended or postponed), with
    /// terms from a week later; the amount towards the arrears is the scene's [`Terms`].
    Order {
        kind: &'static str,
    },
    /// A postponed order breached: the written notice of the intention to apply to fix a date
    /// (PD 55A para 10.3), by first-class post.
    FixDateNotice,
    Call {
        outcome: &'static str,
        body: &'static str,
    },
    Visit {
        outcome: &'static str,
        body: &'static str,
    },
    Note(&'static str),
}

/// Whether the order's terms are to be kept or broken on the ledger the seed wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Terms {
    Kept,
    Breached,
}

/// A kind of account and what it went through: `(days ago, what)`, oldest first.
struct Scene {
    name: &'static str,
    /// How many accounts of 1,000 (scaled to the seeded count, at least one).
    per_thousand: usize,
    /// `secure` (NOSP and the court path), `starter` (section 8) or any tenure that pays rent.
    tenure: Option<&'static str>,
    /// Arrears, in weeks of the weekly charge, on the day of every stage and notice step.
    min_weeks: i64,
    /// Each account's timeline moves up to this many days earlier (spread, not all one day).
    spread_days: i64,
    terms: Option<Terms>,
    steps: Vec<(i64, Do)>,
}

const TELL_CAUSE: &str = "Spoke to the tenant: hours cut at work, behind since. Discussed the \
     arrears, their income and benefits, and how they could repay.";
const IE_DONE: &str = "Income and expenditure taken over the phone; offered an affordable \
     weekly amount towards the arrears, in writing, and signposted StepChange for free debt advice.";

/// The protocol steps before a notice (the Pre-Action Protocol for Possession Claims by Social
/// Landlords, paras 2.1–2.6), from `ago` days ago, a call and a few days apart.
fn protocol_before_notice(ago: i64) -> Vec<(i64, Do)> {
    vec![
        (
            ago,
            Do::Call {
                outcome: "answered",
                body: TELL_CAUSE,
            },
        ),
        (ago, Do::Protocol(ProtocolStep::ContactMade)),
        (ago - 1, Do::Note(IE_DONE)),
        (
            ago - 1,
            Do::Protocol(ProtocolStep::AffordablePaymentsOffered),
        ),
        (ago - 2, Do::Protocol(ProtocolStep::RentStatementSent)),
        (ago - 2, Do::Protocol(ProtocolStep::BenefitHelpOffered)),
        (ago - 3, Do::Protocol(ProtocolStep::VulnerabilityConsidered)),
        (ago - 4, Do::Stage(Stage::ProtocolStepsComplete)),
    ]
}

/// The first and second letters, from `ago` days ago (early intervention before them is the
/// nightly run's: messages and tasks, no stage recorded by hand).
fn letters(ago: i64) -> Vec<(i64, Do)> {
    vec![
        (
            ago - 2,
            Do::Call {
                outcome: "no_answer",
                body: "Called about the missed payments; no answer.",
            },
        ),
        (ago - 14, Do::Stage(Stage::FirstLetter)),
        (
            ago - 20,
            Do::Call {
                outcome: "voicemail",
                body: "Left a voicemail asking the tenant to call back about the arrears.",
            },
        ),
        (ago - 35, Do::Stage(Stage::SecondLetter)),
    ]
}

/// A notice `ago` days ago after its letters and protocol steps, by post.
fn to_notice(ago: i64, by_hand: bool) -> Vec<(i64, Do)> {
    let mut steps = letters(ago + 80);
    steps.extend(protocol_before_notice(ago + 30));
    steps.push((ago, Do::Notice { by_hand }));
    steps
}

/// A claim issued `ago` days ago on a NOSP served 60 days before it: the copy of the Protocol
/// after the notice, a contact attempt after it (para 2.8), a rent statement again within the
/// three months before issue (para 3.1).
fn to_court_application(ago: i64) -> Vec<(i64, Do)> {
    let mut steps = to_notice(ago + 60, false);
    steps.push((ago + 55, Do::Protocol(ProtocolStep::ProtocolCopySent)));
    steps.push((
        ago + 20,
        Do::Visit {
            outcome: "no_access",
            body: "Visited to discuss the notice and a repayment plan; no answer, card left.",
        },
    ));
    // Para 2.8: the attempt to discuss the arrears after the notice, before the claim.
    steps.push((ago + 20, Do::Protocol(ProtocolStep::PostNoticeContact)));
    steps.push((ago + 5, Do::Protocol(ProtocolStep::RentStatementSent)));
    steps.push((ago, Do::Stage(Stage::CourtApplication)));
    steps
}

/// A hearing `hearing_ago` days ago (recorded when listed, 6 weeks after the claim) at which a
/// `kind` order was made.
fn to_order(hearing_ago: i64, kind: &'static str) -> Vec<(i64, Do)> {
    let mut steps = to_court_application(hearing_ago + 56);
    steps.push((hearing_ago + 42, Do::Hearing { in_days: 42 }));
    steps.push((hearing_ago, Do::Order { kind }));
    steps
}

/// What each kind of account went through, oldest step first. Days are days before today.
fn scenes() -> Vec<Scene> {
    let keeping_to_terms =
        Do::Note("Checked payments against the order's terms: kept so far. Monitoring continues.");
    let breach_visit = Do::Visit {
        outcome: "contact_made",
        body: "Visited after the missed payments under the order: explained that a warrant \
               may be applied for if the terms are not kept.",
    };
    vec![
        Scene {
            name: "early intervention",
            per_thousand: 15,
            tenure: None,
            min_weeks: 1,
            spread_days: 20,
            terms: None,
            steps: vec![
                (
                    10,
                    Do::Call {
                        outcome: "promise_to_pay",
                        body: "Tenant forgot the payment after changing banks; promised to \
                               pay on Friday.",
                    },
                ),
                (10, Do::Stage(Stage::EarlyIntervention)),
            ],
        },
        Scene {
            name: "first letter",
            per_thousand: 15,
            tenure: None,
            min_weeks: 2,
            spread_days: 20,
            terms: None,
            steps: {
                let mut s = letters(30);
                s.truncate(2);
                s
            },
        },
        Scene {
            name: "second letter",
            per_thousand: 12,
            tenure: None,
            min_weeks: 3,
            spread_days: 20,
            terms: None,
            steps: letters(45),
        },
        Scene {
            name: "protocol steps complete",
            per_thousand: 8,
            tenure: Some("secure"),
            min_weeks: 4,
            spread_days: 20,
            terms: None,
            steps: {
                let mut s = letters(100);
                s.extend(protocol_before_notice(40));
                s
            },
        },
        Scene {
            name: "NOSP served",
            per_thousand: 6,
            tenure: Some("secure"),
            min_weeks: 4,
            spread_days: 20,
            terms: None,
            steps: to_notice(5, false),
        },
        Scene {
            name: "NOSP served by hand",
            per_thousand: 2,
            tenure: Some("secure"),
            min_weeks: 4,
            spread_days: 15,
            terms: None,
            steps: to_notice(12, true),
        },
        // A NOSP lapses 12 months after the date it specifies (HA 1985 s83(3)(b)): served
        // about 12 months and 4 weeks ago, it lapses in the next few weeks.
        Scene {
            name: "NOSP near lapse",
            per_thousand: 3,
            tenure: Some("secure"),
            min_weeks: 4,
            spread_days: 10,
            terms: None,
            steps: to_notice(375, false),
        },
        // A section 8 notice gives ground 8, a mandatory ground: Part 3 of the Protocol asks
        // for a letter explaining why possession is sought, with a date for the occupiers'
        // representations (para 3.2(a)), sent after the notice.
        Scene {
            name: "section 8 served",
            per_thousand: 3,
            tenure: Some("starter"),
            min_weeks: 4,
            spread_days: 20,
            terms: None,
            steps: {
                let mut s = to_notice(8, false);
                s.push((
                    6,
                    Do::ProtocolLetter {
                        step: ProtocolStep::PossessionReasonsExplained,
                        days: 14,
                    },
                ));
                s
            },
        },
        Scene {
            name: "court application",
            per_thousand: 5,
            tenure: Some("secure"),
            min_weeks: 4,
            spread_days: 15,
            terms: None,
            steps: to_court_application(15),
        },
        Scene {
            name: "hearing listed",
            per_thousand: 4,
            tenure: Some("secure"),
            min_weeks: 4,
            spread_days: 10,
            terms: None,
            // Listed 3 weeks ago for a hearing in the next three weeks.
            steps: {
                let mut s = to_court_application(50);
                s.push((21, Do::Hearing { in_days: 35 }));
                s
            },
        },
        Scene {
            name: "suspended order kept",
            per_thousand: 4,
            tenure: Some("secure"),
            min_weeks: 4,
            spread_days: 30,
            terms: Some(Terms::Kept),
            steps: {
                let mut s = to_order(120, "suspended");
                s.push((30, keeping_to_terms));
                s
            },
        },
        Scene {
            name: "suspended order breached",
            per_thousand: 4,
            tenure: Some("secure"),
            min_weeks: 4,
            spread_days: 30,
            terms: Some(Terms::Breached),
            steps: {
                let mut s = to_order(150, "suspended");
                s.push((20, breach_visit));
                s
            },
        },
        Scene {
            name: "postponed order breached",
            per_thousand: 2,
            tenure: Some("secure"),
            min_weeks: 4,
            spread_days: 20,
            terms: Some(Terms::Breached),
            steps: {
                let mut s = to_order(160, "postponed");
                s.push((25, breach_visit));
                s.push((18, Do::FixDateNotice));
                s
            },
        },
        Scene {
            name: "warrant",
            per_thousand: 2,
            tenure: Some("secure"),
            min_weeks: 4,
            spread_days: 10,
            terms: Some(Terms::Breached),
            steps: {
                let mut s = to_order(200, "suspended");
                s.push((40, breach_visit));
                s.push((12, Do::Stage(Stage::Warrant)));
                s
            },
        },
    ]
}

/// What [`run`] made.
#[derive(Debug, Clone, Default, Serialize)]
pub struct LivedInReport {
    /// Accounts per scene.
    pub scenes: BTreeMap<String, u64>,
    /// Steps recorded through `possession::record_step`.
    pub steps: u64,
    /// Calls, visits and notes recorded through `officer::record_action`.
    pub diary: u64,
    /// Steps the rules refused (a wrong choice in [`scenes`]; expected empty).
    pub refused: Vec<String>,
    /// Mental-health crisis Breathing Spaces notified (the seed has standard ones and
    /// vulnerability flags).
    pub crisis_breathing_spaces: u64,
    /// Visits planned for tomorrow, with appointment windows.
    pub visits_tomorrow: u64,
    /// Tenants signed up to the app with a phone registered for push.
    pub app_devices: u64,
    /// Arrangements that broke whose tenant was warned in writing, with a time limit (para 2.9).
    pub breach_warnings: u64,
    /// Universal Credit claims the tenant reported in the app wanting a managed payment, whose
    /// task the officer then completed with the APA requested.
    pub apa_requested: u64,
}

/// The second demo team's leader (the first is `teamleader@rentdesk.example`, team `income`).
pub const SECOND_TEAM_LEADER: &str = "teamleader2@rentdesk.example";
/// The second team's name.
pub const SECOND_TEAM: &str = "income-south";
/// The patches the second team holds: their officers move to it.
pub const SECOND_TEAM_PATCHES: &[&str] = &["HD-SOUTH", "HD-WEST"];

/// Two teams, so team isolation shows: the officers of the south and west patches move to a
/// second team with its own leader, created as `POST /manage/v1/officers` creates staff. The
/// first team (`income`: the north, east and central patches, `teamleader@`, `officer1@`) is
/// the one the README's tour signs in as.
async fn two_teams(db: &DatabaseConnection, today: NaiveDate) -> anyhow::Result<()> {
    use crate::staff::Role;
    use sea_orm::{ActiveModelTrait, Set};
    let now = noon(today - Duration::days(400));
    let created = crate::people::create_staff(
        db,
        crate::audit::Actor::System,
        crate::people::NewStaff {
            email: SECOND_TEAM_LEADER,
            name: "Nadia Sykes",
            role: Role::TeamLeader,
            team: Some(SECOND_TEAM),
            password: crate::staff::DEMO_PASSWORD,
        },
        None,
        now,
    )
    .await?;
    if created.is_err() {
        // Already there: the teams were set up before.
        return Ok(());
    }
    let officers: Vec<i64> = patch::Entity::find()
        .filter(patch::Column::Code.is_in(SECOND_TEAM_PATCHES.iter().copied()))
        .all(db)
        .await?
        .into_iter()
        .filter_map(|p| p.officer_id)
        .collect();
    // Which team an officer is in is set up, not lived: no use case moves an officer between
    // teams, so the demo sets it as the seed set the first team.
    for officer in staff_user::Entity::find()
        .filter(staff_user::Column::Id.is_in(officers))
        .all(db)
        .await?
    {
        let mut o: staff_user::ActiveModel = officer.into();
        o.team = Set(Some(SECOND_TEAM.to_owned()));
        o.update(db).await?;
    }
    Ok(())
}

/// An account the scenes may pick.
struct Candidate {
    tenancy: tenancy::Model,
    weekly: Pence,
    officer: staff_user::Model,
}

/// Live through the seeded history as the income team would have, up to `today`.
pub async fn run(
    db: &DatabaseConnection,
    policy: &StepPolicy<'_>,
    seed: u64,
    today: NaiveDate,
) -> anyhow::Result<LivedInReport> {
    let mut report = LivedInReport::default();
    let started = std::time::Instant::now();
    let mut phase = started;
    let mut lap = |name: &str| {
        tracing::debug!(took = ?phase.elapsed(), "lived-in phase: {name}");
        phase = std::time::Instant::now();
    };
    two_teams(db, today).await?;
    lap("two teams");
    let total = tenancy::Entity::find().count(db).await?;
    let candidates = candidates(db, today).await?;
    lap("candidates");
    let (mut in_ledgers, mut in_live) = (std::time::Duration::ZERO, std::time::Duration::ZERO);
    let grace = crate::cases::instalment_grace_days(db).await?;
    let mut rng = Rng::new(seed ^ 0x11FE_D1A0);
    // Every scene draws from the same shuffled list: an account lives one story.
    let mut order: Vec<usize> = (0..candidates.len()).collect();
    for i in (1..order.len()).rev() {
        order.swap(i, rng.below(i as u64 + 1) as usize);
    }
    let mut used = BTreeSet::new();
    let mut ledgers: HashMap<i64, Vec<LedgerEntry>> = HashMap::new();
    // The court stories first: few accounts have been behind long enough for them.
    for scene in scenes().into_iter().rev() {
        let wanted = (scene.per_thousand as u64 * total).div_ceil(1000).max(1) as usize;
        let mut taken = 0;
        for &i in &order {
            if taken == wanted {
                break;
            }
            let c = &candidates[i];
            if used.contains(&c.tenancy.id) || scene.tenure.is_some_and(|t| t != c.tenancy.tenure) {
                continue;
            }
            let shift = rng.range(0, scene.spread_days);
            let entries = match ledgers.get(&c.tenancy.id) {
                Some(e) => e,
                None => {
                    let t = std::time::Instant::now();
                    let e = crate::accounts::ledger(db, c.tenancy.id, today).await?;
                    in_ledgers += t.elapsed();
                    ledgers.entry(c.tenancy.id).or_insert(e)
                }
            };
            let Some(towards) = fits(&scene, shift, c, entries, today, grace) else {
                continue;
            };
            used.insert(c.tenancy.id);
            taken += 1;
            let t = std::time::Instant::now();
            live(db, policy, &scene, shift, towards, c, today, &mut report).await?;
            in_live += t.elapsed();
        }
        report.scenes.insert(scene.name.to_owned(), taken as u64);
    }
    tracing::debug!(
        ledgers = ledgers.len(),
        in_ledgers = ?in_ledgers,
        in_live = ?in_live,
        steps = report.steps,
        diary = report.diary,
        "lived-in: scenes"
    );
    lap("scenes");
    let unused: Vec<&Candidate> = order
        .iter()
        .map(|&i| &candidates[i])
        .filter(|c| !used.contains(&c.tenancy.id))
        .collect();
    crisis_breathing_spaces(db, &unused, today, &mut report).await?;
    lap("crisis breathing spaces");
    let picked: Vec<&Candidate> = candidates
        .iter()
        .filter(|c| used.contains(&c.tenancy.id))
        .collect();
    visits_tomorrow(db, &picked, today, &mut report).await?;
    lap("visits tomorrow");
    app_devices(db, &unused, today, &mut report).await?;
    apa_requests(db, &unused, today, &mut report).await?;
    lap("app devices and APA requests");
    breach_warnings(db, policy, today, &mut report).await?;
    lap("breach warnings");
    tracing::debug!(took = ?started.elapsed(), "lived-in: done");
    Ok(report)
}

/// Active rent accounts owing at least a week's rent today, with no arrangement, no UC claim
/// and no Breathing Space or vulnerability flag (those get their own stories), each with the
/// officer of its patch. Sorted by id.
async fn candidates(db: &DatabaseConnection, today: NaiveDate) -> anyhow::Result<Vec<Candidate>> {
    let balances: Vec<(i64, i64)> = transaction::Entity::find()
        .select_only()
        .column(transaction::Column::TenancyId)
        // SUM of a bigint is a numeric on PostgreSQL: cast back.
        .column_as(
            Expr::from(Func::cast_as(
                transaction::Column::AmountPence.sum(),
                Alias::new("BIGINT"),
            )),
            "balance",
        )
        .filter(transaction::Column::PostedOn.lte(today))
        .group_by(transaction::Column::TenancyId)
        .into_tuple()
        .all(db)
        .await?;
    let balances: HashMap<i64, i64> = balances.into_iter().collect();
    let mut excluded: BTreeSet<i64> = BTreeSet::new();
    for (id,) in arrangement::Entity::find()
        .select_only()
        .column(arrangement::Column::TenancyId)
        .into_tuple::<(i64,)>()
        .all(db)
        .await?
    {
        excluded.insert(id);
    }
    for (id,) in uc_claim::Entity::find()
        .select_only()
        .column(uc_claim::Column::TenancyId)
        .into_tuple::<(i64,)>()
        .all(db)
        .await?
    {
        excluded.insert(id);
    }
    for (id,) in flag::Entity::find()
        .select_only()
        .column(flag::Column::TenancyId)
        .into_tuple::<(i64,)>()
        .all(db)
        .await?
    {
        excluded.insert(id);
    }
    let officers: HashMap<i64, staff_user::Model> = staff_user::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|s| (s.id, s))
        .collect();
    let patch_officer: HashMap<i64, staff_user::Model> = patch::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .filter_map(|p| Some((p.id, officers.get(&p.officer_id?)?.clone())))
        .collect();
    let mut out = vec![];
    for t in tenancy::Entity::find()
        .filter(tenancy::Column::Status.eq("active"))
        .all(db)
        .await?
    {
        let weekly = Pence(t.weekly_rent_pence + t.weekly_service_charge_pence);
        let owed = balances.get(&t.id).copied().unwrap_or(0);
        if weekly.0 <= 0 || owed < weekly.0 || excluded.contains(&t.id) {
            continue;
        }
        let Some(officer) = t.patch_id.and_then(|p| patch_officer.get(&p)).cloned() else {
            continue;
        };
        out.push(Candidate {
            tenancy: t,
            weekly,
            officer,
        });
    }
    out.sort_by_key(|c| c.tenancy.id);
    Ok(out)
}

fn day(today: NaiveDate, ago: i64) -> NaiveDate {
    today - Duration::days(ago)
}

/// Noon on `date` (UTC; the same date in London all year).
fn noon(date: NaiveDate) -> DateTime<Utc> {
    date.and_hms_opt(12, 0, 0).unwrap_or_default().and_utc()
}

fn balance_on(entries: &[LedgerEntry], on: NaiveDate) -> Pence {
    entries
        .iter()
        .filter(|e| e.posted_on <= on)
        .map(|e| e.amount)
        .sum()
}

/// The order's terms for a scene (from a week after the hearing, weekly).
fn order_terms(scene: &Scene, shift: i64, today: NaiveDate, towards: Pence) -> Option<OrderTerms> {
    let hearing_ago = scene
        .steps
        .iter()
        .find(|(_, d)| matches!(d, Do::Order { .. }))?
        .0
        + shift;
    Some(OrderTerms {
        towards_arrears: towards,
        frequency: Frequency::Weekly,
        from: day(today, hearing_ago) + Duration::days(7),
    })
}

fn breached(terms: &OrderTerms, entries: &[LedgerEntry], on: NaiveDate, grace: u32) -> bool {
    court::terms_adherence(terms, entries, Pence::ZERO, on, grace)
        .iter()
        .any(|i| {
            matches!(
                i.status,
                InstalmentStatus::Missed | InstalmentStatus::PartPaid
            )
        })
}

/// Whether the account fits the scene on its ledger: in arrears of `min_weeks` on every
/// stage's day, and an order's terms kept (or broken before the first step that needs a
/// breach) with some amount towards the arrears. That amount (zero for scenes with no order).
fn fits(
    scene: &Scene,
    shift: i64,
    c: &Candidate,
    entries: &[LedgerEntry],
    today: NaiveDate,
    grace: u32,
) -> Option<Pence> {
    // Early intervention and the letters come from a week behind; every later stage needs
    // the scene's arrears on its day.
    let weeks_needed = |d: &Do| match d {
        Do::Stage(Stage::EarlyIntervention | Stage::FirstLetter | Stage::SecondLetter) => Some(1),
        Do::Stage(_) | Do::Notice { .. } => Some(scene.min_weeks),
        _ => None,
    };
    let in_arrears = scene.steps.iter().all(|(ago, d)| {
        weeks_needed(d)
            .is_none_or(|w| balance_on(entries, day(today, ago + shift)).0 >= c.weekly.0 * w)
    });
    if !in_arrears {
        return None;
    }
    let Some(want) = scene.terms else {
        return Some(Pence::ZERO);
    };
    // Kept (or broken) on the day of every step after the order, and today: the order's
    // story reads the same on each of them.
    let order_at = scene
        .steps
        .iter()
        .position(|(_, d)| matches!(d, Do::Order { .. }))?;
    let mut checked: Vec<NaiveDate> = scene.steps[order_at + 1..]
        .iter()
        .map(|(ago, _)| day(today, ago + shift))
        .collect();
    checked.push(today);
    // Courts order a few pounds a week towards the arrears (often £3.70, the DWP deduction).
    let amounts: &[i64] = match want {
        Terms::Kept => &[1_000, 500, 370, 250],
        Terms::Breached => &[370, 500],
    };
    amounts.iter().map(|a| Pence(*a)).find(|towards| {
        let Some(terms) = order_terms(scene, shift, today, *towards) else {
            return false;
        };
        checked.iter().all(|on| {
            let broken = breached(&terms, entries, *on, grace);
            match want {
                Terms::Kept => !broken && balance_on(entries, *on).0 > 0,
                Terms::Breached => broken,
            }
        })
    })
}

/// Record the scene's steps on the account, each on its own day.
#[allow(clippy::too_many_arguments)]
async fn live(
    db: &DatabaseConnection,
    policy: &StepPolicy<'_>,
    scene: &Scene,
    shift: i64,
    towards: Pence,
    c: &Candidate,
    today: NaiveDate,
    report: &mut LivedInReport,
) -> anyhow::Result<()> {
    let id = c.tenancy.id;
    let mut hearing_on = None;
    for (n, (ago, what)) in scene.steps.iter().enumerate() {
        let on = day(today, ago + shift);
        let now = noon(on);
        let request = |step: &str| StepRequest {
            step: step.to_owned(),
            ..StepRequest::default()
        };
        let step = match *what {
            Do::Stage(stage) => request(stage.as_str()),
            Do::Protocol(p) => StepRequest {
                protocol_step: Some(p.as_str().to_owned()),
                note: "Recorded during the pre-action protocol.".into(),
                ..request("protocol")
            },
            Do::ProtocolLetter { step, days } => StepRequest {
                protocol_step: Some(step.as_str().to_owned()),
                time_limit_ends_on: Some(on + Duration::days(days)),
                note: "Letter sent by first-class post.".into(),
                ..request("protocol")
            },
            Do::Notice { by_hand } => StepRequest {
                sent_on: Some(on),
                service_method: Some(if by_hand {
                    ServiceMethod::Hand
                } else {
                    ServiceMethod::FirstClassPost
                }),
                sent_time: by_hand.then(|| "10:30".to_owned()),
                ..request(Stage::NoticeServed.as_str())
            },
            Do::Hearing { in_days } => {
                let d = on + Duration::days(in_days);
                hearing_on = Some(d);
                StepRequest {
                    hearing_on: Some(d),
                    hearing_time: Some("10:00".into()),
                    ..request(Stage::Hearing.as_str())
                }
            }
            Do::Order { kind } => {
                let from = hearing_on.unwrap_or(on) + Duration::days(7);
                StepRequest {
                    order_type: Some(kind.to_owned()),
                    possession_date: (kind != "postponed")
                        .then(|| hearing_on.unwrap_or(on) + Duration::days(28)),
                    terms: Some(TermsRequest {
                        towards_arrears_pence: Some(towards.0),
                        frequency: Some("weekly".into()),
                        from: Some(from),
                    }),
                    ..request(Stage::Order.as_str())
                }
            }
            Do::FixDateNotice => StepRequest {
                sent_on: Some(on),
                service_method: Some(ServiceMethod::FirstClassPost),
                ..request("fix_date_notice")
            },
            Do::Call { outcome, body } => {
                diary(db, c, n, ActionKind::Call, Some(outcome), body, now, report).await?;
                continue;
            }
            Do::Visit { outcome, body } => {
                diary(
                    db,
                    c,
                    n,
                    ActionKind::Visit,
                    Some(outcome),
                    body,
                    now,
                    report,
                )
                .await?;
                continue;
            }
            Do::Note(body) => {
                diary(db, c, n, ActionKind::Note, None, body, now, report).await?;
                continue;
            }
        };
        match record_step(db, policy, &c.officer, id, step, now, None).await {
            Ok(_) => report.steps += 1,
            Err(StepRefusal::Internal(e)) => return Err(e),
            Err(r) => {
                let why = match r {
                    StepRefusal::Invalid(f) => format!("{f:?}"),
                    StepRefusal::Blocked(m) => {
                        format!("{:?}", m.iter().map(|m| m.id.as_str()).collect::<Vec<_>>())
                    }
                    _ => "not found".to_owned(),
                };
                tracing::warn!(
                    tenancy = %c.tenancy.reference,
                    scene = scene.name,
                    step = ?what,
                    %on,
                    %why,
                    "demo history: step refused"
                );
                report.refused.push(format!(
                    "{} ({}): {what:?} on {on}: {why}",
                    c.tenancy.reference, scene.name
                ));
                // The rest of the story depends on this step.
                return Ok(());
            }
        }
    }
    Ok(())
}

/// A call, visit or note, as the officer's phone records it (`POST /officer/v1/actions`).
#[allow(clippy::too_many_arguments)]
async fn diary(
    db: &DatabaseConnection,
    c: &Candidate,
    n: usize,
    kind: ActionKind,
    outcome: Option<&str>,
    body: &str,
    now: DateTime<Utc>,
    report: &mut LivedInReport,
) -> anyhow::Result<()> {
    let client_id = format!("demo-{}-{n}", c.tenancy.id);
    let (latitude, longitude) = if kind == ActionKind::Visit {
        (c.tenancy.latitude, c.tenancy.longitude)
    } else {
        (None, None)
    };
    crate::officer::record_action(
        db,
        c.officer.id,
        NewAction {
            client_id: &client_id,
            tenancy_id: c.tenancy.id,
            kind,
            outcome,
            body,
            occurred_at: now,
            latitude,
            longitude,
            referral_to: None,
            purpose: None,
        },
        None,
        now,
    )
    .await?;
    report.diary += 1;
    Ok(())
}

/// Two tenants in a mental health crisis Breathing Space (SI 2020/1311 reg 28: it lasts while
/// the crisis treatment does, plus 30 days, so no end date yet), notified by their AMHP a few
/// weeks ago, set as an officer sets a flag (`POST /officer/v1/accounts/{id}/flags`).
async fn crisis_breathing_spaces(
    db: &DatabaseConnection,
    unused: &[&Candidate],
    today: NaiveDate,
    report: &mut LivedInReport,
) -> anyhow::Result<()> {
    for (n, c) in unused.iter().take(2).enumerate() {
        let starts_on = today - Duration::days(12 + 9 * n as i64);
        crate::officer::add_flag(
            db,
            c.officer.id,
            c.tenancy.id,
            crate::officer::NewFlag {
                kind: "breathing_space_mental_health",
                no_automated_contact: true,
                starts_on,
                ends_on: None,
                detail: "Mental health crisis Breathing Space: the approved mental health \
                         professional's evidence received; no end date until the crisis \
                         treatment ends",
                notified_on: Some(starts_on),
            },
            None,
            noon(starts_on),
        )
        .await?;
        report.crisis_breathing_spaces += 1;
    }
    Ok(())
}

/// Tomorrow's visits: each officer's accounts further along (notices, orders broken), up to
/// four an officer, in two-hour appointment windows from 09:00, planned yesterday as the
/// officer plans them (`POST /officer/v1/visits`).
async fn visits_tomorrow(
    db: &DatabaseConnection,
    picked: &[&Candidate],
    today: NaiveDate,
    report: &mut LivedInReport,
) -> anyhow::Result<()> {
    let tomorrow = today + Duration::days(1);
    let mut per_officer: BTreeMap<i64, usize> = BTreeMap::new();
    // officer4's day (HD-WEST) is left for the README tour to plan: it books three visits and
    // routes them.
    let tour_patch = patch::Entity::find()
        .filter(patch::Column::Code.eq("HD-WEST"))
        .one(db)
        .await?
        .map(|p| p.id);
    for c in picked
        .iter()
        .rev()
        .filter(|c| c.tenancy.patch_id != tour_patch)
    {
        let n = per_officer.entry(c.officer.id).or_default();
        if *n == 4 {
            continue;
        }
        let start = 9 + 2 * *n;
        let client_id = format!("demo-visit-{}-{tomorrow}", c.tenancy.id);
        crate::visits::plan(
            db,
            c.officer.id,
            crate::visits::NewVisit {
                client_id: &client_id,
                tenancy_id: c.tenancy.id,
                officer_id: c.officer.id,
                visit_date: tomorrow,
                window: Some((format!("{start:02}:00"), format!("{:02}:00", start + 2))),
                duration_minutes: 30,
                purpose: "Arrears: discuss the missed payments and agree a way forward",
                kind: crate::visits::HOME_VISIT,
            },
            None,
            noon(today - Duration::days(1)),
        )
        .await?;
        *n += 1;
        report.visits_tomorrow += 1;
    }
    Ok(())
}

/// A few tenants signed up to the app: a phone registered for push, as the app registers it
/// (`POST /tenant/v1/devices`). The nightly run's messages then reach their inbox.
async fn app_devices(
    db: &DatabaseConnection,
    unused: &[&Candidate],
    today: NaiveDate,
    report: &mut LivedInReport,
) -> anyhow::Result<()> {
    use crate::entities::tenant;
    for (n, c) in unused.iter().skip(2).take(5).enumerate() {
        let Some(person) = tenant::Entity::find()
            .filter(tenant::Column::TenancyId.eq(c.tenancy.id))
            .one(db)
            .await?
        else {
            continue;
        };
        let platform = if n % 2 == 0 { "android" } else { "ios" };
        let token = format!("demo-{platform}-push-token-{}", c.tenancy.reference);
        crate::tenant_app::register_device(
            db,
            person.id,
            platform,
            &token,
            noon(today - Duration::days(30 + 7 * n as i64)),
        )
        .await?;
        report.app_devices += 1;
    }
    Ok(())
}

/// Three tenants who moved to Universal Credit: each reported the new claim in the app a few
/// weeks ago, wanting the housing costs paid to us (`POST /tenant/v1/universal-credit`, which raises
/// the patch officer's task), and two days later the officer asked DWP for the managed payment
/// and completed the task so (`POST /officer/v1/tasks/{id}/complete`, outcome
/// `apa_requested`): the claim's APA status is `requested`. Their arrears since the claim
/// began are the first assessment period's wait: technical arrears.
async fn apa_requests(
    db: &DatabaseConnection,
    unused: &[&Candidate],
    today: NaiveDate,
    report: &mut LivedInReport,
) -> anyhow::Result<()> {
    use crate::entities::{task, tenant};
    for (n, c) in unused.iter().skip(7).take(3).enumerate() {
        let Some(person) = tenant::Entity::find()
            .filter(tenant::Column::TenancyId.eq(c.tenancy.id))
            .filter(tenant::Column::IsLead.eq(true))
            .one(db)
            .await?
        else {
            continue;
        };
        let reported_on = today - Duration::days(20 + 6 * n as i64);
        let (claim, _) = crate::tenant_app::report_uc_claim(
            db,
            &person,
            crate::tenant_app::UcReport {
                claim_start: reported_on - Duration::days(9),
                housing_costs_claimed: true,
                managed_payment_wanted: true,
                monthly_housing_pence: Some(c.weekly.0 * 52 / 12),
            },
            None,
            noon(reported_on) + Duration::hours(7),
        )
        .await?;
        let Some(t) = task::Entity::find()
            .filter(task::Column::TenancyId.eq(c.tenancy.id))
            .filter(task::Column::Kind.eq(rentdesk_domain::tasks::UC_CLAIM_TASK))
            .filter(task::Column::Status.eq("open"))
            .one(db)
            .await?
        else {
            anyhow::bail!("demo: no task for the UC claim {} reported", claim.id);
        };
        let done_on = reported_on + Duration::days(2);
        let done = crate::officer::complete_task(
            db,
            &c.officer,
            t.id,
            rentdesk_domain::tasks::APA_REQUESTED,
            "Housing costs verified on the DWP landlord portal; requested a Managed Payment \
             to Landlord.",
            None,
            done_on,
            None,
            noon(done_on) - Duration::hours(2),
        )
        .await?;
        match done {
            crate::officer::TaskEdit::Done(_) => report.apa_requested += 1,
            other => report.refused.push(format!(
                "{} (APA requested): the task was not completed: {}",
                c.tenancy.reference,
                match other {
                    crate::officer::TaskEdit::InvalidOutcome(_) => "outcome refused",
                    crate::officer::TaskEdit::Conflict(_) => "conflict",
                    _ => "not found",
                }
            )),
        }
    }
    Ok(())
}

/// Three of the seed's arrangements that have broken: a few days after the first instalment
/// missed, the patch officer warned the tenant in writing that we intend to bring proceedings,
/// giving 14 days to bring the payments up to date (Protocol para 2.9), recorded as the officer
/// records it (`POST /officer/v1/accounts/{id}/steps`, `arrangement_breach_warning` with its
/// `time_limit_ends_on`), which writes the warning letter.
async fn breach_warnings(
    db: &DatabaseConnection,
    policy: &StepPolicy<'_>,
    today: NaiveDate,
    report: &mut LivedInReport,
) -> anyhow::Result<()> {
    let plans: Vec<i64> = arrangement::Entity::find()
        .select_only()
        .column(arrangement::Column::TenancyId)
        .filter(arrangement::Column::Status.eq("active"))
        .order_by_asc(arrangement::Column::TenancyId)
        .into_tuple()
        .all(db)
        .await?;
    let patch_officer: HashMap<i64, i64> = patch::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .filter_map(|p| Some((p.id, p.officer_id?)))
        .collect();
    for id in plans {
        if report.breach_warnings == 3 {
            break;
        }
        let Some(account) = crate::accounts::full_account(db, id, today).await? else {
            continue;
        };
        let case = crate::cases::case_facts(db, &account, today).await?;
        // Broken at least a week ago, so the warning (three days after) is in the past.
        let Some(broke) = case
            .plan_broken_on
            .filter(|b| *b <= today - Duration::days(7))
        else {
            continue;
        };
        let Some(&officer_id) = account
            .view
            .tenancy
            .patch_id
            .and_then(|p| patch_officer.get(&p))
        else {
            continue;
        };
        let Some(officer) = staff_user::Entity::find_by_id(officer_id).one(db).await? else {
            continue;
        };
        let on = (broke + Duration::days(3)).max(today - Duration::days(20));
        let step = StepRequest {
            step: "protocol".into(),
            protocol_step: Some(ProtocolStep::ArrangementBreachWarning.as_str().into()),
            time_limit_ends_on: Some(on + Duration::days(14)),
            note: "The arrangement broke: warning letter sent by first-class post.".into(),
            ..StepRequest::default()
        };
        match record_step(db, policy, &officer, id, step, noon(on), None).await {
            Ok(_) => {
                report.steps += 1;
                report.breach_warnings += 1;
            }
            Err(StepRefusal::Internal(e)) => return Err(e),
            Err(r) => report.refused.push(format!(
                "{} (arrangement breach warning) on {on}: {r:?}",
                account.view.tenancy.reference
            )),
        }
    }
    Ok(())
}
