//! Retell's custom-LLM WebSocket messages (pure): what Retell sends (`call_details`,
//! `ping_pong`, `update_only`, `response_required`, `reminder_required`), its transcript
//! as our history, and the messages we answer with (`config`, `response`, `ping_pong`).
//! Everything here came from the network: the caller bounds a message's size before it
//! is parsed.

use serde_json::{json, Value};

use crate::session::{ChatMessage, History};

/// The tool that ends the call (`end_call: true` on the reply's last message).
pub const END_CALL_TOOL: &str = "end_call";
/// The tool that transfers the call (`transfer_number` on the reply's last message).
pub const TRANSFER_TOOL: &str = "transfer_call";
/// Most transcript entries a request may carry.
pub const MAX_TRANSCRIPT: usize = 2000;

/// One message from Retell.
#[derive(Debug, Clone, PartialEq)]
pub enum Inbound {
    /// The call's details: numbers, metadata, dynamic variables.
    CallDetails(Value),
    /// A keep-alive, answered with the same timestamp.
    PingPong(Value),
    /// The live transcript; no reply wanted.
    UpdateOnly(Vec<Value>),
    /// A reply is wanted (`reminder`: the caller has been silent).
    Respond {
        /// The reply's id; a newer one makes every older one obsolete.
        id: u64,
        /// The whole transcript.
        transcript: Vec<Value>,
        /// `reminder_required` rather than `response_required`.
        reminder: bool,
    },
    /// Anything else (a newer message type): ignored.
    Other,
}

/// Reads one text frame from Retell.
pub fn parse(text: &str) -> Result<Inbound, String> {
    let message: Value =
        serde_json::from_str(text).map_err(|e| format!("not a JSON message: {e}"))?;
    let transcript = || -> Result<Vec<Value>, String> {
        match message.get("transcript") {
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(Value::Array(items)) if items.len() <= MAX_TRANSCRIPT => Ok(items.clone()),
            Some(Value::Array(_)) => Err(format!("more than {MAX_TRANSCRIPT} transcript entries")),
            Some(_) => Err("`transcript` must be a list".into()),
        }
    };
    Ok(
        match message.get("interaction_type").and_then(Value::as_str) {
            Some("call_details") => {
                Inbound::CallDetails(message.get("call").cloned().unwrap_or(Value::Null))
            }
            Some("ping_pong") => {
                Inbound::PingPong(message.get("timestamp").cloned().unwrap_or(Value::Null))
            }
            Some("update_only") => Inbound::UpdateOnly(transcript()?),
            Some(kind @ ("response_required" | "reminder_required")) => Inbound::Respond {
                id: message
                    .get("response_id")
                    .and_then(Value::as_u64)
                    .ok_or("`response_id` must be a whole number")?,
                transcript: transcript()?,
                reminder: kind == "reminder_required",
            },
            _ => Inbound::Other,
        },
    )
}

/// A transcript as our history (`agent` is the assistant), and the caller's last words
/// when the transcript ends with them ("" when it ends with the agent: a reminder).
pub fn history(transcript: &[Value], turn_id: &str) -> (Vec<ChatMessage>, String) {
    let mut messages = Vec::new();
    let mut last_user = String::new();
    for (index, entry) in transcript.iter().enumerate() {
        let text = entry
            .get("content")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if text.trim().is_empty() {
            continue;
        }
        let id = format!("{turn_id}-{index}");
        match entry.get("role").and_then(Value::as_str) {
            Some("user") => {
                last_user = text.to_string();
                messages.push(ChatMessage::user(text, id));
            }
            Some("agent") => {
                last_user.clear();
                messages.push(ChatMessage::assistant(text, id));
            }
            _ => {}
        }
    }
    (History::from(messages).into_messages(), last_user)
}

