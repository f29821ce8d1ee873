//! A chat-completions request as the platforms send it. Only what the door uses is read;
//! other fields (`temperature`, `max_tokens`, `tool_choice`, …) are ignored, since the
//! agent's own settings apply. Everything here came from the network: sizes are bounded
//! and every field is checked before use.
//!
//! - Vapi sends `call` (with `id`), `metadata`, `phoneNumber` and `customer` beside
//!   `messages` (its default metadata mode), and its own actions (`transferCall`,
//!   `endCall`, DTMF) in `tools`.
//! - ElevenLabs sends `user_id` and `elevenlabs_extra_body` (what the client passed at the
//!   start of the conversation), and its system tools (`end_call`, `transfer_to_number`,
//!   …) in `tools`. It sends no conversation id of its own: a client that puts
//!   `conversation_id` into the extra body (or a `X-Call-Id` header) groups the turns.

use serde::Deserialize;
use serde_json::{Map, Value};

/// Most messages a request may carry (a long call's whole history is a few hundred).
pub const MAX_MESSAGES: usize = 2000;
/// Most tools a request may offer.
pub const MAX_TOOLS: usize = 128;
/// Longest tool name and call id, in bytes.
pub const MAX_NAME_BYTES: usize = 256;

/// Which platform sent a request, from the fields it carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Platform {
    /// Vapi: has `call`.
    Vapi,
    /// ElevenLabs: has `elevenlabs_extra_body` or `user_id`.
    ElevenLabs,
    /// Any other OpenAI client.
    OpenAi,
}

impl Platform {
    /// `vapi`, `elevenlabs` or `openai`: the `platform` template variable.
    pub fn as_str(self) -> &'static str {
        match self {
            Platform::Vapi => "vapi",
            Platform::ElevenLabs => "elevenlabs",
            Platform::OpenAi => "openai",
        }
    }
}

/// A request the door cannot take, said for the client (a `400`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestError(pub String);

impl std::fmt::Display for RequestError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// `stream_options`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct StreamOptions {
    /// Send a last chunk with the token usage.
    #[serde(default)]
    pub include_usage: bool,
}

/// The fields of a request the door reads.
#[derive(Debug, Clone, Deserialize)]
pub struct CompletionRequest {
    /// Names an agent on `/openai/chat/completions`; ignored otherwise.
    #[serde(default)]
    pub model: Option<Value>,
    /// The conversation (the platform keeps it): system, user, assistant and tool messages.
    pub messages: Vec<Value>,
    /// Stream chunks (`true`) or answer with one object (the default, as OpenAI's).
    #[serde(default)]
    pub stream: Option<bool>,
    /// `include_usage`.
    #[serde(default)]
    pub stream_options: Option<StreamOptions>,
    /// The platform's tools, in OpenAI's function format.
    #[serde(default)]
    pub tools: Option<Vec<Value>>,
    /// Vapi's call (`id`, `type`, …).
    #[serde(default)]
    pub call: Option<Value>,
    /// Vapi's metadata (an object).
    #[serde(default)]
    pub metadata: Option<Value>,
    /// Vapi's phone number (the number called; `number`).
    #[serde(default, rename = "phoneNumber")]
    pub phone_number: Option<Value>,
    /// Vapi's customer (the caller; `number`).
    #[serde(default)]
    pub customer: Option<Value>,
    /// ElevenLabs' user id.
    #[serde(default)]
    pub user_id: Option<Value>,
    /// ElevenLabs' per-conversation data from the client.
    #[serde(default)]
    pub elevenlabs_extra_body: Option<Value>,
}

