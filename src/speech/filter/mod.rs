//! Streaming cleanup of model text for speech (pure): markdown reduced to its words (but
//! `7 * 8` keeps its `*`), links to their text, HTML tags dropped, code blocks and `<think>`
//! reasoning skipped, emoji dropped. Works one character at a time and holds back only what
//! it cannot decide yet (a line's first characters, a tag, a link, a run of `*` until the
//! character after it), so where the stream is cut into deltas never changes the result.

use super::markdown::{is_emoji, is_rule_line, line_marker, mark_is_text, table_row_words, Marker};

mod spans;

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
                    self.replay_inline(&held, &mut out);
                }
            }
            State::TableRow => {
                let row = std::mem::take(&mut self.held);
                self.replay_inline(&table_row_words(&row), &mut out);
            }
            State::Tag | State::Link => {
                let held = std::mem::take(&mut self.held);
                self.replay_inline(&held, &mut out);
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
                self.replay_inline(&held, out);
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
                self.replay_inline(&rest, out);
            }
            Marker::None => {
                let held = std::mem::take(&mut self.held);
                self.replay_inline(&held, out);
            }
        }
    }

    /// Replays held text (a line's start, a link's words, a table row) as ordinary
    /// inline text.
    fn replay_inline(&mut self, text: &str, out: &mut String) {
        self.state = State::Inline;
        for c in text.chars() {
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

    fn emit(&mut self, c: char, out: &mut String) {
        if self.drop_emoji && is_emoji(c) {
            return;
        }
        out.push(c);
        self.last = c;
    }
}
