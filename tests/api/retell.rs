//! Retell's custom-LLM WebSocket end to end: a WebSocket client plays Retell's side as its
//! LLM WebSocket reference describes it (config and greeting first, ping_pong echoed,
//! update_only unanswered, response_required streamed back with its id, a newer id
//! stopping the older reply), against the real server and the fake model.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message;

use crate::helpers::db::sqlite_url;
use crate::helpers::doors::{call_on_record, call_with_turns, model_requests_cancelled};
use crate::helpers::fake_upstream::{content_chunk, role_chunk, FakeUpstream, Reply, Step};
use crate::helpers::tools::{order_tools, tool_dir};
use crate::helpers::*;

const KEY: &str = "retell-key-for-tests-0123456789";

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Retell's side of one call.
struct Retell(Socket);

impl Retell {
    async fn connect(app: &TestApp, key: &str, call_id: &str) -> Result<Self, u16> {
        let url = format!(
            "{}/retell/default/{key}/{call_id}",
            app.address.replace("http://", "ws://")
        );
        match tokio_tungstenite::connect_async(url).await {
            Ok((socket, _)) => Ok(Self(socket)),
            Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
                Err(response.status().as_u16())
            }
            Err(other) => panic!("cannot connect: {other}"),
        }
    }

    async fn send(&mut self, message: Value) {
        self.0
            .send(Message::text(message.to_string()))
            .await
            .expect("sent");
    }

    /// The next JSON message (5 s at most).
    async fn next(&mut self) -> Value {
        loop {
            let message = tokio::time::timeout(Duration::from_secs(5), self.0.next())
                .await
                .expect("a message within 5 s")
                .expect("the socket is open")
                .expect("a frame");
            if let Message::Text(text) = message {
                return serde_json::from_str(text.as_str()).expect("json");
            }
        }
    }

    /// Whether nothing arrives for `ms` milliseconds.
    async fn quiet(&mut self, ms: u64) -> bool {
        tokio::time::timeout(Duration::from_millis(ms), self.0.next())
            .await
            .is_err()
    }

    /// Reply `id` read to its last message: the pieces' text and the last message.
    async fn reply(&mut self, id: u64) -> (String, Value) {
        let mut text = String::new();
        loop {
            let message = self.next().await;
            assert_eq!(message["response_type"], "response", "{message}");
            assert_eq!(message["response_id"], id, "{message}");
            text.push_str(message["content"].as_str().unwrap_or_default());
            if message["content_complete"] == true {
                return (text, message);
            }
        }
    }
}

fn asked(id: u64, said: &str) -> Value {
    json!({"interaction_type": "response_required", "response_id": id, "transcript": [
        {"role": "agent", "content": "Hi Ana, this is Harbor Books."},
        {"role": "user", "content": said},
    ]})
}

