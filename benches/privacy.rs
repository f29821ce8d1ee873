//! What redaction costs per turn (`cargo bench --bench privacy`): the call-record
//! writer's work on one turn's record under `RECORD_CONTENT=redacted` (the caller's words,
//! the reply, one tool call's arguments and result, the caller's metadata), for a turn
//! without personal data, a typical turn with some, and a long reply; and `full` beside
//! them. Also the detectors alone per kilobyte of text.
//!
//! Prints p50/p99/max per turn in microseconds over `BENCH_PRIVACY_RUNS` turns (default
//! 20,000) after a warm-up. One core, no other load assumed; run it twice to see the
//! spread.

#![allow(clippy::print_stdout)] // a benchmark reports on stdout

use std::collections::HashMap;
use std::hint::black_box;
use std::time::Instant;

use serde_json::json;
use voicebridge::privacy::{Policy, RecordContent, Redactor};
use voicebridge::records::{CallKey, CallerRecord, Record, Redaction, ToolRecord, TurnRecord};

const PLAIN_USER: &str = "Hi, I'd like to move my appointment to next Tuesday afternoon, \
    if there is still a slot around three.";
const PLAIN_AGENT: &str = "Of course. I've moved your appointment to Tuesday, December 15 at \
    3 pm with Dr. Smith. Is there anything else I can help with?";
const PII_USER: &str = "Hi, I'd like to move my appointment to next Tuesday at 3 pm. My date \
    of birth is 03/04/1985 and you can call me on five five five, one two three, four five six \
    seven, or write to john dot smith at example dot com.";
const PII_AGENT: &str = "Thanks! I've moved your appointment to Tuesday, December 15 at 3 pm. \
    We'll text a confirmation to 555-123-4567. Is there anything else I can help with?";

fn record(user: &str, agent: &str, n: usize) -> Record {
    let mut metadata = serde_json::Map::new();
    metadata.insert("name".into(), json!("Ana"));
    metadata.insert("plan".into(), json!("gold"));
    Record::Turn(TurnRecord {
        call: CallKey {
            agent: "clinic".into(),
            conversation_id: format!("c{}", n % 1000),
        },
        turn_id: format!("t{n}"),
        at_ms: 0,
        event: "message".into(),
        user_text: user.into(),
        agent_text: agent.into(),
        interrupted: false,
        outcome: "completed".into(),
        model: Some("gpt-4o-mini".into()),
        attempts: 1,
        first_token_ms: Some(300),
        first_tts_ms: Some(420),
        total_ms: Some(1800),
        prompt_tokens: Some(900),
        completion_tokens: Some(60),
        tools: vec![ToolRecord {
            name: "move_appointment".into(),
            arguments: r#"{"patient_phone":"5551234567","slot":"2026-12-15T15:00"}"#.into(),
            outcome: "ok".into(),
            ms: Some(80),
            result: Some(
                r#"{"ok":true,"slot":"2026-12-15T15:00","confirmation":"A17-2290"}"#.into(),
            ),
        }],
        caller: CallerRecord {
            metadata,
            from_phone_number: Some("+15550100100".into()),
            to_phone_number: None,
        },
        without_history: false,
        door: "layercode".into(),
        trace_id: None,
        knowledge: Vec::new(),
        cached_tokens: None,
        cost_usd: None,
        record_content: None,
        redactions: None,
    })
}

fn runs() -> usize {
    std::env::var("BENCH_PRIVACY_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_000)
}

fn redaction(content: RecordContent) -> Redaction {
    let policy = Policy {
        content,
        ..Policy::default()
    };
    Redaction::new(
        HashMap::from([("clinic".to_string(), policy)]),
        Policy::default(),
    )
}

/// Per-turn times in microseconds, sorted.
fn per_turn(content: RecordContent, user: &str, agent: &str) -> Vec<f64> {
    let mut redaction = redaction(content);
    let runs = runs();
    let records: Vec<Record> = (0..runs + 1000).map(|n| record(user, agent, n)).collect();
    let mut times = Vec::with_capacity(runs);
    for (n, mut record) in records.into_iter().enumerate() {
        let start = Instant::now();
        redaction.apply(&mut record);
        let elapsed = start.elapsed().as_secs_f64() * 1e6;
        black_box(&record);
        if n >= 1000 {
            times.push(elapsed);
        }
    }
    times.sort_by(f64::total_cmp);
    times
}

fn quantile(sorted: &[f64], q: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * q).round() as usize]
}

fn main() {
    let long_agent = PII_AGENT.repeat(12);
    let cases: [(&str, RecordContent, &str, &str); 5] = [
        ("full (as before)", RecordContent::Full, PII_USER, PII_AGENT),
        (
            "redacted, no personal data",
            RecordContent::Redacted,
            PLAIN_USER,
            PLAIN_AGENT,
        ),
        (
            "redacted, typical turn",
            RecordContent::Redacted,
            PII_USER,
            PII_AGENT,
        ),
        (
            "redacted, 2 KB reply",
            RecordContent::Redacted,
            PII_USER,
            &long_agent,
        ),
        ("none", RecordContent::None, PII_USER, PII_AGENT),
    ];
    println!(
        "== one turn's record through the writer's redaction ({} turns each)",
        runs()
    );
    println!(
        "{:<30}{:>8}{:>10}{:>10}{:>10}",
        "case", "bytes", "p50 µs", "p99 µs", "max µs"
    );
    for (name, content, user, agent) in cases {
        let times = per_turn(content, user, agent);
        let bytes = user.len() + agent.len() + 140;
        println!(
            "{name:<30}{bytes:>8}{:>10.2}{:>10.2}{:>10.2}",
            quantile(&times, 0.5),
            quantile(&times, 0.99),
            times[times.len() - 1]
        );
    }
    let redactor = Redactor::default();
    let text = format!("{PII_USER} {PLAIN_AGENT} ").repeat(4);
    let kb = text.len() as f64 / 1024.0;
    let best = (0..2000)
        .map(|_| {
            let start = Instant::now();
            black_box(redactor.find(black_box(&text)));
            start.elapsed().as_secs_f64() * 1e6
        })
        .fold(f64::MAX, f64::min);
    println!(
        "== the detectors alone: {:.2} µs per KB (best of 2000, {kb:.1} KB of mixed text)",
        best / kb
    );
}
