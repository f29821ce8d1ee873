//! `voicebridge chat` driven through its stdin, and `voicebridge check`, run as the real
//! binary.

use crate::helpers::binary::{run, run_blocking, vars};
use crate::helpers::fake_upstream::{FakeUpstream, Reply};
use crate::helpers::*;

#[tokio::test]
async fn chat_speaks_like_layercode_and_prints_what_is_said() {
    let app = spawn_app().await;
    app.upstream
        .enqueue(Reply::deltas(&["Nice to meet you. ", "What can I do?"]));
    let env = vars(&[("LAYERCODE_WEBHOOK_SECRET", SECRET)]);
    let output = run(
        &["chat", "--url", &app.address],
        env,
        "Hello there\n\nAnd again\n",
    )
    .await;
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    for expected in [
        &format!("agent> {WELCOME}"),
        "agent> Nice to meet you.",
        "agent> What can I do?",
        "agent> Hello there.",
        "(first sentence ",
        "Session ended.",
    ] {
        assert!(
            stdout.contains(expected),
            "missing {expected:?} in:\n{stdout}"
        );
    }
    // Piped input gets no prompts: the output reads as a transcript, a line each.
    let transcript: Vec<&str> = stdout
        .lines()
        .filter(|l| l.starts_with("you>") || l.starts_with("agent>"))
        .collect();
    assert_eq!(
        transcript,
        [
            format!("agent> {WELCOME}").as_str(),
            "you> Hello there",
            "agent> Nice to meet you.",
            "agent> What can I do?",
            "you> And again",
            "agent> Hello there.",
            "agent> How can I help?",
        ],
        "{stdout}"
    );
    assert!(!stdout.contains("you> agent>"), "{stdout}");
    let requests = app.upstream.requests();
    assert_eq!(requests.len(), 2, "one model request per typed line");
    let second = requests[1].messages();
    assert_eq!(second[1].1, WELCOME);
    assert_eq!(second[2], ("user".into(), "Hello there".into()));
    assert_eq!(second[4], ("user".into(), "And again".into()));
}

