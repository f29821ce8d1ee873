//! Checking one tool file's text and building its [`Tool`]: one step per field, in the
//! order the problems are reported.

use std::cell::{Cell, RefCell};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{HeaderName, HeaderValue};

use super::schema::{read_parameters, read_statics};
use super::secrets::{secrets, Place};
use super::url::{check_url, parse_url, split_url, ToolUrl};
use super::{error, template_problem, ToolFileError};
use crate::secret::Secret;
use crate::template::{CallContext, Now, Template};
use crate::toml_file::{is_valid_name, resolve_env, toml_problem};
use crate::tools::tool::{Method, Text, Tool};
use crate::tools::END_CALL;

/// The fields a tool file may have; any other is an error, so typos are caught.
const FIELDS: [&str; 11] = [
    "description",
    "client",
    "method",
    "url",
    "timeout_ms",
    "say_while_waiting",
    "headers",
    "parameters",
    "static",
    "mutating",
    "follow_redirects",
];

/// The timeout when the file gives none.
const DEFAULT_TIMEOUT_MS: i64 = 5000;
/// The timeout of a client tool when the file gives none: a person may be looking.
const DEFAULT_CLIENT_TIMEOUT_MS: i64 = 10_000;
/// The fields only an HTTP tool has; a client tool with one is an error.
const HTTP_ONLY_FIELDS: [&str; 6] = [
    "url",
    "method",
    "headers",
    "static",
    "mutating",
    "follow_redirects",
];
/// The longest timeout a file may ask for.
const MAX_TIMEOUT_MS: i64 = 120_000;

