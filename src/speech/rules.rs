//! Language rules for sentence ends (pure): which marks end a sentence, and which periods
//! end nothing.

// Abbreviations, compared in lowercase without the final period, in four lists by how
// they show they are one. Most are never ordinary words and count anywhere. Those that
// are also words or units count only in their unambiguous form:
// - capitalised, as a title before a name: "Gen. Lee" but "the next gen.", "Rev." but
//   "rev.", "Ms." but "50 ms.", "Hr." (Herr) but "1 hr.";
// - before a number, in any case: "max. 5 people" but "up to max.", "est. 1990";
// - capitalised and before a number: day and month names and "No." ("Sat. 3 May",
//   "Mar. 3rd", "No. 5") but "the sun.", "she sat.", "I said no.", "since Feb.".
// A word in capitals ("HR.", "CA.", "MS.") is an acronym and never one of these; that is
// why "mm" is in no list ("5 mm." millimetres, "Mm." a murmur, "MM." Messieurs). Nothing
// is needed for "clearly mid-sentence": Unicode never ends a sentence at a period before
// a lowercase word, a comma or a dash ("on Sat. at noon", "Mon. – Fri."). Each list
// holds English, then German, French, Spanish, Italian, Portuguese, Dutch and Russian.
// Two more kinds exist: units and "year" in Russian, which count unless they follow a
// number ("г. Москва" but "в 2020 г. Потом"), and two-word abbreviations whose last word
// is also an ordinary word ("ad es.", "p. ex." but "Eso es.", "meu ex.").

/// Abbreviations that are never ordinary words: they count in any case, anywhere.
const ANYWHERE: &[&str] = &[
    "mr", "mrs", "dr", "st", "jr", "sr", "vs", "lt", "sgt", "capt", "etc", "e.g", "i.e", "cf",
    "approx", "dept", "inc", "ltd", "co", "corp", "u.s", "u.k", "u.n", "e.u", "a.m", "p.m", "z.b",
    "usw", "bzw", "ca", "evtl", "ggf", "inkl", "d.h", "u.a", "sog", "vgl", "str", "nr", "bspw",
    "z.t", "mme", "mlle", "p.ex", "av", "bd", "sra", "srta", "dra", "ud", "uds", "lic", "dott",
    "dott.ssa", "sig", "sig.ra", "sig.na", "prof", "ing", "ecc", "pag", "avv", "pág", "dhr",
    "mevr", "bijv", "d.w.z", "o.a", "blz", "m.b.t", "i.p.v", "ул", "т.е", "т.д", "т.п", "им",
    "стр", "напр",
];

/// Titles that are also words or units in lowercase: they count only capitalised.
const CAPITALISED: &[&str] = &[
    "ms", "mt", "ft", "gen", "col", "rev", "hon", "gov", "sen", "rep", "hr", "fr",
];

/// Abbreviations that are also words or units: they count, in any case, only before a
/// number ("p. 12", "max. 5 people").
const BEFORE_NUMBERS: &[&str] = &[
    "vol", "p", "pp", "ch", "fig", "art", "tel", "ext", "min", "max", "avg", "est", "env", "д",
];

/// Russian units and "year" ("г." год or город, "см." сантиметр or смотри): after a number
/// they may end a sentence ("Цена 100 руб. Скидка"); anywhere else they count ("г. Москва",
/// "См. Главу 3").
const UNLESS_AFTER_NUMBERS: &[&str] = &["г", "гг", "руб", "коп", "тыс", "млн", "млрд", "см"];

/// Abbreviations of two words whose last word alone is an ordinary word: (first, last).
const TWO_WORDS: &[(&str, &str)] = &[("ad", "es"), ("per", "es"), ("p.", "ex")];

/// Words after which a number with a period is an ordinal, not a sentence end ("am 3.",
/// "Der 1. FC Köln", "im 2. Weltkrieg"): German, and "den" also Danish and Norwegian.
const ORDINAL_LEADS: &[&str] = &[
    "am", "im", "vom", "zum", "zur", "beim", "der", "dem", "den", "des",
];

/// Month names after which a day number's period ends no sentence ("am 3. Mai"): German,
/// with Austrian forms and the usual abbreviations. Danish, Norwegian and Finnish write
/// months in lowercase, where no period ends a sentence anyway ("den 3. maj").
const MONTHS: &[&str] = &[
    "januar",
    "jänner",
    "februar",
    "feber",
    "märz",
    "april",
    "mai",
    "juni",
    "juli",
    "august",
    "september",
    "oktober",
    "november",
    "dezember",
    "jan",
    "jän",
    "feb",
    "mär",
    "mrz",
    "apr",
    "jun",
    "jul",
    "aug",
    "sep",
    "sept",
    "okt",
    "nov",
    "dez",
];

/// Day and month names (often words: "sun", "sat", "wed", "mar", "jan", "sept") and "No.":
/// they count only capitalised and before a number ("Sat. 3 May"). A dash after them never
/// ends a sentence anyway ("Mon. – Fri."): Unicode continues a sentence at a dash.
const CAPITALISED_BEFORE_NUMBERS: &[&str] = &[
    "no", "nos", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov",
    "dec", "mon", "tue", "tues", "wed", "thu", "thurs", "fri", "sat", "sun",
];

