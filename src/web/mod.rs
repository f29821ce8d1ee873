//! The browser side: the voice page, and what guards `/authorize` (the access token and
//! a rate limit per client address). HTTP handling lives in `routes/`.

pub mod access;
pub mod page;
pub mod rate_limit;

use crate::config::WebSettings;
use crate::layercode::LayercodeApi;
use rate_limit::RateLimiter;

/// Everything the page and `/authorize` need, built once.
#[derive(Debug)]
pub struct Web {
    /// The settings.
    pub settings: WebSettings,
    /// Layercode's REST API.
    pub api: LayercodeApi,
    /// `/authorize` calls per client address.
    pub limiter: RateLimiter,
    /// The voice page, rendered with this server's configuration.
    pub page: String,
}

impl Web {
    /// Builds the web side from its settings.
    pub fn new(settings: WebSettings, api: LayercodeApi) -> Self {
        Self {
            limiter: RateLimiter::new(settings.authorize_per_minute),
            page: page::render(settings.agent_id.as_deref()),
            settings,
            api,
        }
    }

    /// True when no access token is configured or `authorization` carries it.
    pub fn grants(&self, authorization: Option<&str>) -> bool {
        self.settings
            .access_token
            .as_ref()
            .is_none_or(|token| access::is_granted(authorization, token.expose()))
    }

    /// The origin to echo in CORS headers, when `origin` is allowed.
    pub fn cors_origin(&self, origin: Option<&str>) -> Option<String> {
        let origin = origin?.trim_end_matches('/');
        self.settings
            .allowed_origins
            .iter()
            .any(|allowed| allowed == "*" || allowed.eq_ignore_ascii_case(origin))
            .then(|| origin.to_string())
    }
}
