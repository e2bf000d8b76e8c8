//! A fake Firebase Cloud Messaging for tests: Google's OAuth2 token endpoint (JWT-bearer grant)
//! and FCM HTTP v1 `messages:send` on loopback, speaking the real wire formats. The token
//! endpoint verifies the assertion's RS256 signature with the public key of a fixed test
//! service account and its claims (iss, scope, aud, iat/exp at most an hour apart) before it
//! issues an access token; sends must carry one as `Authorization: Bearer`. Sent messages are
//! recorded; a token can be declared unregistered (404 UNREGISTERED) or invalid (400
//! INVALID_ARGUMENT), and sends can be made to fail with 503 UNAVAILABLE.
//! Only built with the `test-fakes` feature.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use poem::http::StatusCode;
use poem::listener::{Acceptor, Listener, TcpListener};
use poem::web::{Data, Form, Json, Path};
use poem::{EndpointExt, IntoResponse, Response, Route, Server, handler, post};
use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex};

pub const PROJECT_ID: &str = "rentdesk-test";
pub const CLIENT_EMAIL: &str = "rentdesk-push@rentdesk-test.iam.gserviceaccount.com";

/// TEST ONLY: the private key of the fake's service account (2048-bit RSA, PKCS#8). It signs
/// nothing outside this fake; never use it for anything real.
pub const TEST_PRIVATE_KEY_PEM: &str = r"-----BEGIN PRIVATE KEY-----
MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQDCR5VLfH/OiLzT
RQn5OzfjuqIc5K93uyCeO+ZeXz7CIVqxeM6Ou4iwbJ/wSRfr4+XAzTycWSbk3F2h
j2Zs8+UoiNYjxuiE+vQ5pIHa13vU3scEnVEzP8nCHQZZcs27/De1DBYJ0opie5os
iz2uyYgX9xtb6JOvg7cFs22+cFPjcsxldFPfXpl/FckVoBfWKT5GggKTjAR5qfpq
VlU5c6JN9D0tXRfw91/XMNCBZOfO5xsWAlNUCkH9rjeF6wgLH9+ODWfIw9ClVtsb
jSEZ8grOGChgvrWX+df+BwLTdxKj7OtabN2fyXFKc/DJDlU1uOD0HtgHO8IC6WSS
deek6P3hAgMBAAECggEAC1QcPwYX98WeaR1d+wP6etN/r3qgRrWJLeDlSnx4Tt6e
CLo4JTeHPW5gFyVT+UPVOlxdW+qQ64h0Bz8y5EiGhMoR3o0zMsnlYtUWY1nsVRnW
dgzsVrYyABksLRwWJg+Legml4VW/DwYRE+bcpmwG/QrCNCZIMlRWYEU5sYCgS6Nk
h/cXl1U0jgTAFboEA21+WgzAMSkO2Too5beLRqsUJN3nPNu1RXkTI+pr4dMDZZAS
j7fIcHgddA2rv34f56sBktx97wmPPLJ/XPRgYRKSDMD/OZQfn+okFGuueI/GVmQg
4mN6tic8HOtpOyFz1ceXxJZF1E7AQwS7pJyTvfVVgQKBgQDiCw1qxA+BT0djYlPX
zIQeWEddp9arDZWC7fP5SLiNeDg/lrQbWKwrDJbpt/Tlp6cTEvZ1nyyLadayV/L9
czihNeDB9iy1IRciiFrowDPVexVlsw/eFeopi9vRUC3cdKwyAlJLYZZH2uN9UfZL
OwLpPOQ2i5fLd+Ql+tB+vY+YcQKBgQDcBuQ14a2fwh/IT3GDf/KlcAOhNXJtIad3
dex1UKtZ+Luun72k7VjdTcu4v6oBpVOEUySB8pfZMyJk6chAVTAUDKxGuqztekkH
Sm38XW5IIGWr9sdQFh+gEpdBLAygYpo8pGnybk1FF5JzXKd/w8A2vZ+wngArWJx+
6aBcpGv0cQKBgGn4TH31FF/Gzuzkt/G/S2D+edaKTLU8VQ9ghrQjR4HrDlOhTyZS
18QGzuka+JCBnG3wweI6kSN6ptBNMvlm/vF01L2ZrzPrI3FpA1WCZcp7PXjEDXhM
Rc7cZl0mfZmQiPmY5QO56D4fe+7Qceqq6550kXiQ0MTum+LCRuRj8eHBAoGBAIDF
t8KhNlCN+LPvauwfcg/JIxayhSnBzJVp+t4ePGsH3DAzZXalQqEi6txRsFoOPHbx
gihbpuuDtdmByaV9NgpF8H3ku1ixfRQ7R2uv8t9btqWSZMxGZnP07XlDIpCrpMFh
KHCuhaKuTRQfYhiwpEplaJShpE+6KL1OVoBh6pzBAoGAX0I1P1VI5M8tQBRmlxAa
BnN05uCE7sWXKCE6JTvQ4YmWAvRuya1znP6LdiPOkWmyTwc/zZHWTnh2gHb9TqY/
DeYYcIpKh4pzzP6bdgWvMNuKBEAsa9wvpzXx9Gvb1LRKJZZxg/Pb5MCZ5kRcx1VU
a5o1SaWFrpd0qezEA8oXTvM=
-----END PRIVATE KEY-----
";

