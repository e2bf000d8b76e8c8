//! The FCM client against the fake FCM: the service-account JWT is signed and verified, the
//! access token is exchanged, cached and refreshed on 401, and Google's error answers are read.

use rentdesk_worker::fake_fcm::{self, FakeFcm};
use rentdesk_worker::push::{FcmClient, FcmConfig, Notification, PushError, ServiceAccount};
use std::time::Duration;

async fn client() -> (FakeFcm, FcmClient, String) {
    let (fake, base) = fake_fcm::start().await;
    let account =
        ServiceAccount::parse(&fake_fcm::service_account_json(&format!("{base}/token"))).unwrap();
    let c = FcmClient::new(FcmConfig {
        base_url: base.clone(),
        account,
        timeout: Duration::from_secs(5),
    })
    .unwrap();
    (fake, c, base)
}

fn note() -> Notification<'static> {
    Notification {
        title: "Your rent payment",
        body: "we have not received your rent payment due 10 November.",
        data: [("message_id".to_owned(), "7".to_owned())].into(),
    }
}

#[tokio::test]
async fn a_notification_goes_with_a_verified_assertion_and_one_cached_token() {
    let (fake, c, _) = client().await;
    let name = c.send("device-a", &note()).await.unwrap();
    assert_eq!(name, "projects/rentdesk-test/messages/1");
    c.send("device-b", &note()).await.unwrap();
    let state = fake.0.lock().unwrap();
    assert_eq!(state.tokens_issued, 1, "the access token is cached");
    assert!(
        state.refused_assertions.is_empty(),
        "{:?}",
        state.refused_assertions
    );
    assert_eq!(state.sent.len(), 2);
    let s = &state.sent[0];
    assert_eq!(
        (s.token.as_str(), s.title.as_str()),
        ("device-a", "Your rent payment")
    );
    assert_eq!(s.data["message_id"], "7");
}

#[tokio::test]
async fn the_assertion_is_rs256_with_googles_claims() {
    let (_, c, base) = client().await;
    let now = chrono::Utc::now().timestamp();
    let jwt = c.assertion(now).unwrap();
    let aud = format!("{base}/token");
    fake_fcm::verify_assertion(&jwt, &aud, now).unwrap();
    // Tampering with the claims breaks the signature; another audience is refused.
    let mut parts: Vec<&str> = jwt.split('.').collect();
    use base64::Engine as _;
    let forged_claims = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(
        serde_json::json!({"iss": fake_fcm::CLIENT_EMAIL, "scope": "x", "aud": aud, "iat": now, "exp": now + 60}).to_string(),
    );
    parts[1] = &forged_claims;
    assert_eq!(
        fake_fcm::verify_assertion(&parts.join("."), &aud, now),
        Err("bad signature".into())
    );
    assert!(fake_fcm::verify_assertion(&jwt, "https://elsewhere/token", now).is_err());
    assert!(
        fake_fcm::verify_assertion(&jwt, &aud, now + 7200).is_err(),
        "expired"
    );
}

#[tokio::test]
async fn a_revoked_access_token_is_refreshed_once_and_the_send_goes() {
    let (fake, c, _) = client().await;
    c.send("device-a", &note()).await.unwrap();
    fake.revoke_access_tokens();
    c.send("device-a", &note()).await.unwrap();
    let state = fake.0.lock().unwrap();
    assert_eq!((state.tokens_issued, state.unauthorised), (2, 1));
    assert_eq!(state.sent.len(), 2);
}

#[tokio::test]
async fn unregistered_and_invalid_tokens_are_dead() {
    let (fake, c, _) = client().await;
    {
        let mut s = fake.0.lock().unwrap();
        s.unregistered.insert("old-phone".into());
        s.invalid.insert("garbage".into());
    }
    for token in ["old-phone", "garbage"] {
        let e = c.send(token, &note()).await.unwrap_err();
        assert!(matches!(e, PushError::DeadToken { .. }), "{token}: {e:?}");
    }
    assert!(fake.0.lock().unwrap().sent.is_empty());
}

#[tokio::test]
async fn unavailable_is_retryable_then_it_goes_once() {
    let (fake, c, _) = client().await;
    fake.0.lock().unwrap().fail_next.extend([503, 429]);
    for _ in 0..2 {
        let e = c.send("device-a", &note()).await.unwrap_err();
        assert!(matches!(e, PushError::Retryable { .. }), "{e:?}");
    }
    c.send("device-a", &note()).await.unwrap();
    assert_eq!(fake.sent_to("device-a"), 1);
}

#[tokio::test]
async fn a_key_file_with_a_broken_key_is_refused() {
    let json = fake_fcm::service_account_json("http://127.0.0.1:9/token").replace("MII", "XII");
    let e = ServiceAccount::parse(&json).unwrap_err();
    assert!(e.contains("private_key"), "{e}");
}
