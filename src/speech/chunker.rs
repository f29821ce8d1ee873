//! Incremental chunking of cleaned reply text into speakable pieces (pure): sentences as
//! [`super::boundary`] finds them, cut to a length cap, with an early first chunk and short
//! sentences joined to the next.

use super::boundary::{looks_finished, Cut, End, SentenceSearch, DETECT_FROM};
use super::languages::{all_rules, SentenceLanguage, SentenceRules};
use super::rules::ends_with_terminator;

/// How sentences become chunks. See [`super::SpeechSettings`] for the defaults and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChunkPolicy {
    /// A longer sentence is cut at its last clause boundary (or word) within this many
    /// characters.
    pub max_chars: usize,
    /// The first chunk of a reply is cut at the first clause boundary after this many
    /// characters when its sentence is still going; `0` disables.
    pub first_chunk_min_chars: usize,
    /// Later sentences shorter than this are held and spoken with the next; `0` disables.
    pub min_chunk_chars: usize,
}

impl Default for ChunkPolicy {
    fn default() -> Self {
        Self {
            max_chars: 250,
            first_chunk_min_chars: 40,
            min_chunk_chars: 10,
        }
    }
}

/// Cuts a stream of cleaned text into chunks as early as their ends are certain.
///
/// Joined together, the chunks equal the input up to whitespace (a trailing remainder of
/// only punctuation is dropped); where the input is cut into deltas never changes them.
#[derive(Debug, Clone, Default)]
pub struct SentenceChunker {
    policy: ChunkPolicy,
    /// Text not yet spoken starts at `head`: cuts advance `head`, and the spoken prefix is
    /// dropped once per push, so a delta cut into many chunks is not moved once per cut.
    pending: String,
    head: usize,
    emitted_any: bool,
    held: Option<String>,
    search: SentenceSearch,
    /// Whose sentence rules apply.
    language: SentenceLanguage,
    /// The reply's first bytes, to guess its language from where a rule depends on it.
    start: String,
    /// The reply's end has arrived.
    complete: bool,
    /// Bytes of the reply pushed so far.
    received: usize,
    /// The language guessed from `start`, once it is complete.
    guess: std::cell::OnceCell<Option<&'static SentenceRules>>,
}

impl SentenceChunker {
    /// A chunker with the given policy.
    pub fn new(policy: ChunkPolicy) -> Self {
        Self {
            policy,
            ..Self::default()
        }
    }

    /// The same, cutting by `language`'s rules.
    pub fn in_language(mut self, language: SentenceLanguage) -> Self {
        self.language = language;
        self
    }

