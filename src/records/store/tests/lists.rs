//! Lists of calls (filters, pages by time and by cursor), their summaries, and
//! deletions.

use serde_json::Map;

use super::{get, key, put, turn};
use crate::records::record::{Record, ToolRecord};
use crate::records::store::{CallPage, CallQuery, CallStore};

pub(super) async fn lists_filter_by_text_phone_and_agent_and_page_by_time(store: &CallStore) {
    let calls = [
        (
            "reception",
            "c1",
            1_000,
            "I want a TABLE by the window",
            "+15550101",
        ),
        (
            "reception",
            "c2",
            2_000,
            "what are your opening hours",
            "+15550202",
        ),
        ("sales", "c3", 3_000, "a table for 50% off?", "+4420300"),
        ("sales", "c4", 4_000, "nothing to see", "+15550404"),
        ("reception", "c5", 5_000, "a tablet, maybe", "+33100"),
    ];
    for (agent, id, at, said, phone) in calls {
        let mut record = turn(&key(agent, id), "m1", at);
        record.user_text = said.to_string();
        record.caller.from_phone_number = Some(phone.to_string());
        record.caller.to_phone_number = Some("+18009990000".to_string());
        put(store, &record).await;
    }
    let ids = |page: &CallPage| -> Vec<String> {
        page.calls
            .iter()
            .map(|c| c.conversation_id.clone())
            .collect()
    };
    let list = |query: CallQuery| async move { store.list(&query).await.expect("lists") };

    let all = list(CallQuery::default()).await;
    assert_eq!(ids(&all), ["c5", "c4", "c3", "c2", "c1"]);
    assert_eq!(all.next_before_ms, None);

    let text = |t: &str| CallQuery {
        text: Some(t.to_string()),
        ..CallQuery::default()
    };
    assert_eq!(ids(&list(text("table")).await), ["c5", "c3", "c1"]);
    assert_eq!(ids(&list(text("TaBlE BY")).await), ["c1"]);
    assert_eq!(ids(&list(text("50%")).await), ["c3"]);
    assert_eq!(ids(&list(text("0%")).await), ["c3"]);
    assert_eq!(ids(&list(text("_")).await), Vec::<String>::new());
    // The agent's words are searched too.
    assert_eq!(ids(&list(text("ANSWERS")).await).len(), 5);

    let phone = |p: &str| CallQuery {
        phone: Some(p.to_string()),
        ..CallQuery::default()
    };
    assert_eq!(ids(&list(phone("555")).await), ["c4", "c2", "c1"]);
    assert_eq!(ids(&list(phone("+44")).await), ["c3"]);
    assert_eq!(ids(&list(phone("18009990000")).await).len(), 5);

    let agent = |a: &str| CallQuery {
        agent: Some(a.to_string()),
        ..CallQuery::default()
    };
    assert_eq!(ids(&list(agent("sales")).await), ["c4", "c3"]);
    assert_eq!(ids(&list(agent("sale")).await), Vec::<String>::new());

    let combined = CallQuery {
        text: Some("table".to_string()),
        agent: Some("reception".to_string()),
        ..CallQuery::default()
    };
    assert_eq!(ids(&list(combined).await), ["c5", "c1"]);

    let first = list(CallQuery {
        limit: Some(2),
        ..CallQuery::default()
    })
    .await;
    assert_eq!(ids(&first), ["c5", "c4"]);
    assert_eq!(first.next_before_ms, Some(4_000));
    let second = list(CallQuery {
        limit: Some(2),
        before_ms: first.next_before_ms,
        ..CallQuery::default()
    })
    .await;
    assert_eq!(ids(&second), ["c3", "c2"]);
    let third = list(CallQuery {
        limit: Some(2),
        before_ms: second.next_before_ms,
        ..CallQuery::default()
    })
    .await;
    assert_eq!(ids(&third), ["c1"]);
    assert_eq!(third.next_before_ms, None);
    assert_eq!(third.next_cursor, None);

    // Limits are kept within 1..=200.
    let one = list(CallQuery {
        limit: Some(0),
        ..CallQuery::default()
    })
    .await;
    assert_eq!(ids(&one), ["c5"]);
    let most = list(CallQuery {
        limit: Some(10_000),
        ..CallQuery::default()
    })
    .await;
    assert_eq!(most.calls.len(), 5);
}

