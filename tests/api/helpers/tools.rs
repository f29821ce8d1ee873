//! Tool files for one test: a fresh folder of them, and the order tools every tool test
//! uses against a local fake tool server.

use std::path::PathBuf;

use super::fake_upstream::FakeUpstream;
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

/// `get_order` (read-only GET) and `cancel_order` (mutating POST) against `server`.
pub fn order_tools(server: &FakeUpstream, timeout_ms: u64) -> Vec<(&'static str, String)> {
    let base = server.base_url.trim_end_matches("/v1");
    vec![
        (
            "get_order",
            format!(
                r#"
description = "Look up the status of an order by its number."
method = "GET"
url = "{base}/orders/{{order_id}}"
timeout_ms = {timeout_ms}
say_while_waiting = "One moment while I look that up."

[headers]
Authorization = "Bearer ${{ORDERS_API_KEY}}"

[parameters]
type = "object"
required = ["order_id"]
[parameters.properties.order_id]
type = "string"
description = "The order number, like A17."
[parameters.properties.detail]
type = "string"
"#
            ),
        ),
        (
            "cancel_order",
            format!(
                r#"
description = "Cancel an order."
method = "POST"
url = "{base}/orders/{{order_id}}/cancel"
timeout_ms = {timeout_ms}

[static]
channel = "voice"

[parameters]
type = "object"
required = ["order_id"]
[parameters.properties.order_id]
type = "string"
[parameters.properties.reason]
type = "string"
"#
            ),
        ),
    ]
}