/// `voicebridge chat` asking about order A1, whose tool answers `tool_answer`, and the
/// model then says `then`; chat's output.
async fn chat_about_an_order(tool_answer: Reply, then: &str) -> String {
    let server = FakeUpstream::start().await;
    server.set_default(tool_answer);
    let dir = crate::helpers::tools::tool_dir(&crate::helpers::tools::order_tools(&server, 3000));
    let app = spawn_app_with(&[
        ("TOOLS_DIR", dir.to_str().expect("utf-8")),
        ("ORDERS_API_KEY", "k"),
    ])
    .await;
    app.upstream.enqueue(Reply::tool_calls(
        &[],
        &[("c1", "get_order", r#"{"order_id":"A1"}"#)],
    ));
    app.upstream.enqueue(Reply::deltas(&[then]));
    let env = vars(&[("LAYERCODE_WEBHOOK_SECRET", SECRET)]);
    let output = run(&["chat", "--url", &app.address], env, "Where is A1?\n").await;
    let stdout = String::from_utf8_lossy(&output.stdout).to_string();
    assert!(output.status.success(), "{stdout}");
    stdout
}

#[tokio::test]
async fn chat_shows_tool_calls_as_they_start_and_finish() {
    let ok = Reply::plain(
        200,
        crate::helpers::tools::ORDER_BODY,
        std::time::Duration::ZERO,
    );
    let stdout = chat_about_an_order(ok, "It ships tomorrow.").await;
    assert!(stdout.contains("  [tool get_order started]\n"), "{stdout}");
    assert!(stdout.contains("  [tool get_order finished, "), "{stdout}");
    assert!(stdout.contains("agent> It ships tomorrow."), "{stdout}");
}

#[tokio::test]
async fn chat_says_why_a_tool_failed() {
    let failing = Reply::plain(500, "{}", std::time::Duration::ZERO);
    let stdout = chat_about_an_order(failing, "I could not look it up.").await;
    assert!(
        stdout.contains("  [tool get_order failed: http_error, "),
        "{stdout}"
    );
}

#[tokio::test]
async fn chat_reports_a_wrong_secret_clearly() {
    let app = spawn_app().await;
    let env = vars(&[("LAYERCODE_WEBHOOK_SECRET", "whsec_wrong")]);
    let output = run(&["chat", "--url", &app.address], env, "Hi\n").await;
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("401"), "{stderr}");
    // Which secret on each side, never a secret.
    assert!(
        stderr.contains("this agent checks signatures with LAYERCODE_WEBHOOK_SECRET"),
        "{stderr}"
    );
    assert!(
        stderr.contains("this command signed it with LAYERCODE_WEBHOOK_SECRET"),
        "{stderr}"
    );
    assert!(!stderr.contains("whsec_"), "{stderr}");
}

#[tokio::test]
async fn check_reports_a_reachable_model_with_its_first_token_time() {
    let upstream = FakeUpstream::start().await;
    let env = vars(&[
        ("LAYERCODE_WEBHOOK_SECRET", SECRET),
        ("LLM_BASE_URL", &upstream.base_url),
    ]);
    let output = run(&["check"], env, "").await;
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}");
    assert!(stdout.contains("first token"), "{stdout}");
    assert!(stdout.contains("all checks passed"), "{stdout}");
    // The default call store: an SQLite file in the working directory, not created by
    // the check (start-up creates it).
    assert!(
        stdout.contains(
            "call store         ok (sqlite://data/calls.db, sqlite, kept 30 days; does not \
             exist yet, created at start-up)"
        ),
        "{stdout}"
    );
    assert!(
        stdout.contains("calls pages        off (set ADMIN_TOKEN"),
        "{stdout}"
    );
    assert!(
        stdout
            .contains("conversations      in memory (at most 10000, forgotten after 1800 s idle)"),
        "{stdout}"
    );
    assert!(
        stdout.contains(
            "OpenAI door: closed (no key: openai_keys in the agent file, or OPENAI_DOOR_KEYS)"
        ),
        "{stdout}"
    );
    assert!(
        stdout.contains(
            "Retell socket: closed (no key: retell_keys in the agent file, or RETELL_KEYS)"
        ),
        "{stdout}"
    );
    assert!(
        stdout.contains(
            "Vapi knowledge base: closed (no secret: vapi_secret in the agent file, or VAPI_SECRET)"
        ),
        "{stdout}"
    );
    let request = &upstream.requests()[0];
    assert_eq!(request.body["max_tokens"], 8, "a tiny completion");

    // With keys: the door's URL and its settings, never a key.
    let key = "door-key-for-check-0123456789";
    let env = vars(&[
        ("LAYERCODE_WEBHOOK_SECRET", SECRET),
        ("LLM_BASE_URL", &upstream.base_url),
        ("OPENAI_DOOR_KEYS", key),
        ("OPENAI_PLATFORM_PROMPT", "replace"),
        ("RETELL_KEYS", key),
        ("RETELL_TRANSFER_NUMBERS", "+15550123,+15550124"),
    ]);
    let output = run(&["check"], env, "").await;
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains(
            "OpenAI door: POST /openai/default/v1/chat/completions (1 key set; platform \
             prompt: replace; spoken form: off)"
        ),
        "{stdout}"
    );
    assert!(
        stdout.contains(
            "Retell socket: GET /retell/default/<key>/<call id> (1 key set; transfers to \
             +15550123, +15550124)"
        ),
        "{stdout}"
    );
    assert!(!stdout.contains(key), "{stdout}");
}

#[tokio::test]
async fn check_reports_the_redis_store_and_fails_when_it_does_not_answer() {
    let upstream = FakeUpstream::start().await;
    let check = |url: String| {
        let env = vars(&[
            ("LAYERCODE_WEBHOOK_SECRET", SECRET),
            ("LLM_BASE_URL", &upstream.base_url),
            ("SESSION_STORE_URL", &url),
            ("SESSION_REPLY_QUEUE_MAX", "500"),
        ]);
        async move { run(&["check"], env, "").await }
    };
    let output = check(crate::helpers::redis_server::REDIS.to_string()).await;
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}");
    assert!(
        stdout.contains("conversations      Redis ok (redis://127.0.0.1:6379, prefix voicebridge:"),
        "{stdout}"
    );
    assert!(stdout.contains("up to 500 replies wait"), "{stdout}");
    let closed = format!("redis://127.0.0.1:{}", free_port());
    let output = check(closed).await;
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(!output.status.success(), "{stdout}");
    assert!(stdout.contains("conversations      FAILED"), "{stdout}");
    assert!(stdout.contains("some checks FAILED"), "{stdout}");
}

