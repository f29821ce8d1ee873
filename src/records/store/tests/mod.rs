//! The store's tests: each scenario runs on SQLite in memory and on a fresh Postgres
//! database; the helpers here are shared with the writer's tests.

use std::sync::atomic::{AtomicU32, Ordering};

use serde_json::{Map, Value};

use super::connect::{password_of, refusing_code};
use super::read::median;
use super::sql::contains_pattern;
use super::{Backend, CallDetail, CallStore};
use crate::records::record::{CallKey, CallerRecord, Record, TurnRecord};

mod lists;
mod post_call;
mod privacy;
mod records;

use lists::{
    delete_older_than_keeps_recent_calls, delete_removes_a_call_and_its_turns,
    lists_filter_by_text_phone_and_agent_and_page_by_time,
    pages_by_cursor_keep_calls_that_share_a_millisecond,
    summaries_give_outcome_median_and_duration,
};
use post_call::{
    a_post_call_is_claimed_by_one_machine_and_delivered_once,
    an_older_database_is_upgraded_and_only_calls_going_on_stay_owed,
    calls_owed_a_post_call_are_the_ones_over_undelivered_and_unclaimed,
};
use privacy::{
    a_callers_calls_are_found_by_the_digits_of_the_number,
    a_redacted_call_keeps_its_mode_and_counts,
};
use records::{
    a_call_with_an_unpriced_model_has_no_cost,
    a_redelivered_turn_replaces_its_row_and_keeps_its_place,
    a_whole_call_comes_back_as_it_happened,
};

/// The Postgres server the tests create their databases on.
fn postgres_base() -> String {
    std::env::var("VB_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".to_string())
}

/// A name no other test (or test run) uses.
pub(crate) fn unique(prefix: &str) -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!(
        "{prefix}_{}_{nanos}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

async fn admin_execute(sql: &str) -> Result<(), sqlx::Error> {
    use sqlx::Connection;
    let url = format!("{}/postgres", postgres_base());
    let mut admin = sqlx::PgConnection::connect(&url).await?;
    sqlx::query(sql).execute(&mut admin).await?;
    admin.close().await
}

/// A fresh Postgres database for one test, dropped (best effort) when it goes away,
/// even when the test panics.
pub(crate) struct TestDb {
    pub(crate) store: CallStore,
    pub(crate) url: String,
    name: String,
}

impl TestDb {
    pub(crate) async fn create() -> Self {
        let name = unique("vb_test");
        admin_execute(&format!("CREATE DATABASE {name}"))
            .await
            .expect("Postgres on 127.0.0.1:5432 (or VB_TEST_POSTGRES_URL) is reachable");
        let url = format!("{}/{name}", postgres_base());
        let store = CallStore::connect(&url).await.expect("connects");
        assert_eq!(store.backend(), "postgres");
        Self { store, url, name }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let sql = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name);
        let _ = std::thread::spawn(move || {
            if let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                let _ = runtime.block_on(admin_execute(&sql));
            }
        })
        .join();
    }
}

pub(crate) async fn memory() -> CallStore {
    let store = CallStore::connect("sqlite::memory:").await.expect("opens");
    assert_eq!(store.backend(), "sqlite");
    store
}

fn key(agent: &str, conversation: &str) -> CallKey {
    CallKey {
        agent: agent.to_string(),
        conversation_id: conversation.to_string(),
    }
}

/// A completed message turn.
pub(crate) fn turn(call: &CallKey, turn_id: &str, at_ms: i64) -> TurnRecord {
    TurnRecord {
        call: call.clone(),
        turn_id: turn_id.to_string(),
        at_ms,
        event: "message".to_string(),
        user_text: format!("user says {turn_id}"),
        agent_text: format!("agent answers {turn_id}"),
        interrupted: false,
        outcome: "completed".to_string(),
        model: Some("gpt-test".to_string()),
        attempts: 1,
        first_token_ms: Some(150),
        first_tts_ms: Some(400),
        total_ms: Some(1_000),
        prompt_tokens: Some(120),
        completion_tokens: Some(30),
        tools: Vec::new(),
        caller: CallerRecord::default(),
        without_history: false,
        door: "layercode".to_string(),
        trace_id: None,
        knowledge: vec![crate::records::KnowledgeRecord {
            file: "faq.md".into(),
            heading: "Shop › Opening hours".into(),
            score: 2.62,
        }],
        cached_tokens: Some(20),
        cost_usd: Some(0.000_125),
        record_content: None,
        redactions: None,
    }
}

async fn put(store: &CallStore, turn: &TurnRecord) {
    store
        .write(&Record::Turn(turn.clone()))
        .await
        .expect("writes");
}

async fn get(store: &CallStore, call: &CallKey) -> CallDetail {
    store
        .get(call)
        .await
        .expect("reads")
        .expect("the call exists")
}

fn without_caller(mut turn: TurnRecord) -> TurnRecord {
    turn.caller = CallerRecord::default();
    turn
}

fn map(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        other => panic!("not an object: {other}"),
    }
}

/// Each scenario once on SQLite (in memory) and once on a fresh Postgres database.
macro_rules! on_both_backends {
    ($($scenario:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $scenario() {
                    let store = super::memory().await;
                    super::$scenario(&store).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test]
                async fn $scenario() {
                    let db = super::TestDb::create().await;
                    super::$scenario(&db.store).await;
                }
            )*
        }
    };
}

