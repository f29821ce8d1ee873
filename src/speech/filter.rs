//! Streaming cleanup of model text for speech (pure): markdown reduced to its words (but
//! `7 * 8` keeps its `*`), links to their text, HTML tags dropped, code blocks and `<think>`
//! reasoning skipped, emoji dropped. Works one character at a time and holds back only what
//! it cannot decide yet (a line's first characters, a tag, a link, a run of `*` until the
//! character after it), so where the stream is cut into deltas never changes the result.

use super::markdown::{is_emoji, is_rule_line, line_marker, mark_is_text, table_row_words, Marker};

/// Longest `<…>` tag or `[text](url)` link held back before it is treated as plain text.
const MAX_HELD: usize = 300;

/// Tags whose content is model reasoning, never spoken.
const REASONING_TAGS: &[&str] = &["think", "thinking", "reasoning", "reflection"];

#[derive(Debug, Clone, PartialEq, Eq)]
enum State {
    /// At the start of a line: collecting a possible marker (`#`, `-`, `1.`, `>`, `|`, fence).
    LineStart,
    /// Inside a line of text.
    Inline,
    /// Inside `<…`: deciding whether it is a tag.
    Tag,
    /// Inside `[…` or `[…](…`: deciding whether it is a link.
    Link,
    /// Inside a table row (line started with `|`), until the line ends.
    TableRow,
    /// Inside a reasoning block, until its closing tag.
    Reasoning(&'static str),
    /// Inside a fenced code block, until a line starting with the fence.
    Code,
}

/// Turns markdown-flavoured model text into text a voice can read.
#[derive(Debug, Clone)]
pub struct SpeechFilter {
    state: State,
    held: String,
    drop_emoji: bool,
    /// Last character emitted (for emphasis and spacing decisions).
    last: char,
    /// A mark and how many times it repeats, waiting for the next character: a run of `*`,
    /// `_`, `~` or backticks (markup, or text like `7 * 8`), or a `!` (an image
    /// `![alt](url)`, or an exclamation).
    pending: Option<(char, usize)>,
    /// Inside inline code: the next backtick run closes it, whatever surrounds it.
    in_code: bool,
}

impl SpeechFilter {
    /// A filter; `drop_emoji` removes pictographs and their modifiers.
    pub fn new(drop_emoji: bool) -> Self {
        Self {
            state: State::LineStart,
            held: String::new(),
            drop_emoji,
            last: '\n',
            pending: None,
            in_code: false,
        }
    }

    /// Cleans a delta; returns the text that is certain so far.
    pub fn push(&mut self, delta: &str) -> String {
        let mut out = String::with_capacity(delta.len());
        for c in delta.chars() {
            self.step(c, &mut out);
        }
        out
    }

    /// The model paused: releases a held "!" so a finished exclamation can be spoken now.
    pub fn pause(&mut self) -> String {
        let mut out = String::new();
        if self.state == State::Inline && self.pending == Some(('!', 1)) {
            self.flush_pending(None, &mut out);
        }
        out
    }

    /// Ends the stream: releases what was held as plain text (an unclosed reasoning or
    /// code block stays unspoken).
    pub fn finish(&mut self) -> String {
        let mut out = String::new();
        match self.state {
            State::LineStart => {
                let held = std::mem::take(&mut self.held);
                if !is_rule_line(&held) {
                    self.release_line_start(held, &mut out);
                }
            }
            State::TableRow => {
                let row = std::mem::take(&mut self.held);
                self.emit_str(&table_row_words(&row), &mut out);
            }
            State::Tag | State::Link => {
                let held = std::mem::take(&mut self.held);
                self.state = State::Inline;
                self.emit_plain(&held, &mut out);
            }
            State::Inline | State::Reasoning(_) | State::Code => {}
        }
        self.flush_pending(None, &mut out);
        self.held.clear();
        self.in_code = false;
        self.state = State::LineStart;
        out
    }

    fn step(&mut self, c: char, out: &mut String) {
        match self.state {
            State::LineStart => self.line_start(c, out),
            State::Inline => self.inline(c, out),
            State::Tag => self.tag(c, out),
            State::Link => self.link(c, out),
            State::TableRow => self.table_row(c, out),
            State::Reasoning(name) => self.reasoning(name, c),
            State::Code => self.code(c),
        }
    }

    fn line_start(&mut self, c: char, out: &mut String) {
        if c == '\n' {
            let held = std::mem::take(&mut self.held);
            if !is_rule_line(&held) {
                self.release_line_start(held, out);
            }
            self.emit('\n', out);
            self.state = State::LineStart;
            return;
        }
        self.held.push(c);
        let held = self.held.as_str();
        if held.trim_start().starts_with("```") || held.trim_start().starts_with("~~~") {
            self.held.clear();
            self.state = State::Code;
            return;
        }
        if held.trim_start().starts_with('|') {
            self.state = State::TableRow;
            return;
        }
        match line_marker(held) {
            Marker::Undecided => {}
            Marker::Strip(len) => {
                let rest = self.held.split_off(len);
                self.held.clear();
                self.state = State::Inline;
                for c in rest.chars() {
                    self.step(c, out);
                }
            }
            Marker::None => {
                let held = std::mem::take(&mut self.held);
                self.release_line_start(held, out);
            }
        }
    }

    /// Replays held line-start characters as ordinary inline text.
    fn release_line_start(&mut self, held: String, out: &mut String) {
        self.state = State::Inline;
        for c in held.chars() {
            self.step(c, out);
        }
    }

