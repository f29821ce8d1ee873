//! The model settings: the primary upstream, its fallbacks, deadlines, retries and the
//! thinking filler.

use std::time::Duration;

use super::parse::{millis, parse_or, parse_value, Get, Problems};
use super::url::base_url;
use super::ConfigError;
use crate::secret::Secret;

/// `LLM_BASE_URL`: OpenAI, the API every compatible server copies.
pub(super) const DEFAULT_LLM_BASE_URL: &str = "https://api.openai.com/v1";

/// Base URLs here need `LLM_API_KEY`: OpenAI refuses requests without one, and saying so
/// at start-up beats a 401 on the first call.
const OPENAI_ORIGIN: &str = "https://api.openai.com";

/// `LLM_MODEL`: fast and cheap, which matters more for speech than the last bit of quality.
const DEFAULT_LLM_MODEL: &str = "gpt-4o-mini";

/// `LLM_MODEL=demo` selects the built-in demo model (`crate::llm::demo`): a canned reply,
/// no key, no network call. For trying voicebridge out, never for production.
pub const DEMO_MODEL: &str = "demo";

/// The base URL the demo model is shown with; no request is ever sent to it.
pub const DEMO_BASE_URL: &str = "builtin://demo";

/// `LLM_TEMPERATURE` must lie within this range (OpenAI's own limits).
const TEMPERATURE_RANGE: std::ops::RangeInclusive<f32> = 0.0..=2.0;

/// `LLM_CONNECT_TIMEOUT_MS`: a healthy server accepts a connection well within this.
const DEFAULT_CONNECT_TIMEOUT_MS: u64 = 3_000;

/// `LLM_FIRST_TOKEN_TIMEOUT_MS`: past this a caller hears silence as a fault, so the next
/// attempt (or upstream) gets its chance.
const DEFAULT_FIRST_TOKEN_TIMEOUT_MS: u64 = 5_000;

/// `LLM_IDLE_TIMEOUT_MS`: longest silence between chunks once the reply has started.
const DEFAULT_IDLE_TIMEOUT_MS: u64 = 10_000;

/// `LLM_TURN_TIMEOUT_MS`: cap on a whole turn, room for a retry and a fallback.
const DEFAULT_TURN_TIMEOUT_MS: u64 = 45_000;

/// `LLM_MAX_RETRIES`: one retry absorbs a transient error without doubling a bad wait.
const DEFAULT_MAX_RETRIES: u32 = 1;

/// `THINKING_FILLER_TEXT`: short, and true whatever the model says next.
const DEFAULT_FILLER_TEXT: &str = "One moment.";

/// One OpenAI-compatible endpoint.
#[derive(Debug, Clone, PartialEq)]
pub struct UpstreamSettings {
    /// Base URL without a trailing slash, e.g. `https://api.openai.com/v1`.
    pub base_url: String,
    /// Bearer key; `None` sends no `Authorization` header (Ollama, local servers).
    pub api_key: Option<Secret>,
    /// Model name sent as `model`.
    pub model: String,
}

impl UpstreamSettings {
    /// The built-in demo model, which needs no key and makes no network call.
    pub fn demo() -> Self {
        Self {
            base_url: DEMO_BASE_URL.to_string(),
            api_key: None,
            model: DEMO_MODEL.to_string(),
        }
    }

    /// Whether this is the built-in demo model rather than a server.
    pub fn is_demo(&self) -> bool {
        self.base_url == DEMO_BASE_URL
    }
}

/// A short phrase spoken when the model is slow to start ("One moment.").
#[derive(Debug, Clone, PartialEq)]
pub struct Filler {
    /// How late the first token must be before the filler is spoken.
    pub after: Duration,
    /// What is said.
    pub text: String,
}

/// Everything needed to talk to the model.
#[derive(Debug, Clone)]
pub struct LlmSettings {
    /// Upstreams in the order they are tried: the primary, then `LLM_FALLBACKS`.
    pub upstreams: Vec<UpstreamSettings>,
    /// Optional sampling temperature.
    pub temperature: Option<f32>,
    /// Optional cap on generated tokens.
    pub max_tokens: Option<u32>,
    /// Deadline for opening a connection to a model server.
    pub connect_timeout: Duration,
    /// Deadline from sending a request to the model's first token.
    pub first_token_timeout: Duration,
    /// Longest silence between chunks once the reply has started.
    pub idle_timeout: Duration,
    /// Cap on a whole turn: every attempt, wait and the streaming itself.
    pub turn_timeout: Duration,
    /// Retries of one upstream before moving to the next.
    pub max_retries: u32,
    /// Spoken when the first token is late; `None` (the default) disables it.
    pub filler: Option<Filler>,
    /// `LLM_PROMPT_CACHE_KEY`: sent as OpenAI's `prompt_cache_key`, so requests that share
    /// a prompt's beginning are routed to the same cache; `None`: not sent.
    pub prompt_cache_key: Option<String>,
}

