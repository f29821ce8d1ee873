//! Running the built `voicebridge` binary as a child process, from an empty directory so
//! no `.env` is read: as a server with its log captured, or as a command run to its end.

use std::io::{Read, Write};
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

use super::app::{now, SECRET};
use super::fake_upstream::FakeUpstream;
use super::sse::SseReader;
use super::unique::{free_port, temp_folder};

pub struct Server {
    pub child: Child,
    pub url: String,
    /// Its stderr, read as it is written: a pipe nobody reads fills up (64 KiB) and then
    /// blocks the server's next log line, and with it the server.
    log: Option<std::thread::JoinHandle<String>>,
}

impl Server {
    /// POSTs `body` to its `/agent`, signed now with the test secret, as Layercode does.
    pub async fn post_webhook(&self, body: &serde_json::Value) -> reqwest::Response {
        let body = serde_json::to_vec(body).expect("json");
        reqwest::Client::new()
            .post(format!("{}/agent", self.url))
            .header(
                "layercode-signature",
                voicebridge::webhook::signature::sign(SECRET.as_bytes(), now(), &body),
            )
            .body(body)
            .send()
            .await
            .expect("sent")
    }

    /// Sends the process `signal` (`TERM`, `INT`, …).
    pub fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .args([format!("-{signal}"), self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success());
    }

    /// Waits (10 s at most) for the process to exit; its exit code.
    pub async fn exit_code(&mut self) -> Option<i32> {
        for _ in 0..400 {
            if let Some(status) = self.child.try_wait().expect("wait") {
                return status.code();
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("the process did not exit");
    }

    /// Stops the process and returns what it wrote to stderr (its log).
    pub fn stop_and_read_log(mut self) -> String {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.log
            .take()
            .map(|reader| reader.join().unwrap_or_default())
            .unwrap_or_default()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts the binary against `upstream` with `extra` variables.
pub async fn start_binary(upstream: &FakeUpstream, extra: &[(&str, &str)]) -> Server {
    let port = free_port();
    let workdir = temp_folder("binary");
    let mut command = Command::new(env!("CARGO_BIN_EXE_voicebridge"));
    command
        .current_dir(&workdir)
        .env_clear()
        .env("HOST", "127.0.0.1")
        .env("PORT", port.to_string())
        .env("LAYERCODE_WEBHOOK_SECRET", SECRET)
        .env("LLM_BASE_URL", &upstream.base_url)
        .env("LLM_API_KEY", "sk-binary-secret-key")
        .env(
            "SYSTEM_PROMPT_FILE",
            concat!(env!("CARGO_MANIFEST_DIR"), "/prompts/system.md"),
        )
        .env("RUST_LOG", "warn")
        // No call store unless a test asks for one (its own URL in `extra`).
        .env("CALL_STORE_URL", "off")
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    for (name, value) in extra {
        command.env(name, value);
    }
    // Owned at once, so a failure below still kills and reaps the process.
    let mut child = command.spawn().expect("binary starts");
    let log = child.stderr.take().map(|mut stderr| {
        std::thread::spawn(move || {
            let mut log = String::new();
            let _ = stderr.read_to_string(&mut log);
            log
        })
    });
    let server = Server {
        child,
        url: format!("http://127.0.0.1:{port}"),
        log,
    };
    let http = reqwest::Client::new();
    for _ in 0..200 {
        if http
            .get(format!("{}/health", server.url))
            .send()
            .await
            .is_ok()
        {
            return server;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("the binary did not start listening");
}

/// Runs one signed webhook `body` through the binary with JSON logs at `info`; returns the
/// whole log and its `turn finished` lines (written before the turn's `response.end`).
pub async fn turn_log(
    upstream: &FakeUpstream,
    body: &serde_json::Value,
) -> (String, Vec<serde_json::Value>) {
    turn_log_with(upstream, body, &[]).await
}

/// [`turn_log`] with `extra` variables.
pub async fn turn_log_with(
    upstream: &FakeUpstream,
    body: &serde_json::Value,
    extra: &[(&str, &str)],
) -> (String, Vec<serde_json::Value>) {
    let mut vars = vec![("LOG_FORMAT", "json"), ("RUST_LOG", "info")];
    vars.extend_from_slice(extra);
    let server = start_binary(upstream, &vars).await;
    let response = server.post_webhook(body).await;
    SseReader::new(response).collect().await;
    let log = server.stop_and_read_log();
    let turns = log
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|line| line["message"] == "turn finished")
        .collect();
    (log, turns)
}

/// Runs the binary with `args`, only `env` (and the default prompt) set, `stdin` piped in,
/// to its end.
pub fn run_blocking(args: &[&str], env: &[(&str, &str)], stdin: &str) -> Output {
    // A folder of its own: `check` opens the default call store (data/calls.db) there, and
    // a database left by another run must not decide this one.
    run_in(&temp_folder("cli"), args, env, stdin)
}

/// [`run_blocking`] in `workdir`, which the test filled (a `.env`, `agents/`, `scenarios/`).
pub fn run_in(
    workdir: &std::path::Path,
    args: &[&str],
    env: &[(&str, &str)],
    stdin: &str,
) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_voicebridge"));
    command
        .args(args)
        .current_dir(workdir)
        .env_clear()
        .env(
            "SYSTEM_PROMPT_FILE",
            concat!(env!("CARGO_MANIFEST_DIR"), "/prompts/system.md"),
        )
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (name, value) in env {
        command.env(name, value);
    }
    let mut child = command.spawn().expect("binary runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("write stdin");
    child.wait_with_output().expect("binary exits")
}

/// Runs the binary off the async runtime, so an in-process server keeps serving it.
pub async fn run(args: &[&str], env: Vec<(String, String)>, stdin: &str) -> Output {
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    let stdin = stdin.to_string();
    tokio::task::spawn_blocking(move || {
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        run_blocking(&args, &env, &stdin)
    })
    .await
    .expect("blocking task")
}

/// Owned `(name, value)` pairs for [`run`].
pub fn vars(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}
