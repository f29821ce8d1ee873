//! The left-to-right scanner: at each word start or symbol it tries the formats it knows,
//! longest first, and copies everything else untouched. Slices only at char boundaries.
//! This file holds the cursor and the dispatch; each format has its own file.

mod abbreviations;
mod address;
mod dates;
mod fractions;
mod marks;
mod money;
mod numbers;
mod ordinals;
mod phone;
mod symbols;
mod time;
mod units;
mod versions;

use std::borrow::Cow;

use super::words::{self, More, Words};
use super::Language;

/// Symbols that may need words; a text with none of them, no digit and no `.` (every
/// abbreviation, address and decimal has one) is returned as it is without a scan.
const ASCII_TRIGGERS: &[u8] = b"$%@&+=#~./-";
const OTHER_TRIGGERS: &[char] = &[
    '€', '£', '¥', '₹', '×', '±', '°', '½', '¼', '¾', '≈', '−', '–', 'º', 'ª', '§', '²', '³',
];

/// Whether `text` has anything the scanner could rewrite.
pub(super) fn may_need_rewriting(text: &str) -> bool {
    text.bytes()
        .any(|b| b.is_ascii_digit() || ASCII_TRIGGERS.contains(&b))
        || (!text.is_ascii() && text.chars().any(|c| OTHER_TRIGGERS.contains(&c)))
}

/// Rewrites every format found in `text`.
pub(super) fn rewrite(text: &str, language: Language) -> Cow<'_, str> {
    let cx = Cx {
        s: text,
        b: text.as_bytes(),
        lang: language,
        w: words::words(language),
        m: words::more(language),
    };
    let mut out = Out {
        src: text,
        buf: None,
        copied: 0,
    };
    let mut i = 0;
    while i < text.len() {
        let Some(c) = cx.char_at(i) else { break };
        let start = cx.at_word_start(i);
        if !c.is_alphanumeric() || start {
            match cx.at(i, c) {
                Step::Replace(end, with) => {
                    out.replace(i, end, &with);
                    i = end;
                    continue;
                }
                Step::Skip(end) => {
                    i = end.max(i + c.len_utf8());
                    continue;
                }
                Step::None => {}
            }
        }
        if c.is_alphanumeric() {
            i = cx.word_end(i);
        } else {
            i += c.len_utf8();
        }
    }
    out.finish()
}

/// The output, allocated at the first rewrite only.
struct Out<'a> {
    src: &'a str,
    buf: Option<String>,
    copied: usize,
}

impl<'a> Out<'a> {
    fn replace(&mut self, start: usize, end: usize, with: &str) {
        let buf = self
            .buf
            .get_or_insert_with(|| String::with_capacity(self.src.len() + 32));
        buf.push_str(self.src.get(self.copied..start).unwrap_or_default());
        match with.strip_prefix(' ') {
            Some(rest) if buf.ends_with(' ') => buf.push_str(rest),
            _ => buf.push_str(with),
        }
        self.copied = end;
    }

    fn finish(self) -> Cow<'a, str> {
        match self.buf {
            None => Cow::Borrowed(self.src),
            Some(mut buf) => {
                buf.push_str(self.src.get(self.copied..).unwrap_or_default());
                Cow::Owned(buf)
            }
        }
    }
}

/// What the scanner does at one position.
enum Step {
    /// Replace up to the byte index with the words.
    Replace(usize, String),
    /// Leave everything up to the byte index as it is.
    Skip(usize),
    /// Nothing starts here.
    None,
}

/// A number as written: integer digits (with any thousands separators) and decimals.
#[derive(Debug, Clone, Copy)]
struct Num {
    start: usize,
    int_end: usize,
    frac: Option<(usize, usize)>,
    thousands: bool,
    end: usize,
}

/// The scanner over one text: the text (as `str` and as bytes), its language and that
/// language's words. Each format is a method on it, kept in the file of its format.
struct Cx<'a> {
    s: &'a str,
    b: &'a [u8],
    lang: Language,
    w: &'static Words,
    m: &'static More,
}

fn is_space(c: char) -> bool {
    c == ' ' || c == '\u{a0}' || c == '\u{202f}'
}

