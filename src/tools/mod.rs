//! Tools the model may call: one TOML file per tool in a folder, each describing one HTTP
//! endpoint. `file` loads and checks the files at start-up (every problem stops the server
//! with a message naming the file and the field); `invoke` turns the model's arguments into
//! one HTTP request and its response into text for the model.
//!
//! A tool file, `tools/get_order.toml` (the file stem is the tool's name):
//!
//! ```toml
//! description = "Look up the status of an order by its number."
//! method = "GET"
//! url = "https://api.example.com/orders/{order_id}"
//! timeout_ms = 3000
//! say_while_waiting = "One moment while I look that up."
//!
//! [headers]
//! Authorization = "Bearer ${ORDERS_API_KEY}"
//!
//! [parameters]
//! type = "object"
//! required = ["order_id"]
//! [parameters.properties.order_id]
//! type = "string"
//! description = "The order number, like A17."
//! ```
//!
//! A file with `client = true` is a client tool instead: no `url`, `method`, `[headers]`
//! or `[static]`; the caller's browser runs it (see `crate::turn::ClientCalls`).
//!
//! Secrets (`${VAR}` values in headers, the URL and `[static]`) are resolved once at load
//! and kept as [`Secret`]s: they appear in no `Debug` output, error or log line. An
//! endpoint's answer (a success body or a quoted error) that echoes a header value, a
//! `${VAR}` from the URL's query or user info, a `[static]` value sent in a query, or any
//! `${VAR}` whose name says secret has it replaced by `[redacted]` before the model reads
//! it (values of 8 bytes or more, also as the request encodes them; see `file::secrets`).
//!
//! The URL, header values and `[static]` string values may be templates (Jinja syntax, the
//! variables of [`crate::template`]: `{{ metadata.account_id }}`, `{{ from_phone_number }}`,
//! …), compiled at load (after `${VAR}` is resolved) and rendered for every call with the
//! turn's [`CallContext`]. A value a URL template prints is percent-encoded like an
//! `{arg}` placeholder's. Text without template syntax costs nothing per call.

#![warn(missing_docs)]

mod failure;
mod file;
mod invoke;

use std::borrow::Cow;
use std::fmt;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use reqwest::header::HeaderName;
use serde_json::{Map, Value};

use crate::secret::Secret;
use crate::template::{CallContext, Now, Template};
use file::url::{ToolUrl, UrlPart};

pub use failure::{ToolFailure, ToolFailureKind};
pub use file::ToolFileError;

/// The built-in tool that ends the call (`END_CALL_TOOL`); no tool file may take its name.
pub const END_CALL: &str = "end_call";

/// What a filled-in `{placeholder}` keeps unencoded: RFC 3986's unreserved characters.
pub(crate) const SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// The shortest resolved value or header value that is redacted from responses.
pub(crate) const MIN_SECRET_LEN: usize = 8;

/// The longest a schema problem is quoted in an error.
const MAX_PROBLEM_CHARS: usize = 300;

/// A JSON Schema error, with where it is when that is known, cut to a readable length.
pub(crate) fn describe(e: &jsonschema::ValidationError<'_>) -> String {
    let path = e.instance_path().as_str();
    let text = if path.is_empty() {
        e.to_string()
    } else {
        format!("at {path}: {e}")
    };
    crate::toml_file::cut(&text, MAX_PROBLEM_CHARS)
}

/// The HTTP tools loaded from a folder, sorted by name, with their model-facing definitions
/// computed once.
#[derive(Debug, Clone, Default)]
pub struct Toolbox {
    tools: Vec<Tool>,
    definitions: Vec<Value>,
}

