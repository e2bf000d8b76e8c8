//! The signed token in an email's unsubscribe link: made by the worker when it sends, checked by
//! the API when the tenant follows it.

fn unsubscribe_mac(key: &str, message_id: i64) -> String {
    use hmac::{KeyInit, Mac};
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(key.as_bytes())
        .expect("HMAC takes keys of any length");
    mac.update(format!("unsubscribe-email:{message_id}").as_bytes());
    mac.finalize()
        .into_bytes()
        .iter()
        .take(16)
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// `{message id}.{first 16 bytes of HMAC-SHA256(key, "unsubscribe-email:{id}") in hex}`.
pub fn unsubscribe_token(key: &str, message_id: i64) -> String {
    format!("{message_id}.{}", unsubscribe_mac(key, message_id))
}

/// The message id a token was issued for, if the signature is ours (constant-time compare).
pub fn verify_unsubscribe_token(key: &str, token: &str) -> Option<i64> {
    let (id, mac) = token.split_once('.')?;
    let id: i64 = id.parse().ok()?;
    let expected = unsubscribe_mac(key, id);
    (expected.len() == mac.len()
        && expected
            .bytes()
            .zip(mac.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0)
        .then_some(id)
}

#[cfg(test)]
mod unsubscribe_tests {
    use super::*;

    #[test]
    fn unsubscribe_tokens_verify_only_for_their_message_and_key() {
        let t = unsubscribe_token("key-one", 42);
        assert_eq!(verify_unsubscribe_token("key-one", &t), Some(42));
        assert_eq!(verify_unsubscribe_token("key-two", &t), None);
        let forged = t.replacen("42.", "43.", 1);
        assert_eq!(verify_unsubscribe_token("key-one", &forged), None);
        assert_eq!(verify_unsubscribe_token("key-one", "42"), None);
        assert_eq!(verify_unsubscribe_token("key-one", "x.y"), None);
    }
}
