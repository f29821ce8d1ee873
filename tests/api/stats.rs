//! `GET /api/stats`: day-by-day figures of seeded calls, checked against figures the test
//! computes itself from the same records, on SQLite and PostgreSQL.

use serde_json::Value;

use crate::helpers::db::{sqlite_url, Postgres};
use crate::helpers::*;
use voicebridge::records::{CallKey, CallStore, CallerRecord, Record, ToolRecord, TurnRecord};

const ADMIN: &str = "admin-token-for-stats-0123";
const DAY_MS: i64 = 86_400_000;

/// A message turn `n` of `call` at `at_ms`, with figures that vary with `n`.
fn turn(call: &CallKey, n: i64, at_ms: i64) -> TurnRecord {
    TurnRecord {
        call: call.clone(),
        turn_id: format!("t{n}"),
        at_ms,
        event: "message".into(),
        user_text: format!("question {n}"),
        agent_text: format!("answer {n}"),
        interrupted: n % 3 == 0,
        outcome: match n % 5 {
            0 => "failed".into(),
            _ if n % 3 == 0 => "interrupted".into(),
            _ => "completed".into(),
        },
        model: Some("test-model".into()),
        attempts: 1,
        first_token_ms: Some(100),
        first_tts_ms: Some(200 + 40 * n as u64),
        total_ms: Some(900),
        prompt_tokens: Some(1_000 + n as u64),
        completion_tokens: Some(20),
        tools: if n % 2 == 0 {
            vec![ToolRecord {
                name: "get_order".into(),
                arguments: "{}".into(),
                outcome: if n % 4 == 0 {
                    "ok".into()
                } else {
                    "timeout".into()
                },
                ms: Some(80),
                result: None,
            }]
        } else {
            Vec::new()
        },
        caller: CallerRecord::default(),
        without_history: false,
        door: "layercode".into(),
        trace_id: None,
        knowledge: Vec::new(),
        cached_tokens: Some(100 * n as u64),
        cost_usd: Some(0.001 * n as f64),
        record_content: None,
        redactions: None,
    }
}

