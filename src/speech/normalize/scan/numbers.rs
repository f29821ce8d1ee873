//! Numbers as written: digits with thousands separators and decimals, and what may
//! follow one (percent, range, factor, scale); the dispatch of what starts with a digit.

use super::{is_space, Cx, Num, Step};
use crate::speech::normalize::Language;

impl Cx<'_> {
    /// The number written at `i`, read with the language's thousands and decimal separators.
    pub(super) fn parse_num(&self, i: usize) -> Option<Num> {
        let first_end = self.digits_end(i);
        if first_end == i {
            return None;
        }
        let mut j = first_end;
        let mut thousands = false;
        if first_end - i <= 3 {
            while let Some(sep) = self.thousands_sep(j) {
                let k = j + sep;
                let e = self.digits_end(k);
                if e - k == 3 {
                    j = e;
                    thousands = true;
                } else {
                    break;
                }
            }
        }
        let int_end = j;
        let decimal = if self.lang == Language::En {
            b'.'
        } else {
            b','
        };
        let mut frac = None;
        let sep = self.byte(j);
        if (sep == decimal || (sep == b'.' && !thousands)) && self.is_digit(j + 1) {
            let e = self.digits_end(j + 1);
            frac = Some((j + 1, e));
            j = e;
        }
        Some(Num {
            start: i,
            int_end,
            frac,
            thousands,
            end: j,
        })
    }

    /// Length of a thousands separator at `j`, if the language uses one there.
    fn thousands_sep(&self, j: usize) -> Option<usize> {
        let c = self.char_at(j)?;
        let ok = match self.lang {
            Language::En => c == ',',
            Language::De | Language::Es => c == '.',
            Language::Fr => c == '.' || is_space(c),
        };
        ok.then_some(c.len_utf8())
    }

    /// The integer value of a number with no decimals, if small enough to matter.
    pub(super) fn int_value(&self, n: &Num) -> Option<u32> {
        if n.frac.is_some() {
            return None;
        }
        let mut v: u32 = 0;
        for b in self.s.get(n.start..n.int_end)?.bytes() {
            if b.is_ascii_digit() {
                v = v.checked_mul(10)?.checked_add(u32::from(b - b'0'))?;
            }
        }
        Some(v)
    }

    /// Appends `n` as spoken: the integer's digits without separators, then "point" and
    /// each decimal digit on its own.
    pub(super) fn push_num(&self, out: &mut String, n: &Num) {
        let int = self.s.get(n.start..n.int_end).unwrap_or_default();
        out.extend(int.chars().filter(char::is_ascii_digit));
        if let Some((a, b)) = n.frac {
            out.push(' ');
            out.push_str(self.w.point);
            for d in self.s.get(a..b).unwrap_or_default().chars() {
                out.push(' ');
                out.push(d);
            }
        }
    }

    /// `n` as spoken, in a new string.
    pub(super) fn num_text(&self, n: &Num) -> String {
        let mut out = String::new();
        self.push_num(&mut out, n);
        out
    }

    /// Whether a number reads as one (takes the singular).
    pub(super) fn is_one(&self, n: &Num) -> bool {
        let int = self.s.get(n.start..n.int_end).unwrap_or_default();
        match n.frac {
            None => int == "1",
            Some(_) => self.lang == Language::Fr && (int == "0" || int == "1"),
        }
    }

    /// Whatever starts with a digit at `i`: dates, phone numbers and times are tried before
    /// the number, because each of them begins with one.
    pub(super) fn number_like(&self, i: usize) -> Step {
        let whole = self
            .iso_date(i)
            .or_else(|| self.numeric_date(i))
            .or_else(|| self.version_after_word(i))
            .or_else(|| self.phone(i))
            .or_else(|| self.clock(i))
            .or_else(|| self.score(i));
        if let Some(step) = whole {
            return step;
        }
        let Some(n) = self.parse_num(i) else {
            return Step::None;
        };
        if let Some(end) = self.version_end(&n) {
            return Step::Skip(end);
        }
        self.after_number(&n)
            .unwrap_or_else(|| self.plain_number(&n))
    }

    /// How the number `n` is read, decided by what follows it; `None` when nothing does.
    /// The first format that fits wins: where two could take the same text, the order
    /// says which one is meant.
    fn after_number(&self, n: &Num) -> Option<Step> {
        self.mixed_fraction(n)
            .or_else(|| self.ordinal_or_day(n))
            .or_else(|| self.am_pm(n))
            .or_else(|| self.percent(n))
            .or_else(|| self.money_after(n))
            .or_else(|| self.unit(n))
            .or_else(|| self.range_from(n))
            .or_else(|| self.rating(n))
            .or_else(|| self.fraction(n))
            .or_else(|| self.factor(n))
            .or_else(|| self.scale_abbreviation(n))
            .or_else(|| self.scale_letter(n))
    }

    /// The end of a version number or address starting with `n` (1.2.3, 10.0.0.1), which
    /// is left as written.
    fn version_end(&self, n: &Num) -> Option<usize> {
        if matches!(self.byte(n.end), b'.' | b',') && self.is_digit(n.end + 1) {
            let mut e = n.end;
            while matches!(self.byte(e), b'.' | b',') && self.is_digit(e + 1) {
                e = self.digits_end(e + 1);
            }
            return Some(e);
        }
        None
    }

    /// `50%`, `12.5 %`.
    fn percent(&self, n: &Num) -> Option<Step> {
        let k = self.opt_space(n.end);
        if self.byte(k) == b'%' {
            return Some(Step::Replace(
                k + 1,
                format!("{} {}", self.num_text(n), self.w.percent),
            ));
        }
        None
    }

    /// A range starting with `n`: `5-10`, `5–10`, `5 – 10`; the second number is read on
    /// its own.
    fn range_from(&self, n: &Num) -> Option<Step> {
        let second = self.range_second(n.end)?;
        Some(Step::Replace(
            second,
            format!("{} {} ", self.num_text(n), self.w.to),
        ))
    }

    /// Multiplication: `3×4`, `3 x 4`, `3x4`; a factor: `3x faster`, `1.5×`. Hex (`0x1F`)
    /// is left as written.
    fn factor(&self, n: &Num) -> Option<Step> {
        let j = n.end;
        let k = self.opt_space(j);
        if let Some(c) = self.char_at(k) {
            if matches!(c, '×' | 'x' | 'X') {
                let x_end = k + c.len_utf8();
                let after = self.opt_space(x_end);
                let hex = c == 'x' && k == j && self.s.get(n.start..n.end) == Some("0");
                if hex {
                    return Some(Step::Skip(self.word_end(x_end)));
                }
                if self.is_digit(after) {
                    return Some(Step::Replace(
                        after,
                        format!("{} {} ", self.num_text(n), self.w.times),
                    ));
                }
                if k == j && self.boundary(x_end) {
                    return Some(Step::Replace(
                        x_end,
                        format!("{} {}", self.num_text(n), self.w.times),
                    ));
                }
            }
        }
        None
    }

    /// de "2,5 Mio. Nutzer".
    fn scale_abbreviation(&self, n: &Num) -> Option<Step> {
        let j = n.end;
        if self.byte(j) == b' ' {
            if let Some((scale, end)) = self.scale_abbreviation_at(j + 1) {
                let (one, many) = self.w.scales.get(scale).copied().unwrap_or_default();
                let word = if self.is_one(n) { one } else { many };
                let mut words = format!("{} {word}", self.num_text(n));
                // Every German noun is capitalised: only the text's end says the sentence
                // ended here.
                if end == self.s.len() {
                    words.push('.');
                }
                return Some(Step::Replace(end, words));
            }
        }
        None
    }

    /// A scale letter: `2.5M`, `1.5B`, `1.2bn`.
    fn scale_letter(&self, n: &Num) -> Option<Step> {
        let j = n.end;
        let scale = match (self.byte(j), self.byte(j + 1)) {
            (b'M', _) => Some((1, 1)),
            (b'B', _) => Some((2, 1)),
            (b'b', b'n') => Some((2, 2)),
            _ => None,
        };
        // Only with decimals (2.5M): a bare 2B or 14B is a seat, a gate or a flat.
        if let Some((scale, len)) = scale.filter(|_| n.frac.is_some()) {
            if self.boundary(j + len) {
                let (one, many) = self.w.scales.get(scale).copied().unwrap_or_default();
                let word = if self.is_one(n) { one } else { many };
                return Some(Step::Replace(
                    j + len,
                    format!("{} {word}", self.num_text(n)),
                ));
            }
        }
        None
    }

    /// A number and nothing more: separators dropped and decimals read out; a plain
    /// integer stays as written.
    fn plain_number(&self, n: &Num) -> Step {
        if n.thousands || n.frac.is_some() {
            return Step::Replace(n.end, self.num_text(n));
        }
        Step::Skip(n.end)
    }

    /// The start of the second number of a range after `j`, if there is one.
    pub(super) fn range_second(&self, j: usize) -> Option<usize> {
        let c = self.char_at(j)?;
        // A ZIP+4 (12345-6789) or a long code is not a range.
        let first_digits = self.s.get(..j).map_or(0, |before| {
            before.bytes().rev().take_while(u8::is_ascii_digit).count()
        });
        if first_digits >= 5 {
            return None;
        }
        if c == '-' || c == '–' {
            let k = j + c.len_utf8();
            if self.is_digit(k) {
                return Some(k);
            }
        }
        if c == ' ' {
            let d = self.char_at(j + 1)?;
            // Spaced, only the en dash is a range: "10 - 3" is a subtraction.
            if d == '–' && self.byte(j + 1 + d.len_utf8()) == b' ' {
                let k = j + 2 + d.len_utf8();
                if self.is_digit(k) {
                    return Some(k);
                }
            }
        }
        None
    }
}