/// Marks that end a sentence: the ones Unicode's rules know, plus `…` ("Wait… What").
#[inline]
pub fn is_terminator(c: char) -> bool {
    is_unicode_terminator(c) || c == '…'
}

/// The terminators Unicode's sentence rules also treat as such; to them `…` is an
/// ordinary character that a period's look-ahead skips.
#[inline]
pub fn is_unicode_terminator(c: char) -> bool {
    matches!(c, '.' | '!' | '?' | '。' | '！' | '？')
}

/// Line and paragraph separators, at which Unicode's rules end a sentence.
#[inline]
pub fn is_line_break(c: char) -> bool {
    matches!(c, '\n' | '\r' | '\u{85}' | '\u{2028}' | '\u{2029}')
}

/// True when the text's last mark, ignoring trailing spaces and closing quotes and
/// brackets, is a terminator: it reads as a finished sentence.
pub fn ends_with_terminator(text: &str) -> bool {
    text.trim_end()
        .trim_end_matches(is_closing)
        .ends_with(is_terminator)
}

/// Closing quotes and brackets that may follow a terminator.
pub fn is_closing(c: char) -> bool {
    matches!(
        c,
        '"' | '\''
            | ')'
            | ']'
            | '}'
            | '\u{201D}'
            | '\u{2019}'
            | '\u{00BB}'
            | '\u{300D}'
            | '\u{300F}'
            | '\u{3009}'
            | '\u{300B}'
            | '\u{3011}'
            | '\u{3015}'
            | '\u{3017}'
            | '\u{FF09}'
            | '\u{FF3D}'
            | '\u{FF5D}'
    )
}

/// Opening quotes and brackets in CJK text, before which a sentence that ended with
/// `。`, `！` or `？` and its closing marks is over ("「はい。」「いいえ。」"), though Unicode
/// counts them as closing marks of the sentence before.
pub fn is_cjk_opening(c: char) -> bool {
    matches!(
        c,
        '\u{300C}'
            | '\u{300E}'
            | '\u{3008}'
            | '\u{300A}'
            | '\u{3010}'
            | '\u{3014}'
            | '\u{3016}'
            | '\u{FF08}'
            | '\u{FF3B}'
            | '\u{201C}'
    )
}

/// Quotes and brackets in Unicode's `Close` sentence class: they may follow a terminator
/// and still belong to its sentence.
fn is_close_class(c: char) -> bool {
    is_closing(c) || matches!(c, '(' | '[' | '{' | '\u{2018}' | '\u{00AB}') || is_cjk_opening(c)
}

/// True when the text's last mark, ignoring quotes, brackets and spaces, is a full stop
/// (including "...") rather than `!`, `?` or a line break.
pub fn ends_with_period(text: &str) -> bool {
    text.trim_end_matches(|c: char| c.is_whitespace() || is_close_class(c))
        .ends_with(['.', '\u{2024}', '\u{FE52}', '\u{FF0E}'])
}

/// True when `before` ends with an abbreviation or a single capital initial
/// ("J. R. R. Tolkien", "M. Dupont"), given the text that follows. Only the first
/// character after the spaces of `after` is looked at, so the answer is final as soon
/// as that character has arrived.
pub fn ends_with_abbreviation(before: &str, after: &str) -> bool {
    let Some(word) = before.trim_end().strip_suffix('.') else {
        return false;
    };
    let last = word
        .rsplit(|c: char| c.is_whitespace() || matches!(c, '(' | '"' | '\u{201C}' | '\u{00AB}'))
        .next()
        .unwrap_or(word);
    let mut chars = last.chars();
    let first = chars.next();
    if let (Some(c), None) = (first, chars.next()) {
        if c.is_uppercase() {
            return true;
        }
    }
    if last.chars().all(char::is_uppercase) {
        // An acronym ("HR.", "CA."); "U.S." has its own entry.
        return false;
    }
    let stem = word;
    // An elided article or preposition is not part of the word: "l'avv.", "dell'ing.".
    let last = match last.rsplit_once(['\'', '\u{2019}']) {
        Some((_, core)) if !core.is_empty() => core,
        _ => last,
    };
    let capitalised = last.starts_with(char::is_uppercase);
    // A number on the same line or the next ("Jan.\n3"), not after a blank line: a new
    // paragraph starts a new sentence, as it does when it streams in.
    let trailing = &before[before.trim_end().len()..];
    let leading = &after[..after.len() - after.trim_start().len()];
    let new_paragraph = trailing.matches('\n').count() + leading.matches('\n').count() >= 2;
    let number = !new_paragraph && after.trim_start().starts_with(|c: char| c.is_ascii_digit());
    let lower = last.to_lowercase();
    let word = lower.as_str();
    let previous = stem.split_whitespace().rev().nth(1).unwrap_or("");
    let after_number = previous.contains(|c: char| c.is_ascii_digit());
    let previous = previous.to_lowercase();
    ANYWHERE.contains(&word)
        || (capitalised && CAPITALISED.contains(&word))
        || (number && BEFORE_NUMBERS.contains(&word))
        || (capitalised && number && CAPITALISED_BEFORE_NUMBERS.contains(&word))
        || (!after_number && UNLESS_AFTER_NUMBERS.contains(&word))
        || TWO_WORDS.contains(&(previous.as_str(), word))
}

