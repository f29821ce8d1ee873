//! Wire types of the OpenAI-compatible chat-completions API: the request we send and the
//! parts of a streamed chunk we read. Everything else a server sends is ignored.

use serde::{Deserialize, Serialize};

use crate::session::{ChatMessage, Role};

/// The streaming request body.
#[derive(Debug, Serialize)]
pub struct ChatRequest<'a> {
    /// Model name.
    pub model: &'a str,
    /// System prompt first, then the conversation.
    pub messages: Vec<WireMessage<'a>>,
    /// Always true: we speak while the model writes.
    pub stream: bool,
    /// Asks for a final usage chunk.
    pub stream_options: StreamOptions,
    /// Sampling temperature, when configured.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f32>,
    /// Token cap, when configured.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<u32>,
}

/// `stream_options` of the request.
#[derive(Debug, Serialize)]
pub struct StreamOptions {
    /// Ask for a usage chunk at the end of the stream.
    pub include_usage: bool,
}

/// One message as sent upstream: only role and content.
#[derive(Debug, Serialize)]
pub struct WireMessage<'a> {
    /// Speaker.
    pub role: Role,
    /// Text.
    pub content: &'a str,
}

impl<'a> From<&'a ChatMessage> for WireMessage<'a> {
    fn from(message: &'a ChatMessage) -> Self {
        Self {
            role: message.role,
            content: &message.content,
        }
    }
}

/// Token counts reported by the provider.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
pub struct Usage {
    /// Tokens in the prompt.
    #[serde(default)]
    pub prompt_tokens: u64,
    /// Tokens generated.
    #[serde(default)]
    pub completion_tokens: u64,
}

/// One `data:` payload of the stream.
#[derive(Debug, Deserialize)]
pub(crate) struct ChunkWire {
    #[serde(default)]
    pub choices: Option<Vec<ChoiceWire>>,
    #[serde(default)]
    pub usage: Option<Usage>,
    #[serde(default)]
    pub error: Option<serde_json::Value>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct ChoiceWire {
    #[serde(default)]
    pub index: u32,
    #[serde(default)]
    pub delta: Option<DeltaWire>,
    #[serde(default)]
    pub finish_reason: Option<String>,
}

/// A delta: only `content` is ever spoken. Reasoning and tool-call fragments are only
/// noticed (the model is working), never spoken.
#[derive(Debug, Deserialize)]
pub(crate) struct DeltaWire {
    #[serde(default)]
    pub content: Option<String>,
    #[serde(default)]
    pub reasoning_content: Option<String>,
    #[serde(default)]
    pub reasoning: Option<String>,
    #[serde(default)]
    pub tool_calls: Option<serde_json::Value>,
}
