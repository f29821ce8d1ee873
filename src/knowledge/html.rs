//! HTML files as Markdown, so they are cut at their headings like any Markdown file:
//! `<h1>`…`<h6>` become `#` headings, block elements (`<p>`, `<div>`, `<li>`, `<tr>`,
//! `<br>`, …) end a paragraph or a line, the text of `<script>`, `<style>`, `<template>`,
//! `<svg>` and `<head>` (but its `<title>`) is dropped, comments are dropped, runs of
//! white space become one space, and character references (`&amp;`, `&#233;`, `&#xE9;`
//! and the common named ones) are decoded. Tags are not checked: a stray `<` or an
//! unclosed element still reads as text, never fails.

/// Elements whose content is not text a caller should hear.
const DROPPED: [&str; 6] = ["script", "style", "template", "svg", "noscript", "head"];

/// Elements that end a paragraph.
const BLOCKS: [&str; 22] = [
    "p",
    "div",
    "section",
    "article",
    "header",
    "footer",
    "main",
    "aside",
    "nav",
    "ul",
    "ol",
    "table",
    "blockquote",
    "pre",
    "form",
    "fieldset",
    "figure",
    "dl",
    "hr",
    "address",
    "body",
    "html",
];

/// Elements that end a line.
const LINES: [&str; 6] = ["br", "tr", "dt", "dd", "caption", "figcaption"];

/// The Markdown text of `html`.
pub fn to_markdown(html: &str) -> String {
    let mut out = String::with_capacity(html.len() / 2);
    let mut rest = html;
    let mut dropped: Option<String> = None;
    while !rest.is_empty() {
        let Some(open) = rest.find('<') else {
            if dropped.is_none() {
                text(&mut out, rest);
            }
            break;
        };
        if dropped.is_none() {
            text(&mut out, &rest[..open]);
        }
        rest = &rest[open..];
        let starts_tag = rest[1..]
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || matches!(c, '/' | '!' | '?'));
        if !starts_tag {
            // `a < b`: a `<` that starts no tag is text.
            if dropped.is_none() {
                text(&mut out, "<");
            }
            rest = &rest[1..];
            continue;
        }
        if let Some(comment) = rest.strip_prefix("<!--") {
            rest = comment.find("-->").map_or("", |end| &comment[end + 3..]);
            continue;
        }
        let Some(close) = rest.find('>') else {
            if dropped.is_none() {
                text(&mut out, rest);
            }
            break;
        };
        let tag = &rest[1..close];
        rest = &rest[close + 1..];
        let closing = tag.starts_with('/');
        let name: String = tag
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_lowercase();
        if name.is_empty() {
            // `<!DOCTYPE html>`, `<?xml …?>`, `</>`: nothing to read.
            continue;
        }
        if !closing && name != "head" && DROPPED.contains(&name.as_str()) && !tag.ends_with('/') {
            // A script's or style's text may hold `<` and `>`: skip to its closing tag.
            rest = find_ci(rest, &format!("</{name}")).map_or("", |end| {
                rest[end..].find('>').map_or("", |gt| &rest[end + gt + 1..])
            });
            continue;
        }
        if let Some(inside) = &dropped {
            // `<title>` inside `<head>` is read.
            if closing && *inside == name {
                dropped = None;
            } else if name == "title" && !closing {
                let end = find_ci(rest, "</title").unwrap_or(rest.len());
                heading_line(&mut out, 1, &rest[..end]);
                rest = &rest[end..];
            }
            continue;
        }
        if !closing && name == "head" && !tag.ends_with('/') {
            dropped = Some(name);
            continue;
        }
        match name.as_str() {
            "h1" | "h2" | "h3" | "h4" | "h5" | "h6" if !closing => {
                let level = usize::from(name.as_bytes()[1] - b'0');
                let end = find_ci(rest, &format!("</{name}")).unwrap_or(rest.len());
                heading_line(&mut out, level, &strip_tags(&rest[..end]));
                rest = &rest[end..];
            }
            "li" if !closing => {
                end_line(&mut out);
                out.push_str("- ");
            }
            _ if BLOCKS.contains(&name.as_str()) => end_paragraph(&mut out),
            _ if LINES.contains(&name.as_str()) || name == "li" => end_line(&mut out),
            "td" | "th" if closing => out.push(' '),
            _ => {}
        }
    }
    out.trim().to_string()
}

/// Where `needle` (ASCII, starting with `<`) first stands in `haystack`, in any case,
/// without copying the haystack: a long file with many headings stays linear.
fn find_ci(haystack: &str, needle: &str) -> Option<usize> {
    let needle = needle.as_bytes();
    haystack
        .as_bytes()
        .windows(needle.len())
        .position(|window| window.eq_ignore_ascii_case(needle))
}

