//! What is kept of a call (pure types): the records the turn and the webhook hand to the
//! call store, and what the store gives back to the API and the calls page. No secret is
//! ever part of a record: tool arguments are the model's, results are kept (cut) as the
//! model read them, after the tool's secrets were redacted; headers are never recorded.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// One thing that happened in a call, queued for the store.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
// Most records are turns, moved once into the writer's queue: boxing the large variant
// would add an allocation to nearly every record and save no memory.
#[allow(clippy::large_enum_variant)]
pub enum Record {
    /// A turn finished (or a welcome was spoken).
    Turn(TurnRecord),
    /// The user heard only part of an earlier reply (Layercode's `interruption_context`):
    /// the stored reply of `assistant_turn_id` (the latest one when `None`) becomes `text`
    /// and is marked interrupted.
    Heard {
        /// Whose call.
        call: CallKey,
        /// The reply it is about, when Layercode says.
        assistant_turn_id: Option<String>,
        /// The words heard.
        text: String,
        /// When it was reported (unix milliseconds).
        at_ms: i64,
    },
    /// Layercode's `session.end`: what it reports about the whole session.
    SessionEnd {
        /// Whose call.
        call: CallKey,
        /// When it arrived (unix milliseconds).
        at_ms: i64,
        /// How many distinct values of each type the report's words had replaced, when
        /// the agent's records are redacted.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        redactions: Option<BTreeMap<String, u32>>,
        /// What the session's minutes cost on the voice side (platform, speech-to-text,
        /// text-to-speech), when the agent's price file has per-minute prices.
        #[serde(default)]
        voice_cost_usd: Option<f64>,
        /// The report's fields as Layercode sent them (transcript, duration, latency, …),
        /// without `type` and the ids.
        report: Map<String, Value>,
    },
    /// The call was deleted (an API request): after the records queued before it are
    /// written, the call is deleted again (so none of them brings it back), and the
    /// writer forgets its numbering of the call's values.
    Forget {
        /// Whose call.
        call: CallKey,
    },
    /// Layercode's `session.update`: recording status and URL, mostly.
    SessionUpdate {
        /// Whose call.
        call: CallKey,
        /// When it arrived (unix milliseconds).
        at_ms: i64,
        /// `recording_status`, when sent.
        recording_status: Option<String>,
        /// `recording_url`, when sent.
        recording_url: Option<String>,
        /// The other fields as sent.
        details: Map<String, Value>,
    },
}

impl Record {
    /// A session's end as the voice platform reported it (`report`), before redaction.
    pub fn session_end(
        call: CallKey,
        at_ms: i64,
        voice_cost_usd: Option<f64>,
        report: Map<String, Value>,
    ) -> Self {
        Record::SessionEnd {
            call,
            at_ms,
            redactions: None,
            voice_cost_usd,
            report,
        }
    }
}

/// Which call a record belongs to: the agent and Layercode's conversation id.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct CallKey {
    /// The agent's name.
    pub agent: String,
    /// Layercode's conversation id.
    pub conversation_id: String,
}