/// The tools a Retell reply may call besides the agent's: `end_call`, and
/// `transfer_call` to one of `numbers` when there are any.
pub fn tools(numbers: &[String]) -> Vec<Value> {
    let mut tools = vec![json!({"type": "function", "function": {
        "name": END_CALL_TOOL,
        "description": "End the call, after saying goodbye.",
        "parameters": {"type": "object", "properties": {}},
    }})];
    if !numbers.is_empty() {
        tools.push(json!({"type": "function", "function": {
            "name": TRANSFER_TOOL,
            "description": "Transfer the call to a person at one of these numbers.",
            "parameters": {"type": "object", "required": ["number"], "properties": {
                "number": {"type": "string", "enum": numbers},
            }},
        }}));
    }
    tools
}

/// The first message: asks Retell to reconnect after a drop and to send the call's
/// details.
pub fn config() -> String {
    json!({"response_type": "config", "config": {"auto_reconnect": true, "call_details": true}})
        .to_string()
}

/// A piece of reply `id`.
pub fn response(id: u64, content: &str) -> String {
    json!({"response_type": "response", "response_id": id, "content": content, "content_complete": false})
        .to_string()
}

/// The last message of reply `id`, with what the call should do next.
pub fn last_response(
    id: u64,
    content: &str,
    end_call: bool,
    transfer_number: Option<&str>,
) -> String {
    let mut message = json!({"response_type": "response", "response_id": id, "content": content,
        "content_complete": true});
    if end_call {
        message["end_call"] = json!(true);
    }
    if let Some(number) = transfer_number {
        message["transfer_number"] = json!(number);
    }
    message.to_string()
}

/// The answer to a ping.
pub fn ping_pong(timestamp: &Value) -> String {
    json!({"response_type": "ping_pong", "timestamp": timestamp}).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::Role;

    #[test]
    fn retells_messages_are_read() {
        let details = parse(r#"{"interaction_type":"call_details","call":{"call_id":"c1"}}"#);
        assert_eq!(details, Ok(Inbound::CallDetails(json!({"call_id": "c1"}))));
        assert_eq!(
            parse(r#"{"interaction_type":"ping_pong","timestamp":1703302407333}"#),
            Ok(Inbound::PingPong(json!(1703302407333_u64)))
        );
        let asked = parse(
            r#"{"interaction_type":"reminder_required","response_id":3,"transcript":[{"role":"agent","content":"Hi"}]}"#,
        );
        assert_eq!(
            asked,
            Ok(Inbound::Respond {
                id: 3,
                transcript: vec![json!({"role":"agent","content":"Hi"})],
                reminder: true
            })
        );
        assert_eq!(
            parse(r#"{"interaction_type":"something_new"}"#),
            Ok(Inbound::Other)
        );
        assert!(parse("not json").is_err());
        assert!(parse(r#"{"interaction_type":"response_required","response_id":-1}"#).is_err());
    }

    #[test]
    fn the_transcript_becomes_history_and_replies_carry_their_id() {
        let transcript = [
            json!({"role": "agent", "content": "Hello, Harbor Books."}),
            json!({"role": "user", "content": "Where is A17?"}),
            json!({"role": "user", "content": ""}),
        ];
        let (messages, said) = history(&transcript, "r1");
        assert_eq!(
            messages.iter().map(|m| m.role).collect::<Vec<_>>(),
            [Role::Assistant, Role::User]
        );
        assert_eq!(said, "Where is A17?");
        let piece: Value = serde_json::from_str(&response(4, "Hi")).expect("json");
        assert_eq!(piece["content_complete"], false);
        let done: Value =
            serde_json::from_str(&last_response(4, "", true, Some("+15550123"))).expect("json");
        assert_eq!(
            (done["end_call"].clone(), done["transfer_number"].clone()),
            (json!(true), json!("+15550123"))
        );
        assert_eq!(tools(&[]).len(), 1, "no transfer without numbers");
        assert_eq!(
            tools(&["+15550123".into()])[1]["function"]["parameters"]["properties"]["number"]
                ["enum"][0],
            "+15550123"
        );
    }
}
