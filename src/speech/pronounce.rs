//! The pronunciation dictionary (pure apart from [`Pronunciations::load`]): words the
//! voice says wrongly, mapped to how they are said, replaced as whole words before the
//! text is normalized for speech.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

/// Words mapped to how they are said, applied to speech before normalization.
///
/// Keys match whole words only. A key written in lowercase matches in any case ("nginx"
/// matches "NGINX"); a key with an uppercase letter matches exactly ("SQL" but not "sql").
/// Spaces inside a multi-word key match any run of whitespace. At one position the
/// longest key wins.
#[derive(Debug, Clone, Default)]
pub struct Pronunciations {
    /// Every entry, by the lowercase first word of its key (or its first character when
    /// the key starts with a mark, as in ".NET"), longest key first.
    index: HashMap<String, Vec<Entry>>,
    /// The number of entries.
    len: usize,
}

/// One key and its replacement.
#[derive(Debug, Clone)]
struct Entry {
    /// The key, with its whitespace runs made single spaces; lowercase when it matches in
    /// any case.
    key: String,
    /// True when the key has no uppercase letter and so matches in any case.
    any_case: bool,
    /// What is said instead.
    said: String,
}

/// A pronunciation file (or list of pairs) that cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("{file}: {message}")]
pub struct PronounceError {
    /// The file (or `(pairs)` for [`Pronunciations::from_pairs`]).
    pub file: String,
    /// What is wrong, starting with the line when it is known ("line 3: …").
    pub message: String,
}

impl Pronunciations {
    /// Parses a TOML file of `"Word" = "how it is said"` pairs (top-level string keys and
    /// string values only). A missing file is an empty dictionary; an unreadable or
    /// invalid one is an error naming the file and the line.
    pub fn load(path: &Path) -> Result<Pronunciations, PronounceError> {
        let file = path.display().to_string();
        let error = |message: String| PronounceError {
            file: file.clone(),
            message,
        };
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Self::default()),
            Err(e) => return Err(error(format!("cannot be read: {e}"))),
        };
        let table: BTreeMap<toml::Spanned<String>, toml::Spanned<toml::Value>> =
            toml::from_str(&text).map_err(|e| {
                let message = e.message().trim().to_string();
                match e.span() {
                    Some(span) => error(format!("line {}: {message}", line_of(&text, span.start))),
                    None => error(message),
                }
            })?;
        let mut pairs: Vec<_> = table.into_iter().collect();
        pairs.sort_by_key(|(key, _)| key.span().start);
        let mut dictionary = Self::default();
        for (key, value) in pairs {
            let line = line_of(&text, key.span().start);
            let Some(said) = value.get_ref().as_str() else {
                return Err(error(format!(
                    "line {line}: \"{}\" must be a string, not {}",
                    key.get_ref(),
                    value.get_ref().type_str()
                )));
            };
            dictionary
                .insert(key.get_ref(), said)
                .map_err(|message| error(format!("line {line}: {message}")))?;
        }
        Ok(dictionary)
    }

    /// A dictionary of the given `(word, how it is said)` pairs.
    pub fn from_pairs(pairs: &[(&str, &str)]) -> Result<Pronunciations, PronounceError> {
        let mut dictionary = Self::default();
        for (key, said) in pairs {
            dictionary
                .insert(key, said)
                .map_err(|message| PronounceError {
                    file: "(pairs)".to_string(),
                    message,
                })?;
        }
        Ok(dictionary)
    }

    /// True when there are no entries.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The number of entries.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Replaces whole words: a key matches only where the characters before and after
    /// are not letters or digits (Unicode alphanumeric), so "SQL" matches in "SQL," and
    /// "(SQL)" but not in "MySQL" or "SQLite". Returns the text borrowed when nothing
    /// matched.
    pub fn apply<'a>(&self, text: &'a str) -> Cow<'a, str> {
        if self.is_empty() {
            return Cow::Borrowed(text);
        }
        let mut out: Option<String> = None;
        // Text before `copied` is in `out` already.
        let mut copied = 0;
        let mut word = String::new();
        let mut at = 0;
        let mut previous: Option<char> = None;
        while let Some(c) = text[at..].chars().next() {
            let starts = !previous.is_some_and(char::is_alphanumeric);
            // The first word here (a run of letters and digits), or the mark alone.
            let word_end = if c.is_alphanumeric() {
                text[at..]
                    .find(|c: char| !c.is_alphanumeric())
                    .map_or(text.len(), |n| at + n)
            } else {
                at + c.len_utf8()
            };
            if starts && !in_address(text, at) {
                word.clear();
                word.extend(text[at..word_end].chars().flat_map(char::to_lowercase));
                let found = self.index.get(&word).and_then(|entries| {
                    entries
                        .iter()
                        .find_map(|entry| entry.match_at(text, at).map(|end| (entry, end)))
                });
                if let Some((entry, end)) = found {
                    let out = out.get_or_insert_with(|| String::with_capacity(text.len() + 16));
                    out.push_str(&text[copied..at]);
                    out.push_str(&entry.said);
                    copied = end;
                    previous = text[..end].chars().next_back();
                    at = end;
                    continue;
                }
            }
            previous = text[..word_end].chars().next_back();
            at = word_end;
        }
        match out {
            Some(mut out) => {
                out.push_str(&text[copied..]);
                Cow::Owned(out)
            }
            None => Cow::Borrowed(text),
        }
    }

    /// Adds one entry; the message says what is wrong with it.
    fn insert(&mut self, key: &str, said: &str) -> Result<(), String> {
        let key = key.split_whitespace().collect::<Vec<_>>().join(" ");
        if key.is_empty() {
            return Err("a key is empty".to_string());
        }
        let any_case = !key.chars().any(char::is_uppercase);
        let first = key
            .chars()
            .next()
            .filter(|c| !c.is_alphanumeric())
            .map_or_else(
                || {
                    key.split(|c: char| !c.is_alphanumeric())
                        .next()
                        .unwrap_or("")
                },
                |c| &key[..c.len_utf8()],
            )
            .to_lowercase();
        let entries = self.index.entry(first).or_default();
        if entries.iter().any(|entry| entry.key == key) {
            return Err(format!("\"{key}\" is listed twice"));
        }
        entries.push(Entry {
            key,
            any_case,
            said: said.to_string(),
        });
        // Longest first; at equal length an exact-case key before an any-case one.
        entries.sort_by_key(|entry| (std::cmp::Reverse(entry.key.chars().count()), entry.any_case));
        self.len += 1;
        Ok(())
    }
}