/// The matching public key (PKCS#1 RSAPublicKey), which the fake verifies assertions with.
pub const TEST_PUBLIC_KEY_PEM: &str = r"-----BEGIN RSA PUBLIC KEY-----
MIIBCgKCAQEAwkeVS3x/zoi800UJ+Ts347qiHOSvd7sgnjvmXl8+wiFasXjOjruI
sGyf8EkX6+PlwM08nFkm5NxdoY9mbPPlKIjWI8bohPr0OaSB2td71N7HBJ1RMz/J
wh0GWXLNu/w3tQwWCdKKYnuaLIs9rsmIF/cbW+iTr4O3BbNtvnBT43LMZXRT316Z
fxXJFaAX1ik+RoICk4wEean6alZVOXOiTfQ9LV0X8Pdf1zDQgWTnzucbFgJTVApB
/a43hesICx/fjg1nyMPQpVbbG40hGfIKzhgoYL61l/nX/gcC03cSo+zrWmzdn8lx
SnPwyQ5VNbjg9B7YBzvCAulkknXnpOj94QIDAQAB
-----END RSA PUBLIC KEY-----
";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentPush {
    pub token: String,
    pub title: String,
    pub body: String,
    pub data: HashMap<String, String>,
}

#[derive(Default)]
pub struct FcmState {
    pub sent: Vec<SentPush>,
    /// Access tokens issued and still honoured.
    pub access_tokens: HashSet<String>,
    /// How many access tokens the token endpoint issued.
    pub tokens_issued: usize,
    /// Assertions refused, with the reason (a test can assert on them).
    pub refused_assertions: Vec<String>,
    /// Registration tokens answered 404 UNREGISTERED.
    pub unregistered: HashSet<String>,
    /// Registration tokens answered 400 INVALID_ARGUMENT.
    pub invalid: HashSet<String>,
    /// Answer the next sends with these statuses (503 → UNAVAILABLE, 429, 500).
    pub fail_next: VecDeque<u16>,
    /// Send attempts that carried a bad or missing bearer token.
    pub unauthorised: usize,
}

#[derive(Clone, Default)]
pub struct FakeFcm(pub Arc<Mutex<FcmState>>);

impl FakeFcm {
    pub fn sent_to(&self, token: &str) -> usize {
        let state = self.0.lock().expect("fake state");
        state.sent.iter().filter(|s| s.token == token).count()
    }

    /// Forget every access token issued, as if they had expired: the next send gets 401.
    pub fn revoke_access_tokens(&self) {
        self.0.lock().expect("fake state").access_tokens.clear();
    }
}

