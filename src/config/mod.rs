//! Typed, validated settings. This is the only module that reads environment variables;
//! everything else receives a [`Settings`]. Tests build settings from a map with
//! [`Settings::from_lookup`] instead of mutating the process environment.

use std::fmt;
use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use crate::session::HistoryLimits;
use crate::speech::{ChunkPolicy, SpeechSettings};

mod llm;
mod web;

pub use llm::{Filler, LlmSettings, UpstreamSettings};
pub use web::WebSettings;

/// Default spoken apology when the model fails mid-turn.
pub const DEFAULT_APOLOGY: &str = "Sorry, I ran into a problem. Could you say that again?";

/// A value that must never appear in logs, errors or `Debug` output.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret itself; call only where it is used (signing, an auth header).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

/// Why the configuration was rejected; every message names the variable.
#[derive(Debug, thiserror::Error, PartialEq)]
#[error("{variable}: {problem}")]
pub struct ConfigError {
    /// The environment variable at fault.
    pub variable: &'static str,
    /// What is wrong with it.
    pub problem: String,
}

impl ConfigError {
    fn new(variable: &'static str, problem: impl Into<String>) -> Self {
        Self {
            variable,
            problem: problem.into(),
        }
    }
}

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable lines, for a terminal.
    Pretty,
    /// One JSON object per line, for log shippers.
    Json,
}

/// The whole validated configuration of the server.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Address to bind.
    pub host: IpAddr,
    /// Port to bind; `0` picks a free one (tests).
    pub port: u16,
    /// Layercode webhook secret; `None` only when unsigned webhooks are explicitly allowed.
    pub webhook_secret: Option<Secret>,
    /// The model.
    pub llm: LlmSettings,
    /// Path of the system prompt file.
    pub system_prompt_file: PathBuf,
    /// Spoken on `session.start`; empty means a silent start.
    pub welcome_message: String,
    /// Spoken when the model fails during a turn.
    pub apology_message: String,
    /// Cleanup and chunking of speech.
    pub speech: SpeechSettings,
    /// After this long without a delta, a finished-looking sentence is spoken.
    pub speech_idle_flush: Duration,
    /// History kept and sent upstream per conversation.
    pub history_limits: HistoryLimits,
    /// Conversations idle this long are forgotten.
    pub session_idle_ttl: Duration,
    /// Most conversations held in memory; the least recently used goes first.
    pub max_conversations: usize,
    /// `redis://…` or `rediss://…` to share conversations across machines; `None` keeps
    /// them in this process's memory.
    pub session_store_url: Option<Secret>,
    /// Prefix of every Redis key and channel, so several apps can share one Redis.
    pub session_store_prefix: String,
    /// The browser side: `/authorize` and the voice page.
    pub web: WebSettings,
    /// Longest wait for in-flight turns when stopping.
    pub shutdown_grace: Duration,
    /// Bearer token protecting `GET /metrics`; open when unset.
    pub metrics_token: Option<Secret>,
    /// `RUST_LOG`-style filter.
    pub log_filter: String,
    /// Output format of the logs.
    pub log_format: LogFormat,
}

/// What `voicebridge chat` needs: where the local server listens and the secret to sign
/// with. Read without the rest of the configuration, so it works against a deployed
/// server from a machine that has no model key.
#[derive(Debug, Clone)]
pub struct ChatSettings {
    /// `PORT`, for the default URL.
    pub port: u16,
    /// `LAYERCODE_WEBHOOK_SECRET`, when set.
    pub webhook_secret: Option<Secret>,
}

impl ChatSettings {
    /// Reads the chat settings from the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the chat settings through `lookup`, like [`Settings::from_lookup`], so tests
    /// pass a map. Empty values count as unset.
    pub fn from_lookup<F>(lookup: F) -> Result<Self, ConfigError>
    where
        F: Fn(&str) -> Option<String>,
    {
        let get = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        Ok(Self {
            port: parse_or("PORT", get("PORT"), 8080u16)?,
            webhook_secret: get("LAYERCODE_WEBHOOK_SECRET").map(Secret::new),
        })
    }
}

impl Settings {
    /// Reads the settings from the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the settings through `lookup`, which returns a variable's value if it is set.
    /// Empty values count as unset.
    pub fn from_lookup<F>(lookup: F) -> Result<Self, ConfigError>
    where
        F: Fn(&str) -> Option<String>,
    {
        let get = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());

        let host = match get("HOST") {
            Some(v) => v
                .trim()
                .parse()
                .map_err(|_| ConfigError::new("HOST", format!("`{v}` is not an IP address")))?,
            None => IpAddr::from([0, 0, 0, 0]),
        };
        let port = parse_or("PORT", get("PORT"), 8080u16)?;

