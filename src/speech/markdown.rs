//! Recognising markdown's line-level marks and emoji (pure): what the speech filter
//! strips from the start of a line, reads as a table row, or drops.

pub(super) enum Marker {
    Undecided,
    Strip(usize),
    None,
}

/// Classifies the first characters of a line: a heading, bullet, numbered item or quote
/// marker (followed by a space) is stripped.
pub(super) fn line_marker(held: &str) -> Marker {
    let indent = held.len() - held.trim_start_matches([' ', '\t']).len();
    let body = &held[indent..];
    if body.is_empty() {
        return Marker::Undecided;
    }
    let marker_len = body
        .char_indices()
        .find(|(_, c)| *c == ' ' || *c == '\t')
        .map(|(i, _)| i);
    let Some(len) = marker_len else {
        // No space yet: still undecided while it could be a marker.
        let could_be = body
            .chars()
            .all(|c| matches!(c, '#' | '>' | '-' | '*' | '+' | '_'))
            || (body.len() < 3 && body.chars().all(|c| c == '`' || c == '~'))
            || (body
                .chars()
                .all(|c| c.is_ascii_digit() || c == '.' || c == ')')
                && body.chars().filter(|c| !c.is_ascii_digit()).count() <= 1
                && body.len() <= 4);
        return if could_be {
            Marker::Undecided
        } else {
            Marker::None
        };
    };
    let marker = &body[..len];
    let is_marker = (marker.chars().all(|c| c == '#') && marker.len() <= 6)
        || marker.chars().all(|c| c == '>')
        || matches!(marker, "-" | "*" | "+")
        || (marker.len() >= 2
            && marker.len() <= 4
            && marker[..marker.len() - 1]
                .chars()
                .all(|c| c.is_ascii_digit())
            && marker.ends_with(['.', ')']));
    if is_marker {
        Marker::Strip(indent + len + 1)
    } else {
        Marker::None
    }
}

/// A horizontal rule (`---`, `***`, `___`, possibly spaced) says nothing.
pub(super) fn is_rule_line(line: &str) -> bool {
    let marks: Vec<char> = line.chars().filter(|c| !c.is_whitespace()).collect();
    marks.len() >= 3 && marks.iter().all(|c| *c == marks[0]) && matches!(marks[0], '-' | '*' | '_')
}

/// The words of a table row: cells joined with commas; separator rows say nothing.
pub(super) fn table_row_words(row: &str) -> String {
    let cells: Vec<&str> = row
        .trim()
        .trim_matches('|')
        .split('|')
        .map(str::trim)
        .filter(|cell| !cell.is_empty())
        .collect();
    if cells
        .iter()
        .all(|cell| cell.chars().all(|c| matches!(c, '-' | ':' | ' ')))
    {
        return String::new();
    }
    cells.join(", ")
}

/// Pictographs and the invisible characters that build emoji sequences.
pub(super) fn is_emoji(c: char) -> bool {
    matches!(c as u32,
        0x1F000..=0x1FAFF   // pictographs, emoticons, transport, flags, skin tones
        | 0x2600..=0x27BF   // miscellaneous symbols and dingbats
        | 0x2B00..=0x2BFF   // arrows and stars (⭐)
        | 0xFE0F | 0x200D | 0x20E3 // emoji presentation, joiner, keycap
        | 0xE0020..=0xE007F // tag characters (subdivision flags)
    )
}