/// Whether a number's period before `after` is an ordinal's rather than a sentence end:
/// after an article or preposition that takes one ("am 3.", "Der 1. FC Köln"), or a day
/// number (1 to 31) before a month name ("bis 26. Dezember", "ab 1. Jan."). `None` while the
/// next word is still arriving and could be a month ("3. M" may become "3. Mai"); a line
/// break after the period always ends the sentence.
pub fn ordinal_continues(before: &str, after: &str) -> Option<bool> {
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
    if ORDINAL_LEADS.contains(&lead.as_str()) && !english {
        return Some(true);
    }
    let day = number[preceding.len()..].parse::<u32>().unwrap_or(0);
    if digits > 2 || !(1..=31).contains(&day) {
        return Some(false);
    }
    let rest = after.trim_start();
    let end = rest.find(|c: char| !c.is_alphabetic());
    let word = rest[..end.unwrap_or(rest.len())].to_lowercase();
    if end.is_none() && !word.is_empty() && MONTHS.iter().any(|m| m.starts_with(&word)) {
        return None;
    }
    Some(!word.is_empty() && MONTHS.contains(&word.as_str()))
}

/// True when `before` ends with an ellipsis ("...", "…") and `after` goes on with a number
/// on the same line ("Wait... 3 more"): the ellipsis is a pause inside the sentence.
pub fn ellipsis_continues(before: &str, after: &str) -> bool {
    let trimmed = before.trim_end();
    (trimmed.ends_with("...") || trimmed.ends_with('\u{2026}'))
        && !before[trimmed.len()..].contains(is_line_break)
        && after.starts_with(|c: char| c.is_ascii_digit())
}

/// True when a quote or bracket closing right after a terminator is followed, with no
/// space, by a Japanese quoting particle ("「行きます。」と言った", "『本当？』って"; no word
/// starts with a small "っ", so it alone decides): the quote is part of the sentence that
/// goes on.
pub fn quote_continues(before: &str, after: &str) -> bool {
    let inside = before.trim_end_matches(is_closing);
    inside.len() < before.len()
        && inside.ends_with(is_terminator)
        && after.starts_with(['\u{3068}', '\u{3063}'])
}

/// True when `before` ends with a list number ("1.") standing at the start of a line or
/// after a colon ("the steps: 1. Open the app"), which starts an item rather than ending
/// a sentence.
pub fn ends_with_list_number(before: &str) -> bool {
    let trimmed = before.trim_end();
    let Some(number) = trimmed.strip_suffix('.') else {
        return false;
    };
    let digits = number.len() - number.trim_end_matches(|c: char| c.is_ascii_digit()).len();
    if digits == 0 || digits > 3 {
        return false;
    }
    let preceding = &number[..number.len() - digits];
    if preceding.is_empty() {
        return true;
    }
    // "9:30." is a time, not a list number: the number must stand apart.
    if !preceding.ends_with([' ', '\t', '\n']) {
        return false;
    }
    let preceding = preceding.trim_end_matches([' ', '\t']);
    preceding.is_empty() || preceding.ends_with(['\n', ':'])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn abbreviations_and_initials() {
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
        ];
        for (before, after) in yes {
            assert!(ends_with_abbreviation(before, after), "{before}");
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
        ];
        for (before, after) in no {
            assert!(!ends_with_abbreviation(before, after), "{before}");
        }
    }

    #[test]
    fn ordinals_wait_for_a_word_that_may_be_a_month() {
        assert_eq!(ordinal_continues("am 3. ", "Neu"), Some(true));
        assert_eq!(ordinal_continues("bis 26. ", "M"), None);
        assert_eq!(ordinal_continues("bis 26. ", "Mai"), None);
        assert_eq!(ordinal_continues("bis 26. ", "Mai "), Some(true));
        assert_eq!(ordinal_continues("bis 26. ", "Maier "), Some(false));
        assert_eq!(ordinal_continues("bis 26. ", "D"), None);
        assert_eq!(ordinal_continues("bis 26. ", "Da"), Some(false));
        assert_eq!(ordinal_continues("bis 32. ", "M"), Some(false));
        assert_eq!(ordinal_continues("um 9:30. ", "M"), Some(false));
        assert_eq!(ordinal_continues("Wir feiern am 3.", ""), Some(true));
        assert_eq!(ordinal_continues("I am 3.", ""), Some(false));
    }

    #[test]
    fn list_numbers() {
        assert!(ends_with_list_number("1."));
        assert!(ends_with_list_number("Intro\n2. "));
        assert!(ends_with_list_number("The steps: 1. "));
        assert!(!ends_with_list_number("I have 3."));
        assert!(!ends_with_list_number("In 2024."));
        assert!(!ends_with_list_number("Son las 9:30."));
    }
}
