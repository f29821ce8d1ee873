//! The knowledge base: where its files are (`KNOWLEDGE_DIR`), how a turn uses it
//! (`KNOWLEDGE_MODE`), how many passages and how good (`KNOWLEDGE_TOP_K`,
//! `KNOWLEDGE_MIN_SCORE`) and the language its words are stemmed in
//! (`KNOWLEDGE_LANGUAGE`, else `SPEECH_LANGUAGE`, else English). Start-up reads the files.

use std::path::PathBuf;

use super::parse::{parse_value, Get, Problems};
use super::ConfigError;

/// `KNOWLEDGE_DIR`: relative to the working directory, like `TOOLS_DIR`.
const DEFAULT_DIR: &str = "knowledge";
/// `KNOWLEDGE_TOP_K`: passages put before the model at most.
const DEFAULT_TOP_K: usize = 3;
/// `KNOWLEDGE_MIN_SCORE`: the BM25 score a passage needs to be used.
const DEFAULT_MIN_SCORE: f32 = 1.0;

/// How a turn uses the knowledge base.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KnowledgeMode {
    /// The caller's words are searched before the model is asked, and the best passages
    /// go into the prompt as reference notes.
    Prefetch,
    /// The model is offered a `search_knowledge` tool and calls it when it needs to.
    Tool,
    /// Not used.
    Off,
}

impl KnowledgeMode {
    /// `prefetch`, `tool` or `off`, as configured.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Prefetch => "prefetch",
            Self::Tool => "tool",
            Self::Off => "off",
        }
    }

    fn parse(raw: &str) -> Result<Self, String> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "prefetch" => Ok(Self::Prefetch),
            "tool" => Ok(Self::Tool),
            "off" => Ok(Self::Off),
            other => Err(format!("`{other}` is not one of prefetch, tool, off")),
        }
    }
}

/// One agent's knowledge: its folders (`KNOWLEDGE_DIR`, or the agent file's `knowledge`),
/// how its turns use them and how many passages a search gives.
#[derive(Debug, Clone, PartialEq)]
pub struct AgentKnowledge {
    pub dirs: Vec<PathBuf>,
    /// The folders were named (`KNOWLEDGE_DIR` or the agent file): they must exist.
    pub dirs_set: bool,
    pub mode: KnowledgeMode,
    pub top_k: usize,
}

impl KnowledgeSettings {
    /// What an agent without knowledge keys of its own uses.
    pub fn for_agent(&self) -> AgentKnowledge {
        AgentKnowledge {
            dirs: vec![self.dir.clone()],
            dirs_set: self.dir_set,
            mode: self.mode,
            top_k: self.top_k,
        }
    }
}

/// An agent file's `knowledge` (a folder or a list of folders), `knowledge_mode` and
/// `knowledge_top_k` over `env`; each problem names its key.
pub(super) fn agent_knowledge(
    table: &toml::Table,
    env: &AgentKnowledge,
) -> Result<AgentKnowledge, (&'static str, String)> {
    let mut knowledge = env.clone();
    let folders = "must be a folder or a list of folders";
    match table.get("knowledge") {
        None => {}
        Some(toml::Value::String(dir)) => {
            knowledge.dirs = vec![PathBuf::from(dir)];
            knowledge.dirs_set = true;
        }
        Some(toml::Value::Array(items)) if !items.is_empty() => {
            knowledge.dirs = items
                .iter()
                .map(|item| item.as_str().map(PathBuf::from))
                .collect::<Option<Vec<_>>>()
                .ok_or(("knowledge", folders.to_string()))?;
            knowledge.dirs_set = true;
        }
        Some(_) => return Err(("knowledge", folders.to_string())),
    }
    match table.get("knowledge_mode") {
        None => {}
        Some(toml::Value::String(mode)) => {
            knowledge.mode = KnowledgeMode::parse(mode).map_err(|p| ("knowledge_mode", p))?;
        }
        Some(_) => return Err(("knowledge_mode", "must be prefetch, tool or off".into())),
    }
    match table.get("knowledge_top_k") {
        None => {}
        Some(toml::Value::Integer(k)) if (1..=20).contains(k) => knowledge.top_k = *k as usize,
        Some(_) => return Err(("knowledge_top_k", "must be a number from 1 to 20".into())),
    }
    Ok(knowledge)
}

/// The knowledge part of [`super::Settings`].
#[derive(Debug, Clone)]
pub struct KnowledgeSettings {
    /// Where the files are.
    pub dir: PathBuf,
    /// `KNOWLEDGE_DIR` was set: its folder must exist (the default may be missing).
    pub dir_set: bool,
    pub mode: KnowledgeMode,
    pub top_k: usize,
    pub min_score: f32,
    /// A language code (`en`, `de`, …): start-up checks it has a stemmer.
    pub language: String,
    /// The language came from `SPEECH_LANGUAGE`: start-up stems in English where that
    /// language has no stemmer (`pl`, `cs`), rather than refusing to start.
    pub language_from_speech: bool,
    /// Semantic search beside the keywords (`EMBEDDINGS_MODEL`); `None`: off.
    pub embeddings: Option<super::EmbeddingsSettings>,
}

impl KnowledgeSettings {
    /// No knowledge base.
    pub fn off() -> Self {
        Self {
            dir: PathBuf::from(DEFAULT_DIR),
            dir_set: false,
            mode: KnowledgeMode::Off,
            top_k: DEFAULT_TOP_K,
            min_score: DEFAULT_MIN_SCORE,
            language: "en".into(),
            language_from_speech: false,
            embeddings: None,
        }
    }
}

