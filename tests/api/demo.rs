//! The README's keyless quick start, run as written: its commands are read from the
//! README's "Try it without any key" block, the server started with exactly the variables
//! it names (no key, no webhook secret, no Layercode account), and `voicebridge chat`
//! given a line to say. Only `PORT` (a free one, for both commands) and
//! `SYSTEM_PROMPT_FILE` (the repository's prompt, as the README's working directory has
//! it) are added, because the binary runs in an empty folder so no `.env` is read.

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::helpers::binary::{run, run_blocking, vars};
use crate::helpers::unique::{free_port, temp_folder};

const README: &str = include_str!("../../README.md");
const PROMPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/prompts/system.md");

/// The commands of the README's keyless block: its code lines, comments left out.
fn keyless_commands() -> Vec<String> {
    let section = README
        .split("### Try it without any key")
        .nth(1)
        .expect("the README has a keyless quick start");
    let block = section
        .split("```sh\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("with a sh block");
    block
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .map(str::to_string)
        .collect()
}

/// `NAME=value … program args…` as its variables and its words.
fn split_command(line: &str) -> (Vec<(String, String)>, Vec<String>) {
    let mut vars = Vec::new();
    let mut words = Vec::new();
    for word in line.split_whitespace() {
        match word.split_once('=') {
            Some((name, value))
                if words.is_empty() && name.chars().all(|c| c == '_' || c.is_ascii_uppercase()) =>
            {
                vars.push((name.to_string(), value.to_string()));
            }
            _ => words.push(word.to_string()),
        }
    }
    (vars, words)
}

#[tokio::test]
async fn the_readme_keyless_path_gets_a_spoken_reply_without_any_key() {
    let commands = keyless_commands();
    let [install, serve, chat] = &commands[..] else {
        panic!("expected install, server and chat commands, got {commands:?}");
    };
    assert_eq!(install, "cargo install --locked --path .", "{commands:?}");
    let (server_vars, server_words) = split_command(serve);
    assert_eq!(server_words, ["voicebridge"], "{serve}");
    assert!(
        server_vars
            .iter()
            .all(|(name, _)| !name.contains("KEY") && !name.contains("SECRET")),
        "the keyless path sets no key: {serve}"
    );
    let (chat_vars, chat_words) = split_command(chat);
    assert!(chat_vars.is_empty(), "{chat}");
    assert_eq!(chat_words[0], "voicebridge", "{chat}");

    let port = free_port().to_string();
    let workdir = temp_folder("keyless");
    let mut command = Command::new(env!("CARGO_BIN_EXE_voicebridge"));
    command
        .args(&server_words[1..])
        .current_dir(&workdir)
        .env_clear()
        .env("PORT", &port)
        .env("SYSTEM_PROMPT_FILE", PROMPT)
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    for (name, value) in &server_vars {
        command.env(name, value);
    }
    let mut server = command.spawn().expect("the server starts");
    let mut ready = false;
    for _ in 0..400 {
        if reqwest::get(format!("http://127.0.0.1:{port}/health"))
            .await
            .is_ok()
        {
            ready = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }

    let chat_args: Vec<&str> = chat_words[1..].iter().map(String::as_str).collect();
    let output = if ready {
        let env = vars(&[("PORT", &port)]);
        Some(run(&chat_args, env, "Hello, who are you?\n").await)
    } else {
        None
    };
    let _ = server.kill();
    let _ = server.wait();
    let mut log = String::new();
    let _ = server
        .stderr
        .take()
        .expect("stderr")
        .read_to_string(&mut log);
    let output = output.unwrap_or_else(|| panic!("the server did not start:\n{log}"));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}\n{log}",
        String::from_utf8_lossy(&output.stderr)
    );
    for expected in [
        "(no welcome: the server's WELCOME_MESSAGE is empty)",
        "you> Hello, who are you?",
        "agent> This is the demo model, not a real one.",
        "You said: Hello, who are you?",
        // The sample is spoken in words, not read out as digits and symbols.
        "comes to 42 dollars and 50 cents and arrives on March fourteenth.",
        "Session ended.",
    ] {
        assert!(
            stdout.contains(expected),
            "missing {expected:?} in:\n{stdout}"
        );
    }
    let sentences = stdout.lines().filter(|l| l.starts_with("agent> ")).count();
    assert!(sentences >= 3, "streamed sentence by sentence:\n{stdout}");
    assert!(!stdout.contains("$42.50"), "{stdout}");
    assert!(
        log.contains("LLM_MODEL=demo") && log.contains("not for production"),
        "the log says the demo model is in use:\n{log}"
    );
}

#[test]
fn check_says_the_demo_model_is_in_use_and_needs_no_key() {
    let output = run_blocking(
        &["check"],
        &[
            ("LLM_MODEL", "demo"),
            ("ALLOW_UNSIGNED_WEBHOOKS", "true"),
            ("CALL_STORE_URL", "off"),
        ],
        "",
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout.contains("demo, the built-in demo model") && stdout.contains("not for production"),
        "{stdout}"
    );
}
