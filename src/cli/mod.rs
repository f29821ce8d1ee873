//! The command line (`serve`, `chat`, `check`, `test`, `calls`, with `--help` and
//! `--version`) and the subcommands besides serving: `chat`, a terminal client that talks
//! to a running voicebridge as Layercode would, `check`, which validates the configuration
//! and asks each configured model for one tiny completion, `test`, which plays scenario
//! files ([`scenarios`]), and `calls export`, the calls on record as CSV ([`calls`]). They write to any `Write`, so tests can read what a user would see.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

pub mod calls;
pub mod chat;
pub mod chat_openai;
pub mod chat_retell;
pub mod check;
pub mod scenarios;
mod terminal;

// The help of each subcommand names what it reads, because a user's first question about
// a failing command is usually which variable it looked at.
const SERVER_CONFIGURATION: &str = "\
Configured from the environment; a .env file in the working directory is read first.
LAYERCODE_WEBHOOK_SECRET and a model (LLM_BASE_URL, LLM_API_KEY, LLM_MODEL) are the usual
ones; docs/configuration.md lists every variable. To try it without any key:
LLM_MODEL=demo ALLOW_UNSIGNED_WEBHOOKS=true (the README's quick start).";

const CHAT_CONFIGURATION: &str = "\
Reads from the environment (or .env): LAYERCODE_WEBHOOK_SECRET to sign the webhooks
(unsigned without it), and PORT for the default URL, http://127.0.0.1:$PORT (8080).
With --openai: the first of OPENAI_DOOR_KEYS as the key, and the door's URL
(https://<app>.fly.dev/openai/<agent>/v1; default http://127.0.0.1:$PORT/openai/v1).
With --retell: the server's URL (default http://127.0.0.1:$PORT), the default agent and
the first of RETELL_KEYS, or a whole wss://<app>.fly.dev/retell/<agent>/<key> URL.";

const TEST_CONFIGURATION: &str = "\
Without --url the server runs in-process, configured from the environment (or .env) as
`serve` is, on a free port. LAYERCODE_WEBHOOK_SECRET signs the webhooks (unsigned without
it). Exit status: 0 all passed, 1 a scenario failed, 2 a broken scenario file or none found.";

// Not the field's doc comment: rustdoc and the terminal want URLs written differently.
const URL_HELP: &str = "The server's base URL (https://<app>.fly.dev) or the webhook URL \
pasted into Layercode (ending in /agent or /api/agent) [default: http://127.0.0.1:$PORT]";

/// A Layercode webhook backend: signed webhooks in, streamed speech out, from any
/// OpenAI-compatible model. Without a command it runs the server.
#[derive(Debug, Parser)]
#[command(name = "voicebridge", version, after_help = SERVER_CONFIGURATION)]
pub struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

impl Cli {
    /// What to run: serving when no command was given, so `voicebridge` alone starts the
    /// server as it always has (and as the container's entrypoint expects).
    pub fn into_command(self) -> Command {
        self.command.unwrap_or(Command::Serve)
    }
}

/// What the command line asked for.
#[derive(Debug, Clone, PartialEq, Eq, Subcommand)]
pub enum Command {
    /// Run the server (the default when no command is given)
    #[command(after_help = SERVER_CONFIGURATION)]
    Serve,
    /// Talk to a running voicebridge from the terminal, as Layercode would
    #[command(after_help = CHAT_CONFIGURATION)]
    Chat {
        /// The webhook URL, from [`chat::webhook_url`]; `None` means this machine's server.
        // Checked while parsing, so a mistyped URL is a usage error with a hint (exit 2)
        // rather than a connection error later.
        #[arg(long, value_name = "URL", value_parser = chat::webhook_url, help = URL_HELP)]
        url: Option<String>,
        /// Talk to the OpenAI door as Vapi would, at this URL (the door's base URL or the
        /// server's) [default: http://127.0.0.1:$PORT/openai/v1]
        #[arg(long, value_name = "URL", num_args = 0..=1, default_missing_value = "", conflicts_with = "url")]
        openai: Option<String>,
        /// Talk to the agent's Retell WebSocket as Retell would, at this URL (the
        /// server's, or the socket's) [default: http://127.0.0.1:$PORT]
        #[arg(long, value_name = "URL", num_args = 0..=1, default_missing_value = "", conflicts_with_all = ["url", "openai"])]
        retell: Option<String>,
    },
    /// Validate the configuration and ask every configured model for a tiny completion
    #[command(after_help = SERVER_CONFIGURATION)]
    Check,
    /// Play scripted conversations (scenario files) and check what the agent says and does
    #[command(after_help = TEST_CONFIGURATION)]
    Test {
        /// Scenario files or folders of `*.toml` files [default: scenarios]
        paths: Vec<PathBuf>,
        /// Test a running server instead of one started in-process
        #[arg(long, value_name = "URL", value_parser = chat::webhook_url)]
        url: Option<String>,
        /// How many scenarios run at once
        #[arg(long, value_name = "N", default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..))]
        jobs: u16,
        /// Also write the results as JUnit XML to this file
        #[arg(long, value_name = "FILE")]
        junit: Option<PathBuf>,
        /// Print the results as a JSON array instead of the text report
        #[arg(long)]
        json: bool,
    },
    /// Work with the calls on record (CALL_STORE_URL)
    #[command(subcommand, after_help = SERVER_CONFIGURATION)]
    Calls(CallsCommand),
}

/// `voicebridge calls …`.
#[derive(Debug, Clone, PartialEq, Eq, Subcommand)]
pub enum CallsCommand {
    /// Write the calls as CSV (one row per call), newest first
    Export {
        /// Only calls active since this date (2026-12-01, midnight UTC) or time
        /// (2026-12-01T09:30:00Z)
        #[arg(long, value_name = "DATE")]
        since: Option<String>,
        /// Only this agent's calls
        #[arg(long, value_name = "NAME")]
        agent: Option<String>,
        /// Only calls from or to a number containing this
        #[arg(long, value_name = "DIGITS")]
        phone: Option<String>,
        /// Only calls in which this was said (either side)
        #[arg(long, value_name = "WORDS")]
        text: Option<String>,
        /// Write to this file instead of standard output
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// Delete every call from or to one number, and their conversations in the session
    /// store (a data-subject request)
    Delete {
        /// The caller's number (+15550100100; compared by its digits)
        #[arg(long, value_name = "NUMBER")]
        phone: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::error::ErrorKind;
    use clap::CommandFactory;

    fn parse(args: &[&str]) -> Result<Command, ErrorKind> {
        Cli::try_parse_from(std::iter::once("voicebridge").chain(args.iter().copied()))
            .map(Cli::into_command)
            .map_err(|e| e.kind())
    }

    #[test]
    fn the_command_line_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn commands_and_their_flags() {
        assert_eq!(parse(&[]), Ok(Command::Serve));
        assert_eq!(parse(&["serve"]), Ok(Command::Serve));
        assert_eq!(parse(&["check"]), Ok(Command::Check));
        assert_eq!(
            parse(&["chat"]),
            Ok(Command::Chat {
                url: None,
                openai: None,
                retell: None
            })
        );
        assert_eq!(
            parse(&["test", "a.toml", "more", "--jobs", "2", "--json"]),
            Ok(Command::Test {
                paths: vec!["a.toml".into(), "more".into()],
                url: None,
                jobs: 2,
                junit: None,
                json: true,
            })
        );
        assert_eq!(
            parse(&["test", "--jobs", "0"]),
            Err(ErrorKind::ValueValidation)
        );
        assert_eq!(
            parse(&[
                "calls",
                "export",
                "--since",
                "2026-12-01",
                "--agent",
                "sales"
            ]),
            Ok(Command::Calls(CallsCommand::Export {
                since: Some("2026-12-01".into()),
                agent: Some("sales".into()),
                phone: None,
                text: None,
                out: None,
            }))
        );
        assert_eq!(
            parse(&["calls"]),
            Err(ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand)
        );
        assert_eq!(
            parse(&["chat", "--url", "https://x.fly.dev"]),
            Ok(Command::Chat {
                url: Some("https://x.fly.dev/agent".into()),
                openai: None,
                retell: None
            })
        );
    }

    #[test]
    fn mistakes_are_usage_errors() {
        assert_eq!(parse(&["chat", "--url"]), Err(ErrorKind::InvalidValue));
        assert_eq!(
            parse(&["chat", "--openai"]),
            Ok(Command::Chat {
                url: None,
                openai: Some(String::new()),
                retell: None
            })
        );
        assert_eq!(
            parse(&["chat", "--retell"]),
            Ok(Command::Chat {
                url: None,
                openai: None,
                retell: Some(String::new())
            })
        );
        assert_eq!(
            parse(&["chat", "--retell", "--openai"]),
            Err(ErrorKind::ArgumentConflict)
        );
        assert_eq!(
            parse(&["chat", "--openai", "https://x.fly.dev/openai/sales/v1"]),
            Ok(Command::Chat {
                url: None,
                openai: Some("https://x.fly.dev/openai/sales/v1".into()),
                retell: None
            })
        );
        assert_eq!(
            parse(&["chat", "--url", "x.fly.dev"]),
            Err(ErrorKind::ValueValidation)
        );
        assert_eq!(parse(&["chat", "--loud"]), Err(ErrorKind::UnknownArgument));
        assert_eq!(parse(&["dance"]), Err(ErrorKind::InvalidSubcommand));
        assert_eq!(parse(&["check", "now"]), Err(ErrorKind::UnknownArgument));
    }

    #[test]
    fn help_and_version_are_answers_not_errors() {
        assert_eq!(parse(&["--help"]), Err(ErrorKind::DisplayHelp));
        assert_eq!(parse(&["chat", "--help"]), Err(ErrorKind::DisplayHelp));
        assert_eq!(parse(&["--version"]), Err(ErrorKind::DisplayVersion));
    }
}
