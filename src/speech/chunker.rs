//! Incremental sentence chunking of a streamed reply (pure). Sentence boundaries come from
//! Unicode's sentence rules (UAX #29, via `unicode-segmentation`); a boundary is acted on
//! only once the text after it makes it certain, and common abbreviations never end a
//! sentence.

use unicode_segmentation::UnicodeSegmentation;

/// Words that end with a period without ending a sentence ("Dr. Smith"). Compared in
/// lowercase, without the final period.
const ABBREVIATIONS: &[&str] = &[
    "mr", "mrs", "ms", "dr", "prof", "st", "jr", "sr", "vs", "mt", "ft", "gen", "col", "lt", "sgt",
    "capt", "rev", "hon", "e.g", "i.e", "approx", "u.s", "u.k", "a.m", "p.m",
];

/// Cuts a stream of text deltas into sentences as early as their ends are certain.
///
/// Joined together, the sentences equal the input up to whitespace: nothing is dropped or
/// reordered, only whitespace at the cuts is trimmed.
#[derive(Debug, Default, Clone)]
pub struct SentenceChunker {
    pending: String,
}

impl SentenceChunker {
    /// A chunker with nothing pending.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a delta and returns every sentence whose end is now certain, in order.
    pub fn push(&mut self, delta: &str) -> Vec<String> {
        self.pending.push_str(delta);
        let mut sentences = Vec::new();
        while let Some(end) = self.certain_sentence_end() {
            let sentence = self.pending[..end].trim();
            if !sentence.is_empty() {
                sentences.push(sentence.to_string());
            }
            self.pending.drain(..end);
        }
        sentences
    }

    /// Ends the stream: returns what is left, if anything but whitespace.
    pub fn finish(&mut self) -> Option<String> {
        let rest = std::mem::take(&mut self.pending);
        let rest = rest.trim();
        (!rest.is_empty()).then(|| rest.to_string())
    }

    /// Byte offset where the first complete sentence of `pending` ends, if certain.
    fn certain_sentence_end(&self) -> Option<usize> {
        let text = self.pending.as_str();
        // Fast path for the common mid-sentence delta: without a terminator or a line
        // break there is no boundary. Any non-ASCII text takes the full Unicode path.
        if !text
            .bytes()
            .any(|b| matches!(b, b'.' | b'!' | b'?' | b'\n' | b'\r') || !b.is_ascii())
        {
            return None;
        }
        // Boundaries are the starts of every segment after the first.
        for (start, _) in text.split_sentence_bound_indices().skip(1) {
            let (before, after) = text.split_at(start);
            if ends_with_period(before) && !period_is_decided(after) {
                // Unicode's rule for "." looks ahead to the next letter ("e.g. (this").
                return None;
            }
            if ends_with_abbreviation(before) {
                continue;
            }
            return Some(start);
        }
        None
    }
}

/// True when the sentence's last mark, ignoring closing quotes, brackets and spaces, is a
/// full stop rather than `!`, `?` or a line break.
fn ends_with_period(sentence: &str) -> bool {
    sentence
        .trim_end_matches(|c: char| c.is_whitespace() || is_closing(c))
        .ends_with(['.', '\u{2024}', '\u{FE52}', '\u{FF0E}'])
}

fn is_closing(c: char) -> bool {
    matches!(
        c,
        '"' | '\'' | ')' | ']' | '}' | '\u{201D}' | '\u{2019}' | '\u{00BB}'
    )
}

/// Unicode keeps "." inside a sentence when the next letter is lowercase, skipping digits,
/// quotes and brackets on the way; until a letter, a line break or a terminator arrives,
/// the boundary may still disappear.
fn period_is_decided(after: &str) -> bool {
    after.chars().any(|c| {
        c.is_alphabetic()
            || matches!(c, '\n' | '\r' | '\u{85}' | '\u{2028}' | '\u{2029}')
            || matches!(c, '.' | '!' | '?' | '\u{3002}' | '\u{FF01}' | '\u{FF1F}')
    })
}

