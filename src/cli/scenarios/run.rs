//! Playing a scenario against a server and checking each turn's reply.

use std::hash::{BuildHasher, Hasher};
use std::time::Instant;

use futures_util::StreamExt;
use serde::Serialize;
use serde_json::{json, Map, Value};

use super::scenario::{ExpectTool, Loaded, Turn};
use super::TestOptions;
use crate::cli::chat::{drain_events, post_webhook};
use crate::config::Secret;

/// One expectation and whether it held.
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    /// What was expected, e.g. `said "tomorrow"`.
    pub label: String,
    /// Whether it held.
    pub passed: bool,
    /// Why it did not, e.g. `not in "It ships Monday."`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub why: Option<String>,
}

impl Check {
    fn new(label: String, failure: Option<String>) -> Self {
        Self {
            label,
            passed: failure.is_none(),
            why: failure,
        }
    }
}

/// What happened in one turn (the welcome counts as a turn with no user line).
#[derive(Debug, Clone, Serialize)]
pub struct TurnResult {
    /// What the user said; `None` for the welcome.
    pub user: Option<String>,
    /// The sentences heard.
    pub heard: Vec<String>,
    /// The expectations, in the file's order.
    pub checks: Vec<Check>,
    /// From sending the webhook to the first `response.tts`.
    pub first_audio_ms: Option<u64>,
    /// From sending the webhook to the end of the stream (or the barge-in).
    pub total_ms: u64,
}

/// What happened in one scenario.
#[derive(Debug, Clone, Serialize)]
pub struct ScenarioResult {
    /// The scenario's file.
    pub file: String,
    /// Its description.
    pub description: String,
    /// Whether every expectation held.
    pub passed: bool,
    /// Expectations about the scenario as a whole (unsupported features).
    pub checks: Vec<Check>,
    /// Its turns, in order.
    pub turns: Vec<TurnResult>,
}

impl ScenarioResult {
    /// Every failed expectation, as `label: why` lines.
    pub fn failures(&self) -> Vec<String> {
        self.checks
            .iter()
            .chain(self.turns.iter().flat_map(|t| t.checks.iter()))
            .filter(|c| !c.passed)
            .map(|c| match &c.why {
                Some(why) => format!("{}: {why}", c.label),
                None => c.label.clone(),
            })
            .collect()
    }
}

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

/// What one webhook's stream brought.
#[derive(Default)]
struct Heard {
    sentences: Vec<String>,
    tools: Vec<Value>,
    end_call: bool,
    first_audio_ms: Option<u64>,
    total_ms: u64,
}

/// Plays `loaded` against the options' target and checks every expectation.
pub async fn play(
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

/// Sends a webhook (the `post` future) and reads its stream, stopping after `stop_after`
/// sentences when given (the response is dropped, as a caller's barge-in).
async fn listen<F>(post: F, stop_after: Option<usize>) -> Result<Heard, String>
where
    F: std::future::Future<Output = Result<reqwest::Response, String>>,
{
    let sent = Instant::now();
    let response = post.await?;
    let mut stream = response.bytes_stream();
    let mut buffer = Vec::new();
    let mut heard = Heard::default();
    'read: while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| format!("the stream broke: {e}"))?;
        buffer.extend_from_slice(&chunk);
        for event in drain_events(&mut buffer) {
            let content = &event["content"];
            match event["type"].as_str() {
                Some("response.tts") => {
                    heard
                        .first_audio_ms
                        .get_or_insert(sent.elapsed().as_millis() as u64);
                    heard
                        .sentences
                        .push(content.as_str().unwrap_or_default().to_string());
                    if stop_after.is_some_and(|n| heard.sentences.len() >= n) {
                        break 'read;
                    }
                }
                Some("response.data") if content.get("tool").is_some() => {
                    heard.tools.push(content["tool"].clone());
                }
                Some("response.data") if content["action"] == "end_call" => {
                    heard.end_call = true;
                }
                _ => {}
            }
        }
    }
    heard.total_ms = sent.elapsed().as_millis() as u64;
    Ok(heard)
}

fn check_turn(turn: &Turn, heard: &Heard) -> Vec<Check> {
    let spoken = heard.sentences.join(" ");
    let mut checks = Vec::new();
    if let Some(expect) = &turn.expect_tool {
        checks.push(check_tool(expect, &heard.tools));
    }
    checks.extend(turn.expect_said.iter().map(|w| said(w, &spoken, "said")));
    for unwanted in &turn.expect_not_said {
        let found = contains(&spoken, unwanted);
        checks.push(Check::new(
            format!("not said {unwanted:?}"),
            found.then(|| format!("found in {spoken:?}")),
        ));
    }
    if let Some(max) = turn.max_first_audio_ms {
        let failure = match heard.first_audio_ms {
            Some(ms) if ms <= max => None,
            Some(ms) => Some(format!("took {ms} ms")),
            None => Some("nothing was spoken".into()),
        };
        checks.push(Check::new(format!("first audio ≤ {max} ms"), failure));
    }
    if let Some(expected) = turn.expect_end_call {
        let failure = (heard.end_call != expected).then(|| {
            if expected {
                "the agent did not end the call".to_string()
            } else {
                "the agent ended the call".to_string()
            }
        });
        let label = if expected { "end call" } else { "no end call" };
        checks.push(Check::new(label.into(), failure));
    }
    checks
}

