//! Every call on record, end to end: the real server with the call store on SQLite and on
//! the PostgreSQL of this machine, a whole conversation (welcome, a completed turn, a
//! barge-in, what the user heard, a model failure, tools, Layercode's session report), read
//! back through the admin API, after a restart too; deleting a call.

use std::time::Duration;

use serde_json::{json, Value};

use crate::helpers::db::{admin_sql, sqlite_url, Postgres};
use crate::helpers::fake_upstream::{content_chunk, role_chunk, FakeUpstream, Reply, Step};
use crate::helpers::*;

impl TestApp {
    async fn admin_get(&self, path: &str) -> reqwest::Response {
        self.http
            .get(format!("{}{path}", self.address))
            .bearer_auth(ADMIN)
            .send()
            .await
            .expect("sent")
    }

    /// The call's record once the writer has stored `turns` turns, the session report and
    /// the recording (the last records sent).
    async fn call_when_written(&self, conversation: &str, turns: usize) -> Value {
        for _ in 0..200 {
            let response = self.admin_get(&format!("/api/calls/{conversation}")).await;
            if response.status() == 200 {
                let call: Value = response.json().await.expect("json");
                let written = call["turns"].as_array().map_or(0, Vec::len);
                if written == turns
                    && !call["session_report"].is_null()
                    && !call["recording_status"].is_null()
                {
                    return call;
                }
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("the call was not written within 5 s");
    }

    /// Waits (10 s at most) until the post-call webhook has nothing in hand: no call it
    /// waits on to be over, no delivery and no scan running.
    async fn post_call_settled(&self) {
        let progress = self.post_call.clone().expect("the post-call webhook is on");
        tokio::time::timeout(Duration::from_secs(10), progress.settled())
            .await
            .expect("post-call deliveries still running after 10 s");
    }

    /// Waits (10 s at most) until a scan for calls still owed that begins after this call
    /// has finished, with whatever it delivered.
    async fn post_call_scanned(&self) {
        let progress = self.post_call.clone().expect("the post-call webhook is on");
        tokio::time::timeout(Duration::from_secs(10), progress.next_scan())
            .await
            .expect("no post-call scan finished within 10 s");
    }
}

/// One conversation with every kind of turn; returns its id.
async fn a_whole_conversation(app: &TestApp, conversation: &str) {
    let caller = |mut event: Value| {
        event["metadata"] = json!({"name": "Ana"});
        event["from_phone_number"] = json!("+15550100");
        event["to_phone_number"] = json!("+15550199");
        event
    };
    app.turn(&caller(session_start(conversation, "sess_rec", "t0")))
        .await;

    // The first attempt is cut off before a sentence was spoken: retried.
    let steps = vec![
        Step::Send(role_chunk()),
        Step::Send(content_chunk("We are open unt")),
    ];
    app.upstream.enqueue(Reply::Stream { steps, abort: true });
    app.upstream.enqueue(Reply::deltas(&[
        "We are open until nine. ",
        "Anything else?",
    ]));
    app.turn(&caller(message(conversation, "t1", "When do you close?")))
        .await;

    // A long reply the user cuts off after its first sentence.
    app.upstream.enqueue(Reply::deltas(&[
        "We have soup. ",
        "And salad with a very long description that goes on. ",
        "And pie.",
    ]));
    let response = app
        .post_webhook(&caller(message(conversation, "t2", "What food is there?")))
        .await;
    let mut reader = SseReader::new(response);
    reader.until_spoken().await;
    drop(reader);
    app.settle().await;

    // Layercode reports what the user heard of it with the next turn; this one fails.
    app.upstream.set_default(Reply::status(500, "{}"));
    let mut next = caller(message(conversation, "t3", "Soup please"));
    next["interruption_context"] = json!({
        "previous_turn_interrupted": true,
        "text_heard": "We have soup.",
        "assistant_turn_id": "t2",
    });
    let events = app.turn(&next).await;
    assert_eq!(spoken(&events), [APOLOGY]);

    let end = json!({"type": "session.end", "conversation_id": conversation, "session_id": "sess_rec",
        "duration": 42000, "transcript": [{"role": "user", "text": "When do you close?"}],
        "latency": {"p50_ms": 800}});
    assert_eq!(app.post_webhook(&end).await.status(), 200);
    let update = json!({"type": "session.update", "conversation_id": conversation,
        "recording_status": "completed", "recording_url": "https://recordings.example/r1.wav"});
    assert_eq!(app.post_webhook(&update).await.status(), 200);
}

fn turn<'a>(call: &'a Value, id: &str) -> &'a Value {
    call["turns"]
        .as_array()
        .expect("turns")
        .iter()
        .find(|t| t["turn_id"] == id)
        .unwrap_or_else(|| panic!("turn {id} in {call}"))
}