on_both_backends!(
    a_whole_call_comes_back_as_it_happened,
    a_call_with_an_unpriced_model_has_no_cost,
    a_redelivered_turn_replaces_its_row_and_keeps_its_place,
    lists_filter_by_text_phone_and_agent_and_page_by_time,
    pages_by_cursor_keep_calls_that_share_a_millisecond,
    summaries_give_outcome_median_and_duration,
    delete_removes_a_call_and_its_turns,
    delete_older_than_keeps_recent_calls,
    a_redacted_call_keeps_its_mode_and_counts,
    a_callers_calls_are_found_by_the_digits_of_the_number,
    a_post_call_is_claimed_by_one_machine_and_delivered_once,
    calls_owed_a_post_call_are_the_ones_over_undelivered_and_unclaimed,
    an_older_database_is_upgraded_and_only_calls_going_on_stay_owed,
);

#[tokio::test]
async fn a_sqlite_file_survives_a_restart_and_migrations_run_again() {
    let folder = std::env::temp_dir().join(unique("vb-calls"));
    let path = folder.join("nested").join("calls.db");
    let url = format!("sqlite://{}", path.display());
    let call = key("a", "kept");
    {
        let store = CallStore::connect(&url).await.expect("opens");
        put(&store, &turn(&call, "m1", 1_000)).await;
    }
    assert!(path.exists(), "the file and its folders are created");
    let store = CallStore::connect(&url).await.expect("opens again");
    let detail = get(&store, &call).await;
    assert_eq!(detail.turns, vec![turn(&call, "m1", 1_000)]);
    let mode: String = match &store.backend {
        Backend::Sqlite(pool) => sqlx::query_scalar("PRAGMA journal_mode")
            .fetch_one(pool)
            .await
            .expect("reads"),
        Backend::Postgres(_) => unreachable!("a SQLite URL"),
    };
    assert_eq!(mode, "wal");
    drop(store);
    let _ = std::fs::remove_dir_all(&folder);
}

#[tokio::test]
async fn postgres_migrations_run_again_on_reconnect() {
    let db = TestDb::create().await;
    let call = key("a", "kept");
    put(&db.store, &turn(&call, "m1", 1_000)).await;
    let again = CallStore::connect(&db.url).await.expect("connects again");
    assert_eq!(get(&again, &call).await.turns.len(), 1);
}

/// What retrying can and cannot mend: a conversation id far too long for PostgreSQL's
/// primary-key index (SQLSTATE 54000) is refused for good; a database that is gone is
/// a failure that may pass.
#[tokio::test]
async fn a_record_the_database_refuses_is_a_permanent_failure() {
    let db = TestDb::create().await;
    // Not compressible, so the index really gets 20 000 bytes.
    let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
    let noise: String = (0..20_000)
        .map(|_| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            char::from(b'!' + (seed % 90) as u8)
        })
        .collect();
    let huge = key("a", &noise);
    let err = db
        .store
        .write(&Record::Turn(turn(&huge, "m1", 1_000)))
        .await
        .expect_err("the index row is too large");
    assert!(err.is_permanent(), "{err}");
    put(&db.store, &turn(&key("a", "fine"), "m1", 1_000)).await;

    let gone = CallStore::connect(&db.url).await.expect("connects");
    drop(db);
    let err = gone
        .write(&Record::Turn(turn(&key("a", "later"), "m1", 2_000)))
        .await
        .expect_err("the database was dropped");
    assert!(!err.is_permanent(), "{err}");
}

#[test]
fn refusing_codes_are_data_errors_only() {
    for code in ["22001", "22021", "23505", "54000", "19", "2067", "18", "20"] {
        assert!(refusing_code(code), "{code}");
    }
    for code in ["08006", "57P01", "53100", "40001", "5", "517", "13", "10"] {
        assert!(!refusing_code(code), "{code}");
    }
}

#[tokio::test]
async fn errors_and_debug_never_show_the_password() {
    let err = CallStore::connect("postgres://user:hunter2@127.0.0.1:1/calls")
        .await
        .expect_err("nothing listens on port 1");
    assert!(!err.to_string().contains("hunter2"), "{err}");
    assert!(err.to_string().starts_with("call store: "), "{err}");

    let err = CallStore::connect("mysql://user:hunter2@host/db")
        .await
        .expect_err("not a supported scheme");
    assert!(!err.to_string().contains("hunter2"), "{err}");

    let store = memory().await;
    assert_eq!(format!("{store:?}"), r#"CallStore { backend: "sqlite" }"#);
}

#[test]
fn passwords_are_found_in_urls() {
    assert_eq!(password_of("postgres://u:p%40ss@h:5432/db"), Some("p%40ss"));
    assert_eq!(password_of("postgres://u@h/db"), None);
    assert_eq!(password_of("postgres://h/db?user=u"), None);
    assert_eq!(password_of("sqlite::memory:"), None);
}

#[test]
fn medians_take_the_middle_or_the_mean_of_the_two_middles() {
    assert_eq!(median(&[]), None);
    assert_eq!(median(&[7]), Some(7));
    assert_eq!(median(&[1, 4]), Some(2));
    assert_eq!(median(&[1, 5, 9]), Some(5));
    assert_eq!(median(&[1, 2, 10, 20]), Some(6));
}

#[test]
fn like_wildcards_are_taken_literally() {
    assert_eq!(contains_pattern("50%_a\\b"), "%50\\%\\_a\\\\b%");
}
