//! The OpenAI door's settings of one agent: the keys that open it, what becomes of the
//! platform's system message, and whether replies go out in spoken form. The agent from
//! the environment reads `OPENAI_DOOR_KEYS` (comma-separated), `OPENAI_PLATFORM_PROMPT`
//! and `OPENAI_SPOKEN_FORM`; an agent file sets `openai_keys` (a list), `platform_prompt`
//! and `openai_spoken_form`, and the default agent's file falls back to
//! `OPENAI_DOOR_KEYS` when it sets no keys. No key, no door: its routes answer `404`
//! saying how to open it.

use super::parse::{parse_bool, Get};
use super::ConfigError;
use crate::completions::PlatformPrompt;
use crate::secret::Secret;

/// The shortest key accepted: a key is a password a platform sends on every request.
pub const MIN_KEY_LEN: usize = 16;

/// One agent's OpenAI door.
#[derive(Debug, Clone, Default)]
pub struct DoorConfig {
    /// Keys that open the door (`Authorization: Bearer <key>`); none: the door is closed.
    pub keys: Vec<Secret>,
    /// What becomes of the platform's system message.
    pub platform_prompt: PlatformPrompt,
    /// Replies in sentences, in spoken form.
    pub spoken_form: bool,
}

/// Keys as `OPENAI_DOOR_KEYS` writes them: comma-separated, blanks ignored.
pub(super) fn split_keys(variable: &'static str, text: &str) -> Result<Vec<Secret>, ConfigError> {
    text.split(',')
        .map(str::trim)
        .filter(|key| !key.is_empty())
        .map(|key| check_key(variable, key))
        .collect()
}

/// A key, refused when shorter than [`MIN_KEY_LEN`] (without showing it).
pub(super) fn check_key(variable: &'static str, key: &str) -> Result<Secret, ConfigError> {
    if key.chars().count() < MIN_KEY_LEN {
        return Err(ConfigError::new(
            variable,
            format!("a key must be at least {MIN_KEY_LEN} characters (a random one: openssl rand -hex 24)"),
        ));
    }
    Ok(Secret::new(key.to_string()))
}

/// The door's settings but its keys, from `get` (the environment, or an agent file's
/// values layered over it).
pub(super) fn door_config(get: &Get, keys: Vec<Secret>) -> Result<DoorConfig, ConfigError> {
    let platform_prompt = match get("OPENAI_PLATFORM_PROMPT") {
        None => PlatformPrompt::default(),
        Some(text) => PlatformPrompt::parse(&text).ok_or_else(|| {
            ConfigError::new(
                "OPENAI_PLATFORM_PROMPT",
                format!("`{text}` is not one of append, keep, replace"),
            )
        })?,
    };
    let spoken_form = match get("OPENAI_SPOKEN_FORM") {
        None => false,
        raw => parse_bool("OPENAI_SPOKEN_FORM", raw)?,
    };
    Ok(DoorConfig {
        keys,
        platform_prompt,
        spoken_form,
    })
}

/// The environment's agent's door.
pub(super) fn door_from_env(get: &Get) -> Result<DoorConfig, ConfigError> {
    let keys = match get("OPENAI_DOOR_KEYS") {
        None => Vec::new(),
        Some(text) => split_keys("OPENAI_DOOR_KEYS", &text)?,
    };
    door_config(get, keys)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(pairs: &[(&str, &str)]) -> Result<DoorConfig, ConfigError> {
        let get = |name: &str| {
            pairs
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.to_string())
        };
        door_from_env(&get)
    }

    #[test]
    fn keys_open_the_door_and_the_rest_has_defaults() {
        let closed = read(&[]).expect("valid");
        assert!(closed.keys.is_empty());
        assert_eq!(closed.platform_prompt, PlatformPrompt::Append);
        assert!(!closed.spoken_form);
        let open = read(&[
            (
                "OPENAI_DOOR_KEYS",
                " vapi-key-0123456789, ,eleven-key-0123456789 ",
            ),
            ("OPENAI_PLATFORM_PROMPT", "keep"),
            ("OPENAI_SPOKEN_FORM", "true"),
        ])
        .expect("valid");
        let keys: Vec<&str> = open.keys.iter().map(Secret::expose).collect();
        assert_eq!(keys, ["vapi-key-0123456789", "eleven-key-0123456789"]);
        assert_eq!(open.platform_prompt, PlatformPrompt::Keep);
        assert!(open.spoken_form);
    }

    #[test]
    fn a_short_key_or_an_unknown_mode_is_refused_without_showing_the_key() {
        let short = read(&[("OPENAI_DOOR_KEYS", "abc123")]).expect_err("refused");
        assert_eq!(short.variable, "OPENAI_DOOR_KEYS");
        assert!(!short.problem.contains("abc123"), "{}", short.problem);
        let mode = read(&[("OPENAI_PLATFORM_PROMPT", "merge")]).expect_err("refused");
        assert!(mode.problem.contains("append, keep, replace"));
    }
}
