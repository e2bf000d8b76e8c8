//! `rentdesk dev`'s first start makes a lived-in landlord: the seed's two years of ledger,
//! then the team's letters, protocol steps, notices, court steps and diary recorded by the
//! real use cases on the days they happened (`rentdesk_store::lived_in`), then the nightly
//! run. Checked from outside, through the API: every stage is held by some account, every
//! account's history is one the rules allow, and the two teams see their own patches.

use crate::helpers::{call, spawn_app};
use rentdesk_store::entities::{arrangement, case, letter, uc_claim};
use reqwest::Method;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::{Value, json};
use std::collections::BTreeSet;

async fn sign_in(app: &crate::helpers::TestApp, email: &str) -> String {
    let (s, body) = call(
        app,
        Method::POST,
        "/officer/v1/sign-in",
        None,
        Some(json!({"email": email, "password": rentdesk_store::staff::DEMO_PASSWORD})),
    )
    .await;
    assert_eq!(s, 200, "{email}: {body}");
    body["access_token"].as_str().unwrap().to_owned()
}

async fn get(app: &crate::helpers::TestApp, token: &str, path: &str) -> Value {
    let (s, body) = call(app, Method::GET, path, Some(token), None).await;
    assert_eq!(s, 200, "{path}: {body}");
    body
}

/// The email of the officer of the account's patch.
async fn officer_of(app: &crate::helpers::TestApp, tenancy_id: i64) -> String {
    use rentdesk_store::entities::{patch, staff_user, tenancy};
    let t = tenancy::Entity::find_by_id(tenancy_id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let p = patch::Entity::find_by_id(t.patch_id.unwrap())
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    staff_user::Entity::find_by_id(p.officer_id.unwrap())
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
        .email
}

/// Every open task the caller sees.
async fn open_tasks(app: &crate::helpers::TestApp, token: &str) -> Vec<Value> {
    let mut out = vec![];
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/officer/v1/tasks?limit=200&cursor={c}"),
            None => "/officer/v1/tasks?limit=200".to_owned(),
        };
        let page = get(app, token, &path).await;
        out.extend(page["tasks"].as_array().unwrap().iter().cloned());
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => return out,
        }
    }
}

/// The account's whole diary, oldest first (as recorded: by time, then id).
async fn diary(app: &crate::helpers::TestApp, token: &str, id: i64) -> Vec<Value> {
    let mut out = vec![];
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/officer/v1/accounts/{id}/diary?limit=200&cursor={c}"),
            None => format!("/officer/v1/accounts/{id}/diary?limit=200"),
        };
        let page = get(app, token, &path).await;
        out.extend(page["actions"].as_array().unwrap().iter().cloned());
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    out.sort_by_key(|a| {
        (
            a["occurred_at"].as_str().unwrap_or("").to_owned(),
            a["id"].as_i64().unwrap_or(0),
        )
    });
    out
}

/// Where the first entry of `kind` (with `outcome`) stands in the diary.
fn first(d: &[Value], kind: &str, outcome: &str) -> Option<usize> {
    d.iter()
        .position(|a| a["kind"] == kind && a["outcome"].as_str() == Some(outcome))
}

fn last(d: &[Value], kind: &str, outcome: &str) -> Option<usize> {
    d.iter()
        .rposition(|a| a["kind"] == kind && a["outcome"].as_str() == Some(outcome))
}

const BEFORE_NOTICE: [&str; 5] = [
    "contact_made",
    "affordable_payments_offered",
    "rent_statement_sent",
    "benefit_help_offered",
    "vulnerability_considered",
];

