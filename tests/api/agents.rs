//! Who is calling: templates rendered from the webhook's caller context and the page's
//! data, and several agents in one deployment (their own prompts, models, secrets and
//! histories).

use std::path::PathBuf;
use std::time::Duration;

use serde_json::{json, Value};
use voicebridge::config::Settings;

use crate::helpers::fake_upstream::{
    content_chunk, finish_steps, role_chunk, FakeUpstream, Reply, Step,
};
use crate::helpers::redis_server::{require_redis, unique_prefix, REDIS};
use crate::helpers::*;

const SALES_SECRET: &str = "whsec_sales_agent";
const SUPPORT_SECRET: &str = "whsec_support_agent";

fn system_prompt_of(request: &crate::helpers::fake_upstream::Recorded) -> String {
    request.messages()[0].1.clone()
}

#[tokio::test]
async fn metadata_and_phone_numbers_reach_the_prompt_and_now_honours_the_time_zone() {
    let prompts = folder_with(
        "prompt-context",
        &[(
            "system.md",
            "You talk to {{ metadata.name | default(\"a guest\") }} (tier {{ metadata.tier }}), \
             calling from {{ from_phone_number | default(\"the web\") }} to {{ to_phone_number }}. \
             Conversation {{ conversation_id }} with agent {{ agent }}. It is {{ now }}.",
        )],
    );
    let prompt = prompts.join("system.md");
    let app = spawn_app_with(&[
        ("SYSTEM_PROMPT_FILE", prompt.to_str().expect("utf-8")),
        ("AGENT_TIMEZONE", "Asia/Kolkata"),
        (
            "WELCOME_MESSAGE",
            "Hi {{ metadata.name | default('there') }}!",
        ),
    ])
    .await;
    let mut start = session_start("conv_ctx", "sess_ctx", "t0");
    start["metadata"] = json!({"name": "Ana", "tier": "silver"});
    start["custom_metadata"] = json!({"tier": "gold"});
    let events = app.turn(&start).await;
    assert_eq!(spoken(&events), ["Hi Ana!"]);

    let mut turn = message("conv_ctx", "t1", "Hello");
    turn["metadata"] = json!({"name": "Ana", "tier": "silver"});
    turn["custom_metadata"] = json!({"tier": "gold"});
    turn["from_phone_number"] = json!("+15550100");
    turn["to_phone_number"] = json!("+15550199");
    app.turn(&turn).await;
    let prompt = system_prompt_of(&app.upstream.requests()[0]);
    assert!(
        prompt.starts_with(
            "You talk to Ana (tier gold), calling from +15550100 to +15550199. \
             Conversation conv_ctx with agent default. It is "
        ),
        "{prompt}"
    );
    assert!(prompt.ends_with("(Asia/Kolkata, UTC+05:30)."), "{prompt}");

    // Without context: the defaults, never an error.
    app.turn(&message("conv_bare", "t1", "Hello")).await;
    let prompt = system_prompt_of(&app.upstream.requests()[1]);
    assert!(
        prompt.starts_with("You talk to a guest (tier ), calling from the web to ."),
        "{prompt}"
    );
    // History stores no prompt.
    app.settle().await;
    let history = app.store.history("conv_ctx").await.expect("store");
    assert!(history.iter().all(|m| !m.content.contains("You talk to")));
}

#[tokio::test]
async fn page_data_changes_the_next_prompt_without_disturbing_a_running_turn() {
    let prompts = folder_with(
        "prompt-client",
        &[(
            "system.md",
            "Be brief.{% if client.page %} The caller is looking at {{ client.page }}.{% endif %}",
        )],
    );
    let prompt = prompts.join("system.md");
    let app = spawn_app_with(&[("SYSTEM_PROMPT_FILE", prompt.to_str().expect("utf-8"))]).await;
    // A running turn whose model waits until the page's data has been answered.
    let gate = std::sync::Arc::new(tokio::sync::Notify::new());
    let mut steps = vec![
        Step::Send(role_chunk()),
        Step::Send(content_chunk("First part. ")),
    ];
    steps.push(Step::Wait(gate.clone()));
    steps.push(Step::Send(content_chunk("Second part.")));
    steps.extend(finish_steps());
    app.upstream.enqueue(Reply::Stream {
        steps,
        abort: false,
    });
    let response = app.post_webhook(&message("conv_page", "t1", "Hi")).await;
    let mut reader = SseReader::new(response);
    reader.until_spoken().await;

    let data = json!({"type": "data", "conversation_id": "conv_page", "session_id": "s",
        "turn_id": "t1", "data": {"page": "/pricing"}});
    let answer = app.post_webhook(&data).await;
    assert_eq!(answer.status(), 200);
    assert!(answer.headers()["content-type"]
        .to_str()
        .expect("ascii")
        .starts_with("application/json"));
    let body: Value = answer.json().await.expect("json");
    assert_eq!(
        body,
        json!({"type": "response.data", "content": {"received": true}})
    );

    gate.notify_one();
    let rest = reader.collect().await;
    assert_eq!(spoken(&rest), ["Second part."], "the running turn went on");
    assert_eq!(app.upstream.requests().len(), 1);
    assert_eq!(system_prompt_of(&app.upstream.requests()[0]), "Be brief.");

    app.turn(&message("conv_page", "t2", "And this?")).await;
    assert_eq!(
        system_prompt_of(&app.upstream.requests()[1]),
        "Be brief. The caller is looking at /pricing."
    );

    // A data event without an object is answered, not refused.
    let odd = json!({"type": "data", "conversation_id": "conv_page", "data": "x"});
    let body: Value = app.post_webhook(&odd).await.json().await.expect("json");
    assert_eq!(body["content"]["received"], false);
}

