//! `POST /admin/knowledge/reload`: reads every knowledge folder again, behind
//! `ADMIN_TOKEN` (Bearer, or the password of HTTP Basic). Each base is read and indexed on
//! a blocking thread, and embedded when embeddings are on, while turns go on searching the
//! old one; the new one is swapped in when complete. The answer says, per set of folders, how many files and passages it
//! holds, which files were skipped and how long it took.

use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::json;

use super::authorization;
use crate::browser::access::is_granted;
use crate::routes::error::ApiError;
use crate::routes::state::AppState;

/// Reloads every knowledge base.
pub async fn reload_knowledge(
    request: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let Some(token) = &state.admin_token else {
        return Err(ApiError::Closed(
            "set ADMIN_TOKEN (16+ characters) to reload the knowledge base over HTTP".into(),
        ));
    };
    if !is_granted(authorization(&request), token.expose()) {
        return Err(ApiError::Token(
            "send ADMIN_TOKEN as a Bearer token or as the Basic password",
        ));
    }
    let mut reloaded = Vec::new();
    for shelf in state.knowledge.clone() {
        let dirs: Vec<String> = shelf
            .dirs()
            .iter()
            .map(|d| d.display().to_string())
            .collect();
        match shelf.refresh().await {
            Ok(done) => {
                let base = &done.base;
                tracing::info!(
                    folders = %base.where_from(),
                    files = base.files,
                    passages = base.index.len(),
                    skipped = base.skipped.len(),
                    took_ms = base.took.as_millis() as u64,
                    embedded = done.embedded.map(|r| r.embedded),
                    "knowledge base reloaded"
                );
                for why in &base.skipped {
                    tracing::warn!(
                        "knowledge {}: {why}; the file is skipped",
                        base.where_from()
                    );
                }
                let mut answer = json!({
                    "folders": dirs,
                    "files": base.files,
                    "passages": base.index.len(),
                    "skipped": base.skipped,
                    "took_ms": base.took.as_millis() as u64,
                });
                if let Some(report) = done.embedded {
                    answer["vectors"] =
                        json!({"cached": report.cached, "embedded": report.embedded});
                }
                if let Some(error) = &done.embed_error {
                    tracing::error!(folders = %base.where_from(), %error, "knowledge passages not embedded: turns search by keyword only");
                    answer["embeddings_error"] = json!(error);
                }
                reloaded.push(answer);
            }
            Err(error) => {
                tracing::error!(folders = ?dirs, %error, "knowledge base not reloaded; the old one is kept");
                reloaded.push(json!({"folders": dirs, "error": error.to_string()}));
            }
        }
    }
    Ok(HttpResponse::Ok()
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
        .json(json!({ "knowledge": reloaded })))
}
