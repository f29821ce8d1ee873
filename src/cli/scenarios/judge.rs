//! `expect_judge`: a model reads the conversation as heard and answers yes or no, with a
//! one-line reason. It is asked through the same client as the agent's turns (the
//! primary upstream, then the fallbacks), with `JUDGE_MODEL` in place of the primary's
//! model when set. Any failure to get a clear yes is a failed expectation, never a pass.

use std::time::Duration;

use crate::config::LlmSettings;
use crate::llm::{LlmClient, Prompt};
use crate::session::ChatMessage;

const INSTRUCTIONS: &str = "You check a phone conversation between a caller and a voice \
agent against one statement. Answer on the first line with YES if the statement is true \
of the conversation, or NO if it is not; then one short line saying why.";

/// The model that judges.
#[derive(Debug, Clone)]
pub struct Judge {
    client: LlmClient,
    timeout: Duration,
}

/// The judge's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// Whether the statement holds.
    pub yes: bool,
    /// Why, in the judge's words.
    pub reason: String,
}

impl Judge {
    /// A judge on the agent's model settings, `model` replacing the primary's model.
    pub fn new(mut llm: LlmSettings, model: Option<String>) -> Result<Self, String> {
        if let (Some(model), Some(primary)) = (model, llm.upstreams.first_mut()) {
            primary.model = model;
        }
        let timeout = llm.turn_timeout;
        let client = LlmClient::new(&llm).map_err(|e| e.to_string())?;
        Ok(Self { client, timeout })
    }

    /// Asks whether `statement` holds of `transcript` (lines `Caller: …` and `Agent: …`).
    pub async fn judge(&self, transcript: &str, statement: &str) -> Result<Verdict, String> {
        let question = [ChatMessage::user(
            format!("Conversation:\n{transcript}\n\nStatement: {statement}"),
            "judge",
        )];
        let prompt = Prompt::new(INSTRUCTIONS, &question);
        let mut last_error = String::from("no model is configured");
        for index in 0..self.client.upstream_count() {
            let ask = async {
                let mut stream = self
                    .client
                    .stream_chat(index, &prompt)
                    .await
                    .map_err(|e| e.to_string())?;
                let mut text = String::new();
                while let Some(chunk) = stream.next().await {
                    let chunk = chunk.map_err(|e| e.to_string())?;
                    text.push_str(chunk.text.as_deref().unwrap_or(""));
                }
                Ok::<String, String>(text)
            };
            match tokio::time::timeout(self.timeout, ask).await {
                Ok(Ok(text)) => return verdict(&text),
                Ok(Err(error)) => last_error = error,
                Err(_) => last_error = format!("no answer within {} s", self.timeout.as_secs()),
            }
        }
        Err(format!("the judge could not be asked: {last_error}"))
    }
}

/// Reads "YES/NO" and the reason from the judge's answer.
fn verdict(text: &str) -> Result<Verdict, String> {
    let text = text.trim();
    let first = text
        .split(|c: char| !c.is_alphabetic())
        .find(|w| !w.is_empty())
        .unwrap_or_default()
        .to_ascii_lowercase();
    let reason = text
        .lines()
        .skip(1)
        .map(str::trim)
        .find(|l| !l.is_empty())
        .map(str::to_string)
        .unwrap_or_else(|| {
            text.trim_start_matches(|c: char| c.is_alphabetic() || c == '.' || c == ',')
                .trim()
                .to_string()
        });
    match first.as_str() {
        "yes" => Ok(Verdict { yes: true, reason }),
        "no" => Ok(Verdict { yes: false, reason }),
        _ => Err(format!(
            "the judge answered neither yes nor no: {:?}",
            text.chars().take(120).collect::<String>()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_read_as_yes_no_and_a_reason() {
        assert_eq!(
            verdict("YES\nThe agent said goodbye."),
            Ok(Verdict {
                yes: true,
                reason: "The agent said goodbye.".into()
            })
        );
        assert_eq!(
            verdict("No. It never greeted the caller."),
            Ok(Verdict {
                yes: false,
                reason: "It never greeted the caller.".into()
            })
        );
        assert!(verdict("Maybe").is_err());
        assert!(verdict("").is_err());
    }
}