impl Cx<'_> {
    fn char_at(&self, i: usize) -> Option<char> {
        self.s.get(i..)?.chars().next()
    }

    fn prev_char(&self, i: usize) -> Option<char> {
        self.s.get(..i)?.chars().next_back()
    }

    fn byte(&self, i: usize) -> u8 {
        self.b.get(i).copied().unwrap_or(0)
    }

    fn rest(&self, i: usize) -> &str {
        self.s.get(i..).unwrap_or_default()
    }

    fn is_digit(&self, i: usize) -> bool {
        self.byte(i).is_ascii_digit()
    }

    fn digits_end(&self, mut i: usize) -> usize {
        while self.is_digit(i) {
            i += 1;
        }
        i
    }

    /// End of the run of letters and digits starting at `i`.
    fn word_end(&self, i: usize) -> usize {
        let mut end = i;
        for c in self.rest(i).chars() {
            if !c.is_alphanumeric() {
                break;
            }
            end += c.len_utf8();
        }
        end
    }

    /// No letter, digit, or "digit." / "digit," right before `i`.
    fn at_word_start(&self, i: usize) -> bool {
        match self.prev_char(i) {
            None => true,
            Some(c) if c.is_alphanumeric() || c == '_' => false,
            Some('.' | ',') => !self.prev_char(i - 1).is_some_and(|c| c.is_alphanumeric()),
            Some(_) => true,
        }
    }

    /// Whether no letter or digit follows `i`.
    fn boundary(&self, i: usize) -> bool {
        !self.char_at(i).is_some_and(|c| c.is_alphanumeric())
    }

    /// `word` padded with a space on each side that touches a non-space.
    fn spaced(&self, start: usize, end: usize, word: &str) -> String {
        let mut out = String::with_capacity(word.len() + 2);
        if self
            .prev_char(start)
            .is_some_and(|c| !c.is_whitespace() && !"([{\"'".contains(c))
        {
            out.push(' ');
        }
        out.push_str(word);
        if self
            .char_at(end)
            .is_some_and(|c| !c.is_whitespace() && !".,;:!?)]}\"'".contains(c))
        {
            out.push(' ');
        }
        out
    }

    /// Skips one optional space (regular or no-break) at `i`.
    fn opt_space(&self, i: usize) -> usize {
        match self.char_at(i) {
            Some(c) if is_space(c) => i + c.len_utf8(),
            _ => i,
        }
    }

    /// Whether a period consumed at `end` also ended the sentence: the end of the text, or
    /// a space and a capital letter after it.
    fn sentence_ends_at(&self, end: usize) -> bool {
        end == self.s.len()
            || (self.byte(end) == b' ' && self.char_at(end + 1).is_some_and(char::is_uppercase))
    }

    /// What starts at `i`, whose character is `c`: a number, a word or a symbol.
    fn at(&self, i: usize, c: char) -> Step {
        if c.is_ascii_digit() {
            return self.number_like(i);
        }
        if c.is_alphabetic() {
            return self.word_like(i);
        }
        self.symbol(i, c)
    }

    /// Whatever starts with a letter at `i`: named dollars, addresses, abbreviations and
    /// en month-first dates.
    fn word_like(&self, i: usize) -> Step {
        if let Some(step) = self.prefixed_dollars(i) {
            return step;
        }
        let rest = self.rest(i);
        if rest.starts_with("http://") || rest.starts_with("https://") || rest.starts_with("www.") {
            if let Some(step) = self.url(i) {
                return step;
            }
        }
        if let Some(step) = self.email(i) {
            return step;
        }
        if let Some(step) = self.domain(i) {
            return step;
        }
        if let Some(step) = self.abbreviation(i) {
            return step;
        }
        let marked = self
            .number_mark(i)
            .or_else(|| self.weekday_range(i))
            .or_else(|| self.glued_version(i))
            .or_else(|| self.roman_century(i));
        if let Some(step) = marked {
            return step;
        }
        if self.lang == Language::En {
            if let Some(step) = self.month_first_date(i) {
                return step;
            }
        }
        Step::None
    }
}

/// Length of the currency symbol at `i`.
fn cur_len(cx: &Cx<'_>, i: usize) -> usize {
    cx.char_at(i).map_or(1, char::len_utf8)
}