/// Checks and builds the tool `name` from the text of its file at `path`.
pub(in crate::tools) fn parse_tool(
    path: &Path,
    name: &str,
    text: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Tool, ToolFileError> {
    // The `${VAR}` values the file uses are noted with where they were used, so that an
    // endpoint echoing a secret back never hands it to the model ([`secrets`]).
    let used = RefCell::new(Vec::new());
    let place = Cell::new(Place::Url);
    let recording = |var: &str| {
        let value = env(var);
        if let Some(value) = &value {
            used.borrow_mut()
                .push((place.get(), var.to_string(), value.clone()));
        }
        value
    };
    let env: &dyn Fn(&str) -> Option<String> = &recording;
    check_name(path, name)?;
    let table = read_table(path, text)?;
    let description = read_description(path, &table)?;
    let client = read_client(path, &table)?;
    let method = read_method(path, &table)?;
    let (url_template, url) = read_url(path, &table, client, env)?;
    let timeout = read_timeout(path, &table, client)?;
    let say_while_waiting = read_say_while_waiting(path, &table)?;
    place.set(Place::Header);
    let headers = read_headers(path, &table, env)?;
    place.set(Place::Static);
    let (statics, static_templates) = read_statics(path, &table, env)?;
    let mutating = read_mutating(path, &table, client, method)?;
    let same_origin_redirects = read_follow_redirects(path, &table)?;
    let (parameters, validator) = read_parameters(path, &table, &statics)?;

    let secrets = secrets(&url_template, method, used.into_inner());
    Ok(Tool {
        name: name.to_string(),
        description,
        method,
        url_template,
        url,
        timeout,
        say_while_waiting,
        headers,
        parameters,
        validator: Arc::new(validator),
        statics,
        static_templates,
        mutating,
        same_origin_redirects,
        client,
        secrets,
    })
}

/// The tool's name (its file stem) is well-formed and not the built-in tool's.
fn check_name(path: &Path, name: &str) -> Result<(), ToolFileError> {
    if !is_valid_name(name) {
        return Err(error(
            path,
            "",
            format!(
                "the tool name {name:?} (the file name) must be 1 to 64 letters, digits, _ or -"
            ),
        ));
    }
    if name == END_CALL {
        return Err(error(
            path,
            "",
            format!("the name {END_CALL} is reserved for the built-in tool that ends the call"),
        ));
    }
    if name == crate::tools::SEARCH_KNOWLEDGE {
        return Err(error(
            path,
            "",
            format!("the name {name} is reserved for the built-in knowledge search"),
        ));
    }
    Ok(())
}

/// The file as a TOML table with no field but [`FIELDS`].
fn read_table(path: &Path, text: &str) -> Result<toml::Table, ToolFileError> {
    let table: toml::Table = toml::from_str(text).map_err(|e| {
        error(
            path,
            "",
            format!("not valid TOML: {}", toml_problem(&e, text)),
        )
    })?;
    if let Some(unknown) = table.keys().find(|key| !FIELDS.contains(&key.as_str())) {
        return Err(error(
            path,
            unknown.as_str(),
            format!("unknown field (a tool file may have {})", FIELDS.join(", ")),
        ));
    }
    Ok(table)
}

/// `description`: required, not blank; trimmed.
fn read_description(path: &Path, table: &toml::Table) -> Result<String, ToolFileError> {
    let fail = |field: &str, problem: String| error(path, field, problem);
    Ok(match table.get("description") {
        None => return Err(fail("description", "missing".into())),
        Some(toml::Value::String(s)) if s.trim().is_empty() => {
            return Err(fail("description", "must not be empty".into()))
        }
        Some(toml::Value::String(s)) => s.trim().to_string(),
        Some(_) => return Err(fail("description", "must be a string".into())),
    })
}

/// `client`: false when absent; a client tool has none of [`HTTP_ONLY_FIELDS`].
fn read_client(path: &Path, table: &toml::Table) -> Result<bool, ToolFileError> {
    let fail = |field: &str, problem: String| error(path, field, problem);
    let client = match table.get("client") {
        None => false,
        Some(toml::Value::Boolean(b)) => *b,
        Some(_) => return Err(fail("client", "must be true or false".into())),
    };
    if client {
        if let Some(field) = HTTP_ONLY_FIELDS.iter().find(|f| table.contains_key(**f)) {
            return Err(fail(
                field,
                "a client tool (client = true) runs in the browser and has no url, method, \
                 headers, static or mutating"
                    .into(),
            ));
        }
    }
    Ok(client)
}

/// `method`: `GET` when absent.
fn read_method(path: &Path, table: &toml::Table) -> Result<Method, ToolFileError> {
    let fail = |field: &str, problem: String| error(path, field, problem);
    Ok(match table.get("method") {
        None => Method::Get,
        Some(toml::Value::String(s)) => Method::parse(s.trim()).ok_or_else(|| {
            fail(
                "method",
                format!("{s:?} is not one of GET, POST, PUT, PATCH, DELETE"),
            )
        })?,
        Some(_) => return Err(fail("method", "must be a string".into())),
    })
}

/// `url`, as written and as parts or a template; a client tool has none.
fn read_url(
    path: &Path,
    table: &toml::Table,
    client: bool,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<(String, ToolUrl), ToolFileError> {
    let fail = |field: &str, problem: String| error(path, field, problem);
    Ok(if client {
        (String::new(), ToolUrl::Parts(Vec::new()))
    } else {
        let url_template = match table.get("url") {
            None => return Err(fail("url", "missing".into())),
            Some(toml::Value::String(s)) => s.trim().to_string(),
            Some(_) => return Err(fail("url", "must be a string".into())),
        };
        let url =
            parse_tool_url(path, &url_template, env).map_err(|problem| fail("url", problem))?;
        (url_template, url)
    })
}

/// `timeout_ms`, with a default that depends on who runs the tool.
fn read_timeout(path: &Path, table: &toml::Table, client: bool) -> Result<Duration, ToolFileError> {
    let fail = |field: &str, problem: String| error(path, field, problem);
    let timeout_ms = match table.get("timeout_ms") {
        None if client => DEFAULT_CLIENT_TIMEOUT_MS,
        None => DEFAULT_TIMEOUT_MS,
        Some(toml::Value::Integer(ms)) if (1..=MAX_TIMEOUT_MS).contains(ms) => *ms,
        Some(_) => {
            return Err(fail(
                "timeout_ms",
                format!("must be a whole number of milliseconds from 1 to {MAX_TIMEOUT_MS}"),
            ))
        }
    };
    Ok(Duration::from_millis(
        u64::try_from(timeout_ms).unwrap_or(5000),
    ))
}

/// `say_while_waiting`: none when absent or blank.
fn read_say_while_waiting(
    path: &Path,
    table: &toml::Table,
) -> Result<Option<String>, ToolFileError> {
    let fail = |field: &str, problem: String| error(path, field, problem);
    Ok(match table.get("say_while_waiting") {
        None => None,
        Some(toml::Value::String(s)) if s.trim().is_empty() => None,
        Some(toml::Value::String(s)) => Some(s.trim().to_string()),
        Some(_) => return Err(fail("say_while_waiting", "must be a string".into())),
    })
}

/// `[headers]`: none when absent.
fn read_headers(
    path: &Path,
    table: &toml::Table,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Vec<(HeaderName, Text)>, ToolFileError> {
    let fail = |field: &str, problem: String| error(path, field, problem);
    Ok(match table.get("headers") {
        None => Vec::new(),
        Some(toml::Value::Table(headers)) => parse_headers(path, headers, env)?,
        Some(_) => return Err(fail("headers", "must be a table of strings".into())),
    })
}

/// `mutating`: when absent, every HTTP method but `GET` may change something.
fn read_mutating(
    path: &Path,
    table: &toml::Table,
    client: bool,
    method: Method,
) -> Result<bool, ToolFileError> {
    let fail = |field: &str, problem: String| error(path, field, problem);
    Ok(match table.get("mutating") {
        None => !client && method != Method::Get,
        Some(toml::Value::Boolean(b)) => *b,
        Some(_) => return Err(fail("mutating", "must be true or false".into())),
    })
}

/// `follow_redirects`: `"never"` (the default: a 3xx answer is a failure) or
/// `"same-origin"` (a redirect to the same scheme, host and port as the request is
/// followed; one elsewhere is still a failure).
fn read_follow_redirects(path: &Path, table: &toml::Table) -> Result<bool, ToolFileError> {
    match table.get("follow_redirects") {
        None => Ok(false),
        Some(toml::Value::String(s)) if s == "never" => Ok(false),
        Some(toml::Value::String(s)) if s == "same-origin" => Ok(true),
        Some(_) => Err(error(
            path,
            "follow_redirects",
            "must be \"never\" or \"same-origin\"",
        )),
    }
}

/// The `[headers]` table: valid HTTP names, string values with `${VAR}` resolved, then
/// compiled as templates when they use template syntax (a rendered value is checked per
/// call; a fixed one here).
fn parse_headers(
    path: &Path,
    headers: &toml::Table,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Vec<(HeaderName, Text)>, ToolFileError> {
    let mut out = Vec::new();
    for (key, value) in headers {
        let field = format!("headers.{key}");
        let name = HeaderName::from_bytes(key.as_bytes())
            .map_err(|_| error(path, &field, "not a valid HTTP header name"))?;
        let toml::Value::String(template) = value else {
            return Err(error(path, &field, "must be a string"));
        };
        let resolved =
            resolve_env(template, env).map_err(|problem| error(path, &field, problem))?;
        let compiled = Template::new(&format!("{}: {field}", path.display()), &resolved)
            .map_err(|e| error(path, &field, template_problem(&e)))?;
        if compiled.is_dynamic() {
            out.push((name, Text::Template(compiled)));
            continue;
        }
        if HeaderValue::from_str(&resolved).is_err() {
            return Err(error(
                path,
                &field,
                "not a valid HTTP header value (once ${VAR} values are filled in)",
            ));
        }
        out.push((name, Text::Fixed(Secret::new(resolved))));
    }
    Ok(out)
}

/// The tool's URL: `${VAR}` resolved, then compiled as a template when it uses template
/// syntax (named `{file}: url`). A template is checked by rendering it with
/// [`CallContext::sample`]: the result must be a well-formed URL template.
fn parse_tool_url(
    file: &Path,
    template: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<ToolUrl, String> {
    let resolved = resolve_env(template, env)?;
    let compiled = Template::for_url(&format!("{}: url", file.display()), &resolved)
        .map_err(|e| template_problem(&e))?;
    if !compiled.is_dynamic() {
        // Exactly as before templates: the parts are computed once.
        return parse_url(template, env).map(ToolUrl::Parts);
    }
    let rendered = compiled
        .render_strict(&CallContext::sample("default"), &Now::utc())
        .ok_or("the template does not render with sample values")?;
    let parts = split_url(&rendered).map_err(|problem| format!("once rendered: {problem}"))?;
    check_url(&parts).map_err(|problem| format!("once rendered: {problem}"))?;
    Ok(ToolUrl::Template(compiled))
}
