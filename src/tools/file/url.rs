//! A tool's URL as parts: literal text and `{arg}` placeholders, computed once at load or,
//! for a URL template, from its rendering for every call.

use crate::secret::Secret;
use crate::template::Template;
use crate::toml_file::{lookup, scan, Piece};

/// One piece of a tool's URL: literal text (with `${VAR}` already resolved) or an `{arg}`
/// placeholder.
#[derive(Clone, PartialEq, Eq)]
pub(in crate::tools) enum UrlPart {
    /// Text sent as it is; may hold a resolved secret.
    Literal(Secret),
    /// The name of the argument whose value fills this place.
    Placeholder(String),
}

/// A tool's URL: fixed parts, or a template whose rendering is split into parts per call.
#[derive(Clone)]
pub(in crate::tools) enum ToolUrl {
    /// No template syntax: the parts, `${VAR}` resolved, computed once at load.
    Parts(Vec<UrlPart>),
    /// A template (`${VAR}` resolved before compiling) rendered for every call.
    Template(Template),
}

/// The names of the `{arg}` placeholders in `parts`, in order.
pub(in crate::tools) fn placeholders(parts: &[UrlPart]) -> impl Iterator<Item = &str> {
    parts.iter().filter_map(|part| match part {
        UrlPart::Placeholder(name) => Some(name.as_str()),
        UrlPart::Literal(_) => None,
    })
}

/// A rendered URL template as parts: text and `{arg}` placeholders (`${VAR}` is resolved
/// before a template is compiled, so it is not looked for here).
pub(in crate::tools) fn split_url(text: &str) -> Result<Vec<UrlPart>, String> {
    url_parts(scan(text, false, true)?, &|_| None)
}

/// The URL template as parts, `${VAR}` resolved; checks it is an http(s) URL once each
/// placeholder holds a dummy value.
pub(super) fn parse_url(
    template: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Vec<UrlPart>, String> {
    let parts = url_parts(scan(template, true, true)?, env)?;
    check_url(&parts)?;
    Ok(parts)
}

/// Scanned pieces of a URL as parts, `${VAR}` resolved with `env`.
fn url_parts(
    pieces: Vec<Piece<'_>>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Vec<UrlPart>, String> {
    let mut parts = Vec::new();
    let mut literal = String::new();
    for piece in pieces {
        match piece {
            Piece::Text(t) => literal.push_str(t),
            Piece::Env(var) => literal.push_str(&lookup(var, env)?),
            Piece::Placeholder(name) => {
                if !literal.is_empty() {
                    parts.push(UrlPart::Literal(Secret::new(std::mem::take(&mut literal))));
                }
                parts.push(UrlPart::Placeholder(name.to_string()));
            }
        }
    }
    if !literal.is_empty() {
        parts.push(UrlPart::Literal(Secret::new(literal)));
    }
    Ok(parts)
}

/// Checks `parts` make an http(s) URL once each placeholder holds a dummy value.
pub(super) fn check_url(parts: &[UrlPart]) -> Result<(), String> {
    let dummy: String = parts
        .iter()
        .map(|part| match part {
            UrlPart::Literal(text) => text.expose(),
            UrlPart::Placeholder(_) => "x",
        })
        .collect();
    let parsed = reqwest::Url::parse(&dummy).map_err(|e| format!("not a valid URL: {e}"))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err("must start with http:// or https://".into());
    }
    Ok(())
}
