//! The behaviour every `SessionStore` must show, as a test suite any implementation can
//! run: `conformance::run_all(|| Arc::new(MyStore::new(...)))`. Each check gets a fresh
//! store from the factory and uses its own conversation ids.

use std::sync::Arc;

use super::client::ClientVars;
use super::history::{
    is_well_formed, ChatMessage, Heard, HistoryLimits, Role, ToolCall, ToolResult,
};
use super::store::SessionStore;

/// The limits the suite expects the factory's stores to use.
pub const LIMITS: HistoryLimits = HistoryLimits {
    max_messages: 6,
    max_chars: 400,
};

/// Runs every check against stores made by `make`.
pub async fn run_all<F>(make: F)
where
    F: Fn() -> Arc<dyn SessionStore>,
{
    appends_in_order(make()).await;
    a_repeated_turn_is_stored_once(make()).await;
    unanswered_user_messages_merge(make()).await;
    heard_text_replaces_the_reply(make()).await;
    tool_calls_round_trip(make()).await;
    client_variables_merge_and_stay_bounded(make()).await;
    truncates_to_the_limits(make()).await;
    conversations_are_isolated(make()).await;
    concurrent_writes_stay_well_formed(make()).await;
    a_reply_brings_back_its_lost_question(make()).await;
    a_forgotten_conversation_leaves_nothing(make()).await;
}

/// Forgetting removes the history and the client variables, and nothing of another
/// conversation.
async fn a_forgotten_conversation_leaves_nothing(store: Arc<dyn SessionStore>) {
    for c in ["c-forget", "c-kept"] {
        store
            .begin_turn(
                c,
                ChatMessage::user("My number is 555-123-4567", "t1"),
                None,
            )
            .await
            .expect("store");
        let mut page = ClientVars::new();
        page.insert("email".into(), "ana@example.com".into());
        assert!(store.merge_client(c, page).await.expect("store"));
    }
    assert!(store.forget("c-forget").await.expect("store"));
    assert!(store.history("c-forget").await.expect("store").is_empty());
    assert!(store.client("c-forget").await.expect("store").is_empty());
    assert!(
        !store.forget("c-forget").await.expect("store"),
        "already gone"
    );
    assert_eq!(store.history("c-kept").await.expect("store").len(), 1);
    assert_eq!(store.client("c-kept").await.expect("store").len(), 1);
}

fn roles_and_texts(history: &[ChatMessage]) -> Vec<(Role, String)> {
    history
        .iter()
        .map(|m| (m.role, m.content.clone()))
        .collect()
}

async fn appends_in_order(store: Arc<dyn SessionStore>) {
    let seen = store
        .begin_turn("c-order", ChatMessage::user("Hello", "t1"), None)
        .await
        .expect("store");
    assert_eq!(seen, vec![ChatMessage::user("Hello", "t1")]);
    store
        .record_reply("c-order", None, &ChatMessage::assistant("Hi!", "t1"))
        .await
        .expect("store");
    store
        .record_reply("c-order", None, &ChatMessage::assistant("", "t2"))
        .await
        .expect("store");
    let history = store.history("c-order").await.expect("store");
    assert_eq!(
        roles_and_texts(&history),
        [
            (Role::User, "Hello".into()),
            (Role::Assistant, "Hi!".into())
        ]
    );
    assert!(store.history("c-unknown").await.expect("store").is_empty());
}

async fn a_repeated_turn_is_stored_once(store: Arc<dyn SessionStore>) {
    for _ in 0..3 {
        store
            .begin_turn("c-dup", ChatMessage::user("Hi", "t1"), None)
            .await
            .expect("store");
        store
            .record_reply("c-dup", None, &ChatMessage::assistant("Hello.", "t1"))
            .await
            .expect("store");
    }
    let history = store.history("c-dup").await.expect("store");
    assert_eq!(history.len(), 2, "{history:?}");
    assert!(is_well_formed(&history));
}

