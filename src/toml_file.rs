//! What every operator file (tool, MCP server, agent) shares: `${VAR}` resolution from
//! the environment, where in a URL a `${VAR}` stands, the name rule, TOML errors told by
//! line and column without quoting the file, and cutting text to a length; and the one
//! listing of an operator's folder. No file is read here: start-up and the loaders do.

/// True for a valid tool or placeholder name: 1 to 64 of `A-Z a-z 0-9 _ -`.
pub(crate) fn is_valid_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// A TOML error as `line L, column C: message`, without quoting the file's text (which may
/// hold a secret written in by hand).
pub(crate) fn toml_problem(e: &toml::de::Error, text: &str) -> String {
    match e.span() {
        Some(span) => {
            let before = text.get(..span.start).unwrap_or(text);
            let line = before.matches('\n').count() + 1;
            let column = before
                .rsplit('\n')
                .next()
                .map_or(0, |last| last.chars().count())
                + 1;
            format!("line {line}, column {column}: {}", one_line(e.message()))
        }
        None => one_line(e.message()),
    }
}

/// A message's lines joined with `, `.
fn one_line(message: &str) -> String {
    message
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .collect::<Vec<_>>()
        .join(", ")
}

/// `text` cut to at most `max` characters, with `…` when cut.
pub(crate) fn cut(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_string(),
    }
}

/// Whether `${var}` stands in the URL's query (after `?`) or user info (before `@` in the
/// authority).
pub(crate) fn in_query_or_user_info(url: &str, var: &str) -> bool {
    let placeholder = format!("${{{var}}}");
    let query = url.find('?').map_or("", |i| &url[i..]);
    let after_scheme = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = after_scheme.split(['/', '?']).next().unwrap_or("");
    let user_info = authority.rsplit_once('@').map_or("", |(info, _)| info);
    query.contains(&placeholder) || user_info.contains(&placeholder)
}

/// A piece of a templated string.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Piece<'a> {
    /// Text as written.
    Text(&'a str),
    /// `${NAME}`: an environment variable.
    Env(&'a str),
    /// `{name}`: an argument (URLs only).
    Placeholder(&'a str),
}

/// Splits `text` into text, (when `env`) `${VAR}` and (when `placeholders`) `{arg}`
/// pieces. A `$` not followed by `{` is text.
pub(crate) fn scan(text: &str, env: bool, placeholders: bool) -> Result<Vec<Piece<'_>>, String> {
    let mut pieces = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix("${").filter(|_| env) {
            let end = after
                .find('}')
                .ok_or("a ${ has no closing } (write ${NAME})")?;
            let var = &after[..end];
            if !is_valid_var(var) {
                return Err(format!("${{{var}}} is not a valid variable name"));
            }
            pieces.push(Piece::Env(var));
            rest = &after[end + 1..];
        } else if let Some(after) = rest.strip_prefix('{').filter(|_| placeholders) {
            let end = after
                .find('}')
                .ok_or("a { has no closing } (write {argument})")?;
            let name = &after[..end];
            if !is_valid_name(name) {
                return Err(format!(
                    "{{{name}}} is not a valid placeholder (1 to 64 letters, digits, _ or -)"
                ));
            }
            pieces.push(Piece::Placeholder(name));
            rest = &after[end + 1..];
        } else {
            let first = rest.chars().next().map_or(1, char::len_utf8);
            let end = rest[first..]
                .find(|c| c == '$' || (placeholders && c == '{'))
                .map_or(rest.len(), |i| i + first);
            pieces.push(Piece::Text(&rest[..end]));
            rest = &rest[end..];
        }
    }
    Ok(pieces)
}

/// True for an environment variable name: a letter or `_`, then letters, digits or `_`.
fn is_valid_var(name: &str) -> bool {
    let mut bytes = name.bytes();
    bytes
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// The value of `${var}`; unset and empty are both errors.
pub(crate) fn lookup(var: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<String, String> {
    env(var)
        .filter(|value| !value.is_empty())
        .ok_or_else(|| format!("${{{var}}} is not set"))
}

/// `text` with every `${VAR}` replaced by its value.
pub(crate) fn resolve_env(
    text: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<String, String> {
    let mut out = String::new();
    for piece in scan(text, true, false)? {
        match piece {
            Piece::Text(t) | Piece::Placeholder(t) => out.push_str(t),
            Piece::Env(var) => out.push_str(&lookup(var, env)?),
        }
    }
    Ok(out)
}

/// The files of `dir` that are not read because they are not `*.toml` (a tool written as
/// `.json`, a file saved as `.toml.txt`), sorted by name, for a warning. Hidden files and
/// Markdown notes (`README.md`) are not counted; none when the folder cannot be listed.
pub fn other_files(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<std::path::PathBuf> = entries
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.is_file())
        .filter(|path| {
            let hidden = path
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with('.'));
            let read_or_note = path.extension().is_some_and(|e| e == "toml" || e == "md");
            !hidden && !read_or_note
        })
        .collect();
    files.sort();
    files
}

/// The `*.toml` files of `dir`, sorted by name; none when the folder is missing. Every
/// operator folder (tools, MCP servers, agents) is listed this way.
pub fn toml_files(dir: &std::path::Path) -> std::io::Result<Vec<std::path::PathBuf>> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let mut files = Vec::new();
    for entry in entries {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "toml") && path.is_file() {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}
