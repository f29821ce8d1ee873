//! Personal data in what a call leaves behind (pure): detectors for what speech-to-text
//! writes (card numbers by Luhn, IBANs by checksum, e-mail addresses written or spoken,
//! phone numbers in digits or as words in en/de/fr/es, national ids with a check, dates of
//! birth after a cue, street addresses, and the operator's own patterns), and typed
//! placeholders (`[card 1]`, `[phone 2]`) numbered per call by a [`Ledger`].

mod address;
mod cues;
mod dates;
mod email;
mod ids;
mod numbers;
mod tokens;

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};

/// How much of a call's words is kept on record (`RECORD_CONTENT`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RecordContent {
    /// Everything as said.
    #[default]
    Full,
    /// Transcripts with personal data replaced by typed placeholders.
    Redacted,
    /// No text at all: timings, outcomes, tools' names and outcomes, tokens and cost.
    None,
}

impl RecordContent {
    /// `full`, `redacted` or `none`.
    pub fn parse(text: &str) -> Option<Self> {
        match text.trim().to_ascii_lowercase().as_str() {
            "full" => Some(Self::Full),
            "redacted" => Some(Self::Redacted),
            "none" => Some(Self::None),
            _ => None,
        }
    }

    /// The name as configured.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Full => "full",
            Self::Redacted => "redacted",
            Self::None => "none",
        }
    }
}

/// What one agent keeps and shows of its calls' words: `RECORD_CONTENT`,
/// `REDACT_FOR_MODEL` and its extra patterns.
#[derive(Debug, Clone, Default)]
pub struct Policy {
    /// What the call's record keeps.
    pub content: RecordContent,
    /// The model is sent the caller's words with personal data replaced too.
    pub for_model: bool,
    /// The detectors, with the agent's own patterns.
    pub redactor: std::sync::Arc<Redactor>,
}

impl Policy {
    /// Text for a log line or a span: as said (`full`), with type-only placeholders
    /// (`redacted`: `[phone]`), or nothing (`none`).
    pub fn shown<'t>(&self, text: &'t str) -> Option<Cow<'t, str>> {
        match self.content {
            RecordContent::Full => Some(Cow::Borrowed(text)),
            RecordContent::Redacted => Some(self.redactor.redact(text, None)),
            RecordContent::None => None,
        }
    }
}

/// An operator's own pattern: a name (the placeholder's type) and a regular expression.
#[derive(Debug, Clone)]
pub struct CustomPattern {
    /// The placeholder's type: `member_id` gives `[member_id 1]`.
    pub name: String,
    /// What it matches.
    pub regex: regex::Regex,
}

/// Why a custom pattern cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum PatternError {
    /// The name is not a lowercase word.
    #[error("the name `{0}` must be lowercase letters, digits and `_`, starting with a letter")]
    Name(String),
    /// The expression does not compile.
    #[error("the pattern of `{0}` is not a regular expression: {1}")]
    Regex(String, String),
    /// The expression matches the empty text, so it would match everywhere.
    #[error("the pattern of `{0}` matches empty text")]
    Empty(String),
}

impl CustomPattern {
    /// Checks the name and compiles the pattern (linear time: the `regex` crate has no
    /// backtracking), at most 64 KiB compiled.
    pub fn new(name: &str, pattern: &str) -> Result<Self, PatternError> {
        let name_ok = name.chars().next().is_some_and(|c| c.is_ascii_lowercase())
            && name.len() <= 40
            && name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !name_ok {
            return Err(PatternError::Name(name.to_string()));
        }
        let regex = regex::RegexBuilder::new(pattern)
            .size_limit(64 * 1024)
            .build()
            .map_err(|e| PatternError::Regex(name.to_string(), e.to_string()))?;
        if regex.is_match("") {
            return Err(PatternError::Empty(name.to_string()));
        }
        Ok(Self {
            name: name.to_string(),
            regex,
        })
    }
}

/// A piece of personal data found in a text: where, of which type, and the value in a
/// normal form (so that "555 123 4567" and "five five five, one two three, four five six
/// seven" are one number).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// Byte range in the text.
    pub start: usize,
    pub end: usize,
    /// `card`, `phone`, `email`, `iban`, `ssn`, `national_id`, `date_of_birth`,
    /// `address`, or a custom pattern's name.
    pub kind: Cow<'static, str>,
    /// The value in normal form (digits, lowercase), never stored.
    pub key: String,
}

impl Finding {
    fn new(start: usize, end: usize, kind: &'static str, key: String) -> Self {
        Self {
            start,
            end,
            kind: Cow::Borrowed(kind),
            key,
        }
    }
}

