//! Ordinals: `3rd`, fr `1er`, es `1º`, and a day number before a month name.

use super::{Cx, Num, Step};
use crate::speech::normalize::words;
use crate::speech::normalize::Language;

impl Cx<'_> {
    /// `3rd`, `1er`, `1º`, and a day before a month name.
    pub(super) fn ordinal_or_day(&self, n: &Num) -> Option<Step> {
        let value = self.int_value(n).filter(|_| !n.thousands)?;
        let j = n.end;
        // The suffix, and whether the ordinal is feminine (fr 1re, es 1ª).
        let (suffix_len, feminine) = match self.lang {
            Language::En => self.en_suffix(j, value),
            Language::Fr => self.fr_suffix(j, value),
            Language::Es => {
                let found = self.es_suffix(j);
                if let Some(step) = self.es_short_ordinal(j, value) {
                    return Some(step);
                }
                found
            }
            Language::De => {
                if let Some(step) = self.de_first_of_two_days(n, value) {
                    return Some(step);
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
            return self.de_ordinal(n, value);
        }
        if self.lang == Language::En && (32..=99).contains(&value) {
            return Some(Step::Replace(after, english_ordinal(value)));
        }
        if value == 0 || value > 31 {
            return Some(Step::Skip(after));
        }
        let word = self.ordinal_word(value, feminine)?;
        Some(Step::Replace(after, word))
    }

    /// The ordinal word for `value` (1–31), feminine where asked (fr "première", es
    /// "primera").
    fn ordinal_word(&self, value: u32, feminine: bool) -> Option<String> {
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
        Some(word)
    }

    /// en `1st`, `22nd`, `13th`: the suffix's length when it fits the number, else 0.
    fn en_suffix(&self, j: usize, value: u32) -> (usize, bool) {
        let rest = self.rest(j);
        let s = rest.get(..2).unwrap_or_default();
        let ok = matches!(
            (value % 10, value % 100, s),
            (1, v, "st") if v != 11
        ) || matches!((value % 10, value % 100, s), (2, v, "nd") if v != 12)
            || matches!((value % 10, value % 100, s), (3, v, "rd") if v != 13)
            || (s == "th"
                && (!(1..=3).contains(&(value % 10)) || (11..=13).contains(&(value % 100))));
        if ok && self.boundary(j + 2) {
            (2, false)
        } else {
            (0, false)
        }
    }

    /// fr `1er`, `1re`, `2e`, `2ème`: the suffix's length when it fits the number (the
    /// first takes `er`/`re`, the others `e`), and whether it is feminine.
    fn fr_suffix(&self, j: usize, value: u32) -> (usize, bool) {
        let rest = self.rest(j);
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

    /// es `1º`, `1.º`, `1ª`: the suffix's length and whether it is feminine.
    fn es_suffix(&self, j: usize) -> (usize, bool) {
        let rest = self.rest(j);
        let mut found = (0, false);
        for (suf, fem) in [(".º", false), (".ª", true), ("º", false), ("ª", true)] {
            if rest.starts_with(suf) {
                found = (suf.len(), fem);
                break;
            }
        }
        found
    }

    /// The short forms before a noun: "1.er piso" → "primer piso".
    fn es_short_ordinal(&self, j: usize, value: u32) -> Option<Step> {
        let rest = self.rest(j);
        if rest.starts_with(".er") && self.boundary(j + 3) {
            match value {
                1 => return Some(Step::Replace(j + 3, "primer".to_string())),
                3 => return Some(Step::Replace(j + 3, "tercer".to_string())),
                _ => {}
            }
        }
        None
    }

    /// A German ordinal outside a date, after an article or preposition that shows its
    /// case, before a noun: "zum 3. Mal" → "zum dritten Mal", "Der 2. Platz" → "Der
    /// zweite Platz". After any other word ("mein 5. Geburtstag") the ending depends on
    /// the noun's gender, and the number is left as written.
    fn de_ordinal(&self, n: &Num, value: u32) -> Option<Step> {
        if self.lang != Language::De || !(1..=31).contains(&value) {
            return None;
        }
        let j = n.end;
        let noun = self.rest(j).strip_prefix(". ")?;
        if !noun.starts_with(char::is_uppercase) {
            return None;
        }
        let before = self.s.get(..n.start).unwrap_or_default().trim_end();
        let lead = before
            .rsplit(|c: char| !c.is_alphabetic())
            .next()
            .unwrap_or_default()
            .to_lowercase();
        // "der" opens the clause ("Der 2. Platz") or follows a preposition that asks
        // another case ("in der 3. Klasse"): only the first is read.
        let before_lead = before[..before.len() - lead.len()].trim_end();
        let opens = before_lead.is_empty() || before_lead.ends_with(['.', '!', '?', ':', ';', ',']);
        let stem = self.w.ordinals.get(value as usize - 1).copied()?;
        let word = match lead.as_str() {
            "am" | "im" | "vom" | "zum" | "zur" | "beim" | "dem" | "den" | "des" | "ins"
            | "ans" | "aufs" | "fürs" => format!("{stem}n"),
            "der" | "die" | "das" if opens => stem.to_string(),
            _ => return None,
        };
        Some(Step::Replace(j + 1, word))
    }

    /// A French century in Roman numerals ("XIXe siècle", "Ier siècle"): "dix-neuvième
    /// siècle".
    pub(super) fn roman_century(&self, i: usize) -> Option<Step> {
        if self.lang != Language::Fr {
            return None;
        }
        let rest = self.rest(i);
        let numeral_len = rest
            .bytes()
            .take_while(|b| matches!(b, b'I' | b'V' | b'X' | b'L' | b'C'))
            .count();
        let value = roman_value(rest.get(..numeral_len)?)?;
        let suffix = ["ème", "er", "e"]
            .into_iter()
            .find(|s| rest[numeral_len..].starts_with(s))?;
        let end = i + numeral_len + suffix.len();
        if !self.rest(end).starts_with(" siècle") || !(1..=31).contains(&value) {
            return None;
        }
        let word = self.w.ordinals.get(value as usize - 1).copied()?;
        Some(Step::Replace(end, word.to_string()))
    }

    /// "vom 1. bis 3. Mai": the first day is an ordinal too.
    fn de_first_of_two_days(&self, n: &Num, value: u32) -> Option<Step> {
        let j = n.end;
        let rest = self.rest(j);
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
        None
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

/// The value of a Roman numeral written in capitals ("XIX" is 19); `None` if it is not one.
fn roman_value(numeral: &str) -> Option<u32> {
    if numeral.is_empty() {
        return None;
    }
    let digit = |b: u8| match b {
        b'I' => 1,
        b'V' => 5,
        b'X' => 10,
        b'L' => 50,
        _ => 100,
    };
    let bytes = numeral.as_bytes();
    let mut total = 0i64;
    for (k, &b) in bytes.iter().enumerate() {
        let value = digit(b);
        match bytes.get(k + 1) {
            Some(&next) if digit(next) > value => total -= value,
            _ => total += value,
        }
    }
    let total = u32::try_from(total).ok()?;
    // Only numerals written the usual way: "IIII" or "VX" are not.
    let canonical = [
        (100, "C"),
        (90, "XC"),
        (50, "L"),
        (40, "XL"),
        (10, "X"),
        (9, "IX"),
        (5, "V"),
        (4, "IV"),
        (1, "I"),
    ]
    .iter()
    .fold((total, String::new()), |(left, mut out), (v, s)| {
        let mut left = left;
        while left >= *v {
            out.push_str(s);
            left -= v;
        }
        (left, out)
    })
    .1;
    (canonical == numeral).then_some(total)
}
