//! The `voicebridge` binary: reads `.env` (development), then runs the server (default),
//! the terminal chat, the configuration check or the scenario tests.

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;
use voicebridge::cli::{self, Cli, Command};
use voicebridge::config::{ChatSettings, Settings};
use voicebridge::startup::Application;
use voicebridge::telemetry;

#[tokio::main]
async fn main() -> ExitCode {
    // Before .env, so --help and --version answer whatever the configuration. clap prints
    // help and version on stdout and exits 0; a mistake exits 2 with a hint on stderr.
    let command = Cli::parse().into_command();
    // A missing .env is normal in production; variables then come from the environment,
    // which wins over the file. A line that does not parse stops here, named.
    if let Err(problem) = voicebridge::config::load_dotenv() {
        eprintln!("voicebridge: configuration error: {problem}");
        return ExitCode::FAILURE;
    }
    match command {
        Command::Serve => serve().await,
        Command::Chat {
            openai: Some(url), ..
        } => chat_door(url).await,
        Command::Chat {
            retell: Some(url), ..
        } => chat_retell(url).await,
        Command::Chat { url, .. } => chat(url).await,
        Command::Check => check().await,
        Command::Test {
            paths,
            url,
            jobs,
            junit,
            json,
        } => {
            let (mut out, mut errors) = (std::io::stdout(), std::io::stderr());
            cli::scenarios::run_command(paths, url, jobs, junit, json, &mut out, &mut errors).await
        }
        Command::Calls(cli::CallsCommand::Export {
            since,
            agent,
            phone,
            text,
            out,
        }) => {
            let Some(settings) = settings() else {
                return ExitCode::FAILURE;
            };
            let export = cli::calls::Export {
                since,
                agent,
                phone,
                text,
                out,
            };
            let (mut stdout, mut stderr) = (std::io::stdout(), std::io::stderr());
            match cli::calls::export(&settings, export, &mut stdout, &mut stderr).await {
                Ok(true) => ExitCode::SUCCESS,
                _ => ExitCode::FAILURE,
            }
        }
        Command::Calls(cli::CallsCommand::Delete { phone }) => {
            let Some(settings) = settings() else {
                return ExitCode::FAILURE;
            };
            let (mut stdout, mut stderr) = (std::io::stdout(), std::io::stderr());
            match cli::calls::delete(&settings, &phone, &mut stdout, &mut stderr).await {
                Ok(true) => ExitCode::SUCCESS,
                _ => ExitCode::FAILURE,
            }
        }
    }
}

fn settings() -> Option<Settings> {
    match Settings::from_env() {
        Ok(settings) => Some(settings),
        Err(error) => {
            report(&error);
            None
        }
    }
}

/// One problem on one line; several as a list, one a line, so one run names them all.
fn report(error: &voicebridge::config::ConfigError) {
    let all = error.all();
    if all.len() == 1 {
        eprintln!("voicebridge: configuration error: {error}");
        return;
    }
    eprintln!("voicebridge: {} configuration errors:", all.len());
    for (variable, problem) in all {
        eprintln!("  {variable}: {problem}");
    }
}

async fn serve() -> ExitCode {
    let Some(settings) = settings() else {
        return ExitCode::FAILURE;
    };
    telemetry::init(&settings.log_filter, settings.log_format);
    let app = match Application::build(settings).await {
        Ok(app) => app,
        Err(error) => {
            tracing::error!(%error, "voicebridge cannot start");
            return ExitCode::FAILURE;
        }
    };
    match app.run_until_stopped().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!(%error, "server failed");
            ExitCode::FAILURE
        }
    }
}