/// Reads the model settings.
pub(super) fn llm_settings(get: &Get) -> Result<LlmSettings, ConfigError> {
    let problems = Problems::default();
    let mut upstreams: Vec<UpstreamSettings> = problems.take(primary(get)).into_iter().collect();
    upstreams.extend(problems.value(fallbacks(get)));
    let temperature: Option<f32> = problems.value(
        get("LLM_TEMPERATURE")
            .map(|v| parse_value("LLM_TEMPERATURE", &v))
            .transpose(),
    );
    if temperature.is_some_and(|t| !TEMPERATURE_RANGE.contains(&t)) {
        problems.push(ConfigError::new(
            "LLM_TEMPERATURE",
            format!("must be within {TEMPERATURE_RANGE:?}"),
        ));
    }
    let max_tokens: Option<u32> = problems.value(
        get("LLM_MAX_TOKENS")
            .map(|v| parse_value("LLM_MAX_TOKENS", &v))
            .transpose(),
    );
    if max_tokens == Some(0) {
        problems.push(ConfigError::new("LLM_MAX_TOKENS", "must be at least 1"));
    }
    let ms = |name: &'static str, default: u64| problems.value(millis(name, get(name), default));
    let settings = LlmSettings {
        upstreams,
        temperature,
        max_tokens,
        connect_timeout: ms("LLM_CONNECT_TIMEOUT_MS", DEFAULT_CONNECT_TIMEOUT_MS),
        first_token_timeout: ms("LLM_FIRST_TOKEN_TIMEOUT_MS", DEFAULT_FIRST_TOKEN_TIMEOUT_MS),
        idle_timeout: ms("LLM_IDLE_TIMEOUT_MS", DEFAULT_IDLE_TIMEOUT_MS),
        turn_timeout: ms("LLM_TURN_TIMEOUT_MS", DEFAULT_TURN_TIMEOUT_MS),
        max_retries: problems.value(parse_or(
            "LLM_MAX_RETRIES",
            get("LLM_MAX_RETRIES"),
            DEFAULT_MAX_RETRIES,
        )),
        filler: problems.value(filler(get)),
        prompt_cache_key: get("LLM_PROMPT_CACHE_KEY")
            .map(|k| k.trim().to_string())
            .filter(|k| !k.is_empty()),
    };
    problems.finish()?;
    Ok(settings)
}

/// `THINKING_FILLER_AFTER_MS` turns the filler on; it has no default.
fn filler(get: &Get) -> Result<Option<Filler>, ConfigError> {
    let Some(raw) = get("THINKING_FILLER_AFTER_MS") else {
        return Ok(None);
    };
    // `raw` is set, so the default is never used.
    let after = millis("THINKING_FILLER_AFTER_MS", Some(raw), 1)?;
    let text = get("THINKING_FILLER_TEXT").unwrap_or_else(|| DEFAULT_FILLER_TEXT.to_string());
    Ok(Some(Filler { after, text }))
}

fn primary(get: &Get) -> Result<UpstreamSettings, ConfigError> {
    let model = get("LLM_MODEL").map_or_else(|| DEFAULT_LLM_MODEL.to_string(), |v| v.trim().into());
    // The demo model ignores LLM_BASE_URL and LLM_API_KEY: it is never a server's.
    if model == DEMO_MODEL {
        return Ok(UpstreamSettings::demo());
    }
    let base_url = base_url(
        "LLM_BASE_URL",
        get("LLM_BASE_URL")
            .as_deref()
            .unwrap_or(DEFAULT_LLM_BASE_URL),
    )?;
    let api_key = get("LLM_API_KEY")
        .or_else(|| get("OPENAI_API_KEY"))
        .map(|v| Secret::new(v.trim()));
    if api_key.is_none() && base_url.starts_with(OPENAI_ORIGIN) {
        return Err(ConfigError::new(
            "LLM_API_KEY",
            "is required for api.openai.com (OPENAI_API_KEY is read as a fallback); \
             leave it empty only for servers without keys, such as Ollama",
        ));
    }
    Ok(UpstreamSettings {
        base_url,
        api_key,
        model,
    })
}

