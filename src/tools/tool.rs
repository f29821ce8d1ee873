//! One tool as loaded: its HTTP method, URL, headers and arguments, what the model sees
//! of it, and a `Debug` that shows no value that may hold a secret.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use reqwest::header::HeaderName;
use serde_json::{Map, Value};

use super::file::url::{split_url, ToolUrl, UrlPart};
use crate::secret::Secret;
use crate::template::{CallContext, Now, Template};

/// The HTTP method of a tool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Method {
    Get,
    Post,
    Put,
    Patch,
    Delete,
}

impl Method {
    /// Parses a method name, case-insensitively.
    pub(super) fn parse(text: &str) -> Option<Method> {
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
    pub(super) fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
        }
    }

    /// True when the arguments go into a JSON body rather than the query string.
    pub(super) fn has_body(self) -> bool {
        matches!(self, Method::Post | Method::Put | Method::Patch)
    }
}

/// A header value or `[static]` string from a tool file: fixed text, or a template rendered
/// for every call. Either may hold a resolved secret, so `Debug` shows neither.
#[derive(Clone)]
pub(super) enum Text {
    /// No template syntax: the text, `${VAR}` resolved.
    Fixed(Secret),
    /// A template (`${VAR}` resolved before compiling).
    Template(Template),
}

impl Text {
    /// The text for one call: fixed text as it is, a template rendered with `context`.
    pub(super) fn render(&self, context: &CallContext, now: &Now) -> Cow<'_, str> {
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
    pub(super) name: String,
    pub(super) description: String,
    pub(super) method: Method,
    pub(super) url_template: String,
    pub(super) url: ToolUrl,
    pub(super) timeout: Duration,
    pub(super) say_while_waiting: Option<String>,
    pub(super) headers: Vec<(HeaderName, Text)>,
    /// The schema the model sees: `[parameters]` without the static arguments.
    pub(super) parameters: Value,
    pub(super) validator: Arc<jsonschema::Validator>,
    /// Server-controlled arguments; string values may hold resolved secrets. A templated
    /// string holds its source here and its template in `static_templates`.
    pub(super) statics: Map<String, Value>,
    /// The `[static]` strings that are templates, rendered for every call.
    pub(super) static_templates: Vec<(String, Template)>,
    pub(super) mutating: bool,
    /// `follow_redirects = "same-origin"`: a redirect to the request's own origin is
    /// followed (none is by default).
    pub(super) same_origin_redirects: bool,
    /// Run by the caller's browser (`client = true`): no URL, never mutating.
    pub(super) client: bool,
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

    /// True when the file lets a redirect to the request's own origin be followed
    /// (`follow_redirects = "same-origin"`); otherwise no redirect is.
    pub fn follows_same_origin_redirects(&self) -> bool {
        self.same_origin_redirects
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
    pub(super) fn definition(&self) -> Value {
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
    pub(super) fn url_parts(
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
                split_url(&rendered)
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
    fn methods_parse_case_insensitively() {
        assert_eq!(Method::parse("get"), Some(Method::Get));
        assert_eq!(Method::parse("Patch"), Some(Method::Patch));
        assert_eq!(Method::parse("DELETE"), Some(Method::Delete));
        assert_eq!(Method::parse("HEAD"), None);
        assert!(Method::Post.has_body());
        assert!(!Method::Delete.has_body());
    }
}
