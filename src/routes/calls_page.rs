//! `GET /calls`, `GET /calls/<conversation_id>`, `GET /calls/app.js`, `GET /calls/app.css`:
//! the calls pages, behind the same guard as the calls API. Off, they answer a small page
//! saying how to turn them on; without the token, 401 with a Basic challenge so the
//! browser asks for it. The security headers come from the scope (see `routes::configure`).

use actix_web::body::BoxBody;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{web, HttpRequest, HttpResponse, ResponseError};

use super::calls::guarded;
use crate::browser::calls_page::{off_page, LOCKED_TEXT, PAGE, SCRIPT, STYLE};
use crate::routes::error::ApiError;
use crate::routes::state::AppState;

/// The page for a person: the guard's refusal as HTML or text instead of JSON, with the
/// same status and challenge.
fn refusal(error: &ApiError) -> HttpResponse {
    let (body, content_type) = match error {
        ApiError::CallsOff(reason) => (off_page(reason), "text/html; charset=utf-8"),
        ApiError::AdminToken => (LOCKED_TEXT.to_string(), "text/plain; charset=utf-8"),
        other => (format!("{other}\n"), "text/plain; charset=utf-8"),
    };
    let mut response = error.error_response().set_body(BoxBody::new(body));
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

/// `content` as `content_type`, once the guard lets the request through.
fn serve(
    request: &HttpRequest,
    state: &AppState,
    content_type: &str,
    content: &'static str,
) -> HttpResponse {
    match guarded(request, state) {
        Ok(_) => HttpResponse::Ok().content_type(content_type).body(content),
        Err(error) => refusal(&error),
    }
}

/// The calls page: the list at `/calls`, one call at `/calls/<id>` (`?agent=`); the
/// page's script reads the path.
pub async fn calls_page(request: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    serve(&request, &state, "text/html; charset=utf-8", PAGE)
}

/// The calls page's script.
pub async fn calls_script(request: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    serve(&request, &state, "text/javascript; charset=utf-8", SCRIPT)
}

/// The calls page's style sheet.
pub async fn calls_style(request: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    serve(&request, &state, "text/css; charset=utf-8", STYLE)
}
