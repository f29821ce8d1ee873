//! Street addresses, in the shapes of the four languages: "221 Baker Street", "12 Oak
//! Ave" (a number, capitalised names, a street word), "Hauptstraße 5", "Berliner Str.
//! 12a" (a street word, a number), "12 rue de la Paix", "calle Mayor, 5". A street name
//! alone, with no number, is not an address.

use super::tokens::{lower, Class, Token};
use super::Finding;

/// Most name words between a number and a street word (or after a French street word).
const NAME_WORDS: usize = 4;

pub(super) fn find(text: &str, tokens: &[Token], found: &mut Vec<Finding>) {
    let mut i = 0;
    while i < tokens.len() {
        let end = number_first(text, tokens, i)
            .or_else(|| german(text, tokens, i))
            .or_else(|| spanish(text, tokens, i));
        match end {
            Some(end) => {
                let (start, stop) = (tokens[i].start, tokens[end - 1].end);
                let key = text[start..stop]
                    .to_lowercase()
                    .split_whitespace()
                    .collect();
                found.push(Finding::new(start, stop, "address", key));
                i = end;
            }
            None => i += 1,
        }
    }
}

fn word<'t>(text: &'t str, token: Option<&Token>) -> Option<&'t str> {
    token.filter(|t| t.is_word()).map(|t| t.text(text))
}

fn capitalised(word: &str) -> bool {
    word.chars().next().is_some_and(char::is_uppercase)
}

/// "221 Baker Street", "5th Avenue" is not (no house number), "12 rue de la Paix".
fn number_first(text: &str, tokens: &[Token], i: usize) -> Option<usize> {
    let number = tokens.get(i).filter(|t| t.class == Class::Digits)?;
    let glued = i > 0 && tokens[i - 1].is_word() && !super::numbers::json_escape(tokens, i - 1);
    if number.text(text).len() > 5 || glued {
        return None;
    }
    let mut j = i + 1;
    if tokens.get(j).is_some_and(|t| t.is_mark(',')) {
        j += 1;
    }
    j = space(tokens, j)?;
    if let Some(street) = word(text, tokens.get(j)) {
        if is_french_street(street) {
            return french_name(text, tokens, j + 1);
        }
    }
    // English: capitalised names, then the street word.
    for _ in 0..=NAME_WORDS {
        let name = word(text, tokens.get(j))?;
        if is_english_street(name) && j > i + 2 {
            let mut end = j + 1;
            if tokens.get(end).is_some_and(|t| t.is_mark('.')) && name.len() <= 4 {
                end += 1;
            }
            return Some(end);
        }
        if !capitalised(name) {
            return None;
        }
        j = space(tokens, j + 1)?;
    }
    None
}

/// After "rue", "avenue", …: articles and capitalised names.
fn french_name(text: &str, tokens: &[Token], mut j: usize) -> Option<usize> {
    let mut end = None;
    for _ in 0..NAME_WORDS + 2 {
        let Some(next) = space(tokens, j) else { break };
        let Some(name) = word(text, tokens.get(next)) else {
            break;
        };
        let article = matches!(name, "de" | "du" | "des" | "la" | "le" | "les" | "l");
        if !(article || capitalised(name)) {
            break;
        }
        j = next + 1;
        if tokens.get(j).is_some_and(|t| t.is_mark('\'')) {
            j += 1;
        }
        if !article {
            end = Some(j);
        }
    }
    end
}

/// "Hauptstraße 5", "Berliner Str. 12a", "Am Markt 3" is not (no street word).
fn german(text: &str, tokens: &[Token], i: usize) -> Option<usize> {
    let first = word(text, tokens.get(i))?;
    if !capitalised(first) {
        return None;
    }
    let mut j = i;
    // "Berliner Straße": one capitalised word before a separate street word.
    if !is_german_street(first) {
        j = space(tokens, i + 1)?;
        if !is_german_street(word(text, tokens.get(j))?) {
            return None;
        }
    }
    j += 1;
    if tokens.get(j).is_some_and(|t| t.is_mark('.')) {
        j += 1;
    }
    j = space(tokens, j)?;
    house_number(text, tokens, j)
}

/// "calle Mayor 5", "Avenida de la Constitución, 23".
fn spanish(text: &str, tokens: &[Token], i: usize) -> Option<usize> {
    let street = lower(word(text, tokens.get(i))?);
    if !matches!(
        street.as_ref(),
        "calle" | "avenida" | "avda" | "paseo" | "plaza" | "camino" | "carrera" | "ronda"
    ) {
        return None;
    }
    let mut j = i + 1;
    let mut named = false;
    for _ in 0..NAME_WORDS + 2 {
        let next = space(tokens, j)?;
        if let Some(end) = named.then(|| house_number(text, tokens, next)).flatten() {
            return Some(end);
        }
        let name = word(text, tokens.get(next))?;
        let article = matches!(name, "de" | "del" | "la" | "las" | "los" | "el");
        if !(article || capitalised(name)) {
            return None;
        }
        named |= !article;
        j = next + 1;
        if named && tokens.get(j).is_some_and(|t| t.is_mark(',')) {
            return house_number(text, tokens, space(tokens, j + 1)?);
        }
    }
    None
}

/// A house number at `j`: 1–4 digits and an optional letter ("12a").
fn house_number(text: &str, tokens: &[Token], j: usize) -> Option<usize> {
    let number = tokens.get(j).filter(|t| t.class == Class::Digits)?;
    let digits = number.text(text);
    // A year after a word ("Spring 2025", "Frühjahr 2026") is no house number.
    let year = digits.len() == 4 && (digits.starts_with("19") || digits.starts_with("20"));
    if digits.len() > 4 || year {
        return None;
    }
    match tokens.get(j + 1) {
        Some(t) if t.is_word() && t.end - t.start == 1 => Some(j + 2),
        Some(t) if t.is_word() => None,
        _ => Some(j + 1),
    }
}

fn space(tokens: &[Token], j: usize) -> Option<usize> {
    (tokens.get(j)?.class == Class::Space).then_some(j + 1)
}

fn is_english_street(word: &str) -> bool {
    matches!(
        lower(word).as_ref(),
        "street"
            | "st"
            | "avenue"
            | "ave"
            | "road"
            | "rd"
            | "boulevard"
            | "blvd"
            | "lane"
            | "ln"
            | "drive"
            | "dr"
            | "court"
            | "ct"
            | "way"
            | "place"
            | "pl"
            | "terrace"
            | "circle"
            | "parkway"
            | "pkwy"
            | "highway"
            | "hwy"
            | "square"
            | "close"
            | "crescent"
    )
}

fn is_french_street(word: &str) -> bool {
    matches!(
        lower(word).as_ref(),
        "rue"
            | "avenue"
            | "boulevard"
            | "bd"
            | "allée"
            | "chemin"
            | "impasse"
            | "place"
            | "quai"
            | "route"
            | "cours"
    )
}

/// "Hauptstraße", "Ringstr", "Am Waldweg"'s "Waldweg", a separate "Straße".
fn is_german_street(word: &str) -> bool {
    const ENDINGS: &[&str] = &[
        "straße", "strasse", "str", "weg", "gasse", "allee", "platz", "damm", "ufer", "chaussee",
        "steig", "pfad",
    ];
    let word = lower(word);
    ENDINGS.iter().any(|ending| word.ends_with(ending))
}
