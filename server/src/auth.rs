//! App sign-in tokens: short-lived access tokens (HS256 JWTs via `jsonwebtoken`) naming the
//! subject and the sign-in family, opaque random refresh tokens stored only as SHA-256, and
//! one-time sign-in codes stored only as HMAC-SHA256 under the server's key.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, Utc};
use hmac::{KeyInit, Mac};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use sha2::{Digest, Sha256};

pub const ACCESS_TTL: Duration = Duration::minutes(15);
pub const REFRESH_TTL: Duration = Duration::days(30);
pub const CODE_TTL: Duration = Duration::minutes(10);
const ISSUER: &str = "rentdesk";
pub const TENANT_AUDIENCE: &str = "rentdesk-tenant";

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Claims {
    /// "tenant:42"
    pub sub: String,
    pub aud: String,
    pub iss: String,
    pub iat: i64,
    pub exp: i64,
    /// The sign-in family: signing out or a replayed refresh token revokes it.
    pub sid: String,
    /// The tenancy the tenant signed in to (tenant tokens only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenancy: Option<i64>,
}

impl Claims {
    /// The numeric id in `sub` if it is of `kind` ("tenant" or "staff").
    pub fn subject_id(&self, kind: &str) -> Option<i64> {
        let (k, id) = self.sub.split_once(':')?;
        (k == kind).then(|| id.parse().ok()).flatten()
    }
}

pub struct Keys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    secret: Vec<u8>,
}

impl Keys {
    pub fn new(secret: &str) -> Keys {
        Keys {
            encoding: EncodingKey::from_secret(secret.as_bytes()),
            decoding: DecodingKey::from_secret(secret.as_bytes()),
            secret: secret.as_bytes().to_vec(),
        }
    }

    pub fn access_token(
        &self,
        kind: &str,
        subject_id: i64,
        tenancy: Option<i64>,
        family: &str,
        audience: &str,
        now: DateTime<Utc>,
    ) -> String {
        let claims = Claims {
            sub: format!("{kind}:{subject_id}"),
            aud: audience.to_owned(),
            iss: ISSUER.to_owned(),
            iat: now.timestamp(),
            exp: (now + ACCESS_TTL).timestamp(),
            sid: family.to_owned(),
            tenancy,
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .expect("HS256 signing with an in-memory key cannot fail")
    }

    /// The claims of a valid, unexpired token for `audience`; `None` for anything else.
    pub fn verify(&self, token: &str, audience: &str) -> Option<Claims> {
        let mut v = Validation::new(Algorithm::HS256);
        v.set_audience(&[audience]);
        v.set_issuer(&[ISSUER]);
        v.leeway = 0;
        v.set_required_spec_claims(&["exp", "aud", "iss", "sub"]);
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &v)
            .ok()
            .map(|d| d.claims)
    }

    /// HMAC-SHA256(key, challenge ":" code), hex: how a sign-in code is stored and compared.
    pub fn code_hash(&self, challenge: &str, code: &str) -> String {
        let mut mac = hmac::Hmac::<Sha256>::new_from_slice(&self.secret)
            .expect("HMAC takes keys of any length");
        mac.update(challenge.as_bytes());
        mac.update(b":");
        mac.update(code.as_bytes());
        hex(&mac.finalize().into_bytes())
    }
}

pub fn sha256_hex(s: &str) -> String {
    hex(&Sha256::digest(s.as_bytes()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `n` random bytes from the OS, base64url: refresh tokens, challenges, families.
pub fn random_token(n: usize) -> String {
    let mut buf = vec![0u8; n];
    getrandom::fill(&mut buf).expect("the OS random source is available");
    URL_SAFE_NO_PAD.encode(buf)
}

/// A uniformly random six-digit code (rejection sampling: no modulo bias).
pub fn six_digit_code() -> String {
    const LIMIT: u32 = u32::MAX - (u32::MAX % 1_000_000);
    loop {
        let n = getrandom::u32().expect("the OS random source is available");
        if n < LIMIT {
            return format!("{:06}", n % 1_000_000);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn access_tokens_verify_only_for_their_audience_key_and_lifetime() {
        let keys = Keys::new("k".repeat(32).as_str());
        let now = Utc::now();
        let t = keys.access_token("tenant", 7, Some(3), "fam", TENANT_AUDIENCE, now);
        let c = keys.verify(&t, TENANT_AUDIENCE).unwrap();
        assert_eq!(c.subject_id("tenant"), Some(7));
        assert_eq!(c.subject_id("staff"), None);
        assert_eq!(c.tenancy, Some(3));
        assert!(keys.verify(&t, "rentdesk-staff").is_none());
        assert!(
            Keys::new(&"x".repeat(32))
                .verify(&t, TENANT_AUDIENCE)
                .is_none()
        );
        let old = keys.access_token(
            "tenant",
            7,
            None,
            "f",
            TENANT_AUDIENCE,
            now - ACCESS_TTL - Duration::seconds(1),
        );
        assert!(keys.verify(&old, TENANT_AUDIENCE).is_none());
        // A token with its payload altered no longer verifies.
        let mut parts: Vec<String> = t.split('.').map(str::to_owned).collect();
        parts[1] = URL_SAFE_NO_PAD.encode(
            String::from_utf8(URL_SAFE_NO_PAD.decode(&parts[1]).unwrap())
                .unwrap()
                .replace("tenant:7", "tenant:8"),
        );
        assert!(keys.verify(&parts.join("."), TENANT_AUDIENCE).is_none());
    }

    #[test]
    fn codes_are_six_digits_and_hashes_depend_on_key_challenge_and_code() {
        for _ in 0..100 {
            let c = six_digit_code();
            assert_eq!(c.len(), 6);
            assert!(c.chars().all(|ch| ch.is_ascii_digit()));
        }
        let a = Keys::new(&"a".repeat(32));
        let b = Keys::new(&"b".repeat(32));
        assert_eq!(a.code_hash("ch", "123456"), a.code_hash("ch", "123456"));
        assert_ne!(a.code_hash("ch", "123456"), a.code_hash("ch", "123457"));
        assert_ne!(a.code_hash("ch", "123456"), a.code_hash("cx", "123456"));
        assert_ne!(a.code_hash("ch", "123456"), b.code_hash("ch", "123456"));
        assert_ne!(random_token(32), random_token(32));
    }
}
