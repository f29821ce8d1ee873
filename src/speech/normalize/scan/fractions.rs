//! Fractions and ratings: `1/2`, `½`, `3/4`, `1/7`, `24/7`, `3.5/5`.

use super::{Cx, Num, Step};

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

    /// The glyphs `½ ¼ ¾` (the character `c` at `i`) by name.
    pub(super) fn fraction_glyph(&self, i: usize, c: char, next: usize) -> Step {
        let (n, d) = match c {
            '½' => (1, 2),
            '¼' => (1, 4),
            _ => (3, 4),
        };
        let name = self.fraction_name(n, d).unwrap_or_default();
        Step::Replace(next, self.spaced(i, next, name))
    }
}
