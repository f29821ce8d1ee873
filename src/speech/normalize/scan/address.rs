//! Addresses: URLs, bare domains and e-mail addresses, said with "dot", "slash" and "at".

use super::{Cx, Step};

/// Top-level domains recognised in a bare domain ("example.com"), so that "end.Next" is no
/// address. Lowercase only, and none that is also a short English word ("it", "at", "me").
const TLDS: &[&str] = &[
    "com", "org", "net", "io", "ai", "dev", "app", "co", "uk", "de", "fr", "es", "eu", "info",
    "biz", "ch", "nl", "tv", "gov", "edu",
];

impl Cx<'_> {
    /// The end of an address-like token at `i` (up to whitespace), without trailing
    /// punctuation.
    fn token_end(&self, i: usize) -> usize {
        let rest = self.rest(i);
        let raw = rest.find(char::is_whitespace).unwrap_or(rest.len());
        let token = rest.get(..raw).unwrap_or_default();
        let trimmed = token.trim_end_matches(['.', ',', ';', ':', '!', '?', ')', '"', '\'']);
        i + trimmed.len()
    }

    /// A URL starting with a scheme or `www.` at `i`, said as its host and at most one
    /// short path segment.
    pub(super) fn url(&self, i: usize) -> Option<Step> {
        let end = self.token_end(i);
        let token = self.s.get(i..end)?;
        let token = token
            .strip_prefix("https://")
            .or_else(|| token.strip_prefix("http://"))
            .unwrap_or(token);
        let token = token.strip_prefix("www.").unwrap_or(token);
        let host_end = token.find(['/', '?', '#']).unwrap_or(token.len());
        let host = token.get(..host_end)?;
        let host = host.split(':').next().unwrap_or(host);
        if !host.contains('.') || host.starts_with('.') {
            return None;
        }
        let path = token.get(host_end..)?;
        Some(Step::Replace(end, self.address_words(host, path)))
    }

    fn address_words(&self, host: &str, path: &str) -> String {
        let mut out = self.dotted(host);
        let path = path.split(['?', '#']).next().unwrap_or_default();
        let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        if let [segment] = segments.as_slice() {
            if segment.len() <= 20
                && segment
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            {
                out.push(' ');
                out.push_str(self.w.slash);
                out.push(' ');
                out.push_str(segment);
            }
        }
        out
    }

    fn dotted(&self, text: &str) -> String {
        let mut out = String::with_capacity(text.len() + 8);
        for (n, part) in text.split('.').enumerate() {
            if n > 0 {
                out.push(' ');
                out.push_str(self.w.dot);
                out.push(' ');
            }
            out.push_str(part);
        }
        out
    }

    /// A host of labels ending in a known top-level domain, at `i`, with its end.
    fn host_at(&self, i: usize) -> Option<usize> {
        let mut k = i;
        let mut labels = 0;
        let mut last_label: (usize, usize);
        loop {
            let start = k;
            while self
                .char_at(k)
                .is_some_and(|c| c.is_ascii_alphanumeric() || c == '-')
            {
                k += 1;
            }
            if k == start {
                return None;
            }
            labels += 1;
            last_label = (start, k);
            if self.byte(k) == b'.'
                && self
                    .char_at(k + 1)
                    .is_some_and(|c| c.is_ascii_alphanumeric())
            {
                k += 1;
            } else {
                break;
            }
        }
        let tld = self.s.get(last_label.0..last_label.1)?;
        (labels >= 2 && TLDS.contains(&tld)).then_some(k)
    }

    /// A bare domain at `i` (`example.com/pricing`), said like a URL.
    pub(super) fn domain(&self, i: usize) -> Option<Step> {
        let host_end = self.host_at(i)?;
        let end = self.token_end(i).max(host_end);
        let rest = self.s.get(host_end..end)?;
        if !rest.is_empty() && !rest.starts_with('/') {
            return None;
        }
        let host = self.s.get(i..host_end)?;
        Some(Step::Replace(end, self.address_words(host, rest)))
    }

    /// An e-mail address at `i`: "support at example dot com".
    pub(super) fn email(&self, i: usize) -> Option<Step> {
        let mut k = i;
        while self
            .char_at(k)
            .is_some_and(|c| c.is_ascii_alphanumeric() || "._%+-_".contains(c))
        {
            k += 1;
        }
        if k == i || self.byte(k) != b'@' {
            return None;
        }
        let local = self.s.get(i..k)?.trim_end_matches('.');
        let host_start = k + 1;
        let mut e = host_start;
        while self
            .char_at(e)
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
        {
            e += 1;
        }
        let host = self.s.get(host_start..e)?.trim_end_matches('.');
        let tld = host.rsplit('.').next().unwrap_or_default();
        if !host.contains('.') || tld.len() < 2 || !tld.chars().all(|c| c.is_ascii_alphabetic()) {
            return None;
        }
        let end = host_start + host.len();
        let local = self
            .underscored(&self.dotted(local))
            .replace('+', &format!(" {} ", self.w.plus));
        let out = format!("{local} {} {}", self.w.at, self.dotted(host));
        Some(Step::Replace(end, out))
    }
}
