//! Version numbers, never read as decimals: `version 2.10`, `iOS 17.2`, `v2.5` → "version
//! 2 point 10" (de "Punkt", fr "point", es "punto"), each part a whole number.

use super::{Cx, Step};
use crate::speech::normalize::Language;

impl Cx<'_> {
    /// A version number at `i` after a word that announces one ("Version 2.5", "iOS 17").
    pub(super) fn version_after_word(&self, i: usize) -> Option<Step> {
        // Only a dotted number can be a version: told before the word is looked at.
        let e = self.digits_end(i);
        if self.byte(e) != b'.' || !self.is_digit(e + 1) {
            return None;
        }
        let before = self.s.get(..i)?;
        let word = before
            .strip_suffix(' ')?
            .rsplit(char::is_whitespace)
            .next()?;
        let lower = word.to_lowercase();
        if !self.m.version_words.contains(&lower.as_str()) {
            return None;
        }
        self.version_parts(i)
            .map(|(end, words)| Step::Replace(end, words))
    }

    /// `v2.5` or `V2.5` glued: "version 2 point 5".
    pub(super) fn glued_version(&self, i: usize) -> Option<Step> {
        if !matches!(self.byte(i), b'v' | b'V') || !self.is_digit(i + 1) {
            return None;
        }
        let (end, words) = self.version_parts(i + 1)?;
        Some(Step::Replace(end, format!("{} {words}", self.m.version)))
    }

    /// The parts of a dotted version at `i` (at least two), with its end: "2 point 10".
    fn version_parts(&self, i: usize) -> Option<(usize, String)> {
        let mut parts = Vec::new();
        let mut k = i;
        loop {
            let e = self.digits_end(k);
            if e == k {
                return None;
            }
            parts.push(self.s.get(k..e)?);
            if self.byte(e) == b'.' && self.is_digit(e + 1) {
                k = e + 1;
            } else {
                k = e;
                break;
            }
        }
        if parts.len() < 2 || !self.boundary(k) {
            return None;
        }
        // "1.000 Nutzer" counts thousands where a comma is the decimal mark; "2.5 km" is a
        // length.
        let thousands = self.lang != Language::En && parts[1..].iter().all(|p| p.len() == 3);
        if thousands || self.unit_at(k, false, i).is_some() {
            return None;
        }
        let joiner = format!(" {} ", self.m.version_point);
        Some((k, parts.join(&joiner)))
    }
}
