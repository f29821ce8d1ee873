//! The left-to-right scanner: at each word start or symbol it tries the formats it knows,
//! longest first, and copies everything else untouched. Slices only at char boundaries.

use std::borrow::Cow;

use super::words::{self, Currency, Spacing, UnitWords, Words, MINUTES, UNITS};
use super::Language;

/// Symbols that may need words; a text with none of them, no digit and no `.` (every
/// abbreviation, address and decimal has one) is returned as it is without a scan.
const ASCII_TRIGGERS: &[u8] = b"$%@&+=#~./";
const OTHER_TRIGGERS: &[char] = &[
    '€', '£', '¥', '₹', '×', '±', '°', '½', '¼', '¾', '≈', '−', '–', 'º', 'ª',
];

/// Top-level domains recognised in a bare domain ("example.com"), so that "end.Next" is no
/// address. Lowercase only, and none that is also a short English word ("it", "at", "me").
const TLDS: &[&str] = &[
    "com", "org", "net", "io", "ai", "dev", "app", "co", "uk", "de", "fr", "es", "eu", "info",
    "biz", "ch", "nl", "tv", "gov", "edu",
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

struct Cx<'a> {
    s: &'a str,
    b: &'a [u8],
    lang: Language,
    w: &'static Words,
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

    fn at(&self, i: usize, c: char) -> Step {
        if c.is_ascii_digit() {
            return self.number_like(i);
        }
        if c.is_alphabetic() {
            return self.word_like(i);
        }
        let next = i + c.len_utf8();
        match c {
            '-' | '−' => {
                if let Some(cur) = self.char_at(next).and_then(words::currency_symbol) {
                    if self.is_digit(next + cur_len(self, next)) && self.sign_position(i) {
                        if let Some((end, words)) =
                            self.money_prefix(next + cur_len(self, next), cur)
                        {
                            return Step::Replace(end, format!("{} {words}", self.w.minus));
                        }
                    }
                }
                if self.is_digit(next) && self.sign_position(i) {
                    return Step::Replace(next, format!("{} ", self.w.minus));
                }
                Step::None
            }
            '$' | '€' | '£' | '¥' | '₹' => {
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
            '+' => {
                if self.is_digit(next) && self.sign_position(i) {
                    if let Some(step) = self.phone(i) {
                        return step;
                    }
                    return Step::Replace(next, format!("{} ", self.w.plus));
                }
                Step::Replace(next, self.spaced(i, next, self.w.plus))
            }
            '(' if self.is_digit(next) => self.phone(i).unwrap_or(Step::None),
            '&' => Step::Replace(next, self.spaced(i, next, self.w.and)),
            '=' => Step::Replace(next, self.spaced(i, next, self.w.equals)),
            '±' => Step::Replace(next, self.spaced(i, next, self.w.plus_minus)),
            '×' => Step::Replace(next, self.spaced(i, next, self.w.times)),
            '%' => Step::Replace(next, self.spaced(i, next, self.w.percent)),
            '~' | '≈' => {
                let after = self.opt_space(next);
                if self.is_digit(after) {
                    Step::Replace(after, format!("{} ", self.w.about))
                } else if c == '≈' {
                    Step::Replace(next, self.spaced(i, next, self.w.about))
                } else {
                    Step::None
                }
            }
            '#' if self.is_digit(next) => Step::Replace(next, format!("{} ", self.w.number)),
            '@' if self.char_at(next).is_some_and(char::is_whitespace)
                && self.prev_char(i).is_some_and(char::is_whitespace) =>
            {
                Step::Replace(next, self.w.at.to_string())
            }
            '½' | '¼' | '¾' => {
                let (n, d) = match c {
                    '½' => (1, 2),
                    '¼' => (1, 4),
                    _ => (3, 4),
                };
                let name = self.fraction_name(n, d).unwrap_or_default();
                Step::Replace(next, self.spaced(i, next, name))
            }
            _ => Step::None,
        }
    }

    /// A sign belongs to the number: nothing or a space or opening bracket before it.
    fn sign_position(&self, i: usize) -> bool {
        match self.prev_char(i) {
            None => true,
            Some(c) => c.is_whitespace() || "([{\"'/:".contains(c),
        }
    }

    fn fraction_name(&self, n: u32, d: u32) -> Option<&'static str> {
        self.w
            .fractions
            .iter()
            .find(|(fn_, fd, _)| *fn_ == n && *fd == d)
            .map(|(_, _, name)| *name)
    }

    // ---- numbers ----

    fn parse_num(&self, i: usize) -> Option<Num> {
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
    fn int_value(&self, n: &Num) -> Option<u32> {
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

    fn push_num(&self, out: &mut String, n: &Num) {
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

    fn num_text(&self, n: &Num) -> String {
        let mut out = String::new();
        self.push_num(&mut out, n);
        out
    }

    /// Whether a number reads as one (takes the singular).
    fn is_one(&self, n: &Num) -> bool {
        let int = self.s.get(n.start..n.int_end).unwrap_or_default();
        match n.frac {
            None => int == "1",
            Some(_) => self.lang == Language::Fr && (int == "0" || int == "1"),
        }
    }

    fn number_like(&self, i: usize) -> Step {
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
    fn range_second(&self, j: usize) -> Option<usize> {
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

    // ---- money ----

    /// Money with the symbol before the amount; `i` is the first digit.
    fn money_prefix(&self, i: usize, cur: Currency) -> Option<(usize, String)> {
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
    fn per_unit(&self, end: usize, words: &mut String) -> Option<usize> {
        if self.byte(end) == b'/' && self.char_at(end + 1).is_some_and(char::is_alphabetic) {
            words.push(' ');
            words.push_str(self.w.per);
            words.push(' ');
            return Some(end + 1);
        }
        None
    }

    /// A scale word ("million", "Millionen", "mil millones") at `i`: its index and end.
    fn scale_word_at(&self, i: usize) -> Option<(usize, usize)> {
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
    fn scale_abbreviation_at(&self, i: usize) -> Option<(usize, usize)> {
        if self.lang != Language::De {
            return None;
        }
        let rest = self.rest(i);
        ["Tsd.", "Mio.", "Mrd."]
            .iter()
            .position(|a| rest.starts_with(a))
            .map(|index| (index, i + 4))
    }

    /// Puts back a sentence's final period that a consumed "p.m." or "etc." ended with.
    fn keep_period(&self, words: &mut String, end: usize) {
        if end > 0 && self.byte(end - 1) == b'.' && self.sentence_ends_at(end) {
            words.push('.');
        }
    }

    /// Whether a period consumed at `end` also ended the sentence: the end of the text, or
    /// a space and a capital letter after it.
    fn sentence_ends_at(&self, end: usize) -> bool {
        end == self.s.len()
            || (self.byte(end) == b' ' && self.char_at(end + 1).is_some_and(char::is_uppercase))
    }

    fn money_words(&self, n: &Num, cur: Currency, scale: Option<usize>) -> String {
        let (major1, major, minor1, minor) = words::currency_words(self.lang, cur);
        let mut out = String::new();
        if let Some(scale) = scale {
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
            return out;
        }
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

    // ---- ordinals, dates and times ----

    /// `3rd`, `1er`, `1º`, and a day before a month name.
    fn ordinal_or_day(&self, n: &Num) -> Option<Step> {
        let value = self.int_value(n).filter(|_| !n.thousands)?;
        let j = n.end;
        let rest = self.rest(j);
        // The suffix, and whether the ordinal is feminine (fr 1re, es 1ª).
        let (suffix_len, feminine) = match self.lang {
            Language::En => {
                let s = rest.get(..2).unwrap_or_default();
                let ok = matches!(
                    (value % 10, value % 100, s),
                    (1, v, "st") if v != 11
                ) || matches!((value % 10, value % 100, s), (2, v, "nd") if v != 12)
                    || matches!((value % 10, value % 100, s), (3, v, "rd") if v != 13)
                    || (s == "th"
                        && (!(1..=3).contains(&(value % 10))
                            || (11..=13).contains(&(value % 100))));
                if ok && self.boundary(j + 2) {
                    (2, false)
                } else {
                    (0, false)
                }
            }
            Language::Fr => {
                let mut found = (0, false);
                for (suf, fem) in [
                    ("ère", true),
                    ("ème", false),
                    ("eme", false),
                    ("er", false),
                    ("re", true),
                    ("e", false),
                ] {
                    if rest.starts_with(suf) && self.boundary(j + suf.len()) {
                        let fits = match suf {
                            "er" | "re" | "ère" => value == 1,
                            _ => value > 1,
                        };
                        if fits {
                            found = (suf.len(), fem);
                        }
                        break;
                    }
                }
                found
            }
            Language::Es => {
                let mut found = (0, false);
                for (suf, fem) in [(".º", false), (".ª", true), ("º", false), ("ª", true)] {
                    if rest.starts_with(suf) {
                        found = (suf.len(), fem);
                        break;
                    }
                }
                // The short forms before a noun: "1.er piso" → "primer piso".
                if rest.starts_with(".er") && self.boundary(j + 3) {
                    match value {
                        1 => return Some(Step::Replace(j + 3, "primer".to_string())),
                        3 => return Some(Step::Replace(j + 3, "tercer".to_string())),
                        _ => {}
                    }
                }
                found
            }
            Language::De => {
                // "vom 1. bis 3. Mai": the first day is an ordinal too.
                if (1..=31).contains(&value) && self.dative_before(n.start) {
                    let tail = rest.strip_prefix(". ").unwrap_or_default();
                    let joined = ["bis ", "und ", "oder "]
                        .iter()
                        .any(|w| tail.starts_with(w));
                    if joined {
                        let stem = self.w.ordinals.get(value as usize - 1).copied()?;
                        return Some(Step::Replace(j + 1, format!("{stem}n")));
                    }
                }
                (0, false)
            }
        };
        let after = j + suffix_len;
        if (1..=31).contains(&value) {
            if let Some(step) = self.day_before_month(n, value, suffix_len > 0, after) {
                return Some(step);
            }
        }
        if suffix_len == 0 {
            return None;
        }
        if self.lang == Language::En && (32..=99).contains(&value) {
            return Some(Step::Replace(after, english_ordinal(value)));
        }
        if value == 0 || value > 31 {
            return Some(Step::Skip(after));
        }
        let word = self.w.ordinals.get(value as usize - 1).copied()?;
        let word = match (self.lang, feminine) {
            (Language::Fr, true) => "première".to_string(),
            (Language::Es, true) => word
                .split(' ')
                .map(|part| match part.strip_suffix('o') {
                    Some(stem) => format!("{stem}a"),
                    None => part.to_string(),
                })
                .collect::<Vec<_>>()
                .join(" "),
            _ => word.to_string(),
        };
        Some(Step::Replace(after, word))
    }

    /// A month name at `i`: its number (1–12) and end.
    fn month_at(&self, i: usize) -> Option<(u32, usize)> {
        let rest = self.rest(i);
        for (m, name) in self.w.months.iter().enumerate() {
            if rest.starts_with(name) && self.boundary(i + name.len()) {
                return Some((m as u32 + 1, i + name.len()));
            }
        }
        None
    }

    /// A four-digit year at `i`, with its end.
    fn year_at(&self, i: usize) -> Option<(&str, usize)> {
        let e = self.digits_end(i);
        (e - i == 4 && self.boundary(e)).then(|| (self.s.get(i..e).unwrap_or_default(), e))
    }

    /// `3 July 2024`, `3rd of July`, de `3. Juli`, fr `1er juillet`.
    fn day_before_month(&self, n: &Num, day: u32, suffixed: bool, after: usize) -> Option<Step> {
        let mut k = after;
        if self.lang == Language::De && !suffixed && self.byte(k) == b'.' {
            k += 1;
        }
        if self.byte(k) != b' ' {
            return None;
        }
        k += 1;
        let of = self.lang == Language::En && self.rest(k).starts_with("of ");
        if of {
            k += 3;
        }
        let (month, mut end) = self.month_at(k)?;
        let mut year = None;
        if self.lang == Language::En {
            let y = if self.rest(end).starts_with(", ") {
                end + 2
            } else {
                end + 1
            };
            if self.byte(end) == b' ' || self.byte(end) == b',' {
                if let Some((text, e)) = self.year_at(y) {
                    year = Some(text);
                    end = e;
                }
            }
        } else if self.lang == Language::Fr && day != 1 || self.lang == Language::Es {
            return if suffixed {
                None
            } else {
                Some(Step::Skip(n.end))
            };
        }
        if of {
            // "the 3rd of July" keeps its order: "the third of July".
            let mut words = format!(
                "{} of {}",
                self.w
                    .ordinals
                    .get(day as usize - 1)
                    .copied()
                    .unwrap_or_default(),
                self.w
                    .months
                    .get(month as usize - 1)
                    .copied()
                    .unwrap_or_default()
            );
            if let Some(year) = year {
                words.push_str(", ");
                words.push_str(year);
            }
            return Some(Step::Replace(end, words));
        }
        let dative = self.dative_before(n.start);
        Some(Step::Replace(
            end,
            self.date_words(day, month, year, dative),
        ))
    }

    /// German dative after "am", "vom", "zum", "dem", "beim".
    fn dative_before(&self, i: usize) -> bool {
        if self.lang != Language::De {
            return false;
        }
        let before = self.s.get(..i).unwrap_or_default().trim_end();
        let word = before
            .rsplit(|c: char| !c.is_alphabetic())
            .next()
            .unwrap_or_default();
        matches!(
            word.to_lowercase().as_str(),
            "am" | "vom" | "zum" | "dem" | "beim" | "seit" | "ab" | "bis"
        )
    }

    fn date_words(&self, day: u32, month: u32, year: Option<&str>, dative: bool) -> String {
        let month_name = self
            .w
            .months
            .get(month as usize - 1)
            .copied()
            .unwrap_or_default();
        let ordinal = self
            .w
            .ordinals
            .get(day as usize - 1)
            .copied()
            .unwrap_or_default();
        let mut out = match self.lang {
            Language::En => format!("{month_name} {ordinal}"),
            Language::De => {
                format!("{ordinal}{} {month_name}", if dative { "n" } else { "r" })
            }
            Language::Fr if day == 1 => format!("premier {month_name}"),
            Language::Fr => format!("{day} {month_name}"),
            Language::Es => format!("{day} de {month_name}"),
        };
        if let Some(year) = year {
            out.push_str(match self.lang {
                Language::En => ", ",
                Language::Es => " de ",
                _ => " ",
            });
            out.push_str(year);
        }
        out
    }

    /// `2024-07-03`.
    fn iso_date(&self, i: usize) -> Option<Step> {
        let b = self.b.get(i..i + 10)?;
        let shape = b.iter().enumerate().all(|(k, c)| match k {
            4 | 7 => *c == b'-',
            _ => c.is_ascii_digit(),
        });
        if !shape || self.is_digit(i + 10) || self.byte(i + 10) == b'-' {
            return None;
        }
        let month = two(b[5], b[6]);
        let day = two(b[8], b[9]);
        if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
            return None;
        }
        let year = self.s.get(i..i + 4)?;
        let dative = self.dative_before(i);
        Some(Step::Replace(
            i + 10,
            self.date_words(day, month, Some(year), dative),
        ))
    }

    /// `07/03/2024` (en month first, others day first) and `03.07.2024` (day first).
    fn numeric_date(&self, i: usize) -> Option<Step> {
        let a_end = self.digits_end(i);
        let sep = self.byte(a_end);
        if !(1..=2).contains(&(a_end - i)) || (sep != b'/' && sep != b'.') {
            return None;
        }
        let b_end = self.digits_end(a_end + 1);
        if !(1..=2).contains(&(b_end - a_end - 1)) || self.byte(b_end) != sep {
            return None;
        }
        let (year, end) = self.year_at(b_end + 1)?;
        let a = self.s.get(i..a_end)?.parse::<u32>().ok()?;
        let b = self.s.get(a_end + 1..b_end)?.parse::<u32>().ok()?;
        let (month, day) = if sep == b'/' && self.lang == Language::En {
            (a, b)
        } else {
            (b, a)
        };
        if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
            return None;
        }
        let dative = self.dative_before(i);
        Some(Step::Replace(
            end,
            self.date_words(day, month, Some(year), dative),
        ))
    }

    /// `15:30`, `3:30 pm`, fr `15h30`.
    fn clock(&self, i: usize) -> Option<Step> {
        let h_end = self.digits_end(i);
        let sep = self.byte(h_end);
        let fr_h = self.lang == Language::Fr && sep == b'h';
        if !(1..=2).contains(&(h_end - i)) || !(sep == b':' || fr_h) {
            return None;
        }
        // The minutes and seconds of 2:05:00 are not a time of their own.
        if i > 0 && self.byte(i - 1) == b':' {
            return None;
        }
        let m_end = self.digits_end(h_end + 1);
        let attached = self.am_pm_at(m_end).is_some();
        if m_end - h_end - 1 != 2 || !(self.boundary(m_end) || attached) || self.byte(m_end) == b':'
        {
            return None;
        }
        let hour = self.s.get(i..h_end)?.parse::<u32>().ok()?;
        let minute = self.s.get(h_end + 1..m_end)?.parse::<u32>().ok()?;
        if hour > 23 || minute > 59 {
            return None;
        }
        let (pm, mut end) = match self.am_pm_at(m_end) {
            Some((pm, end)) if (1..=12).contains(&hour) => (Some(pm), end),
            _ => (None, m_end),
        };
        // de "15:30 Uhr": the words already say "Uhr".
        if self.lang == Language::De && self.rest(end).starts_with(" Uhr") && self.boundary(end + 4)
        {
            end += 4;
        }
        let mut words = self.time_words(hour, minute, pm);
        self.keep_period(&mut words, end);
        Some(self.time_range(words, end))
    }

    /// `3pm`, `3 p.m.`.
    fn am_pm(&self, n: &Num) -> Option<Step> {
        let hour = self.int_value(n).filter(|h| (1..=12).contains(h))?;
        let (pm, end) = self.am_pm_at(n.end)?;
        let mut words = self.time_words(hour, 0, Some(pm));
        self.keep_period(&mut words, end);
        Some(self.time_range(words, end))
    }

    /// A time ending at `end`, and the start of a range's second time if one follows
    /// ("9am–5pm", "9:00-17:00").
    fn time_range(&self, mut words: String, end: usize) -> Step {
        if let Some(second) = self.range_second(end) {
            words.push(' ');
            words.push_str(self.w.to);
            words.push(' ');
            return Step::Replace(second, words);
        }
        Step::Replace(end, words)
    }

    /// am/pm after a time at `i` (one optional space): whether pm, and the end.
    fn am_pm_at(&self, i: usize) -> Option<(bool, usize)> {
        let k = self.opt_space(i);
        let rest = self.rest(k);
        for (mark, pm) in [
            ("a.m.", false),
            ("p.m.", true),
            ("A.M.", false),
            ("P.M.", true),
            ("am", false),
            ("pm", true),
            ("AM", false),
            ("PM", true),
        ] {
            // German "am" is a preposition ("um 9:30 am Montag").
            if self.lang == Language::De && mark == "am" {
                continue;
            }
            if rest.starts_with(mark) && self.boundary(k + mark.len()) {
                return Some((pm, k + mark.len()));
            }
        }
        None
    }

    fn time_words(&self, hour: u32, minute: u32, pm: Option<bool>) -> String {
        if self.lang == Language::En {
            let mut out = hour.to_string();
            match (minute, pm) {
                (0, Some(_)) => {}
                (0, None) => out.push_str(" o'clock"),
                (m, _) if m < 10 => out.push_str(&format!(" oh {m}")),
                (m, _) => out.push_str(&format!(" {m}")),
            }
            match pm {
                Some(true) => out.push_str(" p m"),
                Some(false) => out.push_str(" a m"),
                None => {}
            }
            return out;
        }
        let hour = match pm {
            Some(true) if hour < 12 => hour + 12,
            Some(false) if hour == 12 => 0,
            _ => hour,
        };
        match self.lang {
            Language::De if minute == 0 => format!("{hour} Uhr"),
            Language::De => format!("{hour} Uhr {minute}"),
            Language::Fr => {
                let unit = if hour <= 1 { "heure" } else { "heures" };
                if minute == 0 {
                    format!("{hour} {unit}")
                } else {
                    format!("{hour} {unit} {minute}")
                }
            }
            _ if minute == 0 => format!("{hour} en punto"),
            _ => format!("{hour} y {minute}"),
        }
    }

    // ---- units ----

    fn unit(&self, n: &Num) -> Option<Step> {
        let j = n.end;
        let k = self.opt_space(j);
        let rest = self.rest(k);
        for (symbol, spacing, table) in UNITS {
            let placed = match spacing {
                Spacing::Either => true,
                Spacing::Attached => k == j,
                Spacing::Apart => k > j,
            };
            if !rest.starts_with(symbol) || !placed {
                continue;
            }
            let end = k + symbol.len();
            let ends_ok = if symbol.starts_with('°') && symbol.len() == 2 {
                // A lone degree sign may be followed by anything.
                true
            } else {
                // Not fr "5 l'ont".
                self.boundary(end) && !matches!(self.char_at(end), Some('\'' | '’'))
            };
            if !ends_ok {
                continue;
            }
            let table: &UnitWords = if *symbol == "m" && self.after_hours(n.start) {
                &MINUTES
            } else {
                table
            };
            let (one, many) = table[self.lang.index()];
            let word = if self.is_one(n) { one } else { many };
            return Some(Step::Replace(end, format!("{} {word}", self.num_text(n))));
        }
        None
    }

    /// Whether a number at `i` follows "2h " or "2 h", so that `m` means minutes.
    fn after_hours(&self, i: usize) -> bool {
        let before = self.s.get(..i).unwrap_or_default().trim_end();
        let Some(rest) = before.strip_suffix('h') else {
            return false;
        };
        rest.trim_end().ends_with(|c: char| c.is_ascii_digit())
    }

    // ---- phone numbers ----

    /// A seven-digit local number, `555-0123`, which is also how a range of a three- and a
    /// four-digit number is written: a number when a group starts with 0 (no range does)
    /// or when the nearest word before it, past small words ("me at", "is"), is a calling
    /// word: "call 555-1234", "my number is 555-1234", not "a number between 100-1000".
    fn local_number(&self, i: usize, groups: &[(usize, usize)]) -> bool {
        let [(a, b), (c, d)] = groups else {
            return false;
        };
        if b - a != 3 || d - c != 4 || *c != b + 1 {
            return false;
        }
        if self.byte(*a) == b'0' || self.byte(*c) == b'0' {
            return true;
        }
        // The nearest word that is not a filler must be a calling word: "call me at",
        // "my number is", not "a number between".
        let is_any = |word: &str, list: &[&str]| list.iter().any(|w| word.eq_ignore_ascii_case(w));
        let before = self.s.get(..i).unwrap_or_default();
        before
            .rsplit(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .take(4)
            .find(|w| !is_any(w, self.w.phone_fillers))
            .is_some_and(|w| is_any(w, self.w.phone_cues))
    }

    /// `+1 (555) 010-0199`, `555-010-0199`, `(555) 010-0199`, `+49 30 1234567`.
    fn phone(&self, i: usize) -> Option<Step> {
        let plus = self.byte(i) == b'+';
        let paren = self.byte(i) == b'(';
        let mut k = if plus { i + 1 } else { i };
        let mut groups: Vec<(usize, usize)> = Vec::new();
        let mut last_end = k;
        loop {
            // Separators before a group: at most two characters (") ").
            let mut s = k;
            let mut seps = 0;
            while seps < 2 {
                let c = self.byte(s);
                let allowed = if plus || paren {
                    matches!(c, b' ' | b'-' | b'.' | b'(' | b')')
                } else {
                    c == b'-'
                };
                if !allowed {
                    break;
                }
                s += 1;
                seps += 1;
            }
            if groups.is_empty() && !paren && s != k {
                return None;
            }
            let e = self.digits_end(s);
            if e == s {
                break;
            }
            groups.push((s, e));
            last_end = e;
            k = e;
        }
        let digits: usize = groups.iter().map(|(a, b)| b - a).sum();
        if paren {
            let first = groups.first()?;
            if first.1 - first.0 != 3 || self.byte(first.1) != b')' {
                return None;
            }
        }
        let enough = if plus || paren {
            digits >= 7 && groups.len() >= 2
        } else {
            (groups.len() >= 3 && digits >= 7 && groups.iter().all(|(a, b)| b - a <= 4))
                || self.local_number(i, &groups)
        };
        if !enough || !self.boundary(last_end) {
            return None;
        }
        let mut out = String::new();
        if plus {
            out.push_str(self.w.plus);
            out.push(' ');
        }
        let mut first = true;
        for (a, b) in groups {
            let group = self.s.get(a..b)?;
            let mut rest = group;
            while !rest.is_empty() {
                let take = if rest.len() <= 4 {
                    rest.len()
                } else if rest.len() % 4 == 0 {
                    4
                } else {
                    3
                };
                let (part, tail) = rest.split_at(take);
                if !first {
                    out.push_str(", ");
                }
                first = false;
                for (n, d) in part.chars().enumerate() {
                    if n > 0 {
                        out.push(' ');
                    }
                    out.push(d);
                }
                rest = tail;
            }
        }
        Some(Step::Replace(last_end, out))
    }

    // ---- words: addresses, abbreviations, month-first dates ----

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
        for (abbr, expansion) in self.w.abbreviations {
            if rest.starts_with(abbr) && self.boundary(i + abbr.len()) {
                let end = i + abbr.len();
                let mut out = (*expansion).to_string();
                if end == self.s.len()
                    || (matches!(*abbr, "etc." | "usw.") && self.sentence_ends_at(end))
                {
                    out.push('.');
                }
                return Step::Replace(end, out);
            }
        }
        if self.lang == Language::En {
            if let Some(step) = self.month_first_date(i) {
                return step;
            }
        }
        Step::None
    }

    /// `US$5`, `A$10`, `HK$300`: capital letters, `$` and an amount, as that dollar.
    fn prefixed_dollars(&self, i: usize) -> Option<Step> {
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

    /// The end of an address-like token at `i` (up to whitespace), without trailing
    /// punctuation.
    fn token_end(&self, i: usize) -> usize {
        let rest = self.rest(i);
        let raw = rest.find(char::is_whitespace).unwrap_or(rest.len());
        let token = rest.get(..raw).unwrap_or_default();
        let trimmed = token.trim_end_matches(['.', ',', ';', ':', '!', '?', ')', '"', '\'']);
        i + trimmed.len()
    }

    fn url(&self, i: usize) -> Option<Step> {
        let end = self.token_end(i);
        let token = self.s.get(i..end)?;
        let token = token
            .strip_prefix("https://")
            .or_else(|| token.strip_prefix("http://"))
            .unwrap_or(token);
        let token = token.strip_prefix("www.").unwrap_or(token);
        let host_end = token.find(['/', '?', '#']).unwrap_or(token.len());
        let host = token.get(..host_end)?;
        let host = host.split(':').next().unwrap_or(host);
        if !host.contains('.') || host.starts_with('.') {
            return None;
        }
        let path = token.get(host_end..)?;
        Some(Step::Replace(end, self.address_words(host, path)))
    }

    fn address_words(&self, host: &str, path: &str) -> String {
        let mut out = self.dotted(host);
        let path = path.split(['?', '#']).next().unwrap_or_default();
        let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        if let [segment] = segments.as_slice() {
            if segment.len() <= 20
                && segment
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            {
                out.push(' ');
                out.push_str(self.w.slash);
                out.push(' ');
                out.push_str(segment);
            }
        }
        out
    }

    fn dotted(&self, text: &str) -> String {
        let mut out = String::with_capacity(text.len() + 8);
        for (n, part) in text.split('.').enumerate() {
            if n > 0 {
                out.push(' ');
                out.push_str(self.w.dot);
                out.push(' ');
            }
            out.push_str(part);
        }
        out
    }

    /// A host of labels ending in a known top-level domain, at `i`, with its end.
    fn host_at(&self, i: usize) -> Option<usize> {
        let mut k = i;
        let mut labels = 0;
        let mut last_label: (usize, usize);
        loop {
            let start = k;
            while self
                .char_at(k)
                .is_some_and(|c| c.is_ascii_alphanumeric() || c == '-')
            {
                k += 1;
            }
            if k == start {
                return None;
            }
            labels += 1;
            last_label = (start, k);
            if self.byte(k) == b'.'
                && self
                    .char_at(k + 1)
                    .is_some_and(|c| c.is_ascii_alphanumeric())
            {
                k += 1;
            } else {
                break;
            }
        }
        let tld = self.s.get(last_label.0..last_label.1)?;
        (labels >= 2 && TLDS.contains(&tld)).then_some(k)
    }

    fn domain(&self, i: usize) -> Option<Step> {
        let host_end = self.host_at(i)?;
        let end = self.token_end(i).max(host_end);
        let rest = self.s.get(host_end..end)?;
        if !rest.is_empty() && !rest.starts_with('/') {
            return None;
        }
        let host = self.s.get(i..host_end)?;
        Some(Step::Replace(end, self.address_words(host, rest)))
    }

    fn email(&self, i: usize) -> Option<Step> {
        let mut k = i;
        while self
            .char_at(k)
            .is_some_and(|c| c.is_ascii_alphanumeric() || "._%+-".contains(c))
        {
            k += 1;
        }
        if k == i || self.byte(k) != b'@' {
            return None;
        }
        let local = self.s.get(i..k)?.trim_end_matches('.');
        let host_start = k + 1;
        let mut e = host_start;
        while self
            .char_at(e)
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
        {
            e += 1;
        }
        let host = self.s.get(host_start..e)?.trim_end_matches('.');
        let tld = host.rsplit('.').next().unwrap_or_default();
        if !host.contains('.') || tld.len() < 2 || !tld.chars().all(|c| c.is_ascii_alphabetic()) {
            return None;
        }
        let end = host_start + host.len();
        let local = self
            .dotted(local)
            .replace('+', &format!(" {} ", self.w.plus));
        let out = format!("{local} {} {}", self.w.at, self.dotted(host));
        Some(Step::Replace(end, out))
    }

    /// en `July 3, 2024`, `July 3rd`.
    fn month_first_date(&self, i: usize) -> Option<Step> {
        let (month, k) = self.month_at(i)?;
        if self.byte(k) != b' ' {
            return None;
        }
        let d_start = k + 1;
        let d_end = self.digits_end(d_start);
        if !(1..=2).contains(&(d_end - d_start)) {
            return None;
        }
        let day = self.s.get(d_start..d_end)?.parse::<u32>().ok()?;
        if !(1..=31).contains(&day) {
            return None;
        }
        let mut end = d_end;
        let suffix = self.rest(end).get(..2).unwrap_or_default();
        if matches!(suffix, "st" | "nd" | "rd" | "th") {
            end += 2;
        }
        if !self.boundary(end) || self.byte(end) == b':' {
            return None;
        }
        let mut year = None;
        if self.rest(end).starts_with(", ") || self.byte(end) == b' ' {
            let y = if self.byte(end) == b',' {
                end + 2
            } else {
                end + 1
            };
            if let Some((text, e)) = self.year_at(y) {
                year = Some(text);
                end = e;
            }
        }
        Some(Step::Replace(end, self.date_words(day, month, year, false)))
    }
}

/// An English ordinal from 32 to 99 in words: "thirty-second", "fortieth".
fn english_ordinal(value: u32) -> String {
    const TENS: [(&str, &str); 8] = [
        ("twenty", "twentieth"),
        ("thirty", "thirtieth"),
        ("forty", "fortieth"),
        ("fifty", "fiftieth"),
        ("sixty", "sixtieth"),
        ("seventy", "seventieth"),
        ("eighty", "eightieth"),
        ("ninety", "ninetieth"),
    ];
    let (tens, tenth) = TENS
        .get((value / 10).saturating_sub(2) as usize)
        .copied()
        .unwrap_or_default();
    match value % 10 {
        0 => tenth.to_string(),
        unit => {
            let unit = words::words(Language::En)
                .ordinals
                .get(unit as usize - 1)
                .copied()
                .unwrap_or_default();
            format!("{tens}-{unit}")
        }
    }
}

fn two(a: u8, b: u8) -> u32 {
    u32::from(a.wrapping_sub(b'0')) * 10 + u32::from(b.wrapping_sub(b'0'))
}

/// Length of the currency symbol at `i`.
fn cur_len(cx: &Cx<'_>, i: usize) -> usize {
    cx.char_at(i).map_or(1, char::len_utf8)
}
