//! Logging (readable lines for a terminal, JSON lines in production with
//! `LOG_FORMAT=json`) and sending traces to an OpenTelemetry collector ([`traces`]).

use tracing_subscriber::EnvFilter;

use crate::config::LogFormat;

pub mod traces;

pub use traces::Traces;

/// Libraries whose `info` lines are their own diagnostics (the MCP client logs each
/// server's whole handshake): kept to warnings unless the filter names them.
const QUIET_LIBRARIES: [&str; 1] = ["rmcp"];

/// Installs the global subscriber. Safe to call more than once (later calls do nothing),
/// so tests can start several applications in one process. Colours only on a terminal.
pub fn init(filter: &str, format: LogFormat) {
    use std::io::IsTerminal;
    let filter =
        EnvFilter::try_new(with_quiet_libraries(filter)).unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
        LogFormat::Pretty => builder.try_init(),
    };
}

/// `filter` with each of [`QUIET_LIBRARIES`] it does not name set to `warn`.
fn with_quiet_libraries(filter: &str) -> String {
    let mut filter = filter.to_string();
    for library in QUIET_LIBRARIES {
        if !filter.contains(library) {
            filter.push_str(&format!(",{library}=warn"));
        }
    }
    filter
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chatty_libraries_are_kept_to_warnings_unless_named() {
        assert_eq!(with_quiet_libraries("info"), "info,rmcp=warn");
        assert_eq!(with_quiet_libraries("debug,rmcp=info"), "debug,rmcp=info");
    }
}
