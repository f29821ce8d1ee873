//! Personal data, end to end: the built server (its own logs at debug level), a caller who
//! says a card number, a phone number as words and an e-mail address with "at" and "dot"
//! beside an order id of card length; what each `RECORD_CONTENT` leaves in the call's
//! record, the post-call webhook and the summary's request, the debug log and the spans,
//! and what the model is sent.

use std::time::Duration;

use serde_json::{json, Value};

use crate::helpers::binary::start_binary;
use crate::helpers::db::sqlite_url;
use crate::helpers::fake_upstream::{FakeUpstream, Reply};
use crate::helpers::otlp::Receiver;
use crate::helpers::*;

const SAID: &str = "My card is 4111 1111 1111 1111 and my order is 4111 1111 1111 1112. \
     Call me on five five five, one two three, four five six seven, \
     or write to john dot smith at example dot com.";
const REPLY: &str = "Thanks, I will call 555-123-4567 about order 4111 1111 1111 1112.";
const ORDER: &str = "4111 1111 1111 1112";

/// What must never be kept when the words are redacted, in any of its forms.
const VALUES: [&str; 7] = [
    "4111 1111 1111 1111",
    "4111111111111111",
    "five five five, one two three",
    "555-123-4567",
    "john dot smith",
    "example dot com",
    "ana@example.org",
];

/// Everything one call left, as text.
struct Left {
    record: Value,
    webhook: String,
    summary_request: Option<String>,
    model_request: String,
    spans: String,
    log: String,
}

async fn one_call(content: &str, extra: &[(&str, &str)]) -> Left {
    let upstream = FakeUpstream::start().await;
    upstream.enqueue(Reply::deltas(&[REPLY]));
    upstream.enqueue(Reply::deltas(&["The caller gave their details."]));
    let hook = FakeUpstream::start().await;
    hook.set_default(Reply::plain(200, "{}", Duration::ZERO));
    let hook_url = format!("{}/hooks/call", hook.base_url.trim_end_matches("/v1"));
    let otlp = Receiver::start().await;
    let store = sqlite_url(&format!("privacy_{content}"));
    let mut vars = vec![
        ("RUST_LOG", "voicebridge=debug"),
        ("RECORD_CONTENT", content),
        ("CALL_STORE_URL", store.as_str()),
        ("ADMIN_TOKEN", ADMIN),
        ("POST_CALL_WEBHOOK_URL", hook_url.as_str()),
        ("POST_CALL_WEBHOOK_SECRET", "hook-secret-xyz"),
        ("POST_CALL_SUMMARY", "true"),
        ("OTEL_EXPORTER_OTLP_ENDPOINT", otlp.url.as_str()),
        ("OTEL_BSP_SCHEDULE_DELAY", "50"),
        ("OTEL_CAPTURE_CONTENT", "true"),
    ];
    vars.extend_from_slice(extra);
    let server = start_binary(&upstream, &vars).await;

    let mut turn = message("conv_pii", "t1", SAID);
    turn["metadata"] = json!({"email": "ana@example.org", "plan": "gold"});
    turn["from_phone_number"] = json!("+15550100100");
    let stream = server
        .post_webhook(&turn)
        .await
        .text()
        .await
        .expect("stream");
    assert_eq!(stream.matches("response.end").count(), 1, "{stream}");
    let end = json!({
        "type": "session.end",
        "conversation_id": "conv_pii",
        "duration": 9000,
        "transcript": [{"role": "user", "text": SAID}, {"role": "assistant", "text": REPLY}],
    });
    assert_eq!(server.post_webhook(&end).await.status(), 200);

    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    while hook.requests().is_empty() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "no post-call webhook"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let webhook = String::from_utf8(hook.requests()[0].raw.clone()).expect("utf-8");
    let record: Value = reqwest::Client::new()
        .get(format!("{}/api/calls/conv_pii", server.url))
        .bearer_auth(ADMIN)
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    let spans = otlp
        .wait_for(|spans| {
            spans.iter().any(|s| {
                s["name"]
                    .as_str()
                    .is_some_and(|n| n.starts_with("invoke_agent"))
            })
        })
        .await;
    let requests = upstream.requests();
    let log = server.stop_and_read_log();
    Left {
        record,
        webhook,
        model_request: requests[0].body.to_string(),
        summary_request: requests.get(1).map(|r| r.body.to_string()),
        spans: serde_json::to_string(&spans).expect("json"),
        log,
    }
}