#[tokio::test]
async fn check_lists_the_tools_and_stops_on_an_invalid_tool_file() {
    let upstream = FakeUpstream::start().await;
    let dir = crate::helpers::tools::tool_dir(&crate::helpers::tools::order_tools(&upstream, 2500));
    let dir = dir.to_str().expect("utf-8").to_string();
    let env = vars(&[
        ("LAYERCODE_WEBHOOK_SECRET", SECRET),
        ("LLM_BASE_URL", &upstream.base_url),
        ("TOOLS_DIR", &dir),
        ("ORDERS_API_KEY", "orders-secret-123"),
        ("END_CALL_TOOL", "true"),
    ]);
    let output = run(&["check"], env, "").await;
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}");
    assert!(stdout.contains("tools              2 from"), "{stdout}");
    assert!(
        stdout.contains("    cancel_order     POST http://127.0.0.1:"),
        "{stdout}"
    );
    assert!(stdout.contains("(mutating, timeout 2500 ms)"), "{stdout}");
    assert!(stdout.contains("(read-only, timeout 2500 ms)"), "{stdout}");
    assert!(stdout.contains("    end_call         built in"), "{stdout}");
    assert!(!stdout.contains("orders-secret-123"), "{stdout}");

    // The variable a tool file needs is unset: check names the file, field and variable.
    let env = vars(&[
        ("LAYERCODE_WEBHOOK_SECRET", SECRET),
        ("LLM_BASE_URL", &upstream.base_url),
        ("TOOLS_DIR", &dir),
    ]);
    let output = run(&["check"], env, "").await;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(stderr.contains("TOOLS_DIR"), "{stderr}");
    assert!(stderr.contains("get_order.toml"), "{stderr}");
    assert!(stderr.contains("headers.Authorization"), "{stderr}");
    assert!(stderr.contains("ORDERS_API_KEY"), "{stderr}");
}

#[tokio::test]
async fn check_lists_the_agents_renders_their_templates_and_reaches_each_model() {
    let upstream = FakeUpstream::start().await;
    let dir = temp_folder("check-agents");
    std::fs::create_dir_all(dir.join("agents")).expect("dir");
    std::fs::write(
        dir.join("sales.md"),
        "You sell to {{ metadata.name }} on {{ client.page }}.",
    )
    .expect("prompt");
    std::fs::write(dir.join("support.md"), "One.\nTwo.\nThree {% if %}.\n").expect("prompt");
    let agent = |prompt: &str, model: &str| {
        format!(
            "prompt_file = \"{}\"\nwebhook_secret = \"whsec_x\"\nmodel = \"{model}\"\n",
            dir.join(prompt).display()
        )
    };
    std::fs::write(
        dir.join("agents/sales.toml"),
        agent("sales.md", "sales-model"),
    )
    .expect("agent");
    std::fs::write(
        dir.join("agents/support.toml"),
        agent("support.md", "support-model"),
    )
    .expect("agent");
    let agents = dir.join("agents");
    let env = vars(&[
        ("LLM_BASE_URL", &upstream.base_url),
        ("AGENTS_DIR", agents.to_str().expect("utf-8")),
        ("DEFAULT_AGENT", "sales"),
    ]);
    let output = run(&["check"], env, "").await;
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(1),
        "support's prompt is broken: {stdout}"
    );
    assert!(stdout.contains("agents             2 from"), "{stdout}");
    assert!(
        stdout.contains("agent sales        POST /agent and /agent/sales"),
        "{stdout}"
    );
    assert!(
        stdout.contains("agent support      POST /agent/support"),
        "{stdout}"
    );
    assert!(
        stdout.contains("      | You sell to Ana on /pricing."),
        "{stdout}"
    );
    assert!(stdout.contains("support.md: line 3"), "{stdout}");
    let models: Vec<String> = upstream
        .requests()
        .iter()
        .map(|r| r.body["model"].as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(
        models,
        ["sales-model", "support-model"],
        "each agent's model, once"
    );
}

