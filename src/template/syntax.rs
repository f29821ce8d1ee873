//! Template syntax as text: spotting it, describing a compile error, and stripping it when
//! a render fails both ways.

/// Why a template does not compile.
#[derive(Debug, thiserror::Error)]
#[error("{name}: line {line}: {message}")]
pub struct TemplateError {
    /// What the template is called: a file path or a variable name.
    pub name: String,
    /// The line (1-based) where the engine found the problem.
    pub line: usize,
    /// What is wrong, e.g. "syntax error: unexpected end of input, expected end of variable block".
    pub message: String,
}

/// Whether `text` holds any `{{`, `{%` or `{#` (a comment is template syntax too: it must
/// not reach the model).
pub(super) fn uses_template_syntax(text: &str) -> bool {
    text.contains("{{") || text.contains("{%") || text.contains("{#")
}

/// The engine's description of a compile error, without its own "(in name:line)" suffix,
/// which [`TemplateError`] says in its own words.
pub(super) fn describe(error: &minijinja::Error) -> String {
    match error.detail() {
        Some(detail) => format!("{}: {detail}", error.kind()),
        None => error.kind().to_string(),
    }
}

/// `text` with every `{{ … }}`, `{% … %}` and `{# … #}` span removed; an unclosed span runs
/// to the end of the text.
pub(super) fn strip_template_syntax(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = find_opener(rest) {
        out.push_str(&rest[..start]);
        let closer = match &rest[start + 1..start + 2] {
            "{" => "}}",
            "%" => "%}",
            _ => "#}",
        };
        let after_opener = &rest[start + 2..];
        match after_opener.find(closer) {
            Some(end) => rest = &after_opener[end + 2..],
            None => return out,
        }
    }
    out.push_str(rest);
    out
}

/// The byte offset of the first `{{`, `{%` or `{#` in `text`.
fn find_opener(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    bytes
        .windows(2)
        .position(|pair| pair[0] == b'{' && matches!(pair[1], b'{' | b'%' | b'#'))
}
