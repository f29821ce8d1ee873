//! Where a sentence ends in streamed text (pure): Unicode's sentence rules (UAX #29, via
//! `unicode-segmentation`) plus a few of our own (glued sentences, `…`), a boundary acted on
//! only once the text after it makes it certain, and abbreviations and list numbers skipped.

use std::cell::{Cell, OnceCell};

use unicode_segmentation::UnicodeSegmentation;

use super::languages::{self, SentenceRules};
use super::periods::{
    ends_with_abbreviation, inner_period, ordinal_continues, quote_continues, roman_continues,
    rules_for_word, spaced_continues,
};
use super::rules::{
    ellipsis_continues, ends_with_list_number, ends_with_period, ends_with_terminator,
    is_cjk_opening, is_closing, is_greek_question, is_line_break, is_quote_end, is_terminator,
    is_unicode_terminator, past_spaced_closing_quote,
};

/// How much of a reply's start is looked at to guess its language, in bytes, when the
/// rules of one language (Roman numerals, ordinals before a capital) need it.
pub(super) const DETECT_FROM: usize = 300;

/// The language one search cuts in: its rules, or every language's with a guess of the
/// reply's language where a rule depends on it.
pub(super) struct Cut<'a> {
    /// The language's rules, or every language's (`fixed` false).
    pub rules: &'static SentenceRules,
    /// The language was set; otherwise it is guessed where it matters.
    pub fixed: bool,
    /// The reply's first [`DETECT_FROM`] bytes or fewer (for the guess).
    pub start: &'a str,
    /// The reply's start is all there will be: its first [`DETECT_FROM`] bytes have
    /// arrived, or the reply ended.
    pub complete: bool,
    /// The guess once made: the start no longer changes, so it is made once per reply
    /// rather than once per boundary that asks.
    pub guess: &'a OnceCell<Option<&'static SentenceRules>>,
}

impl Cut<'_> {
    /// The rules of the reply's language, for a rule that depends on it: the set language,
    /// or the one guessed from the reply's first [`DETECT_FROM`] bytes (none when unsure).
    /// `Err` while fewer have arrived and the reply goes on: the guess is made from the
    /// same text however the reply streamed in.
    fn language(&self) -> Result<Option<&'static SentenceRules>, Wait> {
        if self.fixed {
            return Ok(Some(self.rules));
        }
        if !self.complete {
            return Err(Wait);
        }
        Ok(*self.guess.get_or_init(|| languages::detect(self.start)))
    }
}

/// A rule cannot tell yet.
struct Wait;

/// Where the first sentence of the pending text ends.
pub(super) enum End {
    /// Certainly here (byte offset).
    At(usize),
    /// Possibly here; the text after it does not tell yet.
    Undecided(usize),
    /// Not within the pending text.
    Open,
}

/// The search for the end of the first sentence of a growing text, remembering how far it
/// got so that a long sentence is not searched again on every delta.
#[derive(Debug, Clone, Default)]
pub(super) struct SentenceSearch {
    /// Offset (after leading spaces) of the last boundary found to be no boundary: the
    /// search resumes there. A `Cell` so that the search can run on a shared borrow.
    resume: Cell<usize>,
}

impl SentenceSearch {
    /// Finds the end of the first sentence, skipping boundaries that are not real ones. The
    /// search starts at the last boundary already found to be none; a rejection is final
    /// because it depends only on the text before the boundary and its next character (or
    /// its next word, which is waited for: "am 3. M" may become "am 3. Mai").
    ///
    /// Only ends up to byte `limit` are looked for (the caller cuts a longer sentence at
    /// its length cap anyway), so one search costs what lies before the limit and a huge
    /// delta is searched in linear time; each end is still judged on the whole text after
    /// it. `Open` then means "no end up to the limit".
    pub(super) fn first_end(&self, text: &str, limit: usize, cut: &Cut<'_>) -> End {
        let limit = limit.min(text.len());
        let from = self.resume.get().min(limit);
        let tail = &text[from..limit];
        // Fast path for the common mid-sentence delta: without a terminator or a line break
        // there is no boundary. Any non-ASCII text takes the full Unicode path.
        let may_end = |b: u8| {
            !b.is_ascii() || is_terminator(b.into()) || is_line_break(b.into()) || b == b';'
        };
        if !tail.bytes().any(may_end) {
            return End::Open;
        }
        let particles = &languages::all_rules().quote_particles;
        let mut past = 0;
        for at in candidates(text, from, limit) {
            if at <= past {
                continue;
            }
            // "« Vraiment ? » dit-il": the closing quote belongs before the boundary.
            let Some(at) = past_spaced_closing_quote(text, at) else {
                return End::Undecided(at);
            };
            if at > limit {
                break;
            }
            past = at;
            let (before, after) = text.split_at(at);
            if ends_with_period(before) && !period_is_decided(after) {
                // Unicode's rule for "." looks ahead to the next letter ("e.g. (this").
                return End::Undecided(at);
            }
            let rules = rules_for_word(cut.rules, before);
            let not_a_boundary = ends_with_abbreviation(rules, before, after)
                || ends_with_list_number(before)
                || continues_after_mark(before, after) // "Wow!" she said.
                || ellipsis_continues(before, after) // "Wait... 3 more"
                || inner_period(before, after) // "5 कि.मी."
                || !before.chars().any(char::is_alphanumeric); // punctuation joins the next
                                                               // "z. B.", "am 3. Mai", "って": the next part or word may be needed to tell;
                                                               // "Karel IV. Lucemburský" and "1. Dünya": the reply's language.
            let waits = || -> Result<bool, Wait> {
                if not_a_boundary
                    || quote_continues(particles, before, after).ok_or(Wait)?
                    || spaced_continues(rules, before, after).ok_or(Wait)?
                {
                    return Ok(true);
                }
                if roman_continues(before, after)
                    && cut.language()?.is_some_and(|l| l.roman_after_name)
                {
                    return Ok(true);
                }
                let language_wait = Cell::new(false);
                let digits_before_capital = || match cut.language() {
                    Ok(language) => language.is_some_and(|l| l.digits_before_capital),
                    Err(Wait) => {
                        language_wait.set(true);
                        false
                    }
                };
                let ordinal = ordinal_continues(rules, &digits_before_capital, before, after);
                if language_wait.get() {
                    return Err(Wait);
                }
                ordinal.ok_or(Wait)
            };
            let Ok(continues) = waits() else {
                return End::Undecided(at);
            };
            if continues {
                self.resume.set(at);
                continue;
            }
            return End::At(at);
        }
        End::Open
    }

