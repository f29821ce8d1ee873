//! A request's `messages` as our history: the platform's system text apart (the agent's
//! `platform_prompt` says what becomes of it), the conversation as [`ChatMessage`]s with
//! each assistant's tool calls paired with the `tool` messages that answer them, and the
//! caller's last words (the turn's question, for the record).

use serde_json::Value;

use crate::session::{ChatMessage, History, Role, ToolCall, ToolResult};

/// What a request's messages hold.
#[derive(Debug, Clone, PartialEq)]
pub struct Conversation {
    /// The system (and developer) messages' text, in order, blank-line separated.
    pub system: String,
    /// The conversation, oldest first, as our history (consecutive user messages merged,
    /// every tool call answered).
    pub messages: Vec<ChatMessage>,
    /// What the caller said last, when the conversation ends with it ("" when it ends
    /// with a tool's result or a reply: the platform asks again after its tool ran).
    pub last_user: String,
}

/// Reads `messages` (each message's turn id is `<turn_id>-<index>`): an unknown role or
/// content that is not text is refused, saying which message.
pub fn conversation(messages: &[Value], turn_id: &str) -> Result<Conversation, String> {
    let mut system = Vec::new();
    let mut history: Vec<ChatMessage> = Vec::new();
    let mut last_user = String::new();
    for (index, message) in messages.iter().enumerate() {
        let id = format!("{turn_id}-{index}");
        let role = message.get("role").and_then(Value::as_str).unwrap_or("");
        let text = content(message.get("content"))
            .ok_or_else(|| format!("messages[{index}]: `content` must be text or text parts"))?;
        match role {
            "system" | "developer" => {
                if !text.trim().is_empty() {
                    system.push(text);
                }
            }
            "user" => {
                last_user.clone_from(&text);
                history.push(ChatMessage::user(text, id));
            }
            "assistant" => {
                last_user.clear();
                let calls = tool_calls(message.get("tool_calls"))
                    .map_err(|problem| format!("messages[{index}]: {problem}"))?;
                // Results are paired with the calls once every message is read.
                let mut reply = ChatMessage::assistant(text, id);
                reply.tool_calls = calls;
                history.push(reply);
            }
            "tool" => {
                let call = message.get("tool_call_id").and_then(Value::as_str);
                // A result answers the latest assistant message's call; one that answers
                // none is dropped (the model would refuse it).
                if let (Some(call), Some(last)) = (call, history.last_mut()) {
                    if last.role == Role::Assistant && last.tool_calls.iter().any(|c| c.id == call)
                    {
                        last.tool_results.push(ToolResult::new(call, text));
                    }
                }
            }
            "function" => {} // the deprecated form of `tool`: nothing to pair it with
            other => {
                return Err(format!(
                    "messages[{index}]: unknown role {:?}",
                    other.chars().take(32).collect::<String>()
                ))
            }
        }
    }
    Ok(Conversation {
        system: system.join("\n\n"),
        messages: History::from(history).into_messages(),
        last_user,
    })
}

/// A message's text: a string, text parts joined, or nothing (`null`, absent).
fn content(value: Option<&Value>) -> Option<String> {
    match value {
        None | Some(Value::Null) => Some(String::new()),
        Some(Value::String(text)) => Some(text.clone()),
        Some(Value::Array(parts)) => parts
            .iter()
            .map(|part| match part.get("type").and_then(Value::as_str) {
                Some("text") => part.get("text").and_then(Value::as_str).map(Some),
                // Images, audio and the like: nothing a voice agent's history reads.
                Some(_) => Some(None),
                None => None,
            })
            .collect::<Option<Vec<_>>>()
            .map(|texts| texts.into_iter().flatten().collect::<Vec<_>>().join("")),
        Some(_) => None,
    }
}

/// An assistant message's `tool_calls`.
fn tool_calls(value: Option<&Value>) -> Result<Vec<ToolCall>, String> {
    let calls = match value {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(calls)) => calls,
        Some(_) => return Err("`tool_calls` must be a list".into()),
    };
    calls
        .iter()
        .map(|call| {
            let id = call.get("id").and_then(Value::as_str);
            let function = call.get("function");
            let name = function.and_then(|f| f.get("name")).and_then(Value::as_str);
            let arguments = match function.and_then(|f| f.get("arguments")) {
                Some(Value::String(text)) => text.clone(),
                None | Some(Value::Null) => "{}".to_string(),
                Some(other) => other.to_string(),
            };
            match (id, name) {
                (Some(id), Some(name)) => Ok(ToolCall::new(id, name, arguments)),
                _ => Err("each tool call needs an `id` and a `function.name`".to_string()),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::NO_RESULT;
    use serde_json::json;

    #[test]
    fn system_text_goes_apart_and_tool_calls_meet_their_results() {
        let messages = json!([
            {"role": "system", "content": "You are Vapi's assistant."},
            {"role": "assistant", "content": "Hello!"},
            {"role": "user", "content": [{"type": "text", "text": "Transfer "}, {"type": "text", "text": "me"}]},
            {"role": "assistant", "content": null, "tool_calls": [
                {"id": "c1", "type": "function", "function": {"name": "transferCall", "arguments": "{\"to\":\"sales\"}"}},
                {"id": "c2", "type": "function", "function": {"name": "lookup", "arguments": {"q": 1}}}
            ]},
            {"role": "tool", "tool_call_id": "c1", "content": "transferred"},
            {"role": "tool", "tool_call_id": "nope", "content": "orphan"},
            {"role": "developer", "content": "Be brief."},
            {"role": "user", "content": "Thanks"}
        ]);
        let got = conversation(messages.as_array().expect("a list"), "t").expect("reads");
        assert_eq!(got.system, "You are Vapi's assistant.\n\nBe brief.");
        assert_eq!(got.last_user, "Thanks");
        let roles: Vec<Role> = got.messages.iter().map(|m| m.role).collect();
        assert_eq!(
            roles,
            [Role::Assistant, Role::User, Role::Assistant, Role::User]
        );
        assert_eq!(got.messages[1].content, "Transfer me");
        let calls = &got.messages[2];
        assert_eq!(calls.tool_calls[0].function.arguments, r#"{"to":"sales"}"#);
        assert_eq!(calls.tool_calls[1].function.arguments, r#"{"q":1}"#);
        let results: Vec<&str> = calls
            .tool_results
            .iter()
            .map(|r| r.content.as_str())
            .collect();
        assert_eq!(results, ["transferred", NO_RESULT], "every call answered");
    }

    #[test]
    fn what_cannot_be_read_is_refused_naming_the_message() {
        let refused = |messages: Value| {
            conversation(messages.as_array().expect("a list"), "t").expect_err("refused")
        };
        assert!(refused(json!([{"role": "wizard", "content": "x"}]))
            .starts_with("messages[0]: unknown role"));
        assert!(refused(json!([{"role": "user", "content": 5}])).contains("`content`"));
        assert!(
            refused(json!([{"role": "user", "content": [{"text": "no type"}]}]))
                .contains("`content`")
        );
        assert!(
            refused(json!([{"role": "assistant", "tool_calls": [{"id": "c"}]}]))
                .contains("`function.name`")
        );
        let images = json!([{"role": "user", "content": [{"type": "image_url", "image_url": {}}, {"type": "text", "text": "this"}]}]);
        assert_eq!(
            conversation(images.as_array().expect("a list"), "t")
                .expect("reads")
                .last_user,
            "this"
        );
    }
}
