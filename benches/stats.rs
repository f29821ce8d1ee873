//! The calls overview over many turns (`cargo bench --bench stats`): a call store seeded
//! with `BENCH_STATS_TURNS` turns (default 1,000,000: 100,000 calls of 10 turns over the
//! last 30 days, one turn in ten with a tool call) on SQLite (a file) and on the
//! PostgreSQL at `BENCH_POSTGRES_URL` (default `postgres://postgres@127.0.0.1:5432`, a
//! database of its own, dropped afterwards), then `CallStore::stats` for the last 7 and
//! 30 days, `BENCH_STATS_RUNS` times each (default 20).
//!
//! Prints per backend and period the time of one overview, p50/p99/max, and the seeding
//! time. The rows are inserted by the database itself (a recursive CTE on SQLite,
//! `generate_series` on PostgreSQL), after the schema's migrations have run.

#![allow(clippy::print_stdout)] // a benchmark reports on stdout

use std::time::Instant;

use sqlx::Connection;
use voicebridge::records::{CallStore, StatsQuery};

const DAY_MS: i64 = 86_400_000;

fn setting(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The rows, as one statement per table; `{series}` is the backend's numbers 0..n.
fn seed_sql(turns: usize, now_ms: i64, postgres: bool) -> [String; 2] {
    let calls = turns.div_ceil(10);
    let (series, last) = if postgres {
        (
            "generate_series(0::bigint, {n}) AS s(i)".to_string(),
            String::new(),
        )
    } else {
        (
            "n AS s".to_string(),
            "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < {n}) "
                .to_string(),
        )
    };
    let bool_of = |test: &str| {
        if postgres {
            format!("({test})")
        } else {
            format!("CASE WHEN {test} THEN 1 ELSE 0 END")
        }
    };
    let calls_sql = format!(
        "{with}INSERT INTO calls (agent, conversation_id, started_ms, last_ms, success) \
         SELECT 'default', 'c' || i, {now_ms} - (i % 30) * {DAY_MS} - 60000, \
         {now_ms} - (i % 30) * {DAY_MS}, {success} FROM {from}",
        with = last.replace("{n}", &(calls - 1).to_string()),
        from = series.replace("{n}", &(calls - 1).to_string()),
        success = bool_of("i % 4 <> 0"),
    );
    let tool = r#"[{"name":"get_order","arguments":"{}","outcome":"ok","ms":80,"result":null}]"#;
    let turns_sql = format!(
        "{with}INSERT INTO turns (agent, conversation_id, turn_id, seq, at_ms, event, \
         interrupted, outcome, model, first_tts_ms, prompt_tokens, completion_tokens, \
         cached_tokens, cost_usd, tools, tool_calls) \
         SELECT 'default', 'c' || (i / 10), 't' || (i % 10), i % 10, \
         {now_ms} - ((i / 10) % 30) * {DAY_MS} - 60000 + (i % 10) * 1000, 'message', \
         {interrupted}, CASE WHEN i % 20 = 0 THEN 'failed' ELSE 'completed' END, \
         'gpt-4o-mini', 200 + i % 500, 1000, 40, (i % 3) * 100, (i % 100) * 0.0001, \
         CASE WHEN i % 10 = 0 THEN '{tool}' ELSE '[]' END, \
         CASE WHEN i % 10 = 0 THEN 1 ELSE 0 END FROM {from}",
        with = last.replace("{n}", &(turns - 1).to_string()),
        from = series.replace("{n}", &(turns - 1).to_string()),
        interrupted = bool_of("i % 7 = 0"),
    );
    [calls_sql, turns_sql]
}

async fn time_overviews(store: &CallStore, now_ms: i64, runs: usize, label: &str) {
    for days in [7, 30] {
        let query = StatsQuery {
            agent: None,
            days: Some(days),
            bucket: None,
        };
        let mut micros = Vec::with_capacity(runs);
        let mut turns = 0;
        for _ in 0..runs {
            let started = Instant::now();
            let stats = store.stats(&query, now_ms).await.expect("stats");
            micros.push(started.elapsed().as_secs_f64() * 1e3);
            turns = stats.total.turns;
        }
        micros.sort_by(f64::total_cmp);
        let at = |q: f64| micros[((micros.len() - 1) as f64 * q).round() as usize];
        println!(
            "{label:>10} {days:>5} {turns:>10} {:>24}",
            format!("{:.0}/{:.0}/{:.0}", at(0.5), at(0.99), at(1.0))
        );
    }
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(run());
}

async fn run() {
    let turns = setting("BENCH_STATS_TURNS", 1_000_000);
    let runs = setting("BENCH_STATS_RUNS", 20);
    // Midday, so every seeded turn of "today" is in the past.
    let now_ms = jiff::Timestamp::now().as_millisecond().div_euclid(DAY_MS) * DAY_MS + DAY_MS / 2;
    println!("{turns} turns over 30 days; one overview, {runs} runs per line");
    println!(
        "{:>10} {:>5} {:>10} {:>24}",
        "backend", "days", "turns", "overview ms p50/p99/max"
    );

    let dir = std::env::temp_dir().join(format!("voicebridge-bench-stats-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("folder");
    let url = format!("sqlite://{}/calls.db", dir.display());
    let store = CallStore::connect(&url).await.expect("SQLite store");
    let started = Instant::now();
    let mut sqlite = sqlx::SqliteConnection::connect(&url)
        .await
        .expect("connect");
    for sql in seed_sql(turns, now_ms, false) {
        sqlx::query(&sql)
            .execute(&mut sqlite)
            .await
            .expect("seed SQLite");
    }
    sqlite.close().await.expect("close");
    println!(
        "{:>10} seeded in {:.1} s",
        "sqlite",
        started.elapsed().as_secs_f64()
    );
    time_overviews(&store, now_ms, runs, "sqlite").await;
    let _ = std::fs::remove_dir_all(&dir);

    let base = std::env::var("BENCH_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into());
    let name = format!("vb_bench_stats_{}", std::process::id());
    let mut admin = match sqlx::PgConnection::connect(&format!("{base}/postgres")).await {
        Ok(admin) => admin,
        Err(error) => {
            println!("{:>10} skipped: {error}", "postgres");
            return;
        }
    };
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut admin)
        .await
        .expect("create database");
    let url = format!("{base}/{name}");
    let store = CallStore::connect(&url).await.expect("PostgreSQL store");
    let started = Instant::now();
    let mut postgres = sqlx::PgConnection::connect(&url).await.expect("connect");
    for sql in seed_sql(turns, now_ms, true) {
        sqlx::query(&sql)
            .execute(&mut postgres)
            .await
            .expect("seed PostgreSQL");
    }
    // What autovacuum does to a table that has settled: visibility map and statistics.
    sqlx::query("VACUUM ANALYZE")
        .execute(&mut postgres)
        .await
        .expect("vacuum");
    postgres.close().await.expect("close");
    println!(
        "{:>10} seeded in {:.1} s",
        "postgres",
        started.elapsed().as_secs_f64()
    );
    time_overviews(&store, now_ms, runs, "postgres").await;
    drop(store);
    let _ = sqlx::query(&format!("DROP DATABASE {name} WITH (FORCE)"))
        .execute(&mut admin)
        .await;
}