    /// Starts over, for text that no longer begins where the last search began.
    pub(super) fn restart(&mut self) {
        self.resume.set(0);
    }
}

/// True when the text already reads as a finished sentence, without the text after it: it
/// ends with a terminator that is not an abbreviation's or a list number's period.
pub(super) fn looks_finished(rules: &SentenceRules, text: &str) -> bool {
    ends_with_terminator(text)
        && !ends_with_abbreviation(rules, text, "")
        && !ends_with_list_number(text)
        && spaced_continues(rules, text, "") != Some(true)
        && ordinal_continues(rules, &|| false, text, "") != Some(true)
}

/// A `!` or `?` followed on the same line by a lowercase word does not end the sentence
/// (`"Really?" she asked.`), though Unicode's rules say it does.
fn continues_after_mark(before: &str, after: &str) -> bool {
    let tail = before.trim_end_matches(|c: char| c.is_whitespace() || is_quote_end(c));
    let same_line = !before[tail.len()..].contains(['\n', '\r']);
    let mark = tail.ends_with(['!', '?']) || is_greek_question(tail);
    same_line && mark && after.chars().next().is_some_and(char::is_lowercase)
}

/// How far past the search limit the Unicode segmenter reads.
const SEGMENTER_LOOKAHEAD: usize = 1024;

/// Candidate boundaries after `from` (itself a boundary or 0) and up to `limit`, in
/// order: Unicode's, plus "glued.Sentences" and "Wait… What".
fn candidates(text: &str, from: usize, limit: usize) -> Vec<usize> {
    // The segmenter reads only up to a window past `limit`: its next boundary may lie at
    // the end of a megabyte without a terminator, and one search must cost what lies
    // before the limit, not the whole pending text. Boundaries up to the limit depend on
    // what follows them by far less than the window.
    let mut window_end = (limit + SEGMENTER_LOOKAHEAD).min(text.len());
    while !text.is_char_boundary(window_end) {
        window_end += 1;
    }
    let mut all: Vec<usize> = text[from..window_end]
        .split_sentence_bound_indices()
        .skip(1)
        .map(|(start, _)| from + start)
        .take_while(|&at| at <= limit)
        .collect();
    for (i, c) in text[from..limit].char_indices().map(|(i, c)| (from + i, c)) {
        if c == '.' && is_glued_sentence_end(text, i) {
            all.push(i + 1);
        }
        if matches!(c, '。' | '！' | '？') {
            // "「はい。」「いいえ。」": an opening quote after the closing ones starts anew.
            let after = &text[i + c.len_utf8()..];
            let rest = after.trim_start_matches(is_closing);
            if rest.starts_with(is_cjk_opening) {
                all.push(text.len() - rest.len());
            }
        }
        if matches!(c, ';' | '\u{37E}') && is_greek_question(&text[..i + c.len_utf8()]) {
            // "Τι κάνεις; Καλά.": the Greek question mark, which Unicode does not know.
            let after = &text[i + c.len_utf8()..];
            let rest = after.trim_start_matches(|c: char| c.is_whitespace() || is_quote_end(c));
            if !rest.is_empty() {
                all.push(text.len() - rest.len());
            }
        }
        if c == '…' {
            let after = &text[i + c.len_utf8()..];
            let rest = after.trim_start();
            let spaced = rest.len() < after.len();
            if spaced && rest.chars().next().is_some_and(char::is_uppercase) {
                all.push(text.len() - rest.len());
            }
        }
    }
    all.retain(|&at| at <= limit);
    all.sort_unstable();
    all.dedup();
    all
}

/// "for you.Your order": a lowercase word, a period and a capitalised word with no space
/// between. Not inside domains, URLs, e-mail addresses or abbreviations like "e.g.".
fn is_glued_sentence_end(text: &str, dot: usize) -> bool {
    let before = &text[..dot];
    let word = before
        .rsplit(|c: char| c.is_whitespace())
        .next()
        .unwrap_or(before);
    let mut after = text[dot + 1..].chars();
    let (Some(first), Some(second)) = (after.next(), after.next()) else {
        return false;
    };
    word.chars().count() >= 2
        && word
            .chars()
            .all(|c| c.is_lowercase() || c == '\'' || c == '\u{2019}')
        && first.is_uppercase()
        && second.is_lowercase()
}

/// Unicode keeps "." inside a sentence when the next letter is lowercase, skipping digits,
/// quotes and brackets on the way; until a letter, a line break or a terminator arrives,
/// the boundary may still disappear.
fn period_is_decided(after: &str) -> bool {
    after
        .chars()
        .any(|c| c.is_alphabetic() || is_line_break(c) || is_unicode_terminator(c))
}