/// The detectors, with the operator's extra patterns. Cheap to share behind an `Arc`.
#[derive(Debug, Clone, Default)]
pub struct Redactor {
    custom: Vec<CustomPattern>,
}

impl Redactor {
    /// The built-in detectors and `custom`.
    pub fn new(custom: Vec<CustomPattern>) -> Self {
        Self { custom }
    }

    /// The operator's pattern names, for `check`.
    pub fn custom_names(&self) -> Vec<&str> {
        self.custom.iter().map(|p| p.name.as_str()).collect()
    }

    /// Every piece of personal data in `text`, in order, none overlapping (where two
    /// detectors claim the same words, the longer match wins, then the earlier detector).
    pub fn find(&self, text: &str) -> Vec<Finding> {
        let mut found = Vec::new();
        let tokens = tokens::tokenize(text);
        email::find(text, &tokens, &mut found);
        numbers::find(text, &tokens, &mut found);
        // Identifiers, dates and house numbers are all written with digits.
        if text.bytes().any(|b| b.is_ascii_digit()) {
            ids::find(text, &mut found);
            dates::find(text, &tokens, &mut found);
            address::find(text, &tokens, &mut found);
        }
        for pattern in &self.custom {
            for m in pattern.regex.find_iter(text) {
                found.push(Finding {
                    start: m.start(),
                    end: m.end(),
                    kind: Cow::Owned(pattern.name.clone()),
                    key: m.as_str().to_lowercase(),
                });
            }
        }
        // Longest first at each start, stable so the earlier detector wins a tie.
        found.sort_by(|a, b| a.start.cmp(&b.start).then(b.end.cmp(&a.end)));
        let mut kept: Vec<Finding> = Vec::with_capacity(found.len());
        for finding in found {
            match kept.last() {
                Some(last) if finding.start < last.end => {}
                _ => kept.push(finding),
            }
        }
        kept
    }

    /// `text` with each finding replaced by its placeholder: numbered by `ledger`
    /// (`[phone 1]`) when given, by type only (`[phone]`) otherwise. Borrowed when
    /// nothing was found.
    pub fn redact<'t>(&self, text: &'t str, mut ledger: Option<&mut Ledger>) -> Cow<'t, str> {
        let found = self.find(text);
        if found.is_empty() {
            return Cow::Borrowed(text);
        }
        let mut out = String::with_capacity(text.len());
        let mut at = 0;
        for finding in &found {
            out.push_str(&text[at..finding.start]);
            out.push('[');
            out.push_str(&finding.kind);
            if let Some(ledger) = ledger.as_deref_mut() {
                if let Some(index) = ledger.index(&finding.kind, &finding.key) {
                    out.push(' ');
                    out.push_str(&index.to_string());
                }
            }
            out.push(']');
            at = finding.end;
        }
        out.push_str(&text[at..]);
        Cow::Owned(out)
    }
}

/// Most distinct values one call's ledger numbers; past it, placeholders carry no number.
const LEDGER_CAP: usize = 4096;

/// The numbering of one call's placeholders: the same value keeps its number for the
/// whole call, a new one takes the next. Holds the values in memory only (they are never
/// written anywhere); [`Ledger::counts`] is what may be stored.
#[derive(Debug, Clone, Default)]
pub struct Ledger {
    seen: HashMap<(String, String), u32>,
    counts: BTreeMap<String, u32>,
}

impl Ledger {
    /// A ledger that goes on from `counts` (how many values of each type earlier parts
    /// of the call already numbered, as stored), so that a number is never given twice.
    pub fn continuing(counts: &BTreeMap<String, u32>) -> Self {
        Self {
            seen: HashMap::new(),
            counts: counts.clone(),
        }
    }

    /// Numbers from `counts` on where they are ahead of this ledger's (another machine
    /// numbered values of the call meanwhile), so none is given twice.
    pub fn raise(&mut self, counts: &BTreeMap<String, u32>) {
        for (kind, &count) in counts {
            let mine = self.counts.entry(kind.clone()).or_insert(0);
            *mine = (*mine).max(count);
        }
    }

    /// How many distinct values of each type were replaced.
    pub fn counts(&self) -> &BTreeMap<String, u32> {
        &self.counts
    }

    fn index(&mut self, kind: &str, key: &str) -> Option<u32> {
        if let Some(&index) = self.seen.get(&(kind.to_string(), key.to_string())) {
            return Some(index);
        }
        let count = self.counts.entry(kind.to_string()).or_insert(0);
        *count += 1;
        let index = *count;
        if self.seen.len() < LEDGER_CAP {
            self.seen.insert((kind.to_string(), key.to_string()), index);
        }
        Some(index)
    }
}

#[cfg(test)]
mod tests;
