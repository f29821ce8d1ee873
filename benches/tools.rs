//! The gateway's own cost around one tool round (`cargo bench --bench tools`), on the
//! release binary.
//!
//! Each turn: the fake model streams one tool call and stamps the moment its `[DONE]` left;
//! the fake tool server stamps the moment the call arrived and answers at once; the fake
//! model stamps the moment the follow-up request (carrying the result) arrived. So:
//!
//! - "model → tool" = tool request received − `[DONE]` flushed: reading the end of the
//!   stream, assembling and validating the call, and sending the HTTP request;
//! - "tool → model" = follow-up request received − tool request received: the tool's
//!   answer (written at once by the fake), reading it, and sending the next request.
//!
//! Neither includes the tool's or the model's own time. Both include loopback hops; the
//! "one HTTP request" row is the same client-to-fake hop made directly by this process,
//! the floor that any HTTP client pays here.
//!
//! Turns start at a steady rate, as calls do, and the model takes THINK to decide on its
//! call, so at R turns a second about R × THINK turns are in flight at once.

#![allow(clippy::print_stdout)] // a benchmark reports on stdout

#[path = "../tests/api/fake_upstream.rs"]
#[allow(dead_code)]
mod fake_upstream;
#[path = "support/mod.rs"]
mod support;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use fake_upstream::{FakeUpstream, Recorded, Reply, Step};
use support::{cpu_seconds, signed_message, start_server};

/// How long the fake model streams before its tool call is complete.
const THINK: Duration = Duration::from_millis(200);

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(run());
}

