//! Long numbers, written in digits or said as words: card numbers (13–19 digits passing
//! Luhn's check), US social security numbers, French social security numbers (NIR, by
//! their key) and phone numbers. Order ids, prices, times, years and flight numbers are
//! left alone: a card must pass its check, and a phone number must look like one (a `+`,
//! brackets, or groups) or follow a word about calling; a word about an order or a booking
//! before it keeps it.

use super::cues::{cue_before, money_beside, Cue};
use super::tokens::{is_ambiguous, is_joiner, number_word, repeat_word, Class, Token};
use super::Finding;

/// One number in a run: digits written, or a number word's value.
#[derive(Debug)]
struct Item {
    start: usize,
    end: usize,
    digits: String,
    word: bool,
    ambiguous: bool,
}

/// Numbers that follow one another with only spaces or light marks between.
#[derive(Debug, Default)]
struct Run {
    start: usize,
    items: Vec<Item>,
    /// The marks between items (`' '` for spaces only).
    separators: Vec<char>,
    plus: bool,
    bracket: bool,
}

pub(super) fn find(text: &str, tokens: &[Token], found: &mut Vec<Finding>) {
    let mut i = 0;
    while i < tokens.len() {
        let Some((run, next)) = run_at(text, tokens, i) else {
            i += 1;
            continue;
        };
        if let Some(finding) = classify(text, tokens, i, &run) {
            found.push(finding);
        }
        i = next.max(i + 1);
    }
}

/// The run starting at token `i`, and the index after it.
fn run_at(text: &str, tokens: &[Token], i: usize) -> Option<(Run, usize)> {
    let mut run = Run::default();
    let mut j = i;
    if tokens[j].is_mark('+') || tokens[j].is_mark('(') {
        run.plus = tokens[j].is_mark('+');
        run.bracket = tokens[j].is_mark('(');
        j += 1;
    }
    let (first, mut j) = item_at(text, tokens, j)?;
    run.start = if run.plus || run.bracket {
        tokens[i].start
    } else {
        first.start
    };
    run.items.push(first);
    while let Some((separator, after)) = separator_at(tokens, j) {
        let Some((item, next)) = item_at(text, tokens, after) else {
            break;
        };
        run.bracket |= separator == ')';
        run.separators.push(separator);
        run.items.push(item);
        j = next;
    }
    // "Oh, five five five…": a leading small word is not a digit.
    while run.items.len() > 1 && run.items[0].ambiguous {
        run.items.remove(0);
        run.separators.remove(0);
        run.start = run.items[0].start;
    }
    if run.items.len() == 1 && run.items[0].ambiguous {
        return None;
    }
    Some((run, j))
}

/// Spaces and at most one light mark between two numbers: the mark (or `' '`) and the
/// token after. A `.` only between written digits with no space (`030.123`), so that a
/// sentence's end is never crossed.
fn separator_at(tokens: &[Token], mut j: usize) -> Option<(char, usize)> {
    let mut mark = None;
    let mut spaces = 0;
    while let Some(token) = tokens.get(j) {
        match token.class {
            Class::Space => spaces += 1,
            Class::Mark(c @ ('-' | ',' | '/' | ')' | '.')) if mark.is_none() => mark = Some(c),
            _ => break,
        }
        j += 1;
    }
    if spaces > 2 || (mark.is_none() && spaces == 0) || j >= tokens.len() {
        return None;
    }
    if mark == Some('.') && (spaces > 0 || tokens[j].class != Class::Digits) {
        return None;
    }
    Some((mark.unwrap_or(' '), j))
}

/// A number at token `j`: digits, a number word or compound, "double five", "treinta y
/// cuatro".
fn item_at(text: &str, tokens: &[Token], j: usize) -> Option<(Item, usize)> {
    let token = tokens.get(j)?;
    if token.class == Class::Digits {
        let item = Item {
            start: token.start,
            end: token.end,
            digits: token.text(text).to_string(),
            word: false,
            ambiguous: false,
        };
        return Some((item, j + 1));
    }
    if !token.is_word() {
        return None;
    }
    if let Some(times) = repeat_word(token.text(text)) {
        let (unit, next) = word_number(text, tokens, j + 2)?;
        if tokens.get(j + 1)?.class != Class::Space || unit.0 > 9 {
            return None;
        }
        let item = Item {
            start: token.start,
            end: tokens[next - 1].end,
            digits: unit.0.to_string().repeat(times),
            word: true,
            ambiguous: false,
        };
        return Some((item, next));
    }
    let ((value, ambiguous), next) = word_number(text, tokens, j)?;
    let item = Item {
        start: token.start,
        end: tokens[next - 1].end,
        digits: value.to_string(),
        word: true,
        ambiguous,
    };
    Some((item, next))
}

