//! What `/authorize` asks Layercode for (pure). The server decides the session: the agent
//! comes from its configuration, a conversation is resumed only with this server's resume
//! token, and of the browser's body only `metadata` passes, under `metadata.untrusted`.
//! `config`, `custom_headers`, `custom_metadata`, session webhooks and the browser's
//! `agent_id` never reach Layercode on the operator's key.

use serde_json::{Map, Value};

use super::resume::ResumeTokens;

/// The key under which the browser's `metadata` reaches webhooks and templates.
pub const UNTRUSTED_METADATA_KEY: &str = "untrusted";

/// Longest `sdk_version` passed on; the SDK sends something like `2.8.10`.
const MAX_SDK_VERSION_CHARS: usize = 32;

/// Why a browser's request for a session is refused.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum SessionRequestError {
    /// The body is not a JSON object.
    #[error("body must be a JSON object")]
    NotAnObject,
    /// `conversation_id` is not a string.
    #[error("`conversation_id` must be a string")]
    BadConversationId,
    /// A conversation id came without the token that proves it was issued to this browser.
    #[error("resuming a conversation needs the `resume_token` /authorize returned with it")]
    MissingResumeToken,
    /// The token was not issued for this conversation and agent.
    #[error("the `resume_token` does not belong to this conversation")]
    WrongResumeToken,
}

/// The body of Layercode's `authorize_session` for a browser that sent `browser`:
/// `agent_id` is the configured one, `resume_token` (from the body or the query) must
/// match a `conversation_id` it sends, and `tokens` is `None` when no key is configured
/// (no conversation can be resumed then).
pub fn session_request(
    browser: &Value,
    agent_id: &str,
    resume_token: Option<&str>,
    tokens: Option<&ResumeTokens>,
) -> Result<Value, SessionRequestError> {
    let sent = browser
        .as_object()
        .ok_or(SessionRequestError::NotAnObject)?;
    let mut request = Map::new();
    request.insert("agent_id".into(), agent_id.into());
    if let Some(conversation_id) = conversation_to_resume(sent)? {
        let token = resume_token
            .or_else(|| sent.get("resume_token").and_then(Value::as_str))
            .filter(|t| !t.is_empty())
            .ok_or(SessionRequestError::MissingResumeToken)?;
        if !tokens.is_some_and(|t| t.verify(agent_id, conversation_id, token)) {
            return Err(SessionRequestError::WrongResumeToken);
        }
        request.insert("conversation_id".into(), conversation_id.into());
    }
    if let Some(metadata) = sent.get("metadata").filter(|m| is_non_empty_object(m)) {
        let wrapped = Map::from_iter([(UNTRUSTED_METADATA_KEY.to_string(), metadata.clone())]);
        request.insert("metadata".into(), Value::Object(wrapped));
    }
    if let Some(version) = sent
        .get("sdk_version")
        .and_then(Value::as_str)
        .filter(|v| v.len() <= MAX_SDK_VERSION_CHARS)
    {
        request.insert("sdk_version".into(), version.into());
    }
    Ok(Value::Object(request))
}

/// Layercode's answer with a `resume_token` added for its `conversation_id`; an answer
/// that is no JSON object with a conversation id passes unchanged.
pub fn answer_with_resume_token(
    answer: &[u8],
    agent_id: &str,
    tokens: Option<&ResumeTokens>,
) -> Vec<u8> {
    let Some(tokens) = tokens else {
        return answer.to_vec();
    };
    let Ok(Value::Object(mut fields)) = serde_json::from_slice::<Value>(answer) else {
        return answer.to_vec();
    };
    let Some(conversation_id) = fields.get("conversation_id").and_then(Value::as_str) else {
        return answer.to_vec();
    };
    let token = tokens.issue(agent_id, conversation_id);
    fields.insert("resume_token".into(), token.into());
    Value::Object(fields).to_string().into_bytes()
}

fn conversation_to_resume(sent: &Map<String, Value>) -> Result<Option<&str>, SessionRequestError> {
    match sent.get("conversation_id") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(id)) if id.is_empty() => Ok(None),
        Some(Value::String(id)) => Ok(Some(id)),
        Some(_) => Err(SessionRequestError::BadConversationId),
    }
}

