//! Tool files for one test: a fresh folder of them, and the order tools (one fixture file
//! each, `tests/fixtures/tools/`) that the tool, CLI, scenario and llmock tests call on a
//! local fake tool server.

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
