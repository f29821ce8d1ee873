//! The one URL check every variable goes through (model servers, Layercode's API, the
//! session store), and the redaction of store URLs for messages and logs.

use super::ConfigError;

/// Schemes of an HTTP API: model servers and Layercode's REST API.
pub(super) const HTTP_SCHEMES: &[&str] = &["http", "https"];

/// Schemes of a Redis server: plain and TLS.
pub(super) const REDIS_SCHEMES: &[&str] = &["redis", "rediss"];

/// Whether an error may quote the rejected value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Quote {
    /// Quote it: the value holds no secret, and seeing it helps (which fallback entry).
    Value,
    /// Never quote it: the URL may carry a password (`redis://user:pass@host`).
    Never,
}

/// `url` if it starts with `<scheme>://` for one of `schemes`; otherwise an error naming
/// `variable` and listing the schemes, e.g. "must start with http:// or https://".
/// The caller trims the value first (and drops a trailing `/` where that matters).
pub(super) fn checked_url(
    variable: &'static str,
    url: &str,
    schemes: &[&str],
    quote: Quote,
) -> Result<String, ConfigError> {
    let allowed = |scheme: &&str| {
        url.strip_prefix(scheme)
            .is_some_and(|rest| rest.starts_with("://"))
    };
    if schemes.iter().any(allowed) {
        return Ok(url.to_string());
    }
    let schemes: Vec<String> = schemes.iter().map(|s| format!("{s}://")).collect();
    let rule = format!("must start with {}", schemes.join(" or "));
    Err(ConfigError::new(
        variable,
        match quote {
            Quote::Value => format!("`{url}` {rule}"),
            Quote::Never => rule,
        },
    ))
}

/// An HTTP base URL: trimmed, without trailing slashes, and `http://` or `https://`.
pub(super) fn base_url(variable: &'static str, raw: &str) -> Result<String, ConfigError> {
    let url = raw.trim().trim_end_matches('/');
    checked_url(variable, url, HTTP_SCHEMES, Quote::Value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_pass_only_with_an_allowed_scheme() {
        let cases = [
            ("https://api.openai.com/v1", HTTP_SCHEMES, true),
            ("http://localhost:11434/v1", HTTP_SCHEMES, true),
            ("api.openai.com", HTTP_SCHEMES, false),
            ("ftp://x", HTTP_SCHEMES, false),
            ("http:", HTTP_SCHEMES, false),
            ("httpss://x", HTTP_SCHEMES, false),
            ("redis://127.0.0.1:6379", REDIS_SCHEMES, true),
            ("rediss://x:6380", REDIS_SCHEMES, true),
            ("postgres://x", REDIS_SCHEMES, false),
            ("https://x", REDIS_SCHEMES, false),
        ];
        for (url, schemes, ok) in cases {
            let result = checked_url("VAR", url, schemes, Quote::Value);
            assert_eq!(result.is_ok(), ok, "{url}");
        }
    }

    #[test]
    fn rejected_urls_are_quoted_only_when_allowed() {
        let err = checked_url("LLM_BASE_URL", "x.com", HTTP_SCHEMES, Quote::Value)
            .expect_err("no scheme");
        assert_eq!(err.problem, "`x.com` must start with http:// or https://");
        let err = checked_url(
            "SESSION_STORE_URL",
            "pg://u:pw@x",
            REDIS_SCHEMES,
            Quote::Never,
        )
        .expect_err("wrong scheme");
        assert_eq!(err.problem, "must start with redis:// or rediss://");
    }
}
