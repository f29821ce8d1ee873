//! Building the agents: each one's templates compiled (a template that does not parse
//! stops start-up naming the file or variable and the line), its model client and tools,
//! all sharing one store and one coordinator.

use std::sync::Arc;

use super::prompts::{load_system_prompt, PromptError};
use super::{StartupError, RETRY_BACKOFF};
use crate::config::{AgentConfig, Settings};
use crate::llm::{LlmClient, RetryPolicy};
use crate::routes::state::{AgentEntry, Agents};
use crate::speech::{Language, LanguageChoice, Pronunciations, SentenceLanguage, Voice};
use crate::template::Template;
use crate::turn::{
    Agent, AgentSettings, ClientToolCalls, Ledger, ThinkingFiller, ToolMocks, ToolSet,
};

/// What a template is called in errors: the variable for the agent from the environment,
/// the file and field for an agent file.
fn template_name(config: &AgentConfig, field: &str, variable: &str) -> String {
    match &config.file {
        Some(file) => format!("{}: {field}", file.display()),
        None => variable.to_string(),
    }
}

/// A prompt that does not load: an agent file's `prompt_file` is named with the file;
/// otherwise the error names `SYSTEM_PROMPT_FILE`.
fn prompt_error(config: &AgentConfig, error: PromptError) -> StartupError {
    let Some(file) = config.file.as_ref().filter(|_| config.prompt_file_set) else {
        return StartupError::Prompt(error);
    };
    let path = config.prompt_file.display();
    let problem = match error {
        PromptError::Unreadable {
            path: tried,
            reason,
        } => {
            let relative = if tried.is_relative() {
                " (relative to the working directory)"
            } else {
                ""
            };
            format!("cannot read {path}{relative}: {reason}")
        }
        PromptError::Empty(_) => format!("{path} is empty"),
    };
    StartupError::File {
        variable: "AGENTS_DIR",
        problem: format!("{}: prompt_file: {problem}", file.display()),
    }
}

/// `config`'s settings, its templates compiled. What is not per agent comes from
/// `settings`.
pub fn agent_settings(
    settings: &Settings,
    config: &AgentConfig,
) -> Result<AgentSettings, StartupError> {
    agent_settings_with(settings, config, Arc::new(voice(settings)?))
}

/// The voice every agent speaks with: the pronunciation dictionary (a bad file stops
/// start-up naming its line), normalization and its language.
pub fn voice(settings: &Settings) -> Result<Voice, StartupError> {
    let words = Pronunciations::load(&settings.voice.pronunciations_file)
        .map_err(|e| StartupError::Pronunciations(e.to_string()))?;
    let (normalize, language) = spoken_language(settings.voice.normalize, &settings.voice.language);
    Ok(Voice::new(normalize, language, words))
}

/// Normalization and its language for the code `SPEECH_LANGUAGE` (or an agent's
/// `speech_language`) names: spoken forms exist in en, de, fr and es; in any other
/// language numbers and symbols are left as written rather than read in another's words.
fn spoken_language(normalize: bool, code: &str) -> (bool, LanguageChoice) {
    if code.trim().eq_ignore_ascii_case("auto") {
        return (normalize, LanguageChoice::Auto);
    }
    match Language::from_code(code) {
        Some(language) => (normalize, LanguageChoice::Fixed(language)),
        None => (false, LanguageChoice::Fixed(Language::En)),
    }
}

