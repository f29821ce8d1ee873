//! Retell's custom-LLM WebSocket: `GET /retell/<agent>/<key>/<call id>` (Retell appends
//! the call id to the URL entered in its dashboard). Retell does not sign its WebSocket,
//! so the URL carries one of the agent's `retell_keys`, compared in constant time before
//! the upgrade; an agent without keys answers `404`.
//!
//! On the socket: `config` first (reconnect, call details), then the greeting (the
//! agent's welcome rendered with the call's details, once they came or after 1 s) as
//! reply 0. Pings are answered, `update_only` is kept as the live transcript, and each
//! `response_required`/`reminder_required` runs the OpenAI door's stateless turn with
//! Retell's transcript as the history, streamed as `response` messages of its id. A newer
//! id drops the running reply at once (its model request is cancelled and nothing more
//! is sent for it), as a barge-in does. `end_call` and `transfer_call` are tools the
//! model may call; they become `end_call`/`transfer_number` on the reply's last message.
//! The socket closing cancels the running reply and ends the call on record.

use std::time::Duration;

use actix_web::{web, HttpRequest, HttpResponse};
use actix_ws::{AggregatedMessage, Session};
use serde_json::{Map, Value};

use super::error::ApiError;
use super::state::{AgentEntry, AppState};
use crate::completions::retell::{self, Inbound, END_CALL_TOOL, TRANSFER_TOOL};
use crate::records::{CallKey, Record};
use crate::template::CallContext;
use crate::turn::{Caller, Delivery, DoorTurn, TurnEvent};

/// The largest message Retell may send (a long call's whole transcript).
const MAX_MESSAGE_BYTES: usize = 2 * 1024 * 1024;
/// How long the greeting waits for the call's details.
const DETAILS_WAIT: Duration = Duration::from_secs(1);

