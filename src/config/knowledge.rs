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
    /// Not used.
    Off,
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
        }
    }
}

pub(super) fn knowledge_settings(get: &Get) -> Result<KnowledgeSettings, ConfigError> {
    let problems = Problems::default();
    let dir = get("KNOWLEDGE_DIR");
    let mode = match get("KNOWLEDGE_MODE")
        .map(|m| m.trim().to_ascii_lowercase())
        .as_deref()
    {
        None | Some("prefetch") => KnowledgeMode::Prefetch,
        Some("off") => KnowledgeMode::Off,
        Some(other) => {
            problems.push(ConfigError::new(
                "KNOWLEDGE_MODE",
                format!("`{other}` is not one of prefetch, off"),
            ));
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
    let language = get("KNOWLEDGE_LANGUAGE")
        .map(|l| l.trim().to_ascii_lowercase())
        .or(speech)
        .unwrap_or_else(|| "en".into());
    problems.finish()?;
    Ok(KnowledgeSettings {
        dir_set: dir.is_some(),
        dir: PathBuf::from(dir.unwrap_or_else(|| DEFAULT_DIR.into())),
        mode,
        top_k,
        min_score,
        language,
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
