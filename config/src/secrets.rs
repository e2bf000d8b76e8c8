//! Secrets: which variables hold them, reading them from `NAME_FILE`, and failing closed outside
//! `rentdesk dev` when one is a value anyone can read (issue 19). Secrets are never logged.

use crate::{ConfigError, err};

#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Secret {
        Secret(s.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(****)")
    }
}

/// Which command is starting: `dev` has safe defaults for everything; `serve` insists on what
/// production must set; the worker and one-off commands need no HTTP secrets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// `rentdesk dev`: every secret has a dev default (nothing leaves the machine).
    Dev,
    /// `rentdesk serve`: every secret required, none a published value.
    Production,
    /// `rentdesk-worker`: as `Production` (it signs the links in the emails it sends).
    Worker,
    /// A one-off command (`migrate`, `import`, `staff create`, `nightly`…): secrets that are
    /// given are checked as in production; a missing `TOKEN_SIGNING_KEY` becomes a random key
    /// for this process only (nothing it signs outlives it), never a published one.
    OneOff,
}

/// Only for `rentdesk dev`; `serve` and the worker require `TOKEN_SIGNING_KEY`.
pub const DEV_TOKEN_SIGNING_KEY: &str = "dev-only-token-signing-key-not-secret-0123";

/// The variables that hold secrets (or URLs that may carry a password). Each can also be given
/// as a file, `NAME_FILE` (the Docker and Kubernetes secrets convention); giving both is refused.
pub const SECRET_VARIABLES: [&str; 5] = [
    "TOKEN_SIGNING_KEY",
    "DATABASE_URL",
    "REDIS_URL",
    "TWILIO_AUTH_TOKEN",
    "SMTP_URL",
];

/// Each secret's `_FILE` variable, in [`SECRET_VARIABLES`]' order.
const SECRET_FILE_VARIABLES: [&str; 5] = [
    "TOKEN_SIGNING_KEY_FILE",
    "DATABASE_URL_FILE",
    "REDIS_URL_FILE",
    "TWILIO_AUTH_TOKEN_FILE",
    "SMTP_URL_FILE",
];

/// Values of secrets that have been published (this repository's dev default, compose file,
/// README and examples, now or in the past). Anyone can read them, so outside `rentdesk dev` a
/// secret equal to one of them is refused as if it were missing. A test scans the repository's
/// deployment files for secret values and checks that each is on this list.
pub const PUBLISHED_SECRETS: &[&str] = &[
    DEV_TOKEN_SIGNING_KEY,
    "change-me-to-at-least-32-random-characters",
    "change-me-to-a-long-random-secret",
    "rentdesk",
    "postgres",
    "password",
    "changeme",
    "change-me",
    "secret",
];

fn is_published(value: &str) -> bool {
    let v = value.trim();
    PUBLISHED_SECRETS.iter().any(|p| p.eq_ignore_ascii_case(v))
}

/// The password inside `scheme://user:password@host…`, if any (%-decoding is not needed to
/// compare with the published values, which have no reserved characters).
fn url_password(url: &str) -> Option<&str> {
    let rest = url.split_once("://")?.1;
    let userinfo = rest.split(['/', '?', '#']).next()?.rsplit_once('@')?.0;
    userinfo
        .split_once(':')
        .map(|(_, p)| p)
        .filter(|p| !p.is_empty())
}

/// 256 random bits from the operating system, for a one-off command's own key.
pub(crate) fn random_key() -> String {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the OS random source is available");
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `NAME_FILE` read for each secret `NAME` (trailing newline removed), so the rest of the
/// configuration reads secrets the same way whichever way they came.
pub(crate) fn secret_files(
    get: &impl Fn(&str) -> Option<String>,
) -> Result<std::collections::HashMap<&'static str, String>, ConfigError> {
    let mut found = std::collections::HashMap::new();
    for (name, file_var) in SECRET_VARIABLES.into_iter().zip(SECRET_FILE_VARIABLES) {
        let Some(path) = get(file_var) else { continue };
        if get(name).is_some() {
            return Err(err(file_var, format!("set {name} or {file_var}, not both")));
        }
        let text = std::fs::read_to_string(path.trim())
            .map_err(|e| err(file_var, format!("cannot read {}: {e}", path.trim())))?;
        let value = text.trim_end_matches(['\n', '\r']).to_owned();
        if value.trim().is_empty() {
            return Err(err(file_var, format!("{} is empty", path.trim())));
        }
        found.insert(name, value);
    }
    Ok(found)
}

