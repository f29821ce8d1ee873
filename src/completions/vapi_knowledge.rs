//! Vapi's custom knowledge base (pure, no I/O): the `knowledge-base-request` Vapi posts
//! before it asks its model (`{"message": {"type": "knowledge-base-request", "messages":
//! […], "messagesOpenAIFormatted": […]}}`), read as the caller's latest words and the
//! turn before; how its secret is presented; and the `{"documents": [{"content",
//! "similarity", "uuid"}]}` answer.
//!
//! Vapi sends the secret of the knowledge base's server as the `x-vapi-secret` header
//! (older accounts) or the `X-Vapi-Signature` header (the secret itself); with an HMAC
//! credential, `X-Vapi-Signature` is instead the hex HMAC-SHA256 of the body under the
//! secret, optionally prefixed with `sha256=`. All three are accepted, each compared in
//! constant time.

use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;

use crate::secret::{constant_time_eq, Secret};

/// The message type Vapi sends to a custom knowledge base.
pub const REQUEST_TYPE: &str = "knowledge-base-request";

/// What a knowledge-base request asks: the caller's latest words, and the turn before.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnowledgeQuery {
    pub latest: String,
    pub previous: Option<String>,
}

/// How a request presents the secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Presented<'a> {
    /// No header of Vapi's.
    Nothing,
    /// `x-vapi-secret`, or an `X-Vapi-Signature` that is the secret itself: checked
    /// before the body is read.
    Secret(&'a str),
    /// An `X-Vapi-Signature` that may be an HMAC of the body: checked once it is read.
    Signature(&'a str),
}

/// What the headers present: `x-vapi-secret` wins over `x-vapi-signature`.
pub fn presented<'a>(
    x_vapi_secret: Option<&'a str>,
    x_vapi_signature: Option<&'a str>,
) -> Presented<'a> {
    match (x_vapi_secret, x_vapi_signature) {
        (Some(secret), _) => Presented::Secret(secret.trim()),
        (None, Some(signature)) => Presented::Signature(signature.trim()),
        (None, None) => Presented::Nothing,
    }
}

/// Whether `signature` is the secret itself or the hex HMAC-SHA256 of `body` under it
/// (`sha256=` prefix allowed, any case).
pub fn signature_matches(secret: &Secret, signature: &str, body: &[u8]) -> bool {
    if secret.matches(signature) {
        return true;
    }
    let hex_digest = signature
        .strip_prefix("sha256=")
        .unwrap_or(signature)
        .to_ascii_lowercase();
    let Ok(mut mac) = <Hmac<Sha256> as Mac>::new_from_slice(secret.expose().as_bytes()) else {
        return false;
    };
    mac.update(body);
    let expected = hex::encode(mac.finalize().into_bytes());
    constant_time_eq(hex_digest.as_bytes(), expected.as_bytes())
}

/// The query of a knowledge-base request body; a refusal says what is wrong.
pub fn parse_request(body: &[u8]) -> Result<KnowledgeQuery, String> {
    let value: Value =
        serde_json::from_slice(body).map_err(|e| format!("the body is not JSON: {e}"))?;
    let message = value
        .get("message")
        .filter(|m| m.is_object())
        .ok_or("the body has no `message` object")?;
    match message.get("type").and_then(Value::as_str) {
        Some(REQUEST_TYPE) => {}
        Some(other) => {
            return Err(format!(
                "`message.type` is {:?}; this route answers {REQUEST_TYPE:?} only",
                other.chars().take(64).collect::<String>()
            ))
        }
        None => return Err("`message.type` is missing".into()),
    }
    // The OpenAI-formatted list first (`content`), else Vapi's own (`message`).
    let said = ["messagesOpenAIFormatted", "messages"]
        .iter()
        .filter_map(|key| message.get(*key).and_then(Value::as_array))
        .map(|messages| user_words(messages))
        .find(|said| !said.is_empty())
        .ok_or("no user message in `message.messages`")?;
    let mut said = said.into_iter().rev();
    let latest = said.next().unwrap_or_default();
    Ok(KnowledgeQuery {
        latest,
        previous: said.next(),
    })
}