async fn unanswered_user_messages_merge(store: Arc<dyn SessionStore>) {
    store
        .begin_turn("c-merge", ChatMessage::user("Book", "t1"), None)
        .await
        .expect("store");
    let seen = store
        .begin_turn("c-merge", ChatMessage::user("a table", "t2"), None)
        .await
        .expect("store");
    assert_eq!(
        roles_and_texts(&seen),
        [(Role::User, "Book\na table".into())]
    );
}

async fn heard_text_replaces_the_reply(store: Arc<dyn SessionStore>) {
    store
        .begin_turn("c-heard", ChatMessage::user("Menu?", "t1"), None)
        .await
        .expect("store");
    let reply = ChatMessage::assistant("Soup. And salad.", "t1").interrupted(true);
    store
        .record_reply("c-heard", None, &reply)
        .await
        .expect("store");
    let heard = Heard {
        assistant_turn_id: Some("t1".into()),
        text: "Soup.".into(),
    };
    let seen = store
        .begin_turn("c-heard", ChatMessage::user("Soup!", "t2"), Some(heard))
        .await
        .expect("store");
    assert_eq!(seen[1].content, "Soup.");
    assert!(seen[1].interrupted);
    let unknown = Heard {
        assistant_turn_id: Some("t-never".into()),
        text: "x".into(),
    };
    let seen = store
        .begin_turn("c-heard", ChatMessage::user("Thanks", "t3"), Some(unknown))
        .await
        .expect("store");
    assert_eq!(seen[1].content, "Soup.");
}

