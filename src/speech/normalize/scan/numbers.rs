//! Numbers as written: digits with thousands separators and decimals, and what may
//! follow one (percent, range, fraction, factor, scale); the number dispatch.

use super::{cur_len, is_space, Cx, Num, Step};
use crate::speech::normalize::words;
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
        if let Some(step) = self.iso_date(i) {
            return step;
        }
        if let Some(step) = self.numeric_date(i) {
            return step;
        }
        if let Some(step) = self.phone(i) {
            return step;
        }
        if let Some(step) = self.clock(i) {
            return step;
        }
        let Some(n) = self.parse_num(i) else {
            return Step::None;
        };
        // Version numbers and addresses: 1.2.3, 10.0.0.1.
        if matches!(self.byte(n.end), b'.' | b',') && self.is_digit(n.end + 1) {
            let mut e = n.end;
            while matches!(self.byte(e), b'.' | b',') && self.is_digit(e + 1) {
                e = self.digits_end(e + 1);
            }
            return Step::Skip(e);
        }
        let j = n.end;
        if let Some(step) = self.ordinal_or_day(&n) {
            return step;
        }
        if let Some(step) = self.am_pm(&n) {
            return step;
        }
        // Percent.
        let k = self.opt_space(j);
        if self.byte(k) == b'%' {
            return Step::Replace(k + 1, format!("{} {}", self.num_text(&n), self.w.percent));
        }
        // Money written after the amount, maybe with a scale word: "5 Millionen €".
        if self.byte(j) == b' ' {
            if let Some((scale, e)) = self.scale_word_at(j + 1) {
                let c_at = self.opt_space(e);
                if let Some(cur) = self.char_at(c_at).and_then(words::currency_symbol) {
                    let end = c_at + cur_len(self, c_at);
                    return Step::Replace(end, self.money_words(&n, cur, Some(scale)));
                }
                if let Some(cur) = self.rest(c_at).get(..3).and_then(words::currency_code) {
                    if c_at > e && self.boundary(c_at + 3) {
                        return Step::Replace(c_at + 3, self.money_words(&n, cur, Some(scale)));
                    }
                }
            }
        }
        if let Some(c) = self.char_at(k) {
            if let Some(cur) = words::currency_symbol(c) {
                let end = k + c.len_utf8();
                let mut words = self.money_words(&n, cur, None);
                let end = self.per_unit(end, &mut words).unwrap_or(end);
                return Step::Replace(end, words);
            }
        }
        if k > j || self.lang != Language::En {
            if let Some(code) = self.rest(k).get(..3) {
                if let Some(cur) = words::currency_code(code) {
                    if self.boundary(k + 3) {
                        return Step::Replace(k + 3, self.money_words(&n, cur, None));
                    }
                }
            }
        }
        if let Some(step) = self.unit(&n) {
            return step;
        }
        // Ranges: 5-10, 5–10, 5 – 10.
        if let Some(second) = self.range_second(j) {
            return Step::Replace(second, format!("{} {} ", self.num_text(&n), self.w.to));
        }
        // A rating: 3.5/5.
        if self.byte(j) == b'/' && n.frac.is_some() && self.is_digit(j + 1) {
            let e = self.digits_end(j + 1);
            if self.boundary(e) && self.byte(e) != b'/' {
                let den = self.s.get(j + 1..e).unwrap_or_default();
                return Step::Replace(e, format!("{} {} {den}", self.num_text(&n), self.w.over));
            }
        }
        // Fractions: 1/2, 3/4, 1/7.
        if self.byte(j) == b'/' && !n.thousands && n.frac.is_none() && self.is_digit(j + 1) {
            let e = self.digits_end(j + 1);
            if e - (j + 1) <= 3 && self.byte(e) != b'/' && self.boundary(e) {
                let num = self.int_value(&n).unwrap_or(0);
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
                        format!("{} {} {den}", self.num_text(&n), self.w.over)
                    }
                    None => return Step::Skip(e),
                };
                return Step::Replace(e, words);
            }
        }
        // Multiplication: 3×4, 3 x 4, 3x4; a factor: 3x faster, 1.5×.
        if let Some(c) = self.char_at(k) {
            if matches!(c, '×' | 'x' | 'X') {
                let x_end = k + c.len_utf8();
                let after = self.opt_space(x_end);
                let hex = c == 'x' && k == j && self.s.get(n.start..n.end) == Some("0");
                if hex {
                    return Step::Skip(self.word_end(x_end));
                }
                if self.is_digit(after) {
                    return Step::Replace(
                        after,
                        format!("{} {} ", self.num_text(&n), self.w.times),
                    );
                }
                if k == j && self.boundary(x_end) {
                    return Step::Replace(x_end, format!("{} {}", self.num_text(&n), self.w.times));
                }
            }
        }
        // de "2,5 Mio. Nutzer".
        if self.byte(j) == b' ' {
            if let Some((scale, end)) = self.scale_abbreviation_at(j + 1) {
                let (one, many) = self.w.scales.get(scale).copied().unwrap_or_default();
                let word = if self.is_one(&n) { one } else { many };
                let mut words = format!("{} {word}", self.num_text(&n));
                // Every German noun is capitalised: only the text's end says the sentence
                // ended here.
                if end == self.s.len() {
                    words.push('.');
                }
                return Step::Replace(end, words);
            }
        }
        // A scale letter: 2.5M, 3B.
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
                let word = if self.is_one(&n) { one } else { many };
                return Step::Replace(j + len, format!("{} {word}", self.num_text(&n)));
            }
        }
        if n.thousands || n.frac.is_some() {
            return Step::Replace(j, self.num_text(&n));
        }
        Step::Skip(j)
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