impl Entry {
    /// The end of this key when it matches `text` at `at` as whole words.
    fn match_at(&self, text: &str, at: usize) -> Option<usize> {
        let mut rest = text[at..].char_indices().peekable();
        let mut end = at;
        for k in self.key.chars() {
            if k == ' ' {
                // One space in the key matches any run of whitespace.
                let mut spaces = 0;
                while let Some((i, c)) = rest.next_if(|(_, c)| c.is_whitespace()) {
                    spaces += 1;
                    end = at + i + c.len_utf8();
                }
                if spaces == 0 {
                    return None;
                }
                continue;
            }
            let (i, c) = rest.next()?;
            let same = if self.any_case {
                c.to_lowercase().eq(k.to_lowercase())
            } else {
                c == k
            };
            if !same {
                return None;
            }
            end = at + i + c.len_utf8();
        }
        let whole = !text[end..]
            .chars()
            .next()
            .is_some_and(char::is_alphanumeric);
        whole.then_some(end)
    }
}

/// The 1-based line of a byte offset.
fn line_of(text: &str, offset: usize) -> usize {
    let offset = offset.min(text.len());
    text.as_bytes()[..offset]
        .iter()
        .filter(|b| **b == b'\n')
        .count()
        + 1
}

/// True when `at` lies inside a URL or an e-mail address (the run of non-space text around
/// it has `://`, `@` or starts with `www.`): a word there is part of an address, which
/// normalization reads as a whole, so the dictionary leaves it alone.
fn in_address(text: &str, at: usize) -> bool {
    let start = text[..at].rfind(char::is_whitespace).map_or(0, |i| {
        i + text[i..].chars().next().map_or(1, char::len_utf8)
    });
    let end = text[at..]
        .find(char::is_whitespace)
        .map_or(text.len(), |i| at + i);
    let token = &text[start..end];
    token.contains("://") || token.contains('@') || token.starts_with("www.")
}

#[cfg(test)]
mod tests;
