//! Thin HTTP handlers and the route table.

mod health;
mod webhook;

use actix_web::{web, HttpResponse};

pub use health::health;
pub use webhook::{receive_webhook, MAX_BODY_BYTES};

/// Registers every route on an app.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/health", web::get().to(health))
        .route("/agent", web::post().to(receive_webhook))
        .route("/api/agent", web::post().to(receive_webhook))
        .default_service(web::to(not_found));
}

async fn not_found() -> HttpResponse {
    HttpResponse::NotFound().json(serde_json::json!({ "error": "not found" }))
}
