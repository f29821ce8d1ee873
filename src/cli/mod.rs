//! The binary's subcommands besides serving: `chat`, a terminal client that talks to a
//! running voicebridge as Layercode would, and `check`, which validates the configuration
//! and asks each configured model for one tiny completion. They write to any `Write`, so
//! tests can read what a user would see.

pub mod chat;
pub mod check;

/// What the command line asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Run the server (the default).
    Serve,
    /// The terminal chat, optionally against another server.
    Chat {
        /// Base URL of the server; `None` means this machine's `PORT`.
        url: Option<String>,
    },
    /// Validate the configuration and reach the models.
    Check,
    /// Print usage.
    Help,
}

/// Usage text for `--help` and mistakes.
pub const USAGE: &str = "\
usage: voicebridge [serve]            run the server (configured from the environment)
       voicebridge chat [--url URL]   talk to a running voicebridge from the terminal
       voicebridge check              validate the configuration and reach the models";

/// Parses the arguments after the program name.
pub fn parse_args(args: &[String]) -> Result<Command, String> {
    let mut args = args.iter().map(String::as_str);
    let command = match args.next() {
        None | Some("serve") => Command::Serve,
        Some("check") => Command::Check,
        Some("help" | "--help" | "-h") => Command::Help,
        Some("chat") => {
            let mut url = None;
            while let Some(arg) = args.next() {
                match arg {
                    "--url" => url = Some(args.next().ok_or("--url needs a value")?.to_string()),
                    other => return Err(format!("unknown argument `{other}`")),
                }
            }
            return Ok(Command::Chat { url });
        }
        Some(other) => return Err(format!("unknown command `{other}`")),
    };
    match args.next() {
        None => Ok(command),
        Some(extra) => Err(format!("unexpected argument `{extra}`")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Command, String> {
        parse_args(&args.iter().map(|a| a.to_string()).collect::<Vec<_>>())
    }

    #[test]
    fn commands_and_their_flags() {
        assert_eq!(parse(&[]), Ok(Command::Serve));
        assert_eq!(parse(&["serve"]), Ok(Command::Serve));
        assert_eq!(parse(&["check"]), Ok(Command::Check));
        assert_eq!(parse(&["chat"]), Ok(Command::Chat { url: None }));
        assert_eq!(
            parse(&["chat", "--url", "https://x.fly.dev"]),
            Ok(Command::Chat {
                url: Some("https://x.fly.dev".into())
            })
        );
        assert!(parse(&["chat", "--url"]).is_err());
        assert!(parse(&["chat", "--loud"]).is_err());
        assert!(parse(&["dance"]).is_err());
        assert!(parse(&["check", "now"]).is_err());
    }
}
