//! `GET /api/calls`, `GET /api/calls/<conversation_id>`, `DELETE /api/calls/<conversation_id>`,
//! `DELETE /api/calls?phone=`: the call records as JSON, behind `ADMIN_TOKEN` (Bearer, or the password of HTTP Basic).
//! Without a token configured, or without a call store, they answer saying how to turn
//! them on.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};

use super::authorization;
use crate::browser::access::is_granted;
use crate::records::erase::{erase_call, erase_caller, EraseError};
use crate::records::{CallKey, CallQuery, CallStore, Record};
use crate::routes::error::ApiError;
use crate::routes::state::AppState;

/// The call store, once the request is allowed to read it.
pub(super) fn guarded<'a>(
    request: &HttpRequest,
    state: &'a AppState,
) -> Result<&'a CallStore, ApiError> {
    let Some(token) = &state.admin_token else {
        return Err(ApiError::CallsOff(
            "set ADMIN_TOKEN (16+ characters) to turn on the calls pages and API".into(),
        ));
    };
    if !is_granted(authorization(request), token.expose()) {
        return Err(ApiError::AdminToken);
    }
    state.call_store.as_ref().ok_or_else(|| {
        ApiError::CallsOff("no call store: CALL_STORE_URL is off, so no call is kept".into())
    })
}

fn json<T: serde::Serialize>(value: &T) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(value)
}

/// Recent calls, newest first: `?text=&phone=&agent=&cursor=&before_ms=&limit=`.
pub async fn list_calls(
    request: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<CallQuery>,
) -> Result<HttpResponse, ApiError> {
    let store = guarded(&request, &state)?;
    if let Some(cursor) = &query.cursor {
        crate::records::parse_cursor(cursor)
            .map_err(|_| ApiError::BadRequest("`cursor` is not one a page gave".into()))?;
    }
    let page = store
        .list(&query)
        .await
        .map_err(|e| ApiError::CallStore(e.to_string()))?;
    Ok(json(&page))
}

/// Which call a path names: its conversation id, and `?agent=` when there are several
/// agents (the default agent otherwise).
#[derive(Debug, serde::Deserialize)]
pub struct AgentParam {
    agent: Option<String>,
}

fn call_key(state: &AppState, conversation_id: String, agent: Option<String>) -> CallKey {
    CallKey {
        agent: agent.unwrap_or_else(|| state.agents.default_name().to_string()),
        conversation_id,
    }
}

/// One call's whole record.
pub async fn get_call(
    request: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
    agent: web::Query<AgentParam>,
) -> Result<HttpResponse, ApiError> {
    let store = guarded(&request, &state)?;
    let key = call_key(&state, id.into_inner(), agent.into_inner().agent);
    match store.get(&key).await {
        Ok(Some(call)) => match &state.trace_url {
            None => Ok(json(&call)),
            Some(template) => Ok(json(&with_trace_urls(&call, template))),
        },
        Ok(None) => Err(ApiError::NotFound),
        Err(e) => Err(ApiError::CallStore(e.to_string())),
    }
}

/// `call` with each traced turn's `trace_url`: `template` with its trace id.
fn with_trace_urls(call: &impl serde::Serialize, template: &str) -> serde_json::Value {
    let mut value = serde_json::to_value(call).unwrap_or_default();
    if let Some(turns) = value.get_mut("turns").and_then(|t| t.as_array_mut()) {
        for turn in turns {
            let url = turn
                .get("trace_id")
                .and_then(|id| id.as_str())
                .map(|id| template.replace("{trace_id}", id));
            if let (Some(url), Some(fields)) = (url, turn.as_object_mut()) {
                fields.insert("trace_url".into(), url.into());
            }
        }
    }
    value
}

/// Deletes one call (for privacy requests): its record and its conversation (history
/// and client variables) in the session store.
pub async fn delete_call(
    request: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
    agent: web::Query<AgentParam>,
) -> Result<HttpResponse, ApiError> {
    let store = guarded(&request, &state)?;
    let key = call_key(&state, id.into_inner(), agent.into_inner().agent);
    let session_key = |call: &CallKey| {
        state
            .agents
            .conversation_key(&call.agent, &call.conversation_id)
    };
    let sessions = state.agents.store().map(|s| &**s);
    match erase_call(store, sessions, &session_key, &key).await {
        Ok(erased) if erased.calls > 0 => {
            forget_queued(&state, erased.deleted);
            Ok(HttpResponse::NoContent().finish())
        }
        Ok(_) => Err(ApiError::NotFound),
        Err(e) => Err(ApiError::CallStore(e.to_string())),
    }
}

/// Tells the call writer the calls are gone: records of theirs still queued (a turn
/// ending now) are written and deleted again, and their numbering is forgotten.
fn forget_queued(state: &AppState, deleted: Vec<CallKey>) {
    for call in deleted {
        state.calls.record(Record::Forget { call });
    }
}

/// `?phone=`: the caller whose calls `DELETE /api/calls` erases.
#[derive(Debug, serde::Deserialize)]
pub struct PhoneParam {
    phone: String,
}

/// `DELETE /api/calls?phone=+15550100`: every call from or to one number, and their
/// conversations (a data-subject request); answers how many of each were deleted.
pub async fn delete_caller(
    request: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<PhoneParam>,
) -> Result<HttpResponse, ApiError> {
    let store = guarded(&request, &state)?;
    let session_key = |call: &CallKey| {
        state
            .agents
            .conversation_key(&call.agent, &call.conversation_id)
    };
    let sessions = state.agents.store().map(|s| &**s);
    match erase_caller(store, sessions, &session_key, &query.phone).await {
        Ok(erased) => {
            let answer = json(&erased);
            forget_queued(&state, erased.deleted);
            Ok(answer)
        }
        Err(e @ EraseError::Phone(_)) => Err(ApiError::BadRequest(e.to_string())),
        Err(e) => Err(ApiError::CallStore(e.to_string())),
    }
}

/// `GET /api/calls.csv`: the calls the list's filters find (and `since_ms`), every page,
/// as CSV for a spreadsheet.
pub async fn export_calls(
    request: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<CallQuery>,
) -> Result<HttpResponse, ApiError> {
    let store = guarded(&request, &state)?;
    let (csv, cut) = crate::records::csv::export(store, &query)
        .await
        .map_err(|e| ApiError::CallStore(e.to_string()))?;
    let mut response = HttpResponse::Ok();
    response
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::CONTENT_TYPE, "text/csv; charset=utf-8"))
        .insert_header((
            header::CONTENT_DISPOSITION,
            "attachment; filename=\"calls.csv\"",
        ));
    if cut {
        // More calls than one export holds: the header says so, the rows stop there.
        response.insert_header(("x-voicebridge-truncated", "true"));
    }
    Ok(response.body(csv))
}

/// `GET /api/stats?days=&agent=`: how calls went, day by day, for the calls pages' overview.
pub async fn call_stats(
    request: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<crate::records::StatsQuery>,
) -> Result<HttpResponse, ApiError> {
    let store = guarded(&request, &state)?;
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64);
    let stats = store
        .stats(&query, now_ms)
        .await
        .map_err(|e| ApiError::CallStore(e.to_string()))?;
    Ok(json(&stats))
}
