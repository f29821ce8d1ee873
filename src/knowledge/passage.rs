//! Passages: a document cut into the pieces the index holds and a prompt quotes. A
//! Markdown file is cut at its headings (outside fenced code), then its sections into
//! paragraphs packed up to [`TARGET_CHARS`]; a paragraph longer than [`MAX_CHARS`] is cut
//! at a sentence's end (else a space). Each passage after the first of a section starts
//! with the last [`OVERLAP_CHARS`] or so of the one before, so a fact cut in two is still
//! found whole. Plain text is one section without a heading. Each passage keeps its file,
//! its heading path and its position in the file.

/// The size a passage is packed up to, in characters.
pub const TARGET_CHARS: usize = 800;
/// The most characters of one passage's own text (its overlap comes on top).
pub const MAX_CHARS: usize = 1200;
/// About how much of the passage before starts the next one, in characters.
pub const OVERLAP_CHARS: usize = 150;

/// One piece of a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Passage {
    /// The file it comes from, as the folder names it (`faq/opening-hours.md`).
    pub file: String,
    /// Its headings, outermost first, joined by ` › ` (empty for plain text).
    pub heading: String,
    /// Its place among the file's passages, from 0.
    pub position: usize,
    /// Its text.
    pub text: String,
}

impl Passage {
    /// `file › heading` (the file alone when the passage has no heading): how notes,
    /// traces and Vapi's documents name it.
    pub fn label(&self) -> String {
        match self.heading.as_str() {
            "" => self.file.clone(),
            heading => format!("{} › {heading}", self.file),
        }
    }
}

/// How a file is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Markdown,
    Text,
    /// Read as the Markdown [`super::html::to_markdown`] makes of it.
    Html,
}

/// `text` of `file` cut into passages.
pub fn passages(file: &str, text: &str, format: Format) -> Vec<Passage> {
    if format == Format::Html {
        return passages(file, &super::html::to_markdown(text), Format::Markdown);
    }
    let mut out = Vec::new();
    for (heading, paragraphs) in sections(text, format) {
        let mut previous: Option<String> = None;
        for piece in pack(&paragraphs) {
            let text = match previous.as_deref() {
                Some(before) => format!("{} {piece}", tail(before)),
                None => piece.clone(),
            };
            out.push(Passage {
                file: file.to_string(),
                heading: heading.clone(),
                position: out.len(),
                text,
            });
            previous = Some(piece);
        }
    }
    out
}

/// The sections of a document: their heading path and their paragraphs.
fn sections(text: &str, format: Format) -> Vec<(String, Vec<String>)> {
    let mut sections: Vec<(String, Vec<String>)> = vec![(String::new(), Vec::new())];
    let mut headings: Vec<(usize, String)> = Vec::new();
    let mut paragraph = String::new();
    let mut fence: Option<&str> = None;
    let end_paragraph = |paragraph: &mut String, sections: &mut Vec<(String, Vec<String>)>| {
        let done = paragraph.trim();
        if !done.is_empty() {
            if let Some(last) = sections.last_mut() {
                last.1.push(done.to_string());
            }
        }
        paragraph.clear();
    };
    for line in text.lines() {
        let trimmed = line.trim_start();
        if format == Format::Markdown {
            if let Some(open) = fence {
                if trimmed.starts_with(open) {
                    fence = None;
                }
                paragraph.push_str(line);
                paragraph.push('\n');
                continue;
            }
            if let Some(marker) = ["```", "~~~"].into_iter().find(|m| trimmed.starts_with(m)) {
                fence = Some(marker);
                paragraph.push_str(line);
                paragraph.push('\n');
                continue;
            }
            if let Some((level, title)) = heading(trimmed) {
                end_paragraph(&mut paragraph, &mut sections);
                headings.retain(|(l, _)| *l < level);
                headings.push((level, title.to_string()));
                let path: Vec<&str> = headings.iter().map(|(_, t)| t.as_str()).collect();
                sections.push((path.join(" › "), Vec::new()));
                continue;
            }
        }
        if trimmed.is_empty() {
            end_paragraph(&mut paragraph, &mut sections);
        } else {
            paragraph.push_str(line.trim_end());
            paragraph.push('\n');
        }
    }
    end_paragraph(&mut paragraph, &mut sections);
    sections.retain(|(_, paragraphs)| !paragraphs.is_empty());
    sections
}

/// `(level, title)` of a Markdown ATX heading line (`## Opening hours`).
fn heading(line: &str) -> Option<(usize, &str)> {
    let level = line.bytes().take_while(|b| *b == b'#').count();
    let rest = &line[level..];
    if !(1..=6).contains(&level) || !(rest.is_empty() || rest.starts_with([' ', '\t'])) {
        return None;
    }
    let title = rest.trim().trim_end_matches('#').trim();
    (!title.is_empty()).then_some((level, title))
}

