//! Settings of the browser side: Layercode's REST API for `/authorize`, who may call it,
//! how often, and the optional access token.

use super::parse::{positive, Get, Problems};
use super::url::base_url;
use super::ConfigError;
use crate::secret::Secret;

/// `LAYERCODE_API_BASE`: Layercode's production API.
const DEFAULT_LAYERCODE_API_BASE: &str = "https://api.layercode.com";

/// Shortest `ACCESS_TOKEN`: anything shorter is guessable by trying.
const MIN_ACCESS_TOKEN_CHARS: usize = 8;

/// `AUTHORIZE_RATE_LIMIT_PER_MINUTE`: a person starts a handful of calls a minute at most;
/// each `/authorize` costs a Layercode session.
const DEFAULT_AUTHORIZE_PER_MINUTE: u32 = 10;

/// Where Fly's proxy puts the caller's address; trusted by default only when `FLY_APP_NAME`
/// says the server runs on Fly (anywhere else a client could send it and pick its bucket).
const FLY_CLIENT_IP_HEADER: &str = "Fly-Client-IP";

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
    /// Request header holding the real client address behind a proxy (its last
    /// comma-separated address counts); `None` uses the peer address.
    pub client_ip_header: Option<String>,
}

/// Reads the settings of `/authorize` and the voice page.
pub(super) fn web_settings(get: &Get) -> Result<WebSettings, ConfigError> {
    let problems = Problems::default();
    let base = get("LAYERCODE_API_BASE");
    let base = problems.value(base_url(
        "LAYERCODE_API_BASE",
        base.as_deref().unwrap_or(DEFAULT_LAYERCODE_API_BASE),
    ));
    let allowed_origins = get("ALLOWED_ORIGINS")
        .map(|list| {
            list.split(',')
                .map(|o| o.trim().trim_end_matches('/').to_string())
                .filter(|o| !o.is_empty())
                .collect()
        })
        .unwrap_or_default();
    let access_token = get("ACCESS_TOKEN").map(|t| Secret::new(t.trim()));
    if access_token
        .as_ref()
        .is_some_and(|t| t.expose().len() < MIN_ACCESS_TOKEN_CHARS)
    {
        problems.push(ConfigError::new(
            "ACCESS_TOKEN",
            format!("must be at least {MIN_ACCESS_TOKEN_CHARS} characters"),
        ));
    }
    let settings = WebSettings {
        layercode_api_key: get("LAYERCODE_API_KEY").map(|k| Secret::new(k.trim())),
        layercode_api_base: base,
        agent_id: get("LAYERCODE_AGENT_ID").map(|a| a.trim().to_string()),
        allowed_origins,
        access_token,
        authorize_per_minute: problems.value(positive(
            "AUTHORIZE_RATE_LIMIT_PER_MINUTE",
            get("AUTHORIZE_RATE_LIMIT_PER_MINUTE"),
            DEFAULT_AUTHORIZE_PER_MINUTE,
        )),
        client_ip_header: problems.value(client_ip_header(
            get("CLIENT_IP_HEADER"),
            get("FLY_APP_NAME"),
        )),
    };
    problems.finish()?;
    Ok(settings)
}

/// `CLIENT_IP_HEADER` when set (`none` is the peer address); otherwise `Fly-Client-IP` on
/// Fly (`FLY_APP_NAME` is set there) and the peer address anywhere else.
fn client_ip_header(
    configured: Option<String>,
    fly_app: Option<String>,
) -> Result<Option<String>, ConfigError> {
    let Some(name) = configured.map(|n| n.trim().to_string()) else {
        return Ok(fly_app.map(|_| FLY_CLIENT_IP_HEADER.to_string()));
    };
    if name.eq_ignore_ascii_case("none") {
        return Ok(None);
    }
    let token = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c);
    if !name.chars().all(token) {
        return Err(ConfigError::new(
            "CLIENT_IP_HEADER",
            format!("`{name}` is not a header name (or `none`)"),
        ));
    }
    Ok(Some(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_client_address_header_is_trusted_only_when_configured_or_on_fly() {
        let some = |s: &str| Some(s.to_string());
        let cases = [
            (None, None, None),
            (None, some("my-app"), some("Fly-Client-IP")),
            (some("X-Forwarded-For"), None, some("X-Forwarded-For")),
            (some("X-Real-IP"), some("my-app"), some("X-Real-IP")),
            (some("none"), some("my-app"), None),
        ];
        for (configured, fly, expected) in cases {
            let chosen = client_ip_header(configured.clone(), fly.clone());
            assert_eq!(chosen, Ok(expected), "{configured:?} {fly:?}");
        }
        assert!(client_ip_header(some("X Forwarded: For"), None).is_err());
    }
}
