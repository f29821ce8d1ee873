//! Semantic search for the knowledge base, optional: `EMBEDDINGS_MODEL` turns it on.
//! Passages are embedded through an OpenAI-compatible `/embeddings` endpoint
//! (`EMBEDDINGS_BASE_URL`, else `LLM_BASE_URL`; `EMBEDDINGS_API_KEY`, else the model's
//! `LLM_API_KEY` when the server is the model's),
//! kept in `EMBEDDINGS_CACHE_FILE` by a hash of their text, and a turn's words are embedded
//! within `EMBEDDINGS_TIMEOUT_MS`; passages at least `EMBEDDINGS_MIN_SIMILARITY` close
//! join the keyword results. Unset, nothing is sent anywhere.

use std::path::PathBuf;
use std::time::Duration;

use super::parse::{millis, parse_value, Get};
use super::url::base_url;
use super::ConfigError;
use crate::secret::Secret;

/// `EMBEDDINGS_CACHE_FILE`: beside the default call store.
const DEFAULT_CACHE_FILE: &str = "data/embeddings.bin";
/// `EMBEDDINGS_MIN_SIMILARITY`: the cosine a passage needs to be found by meaning.
const DEFAULT_MIN_SIMILARITY: f32 = 0.4;
/// `EMBEDDINGS_TIMEOUT_MS`: the longest a turn waits for its words' embedding.
const DEFAULT_TIMEOUT_MS: u64 = 400;

/// Where and how passages and turns are embedded.
#[derive(Debug, Clone)]
pub struct EmbeddingsSettings {
    pub model: String,
    /// Base URL without a trailing slash (`…/v1`); requests go to `<base>/embeddings`.
    pub base_url: String,
    pub api_key: Option<Secret>,
    pub cache_file: PathBuf,
    pub min_similarity: f32,
    /// How long a turn waits for its words' embedding before it searches by keyword only.
    pub timeout: Duration,
}

/// `None` unless `EMBEDDINGS_MODEL` is set.
pub(super) fn embeddings_settings(get: &Get) -> Result<Option<EmbeddingsSettings>, ConfigError> {
    let Some(model) = get("EMBEDDINGS_MODEL").map(|m| m.trim().to_string()) else {
        return Ok(None);
    };
    if model.is_empty() {
        return Ok(None);
    }
    let (variable, raw) = match get("EMBEDDINGS_BASE_URL") {
        Some(url) => ("EMBEDDINGS_BASE_URL", url),
        None => (
            "LLM_BASE_URL",
            get("LLM_BASE_URL").unwrap_or_else(|| super::llm::DEFAULT_LLM_BASE_URL.into()),
        ),
    };
    let base_url = base_url(variable, &raw)?;
    // The model's key goes only to the model's server: an embeddings server of its own
    // gets EMBEDDINGS_API_KEY or nothing.
    let own_server = get("EMBEDDINGS_BASE_URL").is_some();
    let api_key = get("EMBEDDINGS_API_KEY")
        .or_else(|| (!own_server).then(|| get("LLM_API_KEY")).flatten())
        .or_else(|| (!own_server).then(|| get("OPENAI_API_KEY")).flatten())
        .map(|k| k.trim().to_string())
        .filter(|k| !k.is_empty())
        .map(Secret::new);
    let min_similarity = match get("EMBEDDINGS_MIN_SIMILARITY") {
        None => DEFAULT_MIN_SIMILARITY,
        Some(raw) => match parse_value::<f32>("EMBEDDINGS_MIN_SIMILARITY", &raw) {
            Ok(x) if (-1.0..=1.0).contains(&x) => x,
            _ => {
                return Err(ConfigError::new(
                    "EMBEDDINGS_MIN_SIMILARITY",
                    format!("`{raw}` is not a cosine similarity from -1 to 1"),
                ))
            }
        },
    };
    Ok(Some(EmbeddingsSettings {
        model,
        base_url,
        api_key,
        cache_file: PathBuf::from(
            get("EMBEDDINGS_CACHE_FILE").unwrap_or_else(|| DEFAULT_CACHE_FILE.into()),
        ),
        min_similarity,
        timeout: millis(
            "EMBEDDINGS_TIMEOUT_MS",
            get("EMBEDDINGS_TIMEOUT_MS"),
            DEFAULT_TIMEOUT_MS,
        )?,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(pairs: &[(&str, &str)]) -> Result<Option<EmbeddingsSettings>, ConfigError> {
        embeddings_settings(&super::super::parse::lookup(pairs))
    }

    #[test]
    fn off_unless_a_model_is_named_and_the_models_server_by_default() {
        assert!(read(&[("LLM_BASE_URL", "http://localhost:11434/v1")])
            .expect("valid")
            .is_none());
        let on = read(&[
            ("EMBEDDINGS_MODEL", "text-embedding-3-small"),
            ("LLM_BASE_URL", "http://localhost:11434/v1/"),
            ("LLM_API_KEY", "sk-model"),
        ])
        .expect("valid")
        .expect("on");
        assert_eq!(on.base_url, "http://localhost:11434/v1");
        assert_eq!(on.api_key.as_ref().map(Secret::expose), Some("sk-model"));
        assert_eq!(on.cache_file, PathBuf::from("data/embeddings.bin"));
        assert_eq!((on.min_similarity, on.timeout.as_millis()), (0.4, 400));
        let own = read(&[
            ("EMBEDDINGS_MODEL", "nomic-embed-text"),
            ("EMBEDDINGS_BASE_URL", "http://embed.local/v1"),
            ("EMBEDDINGS_API_KEY", "sk-embed"),
            ("LLM_API_KEY", "sk-model"),
        ])
        .expect("valid")
        .expect("on");
        assert_eq!(own.base_url, "http://embed.local/v1");
        assert_eq!(own.api_key.as_ref().map(Secret::expose), Some("sk-embed"));
        // Another server never gets the model's key.
        let elsewhere = read(&[
            ("EMBEDDINGS_MODEL", "nomic-embed-text"),
            ("EMBEDDINGS_BASE_URL", "http://embed.local/v1"),
            ("LLM_API_KEY", "sk-model"),
        ])
        .expect("valid")
        .expect("on");
        assert!(elsewhere.api_key.is_none());
    }

    #[test]
    fn bad_values_name_their_variable() {
        let problem = |pairs: &[(&str, &str)]| {
            let mut all = vec![("EMBEDDINGS_MODEL", "m")];
            all.extend_from_slice(pairs);
            read(&all).expect_err("refused").variable
        };
        assert_eq!(
            problem(&[("EMBEDDINGS_BASE_URL", "ftp://x")]),
            "EMBEDDINGS_BASE_URL"
        );
        assert_eq!(
            problem(&[("EMBEDDINGS_MIN_SIMILARITY", "2")]),
            "EMBEDDINGS_MIN_SIMILARITY"
        );
        assert_eq!(
            problem(&[("EMBEDDINGS_TIMEOUT_MS", "soon")]),
            "EMBEDDINGS_TIMEOUT_MS"
        );
    }
}
