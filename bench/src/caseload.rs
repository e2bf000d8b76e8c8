//! The caseload against ground truth (issue 7).
//!
//! `cargo run --release -p rentdesk-bench -- caseload --tenancies 5000 [--seed 1]
//!   [--profile demo|sector]`
//!
//! Seeds a fresh SQLite database (a temp file) with two years of history to `AS_OF`, computes
//! today's caseload through `rentdesk_store::caseload::assess`, then continues every tenancy's
//! own seeded payment behaviour for 12 weeks (`seed::continuation`) and calls "will escalate"
//! every rent account whose real arrears, as `domain::arrears::summarise` computes them, reach
//! the default policy's notice threshold (4 weeks' rent, docs/possession.md#default-local-policy) on any day of those 12
//! weeks. The priority function only ever sees data up to `AS_OF`.
//!
//! In the same run, a naive cut-off — real arrears over one week's rent, largest first, trimmed
//! to the caseload's size — is scored the same way.

use anyhow::Context;
use chrono::{Duration, NaiveDate};
use rentdesk_domain::arrears::summarise;
use rentdesk_domain::calendar::RentYear;
use rentdesk_domain::possession::next_step::EscalationPolicy;
use rentdesk_store::caseload::Assessed;
use rentdesk_store::evaluation::{Scope, load_accounts};
use rentdesk_store::seed::{Behaviour, Profile};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::Instant;

const AS_OF: (i32, u32, u32) = (2026, 11, 23);
const WEEKS: i64 = 12;

/// What happens to one rent account over the 12 weeks.
struct Truth {
    behaviour: Behaviour,
    at_threshold_today: bool,
    will_escalate: bool,
    /// The local policy's notice rule in full (docs/possession.md#default-local-policy): at the threshold on a day when no
    /// arrangement is being kept.
    will_escalate_by_policy: bool,
}

/// The seeded ledger's arrears figures (docs/performance.md), measured, not assumed.
#[derive(Default)]
struct Roll {
    /// Current tenant arrears (balances owed, technical included) and the annual rent debit of
    /// the rent year holding `AS_OF`, over the rent accounts.
    arrears: i64,
    debit: i64,
    real: i64,
    accounts: usize,
    /// Rent accounts owing more than 7 weeks' rent, gross and real.
    over7: usize,
    over7_real: usize,
}

