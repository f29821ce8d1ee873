//! `GET /`: the voice page. Behind `ACCESS_TOKEN` the browser asks for the token once
//! (HTTP Basic; any user name) and sends it again with the page's `/authorize` call.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};

use super::authorization;
use crate::routes::error::ApiError;
use crate::routes::state::AppState;

/// Serves the voice page.
pub async fn voice_page(
    request: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    if !state.web.grants(authorization(&request)) {
        return Err(ApiError::PageLocked);
    }
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .insert_header(("Referrer-Policy", "no-referrer"))
        .insert_header(("Content-Security-Policy", state.web.page_policy.as_str()))
        .insert_header(("X-Frame-Options", "DENY"))
        .body(state.web.page.clone()))
}

/// The icon of the voice and calls pages (an SVG, also at `/favicon.ico`, where browsers
/// ask by themselves).
pub async fn favicon() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("image/svg+xml")
        .insert_header((header::CACHE_CONTROL, "public, max-age=86400"))
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .body(include_str!("../../static/favicon.svg"))
}