fn is_non_empty_object(value: &Value) -> bool {
    value.as_object().is_some_and(|o| !o.is_empty())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::secret::Secret;

    fn tokens() -> ResumeTokens {
        ResumeTokens::new(&Secret::new("lc_key"))
    }

    #[test]
    fn only_the_configured_agent_and_untrusted_metadata_are_asked_for() {
        let browser = json!({
            "agent_id": "ag_attacker", "pipeline_id": "ag_other",
            "metadata": {"name": "Ada"}, "custom_metadata": {"tier": "gold"},
            "custom_headers": {"x-api-key": "k"},
            "config": {"session_webhook": {"url": "https://evil.example/hook"}},
            "session_webhook": {"url": "https://evil.example/hook"},
            "sdk_version": "2.8.10",
        });
        let request = session_request(&browser, "ag_1", None, Some(&tokens()));
        let expected = json!({
            "agent_id": "ag_1",
            "metadata": {"untrusted": {"name": "Ada"}},
            "sdk_version": "2.8.10",
        });
        assert_eq!(request, Ok(expected));
        let bare = session_request(&json!({"metadata": {}}), "ag_1", None, None);
        assert_eq!(bare, Ok(json!({"agent_id": "ag_1"})));
        let long = json!({"sdk_version": "x".repeat(33), "metadata": "text"});
        assert_eq!(
            session_request(&long, "ag_1", None, None),
            Ok(json!({"agent_id": "ag_1"}))
        );
        assert_eq!(
            session_request(&json!([1]), "ag_1", None, None),
            Err(SessionRequestError::NotAnObject)
        );
    }

    #[test]
    fn a_conversation_is_resumed_only_with_its_token() {
        let tokens = tokens();
        let token = tokens.issue("ag_1", "conv_9");
        let asked =
            |body: Value, query: Option<&str>| session_request(&body, "ag_1", query, Some(&tokens));
        let resumed = json!({"agent_id": "ag_1", "conversation_id": "conv_9"});
        let in_body = json!({"conversation_id": "conv_9", "resume_token": token});
        assert_eq!(asked(in_body, None), Ok(resumed.clone()));
        let in_query = json!({"conversation_id": "conv_9"});
        assert_eq!(asked(in_query.clone(), Some(&token)), Ok(resumed));
        assert_eq!(
            asked(in_query, None),
            Err(SessionRequestError::MissingResumeToken)
        );
        let other = json!({"conversation_id": "conv_8", "resume_token": token});
        assert_eq!(
            asked(other, None),
            Err(SessionRequestError::WrongResumeToken)
        );
        let other_agent = session_request(
            &json!({"conversation_id": "conv_9"}),
            "ag_2",
            Some(&token),
            Some(&tokens),
        );
        assert_eq!(other_agent, Err(SessionRequestError::WrongResumeToken));
        let no_key = session_request(&json!({"conversation_id": "c"}), "ag_1", Some("t"), None);
        assert_eq!(no_key, Err(SessionRequestError::WrongResumeToken));
        assert_eq!(
            asked(json!({"conversation_id": 7}), None),
            Err(SessionRequestError::BadConversationId)
        );
    }

    #[test]
    fn the_answer_gets_the_token_for_its_conversation() {
        let tokens = tokens();
        let answer = br#"{"client_session_key":"csk","conversation_id":"conv_9"}"#;
        let with = answer_with_resume_token(answer, "ag_1", Some(&tokens));
        let with: Value = serde_json::from_slice(&with).expect("JSON");
        assert_eq!(with["client_session_key"], "csk");
        let token = with["resume_token"].as_str().expect("token");
        assert!(tokens.verify("ag_1", "conv_9", token));
        let odd = br#"{"client_session_key":"csk"}"#;
        assert_eq!(answer_with_resume_token(odd, "ag_1", Some(&tokens)), odd);
        assert_eq!(
            answer_with_resume_token(b"nope", "ag_1", Some(&tokens)),
            b"nope"
        );
    }
}
