//! Several agents in one deployment: `AGENTS_DIR` (default `agents/`) holds one
//! `<name>.toml` per agent. Each file names its prompt file, phrases, webhook secret and
//! Layercode agent id, and may override any model setting (`model` for `LLM_MODEL`,
//! `temperature` for `LLM_TEMPERATURE`, …) and pick a subset of the tools. Whatever a file
//! leaves out comes from the environment, as for the single agent. A folder that is
//! missing or holds no agent file means today's single agent, configured from the
//! environment alone. This module reads no file: start-up lists and reads the folder and
//! hands each file's text to [`AgentFiles::parse`], then the list to
//! [`AgentFiles::assemble`].

use std::path::{Path, PathBuf};

use super::llm::{llm_settings, LlmSettings};
use super::parse::Get;
use super::vars::Vars;
use super::ConfigError;
use crate::secret::Secret;
use crate::toml_file::{resolve_env, toml_problem};

/// `AGENTS_DIR`: relative to the working directory, like the prompt file.
const DEFAULT_AGENTS_DIR: &str = "agents";

/// The name of the agent configured from the environment alone.
pub const DEFAULT_AGENT_NAME: &str = "default";

/// Keys of an agent file that override a variable of the environment, with it.
pub(super) const OVERRIDES: [(&str, &str); 21] = [
    ("model", "LLM_MODEL"),
    ("base_url", "LLM_BASE_URL"),
    ("api_key", "LLM_API_KEY"),
    ("temperature", "LLM_TEMPERATURE"),
    ("max_tokens", "LLM_MAX_TOKENS"),
    ("fallbacks", "LLM_FALLBACKS"),
    ("connect_timeout_ms", "LLM_CONNECT_TIMEOUT_MS"),
    ("first_token_timeout_ms", "LLM_FIRST_TOKEN_TIMEOUT_MS"),
    ("idle_timeout_ms", "LLM_IDLE_TIMEOUT_MS"),
    ("turn_timeout_ms", "LLM_TURN_TIMEOUT_MS"),
    ("max_retries", "LLM_MAX_RETRIES"),
    ("thinking_filler_after_ms", "THINKING_FILLER_AFTER_MS"),
    ("thinking_filler_text", "THINKING_FILLER_TEXT"),
    ("apology", "APOLOGY_MESSAGE"),
    ("platform_prompt", "OPENAI_PLATFORM_PROMPT"),
    ("openai_spoken_form", "OPENAI_SPOKEN_FORM"),
    ("vapi_secret", "VAPI_SECRET"),
    ("prompt_cache_key", "LLM_PROMPT_CACHE_KEY"),
    ("record_content", "RECORD_CONTENT"),
    ("redact_for_model", "REDACT_FOR_MODEL"),
    ("speech_language", "SPEECH_LANGUAGE"),
];

/// Keys of an agent file that are its own.
const OWN: [&str; 14] = [
    "prompt_file",
    "welcome",
    "webhook_secret",
    "layercode_agent_id",
    "tools",
    "openai_keys",
    "retell_keys",
    "transfer_numbers",
    "knowledge",
    "knowledge_mode",
    "knowledge_top_k",
    "prices_file",
    "analysis",
    "redact",
];

