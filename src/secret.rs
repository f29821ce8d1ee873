//! Keeping secrets out of text: [`Secret`], a configured value (key, token,
//! password-bearing URL) that never shows in logs, errors or `Debug` output, and the URL
//! redaction used wherever an address or a client library's error is logged or shown.

use std::fmt;

/// A value that must never appear in logs, errors or `Debug` output.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret itself; call only where it is used (signing, an auth header).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([redacted])")
    }
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
    fn store_urls_lose_their_credentials_in_messages() {
        assert_eq!(
            redacted_url("redis://default:hunter2@fly-x.upstash.io:6379/0"),
            "redis://fly-x.upstash.io:6379"
        );
        assert_eq!(
            redacted_url("rediss://127.0.0.1:6380"),
            "rediss://127.0.0.1:6380"
        );
    }
}
