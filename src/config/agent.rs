//! What the agent says besides the model's replies: the system prompt file, the welcome
//! and the apology.

use std::path::PathBuf;

use super::parse::Get;

/// Default spoken apology when the model fails mid-turn.
pub const DEFAULT_APOLOGY: &str = "Sorry, I ran into a problem. Could you say that again?";

/// `SYSTEM_PROMPT_FILE`: the prompt shipped in `prompts/`, relative to the working
/// directory (the repository locally, `/app` in the container).
const DEFAULT_SYSTEM_PROMPT_FILE: &str = "prompts/system.md";

/// The agent's words in [`super::Settings`].
pub(super) struct AgentTexts {
    pub(super) system_prompt_file: PathBuf,
    pub(super) welcome_message: String,
    pub(super) apology_message: String,
}

/// Reads the prompt file path and the fixed phrases; none of them can be invalid here
/// (the prompt file is checked when the server starts).
pub(super) fn agent_texts(get: &Get) -> AgentTexts {
    // No default welcome: an empty one means a silent start.
    let welcome = get("WELCOME_MESSAGE").unwrap_or_default();
    let apology = get("APOLOGY_MESSAGE").unwrap_or_else(|| DEFAULT_APOLOGY.to_string());
    AgentTexts {
        system_prompt_file: PathBuf::from(
            get("SYSTEM_PROMPT_FILE").unwrap_or_else(|| DEFAULT_SYSTEM_PROMPT_FILE.into()),
        ),
        welcome_message: welcome.trim().to_string(),
        apology_message: apology.trim().to_string(),
    }
}
