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
    /// The reply goes out in the pieces the model wrote (the OpenAI door), not in
    /// sentences: pieces are joined as they are, and are not put in spoken form.
    pieces: bool,
    /// In pieces, the last thing said was a whole sentence of ours (a filler, the
    /// apology): the model's next piece is set apart from it by a space.
    after_sentence: bool,
    /// Sentences go out as one text (the OpenAI door in spoken form): each after the first
    /// is sent with the space that sets it apart.
    separated: bool,
    /// What went out in spoken form (sentences set apart): what a platform keeps of the
    /// reply. Only kept when separated; in pieces it is `text`.
    pub(super) sent: String,
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
            pieces: false,
            after_sentence: false,
            separated: false,
            sent: String::new(),
            text: String::new(),
            ends: Vec::new(),
            sentences: 0,
            first_at: None,
        }
    }

    /// What a reply says in the pieces the model wrote them in (the OpenAI door).
    pub(super) fn pieces() -> Self {
        let plain = std::sync::Arc::new(crate::speech::Voice::plain());
        Self {
            pieces: true,
            ..Self::new(crate::speech::VoiceReply::new(plain))
        }
    }

    /// The same, for a reply whose sentences are read as one text.
    pub(super) fn separated(mut self) -> Self {
        self.separated = true;
        self
    }

    /// A model round ended (the model turned to a tool): in pieces, the next round's text
    /// is set apart from this one's, as a sentence of ours is.
    pub(super) fn round_ended(&mut self) {
        if self.pieces && !self.text.is_empty() && !self.text.ends_with(char::is_whitespace) {
            self.after_sentence = true;
        }
    }

    /// Says a whole sentence of ours (a filler, the apology).
    pub(super) fn speak(&mut self, caller: &Caller, sentence: String) {
        if self.pieces {
            let apart = !self.text.is_empty() && !self.text.ends_with(char::is_whitespace);
            let piece = if apart {
                format!(" {sentence}")
            } else {
                sentence
            };
            self.speak_completed(caller, piece, None);
            self.after_sentence = true;
            return;
        }
        self.speak_completed(caller, sentence, None);
    }

    /// Speaks a sentence (or, in pieces, a piece) whose end arrived from upstream at
    /// `completed_at`.
    pub(super) fn speak_completed(
        &mut self,
        caller: &Caller,
        sentence: String,
        completed_at: Option<std::time::Instant>,
    ) {
        if self.pieces {
            let apart = std::mem::take(&mut self.after_sentence)
                && !sentence.starts_with(char::is_whitespace);
            let piece = if apart {
                format!(" {sentence}")
            } else {
                sentence
            };
            self.text.push_str(&piece);
            self.ends.push(self.text.len());
            self.sentences += 1;
            self.first_at.get_or_insert_with(Instant::now);
            caller.send(TurnEvent::Speak(piece, completed_at));
            return;
        }
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
        let said = changed.unwrap_or(sentence);
        let said = if self.separated && self.sentences > 1 {
            format!(" {said}")
        } else {
            said
        };
        if self.separated {
            self.sent.push_str(&said);
        }
        caller.send(TurnEvent::Speak(said, completed_at));
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
    /// Tokens of this turn's finished model requests (every round around a tool call,
    /// every retry that reported usage), summed; `None` when none reported any.
    finished_usage: Option<Usage>,
    /// The latest usage the running model request reported (a provider may repeat it
    /// on several chunks, so it is kept, not added, until the request ends).
    request_usage: Option<Usage>,
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

    /// A model request begins: the one before it is over, its usage counted.
    pub(super) fn request_started(&mut self) {
        self.finished_usage = self.usage();
        self.request_usage = None;
    }

    /// The running request reported `usage` (the latest report stands).
    pub(super) fn request_usage(&mut self, usage: Option<Usage>) {
        if usage.is_some() {
            self.request_usage = usage;
        }
    }

    /// The running request's latest usage report.
    pub(super) fn running_usage(&self) -> Option<Usage> {
        self.request_usage
    }

    /// Tokens of the whole turn so far: every model request's last report, summed.
    pub(super) fn usage(&self) -> Option<Usage> {
        match (self.finished_usage, self.request_usage) {
            (Some(a), Some(b)) => Some(Usage {
                prompt_tokens: a.prompt_tokens.saturating_add(b.prompt_tokens),
                completion_tokens: a.completion_tokens.saturating_add(b.completion_tokens),
                cached_tokens: match (a.cached_tokens, b.cached_tokens) {
                    (Some(x), Some(y)) => Some(x.saturating_add(y)),
                    (x, y) => x.or(y),
                },
            }),
            (a, b) => a.or(b),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Report, Usage};

    fn used(prompt_tokens: u64, completion_tokens: u64) -> Option<Usage> {
        Some(Usage {
            prompt_tokens,
            completion_tokens,
            cached_tokens: None,
        })
    }

    #[test]
    fn a_turns_usage_sums_its_requests_and_counts_a_repeated_report_once() {
        let mut report = Report::default();
        assert_eq!(report.usage(), None);
        report.request_started();
        report.request_usage(used(356, 10));
        report.request_usage(None);
        report.request_usage(used(356, 24)); // the same request, reported again
        assert_eq!(report.usage(), used(356, 24));
        report.request_started(); // after a tool call
        assert_eq!(report.usage(), used(356, 24));
        report.request_usage(used(412, 19));
        report.request_started(); // a retry that reported nothing
        assert_eq!(report.usage(), used(768, 43));
    }
}
