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
