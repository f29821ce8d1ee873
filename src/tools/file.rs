//! Loading and checking tool files: one `*.toml` per tool, the file stem being its name.
//! Every problem is a [`ToolFileError`] naming the file and the field, and stops start-up.
//! No error message ever holds a resolved `${VAR}` value.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{HeaderName, HeaderValue};
use serde_json::{Map, Value};

use super::{describe, Method, Text, Tool, ToolUrl, UrlPart, END_CALL, MIN_SECRET_LEN};
use crate::secret::Secret;
use crate::template::{CallContext, Now, Template, TemplateError};
use crate::toml_file::{is_valid_name, lookup, resolve_env, scan, toml_problem, Piece};

/// The fields a tool file may have; any other is an error, so typos are caught.
const FIELDS: [&str; 10] = [
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
];

/// The timeout when the file gives none.
const DEFAULT_TIMEOUT_MS: i64 = 5000;
/// The timeout of a client tool when the file gives none: a person may be looking.
const DEFAULT_CLIENT_TIMEOUT_MS: i64 = 10_000;
/// The fields only an HTTP tool has; a client tool with one is an error.
const HTTP_ONLY_FIELDS: [&str; 5] = ["url", "method", "headers", "static", "mutating"];
/// The longest timeout a file may ask for.
const MAX_TIMEOUT_MS: i64 = 120_000;
/// Why a tool file could not be loaded. `Display` is `{file}: {field}: {problem}`, or
/// `{file}: {problem}` when the problem is the whole file's.
#[derive(Debug)]
pub struct ToolFileError {
    /// The file (or the folder, when it cannot be read).
    pub file: PathBuf,
    /// The field at fault, like `headers.Authorization`; empty for whole-file problems.
    pub field: String,
    /// What is wrong, with no secret in it.
    pub problem: String,
}

impl fmt::Display for ToolFileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.field.is_empty() {
            write!(f, "{}: {}", self.file.display(), self.problem)
        } else {
            write!(
                f,
                "{}: {}: {}",
                self.file.display(),
                self.field,
                self.problem
            )
        }
    }
}

impl std::error::Error for ToolFileError {}

/// Builds a [`ToolFileError`].
fn error(file: &Path, field: impl Into<String>, problem: impl Into<String>) -> ToolFileError {
    ToolFileError {
        file: file.to_path_buf(),
        field: field.into(),
        problem: problem.into(),
    }
}

/// Loads every `*.toml` file in `dir`, in name order; a missing folder holds no tools.
pub(crate) fn load_dir(
    dir: &Path,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Vec<Tool>, ToolFileError> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(error(dir, "", format!("cannot read the folder: {e}"))),
    };
    let mut files = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| error(dir, "", format!("cannot read the folder: {e}")))?;
        let path = entry.path();
        if path.extension().is_some_and(|ext| ext == "toml") && path.is_file() {
            files.push(path);
        }
    }
    files.sort_by(|a, b| a.file_stem().cmp(&b.file_stem()));
    files.iter().map(|path| load_file(path, env)).collect()
}