pub(super) async fn summaries_give_outcome_median_and_duration(store: &CallStore) {
    // Completed although one turn failed (the call went on): four turns, median of 400,
    // 100, 400, 900 is 400; duration to the end of the last turn (3_000 + 1_000 - 1_000).
    let done = key("a", "done");
    let mut welcome = turn(&done, "w", 1_000);
    welcome.event = "session.start".to_string();
    welcome.first_tts_ms = Some(100);
    put(store, &welcome).await;
    // The preview is the first message's beginning: 200 characters, counted as
    // characters (not bytes) by both databases.
    let mut first = turn(&done, "m1", 2_000);
    first.user_text = format!("  {}", "é".repeat(300));
    put(store, &first).await;
    let mut failed = turn(&done, "m2", 2_500);
    failed.outcome = "failed".to_string();
    put(store, &failed).await;
    let mut last = turn(&done, "m3", 3_000);
    last.first_tts_ms = Some(900);
    let tool = |name: &str| ToolRecord {
        name: name.to_string(),
        arguments: "{}".to_string(),
        outcome: "ok".to_string(),
        ms: Some(5),
        result: Some("{}".to_string()),
    };
    last.tools = vec![tool("find"), tool("book")];
    put(store, &last).await;

    // Interrupted, no speech at all, no session end.
    let cut = key("a", "cut");
    let mut only = turn(&cut, "m1", 10_000);
    only.prompt_tokens = None;
    only.completion_tokens = None;
    only.first_tts_ms = None;
    only.total_ms = None;
    only.interrupted = true;
    put(store, &only).await;

    // Only a session end: the call exists, with no turns.
    let bare = key("a", "bare");
    store
        .write(&Record::SessionEnd {
            call: bare.clone(),
            at_ms: 20_000,
            report: Map::new(),
            voice_cost_usd: None,
            redactions: None,
        })
        .await
        .expect("writes");

    let page = store.list(&CallQuery::default()).await.expect("lists");
    let by_id = |id: &str| {
        page.calls
            .iter()
            .find(|c| c.conversation_id == id)
            .cloned()
            .expect("listed")
    };
    let summary = by_id("done");
    assert_eq!(
        (
            summary.turns,
            summary.outcome.as_str(),
            summary.median_first_tts_ms
        ),
        (3, "completed", Some(400))
    );
    assert_eq!(summary.failed_turns, 1);
    assert_eq!(summary.preview, Some("é".repeat(198)));
    assert_eq!(summary.tool_calls, 2);
    assert_eq!(
        (summary.prompt_tokens, summary.completion_tokens),
        (Some(480), Some(120)),
        "four turns of 120 + 30 tokens"
    );
    assert_eq!(summary.duration_ms, 3_000);
    assert_eq!((summary.started_ms, summary.last_ms), (1_000, 3_000));
    assert_eq!(summary, get(store, &done).await.summary);

    let summary = by_id("cut");
    assert_eq!(
        (
            summary.turns,
            summary.outcome.as_str(),
            summary.median_first_tts_ms
        ),
        (1, "interrupted", None)
    );
    assert_eq!(summary.duration_ms, 0);
    assert_eq!(summary.preview.as_deref(), Some("user says m1"));
    assert_eq!(
        (
            summary.tool_calls,
            summary.prompt_tokens,
            summary.completion_tokens
        ),
        (0, None, None),
        "no usage reported is no count, not zero"
    );

    let detail = get(store, &bare).await;
    assert_eq!(detail.summary, by_id("bare"));
    assert_eq!(
        (detail.summary.turns, detail.summary.outcome.as_str()),
        (0, "completed")
    );
    assert_eq!(detail.summary.duration_ms, 0);
    assert_eq!(detail.summary.preview, None);
    assert_eq!(detail.session_report, Some(Map::new()));
    assert!(detail.turns.is_empty());
    assert!(detail.metadata.is_empty());
}