pub(super) fn knowledge_settings(get: &Get) -> Result<KnowledgeSettings, ConfigError> {
    let problems = Problems::default();
    let dir = get("KNOWLEDGE_DIR");
    let mode = match get("KNOWLEDGE_MODE").as_deref().map(KnowledgeMode::parse) {
        None => KnowledgeMode::Prefetch,
        Some(Ok(mode)) => mode,
        Some(Err(problem)) => {
            problems.push(ConfigError::new("KNOWLEDGE_MODE", problem));
            KnowledgeMode::Off
        }
    };
    let top_k = match get("KNOWLEDGE_TOP_K") {
        None => DEFAULT_TOP_K,
        Some(raw) => match parse_value::<usize>("KNOWLEDGE_TOP_K", &raw) {
            Ok(k) if (1..=20).contains(&k) => k,
            Ok(_) => {
                problems.push(ConfigError::new("KNOWLEDGE_TOP_K", "must be from 1 to 20"));
                DEFAULT_TOP_K
            }
            Err(error) => {
                problems.push(error);
                DEFAULT_TOP_K
            }
        },
    };
    let min_score = match get("KNOWLEDGE_MIN_SCORE") {
        None => DEFAULT_MIN_SCORE,
        Some(raw) => match parse_value::<f32>("KNOWLEDGE_MIN_SCORE", &raw) {
            Ok(score) if score.is_finite() && score >= 0.0 => score,
            _ => {
                problems.push(ConfigError::new(
                    "KNOWLEDGE_MIN_SCORE",
                    format!("`{raw}` is not a score of 0 or more"),
                ));
                DEFAULT_MIN_SCORE
            }
        },
    };
    let speech = get("SPEECH_LANGUAGE")
        .map(|l| l.trim().to_ascii_lowercase())
        .filter(|l| l != "auto");
    let own = get("KNOWLEDGE_LANGUAGE").map(|l| l.trim().to_ascii_lowercase());
    let language_from_speech = own.is_none() && speech.is_some();
    let language = own.or(speech).unwrap_or_else(|| "en".into());
    let embeddings = problems.value(super::embeddings::embeddings_settings(get));
    problems.finish()?;
    Ok(KnowledgeSettings {
        embeddings,
        dir_set: dir.is_some(),
        dir: PathBuf::from(dir.unwrap_or_else(|| DEFAULT_DIR.into())),
        mode,
        top_k,
        min_score,
        language,
        language_from_speech,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(pairs: &[(&str, &str)]) -> Result<KnowledgeSettings, ConfigError> {
        knowledge_settings(&super::super::parse::lookup(pairs))
    }

    #[test]
    fn defaults_and_the_language_of_speech() {
        let plain = read(&[]).expect("valid");
        assert_eq!(plain.mode, KnowledgeMode::Prefetch);
        assert_eq!((plain.top_k, plain.language.as_str()), (3, "en"));
        assert!(!plain.dir_set);
        assert_eq!(
            read(&[("SPEECH_LANGUAGE", "de")]).expect("valid").language,
            "de"
        );
        assert_eq!(
            read(&[("SPEECH_LANGUAGE", "auto")])
                .expect("valid")
                .language,
            "en"
        );
        let set = read(&[
            ("SPEECH_LANGUAGE", "de"),
            ("KNOWLEDGE_LANGUAGE", "FR"),
            ("KNOWLEDGE_DIR", "docs/faq"),
            ("KNOWLEDGE_MODE", "off"),
        ])
        .expect("valid");
        assert_eq!(set.language, "fr");
        assert!(set.dir_set);
        assert_eq!(set.mode, KnowledgeMode::Off);
        let tool = read(&[("KNOWLEDGE_MODE", " Tool ")]).expect("valid");
        assert_eq!(tool.mode, KnowledgeMode::Tool);
    }

    #[test]
    fn an_agent_file_picks_its_folders_mode_and_count() {
        let env = read(&[]).expect("valid").for_agent();
        let agent = |text: &str| agent_knowledge(&toml::from_str(text).expect("toml"), &env);
        assert_eq!(agent("").expect("valid"), env);
        let own = agent(
            "knowledge = [\"knowledge/sales\", \"knowledge/faq\"]\nknowledge_mode = \"tool\"\n\
             knowledge_top_k = 5",
        )
        .expect("valid");
        assert_eq!(
            own.dirs,
            [
                PathBuf::from("knowledge/sales"),
                PathBuf::from("knowledge/faq")
            ]
        );
        assert_eq!(
            (own.dirs_set, own.mode, own.top_k),
            (true, KnowledgeMode::Tool, 5)
        );
        let key = |text: &str| agent(text).expect_err("refused").0;
        assert_eq!(key("knowledge = 3"), "knowledge");
        assert_eq!(key("knowledge = []"), "knowledge");
        assert_eq!(key("knowledge = [\"a\", 1]"), "knowledge");
        assert_eq!(key("knowledge_mode = \"always\""), "knowledge_mode");
        assert_eq!(key("knowledge_top_k = 0"), "knowledge_top_k");
        assert_eq!(key("knowledge_top_k = \"3\""), "knowledge_top_k");
    }

    #[test]
    fn bad_values_name_their_variable() {
        let problem = |pairs: &[(&str, &str)]| read(pairs).expect_err("refused").variable;
        assert_eq!(
            problem(&[("KNOWLEDGE_MODE", "sometimes")]),
            "KNOWLEDGE_MODE"
        );
        assert_eq!(problem(&[("KNOWLEDGE_TOP_K", "0")]), "KNOWLEDGE_TOP_K");
        assert_eq!(problem(&[("KNOWLEDGE_TOP_K", "many")]), "KNOWLEDGE_TOP_K");
        assert_eq!(
            problem(&[("KNOWLEDGE_MIN_SCORE", "-1")]),
            "KNOWLEDGE_MIN_SCORE"
        );
    }
}
