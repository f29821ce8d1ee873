//! Marks and shapes that end, or do not end, a sentence in any language (pure); which
//! words' periods end nothing is per language, in [`super::periods`].

/// Marks that end a sentence: the ones Unicode's rules know, plus `…` ("Wait… What"), the
/// Greek question mark and the Devanagari dandas. An ASCII `;` ends a sentence only after
/// a Greek letter ([`is_greek_question`]).
#[inline]
pub fn is_terminator(c: char) -> bool {
    is_unicode_terminator(c) || matches!(c, '…' | '\u{37E}' | '\u{964}' | '\u{965}')
}

/// True when the `;` or `\u{37E}` ending `before` is the Greek question mark: the letter
/// before it is Greek ("Τι κάνεις;"), whatever the reply's language.
pub fn is_greek_question(before: &str) -> bool {
    let Some(rest) = before.strip_suffix([';', '\u{37E}']) else {
        return false;
    };
    rest.trim_end_matches(is_closing)
        .chars()
        .next_back()
        .is_some_and(|c| {
            ('\u{370}'..='\u{3FF}').contains(&c) || ('\u{1F00}'..='\u{1FFF}').contains(&c)
        })
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
    let inside = text.trim_end().trim_end_matches(is_closing);
    inside.ends_with(is_terminator) || is_greek_question(inside)
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

/// Quotes and brackets that may close a quotation, including those that open one in
/// other languages ("“" closes in German and Czech, "«" in Danish).
pub fn is_quote_end(c: char) -> bool {
    is_closing(c) || matches!(c, '\u{201C}' | '\u{00AB}' | '\u{201E}')
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

/// Where a sentence that a candidate boundary at `at` ends really ends, when a closing
/// quote follows it after a space, as French sets its guillemets ("« Vraiment ? » dit-il"):
/// past the quote and the spaces after it. A mark directly followed by a letter opens a
/// quote instead ("»Ja.« »Nein.«" in German) and moves nothing. `None` while the text ends
/// at the mark: what follows it decides.
pub fn past_spaced_closing_quote(text: &str, at: usize) -> Option<usize> {
    let rest = &text[at..];
    let spaced = rest.trim_start_matches([' ', '\u{A0}', '\u{202F}', '\t']);
    let Some(mark) = spaced.chars().next() else {
        // Only spaces so far: a closing quote may still come.
        return None;
    };
    if !matches!(
        mark,
        '\u{00BB}' | '\u{201D}' | '\u{300D}' | '\u{300F}' | '\u{FF09}' | ')' | ']'
    ) || (spaced.len() == rest.len() && !text[..at].ends_with(char::is_whitespace))
    {
        return Some(at);
    }
    let after = &spaced[mark.len_utf8()..];
    match after.chars().next() {
        None => None,
        Some(c) if c.is_alphanumeric() => Some(at),
        Some(_) => {
            let after = after.trim_start_matches([' ', '\u{A0}', '\u{202F}', '\t']);
            // What follows the spaces decides whether the sentence goes on.
            (!after.is_empty()).then_some(text.len() - after.len())
        }
    }
}

/// True when `before` ends with an ellipsis ("...", "…") and `after` goes on with a number
/// on the same line ("Wait... 3 more"): the ellipsis is a pause inside the sentence.
pub fn ellipsis_continues(before: &str, after: &str) -> bool {
    let trimmed = before.trim_end();
    (trimmed.ends_with("...") || trimmed.ends_with('\u{2026}'))
        && !before[trimmed.len()..].contains(is_line_break)
        && after.starts_with(|c: char| c.is_ascii_digit())
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
    fn list_numbers() {
        assert!(ends_with_list_number("1."));
        assert!(ends_with_list_number("Intro\n2. "));
        assert!(ends_with_list_number("The steps: 1. "));
        assert!(!ends_with_list_number("I have 3."));
        assert!(!ends_with_list_number("In 2024."));
        assert!(!ends_with_list_number("Son las 9:30."));
    }
}