/// The judge's verdict on `statement` about the conversation in `turns`.
async fn judged(options: &TestOptions, turns: &[TurnResult], statement: &str) -> Check {
    let label = format!("judge: {statement}");
    let judge = match &options.judge {
        Ok(judge) => judge,
        Err(why) => return Check::new(label, Some(why.clone())),
    };
    let mut transcript = String::new();
    for turn in turns {
        if let Some(user) = &turn.user {
            transcript.push_str(&format!("Caller: {user}\n"));
        }
        if !turn.heard.is_empty() {
            transcript.push_str(&format!("Agent: {}\n", turn.heard.join(" ")));
        }
    }
    match judge.judge(&transcript, statement).await {
        Ok(verdict) if verdict.yes => Check::new(label, None),
        Ok(verdict) => Check::new(label, Some(format!("no: {}", verdict.reason))),
        Err(why) => Check::new(label, Some(why)),
    }
}

fn said(wanted: &str, spoken: &str, what: &str) -> Check {
    Check::new(
        format!("{what} {wanted:?}"),
        (!contains(spoken, wanted)).then(|| format!("not in {spoken:?}")),
    )
}

fn contains(haystack: &str, needle: &str) -> bool {
    haystack.to_lowercase().contains(&needle.to_lowercase())
}

fn check_tool(expect: &ExpectTool, tools: &[Value]) -> Check {
    let label = match &expect.arguments {
        Some(args) => format!("tool {} {}", expect.name, Value::Object(args.clone())),
        None => format!("tool {}", expect.name),
    };
    let started: Vec<&Value> = tools.iter().filter(|t| t["status"] == "started").collect();
    let named: Vec<&&Value> = started
        .iter()
        .filter(|t| t["name"] == expect.name.as_str())
        .collect();
    if named.is_empty() {
        let called: Vec<&str> = started.iter().filter_map(|t| t["name"].as_str()).collect();
        let called = if called.is_empty() {
            "none".to_string()
        } else {
            called.join(", ")
        };
        return Check::new(label, Some(format!("not called (called: {called})")));
    }
    let Some(wanted) = &expect.arguments else {
        return Check::new(label, None);
    };
    let mut seen = Vec::new();
    for event in named {
        let raw = event["arguments"].as_str().unwrap_or_default();
        seen.push(raw.to_string());
        if let Ok(Value::Object(given)) = serde_json::from_str::<Value>(raw) {
            if arguments_match(wanted, &given) {
                return Check::new(label, None);
            }
        }
    }
    Check::new(label, Some(format!("called with {}", seen.join(", "))))
}

fn arguments_match(wanted: &Map<String, Value>, given: &Map<String, Value>) -> bool {
    wanted.iter().all(|(k, v)| given.get(k) == Some(v))
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

    fn tool(name: &str, args: &str) -> Value {
        json!({"id": "c1", "name": name, "status": "started", "arguments": args})
    }

    fn expect(name: &str, args: Option<Value>) -> ExpectTool {
        ExpectTool {
            name: name.into(),
            arguments: args.and_then(|a| a.as_object().cloned()),
        }
    }

    #[test]
    fn a_tool_matches_by_name_and_the_given_arguments() {
        let tools = [tool("get_order", r#"{"order_id":"A17","detail":"eta"}"#)];
        assert!(check_tool(&expect("get_order", None), &tools).passed);
        assert!(
            check_tool(
                &expect("get_order", Some(json!({"order_id": "A17"}))),
                &tools
            )
            .passed
        );
        let wrong = check_tool(
            &expect("get_order", Some(json!({"order_id": "B2"}))),
            &tools,
        );
        assert!(!wrong.passed);
        assert!(wrong.why.expect("why").contains("A17"));
        let other = check_tool(&expect("cancel_order", None), &tools);
        assert_eq!(other.why.as_deref(), Some("not called (called: get_order)"));
    }

    #[test]
    fn said_is_case_insensitive_and_explains_a_miss() {
        assert!(said("TOMORROW", "It ships tomorrow.", "said").passed);
        let miss = said("tomorrow", "It ships Monday.", "said");
        assert_eq!(miss.label, "said \"tomorrow\"");
        assert_eq!(miss.why.as_deref(), Some("not in \"It ships Monday.\""));
    }

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