impl CompletionRequest {
    /// Parses and checks a body.
    pub fn parse(body: &[u8]) -> Result<Self, RequestError> {
        let request: Self = serde_json::from_slice(body).map_err(|e| {
            RequestError(format!("the body is not a chat-completions request: {e}"))
        })?;
        if request.messages.is_empty() {
            return Err(RequestError("`messages` is empty".into()));
        }
        if request.messages.len() > MAX_MESSAGES {
            return Err(RequestError(format!(
                "`messages` holds more than {MAX_MESSAGES} messages"
            )));
        }
        let tools = request.tools.as_deref().unwrap_or_default();
        if tools.len() > MAX_TOOLS {
            return Err(RequestError(format!(
                "`tools` holds more than {MAX_TOOLS} tools"
            )));
        }
        for tool in tools {
            match tool_name(tool) {
                Some(name) if !name.is_empty() && name.len() <= MAX_NAME_BYTES => {}
                _ => {
                    return Err(RequestError(
                        "each of `tools` must be {\"type\": \"function\", \"function\": \
                         {\"name\": …}} with a name of 1 to 256 bytes"
                            .into(),
                    ))
                }
            }
        }
        if request
            .call_id()
            .is_some_and(|id| id.len() > MAX_NAME_BYTES)
        {
            return Err(RequestError(format!(
                "the call id is longer than {MAX_NAME_BYTES} bytes"
            )));
        }
        Ok(request)
    }

    /// Who sent it.
    pub fn platform(&self) -> Platform {
        if self.call.is_some() {
            Platform::Vapi
        } else if self.elevenlabs_extra_body.is_some() || self.user_id.is_some() {
            Platform::ElevenLabs
        } else {
            Platform::OpenAi
        }
    }

    /// Stream chunks, or answer with one object.
    pub fn streaming(&self) -> bool {
        self.stream.unwrap_or(false)
    }

    /// Send a usage chunk last (streaming only).
    pub fn include_usage(&self) -> bool {
        self.stream_options
            .as_ref()
            .is_some_and(|o| o.include_usage)
    }

    /// The agent `model` names, when it is a string.
    pub fn model_name(&self) -> Option<&str> {
        self.model.as_ref().and_then(Value::as_str)
    }

    /// Vapi's `call.id`: set by the platform, which holds the door's key.
    pub fn platform_call_id(&self) -> Option<&str> {
        self.call
            .as_ref()
            .and_then(|c| c.get("id"))
            .and_then(Value::as_str)
            .filter(|id| !id.is_empty())
    }

    /// The platform's id of the call, when the request carries one: Vapi's `call.id`, or
    /// `conversation_id` in ElevenLabs' extra body (which the end user's client supplies).
    pub fn call_id(&self) -> Option<&str> {
        let vapi = self.call.as_ref().and_then(|c| c.get("id"));
        let elevenlabs = self
            .elevenlabs_extra_body
            .as_ref()
            .and_then(|b| b.get("conversation_id"));
        vapi.or(elevenlabs)
            .and_then(Value::as_str)
            .filter(|id| !id.is_empty())
    }

    /// The platform's tools' names.
    pub fn tool_names(&self) -> Vec<&str> {
        self.tools
            .as_deref()
            .unwrap_or_default()
            .iter()
            .filter_map(tool_name)
            .collect()
    }

    /// The caller's number (Vapi's `customer.number`) and the number called
    /// (`phoneNumber.number`).
    pub fn phone_numbers(&self) -> (Option<String>, Option<String>) {
        let number = |v: &Option<Value>| {
            v.as_ref()
                .and_then(|v| v.get("number"))
                .and_then(Value::as_str)
                .map(str::to_string)
        };
        (number(&self.customer), number(&self.phone_number))
    }

    /// Vapi's `metadata`, when it is an object; ElevenLabs' extra body otherwise (the
    /// client's data for this conversation), so templates and records find the caller's
    /// context under `metadata` from either platform.
    pub fn metadata(&self) -> Map<String, Value> {
        let object = |v: &Option<Value>| match v {
            Some(Value::Object(map)) => Some(map.clone()),
            _ => None,
        };
        object(&self.metadata)
            .or_else(|| object(&self.elevenlabs_extra_body))
            .unwrap_or_default()
    }

