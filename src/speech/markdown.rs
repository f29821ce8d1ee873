//! Recognising markdown's marks and emoji (pure): what the speech filter strips from the
//! start of a line, reads as a table row, keeps of `*`, `_`, `~` and backticks, or drops.

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

/// True when a run of `*`, `_`, `~` or backticks is text rather than markup, given the
/// character before it and the one after it (`None`: the text ends). Markup touches a word
/// on at least one side (`*bold*`, `_em_`, `~~strike~~`, `` `code` ``); so a run with space
/// on both sides is text (`12 * 3.5`, `5 ~ 6`), and so is `*` between digits (`7*8`) and
/// `_` or a backtick inside a word (`snake_case`, ``don`t``), which a speech normalizer
/// may still read. Only `~~` strikes through, so `~5 minutes` keeps its `~`. Inside a code
/// span every backtick run is its closing mark.
pub(super) fn mark_is_text(
    mark: char,
    run: usize,
    before: char,
    after: Option<char>,
    in_code: bool,
) -> bool {
    if mark == '`' && in_code {
        return false;
    }
    if mark == '~' && run != 2 {
        return true;
    }
    let Some(after) = after.filter(|c| !c.is_whitespace()) else {
        return before.is_whitespace();
    };
    match mark {
        '*' => before.is_ascii_digit() && after.is_ascii_digit(),
        '_' | '`' => before.is_alphanumeric() && after.is_alphanumeric(),
        _ => false,
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