        let allow_unsigned = parse_bool("ALLOW_UNSIGNED_WEBHOOKS", get("ALLOW_UNSIGNED_WEBHOOKS"))?;
        let webhook_secret = lookup("LAYERCODE_WEBHOOK_SECRET")
            .filter(|v| !v.is_empty())
            .map(Secret::new);
        if webhook_secret.is_none() && !allow_unsigned {
            return Err(ConfigError::new(
                "LAYERCODE_WEBHOOK_SECRET",
                "is required (copy it from the Layercode dashboard); for local development \
                 only, ALLOW_UNSIGNED_WEBHOOKS=true skips signature checks",
            ));
        }

        let llm = llm::llm_settings(&get)?;
        let welcome_message = lookup("WELCOME_MESSAGE").unwrap_or_default();
        let apology_message = get("APOLOGY_MESSAGE").unwrap_or_else(|| DEFAULT_APOLOGY.to_string());

        let log_format = match get("LOG_FORMAT").as_deref().map(str::trim) {
            None | Some("pretty") | Some("text") => LogFormat::Pretty,
            Some("json") => LogFormat::Json,
            Some(other) => {
                return Err(ConfigError::new(
                    "LOG_FORMAT",
                    format!("`{other}` is not one of `pretty`, `json`"),
                ))
            }
        };

        Ok(Self {
            host,
            port,
            webhook_secret,
            llm,
            system_prompt_file: get("SYSTEM_PROMPT_FILE")
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from("prompts/system.md")),
            welcome_message: welcome_message.trim().to_string(),
            apology_message: apology_message.trim().to_string(),
            speech: speech_settings(&get)?,
            speech_idle_flush: millis("SPEECH_IDLE_FLUSH_MS", get("SPEECH_IDLE_FLUSH_MS"), 250)?,
            history_limits: history_limits(&get)?,
            session_idle_ttl: Duration::from_secs(positive(
                "SESSION_IDLE_TTL_SECS",
                get("SESSION_IDLE_TTL_SECS"),
                30 * 60,
            )?),
            max_conversations: positive(
                "SESSION_MAX_CONVERSATIONS",
                get("SESSION_MAX_CONVERSATIONS"),
                10_000,
            )?,
            session_store_url: session_store_url(get("SESSION_STORE_URL"))?,
            session_store_prefix: get("SESSION_STORE_PREFIX")
                .unwrap_or_else(|| "voicebridge:".to_string()),
            web: web::web_settings(&get)?,
            metrics_token: get("METRICS_TOKEN").map(|t| Secret::new(t.trim())),
            shutdown_grace: Duration::from_secs(parse_or(
                "SHUTDOWN_GRACE_SECS",
                get("SHUTDOWN_GRACE_SECS"),
                20,
            )?),
            log_filter: get("RUST_LOG").unwrap_or_else(|| "info".to_string()),
            log_format,
        })
    }
}

fn speech_settings(get: &dyn Fn(&str) -> Option<String>) -> Result<SpeechSettings, ConfigError> {
    let defaults = SpeechSettings::default();
    let max_chars = parse_or(
        "SPEECH_MAX_CHUNK_CHARS",
        get("SPEECH_MAX_CHUNK_CHARS"),
        defaults.policy.max_chars,
    )?;
    if max_chars < 20 {
        return Err(ConfigError::new(
            "SPEECH_MAX_CHUNK_CHARS",
            "must be at least 20",
        ));
    }
    let policy = ChunkPolicy {
        max_chars,
        first_chunk_min_chars: parse_or(
            "SPEECH_FIRST_CHUNK_MIN_CHARS",
            get("SPEECH_FIRST_CHUNK_MIN_CHARS"),
            defaults.policy.first_chunk_min_chars,
        )?,
        min_chunk_chars: parse_or(
            "SPEECH_MIN_CHUNK_CHARS",
            get("SPEECH_MIN_CHUNK_CHARS"),
            defaults.policy.min_chunk_chars,
        )?,
    };
    let keep_emoji = parse_bool("SPEECH_KEEP_EMOJI", get("SPEECH_KEEP_EMOJI"))?;
    Ok(SpeechSettings {
        policy,
        drop_emoji: !keep_emoji,
    })
}

fn session_store_url(raw: Option<String>) -> Result<Option<Secret>, ConfigError> {
    let Some(url) = raw.map(|u| u.trim().to_string()) else {
        return Ok(None);
    };
    if url.starts_with("redis://") || url.starts_with("rediss://") {
        Ok(Some(Secret::new(url)))
    } else {
        Err(ConfigError::new(
            "SESSION_STORE_URL",
            "must start with redis:// or rediss:// (leave it unset to keep conversations in memory)",
        ))
    }
}

