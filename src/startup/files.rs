//! The operator's files, read at start-up in named steps: tool files (`TOOLS_DIR`), MCP
//! server files (`MCP_DIR`), agent files (`AGENTS_DIR`), then every agent's tool list
//! checked against what those define. A bad file stops start-up naming its variable,
//! file and field. `voicebridge check` runs the same steps.

use std::path::Path;
use std::sync::Arc;

use super::StartupError;
use crate::config::{AgentConfig, AgentsConfig, Settings};
use crate::mcp::{McpServerConfig, NAME_SEPARATOR};
use crate::tools::{Toolbox, END_CALL};

/// What the files hold, loaded and checked.
#[derive(Debug, Clone)]
pub struct OperatorFiles {
    /// The tools from `TOOLS_DIR`.
    pub toolbox: Arc<Toolbox>,
    /// The MCP servers from `MCP_DIR`, by name.
    pub mcp_servers: Arc<Vec<McpServerConfig>>,
    /// The agents from `AGENTS_DIR`, or the one the environment describes.
    pub agents: AgentsConfig,
    /// Files in those folders that are not read (not `*.toml`), and knowledge files
    /// skipped, one warning each.
    pub warnings: Vec<String>,
    /// The knowledge bases the agents use, one per set of folders (none for agents with
    /// knowledge off).
    pub knowledge: Vec<Arc<crate::knowledge::Shelf>>,
    /// The models' prices from `PRICES_FILE` (an agent file may name its own).
    pub prices: Arc<crate::pricing::Prices>,
}

/// Loads every file the settings point at, in order, and checks the agents' tool lists.
/// A folder whose variable is set must exist; a default one may be missing (none). Files
/// in the folders that are not `*.toml` become warnings.
pub fn load_files(settings: &Settings) -> Result<OperatorFiles, StartupError> {
    let folders = [
        ("TOOLS_DIR", &settings.tools.dir),
        ("MCP_DIR", &settings.tools.mcp_dir),
        ("AGENTS_DIR", &settings.agents.dir),
    ];
    let mut warnings: Vec<String> = folders
        .into_iter()
        .flat_map(|(variable, dir)| {
            crate::toml_file::other_files(dir)
                .into_iter()
                .map(move |file| {
                    format!(
                        "{variable}: {} is not read: only *.toml files are",
                        file.display()
                    )
                })
        })
        .collect();
    let toolbox = load_tool_files(settings)?;
    let mcp_servers = load_mcp_server_files(settings)?;
    let agents = load_agent_files(settings)?;
    check_agent_tools(settings, &agents, &toolbox, &mcp_servers)?;
    let knowledge = load_knowledge(settings, &agents)?;
    for shelf in &knowledge {
        let base = shelf.current();
        let source = if shelf.dirs() == [settings.knowledge.dir.clone()] {
            "KNOWLEDGE_DIR".to_string()
        } else {
            format!("knowledge {}", base.where_from())
        };
        warnings.extend(
            base.skipped
                .iter()
                .map(|why| format!("{source}: {why}; the file is skipped")),
        );
    }
    let prices = super::prices::load_prices(settings)?;
    for agent in &agents.agents {
        super::prices::agent_prices(&prices, agent)?;
    }
    Ok(OperatorFiles {
        prices,
        knowledge,
        toolbox: Arc::new(toolbox),
        mcp_servers: Arc::new(mcp_servers),
        agents,
        warnings,
    })
}

/// Nothing when `dir` exists or its variable was left unset (a missing default folder
/// holds nothing); otherwise the error naming the variable and the path.
fn set_folder_exists(variable: &'static str, dir: &Path, set: bool) -> Result<(), StartupError> {
    if !set || dir.exists() {
        return Ok(());
    }
    Err(StartupError::File {
        variable,
        problem: format!(
            "{}: no such folder (a folder set in {variable} must exist; leave it unset for \
             the default)",
            dir.display()
        ),
    })
}

