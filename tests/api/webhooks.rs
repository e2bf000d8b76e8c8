//! Twilio's webhooks: signed status callbacks move a message forward (never back), and replies
//! from tenants switch texts off and on or reach the patch officer. Unsigned or wrongly signed
//! requests change nothing.

use crate::helpers::{TestApp, spawn_app_with};
use rentdesk_store::entities::{action, message, patch, staff_user, task, tenancy, tenant};
use rentdesk_worker::fake_twilio;
use rentdesk_worker::sms::sign;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};

const PUBLIC: &str = "https://rentdesk.test";
const KAREN: &str = "+447700900123";

async fn app() -> (TestApp, fake_twilio::Fake) {
    let (fake, url) = fake_twilio::start().await;
    let app = spawn_app_with(&[
        ("PUBLIC_URL", PUBLIC),
        ("TWILIO_ACCOUNT_SID", fake_twilio::SID),
        ("TWILIO_AUTH_TOKEN", fake_twilio::TOKEN),
        ("TWILIO_FROM", "+447700900000"),
        ("TWILIO_BASE_URL", &url),
    ])
    .await;
    app.import_examples().await;
    (app, fake)
}

fn form(params: &[(&str, &str)]) -> Vec<(String, String)> {
    params
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

/// POST as Twilio would: form body, signed over PUBLIC_URL + path.
async fn twilio_post(
    app: &TestApp,
    path: &str,
    params: &[(&str, &str)],
    signature: Option<String>,
) -> reqwest::Response {
    let params = form(params);
    let signature =
        signature.unwrap_or_else(|| sign(fake_twilio::TOKEN, &format!("{PUBLIC}{path}"), &params));
    app.client
        .post(app.url(path))
        .header("X-Twilio-Signature", signature)
        .form(&params)
        .send()
        .await
        .unwrap()
}

async fn karen(app: &TestApp) -> tenant::Model {
    tenant::Entity::find()
        .filter(tenant::Column::Mobile.eq(KAREN))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
}

async fn sent_sms(app: &TestApp, sid: &str) -> i64 {
    let k = karen(app).await;
    let now = chrono::Utc::now();
    message::ActiveModel {
        idempotency_key: Set(format!("test:{sid}")),
        tenancy_id: Set(k.tenancy_id),
        tenant_id: Set(Some(k.id)),
        channel: Set("sms".into()),
        template: Set("missed_payment".into()),
        body: Set("A payment is late.".into()),
        status: Set("sent".into()),
        provider_id: Set(Some(sid.into())),
        sent_at: Set(Some(now)),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .unwrap()
    .id
}

async fn status_of(app: &TestApp, id: i64) -> (String, Option<String>) {
    let m = message::Entity::find_by_id(id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    (m.status, m.error)
}

#[tokio::test]
async fn unsigned_or_wrongly_signed_callbacks_are_refused_and_change_nothing() {
    let (app, _fake) = app().await;
    let id = sent_sms(&app, "SM0001").await;
    let path = "/webhooks/twilio/status";
    let params = [("MessageSid", "SM0001"), ("MessageStatus", "delivered")];
    // No signature.
    let resp = app
        .client
        .post(app.url(path))
        .form(&form(&params))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 403);
    assert_eq!(resp.headers()["content-type"], "application/problem+json");
    // Signed with the wrong token, over another URL, or over other parameters.
    let wrong_token = sign("not-the-token", &format!("{PUBLIC}{path}"), &form(&params));
    let wrong_url = sign(
        fake_twilio::TOKEN,
        &format!("{PUBLIC}/elsewhere"),
        &form(&params),
    );
    let other_params = sign(
        fake_twilio::TOKEN,
        &format!("{PUBLIC}{path}"),
        &form(&[("MessageSid", "SM0001"), ("MessageStatus", "failed")]),
    );
    for bad in [wrong_token, wrong_url, other_params, "garbage".into()] {
        assert_eq!(
            twilio_post(&app, path, &params, Some(bad)).await.status(),
            403
        );
    }
    let inbound = [("From", KAREN), ("Body", "STOP"), ("MessageSid", "SM9")];
    let unsigned = sign("x", "y", &[]);
    assert_eq!(
        twilio_post(&app, "/webhooks/twilio/inbound", &inbound, Some(unsigned))
            .await
            .status(),
        403
    );
    assert_eq!(status_of(&app, id).await.0, "sent");
    assert!(
        karen(&app).await.sms_enabled,
        "a forged STOP changes nothing"
    );
    app.stop().await;
}

#[tokio::test]
async fn a_callback_signed_as_twilio_signs_an_explicit_default_port_or_repeated_names_is_accepted()
{
    let (app, _fake) = app().await;
    let path = "/webhooks/twilio/status";
    // Twilio signs the URL as configured in the console: here with the default port spelled
    // out, while PUBLIC_URL has none.
    let id = sent_sms(&app, "SM0101").await;
    let params = [("MessageSid", "SM0101"), ("MessageStatus", "delivered")];
    let with_port = sign(
        fake_twilio::TOKEN,
        "https://rentdesk.test:443/webhooks/twilio/status",
        &form(&params),
    );
    let r = twilio_post(&app, path, &params, Some(with_port)).await;
    assert_eq!(r.status(), 204);
    assert_eq!(status_of(&app, id).await.0, "delivered");
    // Another port is another URL.
    let id = sent_sms(&app, "SM0102").await;
    let params = [("MessageSid", "SM0102"), ("MessageStatus", "delivered")];
    let on_8443 = sign(
        fake_twilio::TOKEN,
        "https://rentdesk.test:8443/webhooks/twilio/status",
        &form(&params),
    );
    assert_eq!(
        twilio_post(&app, path, &params, Some(on_8443))
            .await
            .status(),
        403
    );
    assert_eq!(status_of(&app, id).await.0, "sent");
    // A name sent more than once: Twilio signs each distinct value once, in sorted order.
    let params = [
        ("MessageSid", "SM0102"),
        ("MessageStatus", "delivered"),
        ("Tag", "b"),
        ("Tag", "a"),
        ("Tag", "a"),
    ];
    let twilio_way = sign(
        fake_twilio::TOKEN,
        &format!("{PUBLIC}{path}"),
        &form(&[
            ("MessageSid", "SM0102"),
            ("MessageStatus", "delivered"),
            ("Tag", "a"),
            ("Tag", "b"),
        ]),
    );
    let r = twilio_post(&app, path, &params, Some(twilio_way)).await;
    assert_eq!(r.status(), 204);
    assert_eq!(status_of(&app, id).await.0, "delivered");
    app.stop().await;
}

#[tokio::test]
async fn status_callbacks_move_a_message_forward_and_a_dead_number_is_remembered() {
    let (app, _fake) = app().await;
    let path = "/webhooks/twilio/status";
    let id = sent_sms(&app, "SM0002").await;
    let r = twilio_post(
        &app,
        path,
        &[
            ("MessageSid", "SM0002"),
            ("MessageStatus", "delivered"),
            ("AccountSid", fake_twilio::SID),
        ],
        None,
    )
    .await;
    assert_eq!(r.status(), 204);
    assert_eq!(status_of(&app, id).await.0, "delivered");
    // A late "sent" does not undo "delivered".
    twilio_post(
        &app,
        path,
        &[("MessageSid", "SM0002"), ("MessageStatus", "sent")],
        None,
    )
    .await;
    assert_eq!(status_of(&app, id).await.0, "delivered");
    // Another account's callback is refused even when signed with our token.
    let r = twilio_post(
        &app,
        path,
        &[
            ("MessageSid", "SM0002"),
            ("MessageStatus", "failed"),
            ("AccountSid", "ACother"),
        ],
        None,
    )
    .await;
    assert_eq!(r.status(), 403);

    let id = sent_sms(&app, "SM0003").await;
    twilio_post(
        &app,
        path,
        &[
            ("MessageSid", "SM0003"),
            ("MessageStatus", "undelivered"),
            ("ErrorCode", "30005"),
        ],
        None,
    )
    .await;
    assert_eq!(
        status_of(&app, id).await,
        ("failed".into(), Some("twilio error 30005".into()))
    );
    assert!(karen(&app).await.mobile_invalid);
    // Unknown message ids are acknowledged (Twilio stops retrying), nothing changes.
    let r = twilio_post(
        &app,
        path,
        &[("MessageSid", "SMnone"), ("MessageStatus", "delivered")],
        None,
    )
    .await;
    assert_eq!(r.status(), 204);
    app.stop().await;
}

#[tokio::test]
async fn stop_start_and_help_texts_are_honoured_and_recorded() {
    let (app, _fake) = app().await;
    let path = "/webhooks/twilio/inbound";
    let r = twilio_post(
        &app,
        path,
        &[("From", KAREN), ("Body", "Stop"), ("MessageSid", "SMin1")],
        None,
    )
    .await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.text().await.unwrap(),
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response/>"
    );
    let k = karen(&app).await;
    assert!(!k.sms_enabled);
    let diary = action::Entity::find()
        .filter(action::Column::TenancyId.eq(k.tenancy_id))
        .filter(action::Column::Kind.eq("opt_out"))
        .all(&app.db)
        .await
        .unwrap();
    assert_eq!(diary.len(), 1);
    // Twilio retrying the same text changes nothing more.
    twilio_post(
        &app,
        path,
        &[("From", KAREN), ("Body", "Stop"), ("MessageSid", "SMin1")],
        None,
    )
    .await;
    let diary = action::Entity::find()
        .filter(action::Column::Kind.eq("opt_out"))
        .all(&app.db)
        .await
        .unwrap();
    assert_eq!(diary.len(), 1);

    twilio_post(
        &app,
        path,
        &[
            ("From", "07700 900123"),
            ("Body", "START"),
            ("MessageSid", "SMin2"),
        ],
        None,
    )
    .await;
    assert!(karen(&app).await.sms_enabled, "national format matched too");

    let r = twilio_post(
        &app,
        path,
        &[("From", KAREN), ("Body", "help"), ("MessageSid", "SMin3")],
        None,
    )
    .await;
    let xml = r.text().await.unwrap();
    assert!(
        xml.contains("<Message>Rentdesk:") && xml.contains("Reply STOP"),
        "{xml}"
    );
    app.stop().await;
}

#[tokio::test]
async fn any_other_reply_reaches_the_patch_officer_as_a_task_once() {
    let (app, _fake) = app().await;
    let officer = staff_user::ActiveModel {
        email: Set("o@council.example".into()),
        name: Set("Officer".into()),
        role: Set("officer".into()),
        active: Set(true),
        created_at: Set(chrono::Utc::now()),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .unwrap();
    let k = karen(&app).await;
    let t = tenancy::Entity::find_by_id(k.tenancy_id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    patch::Entity::update_many()
        .col_expr(patch::Column::OfficerId, Expr::value(officer.id))
        .filter(patch::Column::Id.eq(t.patch_id.unwrap()))
        .exec(&app.db)
        .await
        .unwrap();
    let path = "/webhooks/twilio/inbound";
    let text = "Sorry, I get paid on Friday & will pay then <3";
    for _ in 0..2 {
        let r = twilio_post(
            &app,
            path,
            &[("From", KAREN), ("Body", text), ("MessageSid", "SMin9")],
            None,
        )
        .await;
        assert_eq!(r.status(), 200);
    }
    let tasks = task::Entity::find().all(&app.db).await.unwrap();
    assert_eq!(tasks.len(), 1, "Twilio's retry adds nothing");
    assert_eq!(
        (
            tasks[0].kind.as_str(),
            tasks[0].assigned_staff_id,
            tasks[0].rule_id.as_deref()
        ),
        ("reply", Some(officer.id), Some("sms_reply_follow_up"))
    );
    assert_eq!(tasks[0].detail, text);
    let received = message::Entity::find()
        .filter(message::Column::Status.eq("received"))
        .all(&app.db)
        .await
        .unwrap();
    assert_eq!(received.len(), 1);
    assert_eq!(
        (received[0].body.as_str(), received[0].tenancy_id),
        (text, k.tenancy_id)
    );
    assert!(karen(&app).await.sms_enabled, "a reply is not an opt-out");
    // A number we don't know: acknowledged, nothing stored against anyone.
    let r = twilio_post(
        &app,
        path,
        &[
            ("From", "+447700900999"),
            ("Body", "who is this"),
            ("MessageSid", "SMx"),
        ],
        None,
    )
    .await;
    assert_eq!(r.status(), 200);
    assert_eq!(task::Entity::find().all(&app.db).await.unwrap().len(), 1);
    app.stop().await;
}

#[tokio::test]
async fn the_signed_one_click_link_in_an_email_switches_emails_off_and_a_forged_one_does_nothing() {
    let (app, _fake) = app().await;
    let k = karen(&app).await;
    let now = chrono::Utc::now();
    let m = message::ActiveModel {
        idempotency_key: Set("test:email:1".into()),
        tenancy_id: Set(k.tenancy_id),
        tenant_id: Set(Some(k.id)),
        channel: Set("email".into()),
        template: Set("missed_payment".into()),
        body: Set("A payment is late.".into()),
        status: Set("sent".into()),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .unwrap();
    let token = rentdesk_worker::email::unsubscribe_token(crate::helpers::TOKEN_SIGNING_KEY, m.id);
    let url = app.url(&format!("/unsubscribe/email/{token}"));
    // Following the link only asks (mail scanners open links).
    let page = app.client.get(&url).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(
        page.text()
            .await
            .unwrap()
            .contains("<form method=\"post\">")
    );
    assert!(karen(&app).await.email_enabled);
    // Another message's id with this signature, or a made-up one: refused.
    for forged in [
        format!("{}.{}", m.id + 1, token.split_once('.').unwrap().1),
        format!("{}.00000000000000000000000000000000", m.id),
    ] {
        let r = app
            .client
            .post(app.url(&format!("/unsubscribe/email/{forged}")))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 404);
    }
    assert!(karen(&app).await.email_enabled);
    // The mail client's one-click POST.
    let r = app
        .client
        .post(&url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(!karen(&app).await.email_enabled);
    let opt_out = action::Entity::find()
        .filter(action::Column::TenancyId.eq(k.tenancy_id))
        .filter(action::Column::Kind.eq("opt_out"))
        .all(&app.db)
        .await
        .unwrap();
    assert_eq!(opt_out.len(), 1);
    app.stop().await;
}
