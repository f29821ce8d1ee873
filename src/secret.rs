//! Keeping secrets out of text: [`Secret`], a configured value (key, token,
//! password-bearing URL) that never shows in logs, errors or `Debug` output, the URL
//! redaction used wherever an address or a client library's error is logged or shown, and
//! [`redact_then_cut`], which every tool path uses on what an endpoint or server answers.

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

    /// Whether `presented` is this secret, compared in constant time (for its length).
    pub fn matches(&self, presented: &str) -> bool {
        constant_time_eq(presented.as_bytes(), self.0.as_bytes())
    }
}

/// Whether `a` and `b` are equal, taking the same time whichever byte differs.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

/// What stands in the text for a redacted secret.
pub const REDACTED: &str = "[redacted]";

/// The shortest configured value that is redacted from what a tool or an MCP server
/// answers: shorter ones (`true`, `v2`, an id) are too likely to be ordinary text.
pub const MIN_SECRET_LEN: usize = 8;

/// The shortest beginning of a secret masked where a cut left it at the end of the text.
const MIN_SECRET_PREFIX_CHARS: usize = 4;

/// `text` with every one of `secrets` replaced by [`REDACTED`] (longest first, so a secret
/// that holds another is redacted whole), then cut to `max_chars` characters. The redaction
/// runs over the whole text before the cut, so a cut never splits a secret that would have
/// been found. When the text ends at a cut (made here, or before: `already_cut`, e.g. a
/// body read up to a byte cap), a beginning of a secret of 4 characters or more left at
/// its end is replaced by [`REDACTED`] as well. Returns the text and whether it was cut
/// here; the caller says so in its own words.
pub fn redact_then_cut(
    text: &str,
    secrets: &[&str],
    max_chars: usize,
    already_cut: bool,
) -> (String, bool) {
    let mut secrets: Vec<&str> = secrets.iter().copied().filter(|s| !s.is_empty()).collect();
    secrets.sort_by_key(|secret| std::cmp::Reverse(secret.len()));
    let mut text = text.to_string();
    for secret in &secrets {
        if text.contains(secret) {
            text = text.replace(secret, REDACTED);
        }
    }
    let cut_here = match text.char_indices().nth(max_chars) {
        Some((end, _)) => {
            text.truncate(end);
            true
        }
        None => false,
    };
    if cut_here || already_cut {
        // A byte cap may have split a character: what is left of it is no text.
        let kept = text.trim_end_matches(char::REPLACEMENT_CHARACTER).len();
        text.truncate(kept);
        mask_cut_secret(&mut text, &secrets);
    }
    (text, cut_here)
}

/// Replaces the longest beginning (4 characters or more, not all of it) of any of
/// `secrets` that `text` ends with by [`REDACTED`].
fn mask_cut_secret(text: &mut String, secrets: &[&str]) {
    let longest = secrets
        .iter()
        .flat_map(|secret| {
            secret
                .char_indices()
                .skip(MIN_SECRET_PREFIX_CHARS)
                .map(move |(end, _)| &secret[..end])
        })
        .filter(|prefix| text.ends_with(prefix))
        .map(str::len)
        .max();
    if let Some(len) = longest {
        text.truncate(text.len() - len);
        text.push_str(REDACTED);
    }
}

/// `url` without what may hold a secret, for messages, logs and `check`: no user or
/// password, no query or fragment; the path stays (a model URL without its `/v1`, or an
/// SQLite file's name, must be visible). Everything up to the last `@` goes, so a password
/// with an unescaped `/` in it is not shown either.
pub fn shown_url(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
    let rest = rest.split(['?', '#']).next().unwrap_or(rest);
    let rest = rest.rsplit_once('@').map_or(rest, |(_, after)| after);
    if scheme.is_empty() {
        rest.to_string()
    } else {
        format!("{scheme}://{rest}")
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

    const KEY: &str = "sk-live-0123456789abcdefghij";

    #[test]
    fn a_secret_straddling_the_cut_is_redacted_whole_before_the_cut() {
        let padded = format!("{}{KEY} and more", "x".repeat(20));
        let after = format!("{REDACTED} and more");
        for kept in 0..after.len() {
            let (text, cut) = redact_then_cut(&padded, &[KEY], 20 + kept, false);
            assert!(cut);
            let visible = text
                .strip_prefix(&"x".repeat(20))
                .expect("the padding stays");
            assert_eq!(visible, &after[..kept], "{kept} kept");
        }
    }

    #[test]
    fn a_text_cut_before_is_masked_at_its_end_and_an_uncut_one_is_not() {
        let capped = format!("error: {}", &KEY[..10]);
        let (text, cut) = redact_then_cut(&capped, &[KEY], 100, true);
        assert_eq!((text.as_str(), cut), ("error: [redacted]", false));
        let (text, _) = redact_then_cut(&format!("got {}\u{FFFD}", &KEY[..6]), &[KEY], 100, true);
        assert_eq!(text, "got [redacted]", "a split character is dropped first");
        let whole = format!("the prefix {} is public", &KEY[..7]);
        assert_eq!(redact_then_cut(&whole, &[KEY], 100, false).0, whole);
        let ends = format!("ends with {}", &KEY[..7]);
        assert_eq!(
            redact_then_cut(&ends, &[KEY], 100, false).0,
            ends,
            "not cut"
        );
    }

    #[test]
    fn the_longest_secret_is_redacted_whole() {
        let bearer = format!("Bearer {KEY}");
        let (text, _) =
            redact_then_cut(&format!("a {bearer} b {KEY}"), &[KEY, &bearer], 100, false);
        assert_eq!(text, "a [redacted] b [redacted]");
    }

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
    fn store_urls_lose_their_credentials_and_keep_their_path() {
        let cases = [
            (
                "redis://default:hunter2@fly-x.upstash.io:6379/0",
                "redis://fly-x.upstash.io:6379/0",
            ),
            ("rediss://127.0.0.1:6380", "rediss://127.0.0.1:6380"),
            ("redis://:pa/ss@host:6379", "redis://host:6379"),
            ("sqlite://data/calls.db", "sqlite://data/calls.db"),
            ("sqlite:///var/lib/calls.db", "sqlite:///var/lib/calls.db"),
            (
                "postgres://app:pw@db:5432/calls?sslmode=require",
                "postgres://db:5432/calls",
            ),
            ("https://api.openai.com/v1", "https://api.openai.com/v1"),
        ];
        for (url, shown) in cases {
            assert_eq!(shown_url(url), shown, "{url}");
        }
    }
}