/// A number word at `j` (with its hyphenated or "y"/"et"-joined parts): its value,
/// whether it is a small word that may not be a number, and the index after it.
fn word_number(text: &str, tokens: &[Token], j: usize) -> Option<((u32, bool), usize)> {
    let token = tokens.get(j).filter(|t| t.is_word())?;
    // The longest hyphen chain that is one number: "quatre-vingt-dix-sept".
    let mut end = j;
    let mut k = j;
    // At most four parts: no number word has more, and an endless chain of hyphenated
    // words ("a-a-a-…") must not be re-read from every word.
    while k < j + 6
        && tokens.get(k + 1).is_some_and(|t| t.is_mark('-'))
        && tokens.get(k + 2).is_some_and(|t| t.is_word())
    {
        k += 2;
        let chain = &text[token.start..tokens[k].end];
        if number_word(chain).is_some() {
            end = k;
        }
    }
    let chain = &text[token.start..tokens[end].end];
    let value = number_word(chain)?;
    let ambiguous = end == j && is_ambiguous(chain);
    // "treinta y cuatro", "vingt et un".
    if value >= 20 && value % 10 == 0 {
        let joined = (
            tokens.get(end + 1),
            tokens.get(end + 2),
            tokens.get(end + 3),
        );
        if let (Some(space), Some(joiner), Some(space2)) = joined {
            if space.class == Class::Space
                && joiner.is_word()
                && is_joiner(joiner.text(text))
                && space2.class == Class::Space
            {
                if let Some(unit) = tokens
                    .get(end + 4)
                    .filter(|t| t.is_word())
                    .and_then(|t| number_word(t.text(text)))
                    .filter(|u| (1..=9).contains(u))
                {
                    return Some(((value + unit, false), end + 5));
                }
            }
        }
    }
    Some(((value, ambiguous), end + 1))
}

fn classify(text: &str, tokens: &[Token], first: usize, run: &Run) -> Option<Finding> {
    let digits: String = run.items.iter().map(|i| i.digits.as_str()).collect();
    let n = digits.len();
    let end = run.items.last()?.end;
    if n < 7 || glued(tokens, first, run, end) {
        return None;
    }
    let spoken = run.items.iter().any(|i| i.word);
    if n == 15 && nir(&digits) && !spoken {
        return Some(Finding::new(run.start, end, "national_id", digits));
    }
    if (13..=19).contains(&n) && luhn(&digits) {
        return Some(Finding::new(run.start, end, "card", digits));
    }
    // A card said with its expiry or code in one breath: the longest leading groups.
    if n > 19 {
        if let Some((stop, card)) = card_prefix(run) {
            return Some(Finding::new(run.start, stop, "card", card));
        }
    }
    let groups: Vec<usize> = run.items.iter().map(|i| i.digits.len()).collect();
    // What the digits' shape says wins over the words before them.
    if !spoken && n == 9 && ssn_shaped(&groups, run, &digits) {
        return Some(Finding::new(run.start, end, "ssn", digits));
    }
    let not_a_phone = !spoken && shaped_like_no_phone(text, tokens, first, run, &groups, &digits);
    let phone_length = (7..=15).contains(&n);
    if phone_length && !not_a_phone && !spoken && (run.plus || run.bracket) {
        return Some(Finding::new(run.start, end, "phone", digits));
    }
    let cue = cue_before(text, tokens, first);
    if cue == Cue::Other {
        return None;
    }
    if n == 9 && cue == Cue::SocialSecurity {
        return Some(Finding::new(run.start, end, "ssn", digits));
    }
    if !phone_length || not_a_phone {
        return None;
    }
    let phone = match (spoken, cue) {
        (_, Cue::Phone | Cue::Number) => true,
        (true, _) => said_like_a_phone(run),
        (false, _) => groups.len() >= 2 && !run.separators.contains(&','),
    };
    phone.then(|| Finding::new(run.start, end, "phone", digits))
}

/// The longest run of leading groups (13 to 19 digits) that passes Luhn's check: its end
/// and digits.
fn card_prefix(run: &Run) -> Option<(usize, String)> {
    let mut digits = String::new();
    let mut best = None;
    for item in &run.items {
        digits.push_str(&item.digits);
        if digits.len() > 19 {
            break;
        }
        if digits.len() >= 13 && luhn(&digits) {
            best = Some((item.end, digits.clone()));
        }
    }
    best
}

