//! The server itself: where it listens, the webhook secret and how webhook bodies are
//! bounded before their signature is checked, how long it drains turns when stopping, and
//! the token protecting `/metrics`.

use std::net::IpAddr;
use std::time::Duration;

use super::parse::{millis, parse_bool, parse_or, positive, Get, Problems};
use super::ConfigError;
use crate::secret::Secret;

/// `HOST`: every interface, so the server is reachable inside a container.
const DEFAULT_HOST: [u8; 4] = [0, 0, 0, 0];

/// `PORT`: the port Fly and most platforms expect by default.
pub(super) const DEFAULT_PORT: u16 = 8080;

/// `SHUTDOWN_GRACE_SECS`: long enough for a turn to finish speaking, short enough to fit
/// the usual 30 s a platform waits between SIGTERM and SIGKILL.
const DEFAULT_SHUTDOWN_GRACE_SECS: u64 = 20;

/// `WEBHOOK_BODY_TIMEOUT_MS`: a webhook body is a few hundred bytes, and an hour-long
/// call's `session.end` a few hundred KiB; even on a slow link that arrives in well under
/// this. A client trickling bytes slower than this holds nothing longer.
const DEFAULT_WEBHOOK_BODY_TIMEOUT_MS: u64 = 10_000;

/// `WEBHOOK_MAX_INFLIGHT_BODIES`: at most this many webhook bodies are being read at once,
/// so unverified bytes in memory stay under this many times the 1 MiB body limit. Layercode
/// sends one webhook per turn: 64 bodies in flight at once is far above a busy server's need.
const DEFAULT_WEBHOOK_MAX_INFLIGHT_BODIES: usize = 64;

/// How untrusted webhook bodies are bounded before their signature is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WebhookLimits {
    /// `WEBHOOK_BODY_TIMEOUT_MS`: the whole body must arrive within this, counted from when
    /// its reading starts.
    pub body_timeout: Duration,
    /// `WEBHOOK_MAX_INFLIGHT_BODIES`: most webhook bodies read at the same time; past it a
    /// webhook is answered `503` with `Retry-After`.
    pub max_inflight_bodies: usize,
}

/// The server's part of [`super::Settings`].
pub(super) struct ServerConfig {
    pub(super) host: IpAddr,
    pub(super) port: u16,
    pub(super) webhook_secret: Option<Secret>,
    pub(super) allow_unsigned: bool,
    pub(super) shutdown_grace: Duration,
    pub(super) metrics_token: Option<Secret>,
    pub(super) webhook_limits: WebhookLimits,
}

/// Reads the server settings. `lookup` is the raw reader: the webhook secret counts as
/// set whenever it is not empty.
pub(super) fn server_config(get: &Get, lookup: &Get) -> Result<ServerConfig, ConfigError> {
    let problems = Problems::default();
    let host = get("HOST").map_or(IpAddr::from(DEFAULT_HOST), |v| {
        problems
            .take(
                v.trim()
                    .parse()
                    .map_err(|_| ConfigError::new("HOST", format!("`{v}` is not an IP address"))),
            )
            .unwrap_or(IpAddr::from(DEFAULT_HOST))
    });
    let allow_unsigned = problems.value(parse_bool(
        "ALLOW_UNSIGNED_WEBHOOKS",
        get("ALLOW_UNSIGNED_WEBHOOKS"),
    ));
    let port = problems.value(parse_or("PORT", get("PORT"), DEFAULT_PORT));
    let shutdown_grace = problems.value(parse_or(
        "SHUTDOWN_GRACE_SECS",
        get("SHUTDOWN_GRACE_SECS"),
        DEFAULT_SHUTDOWN_GRACE_SECS,
    ));
    let body_timeout = problems.value(millis(
        "WEBHOOK_BODY_TIMEOUT_MS",
        get("WEBHOOK_BODY_TIMEOUT_MS"),
        DEFAULT_WEBHOOK_BODY_TIMEOUT_MS,
    ));
    let max_inflight_bodies = problems.value(positive(
        "WEBHOOK_MAX_INFLIGHT_BODIES",
        get("WEBHOOK_MAX_INFLIGHT_BODIES"),
        DEFAULT_WEBHOOK_MAX_INFLIGHT_BODIES,
    ));
    problems.finish()?;
    Ok(ServerConfig {
        host,
        port,
        // Required unless unsigned webhooks are allowed, or every agent file has its own
        // (checked with the agents).
        webhook_secret: lookup("LAYERCODE_WEBHOOK_SECRET")
            .filter(|v| !v.is_empty())
            .map(Secret::new),
        allow_unsigned,
        shutdown_grace: Duration::from_secs(shutdown_grace),
        metrics_token: get("METRICS_TOKEN").map(|t| Secret::new(t.trim())),
        webhook_limits: WebhookLimits {
            body_timeout,
            max_inflight_bodies,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(pairs: &[(&str, &str)]) -> Result<WebhookLimits, ConfigError> {
        let get = super::super::parse::lookup(pairs);
        server_config(&get, &get).map(|server| server.webhook_limits)
    }

    #[test]
    fn webhook_bodies_are_bounded_by_default() {
        let defaults = limits(&[]).expect("valid");
        assert_eq!(defaults.body_timeout, Duration::from_secs(10));
        assert_eq!(defaults.max_inflight_bodies, 64);
        let set = limits(&[
            ("WEBHOOK_BODY_TIMEOUT_MS", "2500"),
            ("WEBHOOK_MAX_INFLIGHT_BODIES", "8"),
        ])
        .expect("valid");
        assert_eq!(set.body_timeout, Duration::from_millis(2500));
        assert_eq!(set.max_inflight_bodies, 8);
    }

    #[test]
    fn unbounded_or_unreadable_webhook_limits_are_refused() {
        for (variable, value) in [
            ("WEBHOOK_BODY_TIMEOUT_MS", "0"),
            ("WEBHOOK_BODY_TIMEOUT_MS", "soon"),
            ("WEBHOOK_MAX_INFLIGHT_BODIES", "0"),
            ("WEBHOOK_MAX_INFLIGHT_BODIES", "-1"),
        ] {
            let error = limits(&[(variable, value)]).expect_err(variable);
            assert_eq!(error.variable, variable, "{variable}={value}");
        }
    }
}
