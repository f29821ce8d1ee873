//! The OpenAI-compatible door: `POST /openai/<agent>/chat/completions` (and
//! `…/<agent>/v1/chat/completions`) for one agent, `POST /openai/chat/completions` (and
//! `/openai/v1/…`) for the agent `model` names, else the default one. Vapi, ElevenLabs
//! and any OpenAI client use an agent as their "custom LLM" through it.
//!
//! In order: the agent's door must be open (it has keys; `404` saying how to open it
//! otherwise); the `Authorization: Bearer <key>` must be one of its keys, compared in
//! constant time (`401`), before the body is read; the body is read within a size limit,
//! a deadline and the room for bodies in flight, then parsed. Every refusal is
//! OpenAI-shaped (`{"error": {"message", "type", "param", "code"}}`). The turn runs in
//! `turn::Agent::complete`; its events are framed as chunks (`openai_body`), or, for
//! `stream: false`, gathered into one `chat.completion`.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};

use super::openai_body::{gather, CompletionBody};
use super::state::{AgentEntry, AppState};
use super::webhook_body::WebhookBodies;
use crate::completions::{conversation, error_body, ChunkWriter, CompletionRequest};
use crate::template::CallContext;
use crate::turn::{Caller, DoorTurn};

/// The largest request body: a long call's whole history, the platform's tools and its
/// call object.
pub const MAX_DOOR_BODY_BYTES: usize = 4 * 1024 * 1024;

/// A header a client may set to group its requests into one call (ElevenLabs sends no
/// call id of its own).
pub const CALL_ID_HEADER: &str = "x-call-id";

/// A refusal, as OpenAI writes it.
#[derive(Debug)]
pub struct DoorError {
    status: StatusCode,
    kind: &'static str,
    code: Option<&'static str>,
    message: String,
}

impl DoorError {
    fn new(
        status: StatusCode,
        kind: &'static str,
        code: Option<&'static str>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            status,
            kind,
            code,
            message: message.into(),
        }
    }

    fn bad_request(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            None,
            message,
        )
    }
}

impl std::fmt::Display for DoorError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl actix_web::ResponseError for DoorError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        tracing::info!(status = self.status.as_u16(), error = %self.message, "OpenAI door request refused");
        HttpResponse::build(self.status).json(error_body(&self.message, self.kind, self.code))
    }
}

/// A body the reader refused (too large, too slow, no room): its status, OpenAI-shaped.
impl From<super::error::ApiError> for DoorError {
    fn from(error: super::error::ApiError) -> Self {
        use actix_web::ResponseError;
        let status = error.status_code();
        let kind = if status.is_server_error() {
            "server_error"
        } else {
            "invalid_request_error"
        };
        Self::new(status, kind, None, error.to_string())
    }
}

/// `POST /openai/<agent>/chat/completions` and `…/<agent>/v1/chat/completions`.
pub async fn complete_for_agent(
    request: HttpRequest,
    body: web::Payload,
    state: web::Data<AppState>,
    bodies: web::Data<WebhookBodies>,
    name: web::Path<String>,
) -> Result<HttpResponse, DoorError> {
    let (name, entry) = find(&state, Some(name.as_str()))?;
    authorized(&request, name, entry)?;
    let body = bodies.read(&request, body, MAX_DOOR_BODY_BYTES).await?;
    let parsed = parse(&body)?;
    Ok(answer(&state, &request, name, entry, parsed))
}

/// `POST /openai/chat/completions` and `/openai/v1/chat/completions`: the agent `model`
/// names, else the default agent. The key must open some agent's door before the body is
/// read, and the named agent's after.
pub async fn complete_by_model(
    request: HttpRequest,
    body: web::Payload,
    state: web::Data<AppState>,
    bodies: web::Data<WebhookBodies>,
) -> Result<HttpResponse, DoorError> {
    let open: Vec<(&str, &AgentEntry)> = state
        .agents
        .iter()
        .filter(|(_, entry)| !entry.openai_keys.is_empty())
        .collect();
    if open.is_empty() {
        let (name, entry) = find(&state, None)?;
        authorized(&request, name, entry)?;
    }
    if !open
        .iter()
        .any(|(name, entry)| authorized(&request, name, entry).is_ok())
    {
        return Err(wrong_key());
    }
    let body = bodies.read(&request, body, MAX_DOOR_BODY_BYTES).await?;
    let parsed = parse(&body)?;
    let named = parsed
        .model_name()
        .filter(|model| state.agents.get(Some(model)).is_some());
    let (name, entry) = find(&state, named)?;
    authorized(&request, name, entry)?;
    Ok(answer(&state, &request, name, entry, parsed))
}

/// Anything else under `/openai/`.
pub async fn door_not_found(request: HttpRequest) -> Result<HttpResponse, DoorError> {
    Err(DoorError::new(
        StatusCode::NOT_FOUND,
        "invalid_request_error",
        Some("unknown_url"),
        format!(
            "no route {} {}: the door answers POST /openai/<agent>/v1/chat/completions and \
             POST /openai/v1/chat/completions",
            request.method(),
            request.path().chars().take(200).collect::<String>()
        ),
    ))
}