/// Fail closed (issue 19): outside dev, no secret may be one anyone can read.
pub(crate) fn refuse_published(get: &impl Fn(&str) -> Option<String>) -> Result<(), ConfigError> {
    for name in SECRET_VARIABLES {
        let Some(value) = get(name) else { continue };
        let secret = if name.ends_with("_URL") {
            url_password(&value)
        } else {
            Some(value.as_str())
        };
        if secret.is_some_and(is_published) {
            return Err(err(
                name,
                if name.ends_with("_URL") {
                    "its password is a published value (the repository's compose file, \
                     README or examples): choose a new one"
                } else {
                    "is a published value (the repository's dev default, compose file, \
                     README or examples): generate a new one, e.g. `openssl rand -base64 48`"
                },
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ConfigError, Settings};
    use std::collections::HashMap;

    fn settings(mode: Mode, vars: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Settings::from_lookup(mode, |k| map.get(k).cloned())
    }

    const KEY: (&str, &str) = ("TOKEN_SIGNING_KEY", "k7Qz0vY3n9W2xR5tB8mL1pC4sH6jD0fGaE2uV");

    /// Every value a deployment file of this repository gives a secret (compose defaults,
    /// README and docs examples, example files, scripts): `VAR=value`, `VAR: value`,
    /// `${VAR:-value}` and the password in `scheme://user:password@host`.
    fn published_in_repository() -> Vec<(String, String)> {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let mut files = vec![
            root.join("README.md"),
            root.join("docker-compose.yml"),
            root.join("Dockerfile"),
        ];
        for dir in ["docs", "examples", "scripts", ".ci"] {
            if let Ok(entries) = std::fs::read_dir(root.join(dir)) {
                files.extend(entries.flatten().map(|e| e.path()).filter(|p| p.is_file()));
            }
        }
        let names = [
            "TOKEN_SIGNING_KEY",
            "TWILIO_AUTH_TOKEN",
            "POSTGRES_PASSWORD",
            "ADMIN_TOKEN",
        ];
        let mut found = vec![];
        for file in files {
            let Ok(text) = std::fs::read_to_string(&file) else {
                continue;
            };
            let place = file.file_name().unwrap().to_string_lossy().to_string();
            for line in text.lines() {
                for name in names {
                    for (at, _) in line.match_indices(name) {
                        let rest = line[at + name.len()..].trim_start_matches(['"', '\'']);
                        let Some(rest) = rest
                            .strip_prefix(":-")
                            .or_else(|| rest.strip_prefix('='))
                            .or_else(|| rest.strip_prefix(':'))
                        else {
                            continue;
                        };
                        let value: String = rest
                            .trim_start()
                            .trim_start_matches(['"', '\''])
                            .chars()
                            .take_while(|c| !c.is_whitespace() && !"\"'}`|".contains(*c))
                            .collect();
                        if !value.is_empty() && !value.starts_with(['$', '<', '?']) {
                            found.push((place.clone(), value));
                        }
                    }
                }
                for (at, _) in line.match_indices("://") {
                    let tail: String = line[at..]
                        .chars()
                        .take_while(|c| !c.is_whitespace() && !"\"'`|".contains(*c))
                        .collect();
                    let url = format!("x{tail}");
                    if let Some(p) = url_password(&url)
                        && !p.starts_with(['$', '<'])
                    {
                        found.push((place.clone(), p.to_owned()));
                    }
                }
            }
        }
        found
    }

    #[test]
    fn every_secret_value_the_repository_publishes_is_refused_outside_dev() {
        let found = published_in_repository();
        for (place, value) in &found {
            assert!(
                is_published(value),
                "{place} publishes {value:?} as a secret: add it to PUBLISHED_SECRETS"
            );
        }
        // The scan sees the README's SMTP example at least (user:password@…).
        assert!(
            found
                .iter()
                .any(|(p, v)| p == "README.md" && v == "password"),
            "{found:?}"
        );
        for value in PUBLISHED_SECRETS.iter().filter(|v| v.len() >= 32) {
            for mode in [Mode::Production, Mode::Worker, Mode::OneOff] {
                let e = settings(mode, &[("TOKEN_SIGNING_KEY", value)]).unwrap_err();
                assert_eq!(e.variable, "TOKEN_SIGNING_KEY", "{mode:?} {value}");
                assert!(e.reason.contains("published"), "{e}");
            }
        }
        // The old compose file's database password, in any URL that carries one.
        for (var, url) in [
            (
                "DATABASE_URL",
                "postgres://rentdesk:rentdesk@postgres:5432/rentdesk",
            ),
            ("REDIS_URL", "redis://:changeme@redis:6379"),
            ("SMTP_URL", "smtps://user:password@smtp.example:465"),
        ] {
            let e = settings(Mode::Production, &[KEY, (var, url)]).unwrap_err();
            assert_eq!((e.variable, e.reason.contains("published")), (var, true));
        }
        assert!(
            settings(
                Mode::Dev,
                &[("DATABASE_URL", "postgres://rentdesk:rentdesk@db/x")]
            )
            .is_ok()
        );
        let url = "postgres://rentdesk:Xq7v0Lk2Zr9@postgres:5432/rentdesk";
        assert!(settings(Mode::Production, &[KEY, ("DATABASE_URL", url)]).is_ok());
    }

    #[test]
    fn the_server_and_the_worker_need_a_key_and_a_one_off_command_gets_its_own() {
        for mode in [Mode::Production, Mode::Worker] {
            let e = settings(mode, &[]).unwrap_err();
            assert_eq!(e.variable, "TOKEN_SIGNING_KEY", "{mode:?}");
        }
        let a = settings(Mode::OneOff, &[]).unwrap().auth.token_signing_key;
        let b = settings(Mode::OneOff, &[]).unwrap().auth.token_signing_key;
        assert_eq!(a.expose().len(), 64);
        assert_ne!(a.expose(), b.expose());
        assert_ne!(a.expose(), DEV_TOKEN_SIGNING_KEY);
        // Given, it is checked as for the server.
        let e = settings(Mode::OneOff, &[("TOKEN_SIGNING_KEY", "short")]).unwrap_err();
        assert_eq!(e.variable, "TOKEN_SIGNING_KEY");
        assert_eq!(
            settings(Mode::Dev, &[])
                .unwrap()
                .auth
                .token_signing_key
                .expose(),
            DEV_TOKEN_SIGNING_KEY
        );
    }

    #[test]
    fn a_secret_can_be_given_as_a_file_and_not_twice() {
        let dir = std::env::temp_dir().join(format!("rentdesk-secret-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let key_file = dir.join("key");
        std::fs::write(&key_file, format!("{}\n", KEY.1)).unwrap();
        let path = key_file.to_string_lossy().to_string();
        let s = settings(Mode::Production, &[("TOKEN_SIGNING_KEY_FILE", &path)]).unwrap();
        assert_eq!(
            s.auth.token_signing_key.expose(),
            KEY.1,
            "trailing newline removed"
        );
        let e = settings(Mode::Production, &[KEY, ("TOKEN_SIGNING_KEY_FILE", &path)]).unwrap_err();
        assert_eq!(e.variable, "TOKEN_SIGNING_KEY_FILE");
        let missing = dir.join("nope").to_string_lossy().to_string();
        let e = settings(Mode::Production, &[("TOKEN_SIGNING_KEY_FILE", &missing)]).unwrap_err();
        assert_eq!(e.variable, "TOKEN_SIGNING_KEY_FILE");
        assert!(e.reason.contains("cannot read"), "{e}");
        // A published value is refused whichever way it comes.
        std::fs::write(&key_file, "change-me-to-at-least-32-random-characters").unwrap();
        let e = settings(Mode::Worker, &[("TOKEN_SIGNING_KEY_FILE", &path)]).unwrap_err();
        assert_eq!(e.variable, "TOKEN_SIGNING_KEY");
        let db_file = dir.join("db");
        std::fs::write(&db_file, "postgres://app:Zq81mVx0@db:5432/rentdesk\n").unwrap();
        let db_path = db_file.to_string_lossy().to_string();
        let s = settings(Mode::Production, &[KEY, ("DATABASE_URL_FILE", &db_path)]).unwrap();
        assert_eq!(s.database.url, "postgres://app:Zq81mVx0@db:5432/rentdesk");
        std::fs::remove_dir_all(&dir).ok();
    }
}
