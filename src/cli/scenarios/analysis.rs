//! `expect_analysis`: the scenario's call analysed as the post-call analysis would (the
//! agent file's `[analysis]`, the first configured model), and the answer checked to hold
//! every field the scenario names, with an equal value (tables match by their own fields,
//! so `{ data = { reason = "order" } }` ignores the rest of `data`).

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::{Map, Value};

use super::outcome::{Check, TurnResult};
use crate::llm::LlmClient;
use crate::records::post_call::analysis::{analyze, AnalysisPlan};

/// The agents' analyses and the model that makes them, or why there are none.
#[derive(Clone)]
pub struct Analyst {
    pub plans: HashMap<String, Arc<AnalysisPlan>>,
    /// The agent `/agent` answers for.
    pub default_agent: String,
    pub model: LlmClient,
}

impl std::fmt::Debug for Analyst {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Analyst")
    }
}

/// Whether every field of `wanted` is in `given` with an equal value (tables by their
/// own fields).
pub fn holds(wanted: &Map<String, Value>, given: &Map<String, Value>) -> bool {
    wanted
        .iter()
        .all(|(key, want)| match (want, given.get(key)) {
            (Value::Object(want), Some(Value::Object(got))) => holds(want, got),
            (want, Some(got)) => want == got,
            (_, None) => false,
        })
}

/// The check of `wanted` against the analysis of the conversation in `turns`.
pub async fn checked(
    analyst: &Result<Analyst, String>,
    agent: Option<&str>,
    turns: &[TurnResult],
    wanted: &Map<String, Value>,
) -> Check {
    let label = format!("analysis {}", Value::Object(wanted.clone()));
    let analyst = match analyst {
        Ok(analyst) => analyst,
        Err(why) => return Check::new(label, Some(why.clone())),
    };
    let agent = agent.unwrap_or(&analyst.default_agent);
    let Some(plan) = analyst.plans.get(agent) else {
        return Check::new(
            label,
            Some(format!("agent {agent} has no [analysis] in its agent file")),
        );
    };
    let transcript = super::expect::transcript(turns);
    match analyze(&analyst.model, plan, &transcript).await {
        Ok(Value::Object(given)) if holds(wanted, &given) => Check::new(label, None),
        Ok(given) => Check::new(label, Some(format!("the analysis was {given}"))),
        Err(why) => Check::new(label, Some(why)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn fields_match_by_value_and_tables_by_their_own_fields() {
        let given = json!({"data": {"reason": "order", "order_id": "A17"}, "success": true});
        let given = given.as_object().expect("object");
        let wanted = |v: Value| v.as_object().cloned().expect("object");
        assert!(holds(&wanted(json!({"success": true})), given));
        assert!(holds(&wanted(json!({"data": {"reason": "order"}})), given));
        assert!(!holds(
            &wanted(json!({"data": {"reason": "return"}})),
            given
        ));
        assert!(!holds(&wanted(json!({"success": false})), given));
        assert!(!holds(&wanted(json!({"summary": "x"})), given));
    }
}
