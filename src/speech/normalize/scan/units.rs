//! Units and durations after a number: `5 km`, `2h 30m`, `20°C`.

use super::{Cx, Num, Step};
use crate::speech::normalize::words::{Spacing, UnitWords, MINUTES, UNITS};

impl Cx<'_> {
    /// A unit after the number `n` (`5 km`, `2h`), singular for one.
    pub(super) fn unit(&self, n: &Num) -> Option<Step> {
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
}