/// The history of an account at `stage` is one the rules allow: each letter stage with its
/// letter; the protocol steps before the notice; the copy of the Protocol after it and before
/// the claim; hearing, order and warrant each after the step before; the stage shown is the
/// latest recorded.
fn check_history(stage: &str, d: &[Value]) -> Result<(), String> {
    let stages: Vec<&str> = d
        .iter()
        .filter(|a| a["kind"] == "stage" || a["kind"] == "notice")
        .filter_map(|a| a["outcome"].as_str())
        .collect();
    if stages.last() != Some(&stage) {
        return Err(format!("shown at {stage}, latest recorded {stages:?}"));
    }
    for letter_stage in ["first_letter", "second_letter"] {
        for (i, a) in d.iter().enumerate() {
            if a["kind"] == "stage" && a["outcome"] == letter_stage {
                let with_letter = d
                    .iter()
                    .any(|l| l["kind"] == "letter" && l["occurred_at"] == d[i]["occurred_at"]);
                if !with_letter {
                    return Err(format!("{letter_stage} without its letter"));
                }
            }
        }
    }
    let at = |k: &str, o: &str| first(d, k, o);
    if let Some(notice) = at("notice", "notice_served") {
        for step in BEFORE_NOTICE {
            match at("protocol", step) {
                Some(p) if p < notice => {}
                _ => return Err(format!("notice without {step} before it")),
            }
        }
    }
    let chain = [
        ("notice", "notice_served"),
        ("stage", "court_application"),
        ("stage", "hearing"),
        ("stage", "order"),
        ("stage", "warrant"),
    ];
    for pair in chain.windows(2) {
        let (before, after) = (pair[0], pair[1]);
        if let Some(a) = at(after.0, after.1) {
            match last(d, before.0, before.1) {
                Some(b) if b < a => {}
                _ => return Err(format!("{} without {} before it", after.1, before.1)),
            }
        }
    }
    if let Some(claim) = at("stage", "court_application") {
        let notice = at("notice", "notice_served").unwrap_or(usize::MAX);
        match last(d, "protocol", "protocol_copy_sent") {
            Some(c) if c > notice && c < claim => {}
            _ => return Err("claim without the copy of the Protocol after the notice".into()),
        }
    }
    Ok(())
}