/// Loads one tool file; its stem is the tool's name.
pub(crate) fn load_file(
    path: &Path,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Tool, ToolFileError> {
    let name = path
        .file_stem()
        .and_then(|stem| stem.to_str())
        .ok_or_else(|| error(path, "", "the file name is not valid UTF-8"))?;
    let text = std::fs::read_to_string(path)
        .map_err(|e| error(path, "", format!("cannot read the file: {e}")))?;
    parse_tool(path, name, &text, env)
}

/// Checks and builds the tool `name` from the text of its file at `path`.
pub(crate) fn parse_tool(
    path: &Path,
    name: &str,
    text: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Tool, ToolFileError> {
    // The `${VAR}` values the file uses are noted with where they were used, so that an
    // endpoint echoing a secret back never hands it to the model ([`secrets`]).
    let used = std::cell::RefCell::new(Vec::new());
    let place = std::cell::Cell::new(Place::Url);
    let recording = |var: &str| {
        let value = env(var);
        if let Some(value) = &value {
            used.borrow_mut()
                .push((place.get(), var.to_string(), value.clone()));
        }
        value
    };
    let env: &dyn Fn(&str) -> Option<String> = &recording;
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
    let fail = |field: &str, problem: String| error(path, field, problem);

    let description = match table.get("description") {
        None => return Err(fail("description", "missing".into())),
        Some(toml::Value::String(s)) if s.trim().is_empty() => {
            return Err(fail("description", "must not be empty".into()))
        }
        Some(toml::Value::String(s)) => s.trim().to_string(),
        Some(_) => return Err(fail("description", "must be a string".into())),
    };

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

    let method = match table.get("method") {
        None => Method::Get,
        Some(toml::Value::String(s)) => Method::parse(s.trim()).ok_or_else(|| {
            fail(
                "method",
                format!("{s:?} is not one of GET, POST, PUT, PATCH, DELETE"),
            )
        })?,
        Some(_) => return Err(fail("method", "must be a string".into())),
    };

    let (url_template, url) = if client {
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
    };

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
    let timeout = Duration::from_millis(u64::try_from(timeout_ms).unwrap_or(5000));

    let say_while_waiting = match table.get("say_while_waiting") {
        None => None,
        Some(toml::Value::String(s)) if s.trim().is_empty() => None,
        Some(toml::Value::String(s)) => Some(s.trim().to_string()),
        Some(_) => return Err(fail("say_while_waiting", "must be a string".into())),
    };

    place.set(Place::Header);
    let headers = match table.get("headers") {
        None => Vec::new(),
        Some(toml::Value::Table(headers)) => parse_headers(path, headers, env)?,
        Some(_) => return Err(fail("headers", "must be a table of strings".into())),
    };

    place.set(Place::Static);
    let mut static_templates = Vec::new();
    let statics = match table.get("static") {
        None => Map::new(),
        Some(toml::Value::Table(statics)) => {
            let mut map = Map::new();
            for (key, value) in statics {
                let field = format!("static.{key}");
                let value = static_value(value, env).map_err(|problem| fail(&field, problem))?;
                if let Value::String(text) = &value {
                    let name = format!("{}: {field}", path.display());
                    let template = Template::new(&name, text)
                        .map_err(|e| fail(&field, template_problem(&e)))?;
                    if template.is_dynamic() {
                        static_templates.push((key.clone(), template));
                    }
                }
                map.insert(key.clone(), value);
            }
            map
        }
        Some(_) => return Err(fail("static", "must be a table".into())),
    };

    let mutating = match table.get("mutating") {
        None => !client && method != Method::Get,
        Some(toml::Value::Boolean(b)) => *b,
        Some(_) => return Err(fail("mutating", "must be true or false".into())),
    };

    let full_schema = match table.get("parameters") {
        None => serde_json::json!({"type": "object", "properties": {}}),
        Some(toml::Value::Table(parameters)) => {
            let mut object = Map::new();
            for (key, value) in parameters {
                let value = toml_to_json(value)
                    .map_err(|problem| fail(&format!("parameters.{key}"), problem))?;
                object.insert(key.clone(), value);
            }
            Value::Object(object)
        }
        Some(_) => return Err(fail("parameters", "must be a table (a JSON Schema)".into())),
    };
    if full_schema.get("type") != Some(&Value::String("object".into())) {
        return Err(fail("parameters.type", "must be \"object\"".into()));
    }
    jsonschema::validator_for(&full_schema).map_err(|e| {
        fail(
            "parameters",
            format!("not a valid JSON Schema: {}", describe(&e)),
        )
    })?;
    let parameters = without_statics(full_schema, &statics);
    let validator = jsonschema::validator_for(&parameters).map_err(|e| {
        fail(
            "parameters",
            format!("not a valid JSON Schema: {}", describe(&e)),
        )
    })?;

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
        client,
        secrets,
    })
}

/// Where a tool file used a `${VAR}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Place {
    Url,
    Header,
    Static,
}

/// The `${VAR}` values to redact from what an endpoint sends back: those sent in a header,
/// in the URL's query or user info, or whose variable's name says it is a secret
/// ([`SECRET_NAME_PARTS`]), or a `[static]` value a GET or DELETE sends in its query — not
/// a base URL, a path segment or a plain static id in a JSON body, which an answer may
/// rightly repeat. Only values of [`MIN_SECRET_LEN`] bytes or more, longest first (so a
/// value that contains another is redacted whole), each once, with the forms the request
/// encodes them in (query and path) when they differ.
fn secrets(url_template: &str, method: Method, used: Vec<(Place, String, String)>) -> Vec<Secret> {
    // What the request encodes a value as: a query value (form encoding: unreserved
    // `* - . _` kept, a space as `+`), a path segment.
    const FORM: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'*')
        .remove(b'-')
        .remove(b'.')
        .remove(b'_');
    let mut values: Vec<String> = Vec::new();
    for (place, var, value) in used {
        let secret = secret_name(&var)
            || place == Place::Header
            || (place == Place::Url && in_query_or_user_info(url_template, &var))
            // A GET or DELETE sends `[static]` values in the query.
            || (place == Place::Static && !method.has_body());
        if !secret || value.len() < MIN_SECRET_LEN {
            continue;
        }
        let form = percent_encoding::utf8_percent_encode(&value, FORM)
            .to_string()
            .replace("%20", "+");
        let segment = percent_encoding::utf8_percent_encode(&value, super::SEGMENT);
        for encoded in [form, segment.to_string()] {
            if encoded != value {
                values.push(encoded);
            }
        }
        values.push(value);
    }
    values.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
    values.dedup();
    values.into_iter().map(Secret::new).collect()
}

