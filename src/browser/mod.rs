//! The browser side: the voice page, the calls pages' files and headers, and what guards
//! `/authorize` (the access token, a rate limit per client address, and the session the
//! server asks Layercode for). HTTP handling lives in `routes/`.

pub mod access;
pub mod calls_page;
pub mod page;
pub mod rate_limit;
pub mod resume;
pub mod session_request;

use crate::config::WebSettings;
use crate::layercode::LayercodeApi;
use rate_limit::RateLimiter;
use resume::ResumeTokens;

/// Everything the page and `/authorize` need, built once.
#[derive(Debug)]
pub struct Web {
    /// The settings.
    pub settings: WebSettings,
    /// Layercode's REST API.
    pub api: LayercodeApi,
    /// `/authorize` calls per client address.
    pub limiter: RateLimiter,
    /// Resume tokens, keyed by Layercode's API key; `None` without one.
    pub resume: Option<ResumeTokens>,
    /// The voice page, rendered with this server's configuration.
    pub page: String,
    /// The page's Content-Security-Policy.
    pub page_policy: String,
    /// Every agent the page can talk to.
    pub agents: Vec<page::PageAgent>,
    /// The agent the page starts with, and `/authorize` fills in without `?agent=`.
    pub default_agent: String,
}

impl Web {
    /// Builds the web side from its settings and the agents it serves.
    pub fn new(
        settings: WebSettings,
        api: LayercodeApi,
        agents: Vec<page::PageAgent>,
        default_agent: String,
    ) -> Self {
        Self {
            limiter: RateLimiter::new(settings.authorize_per_minute),
            resume: settings.layercode_api_key.as_ref().map(ResumeTokens::new),
            page: page::render(
                &agents,
                &default_agent,
                settings.layercode_api_key.is_some(),
            ),
            page_policy: page::content_security_policy(),
            settings,
            api,
            agents,
            default_agent,
        }
    }

    /// The named agent (the default one for `None`), when there is one: its Layercode
    /// agent id, if configured.
    pub fn layercode_agent_id(&self, name: Option<&str>) -> Option<Option<&str>> {
        let name = name.unwrap_or(&self.default_agent);
        self.agents
            .iter()
            .find(|a| a.name == name)
            .map(|a| a.agent_id.as_deref())
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
