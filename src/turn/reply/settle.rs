//! How a reply ends: tool calls still running after a barge-in settled, what is stored of
//! the rounds, the apology when the model failed, and timings for the record.

use serde_json::json;
use tokio::time::Instant;

use super::ReplyRun;
use crate::llm::LlmError;
use crate::session::{ChatMessage, ToolCall, ToolResult};
use crate::turn::dispatch::{self, Plan};
use crate::turn::{TurnEvent, TurnOutcome};

impl ReplyRun<'_> {
    /// After a barge-in (or a newer turn) stopped the reply: read-only calls still running
    /// are cancelled; mutating calls already sent are awaited (each within its timeout),
    /// so what they did is stored with the turn.
    pub(in crate::turn) async fn settle_tools(&mut self) {
        // Every read-only call stops now, not after the mutating calls before it finish
        // (a client call would take an answer meanwhile only to drop it).
        if let Some(round) = self.running.as_ref() {
            for plan in &round.plans {
                if let Some(Plan::Call {
                    mutating: false,
                    task,
                    ..
                }) = plan
                {
                    task.abort();
                }
            }
        }
        let count = self.running.as_ref().map_or(0, |r| r.calls.len());
        for slot in 0..count {
            let Some(round) = self.running.as_mut() else {
                return;
            };
            match round.plans[slot].take() {
                Some(Plan::Call {
                    mutating: true,
                    task,
                    ..
                }) => {
                    let joined = task.await;
                    self.answer(slot, Some(joined));
                }
                Some(Plan::Call {
                    mutating: false,
                    task,
                    ..
                }) => {
                    // Aborted above; joined so that the call is gone (a client call no
                    // longer takes an answer) by the time the turn has settled.
                    let _ = task.await;
                    let Some(round) = self.running.as_mut() else {
                        return;
                    };
                    round.plans[slot] = Some(Plan::Answer {
                        content: dispatch::error(
                            "cancelled: the user interrupted before the tool finished".into(),
                        ),
                        outcome: "cancelled",
                        failed: true,
                    });
                    self.answer(slot, None);
                }
                plan @ Some(Plan::Answer { .. }) => {
                    round.plans[slot] = plan;
                    self.answer(slot, None);
                }
                None => {}
            }
        }
        self.finish_round();
    }

    /// When a mutating call is still running (the reply was stopped while it ran): every
    /// call so far, with the running ones' results saying so. Stored at once, so a turn
    /// that follows before the call ends sees that it was made.
    pub(in crate::turn) fn provisional_tool_record(
        &self,
    ) -> Option<(Vec<ToolCall>, Vec<ToolResult>)> {
        let round = self.running.as_ref()?;
        let pending = round
            .plans
            .iter()
            .any(|p| matches!(p, Some(Plan::Call { mutating: true, .. })));
        if !pending {
            return None;
        }
        let (mut calls, mut results) = self.tool_record();
        for (slot, call) in round.calls.iter().enumerate() {
            calls.push(call.clone());
            results.push(round.results[slot].clone().unwrap_or_else(|| {
                ToolResult::new(
                    call.id.clone(),
                    dispatch::error(
                        "still running when the user interrupted; its result was not known yet"
                            .into(),
                    ),
                )
            }));
        }
        Some((calls, results))
    }

    /// Every call of this turn with its result, for the stored reply.
    pub(in crate::turn) fn tool_record(&self) -> (Vec<ToolCall>, Vec<ToolResult>) {
        let calls = self
            .rounds
            .iter()
            .flat_map(|r| r.calls.iter().cloned())
            .collect();
        let results = self
            .rounds
            .iter()
            .flat_map(|r| r.results.iter().cloned())
            .collect();
        (calls, results)
    }

    /// Runs the reply to its end: `Completed`, or `Failed` once the caller has heard the
    /// apology. The turn races it against the caller leaving (and a newer turn).
    pub(in crate::turn) async fn run_to_end(&mut self, history: &[ChatMessage]) -> TurnOutcome {
        match self.run(history).await {
            Ok(()) => TurnOutcome::Completed,
            Err(error) => {
                tracing::warn!(error = %error, code = error.code(), "model failed during the turn");
                self.apologise(&error);
                TurnOutcome::Failed
            }
        }
    }

    /// Tells the user briefly that the model failed, and the browser why.
    pub(in crate::turn) fn apologise(&mut self, error: &LlmError) {
        self.apology(
            error.code(),
            "The language model failed to answer this turn.",
        );
    }

    pub(super) fn apology(&mut self, code: &str, message: &str) {
        let apology = self.texts.apology.trim();
        if !apology.is_empty() {
            self.spoken.speak(self.caller, apology.to_string());
        }
        self.caller.send(TurnEvent::Data(json!({
            "error": { "code": code, "message": message }
        })));
    }

    /// Milliseconds from the start of the reply to `at`.
    pub(in crate::turn) fn ms_since_start(&self, at: Option<Instant>) -> Option<u64> {
        at.map(|t| t.duration_since(self.started).as_millis() as u64)
    }
}
