//! The Twilio client against a fake Twilio on loopback that speaks the real wire format:
//! basic auth, form-encoded bodies, Twilio's JSON answers and error codes, and failures on
//! demand.

use rentdesk_worker::fake_twilio::{SID, TOKEN, start as start_fake};
use rentdesk_worker::sms::{Sender, SmsError, SmsProvider, TwilioClient, TwilioConfig};
use std::time::Duration;

fn client(base_url: &str, token: &str, sender: Sender) -> TwilioClient {
    TwilioClient::new(TwilioConfig {
        base_url: base_url.to_owned(),
        account_sid: SID.into(),
        auth_token: token.into(),
        sender,
        timeout: Duration::from_secs(5),
    })
    .unwrap()
}

#[tokio::test]
async fn an_sms_reaches_twilio_with_the_right_form_and_auth() {
    let (fake, url) = start_fake().await;
    let c = client(&url, TOKEN, Sender::From("+447700900000".into()));
    let sent = c
        .send(
            "+447700900123",
            "Hi Karen",
            Some("https://rentdesk.example/webhooks/twilio/status"),
        )
        .await
        .unwrap();
    assert!(
        sent.sid.starts_with("SM") && sent.sid.len() == 34,
        "{sent:?}"
    );
    assert_eq!(sent.status, "queued");
    let state = fake.0.lock().unwrap();
    assert_eq!(state.sent.len(), 1);
    let m = &state.sent[0];
    assert_eq!(
        (m["To"].as_str(), m["Body"].as_str(), m["From"].as_str()),
        ("+447700900123", "Hi Karen", "+447700900000")
    );
    assert_eq!(
        m["StatusCallback"],
        "https://rentdesk.example/webhooks/twilio/status"
    );
}

#[tokio::test]
async fn a_messaging_service_sender_sends_its_sid_not_a_number() {
    let (fake, url) = start_fake().await;
    client(&url, TOKEN, Sender::MessagingService("MG123".into()))
        .send("+447700900123", "x", None)
        .await
        .unwrap();
    let state = fake.0.lock().unwrap();
    assert_eq!(
        state.sent[0].get("MessagingServiceSid").map(String::as_str),
        Some("MG123")
    );
    assert!(!state.sent[0].contains_key("From"));
}

#[tokio::test]
async fn wrong_credentials_are_permanent() {
    let (fake, url) = start_fake().await;
    let e = client(&url, "wrong", Sender::From("+447700900000".into()))
        .send("+447700900123", "x", None)
        .await
        .unwrap_err();
    assert!(
        matches!(
            e,
            SmsError::Permanent {
                status: 401,
                code: Some(20003),
                ..
            }
        ),
        "{e:?}"
    );
    assert!(fake.0.lock().unwrap().sent.is_empty());
}

#[tokio::test]
async fn server_errors_and_rate_limits_are_retryable_and_then_it_goes_once() {
    let (fake, url) = start_fake().await;
    fake.0.lock().unwrap().fail_next.extend([500, 500, 429]);
    let c = client(&url, TOKEN, Sender::From("+447700900000".into()));
    for expected in [500, 500, 429] {
        let e = c.send("+447700900123", "x", None).await.unwrap_err();
        assert!(
            matches!(e, SmsError::Retryable { status: Some(s), .. } if s == expected),
            "{e:?}"
        );
    }
    c.send("+447700900123", "x", None).await.unwrap();
    assert_eq!(fake.0.lock().unwrap().sent.len(), 1);
}

#[tokio::test]
async fn an_invalid_number_is_permanent_and_recognised() {
    let (fake, url) = start_fake().await;
    fake.0
        .lock()
        .unwrap()
        .invalid_numbers
        .push("+447700900999".into());
    let e = client(&url, TOKEN, Sender::From("+447700900000".into()))
        .send("+447700900999", "x", None)
        .await
        .unwrap_err();
    assert!(e.is_invalid_number(), "{e:?}");
}

#[tokio::test]
async fn an_unreachable_twilio_is_retryable() {
    // A port nothing listens on.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let e = client(&url, TOKEN, Sender::From("+447700900000".into()))
        .send("+447700900123", "x", None)
        .await
        .unwrap_err();
    assert!(
        matches!(e, SmsError::Retryable { status: None, .. }),
        "{e:?}"
    );
}

#[tokio::test]
async fn sent_messages_can_be_listed_by_recipient_for_reconciliation() {
    let (_fake, url) = start_fake().await;
    let c = client(&url, TOKEN, Sender::From("+447700900000".into()));
    c.send("+447700900123", "one", None).await.unwrap();
    c.send("+447700900456", "two", None).await.unwrap();
    let today = chrono::Utc::now().date_naive();
    let listed = c.list_messages("+447700900123", today).await.unwrap();
    assert_eq!(listed.len(), 1);
    let created =
        chrono::DateTime::parse_from_rfc2822(listed[0].date_created.as_deref().unwrap()).unwrap();
    assert_eq!(created.date_naive(), today);
    let tomorrow = today.succ_opt().unwrap();
    assert!(
        c.list_messages("+447700900123", tomorrow)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        (listed[0].to.as_str(), listed[0].body.as_str()),
        ("+447700900123", "one")
    );
}
