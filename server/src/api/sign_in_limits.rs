//! Rate limits on signing in, shared by the tenant and staff apps. Two limits, both keyed on
//! the client address so that nobody can lock someone else out:
//!
//! - per person and address (`rentdesk_domain::sign_in`): a few free tries at one tenancy
//!   reference or staff email from one address, then an exponential back-off for that pair
//!   only; the real person asking from anywhere else is not slowed;
//! - per address: `SIGN_IN_LIMIT_PER_ADDRESS` tries at anything in an hour.

use crate::problem::Problem;
use crate::state::AppState;
use chrono::{DateTime, Duration, Utc};
use poem::http::StatusCode;
use rentdesk_domain::sign_in;
use std::net::IpAddr;

/// The client address the limits count: the TCP peer, unless the peer is one of
/// `TRUSTED_PROXIES`; then the nearest address in `X-Forwarded-For` that is not a trusted proxy
/// (read from the right: entries further left were written by the client and prove nothing).
/// An untrusted peer's `X-Forwarded-For` is ignored, so it cannot be used to dodge a limit.
pub fn client_addr(req: &poem::Request, trusted: &[IpAddr]) -> Option<String> {
    let peer = req.remote_addr().as_socket_addr()?.ip();
    if !trusted.contains(&peer) {
        return Some(peer.to_string());
    }
    let forwarded: Vec<&str> = req
        .headers()
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect();
    let mut client = peer;
    for entry in forwarded.into_iter().rev() {
        // Something unreadable where a proxy should have written an address: stop at the last
        // trusted hop rather than guess.
        let Ok(ip) = entry.parse::<IpAddr>() else {
            break;
        };
        client = ip;
        if !trusted.contains(&ip) {
            break;
        }
    }
    Some(client.to_string())
}

/// Why a try is refused, and for how long.
#[derive(Debug)]
pub struct Refusal {
    pub wait: Duration,
    /// `person_and_address` | `address`, for the audit entry.
    pub limit: &'static str,
}

impl Refusal {
    /// The 429 to answer with.
    pub fn problem(&self) -> Problem {
        let minutes = (self.wait.num_seconds() + 59) / 60;
        Problem::new(
            StatusCode::TOO_MANY_REQUESTS,
            "too-many-sign-ins",
            "Too many sign-in attempts",
        )
        .detail(format!(
            "try again in {minutes} minute{}",
            if minutes == 1 { "" } else { "s" }
        ))
    }

    /// The audit entry's detail: `{"limit": …, "wait_seconds": …}`.
    pub fn audit_detail(&self) -> String {
        serde_json::json!({"limit": self.limit, "wait_seconds": self.wait.num_seconds()})
            .to_string()
    }
}

/// May `key` be tried from `addr` at `now`, with `allowance` free tries per person and address?
pub async fn check(
    state: &AppState,
    key: &str,
    addr: Option<&str>,
    allowance: u32,
    now: DateTime<Utc>,
) -> Result<Option<Refusal>, sea_orm::DbErr> {
    let hour_ago = now - Duration::hours(1);
    let from_addr = rentdesk_store::auth::recent_tries_from(&state.db, addr, hour_ago).await?;
    if from_addr >= u64::from(state.settings.auth.sign_in_limit_per_address) {
        return Ok(Some(Refusal {
            wait: Duration::hours(1),
            limit: "address",
        }));
    }
    let (tries, latest) =
        rentdesk_store::auth::recent_tries(&state.db, key, addr, now - sign_in::WINDOW).await?;
    Ok(latest
        .and_then(|at| sign_in::next_try_in(tries, allowance, now - at))
        .map(|wait| Refusal {
            wait,
            limit: "person_and_address",
        }))
}

/// [`check`], and a refused try written to the audit log as `action` on the subject being tried
/// (a tenancy reference, a staff email): the 429 to answer with, if refused.
pub async fn refuse(
    state: &AppState,
    key: &str,
    addr: Option<&str>,
    allowance: u32,
    now: DateTime<Utc>,
    (action, subject_kind, subject_id): (&'static str, &'static str, String),
) -> Result<Option<Problem>, sea_orm::DbErr> {
    let Some(refusal) = check(state, key, addr, allowance, now).await? else {
        return Ok(None);
    };
    rentdesk_store::audit::record(
        &state.db,
        rentdesk_store::audit::Entry {
            actor: rentdesk_store::audit::Actor::Anonymous,
            action,
            subject_kind,
            subject_id: Some(subject_id),
            detail: Some(refusal.audit_detail()),
            client_addr: addr,
        },
    )
    .await?;
    Ok(Some(refusal.problem()))
}
