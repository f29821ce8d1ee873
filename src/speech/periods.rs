//! Which periods end no sentence (pure): abbreviations, initials, ordinals and Roman
//! numerals, by the word lists and flags of a language's [`SentenceRules`].
//!
//! The lists (in `languages/`) sort abbreviations by how they show they are one. Most are
//! never ordinary words and count anywhere. Those that are also words or units count
//! only in their unambiguous form: capitalised, as a title ("Gen. Lee" but "the next
//! gen."); before a number ("max. 5 people" but "up to max."); capitalised and before a
//! number (day and month names: "Sat. 3 May" but "she sat."); or, for units, anywhere
//! but after a number ("г. Москва" but "в 2020 г. Потом"). A word in capitals ("HR.") is
//! an acronym and none of these. Nothing is needed for "clearly mid-sentence": Unicode
//! never ends a sentence at a period before a lowercase word, a comma or a dash.

use super::languages::SentenceRules;
use super::rules::{is_line_break, is_quote_end, is_terminator};

/// True for the letters of Han, Kana and Hangul, which need no space before a Latin
/// abbreviation ("请联系Dr. Wang").
fn is_cjk(c: char) -> bool {
    matches!(c,
        '\u{3040}'..='\u{30FF}' | '\u{3400}'..='\u{4DBF}' | '\u{4E00}'..='\u{9FFF}'
        | '\u{AC00}'..='\u{D7AF}' | '\u{3000}'..='\u{303F}' | '\u{FF00}'..='\u{FFEF}')
}

/// The last word of `text`: after the last space, opening bracket or quote, or CJK letter.
fn last_word(text: &str) -> &str {
    text.rsplit(|c: char| {
        c.is_whitespace() || matches!(c, '(' | '"' | '\u{201C}' | '\u{00AB}') || is_cjk(c)
    })
    .next()
    .unwrap_or(text)
}

/// True when a line break lies between `before`'s last word and `after`'s first.
fn line_break_between(before: &str, after: &str) -> bool {
    let trailing = &before[before.trim_end().len()..];
    let leading = &after[..after.len() - after.trim_start().len()];
    trailing.contains(is_line_break) || leading.contains(is_line_break)
}

/// True when `before` ends with an abbreviation or a single capital initial
/// ("J. R. R. Tolkien", "M. Dupont"), given the text that follows. Only the first
/// character after the spaces of `after` is looked at, so the answer is final as soon
/// as that character has arrived. A line break after it ends the sentence anyway (a
/// list's line "Monday 9 a.m."), except before a number that the word announces
/// ("Jan.\n3").
pub fn ends_with_abbreviation(rules: &SentenceRules, before: &str, after: &str) -> bool {
    let Some(stem) = before.trim_end().strip_suffix('.') else {
        return false;
    };
    let last = last_word(stem);
    // A number on the same line or the next ("Jan.\n3"), not after a blank line: a new
    // paragraph starts a new sentence, as it does when it streams in.
    let trailing = &before[before.trim_end().len()..];
    let leading = &after[..after.len() - after.trim_start().len()];
    let new_line = line_break_between(before, after);
    let new_paragraph = trailing.matches('\n').count() + leading.matches('\n').count() >= 2;
    let number = !new_paragraph && after.trim_start().starts_with(|c: char| c.is_ascii_digit());
    let mut chars = last.chars();
    if let (Some(c), None) = (chars.next(), chars.next()) {
        if c.is_uppercase() {
            return !new_line;
        }
    }
    if last.chars().all(char::is_uppercase) {
        // An acronym ("HR.", "CA."); "U.S." has its own entry.
        return false;
    }
    // An elided article or preposition is not part of the word: "l'avv.", "dell'ing.".
    let last = match last.rsplit_once(['\'', '\u{2019}']) {
        Some((_, core)) if !core.is_empty() => core,
        _ => last,
    };
    let capitalised = last.starts_with(char::is_uppercase);
    let lower = last.to_lowercase();
    let word = lower.as_str();
    let previous = stem.split_whitespace().rev().nth(1).unwrap_or("");
    let after_number = previous.contains(|c: char| c.is_ascii_digit());
    let previous = previous.to_lowercase();
    let announces_number = number
        && (rules.before_number.contains(word)
            || (capitalised && rules.capitalised_before_number.contains(word)));
    if announces_number {
        return true;
    }
    if new_line {
        return false;
    }
    rules.anywhere.contains(word)
        || (capitalised && rules.capitalised.contains(word))
        // Units and the like are written in lowercase: "Mm." is a murmur, not millimetres.
        || (!after_number
            && rules.unless_after_number.contains(word)
            && !(capitalised && last.is_ascii()))
        || rules
            .two_words
            .iter()
            .any(|(first, last)| *first == previous && last == word)
}