/// The turn number in "Order <n>, please." or in a tool-call id "call_<n>".
fn number_after(text: &str, prefix: &str) -> Option<usize> {
    let rest = &text[text.find(prefix)? + prefix.len()..];
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

/// First requests get one tool call (stamped after `[DONE]` with the turn's number);
/// follow-ups carrying the result get a short answer.
fn model_reply(request: &Recorded) -> Reply {
    let messages = request.body["messages"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let last = messages.last().cloned().unwrap_or_default();
    if last["role"] == "tool" {
        return Reply::deltas(&["It ships tomorrow."]);
    }
    let turn = last["content"]
        .as_str()
        .and_then(|text| number_after(text, "Order "))
        .unwrap_or(0);
    let id = format!("call_{turn}");
    let arguments = format!(r#"{{"order_id":"A{turn}"}}"#);
    let Reply::Stream { mut steps, abort } =
        Reply::tool_calls(&[], &[(id.as_str(), "get_order", arguments.as_str())])
    else {
        unreachable!("tool_calls is a stream")
    };
    steps.insert(1, Step::Sleep(THINK));
    steps.push(Step::Mark(turn));
    Reply::Stream { steps, abort }
}

async fn turn(http: &reqwest::Client, url: &str, n: usize) -> bool {
    let request = signed_message(
        http,
        url,
        &format!("tools-{n}"),
        &format!("t{n}"),
        &format!("Order {n}, please."),
    );
    let Ok(response) = request.send().await else {
        return false;
    };
    response
        .text()
        .await
        .is_ok_and(|text| text.contains("It ships tomorrow.") && text.contains("response.end"))
}

fn percentiles(mut micros: Vec<f64>) -> String {
    if micros.is_empty() {
        return "-".into();
    }
    micros.sort_by(f64::total_cmp);
    let at = |q: f64| micros[((micros.len() - 1) as f64 * q).round() as usize];
    format!(
        "{:.0}/{:.0}/{:.0}",
        at(0.5),
        at(0.99),
        micros[micros.len() - 1]
    )
}

async fn run() {
    let model = FakeUpstream::start().await;
    model.set_responder(Arc::new(model_reply));
    let tools = FakeUpstream::start().await;
    tools.set_default(Reply::plain(
        200,
        r#"{"status":"shipped","eta":"tomorrow"}"#,
        Duration::ZERO,
    ));
    let dir = std::env::temp_dir().join(format!("voicebridge-bench-tools-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let tool = format!(
        "description = \"Look up an order.\"\nurl = \"{}/orders/{{order_id}}\"\n\
         [parameters]\ntype = \"object\"\nrequired = [\"order_id\"]\n\
         [parameters.properties.order_id]\ntype = \"string\"\n",
        tools.base_url.trim_end_matches("/v1")
    );
    std::fs::write(dir.join("get_order.toml"), tool).expect("tool file");
    let server = start_server(&model, &[("TOOLS_DIR", dir.to_str().expect("utf-8"))]).await;
    let server_pid = server.child.id().to_string();
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(10_000)
        .build()
        .expect("client");

    println!("voicebridge release binary; one tool round per turn (model → tool → model), fake tool answers at once\n");
    println!(
        "{:<34} {:>6} {:>24} {:>24} {:>7} {:>9}",
        "",
        "turns",
        "model → tool p50/p99/max µs",
        "tool → model p50/p99/max µs",
        "errors",
        "CPU s"
    );
    let mut next = 0;
    for (per_second, count) in [(5usize, 100usize), (100, 400), (1000, 2000)] {
        let cpu = cpu_seconds(&server_pid);
        let numbers: Vec<usize> = (next..next + count).collect();
        next += count;
        let started = Instant::now();
        let interval = Duration::from_secs(1) / per_second as u32;
        let tasks: Vec<_> = numbers
            .iter()
            .enumerate()
            .map(|(i, n)| {
                let (http, url, n) = (http.clone(), server.url.clone(), *n);
                let at = started + interval * i as u32;
                tokio::spawn(async move {
                    tokio::time::sleep_until(at.into()).await;
                    turn(&http, &url, n).await
                })
            })
            .collect();
        let results = futures_util::future::join_all(tasks).await;
        let errors = results.iter().filter(|ok| !matches!(ok, Ok(true))).count();
        let done: HashMap<usize, Instant> = model.marks().into_iter().collect();
        let called: HashMap<usize, Instant> = tools
            .requests()
            .into_iter()
            .filter_map(|r| Some((number_after(&r.path, "/orders/A")?, r.at)))
            .collect();
        let followed: HashMap<usize, Instant> = model
            .requests()
            .into_iter()
            .filter_map(|r| {
                let last = r.body["messages"].as_array()?.last()?.clone();
                let id = last["tool_call_id"].as_str()?.to_string();
                Some((number_after(&id, "call_")?, r.at))
            })
            .collect();
        let micros = |from: &HashMap<usize, Instant>, to: &HashMap<usize, Instant>| {
            numbers
                .iter()
                .filter_map(|n| Some(to.get(n)?.saturating_duration_since(*from.get(n)?)))
                .map(|d| d.as_secs_f64() * 1e6)
                .collect::<Vec<f64>>()
        };
        println!(
            "{:<34} {:>6} {:>24} {:>24} {:>7} {:>9.2}",
            format!(
                "{per_second:>4} turns/s (~{:.0} in flight)",
                per_second as f64 * THINK.as_secs_f64()
            ),
            numbers.len(),
            percentiles(micros(&done, &called)),
            percentiles(micros(&called, &followed)),
            errors,
            cpu_seconds(&server_pid) - cpu,
        );
    }

    // The floor: one HTTP request from this process to the same fake, at the same sizes.
    let url = format!("{}/orders/A1", tools.base_url.trim_end_matches("/v1"));
    let mut micros = Vec::new();
    for _ in 0..200 {
        let before = tools.requests().len();
        let sent = Instant::now();
        let _ = http
            .get(&url)
            .send()
            .await
            .and_then(|r| r.error_for_status());
        if let Some(at) = tools.requests().get(before).map(|r| r.at) {
            micros.push(at.saturating_duration_since(sent).as_secs_f64() * 1e6);
        }
    }
    println!(
        "{:<34} {:>6} {:>24}",
        "one HTTP request (client → fake)",
        micros.len(),
        percentiles(micros)
    );
    println!(
        "\nserver peak RSS (VmHWM): {:.1} MiB",
        server.memory_kib("VmHWM:") as f64 / 1024.0
    );
    let _ = std::fs::remove_dir_all(&dir);
}