/// The knowledge bases of the agents whose knowledge is on, read and indexed: one per set
/// of folders, shared by the agents that name the same ones. A folder named (in
/// `KNOWLEDGE_DIR` or an agent file's `knowledge`) must exist.
pub fn load_knowledge(
    settings: &Settings,
    agents: &AgentsConfig,
) -> Result<Vec<Arc<crate::knowledge::Shelf>>, StartupError> {
    let config = &settings.knowledge;
    let embedder = match &config.embeddings {
        None => None,
        Some(embeddings) => Some(Arc::new(
            crate::knowledge::embed::Embedder::new(embeddings).map_err(|e| {
                StartupError::Tools(format!("cannot build the embeddings' HTTP client: {e}"))
            })?,
        )),
    };
    let mut shelves: Vec<Arc<crate::knowledge::Shelf>> = Vec::new();
    for agent in &agents.agents {
        let wanted = &agent.knowledge;
        if wanted.mode == crate::config::KnowledgeMode::Off
            || shelves.iter().any(|s| s.dirs() == wanted.dirs.as_slice())
        {
            continue;
        }
        // An agent file's own folders are that file's field; the others KNOWLEDGE_DIR.
        let own = agent
            .file
            .as_ref()
            .filter(|_| wanted.dirs != [config.dir.clone()]);
        for dir in wanted
            .dirs
            .iter()
            .filter(|d| wanted.dirs_set && !d.exists())
        {
            let Some(file) = own else {
                set_folder_exists("KNOWLEDGE_DIR", dir, true)?;
                continue;
            };
            return Err(StartupError::File {
                variable: "AGENTS_DIR",
                problem: format!(
                    "{}: knowledge: {}: no such folder (relative to the working directory)",
                    file.display(),
                    dir.display()
                ),
            });
        }
        // SPEECH_LANGUAGE may name a language without a stemmer (pl, cs): English then.
        let language = match crate::knowledge::language(&config.language) {
            None if config.language_from_speech => "en",
            _ => config.language.as_str(),
        };
        let shelf = crate::knowledge::Shelf::load(
            wanted.dirs.clone(),
            language,
            config.min_score,
            embedder.clone(),
        )
        .map_err(|e| StartupError::File {
            variable: "KNOWLEDGE_LANGUAGE",
            problem: e.to_string(),
        })?;
        shelves.push(Arc::new(shelf));
    }
    Ok(shelves)
}

/// Embeds every knowledge base's passages in the background (from the cache where their
/// text is unchanged); until one is done, its turns search by keyword only.
pub fn embed_in_background(
    shelves: &[Arc<crate::knowledge::Shelf>],
    shutdown: &tokio_util::sync::CancellationToken,
) {
    for shelf in shelves.iter().filter(|s| s.embedder().is_some()) {
        let (shelf, shutdown) = (shelf.clone(), shutdown.clone());
        tokio::spawn(async move {
            let folders = shelf.current().where_from();
            tokio::select! {
                () = shutdown.cancelled() => {}
                done = shelf.embed_current() => match done {
                    Ok(Some(report)) => tracing::info!(
                        %folders,
                        cached = report.cached,
                        embedded = report.embedded,
                        "knowledge passages embedded"
                    ),
                    Ok(None) => {}
                    Err(error) => tracing::error!(
                        %folders,
                        %error,
                        "knowledge passages not embedded: turns search by keyword only"
                    ),
                },
            }
        });
    }
}

/// The knowledge base of `agent` among `shelves` (`None` when its knowledge is off).
pub fn shelf_of(
    shelves: &[Arc<crate::knowledge::Shelf>],
    agent: &AgentConfig,
) -> Option<Arc<crate::knowledge::Shelf>> {
    if agent.knowledge.mode == crate::config::KnowledgeMode::Off {
        return None;
    }
    shelves
        .iter()
        .find(|s| s.dirs() == agent.knowledge.dirs.as_slice())
        .cloned()
}

/// Every tool file in `TOOLS_DIR`, its schema compiled and `${VAR}` resolved.
pub fn load_tool_files(settings: &Settings) -> Result<Toolbox, StartupError> {
    set_folder_exists("TOOLS_DIR", &settings.tools.dir, settings.tools.dir_set)?;
    Toolbox::load(&settings.tools.dir, &|name| settings.vars.get(name)).map_err(|e| {
        StartupError::File {
            variable: "TOOLS_DIR",
            problem: e.to_string(),
        }
    })
}