fn find<'s>(
    state: &'s AppState,
    name: Option<&str>,
) -> Result<(&'s str, &'s AgentEntry), DoorError> {
    state.agents.get(name).ok_or_else(|| {
        DoorError::new(
            StatusCode::NOT_FOUND,
            "invalid_request_error",
            Some("model_not_found"),
            format!(
                "no agent named {:?}",
                name.unwrap_or_default()
                    .chars()
                    .take(64)
                    .collect::<String>()
            ),
        )
    })
}

/// The agent's door is open and the request's key is one of its keys.
fn authorized(request: &HttpRequest, name: &str, entry: &AgentEntry) -> Result<(), DoorError> {
    if entry.openai_keys.is_empty() {
        return Err(DoorError::new(
            StatusCode::NOT_FOUND,
            "invalid_request_error",
            Some("door_closed"),
            format!(
                "the OpenAI door of agent {name:?} is closed: set openai_keys in its agent \
                 file, or OPENAI_DOOR_KEYS for the default agent, and restart"
            ),
        ));
    }
    let presented = super::authorization(request)
        .and_then(|value| {
            let (scheme, key) = value.trim().split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| key.trim())
        })
        .unwrap_or_default();
    // Every key is compared, so the time taken does not say which one came close.
    let granted = entry
        .openai_keys
        .iter()
        .fold(false, |granted, key| key.matches(presented) | granted);
    if granted {
        Ok(())
    } else {
        Err(wrong_key())
    }
}

fn wrong_key() -> DoorError {
    DoorError::new(
        StatusCode::UNAUTHORIZED,
        "invalid_request_error",
        Some("invalid_api_key"),
        "Incorrect API key provided: send one of the agent's openai_keys as \
         `Authorization: Bearer <key>`",
    )
}

fn parse(body: &[u8]) -> Result<CompletionRequest, DoorError> {
    CompletionRequest::parse(body).map_err(|e| DoorError::bad_request(e.0))
}

/// Starts the turn and answers with its chunks, or with the whole completion.
fn answer(
    state: &AppState,
    request: &HttpRequest,
    name: &str,
    entry: &AgentEntry,
    parsed: CompletionRequest,
) -> HttpResponse {
    let reply_id = reply_id();
    let conversation = match conversation(&parsed.messages, &reply_id) {
        Ok(conversation) => conversation,
        Err(problem) => {
            return actix_web::ResponseError::error_response(&DoorError::bad_request(problem))
        }
    };
    let header_id = request
        .headers()
        .get(CALL_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|id| !id.is_empty() && id.len() <= crate::completions::request::MAX_NAME_BYTES);
    let call_id = header_id.or(parsed.call_id()).map_or_else(
        || format!("openai-{}", &reply_id["chatcmpl-".len()..]),
        str::to_string,
    );
    let (from_phone_number, to_phone_number) = parsed.phone_numbers();
    let context = CallContext {
        metadata: parsed.metadata(),
        from_phone_number,
        to_phone_number,
        conversation_id: call_id.clone(),
        agent: name.to_string(),
        client: Default::default(),
        platform: parsed.variables(),
    };
    let (caller, delivery) = Caller::new(state.shutdown.child_token(), tokio::time::Instant::now());
    let platform_names = parsed
        .tool_names()
        .into_iter()
        .map(str::to_string)
        .collect();
    let turn = DoorTurn {
        conversation: state.agents.conversation_key(name, &call_id),
        turn_id: reply_id.clone(),
        context,
        platform_system: conversation.system,
        history: conversation.messages,
        question: conversation.last_user,
        platform_tools: parsed.tools.clone().unwrap_or_default(),
        platform_names,
        // Kept tool calls are put back only for ids the key holder sets (the header, Vapi's
        // call), never for ElevenLabs' extra body: the end user's client writes that, and
        // could name another caller's call.
        identified: header_id.is_some() || parsed.platform_call_id().is_some(),
        door: "openai",
        caller,
        traceparent: super::webhook::traceparent(request),
    };
    state.metrics.webhook_received("chat.completion");
    let agent = entry.agent.clone();
    state.turns.spawn(async move {
        agent.complete(turn).await;
    });
    let created = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let writer = ChunkWriter::new(&reply_id, created, name, parsed.include_usage());
    if !parsed.streaming() {
        return HttpResponse::Ok()
            .insert_header((header::CONTENT_TYPE, "application/json"))
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .streaming(gather(delivery, writer));
    }
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/event-stream"))
        .insert_header((header::CACHE_CONTROL, "no-cache, no-transform"))
        .insert_header(("X-Accel-Buffering", "no"))
        .insert_header((header::CONTENT_ENCODING, "identity"))
        .streaming(CompletionBody::new(delivery, writer))
}

/// A fresh reply id: `chatcmpl-` and 24 hex digits, random per process and request.
fn reply_id() -> String {
    use std::hash::{BuildHasher, Hasher};
    use std::sync::atomic::{AtomicU32, Ordering};
    static COUNT: AtomicU32 = AtomicU32::new(0);
    let random = std::collections::hash_map::RandomState::new()
        .build_hasher()
        .finish();
    let count = COUNT.fetch_add(1, Ordering::Relaxed);
    format!("chatcmpl-{random:016x}{count:08x}")
}