#[tokio::test]
async fn check_fails_on_a_dead_url_and_on_a_rejected_key() {
    let port = free_port();
    let dead = format!("http://127.0.0.1:{port}/v1");
    let env = vars(&[
        ("LAYERCODE_WEBHOOK_SECRET", SECRET),
        ("LLM_BASE_URL", &dead),
    ]);
    let output = run(&["check"], env, "").await;
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("reachable        FAILED"), "{stdout}");

    let upstream = FakeUpstream::start().await;
    upstream.enqueue(Reply::status(
        401,
        r#"{"error":{"message":"Incorrect API key provided"}}"#,
    ));
    let env = vars(&[
        ("LAYERCODE_WEBHOOK_SECRET", SECRET),
        ("LLM_BASE_URL", &upstream.base_url),
    ]);
    let output = run(&["check"], env, "").await;
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1));
    assert!(stdout.contains("key accepted     FAILED (401)"), "{stdout}");
}

#[tokio::test]
async fn chat_accepts_the_webhook_url_pasted_into_layercode() {
    let app = spawn_app().await;
    for path in ["/agent", "/api/agent", "/api/agent/"] {
        let url = format!("{}{path}", app.address);
        let env = vars(&[("LAYERCODE_WEBHOOK_SECRET", SECRET)]);
        let output = run(&["chat", "--url", &url], env, "Hi\n").await;
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success(),
            "{url}: {stdout}\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let webhook = url.trim_end_matches('/');
        for expected in [
            &format!("Talking to {webhook} "),
            &format!("agent> {WELCOME}"),
            "agent> Hello there.",
            "Session ended.",
        ] {
            assert!(
                stdout.contains(expected),
                "{url}: missing {expected:?} in:\n{stdout}"
            );
        }
    }
}

#[test]
fn chat_refuses_a_url_without_http_before_sending_anything() {
    let output = run_blocking(&["chat", "--url", "app.fly.dev"], &[], "Hi\n");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("`app.fly.dev` is not an http(s) URL"),
        "{stderr}"
    );
    assert!(output.stdout.is_empty());
}

fn assert_usage(text: &str) {
    assert!(
        text.to_lowercase().contains("usage: voicebridge"),
        "no usage in:\n{text}"
    );
}

#[test]
fn help_prints_usage_on_stdout_and_exits_0() {
    for args in [
        &["--help"][..],
        &["-h"],
        &["help"],
        &["serve", "--help"],
        &["chat", "--help"],
        &["check", "--help"],
        &["help", "chat"],
    ] {
        let output = run_blocking(args, &[], "");
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert_eq!(output.status.code(), Some(0), "{args:?}: {stdout}");
        assert_usage(&stdout);
        // What the command reads is in its help, so a user knows what to set.
        let reads: &[&str] = if args.contains(&"chat") {
            &["--url", "LAYERCODE_WEBHOOK_SECRET", "PORT", "/api/agent"]
        } else {
            &[".env", "README"]
        };
        for expected in reads {
            assert!(
                stdout.contains(expected),
                "{args:?}: no {expected:?} in:\n{stdout}"
            );
        }
    }
    let top = run_blocking(&["--help"], &[], "");
    let top = String::from_utf8_lossy(&top.stdout);
    for command in ["serve", "chat", "check"] {
        assert!(top.contains(command), "{command} missing from:\n{top}");
    }
}

#[test]
fn version_prints_the_cargo_version_and_exits_0() {
    for flag in ["--version", "-V"] {
        let output = run_blocking(&[flag], &[], "");
        assert_eq!(output.status.code(), Some(0));
        assert_eq!(
            String::from_utf8_lossy(&output.stdout).trim(),
            format!("voicebridge {}", env!("CARGO_PKG_VERSION"))
        );
    }
}

