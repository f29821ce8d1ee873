//! `voicebridge test`, run as the real binary: scenarios played in-process or against a
//! server at `--url`, with the model faked.

use std::path::{Path, PathBuf};
use std::process::Output;

use crate::helpers::binary::{run, vars};
use crate::helpers::fake_upstream::{FakeUpstream, Reply};
use crate::helpers::*;

/// A folder with these scenario files (`name` → text).
fn scenario_dir(files: &[(&str, &str)]) -> PathBuf {
    let dir = temp_folder("scenarios");
    for (name, text) in files {
        std::fs::write(dir.join(format!("{name}.toml")), text).expect("scenario file");
    }
    dir
}

fn path(dir: &Path) -> String {
    dir.to_str().expect("utf-8").to_string()
}

/// Runs `voicebridge test` against `app` (`--url`), signed with the test secret.
async fn test_against(app: &TestApp, args: &[&str]) -> Output {
    let mut all = vec!["test", "--url", &app.address];
    all.extend_from_slice(args);
    run(&all, vars(&[("LAYERCODE_WEBHOOK_SECRET", SECRET)]), "").await
}

fn stdout(output: &Output) -> String {
    format!(
        "{}\n--- stderr:\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

const PASSING: &str = r#"
description = "The order question is answered"
session_start = true
expect_welcome = ["test agent"]
[[turn]]
user = "Where is my order?"
expect_said = ["TOMORROW"]
expect_not_said = ["sorry"]
max_first_audio_ms = 5000
"#;

const FAILING: &str = r#"
description = "Says a day it never says"
[[turn]]
user = "When?"
expect_said = ["monday"]
"#;

#[tokio::test]
async fn a_passing_scenario_in_process_exits_0() {
    let model = FakeUpstream::start().await;
    model.set_default(Reply::deltas(&["It ships tomorrow."]));
    let dir = scenario_dir(&[("order", PASSING)]);
    let env = vars(&[
        ("LLM_BASE_URL", &model.base_url),
        ("LLM_API_KEY", "sk-test"),
        ("LLM_MODEL", "test-model"),
        ("CALL_STORE_URL", "off"),
        ("LAYERCODE_WEBHOOK_SECRET", SECRET),
        ("WELCOME_MESSAGE", WELCOME),
    ]);
    let output = run(&["test", &path(&dir)], env, "").await;
    let out = stdout(&output);
    assert_eq!(output.status.code(), Some(0), "{out}");
    assert!(out.contains("✓ The order question is answered ("), "{out}");
    assert!(out.contains("  you> Where is my order?"), "{out}");
    assert!(out.contains("  agent> It ships tomorrow."), "{out}");
    assert!(out.contains("    ✓ welcome \"test agent\""), "{out}");
    assert!(out.contains("    ✓ said \"TOMORROW\""), "{out}");
    assert!(out.contains("    ✓ not said \"sorry\""), "{out}");
    assert!(out.contains("    ✓ first audio ≤ 5000 ms"), "{out}");
    assert!(out.contains("first audio "), "{out}");
    assert!(out.contains("1 passed, 0 failed"), "{out}");
    // The model heard the user's line in a conversation of its own.
    let requests = model.requests();
    assert_eq!(requests.len(), 1);
    assert!(requests[0]
        .messages()
        .contains(&("user".into(), "Where is my order?".into())));
}

#[tokio::test]
async fn a_failing_scenario_exits_1_and_says_why_in_text_junit_and_json() {
    let app = spawn_app().await;
    app.upstream
        .set_default(Reply::deltas(&["It ships tomorrow."]));
    let dir = scenario_dir(&[("a_pass", PASSING), ("b_fail", FAILING)]);
    let junit = dir.join("report.xml");
    let output = test_against(
        &app,
        &[&path(&dir), "--junit", junit.to_str().expect("utf-8")],
    )
    .await;
    let out = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{out}");
    assert!(out.contains("✗ Says a day it never says ("), "{out}");
    assert!(
        out.contains("    ✗ said \"monday\": not in \"It ships tomorrow.\""),
        "{out}"
    );
    assert!(out.contains("1 passed, 1 failed"), "{out}");

    let xml = std::fs::read_to_string(&junit).expect("junit written");
    assert!(xml.starts_with("<?xml version=\"1.0\""), "{xml}");
    assert!(
        xml.contains("<testsuite name=\"voicebridge scenarios\" tests=\"2\" failures=\"1\""),
        "{xml}"
    );
    assert_eq!(xml.matches("<testcase ").count(), 2, "{xml}");
    assert_eq!(xml.matches("<failure ").count(), 1, "{xml}");
    assert!(
        xml.contains("message=\"said &quot;monday&quot;: not in &quot;It ships tomorrow.&quot;\""),
        "{xml}"
    );
    assert!(xml.trim_end().ends_with("</testsuite>"), "{xml}");
    // A real XML parser reads it as CI systems do (Python's, as scripts/test has Python).
    let parsed = std::process::Command::new("python3")
        .args([
            "-c",
            "import sys, xml.etree.ElementTree as E\n\
             r = E.parse(sys.argv[1]).getroot()\n\
             print(r.tag, r.get('tests'), r.get('failures'), len(r.findall('testcase')), \
             len(r.findall('testcase/failure')))",
            junit.to_str().expect("utf-8"),
        ])
        .output()
        .expect("python3 runs");
    assert_eq!(
        String::from_utf8_lossy(&parsed.stdout).trim(),
        "testsuite 2 1 2 1",
        "{}",
        String::from_utf8_lossy(&parsed.stderr)
    );

    let output = test_against(&app, &[&path(&dir), "--json"]).await;
    assert_eq!(output.status.code(), Some(1));
    let results: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("stdout is JSON");
    let results = results.as_array().expect("array");
    assert_eq!(results.len(), 2);
    assert_eq!(results[0]["passed"], true);
    assert_eq!(results[1]["passed"], false);
    assert_eq!(results[1]["turns"][0]["heard"][0], "It ships tomorrow.");
    assert_eq!(results[1]["turns"][0]["checks"][0]["passed"], false);
}

#[tokio::test]
async fn a_broken_file_exits_2_naming_the_file_and_line() {
    let dir = scenario_dir(&[(
        "broken",
        "description = \"x\"\n[[turn]]\nuser = \"hi\"\nexpect_sad = [\"x\"]\n",
    )]);
    let output = run(&["test", &path(&dir)], vars(&[]), "").await;
    let err = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{err}");
    assert!(err.contains("broken.toml: line 4: "), "{err}");
    assert!(err.contains("expect_sad"), "{err}");

    let empty = scenario_dir(&[]);
    let output = run(&["test", &path(&empty)], vars(&[]), "").await;
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("no scenario"));

    // No argument where there is no scenarios/ folder: what to do.
    let output = run(&["test"], vars(&[]), "").await;
    let err = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{err}");
    assert!(err.contains("cp -r examples/scenarios scenarios"), "{err}");
}

#[tokio::test]
async fn expect_tool_checks_the_name_and_arguments_of_a_call() {
    let tool_server = FakeUpstream::start().await;
    tool_server.set_default(Reply::plain(
        200,
        crate::helpers::tools::ORDER_BODY,
        std::time::Duration::ZERO,
    ));
    let tools =
        crate::helpers::tools::tool_dir(&crate::helpers::tools::order_tools(&tool_server, 3000));
    let app = spawn_app_with(&[
        ("TOOLS_DIR", tools.to_str().expect("utf-8")),
        ("ORDERS_API_KEY", "k"),
    ])
    .await;
    app.upstream.enqueue(Reply::tool_calls(
        &[],
        &[("c1", "get_order", r#"{"order_id":"A17"}"#)],
    ));
    app.upstream.enqueue(Reply::deltas(&["It ships tomorrow."]));
    let dir = scenario_dir(&[(
        "tool",
        r#"
description = "The order is looked up"
[[turn]]
user = "Where is my order A17?"
expect_tool = { name = "get_order", arguments = { order_id = "A17" } }
expect_said = ["tomorrow"]
"#,
    )]);
    let output = test_against(&app, &[&path(&dir)]).await;
    let out = stdout(&output);
    assert_eq!(output.status.code(), Some(0), "{out}");
    assert!(
        out.contains("    ✓ tool get_order {\"order_id\":\"A17\"}"),
        "{out}"
    );
    assert_eq!(tool_server.requests()[0].path, "/orders/A17");
}

#[tokio::test]
async fn a_barge_in_sends_what_was_heard_with_the_next_turn() {
    let app = spawn_app().await;
    app.upstream.enqueue(Reply::deltas(&[
        "We have soup today. ",
        "And a lovely cake. ",
        "Also tea.",
    ]));
    app.upstream.enqueue(Reply::deltas(&["Soup it is."]));
    let dir = scenario_dir(&[(
        "barge",
        r#"
description = "The caller cuts in"
[[turn]]
user = "What's on the menu?"
interrupt_after_sentences = 1
[[turn]]
user = "Soup please"
expect_said = ["soup it is"]
"#,
    )]);
    let output = test_against(&app, &[&path(&dir)]).await;
    let out = stdout(&output);
    assert_eq!(output.status.code(), Some(0), "{out}");
    assert!(out.contains("  agent> We have soup today.\n"), "{out}");
    let requests = app.upstream.requests();
    assert_eq!(requests.len(), 2, "{out}");
    let sent = requests[1].messages();
    assert_eq!(sent[2], ("assistant".into(), "We have soup today.".into()));
    assert_eq!(sent[3], ("user".into(), "Soup please".into()));
}

#[tokio::test]
async fn expect_end_call_sees_the_hang_up() {
    let app = spawn_app_with(&[("END_CALL_TOOL", "true")]).await;
    app.upstream.enqueue(Reply::tool_calls(
        &["Goodbye!"],
        &[("e1", "end_call", "{}")],
    ));
    app.upstream.enqueue(Reply::deltas(&["Still here."]));
    let dir = scenario_dir(&[
        (
            "a_bye",
            "description = \"Hangs up\"\n[[turn]]\nuser = \"Bye\"\nexpect_end_call = true\n",
        ),
        (
            "b_stay",
            "description = \"Never hangs up\"\n[[turn]]\nuser = \"Hm\"\nexpect_end_call = true\n",
        ),
    ]);
    let output = test_against(&app, &["--jobs", "1", &path(&dir)]).await;
    let out = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{out}");
    assert!(out.contains("✓ Hangs up ("), "{out}");
    assert!(
        out.contains("    ✗ end call: the agent did not end the call"),
        "{out}"
    );
}

#[tokio::test]
async fn the_judge_says_yes_or_no_and_an_unreachable_judge_fails() {
    let app = spawn_app().await;
    // The agent and the judge share the fake model here: replies first, then verdicts.
    app.upstream
        .enqueue(Reply::deltas(&["Goodbye, have a nice day!"]));
    let judge = FakeUpstream::start().await;
    judge.enqueue(Reply::deltas(&[
        "YES\n",
        "The agent said goodbye politely.",
    ]));
    let dir = scenario_dir(&[(
        "judged",
        "description = \"Judged\"\n[[turn]]\nuser = \"Bye\"\nexpect_judge = \"The agent says goodbye politely.\"\n",
    )]);
    let folder = path(&dir);
    let all = ["test", "--url", &app.address, &folder];
    let env = |judge_url: &str| {
        vars(&[
            ("LAYERCODE_WEBHOOK_SECRET", SECRET),
            ("LLM_BASE_URL", judge_url),
            ("JUDGE_MODEL", "judge-model"),
        ])
    };
    let output = run(&all, env(&judge.base_url), "").await;
    let out = stdout(&output);
    assert_eq!(output.status.code(), Some(0), "{out}");
    assert!(
        out.contains("✓ judge: The agent says goodbye politely."),
        "{out}"
    );
    let asked = judge.requests().pop().expect("the judge was asked");
    assert_eq!(asked.body["model"], "judge-model");
    assert!(asked.messages()[1]
        .1
        .contains("Agent: Goodbye, have a nice day!"));

    // A "no" fails with the judge's reason.
    app.upstream.enqueue(Reply::deltas(&["Whatever."]));
    judge.enqueue(Reply::deltas(&["NO\nThe agent was curt."]));
    let output = run(&all, env(&judge.base_url), "").await;
    let out = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{out}");
    assert!(out.contains("no: The agent was curt."), "{out}");

    // No reachable judge: failed, never passed.
    app.upstream.enqueue(Reply::deltas(&["Bye."]));
    let dead = format!("http://127.0.0.1:{}/v1", free_port());
    let output = run(&all, env(&dead), "").await;
    let out = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{out}");
    assert!(out.contains("the judge could not be asked"), "{out}");
}

#[tokio::test]
async fn mocked_tools_are_answered_from_the_scenario_in_process_only() {
    let model = FakeUpstream::start().await;
    model.enqueue(Reply::tool_calls(
        &[],
        &[("m1", "get_order", r#"{"order_id":"A17"}"#)],
    ));
    model.enqueue(Reply::deltas(&["It arrives tomorrow."]));
    let tool_server = FakeUpstream::start().await;
    let tools =
        crate::helpers::tools::tool_dir(&crate::helpers::tools::order_tools(&tool_server, 3000));
    let dir = scenario_dir(&[(
        "mocked",
        "description = \"Mocked order\"\n[[turn]]\nuser = \"Where is A17?\"\n\
         expect_tool = { name = \"get_order\", arguments = { order_id = \"A17\" } }\n\
         expect_said = [\"tomorrow\"]\n\
         [tools.get_order]\nresponse = { status = \"shipped\", eta = \"tomorrow\" }\n",
    )]);
    let env = vars(&[
        ("ALLOW_UNSIGNED_WEBHOOKS", "true"),
        ("LLM_BASE_URL", &model.base_url),
        ("CALL_STORE_URL", "off"),
        ("TOOLS_DIR", tools.to_str().expect("utf-8")),
        ("ORDERS_API_KEY", "k"),
    ]);
    let output = run(&["test", &path(&dir)], env, "").await;
    let out = stdout(&output);
    assert_eq!(output.status.code(), Some(0), "{out}");
    assert!(
        tool_server.requests().is_empty(),
        "the real tool was not called"
    );
    let follow_up = model.requests().pop().expect("second request");
    let result = follow_up.body["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .find(|m| m["role"] == "tool")
        .cloned()
        .expect("the tool result");
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(result["content"].as_str().expect("text"))
            .expect("json"),
        serde_json::json!({"status": "shipped", "eta": "tomorrow"})
    );

    // Against a running server they cannot be answered: failed, with why.
    let app = spawn_app().await;
    let output = test_against(&app, &[&path(&dir)]).await;
    let out = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{out}");
    assert!(
        out.contains("✗ mocked tools: [tools.<name>] answers need the server"),
        "{out}"
    );
}

#[tokio::test]
async fn expect_knowledge_checks_the_files_the_passages_came_from() {
    let model = FakeUpstream::start().await;
    model.set_default(Reply::deltas(&["On Sundays we open at 11 am."]));
    let example = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/knowledge");
    let wrong = scenario_dir(&[(
        "returns",
        "description = \"Wrong file\"\n[[turn]]\nuser = \"Are you open on Sunday?\"\n\
         expect_knowledge = [\"returns.md\"]\n",
    )]);
    let knowledge = format!("{example}/knowledge");
    let env = || {
        vars(&[
            ("LLM_BASE_URL", &model.base_url),
            ("LLM_API_KEY", "sk-test"),
            ("CALL_STORE_URL", "off"),
            ("LAYERCODE_WEBHOOK_SECRET", SECRET),
            ("KNOWLEDGE_DIR", &knowledge),
        ])
    };
    let scenarios = format!("{example}/scenarios");
    let output = run(&["test", &scenarios], env(), "").await;
    let out = stdout(&output);
    assert_eq!(output.status.code(), Some(0), "{out}");
    assert!(out.contains("    ✓ knowledge \"faq.md\""), "{out}");
    assert!(out.contains("    ✓ said \"11\""), "{out}");

    let output = run(&["test", &path(&wrong)], env(), "").await;
    let out = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{out}");
    assert!(out.contains("✗ knowledge \"returns.md\""), "{out}");
    assert!(out.contains("used: faq.md"), "{out}");
}

#[tokio::test]
async fn expect_analysis_checks_the_calls_analysis() {
    let model = FakeUpstream::start().await;
    // Turns get words; the analysis (asked with response_format) gets its JSON.
    model.set_responder(std::sync::Arc::new(|request| {
        if request.body.get("response_format").is_some() {
            Reply::deltas(&[r#"{"data": {"reason": "order"}, "success": true, "success_reason": "Told the day."}"#])
        } else {
            Reply::deltas(&["It arrives on Friday."])
        }
    }));
    let agents = temp_folder("scenario-analysis");
    std::fs::write(
        agents.join("support.toml"),
        "[analysis]\nschema = { type = \"object\", properties = { reason = { type = \"string\" } }, required = [\"reason\"] }\n\
         success = \"The caller learned when the order arrives.\"\n",
    )
    .expect("agent file");
    let dir = scenario_dir(&[
        (
            "met",
            "description = \"Told when\"\nexpect_analysis = { success = true, data = { reason = \"order\" } }\n\
             [[turn]]\nuser = \"When does my order arrive?\"\n",
        ),
        (
            "missed",
            "description = \"Expects a failure\"\nexpect_analysis = { success = false }\n\
             [[turn]]\nuser = \"When does my order arrive?\"\n",
        ),
    ]);
    let env = vars(&[
        ("LLM_BASE_URL", &model.base_url),
        ("LLM_API_KEY", "sk-test"),
        ("CALL_STORE_URL", "off"),
        ("LAYERCODE_WEBHOOK_SECRET", SECRET),
        ("AGENTS_DIR", agents.to_str().expect("utf-8")),
    ]);
    let output = run(&["test", &path(&dir)], env, "").await;
    let out = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{out}");
    assert!(
        out.contains("    ✓ analysis {\"data\":{\"reason\":\"order\"},\"success\":true}"),
        "{out}"
    );
    assert!(
        out.contains("✗ analysis {\"success\":false}: the analysis was "),
        "{out}"
    );
    assert!(out.contains("1 passed, 1 failed"), "{out}");
}
