//! Settings of the browser side: Layercode's REST API for `/authorize`, who may call it,
//! how often, and the optional access token.

use super::{positive, ConfigError, Secret};

/// Everything `/authorize` and the voice page need.
#[derive(Debug, Clone)]
pub struct WebSettings {
    /// Layercode API key; `None` makes `/authorize` answer 500 saying so.
    pub layercode_api_key: Option<Secret>,
    /// Layercode's REST API base, without a trailing slash.
    pub layercode_api_base: String,
    /// Agent id for the page, and for `/authorize` calls that send none.
    pub agent_id: Option<String>,
    /// Origins allowed to call `/authorize` from other sites (CORS); none by default.
    pub allowed_origins: Vec<String>,
    /// When set, the page and `/authorize` need this token (HTTP Basic password or Bearer).
    pub access_token: Option<Secret>,
    /// `/authorize` calls allowed per client address per minute.
    pub authorize_per_minute: u32,
    /// Request header holding the real client address behind a proxy; empty uses the
    /// peer address.
    pub client_ip_header: Option<String>,
}

pub(super) fn web_settings(
    get: &dyn Fn(&str) -> Option<String>,
) -> Result<WebSettings, ConfigError> {
    let base = get("LAYERCODE_API_BASE").unwrap_or_else(|| "https://api.layercode.com".into());
    let base = base.trim().trim_end_matches('/').to_string();
    if !(base.starts_with("http://") || base.starts_with("https://")) {
        return Err(ConfigError::new(
            "LAYERCODE_API_BASE",
            format!("`{base}` must start with http:// or https://"),
        ));
    }
    let allowed_origins = get("ALLOWED_ORIGINS")
        .map(|list| {
            list.split(',')
                .map(|o| o.trim().trim_end_matches('/').to_string())
                .filter(|o| !o.is_empty())
                .collect()
        })
        .unwrap_or_default();
    let access_token = get("ACCESS_TOKEN").map(|t| Secret::new(t.trim()));
    if access_token.as_ref().is_some_and(|t| t.expose().len() < 8) {
        return Err(ConfigError::new(
            "ACCESS_TOKEN",
            "must be at least 8 characters",
        ));
    }
    Ok(WebSettings {
        layercode_api_key: get("LAYERCODE_API_KEY").map(|k| Secret::new(k.trim())),
        layercode_api_base: base,
        agent_id: get("LAYERCODE_AGENT_ID").map(|a| a.trim().to_string()),
        allowed_origins,
        access_token,
        authorize_per_minute: positive(
            "AUTHORIZE_RATE_LIMIT_PER_MINUTE",
            get("AUTHORIZE_RATE_LIMIT_PER_MINUTE"),
            10,
        )?,
        client_ip_header: match get("CLIENT_IP_HEADER") {
            Some(name) if name.trim() == "none" => None,
            Some(name) => Some(name.trim().to_string()),
            None => Some("Fly-Client-IP".to_string()),
        },
    })
}
