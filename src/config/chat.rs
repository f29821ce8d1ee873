//! What `voicebridge chat` reads: the local port and the signing secret, without the rest
//! of the configuration.

use super::parse::parse_or;
use super::server::DEFAULT_PORT;
use super::ConfigError;
use crate::secret::Secret;

/// What `voicebridge chat` needs: where the local server listens and the secret to sign
/// with. Read without the rest of the configuration, so it works against a deployed
/// server from a machine that has no model key.
#[derive(Debug, Clone)]
pub struct ChatSettings {
    /// `PORT`, for the default URL.
    pub port: u16,
    /// `LAYERCODE_WEBHOOK_SECRET`, when set.
    pub webhook_secret: Option<Secret>,
    /// The first of `OPENAI_DOOR_KEYS`, for `chat --openai`.
    pub openai_key: Option<Secret>,
    /// The first of `RETELL_KEYS`, for `chat --retell`.
    pub retell_key: Option<Secret>,
}

impl ChatSettings {
    /// Reads the chat settings from the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the chat settings through `lookup`, like [`super::Settings::from_lookup`],
    /// so tests pass a map. Empty values count as unset.
    pub fn from_lookup<F>(lookup: F) -> Result<Self, ConfigError>
    where
        F: Fn(&str) -> Option<String>,
    {
        let get = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        Ok(Self {
            port: parse_or("PORT", get("PORT"), DEFAULT_PORT)?,
            webhook_secret: get("LAYERCODE_WEBHOOK_SECRET").map(Secret::new),
            openai_key: get("OPENAI_DOOR_KEYS").and_then(|keys| first(&keys)),
            retell_key: get("RETELL_KEYS").and_then(|keys| first(&keys)),
        })
    }
}

/// The first of comma-separated keys.
fn first(keys: &str) -> Option<Secret> {
    keys.split(',')
        .map(str::trim)
        .find(|key| !key.is_empty())
        .map(Secret::new)
}
