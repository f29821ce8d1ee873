//! Tool calls and their results as the chat-completions API writes them inside a
//! conversation's history.

use serde::{Deserialize, Serialize};

/// A tool call as the chat-completions API writes it in an assistant message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ToolCall {
    /// The call's id; its result names it.
    pub id: String,
    /// Always `function`.
    #[serde(rename = "type", default = "function_kind")]
    pub kind: String,
    /// Which tool, with what arguments.
    pub function: FunctionCall,
}

fn function_kind() -> String {
    "function".to_string()
}

impl ToolCall {
    /// A function call.
    pub fn new(
        id: impl Into<String>,
        name: impl Into<String>,
        arguments: impl Into<String>,
    ) -> Self {
        Self {
            id: id.into(),
            kind: function_kind(),
            function: FunctionCall {
                name: name.into(),
                arguments: arguments.into(),
            },
        }
    }

    /// Characters counted against the history's size limit.
    pub(super) fn chars(&self) -> usize {
        self.function.name.chars().count() + self.function.arguments.chars().count()
    }
}

/// The tool and arguments of a [`ToolCall`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FunctionCall {
    /// The tool's name.
    pub name: String,
    /// The arguments as the model wrote them (a JSON object, as text).
    pub arguments: String,
}

/// A tool's answer to one call, as a chat-completions `tool` message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ToolResult {
    /// Always `tool`.
    #[serde(default)]
    pub role: ToolRole,
    /// The call answered.
    pub tool_call_id: String,
    /// What the model reads: the tool's response, or a short error.
    pub content: String,
}

impl ToolResult {
    /// The result of call `id`.
    pub fn new(id: impl Into<String>, content: impl Into<String>) -> Self {
        Self {
            role: ToolRole::Tool,
            tool_call_id: id.into(),
            content: content.into(),
        }
    }
}

/// The role of a tool result; it has one value.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ToolRole {
    /// A tool's answer.
    #[default]
    Tool,
}

/// The result stored for a call whose answer was never recorded, so every call sent
/// upstream is followed by a result for its id.
pub const NO_RESULT: &str = r#"{"error":"no result was recorded for this call"}"#;
