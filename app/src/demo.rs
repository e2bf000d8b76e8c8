//! The demo landlord's finished campaigns: one per team, launched weeks ago by its team leader
//! with two variants and a control group, and lived through as the product runs a campaign —
//! created and launched (`store::campaigns::create`, `launch`, as `POST /manage/v1/campaigns`
//! and `/launch` do), fanned out (`store::campaigns::fan_out`, what the worker's fan-out job
//! runs) and sent by the worker's dispatch (`worker::dispatch::dispatch_all`, every channel to
//! the dev outbox, as `rentdesk dev` sends) tick by tick within the throttle — each with the
//! clock at the past moment it happened. Nothing here writes a recipient, a message or a
//! status: those are the campaign code's. The payments after it are the seed's ledger, so the
//! outcome (`GET /manage/v1/campaigns/{id}/outcome`) shows real figures for both windows.
//!
//! Then a few tenants propose repayment plans in the app that the policy sends to their officer
//! for review ([`pending_plans`]), through the tenant plan use case.
//!
//! Runs after `store::lived_in` (the diary and stages it reads as of the launch day are
//! there, and back-dated reads see only what was known then) and before the nightly run.

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc, Weekday};
use rentdesk_config::Settings;
use rentdesk_domain::campaigns::check_template;
use rentdesk_domain::contact_policy::Channel;
use rentdesk_domain::segments::Segment;
use rentdesk_store::campaigns::{self, Definition, FanOutReport};
use rentdesk_store::entities::{campaign, message, staff_user};
use rentdesk_worker::dispatch::{DispatchReport, Providers, dispatch_all};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};
use std::collections::BTreeMap;

/// What [`run`] made.
#[derive(Debug, Clone, Default)]
pub struct DemoReport {
    pub campaigns: Vec<DemoCampaign>,
    /// Tenant-proposed plans waiting for their officer's review.
    pub plans_pending_review: u64,
    /// What the plan use case refused (expected empty).
    pub refused: Vec<String>,
}

/// The team leaders' finished campaigns, then the plans pending review.
pub async fn run(
    db: &DatabaseConnection,
    settings: &Settings,
    today: NaiveDate,
) -> anyhow::Result<DemoReport> {
    let started = std::time::Instant::now();
    let mut report = DemoReport {
        campaigns: campaigns(db, settings, today).await?,
        ..DemoReport::default()
    };
    tracing::debug!(took = ?started.elapsed(), "demo phase: campaigns");
    let started = std::time::Instant::now();
    pending_plans(db, settings, today, &mut report).await?;
    tracing::debug!(took = ?started.elapsed(), "demo phase: plans pending review");
    Ok(report)
}

/// One finished campaign, as [`campaigns`] lived it.
#[derive(Debug, Clone)]
pub struct DemoCampaign {
    pub id: i64,
    pub name: String,
    pub team_leader: String,
    pub launched_at: DateTime<Utc>,
    pub fan_out: FanOutReport,
    /// Sent to the outbox by the dispatch ticks.
    pub sent: u64,
    /// Dispatch ticks it took (the throttle spreads the sends).
    pub ticks: u64,
}

