//! The model's argument string as the arguments of one invocation: parsed, checked against
//! the schema the model saw, cut down to the arguments it declares, `[static]` applied,
//! every URL placeholder filled.

use serde_json::{Map, Value};

use crate::template::{CallContext, Now};
use crate::toml_file::cut;
use crate::tools::describe;
use crate::tools::file::url::placeholders;
use crate::tools::tool::Tool;

/// The longest argument error given back to the model.
const MAX_ARGUMENT_ERROR_CHARS: usize = 300;

/// An argument as text: strings as they are, anything else as JSON text.
pub(super) fn plain(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Why `value` cannot fill the URL placeholder `name`, if it cannot.
pub(super) fn placeholder_problem(name: &str, value: Option<&Value>) -> Option<String> {
    match value {
        None | Some(Value::Null) => Some(format!("missing argument \"{name}\" for the URL")),
        // `.` and `..` would move up the URL's path even when percent-encoded.
        Some(value) if matches!(plain(value).as_str(), "." | "..") => Some(format!(
            "argument \"{name}\" cannot be \".\" or \"..\" in the URL"
        )),
        // Empty, the URL would name another endpoint (`/orders/` for `/orders/{id}`); a
        // slash, once a server decodes it, too.
        Some(value) if plain(value).chars().all(|c| c == '/') => Some(format!(
            "argument \"{name}\" cannot be empty or only slashes in the URL"
        )),
        Some(_) => None,
    }
}

/// The name of a JSON value's type, for error messages.
fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// The arguments one invocation sends, and the names of those the model sent that the
/// tool's parameters do not declare (not sent).
#[derive(Debug, Clone, PartialEq)]
pub struct SentArguments {
    /// What is sent.
    pub values: Map<String, Value>,
    /// Undeclared arguments the model sent, dropped.
    pub dropped: Vec<String>,
}

impl Tool {
    /// [`Tool::sent_arguments`]'s values alone.
    pub fn arguments(
        &self,
        raw: &str,
        context: &CallContext,
        now: &Now,
    ) -> Result<Map<String, Value>, String> {
        self.sent_arguments(raw, context, now)
            .map(|sent| sent.values)
    }

    /// Parses the model's argument string (JSON; an empty or whitespace-only string counts
    /// as `{}`), checks it is an object and valid against the schema the model saw, then
    /// drops the arguments the schema's `properties` do not declare (unless a URL
    /// placeholder names them: mass assignment stops here), applies `[static]` (static
    /// arguments override the model's; they are removed from the model's arguments before
    /// the schema check; a templated static string is rendered with `context` and `now`)
    /// and checks every placeholder of the URL, as rendered with `context`, has a value
    /// that is not empty, only slashes, `.` or `..`. `Err` is a short message safe to give
    /// the model (at most about 300 characters, never a header or static value).
    pub fn sent_arguments(
        &self,
        raw: &str,
        context: &CallContext,
        now: &Now,
    ) -> Result<SentArguments, String> {
        let mut arguments = if raw.trim().is_empty() {
            Map::new()
        } else {
            match serde_json::from_str::<Value>(raw) {
                Ok(Value::Object(map)) => map,
                Ok(other) => {
                    return Err(format!(
                        "arguments must be a JSON object, not {}",
                        type_name(&other)
                    ))
                }
                Err(e) => {
                    return Err(cut(
                        &format!("arguments are not valid JSON: {e}"),
                        MAX_ARGUMENT_ERROR_CHARS,
                    ))
                }
            }
        };
        for key in self.statics.keys() {
            arguments.remove(key);
        }
        let instance = Value::Object(arguments);
        if let Err(e) = self.validator.validate(&instance) {
            return Err(cut(
                &format!("arguments do not match the schema: {}", describe(&e)),
                MAX_ARGUMENT_ERROR_CHARS,
            ));
        }
        let Value::Object(mut arguments) = instance else {
            return Err("arguments must be a JSON object".into());
        };
        let parts = self.url_parts(context, now)?;
        let undeclared: Vec<String> = arguments
            .keys()
            .filter(|key| !self.declares(key) && !placeholders(&parts).any(|name| name == *key))
            .cloned()
            .collect();
        if !undeclared.is_empty() {
            tracing::debug!(tool = %self.name, arguments = ?undeclared,
                "arguments the tool's parameters do not declare are not sent");
            arguments.retain(|key, _| !undeclared.contains(key));
        }
        for (key, value) in &self.statics {
            arguments.insert(key.clone(), value.clone());
        }
        for (key, template) in &self.static_templates {
            arguments.insert(key.clone(), Value::String(template.render(context, now)));
        }
        for name in placeholders(&parts) {
            if let Some(problem) = placeholder_problem(name, arguments.get(name)) {
                return Err(problem);
            }
        }
        Ok(SentArguments {
            values: arguments,
            dropped: undeclared,
        })
    }

    /// True when the schema the model sees declares the argument `name` in `properties`.
    fn declares(&self, name: &str) -> bool {
        self.parameters
            .get("properties")
            .and_then(Value::as_object)
            .is_some_and(|properties| properties.contains_key(name))
    }
}
