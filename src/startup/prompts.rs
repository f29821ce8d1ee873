//! Loading prompts from `prompts/` at start-up: a missing or empty prompt stops the server
//! with a message naming the path, rather than an agent that talks without instructions.

use std::path::{Path, PathBuf};

/// Why a prompt could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum PromptError {
    /// The file could not be read.
    #[error("cannot read system prompt {path} (set SYSTEM_PROMPT_FILE): {reason}")]
    Unreadable {
        /// The path tried.
        path: PathBuf,
        /// The OS's reason.
        reason: String,
    },
    /// The file holds only whitespace.
    #[error("system prompt {0} is empty (set SYSTEM_PROMPT_FILE)")]
    Empty(PathBuf),
}

/// Reads the system prompt at `path`, trimmed.
pub fn load_system_prompt(path: &Path) -> Result<String, PromptError> {
    let text = std::fs::read_to_string(path).map_err(|e| PromptError::Unreadable {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })?;
    let text = text.trim();
    if text.is_empty() {
        return Err(PromptError::Empty(path.to_path_buf()));
    }
    Ok(text.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_prompt_loads() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("prompts/system.md");
        let prompt = load_system_prompt(&path).expect("prompts/system.md loads");
        assert!(prompt.len() > 100);
    }

    #[test]
    fn missing_and_empty_files_name_the_path() {
        let missing = Path::new("/nonexistent/voicebridge/system.md");
        let err = load_system_prompt(missing)
            .expect_err("missing")
            .to_string();
        assert!(err.contains("/nonexistent/voicebridge/system.md"), "{err}");

        let empty =
            std::env::temp_dir().join(format!("voicebridge-empty-{}.md", std::process::id()));
        std::fs::write(&empty, "  \n").expect("write temp file");
        let err = load_system_prompt(&empty).expect_err("empty").to_string();
        assert!(err.contains(&empty.display().to_string()), "{err}");
        let _ = std::fs::remove_file(empty);
    }
}