/// One turn as it happened.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TurnRecord {
    /// Whose call.
    pub call: CallKey,
    /// Layercode's turn id.
    pub turn_id: String,
    /// When the webhook arrived (unix milliseconds).
    pub at_ms: i64,
    /// `message` or `session.start`.
    pub event: String,
    /// What the user said (empty for a welcome).
    pub user_text: String,
    /// What the agent said, as far as the user heard it.
    pub agent_text: String,
    /// The reply was cut short (barge-in, failure, a newer turn).
    pub interrupted: bool,
    /// `completed`, `interrupted`, `failed` or `superseded`.
    pub outcome: String,
    /// The model that answered, when one did.
    pub model: Option<String>,
    /// Model attempts made.
    pub attempts: u32,
    /// Webhook to the model's first token.
    pub first_token_ms: Option<u64>,
    /// Webhook to the first sentence sent.
    pub first_tts_ms: Option<u64>,
    /// Webhook to the end of the reply.
    pub total_ms: Option<u64>,
    /// Prompt tokens, when the provider reported usage.
    pub prompt_tokens: Option<u64>,
    /// Completion tokens, when the provider reported usage.
    pub completion_tokens: Option<u64>,
    /// Tools called during the turn.
    pub tools: Vec<ToolRecord>,
    /// Caller context, when the webhook had it (stored with the call).
    pub caller: CallerRecord,
    /// The session store could not be read for this turn: the model answered with only
    /// this machine's view of the call (its own message, and replies still waiting to be
    /// saved). Absent in records kept before this field.
    #[serde(default)]
    pub without_history: bool,
    /// The door the turn came through: `layercode`, or `openai` (Vapi, ElevenLabs, any
    /// OpenAI client). `layercode` in records kept before this field.
    #[serde(default = "layercode")]
    pub door: String,
    /// The turn's OpenTelemetry trace id, when it was traced and sampled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trace_id: Option<String>,
    /// The knowledge passages put before the model (prefetch), best first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub knowledge: Vec<KnowledgeRecord>,
    /// Of the prompt tokens, those the provider served from its cache, when it said.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cached_tokens: Option<u64>,
    /// What the turn's tokens cost in USD at the answering model's price; `null` when
    /// the model has no price (or reported no usage), never a guess.
    #[serde(default)]
    pub cost_usd: Option<f64>,
    /// What the record keeps of the words (`full`, `redacted`, `none`), once the writer
    /// applied the agent's `RECORD_CONTENT`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record_content: Option<String>,
    /// With `redacted`: how many distinct values of each type the call has had replaced
    /// so far (never the values).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redactions: Option<BTreeMap<String, u32>>,
}

/// A knowledge passage a turn used: its file, heading path and search score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KnowledgeRecord {
    pub file: String,
    pub heading: String,
    pub score: f64,
}

impl KnowledgeRecord {
    /// `file › heading` (the file alone when it has no heading).
    pub fn label(&self) -> String {
        match self.heading.as_str() {
            "" => self.file.clone(),
            heading => format!("{} › {heading}", self.file),
        }
    }
}

fn layercode() -> String {
    "layercode".to_string()
}

/// A tool call of a turn.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolRecord {
    /// The tool's name as the model gave it.
    pub name: String,
    /// The arguments as the model wrote them.
    pub arguments: String,
    /// `ok`, `http_error`, `timeout`, `connection_error`, `invalid_arguments`, …
    pub outcome: String,
    /// How long the call took, when it was made.
    pub ms: Option<u64>,
    /// The result as the model read it (the tool's secrets already redacted), cut to
    /// [`RESULT_CHARS`] characters by [`kept_result`]. Absent in records kept before
    /// this field.
    #[serde(default)]
    pub result: Option<String>,
}

/// How much of a tool's result a record keeps.
pub const RESULT_CHARS: usize = 2000;

/// A tool result as a record keeps it: the first [`RESULT_CHARS`] characters, and `…`
/// where it was cut.
pub fn kept_result(result: &str) -> String {
    match result.char_indices().nth(RESULT_CHARS) {
        Some((end, _)) => format!("{}…", &result[..end]),
        None => result.to_string(),
    }
}

/// Who is calling, as the webhook said.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CallerRecord {
    /// `custom_metadata` merged over `metadata`.
    pub metadata: Map<String, Value>,
    /// The caller's number on phone calls.
    pub from_phone_number: Option<String>,
    /// The number called.
    pub to_phone_number: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::{kept_result, RESULT_CHARS};

    #[test]
    fn a_kept_result_is_cut_by_characters_and_says_so() {
        assert_eq!(kept_result(r#"{"ok":true}"#), r#"{"ok":true}"#);
        let exact = "ü".repeat(RESULT_CHARS);
        assert_eq!(kept_result(&exact), exact, "at the limit nothing is cut");
        let long = "ü".repeat(RESULT_CHARS + 1);
        let kept = kept_result(&long);
        assert_eq!(kept.chars().count(), RESULT_CHARS + 1);
        assert!(kept.ends_with("ü…"));
    }
}
