//! The filter's spans that run past one character: `<…>` tags (and `<think>` reasoning up
//! to its closing tag), `[text](url)` links, table rows and fenced code blocks. Each holds
//! its characters until it can tell what they are.

use super::{SpeechFilter, State};
use crate::speech::markdown::table_row_words;

/// Longest `<…>` tag or `[text](url)` link held back before it is treated as plain text.
const MAX_HELD: usize = 300;

/// Tags whose content is model reasoning, never spoken.
const REASONING_TAGS: &[&str] = &["think", "thinking", "reasoning", "reflection"];

impl SpeechFilter {
    pub(super) fn tag(&mut self, c: char, out: &mut String) {
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

    pub(super) fn link(&mut self, c: char, out: &mut String) {
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
            self.replay_inline(&text, out);
        }
    }

    /// Not a link after all (`[1]`, `[sic]`): speak the held text without brackets.
    fn abandon_link(&mut self, out: &mut String) {
        let held = std::mem::take(&mut self.held);
        let text = held[1..].replacen(']', "", 1);
        self.replay_inline(&text, out);
    }

    pub(super) fn table_row(&mut self, c: char, out: &mut String) {
        if c != '\n' {
            self.held.push(c);
            return;
        }
        let row = std::mem::take(&mut self.held);
        let words = table_row_words(&row);
        if !words.is_empty() {
            self.replay_inline(&words, out);
            self.emit('\n', out);
        }
        self.state = State::LineStart;
    }

    pub(super) fn reasoning(&mut self, name: &'static str, c: char) {
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

    pub(super) fn code(&mut self, c: char) {
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
}
