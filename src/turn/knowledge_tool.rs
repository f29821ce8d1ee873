//! The knowledge base in tool mode: the built-in `search_knowledge(query)` the model is
//! offered, its answer (the best passages with their file, heading, score and text, with
//! no score floor: the model asked), and what of it the page is told.

use serde_json::json;

use crate::knowledge::Hit;

/// A score to two decimals, as shown.
pub(super) fn rounded(score: f32) -> f64 {
    (f64::from(score) * 100.0).round() / 100.0
}

/// `[{file, heading, score}]` of `hits`, as the page and the record get them.
pub(super) fn used(hits: &[Hit<'_>]) -> Vec<serde_json::Value> {
    hits.iter()
        .map(|hit| {
            json!({
                "file": hit.passage.file,
                "heading": hit.passage.heading,
                "score": rounded(hit.score),
            })
        })
        .collect()
}

/// The passages (`[{file, heading, score}]`, for the page) in `content`, the answer of a
/// `search_knowledge` call.
pub(super) fn found_in(content: &str) -> Option<Vec<serde_json::Value>> {
    let answer: serde_json::Value = serde_json::from_str(content).ok()?;
    let found: Vec<serde_json::Value> = answer["passages"]
        .as_array()?
        .iter()
        .map(|p| json!({"file": p["file"], "heading": p["heading"], "score": p["score"]}))
        .collect();
    (!found.is_empty()).then_some(found)
}

/// The built-in tool of `knowledge_mode = "tool"`.
pub const SEARCH_KNOWLEDGE: &str = crate::tools::SEARCH_KNOWLEDGE;

/// The definition the model is offered in tool mode.
pub(super) fn search_tool_definition() -> serde_json::Value {
    json!({
        "type": "function",
        "function": {
            "name": SEARCH_KNOWLEDGE,
            "description": "Search the business's own documents (prices, opening hours, \
                policies, FAQ). Call it before answering a question about the business \
                that you cannot answer from the conversation.",
            "parameters": {
                "type": "object",
                "properties": {
                    "query": {
                        "type": "string",
                        "description": "What to look for, in a few words."
                    }
                },
                "required": ["query"],
            },
        }
    })
}

/// The query of a `search_knowledge` call's `arguments`, or the error the model reads.
pub(super) fn search_query(arguments: &str) -> Result<String, String> {
    serde_json::from_str::<serde_json::Value>(arguments)
        .ok()
        .and_then(|v| v.get("query").and_then(|q| q.as_str()).map(str::to_string))
        .filter(|q| !q.trim().is_empty())
        .ok_or_else(|| {
            json!({"error": "give a `query`: what to look for, in a few words"}).to_string()
        })
}

/// The answer of a `search_knowledge` call for `query`: the passages found, each with its
/// file, heading, score and text, or a note that nothing was found. The model asked, so
/// every passage that matches at all is worth showing it (the score floor is for
/// prefetch, which searches whatever the caller said); with embeddings on, the passages
/// nearest in meaning join them.
pub(super) async fn search_answer(using: &super::settings::KnowledgeUse, query: &str) -> String {
    let knowledge = using.shelf.current();
    let meaning = using.meaning(&knowledge, query).await;
    let depth = if meaning.is_some() {
        crate::knowledge::candidates(using.top_k)
    } else {
        using.top_k
    };
    let by_words = knowledge.index.search(query, depth, 0.0);
    let hits = knowledge.fuse_meaning(
        by_words,
        meaning.as_deref(),
        using.min_similarity(),
        using.top_k,
    );
    if hits.is_empty() {
        return json!({"passages": [], "note": "Nothing in the documents matches. Do not \
            guess: say you do not know, or offer to find out."})
        .to_string();
    }
    let passages: Vec<serde_json::Value> = hits
        .iter()
        .zip(used(&hits))
        .map(|(hit, mut found)| {
            found["text"] = json!(hit.passage.text);
            found
        })
        .collect();
    json!({"passages": passages, "note": "Answer briefly in your own words; do not read \
        these out."})
    .to_string()
}