fn agent_settings_with(
    settings: &Settings,
    config: &AgentConfig,
    voice: Arc<Voice>,
) -> Result<AgentSettings, StartupError> {
    let prompt = load_system_prompt(&config.prompt_file).map_err(|e| prompt_error(config, e))?;
    // The agent's own speech language: its sentence rules and its spoken forms.
    let mut speech = settings.speech;
    let voice = match &config.speech_language {
        Some(code) => {
            speech.language = SentenceLanguage::from_code(code).unwrap_or_default();
            let (normalize, language) = spoken_language(settings.voice.normalize, code);
            Arc::new(voice.speaking(normalize, language))
        }
        None => voice,
    };
    let compile = |field: &str, variable: &str, text: &str| {
        Template::new(&template_name(config, field, variable), text).map_err(StartupError::Template)
    };
    let system_prompt = Template::new(&config.prompt_file.display().to_string(), &prompt)
        .map_err(StartupError::Template)?;
    let filler = match &config.llm.filler {
        Some(filler) => Some(ThinkingFiller {
            after: filler.after,
            text: compile("thinking_filler_text", "THINKING_FILLER_TEXT", &filler.text)?,
        }),
        None => None,
    };
    Ok(AgentSettings {
        name: config.name.clone(),
        system_prompt,
        welcome: compile("welcome", "WELCOME_MESSAGE", &config.welcome)?,
        apology: compile("apology", "APOLOGY_MESSAGE", &config.apology)?,
        now: settings.timezone.clone(),
        first_token_timeout: config.llm.first_token_timeout,
        idle_timeout: config.llm.idle_timeout,
        turn_timeout: config.llm.turn_timeout,
        retry: RetryPolicy {
            max_retries: config.llm.max_retries,
            backoff: RETRY_BACKOFF,
        },
        filler,
        speech_idle_flush: settings.speech_idle_flush,
        speech,
        voice,
        door: crate::turn::DoorSettings {
            platform_prompt: config.door.platform_prompt,
            spoken_form: config.door.spoken_form,
        },
        knowledge: None,
        prices: Arc::default(),
        privacy: config.privacy.clone(),
    })
}