/// One agent's configuration.
#[derive(Debug, Clone)]
pub struct AgentConfig {
    /// Its name: the file's stem, or [`DEFAULT_AGENT_NAME`].
    pub name: String,
    /// The file it came from; `None` for the agent from the environment.
    pub file: Option<PathBuf>,
    /// Its system prompt file (a template).
    pub prompt_file: PathBuf,
    /// The agent file sets `prompt_file` (otherwise it is `SYSTEM_PROMPT_FILE`'s), so an
    /// unreadable prompt is that file's field.
    pub prompt_file_set: bool,
    /// Spoken on `session.start` (a template); empty means a silent start.
    pub welcome: String,
    /// Spoken when the model fails (a template).
    pub apology: String,
    /// The secret its webhooks are signed with; `None` only with unsigned webhooks allowed.
    pub webhook_secret: Option<Secret>,
    /// Its Layercode agent id, for the voice page and `/authorize`.
    pub layercode_agent_id: Option<String>,
    /// Its model settings.
    pub llm: LlmSettings,
    /// The tools it may call, by name; `None` means every tool in `TOOLS_DIR`.
    pub tools: Option<Vec<String>>,
    /// Its OpenAI door (for Vapi, ElevenLabs, any OpenAI client).
    pub door: super::DoorConfig,
    /// Its knowledge folders and how its turns use them.
    pub knowledge: super::AgentKnowledge,
    /// Its own price file (`prices_file`), in place of `PRICES_FILE`.
    pub prices_file: Option<PathBuf>,
    /// What its calls are analysed for once over (`[analysis]`).
    pub analysis: Option<super::AnalysisConfig>,
    /// What is kept of its callers' words (`record_content`, `redact_for_model`,
    /// `[[redact]]`).
    pub privacy: crate::privacy::Policy,
    /// Its own `speech_language`, in place of `SPEECH_LANGUAGE` (checked).
    pub speech_language: Option<String>,
}

/// The agents part of [`super::Settings`].
#[derive(Debug, Clone)]
pub struct AgentsConfig {
    /// Where agent files are read from.
    pub dir: PathBuf,
    /// The agents, sorted by name; one named `default` when the folder has none.
    pub agents: Vec<AgentConfig>,
    /// The agent `POST /agent` answers for.
    pub default: String,
    /// True when the agents came from files: their conversations are kept apart.
    pub from_files: bool,
}

/// Where the agent files are and what each falls back to: the agent the environment
/// describes. Values only; start-up reads the files.
#[derive(Debug, Clone)]
pub struct AgentFiles {
    /// `AGENTS_DIR`: where agent files are read from.
    pub dir: PathBuf,
    /// `AGENTS_DIR` was set: its folder must exist (the default may be missing).
    pub dir_set: bool,
    /// `DEFAULT_AGENT`, when set.
    pub default_agent: Option<String>,
    /// The agent configured from the environment alone; its webhook secret may be unset
    /// here (it is required only when no agent file exists).
    pub from_env: AgentConfig,
    /// `ALLOW_UNSIGNED_WEBHOOKS`.
    pub allow_unsigned: bool,
    /// The environment, for `${VAR}` and the settings a file leaves out.
    pub(super) vars: Vars,
}

/// Reads `AGENTS_DIR` and `DEFAULT_AGENT`; `from_env` is the single agent the environment
/// describes.
pub(super) fn agent_files(
    get: &Get,
    from_env: AgentConfig,
    allow_unsigned: bool,
    vars: Vars,
) -> AgentFiles {
    let dir = get("AGENTS_DIR");
    AgentFiles {
        dir_set: dir.is_some(),
        dir: PathBuf::from(dir.unwrap_or_else(|| DEFAULT_AGENTS_DIR.into())),
        default_agent: get("DEFAULT_AGENT").map(|n| n.trim().to_string()),
        from_env,
        allow_unsigned,
        vars,
    }
}

