//! The OpenAI door end to end, with the official `openai` Python SDK (installed by
//! `scripts/test` into .venv) as the client, as Vapi, ElevenLabs and OpenAI clients call
//! it: streaming and whole replies, usage, a platform tool handed back, one of our tools
//! run inside the reply, keys, and a platform hanging up. Every streamed answer also
//! passes the stream oracle (`helpers::completion_stream`).

use std::time::Duration;

use futures_util::StreamExt;
use serde_json::{json, Value};

use crate::helpers::completion_stream::check_completion_stream;
use crate::helpers::db::sqlite_url;
use crate::helpers::doors::{call_with_turns, model_requests_cancelled};
use crate::helpers::fake_upstream::{content_chunk, role_chunk, FakeUpstream, Reply, Step};
use crate::helpers::tools::{order_tools, tool_dir};
use crate::helpers::*;

const KEY: &str = "door-key-for-tests-0123456789";

async fn door(extra: &[(&str, &str)]) -> TestApp {
    let mut vars = vec![("OPENAI_DOOR_KEYS", KEY)];
    vars.extend_from_slice(extra);
    spawn_app_with(&vars).await
}

/// A door whose agent has the order tools (with `timeout_ms`), served by the returned
/// fake tool server.
async fn door_with_order_tools(timeout_ms: u64, extra: &[(&str, &str)]) -> (TestApp, FakeUpstream) {
    let server = FakeUpstream::start().await;
    let dir = tool_dir(&order_tools(&server, timeout_ms));
    let dir = dir.to_str().expect("utf-8").to_string();
    let mut vars = vec![
        ("TOOLS_DIR", dir.as_str()),
        ("ORDERS_API_KEY", "orders-secret-123"),
    ];
    vars.extend_from_slice(extra);
    (door(&vars).await, server)
}

/// Runs the SDK client (`tests/openai/client.py`) against `path` with `spec`.
async fn sdk(app: &TestApp, path: &str, key: &str, spec: Value) -> Value {
    let python = concat!(env!("CARGO_MANIFEST_DIR"), "/.venv/bin/python");
    assert!(
        std::path::Path::new(python).exists(),
        ".venv/bin/python is missing: run scripts/test, which installs the openai SDK"
    );
    let base = format!("{}{path}", app.address);
    let key = key.to_string();
    let output = tokio::task::spawn_blocking(move || {
        std::process::Command::new(python)
            .arg(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/tests/openai/client.py"
            ))
            .arg(base)
            .arg(key)
            .arg(spec.to_string())
            .output()
            .expect("the SDK client runs")
    })
    .await
    .expect("joined");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "the SDK client failed: {stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_str(stdout.trim()).unwrap_or_else(|e| panic!("{stdout}: {e}"))
}

fn user(text: &str) -> Value {
    json!([{"role": "system", "content": "You are the platform's assistant."}, {"role": "user", "content": text}])
}

/// The raw bytes of a streamed answer, for the oracle.
async fn raw(app: &TestApp, body: Value) -> Vec<u8> {
    let response = app
        .http
        .post(format!("{}/openai/v1/chat/completions", app.address))
        .bearer_auth(KEY)
        .json(&body)
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "text/event-stream",
        "a stream"
    );
    response.bytes().await.expect("body").to_vec()
}

#[tokio::test]
async fn the_sdk_reads_streamed_and_whole_replies_with_usage() {
    let app = door(&[]).await;
    app.upstream
        .enqueue(Reply::deltas(&["Hello **there**, ", "we open at 9."]));
    let streamed = sdk(
        &app,
        "/openai/v1",
        KEY,
        json!({"messages": user("When do you open?"), "include_usage": true}),
    )
    .await;
    assert_eq!(
        streamed["text"], "Hello there, we open at 9.",
        "cleaned, as written"
    );
    assert_eq!(streamed["finish_reasons"], json!(["stop"]));
    assert_eq!(streamed["tool_calls"], json!([]));
    assert_eq!(
        streamed["usage"],
        json!({"prompt_tokens": 12, "completion_tokens": 9, "total_tokens": 21,
               "completion_tokens_details": null, "prompt_tokens_details": null})
    );
    // The model saw the agent's prompt, then the platform's, then the conversation.
    let request = &app.upstream.requests()[0];
    let system = request.body["messages"][0]["content"]
        .as_str()
        .expect("system");
    assert!(
        system.ends_with("\n\nYou are the platform's assistant."),
        "{system}"
    );
    assert_eq!(request.body["messages"][1]["content"], "When do you open?");

    app.upstream.enqueue(Reply::deltas(&["Whole ", "reply."]));
    let whole = sdk(
        &app,
        "/openai/default/v1",
        KEY,
        json!({"messages": user("Hi"), "stream": false}),
    )
    .await;
    assert_eq!(whole["object"], "chat.completion");
    assert_eq!(whole["text"], "Whole reply.");
    assert_eq!(whole["finish_reasons"], json!(["stop"]));
    assert_eq!(whole["usage"]["total_tokens"], 21);
}