    /// The platform's fields as template variables, under the platforms' own names:
    /// `platform`, and `call`, `phoneNumber`, `customer`, `user_id`,
    /// `elevenlabs_extra_body` when sent.
    pub fn variables(&self) -> Map<String, Value> {
        let mut variables = Map::new();
        variables.insert("platform".into(), Value::from(self.platform().as_str()));
        let fields = [
            ("call", &self.call),
            ("phoneNumber", &self.phone_number),
            ("customer", &self.customer),
            ("user_id", &self.user_id),
            ("elevenlabs_extra_body", &self.elevenlabs_extra_body),
        ];
        for (name, value) in fields {
            if let Some(value) = value {
                variables.insert(name.into(), value.clone());
            }
        }
        variables
    }
}

/// A tool definition's `function.name`.
fn tool_name(tool: &Value) -> Option<&str> {
    tool.get("function")?.get("name")?.as_str()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(value: Value) -> Result<CompletionRequest, RequestError> {
        CompletionRequest::parse(value.to_string().as_bytes())
    }

    #[test]
    fn a_vapi_request_gives_its_call_id_numbers_metadata_and_tools() {
        let request = parse(json!({
            "model": "gpt-4o", "stream": true, "temperature": 0.7,
            "messages": [{"role": "user", "content": "Hi"}],
            "tools": [{"type": "function", "function": {"name": "transferCall", "parameters": {}}}],
            "call": {"id": "call_123", "type": "inboundPhoneCall"},
            "metadata": {"account": "A1"},
            "phoneNumber": {"number": "+15550199"},
            "customer": {"number": "+15550100"},
        }))
        .expect("parses");
        assert_eq!(request.platform(), Platform::Vapi);
        assert_eq!(request.call_id(), Some("call_123"));
        assert_eq!(request.tool_names(), ["transferCall"]);
        assert!(request.streaming() && !request.include_usage());
        assert_eq!(
            request.phone_numbers(),
            (Some("+15550100".into()), Some("+15550199".into()))
        );
        assert_eq!(request.metadata()["account"], "A1");
        let variables = request.variables();
        assert_eq!(variables["platform"], "vapi");
        assert_eq!(variables["call"]["id"], "call_123");
        assert_eq!(variables["customer"]["number"], "+15550100");
    }

    #[test]
    fn an_elevenlabs_request_gives_its_extra_body() {
        let request = parse(json!({
            "messages": [{"role": "user", "content": "Hi"}],
            "user_id": "u_9",
            "elevenlabs_extra_body": {"conversation_id": "conv_el", "plan": "gold"},
            "stream_options": {"include_usage": true},
        }))
        .expect("parses");
        assert_eq!(request.platform(), Platform::ElevenLabs);
        assert_eq!(request.call_id(), Some("conv_el"));
        assert_eq!(request.metadata()["plan"], "gold");
        assert!(!request.streaming(), "OpenAI's default is one object");
        assert!(request.include_usage());
        assert_eq!(request.variables()["user_id"], "u_9");
    }

    #[test]
    fn bad_requests_are_refused_saying_why() {
        let refused = |value: Value| parse(value).expect_err("refused").0;
        assert!(refused(json!({"messages": []})).contains("empty"));
        assert!(refused(json!({"model": "x"})).contains("not a chat-completions request"));
        assert!(refused(json!("text")).contains("not a chat-completions request"));
        let user = json!([{"role": "user", "content": "Hi"}]);
        assert!(
            refused(json!({"messages": user, "tools": [{"type": "function"}]}))
                .contains("each of `tools`")
        );
        let long = "x".repeat(MAX_NAME_BYTES + 1);
        assert!(refused(json!({"messages": user, "call": {"id": long}})).contains("call id"));
        let many: Vec<Value> = (0..=MAX_MESSAGES)
            .map(|_| json!({"role": "user"}))
            .collect();
        assert!(refused(json!({"messages": many})).contains("more than"));
        let request = parse(json!({"messages": user, "model": 5})).expect("parses");
        assert_eq!(request.platform(), Platform::OpenAi);
        assert_eq!((request.model_name(), request.call_id()), (None, None));
    }
}