async fn the_call_is_kept_exactly(store_url: &str) {
    let vars = [("CALL_STORE_URL", store_url), ("ADMIN_TOKEN", ADMIN)];
    let app = spawn_app_with(&vars).await;
    a_whole_conversation(&app, "conv_rec").await;
    let call = app.call_when_written("conv_rec", 4).await;

    assert_eq!(call["agent"], "default");
    assert_eq!(call["conversation_id"], "conv_rec");
    assert_eq!(call["metadata"], json!({"name": "Ana"}));
    assert_eq!(call["from_phone_number"], "+15550100");
    assert_eq!(call["to_phone_number"], "+15550199");
    assert_eq!(call["turns"].as_array().map(Vec::len), Some(4));
    assert_eq!(call["outcome"], "failed");
    assert_eq!(call["failed_turns"], 1);
    assert_eq!(call["recording_status"], "completed");
    assert_eq!(call["recording_url"], "https://recordings.example/r1.wav");
    assert_eq!(call["session_report"]["duration"], 42000);
    assert_eq!(call["session_report"]["latency"]["p50_ms"], 800);

    let welcome = turn(&call, "t0");
    assert_eq!(welcome["event"], "session.start");
    assert_eq!(welcome["agent_text"], WELCOME);

    let answered = turn(&call, "t1");
    assert_eq!(answered["user_text"], "When do you close?");
    assert_eq!(
        answered["agent_text"],
        "We are open until nine. Anything else?"
    );
    assert_eq!(answered["outcome"], "completed");
    assert_eq!(answered["interrupted"], false);
    assert_eq!(answered["model"], "test-model");
    assert_eq!(answered["attempts"], 2, "the cut-off attempt counts");
    assert_eq!(answered["prompt_tokens"], 12);
    assert!(answered["first_tts_ms"].is_u64() && answered["total_ms"].is_u64());

    let cut = turn(&call, "t2");
    assert_eq!(cut["interrupted"], true);
    assert_eq!(cut["agent_text"], "We have soup.", "what was heard");

    let failed = turn(&call, "t3");
    assert_eq!(failed["outcome"], "failed");
    assert_eq!(failed["agent_text"], APOLOGY);

    // The list finds it by text and by phone number; not without the token.
    let list: Value = app
        .admin_get("/api/calls?text=SOUP&phone=0100")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(list["calls"][0]["conversation_id"], "conv_rec");
    assert_eq!(list["calls"][0]["turns"], 3);
    let none: Value = app
        .admin_get("/api/calls?text=lasagne")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(none["calls"], json!([]));
    let anonymous = app
        .http
        .get(format!("{}/api/calls", app.address))
        .send()
        .await
        .expect("sent");
    assert_eq!(anonymous.status(), 401);

    // A restart keeps it.
    let again = spawn_app_with(&vars).await;
    let kept: Value = again
        .admin_get("/api/calls/conv_rec")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(kept["turns"], call["turns"]);

    // Deleting removes it.
    let deleted = again
        .http
        .delete(format!("{}/api/calls/conv_rec", again.address))
        .bearer_auth(ADMIN)
        .send()
        .await
        .expect("sent");
    assert_eq!(deleted.status(), 204);
    assert_eq!(again.admin_get("/api/calls/conv_rec").await.status(), 404);
}

#[tokio::test]
async fn a_call_is_kept_exactly_in_sqlite_and_survives_a_restart() {
    the_call_is_kept_exactly(&sqlite_url("exact")).await;
}

#[tokio::test]
async fn a_call_is_kept_exactly_in_postgres_and_survives_a_restart() {
    let db = Postgres::create("exact").await;
    the_call_is_kept_exactly(&db.url).await;
    db.drop_database().await;
}

