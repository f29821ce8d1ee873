//! The OpenAI door's settings of one agent: the keys that open it, what becomes of the
//! platform's system message, and whether replies go out in spoken form. The agent from
//! the environment reads `OPENAI_DOOR_KEYS` (comma-separated), `OPENAI_PLATFORM_PROMPT`
//! and `OPENAI_SPOKEN_FORM`; an agent file sets `openai_keys` (a list), `platform_prompt`
//! and `openai_spoken_form`, and the default agent's file falls back to
//! `OPENAI_DOOR_KEYS` when it sets no keys. No key, no door: its routes answer `404`
//! saying how to open it.

use std::path::Path;

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
    /// Keys that open the agent's Retell WebSocket (`/retell/<agent>/<key>/<call id>`);
    /// none: closed.
    pub retell_keys: Vec<Secret>,
    /// Numbers a Retell call may be transferred to (`transfer_call`).
    pub transfer_numbers: Vec<String>,
    /// The secret of Vapi's custom knowledge base (`/vapi/knowledge-base/<agent>`);
    /// none: that route is closed.
    pub vapi_secret: Option<Secret>,
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
    let vapi_secret = match get("VAPI_SECRET").filter(|s| !s.trim().is_empty()) {
        None => None,
        Some(secret) => Some(check_key("VAPI_SECRET", secret.trim())?),
    };
    Ok(DoorConfig {
        keys,
        platform_prompt,
        spoken_form,
        retell_keys: Vec::new(),
        transfer_numbers: Vec::new(),
        vapi_secret,
    })
}

/// Phone numbers as `RETELL_TRANSFER_NUMBERS` writes them: comma-separated, each `+`
/// and 6 to 15 digits.
pub(super) fn split_numbers(
    variable: &'static str,
    text: &str,
) -> Result<Vec<String>, ConfigError> {
    text.split(',')
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(|n| check_number(variable, n))
        .collect()
}

/// A number a call may be transferred to: `+` and 6 to 15 digits.
pub(super) fn check_number(variable: &'static str, number: &str) -> Result<String, ConfigError> {
    let digits = number.strip_prefix('+').unwrap_or_default();
    if (6..=15).contains(&digits.len()) && digits.chars().all(|c| c.is_ascii_digit()) {
        Ok(number.to_string())
    } else {
        Err(ConfigError::new(
            variable,
            format!("`{number}` is not a phone number in international form (+15550123)"),
        ))
    }
}

/// The environment's agent's door.
pub(super) fn door_from_env(get: &Get) -> Result<DoorConfig, ConfigError> {
    let keys = match get("OPENAI_DOOR_KEYS") {
        None => Vec::new(),
        Some(text) => split_keys("OPENAI_DOOR_KEYS", &text)?,
    };
    let mut door = door_config(get, keys)?;
    if let Some(text) = get("RETELL_KEYS") {
        door.retell_keys = split_keys("RETELL_KEYS", &text)?;
    }
    if let Some(text) = get("RETELL_TRANSFER_NUMBERS") {
        door.transfer_numbers = split_numbers("RETELL_TRANSFER_NUMBERS", &text)?;
    }
    Ok(door)
}

/// An agent file's door settings (read by `AgentFiles::parse`).
impl super::agents::AgentFiles {
    /// The agent file's doors: `openai_keys` (each `${VAR}` resolved), then
    /// `platform_prompt` and `openai_spoken_form` over the environment's; `retell_keys`
    /// and `transfer_numbers`.
    pub(super) fn door(
        &self,
        path: &Path,
        table: &toml::Table,
        layered: &dyn Fn(&str) -> Option<String>,
    ) -> Result<super::DoorConfig, ConfigError> {
        let keys = self.list(path, table, "openai_keys", |key| {
            check_key("AGENTS_DIR", key).map_err(|e| e.problem)
        })?;
        let mut door = door_config(layered, keys).map_err(|e| {
            let field = super::agents::OVERRIDES
                .iter()
                .find(|(_, v)| *v == e.variable)
                .map_or(e.variable, |(k, _)| k);
            super::agents::file_error(path, field, e.problem)
        })?;
        door.retell_keys = self.list(path, table, "retell_keys", |key| {
            check_key("AGENTS_DIR", key).map_err(|e| e.problem)
        })?;
        door.transfer_numbers = self.list(path, table, "transfer_numbers", |number| {
            check_number("AGENTS_DIR", number).map_err(|e| e.problem)
        })?;
        Ok(door)
    }

    /// A list of strings in field `field` (each `${VAR}` resolved), each checked.
    fn list<T>(
        &self,
        path: &Path,
        table: &toml::Table,
        field: &str,
        check: impl Fn(&str) -> Result<T, String>,
    ) -> Result<Vec<T>, ConfigError> {
        match table.get(field) {
            None => Ok(Vec::new()),
            Some(toml::Value::Array(items)) => items
                .iter()
                .map(|item| {
                    let toml::Value::String(text) = item else {
                        return Err(super::agents::file_error(
                            path,
                            field,
                            "must be a list of strings",
                        ));
                    };
                    let value = crate::toml_file::resolve_env(text, &|var| self.vars.get(var))
                        .map_err(|problem| super::agents::file_error(path, field, problem))?;
                    check(&value).map_err(|problem| super::agents::file_error(path, field, problem))
                })
                .collect(),
            Some(_) => Err(super::agents::file_error(
                path,
                field,
                "must be a list of strings",
            )),
        }
    }
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

    #[test]
    fn retell_keys_and_transfer_numbers_are_read_and_checked() {
        let door = read(&[
            ("RETELL_KEYS", "retell-key-0123456789"),
            ("RETELL_TRANSFER_NUMBERS", "+15550123, +442071838750"),
        ])
        .expect("valid");
        assert_eq!(door.retell_keys.len(), 1);
        assert_eq!(door.transfer_numbers, ["+15550123", "+442071838750"]);
        for bad in ["5550123", "+1", "+1555-0123", "+1234567890123456"] {
            let refused = read(&[("RETELL_TRANSFER_NUMBERS", bad)]).expect_err(bad);
            assert_eq!(refused.variable, "RETELL_TRANSFER_NUMBERS");
        }
    }
}
