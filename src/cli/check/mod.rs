//! `voicebridge check`: the configuration is valid (it was parsed to get here); for every
//! agent, its webhook paths, its prompt and phrases compiled and rendered with sample
//! values, and every model it uses answering a tiny streamed completion; the tools.
//! Prints a report and returns whether everything passed.

use std::io::Write;
use std::time::{Duration, Instant};

use crate::config::{AgentConfig, AgentsConfig, Settings};
use crate::llm::{LlmClient, LlmError, Prompt};
use crate::secret::shown_url;
use crate::session::ChatMessage;
use crate::startup::{agent_settings, OperatorFiles};
use crate::template::CallContext;

mod costs;
mod knowledge;
mod privacy;
mod speech;
mod stores;
mod tools;
mod traces;
use stores::{call_store, session_store};
use tools::{mcp_servers, tools};
use traces::traces;

/// Checks everything; `false` means the report names a failure. `files` are what
/// start-up's loading steps read ([`crate::startup::load_files`]): a file that does not
/// load stopped `check` before this, naming its variable, file and field.
pub async fn run<W: Write>(
    settings: &Settings,
    files: &OperatorFiles,
    out: &mut W,
) -> std::io::Result<bool> {
    writeln!(out, "voicebridge check")?;
    writeln!(out, "  configuration      ok")?;
    for warning in &files.warnings {
        writeln!(out, "  warning            {warning}")?;
    }
    let mut passed = true;
    let agents = &files.agents;
    if agents.from_files {
        writeln!(
            out,
            "  agents             {} from {} (POST /agent answers for {})",
            agents.agents.len(),
            agents.dir.display(),
            agents.default
        )?;
    }
    writeln!(
        out,
        "  time zone          {}",
        settings.timezone.zone_name()
    )?;
    tools(settings, files, out)?;
    passed &= mcp_servers(settings, files, out).await?;
    passed &= session_store(settings, out).await?;
    passed &= call_store(settings, out).await?;
    passed &= traces(settings, out).await?;
    knowledge::knowledge(settings, files, out)?;
    costs::prices(settings, files, out)?;
    if let Err(error) = crate::startup::analysis_plans(&files.agents) {
        writeln!(out, "  analysis           FAILED: {error}")?;
        passed = false;
    }
    passed &= scenarios(settings, out)?;
    if settings.web.layercode_api_key.is_none() {
        writeln!(
            out,
            "  voice page         LAYERCODE_API_KEY not set: /authorize will answer 500"
        )?;
    }
    for agent in &agents.agents {
        passed &= check_agent(settings, agents, agent, out).await?;
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

/// One agent: where its webhooks go, its templates rendered with sample values, and its
/// models answering.
async fn check_agent<W: Write>(
    settings: &Settings,
    agents: &AgentsConfig,
    agent: &AgentConfig,
    out: &mut W,
) -> std::io::Result<bool> {
    let mut passed = true;
    let paths = if agent.name == agents.default {
        if agents.from_files {
            format!("POST /agent and /agent/{0} (also under /api)", agent.name)
        } else {
            "POST /agent (also /api/agent)".to_string()
        }
    } else {
        format!("POST /agent/{0} (also /api/agent/{0})", agent.name)
    };
    writeln!(out, "  agent {:<12} {paths}", agent.name)?;
    writeln!(out, "{}", speech::speech_line(settings, agent))?;
    let door = &agent.door;
    if door.keys.is_empty() {
        writeln!(
            out,
            "    OpenAI door: closed (no key: openai_keys in the agent file, or OPENAI_DOOR_KEYS)"
        )?;
    } else {
        let keys = door.keys.len();
        writeln!(
            out,
            "    OpenAI door: POST /openai/{}/v1/chat/completions ({keys} key{} set; platform \
             prompt: {}; spoken form: {})",
            agent.name,
            if keys == 1 { "" } else { "s" },
            door.platform_prompt.as_str(),
            if door.spoken_form { "on" } else { "off" }
        )?;
    }
    if door.retell_keys.is_empty() {
        writeln!(
            out,
            "    Retell socket: closed (no key: retell_keys in the agent file, or RETELL_KEYS)"
        )?;
    } else {
        let keys = door.retell_keys.len();
        let numbers = if door.transfer_numbers.is_empty() {
            "no transfer numbers".to_string()
        } else {
            format!("transfers to {}", door.transfer_numbers.join(", "))
        };
        writeln!(
            out,
            "    Retell socket: GET /retell/{}/<key>/<call id> ({keys} key{} set; {numbers})",
            agent.name,
            if keys == 1 { "" } else { "s" },
        )?;
    }
    knowledge::vapi_line(agent, out)?;
    costs::analysis_line(settings, agent, out)?;
    privacy::privacy_line(settings, agent, out)?;
    if let Some(tools) = &agent.tools {
        // What the agent's list allows; `server__*` stands for every tool of that MCP server.
        let listed = if tools.is_empty() {
            "none".to_string()
        } else {
            tools.join(", ")
        };
        writeln!(out, "    tools: {listed}")?;
    }
    if agent.layercode_agent_id.is_none() && agents.from_files {
        writeln!(
            out,
            "    layercode_agent_id not set: the voice page cannot talk to this agent"
        )?;
    }
    match agent_settings(settings, agent) {
        Ok(compiled) => {
            let prompt = compiled.system_prompt.source();
            writeln!(
                out,
                "  system prompt      ok ({}, {} characters)",
                agent.prompt_file.display(),
                prompt.chars().count()
            )?;
            costs::cache_warning(prompt, out)?;
            let sample = CallContext::sample(&agent.name);
            let now = &compiled.now;
            let templates = [
                ("system prompt", &compiled.system_prompt),
                ("welcome", &compiled.welcome),
                ("apology", &compiled.apology),
            ];
            let mut shown = false;
            for (what, template) in templates.into_iter().filter(|(_, t)| t.is_dynamic()) {
                if !shown {
                    writeln!(
                        out,
                        "    rendered with sample values (metadata.name = Ana, client.page = /pricing):"
                    )?;
                    shown = true;
                }
                writeln!(out, "    {what}:")?;
                for line in template.render(&sample, now).lines().take(12) {
                    writeln!(out, "      | {line}")?;
                }
            }
        }
        Err(error) => {
            passed = false;
            writeln!(out, "  system prompt      FAILED: {error}")?;
        }
    }

    let mut llm_settings = agent.llm.clone();
    llm_settings.max_tokens = Some(8);
    let client = match LlmClient::new(&llm_settings) {
        Ok(client) => client,
        Err(error) => {
            writeln!(out, "  model client       FAILED: {error}")?;
            return Ok(false);
        }
    };
    let deadline = agent.llm.first_token_timeout * 2;
    for (index, upstream) in agent.llm.upstreams.iter().enumerate() {
        let role = if index == 0 { "primary" } else { "fallback" };
        if upstream.is_demo() {
            writeln!(
                out,
                "  model {} ({role}): demo, the built-in demo model: canned replies, no key \
                 needed, no network call; not for production",
                index + 1
            )?;
            continue;
        }
        writeln!(
            out,
            "  model {} ({role}): {} at {}",
            index + 1,
            upstream.model,
            shown_url(&upstream.base_url)
        )?;
        let result = tokio::time::timeout(deadline, first_token(&client, index)).await;
        let result = result.unwrap_or(Err(LlmError::FirstTokenTimeout(deadline.as_millis())));
        passed &= report(out, result)?;
    }
    Ok(passed)
}

/// The scenarios `voicebridge test` runs by default; none is fine, one that does not load
/// fails the check.
fn scenarios<W: Write>(settings: &Settings, out: &mut W) -> std::io::Result<bool> {
    let folder = crate::cli::scenarios::DEFAULT_FOLDER;
    let any = std::fs::read_dir(folder).is_ok_and(|entries| {
        entries
            .flatten()
            .any(|e| e.path().extension().is_some_and(|x| x == "toml"))
    });
    let judge = settings
        .judge_model
        .as_deref()
        .unwrap_or("the primary model");
    let loaded = if any {
        crate::cli::scenarios::load(&[]).map(|s| s.len())
    } else {
        Ok(0)
    };
    match &loaded {
        Ok(found) => writeln!(
            out,
            "  scenarios          {found} in {folder}/ (voicebridge test; judged by {judge})"
        )?,
        Err(error) => writeln!(out, "  scenarios          FAILED: {error}")?,
    }
    Ok(loaded.is_ok())
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
                        &format!(
                            "FAILED (404): {message}; is the model name right, and does the \
                             URL above end where the API starts (most end in /v1: \
                             LLM_BASE_URL=https://api.openai.com/v1)?"
                        ),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn each_agents_tool_list_is_shown_with_mcp_names() {
        let stamp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let root = std::env::temp_dir().join(format!("voicebridge-check-tools-{stamp}"));
        let (mcp, agents) = (root.join("mcp"), root.join("agents"));
        for dir in [&mcp, &agents] {
            std::fs::create_dir_all(dir).expect("folder");
        }
        std::fs::write(
            mcp.join("weather.toml"),
            "url = \"http://127.0.0.1:9/mcp\"\n",
        )
        .expect("file");
        std::fs::write(
            agents.join("sales.toml"),
            "tools = [\"weather__*\", \"end_call\"]\n",
        )
        .expect("file");
        std::fs::write(agents.join("quiet.toml"), "tools = []\n").expect("file");
        let settings = Settings::from_pairs(&[
            ("LAYERCODE_WEBHOOK_SECRET", "whsec_x"),
            ("LLM_API_KEY", "k"),
            ("LLM_BASE_URL", "http://127.0.0.1:9/v1"),
            ("CALL_STORE_URL", "off"),
            ("DEFAULT_AGENT", "sales"),
            ("MCP_DIR", mcp.to_str().expect("utf-8")),
            ("AGENTS_DIR", agents.to_str().expect("utf-8")),
        ])
        .expect("valid");
        let files = crate::startup::load_files(&settings).expect("loads");
        let mut out = Vec::new();
        run(&settings, &files, &mut out).await.expect("written");
        let out = String::from_utf8(out).expect("utf-8");
        assert!(
            out.contains("  agent sales        POST /agent and /agent/sales"),
            "{out}"
        );
        assert!(out.contains("    tools: weather__*, end_call\n"), "{out}");
        assert!(out.contains("    tools: none\n"), "{out}");
    }
}
