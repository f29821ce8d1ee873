//! Tool files for one test: a fresh folder of them, and the order tools (one fixture file
//! each, `tests/fixtures/tools/`) that the tool, CLI, scenario and llmock tests call on a
//! local fake tool server.

use std::future::Future;
use std::path::PathBuf;
use std::time::Instant;

use super::app::{message, TestApp};
use super::fake_upstream::{FakeUpstream, Reply};
use super::sse::SseReader;
use super::unique::temp_folder;

/// What the fake order service answers for an order.
pub const ORDER_BODY: &str = r#"{"status":"shipped","eta":"tomorrow"}"#;

/// A folder of tool files for one test.
pub fn tool_dir(files: &[(&str, String)]) -> PathBuf {
    let dir = temp_folder("tools");
    for (name, text) in files {
        std::fs::write(dir.join(format!("{name}.toml")), text).expect("tool file");
    }
    dir
}

/// The order tools' files, `tests/fixtures/tools/`.
const ORDER_TOOLS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/tools/");

/// `get_order` (read-only GET, with a filler and an `ORDERS_API_KEY` header) and
/// `cancel_order` (mutating POST, with a static `channel`) against `server`, each given
/// `timeout_ms`.
pub fn order_tools(server: &FakeUpstream, timeout_ms: u64) -> Vec<(&'static str, String)> {
    let base = server.base_url.trim_end_matches("/v1");
    ["get_order", "cancel_order"]
        .into_iter()
        .map(|name| {
            let path = format!("{ORDER_TOOLS}{name}.toml");
            let text = std::fs::read_to_string(&path).expect("order tool fixture");
            let default = "\ntimeout_ms = 3000\n";
            assert!(text.contains(default), "{path} says {default:?}");
            let text = text
                .replace("TOOL_SERVER", base)
                .replace(default, &format!("\ntimeout_ms = {timeout_ms}\n"));
            (name, text)
        })
        .collect()
}

/// Starts turn `t1` of `conversation` ("Do it"), in which the model says `said` then calls
/// `name` with `args` (call id `b1`; the reply queued for the next round, "Never heard.",
/// is never asked for), reads until the words were spoken and the call started, waits
/// for `reached` (the call got to the tool), then hangs up (a barge-in). Returns when it
/// hung up.
pub async fn hang_up_during_a_call(
    app: &TestApp,
    conversation: &str,
    said: &str,
    (name, args): (&str, &str),
    reached: impl Future<Output = ()>,
) -> Instant {
    app.upstream
        .enqueue(Reply::tool_calls(&[said], &[("b1", name, args)]));
    app.upstream.enqueue(Reply::deltas(&["Never heard."]));
    let response = app
        .post_webhook(&message(conversation, "t1", "Do it"))
        .await;
    assert_eq!(response.status(), 200);
    let mut reader = SseReader::new(response);
    let (mut spoken, mut started) = (false, false);
    while !(spoken && started) {
        let event = reader.next_event().await.expect("the call starts");
        spoken |= event["type"] == "response.tts";
        started |= event["content"]["tool"]["status"] == "started";
    }
    reached.await;
    drop(reader);
    Instant::now()
}
