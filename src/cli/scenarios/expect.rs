//! Checking a turn's expectations against what was heard: words said and not said, tools
//! called, first-audio time, the end of the call, and the judge's verdict.

use serde_json::{Map, Value};

use super::listen::Heard;
use super::outcome::{Check, TurnResult};
use super::scenario::{ExpectTool, Turn};
use super::TestOptions;

pub(super) fn check_turn(turn: &Turn, heard: &Heard) -> Vec<Check> {
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
    for file in &turn.expect_knowledge {
        checks.push(check_knowledge(file, &heard.knowledge));
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
pub(super) async fn judged(options: &TestOptions, turns: &[TurnResult], statement: &str) -> Check {
    let label = format!("judge: {statement}");
    let judge = match &options.judge {
        Ok(judge) => judge,
        Err(why) => return Check::new(label, Some(why.clone())),
    };
    let transcript = transcript(turns);
    match judge.judge(&transcript, statement).await {
        Ok(verdict) if verdict.yes => Check::new(label, None),
        Ok(verdict) => Check::new(label, Some(format!("no: {}", verdict.reason))),
        Err(why) => Check::new(label, Some(why)),
    }
}

/// The conversation as heard: `Caller:` and `Agent:` lines, in order.
pub(super) fn transcript(turns: &[TurnResult]) -> String {
    let mut transcript = String::new();
    for turn in turns {
        if let Some(user) = &turn.user {
            transcript.push_str(&format!("Caller: {user}\n"));
        }
        if !turn.heard.is_empty() {
            transcript.push_str(&format!("Agent: {}\n", turn.heard.join(" ")));
        }
    }
    transcript
}

pub(super) fn said(wanted: &str, spoken: &str, what: &str) -> Check {
    Check::new(
        format!("{what} {wanted:?}"),
        (!contains(spoken, wanted)).then(|| format!("not in {spoken:?}")),
    )
}

fn contains(haystack: &str, needle: &str) -> bool {
    haystack.to_lowercase().contains(&needle.to_lowercase())
}

/// `file` (a name, or a path within the folder) is among the files the passages came from.
fn check_knowledge(file: &str, used: &[String]) -> Check {
    let found = used
        .iter()
        .any(|u| u == file || u.ends_with(&format!("/{file}")));
    let failure = (!found).then(|| match used {
        [] => "no knowledge was used".to_string(),
        _ => format!("used: {}", used.join(", ")),
    });
    Check::new(format!("knowledge {file:?}"), failure)
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

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
    fn knowledge_matches_a_file_by_name_or_path() {
        let used = ["faq/opening-hours.md".to_string(), "prices.md".to_string()];
        assert!(check_knowledge("opening-hours.md", &used).passed);
        assert!(check_knowledge("faq/opening-hours.md", &used).passed);
        assert!(check_knowledge("prices.md", &used).passed);
        let missing = check_knowledge("hours.md", &used);
        assert_eq!(
            missing.why.as_deref(),
            Some("used: faq/opening-hours.md, prices.md")
        );
        let none = check_knowledge("prices.md", &[]);
        assert_eq!(none.why.as_deref(), Some("no knowledge was used"));
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
}