/// `webhook_url` is already normalised by the command line; `None` means this machine.
async fn chat(webhook_url: Option<String>) -> ExitCode {
    let settings = match ChatSettings::from_env() {
        Ok(settings) => settings,
        Err(error) => {
            eprintln!("voicebridge: configuration error: {error}");
            return ExitCode::FAILURE;
        }
    };
    if settings.webhook_secret.is_none() {
        eprintln!("voicebridge: LAYERCODE_WEBHOOK_SECRET is not set; sending unsigned webhooks");
    }
    let options = cli::chat::ChatOptions {
        webhook_url: webhook_url.unwrap_or_else(|| cli::chat::local_webhook_url(settings.port)),
        secret: settings.webhook_secret,
        interactive: std::io::stdin().is_terminal(),
        catch_ctrl_c: true,
    };
    let input = tokio::io::BufReader::new(tokio::io::stdin());
    end_chat(cli::chat::run(&options, input, &mut std::io::stdout()).await)
}

/// `voicebridge chat --openai [URL]`.
async fn chat_door(url: String) -> ExitCode {
    let settings = match ChatSettings::from_env() {
        Ok(settings) => settings,
        Err(error) => {
            eprintln!("voicebridge: configuration error: {error}");
            return ExitCode::FAILURE;
        }
    };
    if settings.openai_key.is_none() {
        eprintln!("voicebridge: OPENAI_DOOR_KEYS is not set; sending no key");
    }
    let base_url = if url.trim().is_empty() {
        format!("http://127.0.0.1:{}/openai/v1", settings.port)
    } else {
        cli::chat_openai::door_url(&url)
    };
    let options = cli::chat_openai::DoorChatOptions {
        base_url,
        key: settings.openai_key,
        interactive: std::io::stdin().is_terminal(),
        catch_ctrl_c: true,
    };
    let input = tokio::io::BufReader::new(tokio::io::stdin());
    end_chat(cli::chat_openai::run(&options, input, &mut std::io::stdout()).await)
}

/// `voicebridge chat --retell [URL]`.
async fn chat_retell(url: String) -> ExitCode {
    let settings = match ChatSettings::from_env() {
        Ok(settings) => settings,
        Err(error) => {
            eprintln!("voicebridge: configuration error: {error}");
            return ExitCode::FAILURE;
        }
    };
    let base = if url.trim().is_empty() {
        format!("http://127.0.0.1:{}", settings.port)
    } else {
        url
    };
    let key = settings.retell_key.as_ref().map_or("", |k| k.expose());
    if key.is_empty() && !base.contains("/retell/") {
        eprintln!("voicebridge: RETELL_KEYS is not set; give the socket's whole URL, or set it");
        return ExitCode::FAILURE;
    }
    let options = cli::chat_retell::RetellChatOptions {
        url: cli::chat_retell::socket_url(&base, "default", key),
        interactive: std::io::stdin().is_terminal(),
        catch_ctrl_c: true,
    };
    let input = tokio::io::BufReader::new(tokio::io::stdin());
    end_chat(cli::chat_retell::run(&options, input, &mut std::io::stdout()).await)
}

async fn check() -> ExitCode {
    let Some(settings) = settings() else {
        return ExitCode::FAILURE;
    };
    let files = match voicebridge::startup::load_files(&settings) {
        Ok(files) => files,
        Err(error) => {
            eprintln!("voicebridge: configuration error: {error}");
            return ExitCode::FAILURE;
        }
    };
    match cli::check::run(&settings, &files, &mut std::io::stdout()).await {
        Ok(true) => ExitCode::SUCCESS,
        _ => ExitCode::FAILURE,
    }
}

/// Ends a chat command: its error on stderr, then the process. Exits here: a call ended
/// with Ctrl-C leaves a read of stdin pending, and the runtime would wait for it (for the
/// user to press Enter) before the process could end.
fn end_chat(result: Result<(), cli::chat::ChatError>) -> ExitCode {
    let code = match result {
        Ok(()) => 0,
        Err(error) => {
            eprintln!("voicebridge chat: {error}");
            1
        }
    };
    use std::io::Write as _;
    let _ = std::io::stdout().flush();
    std::process::exit(code)
}