/// Said as words without a word about calling: digit by digit, or in pairs after a
/// leading zero, as numbers are read out ("ten thirty, eleven fifteen", a time, or
/// "nineteen ninety-eight", a year, are not).
fn said_like_a_phone(run: &Run) -> bool {
    let single = run.items.iter().filter(|i| i.digits.len() == 1).count();
    single * 2 >= run.items.len() || run.items[0].digits == "0"
}

/// Digits glued to letters on either side are part of a code ("AB1234567"), not a number
/// of their own.
fn glued(tokens: &[Token], first: usize, run: &Run, end: usize) -> bool {
    let before = (first > 0 && !run.plus && !run.bracket)
        .then(|| tokens[first - 1])
        .is_some_and(|t| t.is_word() && t.end == run.start && !json_escape(tokens, first - 1));
    let after = tokens
        .get(tokens.partition_point(|t| t.start < end))
        .is_some_and(|t| t.is_word() && !run.items.last().is_some_and(|i| i.word));
    before && !run.items[0].word || after
}

/// The one-letter word at token `k` is a JSON escape (`\n`, `\t`, `\r`): span content is
/// redacted as JSON text, where a line break before a number is `\n`.
pub(super) fn json_escape(tokens: &[Token], k: usize) -> bool {
    let letter = tokens[k].end - tokens[k].start == 1;
    letter && k > 0 && tokens[k - 1].is_mark('\\')
}

/// Digits written as a date, an amount (thousands in groups of three, or money beside
/// them), a run of years or an invalid social security number: never a phone number,
/// whatever the words before say.
fn shaped_like_no_phone(
    text: &str,
    tokens: &[Token],
    first: usize,
    run: &Run,
    groups: &[usize],
    digits: &str,
) -> bool {
    let end = run.items.last().map_or(run.start, |i| i.end);
    if money_beside(text, tokens, first, end) {
        return true;
    }
    let thousands = run.separators.iter().all(|&s| matches!(s, '.' | ',' | ' '));
    if groups.len() >= 2 && thousands && groups[0] <= 3 && groups[1..].iter().all(|&g| g == 3) {
        // "612 345 678" is a Spanish mobile number, "1 299 000" an amount.
        let spaced = run.separators.iter().all(|&s| s == ' ');
        if !(spaced && groups[0] == 3) {
            return true;
        }
    }
    let dated = run
        .separators
        .iter()
        .all(|&s| s == '/' || s == '.' || s == '-');
    let date_shape = matches!(groups, [1 | 2, 1 | 2, 2 | 4] | [4, 1 | 2, 1 | 2]);
    if dated && date_shape {
        return true;
    }
    // An invalid social security number is not a phone number either.
    if groups == [3, 2, 4] && run.separators.iter().all(|&s| s == '-') {
        return true;
    }
    groups.iter().all(|&g| g == 4)
        && digits
            .as_bytes()
            .chunks(4)
            .all(|year| year.starts_with(b"19") || year.starts_with(b"20"))
}

/// `123-45-6789` or `123 45 6789`, with a valid area, group and serial.
fn ssn_shaped(groups: &[usize], run: &Run, digits: &str) -> bool {
    let area: u32 = digits[..3].parse().unwrap_or(0);
    groups == [3, 2, 4]
        && run.separators.iter().all(|&s| s == '-' || s == ' ')
        && area != 0
        && area != 666
        && area < 900
        && &digits[3..5] != "00"
        && &digits[5..] != "0000"
}

/// Luhn's check, as every payment card number passes.
pub(super) fn luhn(digits: &str) -> bool {
    let mut sum = 0;
    for (i, c) in digits.bytes().rev().enumerate() {
        let mut d = u32::from(c - b'0');
        if i % 2 == 1 {
            d *= 2;
            if d > 9 {
                d -= 9;
            }
        }
        sum += d;
    }
    sum % 10 == 0
}

/// A French social security number: sex (1, 2, or 7/8 for a temporary one), then 12
/// digits and a key equal to 97 minus the first 13 modulo 97 (Corsica's 2A/2B are
/// written with letters and not caught here).
fn nir(digits: &str) -> bool {
    if !matches!(digits.as_bytes()[0], b'1' | b'2' | b'7' | b'8') {
        return false;
    }
    let (Ok(body), Ok(key)) = (digits[..13].parse::<u64>(), digits[13..].parse::<u64>()) else {
        return false;
    };
    97 - body % 97 == key
}