    fn rules(&self) -> &'static SentenceRules {
        match self.language {
            SentenceLanguage::Auto => all_rules(),
            SentenceLanguage::Fixed(rules) => rules,
        }
    }

    /// Adds cleaned text and returns every chunk that is now certain, in order.
    pub fn push(&mut self, text: &str) -> Vec<String> {
        // Only `auto` guesses the language, from the reply's start.
        if matches!(self.language, SentenceLanguage::Auto) && self.received < DETECT_FROM {
            if self.start.capacity() == 0 {
                self.start.reserve_exact(DETECT_FROM);
            }
            // The reply's first DETECT_FROM bytes, back to a character boundary: the same
            // text however the reply is split (a character across the limit is left out
            // whole, never in part).
            let mut end = text.len().min(DETECT_FROM - self.received);
            while !text.is_char_boundary(end) {
                end -= 1;
            }
            self.start.push_str(&text[..end]);
        }
        self.received += text.len();
        self.pending.push_str(text);
        let mut out = Vec::new();
        while let Some(end) = self.next_cut() {
            let chunk = self.take_pending(end);
            self.deliver(chunk, &mut out);
        }
        self.pending.drain(..self.head);
        self.head = 0;
        out
    }

    /// The text not yet spoken.
    fn rest(&self) -> &str {
        &self.pending[self.head..]
    }

    /// True when text or a held sentence is waiting to be spoken.
    pub fn has_pending(&self) -> bool {
        self.held.is_some() || !self.rest().trim().is_empty()
    }

    /// The stream paused (no text for a while, or a tool call began): speaks what is
    /// pending if it already looks like a finished sentence, and any held short sentence.
    pub fn pause(&mut self) -> Vec<String> {
        let mut out = Vec::new();
        let finished = if looks_finished(self.rules(), self.rest()) {
            self.take_all_pending()
        } else {
            String::new()
        };
        let chunk = self.after_held(finished);
        self.emit(chunk, &mut out);
        out
    }

    /// Ends a stream that was cut off: speaks what is pending only if it looks like a
    /// finished sentence (as on a pause), and drops an unfinished one.
    pub fn finish_complete(&mut self) -> Vec<String> {
        let out = self.pause();
        self.pending.clear();
        self.head = 0;
        self.search.restart();
        out
    }

    /// Ends the stream: returns what is left, cut to the length cap.
    pub fn finish(&mut self) -> Vec<String> {
        self.complete = true;
        let mut out = self.push("");
        loop {
            let rest = self.rest();
            let start = rest.len() - rest.trim_start().len();
            let text = &rest[start..];
            if !char_len_exceeds(text, self.policy.max_chars) {
                break;
            }
            let cut = start + cut_point(text, self.policy.max_chars);
            let chunk = self.take_pending(cut);
            self.deliver(chunk, &mut out);
        }
        let rest = self.take_all_pending();
        let rest = self.after_held(rest);
        self.emit(rest, &mut out);
        out
    }

    /// Byte offset up to which the pending text can be spoken now, if any.
    fn next_cut(&self) -> Option<usize> {
        // Lengths count from the first non-space character.
        let rest = self.rest();
        let start = rest.len() - rest.trim_start().len();
        let cut = Cut {
            rules: self.rules(),
            fixed: matches!(self.language, SentenceLanguage::Fixed(_)),
            start: &self.start,
            complete: self.complete || self.received >= DETECT_FROM,
            guess: &self.guess,
        };
        self.next_cut_in(&rest[start..], &cut)
            .map(|end| start + end)
    }

    fn next_cut_in(&self, text: &str, cut: &Cut<'_>) -> Option<usize> {
        let max = self.policy.max_chars;
        // A sentence longer than `max` is cut at the cap whatever its end: no need to look
        // for an end past it.
        let limit = text.char_indices().nth(max).map_or(text.len(), |(i, _)| i);
        let (sentence_len, certain) = match self.search.first_end(text, limit, cut) {
            End::At(at) => (at, true),
            End::Undecided(at) => (at, false),
            End::Open => (text.len(), false),
        };
        // Past the limit means more than `max` characters.
        if sentence_len > limit {
            return Some(cut_point(text, max));
        }
        let sentence = &text[..sentence_len];
        let first =
            !self.emitted_any && self.held.is_none() && self.policy.first_chunk_min_chars > 0;
        if first {
            if let Some(cut) = first_clause_cut(sentence, self.policy.first_chunk_min_chars) {
                return Some(cut);
            }
        }
        certain.then_some(sentence_len)
    }

    /// Removes the pending text up to `end`; returns it without its leading spaces, which
    /// belonged to the previous chunk's end.
    fn take_pending(&mut self, end: usize) -> String {
        let chunk = self.rest()[..end].trim_start().to_string();
        self.head += end;
        self.search.restart();
        chunk
    }

    /// Removes all the pending text.
    fn take_all_pending(&mut self) -> String {
        self.search.restart();
        let rest = self.rest().to_string();
        self.pending.clear();
        self.head = 0;
        rest
    }

    /// `text` after the held short sentence, if one is waiting: the one place held text
    /// rejoins the stream, so it is never lost or spoken twice.
    fn after_held(&mut self, text: String) -> String {
        match self.held.take() {
            Some(held) => format!("{held} {text}"),
            None => text,
        }
    }

    /// Holds short sentences (after the first chunk) to join the next one.
    fn deliver(&mut self, chunk: String, out: &mut Vec<String>) {
        let chunk = self.after_held(chunk);
        // Only a short sentence is held; a short line (a list item, a table row) stands.
        let sentence = ends_with_terminator(&chunk);
        let short = chunk.trim().chars().count() < self.policy.min_chunk_chars;
        if self.emitted_any && short && sentence {
            self.held = Some(chunk.trim().to_string());
            return;
        }
        self.emit(chunk, out);
    }

    fn emit(&mut self, chunk: String, out: &mut Vec<String>) {
        let chunk = chunk.trim();
        if chunk.chars().any(char::is_alphanumeric) {
            self.emitted_any = true;
            out.push(chunk.to_string());
        }
    }
}

/// True when `text` has more than `max` characters (cheap for short text).
fn char_len_exceeds(text: &str, max: usize) -> bool {
    text.len() > max && text.chars().nth(max).is_some()
}

/// Marks after which a clause ends; the ASCII ones only count when a space follows.
fn is_clause_mark(c: char) -> bool {
    matches!(c, ',' | ';' | ':' | '—' | '–' | '，' | '、' | '；' | '：')
}

/// Byte offset just after a clause mark at `i` (of char `c`), if it ends a clause.
fn clause_end(text: &str, i: usize, c: char) -> Option<usize> {
    if !is_clause_mark(c) {
        return None;
    }
    let end = i + c.len_utf8();
    let next = text[end..].chars().next();
    let ends = if c.is_ascii() {
        next.is_some_and(char::is_whitespace)
    } else {
        // Dashes and CJK marks need no space; a dash must be followed by something.
        next.is_some()
    };
    ends.then_some(end)
}

/// Where to cut a run-on sentence: after its last clause mark within `max` characters,
/// else at its last space, else at `max` characters.
fn cut_point(text: &str, max: usize) -> usize {
    let window_end = text.char_indices().nth(max).map_or(text.len(), |(i, _)| i);
    let window = &text[..window_end];
    let clause = window
        .char_indices()
        .rev()
        .filter_map(|(i, c)| clause_end(text, i, c))
        .find(|end| *end <= window_end);
    if let Some(end) = clause {
        return end;
    }
    // A space right after the window still ends a word that fits.
    let space = text
        .char_indices()
        .take_while(|(i, _)| *i <= window_end)
        .filter(|(_, c)| c.is_whitespace())
        .map(|(i, _)| i)
        .filter(|i| text[..*i].chars().any(char::is_alphanumeric))
        .last();
    space.unwrap_or(window_end)
}

