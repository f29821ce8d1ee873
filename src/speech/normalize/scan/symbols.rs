//! Symbols read as words: a sign before a number, `&`, `=`, `±`, `×`, `%`, `~`, `#`, a
//! lone `@`; money and fraction glyphs are handed to their own readers.

use super::{cur_len, Cx, Step};
use crate::speech::normalize::words;

impl Cx<'_> {
    /// A symbol `c` at `i` that is read as a word, or that starts a format.
    pub(super) fn symbol(&self, i: usize, c: char) -> Step {
        let next = i + c.len_utf8();
        if let Some(step) = self.mark_before_name(i, c, next) {
            return step;
        }
        match c {
            '-' | '−' => self.minus_sign(i, next),
            '$' | '€' | '£' | '¥' | '₹' => self.money_symbol_first(i, c, next),
            '+' => self.plus_sign(i, next),
            '(' if self.is_digit(next) => self.phone(i).unwrap_or(Step::None),
            '&' => Step::Replace(next, self.spaced(i, next, self.w.and)),
            '=' => Step::Replace(next, self.spaced(i, next, self.w.equals)),
            '±' => Step::Replace(next, self.spaced(i, next, self.w.plus_minus)),
            '×' => Step::Replace(next, self.spaced(i, next, self.w.times)),
            '%' => Step::Replace(next, self.spaced(i, next, self.w.percent)),
            '~' | '≈' => self.about(i, c, next),
            '#' if self.is_digit(next) => Step::Replace(next, format!("{} ", self.w.number)),
            '@' if self.char_at(next).is_some_and(char::is_whitespace)
                && self.prev_char(i).is_some_and(char::is_whitespace) =>
            {
                Step::Replace(next, self.w.at.to_string())
            }
            '½' | '¼' | '¾' => self.fraction_glyph(i, c, next),
            _ => Step::None,
        }
    }

    /// `-5`, `−5` and `-$5`: "minus" when the sign belongs to the number.
    fn minus_sign(&self, i: usize, next: usize) -> Step {
        if let Some(cur) = self.char_at(next).and_then(words::currency_symbol) {
            if self.is_digit(next + cur_len(self, next)) && self.sign_position(i) {
                if let Some((end, words)) = self.money_prefix(next + cur_len(self, next), cur) {
                    return Step::Replace(end, format!("{} {words}", self.w.minus));
                }
            }
        }
        if self.is_digit(next) && self.sign_position(i) {
            return Step::Replace(next, format!("{} ", self.w.minus));
        }
        Step::None
    }

    /// `+49 30 1234567` is a phone number, `+5` a signed number, any other `+` "plus".
    fn plus_sign(&self, i: usize, next: usize) -> Step {
        if self.is_digit(next) && self.sign_position(i) {
            if let Some(step) = self.phone(i) {
                return step;
            }
            return Step::Replace(next, format!("{} ", self.w.plus));
        }
        Step::Replace(next, self.spaced(i, next, self.w.plus))
    }

    /// `~5`, `≈ 5` "about 5"; a lone `≈` too, but a lone `~` is left as written.
    fn about(&self, i: usize, c: char, next: usize) -> Step {
        let after = self.opt_space(next);
        if self.is_digit(after) {
            Step::Replace(after, format!("{} ", self.w.about))
        } else if c == '≈' {
            Step::Replace(next, self.spaced(i, next, self.w.about))
        } else {
            Step::None
        }
    }

    /// A sign belongs to the number: nothing or a space or opening bracket before it.
    fn sign_position(&self, i: usize) -> bool {
        match self.prev_char(i) {
            None => true,
            Some(c) => c.is_whitespace() || "([{\"'/:".contains(c),
        }
    }
}
