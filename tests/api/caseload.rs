//! The caseload as the store assembles it: bulk-loaded, ordered, explained.

use crate::helpers::fresh_database;
use chrono::{Duration, NaiveDate, TimeZone, Utc};
use rentdesk_domain::possession::protocol::{NoticeRules, ServiceMethod, notice_dates};
use rentdesk_domain::possession::types::NoticeKind;
use rentdesk_domain::priority::Exclusion;
use rentdesk_store::entities::{action, case, message, tenancy};
use sea_orm::{ActiveModelTrait, EntityTrait, QueryOrder, QuerySelect, Set};

fn as_of() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 23).unwrap()
}

async fn seeded(
    count: u64,
) -> (
    sea_orm::DatabaseConnection,
    Option<std::path::PathBuf>,
    Vec<i64>,
) {
    let (url, file) = fresh_database().await;
    let db = rentdesk_store::db::connect(&url, 4).await.unwrap();
    rentdesk_store::db::migrate(&db).await.unwrap();
    rentdesk_store::seed::seed(&db, count, 11, as_of())
        .await
        .unwrap();
    let ids: Vec<i64> = tenancy::Entity::find()
        .select_only()
        .column(tenancy::Column::Id)
        .order_by_asc(tenancy::Column::Id)
        .into_tuple()
        .all(&db)
        .await
        .unwrap();
    (db, file, ids)
}

#[tokio::test]
async fn the_caseload_is_ordered_explained_and_the_same_in_bulk_as_one_by_one() {
    let (db, file, ids) = seeded(120).await;
    let all = rentdesk_store::caseload::assess(&db, &ids, as_of())
        .await
        .unwrap();
    assert_eq!(all.len(), ids.len());
    assert!(
        all.windows(2)
            .all(|w| w[0].assessment.score >= w[1].assessment.score),
        "highest score first"
    );
    assert!(all.iter().any(|a| a.assessment.needs_action_today));
    for a in &all {
        assert_eq!(
            a.assessment.needs_action_today,
            a.assessment.excluded.is_none()
        );
        if a.assessment.needs_action_today {
            assert!(!a.assessment.reasons.is_empty(), "{a:?}");
            assert!(a.real_arrears.0 > 0, "{a:?}");
        }
        // Technical arrears only: counted off the list, never on it.
        if a.facts.now.arrears.0 > 0 && a.real_arrears.0 <= 0 {
            assert!(
                matches!(
                    a.assessment.excluded,
                    Some(Exclusion::TechnicalOnly { .. }) | Some(Exclusion::Closed)
                ),
                "{a:?}"
            );
        }
    }
    assert!(
        all.iter()
            .any(|a| matches!(a.assessment.excluded, Some(Exclusion::TechnicalOnly { .. }))),
        "the demo data has technical-only accounts"
    );
    // Chunked bulk loading gives what one account alone gives.
    for a in all.iter().step_by(7) {
        let one = rentdesk_store::caseload::assess(&db, &[a.tenancy_id], as_of())
            .await
            .unwrap();
        assert_eq!(one.len(), 1);
        assert_eq!(one[0].assessment, a.assessment, "{}", a.reference);
        assert_eq!(one[0].facts, a.facts, "{}", a.reference);
    }
    if let Some(f) = file {
        let _ = std::fs::remove_file(f);
    }
}

