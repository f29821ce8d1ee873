//! Marks before a name or a number, read as words: `#hashtag`, `@handle`, `§ 5`, `No. 5`,
//! `Nr. 5`, `n° 5`, `núm. 5`; and ranges of weekdays (`Mon–Fri`).

use super::{Cx, Step};

/// How "number" is abbreviated before a digit, in any of the four languages.
const NUMBER_MARKS: &[&str] = &[
    "No.", "Nr.", "Nº", "N°", "nº", "n°", "n.º", "N.º", "núm.", "Núm.", "Nos.",
];

impl Cx<'_> {
    /// `#word`, `@name` and `§ 5` at `i` (the mark `c`).
    pub(super) fn mark_before_name(&self, i: usize, c: char, next: usize) -> Option<Step> {
        let starts_word = self.char_at(next).is_some_and(char::is_alphabetic)
            && !self
                .prev_char(i)
                .is_some_and(|p| p.is_alphanumeric() || p == '_');
        match c {
            '#' | '@' if starts_word => {
                let mut end = next;
                while self
                    .char_at(end)
                    .is_some_and(|c| c.is_alphanumeric() || c == '_')
                {
                    end += self.char_at(end).map_or(1, char::len_utf8);
                }
                let name = self.s.get(next..end)?.trim_end_matches('_');
                let end = next + name.len();
                let colour = matches!(name.len(), 3 | 4 | 6 | 8)
                    && name.chars().all(|c| c.is_ascii_hexdigit())
                    && name.chars().any(|c| c.is_ascii_digit());
                if c == '#' && colour {
                    // "#ff5733" is a colour.
                    return Some(Step::Skip(end));
                }
                let mark = if c == '#' {
                    self.m.hashtag
                } else {
                    self.m.handle
                };
                let name = self.underscored(name);
                Some(Step::Replace(end, format!("{mark} {name}")))
            }
            '§' if self.char_at(next) != Some('§') => {
                let k = self.opt_space(next);
                self.is_digit(k)
                    .then(|| Step::Replace(k, format!("{} ", self.m.section)))
            }
            _ => None,
        }
    }

    /// `_` in a name or an address said as a word ("john underscore smith").
    pub(super) fn underscored(&self, name: &str) -> String {
        name.split('_')
            .filter(|part| !part.is_empty())
            .collect::<Vec<_>>()
            .join(&format!(" {} ", self.m.underscore))
    }

    /// "No. 5", "Nr. 5", "n° 5", "núm. 5" at `i`: "number 5".
    pub(super) fn number_mark(&self, i: usize) -> Option<Step> {
        if !matches!(self.byte(i), b'N' | b'n') {
            return None;
        }
        let rest = self.rest(i);
        let mark = NUMBER_MARKS.iter().find(|m| rest.starts_with(**m))?;
        // "Do I need 3 forms? No. 2 are enough.": an answer, at a sentence's start.
        let before = self.s.get(..i).unwrap_or_default().trim_end();
        if mark.starts_with("No") && (before.is_empty() || before.ends_with(['.', '!', '?'])) {
            return None;
        }
        let k = self.opt_space(i + mark.len());
        self.is_digit(k)
            .then(|| Step::Replace(k, format!("{} ", self.w.number)))
    }

    /// A range of two weekdays at `i` ("Mon–Fri", "Mo.-Fr.", "lun–vie"): "Monday to
    /// Friday", "du lundi au vendredi".
    pub(super) fn weekday_range(&self, i: usize) -> Option<Step> {
        // A range is written without spaces ("Mon–Fri", "Mo.-Fr."): "so – so" and
        // "Friday—Saturday is booked" are not ranges. Most words have no dash after them,
        // which is told before any lookup.
        let word_end = self.word_end(i);
        let k = if self.byte(word_end) == b'.' {
            word_end + 1
        } else {
            word_end
        };
        let dash = self.char_at(k).filter(|c| matches!(c, '-' | '–'))?;
        let (first, after_first) = self.weekday_at(i)?;
        if after_first != k {
            return None;
        }
        let (last, end) = self.weekday_at(k + dash.len_utf8())?;
        let before = self.s.get(..i).unwrap_or_default().trim_end();
        let written_from = before
            .rsplit(char::is_whitespace)
            .next()
            .is_some_and(|w| w.eq_ignore_ascii_case(self.m.weekday_from));
        let from = if self.m.weekday_from.is_empty() || written_from {
            String::new()
        } else {
            format!("{} ", self.m.weekday_from)
        };
        let mut words = format!("{from}{first} {} {last}", self.m.weekday_to);
        // A sentence's final period that an abbreviation's period also was.
        if self.byte(end - 1) == b'.' && self.sentence_ends_at(end) {
            words.push('.');
        }
        Some(Step::Replace(end, words))
    }

    /// A weekday's abbreviation or name at `i` (and an optional period), with its end.
    fn weekday_at(&self, i: usize) -> Option<(&'static str, usize)> {
        let end = self.word_end(i);
        let word = self.s.get(i..end)?.to_lowercase();
        let (_, name) = self
            .m
            .weekdays
            .iter()
            .find(|(written, _)| written.contains(&word.as_str()))?;
        let end = if self.byte(end) == b'.' { end + 1 } else { end };
        Some((name, end))
    }
}
