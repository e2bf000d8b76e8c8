//! Signing in: the key that signs tokens and links, and the sign-in rate limits.

use crate::secrets::{DEV_TOKEN_SIGNING_KEY, random_key};
use crate::{ConfigError, Mode, Secret, Vars, err};

#[derive(Debug, Clone)]
pub struct Auth {
    /// Signs access tokens (HS256) and keys the hashes of sign-in codes.
    pub token_signing_key: Secret,
    /// Sign-in starts allowed per tenancy reference, and per client address, per hour.
    pub sign_in_limit_per_reference: u32,
    pub sign_in_limit_per_address: u32,
}

impl Auth {
    pub fn from_vars(v: &Vars) -> Result<Auth, ConfigError> {
        // The shared admin token is retired: `/manage/v1` takes a signed-in administrator's
        // token. Refuse rather than ignore it, so nobody believes it still guards anything.
        if v.get("ADMIN_TOKEN").is_some() {
            return Err(err(
                "ADMIN_TOKEN",
                "no longer used: remove it and create an administrator with \
                 `rentdesk staff create --role admin` (README, \"The first administrator\")",
            ));
        }
        Ok(Auth {
            token_signing_key: token_signing_key(v)?,
            sign_in_limit_per_reference: v.number("SIGN_IN_LIMIT_PER_REFERENCE", 5, 1, 1000)?
                as u32,
            sign_in_limit_per_address: v.number("SIGN_IN_LIMIT_PER_ADDRESS", 30, 1, 100_000)?
                as u32,
        })
    }
}

fn token_signing_key(v: &Vars) -> Result<Secret, ConfigError> {
    Ok(match (v.get("TOKEN_SIGNING_KEY"), v.mode()) {
        (Some(k), _) if k.len() < 32 => {
            return Err(err("TOKEN_SIGNING_KEY", "must be at least 32 characters"));
        }
        (Some(k), _) => Secret::new(k),
        (None, Mode::Dev) => Secret::new(DEV_TOKEN_SIGNING_KEY),
        (None, Mode::OneOff) => Secret::new(random_key()),
        (None, Mode::Production | Mode::Worker) => {
            return Err(err(
                "TOKEN_SIGNING_KEY",
                "required outside `rentdesk dev` (at least 32 random characters, e.g. \
                 `openssl rand -base64 48`; or TOKEN_SIGNING_KEY_FILE naming a file)",
            ));
        }
    })
}
