//! `POST /agent` (and `/api/agent`), and `POST /agent/<name>` for each agent: Layercode's
//! webhook. Refuses a missing or malformed signature header before reading anything, reads
//! the raw body within a size limit, a deadline and the room for bodies in flight
//! (`webhook_body`), verifies the signature over those exact bytes with that agent's
//! secret, parses, then either streams a turn as SSE or answers with a small JSON body.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};

use super::webhook_body::{precheck_signature, signature_header, unix_now, WebhookBodies};
use crate::metrics::StoreOperation;
use crate::records::{CallKey, Record};
use crate::routes::error::ApiError;
use crate::routes::sse::{SpeechTiming, SseBody};
use crate::routes::state::{AgentEntry, AppState};
use crate::session::Heard;
use crate::template::CallContext;
use crate::turn::{Caller, Delivered, Request, Turn};
use crate::webhook::{
    payload, signature, EventKind, InterruptionContext, SignatureError, WebhookEvent,
};

/// Largest webhook body accepted. Turns are a few hundred bytes, but `session.end`
/// carries the whole transcript: an hour-long call is a few hundred KiB.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// Receives one Layercode webhook for the default agent.
pub async fn receive_webhook(
    request: HttpRequest,
    body: web::Payload,
    state: web::Data<AppState>,
    bodies: web::Data<WebhookBodies>,
) -> Result<HttpResponse, ApiError> {
    receive(request, body, &state, &bodies, None).await
}

/// Receives one Layercode webhook for the agent named in the path.
pub async fn receive_agent_webhook(
    request: HttpRequest,
    body: web::Payload,
    state: web::Data<AppState>,
    bodies: web::Data<WebhookBodies>,
    name: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    if name.len() > payload::MAX_ID_BYTES {
        let limit = payload::MAX_ID_BYTES;
        return Err(ApiError::BadRequest(format!(
            "the agent name is longer than {limit} bytes"
        )));
    }
    receive(request, body, &state, &bodies, Some(name.as_str())).await
}

async fn receive(
    request: HttpRequest,
    body: web::Payload,
    state: &AppState,
    bodies: &WebhookBodies,
    name: Option<&str>,
) -> Result<HttpResponse, ApiError> {
    let mut received = Received::now();
    let (name, entry) = state
        .agents
        .get(name)
        .ok_or_else(|| ApiError::UnknownAgent {
            name: name.unwrap_or_default().to_string(),
            known: state.agents.names().join(", "),
        })?;
    if entry.webhook_secret.is_some() {
        precheck_signature(&request)?;
    }
    let body = bodies.read(&request, body, MAX_BODY_BYTES).await?;
    check_signature(entry, &request, &body)?;
    received.traceparent = traceparent(&request);
    let event = payload::parse(&body)?;
    state.metrics.webhook_received(event.kind.as_str());
    let agent = Target { name, entry };
    match event.kind {
        EventKind::Message => reply(state, agent, event, received).await,
        EventKind::SessionStart => {
            let keys = turn_keys(&event)?;
            Ok(stream_turn(state, agent, &event, keys, Request::Welcome, received).await)
        }
        EventKind::SessionEnd | EventKind::SessionUpdate => {
            record_session(state, agent, &body, &event);
            Ok(acknowledge(event.kind.as_str()))
        }
        EventKind::Data => Ok(client_data(state, agent, event).await),
        EventKind::Other(kind) => Ok(acknowledge(&kind)),
    }
}

/// The agent a webhook is for.
#[derive(Clone, Copy)]
struct Target<'a> {
    name: &'a str,
    entry: &'a AgentEntry,
}

fn check_signature(entry: &AgentEntry, request: &HttpRequest, body: &[u8]) -> Result<(), ApiError> {
    let Some(secret) = &entry.webhook_secret else {
        return Ok(());
    };
    let header = signature_header(request)?;
    signature::verify(secret.expose().as_bytes(), header, body, unix_now()).map_err(|error| {
        match error {
            SignatureError::Mismatch => ApiError::SignatureMismatch {
                error,
                secret_in: entry.secret_source.clone(),
            },
            other => ApiError::Unauthorized(other),
        }
    })?;
    Ok(())
}

/// When a webhook arrived, on both clocks in use (metrics and the turn's budget).
#[derive(Clone)]
struct Received {
    at: Instant,
    budget_from: tokio::time::Instant,
    /// The W3C `traceparent` the webhook came with, read once it is verified.
    traceparent: Option<String>,
}

