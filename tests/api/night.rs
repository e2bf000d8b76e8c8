//! The real clock from outside: a tenant signs in at night, on a Sunday, on a bank holiday and
//! in the hour the clocks go back, with the default contact policy (08:00–21:00, no Sundays,
//! no bank holidays). The code they asked for reaches Twilio at once: quiet hours protect
//! people from contact they did not ask for, and a code expires in 10 minutes.

use crate::helpers::{TestApp, spawn_app};
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc, Weekday};
use rentdesk_domain::calendar::is_bank_holiday;
use rentdesk_domain::contact_policy::{ContactPolicy, next_allowed};
use rentdesk_domain::time::london_day_start;
use rentdesk_store::entities::message;
use rentdesk_worker::dispatch::{Providers, dispatch_all};
use rentdesk_worker::fake_twilio;
use rentdesk_worker::sms::{Sender, TwilioClient, TwilioConfig};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

const AMY: (&str, &str) = ("HD7001", "1985-02-03");
const AMY_MOBILE: &str = "+447700900701";

async fn load(app: &TestApp) {
    let header = "reference,tenure,status,address_line1,address_line2,town,postcode,latitude,longitude,patch,start_date,end_date,weekly_rent,weekly_service_charge,rent_free_weeks,rent_free_only_when_clear,periodic_service_charge,periodic_service_charge_frequency,payment_method,self_pay_amount,self_pay_frequency,self_pay_anchor,hb_weekly,hb_first_pay_date,lead_tenant_name,lead_tenant_dob,lead_tenant_mobile,lead_tenant_email,joint_tenant_name,joint_tenant_dob";
    let rows = format!(
        "{header}\nHD7001,secure,active,1 Night Street,,Huddersfield,HD1 1AA,,,HD-NORTH,2020-01-06,,100.00,0.00,,no,,,bank_transfer,,,,,,Amy Ash,{},07700 900701,,,\n",
        AMY.1
    );
    let batch = app.import("tenancies", rows.into_bytes()).await;
    assert_eq!(batch["status"], "succeeded", "{batch}");
}

async fn post(app: &TestApp, path: &str, body: Value) -> (u16, Value) {
    let resp = app
        .client
        .post(app.url(path))
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

/// London local `date` + `minutes` after its midnight, as an instant (`london_day_start` is
/// the day's real first instant, so on a clock-change day this counts elapsed minutes).
fn london(date: NaiveDate, minutes: i64) -> DateTime<Utc> {
    london_day_start(date) + Duration::minutes(minutes)
}

/// The first date after today (London) that `pick` accepts.
fn next_date(pick: impl Fn(NaiveDate) -> bool) -> NaiveDate {
    let mut d = crate::helpers::real_today() + Duration::days(1);
    while !pick(d) {
        d += Duration::days(1);
    }
    d
}

/// The last Sunday of October: the night British Summer Time ends (01:00–02:00 happens twice).
fn clocks_go_back(d: NaiveDate) -> bool {
    d.month() == 10 && d.weekday() == Weekday::Sun && (d + Duration::days(7)).month() == 11
}

#[tokio::test]
async fn a_sign_in_code_goes_at_night_on_sundays_bank_holidays_and_when_the_clocks_change() {
    let app = spawn_app().await;
    load(&app).await;
    let (twilio, twilio_url) = fake_twilio::start().await;
    let providers = Providers {
        sms: Some(
            TwilioClient::new(TwilioConfig {
                base_url: twilio_url,
                account_sid: fake_twilio::SID.into(),
                auth_token: fake_twilio::TOKEN.into(),
                sender: Sender::From("+447700900000".into()),
                timeout: std::time::Duration::from_secs(5),
            })
            .unwrap(),
        ),
        // The default policy: 08:00–21:00, Mondays to Saturdays that are not bank holidays.
        policy: ContactPolicy::default(),
        ..Default::default()
    };
    let weekday_night = london(
        next_date(|d| d.weekday() != Weekday::Sun && !is_bank_holiday(d)),
        23 * 60 + 30,
    );
    let sunday_small_hours = london(next_date(|d| d.weekday() == Weekday::Sun), 3 * 60);
    let bank_holiday_noon = london(next_date(is_bank_holiday), 12 * 60);
    // 01:30 BST, half an hour before the clocks go back to 01:00 GMT.
    let clock_change = london(next_date(clocks_go_back), 90);
    for (when, now) in [
        ("23:30 on a weekday", weekday_night),
        ("03:00 on a Sunday", sunday_small_hours),
        ("noon on a bank holiday", bank_holiday_noon),
        ("the night the clocks go back", clock_change),
    ] {
        assert_ne!(
            next_allowed(&ContactPolicy::default(), now),
            now,
            "{when}: {now} is inside quiet hours"
        );
        let before = twilio.sent_to(AMY_MOBILE);
        let (status, started) = post(
            &app,
            "/tenant/v1/sign-in",
            json!({"reference": AMY.0, "date_of_birth": AMY.1}),
        )
        .await;
        assert_eq!(status, 202, "{when}: {started}");
        let challenge = started["challenge"].as_str().unwrap().to_owned();
        let report = dispatch_all(&app.db, &providers, now).await.unwrap();
        assert_eq!(report.deferred, 0, "{when}: {report:?}");
        assert_eq!(report.sent, 1, "{when}: {report:?}");
        assert_eq!(
            twilio.sent_to(AMY_MOBILE),
            before + 1,
            "{when}: the code reached Twilio"
        );
        let sms = message::Entity::find()
            .filter(message::Column::IdempotencyKey.eq(format!("sign_in:{challenge}")))
            .one(&app.db)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(sms.status, "sent", "{when}");
        // What the tenant reads on their phone signs them in.
        let body = twilio.0.lock().unwrap().sent.last().unwrap()["Body"].clone();
        let code: String = body
            .split(|c: char| !c.is_ascii_digit())
            .find(|w| w.len() == 6)
            .unwrap()
            .into();
        let (status, tokens) = post(
            &app,
            "/tenant/v1/sign-in/verify",
            json!({"challenge": challenge, "code": code}),
        )
        .await;
        assert_eq!(status, 200, "{when}: {tokens}");
    }
    app.stop().await;
}