impl AgentFiles {
    /// The agents, from the files start-up read (sorted by path; empty when the folder
    /// is missing or holds none): the environment's single agent when there are none.
    pub fn assemble(&self, agents: Vec<AgentConfig>) -> Result<AgentsConfig, ConfigError> {
        let dir = self.dir.clone();
        if agents.is_empty() {
            if self.from_env.webhook_secret.is_none() && !self.allow_unsigned {
                return Err(missing_secret());
            }
            if let Some(name) = self
                .default_agent
                .as_ref()
                .filter(|n| *n != DEFAULT_AGENT_NAME)
            {
                return Err(ConfigError::new(
                    "DEFAULT_AGENT",
                    format!(
                        "`{name}` names no agent: {} holds no agent files",
                        dir.display()
                    ),
                ));
            }
            return Ok(AgentsConfig {
                dir,
                agents: vec![self.from_env.clone()],
                default: DEFAULT_AGENT_NAME.into(),
                from_files: false,
            });
        }
        let mut agents = agents;
        let default = match self.default_agent.clone() {
            Some(name) if agents.iter().any(|a| a.name == name) => name,
            Some(name) => {
                return Err(ConfigError::new(
                    "DEFAULT_AGENT",
                    format!("`{name}` is not one of the agents in {}", dir.display()),
                ))
            }
            None if agents.len() == 1 => agents[0].name.clone(),
            None => {
                return Err(ConfigError::new(
                    "DEFAULT_AGENT",
                    format!(
                        "is required with several agents in {} (the one POST /agent answers for)",
                        dir.display()
                    ),
                ))
            }
        };
        // OPENAI_DOOR_KEYS opens the default agent's door when its file names no keys.
        if let Some(agent) = agents
            .iter_mut()
            .find(|a| a.name == default && a.door.keys.is_empty())
        {
            agent.door.keys = self.from_env.door.keys.clone();
        }
        // So do RETELL_KEYS and RETELL_TRANSFER_NUMBERS its Retell WebSocket.
        if let Some(agent) = agents.iter_mut().find(|a| a.name == default) {
            if agent.door.retell_keys.is_empty() {
                agent.door.retell_keys = self.from_env.door.retell_keys.clone();
            }
            if agent.door.transfer_numbers.is_empty() {
                agent.door.transfer_numbers = self.from_env.door.transfer_numbers.clone();
            }
        }
        Ok(AgentsConfig {
            dir,
            agents,
            default,
            from_files: true,
        })
    }

    /// An error about the agent file at `path`, naming it (start-up's read errors).
    pub fn file_error(&self, path: &Path, problem: impl std::fmt::Display) -> ConfigError {
        file_error(path, "", problem)
    }
}

fn missing_secret() -> ConfigError {
    ConfigError::new(
        "LAYERCODE_WEBHOOK_SECRET",
        "is required (copy it from the Layercode dashboard); for local development \
         only, ALLOW_UNSIGNED_WEBHOOKS=true skips signature checks",
    )
}

/// The missing secret, said while the environment has other problems too (start-up, which
/// reads the agent files, is not reached): an agent file may set its own.
pub(super) fn missing_secret_among_others() -> ConfigError {
    let mut error = missing_secret();
    error.problem = error.problem.replacen(
        "dashboard);",
        "dashboard), unless every agent file in AGENTS_DIR sets its own webhook_secret;",
        1,
    );
    error
}

/// An error in an agent file, naming the file and the field.
pub(super) fn file_error(path: &Path, field: &str, problem: impl std::fmt::Display) -> ConfigError {
    let field = if field.is_empty() {
        String::new()
    } else {
        format!("{field}: ")
    };
    ConfigError::new(
        "AGENTS_DIR",
        format!("{}: {field}{problem}", path.display()),
    )
}