/// `GET /retell/<agent>/<key>/<call id>`.
pub async fn retell_socket(
    request: HttpRequest,
    body: web::Payload,
    state: web::Data<AppState>,
    path: web::Path<(String, String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (agent, key, call_id) = path.into_inner();
    if call_id.len() > crate::webhook::payload::MAX_ID_BYTES || call_id.is_empty() {
        return Err(ApiError::BadRequest(
            "the call id must be 1 to 256 bytes".into(),
        ));
    }
    let Some((name, entry)) = state.agents.get(Some(&agent)) else {
        return Err(ApiError::NotFound);
    };
    if entry.retell_keys.is_empty() {
        return Err(ApiError::NotFound);
    }
    let granted = entry
        .retell_keys
        .iter()
        .fold(false, |granted, k| k.matches(&key) | granted);
    if !granted {
        return Err(ApiError::AccessDenied);
    }
    let (response, session, stream) = actix_ws::handle(&request, body)
        .map_err(|e| ApiError::BadRequest(format!("not a WebSocket upgrade: {e}")))?;
    let stream = stream
        .max_frame_size(MAX_MESSAGE_BYTES)
        .aggregate_continuations()
        .max_continuation_size(MAX_MESSAGE_BYTES);
    let socket = RetellCall {
        state: state.get_ref().clone(),
        agent: name.to_string(),
        call_id,
        transfer_numbers: entry.transfer_numbers.clone(),
        call: Value::Null,
        last_id: 0,
        live: Vec::new(),
    };
    actix_web::rt::spawn(socket.run(session, stream));
    Ok(response)
}

/// One call's socket.
struct RetellCall {
    state: AppState,
    agent: String,
    call_id: String,
    transfer_numbers: Vec<String>,
    /// Retell's `call_details`, once they came.
    call: Value,
    /// The last reply id started: an id not above it is a resend or arrived late.
    last_id: u64,
    /// The live transcript (`update_only`, and each request's): kept with the call's end.
    live: Vec<Value>,
}

/// The reply being streamed: its id and the turn's events.
struct Running {
    id: u64,
    delivery: Delivery,
    end_call: bool,
    transfer: Option<String>,
}

impl RetellCall {
    fn entry(&self) -> Option<&AgentEntry> {
        self.state.agents.get(Some(&self.agent)).map(|(_, e)| e)
    }

    /// The caller's context from the call's details.
    fn context(&self) -> CallContext {
        let text = |field: &str| {
            self.call
                .get(field)
                .and_then(Value::as_str)
                .map(str::to_string)
        };
        let metadata = match self.call.get("metadata") {
            Some(Value::Object(map)) => map.clone(),
            _ => Map::new(),
        };
        let mut platform = Map::new();
        platform.insert("platform".into(), Value::from("retell"));
        platform.insert("call".into(), self.call.clone());
        if let Some(variables) = self.call.get("retell_llm_dynamic_variables") {
            platform.insert("retell_llm_dynamic_variables".into(), variables.clone());
        }
        CallContext {
            metadata,
            from_phone_number: text("from_number"),
            to_phone_number: text("to_number"),
            conversation_id: self.call_id.clone(),
            agent: self.agent.clone(),
            client: Map::new(),
            platform,
        }
    }

    async fn run(mut self, mut session: Session, mut stream: actix_ws::AggregatedMessageStream) {
        if session.text(retell::config()).await.is_err() {
            return;
        }
        // The greeting waits (briefly) for the call's details, which its template may use.
        let mut early = Vec::new();
        let wait = tokio::time::sleep(DETAILS_WAIT);
        tokio::pin!(wait);
        loop {
            tokio::select! {
                () = &mut wait => break,
                message = stream.recv() => match message {
                    Some(Ok(AggregatedMessage::Text(text))) => match retell::parse(&text) {
                        Ok(Inbound::CallDetails(call)) => {
                            self.call = call;
                            break;
                        }
                        Ok(other) => early.push(other),
                        Err(problem) => tracing::info!(call_id = %self.call_id, %problem, "Retell message ignored"),
                    },
                    Some(Ok(AggregatedMessage::Ping(bytes))) => {
                        let _ = session.pong(&bytes).await;
                    }
                    Some(Ok(AggregatedMessage::Close(_))) | None | Some(Err(_)) => return,
                    Some(Ok(_)) => {}
                },
            }
        }
        let greeting = self.greeting();
        if session
            .text(retell::last_response(0, &greeting, false, None))
            .await
            .is_err()
        {
            return;
        }
        let mut running: Option<Running> = None;
        for message in early {
            if self
                .handle(message, &mut session, &mut running)
                .await
                .is_err()
            {
                return;
            }
        }
        loop {
            tokio::select! {
                message = stream.recv() => {
                    let message = match message {
                        Some(Ok(AggregatedMessage::Text(text))) => retell::parse(&text),
                        Some(Ok(AggregatedMessage::Ping(bytes))) => {
                            let _ = session.pong(&bytes).await;
                            continue;
                        }
                        Some(Ok(AggregatedMessage::Close(_))) | None | Some(Err(_)) => break,
                        Some(Ok(_)) => continue,
                    };
                    let handled = match message {
                        Ok(message) => self.handle(message, &mut session, &mut running).await,
                        Err(problem) => {
                            tracing::info!(call_id = %self.call_id, %problem, "Retell message ignored");
                            Ok(())
                        }
                    };
                    if handled.is_err() {
                        break;
                    }
                }
                event = next_event(&mut running) => {
                    if self.forward(event, &mut session, &mut running).await.is_err() {
                        break;
                    }
                }
            }
        }
        // Dropping the running reply cancels its turn; the call is over on record, with
        // Retell's live transcript as its report.
        drop(running);
        let mut report = Map::new();
        if !self.live.is_empty() {
            report.insert(
                "transcript".into(),
                Value::Array(std::mem::take(&mut self.live)),
            );
        }
        let call = CallKey {
            agent: self.agent.clone(),
            conversation_id: self.call_id.clone(),
        };
        // Retell bills its own minutes.
        let end = Record::session_end(call, now_ms(), None, report);
        self.state.calls.record(end);
        let _ = session.close(None).await;
    }

    /// The agent's welcome rendered with the call's details ("" lets the caller speak
    /// first).
    fn greeting(&self) -> String {
        self.entry()
            .map(|entry| entry.agent.greeting(&self.context()))
            .unwrap_or_default()
    }

    /// One message from Retell.
    async fn handle(
        &mut self,
        message: Inbound,
        session: &mut Session,
        running: &mut Option<Running>,
    ) -> Result<(), actix_ws::Closed> {
        match message {
            Inbound::PingPong(timestamp) => session.text(retell::ping_pong(&timestamp)).await,
            Inbound::CallDetails(call) => {
                self.call = call;
                Ok(())
            }
            Inbound::UpdateOnly(transcript) => {
                self.live = transcript;
                Ok(())
            }
            Inbound::Other => Ok(()),
            Inbound::Respond {
                id,
                transcript,
                reminder,
            } => {
                // An id not above the last one started (a resend, or one that arrived
                // late) changes nothing; a newer one makes the running reply obsolete:
                // dropping its events cancels its turn, and nothing more is sent for it.
                if id <= self.last_id {
                    return Ok(());
                }
                self.live.clone_from(&transcript);
                self.last_id = id;
                *running = None;
                *running = self.start(id, &transcript, reminder);
                Ok(())
            }
        }
    }

    /// Starts reply `id` to `transcript`.
    fn start(&self, id: u64, transcript: &[Value], reminder: bool) -> Option<Running> {
        let entry = self.entry()?;
        let turn_id = format!("retell-{id}-{:08x}", rand_u32());
        let (mut history, question) = retell::history(transcript, &turn_id);
        if reminder {
            history.push(crate::session::ChatMessage::user(
                "(The caller has said nothing for a while.)",
                format!("{turn_id}-reminder"),
            ));
        }
        let (caller, delivery) = Caller::new(
            self.state.shutdown.child_token(),
            tokio::time::Instant::now(),
        );
        let tools = retell::tools(&self.transfer_numbers);
        let turn = DoorTurn {
            conversation: self
                .state
                .agents
                .conversation_key(&self.agent, &self.call_id),
            turn_id,
            context: self.context(),
            platform_system: String::new(),
            history,
            question,
            platform_names: tools
                .iter()
                .filter_map(|t| t.pointer("/function/name").and_then(Value::as_str))
                .map(str::to_string)
                .collect(),
            platform_tools: tools,
            identified: true,
            door: "retell",
            caller,
            // A socket carries many turns: each starts a trace of its own.
            traceparent: None,
        };
        self.state.metrics.webhook_received("retell.response");
        let agent = entry.agent.clone();
        self.state.turns.spawn(async move {
            agent.complete(turn).await;
        });
        Some(Running {
            id,
            delivery,
            end_call: false,
            transfer: None,
        })
    }

    /// One event of the running reply, as Retell reads it.
    async fn forward(
        &self,
        event: Option<TurnEvent>,
        session: &mut Session,
        running: &mut Option<Running>,
    ) -> Result<(), actix_ws::Closed> {
        let Some(reply) = running.as_mut() else {
            return Ok(());
        };
        match event {
            Some(TurnEvent::Speak(text, _)) => {
                reply
                    .delivery
                    .delivered
                    .fetch_add(1, std::sync::atomic::Ordering::Release);
                session.text(retell::response(reply.id, &text)).await
            }
            Some(TurnEvent::Handoff(calls)) => {
                for call in calls {
                    match call.function.name.as_str() {
                        END_CALL_TOOL => reply.end_call = true,
                        TRANSFER_TOOL => {
                            let number = serde_json::from_str::<Value>(&call.function.arguments)
                                .ok()
                                .and_then(|a| {
                                    a.get("number").and_then(Value::as_str).map(str::to_string)
                                });
                            let allowed = number.filter(|n| self.transfer_numbers.contains(n));
                            if allowed.is_none() {
                                tracing::warn!(call_id = %self.call_id, "transfer_call to a number not in transfer_numbers: not transferred");
                            }
                            reply.transfer = allowed;
                        }
                        _ => {}
                    }
                }
                Ok(())
            }
            Some(TurnEvent::Data(_) | TurnEvent::Delta(_) | TurnEvent::Finished { .. }) => Ok(()),
            Some(TurnEvent::End) | None => {
                let last =
                    retell::last_response(reply.id, "", reply.end_call, reply.transfer.as_deref());
                *running = None;
                session.text(last).await
            }
        }
    }
}

/// The running reply's next event; never, when none runs.
async fn next_event(running: &mut Option<Running>) -> Option<TurnEvent> {
    match running {
        Some(reply) => reply.delivery.events.recv().await,
        None => std::future::pending().await,
    }
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

fn rand_u32() -> u32 {
    use std::hash::{BuildHasher, Hasher};
    (std::collections::hash_map::RandomState::new()
        .build_hasher()
        .finish()
        >> 32) as u32
}