#[tokio::test]
async fn without_admin_token_or_store_the_api_says_how_to_turn_it_on() {
    let app = spawn_app_with(&[("CALL_STORE_URL", &sqlite_url("off"))]).await;
    let response = app
        .http
        .get(format!("{}/api/calls", app.address))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 404);
    let body: Value = response.json().await.expect("json");
    assert!(
        body["error"]
            .as_str()
            .expect("text")
            .contains("ADMIN_TOKEN"),
        "{body}"
    );

    let app = spawn_app_with(&[("ADMIN_TOKEN", ADMIN)]).await;
    let response = app.admin_get("/api/calls").await;
    assert_eq!(response.status(), 404);
    let body: Value = response.json().await.expect("json");
    assert!(
        body["error"]
            .as_str()
            .expect("text")
            .contains("CALL_STORE_URL"),
        "{body}"
    );
}

#[tokio::test]
async fn an_unreachable_call_store_stops_start_up_without_its_password() {
    let dead = format!("postgres://postgres:hunter2@127.0.0.1:{}/x", free_port());
    let prompt = concat!(env!("CARGO_MANIFEST_DIR"), "/prompts/system.md");
    let upstream = FakeUpstream::start().await;
    let vars = [
        ("LAYERCODE_WEBHOOK_SECRET", SECRET),
        ("LLM_BASE_URL", upstream.base_url.as_str()),
        ("SYSTEM_PROMPT_FILE", prompt),
        ("HOST", "127.0.0.1"),
        ("PORT", "0"),
        ("CALL_STORE_URL", dead.as_str()),
    ];
    let settings = settings_from(&vars).expect("valid settings");
    let error = start_up_error(settings).await;
    assert!(
        error.starts_with("CALL_STORE_URL: cannot open the call store"),
        "{error}"
    );
    assert!(!error.contains("hunter2"), "{error}");
    // The cause under the pool's "timed out".
    assert!(error.contains("Connection refused"), "{error}");
}

#[tokio::test]
async fn the_post_call_webhook_is_signed_retried_and_arrives_once() {
    let receiver = FakeUpstream::start().await;
    receiver.enqueue(Reply::plain(503, "{}", Duration::ZERO));
    receiver.set_default(Reply::plain(200, "{}", Duration::ZERO));
    let hook = receiving(&receiver);
    let store = sqlite_url("hook");
    let app = spawn_app_with(&[
        ("CALL_STORE_URL", store.as_str()),
        ("POST_CALL_WEBHOOK_URL", hook.as_str()),
        ("POST_CALL_WEBHOOK_SECRET", "hook-secret-xyz"),
        ("POST_CALL_SUMMARY", "true"),
    ])
    .await;
    app.upstream.enqueue(Reply::deltas(&["We open at nine."]));
    app.turn(&message("conv_hook", "t1", "When do you open?"))
        .await;
    // The summary is one more model call.
    app.upstream.enqueue(Reply::deltas(&[
        "The caller asked when the shop opens. The agent said nine.",
    ]));
    let end = json!({"type": "session.end", "conversation_id": "conv_hook", "duration": 9000});
    assert_eq!(app.post_webhook(&end).await.status(), 200);

    // The first attempt gets a 503, the retry (after 1 s) a 200; once that delivery is
    // over, nothing of the call is left in hand to send it again.
    deliveries_when(&receiver, 2).await;
    app.post_call_settled().await;
    let deliveries = receiver.requests();
    assert_eq!(deliveries.len(), 2, "one retry, then delivered once");
    let first = &deliveries[0];
    assert_eq!(first.path, "/hooks/call");
    assert_eq!(first.body, deliveries[1].body, "the same record both times");
    // One delivery id on both attempts: the receiver can tell a retry from a new call.
    let id = first
        .header("voicebridge-delivery-id")
        .expect("a delivery id");
    assert_eq!(id.len(), 32, "{id}");
    assert_eq!(deliveries[1].header("voicebridge-delivery-id"), Some(id));
    assert_eq!(first.body["type"], "call.ended");
    let call = &first.body["call"];
    assert_eq!(call["conversation_id"], "conv_hook");
    assert_eq!(call["turns"][0]["agent_text"], "We open at nine.");
    assert_eq!(call["session_report"]["duration"], 9000);
    assert_eq!(
        call["summary_text"],
        "The caller asked when the shop opens. The agent said nine."
    );
    // Signed like Layercode's webhooks, over the exact body.
    let header = deliveries[1].header("voicebridge-signature");
    voicebridge::webhook::signature::verify(b"hook-secret-xyz", header, &deliveries[1].raw, now())
        .expect("a valid signature");
    let wrong =
        voicebridge::webhook::signature::verify(b"other", header, &deliveries[1].raw, now());
    assert!(wrong.is_err());
    let summary_request = app.upstream.requests().pop().expect("summary request");
    assert!(summary_request.messages()[1]
        .1
        .contains("Caller: When do you open?"));
}

