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
//! or `[static]`; the caller's browser runs it (see `crate::turn::ClientToolCalls`).
//!
//! Secrets (`${VAR}` values in headers, the URL and `[static]`) are resolved once at load
//! and kept as [`Secret`]s: they appear in no `Debug` output, error or log line. An
//! endpoint's answer (a success body or a quoted error) that echoes a header value, a
//! `${VAR}` from the URL's query or user info, a `[static]` value sent in a query, or any
//! `${VAR}` whose name says secret has it replaced by `[redacted]` before the model reads
//! it (values of 8 bytes or more, also as the request encodes them; see `file::secrets`),
//! over all that was read before it is cut, with a secret's beginning left at a cut masked
//! too ([`crate::secret::redact_then_cut`]).
//!
//! The URL, header values and `[static]` string values may be templates (Jinja syntax, the
//! variables of [`crate::template`]: `{{ metadata.account_id }}`, `{{ from_phone_number }}`,
//! …), compiled at load (after `${VAR}` is resolved) and rendered for every call with the
//! turn's [`CallContext`]. A value a URL template prints is percent-encoded like an
//! `{arg}` placeholder's. Text without template syntax costs nothing per call.
//!
//! [`Secret`]: crate::secret::Secret
//! [`CallContext`]: crate::template::CallContext

#![warn(missing_docs)]

mod failure;
mod file;
mod invoke;
mod tool;

use std::path::Path;

use serde_json::Value;

pub use failure::{ToolFailure, ToolFailureKind};
pub use file::ToolFileError;
pub use invoke::SentArguments;
pub use tool::Tool;

/// The built-in tool that ends the call (`END_CALL_TOOL`); no tool file may take its name.
pub const END_CALL: &str = "end_call";

/// The built-in tool of `knowledge_mode = "tool"`; no tool file may take its name.
pub const SEARCH_KNOWLEDGE: &str = "search_knowledge";

/// What a call carries besides its arguments: a mutating call's idempotency key, and the
/// W3C `traceparent` of the tool call's span, so a traced tool server's spans join the
/// turn's trace.
#[derive(Debug, Clone, Copy, Default)]
pub struct CallMeta<'a> {
    /// `<conversation>:<turn>:<n>` of a mutating call (`Idempotency-Key`).
    pub idempotency_key: Option<&'a str>,
    /// The tool call span's `traceparent`.
    pub traceparent: Option<&'a str>,
}

/// What a filled-in `{placeholder}` keeps unencoded: RFC 3986's unreserved characters.
const SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

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
}
