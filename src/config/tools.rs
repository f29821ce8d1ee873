//! Tools: where the tool files and MCP server files are (start-up loads them), the
//! per-turn round limit, result size, filler delay and the built-in `end_call` tool.

use std::path::PathBuf;
use std::time::Duration;

use super::parse::{millis, parse_bool, positive, Get, Problems};
use super::ConfigError;

/// `TOOLS_DIR`: relative to the working directory, like the prompt file.
const DEFAULT_TOOLS_DIR: &str = "tools";
/// `MCP_DIR`: one `<name>.toml` per MCP server; missing is none.
const DEFAULT_MCP_DIR: &str = "mcp";
/// `TOOL_MAX_ROUNDS`: model↔tool rounds per turn; then the model must answer in words.
const DEFAULT_MAX_ROUNDS: u32 = 3;
/// `TOOL_RESULT_MAX_CHARS`: longer results are cut, with a note, before the model reads them.
const DEFAULT_RESULT_MAX_CHARS: usize = 4000;
/// `TOOL_FILLER_AFTER_MS`: a tool slower than this gets its `say_while_waiting` spoken.
const DEFAULT_FILLER_AFTER_MS: u64 = 500;

/// The tools part of [`super::Settings`].
#[derive(Debug, Clone)]
pub struct ToolSettings {
    /// `TOOLS_DIR`: where the tool files are.
    pub dir: PathBuf,
    /// `TOOLS_DIR` was set: its folder must exist (the default may be missing).
    pub dir_set: bool,
    /// Most model↔tool rounds in one turn.
    pub max_rounds: u32,
    /// Longest tool result the model reads, in characters.
    pub result_max_chars: usize,
    /// How long a tool may run before its `say_while_waiting` is spoken.
    pub filler_after: Duration,
    /// Offer the model the built-in `end_call` tool.
    pub end_call: bool,
    /// `MCP_DIR`: where the MCP server files are.
    pub mcp_dir: PathBuf,
    /// `MCP_DIR` was set: its folder must exist (the default may be missing).
    pub mcp_dir_set: bool,
}

impl ToolSettings {
    /// No tools at all (tests, and `chat`).
    pub fn none() -> Self {
        Self {
            dir: PathBuf::from(DEFAULT_TOOLS_DIR),
            dir_set: false,
            max_rounds: DEFAULT_MAX_ROUNDS,
            result_max_chars: DEFAULT_RESULT_MAX_CHARS,
            filler_after: Duration::from_millis(DEFAULT_FILLER_AFTER_MS),
            end_call: false,
            mcp_dir: PathBuf::from(DEFAULT_MCP_DIR),
            mcp_dir_set: false,
        }
    }
}

/// Reads the tool variables.
pub(super) fn tool_settings(get: &Get) -> Result<ToolSettings, ConfigError> {
    let (dir, mcp_dir) = (get("TOOLS_DIR"), get("MCP_DIR"));
    let problems = Problems::default();
    let settings = ToolSettings {
        dir_set: dir.is_some(),
        dir: PathBuf::from(dir.unwrap_or_else(|| DEFAULT_TOOLS_DIR.into())),
        mcp_dir_set: mcp_dir.is_some(),
        mcp_dir: PathBuf::from(mcp_dir.unwrap_or_else(|| DEFAULT_MCP_DIR.into())),
        max_rounds: problems.value(positive(
            "TOOL_MAX_ROUNDS",
            get("TOOL_MAX_ROUNDS"),
            DEFAULT_MAX_ROUNDS,
        )),
        result_max_chars: problems.value(positive(
            "TOOL_RESULT_MAX_CHARS",
            get("TOOL_RESULT_MAX_CHARS"),
            DEFAULT_RESULT_MAX_CHARS,
        )),
        filler_after: problems.value(millis(
            "TOOL_FILLER_AFTER_MS",
            get("TOOL_FILLER_AFTER_MS"),
            DEFAULT_FILLER_AFTER_MS,
        )),
        end_call: problems.value(parse_bool("END_CALL_TOOL", get("END_CALL_TOOL"))),
    };
    problems.finish()?;
    Ok(settings)
}
