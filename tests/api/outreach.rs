use crate::helpers::{TestApp, spawn_app};
use chrono::{NaiveDate, TimeZone, Utc};
use rentdesk_domain::contact_policy::ContactPolicy;
use rentdesk_store::entities::{action, flag, message, tenancy};
use rentdesk_store::outreach::plan_all;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};

async fn with_examples() -> (TestApp, i64) {
    let app = spawn_app().await;
    app.import_examples().await;
    let id = tenancy::Entity::find()
        .filter(tenancy::Column::Reference.eq("HD1001"))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
        .id;
    (app, id)
}

fn thursday() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 12).unwrap()
}

#[tokio::test]
async fn a_missed_payment_found_at_23_00_is_one_sms_queued_for_08_00_and_never_planned_twice() {
    let (app, hd1001) = with_examples().await;
    // HD1001's direct debit of Tuesday 10 Nov did not come; found on Thursday at 23:00.
    let late = Utc.with_ymd_and_hms(2026, 11, 12, 23, 0, 0).unwrap();
    let report = plan_all(&app.db, thursday(), late, &ContactPolicy::default())
        .await
        .unwrap();
    assert_eq!(
        (report.queued, report.suppressed, report.already_planned),
        (1, 0, 0),
        "{report:?}"
    );
    let messages = message::Entity::find().all(&app.db).await.unwrap();
    assert_eq!(messages.len(), 1);
    let m = &messages[0];
    assert_eq!(
        (m.tenancy_id, m.channel.as_str(), m.status.as_str()),
        (hd1001, "sms", "queued")
    );
    assert_eq!(m.rule_id.as_deref(), Some("missed_payment"));
    assert_eq!(
        m.scheduled_for,
        Some(Utc.with_ymd_and_hms(2026, 11, 13, 8, 0, 0).unwrap())
    );
    assert!(
        !m.body.contains('£'),
        "no amount on a lock screen: {}",
        m.body
    );
    assert!(m.body.contains("10 November"), "{}", m.body);
    let diary = action::Entity::find()
        .filter(action::Column::TenancyId.eq(hd1001))
        .all(&app.db)
        .await
        .unwrap();
    assert_eq!(diary.len(), 1);
    assert_eq!(diary[0].rule_id.as_deref(), Some("missed_payment"));
    assert!(
        diary[0]
            .facts
            .as_deref()
            .unwrap()
            .contains("\"due\":\"2026-11-10\"")
    );

    // The nightly run again, and a retry the next morning: nothing new.
    let again = plan_all(&app.db, thursday(), late, &ContactPolicy::default())
        .await
        .unwrap();
    assert_eq!((again.queued, again.already_planned), (0, 1));
    let morning = Utc.with_ymd_and_hms(2026, 11, 13, 7, 0, 0).unwrap();
    plan_all(
        &app.db,
        NaiveDate::from_ymd_opt(2026, 11, 13).unwrap(),
        morning,
        &ContactPolicy::default(),
    )
    .await
    .unwrap();
    assert_eq!(message::Entity::find().all(&app.db).await.unwrap().len(), 1);
    app.stop().await;
}