pub async fn run(tenancies: u64, seed: u64, profile: Profile) -> anyhow::Result<String> {
    let as_of = NaiveDate::from_ymd_opt(AS_OF.0, AS_OF.1, AS_OF.2).context("date")?;
    let path = std::env::temp_dir().join(format!(
        "rentdesk_caseload_{}_{tenancies}_{seed}.sqlite",
        std::process::id()
    ));
    let _ = std::fs::remove_file(&path);
    let url = format!("sqlite://{}?mode=rwc", path.display());
    let db = rentdesk_store::db::connect(&url, 4).await?;
    rentdesk_store::db::migrate(&db).await?;
    let t = Instant::now();
    rentdesk_store::seed::seed_profile(&db, tenancies, seed, as_of, profile).await?;
    let seed_secs = t.elapsed().as_secs_f64();

    let ids: Vec<i64> = {
        use sea_orm::{EntityTrait, QueryOrder, QuerySelect};
        rentdesk_store::entities::tenancy::Entity::find()
            .select_only()
            .column(rentdesk_store::entities::tenancy::Column::Id)
            .order_by_asc(rentdesk_store::entities::tenancy::Column::Id)
            .into_tuple()
            .all(&db)
            .await?
    };
    let t = Instant::now();
    let caseload = rentdesk_store::caseload::assess(&db, &ids, as_of).await?;
    let assess_secs = t.elapsed().as_secs_f64();

    // Ground truth: today's ledger plus the continuation, summarised day by day.
    let threshold = EscalationPolicy::default().notice_min_weeks_hundredths;
    // Kept or broken by the configured grace, as the caseload and the worker judge it.
    let grace = rentdesk_store::cases::instalment_grace_days(&db).await?;
    let year = RentYear::containing(as_of);
    let mut roll = Roll::default();
    let future: HashMap<String, rentdesk_store::seed::Continuation> =
        rentdesk_store::seed::continuation_profile(tenancies, seed, as_of, WEEKS, profile)
            .into_iter()
            .map(|c| (c.reference.clone(), c))
            .collect();
    let mut truth: HashMap<i64, Truth> = HashMap::new();
    for chunk in ids.chunks(1000) {
        let arrangements: HashMap<i64, rentdesk_store::entities::arrangement::Model> = {
            use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
            rentdesk_store::entities::arrangement::Entity::find()
                .filter(
                    rentdesk_store::entities::arrangement::Column::TenancyId.is_in(chunk.to_vec()),
                )
                .filter(rentdesk_store::entities::arrangement::Column::Status.eq("active"))
                .all(&db)
                .await?
                .into_iter()
                .map(|a| (a.tenancy_id, a))
                .collect()
        };
        for a in load_accounts(&db, &Scope::new(chunk), as_of).await? {
            if a.summary.weekly_charge.0 <= 0 {
                continue; // leasehold: no weekly rent, no NOSP threshold
            }
            let weekly = a.summary.weekly_charge.0;
            roll.accounts += 1;
            roll.arrears += a.summary.arrears.0.max(0);
            roll.real += a.summary.real_arrears.0.max(0);
            roll.debit += a.facts.schedule.annual_debit(year).0;
            roll.over7 += usize::from(a.summary.arrears.0 > weekly * 7);
            roll.over7_real += usize::from(a.summary.real_arrears.0 > weekly * 7);
            let c = future
                .get(&a.tenancy.reference)
                .context("continuation for every seeded tenancy")?;
            let mut entries = a.entries.clone();
            entries.extend(c.entries.iter().cloned());
            let at = |d: NaiveDate| {
                summarise(&a.facts, &entries, d)
                    .weeks_in_arrears_hundredths
                    .unwrap_or(0)
                    >= threshold
            };
            let plan = arrangements
                .get(&a.tenancy.id)
                .map(rentdesk_store::cases::domain_arrangement)
                .transpose()?;
            let kept = |d: NaiveDate| {
                plan.as_ref().is_some_and(|p| {
                    !rentdesk_store::cases::is_behind(&rentdesk_domain::arrangements::adherence(
                        p, &entries, d, grace,
                    ))
                })
            };
            let days = || (1..=WEEKS * 7).map(|d| as_of + Duration::days(d));
            truth.insert(
                a.tenancy.id,
                Truth {
                    behaviour: c.behaviour,
                    at_threshold_today: at(as_of),
                    will_escalate: days().any(at),
                    will_escalate_by_policy: days().any(|d| at(d) && !kept(d)),
                },
            );
        }
    }
    db.close().await.ok();
    let _ = std::fs::remove_file(&path);
    if let Ok(out) = std::env::var("CASELOAD_DUMP") {
        dump(&out, &caseload, &truth)?;
    }

    Ok(report(
        &caseload,
        &truth,
        Meta {
            tenancies,
            seed,
            profile,
            roll,
            as_of,
            seed_secs,
            assess_secs,
        },
    ))
}

/// One CSV row per rent account: what the priority saw today and what then happened, for
/// looking at the misses (`CASELOAD_DUMP=file.csv`).
fn dump(path: &str, caseload: &[Assessed], truth: &HashMap<i64, Truth>) -> anyhow::Result<()> {
    use rentdesk_domain::possession::next_step::PlanState;
    let mut out = String::from(
        "reference,behaviour,will_escalate,by_policy,at_threshold_today,listed,excluded,score,\
         weeks_h,earlier_weeks_h,real_pence,weekly_pence,plan,missed,breathing_space,vulnerable,\
         uc_claim,hb_change,peak,low,usual\n",
    );
    for a in caseload {
        let Some(t) = truth.get(&a.tenancy_id) else {
            continue;
        };
        let f = &a.facts;
        out.push_str(&format!(
            "{},{:?},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}\n",
            a.reference,
            t.behaviour,
            t.will_escalate,
            t.will_escalate_by_policy,
            t.at_threshold_today,
            a.assessment.needs_action_today,
            a.assessment.excluded.as_ref().map_or("", |e| e.key()),
            a.assessment.score,
            a.weeks_in_arrears_hundredths.unwrap_or(0),
            f.earlier
                .as_ref()
                .and_then(|e| e.weeks_in_arrears_hundredths)
                .map_or(String::new(), |w| w.to_string()),
            a.real_arrears.0,
            f.now.weekly_charge.0,
            match f.plan.as_ref().map(|p| &p.state) {
                None => "",
                Some(PlanState::Kept { .. }) => "kept",
                Some(PlanState::Broken) => "broken",
                Some(PlanState::PendingReview) => "pending",
            },
            f.plan.as_ref().map_or(0, |p| p.missed_instalments),
            f.breathing_space.is_some(),
            f.vulnerable,
            f.uc_claim.is_some(),
            f.hb_change.is_some(),
            f.recent_peak.map_or(0, |p| p.1),
            f.recent_low.unwrap_or(0),
            f.usual.map_or(String::new(), |u| u.to_string()),
        ));
    }
    std::fs::write(path, out)?;
    Ok(())
}

