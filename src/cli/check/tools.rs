//! What `check` says of the tools: the tool files, the built-in `end_call`, and each MCP
//! server with whether it answers and what it offers.

use std::io::Write;

use crate::config::Settings;
use crate::startup::OperatorFiles;

/// The tools the model is offered.
pub(super) fn tools<W: Write>(
    settings: &Settings,
    files: &OperatorFiles,
    out: &mut W,
) -> std::io::Result<()> {
    let tools = &settings.tools;
    let loaded = files.toolbox.tools();
    if loaded.is_empty() && !tools.end_call {
        return writeln!(
            out,
            "  tools              none (no tool files in {})",
            tools.dir.display()
        );
    }
    writeln!(
        out,
        "  tools              {} from {} (at most {} rounds a turn, filler after {} ms)",
        loaded.len(),
        tools.dir.display(),
        tools.max_rounds,
        tools.filler_after.as_millis()
    )?;
    let answers = if settings.session_store_url.is_some() {
        "answers reach it from any machine through Redis"
    } else {
        "answers reach it on this machine"
    };
    for tool in loaded {
        if tool.client() {
            writeln!(
                out,
                "    {:<16} client tool, run by the page (timeout {} ms; {answers})",
                tool.name(),
                tool.timeout().as_millis()
            )?;
            continue;
        }
        let kind = if tool.mutating() {
            "mutating"
        } else {
            "read-only"
        };
        let redirects = if tool.follows_same_origin_redirects() {
            ", follows same-origin redirects"
        } else {
            ""
        };
        writeln!(
            out,
            "    {:<16} {} {} ({kind}, timeout {} ms{redirects})",
            tool.name(),
            tool.method(),
            tool.url_template(),
            tool.timeout().as_millis()
        )?;
    }
    if tools.end_call {
        writeln!(
            out,
            "    {:<16} built in: ends the call after the goodbye",
            crate::tools::END_CALL
        )?;
    }
    Ok(())
}

/// Each MCP server: its URL (redacted), whether it answers, and its tools. A server that
/// does not answer fails the check (the server would start, and its agents would talk
/// without its tools until it answers); `false` then.
pub(super) async fn mcp_servers<W: Write>(
    settings: &Settings,
    files: &OperatorFiles,
    out: &mut W,
) -> std::io::Result<bool> {
    if files.mcp_servers.is_empty() {
        return Ok(true);
    }
    let mut passed = true;
    let registry = crate::mcp::McpRegistry::new(&files.mcp_servers);
    writeln!(
        out,
        "  mcp servers        {} from {}",
        files.mcp_servers.len(),
        settings.tools.mcp_dir.display()
    )?;
    for (name, url, state) in registry.probe().await {
        let url = crate::secret::shown_url(&url);
        match state {
            crate::mcp::McpState::Connected(tools) => {
                writeln!(
                    out,
                    "    {name:<16} {url}: connected with {} tools",
                    tools.len()
                )?;
                for tool in tools.iter() {
                    let kind = if tool.mutating {
                        "mutating"
                    } else {
                        "read-only"
                    };
                    writeln!(out, "      {} ({kind})", tool.name)?;
                }
            }
            crate::mcp::McpState::Unreachable(error) => {
                passed = false;
                writeln!(out, "    {name:<16} {url}: FAILED: unreachable: {error}")?;
            }
            crate::mcp::McpState::Connecting => {
                passed = false;
                writeln!(out, "    {name:<16} {url}: FAILED: not tried")?;
            }
        }
    }
    Ok(passed)
}