/// Every MCP server file in `MCP_DIR`, `${VAR}` resolved (the servers are reached later,
/// in the background).
pub fn load_mcp_server_files(settings: &Settings) -> Result<Vec<McpServerConfig>, StartupError> {
    let tools = &settings.tools;
    set_folder_exists("MCP_DIR", &tools.mcp_dir, tools.mcp_dir_set)?;
    crate::mcp::load_dir(&settings.tools.mcp_dir, &|name| settings.vars.get(name)).map_err(
        |problem| StartupError::File {
            variable: "MCP_DIR",
            problem,
        },
    )
}

/// The agent files in `AGENTS_DIR`, each parsed over what the environment says; the
/// environment's single agent when there are none.
pub fn load_agent_files(settings: &Settings) -> Result<AgentsConfig, StartupError> {
    let files = &settings.agents;
    set_folder_exists("AGENTS_DIR", &files.dir, files.dir_set)?;
    let mut agents: Vec<AgentConfig> = Vec::new();
    for path in crate::toml_file::toml_files(&files.dir).map_err(|e| StartupError::File {
        variable: "AGENTS_DIR",
        problem: format!("{}: cannot read the folder: {e}", files.dir.display()),
    })? {
        let text = std::fs::read_to_string(&path)
            .map_err(|e| files.file_error(&path, format!("cannot read the file: {e}")))?;
        agents.push(files.parse(&path, &text)?);
    }
    Ok(files.assemble(agents)?)
}

