//! Dates: ISO, numeric, day-first (`3 July 2024`) and en month-first (`July 3, 2024`),
//! read in each language's order.

use super::{Cx, Num, Step};
use crate::speech::normalize::Language;

impl Cx<'_> {
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
    pub(super) fn day_before_month(
        &self,
        n: &Num,
        day: u32,
        suffixed: bool,
        after: usize,
    ) -> Option<Step> {
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
            if let Some((text, e)) = self.year_after_month(end) {
                year = Some(text);
                end = e;
            }
        } else if self.lang == Language::Fr && day != 1 || self.lang == Language::Es {
            return if suffixed {
                None
            } else {
                Some(Step::Skip(n.end))
            };
        }
        if of {
            return Some(Step::Replace(
                end,
                self.day_of_month_words(day, month, year),
            ));
        }
        let dative = self.dative_before(n.start);
        Some(Step::Replace(
            end,
            self.date_words(day, month, year, dative),
        ))
    }

    /// An en year after a month name ending at `end`: "3 July 2024", "3 July, 2024".
    fn year_after_month(&self, end: usize) -> Option<(&str, usize)> {
        let y = if self.rest(end).starts_with(", ") {
            end + 2
        } else {
            end + 1
        };
        if self.byte(end) == b' ' || self.byte(end) == b',' {
            return self.year_at(y);
        }
        None
    }

    /// "the 3rd of July" keeps its order: "the third of July".
    fn day_of_month_words(&self, day: u32, month: u32, year: Option<&str>) -> String {
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
        words
    }

    /// German dative after "am", "vom", "zum", "dem", "beim".
    pub(super) fn dative_before(&self, i: usize) -> bool {
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
    pub(super) fn iso_date(&self, i: usize) -> Option<Step> {
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
    pub(super) fn numeric_date(&self, i: usize) -> Option<Step> {
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

    /// en `July 3, 2024`, `July 3rd`.
    pub(super) fn month_first_date(&self, i: usize) -> Option<Step> {
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

fn two(a: u8, b: u8) -> u32 {
    u32::from(a.wrapping_sub(b'0')) * 10 + u32::from(b.wrapping_sub(b'0'))
}