/// The request's W3C `traceparent`, when it has a plausible one (the turn's span checks
/// it whole).
pub(super) fn traceparent(request: &HttpRequest) -> Option<String> {
    request
        .headers()
        .get("traceparent")
        .and_then(|v| v.to_str().ok())
        .filter(|v| v.len() <= 128)
        .map(str::to_string)
}

impl Received {
    fn now() -> Self {
        Self {
            at: Instant::now(),
            budget_from: tokio::time::Instant::now(),
            traceparent: None,
        }
    }
}

async fn reply(
    state: &AppState,
    agent: Target<'_>,
    event: WebhookEvent,
    received: Received,
) -> Result<HttpResponse, ApiError> {
    let keys = turn_keys(&event)?;
    let text = event
        .text
        .clone()
        .ok_or_else(|| ApiError::BadRequest("a `message` event needs `text`".into()))?;
    let heard = heard_of_previous_turn(event.interruption_context.as_ref());
    Ok(stream_turn(
        state,
        agent,
        &event,
        keys,
        Request::Message { text, heard },
        received,
    )
    .await)
}

/// What the user heard of an interrupted previous reply, when Layercode reports it.
fn heard_of_previous_turn(context: Option<&InterruptionContext>) -> Option<Heard> {
    let context = context.filter(|c| c.previous_turn_interrupted)?;
    Some(Heard {
        assistant_turn_id: context.assistant_turn_id.clone(),
        text: context.text_heard.clone()?,
    })
}

fn turn_keys(event: &WebhookEvent) -> Result<(String, String), ApiError> {
    let conversation = event.conversation_key().ok_or_else(|| {
        ApiError::BadRequest("the event needs `conversation_id` or `session_id`".into())
    })?;
    let turn_id = event
        .turn_id
        .as_deref()
        .ok_or_else(|| ApiError::BadRequest("the event needs `turn_id`".into()))?;
    Ok((conversation.to_string(), turn_id.to_string()))
}

/// How long the response's head waits for the turn's first events, so that both leave in
/// one write. A turn with nothing to say by then (a slow model, a long tool) gets its
/// head alone, as a proxy or client waiting for headers expects.
const HEAD_WAITS_FOR_FIRST_EVENT: Duration = Duration::from_secs(1);

/// Runs the turn in its own task and streams its events. The task outlives a client that
/// goes away just long enough to settle history: dropping the body cancels it.
async fn stream_turn(
    state: &AppState,
    target: Target<'_>,
    event: &WebhookEvent,
    (conversation, turn_id): (String, String),
    request: Request,
    received: Received,
) -> HttpResponse {
    let (caller, delivery) = Caller::new(state.shutdown.child_token(), received.budget_from);
    let context = CallContext {
        metadata: CallContext::merge_metadata(
            event.metadata.as_ref(),
            event.custom_metadata.as_ref(),
        ),
        from_phone_number: event.from_phone_number.clone(),
        to_phone_number: event.to_phone_number.clone(),
        conversation_id: conversation.clone(),
        agent: target.name.to_string(),
        client: Default::default(),
        platform: Default::default(),
    };
    let turn = Turn {
        conversation: state.agents.conversation_key(target.name, &conversation),
        context,
        turn_id: turn_id.clone(),
        request,
        caller,
        traceparent: received.traceparent,
    };
    let agent = target.entry.agent.clone();
    state.turns.spawn(async move {
        agent.run(turn).await;
    });
    let timing = SpeechTiming {
        added_latency: state.metrics.added_latency.clone(),
        first_tts: state.metrics.first_tts.clone(),
        received: received.at,
    };
    let mut body = SseBody::new(delivery, turn_id).with_timing(timing);
    let _ = tokio::time::timeout(HEAD_WAITS_FOR_FIRST_EVENT, body.first_batch()).await;
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/event-stream"))
        .insert_header((header::CACHE_CONTROL, "no-cache, no-transform"))
        .insert_header(("X-Accel-Buffering", "no"))
        .insert_header((header::CONTENT_ENCODING, "identity"))
        .streaming(body)
}

