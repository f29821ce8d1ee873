//! Typed, validated settings. This is the only module that reads environment variables;
//! everything else receives a [`Settings`]. Tests build settings from a map with
//! [`Settings::from_lookup`] instead of mutating the process environment. One file per
//! area, each with its defaults as named constants; `url.rs` holds the one URL check.

use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use crate::secret::Secret;
use crate::session::HistoryLimits;
use crate::speech::SpeechSettings;

mod agent;
mod agents;
mod analysis;
mod calls;
mod chat;
mod door;
mod dotenv;
mod embeddings;
mod knowledge;
mod llm;
mod logging;
mod parse;
mod privacy;
mod server;
mod session;
mod speech;
mod tools;
mod trace;
mod url;
mod vars;
mod web;

pub use agent::DEFAULT_APOLOGY;
pub use agents::{AgentConfig, AgentFiles, AgentsConfig, DEFAULT_AGENT_NAME};
pub use analysis::AnalysisConfig;
pub use calls::{CallSettings, DEFAULT_CALL_STORE_URL};
pub use chat::ChatSettings;
pub use door::{DoorConfig, MIN_KEY_LEN};
pub use dotenv::load_dotenv;
pub use embeddings::EmbeddingsSettings;
pub use knowledge::{AgentKnowledge, KnowledgeMode, KnowledgeSettings};
pub use llm::{Filler, LlmSettings, UpstreamSettings, DEMO_MODEL};
pub use logging::LogFormat;
pub use parse::ConfigError;
pub use server::WebhookLimits;
pub use speech::VoiceSettings;
pub use tools::ToolSettings;
pub use trace::{ParentlessRule, TraceSampler, TraceSettings};
pub use vars::Vars;
pub use web::WebSettings;

/// The whole validated configuration of the server.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Address to bind.
    pub host: IpAddr,
    /// Port to bind; `0` picks a free one (tests).
    pub port: u16,
    /// Layercode webhook secret; `None` only when unsigned webhooks are explicitly allowed.
    pub webhook_secret: Option<Secret>,
    /// The model.
    pub llm: LlmSettings,
    /// Path of the system prompt file.
    pub system_prompt_file: PathBuf,
    /// Spoken on `session.start`; empty means a silent start.
    pub welcome_message: String,
    /// Spoken when the model fails during a turn.
    pub apology_message: String,
    /// Cleanup and chunking of speech.
    pub speech: SpeechSettings,
    /// After this long without a delta, a finished-looking sentence is spoken.
    pub speech_idle_flush: Duration,
    /// Normalization, language and pronunciations of what is spoken.
    pub voice: VoiceSettings,
    /// History kept and sent upstream per conversation.
    pub history_limits: HistoryLimits,
    /// Conversations idle this long are forgotten.
    pub session_idle_ttl: Duration,
    /// Most conversations held in memory; the least recently used goes first.
    pub max_conversations: usize,
    /// `redis://…` or `rediss://…` to share conversations across machines; `None` keeps
    /// them in this process's memory.
    pub session_store_url: Option<Secret>,
    /// Prefix of every Redis key and channel, so several apps can share one Redis.
    pub session_store_prefix: String,
    /// Most replies kept on this machine while the session store cannot take them.
    pub session_reply_queue_max: usize,
    /// The browser side: `/authorize` and the voice page.
    pub web: WebSettings,
    /// Tools the model may call.
    pub tools: ToolSettings,
    /// Where the agent files are, and the agent the environment describes (start-up
    /// reads the files).
    pub agents: AgentFiles,
    /// The call store and the calls pages.
    pub calls: CallSettings,
    /// `JUDGE_MODEL`: the model `voicebridge test` asks for `expect_judge` verdicts, in
    /// place of the primary model; `None` uses the primary.
    pub judge_model: Option<String>,
    /// `AGENT_TIMEZONE`: the zone templates read `now` in.
    pub timezone: crate::template::Now,
    /// How webhook bodies are bounded in time and number before they are verified.
    pub webhook_limits: WebhookLimits,
    /// Longest wait for in-flight turns when stopping.
    pub shutdown_grace: Duration,
    /// Bearer token protecting `GET /metrics`; open when unset.
    pub metrics_token: Option<Secret>,
    /// `RUST_LOG`-style filter.
    pub log_filter: String,
    /// Output format of the logs.
    pub log_format: LogFormat,
    /// Where turns' traces go (OpenTelemetry's `OTEL_*` variables).
    pub traces: TraceSettings,
    /// The knowledge base's files and how turns use it.
    pub knowledge: KnowledgeSettings,
    /// The environment, for `${VAR}` in the files start-up loads.
    pub vars: Vars,
}

impl Settings {
    /// Reads the settings from the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the settings from the process environment, with `overrides` taking the place
    /// of those variables (`voicebridge test` runs its server on a free local port).
    pub fn from_env_with(overrides: &[(&str, &str)]) -> Result<Self, ConfigError> {
        let overrides: Vec<(String, String)> = overrides
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Self::from_lookup(move |name| {
            overrides
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
                .or_else(|| std::env::var(name).ok())
        })
    }