/// The text of each user message, oldest first.
fn user_words(messages: &[Value]) -> Vec<String> {
    messages
        .iter()
        .filter(|m| m.get("role").and_then(Value::as_str) == Some("user"))
        .filter_map(|m| {
            let content = m.get("content").or_else(|| m.get("message"))?;
            let text = match content {
                Value::String(text) => text.clone(),
                // OpenAI's parts: `[{"type": "text", "text": "…"}]`.
                Value::Array(parts) => parts
                    .iter()
                    .filter_map(|p| p.get("text").and_then(Value::as_str))
                    .collect::<Vec<_>>()
                    .join(" "),
                _ => return None,
            };
            let text = text.trim().to_string();
            (!text.is_empty()).then_some(text)
        })
        .collect()
}

/// A BM25 score as Vapi's similarity, from 0 to 1: `score / (score + 1)`, so it grows
/// with the score and means the same from one request to the next.
pub fn similarity(score: f32) -> f64 {
    let score = f64::from(score.max(0.0));
    ((score / (score + 1.0)) * 1000.0).round() / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A request as Vapi's documentation shows it, with both lists.
    const REQUEST: &str = r#"{"message": {"type": "knowledge-base-request",
        "messages": [
            {"role": "system", "message": "You are a bookshop's assistant."},
            {"role": "bot", "message": "Hello, how can I help?"},
            {"role": "user", "message": "Can I return a book?"},
            {"role": "bot", "message": "Yes, within 30 days."},
            {"role": "user", "message": "And without the receipt?"}
        ],
        "messagesOpenAIFormatted": [
            {"role": "system", "content": "You are a bookshop's assistant."},
            {"role": "assistant", "content": "Hello, how can I help?"},
            {"role": "user", "content": "Can I return a book?"},
            {"role": "assistant", "content": "Yes, within 30 days."},
            {"role": "user", "content": [{"type": "text", "text": "And without the receipt?"}]}
        ]}}"#;

    #[test]
    fn the_latest_user_words_and_the_turn_before() {
        let query = parse_request(REQUEST.as_bytes()).expect("parses");
        assert_eq!(query.latest, "And without the receipt?");
        assert_eq!(query.previous.as_deref(), Some("Can I return a book?"));
        // Vapi's own list alone, as its schema example sends it.
        let own = r#"{"message": {"type": "knowledge-base-request",
            "messages": [{"role": "user", "content": "Why is the ocean blue?"}]}}"#;
        let query = parse_request(own.as_bytes()).expect("parses");
        assert_eq!(
            (query.latest.as_str(), query.previous),
            ("Why is the ocean blue?", None)
        );
    }

    #[test]
    fn what_is_not_a_knowledge_base_request_is_refused_saying_why() {
        let refused = |body: &str| parse_request(body.as_bytes()).expect_err("refused");
        assert!(refused("not json").starts_with("the body is not JSON"));
        assert_eq!(refused("{}"), "the body has no `message` object");
        assert!(refused(r#"{"message": {"type": "status-update"}}"#).contains("\"status-update\""));
        assert_eq!(
            refused(
                r#"{"message": {"type": "knowledge-base-request", "messages": [{"role": "bot", "message": "Hi"}]}}"#
            ),
            "no user message in `message.messages`"
        );
    }

    #[test]
    fn the_secret_itself_or_an_hmac_of_the_body_is_accepted() {
        let secret = Secret::new("vapi-knowledge-secret-0123");
        let body = br#"{"message":{}}"#;
        let mut mac =
            <Hmac<Sha256> as Mac>::new_from_slice(secret.expose().as_bytes()).expect("key");
        mac.update(body);
        let digest = hex::encode(mac.finalize().into_bytes());
        assert!(signature_matches(&secret, &digest, body));
        assert!(signature_matches(
            &secret,
            &format!("sha256={}", digest.to_uppercase()),
            body
        ));
        assert!(signature_matches(
            &secret,
            "vapi-knowledge-secret-0123",
            body
        ));
        assert!(!signature_matches(
            &secret,
            &digest,
            br#"{"message":{"x":1}}"#
        ));
        assert!(!signature_matches(&secret, "", body));
        assert_eq!(presented(Some(" a "), Some("b")), Presented::Secret("a"));
        assert_eq!(presented(None, Some("b")), Presented::Signature("b"));
        assert_eq!(presented(None, None), Presented::Nothing);
    }

    #[test]
    fn similarity_grows_with_the_score_within_0_and_1() {
        assert_eq!(similarity(0.0), 0.0);
        assert_eq!(similarity(1.0), 0.5);
        assert!(similarity(3.0) > similarity(2.0));
        assert!(similarity(1e9) <= 1.0);
        assert_eq!(similarity(-1.0), 0.0);
    }
}
