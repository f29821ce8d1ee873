//! `GET /metrics`: Prometheus text format, behind `METRICS_TOKEN` (Bearer) when set.

use actix_web::{web, HttpRequest, HttpResponse};

use super::authorization;
use crate::browser::access;
use crate::routes::error::ApiError;
use crate::routes::state::AppState;

/// Exports the metrics.
pub async fn metrics(
    request: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    if let Some(token) = &state.metrics_token {
        let bearer = authorization(&request).is_some_and(|value| {
            value.to_ascii_lowercase().starts_with("bearer ")
                && access::is_granted(Some(value), token.expose())
        });
        if !bearer {
            return Err(ApiError::MetricsToken);
        }
    }
    let conversations = state.agents.store().and_then(|s| s.conversation_count());
    let body = state.metrics.render(state.turns.len(), conversations);
    Ok(HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(body))
}
