//! Tests of the settings.

use super::*;
use std::collections::HashMap;

fn settings(pairs: &[(&str, &str)]) -> Result<Settings, ConfigError> {
    Settings::from_pairs(pairs)
}

fn chat_settings(pairs: &[(&str, &str)]) -> Result<ChatSettings, ConfigError> {
    let map: HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    ChatSettings::from_lookup(|name| map.get(name).cloned())
}

#[test]
fn chat_settings_need_neither_a_secret_nor_a_model_key() {
    let chat = chat_settings(&[]).expect("valid");
    assert_eq!(chat.port, 8080);
    assert!(chat.webhook_secret.is_none());

    let chat =
        chat_settings(&[("PORT", "9000"), ("LAYERCODE_WEBHOOK_SECRET", "whsec_x")]).expect("valid");
    assert_eq!(chat.port, 9000);
    assert_eq!(
        chat.webhook_secret.map(|s| s.expose().to_string()),
        Some("whsec_x".into())
    );

    let chat = chat_settings(&[("LAYERCODE_WEBHOOK_SECRET", " ")]).expect("valid");
    assert!(chat.webhook_secret.is_none(), "blank counts as unset");
}

#[test]
fn chat_settings_name_a_bad_port() {
    let err = chat_settings(&[("PORT", "eighty")]).expect_err("invalid");
    assert_eq!(err.variable, "PORT");
}

const BASE: [(&str, &str); 2] = [
    ("LAYERCODE_WEBHOOK_SECRET", "whsec_x"),
    ("LLM_API_KEY", "sk-test"),
];

#[test]
fn defaults_apply_when_only_required_values_are_set() {
    let s = settings(&BASE).expect("valid");
    assert_eq!(s.port, 8080);
    assert_eq!(s.host.to_string(), "0.0.0.0");
    assert_eq!(s.llm.upstreams[0].base_url, "https://api.openai.com/v1");
    assert_eq!(s.llm.upstreams[0].model, "gpt-4o-mini");
    assert_eq!(s.system_prompt_file, PathBuf::from("prompts/system.md"));
    assert_eq!(s.welcome_message, "");
    assert_eq!(s.apology_message, DEFAULT_APOLOGY);
    assert_eq!(s.llm.temperature, None);
    assert_eq!(
        s.calls.store_url.as_ref().map(Secret::expose),
        Some(DEFAULT_CALL_STORE_URL)
    );
    assert_eq!(s.calls.retention_days, 30);
    assert!(s.calls.admin_token.is_none());
    let off = settings(&[BASE[0], BASE[1], ("CALL_STORE_URL", "off")]).expect("valid");
    assert!(off.calls.store_url.is_none());
}

#[test]
fn unsigned_webhooks_can_be_allowed_explicitly() {
    let s = settings(&[("LLM_API_KEY", "k"), ("ALLOW_UNSIGNED_WEBHOOKS", "true")]).expect("valid");
    assert!(s.webhook_secret.is_none());
    let err = settings(&[("LLM_API_KEY", "k"), ("ALLOW_UNSIGNED_WEBHOOKS", "maybe")])
        .expect_err("must fail");
    assert_eq!(err.variable, "ALLOW_UNSIGNED_WEBHOOKS");
}

#[test]
fn openai_api_key_is_a_fallback_and_local_servers_need_no_key() {
    let s = settings(&[
        ("LAYERCODE_WEBHOOK_SECRET", "x"),
        ("OPENAI_API_KEY", "sk-o"),
    ])
    .expect("valid");
    assert_eq!(
        s.llm.upstreams[0].api_key.as_ref().map(Secret::expose),
        Some("sk-o")
    );
    let err = settings(&[("LAYERCODE_WEBHOOK_SECRET", "x")]).expect_err("openai needs a key");
    assert_eq!(err.variable, "LLM_API_KEY");
    let s = settings(&[
        ("LAYERCODE_WEBHOOK_SECRET", "x"),
        ("LLM_BASE_URL", "http://localhost:11434/v1/"),
    ])
    .expect("ollama needs no key");
    assert!(s.llm.upstreams[0].api_key.is_none());
    assert_eq!(s.llm.upstreams[0].base_url, "http://localhost:11434/v1");
}

