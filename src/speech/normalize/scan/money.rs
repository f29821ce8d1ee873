//! Money: an amount with a currency symbol, ISO code or named dollar, a scale word
//! ("$3 million"), a range of amounts and a price per unit.

use super::{cur_len, Cx, Num, Step};
use crate::speech::normalize::words::{self, Currency};
use crate::speech::normalize::Language;

impl Cx<'_> {
    /// Money written after the amount `n`: `5 €`, `5,50 €`, `5 EUR`, `5 Millionen €`.
    pub(super) fn money_after(&self, n: &Num) -> Option<Step> {
        if let Some(step) = self.scaled_money_after(n) {
            return Some(step);
        }
        let j = n.end;
        let k = self.opt_space(j);
        if let Some(c) = self.char_at(k) {
            if let Some(cur) = words::currency_symbol(c) {
                let end = k + c.len_utf8();
                let mut words = self.money_words(n, cur, None);
                let end = self.per_unit(end, &mut words).unwrap_or(end);
                return Some(Step::Replace(end, words));
            }
        }
        if k > j || self.lang != Language::En {
            if let Some(code) = self.rest(k).get(..3) {
                if let Some(cur) = words::currency_code(code) {
                    if self.boundary(k + 3) {
                        return Some(Step::Replace(k + 3, self.money_words(n, cur, None)));
                    }
                }
            }
        }
        None
    }

    /// Money after the amount `n` and a scale word: "5 Millionen €", "3 million USD".
    fn scaled_money_after(&self, n: &Num) -> Option<Step> {
        let j = n.end;
        if self.byte(j) == b' ' {
            if let Some((scale, e)) = self.scale_word_at(j + 1) {
                let c_at = self.opt_space(e);
                if let Some(cur) = self.char_at(c_at).and_then(words::currency_symbol) {
                    let end = c_at + cur_len(self, c_at);
                    return Some(Step::Replace(end, self.money_words(n, cur, Some(scale))));
                }
                if let Some(cur) = self.rest(c_at).get(..3).and_then(words::currency_code) {
                    if c_at > e && self.boundary(c_at + 3) {
                        return Some(Step::Replace(
                            c_at + 3,
                            self.money_words(n, cur, Some(scale)),
                        ));
                    }
                }
            }
        }
        None
    }

    /// A currency symbol `c` at `i` before an amount: `$49.95`, `€1.2k`.
    pub(super) fn money_symbol_first(&self, i: usize, c: char, next: usize) -> Step {
        let Some(cur) = words::currency_symbol(c) else {
            return Step::None;
        };
        if c == '$' && self.prev_char(i).is_some_and(char::is_alphanumeric) {
            // `R$50`, `MX$5`: a dollar (or real, or peso) this scanner does not
            // know, left as written rather than said as US dollars; the known
            // ones (`US$`, `A$`, …) were taken at their first letter.
            return Step::None;
        }
        if !self.is_digit(next) {
            return Step::None;
        }
        match self.money_prefix(next, cur) {
            Some((end, words)) => Step::Replace(end, words),
            None => Step::None,
        }
    }

    /// Money with the symbol before the amount; `i` is the first digit.
    pub(super) fn money_prefix(&self, i: usize, cur: Currency) -> Option<(usize, String)> {
        let n = self.parse_num(i)?;
        let mut end = n.end;
        let scale = match self.byte(end) {
            b'k' | b'K' => Some((0, 1)),
            b'M' => Some((1, 1)),
            b'B' => Some((2, 1)),
            b'b' if self.byte(end + 1) == b'n' => Some((2, 2)),
            _ => None,
        };
        let mut scale = match scale {
            Some((scale, len)) if self.boundary(end + len) => {
                end += len;
                Some(scale)
            }
            _ => None,
        };
        // A scale word after the amount: "$3 million".
        if scale.is_none() && self.byte(end) == b' ' {
            if let Some((index, e)) = self.scale_word_at(end + 1) {
                end = e;
                scale = Some(index);
            }
        }
        let mut words = self.money_words(&n, cur, scale);
        if let Some(end) = self.per_unit(end, &mut words) {
            return Some((end, words));
        }
        // A range of amounts: "$5-$10", "$5–10".
        if let Some(c) = self.char_at(end) {
            if c == '-' || c == '–' {
                let k = end + c.len_utf8();
                let next = self.char_at(k);
                if self.is_digit(k) || next.and_then(words::currency_symbol) == Some(cur) {
                    words.push(' ');
                    words.push_str(self.w.to);
                    words.push(' ');
                    return Some((k, words));
                }
            }
        }
        Some((end, words))
    }

    /// A price per unit after money ending at `end` ("$5/month"): adds "per" to `words`
    /// and gives the end of the slash.
    pub(super) fn per_unit(&self, end: usize, words: &mut String) -> Option<usize> {
        if self.byte(end) == b'/' && self.char_at(end + 1).is_some_and(char::is_alphabetic) {
            words.push(' ');
            words.push_str(self.w.per);
            words.push(' ');
            return Some(end + 1);
        }
        None
    }

    /// A scale word ("million", "Millionen", "mil millones") at `i`: its index and end.
    pub(super) fn scale_word_at(&self, i: usize) -> Option<(usize, usize)> {
        if let Some(found) = self.scale_abbreviation_at(i) {
            return Some(found);
        }
        let rest = self.rest(i);
        for (index, (one, many)) in self.w.scales.iter().enumerate().rev() {
            for word in [many, one] {
                if rest.starts_with(word) && self.boundary(i + word.len()) {
                    return Some((index, i + word.len()));
                }
            }
        }
        None
    }

    /// A German scale abbreviation at `i` ("Tsd.", "Mio.", "Mrd."): its index and end.
    pub(super) fn scale_abbreviation_at(&self, i: usize) -> Option<(usize, usize)> {
        if self.lang != Language::De {
            return None;
        }
        let rest = self.rest(i);
        ["Tsd.", "Mio.", "Mrd."]
            .iter()
            .position(|a| rest.starts_with(a))
            .map(|index| (index, i + 4))
    }

    /// The words for the amount `n` of `cur`, with a scale word when `scale` is set:
    /// "49 dollars and 95 cents", "3 point 5 million dollars".
    pub(super) fn money_words(&self, n: &Num, cur: Currency, scale: Option<usize>) -> String {
        let (major1, major, minor1, minor) = words::currency_words(self.lang, cur);
        if let Some(scale) = scale {
            return self.scaled_money_words(n, major, scale);
        }
        let mut out = String::new();
        let int = self.s.get(n.start..n.int_end).unwrap_or_default();
        let int_digits: String = int.chars().filter(char::is_ascii_digit).collect();
        let frac = n
            .frac
            .and_then(|(a, b)| self.s.get(a..b))
            .unwrap_or_default();
        if !frac.is_empty() && (frac.len() > 2 || minor.is_empty()) {
            self.push_num(&mut out, n);
            out.push(' ');
            out.push_str(major);
            return out;
        }
        let cents: u32 = match frac.len() {
            0 => 0,
            1 => frac.parse::<u32>().unwrap_or(0) * 10,
            _ => frac.parse::<u32>().unwrap_or(0),
        };
        let int_zero = int_digits.bytes().all(|b| b == b'0');
        if !int_zero || cents == 0 {
            out.push_str(&int_digits);
            out.push(' ');
            out.push_str(if int_digits == "1" { major1 } else { major });
        }
        if cents > 0 {
            if !out.is_empty() {
                out.push(' ');
                out.push_str(self.w.money_and);
                out.push(' ');
            }
            out.push_str(&cents.to_string());
            out.push(' ');
            out.push_str(if cents == 1 { minor1 } else { minor });
        }
        out
    }

    /// The amount `n` with a scale word, in `major` units: "3 point 5 million dollars",
    /// "2 milliards d'euros".
    fn scaled_money_words(&self, n: &Num, major: &str, scale: usize) -> String {
        let mut out = String::new();
        self.push_num(&mut out, n);
        let (one, many) = self.w.scales.get(scale).copied().unwrap_or_default();
        let one_num = n.frac.is_none() && self.s.get(n.start..n.int_end) == Some("1");
        out.push(' ');
        out.push_str(if one_num { one } else { many });
        out.push(' ');
        if scale > 0 {
            // fr elides before a vowel: "millions d'euros".
            let elide =
                self.lang == Language::Fr && major.starts_with(['a', 'e', 'i', 'o', 'u', 'y']);
            out.push_str(if elide { "d'" } else { self.w.scale_of });
        }
        out.push_str(major);
        out
    }

    /// `US$5`, `A$10`, `HK$300`: capital letters, `$` and an amount, as that dollar.
    pub(super) fn prefixed_dollars(&self, i: usize) -> Option<Step> {
        // Every word passes here: most are dismissed by their first byte.
        if !self.byte(i).is_ascii_uppercase() || !self.at_word_start(i) {
            return None;
        }
        let letters = self
            .rest(i)
            .bytes()
            .take_while(u8::is_ascii_uppercase)
            .count();
        let dollar = i + letters;
        if letters == 0 || letters > 2 || self.byte(dollar) != b'$' || !self.is_digit(dollar + 1) {
            return None;
        }
        let cur = words::dollar_prefix(self.s.get(i..dollar)?)?;
        let (end, words) = self.money_prefix(dollar + 1, cur)?;
        Some(Step::Replace(end, words))
    }
}