    /// Settings from `pairs` alone (unit tests); a later pair wins over an earlier one.
    #[cfg(test)]
    pub(crate) fn from_pairs(pairs: &[(&str, &str)]) -> Result<Self, ConfigError> {
        let map: std::collections::HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Self::from_lookup(move |name| map.get(name).cloned())
    }

    /// Reads the settings through `lookup`, which returns a variable's value if it is set.
    /// Empty values count as unset.
    pub fn from_lookup<F>(lookup: F) -> Result<Self, ConfigError>
    where
        F: Fn(&str) -> Option<String> + Send + Sync + 'static,
    {
        let lookup = std::sync::Arc::new(lookup);
        let vars = Vars::new({
            let lookup = lookup.clone();
            move |name: &str| lookup(name)
        });
        let get = |name: &str| vars.get(name);
        // Every area is read even when one fails, so one run names every problem.
        let problems = parse::Problems::default();
        let server = problems.take(server::server_config(&get, &*lookup));
        let llm = problems.take(llm::llm_settings(&get));
        let texts = agent::agent_texts(&get);
        let logging = problems.take(logging::logging(&get));
        let speech = problems.take(speech::speech_config(&get));
        let session = problems.take(session::session_config(&get));
        let web = problems.take(web::web_settings(&get));
        let tools = problems.take(tools::tool_settings(&get));
        let zone = get("AGENT_TIMEZONE").unwrap_or_else(|| "UTC".into());
        let timezone = problems.take(
            crate::template::Now::in_zone(&zone)
                .map_err(|problem| ConfigError::new("AGENT_TIMEZONE", problem)),
        );
        let calls = problems.take(calls::call_settings(&get));
        let door = problems.take(door::door_from_env(&get));
        let traces = problems.take(trace::trace_settings(&get));
        let knowledge = problems.take(knowledge::knowledge_settings(&get));
        let privacy = problems.take(privacy::policy(&get, Vec::new()));
        // Start-up would ask for the secret next: say so now, in the same list. (An
        // unreadable ALLOW_UNSIGNED_WEBHOOKS is already listed, so it counts as allowing.)
        let secret_set = lookup("LAYERCODE_WEBHOOK_SECRET").is_some_and(|v| !v.is_empty());
        let unsigned = parse::parse_bool("ALLOW_UNSIGNED_WEBHOOKS", get("ALLOW_UNSIGNED_WEBHOOKS"))
            .unwrap_or(true);
        if problems.any() && !secret_set && !unsigned {
            problems.push(agents::missing_secret_among_others());
        }
        let (
            Some(server),
            Some(llm),
            Some((log_filter, log_format)),
            Some(speech),
            Some(session),
            Some(web),
            Some(tools),
            Some(timezone),
            Some(calls),
            Some(door),
            Some(traces),
            Some(knowledge),
            Some(privacy),
        ) = (
            server, llm, logging, speech, session, web, tools, timezone, calls, door, traces,
            knowledge, privacy,
        )
        else {
            // Each `None` is a problem kept, so the list is never empty here.
            return Err(problems
                .into_error()
                .unwrap_or_else(|| ConfigError::new("SETTINGS", "invalid")));
        };
        let from_env = AgentConfig {
            speech_language: None,
            name: DEFAULT_AGENT_NAME.into(),
            file: None,
            prompt_file: texts.system_prompt_file.clone(),
            prompt_file_set: false,
            welcome: texts.welcome_message.clone(),
            apology: texts.apology_message.clone(),
            webhook_secret: server.webhook_secret.clone(),
            layercode_agent_id: web.agent_id.clone(),
            llm: llm.clone(),
            tools: None,
            door,
            knowledge: knowledge.for_agent(),
            prices_file: None,
            analysis: None,
            privacy,
        };
        let agents = agents::agent_files(&get, from_env, server.allow_unsigned, vars.clone());
        Ok(Self {
            judge_model: get("JUDGE_MODEL").map(|m| m.trim().to_string()),
            calls,
            timezone,
            host: server.host,
            port: server.port,
            webhook_secret: server.webhook_secret,
            llm,
            system_prompt_file: texts.system_prompt_file,
            welcome_message: texts.welcome_message,
            apology_message: texts.apology_message,
            speech: speech.speech,
            speech_idle_flush: speech.idle_flush,
            voice: speech.voice,
            history_limits: session.history_limits,
            session_idle_ttl: session.idle_ttl,
            max_conversations: session.max_conversations,
            session_store_url: session.store_url,
            session_store_prefix: session.store_prefix,
            session_reply_queue_max: session.reply_queue_max,
            web,
            tools,
            agents,
            webhook_limits: server.webhook_limits,
            shutdown_grace: server.shutdown_grace,
            metrics_token: server.metrics_token,
            log_filter,
            log_format,
            traces,
            knowledge,
            vars,
        })
    }
}

#[cfg(test)]
mod tests;
