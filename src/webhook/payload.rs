//! Layercode webhook bodies: the typed view of the fields we use, tolerant of any extra field.

use serde::Deserialize;

/// Longest id accepted (`conversation_id`, `session_id`, `turn_id`; and an agent's name in
/// the path), in bytes. Layercode's ids are a few dozen bytes; an id keys history, locks
/// and records, so an unbounded one would let a caller grow every one of those.
pub const MAX_ID_BYTES: usize = 256;

/// What a webhook asks of us, from its `type` field (current and legacy spellings).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventKind {
    /// The user finished a turn: answer with a streamed reply.
    Message,
    /// A connection started: speak the welcome.
    SessionStart,
    /// A connection ended; the conversation may resume later.
    SessionEnd,
    /// Asynchronous session data such as recording status.
    SessionUpdate,
    /// Structured data from the browser.
    Data,
    /// A type this version does not know; answered with a fast 200.
    Other(String),
}

impl EventKind {
    /// The event's name in metrics: the current spelling, `other` for unknown types.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Message => "message",
            Self::SessionStart => "session.start",
            Self::SessionEnd => "session.end",
            Self::SessionUpdate => "session.update",
            Self::Data => "data",
            Self::Other(_) => "other",
        }
    }

    fn from_type(kind: &str) -> Self {
        match kind {
            "message" | "MESSAGE" => Self::Message,
            "session.start" | "SESSION_START" => Self::SessionStart,
            "session.end" | "SESSION_END" => Self::SessionEnd,
            "session.update" | "SESSION_UPDATE" => Self::SessionUpdate,
            "data" | "DATA" => Self::Data,
            other => Self::Other(other.to_string()),
        }
    }
}

/// What the user actually heard of the previous, interrupted assistant turn.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct InterruptionContext {
    /// Whether the previous assistant turn was cut short.
    #[serde(default)]
    pub previous_turn_interrupted: bool,
    /// Number of words the user heard.
    #[serde(default)]
    pub words_heard: Option<u64>,
    /// The text the user heard.
    #[serde(default)]
    pub text_heard: Option<String>,
    /// The assistant turn this describes, when Layercode says.
    #[serde(default)]
    pub assistant_turn_id: Option<String>,
}

/// A parsed webhook.
#[derive(Debug, Clone, PartialEq)]
pub struct WebhookEvent {
    /// The event type.
    pub kind: EventKind,
    /// Stable conversation id (newer API).
    pub conversation_id: Option<String>,
    /// Connection id (newer API) or conversation id (older API).
    pub session_id: Option<String>,
    /// Turn id to echo on every SSE event.
    pub turn_id: Option<String>,
    /// The user's words, on `message`.
    pub text: Option<String>,
    /// What was heard of the previous turn, on `message`.
    pub interruption_context: Option<InterruptionContext>,
    /// Context set at authorization (`metadata`), when it is an object.
    pub metadata: Option<serde_json::Value>,
    /// More context set at authorization (`custom_metadata`), when it is an object.
    pub custom_metadata: Option<serde_json::Value>,
    /// The caller's number, on phone sessions.
    pub from_phone_number: Option<String>,
    /// The number called, on phone sessions.
    pub to_phone_number: Option<String>,
    /// What the page sent, on `data` (an object; anything else is absent).
    pub data: Option<serde_json::Map<String, serde_json::Value>>,
}

impl WebhookEvent {
    /// The key under which this conversation's history lives: `conversation_id`,
    /// else `session_id`.
    pub fn conversation_key(&self) -> Option<&str> {
        self.conversation_id
            .as_deref()
            .or(self.session_id.as_deref())
    }
}

/// Why a body was refused. Every variant becomes a `400` with this message.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PayloadError {
    /// The bytes are not JSON.
    #[error("body is not valid JSON: {0}")]
    NotJson(String),
    /// JSON, but not an object.
    #[error("body must be a JSON object")]
    NotAnObject,
    /// No `type` field.
    #[error("body has no `type` field")]
    MissingType,
    /// An id longer than [`MAX_ID_BYTES`].
    #[error("field `{field}` is longer than {limit} bytes")]
    IdTooLong {
        /// The field's name.
        field: &'static str,
        /// The limit in bytes.
        limit: usize,
    },
    /// A known field with the wrong JSON type.
    #[error("field `{field}` must be {expected}")]
    WrongType {
        /// The field's name.
        field: &'static str,
        /// What it should have been.
        expected: &'static str,
    },
}

#[derive(Deserialize)]
struct RawEvent {
    #[serde(rename = "type")]
    kind: Option<serde_json::Value>,
    conversation_id: Option<serde_json::Value>,
    session_id: Option<serde_json::Value>,
    turn_id: Option<serde_json::Value>,
    text: Option<serde_json::Value>,
    interruption_context: Option<serde_json::Value>,
    metadata: Option<serde_json::Value>,
    custom_metadata: Option<serde_json::Value>,
    from_phone_number: Option<serde_json::Value>,
    to_phone_number: Option<serde_json::Value>,
    data: Option<serde_json::Value>,
}