/// A service-account key file for the test account, with `token_uri` pointing at the fake.
pub fn service_account_json(token_uri: &str) -> String {
    serde_json::json!({
        "type": "service_account",
        "project_id": PROJECT_ID,
        "private_key_id": "0000000000000000000000000000000000000000",
        "private_key": TEST_PRIVATE_KEY_PEM,
        "client_email": CLIENT_EMAIL,
        "client_id": "100000000000000000000",
        "auth_uri": "https://accounts.google.com/o/oauth2/auth",
        "token_uri": token_uri,
    })
    .to_string()
}

fn google_error(status: StatusCode, google_status: &str, error_code: Option<&str>) -> Response {
    let details: Vec<serde_json::Value> = error_code
        .map(|c| {
            vec![serde_json::json!({
                "@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError",
                "errorCode": c,
            })]
        })
        .unwrap_or_default();
    let body = serde_json::json!({"error": {
        "code": status.as_u16(),
        "message": format!("{google_status} (fake)"),
        "status": google_status,
        "details": details,
    }});
    (status, Json(body)).into_response()
}

/// Check an RS256 JWT assertion as Google's token endpoint does; the reason when refused.
pub fn verify_assertion(assertion: &str, audience: &str, now: i64) -> Result<(), String> {
    let mut parts = assertion.split('.');
    let (Some(h), Some(c), Some(s), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err("not a compact JWT".into());
    };
    let decode = |p: &str| B64URL.decode(p).map_err(|e| format!("bad base64url: {e}"));
    let header: serde_json::Value =
        serde_json::from_slice(&decode(h)?).map_err(|e| format!("header: {e}"))?;
    if header["alg"] != "RS256" {
        return Err(format!("alg {} is not RS256", header["alg"]));
    }
    let public = crate::push::pem_to_der(TEST_PUBLIC_KEY_PEM)?;
    ring::signature::UnparsedPublicKey::new(&ring::signature::RSA_PKCS1_2048_8192_SHA256, public)
        .verify(format!("{h}.{c}").as_bytes(), &decode(s)?)
        .map_err(|_| "bad signature".to_owned())?;
    let claims: serde_json::Value =
        serde_json::from_slice(&decode(c)?).map_err(|e| format!("claims: {e}"))?;
    if claims["iss"] != CLIENT_EMAIL {
        return Err(format!("iss {}", claims["iss"]));
    }
    if claims["scope"] != crate::push::SCOPE {
        return Err(format!("scope {}", claims["scope"]));
    }
    if claims["aud"] != audience {
        return Err(format!("aud {} is not {audience}", claims["aud"]));
    }
    let (Some(iat), Some(exp)) = (claims["iat"].as_i64(), claims["exp"].as_i64()) else {
        return Err("iat and exp must be numbers".into());
    };
    if exp <= iat || exp - iat > 3600 {
        return Err("exp must be after iat and at most an hour later".into());
    }
    if iat > now + 60 || exp < now {
        return Err("assertion not valid now".into());
    }
    Ok(())
}

#[derive(Clone)]
struct Base(String);

#[handler]
fn token_endpoint(
    Form(form): Form<HashMap<String, String>>,
    fake: Data<&FakeFcm>,
    base: Data<&Base>,
) -> Response {
    let mut state = fake.0.0.lock().unwrap();
    if form.get("grant_type").map(String::as_str) != Some(crate::push::GRANT_TYPE) {
        return (
            StatusCode::BAD_REQUEST,
            Json(serde_json::json!({"error": "unsupported_grant_type"})),
        )
            .into_response();
    }
    let now = chrono::Utc::now().timestamp();
    let audience = format!("{}/token", base.0.0);
    if let Err(reason) = verify_assertion(
        form.get("assertion").map_or("", String::as_str),
        &audience,
        now,
    ) {
        state.refused_assertions.push(reason.clone());
        return (
            StatusCode::BAD_REQUEST,
            Json(serde_json::json!({"error": "invalid_grant", "error_description": reason})),
        )
            .into_response();
    }
    state.tokens_issued += 1;
    let access = format!("ya29.fake-{}", state.tokens_issued);
    state.access_tokens.insert(access.clone());
    Json(serde_json::json!({"access_token": access, "expires_in": 3599, "token_type": "Bearer"}))
        .into_response()
}

