//! `GET /`: the voice page. Behind `ACCESS_TOKEN` the browser asks for the token once
//! (HTTP Basic; any user name) and sends it again with the page's `/authorize` call.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};

use super::authorization;
use crate::state::AppState;

/// Serves the voice page.
pub async fn voice_page(request: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    if !state.web.grants(authorization(&request)) {
        return HttpResponse::Unauthorized()
            .insert_header((
                header::WWW_AUTHENTICATE,
                "Basic realm=\"voicebridge\", charset=\"UTF-8\"",
            ))
            .content_type("text/plain; charset=utf-8")
            .body("This voice agent is protected: enter the access token as the password.");
    }
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .insert_header(("Referrer-Policy", "no-referrer"))
        .body(state.web.page.clone())
}
