//! Identifiers with a check: IBANs (ISO 13616, by their mod-97 checksum, written whole or
//! in groups of four) and Spanish DNI and NIE numbers (by their control letter).

use super::Finding;

/// The control letters of Spanish DNI and NIE numbers, indexed by the number modulo 23.
const DNI_LETTERS: &[u8; 23] = b"TRWAGMYFPDXBNJZSQVHLCKE";

pub(super) fn find(text: &str, found: &mut Vec<Finding>) {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        // After a JSON escape (`\n`) as after a space: span content is redacted as JSON.
        let escaped = i >= 2 && bytes[i - 2] == b'\\' && matches!(bytes[i - 1], b'n' | b't' | b'r');
        let boundary = i == 0 || !bytes[i - 1].is_ascii_alphanumeric() || escaped;
        if boundary {
            if let Some(end) = iban_at(bytes, i) {
                let key = compact(&text[i..end]);
                found.push(Finding::new(i, end, "iban", key));
                i = end;
                continue;
            }
            if let Some(end) = dni_at(bytes, i) {
                let key = compact(&text[i..end]);
                found.push(Finding::new(i, end, "national_id", key));
                i = end;
                continue;
            }
        }
        i += 1;
    }
}

/// Uppercase letters and digits without spaces or dashes.
fn compact(text: &str) -> String {
    text.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// An IBAN starting at `i`: two letters, two check digits, then letters and digits in
/// groups (single spaces between), 15 to 34 characters in all, whose checksum holds. The
/// longest prefix (by whole groups) that passes is taken.
fn iban_at(bytes: &[u8], i: usize) -> Option<usize> {
    let head = bytes.get(i..i + 4)?;
    if !(head[0].is_ascii_alphabetic()
        && head[1].is_ascii_alphabetic()
        && head[2].is_ascii_digit()
        && head[3].is_ascii_digit())
    {
        return None;
    }
    // The ends of the groups: after each run of letters and digits.
    let mut ends = Vec::new();
    let mut j = i;
    let mut chars = 0;
    while j < bytes.len() && chars < 34 {
        let run = bytes[j..]
            .iter()
            .take_while(|b| b.is_ascii_alphanumeric())
            .count();
        if run == 0 {
            break;
        }
        j += run;
        chars += run;
        ends.push((j, chars));
        if bytes.get(j) == Some(&b' ') && bytes.get(j + 1).is_some_and(u8::is_ascii_alphanumeric) {
            j += 1;
        } else {
            break;
        }
    }
    ends.into_iter()
        .rev()
        .filter(|&(end, chars)| {
            (15..=34).contains(&chars) && !bytes.get(end).is_some_and(u8::is_ascii_alphanumeric)
        })
        .find(|&(end, _)| iban_checks(&bytes[i..end]))
        .map(|(end, _)| end)
}

/// ISO 7064 mod 97-10 over the IBAN moved four characters left, letters as 10 to 35.
fn iban_checks(iban: &[u8]) -> bool {
    let chars: Vec<u8> = iban
        .iter()
        .copied()
        .filter(u8::is_ascii_alphanumeric)
        .collect();
    if chars.len() < 15 || !chars[4..].iter().all(u8::is_ascii_alphanumeric) {
        return false;
    }
    let mut remainder: u32 = 0;
    for &c in chars[4..].iter().chain(&chars[..4]) {
        let value = match c {
            b'0'..=b'9' => u32::from(c - b'0'),
            _ => u32::from(c.to_ascii_uppercase() - b'A') + 10,
        };
        remainder = if value >= 10 {
            (remainder * 100 + value) % 97
        } else {
            (remainder * 10 + value) % 97
        };
    }
    remainder == 1
}

/// A DNI (8 digits and a letter) or NIE (X, Y or Z, 7 digits and a letter) at `i`, a dash
/// or space allowed before the letter, whose letter checks.
fn dni_at(bytes: &[u8], i: usize) -> Option<usize> {
    let (prefix, start) = match bytes.get(i)? {
        b'X' | b'x' => (0, i + 1),
        b'Y' | b'y' => (1, i + 1),
        b'Z' | b'z' => (2, i + 1),
        b'0'..=b'9' => (0, i),
        _ => return None,
    };
    let wanted = if start == i { 8 } else { 7 };
    let digits = bytes.get(start..start + wanted)?;
    if !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut letter_at = start + wanted;
    let apart = matches!(bytes.get(letter_at), Some(b'-' | b' '));
    if apart {
        letter_at += 1;
    }
    let letter = *bytes.get(letter_at)?;
    // "12345678 a" is more likely a number and a word than a DNI.
    if apart && !letter.is_ascii_uppercase() {
        return None;
    }
    let letter = letter.to_ascii_uppercase();
    if bytes
        .get(letter_at + 1)
        .is_some_and(u8::is_ascii_alphanumeric)
    {
        return None;
    }
    let number: u32 = std::str::from_utf8(digits).ok()?.parse().ok()?;
    let number = if start == i {
        number
    } else {
        prefix * 10_000_000 + number
    };
    (DNI_LETTERS[(number % 23) as usize] == letter).then_some(letter_at + 1)
}