pub(super) async fn delete_removes_a_call_and_its_turns(store: &CallStore) {
    let call = key("a", "gone");
    let kept = key("a", "kept");
    put(store, &turn(&call, "m1", 1_000)).await;
    put(store, &turn(&call, "m2", 2_000)).await;
    put(store, &turn(&kept, "m1", 1_500)).await;
    assert!(store.delete(&call).await.expect("deletes"));
    assert_eq!(store.get(&call).await.expect("reads"), None);
    assert!(!store.delete(&call).await.expect("deletes"));
    // Its turns went too: the same id starts afresh.
    put(store, &turn(&call, "m9", 5_000)).await;
    let ids: Vec<String> = get(store, &call)
        .await
        .turns
        .into_iter()
        .map(|t| t.turn_id)
        .collect();
    assert_eq!(ids, ["m9"]);
    assert_eq!(get(store, &kept).await.turns.len(), 1);
}

pub(super) async fn delete_older_than_keeps_recent_calls(store: &CallStore) {
    for (id, at) in [("old", 1_000), ("older", 500), ("new", 3_000)] {
        put(store, &turn(&key("a", id), "m1", at)).await;
    }
    let mut deleted: Vec<String> = store
        .delete_older_than(2_000)
        .await
        .expect("deletes")
        .into_iter()
        .map(|call| call.conversation_id)
        .collect();
    deleted.sort();
    assert_eq!(
        deleted,
        ["old", "older"],
        "the calls deleted, so their conversations go too"
    );
    let page = store.list(&CallQuery::default()).await.expect("lists");
    let ids: Vec<&str> = page
        .calls
        .iter()
        .map(|c| c.conversation_id.as_str())
        .collect();
    assert_eq!(ids, ["new"]);
    assert_eq!(store.get(&key("a", "old")).await.expect("reads"), None);
    assert!(store
        .delete_older_than(2_000)
        .await
        .expect("deletes")
        .is_empty());
    // Re-creating an old call shows no stale turns.
    put(store, &turn(&key("a", "old"), "m2", 4_000)).await;
    assert_eq!(get(store, &key("a", "old")).await.turns.len(), 1);
}

/// Calls that share their last millisecond across a page boundary: paging by cursor
/// shows each once (by `before_ms` the rest of the tie would be skipped).
pub(super) async fn pages_by_cursor_keep_calls_that_share_a_millisecond(store: &CallStore) {
    for (agent, id, at) in [
        ("b", "t1", 5_000),
        ("a", "t2", 5_000),
        ("a", "t3~x", 5_000),
        ("a", "t4", 4_000),
        ("a", "t5", 6_000),
    ] {
        put(store, &turn(&key(agent, id), "m1", at)).await;
    }
    let mut seen = Vec::new();
    let mut cursor = None;
    for _ in 0..5 {
        let page = store
            .list(&CallQuery {
                limit: Some(2),
                cursor: cursor.clone(),
                ..CallQuery::default()
            })
            .await
            .expect("lists");
        seen.extend(page.calls.iter().map(|c| c.conversation_id.clone()));
        cursor = page.next_cursor;
        if cursor.is_none() {
            break;
        }
    }
    assert_eq!(seen, ["t5", "t2", "t3~x", "t1", "t4"]);
    let refused = store
        .list(&CallQuery {
            cursor: Some("soon~a".to_string()),
            ..CallQuery::default()
        })
        .await
        .expect_err("not a cursor");
    assert!(refused.is_permanent(), "{refused}");
}
