//! `GET /health`: answers while the process serves requests; never calls the model.

use actix_web::HttpResponse;

/// Liveness for Fly's checks and load balancers.
pub async fn health() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({ "status": "ok" }))
}