impl AgentFiles {
    /// The agent in the file at `path`, whose text is `text`: checked field by field,
    /// `${VAR}` resolved, and what it leaves out taken from the environment.
    pub fn parse(&self, path: &Path, text: &str) -> Result<AgentConfig, ConfigError> {
        let get = |name: &str| self.vars.get(name);
        let env = &self.from_env;
        let name = path
            .file_stem()
            .and_then(|s| s.to_str())
            .filter(|s| crate::toml_file::is_valid_name(s))
            .ok_or_else(|| {
                file_error(
                    path,
                    "",
                    "the file name must be 1 to 64 of A-Z a-z 0-9 _ - then .toml",
                )
            })?
            .to_string();
        let table: toml::Table = toml::from_str(text).map_err(|e| {
            file_error(
                path,
                "",
                format!("not valid TOML: {}", toml_problem(&e, text)),
            )
        })?;
        for key in table.keys() {
            let known = OWN.contains(&key.as_str()) || OVERRIDES.iter().any(|(k, _)| k == key);
            if !known {
                return Err(file_error(path, key, "unknown field"));
            }
        }
        let text_field = |key: &str| -> Result<Option<String>, ConfigError> {
            let value = match table.get(key) {
                None => return Ok(None),
                Some(toml::Value::String(s)) => s.clone(),
                Some(toml::Value::Integer(n)) => n.to_string(),
                Some(toml::Value::Float(x)) => x.to_string(),
                Some(toml::Value::Boolean(b)) => b.to_string(),
                Some(_) => return Err(file_error(path, key, "must be a string or a number")),
            };
            resolve_env(&value, &|var| get(var))
                .map(Some)
                .map_err(|problem| file_error(path, key, problem))
        };
        let overrides: Vec<(&str, String)> = OVERRIDES
            .iter()
            .map(|(key, variable)| Ok(text_field(key)?.map(|value| (*variable, value))))
            .collect::<Result<Vec<_>, ConfigError>>()?
            .into_iter()
            .flatten()
            .collect();
        let layered = |variable: &str| {
            overrides
                .iter()
                .find(|(v, _)| *v == variable)
                .map(|(_, value)| value.clone())
                .or_else(|| get(variable))
        };
        // A variable's problem, named by the file's field that set it.
        let in_file = |e: ConfigError| {
            let field = OVERRIDES
                .iter()
                .find(|(_, v)| *v == e.variable)
                .map_or(e.variable, |(k, _)| k);
            file_error(path, field, e.problem)
        };
        let llm = llm_settings(&layered).map_err(in_file)?;
        let tools = match table.get("tools") {
            None => None,
            Some(toml::Value::Array(items)) => Some(
                items
                    .iter()
                    .map(|item| match item {
                        toml::Value::String(s) => Ok(s.clone()),
                        _ => Err(file_error(path, "tools", "must be a list of tool names")),
                    })
                    .collect::<Result<Vec<_>, _>>()?,
            ),
            Some(_) => return Err(file_error(path, "tools", "must be a list of tool names")),
        };
        let door = self.door(path, &table, &layered)?;
        let webhook_secret = text_field("webhook_secret")?
            .filter(|s| !s.is_empty())
            .map(Secret::new)
            .or_else(|| env.webhook_secret.clone());
        if webhook_secret.is_none() && !self.allow_unsigned {
            return Err(file_error(
                path,
                "webhook_secret",
                "is required (this agent's secret from the Layercode dashboard), unless \
             LAYERCODE_WEBHOOK_SECRET or ALLOW_UNSIGNED_WEBHOOKS=true is set",
            ));
        }
        let prompt_file = text_field("prompt_file")?;
        let knowledge = super::knowledge::agent_knowledge(&table, &env.knowledge)
            .map_err(|(key, problem)| file_error(path, key, problem))?;
        let prices_file = text_field("prices_file")?.map(PathBuf::from);
        let analysis = super::analysis::analysis(&table)
            .map_err(|(key, problem)| file_error(path, key, problem))?;
        let patterns = super::privacy::patterns(&table)
            .map_err(|problem| file_error(path, "redact", problem))?;
        let privacy = super::privacy::policy(&layered, patterns).map_err(in_file)?;
        let speech_language = text_field("speech_language")?;
        super::speech::sentence_language(speech_language.as_deref()).map_err(in_file)?;
        Ok(AgentConfig {
            speech_language,
            privacy,
            analysis,
            prices_file,
            knowledge,
            name,
            file: Some(path.to_path_buf()),
            prompt_file_set: prompt_file.is_some(),
            prompt_file: prompt_file.map_or_else(|| env.prompt_file.clone(), PathBuf::from),
            welcome: text_field("welcome")?.unwrap_or_else(|| env.welcome.clone()),
            apology: layered("APOLOGY_MESSAGE").unwrap_or_else(|| env.apology.clone()),
            webhook_secret,
            layercode_agent_id: text_field("layercode_agent_id")?
                .or_else(|| env.layercode_agent_id.clone()),
            llm,
            tools,
            door,
        })
    }
}