#[tokio::test]
async fn a_platform_tool_is_handed_back_and_assembled_by_the_sdk() {
    let app = door(&[]).await;
    app.upstream.enqueue(Reply::tool_calls(
        &["Transferring you now. "],
        &[("call_t1", "transferCall", r#"{"destination":"+15550123"}"#)],
    ));
    let tools = json!([{"type": "function", "function": {"name": "transferCall",
        "parameters": {"type": "object", "properties": {"destination": {"type": "string"}}}}}]);
    let got = sdk(
        &app,
        "/openai/v1",
        KEY,
        json!({"messages": user("Sales please"), "tools": tools}),
    )
    .await;
    assert_eq!(got["text"], "Transferring you now. ");
    assert_eq!(got["finish_reasons"], json!(["tool_calls"]));
    assert_eq!(
        got["tool_calls"],
        json!([{"id": "call_t1", "name": "transferCall", "arguments": r#"{"destination":"+15550123"}"#}])
    );
    let offered = app.upstream.requests()[0].body["tools"].to_string();
    assert!(offered.contains("transferCall"), "{offered}");
    assert_eq!(
        app.upstream.requests().len(),
        1,
        "the platform runs it, not us"
    );

    // The platform sends its tool's result with the next request: the model reads it.
    app.upstream.enqueue(Reply::deltas(&["You are through."]));
    let next = json!([
        {"role": "user", "content": "Sales please"},
        {"role": "assistant", "content": "Transferring you now.", "tool_calls": [{"id": "call_t1",
            "type": "function", "function": {"name": "transferCall", "arguments": "{}"}}]},
        {"role": "tool", "tool_call_id": "call_t1", "content": "transfer started"}
    ]);
    let got = sdk(
        &app,
        "/openai/v1",
        KEY,
        json!({"messages": next, "tools": tools}),
    )
    .await;
    assert_eq!(got["text"], "You are through.");
    let sent = app.upstream.requests()[1].body["messages"].to_string();
    assert!(sent.contains("transfer started"), "{sent}");
}

#[tokio::test]
async fn our_tool_runs_inside_the_reply_and_the_stream_passes_the_oracle() {
    let (app, server) = door_with_order_tools(3000, &[]).await;
    server.enqueue(Reply::plain(200, r#"{"status":"shipped"}"#, Duration::ZERO));
    // The model's first round ends without a space: the next round's text is set apart.
    app.upstream.enqueue(Reply::tool_calls(
        &["Let me look."],
        &[("c1", "get_order", r#"{"order_id":"A17"}"#)],
    ));
    app.upstream
        .enqueue(Reply::deltas(&["It has **shipped**."]));
    let bytes = raw(
        &app,
        json!({"messages": user("Where is A17?"), "stream": true,
               "stream_options": {"include_usage": true}}),
    )
    .await;
    let chunks = check_completion_stream(&bytes);
    let text: String = chunks
        .iter()
        .filter_map(|c| c["choices"][0]["delta"]["content"].as_str())
        .collect();
    assert_eq!(text, "Let me look. It has shipped.");
    assert_eq!(server.requests().len(), 1, "our tool was called");
    assert!(
        !String::from_utf8_lossy(&bytes).contains("tool_calls\":["),
        "our tool call is not handed to the platform"
    );
    let finish: Vec<&Value> = chunks
        .iter()
        .filter(|c| !c["choices"][0]["finish_reason"].is_null() && c["choices"][0].is_object())
        .collect();
    assert_eq!(finish[0]["choices"][0]["finish_reason"], "stop");
    assert_eq!(chunks.last().expect("chunks")["usage"]["prompt_tokens"], 12);

    // A model that fails before any text: the apology, still a whole stream.
    app.upstream.set_default(Reply::status(500, "{}"));
    let bytes = raw(&app, json!({"messages": user("Hi"), "stream": true})).await;
    let chunks = check_completion_stream(&bytes);
    let text: String = chunks
        .iter()
        .filter_map(|c| c["choices"][0]["delta"]["content"].as_str())
        .collect();
    assert_eq!(text, APOLOGY);
}

#[tokio::test]
async fn keys_open_the_door_and_refusals_are_openai_shaped() {
    let app = door(&[]).await;
    let wrong = sdk(
        &app,
        "/openai/v1",
        "wrong-key",
        json!({"messages": user("Hi")}),
    )
    .await;
    assert_eq!(wrong["status"], 401);
    assert_eq!(wrong["error"], "AuthenticationError");
    assert_eq!(wrong["body"]["code"], "invalid_api_key");
    assert!(!wrong.to_string().contains(KEY));

    let closed = spawn_app().await;
    let response = closed
        .http
        .post(format!("{}/openai/v1/chat/completions", closed.address))
        .bearer_auth(KEY)
        .json(&json!({"messages": user("Hi")}))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 404);
    let body: Value = response.json().await.expect("json");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("OPENAI_DOOR_KEYS")),
        "{body}"
    );

    let bad = app
        .http
        .post(format!("{}/openai/v1/chat/completions", app.address))
        .bearer_auth(KEY)
        .body("not json")
        .send()
        .await
        .expect("sent");
    assert_eq!(bad.status(), 400);
    let body: Value = bad.json().await.expect("json");
    assert_eq!(body["error"]["type"], "invalid_request_error");
    let elsewhere = app
        .http
        .get(format!("{}/openai/v1/models", app.address))
        .send()
        .await
        .expect("sent");
    assert_eq!(elsewhere.status(), 404);
    assert!(elsewhere.json::<Value>().await.expect("json")["error"].is_object());
    assert!(
        app.upstream.requests().is_empty(),
        "no refused request reached the model"
    );
}

#[tokio::test]
async fn a_platform_hanging_up_cancels_the_model_request() {
    let store = sqlite_url("door-hang-up");
    let app = door(&[("CALL_STORE_URL", store.as_str()), ("ADMIN_TOKEN", ADMIN)]).await;
    let hold = std::sync::Arc::new(tokio::sync::Notify::new());
    app.upstream.enqueue(Reply::Stream {
        steps: vec![
            Step::Send(role_chunk()),
            Step::Send(content_chunk("We have soup. ")),
            Step::Wait(hold.clone()),
            Step::Send(content_chunk("And pie.")),
        ],
        abort: false,
    });
    let got = sdk(
        &app,
        "/openai/v1",
        KEY,
        json!({"messages": user("Food?"), "close_after": 1,
               "extra_body": {"call": {"id": "vapi-hang-up"}}}),
    )
    .await;
    assert_eq!(got, json!({"text": "We have soup. ", "closed": true}));
    assert_eq!(
        model_requests_cancelled(&app).await,
        1,
        "the model request was cancelled"
    );
    // On record: interrupted, with what the platform was sent.
    let turn = call_with_turns(&app, "vapi-hang-up", 1).await["turns"][0].clone();
    assert_eq!(turn["outcome"], "interrupted", "{turn}");
    assert_eq!(turn["interrupted"], true);
    assert_eq!(turn["agent_text"], "We have soup. ");
}

#[tokio::test]
async fn vapi_and_elevenlabs_requests_reach_the_prompt_and_the_calls_on_record() {
    let prompt = temp_folder("door-prompt").join("prompt.md");
    std::fs::write(
        &prompt,
        "On {{ platform }}. Caller {{ customer.number | default('unknown') }}, plan \
         {{ metadata.plan | default('none') }}, call {{ call.id | default('none') }}, \
         user {{ user_id | default('none') }}.",
    )
    .expect("prompt");
    let store = sqlite_url("door");
    let app = door(&[
        ("SYSTEM_PROMPT_FILE", prompt.to_str().expect("utf-8")),
        ("CALL_STORE_URL", store.as_str()),
        ("ADMIN_TOKEN", ADMIN),
    ])
    .await;
    // As Vapi sends it (default metadata mode), with its own actions in `tools`.
    let vapi = json!({
        "call": {"id": "vapi-call-42", "type": "inboundPhoneCall"},
        "metadata": {"plan": "gold"},
        "phoneNumber": {"number": "+15550199"},
        "customer": {"number": "+15550100"},
    });
    let end_call = json!([{"type": "function", "function": {"name": "endCall", "parameters": {}}}]);
    for (turn, text) in [(0, "Hi"), (1, "Bye")] {
        app.upstream.enqueue(Reply::deltas(&["Hello."]));
        let got = sdk(
            &app,
            "/openai/default/v1",
            KEY,
            json!({"messages": user(text), "extra_body": vapi, "tools": end_call,
                   "model": "gpt-4o", "temperature": 0.3}),
        )
        .await;
        assert_eq!(got["text"], "Hello.", "turn {turn}");
    }
    let system = app.upstream.requests()[0].body["messages"][0]["content"]
        .as_str()
        .expect("system")
        .to_string();
    assert!(
        system.starts_with("On vapi. Caller +15550100, plan gold, call vapi-call-42, user none."),
        "{system}"
    );
    // As ElevenLabs sends it, with the conversation id its client put in the extra body.
    app.upstream.enqueue(Reply::deltas(&["Hi."]));
    let elevenlabs = json!({"user_id": "u-7", "elevenlabs_extra_body": {"conversation_id": "el-conv-9", "plan": "silver"}});
    sdk(
        &app,
        "/openai/v1",
        KEY,
        json!({"messages": user("Hi"), "extra_body": elevenlabs}),
    )
    .await;
    let system = app.upstream.requests()[2].body["messages"][0]["content"]
        .as_str()
        .expect("system")
        .to_string();
    assert!(
        system.starts_with("On elevenlabs. Caller unknown, plan silver, call none, user u-7."),
        "{system}"
    );

    // Both turns of the Vapi call are one call on record, under the platform's id.
    let call = call_with_turns(&app, "vapi-call-42", 2).await;
    assert_eq!(call["door"], "openai", "{call}");
    assert_eq!(call["from_phone_number"], "+15550100");
    assert_eq!(call["metadata"]["plan"], "gold");
    let said: Vec<&str> = call["turns"]
        .as_array()
        .expect("turns")
        .iter()
        .map(|t| t["user_text"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(said, ["Hi", "Bye"]);
    assert_eq!(call["turns"][0]["agent_text"], "Hello.");
}

#[tokio::test]
async fn the_example_door_agent_loads_and_renders_a_vapi_caller() {
    let root = env!("CARGO_MANIFEST_DIR");
    let agents = format!("{root}/examples/openai-door/agents");
    let prompt = format!("{root}/prompts/system.md");
    let vars = [
        ("AGENTS_DIR", agents.as_str()),
        ("PHONE_OPENAI_KEY", KEY),
        ("ALLOW_UNSIGNED_WEBHOOKS", "true"),
        ("LLM_API_KEY", "k"),
        ("SYSTEM_PROMPT_FILE", prompt.as_str()),
    ];
    let settings = settings_from(&vars).expect("the example configuration is valid");
    let files = voicebridge::startup::load_files(&settings).expect("the example files load");
    let mut agent = files.agents.agents[0].clone();
    assert_eq!(agent.name, "phone");
    assert_eq!(agent.door.keys.len(), 1);
    assert_eq!(agent.door.keys[0].expose(), KEY);
    agent.prompt_file = std::path::Path::new(root).join(&agent.prompt_file);
    let compiled = voicebridge::startup::agent_settings(&settings, &agent).expect("compiles");
    let mut caller = voicebridge::template::CallContext::sample("phone");
    caller.platform.insert("platform".into(), json!("vapi"));
    caller
        .platform
        .insert("customer".into(), json!({"number": "+15550100"}));
    let prompt = compiled.system_prompt.render(&caller, &compiled.now);
    assert!(prompt.contains("through vapi."), "{prompt}");
    assert!(
        prompt.contains("The caller's number is +15550100."),
        "{prompt}"
    );
}

#[tokio::test]
async fn in_spoken_form_the_door_sends_whole_sentences_in_words() {
    let app = door(&[("OPENAI_SPOKEN_FORM", "true")]).await;
    app.upstream.enqueue(Reply::deltas(&[
        "Your plan is $49.95 a month. ",
        "It renews soon.",
    ]));
    let bytes = raw(&app, json!({"messages": user("Plan?"), "stream": true})).await;
    let pieces: Vec<String> = check_completion_stream(&bytes)
        .iter()
        .filter_map(|c| {
            c["choices"][0]["delta"]["content"]
                .as_str()
                .map(str::to_string)
        })
        .filter(|text| !text.is_empty())
        .collect();
    assert_eq!(
        pieces,
        [
            "Your plan is 49 dollars and 95 cents a month.",
            " It renews soon."
        ],
        "sentences, set apart, in words"
    );
}

#[tokio::test]
async fn our_slow_tool_says_its_filler_as_text_while_it_runs() {
    let (app, server) = door_with_order_tools(3000, &[("TOOL_FILLER_AFTER_MS", "100")]).await;
    server.enqueue(Reply::plain(
        200,
        r#"{"status":"shipped"}"#,
        Duration::from_millis(600),
    ));
    app.upstream.enqueue(Reply::tool_calls(
        &[],
        &[("c1", "get_order", r#"{"order_id":"A17"}"#)],
    ));
    app.upstream.enqueue(Reply::deltas(&["It has shipped."]));
    let got = sdk(
        &app,
        "/openai/v1",
        KEY,
        json!({"messages": user("Where is A17?")}),
    )
    .await;
    let filler = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/tools/get_order.toml"
    ))
    .expect("fixture");
    let said = filler
        .lines()
        .find_map(|l| l.strip_prefix("say_while_waiting = "))
        .expect("the fixture has a filler")
        .trim_matches('"')
        .to_string();
    assert_eq!(got["text"], format!("{said} It has shipped."));
    assert_eq!(got["finish_reasons"], json!(["stop"]));
}

#[tokio::test]
async fn a_quiet_door_call_is_handed_to_the_post_call_webhook() {
    let receiver = FakeUpstream::start().await;
    receiver.set_default(Reply::plain(200, "{}", Duration::ZERO));
    let hook = format!("{}/hook", receiver.base_url.trim_end_matches("/v1"));
    let store = sqlite_url("door-post-call");
    let app = door(&[
        ("CALL_STORE_URL", store.as_str()),
        ("POST_CALL_WEBHOOK_URL", hook.as_str()),
        ("POST_CALL_WEBHOOK_SECRET", "hook-secret-xyz"),
        ("SESSION_IDLE_TTL_SECS", "1"),
    ])
    .await;
    app.upstream.enqueue(Reply::deltas(&["Hello."]));
    sdk(
        &app,
        "/openai/v1",
        KEY,
        json!({"messages": user("Hi"), "extra_body": {"call": {"id": "vapi-quiet-1"}}}),
    )
    .await;
    let mut delivered = Vec::new();
    for _ in 0..400 {
        delivered = receiver.requests();
        if !delivered.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert_eq!(delivered.len(), 1, "delivered once the call went quiet");
    let call = &delivered[0].body["call"];
    assert_eq!(call["conversation_id"], "vapi-quiet-1");
    assert_eq!(call["door"], "openai");
    assert_eq!(call["turns"][0]["agent_text"], "Hello.");
}

#[tokio::test]
async fn our_earlier_tool_calls_are_put_back_into_the_platforms_history() {
    let (app, server) = door_with_order_tools(3000, &[]).await;
    server.enqueue(Reply::plain(
        200,
        r#"{"status":"shipped","eta":"Friday"}"#,
        Duration::ZERO,
    ));
    app.upstream.enqueue(Reply::tool_calls(
        &[],
        &[("c1", "get_order", r#"{"order_id":"A17"}"#)],
    ));
    app.upstream.enqueue(Reply::deltas(&[
        "Order A17 has shipped and arrives Friday.",
    ]));
    let call = json!({"call": {"id": "vapi-call-tools"}});
    let first = sdk(
        &app,
        "/openai/v1",
        KEY,
        json!({"messages": user("Where is A17?"), "extra_body": call}),
    )
    .await;
    let said = first["text"].as_str().expect("text").to_string();
    assert_eq!(said, "Order A17 has shipped and arrives Friday.");

    // The platform's history of the call has our words, not our tool call.
    app.upstream.enqueue(Reply::deltas(&["It comes by post."]));
    let history = json!([
        {"role": "system", "content": "Vapi's prompt."},
        {"role": "user", "content": "Where is A17?"},
        {"role": "assistant", "content": said},
        {"role": "user", "content": "How does it come?"}
    ]);
    sdk(
        &app,
        "/openai/v1",
        KEY,
        json!({"messages": history, "extra_body": call}),
    )
    .await;
    let sent = &app.upstream.requests()[2].body["messages"];
    let calls: Vec<&Value> = sent
        .as_array()
        .expect("messages")
        .iter()
        .filter(|m| m["tool_calls"].is_array())
        .collect();
    assert_eq!(calls.len(), 1, "{sent}");
    assert_eq!(calls[0]["tool_calls"][0]["function"]["name"], "get_order");
    let text = sent.to_string();
    assert!(
        text.contains("arrives Friday") && text.contains(r#"\"eta\":\"Friday\""#),
        "{text}"
    );

    // Another call of the platform's does not get them.
    app.upstream.enqueue(Reply::deltas(&["Hello."]));
    let other = json!({"call": {"id": "vapi-call-other"}});
    sdk(
        &app,
        "/openai/v1",
        KEY,
        json!({"messages": history, "extra_body": other}),
    )
    .await;
    let sent = app.upstream.requests()[3].body["messages"].to_string();
    assert!(!sent.contains("get_order"), "{sent}");

    // Nor does a request naming that call in ElevenLabs' extra body: the end user's client
    // writes it, and could name someone else's call.
    app.upstream.enqueue(Reply::deltas(&["Hello."]));
    let forged = json!({"elevenlabs_extra_body": {"conversation_id": "vapi-call-tools"}});
    sdk(
        &app,
        "/openai/v1",
        KEY,
        json!({"messages": history, "extra_body": forged}),
    )
    .await;
    let sent = app.upstream.requests()[4].body["messages"].to_string();
    assert!(!sent.contains("get_order"), "{sent}");
}

#[tokio::test]
async fn chat_openai_talks_to_the_door_as_a_platform_and_answers_its_tool() {
    let app = door(&[]).await;
    app.upstream
        .enqueue(Reply::deltas(&["Hi there, ", "how can I help?"]));
    app.upstream.enqueue(Reply::tool_calls(
        &["Goodbye! "],
        &[("call_end", "endCall", "{}")],
    ));
    let env = crate::helpers::binary::vars(&[("OPENAI_DOOR_KEYS", KEY)]);
    let output = crate::helpers::binary::run(
        &["chat", "--openai", &app.address],
        env,
        "Hello\nThat's all\n",
    )
    .await;
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout.contains("/openai/v1/chat/completions as a platform would"),
        "{stdout}"
    );
    assert!(
        stdout.contains("agent> Hi there, how can I help?\n"),
        "{stdout}"
    );
    assert!(
        stdout.contains("[the platform's tool endCall {}: not available in the terminal]"),
        "{stdout}"
    );
    assert!(stdout.contains("finish tool_calls"), "{stdout}");
    assert!(stdout.trim_end().ends_with("Chat ended."), "{stdout}");
    // The second request carried the conversation so far, and a call id for both.
    let second = &app.upstream.requests()[1].body["messages"];
    let said: Vec<&str> = second
        .as_array()
        .expect("messages")
        .iter()
        .filter_map(|m| m["content"].as_str())
        .collect();
    assert!(
        said.ends_with(&["Hello", "Hi there, how can I help?", "That's all"]),
        "{second}"
    );
}

#[tokio::test]
async fn a_tool_file_named_like_a_platform_tool_stops_start_up_when_the_door_is_open() {
    let order = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/tools/get_weather.toml"
    ))
    .expect("example");
    let dir = folder_with("door-clash", &[("endCall.toml", &order)]);
    let prompt = concat!(env!("CARGO_MANIFEST_DIR"), "/prompts/system.md");
    let base = [
        ("LAYERCODE_WEBHOOK_SECRET", SECRET),
        ("LLM_API_KEY", "k"),
        ("SYSTEM_PROMPT_FILE", prompt),
        ("TOOLS_DIR", dir.to_str().expect("utf-8")),
    ];
    let closed = settings_from(&base).expect("valid");
    assert!(
        voicebridge::startup::load_files(&closed).is_ok(),
        "no door, no clash"
    );
    let mut open = base.to_vec();
    open.push(("OPENAI_DOOR_KEYS", KEY));
    let settings = settings_from(&open).expect("valid");
    let Err(error) = voicebridge::startup::load_files(&settings) else {
        panic!("start-up took a tool named like Vapi's endCall with the door open");
    };
    let error = error.to_string();
    assert!(error.contains("endCall.toml"), "{error}");
    assert!(
        error.contains("has the name of a Vapi, ElevenLabs or Retell tool"),
        "{error}"
    );
    // A Retell socket open is the same: Retell's tools would win there.
    let mut retell = base.to_vec();
    retell.push(("RETELL_KEYS", KEY));
    let settings = settings_from(&retell).expect("valid");
    assert!(
        voicebridge::startup::load_files(&settings).is_err(),
        "refused with the Retell socket open"
    );
}

/// A platform's request, as in `tests/fixtures/platforms/`.
fn platform_request(name: &str) -> Value {
    let path = format!(
        "{}/tests/fixtures/platforms/{name}-request.json",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(path).expect("fixture")).expect("json")
}

#[tokio::test]
async fn the_platforms_requests_are_answered_whole_and_kept_under_their_call_ids() {
    let prompt = temp_folder("door-platforms").join("prompt.md");
    std::fs::write(
        &prompt,
        "Agent on {{ platform }} for account {{ metadata.account | default('none') }}.",
    )
    .expect("prompt");
    let store = sqlite_url("door-platforms");
    let app = door(&[
        ("SYSTEM_PROMPT_FILE", prompt.to_str().expect("utf-8")),
        ("CALL_STORE_URL", store.as_str()),
        ("ADMIN_TOKEN", ADMIN),
    ])
    .await;
    for (platform, call_id, handed) in [
        (
            "vapi",
            "8f3b6c2e-4a1d-4e7b-9c55-0d2f1a6b7e90",
            "transferCall",
        ),
        ("elevenlabs", "conv_el_5Kx2", "transfer_to_number"),
    ] {
        let request = platform_request(platform);
        app.upstream.enqueue(Reply::tool_calls(
            &["Let me get you a person. "],
            &[("call_x", handed, r#"{"destination":"+15550123"}"#)],
        ));
        let bytes = raw(&app, request.clone()).await;
        let chunks = check_completion_stream(&bytes);
        let handed_back = chunks
            .iter()
            .find(|c| c["choices"][0]["delta"]["tool_calls"].is_array())
            .expect("the platform's tool is handed back");
        assert_eq!(
            handed_back["choices"][0]["delta"]["tool_calls"][0]["function"]["name"],
            handed
        );
        let sent = app.upstream.requests().pop().expect("a model request");
        let system = sent.body["messages"][0]["content"]
            .as_str()
            .expect("system");
        let theirs = request["messages"][0]["content"].as_str().expect("theirs");
        assert_eq!(
            system,
            format!("Agent on {platform} for account HB-4471.\n\n{theirs}"),
            "the agent's prompt with the caller's context, then the platform's"
        );
        let offered = sent.body["tools"].to_string();
        for tool in request["tools"].as_array().expect("tools") {
            let name = tool["function"]["name"].as_str().expect("name");
            assert!(offered.contains(name), "{name} offered: {offered}");
        }
        assert_ne!(
            sent.body["model"], request["model"],
            "the agent's model answers"
        );

        let call = call_with_turns(&app, call_id, 1).await;
        assert_eq!(call["door"], "openai", "{platform}: {call}");
        assert_eq!(call["metadata"]["account"], "HB-4471");
        assert_eq!(
            call["turns"][0]["user_text"],
            request["messages"][2]["content"]
        );
    }
}

#[tokio::test]
async fn a_stream_broken_after_text_ends_with_the_apology_and_is_recorded() {
    let store = sqlite_url("door-broken");
    let app = door(&[("CALL_STORE_URL", store.as_str()), ("ADMIN_TOKEN", ADMIN)]).await;
    app.upstream.enqueue(Reply::Stream {
        steps: vec![
            Step::Send(role_chunk()),
            Step::Send(content_chunk("We have soup. And")),
        ],
        abort: true,
    });
    let body = json!({"messages": user("Food?"), "stream": true,
        "call": {"id": "vapi-broken-1"}});
    let bytes = raw(&app, body).await;
    let chunks = check_completion_stream(&bytes);
    let text: String = chunks
        .iter()
        .filter_map(|c| c["choices"][0]["delta"]["content"].as_str())
        .collect();
    assert_eq!(text, format!("We have soup. And {APOLOGY}"));
    assert_eq!(
        app.upstream.requests().len(),
        1,
        "no retry once text went out"
    );

    let metrics = app
        .http
        .get(format!("{}/metrics", app.address))
        .send()
        .await
        .expect("sent")
        .text()
        .await
        .expect("text");
    assert!(
        metrics
            .lines()
            .any(|l| l.starts_with("voicebridge_turns_total")
                && l.contains("event=\"chat.completion\"")
                && l.contains("outcome=\"failed\"")),
        "{metrics}"
    );
    let call = call_with_turns(&app, "vapi-broken-1", 1).await;
    assert_eq!(call["turns"][0]["outcome"], "failed", "{call}");
    assert_eq!(call["outcome"], "failed");
}

/// A platform that moves on while one of our mutating tools still runs: the next request
/// of the call already shows the model that call, still running, so it is not made twice.
#[tokio::test]
async fn a_mutating_call_still_running_when_the_platform_moves_on_is_shown_to_the_next_request() {
    // The cancellation takes 20 s (within its 30 s timeout): it is surely still running
    // when the next request comes, however slow the machine.
    let (app, server) = door_with_order_tools(30_000, &[]).await;
    server.enqueue(Reply::plain(
        200,
        r#"{"cancelled":true}"#,
        Duration::from_secs(20),
    ));
    app.upstream.enqueue(Reply::tool_calls(
        &["Cancelling order A17 for you now. "],
        &[("m1", "cancel_order", r#"{"order_id":"A17"}"#)],
    ));
    let call = json!({"id": "vapi-call-mutating"});
    let response = app
        .http
        .post(format!("{}/openai/v1/chat/completions", app.address))
        .bearer_auth(KEY)
        .json(&json!({"stream": true, "call": call, "messages": user("Cancel A17")}))
        .send()
        .await
        .expect("sent");
    let mut body = response.bytes_stream();
    body.next().await.expect("the first chunk").expect("bytes");
    for _ in 0..200 {
        if !server.requests().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(server.requests().len(), 1, "the cancellation is under way");
    drop(body); // the platform hangs up and asks again

    app.upstream
        .enqueue(Reply::deltas(&["It is being cancelled."]));
    let history = json!([
        {"role": "user", "content": "Cancel A17"},
        {"role": "assistant", "content": "Cancelling order A17 for you now."},
        {"role": "user", "content": "Did it work?"}
    ]);
    sdk(
        &app,
        "/openai/v1",
        KEY,
        json!({"messages": history, "extra_body": {"call": call}}),
    )
    .await;
    let sent = app.upstream.requests()[1].body["messages"].to_string();
    assert!(
        sent.contains("cancel_order"),
        "the model sees the call it made: {sent}"
    );
    assert!(sent.contains("still running"), "{sent}");
    assert_eq!(server.requests().len(), 1, "not made twice");
}

#[tokio::test]
async fn a_client_leaving_a_whole_reply_request_cancels_the_model_request() {
    let app = door(&[]).await;
    let hold = std::sync::Arc::new(tokio::sync::Notify::new());
    app.upstream.enqueue(Reply::Stream {
        steps: vec![
            Step::Send(role_chunk()),
            Step::Send(content_chunk("We have soup. ")),
            Step::Wait(hold.clone()),
        ],
        abort: false,
    });
    let left = app
        .http
        .post(format!("{}/openai/v1/chat/completions", app.address))
        .bearer_auth(KEY)
        .timeout(Duration::from_millis(400))
        .json(&json!({"stream": false, "messages": user("Food?")}))
        .send()
        .await
        .expect("the answer's head comes at once");
    // Its body waits for the whole reply; the client gives up first.
    assert!(left.text().await.is_err(), "the client gave up waiting");
    assert_eq!(
        model_requests_cancelled(&app).await,
        1,
        "the model request was cancelled"
    );
}