    fn inline(&mut self, c: char, out: &mut String) {
        match self.pending {
            Some((mark, run)) if mark == c && mark != '!' => {
                self.pending = Some((mark, run + 1));
                return;
            }
            Some(_) => self.flush_pending(Some(c), out),
            None => {}
        }
        match c {
            '\n' => {
                self.emit('\n', out);
                // A stray backtick must not turn the next line's marks into closers.
                self.in_code = false;
                self.state = State::LineStart;
            }
            '*' | '_' | '~' | '`' | '!' => self.pending = Some((c, 1)),
            '<' | '[' => {
                self.held.push(c);
                self.state = if c == '<' { State::Tag } else { State::Link };
            }
            _ => self.emit(c, out),
        }
    }

    /// Decides the held mark now that the character after it (`None`: the end) is known.
    fn flush_pending(&mut self, next: Option<char>, out: &mut String) {
        let Some((mark, run)) = self.pending.take() else {
            return;
        };
        if mark == '!' {
            // The "!" of an image is not an exclamation.
            if next != Some('[') {
                self.emit('!', out);
            }
            return;
        }
        if mark_is_text(mark, run, self.last, next, self.in_code) {
            for _ in 0..run {
                self.emit(mark, out);
            }
        } else if mark == '`' {
            self.in_code = !self.in_code;
        }
    }

    fn tag(&mut self, c: char, out: &mut String) {
        self.held.push(c);
        let body = &self.held[1..];
        let first = body.chars().next();
        let looks_like_tag = first.is_some_and(|f| f.is_ascii_alphabetic() || f == '/' || f == '!');
        if !looks_like_tag || c == '\n' || self.held.len() > MAX_HELD {
            let held = std::mem::take(&mut self.held);
            self.state = State::Inline;
            // "<" followed by a space or digit is a comparison, not a tag.
            let mut chars = held.chars();
            if let Some(first) = chars.next() {
                self.emit(first, out);
            }
            for c in chars {
                self.step(c, out);
            }
            return;
        }
        if c != '>' {
            return;
        }
        let held = std::mem::take(&mut self.held);
        self.state = State::Inline;
        let name: String = held[1..held.len() - 1]
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_lowercase();
        if !held.starts_with("</") {
            if let Some(tag) = REASONING_TAGS.iter().find(|t| **t == name) {
                self.state = State::Reasoning(tag);
                return;
            }
        }
        // Other tags vanish; a line-breaking tag keeps words apart.
        if matches!(name.as_str(), "br" | "p" | "div" | "li" | "tr") && !self.last.is_whitespace() {
            self.emit(' ', out);
        }
    }

    fn link(&mut self, c: char, out: &mut String) {
        self.held.push(c);
        let held = self.held.as_str();
        let Some(close) = held.find(']') else {
            if c == '\n' || held.len() > MAX_HELD {
                self.abandon_link(out);
            }
            return;
        };
        let after = &held[close + 1..];
        if after.is_empty() {
            return;
        }
        if !after.starts_with('(') {
            self.abandon_link(out);
            return;
        }
        if c == '\n' || held.len() > MAX_HELD {
            self.abandon_link(out);
            return;
        }
        if c == ')' {
            let text = held[1..close].to_string();
            self.held.clear();
            self.state = State::Inline;
            for c in text.chars() {
                self.step(c, out);
            }
        }
    }

    /// Not a link after all (`[1]`, `[sic]`): speak the held text without brackets.
    fn abandon_link(&mut self, out: &mut String) {
        let held = std::mem::take(&mut self.held);
        self.state = State::Inline;
        let text = held[1..].replacen(']', "", 1);
        self.emit_plain(&text, out);
    }

    fn emit_plain(&mut self, text: &str, out: &mut String) {
        for c in text.chars() {
            self.step(c, out);
        }
    }

    fn table_row(&mut self, c: char, out: &mut String) {
        if c != '\n' {
            self.held.push(c);
            return;
        }
        let row = std::mem::take(&mut self.held);
        let words = table_row_words(&row);
        if !words.is_empty() {
            self.emit_str(&words, out);
            self.emit('\n', out);
        }
        self.state = State::LineStart;
    }

    fn emit_str(&mut self, text: &str, out: &mut String) {
        self.state = State::Inline;
        for c in text.chars() {
            self.step(c, out);
        }
    }

    fn reasoning(&mut self, name: &'static str, c: char) {
        self.held.push(c);
        let closing = format!("</{name}>");
        if self.held.len() > closing.len() * 4 {
            let keep = self.held.len() - closing.len();
            let cut = (keep..=self.held.len())
                .find(|i| self.held.is_char_boundary(*i))
                .unwrap_or(self.held.len());
            self.held.drain(..cut);
        }
        if self.held.to_ascii_lowercase().ends_with(&closing) {
            self.held.clear();
            self.state = State::Inline;
        }
    }

    fn code(&mut self, c: char) {
        if c == '\n' {
            self.held.clear();
            return;
        }
        self.held.push(c);
        let line = self.held.trim_start();
        if line.starts_with("```") || line.starts_with("~~~") {
            // The closing fence; the rest of its line is ignored.
            self.held.clear();
            self.state = State::LineStart;
            // Keep the text before and after the block apart.
            self.last = '\n';
        }
    }

    fn emit(&mut self, c: char, out: &mut String) {
        if self.drop_emoji && is_emoji(c) {
            return;
        }
        out.push(c);
        self.last = c;
    }
}
