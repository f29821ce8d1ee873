//! Thin HTTP handlers and the route table.

mod authorize;
mod calls;
mod calls_page;
pub mod error;
mod health;
mod knowledge;
mod metrics;
mod openai;
mod openai_body;
mod page;
mod retell;
pub mod sse;
pub mod state;
mod vapi_knowledge;
mod webhook;
mod webhook_body;

use actix_web::http::header;
use actix_web::middleware::DefaultHeaders;
use actix_web::{web, HttpRequest, HttpResponse};
use bytes::{Bytes, BytesMut};
use futures_util::StreamExt;

use crate::routes::error::ApiError;

pub use authorize::{authorize, authorize_preflight};
pub use calls::{call_stats, delete_call, delete_caller, export_calls, get_call, list_calls};
pub use calls_page::{calls_page, calls_script, calls_style};
pub use health::health;
pub use knowledge::reload_knowledge;
pub use metrics::metrics;
pub use openai::{complete_by_model, complete_for_agent, door_not_found, MAX_DOOR_BODY_BYTES};
pub use page::voice_page;
pub use retell::retell_socket;
pub use vapi_knowledge::{vapi_knowledge_base, MAX_VAPI_KNOWLEDGE_BODY_BYTES};
pub use webhook::{receive_agent_webhook, receive_webhook, MAX_BODY_BYTES};
pub use webhook_body::WebhookBodies;

/// Registers every route on an app.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(voice_page))
        .route("/favicon.svg", web::get().to(page::favicon))
        .route("/favicon.ico", web::get().to(page::favicon))
        .route("/health", web::get().to(health))
        .route("/metrics", web::get().to(metrics))
        .route("/agent", web::post().to(receive_webhook))
        .route("/api/agent", web::post().to(receive_webhook))
        .route("/agent/{name}", web::post().to(receive_agent_webhook))
        .route("/api/agent/{name}", web::post().to(receive_agent_webhook))
        .service(
            web::scope("/openai")
                .route("/chat/completions", web::post().to(complete_by_model))
                .route("/v1/chat/completions", web::post().to(complete_by_model))
                .route(
                    "/{agent}/chat/completions",
                    web::post().to(complete_for_agent),
                )
                .route(
                    "/{agent}/v1/chat/completions",
                    web::post().to(complete_for_agent),
                )
                .default_service(web::to(door_not_found)),
        )
        .route(
            "/retell/{agent}/{key}/{call_id}",
            web::get().to(retell_socket),
        )
        .service(
            web::resource("/api/stats")
                .wrap(calls_headers())
                .route(web::get().to(call_stats)),
        )
        .service(
            web::resource("/api/calls.csv")
                .wrap(calls_headers())
                .route(web::get().to(export_calls)),
        )
        .service(
            web::scope("/api/calls")
                .wrap(calls_headers())
                .route("", web::get().to(list_calls))
                .route("", web::delete().to(delete_caller))
                .route("/{id}", web::get().to(get_call))
                .route("/{id}", web::delete().to(delete_call)),
        )
        .service(
            web::scope("/calls")
                .wrap(calls_headers())
                .route("", web::get().to(calls_page))
                .route("/app.js", web::get().to(calls_script))
                .route("/app.css", web::get().to(calls_style))
                .route("/{id}", web::get().to(calls_page)),
        )
        .route("/admin/knowledge/reload", web::post().to(reload_knowledge))
        .route(
            "/vapi/knowledge-base/{agent}",
            web::post().to(vapi_knowledge_base),
        )
        .route("/authorize", web::post().to(authorize))
        .route("/api/authorize", web::post().to(authorize))
        .route(
            "/authorize",
            web::method(actix_web::http::Method::OPTIONS).to(authorize_preflight),
        )
        .route(
            "/api/authorize",
            web::method(actix_web::http::Method::OPTIONS).to(authorize_preflight),
        )
        .default_service(web::to(not_found));
}

/// The security headers of every calls page and calls API response (errors included).
fn calls_headers() -> DefaultHeaders {
    crate::browser::calls_page::SECURITY_HEADERS
        .iter()
        .fold(DefaultHeaders::new(), |headers, &pair| headers.add(pair))
}

/// Reads a request body up to `limit` bytes: a declared larger length is refused before
/// reading, and a chunked body is refused as soon as it passes the limit. A declared length
/// is reserved at once (memory the body then fills, resident only as it arrives).
pub(crate) async fn read_body(
    request: &HttpRequest,
    mut payload: web::Payload,
    limit: usize,
) -> Result<Bytes, ApiError> {
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|len| len > limit as u64) {
        return Err(ApiError::PayloadTooLarge { limit });
    }
    // One allocation of the declared size: growing by doubling would copy the body and
    // leave the smaller buffers behind in the allocator.
    let mut body = BytesMut::with_capacity(declared.map_or(0, |len| len as usize));
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| ApiError::BodyRead(e.to_string()))?;
        if body.len() + chunk.len() > limit {
            return Err(ApiError::PayloadTooLarge { limit });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

/// The `Authorization` header as text, if any.
pub(crate) fn authorization(request: &HttpRequest) -> Option<&str> {
    request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
}

async fn not_found() -> Result<HttpResponse, ApiError> {
    Err(ApiError::NotFound)
}
