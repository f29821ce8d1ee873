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
// holds English, then German, French, Spanish and Italian.

/// Abbreviations that are never ordinary words: they count in any case, anywhere.
const ANYWHERE: &[&str] = &[
    "mr", "mrs", "dr", "st", "jr", "sr", "vs", "lt", "sgt", "capt", "etc", "e.g", "i.e", "cf",
    "approx", "dept", "inc", "ltd", "co", "corp", "u.s", "u.k", "u.n", "e.u", "a.m", "p.m", "z.b",
    "usw", "bzw", "ca", "evtl", "ggf", "inkl", "d.h", "u.a", "sog", "vgl", "str", "nr", "bspw",
    "z.t", "mme", "mlle", "p.ex", "av", "bd", "sra", "srta", "dra", "ud", "uds", "lic", "dott",
];

/// Titles that are also words or units in lowercase: they count only capitalised.
const CAPITALISED: &[&str] = &[
    "ms", "prof", "mt", "ft", "gen", "col", "rev", "hon", "gov", "sen", "rep", "hr", "fr", "ing",
    "sig",
];

/// Abbreviations that are also words or units: they count, in any case, only before a
/// number ("p. 12", "max. 5 people").
const BEFORE_NUMBERS: &[&str] = &[
    "vol", "p", "pp", "ch", "fig", "art", "tel", "ext", "min", "max", "avg", "est", "env",
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
    )
}

/// Quotes and brackets in Unicode's `Close` sentence class: they may follow a terminator
/// and still belong to its sentence.
fn is_close_class(c: char) -> bool {
    is_closing(c)
        || matches!(
            c,
            '(' | '[' | '{' | '\u{201C}' | '\u{2018}' | '\u{00AB}' | '\u{300C}' | '\u{300E}'
        )
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
    let capitalised = first.is_some_and(char::is_uppercase);
    let number = after.trim_start().starts_with(|c: char| c.is_ascii_digit());
    let lower = last.to_lowercase();
    let word = lower.as_str();
    ANYWHERE.contains(&word)
        || (capitalised && CAPITALISED.contains(&word))
        || (number && BEFORE_NUMBERS.contains(&word))
        || (capitalised && number && CAPITALISED_BEFORE_NUMBERS.contains(&word))
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
    fn list_numbers() {
        assert!(ends_with_list_number("1."));
        assert!(ends_with_list_number("Intro\n2. "));
        assert!(ends_with_list_number("The steps: 1. "));
        assert!(!ends_with_list_number("I have 3."));
        assert!(!ends_with_list_number("In 2024."));
        assert!(!ends_with_list_number("Son las 9:30."));
    }
}