#[tokio::test]
async fn the_first_start_lives_through_every_stage_with_a_history_the_rules_allow() {
    let app = spawn_app().await;
    let settings = app.settings();
    let today = app.today();
    let started = rentdesk::cli::first_start(&app.db, &settings, 1000, 42, today)
        .await
        .unwrap()
        .expect("an empty database is seeded");
    let lived = &started.lived_in;
    assert!(
        lived.refused.is_empty(),
        "the rules refused: {:#?}",
        lived.refused
    );
    for (scene, n) in &lived.scenes {
        assert!(*n > 0, "no account lived the scene {scene}: {lived:#?}");
    }
    assert!(
        lived.crisis_breathing_spaces > 0 && lived.visits_tomorrow > 0 && lived.app_devices > 0
    );

    let admin = sign_in(&app, rentdesk_store::seed::DEMO_ADMIN_EMAIL).await;
    let mut checked = 0;
    for stage in [
        "early_intervention",
        "first_letter",
        "second_letter",
        "protocol_steps_complete",
        "notice_served",
        "court_application",
        "hearing",
        "order",
        "warrant",
    ] {
        // Which accounts are at the stage (the caseload answers it too, but reads every
        // account to order them: seconds a stage in a debug build); each is then read through
        // the API.
        let at_stage: Vec<i64> = case::Entity::find()
            .filter(case::Column::Stage.eq(stage))
            .order_by_asc(case::Column::TenancyId)
            .all(&app.db)
            .await
            .unwrap()
            .into_iter()
            .map(|c| c.tenancy_id)
            .collect();
        assert!(!at_stage.is_empty(), "no account at {stage}");
        // A few accounts at each stage (every diary read is audited: a page each).
        let take = if stage.ends_with("letter") || stage == "early_intervention" {
            2
        } else {
            5
        };
        for &id in at_stage.iter().take(take) {
            let account = get(&app, &admin, &format!("/officer/v1/accounts/{id}")).await;
            let shown = format!("\"stage\":\"{stage}\"");
            assert!(
                account.to_string().contains(&shown),
                "{id} at {stage}: {account}"
            );
            let d = diary(&app, &admin, id).await;
            if let Err(e) = check_history(stage, &d) {
                panic!("{} at {stage}: {e}", account["reference"]);
            }
            checked += 1;
        }
    }
    assert!(checked >= 30, "{checked} histories checked");
    // Two teams: each leader sees their own patches' accounts, none of the other's.
    let mut seen = vec![];
    for leader in [
        "teamleader@rentdesk.example",
        rentdesk_store::lived_in::SECOND_TEAM_LEADER,
    ] {
        let token = sign_in(&app, leader).await;
        let page = get(&app, &token, "/officer/v1/caseload?limit=100").await;
        let ids: BTreeSet<i64> = page["accounts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["tenancy_id"].as_i64().unwrap())
            .collect();
        assert!(!ids.is_empty(), "{leader} sees no account");
        seen.push(ids);
    }
    assert!(
        seen[0].is_disjoint(&seen[1]),
        "the teams' caseloads overlap"
    );
    // Each team leader's finished campaign: sent weeks ago through the campaign code, its
    // outcome per variant and for the control group with both windows over and figures in.
    assert_eq!(started.demo.campaigns.len(), 2, "{:#?}", started.demo);
    for leader in [
        "teamleader@rentdesk.example",
        rentdesk_store::lived_in::SECOND_TEAM_LEADER,
    ] {
        let token = sign_in(&app, leader).await;
        let list = get(&app, &token, "/manage/v1/campaigns").await;
        let finished: Vec<&Value> = list["campaigns"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["status"] == "finished")
            .collect();
        assert_eq!(finished.len(), 1, "{leader}: {list}");
        let c = finished[0];
        let progress = &c["progress"];
        assert!(
            progress["sent"].as_u64().unwrap() >= 20
                && progress["held_back"].as_u64().unwrap() >= 5
                && progress["queued"] == 0
                && progress["planned"] == true,
            "{leader}: {c}"
        );
        let outcome = get(
            &app,
            &token,
            &format!("/manage/v1/campaigns/{}/outcome", c["id"]),
        )
        .await;
        assert!(
            outcome["complete_7_days"] == true && outcome["complete_14_days"] == true,
            "{leader}: {outcome}"
        );
        let groups: Vec<&str> = outcome["groups"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| g["group"].as_str().unwrap())
            .collect();
        assert_eq!(groups, ["control", "variant_0", "variant_1"], "{outcome}");
        for g in outcome["groups"].as_array().unwrap() {
            let w = &g["within_14_days"];
            assert!(
                g["recipients"].as_u64().unwrap() >= 5
                    && w["payers"].as_u64().unwrap() > 0
                    && w["paid_pence"].as_i64().unwrap() > 0,
                "{leader}: {g}"
            );
            if g["group"] != "control" {
                for window in ["within_7_days", "within_14_days"] {
                    let vs = &g[window]["versus_control"];
                    assert!(
                        vs["paid_rate_ci_low"].as_f64().unwrap()
                            <= vs["paid_rate_difference"].as_f64().unwrap()
                            && vs["paid_rate_difference"].as_f64().unwrap()
                                <= vs["paid_rate_ci_high"].as_f64().unwrap(),
                        "{leader} {window}: {g}"
                    );
                }
            }
        }
        // The performance page over the last eight weeks: rent, stages and the contacts the
        // team made, the campaign's texts among them.
        let from = today - chrono::Duration::days(55);
        let report = get(
            &app,
            &token,
            &format!("/manage/v1/reports/performance?from={from}&to={today}"),
        )
        .await;
        assert!(
            report["accounts"].as_u64().unwrap() > 100
                && report["rent"]["collected_pence"].as_i64().unwrap() > 0,
            "{leader}: {report}"
        );
        let contacts = report["contacts"].as_array().unwrap();
        for channel in ["sms", "call"] {
            assert!(
                contacts
                    .iter()
                    .any(|x| x["channel"] == channel && x["count"].as_u64().unwrap() > 0),
                "{leader}: no {channel} in {contacts:?}"
            );
        }
    }
    // Plans tenants proposed outside policy wait in their officer's view: the account's plan
    // pending review with the reason, and a review task among the officer's open tasks.
    assert!(
        started.demo.refused.is_empty() && started.demo.plans_pending_review == 3,
        "{:#?}",
        started.demo
    );
    for plan in arrangement::Entity::find()
        .filter(arrangement::Column::Status.eq("pending_review"))
        .all(&app.db)
        .await
        .unwrap()
    {
        let officer = officer_of(&app, plan.tenancy_id).await;
        let token = sign_in(&app, &officer).await;
        let account = get(
            &app,
            &token,
            &format!("/officer/v1/accounts/{}", plan.tenancy_id),
        )
        .await;
        assert!(
            account["arrangements"].as_array().unwrap().iter().any(|a| {
                a["status"] == "pending_review"
                    && a["proposed_by_tenant"] == true
                    && a["review_reason"].as_str().is_some_and(|r| !r.is_empty())
            }),
            "{officer}: {account}"
        );
        let tasks = open_tasks(&app, &token).await;
        assert!(
            tasks
                .iter()
                .any(|t| t["kind"] == "review_plan" && t["tenancy_id"] == plan.tenancy_id),
            "{officer} has no review task for {}",
            plan.tenancy_id
        );
    }
    // UC claimants with the APA requested: the claim says so, and the diary shows the task
    // done with that outcome after the tenant reported the claim.
    assert_eq!(lived.apa_requested, 3, "{lived:#?}");
    let claims = uc_claim::Entity::find()
        .filter(uc_claim::Column::ApaStatus.eq("requested"))
        .all(&app.db)
        .await
        .unwrap();
    assert_eq!(claims.len(), 3);
    for claim in claims {
        let account = get(
            &app,
            &admin,
            &format!("/officer/v1/accounts/{}", claim.tenancy_id),
        )
        .await;
        assert_eq!(account["uc_claim"]["apa_status"], "requested", "{account}");
        let d = diary(&app, &admin, claim.tenancy_id).await;
        let reported = d.iter().position(|a| a["kind"] == "uc_claim");
        let requested = d
            .iter()
            .position(|a| a["kind"] == "task_done" && a["outcome"] == "apa_requested");
        assert!(
            matches!((reported, requested), (Some(r), Some(q)) if r < q),
            "{}: {d:#?}",
            claim.tenancy_id
        );
    }
    // The protocol's letters with a time limit: para 2.9's warning after a broken
    // arrangement, Part 3's letter after a section 8 notice on ground 8. Each is a letter in
    // the diary right after its step, and its PDF is there to read.
    assert_eq!(lived.breach_warnings, 3, "{lived:#?}");
    for step in ["arrangement_breach_warning", "possession_reasons_explained"] {
        let held = letter::Entity::find()
            .filter(letter::Column::Stage.eq(step))
            .all(&app.db)
            .await
            .unwrap();
        assert!(held.len() >= 2, "{step}: {} letters", held.len());
        for l in held.iter().take(2) {
            let d = diary(&app, &admin, l.tenancy_id).await;
            let at = first(&d, "protocol", step).expect("the step is in the diary");
            assert!(
                d[at]["body"]
                    .as_str()
                    .is_some_and(|b| b.contains("Time limit given: until")),
                "{}",
                d[at]
            );
            assert!(
                d.iter().any(|a| a["kind"] == "letter"
                    && a["outcome"] == step
                    && a["occurred_at"] == d[at]["occurred_at"]),
                "{step}: no letter with the step for {}",
                l.tenancy_id
            );
            let resp = app
                .client
                .get(app.url(&format!("/officer/v1/letters/{}", l.id)))
                .bearer_auth(&admin)
                .send()
                .await
                .unwrap();
            assert_eq!(resp.status().as_u16(), 200);
            let pdf = resp.bytes().await.unwrap();
            assert!(pdf.starts_with(b"%PDF"), "{step}: not a PDF");
        }
    }
    // The README tour's officer still signs in and has tomorrow's visits to route.
    let officer = sign_in(&app, "officer1@rentdesk.example").await;
    let tomorrow = today + chrono::Duration::days(1);
    let visits = get(
        &app,
        &officer,
        &format!("/officer/v1/visits?date={tomorrow}"),
    )
    .await;
    assert!(
        visits.to_string().contains("window"),
        "officer1 has visits with windows tomorrow: {visits}"
    );
    app.stop().await;
}

/// Every case's stage and when it came, and every diary line, by tenancy reference.
async fn history_of(db: &sea_orm::DatabaseConnection) -> Vec<(String, String, String)> {
    use rentdesk_store::entities::{action, tenancy};
    let refs: std::collections::HashMap<i64, String> = tenancy::Entity::find()
        .all(db)
        .await
        .unwrap()
        .into_iter()
        .map(|t| (t.id, t.reference))
        .collect();
    let mut out: Vec<(String, String, String)> = action::Entity::find()
        .all(db)
        .await
        .unwrap()
        .into_iter()
        .map(|a| {
            (
                refs[&a.tenancy_id].clone(),
                a.occurred_at.to_rfc3339(),
                format!("{} {:?} {}", a.kind, a.outcome, a.body),
            )
        })
        .collect();
    out.extend(
        case::Entity::find()
            .all(db)
            .await
            .unwrap()
            .into_iter()
            .map(|c| {
                (
                    refs[&c.tenancy_id].clone(),
                    c.stage_since.to_string(),
                    c.stage,
                )
            }),
    );
    // The campaigns: who got which variant or was held back, and every message's fate.
    use rentdesk_store::entities::{campaign_recipient, message};
    out.extend(
        campaign_recipient::Entity::find()
            .all(db)
            .await
            .unwrap()
            .into_iter()
            .map(|r| {
                (
                    refs[&r.tenancy_id].clone(),
                    r.created_at.to_rfc3339(),
                    format!(
                        "campaign {} variant {} control {}",
                        r.campaign_id, r.variant, r.control
                    ),
                )
            }),
    );
    out.extend(
        message::Entity::find()
            .filter(message::Column::CampaignId.is_not_null())
            .all(db)
            .await
            .unwrap()
            .into_iter()
            .map(|m| {
                (
                    refs[&m.tenancy_id].clone(),
                    m.scheduled_for.map(|t| t.to_rfc3339()).unwrap_or_default(),
                    format!("{} {} {}", m.channel, m.status, m.body),
                )
            }),
    );
    out.sort();
    out
}

#[tokio::test]
async fn the_same_seed_lives_the_same_history() {
    let mut histories = vec![];
    for _ in 0..2 {
        let app = spawn_app().await;
        let settings = app.settings();
        let today = app.today();
        rentdesk_store::seed::seed(&app.db, 300, 7, today)
            .await
            .unwrap();
        let lived = rentdesk::cli::lived_in(&app.db, &settings, 7, today)
            .await
            .unwrap();
        assert!(lived.refused.is_empty(), "{lived:#?}");
        assert!(lived.steps > 50, "{lived:#?}");
        let demo = rentdesk::cli::demo(&app.db, &settings, today)
            .await
            .unwrap();
        assert!(
            demo.refused.is_empty() && demo.campaigns.iter().all(|c| c.sent > 0),
            "{demo:#?}"
        );
        histories.push(history_of(&app.db).await);
        app.stop().await;
    }
    assert_eq!(histories[0], histories[1]);
}
