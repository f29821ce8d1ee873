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

#[path = "../tests/api/helpers/fake_upstream.rs"]
#[allow(dead_code)]
mod fake_upstream;
#[path = "support/mod.rs"]
mod support;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use fake_upstream::{FakeUpstream, Reply};
use support::{
    cpu_seconds, http_floor, intervals, number_after, percentiles, signed_message, start_server,
    tool_results_received, ToolRound,
};

/// How long the fake model streams before its tool call is complete.
const THINK: Duration = Duration::from_millis(200);

fn main() {
    support::block_on(run());
}

const ROUND: ToolRound = ToolRound {
    asks: "Order ",
    tool: "get_order",
    arguments: |turn| format!(r#"{{"order_id":"A{turn}"}}"#),
    think: THINK,
    answer: "It ships tomorrow.",
};

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

async fn run() {
    let model = FakeUpstream::start().await;
    model.set_responder(Arc::new(|request| ROUND.reply(request)));
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
        let followed = tool_results_received(&model);
        println!(
            "{:<34} {:>6} {:>24} {:>24} {:>7} {:>9.2}",
            format!(
                "{per_second:>4} turns/s (~{:.0} in flight)",
                per_second as f64 * THINK.as_secs_f64()
            ),
            numbers.len(),
            percentiles(intervals(&numbers, &done, &called), &[0.5, 0.99]),
            percentiles(intervals(&numbers, &called, &followed), &[0.5, 0.99]),
            errors,
            cpu_seconds(&server_pid) - cpu,
        );
    }

    // The floor: one HTTP request from this process to the same fake, at the same sizes.
    let url = format!("{}/orders/A1", tools.base_url.trim_end_matches("/v1"));
    let micros = http_floor(&http, &tools, &url, 200).await;
    println!(
        "{:<34} {:>6} {:>24}",
        "one HTTP request (client → fake)",
        micros.len(),
        percentiles(micros, &[0.5, 0.99])
    );
    println!(
        "\nserver peak RSS (VmHWM): {:.1} MiB",
        server.memory_kib("VmHWM:") as f64 / 1024.0
    );
    let _ = std::fs::remove_dir_all(&dir);
}
