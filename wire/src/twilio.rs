//! Twilio's webhook signature (`X-Twilio-Signature`), checked by the API's status webhook and
//! made by the worker's fake Twilio in tests.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::{Hmac, KeyInit, Mac};

/// Twilio's `X-Twilio-Signature`: base64(HMAC-SHA1(auth token, full URL as requested followed
/// by the POST parameters: names sorted, and under each name its distinct values sorted, each
/// appended as name + value)). Twilio's own validators (twilio-python's `RequestValidator`,
/// twilio-node's `validateRequest`) accept the signature over the URL with its port removed or
/// with the scheme's default port added, because Twilio signs a URL configured as
/// `https://host:443/…` with the port and one configured as `https://host/…` without; this
/// accepts exactly those two. Compared in constant time.
pub fn validate_signature(
    auth_token: &str,
    full_url: &str,
    params: &[(String, String)],
    signature: &str,
) -> bool {
    // The standard engine is strict (padding required, no stray bits, no whitespace): a string
    // decodes to the expected bytes only if it is the expected base64 text, as Twilio compares.
    let Ok(expected) = BASE64.decode(signature) else {
        return false;
    };
    let [without_port, with_port] = port_variants(full_url);
    // Both checked, so the time taken does not say which one (if either) matched.
    let a = signature_mac(auth_token, &without_port, params)
        .verify_slice(&expected)
        .is_ok();
    let b = signature_mac(auth_token, &with_port, params)
        .verify_slice(&expected)
        .is_ok();
    a | b
}

/// The signature Twilio would send for exactly this URL (for tests and fakes).
pub fn sign(auth_token: &str, full_url: &str, params: &[(String, String)]) -> String {
    BASE64.encode(
        signature_mac(auth_token, full_url, params)
            .finalize()
            .into_bytes(),
    )
}

fn signature_mac(
    auth_token: &str,
    full_url: &str,
    params: &[(String, String)],
) -> Hmac<sha1::Sha1> {
    use std::collections::{BTreeMap, BTreeSet};
    // Twilio's order: by name, then by value; a name sent twice with the same value counts once
    // (twilio-python: `for name in sorted(set(params)): for value in sorted(set(values))`).
    let mut sorted: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for (name, value) in params {
        sorted.entry(name).or_default().insert(value);
    }
    let mut mac = Hmac::<sha1::Sha1>::new_from_slice(auth_token.as_bytes())
        .expect("HMAC takes keys of any length");
    mac.update(full_url.as_bytes());
    for (name, values) in sorted {
        for value in values {
            mac.update(name.as_bytes());
            mac.update(value.as_bytes());
        }
    }
    mac
}

