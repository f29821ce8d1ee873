//! What start-up says: the one line that the server is up, and the warnings an operator
//! must not miss (unsigned webhooks, the demo model).

use crate::config::Settings;
use crate::secret::shown_url;

use super::OperatorFiles;

pub(super) fn warn_if_unsigned(files: &OperatorFiles) {
    if files
        .agents
        .agents
        .iter()
        .any(|agent| agent.webhook_secret.is_none())
    {
        tracing::warn!(
            "ALLOW_UNSIGNED_WEBHOOKS=true: webhook signatures are NOT checked. Anyone who \
             can reach this server can spend your model budget. Local development only."
        );
    }
}

/// Says loudly when an agent answers with the built-in demo model (`LLM_MODEL=demo`, or
/// `model = "demo"` in an agent file).
pub(super) fn warn_if_demo(files: &OperatorFiles) {
    let agents: Vec<&str> = files
        .agents
        .agents
        .iter()
        .filter(|agent| agent.llm.upstreams.iter().any(|u| u.is_demo()))
        .map(|agent| agent.name.as_str())
        .collect();
    if !agents.is_empty() {
        tracing::warn!(
            agents = %agents.join(", "),
            "LLM_MODEL=demo: the built-in demo model answers every turn with a canned reply \
             that repeats the caller. No key needed and no model is called: for trying \
             voicebridge out, not for production. Set LLM_MODEL and LLM_API_KEY for a real one."
        );
    }
}

/// The one line that says the server is up: where to open the page, what answers, what
/// was loaded, and whether the calls pages are on.
pub(super) fn log_listening(settings: &Settings, files: &OperatorFiles, port: u16) {
    let host = match settings.host {
        host if host.is_unspecified() => "localhost".to_string(),
        std::net::IpAddr::V6(host) => format!("[{host}]"),
        host => host.to_string(),
    };
    let calls_pages = match (&settings.calls.store_url, &settings.calls.admin_token) {
        (Some(_), Some(_)) => "on (/calls)",
        (Some(_), None) => "off (set ADMIN_TOKEN)",
        (None, _) => "off (no call store)",
    };
    tracing::info!(
        open = %format!("http://{host}:{port}/"),
        port,
        model = %settings.llm.upstreams[0].model,
        base_url = %shown_url(&settings.llm.upstreams[0].base_url),
        fallbacks = settings.llm.upstreams.len() - 1,
        agents = files.agents.agents.len(),
        tools = files.toolbox.len(),
        mcp_servers = files.mcp_servers.len(),
        calls_pages,
        "voicebridge listening"
    );
}
