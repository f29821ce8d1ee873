//! The server itself: where it listens, the webhook secret, how long it drains turns when
//! stopping, and the token protecting `/metrics`.

use std::net::IpAddr;
use std::time::Duration;

use super::parse::{parse_bool, parse_or, Get};
use super::ConfigError;
use crate::secret::Secret;

/// `HOST`: every interface, so the server is reachable inside a container.
const DEFAULT_HOST: [u8; 4] = [0, 0, 0, 0];

/// `PORT`: the port Fly and most platforms expect by default.
pub(super) const DEFAULT_PORT: u16 = 8080;

/// `SHUTDOWN_GRACE_SECS`: long enough for a turn to finish speaking, short enough to fit
/// the usual 30 s a platform waits between SIGTERM and SIGKILL.
const DEFAULT_SHUTDOWN_GRACE_SECS: u64 = 20;

/// The server's part of [`super::Settings`].
pub(super) struct ServerConfig {
    pub(super) host: IpAddr,
    pub(super) port: u16,
    pub(super) webhook_secret: Option<Secret>,
    pub(super) allow_unsigned: bool,
    pub(super) shutdown_grace: Duration,
    pub(super) metrics_token: Option<Secret>,
}

/// Reads the server settings. `lookup` is the raw reader: the webhook secret counts as
/// set whenever it is not empty.
pub(super) fn server_config(get: &Get, lookup: &Get) -> Result<ServerConfig, ConfigError> {
    let host = match get("HOST") {
        Some(v) => v
            .trim()
            .parse()
            .map_err(|_| ConfigError::new("HOST", format!("`{v}` is not an IP address")))?,
        None => IpAddr::from(DEFAULT_HOST),
    };
    let allow_unsigned = parse_bool("ALLOW_UNSIGNED_WEBHOOKS", get("ALLOW_UNSIGNED_WEBHOOKS"))?;
    Ok(ServerConfig {
        host,
        port: parse_or("PORT", get("PORT"), DEFAULT_PORT)?,
        // Required unless unsigned webhooks are allowed, or every agent file has its own
        // (checked with the agents).
        webhook_secret: lookup("LAYERCODE_WEBHOOK_SECRET")
            .filter(|v| !v.is_empty())
            .map(Secret::new),
        allow_unsigned,
        shutdown_grace: Duration::from_secs(parse_or(
            "SHUTDOWN_GRACE_SECS",
            get("SHUTDOWN_GRACE_SECS"),
            DEFAULT_SHUTDOWN_GRACE_SECS,
        )?),
        metrics_token: get("METRICS_TOKEN").map(|t| Secret::new(t.trim())),
    })
}
