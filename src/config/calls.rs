//! The call store: where every call's record goes (`CALL_STORE_URL`), how long it is kept,
//! how many records may wait for the database, and the token guarding the calls pages and
//! API.

use super::parse::{positive, Get, Problems};
use super::url::{checked_url, Quote};
use super::ConfigError;
use crate::secret::Secret;

/// `CALL_STORE_URL`: an SQLite file next to the server, created on first start.
pub const DEFAULT_CALL_STORE_URL: &str = "sqlite://data/calls.db";
/// `CALL_RETENTION_DAYS`: a month of calls.
const DEFAULT_RETENTION_DAYS: u32 = 30;
/// `CALL_STORE_QUEUE_SIZE`: records waiting for the database. A turn's record is usually
/// a few KiB (its words, tools and the caller's metadata); 2000 of them stay well inside
/// a small machine's memory during an outage.
const DEFAULT_QUEUE_SIZE: usize = 2_000;
/// Shortest `ADMIN_TOKEN`: it guards every transcript.
const MIN_ADMIN_TOKEN_CHARS: usize = 16;

const STORE_SCHEMES: &[&str] = &["sqlite", "postgres", "postgresql"];

/// `PRICES_FILE`: the price file shipped beside the prompt, relative to the working
/// directory (the repository locally, `/app` in the container).
const DEFAULT_PRICES_FILE: &str = "prompts/prices.toml";

/// The call store part of [`super::Settings`].
#[derive(Debug, Clone)]
pub struct CallSettings {
    /// The database; `None` when `CALL_STORE_URL=off`.
    pub store_url: Option<Secret>,
    /// Records older than this many days are deleted.
    pub retention_days: u32,
    /// Records that may wait for the database before new ones are dropped (and counted).
    pub queue_size: usize,
    /// Bearer token (or login password) of `/calls` and `/api/calls`; off when unset.
    pub admin_token: Option<Secret>,
    /// `POST_CALL_WEBHOOK_URL` and `POST_CALL_WEBHOOK_SECRET`, when set.
    pub post_call: Option<(String, Secret)>,
    /// `POST_CALL_SUMMARY`: a model-written summary goes with each call.
    pub post_call_summary: bool,
    /// `PRICES_FILE`: the models' prices (start-up reads it).
    pub prices_file: std::path::PathBuf,
    /// `PRICES_FILE` was set: its file must exist (the default may be missing).
    pub prices_file_set: bool,
}

/// Reads `CALL_STORE_URL`, `CALL_RETENTION_DAYS`, `CALL_STORE_QUEUE_SIZE`, `ADMIN_TOKEN`.
pub(super) fn call_settings(get: &Get) -> Result<CallSettings, ConfigError> {
    let problems = Problems::default();
    let raw = get("CALL_STORE_URL").unwrap_or_else(|| DEFAULT_CALL_STORE_URL.into());
    let raw = raw.trim();
    let store_off = raw.eq_ignore_ascii_case("off");
    let store_url = if store_off {
        None
    } else {
        problems
            .take(checked_url(
                "CALL_STORE_URL",
                raw,
                STORE_SCHEMES,
                Quote::Never,
            ))
            .map(Secret::new)
    };
    let admin_token = get("ADMIN_TOKEN").map(|t| Secret::new(t.trim()));
    if admin_token
        .as_ref()
        .is_some_and(|t| t.expose().chars().count() < MIN_ADMIN_TOKEN_CHARS)
    {
        problems.push(ConfigError::new(
            "ADMIN_TOKEN",
            format!(
                "must be at least {MIN_ADMIN_TOKEN_CHARS} characters: it guards every transcript"
            ),
        ));
    }
    let post_call = problems.value(post_call(get, store_off));
    let post_call_summary = problems.value(super::parse::parse_bool(
        "POST_CALL_SUMMARY",
        get("POST_CALL_SUMMARY"),
    ));
    if post_call_summary && post_call.is_none() && get("POST_CALL_WEBHOOK_URL").is_none() {
        problems.push(ConfigError::new(
            "POST_CALL_SUMMARY",
            "summarises calls for the post-call webhook: set POST_CALL_WEBHOOK_URL too",
        ));
    }
    let prices_file = get("PRICES_FILE");
    let settings = CallSettings {
        prices_file_set: prices_file.is_some(),
        prices_file: std::path::PathBuf::from(
            prices_file.unwrap_or_else(|| DEFAULT_PRICES_FILE.into()),
        ),
        post_call,
        post_call_summary,
        store_url,
        retention_days: problems.value(positive(
            "CALL_RETENTION_DAYS",
            get("CALL_RETENTION_DAYS"),
            DEFAULT_RETENTION_DAYS,
        )),
        queue_size: problems.value(positive(
            "CALL_STORE_QUEUE_SIZE",
            get("CALL_STORE_QUEUE_SIZE"),
            DEFAULT_QUEUE_SIZE,
        )),
        admin_token,
    };
    problems.finish()?;
    Ok(settings)
}

/// `POST_CALL_WEBHOOK_URL` and its secret, when set; it needs the call store.
fn post_call(get: &Get, store_off: bool) -> Result<Option<(String, Secret)>, ConfigError> {
    let Some(url) = get("POST_CALL_WEBHOOK_URL") else {
        return Ok(None);
    };
    let url = super::url::base_url("POST_CALL_WEBHOOK_URL", &url)?;
    let secret = get("POST_CALL_WEBHOOK_SECRET").ok_or_else(|| {
        ConfigError::new(
            "POST_CALL_WEBHOOK_SECRET",
            "is required with POST_CALL_WEBHOOK_URL: the receiver checks the signature with it",
        )
    })?;
    if store_off {
        return Err(ConfigError::new(
            "POST_CALL_WEBHOOK_URL",
            "needs the call store: CALL_STORE_URL is off",
        ));
    }
    Ok(Some((url, Secret::new(secret.trim()))))
}