#[tokio::test]
async fn contacts_and_a_lapsing_notice_reach_the_caseload() {
    let (db, file, ids) = seeded(60).await;
    let all = rentdesk_store::caseload::assess(&db, &ids, as_of())
        .await
        .unwrap();
    let mut owing = all.iter().filter(|a| {
        a.real_arrears.0 > 0 && a.facts.breathing_space.is_none() && a.facts.plan.is_none()
    });
    let (noticed, served, called, texted) = (
        owing.next().unwrap().tenancy_id,
        owing.next().unwrap().tenancy_id,
        owing.next().unwrap().tenancy_id,
        owing.next().unwrap().tenancy_id,
    );
    let now = Utc::now();
    let at = |d: NaiveDate| Utc.from_utc_datetime(&d.and_hms_opt(11, 0, 0).unwrap());
    let ymd = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
    // A NOSP handed over on Wednesday 5 Nov 2025 (proceedings from Sunday 7 Dec, so it lapses
    // on 7 Dec 2026), and a section 8 notice handed over on 1 Dec 2025 but recorded on 10 Dec
    // (service back-dated: it lapses on 1 Dec 2026). Each is stored as the step stores it.
    for (tenancy_id, kind, sent, recorded) in [
        (
            noticed,
            NoticeKind::Nosp,
            ymd(2025, 11, 5),
            ymd(2025, 11, 5),
        ),
        (
            served,
            NoticeKind::Section8,
            ymd(2025, 12, 1),
            ymd(2025, 12, 10),
        ),
    ] {
        case::ActiveModel {
            tenancy_id: Set(tenancy_id),
            stage: Set("notice_served".into()),
            priority: Set(0),
            reasons: Set(String::new()),
            owner_id: Set(None),
            stage_since: Set(recorded),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(&db)
        .await
        .unwrap();
        let dates = notice_dates(
            kind,
            sent.and_hms_opt(10, 0, 0).unwrap(),
            ServiceMethod::Hand,
            &NoticeRules::default(),
        );
        action::ActiveModel {
            tenancy_id: Set(tenancy_id),
            kind: Set(rentdesk_store::vocab::ActionKind::Notice.into()),
            outcome: Set(Some("notice_served".into())),
            body: Set("Notice served.".into()),
            facts: Set(Some(serde_json::to_string(&dates).unwrap())),
            occurred_at: Set(at(recorded)),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(&db)
        .await
        .unwrap();
    }
    for (kind, days) in [("call", 3), ("message", 1), ("visit", 40), ("call", -2)] {
        action::ActiveModel {
            tenancy_id: Set(called),
            kind: Set(crate::helpers::diary_kind(kind).into()),
            outcome: Set(None),
            body: Set("test".into()),
            author_staff_id: Set(None),
            rule_id: Set(None),
            facts: Set(None),
            client_id: Set(None),
            occurred_at: Set(at(as_of() - Duration::days(days))),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(&db)
        .await
        .unwrap();
    }
    for (status, days, key) in [("sent", 10, "a"), ("failed", 2, "b")] {
        message::ActiveModel {
            idempotency_key: Set(format!("caseload-test-{key}")),
            tenancy_id: Set(texted),
            tenant_id: Set(None),
            channel: Set("sms".into()),
            template: Set("t".into()),
            rule_id: Set(None),
            campaign_id: Set(None),
            body: Set("hello".into()),
            status: Set(status.into()),
            suppression_reason: Set(None),
            provider_id: Set(None),
            error: Set(None),
            scheduled_for: Set(None),
            sent_at: Set(Some(at(as_of() - Duration::days(days)))),
            attempts: Set(1),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(&db)
        .await
        .unwrap();
    }
    let after = rentdesk_store::caseload::assess(&db, &[noticed, served, called, texted], as_of())
        .await
        .unwrap();
    let get = |id: i64| after.iter().find(|a| a.tenancy_id == id).unwrap();
    let n = get(noticed);
    assert!(n.assessment.needs_action_today);
    assert_eq!(
        n.stage,
        rentdesk_domain::possession::types::Stage::NoticeServed
    );
    assert_eq!(n.assessment.reasons[0], "NOSP expires in 14 days (7 Dec)");
    let s8 = get(served);
    assert!(s8.assessment.needs_action_today);
    assert_eq!(
        s8.assessment.reasons[0],
        "section 8 notice expires in 8 days (1 Dec)"
    );
    // A call 3 days ago; the planned message and a call dated after today don't count.
    assert_eq!(
        get(called).facts.last_contact,
        Some(as_of() - Duration::days(3))
    );
    // A sent text counts; a failed one doesn't.
    assert_eq!(
        get(texted).facts.last_contact,
        Some(as_of() - Duration::days(10))
    );
    if let Some(f) = file {
        let _ = std::fs::remove_file(f);
    }
}

#[tokio::test]
async fn the_councils_broken_arrangement_grace_decides_whether_the_caseload_calls_a_plan_broken() {
    let (db, file, ids) = seeded(120).await;
    let all = rentdesk_store::caseload::assess(&db, &ids, as_of())
        .await
        .unwrap();
    // Owing a little, steady, no plan: off the list until something happens.
    let quiet = all
        .iter()
        .find(|a| {
            a.assessment.excluded == Some(Exclusion::SmallAndStable)
                && a.facts.plan.is_none()
                && a.facts.breathing_space.is_none()
        })
        .expect("a small, stable account in the demo data")
        .tenancy_id;
    // A plan whose first instalment fell due 4 days ago and has not been paid in full.
    let now = Utc::now();
    rentdesk_store::entities::arrangement::ActiveModel {
        tenancy_id: Set(quiet),
        status: Set("active".into()),
        frequency: Set("weekly".into()),
        instalment_pence: Set(500_000),
        includes_rent: Set(true),
        start_date: Set(as_of() - Duration::days(4)),
        end_date: Set(None),
        arrears_at_start_pence: Set(10_000),
        created_by_staff_id: Set(None),
        proposed_by_tenant: Set(false),
        agreement_text: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&db)
    .await
    .unwrap();
    let verdict = |db: sea_orm::DatabaseConnection| async move {
        rentdesk_store::caseload::assess(&db, &[quiet], as_of())
            .await
            .unwrap()
            .remove(0)
    };
    // The shipped grace (7 days): still in time, the plan is being kept.
    let kept = verdict(db.clone()).await;
    assert!(!kept.assessment.needs_action_today, "{kept:?}");
    assert!(matches!(
        kept.assessment.excluded,
        Some(Exclusion::ArrangementKept { .. })
    ));
    // The council shortens it to 2 days: the same instalment is now missed, as the worker's
    // broken-arrangement rule also sees it, and the officer is told.
    let mut cfg = rentdesk_domain::outreach::sequences::OutreachConfig::default();
    cfg.broken_arrangement.grace_days = 2;
    rentdesk_store::outreach_config::save(&db, &cfg, None, now)
        .await
        .unwrap()
        .unwrap();
    let broken = verdict(db.clone()).await;
    assert!(broken.assessment.needs_action_today, "{broken:?}");
    assert_eq!(
        broken.facts.plan.as_ref().map(|p| &p.state),
        Some(&rentdesk_domain::possession::next_step::PlanState::Broken)
    );
    assert!(
        broken.assessment.reasons[0].starts_with("missed 1 instalment of the plan agreed"),
        "{broken:?}"
    );
    if let Some(f) = file {
        let _ = std::fs::remove_file(f);
    }
}
