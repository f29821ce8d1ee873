//! The speech line of `voicebridge check`: which sentence rules cut an agent's replies and
//! in which language its numbers, dates and symbols are spoken.

use crate::config::{AgentConfig, Settings};
use crate::speech::{Language, SentenceLanguage};

/// "    speech: sentences by Polish (pl) rules; spoken forms: none in pl, …".
pub(super) fn speech_line(settings: &Settings, agent: &AgentConfig) -> String {
    let sentences = match &agent.speech_language {
        Some(code) => SentenceLanguage::from_code(code).unwrap_or_default(),
        None => settings.speech.language,
    };
    let rules = match sentences {
        SentenceLanguage::Auto => "every language's rules (auto)".to_string(),
        SentenceLanguage::Fixed(rules) => format!("{} ({}) rules", rules.name, rules.code),
    };
    let code = agent
        .speech_language
        .clone()
        .unwrap_or_else(|| settings.voice.language.clone());
    let spoken = if !settings.voice.normalize {
        "off (SPEECH_NORMALIZE=false)".to_string()
    } else if code.eq_ignore_ascii_case("auto") {
        "guessed per reply among en, de, fr, es".to_string()
    } else if let Some(language) = Language::from_code(&code) {
        language.code().to_string()
    } else {
        format!("none in {code}: numbers and symbols are left as written")
    };
    format!("    speech: sentences cut by {rules}; spoken forms: {spoken}")
}