#[tokio::test]
async fn a_call_gets_config_greeting_pings_and_streamed_replies_and_is_kept_on_record() {
    let server = FakeUpstream::start().await;
    let dir = tool_dir(&order_tools(&server, 3000));
    let store = sqlite_url("retell");
    let app = spawn_app_with(&[
        ("RETELL_KEYS", KEY),
        (
            "WELCOME_MESSAGE",
            "Hi {{ metadata.name | default('there') }}, this is Harbor Books.",
        ),
        ("TOOLS_DIR", dir.to_str().expect("utf-8")),
        ("ORDERS_API_KEY", "orders-secret-123"),
        ("CALL_STORE_URL", store.as_str()),
        ("ADMIN_TOKEN", ADMIN),
    ])
    .await;
    let mut retell = Retell::connect(&app, KEY, "call_retell_1")
        .await
        .expect("connects");
    let config = retell.next().await;
    assert_eq!(config["response_type"], "config");
    assert_eq!(config["config"]["call_details"], true);
    retell
        .send(json!({"interaction_type": "call_details", "call": {
            "call_id": "call_retell_1", "from_number": "+14155550142", "to_number": "+15550199",
            "metadata": {"name": "Ana"}, "retell_llm_dynamic_variables": {"plan": "Member"}}}))
        .await;
    let greeting = retell.next().await;
    assert_eq!(
        greeting,
        json!({"response_type": "response", "response_id": 0,
               "content": "Hi Ana, this is Harbor Books.", "content_complete": true})
    );

    retell
        .send(json!({"interaction_type": "ping_pong", "timestamp": 1703302407333_u64}))
        .await;
    assert_eq!(
        retell.next().await,
        json!({"response_type": "ping_pong", "timestamp": 1703302407333_u64})
    );
    retell
        .send(json!({"interaction_type": "update_only", "transcript": [
            {"role": "user", "content": "Where is"}]}))
        .await;
    assert!(retell.quiet(300).await, "update_only wants no reply");

    // A reply with one of our tools in the middle.
    server.enqueue(Reply::plain(200, r#"{"status":"shipped"}"#, Duration::ZERO));
    app.upstream.enqueue(Reply::tool_calls(
        &["Let me look. "],
        &[("c1", "get_order", r#"{"order_id":"A17"}"#)],
    ));
    app.upstream
        .enqueue(Reply::deltas(&["It has **shipped**."]));
    retell.send(asked(1, "Where is my order A17?")).await;
    let (text, last) = retell.reply(1).await;
    assert_eq!(text, "Let me look. It has shipped.");
    assert!(last.get("end_call").is_none() && last.get("transfer_number").is_none());
    assert_eq!(server.requests().len(), 1, "our tool ran");
    let sent = &app.upstream.requests()[0].body["messages"];
    assert_eq!(
        sent[1]["role"], "assistant",
        "Retell's agent lines are the assistant's"
    );
    assert_eq!(sent[2]["content"], "Where is my order A17?");
    drop(retell);

    let call = call_on_record(&app, "call_retell_1", |call| call["ended_ms"].is_i64()).await;
    assert_eq!(call["door"], "retell", "{call}");
    assert_eq!(
        call["session_report"]["transcript"][1]["content"], "Where is my order A17?",
        "Retell's live transcript is kept with the call's end"
    );
    assert_eq!(call["from_phone_number"], "+14155550142");
    assert_eq!(call["metadata"]["name"], "Ana");
    assert_eq!(
        call["turns"][0]["agent_text"],
        "Let me look. It has shipped."
    );
    assert!(
        call["ended_ms"].is_i64(),
        "the closed socket ends the call: {call}"
    );
}

#[tokio::test]
async fn a_newer_response_id_stops_the_older_reply_at_once() {
    let app = spawn_app_with(&[("RETELL_KEYS", KEY), ("WELCOME_MESSAGE", "")]).await;
    let hold = std::sync::Arc::new(tokio::sync::Notify::new());
    app.upstream.enqueue(Reply::Stream {
        steps: vec![
            Step::Send(role_chunk()),
            Step::Send(content_chunk("We have soup, ")),
            Step::Wait(hold.clone()),
            Step::Send(content_chunk("and pie.")),
        ],
        abort: false,
    });
    app.upstream.enqueue(Reply::deltas(&["Sure, pie it is."]));
    let mut retell = Retell::connect(&app, KEY, "call_retell_2")
        .await
        .expect("connects");
    assert_eq!(retell.next().await["response_type"], "config");
    let greeting = retell.next().await;
    assert_eq!(
        greeting["content"], "",
        "no welcome: the caller speaks first"
    );

    retell.send(asked(1, "What food is there?")).await;
    let first = retell.next().await;
    assert_eq!(
        (first["response_id"].clone(), first["content"].clone()),
        (json!(1), json!("We have soup, "))
    );
    retell.send(asked(2, "Pie please")).await;
    let (text, _) = retell.reply(2).await;
    assert_eq!(text, "Sure, pie it is.");
    hold.notify_one();
    assert!(retell.quiet(300).await, "nothing more for reply 1");
    assert_eq!(
        model_requests_cancelled(&app).await,
        1,
        "reply 1's model request was cancelled"
    );

    // An id not above the last one (a resend, or one arriving late) changes nothing.
    retell.send(asked(2, "Pie please")).await;
    retell.send(asked(1, "What food is there?")).await;
    assert!(retell.quiet(300).await, "no reply restarted");
    assert_eq!(app.upstream.requests().len(), 2);
}

#[tokio::test]
async fn end_call_and_transfer_come_from_tool_calls() {
    let app = spawn_app_with(&[
        ("RETELL_KEYS", KEY),
        ("WELCOME_MESSAGE", ""),
        ("RETELL_TRANSFER_NUMBERS", "+15550123"),
    ])
    .await;
    let mut retell = Retell::connect(&app, KEY, "call_retell_3")
        .await
        .expect("connects");
    retell.next().await; // config
    retell.next().await; // greeting
    app.upstream.enqueue(Reply::tool_calls(
        &["Putting you through. "],
        &[("t1", "transfer_call", r#"{"number":"+15550123"}"#)],
    ));
    retell.send(asked(1, "A person please")).await;
    let (text, last) = retell.reply(1).await;
    assert_eq!(text, "Putting you through. ");
    assert_eq!(last["transfer_number"], "+15550123");
    let offered = app.upstream.requests()[0].body["tools"].to_string();
    assert!(
        offered.contains("transfer_call") && offered.contains("+15550123"),
        "{offered}"
    );

    app.upstream.enqueue(Reply::tool_calls(
        &["Goodbye! "],
        &[("e1", "end_call", "{}")],
    ));
    retell.send(asked(2, "That's all")).await;
    let (text, last) = retell.reply(2).await;
    assert_eq!(text, "Goodbye! ");
    assert_eq!(last["end_call"], true);
}

#[tokio::test]
async fn the_socket_needs_one_of_the_agents_keys() {
    let app = spawn_app_with(&[("RETELL_KEYS", KEY)]).await;
    assert_eq!(
        Retell::connect(&app, "wrong-key-0123456789", "c1")
            .await
            .err(),
        Some(401)
    );
    let closed = spawn_app().await;
    assert_eq!(Retell::connect(&closed, KEY, "c1").await.err(), Some(404));
}

#[tokio::test]
async fn the_example_retell_agent_loads() {
    let root = env!("CARGO_MANIFEST_DIR");
    let agents = format!("{root}/examples/retell/agents");
    let prompt = format!("{root}/prompts/system.md");
    let vars = [
        ("AGENTS_DIR", agents.as_str()),
        ("PHONE_RETELL_KEY", KEY),
        ("SALES_DESK_NUMBER", "+15550123"),
        ("ALLOW_UNSIGNED_WEBHOOKS", "true"),
        ("LLM_API_KEY", "k"),
        ("SYSTEM_PROMPT_FILE", prompt.as_str()),
    ];
    let settings = settings_from(&vars).expect("the example configuration is valid");
    let files = voicebridge::startup::load_files(&settings).expect("the example files load");
    let mut agent = files.agents.agents[0].clone();
    assert_eq!(agent.name, "phone");
    assert_eq!(agent.door.retell_keys.len(), 1);
    assert_eq!(agent.door.transfer_numbers, ["+15550123"]);
    agent.prompt_file = std::path::Path::new(root).join(&agent.prompt_file);
    let compiled = voicebridge::startup::agent_settings(&settings, &agent).expect("compiles");
    let mut caller = voicebridge::template::CallContext::sample("phone");
    caller.platform.insert("platform".into(), json!("retell"));
    let prompt = compiled.system_prompt.render(&caller, &compiled.now);
    assert!(prompt.contains("through retell."), "{prompt}");
    let welcome = compiled.welcome.render(&caller, &compiled.now);
    assert_eq!(
        welcome,
        "Hi Ana, thanks for calling Harbor Books. How can I help?"
    );
}

#[tokio::test]
async fn chat_retell_talks_to_the_socket_as_retell_and_stops_when_the_agent_ends_the_call() {
    let app = spawn_app_with(&[("RETELL_KEYS", KEY)]).await;
    app.upstream
        .enqueue(Reply::deltas(&["Hi there, ", "how can I help?"]));
    app.upstream.enqueue(Reply::tool_calls(
        &["Goodbye! "],
        &[("e1", "end_call", "{}")],
    ));
    let env = crate::helpers::binary::vars(&[("RETELL_KEYS", KEY)]);
    let output = crate::helpers::binary::run(
        &["chat", "--retell", &app.address],
        env,
        "Hello\nThat's all\nNever sent\n",
    )
    .await;
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout.contains("/retell/default/<key> as Retell would"),
        "{stdout}"
    );
    assert!(!stdout.contains(KEY), "the key is not shown: {stdout}");
    assert!(stdout.contains(&format!("agent> {WELCOME}\n")), "{stdout}");
    assert!(
        stdout.contains("agent> Hi there, how can I help?\n"),
        "{stdout}"
    );
    assert!(stdout.contains("[the agent ended the call]"), "{stdout}");
    assert!(
        !stdout.contains("you> Never sent"),
        "the call was over: {stdout}"
    );
    assert!(stdout.trim_end().ends_with("Chat ended."), "{stdout}");
    assert_eq!(app.upstream.requests().len(), 2);
}

#[tokio::test]
async fn a_dropped_socket_cancels_the_reply_and_the_turn_is_kept_as_interrupted() {
    let store = sqlite_url("retell-drop");
    let app = spawn_app_with(&[
        ("RETELL_KEYS", KEY),
        ("WELCOME_MESSAGE", ""),
        ("CALL_STORE_URL", store.as_str()),
        ("ADMIN_TOKEN", ADMIN),
    ])
    .await;
    let hold = std::sync::Arc::new(tokio::sync::Notify::new());
    app.upstream.enqueue(Reply::Stream {
        steps: vec![
            Step::Send(role_chunk()),
            Step::Send(content_chunk("We have soup, ")),
            Step::Wait(hold.clone()),
            Step::Send(content_chunk("and pie.")),
        ],
        abort: false,
    });
    let mut retell = Retell::connect(&app, KEY, "call_retell_drop")
        .await
        .expect("connects");
    retell.next().await; // config
    retell.next().await; // greeting
    retell.send(asked(1, "What food is there?")).await;
    assert_eq!(retell.next().await["content"], "We have soup, ");
    drop(retell);
    assert_eq!(
        model_requests_cancelled(&app).await,
        1,
        "the model request was cancelled"
    );
    let turn = call_with_turns(&app, "call_retell_drop", 1).await["turns"][0].clone();
    assert_eq!(turn["outcome"], "interrupted", "{turn}");
    assert_eq!(turn["agent_text"], "We have soup, ");
}

#[tokio::test]
async fn a_reconnect_to_the_same_call_id_continues_the_same_call() {
    let store = sqlite_url("retell-reconnect");
    let app = spawn_app_with(&[
        ("RETELL_KEYS", KEY),
        ("WELCOME_MESSAGE", ""),
        ("CALL_STORE_URL", store.as_str()),
        ("ADMIN_TOKEN", ADMIN),
    ])
    .await;
    for (id, said) in [(1, "Hello"), (2, "Still there?")] {
        app.upstream.enqueue(Reply::deltas(&["Yes, here."]));
        let mut retell = Retell::connect(&app, KEY, "call_retell_again")
            .await
            .expect("connects");
        retell.next().await; // config
        retell.next().await; // greeting
        retell.send(asked(id, said)).await;
        let (text, _) = retell.reply(id).await;
        assert_eq!(text, "Yes, here.");
    }
    let call = call_with_turns(&app, "call_retell_again", 2).await;
    let said: Vec<&str> = call["turns"]
        .as_array()
        .expect("turns")
        .iter()
        .map(|t| t["user_text"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(said, ["Hello", "Still there?"], "one call, both turns");
}
