use crate::helpers::{TestApp, spawn_app, spawn_app_with};
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
async fn a_breathing_space_withdrawn_as_entered_in_error_no_longer_suppresses() {
    use rentdesk_domain::flags::{EndReason, EndRequest};
    use rentdesk_store::flags::{EndFlag, FlagOutcome};
    let (app, hd1001) = with_examples().await;
    let f = flag::ActiveModel {
        tenancy_id: Set(hd1001),
        tenant_id: Set(None),
        kind: Set("breathing_space_mental_health".into()),
        no_automated_contact: Set(false),
        starts_on: Set(NaiveDate::from_ymd_opt(2026, 11, 1).unwrap()),
        ends_on: Set(None),
        detail: Set("entered on the wrong account".into()),
        set_by_staff_id: Set(None),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .unwrap();
    let withdrawn = rentdesk_store::flags::end(
        &app.db,
        crate::helpers::staff(&app, "officer@council.example", "officer").await,
        EndFlag {
            tenancy_id: hd1001,
            flag_id: f.id,
            request: EndRequest {
                reason: EndReason::EnteredInError,
                ends_on: None,
                treatment_ended_on: None,
            },
            note: "",
        },
        thursday(),
        None,
        app.now(),
    )
    .await
    .unwrap();
    assert!(matches!(withdrawn, FlagOutcome::Done(_)));
    let noon = Utc.with_ymd_and_hms(2026, 11, 12, 12, 0, 0).unwrap();
    let report = plan_all(&app.db, thursday(), noon, &ContactPolicy::default())
        .await
        .unwrap();
    assert_eq!((report.queued, report.suppressed), (1, 0), "{report:?}");
    app.stop().await;
}

#[tokio::test]
async fn a_no_automated_contact_flag_starting_next_week_lets_todays_message_go_and_stops_it_after()
{
    use rentdesk_domain::contact_policy::{Decision, SuppressReason};
    let (app, hd1001) = with_examples().await;
    let next_thursday = NaiveDate::from_ymd_opt(2026, 11, 19).unwrap();
    flag::ActiveModel {
        tenancy_id: Set(hd1001),
        tenant_id: Set(None),
        kind: Set("vulnerability".into()),
        no_automated_contact: Set(true),
        starts_on: Set(next_thursday),
        ends_on: Set(None),
        detail: Set("going into hospital next week; calls only".into()),
        set_by_staff_id: Set(None),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .unwrap();
    // Today (a week before it starts) the missed-payment message is planned as usual.
    let noon = Utc.with_ymd_and_hms(2026, 11, 12, 12, 0, 0).unwrap();
    let report = plan_all(&app.db, thursday(), noon, &ContactPolicy::default())
        .await
        .unwrap();
    assert_eq!((report.queued, report.suppressed), (1, 0), "{report:?}");
    let queued = message::Entity::find().all(&app.db).await.unwrap();
    let policy = ContactPolicy::default();
    let now = rentdesk_store::outreach::recheck(&app.db, &queued, &policy, noon)
        .await
        .unwrap();
    assert_eq!(now.get(&queued[0].id), Some(&Decision::Send));
    // Still waiting to go once the flag has started: the dispatch re-check stops it.
    let later = Utc.with_ymd_and_hms(2026, 11, 19, 12, 0, 0).unwrap();
    let then = rentdesk_store::outreach::recheck(&app.db, &queued, &policy, later)
        .await
        .unwrap();
    assert_eq!(
        then.get(&queued[0].id),
        Some(&Decision::Suppress(SuppressReason::NoAutomatedContact))
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
        // Sent in the 08:00 run (stamped with the run's time plus the moments it took).
        let sent_at = m.sent_at.unwrap();
        assert!(
            sent_at >= eight && sent_at < eight + chrono::Duration::seconds(30),
            "{sent_at}"
        );
        app.stop().await;
    }

    #[tokio::test]
    async fn twilio_failing_three_times_then_answering_yields_one_message_after_backing_off() {
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
        for attempt in 0..4 {
            let r = dispatch_sms(&app.db, Some(&client), None, now)
                .await
                .unwrap();
            sent += r.sent;
            let m = message::Entity::find().one(&app.db).await.unwrap().unwrap();
            if attempt < 3 {
                assert_eq!((r.retrying, m.status.as_str()), (1, "queued"), "{m:?}");
                assert_eq!(m.attempts, attempt + 1);
                // 1 min × 2^attempt, ±20%.
                let wait = (m.scheduled_for.unwrap() - now).num_seconds();
                let base = 60 * 2i64.pow(attempt as u32);
                assert!(
                    (base * 8 / 10..=base * 12 / 10).contains(&wait),
                    "attempt {attempt}: waited {wait}s"
                );
                // Not before its time.
                let early = dispatch_sms(
                    &app.db,
                    Some(&client),
                    None,
                    m.scheduled_for.unwrap() - chrono::Duration::seconds(1),
                )
                .await
                .unwrap();
                assert_eq!(early.sent + early.retrying, 0);
                now = m.scheduled_for.unwrap();
            }
        }
        assert_eq!(sent, 1);
        assert_eq!(fake.sent_to(KAREN), 1);
        app.stop().await;
    }

    /// The autumn clock change (issue 21, "Clock"): on Sunday 25 Oct 2026 London's 01:00–02:00
    /// happens twice (BST, then GMT). A reminder planned on Saturday evening, after contact
    /// hours, waits through the whole weekend — both passes of the repeated hour included — and
    /// goes once, at Monday's 08:00 London, which is 08:00 UTC after the change (it was 07:00
    /// UTC the Monday before). Dispatch ticks every 15 minutes as the worker does.
    #[tokio::test]
    async fn a_reminder_waits_through_the_autumn_clock_change_and_goes_once_at_eight_gmt() {
        let app = spawn_app().await;
        let batch = app
            .import("tenancies", crate::helpers::example("tenancies.csv"))
            .await;
        assert_eq!(batch["status"], "succeeded", "{batch}");
        // Karen Haigh pays by direct debit on Tuesdays; the one due Tuesday 20 Oct never came.
        let ledger = "external_ref,tenancy_reference,posted_on,kind,amount,method,description\n\
            OCT-R-12,HD1001,2026-10-12,rent_debit,98.50,,Rent w/c 12 Oct\n\
            OCT-P-13,HD1001,2026-10-13,payment,-98.50,direct_debit,Direct debit\n\
            OCT-R-19,HD1001,2026-10-19,rent_debit,98.50,,Rent w/c 19 Oct\n";
        let batch = app.import("transactions", ledger.as_bytes().to_vec()).await;
        assert_eq!(batch["status"], "succeeded", "{batch}");
        let (fake, url) = fake_twilio::start().await;
        let client = twilio(&url);

        // Saturday 24 Oct, 21:30 BST: after contact hours (08:00–21:00 London).
        let planned_at = Utc.with_ymd_and_hms(2026, 10, 24, 20, 30, 0).unwrap();
        let saturday = NaiveDate::from_ymd_opt(2026, 10, 24).unwrap();
        plan_all(&app.db, saturday, planned_at, &ContactPolicy::default())
            .await
            .unwrap();
        let queued = message::Entity::find()
            .filter(message::Column::Channel.eq("sms"))
            .all(&app.db)
            .await
            .unwrap();
        assert_eq!(queued.len(), 1, "{queued:?}");
        let monday_eight = Utc.with_ymd_and_hms(2026, 10, 26, 8, 0, 0).unwrap();

        let mut now = planned_at;
        let mut sends = Vec::new();
        while now <= monday_eight + chrono::Duration::hours(2) {
            let r = dispatch_sms(&app.db, Some(&client), None, now)
                .await
                .unwrap();
            if r.sent > 0 {
                sends.push((now, r.sent));
            }
            if now == planned_at {
                // The first tick finds it outside contact hours and defers it to the next
                // allowed moment: not Sunday, so Monday 08:00 London.
                let m = message::Entity::find_by_id(queued[0].id)
                    .one(&app.db)
                    .await
                    .unwrap()
                    .unwrap();
                assert_eq!(
                    (m.status.as_str(), m.scheduled_for),
                    ("queued", Some(monday_eight))
                );
            }
            now += chrono::Duration::minutes(15);
        }
        assert_eq!(
            sends,
            vec![(monday_eight, 1)],
            "once, at 08:00 London on Monday"
        );
        assert_eq!(fake.sent_to(KAREN), 1);
        app.stop().await;
    }

    /// Twilio answering 429 with `Retry-After: 600`: the retry waits the ten minutes Twilio
    /// asked for, not the one-minute first backoff, and the message then goes once.
    #[tokio::test]
    async fn twilio_429_with_retry_after_is_waited_for_then_sent_once() {
        let (app, _) = with_examples().await;
        let (fake, url) = fake_twilio::start().await;
        {
            let mut state = fake.0.lock().unwrap();
            state.fail_next.push_back(429);
            state.retry_after = Some("600".into());
        }
        let client = twilio(&url);
        let noon = Utc.with_ymd_and_hms(2026, 11, 13, 12, 0, 0).unwrap();
        plan_all(&app.db, thursday(), noon, &ContactPolicy::default())
            .await
            .unwrap();
        let r = dispatch_sms(&app.db, Some(&client), None, noon)
            .await
            .unwrap();
        assert_eq!((r.sent, r.retrying), (0, 1));
        let m = message::Entity::find().one(&app.db).await.unwrap().unwrap();
        let wait = (m.scheduled_for.unwrap() - noon).num_seconds();
        assert!((600..=660).contains(&wait), "waited {wait}s: {m:?}");
        assert!(m.error.as_deref().unwrap().contains("429"), "{m:?}");
        // Not at the backoff's minute, only once Twilio's ten minutes have passed.
        let minute = noon + chrono::Duration::minutes(2);
        let r = dispatch_sms(&app.db, Some(&client), None, minute)
            .await
            .unwrap();
        assert_eq!((r.sent, r.retrying), (0, 0));
        let r = dispatch_sms(&app.db, Some(&client), None, m.scheduled_for.unwrap())
            .await
            .unwrap();
        assert_eq!(r.sent, 1);
        assert_eq!(fake.sent_to(KAREN), 1);
        app.stop().await;
    }

    /// Twilio answering 500 every time: the message is given up after `MAX_SEND_ATTEMPTS`
    /// (backing off, never sent twice) and, as the early-intervention contact it stood for did
    /// not happen, the patch officer gets one task to make it another way.
    #[tokio::test]
    async fn a_message_twilio_keeps_refusing_is_given_up_once_and_becomes_an_officer_task() {
        use rentdesk_store::entities::task;
        use rentdesk_worker::dispatch::MAX_SEND_ATTEMPTS;
        let (app, hd1001) = with_examples().await;
        let (fake, url) = fake_twilio::start().await;
        fake.0
            .lock()
            .unwrap()
            .fail_next
            .extend(std::iter::repeat_n(500, MAX_SEND_ATTEMPTS as usize + 2));
        let client = twilio(&url);
        let noon = Utc.with_ymd_and_hms(2026, 11, 13, 12, 0, 0).unwrap();
        plan_all(&app.db, thursday(), noon, &ContactPolicy::default())
            .await
            .unwrap();
        let mut now = noon;
        let mut failed = 0;
        for _ in 0..MAX_SEND_ATTEMPTS {
            let r = dispatch_sms(&app.db, Some(&client), None, now)
                .await
                .unwrap();
            assert_eq!(r.sent, 0);
            failed += r.failed;
            let m = message::Entity::find().one(&app.db).await.unwrap().unwrap();
            if m.status != "queued" {
                break;
            }
            now = m.scheduled_for.unwrap();
        }
        let m = message::Entity::find().one(&app.db).await.unwrap().unwrap();
        assert_eq!(
            (failed, m.status.as_str(), m.attempts),
            (1, "failed", MAX_SEND_ATTEMPTS - 1),
            "{m:?}"
        );
        assert!(
            m.error.as_deref().unwrap().contains("gave up after"),
            "{m:?}"
        );
        // Nothing more is tried, and the task is raised once.
        let later = now + chrono::Duration::days(1);
        let r = dispatch_sms(&app.db, Some(&client), None, later)
            .await
            .unwrap();
        assert_eq!((r.sent, r.failed, r.retrying), (0, 0, 0));
        let tasks = task::Entity::find()
            .filter(task::Column::Kind.eq(rentdesk_domain::tasks::MESSAGE_NOT_SENT))
            .all(&app.db)
            .await
            .unwrap();
        assert_eq!(tasks.len(), 1, "{tasks:?}");
        assert_eq!(tasks[0].tenancy_id, hd1001);
        assert_eq!(
            tasks[0].rule_id, m.rule_id,
            "the task names the rule that planned it"
        );
        assert!(
            tasks[0].detail.contains("gave up after"),
            "{}",
            tasks[0].detail
        );
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

    #[tokio::test]
    async fn an_email_cut_off_mid_flight_waits_for_an_officer_and_is_never_resent() {
        use rentdesk_store::entities::{task, tenant};
        use sea_orm::sea_query::Expr;
        let (app, hd1001) = with_examples().await;
        tenant::Entity::update_many()
            .col_expr(tenant::Column::SmsEnabled, Expr::value(false))
            .filter(tenant::Column::TenancyId.eq(hd1001))
            .exec(&app.db)
            .await
            .unwrap();
        let noon = Utc.with_ymd_and_hms(2026, 11, 13, 12, 0, 0).unwrap();
        plan_all(&app.db, thursday(), noon, &ContactPolicy::default())
            .await
            .unwrap();
        let claimed = rentdesk_store::outbox::claim_due(&app.db, "email", noon, 10)
            .await
            .unwrap();
        assert_eq!(claimed.len(), 1);
        let later = noon + chrono::Duration::minutes(30);
        for _ in 0..2 {
            rentdesk_store::outbox::mark_abandoned_unknown(&app.db, later)
                .await
                .unwrap();
        }
        let m = message::Entity::find()
            .filter(message::Column::Channel.eq("email"))
            .one(&app.db)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(m.status, "unknown");
        let tasks = task::Entity::find()
            .filter(task::Column::Kind.eq("message_unknown"))
            .all(&app.db)
            .await
            .unwrap();
        assert_eq!(tasks.len(), 1, "one task however often the sweep runs");
        assert_eq!(tasks[0].tenancy_id, hd1001);
        assert!(
            tasks[0]
                .detail
                .contains("will not be sent again automatically")
        );
        // Later dispatch runs leave it alone.
        assert!(
            rentdesk_store::outbox::claim_due(&app.db, "email", later, 10)
                .await
                .unwrap()
                .is_empty()
        );
        app.stop().await;
    }
}

/// Email, push, channel fallback and reconciliation, through the real clients against the
/// fakes on loopback (SMTP sink, fake FCM, fake Twilio).
mod channels {
    use super::*;
    use rentdesk_store::entities::{device, tenant};
    use rentdesk_worker::dispatch::{Providers, RECONCILE_AFTER, dispatch_all};
    use rentdesk_worker::email::{EmailConfig, Mailer, SmtpUrl};
    use rentdesk_worker::fake_fcm::{self, FakeFcm};
    use rentdesk_worker::fake_smtp::{self, FakeSmtp};
    use rentdesk_worker::fake_twilio;
    use rentdesk_worker::push::{FcmClient, FcmConfig, ServiceAccount};
    use rentdesk_worker::sms::{Sender, SmsProvider, TwilioClient, TwilioConfig};
    use std::time::Duration;

    const KAREN_MOBILE: &str = "+447700900123";
    const KAREN_EMAIL: &str = "karen.haigh@example.org";
    const PHONE: &str = "fcm-token-karens-phone";

    struct Fakes {
        twilio: fake_twilio::Fake,
        smtp: FakeSmtp,
        fcm: FakeFcm,
        providers: Providers,
        twilio_url: String,
    }

    async fn fakes() -> Fakes {
        let (twilio, twilio_url) = fake_twilio::start().await;
        let (smtp, smtp_url) = fake_smtp::start().await;
        let (fcm, fcm_url) = fake_fcm::start().await;
        let providers = Providers {
            sms: Some(
                TwilioClient::new(TwilioConfig {
                    base_url: twilio_url.clone(),
                    account_sid: fake_twilio::SID.into(),
                    auth_token: fake_twilio::TOKEN.into(),
                    sender: Sender::From("+447700900000".into()),
                    timeout: Duration::from_secs(5),
                })
                .unwrap(),
            ),
            email: Some(
                Mailer::new(EmailConfig {
                    smtp: SmtpUrl::parse(&smtp_url).unwrap(),
                    from: "Rent team <rent@landlord.example>".parse().unwrap(),
                    public_url: "https://rent.landlord.example".into(),
                    link_key: rentdesk_config::Secret::new(crate::helpers::TOKEN_SIGNING_KEY),
                    timeout: Duration::from_secs(5),
                })
                .unwrap(),
            ),
            push: Some(
                FcmClient::new(FcmConfig {
                    base_url: fcm_url.clone(),
                    account: ServiceAccount::parse(&fake_fcm::service_account_json(&format!(
                        "{fcm_url}/token"
                    )))
                    .unwrap(),
                    timeout: Duration::from_secs(5),
                })
                .unwrap(),
            ),
            status_callback: None,
            policy: ContactPolicy::default(),
            rate_per_minute: None,
            send_concurrency: 0,
        };
        Fakes {
            twilio,
            smtp,
            fcm,
            providers,
            twilio_url,
        }
    }

    async fn lead(app: &TestApp, tenancy_id: i64) -> tenant::Model {
        tenant::Entity::find()
            .filter(tenant::Column::TenancyId.eq(tenancy_id))
            .one(&app.db)
            .await
            .unwrap()
            .unwrap()
    }

    async fn change_lead(
        app: &TestApp,
        tenancy_id: i64,
        change: impl FnOnce(&mut tenant::ActiveModel),
    ) {
        let mut am: tenant::ActiveModel = lead(app, tenancy_id).await.into();
        change(&mut am);
        am.update(&app.db).await.unwrap();
    }

    async fn register_device(app: &TestApp, tenancy_id: i64, token: &str) {
        let karen = lead(app, tenancy_id).await;
        device::ActiveModel {
            tenant_id: Set(karen.id),
            platform: Set("android".into()),
            token: Set(token.into()),
            created_at: Set(Utc::now()),
            last_seen_at: Set(Utc::now()),
            ..Default::default()
        }
        .insert(&app.db)
        .await
        .unwrap();
    }

    async fn messages(app: &TestApp) -> Vec<message::Model> {
        use sea_orm::QueryOrder;
        message::Entity::find()
            .order_by_asc(message::Column::Id)
            .all(&app.db)
            .await
            .unwrap()
    }

    fn noon() -> chrono::DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 13, 12, 0, 0).unwrap()
    }

    #[tokio::test]
    async fn a_configured_rate_holds_across_workers_minute_by_minute() {
        let (app, hd1001) = with_examples().await;
        let mut f = fakes().await;
        f.providers.rate_per_minute = Some(3);
        // The weekly cap and hours are not what this test is about.
        f.providers.policy = ContactPolicy::any_time();
        let karen = tenant::Entity::find()
            .filter(tenant::Column::TenancyId.eq(hd1001))
            .one(&app.db)
            .await
            .unwrap()
            .unwrap();
        for i in 0..8 {
            message::ActiveModel {
                idempotency_key: Set(format!("rate-test:{i}")),
                tenancy_id: Set(hd1001),
                tenant_id: Set(Some(karen.id)),
                channel: Set("sms".into()),
                template: Set("missed_payment".into()),
                rule_id: Set(Some("missed_payment".into())),
                body: Set(format!("Reminder {i}. Reply STOP to opt out.")),
                status: Set("queued".into()),
                scheduled_for: Set(Some(noon() - chrono::Duration::minutes(1))),
                created_at: Set(noon()),
                updated_at: Set(noon()),
                ..Default::default()
            }
            .insert(&app.db)
            .await
            .unwrap();
        }
        // Two workers in the same minute share the one budget.
        let (a, b) = tokio::join!(
            dispatch_all(&app.db, &f.providers, noon()),
            dispatch_all(&app.db, &f.providers, noon())
        );
        assert_eq!(a.unwrap().sent + b.unwrap().sent, 3);
        assert_eq!(f.twilio.sent_to(KAREN_MOBILE), 3);
        // Half a minute on: still the same minute's budget.
        dispatch_all(
            &app.db,
            &f.providers,
            noon() + chrono::Duration::seconds(30),
        )
        .await
        .unwrap();
        assert_eq!(f.twilio.sent_to(KAREN_MOBILE), 3);
        // The next minute: three more, and so on until all are out. (Sends are stamped with
        // when they went, a moment after the run's time, and the window is a rolling 60 s:
        // each run comes a little more than a minute after the one before.)
        for (minute, total) in [(1, 6), (2, 8)] {
            dispatch_all(
                &app.db,
                &f.providers,
                noon() + chrono::Duration::seconds(65 * minute),
            )
            .await
            .unwrap();
            assert_eq!(f.twilio.sent_to(KAREN_MOBILE), total, "minute {minute}");
        }
        app.stop().await;
    }

    #[tokio::test]
    async fn an_email_reaches_the_smtp_server_once_with_both_parts_and_unsubscribe() {
        let (app, hd1001) = with_examples().await;
        let f = fakes().await;
        change_lead(&app, hd1001, |t| t.sms_enabled = Set(false)).await;
        plan_all(&app.db, thursday(), noon(), &ContactPolicy::default())
            .await
            .unwrap();
        // Two workers at once, then another tick: one email.
        let (a, b) = tokio::join!(
            dispatch_all(&app.db, &f.providers, noon()),
            dispatch_all(&app.db, &f.providers, noon())
        );
        assert_eq!(a.unwrap().sent + b.unwrap().sent, 1);
        dispatch_all(&app.db, &f.providers, noon() + chrono::Duration::minutes(5))
            .await
            .unwrap();
        let got = f.smtp.messages_to(KAREN_EMAIL);
        assert_eq!(got.len(), 1);
        let email = &got[0];
        assert_eq!(
            email.header("Subject").as_deref(),
            Some("Your rent payment")
        );
        assert!(
            email
                .header("Content-Type")
                .unwrap()
                .starts_with("multipart/alternative")
        );
        assert!(
            email.data.contains("Content-Type: text/plain"),
            "{}",
            email.data
        );
        assert!(
            email.data.contains("Content-Type: text/html"),
            "{}",
            email.data
        );
        let m = &messages(&app).await[0];
        assert_eq!(m.channel, "email");
        assert_eq!(
            email.header("List-Unsubscribe"),
            Some(format!(
                "<mailto:unsubscribe@landlord.example?subject=unsubscribe%20{id}>, <https://rent.landlord.example/unsubscribe/email/{token}>",
                id = m.id,
                token = rentdesk_worker::email::unsubscribe_token(
                    crate::helpers::TOKEN_SIGNING_KEY,
                    m.id
                )
            ))
        );
        assert_eq!(
            email.header("List-Unsubscribe-Post").as_deref(),
            Some("List-Unsubscribe=One-Click")
        );
        assert_eq!(
            email.header("X-Rentdesk-Key").as_deref(),
            Some(m.idempotency_key.as_str())
        );
        assert_eq!(m.status, "sent");
        assert!(m.provider_id.as_deref().unwrap().starts_with("smtp:"));
        app.stop().await;
    }

    #[tokio::test]
    async fn an_unknown_mailbox_marks_the_address_invalid_and_the_event_goes_by_push_once() {
        let (app, hd1001) = with_examples().await;
        let f = fakes().await;
        change_lead(&app, hd1001, |t| t.sms_enabled = Set(false)).await;
        register_device(&app, hd1001, PHONE).await;
        f.smtp
            .0
            .lock()
            .unwrap()
            .unknown_mailboxes
            .insert(KAREN_EMAIL.into());
        plan_all(&app.db, thursday(), noon(), &ContactPolicy::default())
            .await
            .unwrap();
        let r = dispatch_all(&app.db, &f.providers, noon()).await.unwrap();
        assert_eq!((r.failed, r.fallbacks, r.sent), (1, 1, 1), "{r:?}");
        assert!(lead(&app, hd1001).await.email_invalid);
        let all = messages(&app).await;
        assert_eq!(all.len(), 2);
        assert_eq!(
            (all[0].channel.as_str(), all[0].status.as_str()),
            ("email", "failed")
        );
        assert!(
            all[0].error.as_deref().unwrap().contains("550"),
            "{:?}",
            all[0].error
        );
        assert_eq!(
            all[1].idempotency_key,
            format!("{}:fallback:push", all[0].idempotency_key)
        );
        assert_eq!(
            (all[1].channel.as_str(), all[1].status.as_str()),
            ("push", "sent")
        );
        assert_eq!(f.fcm.sent_to(PHONE), 1);
        let push = f.fcm.0.lock().unwrap().sent[0].clone();
        assert_eq!(push.title, "Your rent payment");
        assert!(
            !push.body.contains('£'),
            "no amount on a lock screen: {}",
            push.body
        );
        assert_eq!(push.data["message_id"], all[1].id.to_string());
        // The diary says why the push went.
        let diary = action::Entity::find()
            .filter(action::Column::TenancyId.eq(hd1001))
            .all(&app.db)
            .await
            .unwrap();
        assert!(
            diary
                .iter()
                .any(|a| a.body.starts_with("PUSH planned")
                    && a.body.contains("after the EMAIL failed")),
            "{diary:#?}"
        );
        // Later ticks and nightly runs add nothing.
        dispatch_all(&app.db, &f.providers, noon() + chrono::Duration::hours(1))
            .await
            .unwrap();
        plan_all(&app.db, thursday(), noon(), &ContactPolicy::default())
            .await
            .unwrap();
        assert_eq!(messages(&app).await.len(), 2);
        assert_eq!(f.fcm.sent_to(PHONE), 1);
        assert!(f.smtp.messages_to(KAREN_EMAIL).is_empty());
        app.stop().await;
    }

    #[tokio::test]
    async fn an_invalid_number_falls_back_to_email_exactly_once() {
        let (app, hd1001) = with_examples().await;
        let f = fakes().await;
        f.twilio
            .0
            .lock()
            .unwrap()
            .invalid_numbers
            .push(KAREN_MOBILE.into());
        plan_all(&app.db, thursday(), noon(), &ContactPolicy::default())
            .await
            .unwrap();
        let (a, b) = tokio::join!(
            dispatch_all(&app.db, &f.providers, noon()),
            dispatch_all(&app.db, &f.providers, noon())
        );
        let (a, b) = (a.unwrap(), b.unwrap());
        assert_eq!(a.fallbacks + b.fallbacks, 1);
        // Whichever worker planned it, a tick sends it.
        dispatch_all(&app.db, &f.providers, noon()).await.unwrap();
        assert!(lead(&app, hd1001).await.mobile_invalid);
        let all = messages(&app).await;
        assert_eq!(
            all.iter()
                .map(|m| (m.channel.as_str(), m.status.as_str()))
                .collect::<Vec<_>>(),
            [("sms", "failed"), ("email", "sent")]
        );
        let email = f.smtp.messages_to(KAREN_EMAIL);
        assert_eq!(email.len(), 1);
        assert!(email[0].data.contains("10 November"), "{}", email[0].data);
        // Planning the fallback again (a retried job) writes nothing.
        let again = rentdesk_store::outreach::plan_fallback(
            &app.db,
            &all[0],
            "again",
            &ContactPolicy::default(),
            noon(),
        )
        .await
        .unwrap();
        assert_eq!(again, rentdesk_store::outreach::Fallback::AlreadyPlanned);
        assert_eq!(messages(&app).await.len(), 2);
        app.stop().await;
    }

    #[tokio::test]
    async fn an_unregistered_token_is_removed_and_with_no_device_left_nothing_is_sent() {
        let (app, hd1001) = with_examples().await;
        let f = fakes().await;
        change_lead(&app, hd1001, |t| {
            t.sms_enabled = Set(false);
            t.email_enabled = Set(false);
        })
        .await;
        register_device(&app, hd1001, PHONE).await;
        register_device(&app, hd1001, "fcm-token-old-tablet").await;
        {
            let mut s = f.fcm.0.lock().unwrap();
            s.unregistered.insert(PHONE.into());
            s.unregistered.insert("fcm-token-old-tablet".into());
        }
        plan_all(&app.db, thursday(), noon(), &ContactPolicy::default())
            .await
            .unwrap();
        let r = dispatch_all(&app.db, &f.providers, noon()).await.unwrap();
        assert_eq!((r.sent, r.failed), (0, 1), "{r:?}");
        assert_eq!(device::Entity::find().all(&app.db).await.unwrap().len(), 0);
        let all = messages(&app).await;
        assert_eq!(
            (all[0].channel.as_str(), all[0].status.as_str()),
            ("push", "failed")
        );
        assert!(all[0].error.as_deref().unwrap().contains("no device"));
        // The other channels are switched off: the fallback is recorded as suppressed.
        assert_eq!(all.len(), 2);
        assert_eq!(
            (all[1].status.as_str(), all[1].suppression_reason.as_deref()),
            ("suppressed", Some("channel_opted_out"))
        );
        assert!(f.fcm.0.lock().unwrap().sent.is_empty());
        app.stop().await;
    }

    #[tokio::test]
    async fn fcm_unavailable_is_retried_and_one_notification_arrives() {
        let (app, hd1001) = with_examples().await;
        let f = fakes().await;
        change_lead(&app, hd1001, |t| {
            t.sms_enabled = Set(false);
            t.email_enabled = Set(false);
        })
        .await;
        register_device(&app, hd1001, PHONE).await;
        f.fcm.0.lock().unwrap().fail_next.extend([503, 503]);
        plan_all(&app.db, thursday(), noon(), &ContactPolicy::default())
            .await
            .unwrap();
        let mut now = noon();
        for _ in 0..3 {
            dispatch_all(&app.db, &f.providers, now).await.unwrap();
            let m = &messages(&app).await[0];
            now = m.scheduled_for.unwrap().max(now);
        }
        let m = &messages(&app).await[0];
        assert_eq!((m.status.as_str(), m.attempts), ("sent", 2));
        assert_eq!(f.fcm.sent_to(PHONE), 1);
        app.stop().await;
    }

    #[tokio::test]
    async fn a_lost_sms_that_twilio_has_is_recorded_as_sent_and_not_resent() {
        let (app, _) = with_examples().await;
        let f = fakes().await;
        plan_all(&app.db, thursday(), noon(), &ContactPolicy::default())
            .await
            .unwrap();
        // A worker claimed it, Twilio took it, and the worker died before recording the answer.
        let claimed = rentdesk_store::outbox::claim_due(&app.db, "sms", noon(), 10)
            .await
            .unwrap();
        f.providers
            .sms
            .as_ref()
            .unwrap()
            .send(KAREN_MOBILE, &claimed[0].message.body, None)
            .await
            .unwrap();
        let later = noon() + chrono::Duration::minutes(11);
        let r = dispatch_all(&app.db, &f.providers, later).await.unwrap();
        assert_eq!((r.marked_unknown, r.reconciled, r.sent), (1, 1, 0), "{r:?}");
        let m = &messages(&app).await[0];
        assert_eq!(m.status, "sent");
        assert_eq!(
            m.provider_id.as_deref(),
            Some(format!("SM{:032x}", 1).as_str())
        );
        dispatch_all(&app.db, &f.providers, later + RECONCILE_AFTER)
            .await
            .unwrap();
        assert_eq!(f.twilio.sent_to(KAREN_MOBILE), 1);
        assert!(!f.twilio_url.is_empty());
        app.stop().await;
    }

    #[tokio::test]
    async fn a_lost_sms_that_twilio_never_had_is_sent_again_exactly_once() {
        let (app, _) = with_examples().await;
        let f = fakes().await;
        plan_all(&app.db, thursday(), noon(), &ContactPolicy::default())
            .await
            .unwrap();
        let claim = |at| rentdesk_store::outbox::claim_due(&app.db, "sms", at, 10);
        assert_eq!(claim(noon()).await.unwrap().len(), 1); // the worker dies: nothing sent
        // Unknown, but too early to conclude Twilio never had it.
        let r = dispatch_all(
            &app.db,
            &f.providers,
            noon() + chrono::Duration::minutes(11),
        )
        .await
        .unwrap();
        assert_eq!((r.marked_unknown, r.requeued, r.sent), (1, 0, 0), "{r:?}");
        // Past the bound: requeued once, and sent.
        let t1 = noon() + RECONCILE_AFTER + chrono::Duration::minutes(1);
        let (a, b) = tokio::join!(
            dispatch_all(&app.db, &f.providers, t1),
            dispatch_all(&app.db, &f.providers, t1)
        );
        let (a, b) = (a.unwrap(), b.unwrap());
        assert_eq!((a.requeued + b.requeued, a.sent + b.sent), (1, 1));
        assert_eq!(f.twilio.sent_to(KAREN_MOBILE), 1);
        app.stop().await;
    }

    #[tokio::test]
    async fn a_message_lost_twice_is_requeued_only_once_and_then_waits_for_an_officer() {
        let (app, _) = with_examples().await;
        let f = fakes().await;
        plan_all(&app.db, thursday(), noon(), &ContactPolicy::default())
            .await
            .unwrap();
        let claim = |at| rentdesk_store::outbox::claim_due(&app.db, "sms", at, 10);
        claim(noon()).await.unwrap(); // lost once
        let t1 = noon() + chrono::Duration::hours(1);
        let r =
            rentdesk_worker::dispatch::reconcile_unknown_sms(&app.db, f.providers.sms.as_ref(), t1)
                .await
                .unwrap();
        assert_eq!((r.marked_unknown, r.requeued), (1, 1));
        assert_eq!(claim(t1).await.unwrap().len(), 1); // lost again
        let t2 = t1 + chrono::Duration::hours(1);
        let r = dispatch_all(&app.db, &f.providers, t2).await.unwrap();
        assert_eq!((r.marked_unknown, r.requeued, r.sent), (1, 0, 0), "{r:?}");
        assert_eq!(messages(&app).await[0].status, "unknown");
        assert_eq!(f.twilio.sent_to(KAREN_MOBILE), 0);
        let requeues = action::Entity::find()
            .filter(action::Column::Outcome.eq("requeued"))
            .all(&app.db)
            .await
            .unwrap();
        assert_eq!(requeues.len(), 1);
        app.stop().await;
    }

    #[tokio::test]
    async fn breathing_space_that_starts_after_planning_stops_the_sms_when_it_is_due() {
        let (app, hd1001) = with_examples().await;
        let f = fakes().await;
        // Planned at 23:00 for 08:00; a debt adviser's notice arrives overnight.
        plan_all(
            &app.db,
            thursday(),
            Utc.with_ymd_and_hms(2026, 11, 12, 23, 0, 0).unwrap(),
            &ContactPolicy::default(),
        )
        .await
        .unwrap();
        flag::ActiveModel {
            tenancy_id: Set(hd1001),
            tenant_id: Set(None),
            kind: Set("breathing_space_standard".into()),
            no_automated_contact: Set(false),
            starts_on: Set(NaiveDate::from_ymd_opt(2026, 11, 13).unwrap()),
            ends_on: Set(Some(NaiveDate::from_ymd_opt(2027, 1, 11).unwrap())),
            detail: Set("notified by a debt adviser".into()),
            set_by_staff_id: Set(None),
            created_at: Set(Utc::now()),
            ..Default::default()
        }
        .insert(&app.db)
        .await
        .unwrap();
        let eight = Utc.with_ymd_and_hms(2026, 11, 13, 8, 0, 0).unwrap();
        let r = dispatch_all(&app.db, &f.providers, eight).await.unwrap();
        assert_eq!((r.suppressed, r.sent, r.fallbacks), (1, 0, 0), "{r:?}");
        assert_eq!(f.twilio.sent_to(KAREN_MOBILE), 0);
        let all = messages(&app).await;
        assert_eq!(all.len(), 1, "no other channel either");
        assert_eq!(
            (all[0].status.as_str(), all[0].suppression_reason.as_deref()),
            ("suppressed", Some("breathing_space"))
        );
        let diary = action::Entity::find()
            .filter(action::Column::Outcome.eq("suppressed"))
            .all(&app.db)
            .await
            .unwrap();
        assert!(
            diary[0].body.contains("not sent (breathing_space)"),
            "{}",
            diary[0].body
        );
        app.stop().await;
    }

    #[tokio::test]
    async fn an_sms_opt_out_after_planning_sends_the_email_instead() {
        let (app, hd1001) = with_examples().await;
        let f = fakes().await;
        plan_all(&app.db, thursday(), noon(), &ContactPolicy::default())
            .await
            .unwrap();
        // Karen replies STOP to an earlier text before this one goes.
        change_lead(&app, hd1001, |t| t.sms_enabled = Set(false)).await;
        let r = dispatch_all(&app.db, &f.providers, noon()).await.unwrap();
        assert_eq!((r.suppressed, r.fallbacks, r.sent), (1, 1, 1), "{r:?}");
        assert_eq!(f.twilio.sent_to(KAREN_MOBILE), 0);
        assert_eq!(f.smtp.messages_to(KAREN_EMAIL).len(), 1);
        let all = messages(&app).await;
        assert_eq!(
            all.iter()
                .map(|m| (m.channel.as_str(), m.status.as_str()))
                .collect::<Vec<_>>(),
            [("sms", "suppressed"), ("email", "sent")]
        );
        app.stop().await;
    }

    #[tokio::test]
    async fn a_message_picked_up_after_21_00_waits_for_the_next_morning() {
        let (app, _) = with_examples().await;
        let f = fakes().await;
        plan_all(&app.db, thursday(), noon(), &ContactPolicy::default())
            .await
            .unwrap();
        // The workers were down all afternoon and come back at 21:30.
        let late = Utc.with_ymd_and_hms(2026, 11, 13, 21, 30, 0).unwrap();
        let r = dispatch_all(&app.db, &f.providers, late).await.unwrap();
        assert_eq!((r.deferred, r.sent), (1, 0), "{r:?}");
        let saturday_eight = Utc.with_ymd_and_hms(2026, 11, 14, 8, 0, 0).unwrap();
        let m = &messages(&app).await[0];
        assert_eq!(
            (m.status.as_str(), m.scheduled_for, m.attempts),
            ("queued", Some(saturday_eight), 0)
        );
        dispatch_all(
            &app.db,
            &f.providers,
            saturday_eight - chrono::Duration::minutes(1),
        )
        .await
        .unwrap();
        assert_eq!(f.twilio.sent_to(KAREN_MOBILE), 0);
        dispatch_all(&app.db, &f.providers, saturday_eight)
            .await
            .unwrap();
        assert_eq!(f.twilio.sent_to(KAREN_MOBILE), 1);
        app.stop().await;
    }

    /// The whole path as deployed: settings from the environment (SMTP, and FCM with a key
    /// file), the worker's own dispatch tick on the real clock, the SMTP client.
    #[tokio::test]
    async fn the_running_worker_delivers_email_through_its_configured_smtp_server() {
        let (smtp, smtp_url) = fake_smtp::start().await;
        let (fcm, fcm_url) = fake_fcm::start().await;
        let key_file = std::env::temp_dir().join(format!(
            "rentdesk-test-sa-{}-{}.json",
            std::process::id(),
            Utc::now().timestamp_nanos_opt().unwrap_or_default()
        ));
        std::fs::write(
            &key_file,
            fake_fcm::service_account_json(&format!("{fcm_url}/token")),
        )
        .unwrap();
        let key_path = key_file.display().to_string();
        let app = spawn_app_with(&[
            ("SMTP_URL", &smtp_url),
            ("EMAIL_FROM", "Rent team <rent@landlord.example>"),
            ("FCM_SERVICE_ACCOUNT", &key_path),
            ("FCM_BASE_URL", &fcm_url),
            ("DISPATCH_CRON", "* * * * * *"),
            // The worker decides on the real clock: let this test pass at any hour.
            ("CONTACT_HOURS", "00:00-00:00"),
            ("CONTACT_ON_SUNDAYS", "true"),
            ("CONTACT_ON_BANK_HOLIDAYS", "true"),
        ])
        .await;
        std::fs::remove_file(&key_file).ok();
        app.import_examples().await;
        let hd1001 = tenancy::Entity::find()
            .filter(tenancy::Column::Reference.eq("HD1001"))
            .one(&app.db)
            .await
            .unwrap()
            .unwrap()
            .id;
        change_lead(&app, hd1001, |t| t.sms_enabled = Set(false)).await;
        plan_all(&app.db, thursday(), noon(), &ContactPolicy::default())
            .await
            .unwrap();
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        loop {
            let all = messages(&app).await;
            if all.len() == 1 && all[0].status == "sent" {
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "the worker did not deliver: {all:#?}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert_eq!(smtp.messages_to(KAREN_EMAIL).len(), 1);
        assert!(fcm.0.lock().unwrap().sent.is_empty());
        app.stop().await;
    }
}

#[tokio::test]
async fn a_second_broken_instalment_puts_a_task_on_the_officers_list_once() {
    use rentdesk_store::entities::{arrangement, task};
    let (app, hd1001) = with_examples().await;
    let now = Utc::now();
    arrangement::ActiveModel {
        tenancy_id: Set(hd1001),
        status: Set("active".into()),
        frequency: Set("weekly".into()),
        instalment_pence: Set(11_000),
        includes_rent: Set(true),
        start_date: Set(NaiveDate::from_ymd_opt(2026, 10, 5).unwrap()),
        arrears_at_start_pence: Set(5_000),
        proposed_by_tenant: Set(false),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .unwrap();
    let noon = Utc.with_ymd_and_hms(2026, 11, 12, 12, 0, 0).unwrap();
    for _ in 0..2 {
        plan_all(&app.db, thursday(), noon, &ContactPolicy::default())
            .await
            .unwrap();
    }
    let tasks = task::Entity::find()
        .filter(task::Column::TenancyId.eq(hd1001))
        .all(&app.db)
        .await
        .unwrap();
    assert_eq!(tasks.len(), 1, "{tasks:?}");
    assert_eq!(tasks[0].rule_id.as_deref(), Some("broken_arrangement"));
    assert_eq!(tasks[0].status, "open");
    app.stop().await;
}

#[tokio::test]
async fn an_hb_end_date_from_the_housing_system_gives_the_patch_officer_one_task() {
    use rentdesk_store::entities::task;
    let app = spawn_app().await;
    app.import_examples().await;
    // The housing system's next export: HD1003's HB claim ended on 8 November.
    let csv = String::from_utf8(crate::helpers::example("tenancies.csv")).unwrap();
    let mut lines = csv.lines();
    let header = format!("{},hb_end_date", lines.next().unwrap());
    let hd1003 = lines.find(|l| l.starts_with("HD1003,")).unwrap();
    let file = format!("{header}\n{hd1003},2026-11-08\n");
    let batch = app.import("tenancies", file.into_bytes()).await;
    assert_eq!(batch["status"], "succeeded", "{batch}");
    for night in [12, 13] {
        plan_all(
            &app.db,
            NaiveDate::from_ymd_opt(2026, 11, night).unwrap(),
            Utc.with_ymd_and_hms(2026, 11, night, 23, 0, 0).unwrap(),
            &ContactPolicy::default(),
        )
        .await
        .unwrap();
    }
    let tasks = task::Entity::find()
        .filter(task::Column::Kind.eq("hb_stopped"))
        .all(&app.db)
        .await
        .unwrap();
    assert_eq!(tasks.len(), 1, "{tasks:?}");
    assert!(
        tasks[0].title.contains("ended on 8 Nov 2026"),
        "{}",
        tasks[0].title
    );
    // A file naming an HB end for a tenancy without HB is refused, with the field.
    let hd1001 = csv.lines().find(|l| l.starts_with("HD1001,")).unwrap();
    let bad = format!("{header}\n{hd1001},2026-11-08\n");
    let batch = app.import("tenancies", bad.into_bytes()).await;
    assert_eq!(batch["status"], "rejected", "{batch}");
    assert!(batch.to_string().contains("hb_end_date"), "{batch}");
    app.stop().await;
}

/// UC (Claims and Payments) Regs 2013 Sch 6 and DWP guidance: a UC claimant two months' rent
/// behind, with no deduction being received, gives the officer one task to ask DWP for a
/// third-party deduction, naming the 10%-20% band of the standard allowance.
#[tokio::test]
async fn uc_claims_and_payments_sch_6_two_months_behind_asks_for_a_third_party_deduction_once() {
    use rentdesk_store::entities::task;
    let app = spawn_app().await;
    app.import_examples().await;
    let claims = "external_ref,tenancy_reference,claim_start,assessment_period_day,housing_element,apa_from,apa_to,learned_on,hb_run_on_until\n\
                  UC-1001,HD1001,2026-06-01,1,426.83,,,2026-06-05,\n";
    let batch = app.import("uc_claims", claims.as_bytes().to_vec()).await;
    assert_eq!(batch["status"], "succeeded", "{batch}");
    let tx = "external_ref,tenancy_reference,posted_on,kind,amount,method,description\n\
              BF-HD1001,HD1001,2026-10-01,rent_debit,1500.00,,arrears brought forward\n";
    let batch = app.import("transactions", tx.as_bytes().to_vec()).await;
    assert_eq!(batch["status"], "succeeded", "{batch}");
    for night in [12, 13] {
        plan_all(
            &app.db,
            NaiveDate::from_ymd_opt(2026, 11, night).unwrap(),
            Utc.with_ymd_and_hms(2026, 11, night, 23, 0, 0).unwrap(),
            &ContactPolicy::default(),
        )
        .await
        .unwrap();
    }
    let tasks = task::Entity::find()
        .filter(task::Column::Kind.eq("uc_deduction_request"))
        .all(&app.db)
        .await
        .unwrap();
    assert_eq!(tasks.len(), 1, "{tasks:?}");
    let t = &tasks[0];
    let text = format!("{} {}", t.title, t.detail);
    assert!(text.contains("third-party deduction"), "{text}");
    assert!(
        text.contains("single, 25 or over £39.34 to £78.69"),
        "{text}"
    );
    app.stop().await;
}