/// Parts of a variable's name that mark its value as a secret (case-insensitive).
const SECRET_NAME_PARTS: &[&str] = &[
    "KEY",
    "TOKEN",
    "SECRET",
    "PASSWORD",
    "PASSWD",
    "PASS",
    "AUTH",
    "CREDENTIAL",
    "SIGNATURE",
    "PRIVATE",
    "SESSION",
    "COOKIE",
];

fn secret_name(var: &str) -> bool {
    let upper = var.to_ascii_uppercase();
    SECRET_NAME_PARTS.iter().any(|part| upper.contains(part))
}

/// Whether `${var}` stands in the URL's query (after `?`) or user info (before `@` in the
/// authority).
fn in_query_or_user_info(url: &str, var: &str) -> bool {
    let placeholder = format!("${{{var}}}");
    let query = url.find('?').map_or("", |i| &url[i..]);
    let after_scheme = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = after_scheme.split(['/', '?']).next().unwrap_or("");
    let user_info = authority.rsplit_once('@').map_or("", |(info, _)| info);
    query.contains(&placeholder) || user_info.contains(&placeholder)
}

/// A template's compile error as a tool file's problem: `line N: message` (the file and
/// field are said by the [`ToolFileError`]).
fn template_problem(e: &TemplateError) -> String {
    format!("line {}: {}", e.line, e.message)
}

