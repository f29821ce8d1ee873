//! Speech settings: how replies are cut into chunks, emoji cleanup and the idle flush.
//! Chunk sizes default to [`ChunkPolicy::default`], which the speech module owns.

use std::time::Duration;

use super::parse::{millis, parse_bool, parse_or, Get, Problems};
use super::ConfigError;
use crate::speech::{ChunkPolicy, SentenceLanguage, SpeechSettings};

/// `SPEECH_IDLE_FLUSH_MS`: a pause this long in the model's stream usually means the
/// sentence is done; shorter would cut sentences at abbreviations more often.
const DEFAULT_SPEECH_IDLE_FLUSH_MS: u64 = 250;

/// Smallest `SPEECH_MAX_CHUNK_CHARS`: below it a chunk is hardly a clause and speech
/// sounds choppy.
const MIN_SPEECH_MAX_CHUNK_CHARS: usize = 20;

/// The speech part of [`super::Settings`].
pub(super) struct SpeechConfig {
    pub(super) speech: SpeechSettings,
    pub(super) idle_flush: Duration,
    pub(super) voice: VoiceSettings,
}

/// `PRONUNCIATIONS_FILE`: next to the system prompt; optional.
const DEFAULT_PRONUNCIATIONS_FILE: &str = "prompts/pronunciations.toml";

/// What is done to a sentence right before it goes to text-to-speech.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VoiceSettings {
    /// `SPEECH_NORMALIZE`: numbers, money, dates and symbols in spoken form.
    pub normalize: bool,
    /// `SPEECH_LANGUAGE`: a language code (`en`, `de`, `pl`, …, spoken forms in `en`,
    /// `de`, `fr` and `es` only), or `auto` (detected per reply); unset reads as `en` for
    /// spoken forms and cuts sentences by every language's rules.
    pub language: String,
    /// `PRONUNCIATIONS_FILE`: words and how they are said (a missing file is none).
    pub pronunciations_file: std::path::PathBuf,
}

/// Reads the chunking policy, `SPEECH_KEEP_EMOJI` and `SPEECH_IDLE_FLUSH_MS`.
pub(super) fn speech_config(get: &Get) -> Result<SpeechConfig, ConfigError> {
    let problems = Problems::default();
    let policy = problems.take(chunk_policy(get)).unwrap_or_default();
    let keep_emoji = problems.value(parse_bool("SPEECH_KEEP_EMOJI", get("SPEECH_KEEP_EMOJI")));
    let raw_language = get("SPEECH_LANGUAGE").map(|l| l.trim().to_ascii_lowercase());
    let sentences = problems
        .value(sentence_language(raw_language.as_deref()))
        .unwrap_or_default();
    let speech = SpeechSettings {
        policy,
        drop_emoji: !keep_emoji,
        language: sentences,
    };
    let idle_flush = problems.value(millis(
        "SPEECH_IDLE_FLUSH_MS",
        get("SPEECH_IDLE_FLUSH_MS"),
        DEFAULT_SPEECH_IDLE_FLUSH_MS,
    ));
    let language = raw_language
        .filter(|l| !l.is_empty())
        .unwrap_or_else(|| "en".into());
    let normalize = match get("SPEECH_NORMALIZE") {
        None => true,
        raw => problems.value(parse_bool("SPEECH_NORMALIZE", raw)),
    };
    problems.finish()?;
    let voice = VoiceSettings {
        normalize,
        language,
        pronunciations_file: get("PRONUNCIATIONS_FILE")
            .unwrap_or_else(|| DEFAULT_PRONUNCIATIONS_FILE.into())
            .into(),
    };
    Ok(SpeechConfig {
        speech,
        idle_flush,
        voice,
    })
}

/// The sentence rules `SPEECH_LANGUAGE` (or an agent's `speech_language`) names: unset
/// or empty cuts by every language's rules, as `auto` does.
pub(super) fn sentence_language(
    raw: Option<&str>,
) -> Result<Option<SentenceLanguage>, ConfigError> {
    match raw.map(str::trim) {
        None | Some("") => Ok(None),
        Some(code) => SentenceLanguage::from_code(code).map(Some).ok_or_else(|| {
            let known: Vec<&str> = crate::speech::languages::codes().collect();
            ConfigError::new(
                "SPEECH_LANGUAGE",
                format!("`{code}` is not auto or one of {}", known.join(", ")),
            )
        }),
    }
}

fn chunk_policy(get: &Get) -> Result<ChunkPolicy, ConfigError> {
    let defaults = ChunkPolicy::default();
    let problems = Problems::default();
    let max_chars = problems.take(parse_or(
        "SPEECH_MAX_CHUNK_CHARS",
        get("SPEECH_MAX_CHUNK_CHARS"),
        defaults.max_chars,
    ));
    if max_chars.is_some_and(|max| max < MIN_SPEECH_MAX_CHUNK_CHARS) {
        problems.push(ConfigError::new(
            "SPEECH_MAX_CHUNK_CHARS",
            format!("must be at least {MIN_SPEECH_MAX_CHUNK_CHARS}"),
        ));
    }
    let policy = ChunkPolicy {
        max_chars: max_chars.unwrap_or(defaults.max_chars),
        first_chunk_min_chars: problems.value(parse_or(
            "SPEECH_FIRST_CHUNK_MIN_CHARS",
            get("SPEECH_FIRST_CHUNK_MIN_CHARS"),
            defaults.first_chunk_min_chars,
        )),
        min_chunk_chars: problems.value(parse_or(
            "SPEECH_MIN_CHUNK_CHARS",
            get("SPEECH_MIN_CHUNK_CHARS"),
            defaults.min_chunk_chars,
        )),
    };
    problems.finish()?;
    Ok(policy)
}