/// True when `sentence` ends with a known abbreviation or a single capital initial
/// ("J. R. R. Tolkien").
fn ends_with_abbreviation(sentence: &str) -> bool {
    let trimmed = sentence.trim_end();
    let Some(word) = trimmed.strip_suffix('.') else {
        return false;
    };
    let last = word
        .rsplit(|c: char| c.is_whitespace() || matches!(c, '(' | '"' | '\u{201C}'))
        .next()
        .unwrap_or(word);
    let mut chars = last.chars();
    if let (Some(c), None) = (chars.next(), chars.next()) {
        return c.is_uppercase();
    }
    ABBREVIATIONS
        .iter()
        .any(|abbreviation| last.eq_ignore_ascii_case(abbreviation))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Feeds `deltas` one by one; returns (sentences as they came, the flushed rest).
    fn run(deltas: &[&str]) -> (Vec<Vec<String>>, Option<String>) {
        let mut chunker = SentenceChunker::new();
        let steps = deltas.iter().map(|d| chunker.push(d)).collect();
        (steps, chunker.finish())
    }

    fn all(text: &str) -> Vec<String> {
        let mut chunker = SentenceChunker::new();
        let mut out = chunker.push(text);
        out.extend(chunker.finish());
        out
    }

    #[test]
    fn a_sentence_is_released_by_the_first_letter_after_it() {
        let (steps, rest) = run(&["Hello there.", " ", "H", "ow are you?"]);
        assert_eq!(steps[0], Vec::<String>::new());
        assert_eq!(steps[1], Vec::<String>::new());
        assert_eq!(steps[2], vec!["Hello there."]);
        assert_eq!(rest.as_deref(), Some("How are you?"));
    }

    #[test]
    fn question_and_exclamation_marks_release_on_the_next_character() {
        let (steps, _) = run(&["Really?", " 4", "2 apples"]);
        assert_eq!(steps[1], vec!["Really?"]);
        let (steps, _) = run(&["Wow!", "\"", " ", "Great"]);
        assert_eq!(steps[3], vec!["Wow!\""]);
    }

    #[test]
    fn common_cases_are_kept_whole() {
        let cases: &[(&str, &[&str])] = &[
            (
                "Sure. Dr. Smith can see you at 3 p.m. tomorrow. Does that work?",
                &[
                    "Sure.",
                    "Dr. Smith can see you at 3 p.m. tomorrow.",
                    "Does that work?",
                ],
            ),
            ("Pi is 3.14 exactly. Next", &["Pi is 3.14 exactly.", "Next"]),
            (
                "Bring fruit, e.g. apples. Then go.",
                &["Bring fruit, e.g. apples.", "Then go."],
            ),
            (
                "I read J. R. R. Tolkien. It was great.",
                &["I read J. R. R. Tolkien.", "It was great."],
            ),
            (
                "Ask Mrs. Jones or Mr. Brown. Okay?",
                &["Ask Mrs. Jones or Mr. Brown.", "Okay?"],
            ),
            (
                "It costs $42.50 today. Buy",
                &["It costs $42.50 today.", "Buy"],
            ),
            ("First line\nSecond line", &["First line", "Second line"]),
            (
                "你好。今天怎么样？很好",
                &["你好。", "今天怎么样？", "很好"],
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(all(text), *expected, "{text}");
        }
    }

    #[test]
    fn a_period_before_something_undecided_waits() {
        // "e.g. (this" must not split, so "e.g. (" cannot release yet.
        let (steps, rest) = run(&["Use a tool, e.g. (", "this one) now."]);
        assert!(steps.iter().all(Vec::is_empty), "{steps:?}");
        assert_eq!(rest.as_deref(), Some("Use a tool, e.g. (this one) now."));
    }

    #[test]
    fn whitespace_only_input_yields_nothing() {
        assert!(all("   \n ").is_empty());
        assert!(all("").is_empty());
    }

    fn squash(text: &str) -> String {
        text.chars().filter(|c| !c.is_whitespace()).collect()
    }

    fn pieces(text: &str, cuts: &[usize]) -> Vec<String> {
        let mut bounds: Vec<usize> = cuts
            .iter()
            .map(|c| c % (text.len() + 1))
            .filter(|c| text.is_char_boundary(*c))
            .collect();
        bounds.extend([0, text.len()]);
        bounds.sort_unstable();
        bounds.dedup();
        bounds
            .windows(2)
            .map(|w| text[w[0]..w[1]].to_string())
            .collect()
    }

    proptest! {
        #[test]
        fn chunks_join_to_the_input_for_any_split(
            text in "([A-Za-z]{1,6}|[ .!?,\"')(0-9]|\n|Dr\\. |e\\.g\\. |é|。){0,40}",
            cuts in proptest::collection::vec(0usize..400, 0..12),
        ) {
            let mut chunker = SentenceChunker::new();
            let mut out = Vec::new();
            for piece in pieces(&text, &cuts) {
                out.extend(chunker.push(&piece));
            }
            out.extend(chunker.finish());
            prop_assert!(out.iter().all(|s| !s.trim().is_empty()));
            prop_assert_eq!(squash(&out.concat()), squash(&text));
            // Where the stream is cut into deltas never changes what is spoken.
            prop_assert_eq!(out, all(&text));
        }
    }
}