/// The host part of a store URL, without credentials, for messages and logs.
pub fn redacted_url(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("redis", url));
    let host = rest.rsplit_once('@').map_or(rest, |(_, host)| host);
    format!("{scheme}://{}", host.split('/').next().unwrap_or(host))
}

fn history_limits(get: &dyn Fn(&str) -> Option<String>) -> Result<HistoryLimits, ConfigError> {
    let defaults = HistoryLimits::default();
    Ok(HistoryLimits {
        max_messages: positive(
            "HISTORY_MAX_MESSAGES",
            get("HISTORY_MAX_MESSAGES"),
            defaults.max_messages,
        )?,
        max_chars: positive(
            "HISTORY_MAX_CHARS",
            get("HISTORY_MAX_CHARS"),
            defaults.max_chars,
        )?,
    })
}

fn positive<T>(variable: &'static str, raw: Option<String>, default: T) -> Result<T, ConfigError>
where
    T: std::str::FromStr + PartialOrd + Default,
{
    let value = parse_or(variable, raw, default)?;
    if value <= T::default() {
        return Err(ConfigError::new(variable, "must be at least 1"));
    }
    Ok(value)
}

fn parse_value<T: std::str::FromStr>(variable: &'static str, raw: &str) -> Result<T, ConfigError> {
    raw.trim()
        .parse()
        .map_err(|_| ConfigError::new(variable, format!("`{raw}` is not a valid value")))
}

fn parse_or<T: std::str::FromStr>(
    variable: &'static str,
    raw: Option<String>,
    default: T,
) -> Result<T, ConfigError> {
    raw.map_or(Ok(default), |v| parse_value(variable, &v))
}

fn millis(
    variable: &'static str,
    raw: Option<String>,
    default: u64,
) -> Result<Duration, ConfigError> {
    let ms: u64 = parse_or(variable, raw, default)?;
    if ms == 0 {
        return Err(ConfigError::new(
            variable,
            "must be at least 1 (milliseconds)",
        ));
    }
    Ok(Duration::from_millis(ms))
}

fn parse_bool(variable: &'static str, raw: Option<String>) -> Result<bool, ConfigError> {
    match raw
        .as_deref()
        .map(|v| v.trim().to_ascii_lowercase())
        .as_deref()
    {
        None | Some("false") | Some("0") | Some("no") => Ok(false),
        Some("true") | Some("1") | Some("yes") => Ok(true),
        Some(other) => Err(ConfigError::new(
            variable,
            format!("`{other}` is not `true` or `false`"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn settings(pairs: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Settings::from_lookup(|name| map.get(name).cloned())
    }

    fn chat_settings(pairs: &[(&str, &str)]) -> Result<ChatSettings, ConfigError> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        ChatSettings::from_lookup(|name| map.get(name).cloned())
    }

    #[test]
    fn chat_settings_need_neither_a_secret_nor_a_model_key() {
        let chat = chat_settings(&[]).expect("valid");
        assert_eq!(chat.port, 8080);
        assert!(chat.webhook_secret.is_none());

        let chat = chat_settings(&[("PORT", "9000"), ("LAYERCODE_WEBHOOK_SECRET", "whsec_x")])
            .expect("valid");
        assert_eq!(chat.port, 9000);
        assert_eq!(
            chat.webhook_secret.map(|s| s.expose().to_string()),
            Some("whsec_x".into())
        );

        let chat = chat_settings(&[("LAYERCODE_WEBHOOK_SECRET", " ")]).expect("valid");
        assert!(chat.webhook_secret.is_none(), "blank counts as unset");
    }

    #[test]
    fn chat_settings_name_a_bad_port() {
        let err = chat_settings(&[("PORT", "eighty")]).expect_err("invalid");
        assert_eq!(err.variable, "PORT");
    }

    const BASE: [(&str, &str); 2] = [
        ("LAYERCODE_WEBHOOK_SECRET", "whsec_x"),
        ("LLM_API_KEY", "sk-test"),
    ];

    #[test]
    fn defaults_apply_when_only_required_values_are_set() {
        let s = settings(&BASE).expect("valid");
        assert_eq!(s.port, 8080);
        assert_eq!(s.host.to_string(), "0.0.0.0");
        assert_eq!(s.llm.upstreams[0].base_url, "https://api.openai.com/v1");
        assert_eq!(s.llm.upstreams[0].model, "gpt-4o-mini");
        assert_eq!(s.system_prompt_file, PathBuf::from("prompts/system.md"));
        assert_eq!(s.welcome_message, "");
        assert_eq!(s.apology_message, DEFAULT_APOLOGY);
        assert_eq!(s.llm.temperature, None);
    }

    #[test]
    fn missing_webhook_secret_refuses_to_start() {
        let err = settings(&[("LLM_API_KEY", "k")]).expect_err("must fail");
        assert_eq!(err.variable, "LAYERCODE_WEBHOOK_SECRET");
    }

    #[test]
    fn unsigned_webhooks_can_be_allowed_explicitly() {
        let s =
            settings(&[("LLM_API_KEY", "k"), ("ALLOW_UNSIGNED_WEBHOOKS", "true")]).expect("valid");
        assert!(s.webhook_secret.is_none());
        let err = settings(&[("LLM_API_KEY", "k"), ("ALLOW_UNSIGNED_WEBHOOKS", "maybe")])
            .expect_err("must fail");
        assert_eq!(err.variable, "ALLOW_UNSIGNED_WEBHOOKS");
    }

    #[test]
    fn openai_api_key_is_a_fallback_and_local_servers_need_no_key() {
        let s = settings(&[
            ("LAYERCODE_WEBHOOK_SECRET", "x"),
            ("OPENAI_API_KEY", "sk-o"),
        ])
        .expect("valid");
        assert_eq!(
            s.llm.upstreams[0].api_key.as_ref().map(Secret::expose),
            Some("sk-o")
        );
        let err = settings(&[("LAYERCODE_WEBHOOK_SECRET", "x")]).expect_err("openai needs a key");
        assert_eq!(err.variable, "LLM_API_KEY");
        let s = settings(&[
            ("LAYERCODE_WEBHOOK_SECRET", "x"),
            ("LLM_BASE_URL", "http://localhost:11434/v1/"),
        ])
        .expect("ollama needs no key");
        assert!(s.llm.upstreams[0].api_key.is_none());
        assert_eq!(s.llm.upstreams[0].base_url, "http://localhost:11434/v1");
    }

    #[test]
    fn invalid_values_name_their_variable() {
        let cases = [
            ("PORT", "eighty"),
            ("HOST", "not-an-ip"),
            ("LLM_BASE_URL", "api.openai.com"),
            ("LLM_TEMPERATURE", "hot"),
            ("LLM_TEMPERATURE", "3.5"),
            ("LLM_MAX_TOKENS", "-1"),
            ("LLM_MAX_TOKENS", "0"),
            ("LLM_IDLE_TIMEOUT_MS", "0"),
            ("LOG_FORMAT", "xml"),
            ("SPEECH_MAX_CHUNK_CHARS", "5"),
            ("SPEECH_MIN_CHUNK_CHARS", "-3"),
            ("SPEECH_IDLE_FLUSH_MS", "0"),
            ("SPEECH_KEEP_EMOJI", "sometimes"),
            ("HISTORY_MAX_MESSAGES", "0"),
            ("HISTORY_MAX_CHARS", "lots"),
            ("SESSION_IDLE_TTL_SECS", "0"),
            ("SESSION_MAX_CONVERSATIONS", "-1"),
            ("LAYERCODE_API_BASE", "api.layercode.com"),
            ("ACCESS_TOKEN", "short"),
            ("AUTHORIZE_RATE_LIMIT_PER_MINUTE", "0"),
            ("SHUTDOWN_GRACE_SECS", "soon"),
            ("SESSION_STORE_URL", "postgres://x"),
        ];
        for (variable, value) in cases {
            let mut pairs = BASE.to_vec();
            pairs.push((variable, value));
            let err = settings(&pairs).expect_err(variable);
            assert_eq!(err.variable, variable, "{variable}={value}");
            assert!(err.to_string().starts_with(variable));
        }
    }

    #[test]
    fn the_example_env_file_is_a_valid_configuration_once_keys_are_filled_in() {
        let example = include_str!("../../.env.example");
        let mut pairs: Vec<(&str, &str)> = example
            .lines()
            .filter(|line| !line.trim_start().starts_with('#'))
            .filter_map(|line| line.split_once('='))
            .collect();
        pairs.extend([
            ("LAYERCODE_WEBHOOK_SECRET", "whsec_x"),
            ("LLM_API_KEY", "sk-x"),
        ]);
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let settings = Settings::from_lookup(|name| map.get(name).cloned()).expect("valid");
        assert_eq!(settings.port, 8080);
        assert_eq!(settings.llm.upstreams.len(), 1);
    }

    #[test]
    fn store_urls_lose_their_credentials_in_messages() {
        assert_eq!(
            redacted_url("redis://default:hunter2@fly-x.upstash.io:6379/0"),
            "redis://fly-x.upstash.io:6379"
        );
        assert_eq!(
            redacted_url("rediss://127.0.0.1:6380"),
            "rediss://127.0.0.1:6380"
        );
    }

    #[test]
    fn secrets_never_show_in_debug_output() {
        let s = settings(&BASE).expect("valid");
        let debug = format!("{s:?}");
        assert!(!debug.contains("whsec_x"));
        assert!(!debug.contains("sk-test"));
    }
}