#[test]
fn invalid_values_name_their_variable() {
    let cases = [
        ("PORT", "eighty"),
        ("HOST", "not-an-ip"),
        ("LLM_BASE_URL", "api.openai.com"),
        ("LLM_TEMPERATURE", "hot"),
        ("LLM_TEMPERATURE", "3.5"),
        ("LLM_MAX_TOKENS", "-1"),
        ("LLM_MAX_TOKENS", "0"),
        ("LLM_IDLE_TIMEOUT_MS", "0"),
        ("LOG_FORMAT", "xml"),
        ("SPEECH_MAX_CHUNK_CHARS", "5"),
        ("SPEECH_MIN_CHUNK_CHARS", "-3"),
        ("SPEECH_IDLE_FLUSH_MS", "0"),
        ("SPEECH_KEEP_EMOJI", "sometimes"),
        ("HISTORY_MAX_MESSAGES", "0"),
        ("HISTORY_MAX_CHARS", "lots"),
        ("SESSION_IDLE_TTL_SECS", "0"),
        ("SESSION_MAX_CONVERSATIONS", "-1"),
        ("LAYERCODE_API_BASE", "api.layercode.com"),
        ("ACCESS_TOKEN", "short"),
        ("AUTHORIZE_RATE_LIMIT_PER_MINUTE", "0"),
        ("SHUTDOWN_GRACE_SECS", "soon"),
        ("SESSION_STORE_URL", "postgres://x"),
        ("TOOL_MAX_ROUNDS", "0"),
        ("TOOL_RESULT_MAX_CHARS", "many"),
        ("TOOL_FILLER_AFTER_MS", "0"),
        ("END_CALL_TOOL", "perhaps"),
        ("AGENT_TIMEZONE", "Mars/Olympus"),
        ("SPEECH_LANGUAGE", "klingon"),
        ("SPEECH_NORMALIZE", "often"),
        ("CALL_STORE_URL", "mysql://x"),
        ("CALL_RETENTION_DAYS", "0"),
        ("CALL_STORE_QUEUE_SIZE", "many"),
        ("ADMIN_TOKEN", "short"),
    ];
    for (variable, value) in cases {
        let mut pairs = BASE.to_vec();
        pairs.push((variable, value));
        let err = settings(&pairs).expect_err(variable);
        assert_eq!(err.variable, variable, "{variable}={value}");
        assert!(err.to_string().starts_with(variable));
    }
}

#[test]
fn rejected_urls_say_which_schemes_and_hide_store_passwords() {
    let cases = [
        (
            "LLM_BASE_URL",
            "api.openai.com/",
            "`api.openai.com` must start with http:// or https://",
        ),
        (
            "LAYERCODE_API_BASE",
            " ws://x ",
            "`ws://x` must start with http:// or https://",
        ),
        (
            "SESSION_STORE_URL",
            "postgres://u:hunter2@x",
            "must start with redis:// or rediss:// (leave it unset to keep conversations \
             in memory)",
        ),
    ];
    for (variable, value, problem) in cases {
        let mut pairs = BASE.to_vec();
        pairs.push((variable, value));
        let err = settings(&pairs).expect_err(variable);
        assert_eq!((err.variable, err.problem.as_str()), (variable, problem));
    }
}

#[test]
fn the_example_env_file_is_a_valid_configuration_once_keys_are_filled_in() {
    let example = include_str!("../../.env.example");
    let mut pairs: Vec<(&str, &str)> = example
        .lines()
        .filter(|line| !line.trim_start().starts_with('#'))
        .filter_map(|line| line.split_once('='))
        .collect();
    pairs.extend([
        ("LAYERCODE_WEBHOOK_SECRET", "whsec_x"),
        ("LLM_API_KEY", "sk-x"),
    ]);
    let map: HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let settings = Settings::from_lookup(move |name| map.get(name).cloned()).expect("valid");
    assert_eq!(settings.port, 8080);
    assert_eq!(settings.llm.upstreams.len(), 1);
}

#[test]
fn secrets_never_show_in_debug_output() {
    let s = settings(&BASE).expect("valid");
    let debug = format!("{s:?}");
    assert!(!debug.contains("whsec_x"));
    assert!(!debug.contains("sk-test"));
}