/// Two agent files over one fake model, with their own prompts, models and secrets.
async fn two_agents(extra: &[(&str, &str)]) -> (TestApp, PathBuf) {
    let prompts = folder_with(
        "agent-prompts",
        &[
            ("sales.md", "You sell. Agent {{ agent }}."),
            ("support.md", "You help. Agent {{ agent }}."),
        ],
    );
    let sales = format!(
        "prompt_file = \"{}\"\nwelcome = \"Sales here.\"\nwebhook_secret = \"${{SALES_SECRET}}\"\n\
         layercode_agent_id = \"ag_sales\"\nmodel = \"sales-model\"\ntemperature = 0.4\n",
        prompts.join("sales.md").display()
    );
    let support = format!(
        "prompt_file = \"{}\"\nwelcome = \"Hi {{{{ metadata.name | default('there') }}}}, this is support.\"\n\
         webhook_secret = \"${{SUPPORT_SECRET}}\"\nlayercode_agent_id = \"ag_support\"\n",
        prompts.join("support.md").display()
    );
    let agents = folder_with(
        "agents",
        &[("sales.toml", &sales), ("support.toml", &support)],
    );
    let mut vars = vec![
        ("AGENTS_DIR", agents.to_str().expect("utf-8").to_string()),
        ("SALES_SECRET", SALES_SECRET.to_string()),
        ("SUPPORT_SECRET", SUPPORT_SECRET.to_string()),
        ("DEFAULT_AGENT", "support".to_string()),
        ("LAYERCODE_WEBHOOK_SECRET", String::new()),
    ];
    vars.extend(extra.iter().map(|(k, v)| (*k, v.to_string())));
    let vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
    (spawn_app_with(&vars).await, agents)
}

#[tokio::test]
async fn two_agents_have_their_own_prompts_models_secrets_and_histories() {
    let (app, _) = two_agents(&[]).await;

    // Each path checks its own agent's secret only.
    let turn = message("conv_shared", "t1", "Hello");
    let wrong = app.post_signed("/agent/support", SALES_SECRET, &turn).await;
    assert_eq!(wrong.status(), 401);
    // The refusal says which secret to compare, never the secret.
    let said: Value = wrong.json().await.expect("json");
    let said = said["error"].as_str().expect("error");
    assert!(said.contains("webhook_secret in "), "{said}");
    assert!(said.contains("support.toml"), "{said}");
    assert!(
        !said.contains(SUPPORT_SECRET) && !said.contains(SALES_SECRET),
        "{said}"
    );
    let unknown = app.post_signed("/agent/billing", SALES_SECRET, &turn).await;
    assert_eq!(unknown.status(), 404);
    let said: Value = unknown.json().await.expect("json");
    assert_eq!(
        said["error"],
        "there is no agent named `billing`; POST /agent/<name> for one of: sales, support"
    );

    app.upstream.enqueue(Reply::deltas(&["Buy now."]));
    let sales = app.post_signed("/agent/sales", SALES_SECRET, &turn).await;
    assert_eq!(sales.status(), 200);
    assert_eq!(spoken(&SseReader::new(sales).collect().await), ["Buy now."]);

    // The same conversation id at the other agent starts afresh.
    app.upstream.enqueue(Reply::deltas(&["How can I help?"]));
    let turn2 = message("conv_shared", "t2", "Is it broken?");
    let support = app
        .post_signed("/api/agent/support", SUPPORT_SECRET, &turn2)
        .await;
    assert_eq!(
        spoken(&SseReader::new(support).collect().await),
        ["How can I help?"]
    );

    let requests = app.upstream.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[0].body["model"], "sales-model");
    assert_eq!(requests[0].body["temperature"], 0.4);
    assert_eq!(system_prompt_of(&requests[0]), "You sell. Agent sales.");
    assert_eq!(
        requests[1].body["model"], "test-model",
        "from the environment"
    );
    assert_eq!(system_prompt_of(&requests[1]), "You help. Agent support.");
    assert_eq!(
        requests[1].messages()[1..],
        [("user".to_string(), "Is it broken?".to_string())],
        "support never reads the sales history"
    );

    // POST /agent is the default agent (support), with its welcome template.
    let mut start = session_start("conv_default", "s", "t0");
    start["metadata"] = json!({"name": "Ana"});
    let welcome = app.post_signed("/agent", SUPPORT_SECRET, &start).await;
    assert_eq!(
        spoken(&SseReader::new(welcome).collect().await),
        ["Hi Ana, this is support."]
    );

    // Metrics carry the agent.
    let metrics = app.metrics_text().await;
    for line in [
        r#"voicebridge_turns_total{agent="sales",event="message",outcome="completed"} 1"#,
        r#"voicebridge_turns_total{agent="support",event="message",outcome="completed"} 1"#,
        r#"voicebridge_turns_total{agent="support",event="session.start",outcome="completed"} 1"#,
    ] {
        assert!(metrics.contains(line), "{line} in\n{metrics}");
    }
}

