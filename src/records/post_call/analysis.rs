//! The structured post-call analysis an agent file's `[analysis]` asks for: once the call
//! is over, one model request with structured output (`response_format` with a JSON
//! Schema) reads the transcript and answers
//! `{"data": {…}, "success": true, "success_reason": "…", "summary": "…"}` (only the
//! parts asked for). The answer is the model's, so it is not trusted: it is parsed and
//! validated against the schema, and when it fails, asked again once with the validation
//! error. An answer that fails twice is dropped, never stored.

use serde_json::{json, Value};

use crate::config::AnalysisConfig;
use crate::llm::{LlmClient, Prompt};
use crate::session::ChatMessage;

/// The longest answer read (a runaway model is cut off, not buffered).
const MAX_ANSWER_CHARS: usize = 64 * 1024;

/// An agent's analysis, its schema compiled.
pub struct AnalysisPlan {
    response_format: Value,
    validator: jsonschema::Validator,
    instructions: String,
}

impl std::fmt::Debug for AnalysisPlan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AnalysisPlan")
    }
}

impl AnalysisPlan {
    /// The plan for `config`, whose data schema (from the agent file or its
    /// `schema_file`) is `schema`; a schema that does not compile is refused, saying why.
    pub fn new(config: &AnalysisConfig, schema: Option<Value>) -> Result<Self, String> {
        let mut properties = serde_json::Map::new();
        let mut required = Vec::new();
        let mut asked = Vec::new();
        if let Some(schema) = schema {
            properties.insert("data".into(), schema);
            required.push("data");
            asked.push(
                "`data`: the data the schema describes, from what was said in the call".to_string(),
            );
        }
        if let Some(rubric) = &config.success {
            properties.insert("success".into(), json!({"type": "boolean"}));
            properties.insert("success_reason".into(), json!({"type": "string"}));
            required.extend(["success", "success_reason"]);
            asked.push(format!(
                "`success`: true only if this holds: {rubric}; `success_reason`: why, in one sentence"
            ));
        }
        if config.summary {
            properties.insert("summary".into(), json!({"type": "string"}));
            required.push("summary");
            asked.push(
                "`summary`: two short sentences: what the caller wanted, and how it ended".into(),
            );
        }
        let schema = json!({
            "type": "object",
            "properties": properties,
            "required": required,
            "additionalProperties": false,
        });
        let validator = jsonschema::validator_for(&schema)
            .map_err(|e| format!("the schema is not a valid JSON Schema: {e}"))?;
        Ok(Self {
            response_format: json!({
                "type": "json_schema",
                "json_schema": {"name": "call_analysis", "schema": schema},
            }),
            validator,
            instructions: format!(
                "You analyse a phone call between a caller and a voice agent. Answer with one \
                 JSON object and nothing else, with these fields:\n- {}",
                asked.join("\n- ")
            ),
        })
    }

    /// The first problem with `answer`, when it does not match the schema.
    fn problem(&self, answer: &Value) -> Option<String> {
        self.validator
            .iter_errors(answer)
            .next()
            .map(|e| crate::tools::describe(&e))
    }
}

/// The analysis of the call whose transcript is `transcript`, validated; `Err` says why
/// there is none (the model failed, or answered wrongly twice).
pub async fn analyze(
    model: &LlmClient,
    plan: &AnalysisPlan,
    transcript: &str,
) -> Result<Value, String> {
    let mut messages = vec![ChatMessage::user(transcript, "analysis")];
    let mut last_problem = String::new();
    for attempt in 0..2 {
        let prompt = Prompt {
            response_format: Some(&plan.response_format),
            ..Prompt::new(&plan.instructions, &messages)
        };
        let answer = ask(model, &prompt).await?;
        let problem = match parse(&answer) {
            Ok(value) => match plan.problem(&value) {
                None => return Ok(value),
                Some(problem) => problem,
            },
            Err(problem) => problem,
        };
        tracing::info!(attempt, %problem, "post-call analysis answer not valid");
        messages.push(ChatMessage::assistant(answer, "analysis"));
        messages.push(ChatMessage::user(
            format!("That answer is not valid: {problem}. Answer again with only the JSON object."),
            "analysis",
        ));
        last_problem = problem;
    }
    Err(format!(
        "the model's answer was not valid twice: {last_problem}"
    ))
}

/// The model's whole answer, cut at [`MAX_ANSWER_CHARS`].
async fn ask(model: &LlmClient, prompt: &Prompt<'_>) -> Result<String, String> {
    let mut stream = model
        .stream_chat(0, prompt)
        .await
        .map_err(|e| format!("the model failed: {e}"))?;
    let mut text = String::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| format!("the model failed: {e}"))?;
        text.push_str(chunk.text.as_deref().unwrap_or(""));
        if text.len() > MAX_ANSWER_CHARS {
            break;
        }
    }
    Ok(text)
}

/// The JSON object in `answer`: as it is, or inside a Markdown code fence.
fn parse(answer: &str) -> Result<Value, String> {
    let trimmed = answer.trim();
    let inner = trimmed
        .strip_prefix("```json")
        .or_else(|| trimmed.strip_prefix("```"))
        .and_then(|rest| rest.strip_suffix("```"))
        .unwrap_or(trimmed);
    serde_json::from_str(inner.trim()).map_err(|e| format!("not JSON ({e})"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan() -> AnalysisPlan {
        let config = AnalysisConfig {
            schema: None,
            schema_file: None,
            success: Some("The caller got an answer.".into()),
            summary: false,
        };
        let schema = json!({
            "type": "object",
            "properties": {"order_id": {"type": "string"}},
            "required": ["order_id"],
        });
        AnalysisPlan::new(&config, Some(schema)).expect("compiles")
    }

    #[test]
    fn answers_are_checked_against_the_schema() {
        let plan = plan();
        let good = json!({"data": {"order_id": "A17"}, "success": true, "success_reason": "Told."});
        assert_eq!(plan.problem(&good), None);
        let missing = json!({"data": {}, "success": true, "success_reason": "Told."});
        assert!(plan
            .problem(&missing)
            .expect("a problem")
            .contains("order_id"));
        let extra =
            json!({"data": {"order_id": "A"}, "success": true, "success_reason": "x", "mood": 1});
        assert!(
            plan.problem(&extra).is_some(),
            "no field beyond those asked"
        );
        assert!(plan.instructions.contains("The caller got an answer."));
        assert_eq!(plan.response_format["type"], "json_schema");
    }

    #[test]
    fn json_is_read_bare_or_fenced() {
        assert_eq!(parse(" {\"a\": 1} "), Ok(json!({"a": 1})));
        assert_eq!(parse("```json\n{\"a\": 1}\n```"), Ok(json!({"a": 1})));
        assert!(parse("Sure! {\"a\": 1}")
            .expect_err("prose")
            .starts_with("not JSON"));
    }

    #[test]
    fn a_schema_that_does_not_compile_is_refused() {
        let config = AnalysisConfig {
            schema: None,
            schema_file: None,
            success: None,
            summary: true,
        };
        let broken = json!({"type": 12});
        assert!(AnalysisPlan::new(&config, Some(broken))
            .expect_err("refused")
            .starts_with("the schema is not a valid JSON Schema"));
    }
}
