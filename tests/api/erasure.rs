//! Deleting that holds: a data-subject request (`voicebridge calls delete --phone`, and
//! `DELETE /api/calls?phone=` on the server) removes every call of one caller from the
//! call store (SQLite and PostgreSQL) and their conversations from Redis (history and the
//! page's client variables), and nothing of anyone else's; deleting one call does the same.

use std::time::Duration;

use serde_json::{json, Value};

use crate::helpers::binary::{run, vars};
use crate::helpers::db::{sqlite_url, Postgres};
use crate::helpers::fake_upstream::Reply;
use crate::helpers::redis_server::{require_redis, unique_prefix, REDIS};
use crate::helpers::*;

/// Two calls of one caller (the number written two ways) and one of another.
const CALLS: [(&str, &str); 3] = [
    ("conv_a1", "+1 (555) 010-0100"),
    ("conv_a2", "+15550100100"),
    ("conv_b", "+15550100199"),
];

async fn admin(app: &TestApp, method: reqwest::Method, path: &str) -> reqwest::Response {
    app.http
        .request(method, format!("{}{path}", app.address))
        .bearer_auth(ADMIN)
        .send()
        .await
        .expect("sent")
}

async fn redis_has(prefix: &str, conversation: &str) -> bool {
    let client = redis::Client::open(REDIS).expect("a Redis URL");
    let mut connection = client
        .get_multiplexed_async_connection()
        .await
        .expect("Redis answers");
    redis::cmd("EXISTS")
        .arg(format!("{prefix}conv:{conversation}"))
        .query_async(&mut connection)
        .await
        .expect("EXISTS")
}

/// The app over `store_url` and Redis, with the three calls on record and in Redis.
async fn three_calls(store_url: &str, prefix: &str) -> TestApp {
    let app = spawn_app_with(&[
        ("CALL_STORE_URL", store_url),
        ("ADMIN_TOKEN", ADMIN),
        ("SESSION_STORE_URL", REDIS),
        ("SESSION_STORE_PREFIX", prefix),
    ])
    .await;
    for (conversation, phone) in CALLS {
        let page = json!({"type": "data", "conversation_id": conversation,
            "data": {"email": "ana@example.org"}});
        assert_eq!(app.post_webhook(&page).await.status(), 200);
        app.upstream.enqueue(Reply::deltas(&["Noted."]));
        let mut turn = message(conversation, "t1", "My number is 555 010 0100.");
        turn["from_phone_number"] = json!(phone);
        app.turn(&turn).await;
    }
    for (conversation, _) in CALLS {
        let mut written = false;
        for _ in 0..400 {
            if admin(
                &app,
                reqwest::Method::GET,
                &format!("/api/calls/{conversation}"),
            )
            .await
            .status()
                == 200
            {
                written = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        assert!(written, "{conversation} was not written within 10 s");
        assert!(
            redis_has(prefix, conversation).await,
            "{conversation} is in Redis"
        );
    }
    app
}

async fn only_the_other_caller_is_left(app: &TestApp, prefix: &str) {
    for (conversation, _) in &CALLS[..2] {
        let status = admin(
            app,
            reqwest::Method::GET,
            &format!("/api/calls/{conversation}"),
        )
        .await
        .status();
        assert_eq!(status, 404, "{conversation} is gone from the call store");
        assert!(
            !redis_has(prefix, conversation).await,
            "{conversation} is gone from Redis"
        );
    }
    let kept = admin(app, reqwest::Method::GET, "/api/calls/conv_b").await;
    assert_eq!(kept.status(), 200, "another caller's call stays");
    assert!(redis_has(prefix, "conv_b").await, "and its conversation");
}

async fn the_command_deletes_one_callers_calls_everywhere(store_url: &str, name: &str) {
    require_redis().await;
    let prefix = unique_prefix(name);
    let app = three_calls(store_url, &prefix).await;
    // The server's own environment, as an operator runs the command beside it.
    let env = vars(&[
        ("LAYERCODE_WEBHOOK_SECRET", SECRET),
        ("LLM_API_KEY", "sk-test"),
        ("CALL_STORE_URL", store_url),
        ("SESSION_STORE_URL", REDIS),
        ("SESSION_STORE_PREFIX", &prefix),
    ]);
    let output = run(
        &["calls", "delete", "--phone", "+1 555 010 0100"],
        env.clone(),
        "",
    )
    .await;
    let (stdout, stderr) = (
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr),
    );
    assert!(output.status.success(), "{stdout}{stderr}");
    assert_eq!(
        stdout.trim(),
        "deleted 2 calls of +1 555 010 0100 and 2 conversations from the session store"
    );
    only_the_other_caller_is_left(&app, &prefix).await;
    // A number too short to name one caller is refused.
    let output = run(&["calls", "delete", "--phone", "0100"], env, "").await;
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("not a whole phone number"));
}

#[tokio::test]
async fn deleting_by_phone_removes_a_caller_from_sqlite_and_redis() {
    the_command_deletes_one_callers_calls_everywhere(&sqlite_url("erase"), "erase-sqlite").await;
}

#[tokio::test]
async fn deleting_by_phone_removes_a_caller_from_postgres_and_redis() {
    let db = Postgres::create("erase").await;
    the_command_deletes_one_callers_calls_everywhere(&db.url, "erase-pg").await;
    db.drop_database().await;
}

#[tokio::test]
async fn the_api_deletes_a_caller_and_one_call_with_their_conversations() {
    require_redis().await;
    let prefix = unique_prefix("erase-api");
    let app = three_calls(&sqlite_url("erase_api"), &prefix).await;
    let erased: Value = admin(
        &app,
        reqwest::Method::DELETE,
        "/api/calls?phone=%2B15550100100",
    )
    .await
    .json()
    .await
    .expect("json");
    assert_eq!(erased, json!({"calls": 2, "conversations": 2}));
    only_the_other_caller_is_left(&app, &prefix).await;
    let one = admin(&app, reqwest::Method::DELETE, "/api/calls/conv_b").await;
    assert_eq!(one.status(), 204);
    assert!(
        !redis_has(&prefix, "conv_b").await,
        "its conversation went with it"
    );
    let bad = admin(&app, reqwest::Method::DELETE, "/api/calls?phone=12").await;
    assert_eq!(bad.status(), 400);
}

#[tokio::test]
async fn check_says_what_each_agent_keeps() {
    let upstream = crate::helpers::fake_upstream::FakeUpstream::start().await;
    let agents = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/privacy/agents");
    let check = |extra: &[(&str, &str)]| {
        let mut env = vars(&[
            ("LAYERCODE_WEBHOOK_SECRET", SECRET),
            ("LLM_BASE_URL", &upstream.base_url),
        ]);
        env.extend(vars(extra));
        run(&["check"], env, "")
    };
    let output = check(&[("AGENTS_DIR", agents)]).await;
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains(
            "    records: redacted (card, phone, email, iban, ssn, national_id, date_of_birth, \
             address, and member_id replaced in records, logs and spans); the model is sent \
             the words as said"
        ),
        "{stdout}"
    );
    let output = check(&[("RECORD_CONTENT", "none"), ("REDACT_FOR_MODEL", "true")]).await;
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains(
            "    records: none (no words: timings, outcomes, tools' names, tokens and cost); \
             the model is sent placeholders (REDACT_FOR_MODEL)"
        ),
        "{stdout}"
    );
    let output = check(&[("RECORD_CONTENT", "some")]).await;
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("RECORD_CONTENT: `some` is not `full`, `redacted` or `none`"),
        "{stderr}"
    );
}
