//! Language rules for sentence ends (pure): which periods end nothing.

/// Words that end with a period without ending a sentence, compared in lowercase without
/// the final period. English first, then German, French and Spanish.
const ABBREVIATIONS: &[&str] = &[
    // English titles, Latin and common abbreviations.
    "mr", "mrs", "ms", "dr", "prof", "st", "jr", "sr", "vs", "mt", "ft", "gen", "col", "lt", "sgt",
    "capt", "rev", "hon", "gov", "sen", "rep", "etc", "e.g", "i.e", "cf", "approx", "est", "dept",
    "inc", "ltd", "co", "corp", "u.s", "u.k", "u.n", "e.u", "a.m", "p.m", "jan", "feb", "mar",
    "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "mon", "tue", "tues", "wed",
    "thu", "thurs", "fri", "sat", "sun", "min", "max", "avg", // German.
    "z.b", "usw", "bzw", "ca", "evtl", "ggf", "inkl", "d.h", "u.a", "sog", "vgl", "hr", "fr",
    "str", "nr", "bspw", "z.t", // French.
    "mme", "mlle", "mm", "p.ex", "env", "av", "bd", // Spanish and Italian.
    "sra", "srta", "dra", "ud", "uds", "lic", "ing", "sig", "dott",
];

/// Abbreviations that only stay inside a sentence before a number ("No. 5", "p. 12").
const BEFORE_NUMBERS: &[&str] = &[
    "no", "nos", "vol", "p", "pp", "ch", "fig", "art", "tel", "ext",
];

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
/// ("J. R. R. Tolkien", "M. Dupont"), given the text that follows.
pub fn ends_with_abbreviation(before: &str, after: &str) -> bool {
    let Some(word) = before.trim_end().strip_suffix('.') else {
        return false;
    };
    let last = word
        .rsplit(|c: char| c.is_whitespace() || matches!(c, '(' | '"' | '\u{201C}' | '\u{00AB}'))
        .next()
        .unwrap_or(word);
    let mut chars = last.chars();
    if let (Some(c), None) = (chars.next(), chars.next()) {
        if c.is_uppercase() {
            return true;
        }
    }
    let lower = last.to_lowercase();
    if ABBREVIATIONS.contains(&lower.as_str()) {
        return true;
    }
    let number_follows = after.trim_start().starts_with(|c: char| c.is_ascii_digit());
    number_follows && BEFORE_NUMBERS.contains(&lower.as_str())
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
        ];
        for (before, after) in yes {
            assert!(ends_with_abbreviation(before, after), "{before}");
        }
        let no = [
            ("I said no.", " Then"),
            ("It is fine.", " Next"),
            ("See p.", " Then"),
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
