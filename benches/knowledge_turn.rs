//! What prefetch adds to a turn (`cargo bench --bench knowledge_turn`): the release binary
//! with the knowledge base off, then with a folder of synthetic Markdown files (10,000
//! passages of about 800 characters; `BENCH_KNOWLEDGE_PASSAGES` to choose) searched before
//! every model request, on the same fake model.
//!
//! For each: the time from sending a webhook to the fake model's receipt of the model
//! request (its body read and parsed), one turn at a time, p50/p99/max over
//! `BENCH_KNOWLEDGE_TURNS` turns (default 300); how many of those requests carried
//! reference notes; and the server's resident memory once started. The two cases run
//! `BENCH_KNOWLEDGE_ROUNDS` times in turn (default 3), so the spread between runs of one
//! case shows beside the difference between cases. Each question is six words of the
//! files' vocabulary, as a caller's words would be.

#![allow(clippy::print_stdout)] // a benchmark reports on stdout

#[path = "../tests/api/helpers/fake_upstream.rs"]
#[allow(dead_code)]
mod fake_upstream;
#[path = "support/mod.rs"]
mod support;
#[path = "support/words.rs"]
mod words;

use std::path::PathBuf;
use std::time::Instant;

use fake_upstream::{FakeUpstream, Reply};
use support::{percentiles, signed_message, start_server};
use words::Words;

fn setting(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    support::block_on(run());
}

/// A folder of Markdown files, 20 sections of about 800 characters each.
fn write_folder(passages: usize) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("voicebridge-bench-kb-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("folder");
    let mut words = Words(0x2545_F491_4F6C_DD1D);
    for file in 0..passages.div_ceil(20) {
        let mut text = String::new();
        for _ in 0..20 {
            text.push_str(&format!("## {} {}\n\n", words.word(), words.word()));
            let mut section = String::new();
            while section.len() < 780 {
                section.push_str(&words.word());
                section.push(' ');
            }
            text.push_str(section.trim_end());
            text.push_str(".\n\n");
        }
        std::fs::write(dir.join(format!("doc{file}.md")), text).expect("write");
    }
    dir
}

async fn run() {
    let passages = setting("BENCH_KNOWLEDGE_PASSAGES", 10_000);
    let turns = setting("BENCH_KNOWLEDGE_TURNS", 300);
    let rounds = setting("BENCH_KNOWLEDGE_ROUNDS", 3);
    let folder = write_folder(passages);
    let folder_text = folder.to_str().expect("utf-8").to_string();
    let model = FakeUpstream::start().await;
    model.set_default(Reply::deltas(&["Okay."]));
    println!("{passages} passages, {turns} turns one at a time per case");
    println!(
        "{:>6} {:>9} {:>36} {:>10} {:>9}",
        "round", "knowledge", "webhook → model request µs p50/p99/max", "with notes", "RSS MiB"
    );
    let mut words = Words(0x9E37_79B9_7F4A_7C15);
    for round in 1..=rounds {
        for (label, extra) in [
            ("off", vec![("KNOWLEDGE_MODE", "off")]),
            ("prefetch", vec![("KNOWLEDGE_DIR", folder_text.as_str())]),
        ] {
            let server = start_server(&model, &extra).await;
            let rss = server.memory_kib("VmRSS:") as f64 / 1024.0;
            let http = reqwest::Client::new();
            let mut micros = Vec::with_capacity(turns);
            let mut with_notes = 0;
            for n in 0..turns {
                let question = format!(
                    "q{round}{label}{n} {}",
                    (0..6).map(|_| words.word()).collect::<Vec<_>>().join(" ")
                );
                let sent = Instant::now();
                let request = signed_message(
                    &http,
                    &server.url,
                    &format!("kb-{round}-{label}-{n}"),
                    "t1",
                    &question,
                );
                let Ok(response) = request.send().await else {
                    continue;
                };
                let _ = response.bytes().await;
                let requests = model.requests();
                let Some(asked) = requests.iter().rev().find(|r| {
                    r.messages()
                        .last()
                        .is_some_and(|(role, text)| role == "user" && *text == question)
                }) else {
                    continue;
                };
                micros.push(asked.at.duration_since(sent).as_secs_f64() * 1e6);
                if asked.messages()[0].1.contains("## Reference notes") {
                    with_notes += 1;
                }
            }
            println!(
                "{round:>6} {label:>9} {:>36} {:>10} {rss:>9.0}",
                percentiles(micros, &[0.5, 0.99]),
                format!("{with_notes}/{turns}"),
            );
        }
    }
    let _ = std::fs::remove_dir_all(&folder);
}
