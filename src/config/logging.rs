//! Log settings: the `RUST_LOG` filter and the output format.

use super::parse::Get;
use super::ConfigError;

/// `RUST_LOG`: turns and start-up at `info`; message text appears only at `debug`.
const DEFAULT_LOG_FILTER: &str = "info";

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable lines, for a terminal.
    Pretty,
    /// One JSON object per line, for log shippers.
    Json,
}

/// `RUST_LOG` (default `info`) and `LOG_FORMAT` (default `pretty`, also spelled `text`).
pub(super) fn logging(get: &Get) -> Result<(String, LogFormat), ConfigError> {
    let format = match get("LOG_FORMAT").as_deref().map(str::trim) {
        None | Some("pretty") | Some("text") => LogFormat::Pretty,
        Some("json") => LogFormat::Json,
        Some(other) => {
            return Err(ConfigError::new(
                "LOG_FORMAT",
                format!("`{other}` is not one of `pretty`, `json`"),
            ))
        }
    };
    let filter = get("RUST_LOG").unwrap_or_else(|| DEFAULT_LOG_FILTER.to_string());
    Ok((filter, format))
}