#[tokio::test]
async fn a_call_without_a_session_end_is_handed_on_once_it_goes_quiet() {
    let receiver = FakeUpstream::start().await;
    receiver.set_default(Reply::plain(200, "{}", Duration::ZERO));
    let hook = receiving(&receiver);
    let store = sqlite_url("idle");
    let app = spawn_app_with(&[
        ("CALL_STORE_URL", store.as_str()),
        ("POST_CALL_WEBHOOK_URL", hook.as_str()),
        ("POST_CALL_WEBHOOK_SECRET", "hook-secret-xyz"),
        ("SESSION_IDLE_TTL_SECS", "1"),
    ])
    .await;
    app.turn(&message("conv_quiet", "t1", "Hello")).await;
    deliveries_when(&receiver, 1).await;
    // That delivery is over, and a scan that began after it found nothing more to send.
    app.post_call_settled().await;
    app.post_call_scanned().await;
    let deliveries = receiver.requests();
    assert_eq!(deliveries.len(), 1, "{deliveries:?}");
    assert_eq!(deliveries[0].body["call"]["conversation_id"], "conv_quiet");
}

#[tokio::test]
async fn a_database_outage_loses_no_turn_and_records_arrive_once_it_is_back() {
    let db = Postgres::create("outage").await;
    let app = spawn_app_with(&[
        ("CALL_STORE_URL", db.url.as_str()),
        ("ADMIN_TOKEN", ADMIN),
        ("CALL_STORE_QUEUE_SIZE", "2"),
    ])
    .await;
    app.turn(&message("conv_outage", "t1", "Before")).await;
    let end = json!({"type": "session.end", "conversation_id": "conv_outage"});
    // Wait for t1 to be written, then take the database away.
    for _ in 0..200 {
        let response = app.admin_get("/api/calls/conv_outage").await;
        if response.status() == 200 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    admin_sql(&format!(
        "ALTER DATABASE {} WITH ALLOW_CONNECTIONS false",
        db.name
    ))
    .await;
    admin_sql(&format!(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{}'",
        db.name
    ))
    .await;

    // Turns go on as if nothing happened: every one is answered in full.
    for turn in ["t2", "t3", "t4", "t5"] {
        let events = app.turn(&message("conv_outage", turn, "During")).await;
        assert_well_formed(&events, turn);
        assert_eq!(spoken(&events), ["Hello there.", "How can I help?"]);
    }
    let metrics = app.metrics_text().await;
    let dropped = metrics
        .lines()
        .find(|l| l.starts_with("voicebridge_call_records_dropped_total "))
        .expect("dropped counter");
    assert_eq!(
        dropped, "voicebridge_call_records_dropped_total 1",
        "one past the bound of 2 (+1 in hand)"
    );
    // The writer's first failed attempt may still be under way (a connection to a
    // database that is going away can take a while to fail): wait for it, bounded.
    let mut metrics = metrics;
    for _ in 0..200 {
        let failed = metrics
            .lines()
            .any(|l| l.starts_with("voicebridge_call_store_errors_total ") && !l.ends_with(" 0"));
        if failed {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        metrics = app.metrics_text().await;
    }
    assert!(
        metrics
            .lines()
            .any(|l| l.starts_with("voicebridge_call_store_errors_total ") && !l.ends_with(" 0")),
        "{metrics}"
    );

    admin_sql(&format!(
        "ALTER DATABASE {} WITH ALLOW_CONNECTIONS true",
        db.name
    ))
    .await;
    assert_eq!(app.post_webhook(&end).await.status(), 200);
    let mut turns = 0;
    for _ in 0..400 {
        if let Ok(call) = app
            .admin_get("/api/calls/conv_outage")
            .await
            .json::<Value>()
            .await
        {
            turns = call["turns"].as_array().map_or(0, Vec::len);
            if turns == 4 && !call["session_report"].is_null() {
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert_eq!(
        turns, 4,
        "t1, and the three records the queue held through the outage"
    );
    db.drop_database().await;
}

#[tokio::test]
async fn calls_past_the_retention_are_deleted() {
    use voicebridge::records::{CallKey, CallStore, CallerRecord, Record, TurnRecord};
    let url = sqlite_url("retention");
    let store = CallStore::connect(&url).await.expect("opens");
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64);
    for (conversation, age_days) in [("conv_old", 3), ("conv_new", 0)] {
        let record = Record::Turn(TurnRecord {
            call: CallKey {
                agent: "default".into(),
                conversation_id: conversation.into(),
            },
            turn_id: "t1".into(),
            at_ms: now_ms - age_days * 24 * 60 * 60 * 1000,
            event: "message".into(),
            user_text: "Hi".into(),
            agent_text: "Hello.".into(),
            interrupted: false,
            outcome: "completed".into(),
            model: None,
            attempts: 1,
            first_token_ms: None,
            first_tts_ms: None,
            total_ms: None,
            prompt_tokens: None,
            completion_tokens: None,
            tools: Vec::new(),
            caller: CallerRecord::default(),
            without_history: false,
            door: "layercode".to_string(),
            trace_id: None,
            knowledge: Vec::new(),
            cached_tokens: None,
            cost_usd: None,
            record_content: None,
            redactions: None,
        });
        store.write(&record).await.expect("written");
    }
    let app = spawn_app_with(&[
        ("CALL_STORE_URL", url.as_str()),
        ("ADMIN_TOKEN", ADMIN),
        ("CALL_RETENTION_DAYS", "2"),
    ])
    .await;
    let mut status = 0;
    for _ in 0..200 {
        status = app.admin_get("/api/calls/conv_old").await.status().as_u16();
        if status == 404 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert_eq!(status, 404, "three days old, two days kept");
    assert_eq!(app.admin_get("/api/calls/conv_new").await.status(), 200);
}

#[tokio::test]
async fn the_example_receiver_takes_a_signed_delivery_once_despite_a_stalled_client() {
    use std::io::{Read, Write};
    let port = free_port();
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/post-call/receiver.py"
    );
    let mut receiver = std::process::Command::new("python3")
        .args(["-u", script, &port.to_string()])
        .env("POST_CALL_WEBHOOK_SECRET", "example-secret-123")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("python3 runs");
    let hook = format!("http://127.0.0.1:{port}/");
    let http = reqwest::Client::new();
    let mut up = false;
    for _ in 0..100 {
        if http.post(&hook).body("{}").send().await.is_ok() {
            up = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(up, "the receiver listens");
    let forged = http
        .post(&hook)
        .header("voicebridge-signature", format!("t={},v1=00", now()))
        .body("{}")
        .send()
        .await
        .expect("sent");
    assert_eq!(forged.status(), 401);
    // A body larger than any call record is refused before it is read.
    let mut huge = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connects");
    huge.set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout set");
    huge.write_all(b"POST / HTTP/1.1\r\nContent-Length: 1000000000\r\n\r\n{")
        .expect("written");
    let mut answer = [0u8; 12];
    huge.read_exact(&mut answer).expect("answered");
    assert_eq!(&answer, b"HTTP/1.0 413");
    // A client that stalls mid-request holds no other delivery up.
    let mut stalled = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connects");
    stalled
        .write_all(b"POST / HTTP/1.1\r\nContent-Length: 100\r\n\r\n{")
        .expect("written");

    let store = sqlite_url("receiver");
    let app = spawn_app_with(&[
        ("CALL_STORE_URL", store.as_str()),
        ("POST_CALL_WEBHOOK_URL", hook.as_str()),
        ("POST_CALL_WEBHOOK_SECRET", "example-secret-123"),
    ])
    .await;
    app.turn(&message("conv_example", "t1", "Hello there"))
        .await;
    let end = json!({"type": "session.end", "conversation_id": "conv_example"});
    app.post_webhook(&end).await;
    // Delivered 2 s after session.end; the receiver prints the call before it answers.
    marked_delivered(&store, "conv_example").await;
    // The same delivery sent twice (a retry whose first answer was lost) is taken once.
    let replayed = json!({"type": "call.ended", "call": {
        "agent": "default", "conversation_id": "conv_replayed", "outcome": "completed",
        "duration_ms": 1000, "turns": [{"user_text": "Hi", "agent_text": "Hello", "interrupted": false}],
    }});
    let body = serde_json::to_vec(&replayed).expect("json");
    for _ in 0..2 {
        let signed = voicebridge::webhook::signature::sign(b"example-secret-123", now(), &body);
        let answer = http
            .post(&hook)
            .header("voicebridge-signature", signed)
            .header(
                "voicebridge-delivery-id",
                "0123456789abcdef0123456789abcdef",
            )
            .body(body.clone())
            .send()
            .await
            .expect("sent");
        assert!(answer.status().is_success(), "{}", answer.status());
    }
    drop(stalled);
    let _ = receiver.kill();
    let mut printed = String::new();
    if let Some(mut out) = receiver.stdout.take() {
        let _ = out.read_to_string(&mut printed);
    }
    let _ = receiver.wait();
    assert!(
        printed.contains("default/conv_example: 1 turns"),
        "{printed}"
    );
    assert!(printed.contains("caller: Hello there"), "{printed}");
    assert_eq!(
        printed.matches("default/conv_replayed").count(),
        1,
        "{printed}"
    );
}

/// The receiver's requests once there are `count`, within 10 s.
async fn deliveries_when(
    receiver: &FakeUpstream,
    count: usize,
) -> Vec<crate::helpers::fake_upstream::Recorded> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while receiver.requests().len() < count {
        assert!(
            tokio::time::Instant::now() < deadline,
            "{} deliveries within 10 s, not {count}",
            receiver.requests().len()
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    receiver.requests()
}

/// Waits (10 s at most) until the call store at `url` has the call marked delivered.
async fn marked_delivered(url: &str, conversation: &str) {
    use sqlx::Connection;
    let sql = "SELECT COUNT(*) FROM calls WHERE conversation_id = $1 \
               AND post_call_delivered_ms IS NOT NULL";
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let marked: i64 = if url.starts_with("sqlite:") {
            let mut db = sqlx::SqliteConnection::connect(url).await.expect("opens");
            let query = sqlx::query_scalar(sql).bind(conversation);
            query.fetch_one(&mut db).await.expect("reads")
        } else {
            let mut db = sqlx::PgConnection::connect(url).await.expect("connects");
            let query = sqlx::query_scalar(sql).bind(conversation);
            query.fetch_one(&mut db).await.expect("reads")
        };
        if marked == 1 {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{conversation} was not marked delivered within 10 s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The post-call webhook URL that `receiver` answers.
fn receiving(receiver: &FakeUpstream) -> String {
    format!("{}/hooks/call", receiver.base_url.trim_end_matches("/v1"))
}

#[tokio::test]
async fn two_machines_on_one_database_deliver_a_quiet_call_once() {
    let db = Postgres::create("hook_two").await;
    let receiver = FakeUpstream::start().await;
    receiver.set_default(Reply::plain(200, "{}", Duration::ZERO));
    let hook = receiving(&receiver);
    let vars = [
        ("CALL_STORE_URL", db.url.as_str()),
        ("POST_CALL_WEBHOOK_URL", hook.as_str()),
        ("POST_CALL_WEBHOOK_SECRET", "hook-secret-xyz"),
        ("SESSION_IDLE_TTL_SECS", "1"),
    ];
    let a = spawn_app_with(&vars).await;
    let b = spawn_app_with(&vars).await;
    // Layercode sends the call's turns to either machine: both see it, then it goes quiet.
    a.turn(&message("conv_two", "t1", "Hello")).await;
    b.turn(&message("conv_two", "t2", "Are you there?")).await;

    let deliveries = deliveries_when(&receiver, 1).await;
    assert_eq!(deliveries[0].body["call"]["conversation_id"], "conv_two");
    marked_delivered(&db.url, "conv_two").await;
    // Each machine's idle sweep has handed the call on (and found it taken), and each has
    // finished a scan for calls owed that began after it was marked delivered.
    for machine in [&a, &b] {
        machine.post_call_settled().await;
        machine.post_call_scanned().await;
    }
    let deliveries = receiver.requests();
    assert_eq!(
        deliveries.len(),
        1,
        "one machine delivered it: {deliveries:?}"
    );
    db.drop_database().await;
}

#[tokio::test]
async fn a_call_stored_but_never_delivered_is_delivered_once_at_the_next_start() {
    use crate::helpers::binary::start_binary;
    let receiver = FakeUpstream::start().await;
    receiver.set_default(Reply::plain(200, "{}", Duration::ZERO));
    let hook = receiving(&receiver);
    let store = sqlite_url("owed");
    let vars = [
        ("CALL_STORE_URL", store.as_str()),
        ("POST_CALL_WEBHOOK_URL", hook.as_str()),
        ("POST_CALL_WEBHOOK_SECRET", "hook-secret-xyz"),
    ];

    // The first run stores a call and its end without delivering it (its webhook is not
    // set, as when a process stops before its delivery): the call is owed.
    let upstream = FakeUpstream::start().await;
    let mut server = start_binary(&upstream, &vars[..1]).await;
    for event in [
        message("conv_owed", "t1", "Hello"),
        json!({"type": "session.end", "conversation_id": "conv_owed"}),
    ] {
        let response = server.post_webhook(&event).await;
        assert_eq!(response.status(), 200);
        let _ = response.bytes().await;
    }
    server.signal("TERM");
    server.exit_code().await;
    drop(server);
    assert!(receiver.requests().is_empty(), "nothing delivered yet");

    // The next start delivers it, once.
    let second = spawn_app_with(&vars).await;
    let deliveries = deliveries_when(&receiver, 1).await;
    let call = &deliveries[0].body["call"];
    assert_eq!(call["conversation_id"], "conv_owed");
    assert_eq!(call["turns"][0]["user_text"], "Hello");
    assert!(call["ended_ms"].is_i64(), "{call}");
    marked_delivered(&store, "conv_owed").await;

    // A third start (the second still running) finds nothing owed: its first scan (2 s
    // after start) is over, and so is the second's, which delivered the call.
    let third = spawn_app_with(&vars).await;
    third.post_call_scanned().await;
    second.post_call_settled().await;
    drop(third);
    assert_eq!(receiver.requests().len(), 1, "delivered once");
}

/// A tool call is kept with its result as the model read it: the key the tool echoed is
/// redacted there too. The list counts the call's tools and tokens and shows its first
/// words.
#[tokio::test]
async fn a_tool_result_is_kept_as_the_model_read_it_and_the_list_counts_tools_and_tokens() {
    let server = FakeUpstream::start().await;
    let dir = crate::helpers::tools::tool_dir(&crate::helpers::tools::order_tools(&server, 3000));
    let key = "orders-secret-123";
    let store = sqlite_url("tool_result");
    let app = spawn_app_with(&[
        ("TOOLS_DIR", dir.to_str().expect("utf-8 path")),
        ("ORDERS_API_KEY", key),
        ("CALL_STORE_URL", store.as_str()),
        ("ADMIN_TOKEN", ADMIN),
    ])
    .await;
    server.enqueue(Reply::plain(
        200,
        &format!(r#"{{"status":"shipped","seen_key":"{key}"}}"#),
        Duration::ZERO,
    ));
    app.upstream.enqueue(Reply::tool_calls(
        &[],
        &[("c1", "get_order", r#"{"order_id":"A17"}"#)],
    ));
    app.upstream.enqueue(Reply::deltas(&["It has shipped."]));
    let events = app
        .turn(&message("conv_tool_rec", "t1", "Where is order A17?"))
        .await;
    assert_well_formed(&events, "t1");
    let read = app.upstream.requests()[1].body["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .find(|m| m["role"] == "tool")
        .expect("the tool's result")["content"]
        .clone();

    let mut call = Value::Null;
    for _ in 0..200 {
        let response = app.admin_get("/api/calls/conv_tool_rec").await;
        if response.status() == 200 {
            call = response.json().await.expect("json");
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let tool = &turn(&call, "t1")["tools"][0];
    assert_eq!(tool["name"], "get_order");
    assert_eq!(tool["outcome"], "ok");
    assert_eq!(tool["result"], read, "kept as the model read it");
    let kept = tool["result"].as_str().expect("a result");
    assert!(
        kept.contains("shipped") && kept.contains("[redacted]"),
        "{kept}"
    );
    assert!(!call.to_string().contains(key), "{call}");

    let list: Value = app
        .admin_get("/api/calls")
        .await
        .json()
        .await
        .expect("json");
    let summary = &list["calls"][0];
    assert_eq!(summary["conversation_id"], "conv_tool_rec");
    assert_eq!(summary["preview"], "Where is order A17?");
    assert_eq!(summary["tool_calls"], 1);
    assert!(summary["prompt_tokens"].is_u64(), "{summary}");
    assert!(summary["completion_tokens"].is_u64(), "{summary}");
}

/// An agent whose calls are analysed, on `store_url`: the model's first answer misses a
/// required field and is asked again with the problem; the second is stored, sent in the
/// post-call webhook and filtered on.
async fn analysis_on_record(store_url: &str) {
    let agents = folder_with(
        "analysis-agents",
        &[(
            "support.toml",
            "[analysis]\n\
             schema = { type = \"object\", properties = { order_id = { type = \"string\" } }, required = [\"order_id\"] }\n\
             success = \"The caller learned when the order arrives.\"\n\
             summary = true\n",
        )],
    );
    let receiver = FakeUpstream::start().await;
    receiver.set_default(Reply::plain(200, "{}", Duration::ZERO));
    let hook = receiving(&receiver);
    let app = spawn_app_with(&[
        ("AGENTS_DIR", agents.to_str().expect("utf-8")),
        ("CALL_STORE_URL", store_url),
        ("ADMIN_TOKEN", ADMIN),
        ("POST_CALL_WEBHOOK_URL", hook.as_str()),
        ("POST_CALL_WEBHOOK_SECRET", "hook-secret-xyz"),
    ])
    .await;
    app.upstream
        .enqueue(Reply::deltas(&["Order A17 should arrive on Friday."]));
    app.turn(&message(
        "conv_analysis",
        "t1",
        "When does order A17 arrive?",
    ))
    .await;
    // Not JSON at all (cut short), then JSON that misses a required field, then right.
    app.upstream
        .enqueue(Reply::deltas(&[r#"{"data": {"order_id": "#]));
    app.upstream.enqueue(Reply::deltas(&[
        r#"{"data": {"order_id": "A17"}, "success": false, "#,
        r#""success_reason": "No firm date was given.", "#,
        r#""summary": "The caller asked about order A17. The agent said Friday."}"#,
    ]));
    let end = json!({"type": "session.end", "conversation_id": "conv_analysis"});
    assert_eq!(app.post_webhook(&end).await.status(), 200);
    let delivered = deliveries_when(&receiver, 1).await;
    let call = &delivered[0].body["call"];
    assert_eq!(call["analysis"]["data"]["order_id"], "A17", "{call}");
    assert_eq!(call["analysis"]["success"], false);
    assert_eq!(call["success"], false);
    assert_eq!(
        call["summary_text"],
        "The caller asked about order A17. The agent said Friday."
    );
    // The model was asked for structured output, and asked again with the problem.
    let requests = app.upstream.requests();
    let (first, second) = (&requests[1], &requests[2]);
    assert_eq!(first.body["response_format"]["type"], "json_schema");
    assert!(first.messages()[1]
        .1
        .contains("Caller: When does order A17 arrive?"));
    let retry = second.messages().pop().expect("the retry's question").1;
    assert!(
        retry.starts_with("That answer is not valid: not JSON"),
        "{retry}"
    );

    // Stored, and the list filters on it.
    let stored = app.admin_get("/api/calls/conv_analysis").await;
    let stored: Value = stored.json().await.expect("json");
    assert_eq!(
        stored["analysis"]["success_reason"],
        "No firm date was given."
    );
    let listed = |filter: &'static str| {
        let app = &app;
        async move {
            let page: Value = app
                .admin_get(&format!("/api/calls?success={filter}"))
                .await
                .json()
                .await
                .expect("json");
            page["calls"].as_array().map_or(0, Vec::len)
        }
    };
    assert_eq!(listed("false").await, 1);
    assert_eq!(listed("true").await, 0);
}

#[tokio::test]
async fn a_call_is_analysed_validated_stored_and_sent_on_sqlite() {
    analysis_on_record(&sqlite_url("analysis")).await;
}

#[tokio::test]
async fn a_call_is_analysed_validated_stored_and_sent_on_postgres() {
    let db = Postgres::create("analysis").await;
    analysis_on_record(&db.url).await;
}