async fn tool_calls_round_trip(store: Arc<dyn SessionStore>) {
    store
        .begin_turn("c-tools", ChatMessage::user("Cancel A1", "t1"), None)
        .await
        .expect("store");
    let reply = ChatMessage::assistant("", "t1")
        .interrupted(true)
        .with_tools(
            vec![ToolCall::new("c1", "cancel_order", r#"{"order_id":"A1"}"#)],
            vec![ToolResult::new("c1", r#"{"cancelled":true}"#)],
        );
    store
        .record_reply("c-tools", None, &reply)
        .await
        .expect("store");
    let stored = store.history("c-tools").await.expect("store");
    assert_eq!(stored[1], reply, "calls and results come back as stored");
    // A redelivery of the turn sees the calls; a later turn sees the whole exchange.
    let again = store
        .begin_turn("c-tools", ChatMessage::user("Cancel A1", "t1"), None)
        .await
        .expect("store");
    assert_eq!(again[1].tool_calls, reply.tool_calls);
    let next = store
        .begin_turn("c-tools", ChatMessage::user("Did it?", "t2"), None)
        .await
        .expect("store");
    assert_eq!(next[1].tool_results, reply.tool_results);
    assert!(is_well_formed(&next));
}

async fn client_variables_merge_and_stay_bounded(store: Arc<dyn SessionStore>) {
    let object = |value: serde_json::Value| match value {
        serde_json::Value::Object(map) => map,
        _ => unreachable!("an object literal"),
    };
    assert!(store.client("c-client").await.expect("store").is_empty());
    let page = object(serde_json::json!({"page": "/pricing", "plan": "pro"}));
    assert!(store.merge_client("c-client", page).await.expect("store"));
    let turn = store
        .begin_turn("c-client", ChatMessage::user("Hi", "t1"), None)
        .await
        .expect("store");
    assert_eq!(turn.len(), 1, "client variables are not history");
    let change = object(serde_json::json!({"page": "/checkout", "plan": null}));
    assert!(store.merge_client("c-client", change).await.expect("store"));
    let huge = object(serde_json::json!({"blob": "x".repeat(super::CLIENT_MAX_BYTES)}));
    assert!(!store.merge_client("c-client", huge).await.expect("store"));
    assert_eq!(
        serde_json::Value::Object(store.client("c-client").await.expect("store")),
        serde_json::json!({"page": "/checkout"})
    );
    assert_eq!(store.history("c-client").await.expect("store").len(), 1);
}

async fn truncates_to_the_limits(store: Arc<dyn SessionStore>) {
    for i in 0..10 {
        let turn = format!("t{i}");
        store
            .begin_turn(
                "c-trunc",
                ChatMessage::user(format!("question {i}"), &turn),
                None,
            )
            .await
            .expect("store");
        store
            .record_reply(
                "c-trunc",
                None,
                &ChatMessage::assistant(format!("answer {i}"), &turn),
            )
            .await
            .expect("store");
    }
    let history = store.history("c-trunc").await.expect("store");
    assert!(history.len() <= LIMITS.max_messages);
    assert_eq!(history.last().map(|m| m.content.as_str()), Some("answer 9"));
    assert_eq!(history[0].role, Role::User);
}

async fn conversations_are_isolated(store: Arc<dyn SessionStore>) {
    store
        .begin_turn("c-iso-a", ChatMessage::user("a", "t1"), None)
        .await
        .expect("store");
    store
        .begin_turn("c-iso-b", ChatMessage::user("b", "t1"), None)
        .await
        .expect("store");
    let a = store.history("c-iso-a").await.expect("store");
    assert_eq!(roles_and_texts(&a), [(Role::User, "a".into())]);
}

async fn concurrent_writes_stay_well_formed(store: Arc<dyn SessionStore>) {
    let tasks: Vec<_> = (0..40)
        .map(|i| {
            let store = store.clone();
            tokio::spawn(async move {
                let turn = format!("t{}", i % 10); // every turn delivered four times
                store
                    .begin_turn("c-race", ChatMessage::user(format!("q{i}"), &turn), None)
                    .await
                    .expect("store");
                store
                    .record_reply(
                        "c-race",
                        None,
                        &ChatMessage::assistant(format!("a{i}"), &turn),
                    )
                    .await
                    .expect("store");
            })
        })
        .collect();
    for task in tasks {
        task.await.expect("task");
    }
    let history = store.history("c-race").await.expect("store");
    assert!(is_well_formed(&history), "{history:?}");
}

/// A turn whose question was not saved (the store was down when it began) is saved with
/// its reply, in the place it was asked, even after later turns were saved.
async fn a_reply_brings_back_its_lost_question(store: Arc<dyn SessionStore>) {
    let asked = |text: &str, turn: &str, at: i64| ChatMessage::user(text, turn).received_at(at);
    let c = "c-lost-question";
    for (text, turn, at) in [("One", "t1", 1_000), ("Three", "t3", 3_000)] {
        store
            .begin_turn(c, asked(text, turn, at), None)
            .await
            .expect("store");
        store
            .record_reply(c, None, &ChatMessage::assistant(format!("{text}!"), turn))
            .await
            .expect("store");
    }
    // t2 was asked between them; its question never reached the store.
    let two = asked("Two", "t2", 2_000);
    store
        .record_reply(c, Some(&two), &ChatMessage::assistant("Two!", "t2"))
        .await
        .expect("store");
    // Saving it again (a retry after a lost answer) changes nothing.
    store
        .record_reply(c, Some(&two), &ChatMessage::assistant("Two!", "t2"))
        .await
        .expect("store");
    let history = store.history(c).await.expect("store");
    let texts: Vec<&str> = history.iter().map(|m| m.content.as_str()).collect();
    assert_eq!(texts, ["One", "One!", "Two", "Two!", "Three", "Three!"]);
    assert!(is_well_formed(&history), "{history:?}");
    // A lost question of unknown time, followed by an unanswered one, goes before it.
    store
        .begin_turn(c, asked("Five", "t5", 5_000), None)
        .await
        .expect("store");
    store
        .record_reply(
            c,
            Some(&ChatMessage::user("Four", "t4")),
            &ChatMessage::assistant("Four!", "t4"),
        )
        .await
        .expect("store");
    let history = store.history(c).await.expect("store");
    assert!(is_well_formed(&history), "{history:?}");
    let last: Vec<&str> = history[history.len() - 3..]
        .iter()
        .map(|m| m.content.as_str())
        .collect();
    assert_eq!(last, ["Four", "Four!", "Five"]);
}
