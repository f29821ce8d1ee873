//! Phone numbers, every digit spoken in its groups: `+1 (555) 010-0199`, `555-0123`.

use super::{Cx, Step};

impl Cx<'_> {
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
    pub(super) fn phone(&self, i: usize) -> Option<Step> {
        let plus = self.byte(i) == b'+';
        let paren = self.byte(i) == b'(';
        let (groups, last_end) = self.phone_groups(i, plus, paren)?;
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
        let out = self.phone_words(plus, groups)?;
        Some(Step::Replace(last_end, out))
    }

    /// The digit groups of a phone number at `i`, and the end of the last one. Only a
    /// number that starts with `+` or `(` may separate its groups with spaces, dots or
    /// brackets; any other joins them with `-`.
    fn phone_groups(
        &self,
        i: usize,
        plus: bool,
        paren: bool,
    ) -> Option<(Vec<(usize, usize)>, usize)> {
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
        Some((groups, last_end))
    }

    /// Every digit spoken, the groups as written joined by commas; a group longer than
    /// four digits is said in threes and fours.
    fn phone_words(&self, plus: bool, groups: Vec<(usize, usize)>) -> Option<String> {
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
        Some(out)
    }
}