/// What each team leader's campaign says and to whom.
struct Plan {
    leader: &'static str,
    name: &'static str,
    /// Launched on the weekday on or before this many days ago, at 10:00 (London).
    days_ago: i64,
    segment: Segment,
    sms: [&'static str; 2],
    email: [&'static str; 2],
}

fn plans() -> Vec<Plan> {
    vec![
        Plan {
            leader: "teamleader@rentdesk.example",
            name: "Early arrears: a nudge before it grows",
            days_ago: 35,
            segment: Segment {
                arrears_weeks_min_hundredths: Some(100),
                arrears_weeks_max_hundredths: Some(600),
                ..Segment::default()
            },
            sms: [
                "Hi {first_name}, {landlord} here. Your rent account is behind. Pay or set up a \
                 plan in the app: {app_link}",
                "Hi {first_name}, falling behind happens. {landlord} can help you catch up with \
                 a plan that fits: {app_link}",
            ],
            email: [
                "Dear {first_name}, your rent account is {arrears} behind. You can pay or set up \
                 a repayment plan in the app: {app_link}. {landlord}",
                "Dear {first_name}, falling behind happens, and we can help. Your account is \
                 {arrears} behind; a plan that fits your budget takes two minutes in the app: \
                 {app_link}. {landlord}",
            ],
        },
        Plan {
            leader: rentdesk_store::lived_in::SECOND_TEAM_LEADER,
            name: "Behind and not paying by direct debit",
            days_ago: 49,
            segment: Segment {
                arrears_weeks_min_hundredths: Some(100),
                exclude_payment_methods: vec![rentdesk_domain::ledger::PaymentMethod::DirectDebit],
                ..Segment::default()
            },
            sms: [
                "Hi {first_name}, {landlord} here. A direct debit means you never miss a \
                 payment. Set one up in the app: {app_link}",
                "Hi {first_name}, your rent account is behind. Talk to us before it grows: \
                 {app_link}",
            ],
            email: [
                "Dear {first_name}, your rent account is {arrears} behind. A direct debit means \
                 you never miss a payment: set one up in the app, {app_link}. {landlord}",
                "Dear {first_name}, your rent account is {arrears} behind. Talk to us before it \
                 grows: {app_link}. {landlord}",
            ],
        },
    ]
}

/// A weekday on or before `date` (campaigns go out on working days).
fn weekday_on_or_before(mut date: NaiveDate) -> NaiveDate {
    while matches!(date.weekday(), Weekday::Sat | Weekday::Sun)
        || rentdesk_domain::calendar::is_bank_holiday(date)
    {
        date -= Duration::days(1);
    }
    date
}

/// 10:00 in London on `date`.
fn ten_am(date: NaiveDate) -> DateTime<Utc> {
    rentdesk_domain::time::london_day_start(date) + Duration::hours(10)
}

/// Live each team leader's finished campaign, oldest first, up to `today`.
pub async fn campaigns(
    db: &DatabaseConnection,
    settings: &Settings,
    today: NaiveDate,
) -> anyhow::Result<Vec<DemoCampaign>> {
    let policy = &settings.policy.contact_policy;
    // Every channel to the dev outbox, whatever providers are configured: this is the past.
    let providers = Providers {
        policy: policy.clone(),
        rate_per_minute: settings.worker.dispatch_rate_per_minute,
        send_concurrency: settings.worker.send_concurrency,
        ..Providers::default()
    };
    let mut plans = plans();
    plans.sort_by_key(|p| -p.days_ago);
    let mut out = vec![];
    for p in plans {
        let Some(leader) = staff_user::Entity::find()
            .filter(staff_user::Column::Email.eq(p.leader))
            .one(db)
            .await?
        else {
            anyhow::bail!("demo campaign: no team leader {}", p.leader);
        };
        let launch_on = weekday_on_or_before(today - Duration::days(p.days_ago));
        let launched_at = ten_am(launch_on);
        let templates = BTreeMap::from([
            (Channel::Sms, p.sms.map(str::to_owned).to_vec()),
            (Channel::Email, p.email.map(str::to_owned).to_vec()),
        ]);
        for (channel, texts) in &templates {
            for t in texts {
                let bad = check_template(*channel, t);
                anyhow::ensure!(bad.is_empty(), "demo campaign template {t:?}: {bad:?}");
            }
        }
        let def = Definition {
            name: p.name.to_owned(),
            segment: p.segment,
            channels: vec![Channel::Sms, Channel::Email],
            templates,
            schedule_at: None,
            throttle_per_minute: Some(60),
            // Two weeks: the 14-day outcome window is over when it ends.
            ends_on: Some(launch_on + Duration::days(13)),
            control_percent: 20,
        };
        // Written the afternoon before, previewed, launched in the morning.
        let draft = campaigns::create(db, &def, &leader, launched_at - Duration::hours(20)).await?;
        let c = match campaigns::launch(db, &draft, launched_at).await? {
            Ok(c) => c,
            Err(e) => anyhow::bail!("demo campaign {}: launch refused: {e:?}", p.name),
        };
        // The worker picks the fan-out job up a few seconds later.
        let planned_at = launched_at + Duration::seconds(5);
        let t = std::time::Instant::now();
        let fan_out = campaigns::fan_out(db, c.id, launch_on, planned_at, policy).await?;
        tracing::debug!(took = ?t.elapsed(), campaign = p.name, "demo campaign: fan-out");
        let t = std::time::Instant::now();
        let (sent, ticks) = dispatch_until_done(db, &providers, &c, planned_at).await?;
        tracing::debug!(took = ?t.elapsed(), campaign = p.name, "demo campaign: dispatch");
        tracing::info!(
            campaign = p.name,
            %launched_at,
            matched = fan_out.matched,
            held_back = fan_out.held_back,
            sent,
            ticks,
            "demo campaign lived"
        );
        out.push(DemoCampaign {
            id: c.id,
            name: p.name.to_owned(),
            team_leader: p.leader.to_owned(),
            launched_at,
            fan_out,
            sent,
            ticks,
        });
    }
    Ok(out)
}

/// The dispatch cron's ticks (every 15 s) from `from` while the campaign has messages queued,
/// jumping over the quiet time to the next one due; stops at the campaign's end.
async fn dispatch_until_done(
    db: &DatabaseConnection,
    providers: &Providers,
    c: &campaign::Model,
    from: DateTime<Utc>,
) -> anyhow::Result<(u64, u64)> {
    let tick = Duration::seconds(15);
    let mut at = from;
    let mut total = DispatchReport::default();
    let mut ticks = 0;
    while let Some(next) = message::Entity::find()
        .filter(message::Column::CampaignId.eq(c.id))
        .filter(message::Column::Status.eq("queued"))
        .order_by_asc(message::Column::ScheduledFor)
        .one(db)
        .await?
    {
        at = (at + tick).max(next.scheduled_for.unwrap_or(at));
        if c.ends_at.is_some_and(|e| at >= e) || ticks >= 10_000 {
            break;
        }
        total += dispatch_all(db, providers, at).await?;
        ticks += 1;
    }
    Ok((total.sent + total.to_outbox, ticks))
}

/// Accounts for [`pending_plans`]: active, at least £400 behind (so the offer below fits the
/// arrears), at no stage, with a lead tenant, and no plan, UC claim or flag of their own.
async fn plan_candidates(
    db: &DatabaseConnection,
    today: NaiveDate,
) -> anyhow::Result<Vec<rentdesk_store::accounts::FullAccount>> {
    use rentdesk_store::entities::{arrangement, case, flag, tenancy, uc_claim};
    use sea_orm::QuerySelect;
    let mut taken: std::collections::BTreeSet<i64> = std::collections::BTreeSet::new();
    taken.extend(
        arrangement::Entity::find()
            .select_only()
            .column(arrangement::Column::TenancyId)
            .into_tuple::<i64>()
            .all(db)
            .await?,
    );
    taken.extend(
        uc_claim::Entity::find()
            .select_only()
            .column(uc_claim::Column::TenancyId)
            .into_tuple::<i64>()
            .all(db)
            .await?,
    );
    taken.extend(
        flag::Entity::find()
            .select_only()
            .column(flag::Column::TenancyId)
            .into_tuple::<i64>()
            .all(db)
            .await?,
    );
    taken.extend(
        case::Entity::find()
            .select_only()
            .column(case::Column::TenancyId)
            .filter(case::Column::Stage.ne("none"))
            .into_tuple::<i64>()
            .all(db)
            .await?,
    );
    let ids: Vec<i64> = tenancy::Entity::find()
        .select_only()
        .column(tenancy::Column::Id)
        .filter(tenancy::Column::Status.eq("active"))
        .order_by_asc(tenancy::Column::Id)
        .into_tuple::<i64>()
        .all(db)
        .await?;
    let mut out = vec![];
    for id in ids.into_iter().filter(|id| !taken.contains(id)) {
        let Some(a) = rentdesk_store::accounts::full_account(db, id, today).await? else {
            continue;
        };
        if a.view.lead_tenant.is_some() && a.view.summary.arrears.0 >= 40_000 {
            out.push(a);
            if out.len() == 3 {
                break;
            }
        }
    }
    Ok(out)
}

/// Three tenants who proposed a plan in the app yesterday evening (`POST /tenant/v1/plans`):
/// £40 a week towards the arrears, on an income and expenditure statement whose food and
/// housekeeping is above the guideline for the household, so the policy sends each to the
/// patch officer for review (a `review_plan` task) — beside the seed's arrangements being kept
/// and those the nightly run finds broken.
async fn pending_plans(
    db: &DatabaseConnection,
    settings: &Settings,
    today: NaiveDate,
    report: &mut DemoReport,
) -> anyhow::Result<()> {
    use rentdesk_server::api::tenant::plans::{
        HouseholdIn, PlanRequestIn, StatementIn, propose_as_tenant,
    };
    let yesterday = today - Duration::days(1);
    for (n, account) in plan_candidates(db, yesterday).await?.iter().enumerate() {
        let Some(person) = account.view.lead_tenant.clone() else {
            continue;
        };
        // A month like the documentation's, with food and housekeeping well above the
        // guideline for the household.
        let mut statement = StatementIn::typical();
        statement.household = HouseholdIn {
            adults: 1,
            children: n as u32,
            non_dependants: 0,
            vehicles: 0,
        };
        statement.fixed_costs.remove("rent");
        statement
            .flexible_costs
            .insert("food_and_housekeeping".into(), 95_000);
        let body = PlanRequestIn {
            statement,
            frequency: rentdesk_domain::tenancy::Frequency::Weekly.into(),
            instalment_pence: 4_000,
            first_payment_date: None,
            align_to_universal_credit: false,
            accept_agreement: true,
        };
        let evening = rentdesk_domain::time::london_day_start(yesterday)
            + Duration::hours(19)
            + Duration::minutes(10 * n as i64);
        let reference = &account.view.tenancy.reference;
        let done = propose_as_tenant(
            db,
            settings,
            &person,
            account,
            body,
            None,
            (yesterday, evening),
        )
        .await
        .map_err(|e| anyhow::anyhow!("demo plan for {reference}: {e}"))?;
        match done {
            Ok(plan) if plan.status == "pending_review" => report.plans_pending_review += 1,
            Ok(plan) => report.refused.push(format!(
                "{reference}: the plan is {} (expected pending_review)",
                plan.status
            )),
            Err(p) => report
                .refused
                .push(format!("{reference}: the plan was refused: {p:?}")),
        }
    }
    Ok(())
}