/// `LLM_FALLBACKS`: comma-separated `base_url|model|KEY_VARIABLE` entries, tried in order
/// after the primary. The key is read from the named variable (leave the third field
/// empty for servers without keys), so the list itself holds no secret.
fn fallbacks(get: &Get) -> Result<Vec<UpstreamSettings>, ConfigError> {
    let Some(list) = get("LLM_FALLBACKS") else {
        return Ok(Vec::new());
    };
    let bad = |problem: String| ConfigError::new("LLM_FALLBACKS", problem);
    list.split(',')
        .map(str::trim)
        .filter(|entry| !entry.is_empty())
        .enumerate()
        .map(|(i, entry)| {
            let fields: Vec<&str> = entry.split('|').map(str::trim).collect();
            let [url, model, key_variable] = fields[..] else {
                return Err(bad(format!(
                    "entry {} `{entry}` is not `base_url|model|KEY_VARIABLE`",
                    i + 1
                )));
            };
            if model.is_empty() {
                return Err(bad(format!("entry {} has no model", i + 1)));
            }
            let api_key = match key_variable {
                "" => None,
                name => Some(Secret::new(get(name).ok_or_else(|| {
                    bad(format!("entry {} names {name}, which is not set", i + 1))
                })?)),
            };
            Ok(UpstreamSettings {
                base_url: base_url("LLM_FALLBACKS", url)?,
                api_key,
                model: model.to_string(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn read(pairs: &[(&str, &str)]) -> Result<LlmSettings, ConfigError> {
        let map: HashMap<&str, &str> = pairs.iter().copied().collect();
        llm_settings(&|name| {
            map.get(name)
                .map(|v| v.to_string())
                .filter(|v| !v.is_empty())
        })
    }

    #[test]
    fn fallbacks_follow_the_primary_in_order_with_keys_from_named_variables() {
        let settings = read(&[
            ("LLM_API_KEY", "sk-main"),
            ("LLM_FALLBACKS", "https://api.groq.com/openai/v1|llama-3.1-8b-instant|GROQ_API_KEY, http://localhost:11434/v1/|llama3.2|"),
            ("GROQ_API_KEY", "gsk-x"),
        ])
        .expect("valid");
        let models: Vec<&str> = settings
            .upstreams
            .iter()
            .map(|u| u.model.as_str())
            .collect();
        assert_eq!(models, ["gpt-4o-mini", "llama-3.1-8b-instant", "llama3.2"]);
        assert_eq!(
            settings.upstreams[1].api_key.as_ref().map(Secret::expose),
            Some("gsk-x")
        );
        assert_eq!(settings.upstreams[2].api_key, None);
        assert_eq!(settings.upstreams[2].base_url, "http://localhost:11434/v1");
    }

    #[test]
    fn bad_fallbacks_are_refused_with_the_entry_named() {
        for list in [
            "https://x/v1|m",
            "ftp://x|m|",
            "https://x/v1||",
            "https://x/v1|m|MISSING_KEY",
        ] {
            let err = read(&[("LLM_API_KEY", "k"), ("LLM_FALLBACKS", list)]).expect_err(list);
            assert_eq!(err.variable, "LLM_FALLBACKS", "{list}");
        }
    }

    #[test]
    fn the_demo_model_needs_no_key_and_ignores_the_base_url() {
        let settings = read(&[("LLM_MODEL", "demo")]).expect("no key needed");
        assert_eq!(settings.upstreams, [UpstreamSettings::demo()]);
        assert!(settings.upstreams[0].is_demo());
        let settings = read(&[
            ("LLM_MODEL", " demo "),
            ("LLM_BASE_URL", "http://localhost:11434/v1"),
            ("LLM_API_KEY", "sk-unused"),
        ])
        .expect("valid");
        assert_eq!(settings.upstreams, [UpstreamSettings::demo()]);
        let real = read(&[("LLM_API_KEY", "k")]).expect("valid");
        assert!(!real.upstreams[0].is_demo());
    }

    #[test]
    fn deadlines_have_defaults_and_the_filler_is_off_unless_asked_for() {
        let settings = read(&[("LLM_API_KEY", "k")]).expect("valid");
        assert_eq!(settings.first_token_timeout, Duration::from_secs(5));
        assert_eq!(settings.turn_timeout, Duration::from_secs(45));
        assert_eq!(settings.max_retries, 1);
        assert!(settings.filler.is_none());
        let settings =
            read(&[("LLM_API_KEY", "k"), ("THINKING_FILLER_AFTER_MS", "800")]).expect("valid");
        let filler = settings.filler.expect("filler on");
        assert_eq!(
            (filler.after, filler.text.as_str()),
            (Duration::from_millis(800), "One moment.")
        );
    }
}
