//! The price files: `PRICES_FILE` (default `prompts/prices.toml`; a file that is set must
//! exist, the default may be missing: then no model is priced) and an agent file's own
//! `prices_file`. A file that does not parse stops start-up naming it and the problem.

use std::path::Path;
use std::sync::Arc;

use super::StartupError;
use crate::config::{AgentConfig, Settings};
use crate::pricing::Prices;

/// The prices of `PRICES_FILE`.
pub fn load_prices(settings: &Settings) -> Result<Arc<Prices>, StartupError> {
    let calls = &settings.calls;
    if !calls.prices_file_set && !calls.prices_file.exists() {
        return Ok(Arc::new(Prices::default()));
    }
    read(&calls.prices_file)
        .map(Arc::new)
        .map_err(|problem| StartupError::File {
            variable: "PRICES_FILE",
            problem,
        })
}

/// The prices an agent's turns are costed with: its file's `prices_file`, else `global`.
pub fn agent_prices(
    global: &Arc<Prices>,
    config: &AgentConfig,
) -> Result<Arc<Prices>, StartupError> {
    let (Some(path), Some(file)) = (&config.prices_file, &config.file) else {
        return Ok(global.clone());
    };
    read(path)
        .map(Arc::new)
        .map_err(|problem| StartupError::File {
            variable: "AGENTS_DIR",
            problem: format!("{}: prices_file: {problem}", file.display()),
        })
}

fn read(path: &Path) -> Result<Prices, String> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        format!(
            "cannot read {} (relative to the working directory): {e}",
            path.display()
        )
    })?;
    Prices::parse(&text).map_err(|problem| format!("{}: {problem}", path.display()))
}