/// Whether the period ending `before` is inside an abbreviation written with spaces
/// ("z. B.", "EE. UU.", "i. d. R."): `before` ends with its first parts and `after`
/// goes on with the rest, or `before` ends with all of it. `None` while `after` could
/// still become the rest ("z. B" may become "z. B.").
pub fn spaced_continues(rules: &SentenceRules, before: &str, after: &str) -> Option<bool> {
    let Some(stem) = before.trim_end().strip_suffix('.') else {
        return Some(false);
    };
    let last = last_word(stem);
    let part = last.rsplit('.').next().unwrap_or(last);
    if part.chars().count() > 4 || !rules.spaced_parts.contains(&part.to_lowercase()) {
        // Most periods: after a word that is no part of any spaced abbreviation.
        return Some(false);
    }
    if line_break_between(before, after) {
        return Some(false);
    }
    let words: Vec<String> = before
        .split_whitespace()
        .rev()
        .take(6)
        .map(str::to_lowercase)
        .collect();
    let rest: String = after
        .trim_start()
        .chars()
        .take(24)
        .flat_map(char::to_lowercase)
        .collect();
    let mut waiting = false;
    for parts in &rules.spaced {
        for k in 1..=parts.len() {
            // The last k words of `before` are the first k parts, each with its period.
            let ends = words.len() >= k
                && (0..k).all(|i| {
                    let word = &words[k - 1 - i];
                    let word = if i == 0 { last_word(word) } else { word };
                    word.strip_suffix('.') == Some(parts[i].as_str())
                });
            if !ends {
                continue;
            }
            if k == parts.len() {
                return Some(true);
            }
            let needed: String = parts[k..].iter().map(|p| format!("{p}.")).collect();
            let got: String = rest.chars().filter(|c| !c.is_whitespace()).collect();
            if got.starts_with(&needed) {
                // The next part must end there: "z. B." but not "z. B.A.".
                return Some(true);
            }
            if needed.starts_with(&got) && rest.trim_end().len() == rest.len() {
                waiting = true;
            }
        }
    }
    if waiting {
        None
    } else {
        Some(false)
    }
}

/// Whether a number's period before `after` is an ordinal's rather than a sentence end:
/// after a word that takes one ("am 3.", "Der 1. FC Köln", "mein 5. Geburtstag"), or a
/// day number (1 to 31) before a month name ("bis 26. Dezember", "ab 1. Jan."), or (where
/// the language writes ordinals so) any number of up to three digits before a capitalised
/// word ("1. Dünya Savaşı"). `None` while the next word is still arriving and could be a
/// month ("3. M" may become "3. Mai"); a line break after the period always ends the
/// sentence.
pub fn ordinal_continues(
    rules: &SentenceRules,
    digits_before_capital: &dyn Fn() -> bool,
    before: &str,
    after: &str,
) -> Option<bool> {
    let trimmed = before.trim_end();
    if before[trimmed.len()..].contains(is_line_break) {
        return Some(false);
    }
    let Some(number) = trimmed.strip_suffix('.') else {
        return Some(false);
    };
    let digits = number.len() - number.trim_end_matches(|c: char| c.is_ascii_digit()).len();
    let preceding = &number[..number.len() - digits];
    let apart = preceding.is_empty() || preceding.ends_with(char::is_whitespace);
    if digits == 0 || digits > 3 || !apart {
        return Some(false);
    }
    let mut words = preceding.split_whitespace().rev();
    let lead = words.next().unwrap_or("").to_lowercase();
    // "I am 30." is English.
    let english = lead == "am" && words.next().is_some_and(|w| w == "I");
    if rules.leads.contains(&lead) && !english {
        return Some(true);
    }
    let rest = after.trim_start();
    let same_line = !after[..after.len() - rest.len()].contains(is_line_break);
    let capital = same_line && rest.starts_with(char::is_uppercase);
    if capital && digits_before_capital() {
        return Some(true);
    }
    let day = number[preceding.len()..].parse::<u32>().unwrap_or(0);
    if digits > 2 || !(1..=31).contains(&day) {
        return Some(false);
    }
    let end = rest.find(|c: char| !c.is_alphabetic());
    let word = rest[..end.unwrap_or(rest.len())].to_lowercase();
    if end.is_none() && !word.is_empty() && rules.months.iter().any(|m| m.starts_with(&word)) {
        return None;
    }
    Some(!word.is_empty() && rules.months.contains(&word))
}