impl Toolbox {
    /// Loads every `*.toml` in `dir`; a missing dir is an empty toolbox. `env` looks up the
    /// `${VAR}` references in header values, URLs and static arguments.
    pub fn load(
        dir: &Path,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Toolbox, ToolFileError> {
        let tools = file::load_dir(dir, env)?;
        Ok(Self::from_tools(tools))
    }

    /// A toolbox with no tools.
    pub fn empty() -> Toolbox {
        Self::default()
    }

    fn from_tools(mut tools: Vec<Tool>) -> Toolbox {
        tools.sort_by(|a, b| a.name.cmp(&b.name));
        let definitions = tools.iter().map(Tool::definition).collect();
        Toolbox { tools, definitions }
    }

    /// True when there are no tools.
    pub fn is_empty(&self) -> bool {
        self.tools.is_empty()
    }

    /// How many tools there are.
    pub fn len(&self) -> usize {
        self.tools.len()
    }

    /// The tools, sorted by name.
    pub fn tools(&self) -> &[Tool] {
        &self.tools
    }

    /// The tool called `name`, if there is one.
    pub fn get(&self, name: &str) -> Option<&Tool> {
        self.tools
            .binary_search_by(|tool| tool.name.as_str().cmp(name))
            .ok()
            .and_then(|i| self.tools.get(i))
    }

    /// OpenAI function-tool definitions, one per tool, in order:
    /// `{"type":"function","function":{"name":…, "description":…, "parameters": <schema without static args>}}`
    pub fn definitions(&self) -> &[Value] {
        &self.definitions
    }
}

/// The HTTP method of a tool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Method {
    Get,
    Post,
    Put,
    Patch,
    Delete,
}

impl Method {
    /// Parses a method name, case-insensitively.
    pub(crate) fn parse(text: &str) -> Option<Method> {
        match text.to_ascii_uppercase().as_str() {
            "GET" => Some(Method::Get),
            "POST" => Some(Method::Post),
            "PUT" => Some(Method::Put),
            "PATCH" => Some(Method::Patch),
            "DELETE" => Some(Method::Delete),
            _ => None,
        }
    }

    /// The method's name in capitals.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
        }
    }

    /// True when the arguments go into a JSON body rather than the query string.
    pub(crate) fn has_body(self) -> bool {
        matches!(self, Method::Post | Method::Put | Method::Patch)
    }
}

/// A header value or `[static]` string from a tool file: fixed text, or a template rendered
/// for every call. Either may hold a resolved secret, so `Debug` shows neither.
#[derive(Clone)]
pub(crate) enum Text {
    /// No template syntax: the text, `${VAR}` resolved.
    Fixed(Secret),
    /// A template (`${VAR}` resolved before compiling).
    Template(Template),
}

impl Text {
    /// The text for one call: fixed text as it is, a template rendered with `context`.
    pub(crate) fn render(&self, context: &CallContext, now: &Now) -> Cow<'_, str> {
        match self {
            Text::Fixed(secret) => Cow::Borrowed(secret.expose()),
            Text::Template(template) => Cow::Owned(template.render(context, now)),
        }
    }
}

impl fmt::Debug for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Text::Fixed(_) => f.write_str("Fixed([redacted])"),
            Text::Template(_) => f.write_str("Template([redacted])"),
        }
    }
}

/// One tool: an HTTP endpoint the model may call. `Debug` shows header names and static
/// argument names, never their values.
#[derive(Clone)]
pub struct Tool {
    pub(in crate::tools) name: String,
    pub(in crate::tools) description: String,
    pub(in crate::tools) method: Method,
    pub(in crate::tools) url_template: String,
    pub(in crate::tools) url: ToolUrl,
    pub(in crate::tools) timeout: Duration,
    pub(in crate::tools) say_while_waiting: Option<String>,
    pub(in crate::tools) headers: Vec<(HeaderName, Text)>,
    /// The schema the model sees: `[parameters]` without the static arguments.
    pub(in crate::tools) parameters: Value,
    pub(in crate::tools) validator: Arc<jsonschema::Validator>,
    /// Server-controlled arguments; string values may hold resolved secrets. A templated
    /// string holds its source here and its template in `static_templates`.
    pub(in crate::tools) statics: Map<String, Value>,
    /// The `[static]` strings that are templates, rendered for every call.
    pub(in crate::tools) static_templates: Vec<(String, Template)>,
    pub(in crate::tools) mutating: bool,
    /// Run by the caller's browser (`client = true`): no URL, never mutating.
    pub(in crate::tools) client: bool,
    /// The resolved `${VAR}` values the file uses, redacted from whatever the endpoint
    /// answers.
    pub(crate) secrets: Vec<Secret>,
}