#[test]
fn every_missing_and_invalid_setting_is_reported_at_once() {
    let err = settings(&[]).expect_err("nothing set");
    let variables: Vec<&str> = err.all().iter().map(|(v, _)| *v).collect();
    assert_eq!(variables, ["LLM_API_KEY", "LAYERCODE_WEBHOOK_SECRET"]);
    assert!(err.all()[1].1.starts_with(
        "is required (copy it from the Layercode dashboard), unless every agent file"
    ));
    // Several in one area (the server's, the model's, the tools') too.
    let err = settings(&[
        ("PORT", "eighty"),
        ("HOST", "not-an-ip"),
        ("LLM_TEMPERATURE", "hot"),
        ("LLM_MAX_TOKENS", "0"),
        ("LOG_FORMAT", "xml"),
        ("SPEECH_LANGUAGE", "klingon"),
        ("SPEECH_MAX_CHUNK_CHARS", "5"),
        ("HISTORY_MAX_CHARS", "lots"),
        ("SESSION_IDLE_TTL_SECS", "0"),
        ("ACCESS_TOKEN", "short"),
        ("TOOL_MAX_ROUNDS", "0"),
        ("END_CALL_TOOL", "perhaps"),
        ("AGENT_TIMEZONE", "Mars/Olympus"),
        ("ADMIN_TOKEN", "short"),
        ("CALL_RETENTION_DAYS", "0"),
        ("ALLOW_UNSIGNED_WEBHOOKS", "true"),
    ])
    .expect_err("invalid");
    let variables: Vec<&str> = err.all().iter().map(|(v, _)| *v).collect();
    assert_eq!(
        variables,
        [
            "HOST",
            "PORT",
            "LLM_API_KEY",
            "LLM_TEMPERATURE",
            "LLM_MAX_TOKENS",
            "LOG_FORMAT",
            "SPEECH_MAX_CHUNK_CHARS",
            "SPEECH_LANGUAGE",
            "HISTORY_MAX_CHARS",
            "SESSION_IDLE_TTL_SECS",
            "ACCESS_TOKEN",
            "TOOL_MAX_ROUNDS",
            "END_CALL_TOOL",
            "AGENT_TIMEZONE",
            "ADMIN_TOKEN",
            "CALL_RETENTION_DAYS"
        ]
    );
    // One line each, with the text a single problem has.
    let message = err.to_string();
    assert_eq!(message.lines().count(), 16, "{message}");
    assert!(message.starts_with(
        "HOST: `not-an-ip` is not an IP address\nPORT: `eighty` is not a valid value\n"
    ));
    assert!(message.contains("\nLOG_FORMAT: `xml` is not one of `pretty`, `json`\n"));
}

#[test]
fn a_dotenv_line_that_does_not_parse_is_named_by_line_and_column() {
    let text = "# keys\nLLM_API_KEY=sk-x\nLAYERCODE WEBHOOK_SECRET=whsec\n";
    let path = std::path::Path::new("/app/.env");
    let problem = dotenv::line_problem(path, text, "LAYERCODE WEBHOOK_SECRET=whsec", 9);
    assert_eq!(
        problem,
        "/app/.env: line 3, column 10: cannot parse this line: each line is NAME=value or \
         a # comment, and a value with spaces needs quotes"
    );
    // A bad value is found where it stands, and never quoted (it may be a key).
    let text = "A=1\nWELCOME=hello there\n";
    let problem = dotenv::line_problem(path, text, "hello there", 5);
    assert!(
        problem.starts_with("/app/.env: line 2, column 14: "),
        "{problem}"
    );
    assert!(!problem.contains("hello"), "{problem}");
}

/// Every variable the settings read (with the base configuration; names a value points at,
/// such as a fallback's key variable, are the operator's own) has a row in the table of the
/// configuration page (`docs/configuration.md`) and a line in `.env.example`, commented out
/// or not.
#[test]
fn every_variable_read_is_in_the_configuration_table_and_the_example_env_file() {
    let read = std::sync::Arc::new(std::sync::Mutex::new(std::collections::BTreeSet::new()));
    let seen = read.clone();
    let base: HashMap<String, String> = BASE
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    Settings::from_lookup(move |name| {
        seen.lock().expect("lock").insert(name.to_string());
        base.get(name).cloned()
    })
    .expect("valid");
    let page = include_str!("../../docs/configuration.md");
    let example = include_str!("../../.env.example");
    let read = read.lock().expect("lock").clone();
    let missing: Vec<String> = read
        .iter()
        .filter(|name| {
            let in_table = page.contains(&format!("| `{name}` |"));
            let in_example = example
                .lines()
                .map(|l| l.trim_start_matches('#').trim_start())
                .any(|l| l.starts_with(&format!("{name}=")));
            !(in_table && in_example)
        })
        .cloned()
        .collect();
    assert!(read.len() > 40, "{read:?}");
    assert!(
        missing.is_empty(),
        "not in the table of docs/configuration.md or .env.example: {missing:?}"
    );
}