#[handler]
fn send(
    req: &poem::Request,
    Path((project, action)): Path<(String, String)>,
    Json(body): Json<serde_json::Value>,
    fake: Data<&FakeFcm>,
) -> Response {
    let mut state = fake.0.0.lock().unwrap();
    let bearer = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    if !bearer.is_some_and(|t| state.access_tokens.contains(t)) {
        state.unauthorised += 1;
        return google_error(StatusCode::UNAUTHORIZED, "UNAUTHENTICATED", None);
    }
    if project != PROJECT_ID {
        return google_error(
            StatusCode::FORBIDDEN,
            "PERMISSION_DENIED",
            Some("SENDER_ID_MISMATCH"),
        );
    }
    if action != "messages:send" {
        return google_error(StatusCode::NOT_FOUND, "NOT_FOUND", None);
    }
    if let Some(status) = state.fail_next.pop_front() {
        let status = StatusCode::from_u16(status).unwrap();
        let name = if status == StatusCode::TOO_MANY_REQUESTS {
            "RESOURCE_EXHAUSTED"
        } else {
            "UNAVAILABLE"
        };
        return google_error(status, name, None);
    }
    let message = &body["message"];
    let Some(token) = message["token"].as_str() else {
        return google_error(
            StatusCode::BAD_REQUEST,
            "INVALID_ARGUMENT",
            Some("INVALID_ARGUMENT"),
        );
    };
    if state.unregistered.contains(token) {
        return google_error(StatusCode::NOT_FOUND, "NOT_FOUND", Some("UNREGISTERED"));
    }
    if state.invalid.contains(token) {
        return google_error(
            StatusCode::BAD_REQUEST,
            "INVALID_ARGUMENT",
            Some("INVALID_ARGUMENT"),
        );
    }
    // FCM's data payload is string → string only.
    let mut data = HashMap::new();
    if let Some(map) = message["data"].as_object() {
        for (k, v) in map {
            let Some(v) = v.as_str() else {
                return google_error(
                    StatusCode::BAD_REQUEST,
                    "INVALID_ARGUMENT",
                    Some("INVALID_ARGUMENT"),
                );
            };
            data.insert(k.clone(), v.to_owned());
        }
    }
    state.sent.push(SentPush {
        token: token.to_owned(),
        title: message["notification"]["title"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
        body: message["notification"]["body"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
        data,
    });
    let name = format!("projects/{PROJECT_ID}/messages/{}", state.sent.len());
    Json(serde_json::json!({"name": name})).into_response()
}

/// Start the fake on a free loopback port; returns it and its base URL (`{base}/token` is the
/// token URI, `{base}` the FCM base URL).
pub async fn start() -> (FakeFcm, String) {
    let fake = FakeFcm::default();
    let acceptor = TcpListener::bind("127.0.0.1:0")
        .into_acceptor()
        .await
        .unwrap();
    let addr = acceptor.local_addr()[0].as_socket_addr().copied().unwrap();
    let base = format!("http://{addr}");
    let app = Route::new()
        .at("/token", post(token_endpoint))
        .at("/v1/projects/:project/:action", post(send))
        .data(fake.clone())
        .data(Base(base.clone()));
    tokio::spawn(Server::new_with_acceptor(acceptor).run(app));
    (fake, base)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_test_keys_are_a_pair() {
        let private = crate::push::pem_to_der(TEST_PRIVATE_KEY_PEM).unwrap();
        let pair = ring::signature::RsaKeyPair::from_pkcs8(&private).unwrap();
        let public = crate::push::pem_to_der(TEST_PUBLIC_KEY_PEM).unwrap();
        assert_eq!(pair.public().as_ref(), public.as_slice());
    }
}