/// Keeps what `session.end` and `session.update` report about the call (the fields as
/// Layercode sent them, less the type and ids), for the call store.
fn record_session(state: &AppState, target: Target<'_>, body: &[u8], event: &WebhookEvent) {
    if !state.calls.is_on() {
        return;
    }
    let Some(conversation_id) = event.conversation_key() else {
        return;
    };
    let Ok(serde_json::Value::Object(mut fields)) = serde_json::from_slice(body) else {
        return;
    };
    for key in ["type", "conversation_id", "session_id", "turn_id"] {
        fields.remove(key);
    }
    let call = CallKey {
        agent: target.name.to_string(),
        conversation_id: conversation_id.to_string(),
    };
    let at_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64);
    let record = match event.kind {
        EventKind::SessionEnd => {
            // Layercode's `duration` is the session's length in milliseconds.
            let voice_cost_usd = fields
                .get("duration")
                .and_then(serde_json::Value::as_u64)
                .and_then(|ms| target.entry.prices.session_cost(ms));
            Record::session_end(call, at_ms, voice_cost_usd, fields)
        }
        _ => {
            let text = |key: &str| fields.get(key).and_then(|v| v.as_str()).map(str::to_string);
            Record::SessionUpdate {
                call,
                at_ms,
                recording_status: text("recording_status"),
                recording_url: text("recording_url"),
                details: fields,
            }
        }
    };
    state.calls.record(record);
}

/// A `data` event: what the page sent joins the conversation's client variables, which
/// templates read from the next turn on. A running turn is not touched, except that a
/// `tool_result` (the page's answer to a client tool call) goes to the turn waiting for
/// it, and never into the client variables. Answered as
/// Layercode expects, with plain JSON.
async fn client_data(state: &AppState, target: Target<'_>, event: WebhookEvent) -> HttpResponse {
    let answer = |received: bool, error: Option<&str>| {
        let mut content = serde_json::json!({ "received": received });
        if let Some(error) = error {
            content["error"] = error.into();
        }
        HttpResponse::Ok().json(serde_json::json!({"type": "response.data", "content": content}))
    };
    let raw_conversation = event.conversation_key().unwrap_or_default().to_string();
    let conversation = event
        .conversation_key()
        .map(|c| state.agents.conversation_key(target.name, c));
    let (Some(conversation), Some(mut update)) = (conversation, event.data) else {
        return answer(
            false,
            Some("a data event needs `conversation_id` and an object in `data`"),
        );
    };
    // The page's answer to a client tool call goes to the turn waiting for it, never into
    // the client variables.
    match update.remove("tool_result") {
        None => {}
        Some(serde_json::Value::Object(tool_result)) => {
            if let Err(error) =
                deliver_tool_result(state, target, &raw_conversation, tool_result).await
            {
                return answer(false, Some(error));
            }
            if update.is_empty() {
                return answer(true, None);
            }
        }
        Some(_) => return answer(false, Some("`tool_result` must be an object")),
    }
    match target
        .entry
        .agent
        .store()
        .merge_client(&conversation, update)
        .await
    {
        Ok(true) => answer(true, None),
        Ok(false) => answer(
            false,
            Some("the page's context would exceed the size limit; nothing was changed"),
        ),
        Err(error) => {
            tracing::warn!(%error, "storing the page's data failed");
            state.metrics.store_failed(StoreOperation::ClientContext);
            answer(false, Some("the page's context could not be stored"))
        }
    }
}

/// Hands a page's `tool_result` (`{"id": <call id>, "result": <any JSON>}`) to the client
/// tool call of this conversation waiting for it, on this machine or (through Redis) on
/// the one running the turn; `Err` says why it could not be.
async fn deliver_tool_result(
    state: &AppState,
    target: Target<'_>,
    conversation_id: &str,
    mut tool_result: serde_json::Map<String, serde_json::Value>,
) -> Result<(), &'static str> {
    let Some(serde_json::Value::String(id)) = tool_result.remove("id") else {
        return Err("`tool_result` needs a string `id`");
    };
    let result = tool_result
        .remove("result")
        .unwrap_or(serde_json::Value::Null);
    match state
        .client_tool_calls
        .deliver(target.name, conversation_id, &id, result)
        .await
    {
        Ok(Delivered::Here | Delivered::Forwarded) => Ok(()),
        Ok(Delivered::Nobody) => Err("no tool call is waiting for this id"),
        Err(error) => {
            // Counted by the relay; the page may send the answer again.
            tracing::warn!(%error, "cannot forward a tool result to the machine running the turn");
            Err("the answer could not be passed to the machine running the turn")
        }
    }
}

fn acknowledge(kind: &str) -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({ "ok": true, "type": kind }))
}
