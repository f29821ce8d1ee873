//! Abbreviations with one certain expansion: en `e.g.`, de `z.B.`, fr `p. ex.`, es `p. ej.`.

use super::{Cx, Step};

impl Cx<'_> {
    /// An abbreviation at `i`, expanded. Its period stays where it also ended the sentence.
    pub(super) fn abbreviation(&self, i: usize) -> Option<Step> {
        let rest = self.rest(i);
        for (abbr, expansion) in self.w.abbreviations {
            if rest.starts_with(abbr) && self.boundary(i + abbr.len()) {
                let end = i + abbr.len();
                let mut out = (*expansion).to_string();
                if end == self.s.len()
                    || (matches!(*abbr, "etc." | "usw." | "EE. UU." | "EE.UU.")
                        && self.sentence_ends_at(end))
                {
                    out.push('.');
                }
                return Some(Step::Replace(end, out));
            }
        }
        None
    }
}