struct Meta {
    tenancies: u64,
    seed: u64,
    profile: Profile,
    roll: Roll,
    as_of: NaiveDate,
    seed_secs: f64,
    assess_secs: f64,
}

fn pct(n: usize, d: usize) -> f64 {
    if d == 0 {
        0.0
    } else {
        100.0 * n as f64 / d as f64
    }
}

fn report(caseload: &[Assessed], truth: &HashMap<i64, Truth>, m: Meta) -> String {
    // The population: rent accounts (leasehold has no weekly rent and no NOSP threshold).
    let rent: Vec<&Assessed> = caseload
        .iter()
        .filter(|a| truth.contains_key(&a.tenancy_id))
        .collect();
    let in_arrears: Vec<&Assessed> = rent
        .iter()
        .copied()
        .filter(|a| a.facts.now.arrears.0 > 0)
        .collect();
    let real = in_arrears.iter().filter(|a| a.real_arrears.0 > 0).count();
    let escalate: HashSet<i64> = truth
        .iter()
        .filter(|(_, t)| t.will_escalate)
        .map(|(id, _)| *id)
        .collect();
    let newly: HashSet<i64> = truth
        .iter()
        .filter(|(_, t)| t.will_escalate && !t.at_threshold_today)
        .map(|(id, _)| *id)
        .collect();
    // The caseload keeps its own order (score first).
    let list: Vec<i64> = rent
        .iter()
        .filter(|a| a.assessment.needs_action_today)
        .map(|a| a.tenancy_id)
        .collect();
    let mut naive_all: Vec<&Assessed> = rent
        .iter()
        .copied()
        .filter(|a| a.real_arrears > a.facts.now.weekly_charge)
        .collect();
    naive_all.sort_by(|a, b| {
        b.real_arrears
            .cmp(&a.real_arrears)
            .then(a.tenancy_id.cmp(&b.tenancy_id))
    });
    let naive: Vec<i64> = naive_all
        .iter()
        .take(list.len())
        .map(|a| a.tenancy_id)
        .collect();
    let hits = |ids: &[i64], of: &HashSet<i64>| ids.iter().filter(|id| of.contains(id)).count();
    // What `GET /officer/v1/caseload` returns: the accounts to act on, then those on hold in
    // Breathing Space (shown so the officer knows them, no step allowed).
    let on_hold: Vec<i64> = rent
        .iter()
        .filter(|a| {
            matches!(
                a.assessment.excluded,
                Some(rentdesk_domain::priority::Exclusion::BreathingSpace { .. })
            )
        })
        .map(|a| a.tenancy_id)
        .collect();
    let shown: Vec<i64> = list.iter().chain(&on_hold).copied().collect();
    let naive_shown: Vec<i64> = naive_all
        .iter()
        .take(shown.len())
        .map(|a| a.tenancy_id)
        .collect();
    let shown_recall = pct(hits(&shown, &escalate), escalate.len());
    let naive_shown_recall = pct(hits(&naive_shown, &escalate), escalate.len());
    let share = pct(list.len(), in_arrears.len());
    let recall = pct(hits(&list, &escalate), escalate.len());
    let naive_recall = pct(hits(&naive, &escalate), escalate.len());
    let naive_all_ids: Vec<i64> = naive_all.iter().map(|a| a.tenancy_id).collect();
    let by_policy: HashSet<i64> = truth
        .iter()
        .filter(|(_, t)| t.will_escalate_by_policy)
        .map(|(id, _)| *id)
        .collect();
    let policy_recall = pct(hits(&list, &by_policy), by_policy.len());
    let policy_naive_recall = pct(hits(&naive, &by_policy), by_policy.len());

    let mut exclusions: BTreeMap<&str, usize> = BTreeMap::new();
    for a in &in_arrears {
        if let Some(e) = &a.assessment.excluded {
            *exclusions.entry(e.plain()).or_default() += 1;
        }
    }
    // The will-escalate accounts the list leaves off, by why (already over today / newly).
    let mut missed: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for a in &rent {
        if escalate.contains(&a.tenancy_id) && !a.assessment.needs_action_today {
            let why = a.assessment.excluded.as_ref().map_or("?", |e| e.plain());
            let e = missed.entry(why).or_default();
            if newly.contains(&a.tenancy_id) {
                e.1 += 1;
            } else {
                e.0 += 1;
            }
        }
    }
    let mut by_behaviour: BTreeMap<String, (usize, usize, usize)> = BTreeMap::new();
    let listed: HashSet<i64> = list.iter().copied().collect();
    for (id, t) in truth {
        let e = by_behaviour
            .entry(format!("{:?}", t.behaviour))
            .or_default();
        if t.will_escalate {
            e.0 += 1;
            if listed.contains(id) {
                e.1 += 1;
            }
        }
        if listed.contains(id) {
            e.2 += 1;
        }
    }
    let commit = std::process::Command::new("git")
        .args(["rev-parse", "--short", "HEAD"])
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map(|s| s.trim().to_owned())
        .unwrap_or_else(|| "?".into());
    let dirty = std::process::Command::new("git")
        // The results file itself is appended to by every run: not a change to the code.
        .args([
            "status",
            "--porcelain",
            "--untracked-files=no",
            "--",
            ":(top)",
            ":(top,exclude)bench/results",
        ])
        .output()
        .map(|o| !o.stdout.is_empty())
        .unwrap_or(false);
    let top: Vec<String> = caseload
        .iter()
        .filter(|a| a.assessment.needs_action_today)
        .take(3)
        .map(|a| {
            format!(
                "  - {} (score {}): {}",
                a.reference,
                a.assessment.score,
                a.assessment.reasons.join("; ")
            )
        })
        .collect();

    format!(
        "## caseload ({profile} profile, seed {seed}) — {date}, commit {commit}{dirty}\n\n\
         - data: {tenancies} tenancies seeded into SQLite (profile **{profile}**, seed {seed}, \
         history to {as_of}; seeding {seed_secs:.0} s); caseload of every account assessed in \
         {assess_secs:.2} s\n\
         - measured from the seeded ledger (docs/performance.md), over the {roll_n} rent accounts: \
         current tenant arrears **{roll_pct:.2}% of the annual rent debit** (real arrears alone \
         {roll_real_pct:.2}%; sector: 2.7–2.8% social landlords, 3.6% HAs, 4.5% councils); \
         **{over7:.1}%** of tenants owe more than 7 weeks' rent ({over7_real:.1}% in real \
         arrears)\n\
         - ground truth: each tenancy's own seeded behaviour continued for {WEEKS} weeks \
         (`seed::continuation`); **will escalate** = a rent account whose real arrears \
         (`arrears::summarise`, technical arrears excluded) are ≥ 4.00 weeks' rent \
         (`EscalationPolicy::notice_min_weeks_hundredths`) on at least one day from {from} to {to}. \
         Population: the {rent} rent accounts ({leasehold} leasehold accounts left out: no weekly \
         rent, no NOSP threshold)\n\
         - accounts in arrears (balance > 0, technical included): **{arrears}** ({real} with real \
         arrears, {technical} technical only)\n\
         - will escalate: **{we}** ({already} already at ≥ 4 weeks today, {newly} newly crossing)\n\
         - caseload (needs action today): **{list} accounts = {share:.1}% of accounts in arrears** \
         (target ≤ 20%: ratio {share_ratio:.2})\n\
         - recall of will-escalate: **{recall:.1}%** ({hit}/{we}; target ≥ 95%: ratio \
         {recall_ratio:.3}); of those newly crossing: {newly_recall:.1}% ({newly_hit}/{newly})\n\
         - naive cut-off (real arrears > 1 week's rent, largest first) trimmed to {list}: recall \
         **{naive_recall:.1}%** ({naive_hit}/{we}); newly crossing {naive_newly:.1}%. Untrimmed it \
         lists {naive_n} accounts ({naive_share:.1}% of accounts in arrears) with recall \
         {naive_all_recall:.1}%\n\
         - priority minus naive at equal size: **{gain:+.1} points** of recall\n\
         - the list as `GET caseload` shows it (the {list} to act on, then {hold} on hold in \
         Breathing Space): {shown_n} accounts = **{shown_share:.1}%** of accounts in arrears, \
         recall **{shown_recall:.1}%** ({shown_hit}/{we}); naive trimmed to {shown_n}: \
         {naive_shown_recall:.1}%, difference **{shown_gain:+.1} points**\n\
         - by the local policy's full notice rule (docs/possession.md#default-local-policy: at the threshold on a day with \
         **no arrangement being kept**): **{pe}** will escalate; caseload recall \
         **{policy_recall:.1}%** ({policy_hit}/{pe}; ratio to 95%: {policy_ratio:.3}), naive at \
         equal size **{policy_naive_recall:.1}%**, difference **{policy_gain:+.1} points**\n\
         - what any list could do here: a perfect list of 20% of accounts in arrears \
         ({cap} accounts) recalls at most **{oracle:.1}%**; 95% recall needs at least \
         {need} accounts = **{need_share:.1}%** of accounts in arrears\n\
         - left off the list (accounts in arrears): {excl}\n\
         - will escalate but left off (already at the threshold today / newly crossing): \
         {missed}\n\
         - by behaviour (will escalate / of them listed / listed): {beh}\n\
         - top of the list:\n{top}\n\n",
        date = chrono::Utc::now().format("%Y-%m-%d %H:%M UTC"),
        dirty = if dirty {
            " (+ uncommitted changes)"
        } else {
            ""
        },
        tenancies = m.tenancies,
        seed = m.seed,
        profile = m.profile.as_str(),
        roll_n = m.roll.accounts,
        roll_pct = 100.0 * m.roll.arrears as f64 / m.roll.debit.max(1) as f64,
        roll_real_pct = 100.0 * m.roll.real as f64 / m.roll.debit.max(1) as f64,
        over7 = pct(m.roll.over7, m.roll.accounts),
        over7_real = pct(m.roll.over7_real, m.roll.accounts),
        as_of = m.as_of,
        seed_secs = m.seed_secs,
        assess_secs = m.assess_secs,
        from = m.as_of + Duration::days(1),
        to = m.as_of + Duration::weeks(WEEKS),
        rent = rent.len(),
        leasehold = caseload.len() - rent.len(),
        arrears = in_arrears.len(),
        technical = in_arrears.len() - real,
        we = escalate.len(),
        already = escalate.len() - newly.len(),
        newly = newly.len(),
        list = list.len(),
        share_ratio = share / 20.0,
        hit = hits(&list, &escalate),
        recall_ratio = recall / 95.0,
        newly_recall = pct(hits(&list, &newly), newly.len()),
        newly_hit = hits(&list, &newly),
        naive_hit = hits(&naive, &escalate),
        naive_newly = pct(hits(&naive, &newly), newly.len()),
        naive_n = naive_all.len(),
        naive_share = pct(naive_all.len(), in_arrears.len()),
        naive_all_recall = pct(hits(&naive_all_ids, &escalate), escalate.len()),
        gain = recall - naive_recall,
        hold = on_hold.len(),
        shown_n = shown.len(),
        shown_share = pct(shown.len(), in_arrears.len()),
        shown_hit = hits(&shown, &escalate),
        shown_gain = shown_recall - naive_shown_recall,
        pe = by_policy.len(),
        policy_hit = hits(&list, &by_policy),
        policy_ratio = policy_recall / 95.0,
        policy_gain = policy_recall - policy_naive_recall,
        cap = in_arrears.len() / 5,
        oracle = pct((in_arrears.len() / 5).min(escalate.len()), escalate.len()),
        need = (escalate.len() * 95).div_ceil(100),
        need_share = pct((escalate.len() * 95).div_ceil(100), in_arrears.len()),
        excl = exclusions
            .iter()
            .map(|(k, v)| format!("{v} {k}"))
            .collect::<Vec<_>>()
            .join(", "),
        missed = missed
            .iter()
            .map(|(k, (a, n))| format!("{k} {a}/{n}"))
            .collect::<Vec<_>>()
            .join(", "),
        beh = by_behaviour
            .iter()
            .map(|(k, (w, l, n))| format!("{k} {w}/{l}/{n}"))
            .collect::<Vec<_>>()
            .join(", "),
        top = top.join("\n"),
    )
}