/// Every name in an agent's `tools` list is a tool file's, `end_call`, an MCP server's
/// whole set (`weather__*`) or one MCP tool (`weather__get_forecast`). An MCP tool's own
/// name is checked when its server answers (it may be down at start-up): a server that
/// does not offer it simply offers the agent nothing under that name.
fn check_agent_tools(
    settings: &Settings,
    agents: &AgentsConfig,
    toolbox: &Toolbox,
    mcp_servers: &[McpServerConfig],
) -> Result<(), StartupError> {
    let of_mcp_server = |name: &str| {
        name.split_once(NAME_SEPARATOR)
            .is_some_and(|(server, tool)| {
                !tool.is_empty() && mcp_servers.iter().any(|s| s.name == server)
            })
    };
    let doors_open =
        |a: &&crate::config::AgentConfig| !a.door.keys.is_empty() || !a.door.retell_keys.is_empty();
    for agent in agents.agents.iter().filter(doors_open) {
        let offered = |name: &str| {
            agent
                .tools
                .as_ref()
                .is_none_or(|list| list.iter().any(|t| t == name))
        };
        let clash = toolbox
            .tools()
            .iter()
            .map(|t| t.name())
            .find(|name| offered(name) && crate::completions::PLATFORM_TOOLS.contains(name));
        if let Some(name) = clash {
            return Err(StartupError::File {
                variable: "TOOLS_DIR",
                problem: format!(
                    "{}: the tool `{name}` has the name of a Vapi, ElevenLabs or Retell tool, and agent \
                     `{}` has its OpenAI door or Retell socket open, where the platform's tool \
                     would win: rename the tool file",
                    settings.tools.dir.join(format!("{name}.toml")).display(),
                    agent.name
                ),
            });
        }
    }
    for agent in &agents.agents {
        for tool in agent.tools.iter().flatten() {
            if toolbox.get(tool).is_some() || tool == END_CALL || of_mcp_server(tool) {
                continue;
            }
            let file = agent.file.as_deref().unwrap_or(agents.dir.as_path());
            return Err(StartupError::File {
                variable: "AGENTS_DIR",
                problem: format!(
                    "{}: tools: `{tool}` is not a tool in {} nor of an MCP server in {}",
                    file.display(),
                    settings.tools.dir.display(),
                    settings.tools.mcp_dir.display(),
                ),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(pairs: &[(&str, &str)]) -> Settings {
        Settings::from_pairs(pairs).expect("the variables are valid")
    }

    fn refused(pairs: &[(&str, &str)]) -> String {
        let mut all = vec![
            ("LAYERCODE_WEBHOOK_SECRET", "whsec_x"),
            ("LLM_API_KEY", "k"),
        ];
        all.extend_from_slice(pairs);
        load_files(&settings(&all))
            .expect_err("refused")
            .to_string()
    }

    /// A folder of `files` under the system's temporary folder, new for each call.
    fn folder(name: &str, files: &[(&str, &str)]) -> std::path::PathBuf {
        let stamp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let dir = std::env::temp_dir().join(format!("voicebridge-files-{name}-{stamp}"));
        std::fs::create_dir_all(&dir).expect("folder");
        for (file, text) in files {
            std::fs::write(dir.join(file), text).expect("file");
        }
        dir
    }

    #[test]
    fn a_folder_that_is_no_folder_names_its_variable() {
        for variable in ["TOOLS_DIR", "MCP_DIR", "AGENTS_DIR"] {
            let error = refused(&[(variable, "Cargo.toml")]);
            assert!(error.starts_with(&format!("{variable}: ")), "{error}");
        }
        let error = refused(&[("DEFAULT_AGENT", "sales")]);
        assert!(error.starts_with("DEFAULT_AGENT: "), "{error}");
    }

    #[test]
    fn a_folder_set_must_exist_but_a_default_one_may_be_missing() {
        for variable in ["TOOLS_DIR", "MCP_DIR", "AGENTS_DIR"] {
            let error = refused(&[(variable, "/nonexistent/voicebridge")]);
            assert_eq!(
                error,
                format!(
                    "{variable}: /nonexistent/voicebridge: no such folder (a folder set in \
                     {variable} must exist; leave it unset for the default)"
                )
            );
        }
        let files = load_files(&settings(&[
            ("LAYERCODE_WEBHOOK_SECRET", "whsec_x"),
            ("LLM_API_KEY", "k"),
            ("MCP_DIR", ""),
        ]))
        .expect("the default mcp/ is missing, which is fine");
        assert!(files.mcp_servers.is_empty());
    }

    #[test]
    fn files_that_are_not_toml_are_named_in_a_warning() {
        let tools = folder(
            "tools",
            &[("a.json", "{}"), ("README.md", "notes"), (".keep", "")],
        );
        let files = load_files(&settings(&[
            ("LAYERCODE_WEBHOOK_SECRET", "whsec_x"),
            ("LLM_API_KEY", "k"),
            ("TOOLS_DIR", tools.to_str().expect("utf-8")),
        ]))
        .expect("loads");
        let expected = format!(
            "TOOLS_DIR: {} is not read: only *.toml files are",
            tools.join("a.json").display()
        );
        assert_eq!(files.warnings, [expected]);
    }

    #[test]
    fn missing_webhook_secret_refuses_to_start() {
        let error = load_files(&settings(&[("LLM_API_KEY", "k")]))
            .expect_err("must fail")
            .to_string();
        assert!(error.starts_with("LAYERCODE_WEBHOOK_SECRET: "), "{error}");
    }

    #[test]
    fn an_agent_may_list_mcp_tools_and_whole_servers_but_not_unknown_names() {
        let mcp = folder(
            "mcp",
            &[("weather.toml", "url = \"http://127.0.0.1:9/mcp\"\n")],
        );
        let mcp = mcp.to_str().expect("utf-8");
        let agent =
            |tools: &str| folder("agents", &[("sales.toml", &format!("tools = {tools}\n"))]);
        for listed in [
            r#"["weather__get_weather"]"#,
            r#"["weather__*"]"#,
            r#"["end_call", "weather__*"]"#,
        ] {
            let agents = agent(listed);
            let files = load_files(&settings(&[
                ("LAYERCODE_WEBHOOK_SECRET", "whsec_x"),
                ("LLM_API_KEY", "k"),
                ("MCP_DIR", mcp),
                ("AGENTS_DIR", agents.to_str().expect("utf-8")),
            ]))
            .unwrap_or_else(|e| panic!("{listed}: {e}"));
            assert_eq!(files.mcp_servers.len(), 1);
        }
        for listed in [
            r#"["forecast__get"]"#,
            r#"["weather__"]"#,
            r#"["get_weather"]"#,
        ] {
            let agents = agent(listed);
            let error = refused(&[
                ("MCP_DIR", mcp),
                ("AGENTS_DIR", agents.to_str().expect("utf-8")),
            ]);
            assert!(error.starts_with("AGENTS_DIR: "), "{error}");
            assert!(error.contains("sales.toml: tools: `"), "{error}");
            assert!(error.contains("is not a tool in"), "{error}");
        }
    }
}
