//! Dates of birth: a date within a few words after a word about birth ("born", "date of
//! birth", "DOB", "geboren", "Geburtsdatum", "né le", "date de naissance", "nací",
//! "fecha de nacimiento"), written in digits (`03/04/1985`, `1985-04-03`, `3.4.1985`) or
//! with a month's name in en/de/fr/es ("March 3rd, 1985", "3. März 1985", "3 de marzo de
//! 1985"). Any other date (an appointment, a delivery) is left alone.

use super::tokens::{lower, Class, Token};
use super::Finding;
use crate::speech::Language;

/// How many tokens after the cue a date may start.
const REACH: usize = 12;

pub(super) fn find(text: &str, tokens: &[Token], found: &mut Vec<Finding>) {
    let mut i = 0;
    while i < tokens.len() {
        if !(tokens[i].is_word() && is_cue(&lower(tokens[i].text(text)))) {
            i += 1;
            continue;
        }
        let date = (i + 1..tokens.len().min(i + 1 + REACH))
            .find_map(|k| date_at(text, tokens, k).map(|end| (k, end)));
        match date {
            Some((k, end)) => {
                let start = tokens[k].start;
                let key = text[start..tokens[end - 1].end].to_lowercase();
                found.push(Finding::new(
                    start,
                    tokens[end - 1].end,
                    "date_of_birth",
                    key,
                ));
                i = end;
            }
            None => i += 1,
        }
    }
}

fn is_cue(word: &str) -> bool {
    matches!(
        word,
        "born"
            | "birth"
            | "birthday"
            | "dob"
            | "geboren"
            | "geburtsdatum"
            | "geburtstag"
            | "né"
            | "née"
            | "naissance"
            | "nacido"
            | "nacida"
            | "nací"
            | "naci"
            | "nacimiento"
            | "cumpleaños"
    )
}

/// A date starting at token `k`: the index after its last token.
fn date_at(text: &str, tokens: &[Token], k: usize) -> Option<usize> {
    numeric(text, tokens, k)
        .or_else(|| day_first(text, tokens, k))
        .or_else(|| month_first(text, tokens, k))
}

fn digits(text: &str, tokens: &[Token], k: usize, lengths: &[usize]) -> bool {
    tokens
        .get(k)
        .is_some_and(|t| t.class == Class::Digits && lengths.contains(&t.text(text).len()))
}

/// `03/04/1985`, `3.4.85`, `1985-04-03`: one mark twice.
fn numeric(text: &str, tokens: &[Token], k: usize) -> Option<usize> {
    let mark = match tokens.get(k + 1)?.class {
        Class::Mark(c @ ('/' | '.' | '-')) => c,
        _ => return None,
    };
    if !tokens.get(k + 3)?.is_mark(mark) {
        return None;
    }
    let day_first = digits(text, tokens, k, &[1, 2])
        && digits(text, tokens, k + 2, &[1, 2])
        && digits(text, tokens, k + 4, &[2, 4]);
    let year_first = digits(text, tokens, k, &[4])
        && digits(text, tokens, k + 2, &[1, 2])
        && digits(text, tokens, k + 4, &[1, 2]);
    (day_first || year_first).then_some(k + 5)
}

/// "3 March 1985", "3rd of March", "3. März 1985", "3 de marzo de 1985".
fn day_first(text: &str, tokens: &[Token], k: usize) -> Option<usize> {
    if !digits(text, tokens, k, &[1, 2]) {
        return None;
    }
    let mut j = k + 1;
    if tokens.get(j).is_some_and(|t| {
        t.is_word()
            && matches!(
                t.text(text),
                "st" | "nd" | "rd" | "th" | "er" | "e" | "º" | "o"
            )
    }) || tokens
        .get(j)
        .is_some_and(|t| t.is_mark('.') || t.is_mark('º'))
    {
        j += 1;
    }
    j = skip_space(tokens, j)?;
    if tokens
        .get(j)
        .is_some_and(|t| t.is_word() && matches!(t.text(text), "of" | "de"))
    {
        j = skip_space(tokens, j + 1)?;
    }
    if !is_month(text, tokens.get(j)?) {
        return None;
    }
    Some(year_after(text, tokens, j + 1).unwrap_or(j + 1))
}

/// "March 3rd, 1985", "March 1985".
fn month_first(text: &str, tokens: &[Token], k: usize) -> Option<usize> {
    if !is_month(text, tokens.get(k)?) {
        return None;
    }
    if let Some(year) = year_after(text, tokens, k + 1) {
        return Some(year);
    }
    let j = skip_space(tokens, k + 1)?;
    if !digits(text, tokens, j, &[1, 2]) {
        return None;
    }
    let mut end = j + 1;
    if tokens
        .get(end)
        .is_some_and(|t| t.is_word() && matches!(t.text(text), "st" | "nd" | "rd" | "th"))
    {
        end += 1;
    }
    Some(year_after(text, tokens, end).unwrap_or(end))
}

/// ", 1985", " 1985" or " de 1985" after token `j`: the index after the year.
fn year_after(text: &str, tokens: &[Token], mut j: usize) -> Option<usize> {
    if tokens.get(j).is_some_and(|t| t.is_mark(',')) {
        j += 1;
    }
    j = skip_space(tokens, j)?;
    if tokens
        .get(j)
        .is_some_and(|t| t.is_word() && t.text(text) == "de")
    {
        j = skip_space(tokens, j + 1)?;
    }
    digits(text, tokens, j, &[4]).then_some(j + 1)
}

fn skip_space(tokens: &[Token], j: usize) -> Option<usize> {
    (tokens.get(j)?.class == Class::Space).then_some(j + 1)
}

fn is_month(text: &str, token: &Token) -> bool {
    const SHORT: &[&str] = &[
        "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
    ];
    if !token.is_word() {
        return false;
    }
    let word = lower(token.text(text));
    SHORT.contains(&word.as_ref())
        || Language::ALL
            .iter()
            .any(|language| language.months().iter().any(|m| lower(m) == word))
}