fn none_of(values: &[&str], text: &str, what: &str) {
    for value in values {
        assert!(!text.contains(value), "{what} holds `{value}`: {text}");
    }
}

#[tokio::test]
async fn redacted_records_webhooks_logs_and_spans_keep_placeholders_and_the_order_id() {
    let left = one_call("redacted", &[]).await;
    let record = left.record.to_string();
    let summary = left
        .summary_request
        .clone()
        .expect("a summary was asked for");
    for (what, text) in [
        ("the record", &record),
        ("the post-call webhook", &left.webhook),
        ("the summary's request", &summary),
    ] {
        none_of(&VALUES, text, what);
        for kept in ["[card 1]", "[phone 1]", "[email 1]", ORDER] {
            assert!(text.contains(kept), "{what} lacks `{kept}`: {text}");
        }
    }
    let turn = &left.record["turns"][0];
    assert_eq!(
        turn["user_text"],
        "My card is [card 1] and my order is 4111 1111 1111 1112. Call me on [phone 1], \
         or write to [email 1]."
    );
    assert_eq!(
        turn["agent_text"],
        "Thanks, I will call [phone 1] about order 4111 1111 1111 1112."
    );
    assert_eq!(left.record["metadata"]["email"], "[email 2]");
    assert_eq!(left.record["metadata"]["plan"], "gold");
    assert_eq!(left.record["record_content"], "redacted");
    assert_eq!(
        left.record["redactions"],
        json!({"card": 1, "phone": 1, "email": 2}),
        "counts, never values"
    );
    // Logs and spans carry the type only.
    none_of(&VALUES, &left.log, "the debug log");
    assert!(
        left.log.contains("turn text") && left.log.contains("[card]"),
        "{}",
        left.log
    );
    none_of(&VALUES, &left.spans, "the spans");
    assert!(
        left.spans.contains("[card]"),
        "content is kept, redacted: {}",
        left.spans
    );
    // The model still heard the caller.
    assert!(left.model_request.contains("4111 1111 1111 1111"));
    assert!(left
        .model_request
        .contains("john dot smith at example dot com"));
}

#[tokio::test]
async fn none_keeps_no_words_anywhere_but_the_model_still_hears_them() {
    let left = one_call("none", &[]).await;
    let turn = &left.record["turns"][0];
    assert_eq!(
        (turn["user_text"].as_str(), turn["agent_text"].as_str()),
        (Some(""), Some(""))
    );
    assert_eq!(turn["outcome"], "completed");
    assert!(turn["first_tts_ms"].is_u64(), "timings are kept: {turn}");
    assert_eq!(left.record["metadata"], json!({}));
    assert!(left.record["from_phone_number"].is_null());
    assert_eq!(left.record["session_report"], json!({"duration": 9000}));
    assert_eq!(left.record["record_content"], "none");
    let words = [
        "My card",
        "order is",
        "Thanks, I will",
        "gold",
        "555-123",
        "4111 1111",
    ];
    none_of(&words, &left.record.to_string(), "the record");
    none_of(&words, &left.webhook, "the post-call webhook");
    assert!(left.summary_request.is_none(), "no words, no summary");
    assert!(!left.log.contains("turn text"), "{}", left.log);
    none_of(&words, &left.spans, "the spans");
    assert!(left.model_request.contains("4111 1111 1111 1111"));
}

#[tokio::test]
async fn full_keeps_every_word_as_before() {
    let left = one_call("full", &[]).await;
    assert_eq!(left.record["turns"][0]["user_text"], SAID);
    assert_eq!(left.record["turns"][0]["agent_text"], REPLY);
    assert_eq!(left.record["metadata"]["email"], "ana@example.org");
    assert_eq!(left.record["record_content"], "full");
    assert!(left.record["redactions"].is_null());
    assert!(left.webhook.contains("4111 1111 1111 1111"));
    assert!(left.log.contains("4111 1111 1111 1111"));
    assert!(left.spans.contains("4111 1111 1111 1111"));
}

#[tokio::test]
async fn redact_for_model_sends_the_model_numbered_placeholders() {
    let left = one_call("redacted", &[("REDACT_FOR_MODEL", "true")]).await;
    let sent = &left.model_request;
    none_of(&VALUES, sent, "the model's request");
    assert!(sent.contains("[card 1]") && sent.contains("[phone 1]") && sent.contains(ORDER));
}