/// The schema the model sees: static arguments removed from `properties` and `required`
/// (and `required` dropped when it ends up empty).
fn without_statics(mut schema: Value, statics: &Map<String, Value>) -> Value {
    if statics.is_empty() {
        return schema;
    }
    if let Some(Value::Object(properties)) = schema.get_mut("properties") {
        properties.retain(|key, _| !statics.contains_key(key));
    }
    let mut drop_required = false;
    if let Some(Value::Array(required)) = schema.get_mut("required") {
        required.retain(|key| key.as_str().is_none_or(|key| !statics.contains_key(key)));
        drop_required = required.is_empty();
    }
    if drop_required {
        if let Some(object) = schema.as_object_mut() {
            object.remove("required");
        }
    }
    schema
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

/// A `[static]` value as JSON, `${VAR}` resolved in every string inside it.
fn static_value(
    value: &toml::Value,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Value, String> {
    match value {
        toml::Value::String(s) => Ok(Value::String(resolve_env(s, env)?)),
        toml::Value::Array(items) => items
            .iter()
            .map(|item| static_value(item, env))
            .collect::<Result<Vec<_>, _>>()
            .map(Value::Array),
        toml::Value::Table(table) => {
            let mut map = Map::new();
            for (key, item) in table {
                map.insert(key.clone(), static_value(item, env)?);
            }
            Ok(Value::Object(map))
        }
        other => toml_to_json(other),
    }
}

/// A TOML value as JSON; dates become strings as written.
fn toml_to_json(value: &toml::Value) -> Result<Value, String> {
    Ok(match value {
        toml::Value::String(s) => Value::String(s.clone()),
        toml::Value::Integer(i) => Value::from(*i),
        toml::Value::Float(f) => serde_json::Number::from_f64(*f)
            .map(Value::Number)
            .ok_or("numbers must be finite")?,
        toml::Value::Boolean(b) => Value::Bool(*b),
        toml::Value::Datetime(d) => Value::String(d.to_string()),
        toml::Value::Array(items) => Value::Array(
            items
                .iter()
                .map(toml_to_json)
                .collect::<Result<Vec<_>, _>>()?,
        ),
        toml::Value::Table(table) => {
            let mut map = Map::new();
            for (key, item) in table {
                map.insert(key.clone(), toml_to_json(item)?);
            }
            Value::Object(map)
        }
    })
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

/// A rendered URL template as parts: text and `{arg}` placeholders (`${VAR}` is resolved
/// before a template is compiled, so it is not looked for here).
pub(crate) fn split_url(text: &str) -> Result<Vec<UrlPart>, String> {
    url_parts(scan(text, false, true)?, &|_| None)
}

/// The URL template as parts, `${VAR}` resolved; checks it is an http(s) URL once each
/// placeholder holds a dummy value.
fn parse_url(template: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<Vec<UrlPart>, String> {
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
fn check_url(parts: &[UrlPart]) -> Result<(), String> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::template::{CallContext, Now};
    use crate::tools::Toolbox;
    use serde_json::json;
    use std::sync::atomic::{AtomicUsize, Ordering};

    const GET_ORDER: &str = r#"
description = "Look up the status of an order by its number."
method = "GET"
url = "https://api.example.com/orders/{order_id}"
timeout_ms = 3000
say_while_waiting = "One moment while I look that up."

[headers]
Authorization = "Bearer ${ORDERS_API_KEY}"

[parameters]
type = "object"
required = ["order_id"]
[parameters.properties.order_id]
type = "string"
description = "The order number, like A17."
"#;

    const SECRET: &str = "sk-live-very-secret-1234";

    fn env(name: &str) -> Option<String> {
        match name {
            "ORDERS_API_KEY" | "CRM_KEY" => Some(SECRET.to_string()),
            "EMPTY" => Some(String::new()),
            "BASE" => Some("https://base.example.com".to_string()),
            _ => None,
        }
    }

    /// A folder under the system temp dir, removed on drop.
    struct TempDir(PathBuf);

    impl TempDir {
        fn new() -> Self {
            static COUNT: AtomicUsize = AtomicUsize::new(0);
            let dir = std::env::temp_dir().join(format!(
                "voicebridge-tools-{}-{}",
                std::process::id(),
                COUNT.fetch_add(1, Ordering::SeqCst)
            ));
            std::fs::create_dir_all(&dir).expect("create temp dir");
            Self(dir)
        }

        fn write(&self, name: &str, text: &str) -> PathBuf {
            let path = self.0.join(name);
            std::fs::write(&path, text).expect("write tool file");
            path
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn parse(name: &str, text: &str) -> Result<Tool, ToolFileError> {
        parse_tool(Path::new(&format!("tools/{name}.toml")), name, text, &env)
    }

    fn parse_err(name: &str, text: &str) -> String {
        parse(name, text).expect_err("should fail").to_string()
    }

    #[test]
    fn the_example_loads_as_written() {
        let dir = TempDir::new();
        dir.write("get_order.toml", GET_ORDER);
        let toolbox = Toolbox::load(&dir.0, &env).expect("loads");
        assert_eq!(toolbox.len(), 1);
        let tool = toolbox.get("get_order").expect("get_order");
        assert_eq!(tool.name(), "get_order");
        assert_eq!(
            tool.description(),
            "Look up the status of an order by its number."
        );
        assert_eq!(tool.method(), "GET");
        assert!(!tool.mutating());
        assert_eq!(tool.timeout(), Duration::from_millis(3000));
        assert_eq!(
            tool.say_while_waiting(),
            Some("One moment while I look that up.")
        );
        assert_eq!(
            tool.url_template(),
            "https://api.example.com/orders/{order_id}"
        );
        assert_eq!(tool.headers.len(), 1);
        assert_eq!(tool.headers[0].0.as_str(), "authorization");
        let Text::Fixed(value) = &tool.headers[0].1 else {
            panic!("a fixed header");
        };
        assert_eq!(value.expose(), format!("Bearer {SECRET}"));
        assert_eq!(
            toolbox.definitions(),
            &[json!({
                "type": "function",
                "function": {
                    "name": "get_order",
                    "description": "Look up the status of an order by its number.",
                    "parameters": {
                        "type": "object",
                        "required": ["order_id"],
                        "properties": {
                            "order_id": {
                                "type": "string",
                                "description": "The order number, like A17."
                            }
                        }
                    }
                }
            })]
        );
    }

    #[test]
    fn tools_are_sorted_by_name_and_only_toml_files_are_read() {
        let dir = TempDir::new();
        dir.write(
            "b.toml",
            "description = \"b\"\nurl = \"http://b.example\"\n",
        );
        dir.write(
            "a-b.toml",
            "description = \"ab\"\nurl = \"http://ab.example\"\n",
        );
        dir.write(
            "a.toml",
            "description = \"a\"\nurl = \"http://a.example\"\n",
        );
        dir.write("notes.txt", "not a tool");
        dir.write("c.toml.bak", "not a tool");
        std::fs::create_dir(dir.0.join("sub.toml")).expect("mkdir");
        let toolbox = Toolbox::load(&dir.0, &env).expect("loads");
        let names: Vec<&str> = toolbox.tools().iter().map(Tool::name).collect();
        assert_eq!(names, ["a", "a-b", "b"]);
        assert_eq!(toolbox.definitions().len(), 3);
        assert_eq!(toolbox.definitions()[1]["function"]["name"], "a-b");
        assert!(toolbox.get("a-b").is_some());
        assert!(toolbox.get("c").is_none());
    }

    #[test]
    fn a_missing_folder_is_an_empty_toolbox() {
        let dir = TempDir::new();
        let toolbox = Toolbox::load(&dir.0.join("nope"), &env).expect("empty");
        assert!(toolbox.is_empty());
    }

    #[test]
    fn defaults_apply_when_fields_are_absent() {
        let tool = parse(
            "ping",
            "description = \"Ping.\"\nurl = \"https://x.example/ping\"\n",
        )
        .expect("loads");
        assert_eq!(tool.method(), "GET");
        assert_eq!(tool.timeout(), Duration::from_millis(5000));
        assert_eq!(tool.say_while_waiting(), None);
        assert!(!tool.mutating());
        assert_eq!(
            tool.parameters(),
            &json!({"type": "object", "properties": {}})
        );
        let blank = parse(
            "ping",
            "description = \"Ping.\"\nurl = \"https://x.example\"\nsay_while_waiting = \"  \"\n",
        )
        .expect("loads");
        assert_eq!(blank.say_while_waiting(), None);
    }

    #[test]
    fn mutating_defaults_by_method_and_can_be_set() {
        let base = "description = \"d\"\nurl = \"https://x.example\"\n";
        for (method, expected) in [
            ("get", false),
            ("POST", true),
            ("put", true),
            ("Patch", true),
            ("DELETE", true),
        ] {
            let tool = parse("t", &format!("{base}method = \"{method}\"\n")).expect("loads");
            assert_eq!(tool.mutating(), expected, "{method}");
            assert_eq!(tool.method(), method.to_ascii_uppercase());
        }
        let post =
            parse("t", &format!("{base}method = \"POST\"\nmutating = false\n")).expect("loads");
        assert!(!post.mutating());
        let get = parse("t", &format!("{base}mutating = true\n")).expect("loads");
        assert!(get.mutating());
    }

    #[test]
    fn static_arguments_are_removed_from_the_schema() {
        let tool = parse(
            "create_ticket",
            r#"
description = "Open a ticket."
method = "POST"
url = "https://x.example/{tenant}/tickets"
[static]
tenant = "acme"
api_key = "${ORDERS_API_KEY}"
[parameters]
type = "object"
required = ["tenant", "subject"]
[parameters.properties.tenant]
type = "string"
[parameters.properties.subject]
type = "string"
"#,
        )
        .expect("loads");
        assert_eq!(
            tool.parameters(),
            &json!({
                "type": "object",
                "required": ["subject"],
                "properties": {"subject": {"type": "string"}}
            })
        );
        assert_eq!(tool.statics["tenant"], "acme");
        assert_eq!(tool.statics["api_key"], SECRET);
        let only_static = parse(
            "t",
            r#"
description = "d"
url = "https://x.example"
[static]
tenant = "acme"
[parameters]
type = "object"
required = ["tenant"]
properties = { tenant = { type = "string" } }
"#,
        )
        .expect("loads");
        assert_eq!(
            only_static.parameters(),
            &json!({"type": "object", "properties": {}})
        );
    }

    #[test]
    fn a_bad_file_name_is_rejected() {
        let dir = TempDir::new();
        dir.write(
            "bad name.toml",
            "description = \"d\"\nurl = \"https://x.example\"\n",
        );
        let e = Toolbox::load(&dir.0, &env).expect_err("bad name");
        assert!(e.to_string().contains("bad name.toml"), "{e}");
        assert!(e.to_string().contains("must be 1 to 64 letters"), "{e}");
        assert!(e.field.is_empty());
        let long = "x".repeat(65);
        assert!(parse(&long, "description = \"d\"\nurl = \"https://x.example\"\n").is_err());
        assert!(parse(
            &"x".repeat(64),
            "description = \"d\"\nurl = \"https://x.example\"\n"
        )
        .is_ok());
    }

    const SHOW_TEXT: &str = r#"
client = true
description = "Show a short text on the caller's screen."
say_while_waiting = "I'm putting it on your screen."
[parameters]
type = "object"
required = ["text"]
[parameters.properties.title]
type = "string"
[parameters.properties.text]
type = "string"
"#;

    #[test]
    fn a_client_tool_loads_without_a_url() {
        let tool = parse("show_text", SHOW_TEXT).expect("loads");
        assert!(tool.client());
        assert!(!tool.mutating());
        assert_eq!(tool.timeout(), Duration::from_millis(10_000));
        assert_eq!(tool.url_template(), "");
        assert_eq!(
            tool.say_while_waiting(),
            Some("I'm putting it on your screen.")
        );
        assert_eq!(tool.parameters()["required"], json!(["text"]));
        let faster = parse("show_text", &format!("timeout_ms = 300\n{SHOW_TEXT}")).expect("loads");
        assert_eq!(faster.timeout(), Duration::from_millis(300));
        let http = parse("get_order", GET_ORDER).expect("loads");
        assert!(!http.client());
        let not_client = parse(
            "x",
            "client = false\ndescription = \"d\"\nurl = \"https://x.example\"\n",
        )
        .expect("loads");
        assert!(!not_client.client());
    }

    #[test]
    fn a_client_tool_with_http_fields_names_the_field() {
        for (line, field) in [
            ("url = \"https://x.example\"\n", "url"),
            ("method = \"POST\"\n", "method"),
            ("mutating = true\n", "mutating"),
            ("[headers]\nX-A = \"b\"\n", "headers"),
            ("[static]\nkey = \"v\"\n", "static"),
        ] {
            let text = format!("client = true\ndescription = \"d\"\n{line}");
            let e = parse("show_text", &text).expect_err(field);
            assert_eq!(e.field, field);
            assert!(
                e.to_string()
                    .starts_with(&format!("tools/show_text.toml: {field}: a client tool")),
                "{e}"
            );
        }
        assert_eq!(
            parse_err("x", "client = \"yes\"\ndescription = \"d\"\n"),
            "tools/x.toml: client: must be true or false"
        );
    }

    #[test]
    fn end_call_is_reserved() {
        let e = parse_err(
            "end_call",
            "description = \"d\"\nurl = \"https://x.example\"\n",
        );
        assert_eq!(
            e,
            "tools/end_call.toml: the name end_call is reserved for the built-in tool that ends the call"
        );
    }

    #[test]
    fn missing_and_malformed_fields_are_named() {
        assert_eq!(
            parse_err("x", "url = \"https://x.example\"\n"),
            "tools/x.toml: description: missing"
        );
        assert_eq!(
            parse_err("x", "description = \" \"\nurl = \"https://x.example\"\n"),
            "tools/x.toml: description: must not be empty"
        );
        assert_eq!(
            parse_err("x", "description = 3\nurl = \"https://x.example\"\n"),
            "tools/x.toml: description: must be a string"
        );
        assert_eq!(
            parse_err("x", "description = \"d\"\n"),
            "tools/x.toml: url: missing"
        );
        let base = "description = \"d\"\nurl = \"https://x.example\"\n";
        assert_eq!(
            parse_err("x", &format!("{base}method = \"HEAD\"\n")),
            "tools/x.toml: method: \"HEAD\" is not one of GET, POST, PUT, PATCH, DELETE"
        );
        for bad in ["0", "120001", "-5", "\"3000\"", "2.5"] {
            let e = parse_err("x", &format!("{base}timeout_ms = {bad}\n"));
            assert!(e.starts_with("tools/x.toml: timeout_ms: must be"), "{e}");
        }
        assert!(parse("x", &format!("{base}timeout_ms = 120000\n")).is_ok());
        assert_eq!(
            parse_err("x", &format!("{base}mutating = \"yes\"\n")),
            "tools/x.toml: mutating: must be true or false"
        );
        assert_eq!(
            parse_err("x", &format!("{base}[headers]\nX-Count = 3\n")),
            "tools/x.toml: headers.X-Count: must be a string"
        );
        assert_eq!(
            parse_err("x", &format!("{base}[headers]\n\"Bad Name\" = \"v\"\n")),
            "tools/x.toml: headers.Bad Name: not a valid HTTP header name"
        );
    }

    #[test]
    fn urls_must_be_http_and_well_formed() {
        let ok = |url: &str| parse("x", &format!("description = \"d\"\nurl = \"{url}\"\n"));
        assert!(ok("http://127.0.0.1:8080/a/{id}?q={q}").is_ok());
        assert!(ok("${BASE}/orders/{id}").is_ok());
        for (url, problem) in [
            ("ftp://x.example/", "must start with http:// or https://"),
            ("x.example/orders", "not a valid URL"),
            ("https://x.example/{id", "has no closing }"),
            ("https://x.example/{a b}", "is not a valid placeholder"),
            ("https://x.example/${NOPE}", "${NOPE} is not set"),
        ] {
            let e = ok(url).expect_err(url).to_string();
            assert!(e.starts_with("tools/x.toml: url: "), "{e}");
            assert!(e.contains(problem), "{url}: {e}");
        }
        let tool = ok("${BASE}/orders/{id}").expect("loads");
        assert_eq!(tool.url_template(), "${BASE}/orders/{id}");
        assert!(matches!(tool.url, ToolUrl::Parts(_)));
        let parts = tool
            .url_parts(&CallContext::default(), &Now::utc())
            .expect("fixed parts");
        assert_eq!(
            crate::tools::placeholders(&parts).collect::<Vec<_>>(),
            ["id"]
        );
    }

    const CRM: &str = r#"
description = "Look up the caller's account."
url = "https://crm.example.com/accounts/{{ metadata.account_id }}/orders/{order_id}"
[headers]
Authorization = "Bearer ${CRM_KEY}"
X-Caller = "{{ from_phone_number | default('web') }}"
[static]
agent = "{{ agent }}"
conversation = "{{ conversation_id }}"
tenant = "acme"
[parameters]
type = "object"
required = ["order_id"]
[parameters.properties.order_id]
type = "string"
"#;

    #[test]
    fn the_templated_example_loads() {
        let tool = parse("crm", CRM).expect("loads");
        assert_eq!(
            tool.url_template(),
            "https://crm.example.com/accounts/{{ metadata.account_id }}/orders/{order_id}"
        );
        assert!(matches!(tool.url, ToolUrl::Template(_)));
        let kinds: Vec<(&str, bool)> = tool
            .headers
            .iter()
            .map(|(name, text)| (name.as_str(), matches!(text, Text::Template(_))))
            .collect();
        assert_eq!(kinds, [("authorization", false), ("x-caller", true)]);
        let Text::Fixed(key) = &tool.headers[0].1 else {
            panic!("a fixed header");
        };
        assert_eq!(key.expose(), format!("Bearer {SECRET}"));
        let templated: Vec<&str> = tool
            .static_templates
            .iter()
            .map(|(key, _)| key.as_str())
            .collect();
        assert_eq!(templated, ["agent", "conversation"]);
        assert_eq!(
            tool.parameters(),
            &json!({
                "type": "object",
                "required": ["order_id"],
                "properties": {"order_id": {"type": "string"}}
            })
        );
        let sample = CallContext::sample("sales");
        let parts = tool.url_parts(&sample, &Now::utc()).expect("renders");
        assert_eq!(
            crate::tools::placeholders(&parts).collect::<Vec<_>>(),
            ["order_id"]
        );
        let args = tool
            .arguments(r#"{"order_id": "A1"}"#, &sample, &Now::utc())
            .expect("valid");
        assert_eq!(args["agent"], "sales");
        assert_eq!(args["conversation"], "conv_sample");
        assert_eq!(args["tenant"], "acme");
    }

    #[test]
    fn a_template_that_does_not_compile_names_the_file_and_field() {
        let e = parse(
            "crm",
            &CRM.replace("{{ from_phone_number | default('web') }}", "{{ x "),
        )
        .expect_err("a broken header template");
        assert_eq!(e.field, "headers.X-Caller");
        let text = e.to_string();
        assert!(
            text.starts_with("tools/crm.toml: headers.X-Caller: line 1: "),
            "{text}"
        );

        let e = parse("crm", &CRM.replace("{{ metadata.account_id }}", "{% if %}"))
            .expect_err("a broken URL template");
        assert_eq!(e.field, "url");
        assert!(
            e.to_string().starts_with("tools/crm.toml: url: line 1: "),
            "{e}"
        );

        let e = parse("crm", &CRM.replace("{{ agent }}", "{{ agent | nope }}"))
            .expect_err("an unknown filter");
        assert_eq!(e.field, "static.agent");
        assert!(e.problem.starts_with("line 1: "), "{e}");
        assert!(e.problem.contains("nope"), "{e}");
    }

    #[test]
    fn a_url_template_is_checked_with_sample_values() {
        let ok = |url: &str| parse("x", &format!("description = \"d\"\nurl = \"{url}\"\n"));
        assert!(ok("https://x.example/{{ agent }}/{id}?q={q}").is_ok());
        assert!(ok("${BASE}/{{ metadata.account_id }}").is_ok());
        for (url, problem) in [
            (
                "ftp://x.example/{{ agent }}",
                "must start with http:// or https://",
            ),
            ("{{ agent }}/orders", "not a valid URL"),
            ("https://x.example/{{ agent }}/{id", "has no closing }"),
            (
                "https://x.example/{{ agent }}/{a b}",
                "is not a valid placeholder",
            ),
            (
                "https://x.example/${NOPE}/{{ agent }}",
                "${NOPE} is not set",
            ),
        ] {
            let e = ok(url).expect_err(url).to_string();
            assert!(e.starts_with("tools/x.toml: url: "), "{e}");
            assert!(e.contains(problem), "{url}: {e}");
        }
        let tool = ok("${BASE}/{{ agent }}").expect("loads");
        assert_eq!(tool.url_template(), "${BASE}/{{ agent }}");
        assert!(!format!("{tool:?}").contains("base.example.com"));
    }

    #[test]
    fn a_template_may_come_from_a_variable_and_text_without_syntax_stays_fixed() {
        let env = |name: &str| (name == "CALLER").then(|| "{{ agent }}".to_string());
        let text = "description = \"d\"\nurl = \"https://x.example/a\"\n[headers]\nX-A = \"${CALLER}\"\nX-B = \"{x} }} {\"\n";
        let tool = parse_tool(Path::new("tools/x.toml"), "x", text, &env).expect("loads");
        assert!(matches!(tool.headers[0].1, Text::Template(_)));
        assert!(matches!(tool.headers[1].1, Text::Fixed(_)));
        assert!(matches!(tool.url, ToolUrl::Parts(_)));
    }

    #[test]
    fn bad_toml_names_the_file_and_line() {
        let e = parse_err(
            "x",
            "description = \"d\"\nurl = \"https://x.example\"\nheaders = [\n",
        );
        assert!(
            e.starts_with("tools/x.toml: not valid TOML: line 4, column 1: "),
            "{e}"
        );
        assert!(!e.contains('\n'), "{e}");
        let e = parse_err(
            "x",
            "description = \"d\"\nAuthorization = \"Bearer sk-abc\" x\n",
        );
        assert!(
            e.starts_with("tools/x.toml: not valid TOML: line 2, column"),
            "{e}"
        );
        assert!(!e.contains("sk-abc"), "the file's text is not quoted: {e}");
    }

    #[test]
    fn an_unset_variable_names_the_header_and_variable_only() {
        let text = GET_ORDER.replace("ORDERS_API_KEY", "MISSING_KEY");
        assert_eq!(
            parse_err("get_order", &text),
            "tools/get_order.toml: headers.Authorization: ${MISSING_KEY} is not set"
        );
        let empty = GET_ORDER.replace("ORDERS_API_KEY", "EMPTY");
        assert_eq!(
            parse_err("get_order", &empty),
            "tools/get_order.toml: headers.Authorization: ${EMPTY} is not set"
        );
        let static_unset =
            "description = \"d\"\nurl = \"https://x.example\"\n[static]\nkey = \"${NOPE}\"\n";
        assert_eq!(
            parse_err("x", static_unset),
            "tools/x.toml: static.key: ${NOPE} is not set"
        );
    }

    #[test]
    fn a_header_value_that_is_no_valid_header_keeps_the_secret_out() {
        let env_with_newline = |name: &str| (name == "K").then(|| "line1\nsecret-part".to_string());
        let text =
            "description = \"d\"\nurl = \"https://x.example\"\n[headers]\nX-Key = \"${K}\"\n";
        let e = parse_tool(Path::new("tools/x.toml"), "x", text, &env_with_newline)
            .expect_err("invalid header value")
            .to_string();
        assert!(e.starts_with("tools/x.toml: headers.X-Key: not a valid HTTP header value"));
        assert!(!e.contains("secret-part"));
    }

    #[test]
    fn a_lone_dollar_stays_as_written() {
        assert_eq!(
            resolve_env("cost $5 and $ {x}", &env).as_deref(),
            Ok("cost $5 and $ {x}")
        );
        assert_eq!(
            resolve_env("Bearer ${ORDERS_API_KEY}!", &env).as_deref(),
            Ok(format!("Bearer {SECRET}!").as_str())
        );
        assert_eq!(resolve_env("é$", &env).as_deref(), Ok("é$"));
        assert!(resolve_env("${1X}", &env).is_err());
        assert!(resolve_env("${X", &env).is_err());
    }

    #[test]
    fn an_invalid_schema_is_rejected() {
        let base = "description = \"d\"\nurl = \"https://x.example\"\n";
        let e = parse_err(
            "x",
            &format!(
                "{base}[parameters]\ntype = \"object\"\n[parameters.properties.id]\ntype = 17\n"
            ),
        );
        assert!(
            e.starts_with("tools/x.toml: parameters: not a valid JSON Schema: "),
            "{e}"
        );
        let e = parse_err("x", &format!("{base}[parameters]\ntype = \"array\"\n"));
        assert_eq!(e, "tools/x.toml: parameters.type: must be \"object\"");
        let e = parse_err("x", &format!("{base}[parameters]\nproperties = {{}}\n"));
        assert_eq!(e, "tools/x.toml: parameters.type: must be \"object\"");
        let e = parse_err("x", &format!("{base}parameters = \"object\"\n"));
        assert_eq!(
            e,
            "tools/x.toml: parameters: must be a table (a JSON Schema)"
        );
    }

    #[test]
    fn an_unknown_field_is_named() {
        let e = parse_err(
            "x",
            "descripton = \"d\"\ndescription = \"d\"\nurl = \"https://x.example\"\n",
        );
        assert!(
            e.starts_with("tools/x.toml: descripton: unknown field"),
            "{e}"
        );
    }

    #[test]
    fn debug_does_not_show_secrets() {
        let text = GET_ORDER.replace("[headers]", "url_extra_is_not_a_field = false\n[headers]");
        assert!(parse("get_order", &text).is_err());
        let with_static = format!(
            "{}\n[static]\ntoken = \"${{ORDERS_API_KEY}}\"\n",
            GET_ORDER.replace(
                "orders/{order_id}",
                "orders/{order_id}?key=${ORDERS_API_KEY}"
            )
        );
        // [static] after [parameters.properties.order_id] starts a new table, as intended.
        let tool = parse("get_order", &with_static).expect("loads");
        let debug = format!("{tool:?}");
        assert!(!debug.contains(SECRET), "{debug}");
        assert!(debug.contains("authorization"), "{debug}");
        assert!(debug.contains("token"), "{debug}");
        let toolbox = Toolbox::from_tools(vec![tool]);
        assert!(!format!("{toolbox:?}").contains(SECRET));
    }
}