impl fmt::Debug for Tool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let header_names: Vec<&str> = self.headers.iter().map(|(n, _)| n.as_str()).collect();
        let static_names: Vec<&String> = self.statics.keys().collect();
        f.debug_struct("Tool")
            .field("name", &self.name)
            .field("method", &self.method.as_str())
            .field("url_template", &self.url_template)
            .field("timeout", &self.timeout)
            .field("mutating", &self.mutating)
            .field("client", &self.client)
            .field("say_while_waiting", &self.say_while_waiting)
            .field("headers", &header_names)
            .field("static", &static_names)
            .field("parameters", &self.parameters)
            .finish_non_exhaustive()
    }
}

impl Tool {
    /// The tool's name: its file stem.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// What the tool does, for the model.
    pub fn description(&self) -> &str {
        &self.description
    }

    /// The HTTP method in capitals: `GET`, `POST`, `PUT`, `PATCH` or `DELETE`.
    pub fn method(&self) -> &str {
        self.method.as_str()
    }

    /// True when calling the tool may change something (never retried). Defaults to false
    /// for `GET` and true otherwise; `mutating = …` in the file overrides.
    pub fn mutating(&self) -> bool {
        self.mutating
    }

    /// True for a client tool (`client = true`): the caller's browser runs it, answering
    /// a `tool_call` data event with a `tool_result` data webhook.
    pub fn client(&self) -> bool {
        self.client
    }

    /// The bound on one whole call, reading the response included (for a client tool,
    /// the wait for the page's answer).
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// What the agent may say while the call runs, if the file gives it.
    pub fn say_while_waiting(&self) -> Option<&str> {
        self.say_while_waiting.as_deref()
    }

    /// The URL with placeholders as written, for `voicebridge check`: `${VAR}` references
    /// are shown as written, never resolved.
    pub fn url_template(&self) -> &str {
        &self.url_template
    }

    /// The JSON Schema of the arguments the model sees (static arguments removed).
    pub fn parameters(&self) -> &Value {
        &self.parameters
    }

    /// The OpenAI function-tool definition of this tool.
    fn definition(&self) -> Value {
        serde_json::json!({
            "type": "function",
            "function": {
                "name": self.name,
                "description": self.description,
                "parameters": self.parameters,
            }
        })
    }

    /// The URL's parts for one call: the fixed ones, or the template rendered with
    /// `context` and split into text and `{arg}` placeholders. `Err` is a short message
    /// with no value in it (the template failed to render, or its rendering is not a
    /// well-formed URL template).
    pub(in crate::tools) fn url_parts(
        &self,
        context: &CallContext,
        now: &Now,
    ) -> Result<Cow<'_, [UrlPart]>, String> {
        match &self.url {
            ToolUrl::Parts(parts) => Ok(Cow::Borrowed(parts)),
            ToolUrl::Template(template) => {
                let rendered = template
                    .render_strict(context, now)
                    .ok_or("the URL could not be rendered for this call")?;
                file::url::split_url(&rendered)
                    .map(Cow::Owned)
                    .map_err(|_| "the rendered URL is not a valid URL template".to_string())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tool_and_toolbox_can_be_shared_across_tasks() {
        fn shared<T: Send + Sync + 'static>() {}
        shared::<Tool>();
        shared::<Toolbox>();
    }

    #[test]
    fn empty_toolbox_has_nothing() {
        let toolbox = Toolbox::empty();
        assert!(toolbox.is_empty());
        assert_eq!(toolbox.len(), 0);
        assert!(toolbox.tools().is_empty());
        assert!(toolbox.definitions().is_empty());
        assert!(toolbox.get("get_order").is_none());
    }

    #[test]
    fn methods_parse_case_insensitively() {
        assert_eq!(Method::parse("get"), Some(Method::Get));
        assert_eq!(Method::parse("Patch"), Some(Method::Patch));
        assert_eq!(Method::parse("DELETE"), Some(Method::Delete));
        assert_eq!(Method::parse("HEAD"), None);
        assert!(Method::Post.has_body());
        assert!(!Method::Delete.has_body());
    }
}
