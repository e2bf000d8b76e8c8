//! The job worker: how many jobs at once, when the nightly run and dispatch fire, how fast
//! messages go out.

use std::str::FromStr as _;

use crate::{ConfigError, Vars, err};

/// How often due messages are dispatched.
pub const DISPATCH_CRON: &str = "*/15 * * * * *";

pub const DEFAULT_NIGHTLY_CRON: &str = "0 0 2 * * *";

/// Parse a cron expression the way the nightly worker will.
pub fn parse_cron(expr: &str) -> anyhow::Result<cron::Schedule> {
    cron::Schedule::from_str(expr).map_err(|e| {
        anyhow::anyhow!(
            "invalid cron expression {expr:?} ({e}); use 6 fields with seconds, e.g. \"0 0 2 * * *\""
        )
    })
}

#[derive(Debug, Clone)]
pub struct Worker {
    pub concurrency: usize,
    pub nightly_cron: String,
    /// How often this worker dispatches due messages; `None` (`DISPATCH_CRON=off`) = never
    /// (a process that only serves, or tests that drive dispatch themselves).
    pub dispatch_cron: Option<String>,
    /// `DISPATCH_RATE_PER_MINUTE`: at most this many messages per channel per minute, across
    /// every worker; unset = as fast as the providers take them.
    pub dispatch_rate_per_minute: Option<u32>,
    /// `SEND_CONCURRENCY`: sends in flight at once per channel in one dispatch run (default 8).
    pub send_concurrency: usize,
}

impl Worker {
    pub fn from_vars(v: &Vars) -> Result<Worker, ConfigError> {
        let nightly_cron = v
            .get("NIGHTLY_CRON")
            .unwrap_or_else(|| DEFAULT_NIGHTLY_CRON.to_owned());
        parse_cron(&nightly_cron).map_err(|e| {
            err(
                "NIGHTLY_CRON",
                format!("must be a cron expression with seconds, e.g. \"0 0 2 * * *\": {e}"),
            )
        })?;
        Ok(Worker {
            concurrency: v.number("WORKER_CONCURRENCY", 4, 1, 256)? as usize,
            nightly_cron,
            dispatch_cron: dispatch_cron(v)?,
            dispatch_rate_per_minute: match v.get("DISPATCH_RATE_PER_MINUTE") {
                None => None,
                Some(_) => Some(v.number("DISPATCH_RATE_PER_MINUTE", 0, 1, 1_000_000)? as u32),
            },
            send_concurrency: v.number("SEND_CONCURRENCY", 8, 1, 256)? as usize,
        })
    }
}

fn dispatch_cron(v: &Vars) -> Result<Option<String>, ConfigError> {
    match v.get("DISPATCH_CRON") {
        None => Ok(Some(DISPATCH_CRON.to_owned())),
        Some(s) if s.trim() == "off" => Ok(None),
        Some(s) => {
            parse_cron(&s).map_err(|e| {
                err(
                    "DISPATCH_CRON",
                    format!("must be off or a cron expression with seconds: {e}"),
                )
            })?;
            Ok(Some(s))
        }
    }
}
