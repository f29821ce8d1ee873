//! A call's records written and read back: every kind of record, and a turn delivered
//! twice.

use serde_json::{json, Map};

use super::{get, key, map, put, turn, without_caller};
use crate::records::record::{CallerRecord, Record, ToolRecord};
use crate::records::store::{CallStore, CallSummary};

pub(super) async fn a_whole_call_comes_back_as_it_happened(store: &CallStore) {
    let call = key("reception", "conv-1");
    let caller = CallerRecord {
        metadata: map(json!({"name": "Ada", "plan": "gold"})),
        from_phone_number: Some("+15550001".to_string()),
        to_phone_number: Some("+15559999".to_string()),
    };
    let mut welcome = turn(&call, "w0", 1_000);
    welcome.event = "session.start".to_string();
    welcome.user_text = String::new();
    welcome.agent_text = "Hello, how can I help?".to_string();
    welcome.first_tts_ms = Some(300);
    welcome.total_ms = Some(800);
    welcome.caller = caller.clone();
    let mut booking = turn(&call, "m1", 2_000);
    booking.user_text = "A table for two, please".to_string();
    booking.agent_text = "Sure, for what time would you like it?".to_string();
    booking.interrupted = true;
    booking.outcome = "interrupted".to_string();
    booking.first_tts_ms = Some(500);
    booking.tools = vec![
        ToolRecord {
            name: "check_availability".to_string(),
            arguments: r#"{"party":2,"note":"window \"seat\""}"#.to_string(),
            outcome: "ok".to_string(),
            ms: Some(120),
            result: Some(r#"{"free":true}"#.to_string()),
        },
        ToolRecord {
            name: "lookup".to_string(),
            arguments: "{}".to_string(),
            outcome: "timeout".to_string(),
            ms: None,
            result: None,
        },
    ];
    booking.caller = caller.clone();
    let mut failure = turn(&call, "m2", 4_000);
    failure.user_text = "Tonight".to_string();
    failure.agent_text = String::new();
    failure.outcome = "failed".to_string();
    failure.model = None;
    failure.attempts = 3;
    failure.first_token_ms = None;
    failure.first_tts_ms = None;
    failure.total_ms = Some(2_000);
    failure.prompt_tokens = None;
    failure.completion_tokens = None;
    failure.cached_tokens = None;
    failure.cost_usd = None;
    // A later webhook without caller context changes nothing of it.

    let report = map(json!({
        "transcript": [
            {"role": "assistant", "text": "Hello, how can I help?"},
            {"role": "user", "text": "A table for two, please"}
        ],
        "duration": 6_000
    }));
    let records = [
        Record::Turn(welcome.clone()),
        Record::Turn(booking.clone()),
        Record::Heard {
            call: call.clone(),
            assistant_turn_id: Some("m1".to_string()),
            text: "Sure, for what".to_string(),
            at_ms: 3_900,
        },
        Record::Turn(failure.clone()),
        Record::SessionEnd {
            call: call.clone(),
            at_ms: 7_000,
            report: report.clone(),
            voice_cost_usd: Some(0.1),
            redactions: None,
        },
        Record::SessionUpdate {
            call: call.clone(),
            at_ms: 9_000,
            recording_status: Some("completed".to_string()),
            recording_url: Some("https://recordings.example/conv-1.mp3".to_string()),
            details: map(json!({"recording_duration": 6.2})),
        },
        // A later update without the fields keeps them.
        Record::SessionUpdate {
            call: call.clone(),
            at_ms: 9_500,
            recording_status: None,
            recording_url: None,
            details: Map::new(),
        },
    ];
    for record in &records {
        store.write(record).await.expect("writes");
    }

    let detail = get(store, &call).await;
    let mut heard = without_caller(booking);
    heard.agent_text = "Sure, for what".to_string();
    assert_eq!(
        detail.turns,
        vec![without_caller(welcome), heard, without_caller(failure)]
    );
    assert_eq!(detail.metadata, caller.metadata);
    assert_eq!(detail.session_report, Some(report));
    assert_eq!(detail.ended_ms, Some(7_000));
    assert_eq!(detail.recording_status.as_deref(), Some("completed"));
    assert_eq!(
        detail.recording_url.as_deref(),
        Some("https://recordings.example/conv-1.mp3")
    );
    assert_eq!(detail.summary_text, None);
    assert_eq!(
        detail.summary,
        CallSummary {
            agent: "reception".to_string(),
            conversation_id: "conv-1".to_string(),
            started_ms: 1_000,
            last_ms: 7_000,
            duration_ms: 6_000,
            turns: 2,
            outcome: "failed".to_string(),
            failed_turns: 1,
            median_first_tts_ms: Some(400),
            preview: Some("A table for two, please".to_string()),
            door: "layercode".to_string(),
            tool_calls: 2,
            prompt_tokens: Some(240),
            completion_tokens: Some(60),
            cached_tokens: Some(40),
            // The two answered turns' tokens and the session's minutes (the failed turn
            // had no model to pay).
            cost_usd: Some(0.000_25 + 0.1),
            voice_cost_usd: Some(0.1),
            success: None,
            from_phone_number: Some("+15550001".to_string()),
            to_phone_number: Some("+15559999".to_string()),
        }
    );
    let json = serde_json::to_value(&detail).expect("serialises");
    assert_eq!(json["conversation_id"], "conv-1");
    assert_eq!(json["turns"][1]["tools"][0]["ms"], 120);
    assert_eq!(json["turns"][1]["tools"][0]["result"], r#"{"free":true}"#);
    assert_eq!(json["turns"][1]["cost_usd"], 0.000_125);
    assert_eq!(json["turns"][1]["cached_tokens"], 20);
    assert_eq!(json["turns"][2]["cost_usd"], serde_json::Value::Null);

    assert_eq!(
        store.get(&key("reception", "nope")).await.expect("reads"),
        None
    );
}

pub(super) async fn a_call_with_an_unpriced_model_has_no_cost(store: &CallStore) {
    let call = key("reception", "conv-unpriced");
    let priced = turn(&call, "m1", 1_000);
    let mut unpriced = turn(&call, "m2", 2_000);
    unpriced.model = Some("a-model-without-a-price".to_string());
    unpriced.cost_usd = None;
    put(store, &priced).await;
    put(store, &unpriced).await;
    let detail = get(store, &call).await;
    assert_eq!(detail.summary.cost_usd, None, "a part is never guessed");
    assert_eq!(detail.turns[0].cost_usd, Some(0.000_125));
    let listed = store
        .list(&crate::records::CallQuery::default())
        .await
        .expect("lists");
    let summary = listed
        .calls
        .iter()
        .find(|c| c.conversation_id == "conv-unpriced")
        .expect("listed");
    assert_eq!(summary.cost_usd, None);
    // Only priced turns: the sum, in the list as on the call.
    let only = key("reception", "conv-priced");
    put(store, &turn(&only, "m1", 1_000)).await;
    put(store, &turn(&only, "m2", 2_000)).await;
    // A reply cut short before its usage came: its tokens are unknown, and add nothing.
    let mut cut = turn(&only, "m3", 3_000);
    (cut.prompt_tokens, cut.completion_tokens, cut.cost_usd) = (None, None, None);
    cut.interrupted = true;
    put(store, &cut).await;
    assert_eq!(get(store, &only).await.summary.cost_usd, Some(0.000_25));
}

pub(super) async fn a_redelivered_turn_replaces_its_row_and_keeps_its_place(store: &CallStore) {
    let call = key("reception", "conv-2");
    put(store, &turn(&call, "m1", 1_000)).await;
    put(store, &turn(&call, "m2", 2_000)).await;
    let mut again = turn(&call, "m1", 1_000);
    again.agent_text = "a better answer".to_string();
    again.caller.from_phone_number = Some("+1777".to_string());
    put(store, &again).await;

    let detail = get(store, &call).await;
    let ids: Vec<&str> = detail.turns.iter().map(|t| t.turn_id.as_str()).collect();
    assert_eq!(ids, ["m1", "m2"]);
    assert_eq!(detail.turns[0].agent_text, "a better answer");
    assert_eq!(detail.summary.turns, 2);
    assert_eq!(detail.summary.from_phone_number.as_deref(), Some("+1777"));

    // Heard without a turn id: the latest turn that has a reply.
    let mut silent = turn(&call, "m3", 3_000);
    silent.agent_text = String::new();
    put(store, &silent).await;
    store
        .write(&Record::Heard {
            call: call.clone(),
            assistant_turn_id: None,
            text: "agent ans".to_string(),
            at_ms: 3_100,
        })
        .await
        .expect("writes");
    let detail = get(store, &call).await;
    let replies: Vec<(&str, bool)> = detail
        .turns
        .iter()
        .map(|t| (t.agent_text.as_str(), t.interrupted))
        .collect();
    assert_eq!(
        replies,
        [("a better answer", false), ("agent ans", true), ("", false)]
    );
    assert_eq!(detail.summary.outcome, "interrupted");

    // Heard for an unknown call or turn does nothing.
    for (call, id) in [
        (key("reception", "unknown"), None),
        (call.clone(), Some("m9")),
    ] {
        store
            .write(&Record::Heard {
                call: call.clone(),
                assistant_turn_id: id.map(str::to_string),
                text: "x".to_string(),
                at_ms: 5_000,
            })
            .await
            .expect("writes");
    }
    assert_eq!(
        store
            .get(&key("reception", "unknown"))
            .await
            .expect("reads"),
        None
    );
    assert_eq!(get(store, &call).await.turns, detail.turns);
}