async fn stats_of(store_url: &str) {
    let store = CallStore::connect(store_url).await.expect("opens");
    let now_ms = jiff::Timestamp::now().as_millisecond();
    let today = now_ms.div_euclid(DAY_MS) * DAY_MS;
    // Two calls today, one yesterday, one long before the period.
    let calls = [
        ("c1", today + 1_000, 1..=4),
        ("c2", today + 2_000, 5..=6),
        ("c3", today - DAY_MS + 1_000, 7..=9),
        ("old", today - 30 * DAY_MS, 10..=10),
    ];
    let mut seeded = Vec::new();
    for (id, start, turns) in calls {
        let call = CallKey {
            agent: "default".into(),
            conversation_id: id.into(),
        };
        for n in turns {
            let record = turn(&call, n, start + n * 10);
            store
                .write(&Record::Turn(record.clone()))
                .await
                .expect("written");
            seeded.push(record);
        }
        if id != "old" {
            let met = id == "c1";
            let analysis = serde_json::json!({"success": met, "success_reason": "seeded"});
            store
                .set_analysis(&call, &analysis, Some(met))
                .await
                .expect("analysed");
        }
    }
    let app = spawn_app_with(&[("CALL_STORE_URL", store_url), ("ADMIN_TOKEN", ADMIN)]).await;
    let response = app
        .http
        .get(format!("{}/api/stats?days=2", app.address))
        .bearer_auth(ADMIN)
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 200);
    let stats: Value = response.json().await.expect("json");

    // The same figures, computed here from the records seeded in the period.
    let period: Vec<&TurnRecord> = seeded
        .iter()
        .filter(|t| t.at_ms >= today - DAY_MS)
        .collect();
    let on = |day: i64| {
        period
            .iter()
            .filter(move |t| t.at_ms.div_euclid(DAY_MS) * DAY_MS == day)
    };
    let days = stats["days"].as_array().expect("days");
    assert_eq!(days.len(), 2, "{stats}");
    for (figures, day) in days.iter().zip([today - DAY_MS, today]) {
        let turns: Vec<&&TurnRecord> = on(day).collect();
        assert_eq!(figures["turns"], turns.len(), "{figures}");
        let failed = turns.iter().filter(|t| t.outcome == "failed").count();
        assert_eq!(figures["failed_turns"], failed, "{figures}");
        let interrupted = turns.iter().filter(|t| t.interrupted).count();
        assert_eq!(figures["interrupted_turns"], interrupted, "{figures}");
        let prompt: u64 = turns.iter().filter_map(|t| t.prompt_tokens).sum();
        assert_eq!(figures["prompt_tokens"], prompt, "{figures}");
        let cost: f64 = turns.iter().filter_map(|t| t.cost_usd).sum();
        assert!(
            (figures["cost_usd"].as_f64().expect("cost") - cost).abs() < 1e-9,
            "{figures}"
        );
        // The median first audio, to the upper edge of its 50 ms bin.
        let mut audio: Vec<u64> = turns.iter().filter_map(|t| t.first_tts_ms).collect();
        audio.sort_unstable();
        let median = audio[audio.len().div_ceil(2) - 1];
        assert_eq!(
            figures["first_audio_p50_ms"],
            (median / 50 + 1) * 50,
            "{figures}"
        );
    }
    assert_eq!(days[1]["calls"], 2);
    assert_eq!(days[0]["calls"], 1);
    assert_eq!(stats["total"]["analysed"], 3);
    assert_eq!(stats["total"]["succeeded"], 1);
    let prompt: u64 = period.iter().filter_map(|t| t.prompt_tokens).sum();
    let cached: u64 = period.iter().filter_map(|t| t.cached_tokens).sum();
    let rate = stats["cache_hit_rate"].as_f64().expect("a rate");
    assert!(
        (rate - cached as f64 / prompt as f64).abs() < 1e-9,
        "{stats}"
    );
    // Tool calls by tool and outcome: turns 2, 4, 6 and 8 made one each.
    let tools = stats["tools"].as_array().expect("tools");
    let count = |outcome: &str| {
        tools
            .iter()
            .find(|t| t["tool"] == "get_order" && t["outcome"] == outcome)
            .map_or(0, |t| t["calls"].as_u64().unwrap_or(0))
    };
    let made = |want: &str| {
        period
            .iter()
            .flat_map(|t| &t.tools)
            .filter(|c| c.outcome == want)
            .count() as u64
    };
    assert_eq!(
        (count("ok"), count("timeout")),
        (made("ok"), made("timeout"))
    );
    // By hour: every hour of today and yesterday, the same turns in all.
    let hourly: Value = app
        .http
        .get(format!("{}/api/stats?days=2&bucket=hour", app.address))
        .bearer_auth(ADMIN)
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    let hours = hourly["days"].as_array().expect("hours");
    let elapsed_today = (now_ms - today) / 3_600_000 + 1;
    assert_eq!(hours.len() as i64, 24 + elapsed_today, "{hourly}");
    let turns: u64 = hours.iter().filter_map(|h| h["turns"].as_u64()).sum();
    assert_eq!(turns, period.len() as u64);
    assert_eq!(hourly["total"]["turns"], stats["total"]["turns"]);
    assert!(hours[0]["day"]
        .as_str()
        .expect("a label")
        .ends_with(" 00:00"));
    // Without the token: 401.
    let refused = app
        .http
        .get(format!("{}/api/stats", app.address))
        .send()
        .await
        .expect("sent");
    assert_eq!(refused.status(), 401);
}

#[tokio::test]
async fn stats_add_up_on_sqlite() {
    stats_of(&sqlite_url("stats")).await;
}

#[tokio::test]
async fn stats_add_up_on_postgres() {
    let db = Postgres::create("stats").await;
    stats_of(&db.url).await;
}
