//! A round of tool calls between two model rounds: each call planned and started, client
//! tool calls sent to the page, answers collected, the tool filler spoken.

use serde_json::json;
use tokio::time::{sleep_until, Instant};

use super::ReplyRun;
use crate::llm::ToolRound;
use crate::session::{ToolCall, ToolResult};
use crate::trace::Span;
use crate::turn::dispatch::{self, Plan, Round};
use crate::turn::trace;
use crate::turn::TurnEvent;

impl ReplyRun<'_> {
    /// Sends the page the round's client tool calls, each once it is announced to the
    /// other machines (at once without Redis). The round is already kept in `self`, so a
    /// barge-in while this waits leaves the calls to [`ReplyRun::settle_tools`].
    pub(super) async fn send_client_tool_calls(&mut self) {
        let Some(round) = self.running.as_mut() else {
            return;
        };
        let events: Vec<dispatch::ClientEvent> = round
            .plans
            .iter_mut()
            .filter_map(|plan| match plan {
                Some(Plan::Call { client_event, .. }) => client_event.take(),
                _ => None,
            })
            .collect();
        for dispatch::ClientEvent { event, announced } in events {
            let _ = announced.await;
            self.caller.send(TurnEvent::Data(event));
        }
    }

    /// Runs one round of tool calls: each is answered (called, or refused with a reason),
    /// slow ones get their `say_while_waiting` spoken once, and the browser hears when
    /// each starts and ends. The round is kept in `self` while it runs, so a barge-in
    /// leaves it to [`ReplyRun::settle_tools`].
    pub(super) async fn run_round(&mut self, calls: Vec<ToolCall>) {
        self.rounds_run += 1;
        self.filler_pending = false; // The thinking filler is for a silent start only.
        let mut plans = Vec::with_capacity(calls.len());
        let mut spans = Vec::with_capacity(calls.len());
        for (index, call) in calls.iter().enumerate() {
            if index >= dispatch::MAX_CALLS_PER_ROUND {
                spans.push(Span::none());
                // A runaway model does not get to fire off any number of requests.
                plans.push(Some(Plan::Answer {
                    content: dispatch::error(format!(
                        "not called: at most {} tool calls are made in one round",
                        dispatch::MAX_CALLS_PER_ROUND
                    )),
                    outcome: "too_many_calls",
                    failed: true,
                }));
                continue;
            }
            let keys = &self.keys;
            let mutating = self.tools.mutating(&call.function.name);
            let n = self.mutating_calls + 1;
            let now = &self.settings.now;
            let tools = self.tools;
            let span = trace::tool_span(
                self.span,
                call,
                || tools.kind(&call.function.name),
                mutating,
            );
            let ids = dispatch::CallIds {
                key: || format!("{}:{}:{n}", keys.conversation, keys.turn_id),
                traceparent: span.traceparent(),
            };
            spans.push(span);
            let plan = dispatch::plan(
                self.tools,
                self.metrics,
                call,
                &self.earlier,
                keys.context,
                now,
                ids,
            );
            if let Plan::Call { .. } = plan {
                self.mutating_calls += usize::from(mutating);
            }
            let mocked = matches!(
                plan,
                Plan::Answer {
                    outcome: "mocked",
                    ..
                }
            );
            if mocked || matches!(plan, Plan::Call { .. }) {
                self.caller.send(TurnEvent::Data(json!({"tool": {
                    "id": call.id, "name": call.function.name, "status": "started",
                    "arguments": call.function.arguments,
                }})));
            }
            if call.function.name == crate::tools::END_CALL && self.tools.settings().end_call {
                self.end_call = true;
            }
            plans.push(Some(plan));
        }
        let results = vec![None; calls.len()];
        self.running = Some(Round {
            text: std::mem::take(&mut self.round_text),
            calls,
            plans,
            results,
            spans,
            started: Instant::now(),
            filler_spoken: false,
        });
        self.send_client_tool_calls().await;
        let filler_at = Instant::now() + self.tools.settings().filler_after;
        let count = self.running.as_ref().map_or(0, |r| r.calls.len());
        for slot in 0..count {
            loop {
                let Some(round) = self.running.as_mut() else {
                    return;
                };
                let plan = round.plans[slot].as_mut();
                let Some(Plan::Call { task, .. }) = plan else {
                    self.answer(slot, None);
                    break;
                };
                let filler_due = !round.filler_spoken;
                let joined = tokio::select! {
                    biased;
                    joined = task => Some(joined),
                    () = sleep_until(filler_at), if filler_due => None,
                };
                match joined {
                    Some(joined) => {
                        self.answer(slot, Some(joined));
                        break;
                    }
                    None => self.speak_tool_filler(),
                }
            }
        }
        self.finish_round();
    }

    /// Records the answer of call `slot` of the running round: `joined` is the called
    /// tool's outcome, `None` for a call answered without calling.
    pub(super) fn answer(
        &mut self,
        slot: usize,
        joined: Option<Result<dispatch::Called, tokio::task::JoinError>>,
    ) {
        let Some(round) = self.running.as_mut() else {
            return;
        };
        let call = &round.calls[slot];
        let name = call.function.name.as_str();
        let (content, outcome, failed, took) = match (round.plans[slot].take(), joined) {
            (
                Some(Plan::Answer {
                    content,
                    outcome,
                    failed,
                }),
                _,
            ) => (content, outcome, failed, None),
            (_, Some(Ok(called))) => {
                let (content, outcome) = dispatch::finished(&called);
                (content, outcome, called.result.is_err(), Some(called.took))
            }
            (_, Some(Err(_))) | (_, None) => (
                dispatch::error("the tool call was lost".into()),
                "lost",
                true,
                None,
            ),
        };
        self.tools
            .count(self.metrics, &self.settings.name, name, outcome, took);
        self.report.tool_calls += 1;
        // The passages a knowledge search found, for the page, as a prefetch tells it.
        let searched = name == crate::tools::SEARCH_KNOWLEDGE && self.tools.knowledge().is_some();
        if let Some(found) = (searched && !failed)
            .then(|| super::super::knowledge_tool::found_in(&content))
            .flatten()
        {
            self.caller
                .send(TurnEvent::Data(json!({ "knowledge": found })));
        }
        let ms = took.map(|t| t.as_millis() as u64);
        self.report.tools.push(crate::records::ToolRecord {
            name: name.chars().take(64).collect(),
            arguments: call.function.arguments.clone(),
            outcome: outcome.to_string(),
            ms,
            result: Some(crate::records::kept_result(&content)),
        });
        if let Some(span) = round.spans.get_mut(slot) {
            trace::finish_tool_span(std::mem::take(span), outcome, failed, &content);
        }
        let status = if failed { "failed" } else { "finished" };
        let mut event = json!({"id": call.id, "name": dispatch::short(name).trim_matches('"'), "status": status});
        if let Some(ms) = ms {
            event["ms"] = json!(ms);
        }
        if failed {
            event["outcome"] = json!(outcome);
        }
        self.caller.send(TurnEvent::Data(json!({ "tool": event })));
        tracing::info!(tool = %dispatch::short(name), outcome, ms, "tool call finished");
        round.results[slot] = Some(ToolResult::new(call.id.clone(), content));
    }

    /// Moves the running round, every call answered, to the finished rounds.
    pub(super) fn finish_round(&mut self) {
        let Some(round) = self.running.take() else {
            return;
        };
        let took = round.started.elapsed();
        self.report.tool_time += took;
        // Tools have their own timeouts: their time does not eat the model's budget.
        self.budget_ends += took;
        let results = round
            .calls
            .iter()
            .zip(round.results)
            .map(|(call, result)| {
                result
                    .unwrap_or_else(|| ToolResult::new(call.id.clone(), crate::session::NO_RESULT))
            })
            .collect();
        self.rounds.push(ToolRound {
            text: round.text,
            calls: round.calls,
            results,
        });
    }

    /// Speaks the `say_while_waiting` of the first running call that has one, once per
    /// round.
    pub(super) fn speak_tool_filler(&mut self) {
        let Some(round) = self.running.as_mut() else {
            return;
        };
        round.filler_spoken = true;
        let text = round.calls.iter().enumerate().find_map(|(slot, call)| {
            let running = matches!(round.plans[slot], Some(Plan::Call { .. }));
            running
                .then(|| self.tools.filler(&call.function.name))
                .flatten()
        });
        if let Some(text) = text {
            self.span.event("tool_filler_spoken", Vec::new());
            self.spoken.speak(self.caller, text.to_string());
        }
    }
}
