//! Units and durations after a number: `5 km`, `2h 30m`, `20°C`.

use super::{Cx, Num, Step};
use crate::speech::normalize::words::{Spacing, UnitWords, MINUTES, MORE_UNITS, UNITS};

impl Cx<'_> {
    /// A unit after the number `n` (`5 km`, `2h`), singular for one.
    pub(super) fn unit(&self, n: &Num) -> Option<Step> {
        let (end, word) = self.unit_at(n.end, self.is_one(n), n.start)?;
        Some(Step::Replace(end, format!("{} {word}", self.num_text(n))))
    }

    /// The unit right after a number ending at `j` (one space allowed), in the singular
    /// or plural, with its end; `start` is where the number began ("2h 30m": minutes).
    /// A period that was the unit's and also ended the sentence is kept.
    pub(super) fn unit_at(&self, j: usize, one: bool, start: usize) -> Option<(usize, String)> {
        let k = self.opt_space(j);
        let rest = self.rest(k);
        for (symbol, spacing, table) in MORE_UNITS.iter().chain(UNITS) {
            let placed = match spacing {
                Spacing::Either => true,
                Spacing::Attached => k == j,
                Spacing::Apart => k > j,
            };
            if !rest.starts_with(symbol) || !placed {
                continue;
            }
            let end = k + symbol.len();
            let ends_ok = if (symbol.starts_with('°') && symbol.len() == 2)
                || symbol.ends_with(['²', '³', '.'])
            {
                // A lone degree sign, a power or a period may be followed by anything.
                true
            } else {
                // Not fr "5 l'ont".
                self.boundary(end) && !matches!(self.char_at(end), Some('\'' | '’'))
            };
            if !ends_ok {
                continue;
            }
            let table: &UnitWords = if *symbol == "m" && self.after_hours(start) {
                &MINUTES
            } else {
                table
            };
            let (singular, plural) = table[self.lang.index()];
            let mut word = (if one { singular } else { plural }).to_string();
            if symbol.ends_with('.') && self.sentence_ends_at(end) {
                // "5 Min." that also ended the sentence.
                word.push('.');
            }
            return Some((end, word));
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
}
