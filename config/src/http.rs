//! The HTTP server: where it listens, the address clients use, which proxies to believe, how
//! long a graceful shutdown may take.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use crate::{ConfigError, Mode, Vars, err};

#[derive(Debug, Clone)]
pub struct Http {
    pub bind: SocketAddr,
    /// The address clients use (printed, and written into the OpenAPI document's server list).
    pub public_url: String,
    /// `TRUSTED_PROXIES`: reverse proxies whose `X-Forwarded-For` names the client for the
    /// sign-in limits; empty = the TCP peer is the client and the header is ignored.
    pub trusted_proxies: Vec<IpAddr>,
    pub shutdown_timeout: Duration,
    /// `SHUTDOWN_DRAIN_SECS`: on a stop signal, how long `/health` answers 503 (draining) while
    /// requests are still served, so a load balancer takes the process out of rotation before
    /// its listener closes. 5 s by default; 0 under `rentdesk dev` (nothing is in front of it).
    pub shutdown_drain: Duration,
    /// `rentdesk dev` only: serve the local outbox at `/dev/outbox` (sign-in codes included).
    pub dev_outbox: bool,
}

impl Http {
    pub fn from_vars(v: &Vars) -> Result<Http, ConfigError> {
        let bind: SocketAddr = v
            .get("BIND_ADDR")
            .unwrap_or_else(|| "127.0.0.1:8080".to_owned())
            .parse()
            .map_err(|_| err("BIND_ADDR", "must be host:port, e.g. 0.0.0.0:8080"))?;
        let public_url = v
            .get("PUBLIC_URL")
            .unwrap_or_else(|| format!("http://{bind}"));
        Ok(Http {
            bind,
            public_url,
            trusted_proxies: trusted_proxies(v)?,
            shutdown_timeout: Duration::from_secs(v.number("SHUTDOWN_TIMEOUT_SECS", 20, 1, 600)?),
            shutdown_drain: Duration::from_secs(v.number(
                "SHUTDOWN_DRAIN_SECS",
                if v.mode() == Mode::Dev { 0 } else { 5 },
                0,
                120,
            )?),
            dev_outbox: v.mode() == Mode::Dev,
        })
    }
}

fn trusted_proxies(v: &Vars) -> Result<Vec<IpAddr>, ConfigError> {
    v.get("TRUSTED_PROXIES")
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| {
            p.parse().map_err(|_| {
                err(
                    "TRUSTED_PROXIES",
                    format!("{p} is not an IP address (a comma-separated list of them)"),
                )
            })
        })
        .collect()
}