#[test]
fn unknown_commands_print_usage_and_exit_2() {
    let output = run_blocking(&["dance"], &[], "");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("'dance'"), "{stderr}");
    assert_usage(&stderr);
    assert!(stderr.contains("--help"), "points to the help: {stderr}");
    assert!(output.stdout.is_empty());
}

#[test]
fn unknown_flags_and_typos_exit_2_with_a_hint() {
    let output = run_blocking(&["chat", "--loud"], &[], "");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("'--loud'"), "{stderr}");
    assert_usage(&stderr);

    let output = run_blocking(&["chta"], &[], "");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("'chat'"),
        "suggests the command meant: {stderr}"
    );
}

/// `check` only looks: a call store that does not exist yet, or lacks the schema, is
/// reported as start-up's to create, and is still as it was afterwards.
#[tokio::test]
async fn check_creates_no_call_store_and_migrates_nothing() {
    let upstream = FakeUpstream::start().await;
    let check = |url: String| {
        let env = vars(&[
            ("LAYERCODE_WEBHOOK_SECRET", SECRET),
            ("LLM_BASE_URL", &upstream.base_url),
            ("CALL_STORE_URL", &url),
        ]);
        async move { run(&["check"], env, "").await }
    };
    // SQLite: neither the file nor its folder is made.
    let sqlite = crate::helpers::db::sqlite_url("check-looks");
    let file = std::path::PathBuf::from(sqlite.trim_start_matches("sqlite://"));
    let output = check(sqlite.clone()).await;
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}");
    assert!(
        stdout.contains("kept 30 days; does not exist yet, created at start-up)"),
        "{stdout}"
    );
    assert!(!file.parent().expect("folder").exists(), "nothing created");
    // Once start-up made it, nothing is left to do.
    voicebridge::records::CallStore::connect(&sqlite)
        .await
        .expect("start-up creates it");
    let output = check(sqlite).await;
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("sqlite, kept 30 days)"), "{stdout}");
    // PostgreSQL: an empty database is told its migrations, and stays empty.
    let postgres = crate::helpers::db::Postgres::create("check_looks").await;
    let output = check(postgres.url.clone()).await;
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}");
    assert!(
        stdout.contains("postgres, kept 30 days; 11 schema migrations run at start-up)"),
        "{stdout}"
    );
    let pool = sqlx::PgPool::connect(&postgres.url)
        .await
        .expect("connects");
    let tables: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'",
    )
    .fetch_one(&pool)
    .await
    .expect("reads");
    assert_eq!(tables, 0, "no table created");
    pool.close().await;
    postgres.drop_database().await;
}

/// A scenario file that does not load fails `check` (exit 1) rather than counting as none.
#[tokio::test]
async fn check_fails_on_a_scenario_that_does_not_load() {
    let upstream = FakeUpstream::start().await;
    let dir = crate::helpers::unique::temp_folder("check-scenarios");
    std::fs::create_dir(dir.join("scenarios")).expect("folder");
    std::fs::write(dir.join("scenarios/broken.toml"), "name = [unclosed\n").expect("file");
    let env = vars(&[
        ("LAYERCODE_WEBHOOK_SECRET", SECRET),
        ("LLM_BASE_URL", &upstream.base_url),
        ("CALL_STORE_URL", "off"),
    ]);
    let output = tokio::task::spawn_blocking(move || {
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        crate::helpers::binary::run_in(&dir, &["check"], &env, "")
    })
    .await
    .expect("runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("scenarios          FAILED:"), "{stdout}");
    assert!(stdout.contains("broken.toml"), "{stdout}");
}

/// A port another program holds stops start-up with what to do about it.
#[tokio::test]
async fn a_port_in_use_says_to_set_port() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = taken.local_addr().expect("addr").port().to_string();
    let env = vars(&[
        ("LAYERCODE_WEBHOOK_SECRET", SECRET),
        ("LLM_API_KEY", "sk-test"),
        ("HOST", "127.0.0.1"),
        ("PORT", &port),
        ("CALL_STORE_URL", "off"),
    ]);
    let output = run(&[], env, "").await;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{stderr}");
    assert!(
        stderr.contains(&format!("cannot listen on 127.0.0.1:{port}")),
        "{stderr}"
    );
    assert!(stderr.contains("set PORT to a free port"), "{stderr}");
    drop(taken);
}

