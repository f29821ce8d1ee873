//! The caller's context a template reads (`CallContext`), and the variables one render
//! sees: that context plus `now` in words.

use minijinja::value::Serde;
use minijinja::Value;
use serde::Serialize;
use serde_json::{Map, Value as Json};

/// What a template may use, for one turn.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CallContext {
    /// `custom_metadata` merged over `metadata` from the webhook (a JSON object; absent = empty object).
    pub metadata: Map<String, Json>,
    /// The caller's phone number, when the call came by phone.
    pub from_phone_number: Option<String>,
    /// The number the caller dialled, when the call came by phone.
    pub to_phone_number: Option<String>,
    /// Layercode's id of the conversation.
    pub conversation_id: String,
    /// The agent's name ("default" for the single agent configured from the environment).
    pub agent: String,
    /// What the page sent in `data` events during this conversation (a JSON object).
    pub client: Map<String, Json>,
    /// The OpenAI door's platform fields, each a variable of its own under the platform's
    /// name (`platform`, `call`, `phoneNumber`, `customer`, `user_id`,
    /// `elevenlabs_extra_body`); empty on Layercode's door. A name the context already
    /// has (`metadata`, `agent`, …) is not overridden.
    pub platform: Map<String, Json>,
}

impl CallContext {
    /// `custom_metadata` merged over `metadata` (shallow: top-level keys of custom win).
    /// Non-object values count as empty.
    pub fn merge_metadata(metadata: Option<&Json>, custom: Option<&Json>) -> Map<String, Json> {
        let mut merged = match metadata {
            Some(Json::Object(map)) => map.clone(),
            _ => Map::new(),
        };
        if let Some(Json::Object(custom)) = custom {
            for (key, value) in custom {
                merged.insert(key.clone(), value.clone());
            }
        }
        merged
    }

    /// Sample values for `voicebridge check`: metadata `{"name": "Ana", "account_id":
    /// "acc_123"}`, from "+15550100", to "+15550199", conversation_id "conv_sample", client
    /// `{"page": "/pricing"}`, agent as given.
    pub fn sample(agent: &str) -> Self {
        let mut metadata = Map::new();
        metadata.insert("name".into(), Json::from("Ana"));
        metadata.insert("account_id".into(), Json::from("acc_123"));
        let mut client = Map::new();
        client.insert("page".into(), Json::from("/pricing"));
        CallContext {
            metadata,
            from_phone_number: Some("+15550100".into()),
            to_phone_number: Some("+15550199".into()),
            conversation_id: "conv_sample".into(),
            agent: agent.into(),
            client,
            platform: Map::new(),
        }
    }
}

/// The variables a template sees: the context borrowed, plus `now` in words. A `None`
/// phone number is left out, so the template sees it undefined (and `default` applies).
#[derive(Serialize)]
struct Variables<'a> {
    metadata: &'a Map<String, Json>,
    #[serde(skip_serializing_if = "Option::is_none")]
    from_phone_number: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    to_phone_number: Option<&'a str>,
    conversation_id: &'a str,
    agent: &'a str,
    client: &'a Map<String, Json>,
    now: &'a str,
    #[serde(flatten)]
    platform: Map<String, Json>,
}

/// The variables of one render: `context` and `now` in words.
pub(super) fn variables(context: &CallContext, now: &str) -> Value {
    Value::from(Serde(Variables {
        metadata: &context.metadata,
        from_phone_number: context.from_phone_number.as_deref(),
        to_phone_number: context.to_phone_number.as_deref(),
        conversation_id: &context.conversation_id,
        agent: &context.agent,
        client: &context.client,
        now,
        platform: platform_variables(context),
    }))
}

/// The platform's variables a render adds: every one but those the context has already.
fn platform_variables(context: &CallContext) -> Map<String, Json> {
    const TAKEN: [&str; 7] = [
        "metadata",
        "from_phone_number",
        "to_phone_number",
        "conversation_id",
        "agent",
        "client",
        "now",
    ];
    context
        .platform
        .iter()
        .filter(|(name, _)| !TAKEN.contains(&name.as_str()))
        .map(|(name, value)| (name.clone(), value.clone()))
        .collect()
}