/// `url` without its port, and with its port (the scheme's default, 443 for https and 80
/// otherwise, when it has none): twilio-python's `remove_port` and `add_port`.
fn port_variants(url: &str) -> [String; 2] {
    let Some((scheme, rest)) = url.split_once("://") else {
        return [url.to_owned(), url.to_owned()];
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    let host_start = authority.rfind('@').map_or(0, |i| i + 1);
    let (userinfo, host_port) = authority.split_at(host_start);
    // The port follows the last colon, unless that colon is inside an IPv6 literal.
    let (host, port) = match host_port.rfind(':') {
        Some(i) if !host_port[i..].contains(']') => (&host_port[..i], &host_port[i + 1..]),
        _ => (host_port, ""),
    };
    let port = match port.parse::<u16>() {
        Ok(p) if p != 0 => p.to_string(),
        _ if scheme.eq_ignore_ascii_case("https") => "443".to_owned(),
        _ => "80".to_owned(),
    };
    [
        format!("{scheme}://{userinfo}{host}{tail}"),
        format!("{scheme}://{userinfo}{host}:{port}{tail}"),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    /// The example on Twilio's "Webhooks security" page.
    fn params() -> Vec<(String, String)> {
        form(&[
            ("CallSid", "CA1234567890ABCDE"),
            ("Caller", "+12349013030"),
            ("Digits", "1234"),
            ("From", "+12349013030"),
            ("To", "+18005551212"),
        ])
    }

    /// twilio-python's own test vectors (tests/unit/test_request_validator.py).
    fn python_params() -> Vec<(String, String)> {
        form(&[
            ("CallSid", "CA1234567890ABCDE"),
            ("Digits", "1234"),
            ("From", "+14158675309"),
            ("To", "+18005551212"),
            ("Caller", "+14158675309"),
        ])
    }

    const URL: &str = "https://mycompany.com/myapp.php?foo=1&bar=2";

    #[test]
    fn twilios_documented_example_validates() {
        assert_eq!(
            sign("12345", URL, &params()),
            "0/KCTR6DLpKmkAf8muzZqo1nDgQ="
        );
        assert!(validate_signature(
            "12345",
            URL,
            &params(),
            "0/KCTR6DLpKmkAf8muzZqo1nDgQ="
        ));
        assert_eq!(
            sign("12345", URL, &python_params()),
            "RSOYDt4T1cUTdK1PDd93/VVr8B8="
        );
    }

    #[test]
    fn a_url_signed_with_or_without_its_default_port_validates_both_ways() {
        // Signed over the URL with :443 (or :80), checked against the one without.
        let https_443 = "kvajT1Ptam85bY51eRf/AJRuM3w=";
        assert_eq!(
            sign(
                "12345",
                "https://mycompany.com:443/myapp.php?foo=1&bar=2",
                &python_params()
            ),
            https_443
        );
        assert!(validate_signature(
            "12345",
            URL,
            &python_params(),
            https_443
        ));
        let http = URL.replace("https", "http");
        let http_80 = "0ZXoZLH/DfblKGATFgpif+LLRf4=";
        assert!(validate_signature(
            "12345",
            &http,
            &python_params(),
            http_80
        ));
        // Signed without the port, checked against a URL that names it.
        let with_443 = "https://mycompany.com:443/myapp.php?foo=1&bar=2";
        assert!(validate_signature(
            "12345",
            with_443,
            &python_params(),
            "RSOYDt4T1cUTdK1PDd93/VVr8B8="
        ));
        let http_with_80 = "http://mycompany.com:80/myapp.php?foo=1&bar=2";
        let http_plain = sign("12345", &http, &python_params());
        assert!(validate_signature(
            "12345",
            http_with_80,
            &python_params(),
            &http_plain
        ));
        // As twilio-python does, any port is removed for the portless comparison...
        let with_1234 = "https://mycompany.com:1234/myapp.php?foo=1&bar=2";
        assert!(validate_signature(
            "12345",
            with_1234,
            &python_params(),
            "RSOYDt4T1cUTdK1PDd93/VVr8B8="
        ));
        assert!(validate_signature(
            "12345",
            "http://mycompany.com:1234/myapp.php?foo=1&bar=2",
            &python_params(),
            "Zmvh+3yNM1Phv2jhDCwEM3q5ebU="
        ));
        // ...but only the default port is ever added: a signature over :8443 is not one over
        // the URL without a port, nor over :443, nor is https's port http's.
        let on_8443 = sign(
            "12345",
            "https://mycompany.com:8443/myapp.php?foo=1&bar=2",
            &python_params(),
        );
        assert!(!validate_signature(
            "12345",
            URL,
            &python_params(),
            &on_8443
        ));
        assert!(!validate_signature(
            "12345",
            with_443,
            &python_params(),
            &on_8443
        ));
        assert!(!validate_signature(
            "12345",
            &http,
            &python_params(),
            https_443
        ));
    }

    #[test]
    fn a_repeated_name_is_signed_once_per_distinct_value_in_sorted_order() {
        let repeated = form(&[
            ("Sid", "CA123"),
            ("SidAccount", "AC123"),
            ("Digits", "5678"),
            ("Digits", "1234"),
            ("Digits", "1234"),
        ]);
        // twilio-python's vector for exactly these parameters.
        let expected = "IK+Dwps556ElfBT0I3Rgjkr1wJU=";
        assert_eq!(sign("12345", URL, &repeated), expected);
        assert!(validate_signature("12345", URL, &repeated, expected));
        let mut shuffled = repeated.clone();
        shuffled.reverse();
        assert!(validate_signature("12345", URL, &shuffled, expected));
        // Dropping the second value changes what was signed.
        assert!(!validate_signature(
            "12345",
            URL,
            &form(&[
                ("Sid", "CA123"),
                ("SidAccount", "AC123"),
                ("Digits", "1234")
            ]),
            expected
        ));
    }

    #[test]
    fn port_variants_keep_everything_but_the_port() {
        assert_eq!(
            port_variants("https://h.example/a?b=1"),
            ["https://h.example/a?b=1", "https://h.example:443/a?b=1"]
        );
        assert_eq!(
            port_variants("http://h.example:80"),
            ["http://h.example", "http://h.example:80"]
        );
        assert_eq!(
            port_variants("https://[::1]:8443/x"),
            ["https://[::1]/x", "https://[::1]:8443/x"]
        );
        assert_eq!(
            port_variants("https://[::1]/x"),
            ["https://[::1]/x", "https://[::1]:443/x"]
        );
    }

    #[test]
    fn anything_changed_fails_the_signature() {
        let good = sign("12345", URL, &params());
        let mut changed = params();
        changed[2].1 = "1235".into();
        assert!(
            !validate_signature("12345", URL, &changed, &good),
            "a changed parameter"
        );
        assert!(
            !validate_signature(
                "12345",
                "https://mycompany.com/myapp.php?foo=1&bar=3",
                &params(),
                &good
            ),
            "another query"
        );
        assert!(
            !validate_signature("12345", "https://mycompany.com/myapp.php", &params(), &good),
            "no query string"
        );
        assert!(
            !validate_signature(
                "12345",
                "https://other.example/myapp.php?foo=1&bar=2",
                &params(),
                &good
            ),
            "another host"
        );
        assert!(
            !validate_signature("54321", URL, &params(), &good),
            "another token"
        );
        assert!(!validate_signature("12345", URL, &params(), ""), "unsigned");
        assert!(
            !validate_signature("12345", URL, &params(), "not base64!"),
            "garbage"
        );
        assert!(
            !validate_signature("12345", URL, &params(), &format!(" {good}")),
            "not the exact text Twilio sends"
        );
        assert!(
            !validate_signature("12345", URL, &params(), good.trim_end_matches('=')),
            "padding dropped"
        );
    }

    #[test]
    fn parameter_order_does_not_matter() {
        let mut reversed = params();
        reversed.reverse();
        assert!(validate_signature(
            "12345",
            URL,
            &reversed,
            "0/KCTR6DLpKmkAf8muzZqo1nDgQ="
        ));
    }
}
