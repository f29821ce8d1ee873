//! Fractions and ratings: `1/2`, `½`, `3/4`, `1/7`, `24/7`, `3.5/5`.

use super::{Cx, Num, Step};
use crate::speech::normalize::Language;

impl Cx<'_> {
    /// The name of the fraction `n`/`d` ("one half"), when the language has one.
    pub(super) fn fraction_name(&self, n: u32, d: u32) -> Option<&'static str> {
        self.w
            .fractions
            .iter()
            .find(|(fn_, fd, _)| *fn_ == n && *fd == d)
            .map(|(_, _, name)| *name)
    }

    /// A rating: `3.5/5` → "3 point 5 over 5".
    pub(super) fn rating(&self, n: &Num) -> Option<Step> {
        let j = n.end;
        if self.byte(j) == b'/' && n.frac.is_some() && self.is_digit(j + 1) {
            let e = self.digits_end(j + 1);
            if self.boundary(e) && self.byte(e) != b'/' {
                let den = self.s.get(j + 1..e).unwrap_or_default();
                return Some(Step::Replace(
                    e,
                    format!("{} {} {den}", self.num_text(n), self.w.over),
                ));
            }
        }
        None
    }

    /// Fractions: `1/2`, `3/4`, `1/7`.
    pub(super) fn fraction(&self, n: &Num) -> Option<Step> {
        let j = n.end;
        if self.byte(j) == b'/' && !n.thousands && n.frac.is_none() && self.is_digit(j + 1) {
            let e = self.digits_end(j + 1);
            if e - (j + 1) <= 3 && self.byte(e) != b'/' && self.boundary(e) {
                let num = self.int_value(n).unwrap_or(0);
                let den = self
                    .s
                    .get(j + 1..e)
                    .and_then(|d| d.parse::<u32>().ok())
                    .unwrap_or(0);
                let words = match self.fraction_name(num, den) {
                    Some(name) => name.to_string(),
                    None if num == 24 && den == 7 => self.w.always.to_string(),
                    // 1/7, 3/8; but 50/50, 9/11, 20/20 and a date like 3/15 are not
                    // fractions, and are left as written.
                    None if num < den && den <= 10 => {
                        format!("{} {} {den}", self.num_text(n), self.w.over)
                    }
                    None => return Some(Step::Skip(e)),
                };
                return Some(Step::Replace(e, words));
            }
        }
        None
    }

    /// The glyphs `½ ¼ ¾` (the character `c` at `i`) by name; in es and fr a half before
    /// a noun agrees with it ("media taza", "une demi-tasse"), and is left as written
    /// before a noun whose gender is not known.
    pub(super) fn fraction_glyph(&self, i: usize, c: char, next: usize) -> Step {
        let (n, d) = glyph_value(c);
        if c == '½' && matches!(self.lang, Language::Es | Language::Fr) {
            if let Some((noun, end, feminine)) = self.measured_noun(next) {
                let (masculine_half, feminine_half) = self.m.half;
                let half = if feminine {
                    feminine_half
                } else {
                    masculine_half
                };
                let joint = if half.ends_with('-') { "" } else { " " };
                // "½ tasse": the singular, as the half measures one.
                return Step::Replace(end, format!("{half}{joint}{}", noun.0));
            }
            if self.word_follows(next) {
                return Step::Skip(next);
            }
        }
        let name = self.fraction_name(n, d).unwrap_or_default();
        Step::Replace(next, self.spaced(i, next, name))
    }

    /// A whole number and a glyph ("1½", "2 ¾"): "1 and a half", de "eineinhalb", es
    /// "2 horas y media" (the noun moves before the fraction and it agrees with it).
    pub(super) fn mixed_fraction(&self, n: &Num) -> Option<Step> {
        if n.frac.is_some() || n.thousands {
            return None;
        }
        let k = self.opt_space(n.end);
        let c = self.char_at(k).filter(|c| matches!(c, '½' | '¼' | '¾'))?;
        let which = match c {
            '½' => 0,
            '¼' => 1,
            _ => 2,
        };
        let after = k + c.len_utf8();
        let number = self.num_text(n);
        let and = self.m.and_fraction[which];
        match self.lang {
            Language::De if which == 0 => {
                let value = self.int_value(n).unwrap_or(0) as usize;
                let words = match GERMAN_WHOLE.get(value.wrapping_sub(1)) {
                    Some(word) => format!("{word}{and}"),
                    None => format!("{number} {and}"),
                };
                Some(Step::Replace(after, words))
            }
            Language::Es | Language::Fr => {
                if let Some((noun, end, feminine)) = self.measured_noun(after) {
                    let (masculine_half, feminine_half) = self.m.and_half;
                    let and = match (which, feminine) {
                        (0, true) => feminine_half,
                        (0, false) => masculine_half,
                        _ => and,
                    };
                    let noun = if self.is_one(n) { noun.0 } else { noun.1 };
                    return Some(Step::Replace(end, format!("{number} {noun} {and}")));
                }
                if self.word_follows(after) {
                    return Some(Step::Skip(after));
                }
                Some(Step::Replace(after, format!("{number} {and}")))
            }
            _ => Some(Step::Replace(after, format!("{number} {and}"))),
        }
        .map(|step| self.with_unit(step))
    }

    /// A unit after a mixed fraction, in the plural: "1½ Std." → "eineinhalb Stunden".
    fn with_unit(&self, step: Step) -> Step {
        match step {
            Step::Replace(end, words) => match self.unit_at(end, false, end) {
                Some((unit_end, unit)) => Step::Replace(unit_end, format!("{words} {unit}")),
                None => Step::Replace(end, words),
            },
            other => other,
        }
    }

    /// A noun right after `i` (one space) whose gender is known: its forms, its end and
    /// whether it is feminine. A noun not in the table is not guessed ("día" is
    /// masculine, "mano" feminine): the caller leaves the fraction as written.
    fn measured_noun(&self, i: usize) -> Option<((&'static str, &'static str), usize, bool)> {
        let k = self.opt_space(i);
        let end = self.word_end(k);
        let word = self.s.get(k..end).filter(|w| !w.is_empty())?;
        let lower = word.to_lowercase();
        if let Some((one, many, feminine)) = self
            .m
            .nouns
            .iter()
            .find(|(one, many, _)| *one == lower || *many == lower)
        {
            return Some(((one, many), end, *feminine));
        }
        None
    }

    /// Whether a word follows `i` after one space.
    fn word_follows(&self, i: usize) -> bool {
        let k = self.opt_space(i);
        k > i && self.char_at(k).is_some_and(char::is_alphabetic)
    }
}

/// The value of a fraction glyph.
fn glyph_value(c: char) -> (u32, u32) {
    match c {
        '½' => (1, 2),
        '¼' => (1, 4),
        _ => (3, 4),
    }
}

/// German numbers 1 to 12 as joined before "einhalb" ("eineinhalb", "zweieinhalb").
const GERMAN_WHOLE: [&str; 12] = [
    "ein", "zwei", "drei", "vier", "fünf", "sechs", "sieben", "acht", "neun", "zehn", "elf",
    "zwölf",
];