/// True when `before` ends with a Roman numeral of two letters or more and its period
/// ("Karel IV.", "II. Abdülhamit"), and a capitalised word follows on the same line: in
/// a language that writes regnal numbers with a period, an ordinal. (English "Henry
/// VIII. He" is a real end: the caller asks only in such a language.)
pub fn roman_continues(before: &str, after: &str) -> bool {
    let Some(stem) = before.trim_end().strip_suffix('.') else {
        return false;
    };
    let numeral = last_word(stem);
    let roman = numeral.len() >= 2
        && numeral.len() <= 7
        && numeral
            .chars()
            .all(|c| matches!(c, 'I' | 'V' | 'X' | 'L' | 'C'));
    roman
        && !line_break_between(before, after)
        && after.trim_start().starts_with(char::is_uppercase)
}

/// True when a quote or bracket closing right after a terminator is followed, on the same
/// line, by a quoting particle of any language ("「行きます。」と言った", '"좋아요." 라고
/// 말했다'): the quote is part of the sentence that goes on.
/// `None` while what arrived of the next word could still become a particle ("っ" of
/// "って").
pub fn quote_continues(particles: &[String], before: &str, after: &str) -> Option<bool> {
    let inside = before.trim_end().trim_end_matches(is_quote_end);
    let closed = inside.len() < before.trim_end().len() && inside.ends_with(is_terminator);
    if !closed || line_break_between(before, after) {
        return Some(false);
    }
    let rest = after.trim_start_matches([' ', '\u{A0}']);
    if particles.iter().any(|p| rest.starts_with(p.as_str())) {
        return Some(true);
    }
    if particles.iter().any(|p| p.starts_with(rest)) {
        return None;
    }
    Some(false)
}

/// True when a period sits between two letters of a script without capitals and no
/// space ("कि.मी."): an abbreviation's inner period, never a sentence end.
pub fn inner_period(before: &str, after: &str) -> bool {
    let caseless = |c: char| c.is_alphabetic() && !c.is_uppercase() && !c.is_lowercase();
    let Some(stem) = before.strip_suffix('.') else {
        return false;
    };
    stem.chars().next_back().is_some_and(caseless) && after.chars().next().is_some_and(caseless)
}