/// Parses a webhook body. Unknown fields are ignored; known fields with the wrong JSON
/// type are refused with a message naming the field.
pub fn parse(body: &[u8]) -> Result<WebhookEvent, PayloadError> {
    let value: serde_json::Value =
        serde_json::from_slice(body).map_err(|e| PayloadError::NotJson(e.to_string()))?;
    if !value.is_object() {
        return Err(PayloadError::NotAnObject);
    }
    let raw: RawEvent =
        serde_json::from_value(value).map_err(|e| PayloadError::NotJson(e.to_string()))?;
    let kind = match raw.kind {
        None | Some(serde_json::Value::Null) => return Err(PayloadError::MissingType),
        Some(serde_json::Value::String(s)) => EventKind::from_type(&s),
        Some(_) => return Err(wrong("type", "a string")),
    };
    // Advisory only: a context we cannot read must not cost the user their turn.
    let interruption_context = raw
        .interruption_context
        .and_then(|v| serde_json::from_value::<InterruptionContext>(v).ok())
        .map(|mut context| {
            let too_long = |id: &String| id.len() > MAX_ID_BYTES;
            if context.assistant_turn_id.as_ref().is_some_and(too_long) {
                context.assistant_turn_id = None;
            }
            context
        });
    Ok(WebhookEvent {
        kind,
        conversation_id: id_field("conversation_id", raw.conversation_id)?,
        session_id: id_field("session_id", raw.session_id)?,
        turn_id: id_field("turn_id", raw.turn_id)?,
        text: string_field("text", raw.text)?,
        interruption_context,
        // Context is advisory too: a shape we cannot use is left out, never refused.
        metadata: raw.metadata.filter(serde_json::Value::is_object),
        custom_metadata: raw.custom_metadata.filter(serde_json::Value::is_object),
        from_phone_number: text_or_none(raw.from_phone_number),
        to_phone_number: text_or_none(raw.to_phone_number),
        data: match raw.data {
            Some(serde_json::Value::Object(map)) => Some(map),
            _ => None,
        },
    })
}

fn text_or_none(value: Option<serde_json::Value>) -> Option<String> {
    match value {
        Some(serde_json::Value::String(s)) if !s.trim().is_empty() => Some(s),
        _ => None,
    }
}

fn wrong(field: &'static str, expected: &'static str) -> PayloadError {
    PayloadError::WrongType { field, expected }
}

