//! Playing a scenario against a server: its webhooks in order (welcome, turns, barge-ins,
//! end of session), mocked tool answers, and what each turn brought.

use std::hash::{BuildHasher, Hasher};

use serde_json::{json, Value};

use super::expect::{check_turn, judged, said};
use super::listen::{listen, Heard};
use super::outcome::{Check, ScenarioResult, TurnResult};
use super::scenario::Loaded;
use super::TestOptions;
use crate::cli::chat::post_webhook;
use crate::secret::Secret;

/// Where to post and how to sign.
#[derive(Debug, Clone)]
pub struct Target {
    /// The webhook URL (ending in `/agent`, or an agent's own URL).
    pub webhook_url: String,
    /// The secret to sign with; `None` sends unsigned webhooks.
    pub secret: Option<Secret>,
}

impl Target {
    /// The URL for `agent`: `/agent/<agent>` when the URL is the default `/agent` one.
    fn url_for(&self, agent: Option<&str>) -> String {
        match agent {
            Some(agent) if self.webhook_url.ends_with("/agent") => {
                format!("{}/{agent}", self.webhook_url)
            }
            _ => self.webhook_url.clone(),
        }
    }
}

/// Plays `loaded` against the options' target and checks every expectation.
pub(super) async fn play(
    http: &reqwest::Client,
    options: &TestOptions,
    loaded: &Loaded,
) -> ScenarioResult {
    let target = &options.target;
    let scenario = &loaded.scenario;
    let url = target.url_for(scenario.agent.as_deref());
    let stem = loaded
        .path
        .file_stem()
        .map_or("scenario".into(), |s| s.to_string_lossy().into_owned());
    let conversation = format!("test-{stem}-{:x}", random());
    let mut checks = Vec::new();
    if !scenario.tools.is_empty() {
        match &options.mocks {
            Some(mocks) => {
                for (name, mocked) in &scenario.tools {
                    mocks.answer(&conversation, name, mocked.response.to_string());
                }
            }
            None => checks.push(Check::new(
                "mocked tools".into(),
                Some(
                    "[tools.<name>] answers need the server this command starts: run without \
                     --url"
                        .into(),
                ),
            )),
        }
    }
    let result = play_turns(http, options, loaded, &url, &conversation, checks).await;
    if let Some(mocks) = &options.mocks {
        mocks.forget(&conversation);
    }
    result
}

async fn play_turns(
    http: &reqwest::Client,
    options: &TestOptions,
    loaded: &Loaded,
    url: &str,
    conversation: &str,
    mut checks: Vec<Check>,
) -> ScenarioResult {
    let target = &options.target;
    let scenario = &loaded.scenario;
    let url = url.to_string();
    let base = |kind: &str| {
        let mut body =
            json!({"type": kind, "session_id": conversation, "conversation_id": conversation});
        if let Some(metadata) = &scenario.metadata {
            body["metadata"] = Value::Object(metadata.clone());
        }
        body
    };
    let mut turns = Vec::new();
    let post = |body: Value| {
        let url = url.clone();
        async move { post_webhook(http, &url, target.secret.as_ref(), &body).await }
    };

    if scenario.session_start {
        let mut body = base("session.start");
        body["turn_id"] = json!("t0");
        let result = match listen(post(body), None).await {
            Ok(heard) => {
                let spoken = heard.sentences.join(" ");
                let checks = scenario
                    .expect_welcome
                    .iter()
                    .map(|want| said(want, &spoken, "welcome"))
                    .collect();
                turn_result(None, heard, checks)
            }
            Err(error) => failed_request(None, error),
        };
        let broken = result
            .checks
            .iter()
            .any(|c| c.label == "request" && !c.passed);
        turns.push(result);
        if broken {
            return finish(loaded, checks, turns);
        }
    }

    let mut interrupted: Option<(String, String)> = None;
    for (i, turn) in scenario.turns.iter().enumerate() {
        let turn_id = format!("t{}", i + 1);
        let mut body = base("message");
        body["turn_id"] = json!(turn_id);
        body["text"] = json!(turn.user);
        if let Some((heard, previous)) = interrupted.take() {
            body["interruption_context"] = json!({
                "previous_turn_interrupted": true,
                "text_heard": heard,
                "assistant_turn_id": previous,
            });
        }
        match listen(post(body), turn.interrupt_after_sentences).await {
            Ok(heard) => {
                if turn.interrupt_after_sentences.is_some() {
                    interrupted = Some((heard.sentences.join(" "), turn_id.clone()));
                }
                let mut checks = check_turn(turn, &heard);
                let mut result = turn_result(Some(turn.user.clone()), heard, Vec::new());
                if let Some(statement) = &turn.expect_judge {
                    let mut so_far = turns.clone();
                    so_far.push(result.clone());
                    checks.push(judged(options, &so_far, statement).await);
                }
                result.checks = checks;
                turns.push(result);
            }
            Err(error) => {
                turns.push(failed_request(Some(turn.user.clone()), error));
                break;
            }
        }
    }
    if let Some(statement) = &scenario.expect_judge {
        checks.push(judged(options, &turns, statement).await);
    }
    if let Some(wanted) = &scenario.expect_analysis {
        let agent = scenario.agent.as_deref();
        checks.push(super::analysis::checked(&options.analyst, agent, &turns, wanted).await);
    }
    // Best effort: the server forgets the conversation sooner.
    let _ = post(base("session.end")).await;
    finish(loaded, checks, turns)
}

fn finish(loaded: &Loaded, checks: Vec<Check>, turns: Vec<TurnResult>) -> ScenarioResult {
    let passed =
        checks.iter().all(|c| c.passed) && turns.iter().all(|t| t.checks.iter().all(|c| c.passed));
    ScenarioResult {
        file: loaded.path.display().to_string(),
        description: loaded.scenario.description.clone(),
        passed,
        checks,
        turns,
    }
}

fn turn_result(user: Option<String>, heard: Heard, checks: Vec<Check>) -> TurnResult {
    TurnResult {
        user,
        heard: heard.sentences,
        checks,
        first_audio_ms: heard.first_audio_ms,
        total_ms: heard.total_ms,
    }
}

fn failed_request(user: Option<String>, error: String) -> TurnResult {
    TurnResult {
        user,
        heard: Vec::new(),
        checks: vec![Check::new("request".into(), Some(error))],
        first_audio_ms: None,
        total_ms: 0,
    }
}

fn random() -> u64 {
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    hasher.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_agent_gets_its_own_path_unless_the_url_names_one() {
        let target = Target {
            webhook_url: "http://h/agent".into(),
            secret: None,
        };
        assert_eq!(target.url_for(Some("support")), "http://h/agent/support");
        assert_eq!(target.url_for(None), "http://h/agent");
        let named = Target {
            webhook_url: "http://h/agent/sales".into(),
            secret: None,
        };
        assert_eq!(named.url_for(Some("support")), "http://h/agent/sales");
    }
}