#[tokio::test]
async fn a_breathing_space_tenant_gets_nothing_and_the_suppression_is_recorded() {
    let (app, hd1001) = with_examples().await;
    flag::ActiveModel {
        tenancy_id: Set(hd1001),
        tenant_id: Set(None),
        kind: Set("breathing_space_standard".into()),
        no_automated_contact: Set(false),
        starts_on: Set(NaiveDate::from_ymd_opt(2026, 11, 1).unwrap()),
        ends_on: Set(Some(NaiveDate::from_ymd_opt(2026, 12, 30).unwrap())),
        detail: Set("notified by a debt adviser".into()),
        set_by_staff_id: Set(None),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .unwrap();
    let noon = Utc.with_ymd_and_hms(2026, 11, 12, 12, 0, 0).unwrap();
    let report = plan_all(&app.db, thursday(), noon, &ContactPolicy::default())
        .await
        .unwrap();
    assert_eq!((report.queued, report.suppressed), (0, 1), "{report:?}");
    let m = message::Entity::find().one(&app.db).await.unwrap().unwrap();
    assert_eq!(
        (m.status.as_str(), m.suppression_reason.as_deref()),
        ("suppressed", Some("breathing_space"))
    );
    let diary = action::Entity::find()
        .filter(action::Column::TenancyId.eq(hd1001))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert!(
        diary.body.contains("not sent (breathing_space)"),
        "{}",
        diary.body
    );
    app.stop().await;
}

#[tokio::test]
async fn an_opted_out_mobile_falls_back_to_email() {
    use rentdesk_store::entities::tenant;
    let (app, hd1001) = with_examples().await;
    let lead = tenant::Entity::find()
        .filter(tenant::Column::TenancyId.eq(hd1001))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let mut am: tenant::ActiveModel = lead.into();
    am.sms_enabled = Set(false);
    am.update(&app.db).await.unwrap();
    let noon = Utc.with_ymd_and_hms(2026, 11, 12, 12, 0, 0).unwrap();
    plan_all(&app.db, thursday(), noon, &ContactPolicy::default())
        .await
        .unwrap();
    let m = message::Entity::find().one(&app.db).await.unwrap().unwrap();
    assert_eq!((m.channel.as_str(), m.status.as_str()), ("email", "queued"));
    assert_eq!(m.scheduled_for, Some(noon));
    app.stop().await;
}

mod dispatch {
    use super::*;
    use rentdesk_worker::dispatch::dispatch_sms;
    use rentdesk_worker::fake_twilio;
    use rentdesk_worker::sms::{Sender, TwilioClient, TwilioConfig};

    fn twilio(base_url: &str) -> TwilioClient {
        TwilioClient::new(TwilioConfig {
            base_url: base_url.to_owned(),
            account_sid: fake_twilio::SID.into(),
            auth_token: fake_twilio::TOKEN.into(),
            sender: Sender::From("+447700900000".into()),
            timeout: std::time::Duration::from_secs(5),
        })
        .unwrap()
    }

    const KAREN: &str = "+447700900123";

    #[tokio::test]
    async fn a_missed_payment_found_at_23_00_reaches_twilio_once_at_08_00() {
        let (app, _) = with_examples().await;
        let (fake, url) = fake_twilio::start().await;
        let client = twilio(&url);
        let policy = ContactPolicy::default();
        plan_all(
            &app.db,
            thursday(),
            Utc.with_ymd_and_hms(2026, 11, 12, 23, 0, 0).unwrap(),
            &policy,
        )
        .await
        .unwrap();
        // Ticks through the night send nothing.
        for (h, m) in [(23, 1), (3, 0), (7, 59)] {
            let day = if h == 23 { 12 } else { 13 };
            let r = dispatch_sms(
                &app.db,
                Some(&client),
                None,
                Utc.with_ymd_and_hms(2026, 11, day, h, m, 0).unwrap(),
            )
            .await
            .unwrap();
            assert_eq!(r.sent, 0);
        }
        assert_eq!(fake.sent_to(KAREN), 0);
        let eight = Utc.with_ymd_and_hms(2026, 11, 13, 8, 0, 0).unwrap();
        assert_eq!(
            dispatch_sms(&app.db, Some(&client), None, eight)
                .await
                .unwrap()
                .sent,
            1
        );
        // Two workers ticking again, and tomorrow's plan: still one.
        let (a, b) = tokio::join!(
            dispatch_sms(&app.db, Some(&client), None, eight),
            dispatch_sms(
                &app.db,
                Some(&client),
                None,
                eight + chrono::Duration::seconds(1)
            )
        );
        assert_eq!(a.unwrap().sent + b.unwrap().sent, 0);
        plan_all(
            &app.db,
            NaiveDate::from_ymd_opt(2026, 11, 13).unwrap(),
            eight,
            &policy,
        )
        .await
        .unwrap();
        dispatch_sms(
            &app.db,
            Some(&client),
            None,
            eight + chrono::Duration::minutes(5),
        )
        .await
        .unwrap();
        assert_eq!(fake.sent_to(KAREN), 1);
        let m = message::Entity::find().one(&app.db).await.unwrap().unwrap();
        assert_eq!(m.status, "sent");
        assert!(m.provider_id.as_deref().unwrap().starts_with("SM"));
        assert_eq!(m.sent_at, Some(eight));
        app.stop().await;
    }

    #[tokio::test]
    async fn twilio_failing_three_times_then_answering_yields_one_message() {
        let (app, _) = with_examples().await;
        let (fake, url) = fake_twilio::start().await;
        fake.0.lock().unwrap().fail_next.extend([500, 500, 500]);
        let client = twilio(&url);
        let noon = Utc.with_ymd_and_hms(2026, 11, 13, 12, 0, 0).unwrap();
        plan_all(&app.db, thursday(), noon, &ContactPolicy::default())
            .await
            .unwrap();
        let mut now = noon;
        let mut sent = 0;
        for _ in 0..4 {
            sent += dispatch_sms(&app.db, Some(&client), None, now)
                .await
                .unwrap()
                .sent;
            now += rentdesk_worker::dispatch::RETRY_AFTER;
        }
        assert_eq!(sent, 1);
        assert_eq!(fake.sent_to(KAREN), 1);
        app.stop().await;
    }

    #[tokio::test]
    async fn an_invalid_number_fails_once_and_is_remembered() {
        use rentdesk_store::entities::tenant;
        let (app, hd1001) = with_examples().await;
        let (fake, url) = fake_twilio::start().await;
        fake.0.lock().unwrap().invalid_numbers.push(KAREN.into());
        let noon = Utc.with_ymd_and_hms(2026, 11, 13, 12, 0, 0).unwrap();
        plan_all(&app.db, thursday(), noon, &ContactPolicy::default())
            .await
            .unwrap();
        let r = dispatch_sms(&app.db, Some(&twilio(&url)), None, noon)
            .await
            .unwrap();
        assert_eq!(r.failed, 1);
        let lead = tenant::Entity::find()
            .filter(tenant::Column::TenancyId.eq(hd1001))
            .one(&app.db)
            .await
            .unwrap()
            .unwrap();
        assert!(lead.mobile_invalid);
        app.stop().await;
    }

    #[tokio::test]
    async fn a_send_cut_off_mid_flight_is_marked_unknown_not_resent() {
        let (app, _) = with_examples().await;
        let (fake, url) = fake_twilio::start().await;
        let noon = Utc.with_ymd_and_hms(2026, 11, 13, 12, 0, 0).unwrap();
        plan_all(&app.db, thursday(), noon, &ContactPolicy::default())
            .await
            .unwrap();
        // A worker claimed it and died before recording Twilio's answer.
        let claimed = rentdesk_store::outbox::claim_due(&app.db, "sms", noon, 10)
            .await
            .unwrap();
        assert_eq!(claimed.len(), 1);
        let later = noon + chrono::Duration::minutes(30);
        let r = dispatch_sms(&app.db, Some(&twilio(&url)), None, later)
            .await
            .unwrap();
        assert_eq!((r.marked_unknown, r.sent), (1, 0));
        assert_eq!(fake.sent_to(KAREN), 0);
        assert_eq!(
            message::Entity::find()
                .one(&app.db)
                .await
                .unwrap()
                .unwrap()
                .status,
            "unknown"
        );
        app.stop().await;
    }
}
