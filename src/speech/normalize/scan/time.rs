//! Times of day: `15:30`, `3:30 pm`, `3pm`, fr `15h30`, and ranges of them.

use super::{Cx, Num, Step};
use crate::speech::normalize::Language;

impl Cx<'_> {
    /// `15:30`, `3:30 pm`, fr `15h30`.
    pub(super) fn clock(&self, i: usize) -> Option<Step> {
        let h_end = self.digits_end(i);
        let sep = self.byte(h_end);
        let fr_h = self.lang == Language::Fr && sep == b'h';
        // "8.30 Uhr", "8.30 h", "8.30 pm": a dotted time is a time only so marked.
        let dotted = sep == b'.' && self.dotted_time(h_end);
        if !(1..=2).contains(&(h_end - i)) || !(sep == b':' || fr_h || dotted) {
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
        // de "15:30 Uhr": the words already say "Uhr"; fr and es "8.30 h" the hours.
        if self.lang == Language::De && self.rest(end).starts_with(" Uhr") && self.boundary(end + 4)
        {
            end += 4;
        }
        if matches!(self.lang, Language::Fr | Language::Es)
            && self.rest(end).starts_with(" h")
            && self.boundary(end + 2)
        {
            end += 2;
        }
        let mut words = self.time_words(hour, minute, pm);
        self.keep_period(&mut words, end);
        Some(self.time_range(words, end))
    }

    /// Whether the period at `dot` is a time's: two digits of minutes, then "Uhr", "h",
    /// or am/pm.
    fn dotted_time(&self, dot: usize) -> bool {
        let m_end = self.digits_end(dot + 1);
        if m_end - dot - 1 != 2 || self.byte(m_end) == b'.' {
            return false;
        }
        let marked =
            |word: &str| self.rest(m_end).starts_with(word) && self.boundary(m_end + word.len());
        let marked_here = match self.lang {
            Language::De => marked(" Uhr"),
            Language::Fr | Language::Es => marked(" h"),
            Language::En => false,
        };
        marked_here || self.am_pm_at(m_end).is_some()
    }

    /// A score ("2:1", "3:0"): two numbers around a colon, the second of one digit (a
    /// time has two): "2 to 1", "2 zu 1", "2 à 1", "2 a 1".
    pub(super) fn score(&self, i: usize) -> Option<Step> {
        let a_end = self.digits_end(i);
        if !(1..=2).contains(&(a_end - i)) || self.byte(a_end) != b':' {
            return None;
        }
        if i > 0 && matches!(self.byte(i - 1), b':' | b'.' | b',') {
            return None;
        }
        let b_end = self.digits_end(a_end + 1);
        if b_end - a_end - 1 != 1 || !self.boundary(b_end) || self.byte(b_end) == b':' {
            return None;
        }
        // "Matthew 5:3-12", "Psalm 23:4": a verse after a name, or a range of verses.
        let verses = matches!(self.byte(b_end), b'-' | b',') && self.is_digit(b_end + 1);
        let before = self.s.get(..i).unwrap_or_default().trim_end();
        let name = before
            .rsplit(char::is_whitespace)
            .next()
            .unwrap_or_default();
        let opens = before[..before.len() - name.len()].trim_end();
        let named = name.starts_with(char::is_uppercase)
            && !(opens.is_empty() || opens.ends_with(['.', '!', '?']));
        if verses {
            // Left as written, the range of verses with it.
            return Some(Step::Skip(self.digits_end(b_end + 1)));
        }
        if named {
            return Some(Step::Skip(b_end));
        }
        let (a, b) = (self.s.get(i..a_end)?, self.s.get(a_end + 1..b_end)?);
        Some(Step::Replace(b_end, format!("{a} {} {b}", self.m.score)))
    }

    /// `3pm`, `3 p.m.`.
    pub(super) fn am_pm(&self, n: &Num) -> Option<Step> {
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

    /// Puts back a sentence's final period that a consumed "p.m." or "etc." ended with.
    fn keep_period(&self, words: &mut String, end: usize) {
        if end > 0 && self.byte(end - 1) == b'.' && self.sentence_ends_at(end) {
            words.push('.');
        }
    }
}