/// Every configured agent over `ledger`'s store and coordinator.
pub(super) fn build_agents(
    settings: &Settings,
    files: &super::OperatorFiles,
    ledger: &Ledger,
    mocks: &ToolMocks,
    client_tool_calls: &ClientToolCalls,
    mcp: &crate::mcp::McpRegistry,
) -> Result<Agents, StartupError> {
    let mut entries = Vec::new();
    let voice = Arc::new(voice(settings)?);
    for config in &files.agents.agents {
        let model = LlmClient::new(&config.llm)?;
        let tools = ToolSet::new(
            settings.tools.clone(),
            files.toolbox.clone(),
            config.tools.clone(),
            mocks.clone(),
            client_tool_calls.clone(),
            mcp.clone(),
        )
        .map_err(|e| StartupError::Tools(format!("cannot build the tools' HTTP client: {e}")))?;
        let knowledge = super::files::shelf_of(&files.knowledge, config).map(|shelf| {
            crate::turn::KnowledgeUse {
                shelf,
                mode: config.knowledge.mode,
                top_k: config.knowledge.top_k,
            }
        });
        let prices = super::prices::agent_prices(&files.prices, config)?;
        let agent = Agent::new(
            ledger.clone(),
            Arc::new(model),
            Arc::new(tools.with_knowledge(knowledge.as_ref())),
            AgentSettings {
                prices: prices.clone(),
                knowledge: knowledge.clone(),
                ..agent_settings_with(settings, config, voice.clone())?
            },
        );
        let from_env = settings.agents.from_env.webhook_secret.as_ref();
        let secret_source = match (&config.file, &config.webhook_secret) {
            (Some(file), Some(secret)) if from_env.map(|s| s.expose()) != Some(secret.expose()) => {
                format!("webhook_secret in {}", file.display())
            }
            _ => "LAYERCODE_WEBHOOK_SECRET".to_string(),
        };
        let entry = AgentEntry {
            agent: Arc::new(agent),
            webhook_secret: config.webhook_secret.clone(),
            layercode_agent_id: config.layercode_agent_id.clone(),
            secret_source,
            openai_keys: config.door.keys.clone(),
            retell_keys: config.door.retell_keys.clone(),
            transfer_numbers: config.door.transfer_numbers.clone(),
            vapi_secret: config.door.vapi_secret.clone(),
            knowledge,
            prices,
        };
        entries.push((config.name.clone(), entry));
    }
    Ok(Agents::new(
        entries,
        files.agents.default.clone(),
        files.agents.from_files,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn refused(pairs: &[(&str, &str)], file: &str, text: &str) -> String {
        let mut all = vec![("LAYERCODE_WEBHOOK_SECRET", "x"), ("LLM_API_KEY", "k")];
        all.extend_from_slice(pairs);
        let settings = Settings::from_pairs(&all).expect("valid");
        let config = settings
            .agents
            .parse(Path::new(file), text)
            .expect("the agent file parses");
        match agent_settings(&settings, &config) {
            Ok(_) => panic!("the prompt loaded"),
            Err(error) => error.to_string(),
        }
    }

    #[test]
    fn an_agent_files_prompt_is_named_by_the_file_and_field() {
        let error = refused(&[], "agents/broken.toml", "prompt_file = \"nowhere.md\"\n");
        assert!(
            error.starts_with(
                "AGENTS_DIR: agents/broken.toml: prompt_file: cannot read nowhere.md \
                 (relative to the working directory): "
            ),
            "{error}"
        );
        let empty =
            std::env::temp_dir().join(format!("voicebridge-agent-{}.md", std::process::id()));
        std::fs::write(&empty, " \n").expect("write");
        let text = format!("prompt_file = \"{}\"\n", empty.display());
        let error = refused(&[], "agents/empty.toml", &text);
        assert_eq!(
            error,
            format!(
                "AGENTS_DIR: agents/empty.toml: prompt_file: {} is empty",
                empty.display()
            )
        );
        let _ = std::fs::remove_file(empty);
        // Left out, the prompt is SYSTEM_PROMPT_FILE's, and the error names that.
        let error = refused(
            &[("SYSTEM_PROMPT_FILE", "nowhere.md")],
            "agents/plain.toml",
            "",
        );
        assert!(
            error.starts_with("cannot read system prompt nowhere.md (set SYSTEM_PROMPT_FILE)"),
            "{error}"
        );
    }

    #[test]
    fn an_agents_speech_language_sets_its_sentence_rules_and_spoken_forms() {
        let prompt =
            std::env::temp_dir().join(format!("voicebridge-lang-{}.md", std::process::id()));
        std::fs::write(&prompt, "You help.").expect("write");
        let prompt_line = format!("prompt_file = \"{}\"\n", prompt.display());
        let base = [("LAYERCODE_WEBHOOK_SECRET", "x"), ("LLM_API_KEY", "k")];
        let settings = Settings::from_pairs(&base).expect("valid");
        assert_eq!(
            settings.speech.language,
            SentenceLanguage::Auto,
            "unset: every language"
        );
        let agent = |settings: &Settings, text: &str| {
            let config = settings
                .agents
                .parse(Path::new("agents/a.toml"), &format!("{prompt_line}{text}"))
                .expect("parses");
            agent_settings(settings, &config).expect("builds")
        };
        let polish = agent(&settings, "speech_language = \"pl\"\n");
        assert_eq!(polish.speech.language.code(), "pl");
        assert!(
            !polish.voice.normalizes(),
            "no spoken forms in Polish: left as written"
        );
        let german = agent(&settings, "speech_language = \"de-AT\"\n");
        assert_eq!(german.speech.language.code(), "de");
        assert_eq!(german.voice.language(), LanguageChoice::Fixed(Language::De));
        let inherited = agent(&settings, "");
        assert_eq!(inherited.speech.language, SentenceLanguage::Auto);
        assert_eq!(
            inherited.voice.language(),
            LanguageChoice::Fixed(Language::En)
        );
        let global =
            Settings::from_pairs(&[base[0], base[1], ("SPEECH_LANGUAGE", "tr")]).expect("valid");
        assert_eq!(agent(&global, "").speech.language.code(), "tr");
        let refused = settings
            .agents
            .parse(
                Path::new("agents/a.toml"),
                "speech_language = \"klingon\"\n",
            )
            .expect_err("not a language");
        assert!(refused.to_string().contains("speech_language"), "{refused}");
        let _ = std::fs::remove_file(prompt);
    }
}
