//! Scenario files: finding them and reading them, with a mistake named by file and line.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::{Map, Value};

/// A scripted conversation, as written in its `*.toml` file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// What the scenario shows, for the report.
    pub description: String,
    /// The agent to post to (`/agent/<agent>`); `None` posts to `/agent`.
    #[serde(default)]
    pub agent: Option<String>,
    /// Sent as `metadata` on every webhook.
    #[serde(default)]
    pub metadata: Option<Map<String, Value>>,
    /// Send `session.start` first.
    #[serde(default)]
    pub session_start: bool,
    /// Substrings the welcome must contain (with `session_start`).
    #[serde(default)]
    pub expect_welcome: Vec<String>,
    /// The user's turns, in order.
    #[serde(default, rename = "turn")]
    pub turns: Vec<Turn>,
    /// Tools answered from the scenario instead of being called (in-process runs).
    #[serde(default)]
    pub tools: std::collections::BTreeMap<String, MockedTool>,
    /// A statement about the whole call, judged by a model.
    #[serde(default)]
    pub expect_judge: Option<String>,
    /// Fields the call's post-call analysis must have (the agent file's `[analysis]`).
    #[serde(default)]
    pub expect_analysis: Option<Map<String, Value>>,
}

/// One user turn and what must hold of the reply.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Turn {
    /// What the user says.
    pub user: String,
    /// A tool the model must call in this turn.
    #[serde(default)]
    pub expect_tool: Option<ExpectTool>,
    /// Case-insensitive substrings of what is spoken.
    #[serde(default)]
    pub expect_said: Vec<String>,
    /// Case-insensitive substrings that must not be spoken.
    #[serde(default)]
    pub expect_not_said: Vec<String>,
    /// Longest wait from sending the webhook to the first `response.tts`.
    #[serde(default)]
    pub max_first_audio_ms: Option<u64>,
    /// Stop listening after this many sentences, as a barge-in.
    #[serde(default)]
    pub interrupt_after_sentences: Option<usize>,
    /// Knowledge files the turn's passages must come from (`opening-hours.md`, or with its
    /// folder, `faq/opening-hours.md`).
    #[serde(default)]
    pub expect_knowledge: Vec<String>,
    /// Whether the agent must (or must not) end the call in this turn.
    #[serde(default)]
    pub expect_end_call: Option<bool>,
    /// A statement about the call so far, judged by a model after this turn.
    #[serde(default)]
    pub expect_judge: Option<String>,
}

/// A tool answered from the scenario.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MockedTool {
    /// What the model reads as the tool's result (sent as JSON).
    pub response: Value,
}

/// A tool call the model must make.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpectTool {
    /// The tool's name.
    pub name: String,
    /// Arguments that must be among the call's, with equal values.
    #[serde(default)]
    pub arguments: Option<Map<String, Value>>,
}

/// A scenario and the file it came from.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// The file, as found from the paths given.
    pub path: PathBuf,
    /// Its contents.
    pub scenario: Scenario,
}

/// Reads `text` (the contents of `path`); the error names the file and the line.
pub fn parse(path: &Path, text: &str) -> Result<Scenario, String> {
    let scenario: Scenario = toml::from_str(text).map_err(|e| {
        let line = e.span().map_or(1, |span| line_of(text, span.start));
        format!("{}: line {line}: {}", path.display(), e.message())
    })?;
    if scenario.turns.is_empty() && !scenario.session_start {
        return Err(format!(
            "{}: line 1: no [[turn]] and no session_start: nothing to test",
            path.display()
        ));
    }
    Ok(scenario)
}

/// The 1-based line of byte `offset` in `text`.
fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// Every scenario under `paths` (files, or folders searched for `*.toml`), sorted within a
/// folder. An error is a broken file or a path that does not exist.
pub fn load(paths: &[PathBuf]) -> Result<Vec<Loaded>, String> {
    let mut files = Vec::new();
    for path in paths {
        collect(path, &mut files)?;
    }
    files
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path)
                .map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
            let scenario = parse(&path, &text)?;
            Ok(Loaded { path, scenario })
        })
        .collect()
}

fn collect(path: &Path, files: &mut Vec<PathBuf>) -> Result<(), String> {
    if path.is_file() {
        files.push(path.to_path_buf());
        return Ok(());
    }
    let entries =
        std::fs::read_dir(path).map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
    let mut inside: Vec<PathBuf> = entries
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .collect();
    inside.sort();
    for entry in inside {
        if entry.is_dir() {
            collect(&entry, files)?;
        } else if entry.extension().is_some_and(|ext| ext == "toml") {
            files.push(entry);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
description = "An order status question is answered"
agent = "support"
metadata = { name = "Ana" }
session_start = true
expect_welcome = ["Hi"]

[[turn]]
user = "Where is my order A17?"
expect_tool = { name = "get_order", arguments = { order_id = "A17" } }
expect_said = ["tomorrow"]
expect_not_said = ["sorry"]
max_first_audio_ms = 2000
interrupt_after_sentences = 1

[[turn]]
user = "Bye"
expect_end_call = true
"#;

    #[test]
    fn a_full_scenario_reads() {
        let s = parse(Path::new("s.toml"), GOOD).expect("valid");
        assert_eq!(s.agent.as_deref(), Some("support"));
        assert_eq!(s.metadata.expect("metadata")["name"], "Ana");
        assert_eq!(s.turns.len(), 2);
        let tool = s.turns[0].expect_tool.as_ref().expect("tool");
        assert_eq!(tool.name, "get_order");
        assert_eq!(tool.arguments.as_ref().expect("args")["order_id"], "A17");
        assert_eq!(s.turns[0].interrupt_after_sentences, Some(1));
        assert_eq!(s.turns[1].expect_end_call, Some(true));
    }

    #[test]
    fn an_unknown_field_is_named_with_its_file_and_line() {
        let text = "description = \"x\"\n\n[[turn]]\nuser = \"hi\"\nexpect_sad = [\"x\"]\n";
        let e = parse(Path::new("scenarios/a.toml"), text).expect_err("unknown field");
        assert!(e.starts_with("scenarios/a.toml: line 5: "), "{e}");
        assert!(e.contains("expect_sad"), "{e}");
    }

    #[test]
    fn unsupported_fields_parse_so_the_run_can_fail_them() {
        let text = "description = \"x\"\n[tools.get_order]\nresponse = \"{}\"\n[[turn]]\nuser = \"hi\"\nexpect_judge = \"polite\"\n";
        let s = parse(Path::new("a.toml"), text).expect("parses");
        assert_eq!(s.tools["get_order"].response, serde_json::json!("{}"));
        assert_eq!(s.turns[0].expect_judge.as_deref(), Some("polite"));
    }

    #[test]
    fn a_scenario_with_nothing_to_do_is_refused() {
        let e = parse(Path::new("a.toml"), "description = \"x\"\n").expect_err("empty");
        assert!(e.contains("nothing to test"), "{e}");
    }

    #[test]
    fn the_example_scenarios_read() {
        let dir = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/scenarios"));
        let loaded = load(&[dir]).expect("examples are valid");
        assert_eq!(loaded.len(), 2);
    }
}