/// A model server answering 404 is asked about the model name and the `/v1` in its URL,
/// which `check` shows with its path.
#[tokio::test]
async fn check_on_a_404_asks_about_the_model_and_the_v1() {
    let upstream = FakeUpstream::start().await;
    upstream.set_default(Reply::status(
        404,
        r#"{"error":{"message":"The model `gpt-x` does not exist","type":"invalid_request_error"}}"#,
    ));
    let env = vars(&[
        ("LAYERCODE_WEBHOOK_SECRET", SECRET),
        ("LLM_BASE_URL", &upstream.base_url),
        ("CALL_STORE_URL", "off"),
    ]);
    let output = run(&["check"], env, "").await;
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains(&format!(" at {}", upstream.base_url)),
        "{stdout}"
    );
    assert!(stdout.contains("model exists     FAILED (404)"), "{stdout}");
    assert!(stdout.contains("most end in /v1"), "{stdout}");
}

/// Ctrl-C during a reply cuts it as a barge-in would (the server sees the caller hang up)
/// and the call goes on; Ctrl-C at the prompt ends the call with `session.end`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_cuts_a_reply_and_a_second_ends_the_call() {
    use std::io::{BufRead, Write as _};
    let app = spawn_app().await;
    let gate = std::sync::Arc::new(tokio::sync::Notify::new());
    let mut steps = vec![
        crate::helpers::fake_upstream::Step::Send(crate::helpers::fake_upstream::role_chunk()),
        crate::helpers::fake_upstream::Step::Send(crate::helpers::fake_upstream::content_chunk(
            "Once upon a time. ",
        )),
    ];
    steps.push(crate::helpers::fake_upstream::Step::Wait(gate.clone()));
    app.upstream.enqueue(Reply::Stream {
        steps,
        abort: false,
    });
    app.upstream.enqueue(Reply::deltas(&["You're welcome."]));
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_voicebridge"))
        .args(["chat", "--url", &app.address])
        .current_dir(crate::helpers::unique::temp_folder("chat-ctrl-c"))
        .env_clear()
        .env("LAYERCODE_WEBHOOK_SECRET", SECRET)
        .env("LLM_API_KEY", "unused")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("chat runs");
    let mut stdin = child.stdin.take().expect("stdin");
    let stdout = child.stdout.take().expect("stdout");
    let (line_tx, lines) = std::sync::mpsc::channel::<String>();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            if line_tx.send(line).is_err() {
                return;
            }
        }
    });
    let wait_for = |needle: &str| {
        let mut seen = Vec::new();
        while let Ok(line) = lines.recv_timeout(std::time::Duration::from_secs(10)) {
            let found = line.contains(needle);
            seen.push(line);
            if found {
                return seen;
            }
        }
        panic!("no `{needle}` in {seen:?}");
    };
    let interrupt = |pid: u32| {
        let sent = std::process::Command::new("kill")
            .args(["-INT", &pid.to_string()])
            .status()
            .expect("kill runs");
        assert!(sent.success());
    };
    writeln!(stdin, "Tell me a story").expect("write");
    wait_for("agent> Once upon a time.");
    interrupt(child.id());
    wait_for("[interrupted: the rest of the reply is cut]");
    writeln!(stdin, "Thanks").expect("write");
    wait_for("agent> You're welcome.");
    // Give the prompt a moment to be waiting for the next line, then end the call.
    std::thread::sleep(std::time::Duration::from_millis(200));
    interrupt(child.id());
    wait_for("Session ended.");
    assert!(child.wait().expect("exits").success());
    // The server heard the caller hang up on the story and got the next message.
    let requests = app.upstream.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(
        requests[1].messages().last().map(|(_, text)| text.as_str()),
        Some("Thanks")
    );
    gate.notify_waiters();
}
