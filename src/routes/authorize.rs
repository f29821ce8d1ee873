//! `POST /authorize` (and `/api/authorize`): the voice page's SDK asks for a session; the
//! server builds Layercode's request itself (`browser::session_request`) and sends it with
//! its key, within a rate limit per client address and behind the optional access token.
//! Answers carry CORS headers for allowed origins, errors included, so a page on another
//! origin can read why it was refused.

use std::net::IpAddr;
use std::time::Instant;

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse, ResponseError};

use super::{authorization, read_body};
use crate::browser::session_request::{answer_with_resume_token, session_request};
use crate::browser::Web;
use crate::routes::error::ApiError;
use crate::routes::state::AppState;

/// Largest `/authorize` body accepted; the SDK sends a few hundred bytes.
pub const MAX_AUTHORIZE_BYTES: usize = 16 * 1024;

/// Authorizes a browser session with Layercode.
pub async fn authorize(
    request: HttpRequest,
    body: web::Payload,
    state: web::Data<AppState>,
) -> HttpResponse {
    let web = &state.web;
    let mut response = match request_session(&request, body, web).await {
        Ok(response) => response,
        Err(error) => error.error_response(),
    };
    add_cors(&request, web, &mut response);
    response
}

/// Answers a CORS preflight for `/authorize`.
pub async fn authorize_preflight(request: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let mut response = HttpResponse::NoContent().finish();
    add_cors(&request, &state.web, &mut response);
    if response
        .headers()
        .contains_key(header::ACCESS_CONTROL_ALLOW_ORIGIN)
    {
        let headers = response.headers_mut();
        headers.insert(
            header::ACCESS_CONTROL_ALLOW_METHODS,
            header::HeaderValue::from_static("POST, OPTIONS"),
        );
        headers.insert(
            header::ACCESS_CONTROL_ALLOW_HEADERS,
            header::HeaderValue::from_static("content-type, authorization"),
        );
        headers.insert(
            header::ACCESS_CONTROL_MAX_AGE,
            header::HeaderValue::from_static("600"),
        );
    }
    response
}

async fn request_session(
    request: &HttpRequest,
    body: web::Payload,
    web: &Web,
) -> Result<HttpResponse, ApiError> {
    // The limit comes first, so it also slows down guessing the access token.
    if let Some(ip) = client_ip(request, web) {
        web.limiter
            .check(ip, Instant::now())
            .map_err(|wait| ApiError::TooManyRequests { retry_after: wait })?;
    }
    if !web.grants(authorization(request)) {
        return Err(ApiError::AccessDenied);
    }
    let body = read_body(request, body, MAX_AUTHORIZE_BYTES).await?;
    let sent: serde_json::Value = serde_json::from_slice(&body)
        .map_err(|e| ApiError::BadRequest(format!("body is not valid JSON: {e}")))?;
    let agent_id = configured_agent_id(request, web)?;
    let resume = web.resume.as_ref();
    let token = query_value(request, "resume_token");
    let session = session_request(&sent, &agent_id, token.as_deref(), resume)
        .map_err(|e| ApiError::BadRequest(e.to_string()))?;
    let layercode = web.api.authorize(&session).await?;
    Ok(HttpResponse::Ok()
        .content_type("application/json")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(answer_with_resume_token(&layercode, &agent_id, resume)))
}

/// The Layercode agent id of the agent the page chose with `?agent=<name>` (the default
/// one without): only ever from the configuration.
fn configured_agent_id(request: &HttpRequest, web: &Web) -> Result<String, ApiError> {
    let agent = query_value(request, "agent");
    let configured = web.layercode_agent_id(agent.as_deref()).ok_or_else(|| {
        ApiError::BadRequest(format!(
            "there is no agent named `{}`",
            agent.as_deref().unwrap_or_default()
        ))
    })?;
    configured.map(str::to_string).ok_or_else(|| {
        ApiError::BadRequest(
            "LAYERCODE_AGENT_ID (or the agent's layercode_agent_id) is not configured".into(),
        )
    })
}

/// The query parameter `name` (`?agent=` the voice page adds, `?resume_token=`), decoded.
fn query_value(request: &HttpRequest, name: &str) -> Option<String> {
    request.query_string().split('&').find_map(|pair| {
        let value = pair.strip_prefix(name)?.strip_prefix('=')?;
        let value = percent_encoding::percent_decode_str(value)
            .decode_utf8()
            .ok()?;
        Some(value.into_owned()).filter(|v| !v.is_empty())
    })
}

/// The client's address: from the configured proxy header when there is one (its last
/// address, the one the proxy added; earlier ones came from the client), else the peer
/// address. Without a configured header, what the client sends is never trusted.
fn client_ip(request: &HttpRequest, web: &Web) -> Option<IpAddr> {
    let from_header = web
        .settings
        .client_ip_header
        .as_deref()
        .and_then(|name| request.headers().get(name))
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.rsplit(',').next())
        .and_then(|v| v.trim().parse().ok());
    from_header.or_else(|| request.peer_addr().map(|a| a.ip()))
}

fn add_cors(request: &HttpRequest, web: &Web, response: &mut HttpResponse) {
    let origin = request
        .headers()
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok());
    let Some(allowed) = web.cors_origin(origin) else {
        return;
    };
    if let Ok(value) = header::HeaderValue::from_str(&allowed) {
        let headers = response.headers_mut();
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, value);
        headers.insert(header::VARY, header::HeaderValue::from_static("Origin"));
    }
}