#[tokio::test]
async fn the_page_offers_every_agent_and_authorize_uses_the_chosen_agents_id() {
    let layercode = FakeUpstream::start().await;
    let base = layercode.base_url.trim_end_matches("/v1").to_string();
    let (app, _) = two_agents(&[
        ("LAYERCODE_API_BASE", base.as_str()),
        ("LAYERCODE_API_KEY", "lc_key"),
    ])
    .await;
    let page = app
        .http
        .get(format!("{}/?agent=sales", app.address))
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("html");
    assert!(page.contains(r#""defaultAgent":"support""#), "{page}");
    assert!(page.contains(r#"{"agentId":"ag_sales","name":"sales"}"#));
    assert!(page.contains(r#"{"agentId":"ag_support","name":"support"}"#));

    for (query, expected) in [("?agent=sales", "ag_sales"), ("", "ag_support")] {
        layercode.enqueue(Reply::status(200, r#"{"client_session_key":"k"}"#));
        let response = app
            .http
            .post(format!("{}/authorize{query}", app.address))
            .json(&json!({"metadata": {}}))
            .send()
            .await
            .expect("authorize");
        assert_eq!(response.status(), 200, "{query}");
        let sent = layercode.requests().pop().expect("forwarded");
        assert_eq!(sent.body["agent_id"], expected, "{query}");
    }
    let unknown = app
        .http
        .post(format!("{}/authorize?agent=billing", app.address))
        .json(&json!({}))
        .send()
        .await
        .expect("authorize");
    assert_eq!(unknown.status(), 400);
}

fn settings_with(pairs: &[(&str, &str)]) -> Result<Settings, voicebridge::config::ConfigError> {
    let prompt = concat!(env!("CARGO_MANIFEST_DIR"), "/prompts/system.md");
    let mut vars = vec![
        ("LAYERCODE_WEBHOOK_SECRET", SECRET),
        ("LLM_API_KEY", "k"),
        ("SYSTEM_PROMPT_FILE", prompt),
    ];
    vars.extend_from_slice(pairs);
    settings_from(&vars)
}

/// Why start-up's loading of the operator's files refuses `pairs`' configuration.
fn files_error(pairs: &[(&str, &str)], expected: &str) -> String {
    let settings = settings_with(pairs).expect("the variables are valid");
    voicebridge::startup::load_files(&settings)
        .expect_err(expected)
        .to_string()
}

#[tokio::test]
async fn start_up_refuses_a_broken_template_or_agent_file_naming_it() {
    // A welcome that does not parse: the variable and the line.
    let settings = settings_with(&[("WELCOME_MESSAGE", "Hi {{ metadata.name ")]).expect("valid");
    let error = start_up_error(settings).await;
    assert!(error.contains("WELCOME_MESSAGE: line 1"), "{error}");

    // A prompt file with an error on its third line: the file and the line.
    let prompts = folder_with(
        "bad-prompt",
        &[("system.md", "One.\nTwo.\nThree {% if %}.\n")],
    );
    let path = prompts.join("system.md");
    let settings =
        settings_with(&[("SYSTEM_PROMPT_FILE", path.to_str().expect("utf-8"))]).expect("valid");
    let error = start_up_error(settings).await;
    assert!(error.contains("system.md: line 3"), "{error}");

    // Agent files: an unknown field, a bad value, an unset secret variable.
    for (text, field) in [
        ("welcome = \"Hi\"\nmodle = \"x\"\n", "modle: unknown field"),
        (
            "temperature = \"hot\"\n",
            "temperature: `hot` is not a valid value",
        ),
        (
            "webhook_secret = \"${NOPE_SECRET}\"\n",
            "webhook_secret: ${NOPE_SECRET} is not set",
        ),
        (
            "tools = [\"no_such_tool\"]\n",
            "tools: `no_such_tool` is not a tool",
        ),
    ] {
        let dir = folder_with("bad-agent", &[("sales.toml", text)]);
        let error = files_error(&[("AGENTS_DIR", dir.to_str().expect("utf-8"))], field);
        assert!(error.starts_with("AGENTS_DIR: "), "{error}");
        assert!(error.contains("sales.toml: "), "{error}");
        assert!(error.contains(field), "{field}: {error}");
    }
    // Several agents need a default.
    let dir = folder_with("two-agents", &[("a.toml", ""), ("b.toml", "")]);
    let error = files_error(
        &[("AGENTS_DIR", dir.to_str().expect("utf-8"))],
        "no default",
    );
    assert!(error.starts_with("DEFAULT_AGENT: is required"), "{error}");
    let error = settings_with(&[("AGENT_TIMEZONE", "Mars/Olympus")])
        .expect_err("zone")
        .to_string();
    assert!(error.starts_with("AGENT_TIMEZONE: "), "{error}");
}

#[tokio::test]
async fn redis_keeps_the_pages_data_across_machines() {
    require_redis().await;
    let prefix = unique_prefix("client");
    let prompts = folder_with("prompt-redis", &[("system.md", "Page: {{ client.page }}.")]);
    let prompt = prompts.join("system.md");
    let vars = [
        ("SESSION_STORE_URL", REDIS),
        ("SESSION_STORE_PREFIX", prefix.as_str()),
        ("SYSTEM_PROMPT_FILE", prompt.to_str().expect("utf-8")),
    ];
    let a = spawn_app_with(&vars).await;
    let b = spawn_app_with(&vars).await;
    let data = json!({"type": "data", "conversation_id": "conv_r", "data": {"page": "/checkout"}});
    let body: Value = a.post_webhook(&data).await.json().await.expect("json");
    assert_eq!(body["content"]["received"], true);
    b.turn(&message("conv_r", "t1", "Hi")).await;
    assert_eq!(
        system_prompt_of(&b.upstream.requests()[0]),
        "Page: /checkout."
    );
    tokio::time::sleep(Duration::from_millis(10)).await;
}

#[tokio::test]
async fn the_example_agents_load_and_render() {
    let root = env!("CARGO_MANIFEST_DIR");
    let tools = format!("{root}/examples/tools");
    let agents = format!("{root}/examples/agents");
    let vars = [
        ("AGENTS_DIR", agents.as_str()),
        ("DEFAULT_AGENT", "support"),
        ("TOOLS_DIR", tools.as_str()),
        ("SALES_WEBHOOK_SECRET", "whsec_a"),
        ("SUPPORT_WEBHOOK_SECRET", "whsec_b"),
        ("SALES_LAYERCODE_AGENT_ID", "ag_a"),
        ("SUPPORT_LAYERCODE_AGENT_ID", "ag_b"),
        ("ORDERS_API_BASE", "https://api.example.com"),
        ("ORDERS_API_KEY", "k"),
        ("LAYERCODE_WEBHOOK_SECRET", ""),
    ];
    // The example's paths are relative to the repository, as when run from it.
    let settings = settings_with(&vars).expect("the example configuration is valid");
    let files = voicebridge::startup::load_files(&settings).expect("the example files load");
    let names: Vec<&str> = files
        .agents
        .agents
        .iter()
        .map(|a| a.name.as_str())
        .collect();
    assert_eq!(names, ["sales", "support"]);
    let root_dir = std::path::Path::new(root);
    for agent in &files.agents.agents {
        let mut agent = agent.clone();
        agent.prompt_file = root_dir.join(&agent.prompt_file);
        let compiled = voicebridge::startup::agent_settings(&settings, &agent)
            .unwrap_or_else(|e| panic!("{}: {e}", agent.name));
        let sample = voicebridge::template::CallContext::sample(&agent.name);
        let prompt = compiled.system_prompt.render(&sample, &compiled.now);
        assert!(prompt.contains("Ana"), "{prompt}");
    }
    let support = &files.agents.agents[1];
    assert_eq!(
        support.tools.as_deref(),
        Some(&["get_order".to_string()][..])
    );
}
