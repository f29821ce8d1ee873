//! `POST /vapi/knowledge-base/<agent>`: Vapi's custom knowledge base, answered from the
//! agent's knowledge. In order: the agent exists (`404`), its route is open (it has a
//! Vapi secret: `vapi_secret` in its file, else `VAPI_SECRET`; `404` saying how to open it
//! otherwise) and its knowledge is on (`404`); a secret presented in a header is checked
//! before the body is read (`401`); the body is read within a size limit, a deadline and
//! the room for bodies in flight; an HMAC signature is checked against it (`401`); then it
//! is parsed (`400`). The caller's latest words are searched, and the words before them
//! at half weight, as a turn's prefetch does; the answer is `{"documents": [{"content",
//! "similarity", "uuid"}]}`, best first.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::json;

use super::state::AppState;
use super::webhook_body::WebhookBodies;
use crate::completions::vapi_knowledge::{
    parse_request, presented, signature_matches, similarity, Presented,
};
use crate::routes::error::ApiError;

/// The largest request body: Vapi sends the whole conversation so far.
pub const MAX_VAPI_KNOWLEDGE_BODY_BYTES: usize = 1024 * 1024;

const WRONG_SECRET: &str = "send this knowledge base's secret (VAPI_SECRET, or vapi_secret in \
    the agent file) as Vapi does: x-vapi-secret, or X-Vapi-Signature";

fn header_text<'r>(request: &'r HttpRequest, name: &str) -> Option<&'r str> {
    request.headers().get(name).and_then(|v| v.to_str().ok())
}

/// Answers Vapi's `knowledge-base-request` for the agent in the path.
pub async fn vapi_knowledge_base(
    request: HttpRequest,
    body: web::Payload,
    state: web::Data<AppState>,
    bodies: web::Data<WebhookBodies>,
    name: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let Some((name, entry)) = state.agents.get(Some(name.as_str())) else {
        return Err(ApiError::UnknownAgent {
            name: name.chars().take(64).collect(),
            known: state.agents.names().join(", "),
        });
    };
    let Some(secret) = &entry.vapi_secret else {
        return Err(ApiError::Closed(format!(
            "the Vapi knowledge base of agent {name:?} is closed: set vapi_secret in its agent \
             file, or VAPI_SECRET, to the secret of Vapi's custom knowledge base, and restart"
        )));
    };
    let Some(knowledge) = &entry.knowledge else {
        return Err(ApiError::Closed(format!(
            "agent {name:?} has no knowledge base: its knowledge is off"
        )));
    };
    let shown = presented(
        header_text(&request, "x-vapi-secret"),
        header_text(&request, "x-vapi-signature"),
    );
    let signature = match shown {
        Presented::Nothing => return Err(ApiError::Token(WRONG_SECRET)),
        Presented::Secret(given) if secret.matches(given) => None,
        Presented::Secret(_) => return Err(ApiError::Token(WRONG_SECRET)),
        Presented::Signature(given) if secret.matches(given) => None,
        Presented::Signature(given) => Some(given.to_string()),
    };
    let body = bodies
        .read(&request, body, MAX_VAPI_KNOWLEDGE_BODY_BYTES)
        .await?;
    if let Some(signature) = signature {
        if !signature_matches(secret, &signature, &body) {
            return Err(ApiError::Token(WRONG_SECRET));
        }
    }
    let query = parse_request(&body).map_err(ApiError::BadRequest)?;
    let started = std::time::Instant::now();
    let base = knowledge.shelf.current();
    let meaning = knowledge.meaning(&base, &query.latest).await;
    // Fused scores are already 0 to 1; BM25's are mapped there.
    let fused = meaning.is_some() && base.vectors.get().is_some();
    let hits = base.search_meaning(
        &query.latest,
        query.previous.as_deref(),
        meaning.as_deref(),
        knowledge.min_similarity(),
        knowledge.top_k,
    );
    let documents: Vec<serde_json::Value> = hits
        .iter()
        .map(|hit| {
            let passage = hit.passage;
            json!({
                "content": format!("{}\n{}", passage.label(), passage.text),
                "similarity": if fused {
                    (f64::from(hit.score) * 1000.0).round() / 1000.0
                } else {
                    similarity(hit.score)
                },
                "uuid": format!("{}#{}", passage.file, passage.position),
            })
        })
        .collect();
    tracing::info!(
        agent = name,
        documents = documents.len(),
        search_us = started.elapsed().as_micros() as u64,
        "Vapi knowledge-base request answered"
    );
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(json!({ "documents": documents })))
}
