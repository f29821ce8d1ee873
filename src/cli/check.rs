//! `voicebridge check`: the configuration is valid (it was parsed to get here), the
//! system prompt loads, and every configured model answers a tiny streamed completion.
//! Prints a report and returns whether everything passed.

use std::io::Write;
use std::time::{Duration, Instant};

use crate::config::{redacted_url, Settings};
use crate::llm::{LlmClient, LlmError, Prompt};
use crate::prompts::load_system_prompt;
use crate::session::ChatMessage;

/// Checks everything; `false` means the report names a failure.
pub async fn run<W: Write>(settings: &Settings, out: &mut W) -> std::io::Result<bool> {
    writeln!(out, "voicebridge check")?;
    writeln!(out, "  configuration      ok")?;
    let mut passed = true;
    match load_system_prompt(&settings.system_prompt_file) {
        Ok(prompt) => writeln!(
            out,
            "  system prompt      ok ({}, {} characters)",
            settings.system_prompt_file.display(),
            prompt.chars().count()
        )?,
        Err(error) => {
            passed = false;
            writeln!(out, "  system prompt      FAILED: {error}")?;
        }
    }
    tools(settings, out)?;
    if settings.web.layercode_api_key.is_none() {
        writeln!(
            out,
            "  voice page         LAYERCODE_API_KEY not set: /authorize will answer 500"
        )?;
    }

    let mut llm_settings = settings.llm.clone();
    llm_settings.max_tokens = Some(8);
    let client = match LlmClient::new(&llm_settings) {
        Ok(client) => client,
        Err(error) => {
            writeln!(out, "  model client       FAILED: {error}")?;
            return Ok(false);
        }
    };
    let deadline = settings.llm.first_token_timeout * 2;
    for (index, upstream) in settings.llm.upstreams.iter().enumerate() {
        let role = if index == 0 { "primary" } else { "fallback" };
        writeln!(
            out,
            "  model {} ({role}): {} at {}",
            index + 1,
            upstream.model,
            redacted_url(&upstream.base_url)
        )?;
        let result = tokio::time::timeout(deadline, first_token(&client, index)).await;
        let result = result.unwrap_or(Err(LlmError::FirstTokenTimeout(deadline.as_millis())));
        passed &= report(out, result)?;
    }
    writeln!(
        out,
        "{}",
        if passed {
            "all checks passed"
        } else {
            "some checks FAILED"
        }
    )?;
    Ok(passed)
}

/// The tools the model is offered. Every file was checked while the configuration was
/// read, so an invalid one never gets here: it stopped `check` with its file and field.
fn tools<W: Write>(settings: &Settings, out: &mut W) -> std::io::Result<()> {
    let tools = &settings.tools;
    let loaded = tools.toolbox.tools();
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
    for tool in loaded {
        let kind = if tool.mutating() {
            "mutating"
        } else {
            "read-only"
        };
        writeln!(
            out,
            "    {:<16} {} {} ({kind}, timeout {} ms)",
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
            crate::turn::END_CALL
        )?;
    }
    Ok(())
}

/// Time to the first token of a one-word completion.
async fn first_token(client: &LlmClient, index: usize) -> Result<Duration, LlmError> {
    let started = Instant::now();
    let question = [ChatMessage::user("Say ok.", "check")];
    let mut stream = client
        .stream_chat(
            index,
            &Prompt::new("Reply with the single word: ok", &question),
        )
        .await?;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk?;
        if chunk.text.is_some() || chunk.reasoning || !chunk.tool_calls.is_empty() {
            return Ok(started.elapsed());
        }
    }
    Err(LlmError::Truncated)
}

fn report<W: Write>(out: &mut W, result: Result<Duration, LlmError>) -> std::io::Result<bool> {
    let line = |out: &mut W, what: &str, verdict: &str| writeln!(out, "    {what:<16} {verdict}");
    match result {
        Ok(first) => {
            line(out, "reachable", "ok")?;
            line(out, "key accepted", "ok")?;
            line(out, "model exists", "ok")?;
            line(out, "first token", &format!("{} ms", first.as_millis()))?;
            Ok(true)
        }
        Err(LlmError::Unreachable(reason)) => {
            line(out, "reachable", &format!("FAILED: {reason}"))?;
            Ok(false)
        }
        Err(LlmError::Status {
            status, message, ..
        }) => {
            line(out, "reachable", "ok")?;
            match status {
                401 | 403 => line(
                    out,
                    "key accepted",
                    &format!("FAILED ({status}): {message}"),
                )?,
                404 => {
                    line(out, "key accepted", "ok")?;
                    line(
                        out,
                        "model exists",
                        &format!("FAILED (404, or a wrong base URL): {message}"),
                    )?;
                }
                _ => line(out, "answer", &format!("FAILED ({status}): {message}"))?,
            }
            Ok(false)
        }
        Err(error) => {
            line(out, "reachable", "ok")?;
            line(out, "answer", &format!("FAILED: {error}"))?;
            Ok(false)
        }
    }
}