/// The rules a word is judged by: a Latin word in text of a language written otherwise is
/// judged by every language's lists ("请联系Dr. Wang", "कृपया Dr. Mehta").
pub fn rules_for_word<'r>(rules: &'r SentenceRules, before: &str) -> &'r SentenceRules {
    if rules.latin {
        return rules;
    }
    let word = last_word(before.trim_end().trim_end_matches('.'));
    if word.chars().any(|c| c.is_ascii_alphabetic()) {
        super::languages::all_rules()
    } else {
        rules
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::speech::languages::{all_rules, rules_for};

    #[test]
    fn abbreviations_and_initials() {
        let all = all_rules();
        let yes = [
            ("Ask Dr.", " Smith"),
            ("J.", " R."),
            ("Try e.g.", " X"),
            ("Room No.", " 5"),
            ("M.", " Dupont"),
            ("z.B.", " das"),
            ("Open Sat.", " 3 May"),
            ("for max.", " 5 People"),
            ("Ask Gen.", " Lee"),
            ("See p.", " 12"),
            ("请联系Dr.", " Wang"),
            ("Jan.\n", "3"),
        ];
        for (before, after) in yes {
            assert!(ends_with_abbreviation(all, before, after), "{before}");
        }
        let no = [
            ("I said no.", " Then"),
            ("It is fine.", " Next"),
            ("See p.", " Then"),
            ("like the sun.", " It"),
            ("We met on Sat.", " It"),
            ("finally sat.", " 3"),
            ("up to max.", " Then"),
            ("the next gen.", " It"),
            ("I said no.", " 5"),
            ("Ask HR.", " They"),
            ("Monday 9 a.m.\n", "Tuesday"),
            ("pens, paper, etc.", " Then"),
        ];
        for (before, after) in no {
            assert!(!ends_with_abbreviation(all, before, after), "{before}");
        }
    }

    #[test]
    fn the_language_decides_which_lists_apply() {
        let en = rules_for("en").expect("en");
        let pl = rules_for("pl").expect("pl");
        assert!(ends_with_abbreviation(pl, "Kup owoce, np.", " Jabłka"));
        assert!(!ends_with_abbreviation(en, "Kup owoce, np.", " Jabłka"));
        assert!(ends_with_abbreviation(
            all_rules(),
            "Kup owoce, np.",
            " Jabłka"
        ));
    }

    #[test]
    fn spaced_abbreviations_wait_for_their_next_part() {
        let all = all_rules();
        assert_eq!(spaced_continues(all, "Obst, z. ", "B. Äpfel"), Some(true));
        assert_eq!(spaced_continues(all, "Obst, z. ", "B"), None);
        assert_eq!(spaced_continues(all, "Obst, z. ", "Bauer"), Some(false));
        assert_eq!(
            spaced_continues(all, "Viajó a EE. ", "UU. Luego"),
            Some(true)
        );
        assert_eq!(
            spaced_continues(all, "Viajó a EE. UU. ", "Luego"),
            Some(true)
        );
        assert_eq!(
            spaced_continues(all, "Es ist so. ", "B. Müller"),
            Some(false)
        );
    }

    #[test]
    fn ordinals_wait_for_a_word_that_may_be_a_month() {
        let de = rules_for("de").expect("de");
        let ord = |before, after| ordinal_continues(de, &|| false, before, after);
        assert_eq!(ord("am 3. ", "Neu"), Some(true));
        assert_eq!(ord("bis 26. ", "M"), None);
        assert_eq!(ord("bis 26. ", "Mai"), None);
        assert_eq!(ord("bis 26. ", "Mai "), Some(true));
        assert_eq!(ord("bis 26. ", "Maier "), Some(false));
        assert_eq!(ord("bis 26. ", "D"), None);
        assert_eq!(ord("bis 26. ", "Da"), Some(false));
        assert_eq!(ord("bis 32. ", "M"), Some(false));
        assert_eq!(ord("um 9:30. ", "M"), Some(false));
        assert_eq!(ord("Wir feiern am 3.", ""), Some(true));
        assert_eq!(ord("I am 3.", ""), Some(false));
        assert_eq!(ord("Das ist mein 5. ", "Geburtstag"), Some(true));
        assert_eq!(ord("Ich bin 30. ", "Das"), Some(false));
        let tr = rules_for("tr").expect("tr");
        assert_eq!(
            ordinal_continues(tr, &|| true, "Bu 1. ", "Dünya"),
            Some(true)
        );
        assert_eq!(
            ordinal_continues(tr, &|| true, "Sayı 1500. ", "Sonra"),
            Some(false)
        );
    }

    #[test]
    fn roman_numerals_and_quote_particles() {
        assert!(roman_continues("Karel IV.", " Lucemburský"));
        assert!(roman_continues("II.", " Abdülhamit"));
        assert!(!roman_continues("Karel IV.", " byl"));
        assert!(!roman_continues("We met at IKEA.", " Then"));
        let particles = &all_rules().quote_particles;
        assert_eq!(
            quote_continues(particles, "「行きます。」", "と言った"),
            Some(true)
        );
        assert_eq!(quote_continues(particles, "「本当？」", "っ"), None);
        assert_eq!(
            quote_continues(particles, "\"좋아요.\" ", "라고 말했다"),
            Some(true)
        );
        assert_eq!(
            quote_continues(particles, "\"좋아요.\" ", "그리고"),
            Some(false)
        );
        assert!(inner_period("5 कि.", "मी."));
        assert!(!inner_period("It ends.", "Next"));
    }
}
