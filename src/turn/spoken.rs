//! What a reply has said so far (the sentences the user may have heard, and where each
//! ends, so an interrupted reply keeps exactly what was delivered) and its report for the
//! turn's log line.

use tokio::time::Instant;

use super::{Caller, TurnEvent};
use crate::llm::Usage;

/// What the user has heard so far in this turn. History keeps the model's words; the
/// text-to-speech engine gets them through the agent's voice (pronunciations, numbers and
/// symbols in spoken form).
pub(super) struct Spoken {
    voice: crate::speech::VoiceReply,
    pub(super) text: String,
    /// Where each sentence ends in `text`.
    ends: Vec<usize>,
    pub(super) sentences: usize,
    pub(super) first_at: Option<Instant>,
}

impl Spoken {
    pub(super) fn new(voice: crate::speech::VoiceReply) -> Self {
        Self {
            voice,
            text: String::new(),
            ends: Vec::new(),
            sentences: 0,
            first_at: None,
        }
    }

    pub(super) fn speak(&mut self, caller: &Caller, sentence: String) {
        self.speak_completed(caller, sentence, None);
    }

    /// Speaks a sentence whose end arrived from upstream at `completed_at`.
    pub(super) fn speak_completed(
        &mut self,
        caller: &Caller,
        sentence: String,
        completed_at: Option<std::time::Instant>,
    ) {
        if !self.text.is_empty() {
            self.text.push(' ');
        }
        self.text.push_str(&sentence);
        self.ends.push(self.text.len());
        self.sentences += 1;
        self.first_at.get_or_insert_with(Instant::now);
        let changed = match self.voice.say(&sentence) {
            std::borrow::Cow::Owned(said) => Some(said),
            std::borrow::Cow::Borrowed(_) => None,
        };
        caller.send(TurnEvent::Speak(changed.unwrap_or(sentence), completed_at));
    }

    /// The text of the first `count` sentences: what a client that went away had received.
    pub(super) fn first_sentences(&self, count: usize) -> &str {
        match count.checked_sub(1).and_then(|last| self.ends.get(last)) {
            Some(end) => &self.text[..*end],
            None if count == 0 => "",
            None => &self.text,
        }
    }
}

/// Timings and counts of one reply, for the turn's log line.
#[derive(Default)]
pub(super) struct Report {
    pub(super) first_token_at: Option<Instant>,
    pub(super) usage: Option<Usage>,
    pub(super) attempts: u32,
    pub(super) upstream: usize,
    /// Why the model stopped, as it said (`stop`, `length`, …).
    pub(super) finish_reason: Option<String>,
    /// Tool calls answered in this turn.
    pub(super) tool_calls: usize,
    /// Time spent waiting for tools.
    pub(super) tool_time: std::time::Duration,
    /// Every tool call answered, for the call's record.
    pub(super) tools: Vec<crate::records::ToolRecord>,
}

impl Report {
    /// The model stopped at the token cap (`LLM_MAX_TOKENS`), mid-reply.
    pub(super) fn cut_by_token_cap(&self) -> bool {
        self.finish_reason.as_deref() == Some("length")
    }
}