/// Paragraphs packed into pieces of about [`TARGET_CHARS`], none over [`MAX_CHARS`].
fn pack(paragraphs: &[String]) -> Vec<String> {
    let mut pieces = Vec::new();
    let mut current = String::new();
    for paragraph in paragraphs.iter().flat_map(|p| split_long(p)) {
        let joined = chars(&current) + chars(&paragraph) + 1;
        if !current.is_empty() && joined > TARGET_CHARS {
            pieces.push(std::mem::take(&mut current));
        }
        if !current.is_empty() {
            current.push('\n');
        }
        current.push_str(&paragraph);
    }
    if !current.is_empty() {
        pieces.push(current);
    }
    pieces
}

/// A paragraph cut into parts of at most [`MAX_CHARS`]: at the last sentence end before
/// the limit, else the last space, else the limit itself.
fn split_long(paragraph: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let mut rest = paragraph.trim();
    while chars(rest) > MAX_CHARS {
        let limit = rest
            .char_indices()
            .nth(MAX_CHARS)
            .map_or(rest.len(), |(i, _)| i);
        let window = &rest[..limit];
        let cut = ['.', '?', '!']
            .iter()
            .filter_map(|end| window.rfind(&format!("{end} ")).map(|i| i + 1))
            .max()
            .filter(|i| *i > limit / 2)
            .or_else(|| window.rfind(char::is_whitespace).filter(|i| *i > 0))
            .unwrap_or(limit);
        parts.push(rest[..cut].trim().to_string());
        rest = rest[cut..].trim_start();
    }
    if !rest.is_empty() {
        parts.push(rest.to_string());
    }
    parts
}

/// The end of `text` that starts the next passage: about [`OVERLAP_CHARS`], from a word.
fn tail(text: &str) -> &str {
    let count = chars(text);
    if count <= OVERLAP_CHARS {
        return text;
    }
    let start = text
        .char_indices()
        .nth(count - OVERLAP_CHARS)
        .map_or(0, |(i, _)| i);
    let from_word = text[start..]
        .find(char::is_whitespace)
        .map_or(start, |i| start + i);
    text[from_word..].trim_start()
}

fn chars(text: &str) -> usize {
    text.chars().count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_is_cut_at_headings_and_keeps_their_path() {
        let doc = "# Harbor Books\nIntro line.\n\n## Opening hours\nWe open at 9.\n\nClosed on Sundays.\n\n### Holidays\nClosed on 25 December.\n\n## Returns\n```\n# not a heading\n```\nWithin 30 days.\n";
        let found = passages("faq.md", doc, Format::Markdown);
        let summary: Vec<(&str, &str)> = found
            .iter()
            .map(|p| (p.heading.as_str(), p.text.as_str()))
            .collect();
        assert_eq!(
            summary,
            [
                ("Harbor Books", "Intro line."),
                (
                    "Harbor Books › Opening hours",
                    "We open at 9.\nClosed on Sundays."
                ),
                (
                    "Harbor Books › Opening hours › Holidays",
                    "Closed on 25 December."
                ),
                (
                    "Harbor Books › Returns",
                    "```\n# not a heading\n```\nWithin 30 days."
                ),
            ]
        );
        assert_eq!(
            found.iter().map(|p| p.position).collect::<Vec<_>>(),
            [0, 1, 2, 3]
        );
        assert!(found.iter().all(|p| p.file == "faq.md"));
    }

    #[test]
    fn plain_text_has_no_headings_and_a_hash_is_just_text() {
        let found = passages("notes.txt", "# Not a heading\nLine.\n\nNext.", Format::Text);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].heading, "");
        assert_eq!(found[0].text, "# Not a heading\nLine.\nNext.");
    }

    #[test]
    fn a_long_section_is_packed_bounded_and_overlapping() {
        let sentence = "The shop ships books to every country in the European Union. ";
        let paragraph = sentence.repeat(30); // about 1 900 characters, one paragraph
        let doc = format!("## Shipping\n{paragraph}\n\nShort closing note.");
        let found = passages("ship.md", &doc, Format::Markdown);
        assert!(found.len() >= 2, "{found:#?}");
        for (i, passage) in found.iter().enumerate() {
            assert!(
                chars(&passage.text) <= MAX_CHARS + OVERLAP_CHARS + 1,
                "{}",
                chars(&passage.text)
            );
            assert_eq!(passage.heading, "Shipping");
            if i > 0 {
                let before = &found[i - 1].text;
                let start: String = passage.text.chars().take(40).collect();
                assert!(before.contains(start.trim()), "overlap: {start:?}");
            }
        }
        // Cut at a sentence's end, not mid-word.
        assert!(found[0].text.ends_with("Union."), "{}", found[0].text);
    }

    #[test]
    fn empty_sections_and_files_make_no_passages() {
        assert!(passages("e.md", "", Format::Markdown).is_empty());
        assert!(passages(
            "e.md",
            "# Only a title\n\n## And another\n",
            Format::Markdown
        )
        .is_empty());
        assert!(passages("e.txt", "\n\n  \n", Format::Text).is_empty());
    }
}