/// The first clause end after at least `min` characters, for an early first chunk.
fn first_clause_cut(text: &str, min: usize) -> Option<usize> {
    if !char_len_exceeds(text, min) {
        return None;
    }
    text.char_indices()
        .skip(min)
        .find_map(|(i, c)| clause_end(text, i, c))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(policy: ChunkPolicy, deltas: &[&str]) -> Vec<Vec<String>> {
        let mut chunker = SentenceChunker::new(policy);
        let mut steps: Vec<Vec<String>> = deltas.iter().map(|d| chunker.push(d)).collect();
        steps.push(chunker.finish());
        steps
    }

    const PLAIN: ChunkPolicy = ChunkPolicy {
        max_chars: 250,
        first_chunk_min_chars: 0,
        min_chunk_chars: 0,
    };

    #[test]
    fn a_sentence_is_released_by_the_first_letter_after_it() {
        let steps = run(PLAIN, &["Hello there.", " ", "H", "ow are you?"]);
        assert!(steps[0].is_empty() && steps[1].is_empty());
        assert_eq!(steps[2], ["Hello there."]);
        assert_eq!(steps[4], ["How are you?"]);
    }

    #[test]
    fn question_and_exclamation_marks_release_on_the_next_character() {
        let steps = run(PLAIN, &["Really?", " 4", "2 apples"]);
        assert_eq!(steps[1], ["Really?"]);
        let steps = run(PLAIN, &["Wow!", "\"", " ", "Great"]);
        assert_eq!(steps[3], ["Wow!\""]);
    }

    #[test]
    fn a_period_before_something_undecided_waits() {
        let steps = run(PLAIN, &["Use a tool, e.g. (", "this one) now."]);
        assert!(steps[..2].iter().all(Vec::is_empty), "{steps:?}");
        assert_eq!(steps[2], ["Use a tool, e.g. (this one) now."]);
    }

    #[test]
    fn pause_speaks_a_finished_sentence_but_not_an_abbreviation() {
        let mut chunker = SentenceChunker::new(PLAIN);
        assert!(chunker.push("Let me check that for you.").is_empty());
        assert_eq!(chunker.pause(), ["Let me check that for you."]);
        assert!(chunker.push("Ask Dr.").is_empty());
        assert!(chunker.pause().is_empty());
        assert!(chunker.push(" Smith about it").is_empty());
        assert!(chunker.pause().is_empty(), "unfinished sentences wait");
        assert_eq!(chunker.finish(), ["Ask Dr. Smith about it"]);
    }

    #[test]
    fn a_cut_off_stream_speaks_finished_sentences_only() {
        let policy = ChunkPolicy {
            min_chunk_chars: 10,
            ..PLAIN
        };
        let mut chunker = SentenceChunker::new(policy);
        assert_eq!(
            chunker.push("First of all, a sentence. Okay. And one that would"),
            ["First of all, a sentence."]
        );
        assert_eq!(chunker.finish_complete(), ["Okay."]);
        assert!(!chunker.has_pending());
        let mut chunker = SentenceChunker::new(PLAIN);
        assert!(chunker.push("It ends here.").is_empty());
        assert_eq!(chunker.finish_complete(), ["It ends here."]);
        let mut chunker = SentenceChunker::new(PLAIN);
        assert!(chunker.push("Ask Dr.").is_empty());
        assert!(
            chunker.finish_complete().is_empty(),
            "an abbreviation ends nothing"
        );
    }

    #[test]
    fn a_held_short_sentence_is_spoken_on_pause() {
        let policy = ChunkPolicy {
            min_chunk_chars: 10,
            ..PLAIN
        };
        let mut chunker = SentenceChunker::new(policy);
        assert_eq!(
            chunker.push("This is the first one. Okay. Then"),
            ["This is the first one."]
        );
        assert_eq!(chunker.pause(), ["Okay."]);
    }

    #[test]
    fn run_on_sentences_are_cut_at_the_last_clause_then_at_a_word() {
        let policy = ChunkPolicy {
            max_chars: 30,
            ..PLAIN
        };
        let text = "one two three, four five six seven eight nine ten eleven twelve";
        let chunks: Vec<String> = run(policy, &[text]).concat();
        assert_eq!(
            chunks,
            [
                "one two three,",
                "four five six seven eight nine",
                "ten eleven twelve"
            ]
        );
    }

    #[test]
    fn the_first_chunk_may_end_at_a_clause_after_the_minimum() {
        let policy = ChunkPolicy {
            first_chunk_min_chars: 20,
            ..PLAIN
        };
        let steps = run(
            policy,
            &[
                "Well, that is a very good question, ",
                "and here is why. Also, this.",
            ],
        );
        assert_eq!(steps[0], ["Well, that is a very good question,"]);
        assert_eq!(steps[1], ["and here is why."]);
        assert_eq!(steps[2], ["Also, this."]);
    }
}