fn string_field(
    field: &'static str,
    value: Option<serde_json::Value>,
) -> Result<Option<String>, PayloadError> {
    match value {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(serde_json::Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(wrong(field, "a string")),
    }
}

/// Ids are strings; a number is accepted and kept as its decimal text. Empty ids count as
/// absent so they never become a shared history key.
fn id_field(
    field: &'static str,
    value: Option<serde_json::Value>,
) -> Result<Option<String>, PayloadError> {
    let id = match value {
        Some(serde_json::Value::Number(n)) => Some(n.to_string()),
        other => string_field(field, other)?,
    };
    if id.as_ref().is_some_and(|id| id.len() > MAX_ID_BYTES) {
        return Err(PayloadError::IdTooLong {
            field,
            limit: MAX_ID_BYTES,
        });
    }
    Ok(id.filter(|s| !s.is_empty()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_specification_example() {
        let body = br#"{"type":"message","session_id":"sess_1","conversation_id":"conv_1","turn_id":"turn_42","text":"What's on the menu today?","interruption_context":{"previous_turn_interrupted":true,"words_heard":7,"text_heard":"Sure, today we have a lovely","assistant_turn_id":"turn_41"}}"#;
        let event = parse(body).expect("valid");
        assert_eq!(event.kind, EventKind::Message);
        assert_eq!(event.conversation_key(), Some("conv_1"));
        assert_eq!(event.turn_id.as_deref(), Some("turn_42"));
        assert_eq!(event.text.as_deref(), Some("What's on the menu today?"));
        let ctx = event.interruption_context.expect("context");
        assert!(ctx.previous_turn_interrupted);
        assert_eq!(ctx.words_heard, Some(7));
        assert_eq!(
            ctx.text_heard.as_deref(),
            Some("Sure, today we have a lovely")
        );
        assert_eq!(ctx.assistant_turn_id.as_deref(), Some("turn_41"));
    }

    #[test]
    fn event_types_include_legacy_spellings() {
        let cases = [
            ("message", EventKind::Message),
            ("MESSAGE", EventKind::Message),
            ("session.start", EventKind::SessionStart),
            ("SESSION_START", EventKind::SessionStart),
            ("session.end", EventKind::SessionEnd),
            ("session.update", EventKind::SessionUpdate),
            ("data", EventKind::Data),
            ("agent.thinking", EventKind::Other("agent.thinking".into())),
        ];
        for (kind, expected) in cases {
            let body = format!(r#"{{"type":"{kind}","session_id":"s"}}"#);
            assert_eq!(parse(body.as_bytes()).expect(kind).kind, expected);
        }
    }

    #[test]
    fn session_id_is_the_fallback_key_and_extra_fields_are_tolerated() {
        let body = br#"{"type":"MESSAGE","session_id":"s1","connection_id":"c","text":"hi","turn_id":"t","metadata":{"a":1},"future":[1,2]}"#;
        let event = parse(body).expect("valid");
        assert_eq!(event.conversation_key(), Some("s1"));
        let empty =
            parse(br#"{"type":"message","conversation_id":"","session_id":"s2"}"#).expect("valid");
        assert_eq!(empty.conversation_key(), Some("s2"));
    }

    #[test]
    fn malformed_bodies_say_what_is_wrong() {
        let cases: [(&[u8], &str); 8] = [
            (b"", "not valid JSON"),
            (b"{not json", "not valid JSON"),
            (b"\xff\xfe", "not valid JSON"),
            (b"[1,2]", "JSON object"),
            (b"{}", "no `type`"),
            (br#"{"type":null}"#, "no `type`"),
            (br#"{"type":7}"#, "`type` must be a string"),
            (
                br#"{"type":"message","text":{"a":1}}"#,
                "`text` must be a string",
            ),
        ];
        for (body, expected) in cases {
            let err = parse(body).expect_err("must fail").to_string();
            assert!(err.contains(expected), "{body:?}: {err}");
        }
    }

    #[test]
    fn an_unreadable_interruption_context_is_ignored_not_refused() {
        let body = br#"{"type":"message","session_id":"s","turn_id":"t","text":"hi","interruption_context":{"previous_turn_interrupted":null,"words_heard":7.5}}"#;
        let event = parse(body).expect("the turn still counts");
        assert_eq!(event.interruption_context, None);
    }

    #[test]
    fn caller_context_is_read_and_unusable_shapes_are_left_out() {
        let body = br#"{"type":"message","session_id":"s","turn_id":"t","text":"hi","metadata":{"name":"Ana"},"custom_metadata":{"tier":"gold"},"from_phone_number":"+15550100","to_phone_number":"+15550199"}"#;
        let event = parse(body).expect("valid");
        assert_eq!(event.metadata, Some(serde_json::json!({"name": "Ana"})));
        assert_eq!(
            event.custom_metadata,
            Some(serde_json::json!({"tier": "gold"}))
        );
        assert_eq!(event.from_phone_number.as_deref(), Some("+15550100"));
        assert_eq!(event.to_phone_number.as_deref(), Some("+15550199"));
        let odd =
            br#"{"type":"data","session_id":"s","metadata":"x","from_phone_number":5,"data":[1]}"#;
        let event = parse(odd).expect("still valid");
        assert_eq!(
            (event.metadata, event.from_phone_number, event.data),
            (None, None, None)
        );
        let data =
            parse(br#"{"type":"data","session_id":"s","data":{"page":"/x"}}"#).expect("valid");
        assert_eq!(data.data.map(|d| d.len()), Some(1));
    }

    #[test]
    fn ids_are_bounded_and_an_overlong_heard_turn_id_is_dropped() {
        let at_limit = "i".repeat(MAX_ID_BYTES);
        let over = "i".repeat(MAX_ID_BYTES + 1);
        for field in ["conversation_id", "session_id", "turn_id"] {
            let mut body = serde_json::json!({"type": "message", "session_id": "s"});
            body[field] = at_limit.clone().into();
            assert!(parse(body.to_string().as_bytes()).is_ok(), "{field}");
            body[field] = over.clone().into();
            let error = parse(body.to_string().as_bytes()).expect_err(field);
            assert_eq!(error, PayloadError::IdTooLong { field, limit: 256 });
        }
        let context =
            serde_json::json!({"previous_turn_interrupted": true, "assistant_turn_id": over});
        let body = serde_json::json!({"type": "message", "session_id": "s", "interruption_context": context});
        let event = parse(body.to_string().as_bytes()).expect("the turn still counts");
        assert_eq!(
            event.interruption_context.expect("kept").assistant_turn_id,
            None
        );
    }

    #[test]
    fn numeric_ids_are_kept_as_text() {
        let event = parse(br#"{"type":"message","session_id":42,"turn_id":7}"#).expect("valid");
        assert_eq!(event.conversation_key(), Some("42"));
        assert_eq!(event.turn_id.as_deref(), Some("7"));
    }
}