/// `text` appended with its white space collapsed and its references decoded.
fn text(out: &mut String, raw: &str) {
    let decoded = decode(raw);
    for (n, word) in decoded.split_whitespace().enumerate() {
        let at_line_start = out.is_empty() || out.ends_with('\n') || out.ends_with("- ");
        let space_before = decoded.starts_with(char::is_whitespace) || n > 0;
        if space_before && !at_line_start && !out.ends_with(' ') {
            out.push(' ');
        }
        out.push_str(word);
    }
    if decoded.ends_with(char::is_whitespace) && !decoded.trim().is_empty() {
        out.push(' ');
    }
}

fn heading_line(out: &mut String, level: usize, title: &str) {
    let title = decode(title);
    let title: Vec<&str> = title.split_whitespace().collect();
    if title.is_empty() {
        return;
    }
    end_paragraph(out);
    out.push_str(&"#".repeat(level));
    out.push(' ');
    out.push_str(&title.join(" "));
    out.push_str("\n\n");
}

fn end_line(out: &mut String) {
    while out.ends_with(' ') {
        out.pop();
    }
    if !out.is_empty() && !out.ends_with('\n') {
        out.push('\n');
    }
}

fn end_paragraph(out: &mut String) {
    end_line(out);
    if !out.is_empty() && !out.ends_with("\n\n") {
        out.push('\n');
    }
}

/// The text of `html` without its tags (a heading's inner `<a>`, `<em>`, …).
fn strip_tags(html: &str) -> String {
    let mut out = String::new();
    let mut inside = false;
    for c in html.chars() {
        match c {
            '<' => inside = true,
            '>' if inside => inside = false,
            _ if !inside => out.push(c),
            _ => {}
        }
    }
    out
}

/// `raw` with its character references decoded; an unknown one is kept as written.
fn decode(raw: &str) -> String {
    if !raw.contains('&') {
        return raw.to_string();
    }
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let end = rest[1..]
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '#'))
            .map(|n| n + 1);
        let decoded = match end {
            Some(end) if rest[end..].starts_with(';') => {
                reference(&rest[1..end]).map(|c| (c, end + 1))
            }
            _ => None,
        };
        match decoded {
            Some((c, used)) => {
                out.push(c);
                rest = &rest[used..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

fn reference(name: &str) -> Option<char> {
    if let Some(number) = name.strip_prefix('#') {
        let code = match number.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok()?,
            None => number.parse().ok()?,
        };
        return char::from_u32(code).filter(|c| !c.is_control() || c.is_whitespace());
    }
    Some(match name {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        "nbsp" => ' ',
        "euro" => '€',
        "pound" => '£',
        "yen" => '¥',
        "copy" => '©',
        "reg" => '®',
        "ndash" => '–',
        "mdash" => '—',
        "hellip" => '…',
        "lsquo" => '‘',
        "rsquo" => '’',
        "ldquo" => '“',
        "rdquo" => '”',
        "laquo" => '«',
        "raquo" => '»',
        "deg" => '°',
        "auml" => 'ä',
        "ouml" => 'ö',
        "uuml" => 'ü',
        "Auml" => 'Ä',
        "Ouml" => 'Ö',
        "Uuml" => 'Ü',
        "szlig" => 'ß',
        "eacute" => 'é',
        "egrave" => 'è',
        "agrave" => 'à',
        "ccedil" => 'ç',
        "ntilde" => 'ñ',
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headings_paragraphs_lists_and_references() {
        let html = "<!DOCTYPE html><html><head><title>Shop  FAQ</title>\
            <style>p { color: red }</style><script>alert('x<y')</script></head><body>\
            <h2 class=\"top\">Opening <em>hours</em></h2>\n<p>We open at\n   nine &amp; close \
            at six.</p><!-- a note <p>hidden</p> --><ul><li>Mon&ndash;Fri</li><li>Sat: \
            <b>ten</b></li></ul><p>Price: 5&#8364; &lt;net&gt; a&#x2019;s &bogus; 3 < 4</p>\
            </body></html>";
        assert_eq!(
            to_markdown(html),
            "# Shop FAQ\n\n## Opening hours\n\nWe open at nine & close at six.\n\n- Mon–Fri\n\
             - Sat: ten\n\nPrice: 5€ <net> a’s &bogus; 3 < 4"
        );
    }

    #[test]
    fn broken_markup_reads_as_text_and_never_fails() {
        assert_eq!(to_markdown("plain <b>bold"), "plain bold");
        assert_eq!(to_markdown("a <unclosed"), "a <unclosed");
        assert_eq!(to_markdown("<script>never closed"), "");
        assert_eq!(to_markdown("&#0; &#xFFFFFFFF; &"), "&#0; &#xFFFFFFFF; &");
        assert_eq!(to_markdown("<h1>"), "");
    }

    #[test]
    fn a_script_with_comparisons_is_skipped_whole() {
        assert_eq!(
            to_markdown(
                "<script>if(i<n && n>0)f()</script><p>Hours: 9-5</p><STYLE>a>b{}</Style>Ok"
            ),
            "Hours: 9-5\n\nOk"
        );
        assert_eq!(
            to_markdown("<head><script>x<y</script><title>Shop</title></head>Hi"),
            "# Shop\n\nHi"
        );
    }
}
