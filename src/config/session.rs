//! Conversation settings: history limits, how long and how many conversations are kept,
//! and the optional Redis store. History limits default to [`HistoryLimits::default`],
//! which the session module owns.

use std::time::Duration;

use super::parse::{positive, Get, Problems};
use super::url::{checked_url, Quote, REDIS_SCHEMES};
use super::ConfigError;
use crate::secret::Secret;
use crate::session::HistoryLimits;

/// `SESSION_IDLE_TTL_SECS`: half an hour, far longer than a pause in a call, short enough
/// that abandoned calls do not pile up.
const DEFAULT_SESSION_IDLE_TTL_SECS: u64 = 30 * 60;

/// `SESSION_MAX_CONVERSATIONS`: with the default history limits (16k characters each)
/// this bounds the in-memory store's text at about 160 MB.
const DEFAULT_MAX_CONVERSATIONS: usize = 10_000;

/// `SESSION_REPLY_QUEUE_MAX`: replies a machine keeps for the store while it is down. A
/// reply is a few hundred bytes to a few kilobytes, so the default holds at most tens of
/// megabytes, and more than a minute-long outage at a hundred turns a second.
const DEFAULT_REPLY_QUEUE_MAX: usize = 10_000;

/// `SESSION_STORE_PREFIX`: every Redis key and channel starts with the app's name.
const DEFAULT_SESSION_STORE_PREFIX: &str = "voicebridge:";

/// The conversation part of [`super::Settings`].
pub(super) struct SessionConfig {
    pub(super) history_limits: HistoryLimits,
    pub(super) idle_ttl: Duration,
    pub(super) max_conversations: usize,
    pub(super) store_url: Option<Secret>,
    pub(super) store_prefix: String,
    pub(super) reply_queue_max: usize,
}

/// Reads history limits, expiry, the in-memory cap and the store.
pub(super) fn session_config(get: &Get) -> Result<SessionConfig, ConfigError> {
    let problems = Problems::default();
    let config = SessionConfig {
        history_limits: problems.take(history_limits(get)).unwrap_or_default(),
        idle_ttl: Duration::from_secs(problems.value(positive(
            "SESSION_IDLE_TTL_SECS",
            get("SESSION_IDLE_TTL_SECS"),
            DEFAULT_SESSION_IDLE_TTL_SECS,
        ))),
        max_conversations: problems.value(positive(
            "SESSION_MAX_CONVERSATIONS",
            get("SESSION_MAX_CONVERSATIONS"),
            DEFAULT_MAX_CONVERSATIONS,
        )),
        store_url: problems.value(store_url(get("SESSION_STORE_URL"))),
        store_prefix: get("SESSION_STORE_PREFIX")
            .unwrap_or_else(|| DEFAULT_SESSION_STORE_PREFIX.to_string()),
        reply_queue_max: problems.value(positive(
            "SESSION_REPLY_QUEUE_MAX",
            get("SESSION_REPLY_QUEUE_MAX"),
            DEFAULT_REPLY_QUEUE_MAX,
        )),
    };
    problems.finish()?;
    Ok(config)
}

fn history_limits(get: &Get) -> Result<HistoryLimits, ConfigError> {
    let defaults = HistoryLimits::default();
    let problems = Problems::default();
    let limits = HistoryLimits {
        max_messages: problems.value(positive(
            "HISTORY_MAX_MESSAGES",
            get("HISTORY_MAX_MESSAGES"),
            defaults.max_messages,
        )),
        max_chars: problems.value(positive(
            "HISTORY_MAX_CHARS",
            get("HISTORY_MAX_CHARS"),
            defaults.max_chars,
        )),
    };
    problems.finish()?;
    Ok(limits)
}

/// `SESSION_STORE_URL`: a Redis URL, never quoted in errors since it may hold a password.
fn store_url(raw: Option<String>) -> Result<Option<Secret>, ConfigError> {
    let Some(url) = raw else {
        return Ok(None);
    };
    let url = checked_url("SESSION_STORE_URL", url.trim(), REDIS_SCHEMES, Quote::Never).map_err(
        |mut error| {
            error.problem += " (leave it unset to keep conversations in memory)";
            error
        },
    )?;
    Ok(Some(Secret::new(url)))
}
