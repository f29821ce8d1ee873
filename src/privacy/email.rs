//! E-mail addresses: written (`john.smith@example.com`) and as speech-to-text writes them
//! when they are spoken ("john dot smith at example dot com", "jean point dupont arobase
//! orange point fr", "ana punto ruiz arroba gmail punto com", "max punkt muster ät web
//! punkt de"), with `_`, `-` and digits in the name.

use super::tokens::{lower, Class, Token};
use super::Finding;

pub(super) fn find(text: &str, tokens: &[Token], found: &mut Vec<Finding>) {
    written(text, found);
    for (i, token) in tokens.iter().enumerate() {
        if token.is_word() && is_at(token.text(text)) {
            if let Some(finding) = spoken(text, tokens, i) {
                found.push(finding);
            }
        }
    }
}

fn written(text: &str, found: &mut Vec<Finding>) {
    let bytes = text.as_bytes();
    for (at, _) in text.match_indices('@') {
        let local = bytes[..at]
            .iter()
            .rev()
            .take_while(|&&b| b.is_ascii_alphanumeric() || b"._%+-".contains(&b))
            .count();
        let domain = bytes[at + 1..]
            .iter()
            .take_while(|&&b| b.is_ascii_alphanumeric() || b".-".contains(&b))
            .count();
        let (start, mut end) = (at - local, at + 1 + domain);
        while end > at + 1 && bytes[end - 1] == b'.' {
            end -= 1;
        }
        let host = &text[at + 1..end];
        let tld_ok = host.rsplit_once('.').is_some_and(|(name, tld)| {
            !name.is_empty() && tld.len() >= 2 && tld.bytes().all(|b| b.is_ascii_alphabetic())
        });
        if local > 0 && tld_ok {
            found.push(Finding::new(
                start,
                end,
                "email",
                text[start..end].to_lowercase(),
            ));
        }
    }
}

/// A spoken address around the "at" at token `at`.
fn spoken(text: &str, tokens: &[Token], at: usize) -> Option<Finding> {
    let (start, local) = name_before(text, tokens, at)?;
    let (end, domain) = domain_after(text, tokens, at)?;
    // "book online at example.com" names a website: a written domain after one plain word
    // is not taken for an address (a spoken "dot", or a name with a dot, digit, `_` or
    // `-`, is).
    let spoken_domain = text[tokens[at].end..end]
        .trim_start()
        .contains(char::is_whitespace);
    if !spoken_domain && local.chars().all(char::is_alphabetic) {
        return None;
    }
    Some(Finding::new(
        start,
        end,
        "email",
        format!("{local}@{domain}"),
    ))
}

/// The name before "at": parts joined by spoken or written dots, underscores, hyphens.
fn name_before(text: &str, tokens: &[Token], at: usize) -> Option<(usize, String)> {
    let last = at.checked_sub(2)?;
    if tokens[at - 1].class != Class::Space || !is_part(&tokens[last]) {
        return None;
    }
    let mut k = glued_start(tokens, last);
    let mut parts = vec![text[tokens[k].start..tokens[last].end].to_lowercase()];
    let mut start = tokens[k].start;
    loop {
        // Glued "john.smith", "j_smith".
        if k >= 2 && joins_glued(&tokens[k - 1]) && is_part(&tokens[k - 2]) {
            parts.push(glued_char(&tokens[k - 1]).to_string());
            let first = glued_start(tokens, k - 2);
            parts.push(text[tokens[first].start..tokens[k - 2].end].to_lowercase());
            k = first;
        } else if k >= 4
            && tokens[k - 1].class == Class::Space
            && tokens[k - 2].is_word()
            && spoken_join(tokens[k - 2].text(text)).is_some()
            && tokens[k - 3].class == Class::Space
            && is_part(&tokens[k - 4])
        {
            parts.push(spoken_join(tokens[k - 2].text(text))?.to_string());
            parts.push(tokens[k - 4].text(text).to_lowercase());
            k -= 4;
        } else {
            break;
        }
        start = tokens[k].start;
    }
    parts.reverse();
    Some((start, parts.concat()))
}

/// The domain after "at": labels joined by dots, ending with a known top-level domain.
fn domain_after(text: &str, tokens: &[Token], at: usize) -> Option<(usize, String)> {
    let mut k = at + 2;
    if tokens.get(at + 1)?.class != Class::Space || !is_part(tokens.get(k)?) {
        return None;
    }
    let mut labels = vec![tokens[k].text(text).to_lowercase()];
    let mut end = None;
    loop {
        let next = if tokens
            .get(k + 1)
            .is_some_and(|t| t.is_mark('.') || t.is_mark('-'))
            && tokens.get(k + 2).is_some_and(is_part)
        {
            Some((glued_char(&tokens[k + 1]), k + 2))
        } else if tokens.get(k + 1).is_some_and(|t| t.class == Class::Space)
            && tokens
                .get(k + 2)
                .is_some_and(|t| t.is_word() && is_dot(t.text(text)))
            && tokens.get(k + 3).is_some_and(|t| t.class == Class::Space)
            && tokens.get(k + 4).is_some_and(is_part)
        {
            Some(('.', k + 4))
        } else {
            None
        };
        let Some((join, label)) = next else {
            break;
        };
        labels.push(join.to_string());
        labels.push(tokens[label].text(text).to_lowercase());
        k = label;
        if join == '.' && is_tld(&labels[labels.len() - 1]) {
            end = Some((tokens[k].end, labels.concat()));
        }
    }
    end
}

/// The first of the letters and digits glued to token `k` ("mike99").
fn glued_start(tokens: &[Token], mut k: usize) -> usize {
    while k > 0 && is_part(&tokens[k - 1]) && tokens[k - 1].end == tokens[k].start {
        k -= 1;
    }
    k
}

fn is_part(token: &Token) -> bool {
    matches!(token.class, Class::Word | Class::Digits)
}

fn joins_glued(token: &Token) -> bool {
    token.is_mark('.') || token.is_mark('_') || token.is_mark('-')
}

fn glued_char(token: &Token) -> char {
    match token.class {
        Class::Mark(c) => c,
        _ => '.',
    }
}

fn is_at(word: &str) -> bool {
    matches!(
        lower(word).as_ref(),
        "at" | "ät" | "arobase" | "arroba" | "klammeraffe"
    )
}

fn is_dot(word: &str) -> bool {
    matches!(lower(word).as_ref(), "dot" | "punkt" | "point" | "punto")
}

/// What a spoken joiner in the name writes.
fn spoken_join(word: &str) -> Option<&'static str> {
    Some(match lower(word).as_ref() {
        "dot" | "punkt" | "point" | "punto" => ".",
        "underscore" | "unterstrich" | "underbar" => "_",
        "dash" | "hyphen" | "bindestrich" | "tiret" | "guion" | "guión" => "-",
        _ => return None,
    })
}

/// Top-level domains common enough that "… dot com" is surely an address.
fn is_tld(label: &str) -> bool {
    const TLDS: &[&str] = &[
        "com", "org", "net", "edu", "gov", "mil", "int", "io", "co", "ai", "app", "dev", "info",
        "biz", "me", "us", "uk", "ca", "au", "nz", "ie", "de", "at", "ch", "fr", "be", "lu", "es",
        "mx", "ar", "cl", "pe", "it", "nl", "pt", "br", "eu", "se", "no", "dk", "fi", "pl", "cz",
        "in", "jp", "cn", "kr", "ru", "tr", "gr", "online", "email", "mail",
    ];
    TLDS.contains(&label)
}
