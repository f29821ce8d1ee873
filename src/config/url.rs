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

/// The host part of a store URL, without credentials, for messages and logs.
pub fn redacted_url(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("redis", url));
    let host = rest.rsplit_once('@').map_or(rest, |(_, host)| host);
    format!("{scheme}://{}", host.split('/').next().unwrap_or(host))
}

/// `url` without what may hold a secret: no user or password, no query or fragment; the
/// path stays (it tells one endpoint of a host from another).
pub fn shown_url(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
    let rest = rest.split(['?', '#']).next().unwrap_or(rest);
    let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
    let host = authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host);
    let path = if path.is_empty() {
        String::new()
    } else {
        format!("/{path}")
    };
    if scheme.is_empty() {
        format!("{host}{path}")
    } else {
        format!("{scheme}://{host}{path}")
    }
}

/// `text` (an error message) with every `http://` or `https://` URL in it shown as
/// [`shown_url`] does: a client library's error may quote the URL it was sent to, with
/// a key in its query. A URL runs to the next whitespace or `"` (punctuation such as `,`
/// or `)` may stand inside a query or a password); closing punctuation at its very end
/// stays outside it.
pub fn scrub_urls(text: &str) -> String {
    let next = |s: &str| {
        [s.find("http://"), s.find("https://")]
            .into_iter()
            .flatten()
            .min()
    };
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = next(rest) {
        out.push_str(&rest[..start]);
        let url = &rest[start..];
        let end = url
            .find(|c: char| c.is_whitespace() || c == '"')
            .unwrap_or(url.len());
        let token = &url[..end];
        let bare = token.trim_end_matches([')', ',', '.', ';', '\'', '>', ']']);
        out.push_str(&shown_url(bare));
        out.push_str(&token[bare.len()..]);
        rest = &url[end..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_inside_a_message_lose_their_credentials_and_query() {
        assert_eq!(
            scrub_urls(
                "HTTP status client error (403 Forbidden) for url \
                 (https://mcp.example.com/mcp?api_key=s3cr3t)"
            ),
            "HTTP status client error (403 Forbidden) for url (https://mcp.example.com/mcp)"
        );
        assert_eq!(
            scrub_urls("a http://u:p@h/x?k=1, then https://h2/y#f end"),
            "a http://h/x, then https://h2/y end"
        );
        assert_eq!(scrub_urls("no address here"), "no address here");
        // Punctuation inside a query or a password does not end the URL early.
        assert_eq!(
            scrub_urls("url (https://h/mcp?scopes=a,b&api_key=s3cr3t)"),
            "url (https://h/mcp)"
        );
        assert_eq!(scrub_urls("https://user:pa,ss@h/mcp"), "https://h/mcp");
        assert_eq!(scrub_urls("at \"https://h/x?k=1\"."), "at \"https://h/x\".");
    }

    #[test]
    fn a_shown_url_keeps_the_path_and_drops_credentials_and_query() {
        let cases = [
            ("https://mcp.example.com/mcp", "https://mcp.example.com/mcp"),
            (
                "https://u:p@mcp.example.com/a/b?key=s#x",
                "https://mcp.example.com/a/b",
            ),
            ("http://127.0.0.1:8000", "http://127.0.0.1:8000"),
            ("https://h/${TOKEN}/mcp", "https://h/${TOKEN}/mcp"),
        ];
        for (url, shown) in cases {
            assert_eq!(shown_url(url), shown, "{url}");
        }
    }

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
