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
    // A missing .env is normal in production; variables then come from the environment.
    let _ = dotenvy::dotenv();
    match command {
        Command::Serve => serve().await,
        Command::Chat { url } => chat(url).await,
        Command::Check => check().await,
        Command::Test {
            paths,
            url,
            jobs,
            junit,
            json,
        } => test(paths, url, jobs, junit, json).await,
    }
}

fn settings() -> Option<Settings> {
    match Settings::from_env() {
        Ok(settings) => Some(settings),
        Err(error) => {
            eprintln!("voicebridge: configuration error: {error}");
            None
        }
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
    };
    let input = tokio::io::BufReader::new(tokio::io::stdin());
    match cli::chat::run(&options, input, &mut std::io::stdout()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("voicebridge chat: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn check() -> ExitCode {
    let Some(settings) = settings() else {
        return ExitCode::FAILURE;
    };
    match cli::check::run(&settings, &mut std::io::stdout()).await {
        Ok(true) => ExitCode::SUCCESS,
        _ => ExitCode::FAILURE,
    }
}

/// `voicebridge test`: loads the scenarios first (a broken file exits 2 before anything
/// starts), then plays them against `url` or a server started here.
async fn test(
    paths: Vec<std::path::PathBuf>,
    url: Option<String>,
    jobs: u16,
    junit: Option<std::path::PathBuf>,
    json: bool,
) -> ExitCode {
    let scenarios = match cli::scenarios::load(&paths) {
        Ok(scenarios) => scenarios,
        Err(error) => {
            eprintln!("voicebridge test: {error}");
            return ExitCode::from(cli::scenarios::BROKEN);
        }
    };
    // Signed like `chat` signs: with LAYERCODE_WEBHOOK_SECRET when it is set.
    let secret = ChatSettings::from_env()
        .ok()
        .and_then(|settings| settings.webhook_secret);
    let (webhook_url, mocks) = match url {
        Some(url) => (url, None),
        None => match start_in_process().await {
            Ok((url, mocks)) => (url, Some(mocks)),
            Err(error) => {
                eprintln!("voicebridge test: {error}");
                return ExitCode::FAILURE;
            }
        },
    };
    let options = cli::scenarios::TestOptions {
        paths,
        target: cli::scenarios::target(webhook_url, secret),
        jobs: usize::from(jobs),
        junit,
        json,
        mocks,
        judge: judge(),
    };
    match cli::scenarios::run(&options, &scenarios, &mut std::io::stdout()).await {
        Ok(code) => ExitCode::from(code),
        Err(error) => {
            eprintln!("voicebridge test: {error}");
            ExitCode::FAILURE
        }
    }
}

/// The model for `expect_judge`: the agent's model settings from the environment, with
/// `JUDGE_MODEL` in place of the primary model when set.
fn judge() -> Result<cli::scenarios::judge::Judge, String> {
    // Only the model settings matter here.
    let settings = Settings::from_env_with(&[
        ("ALLOW_UNSIGNED_WEBHOOKS", "true"),
        ("CALL_STORE_URL", "off"),
    ])
    .map_err(|e| format!("the judge's model is not configured: {e}"))?;
    cli::scenarios::judge::Judge::new(settings.llm, settings.judge_model)
}

/// Builds the server as `serve` does, on 127.0.0.1 and a free port, runs it in the
/// background and returns its webhook URL and where tool answers for scenarios go.
async fn start_in_process() -> Result<(String, voicebridge::turn::ToolMocks), String> {
    let settings = Settings::from_env_with(&[("PORT", "0"), ("HOST", "127.0.0.1")])
        .map_err(|e| format!("configuration error: {e}"))?;
    let app = Application::build(settings)
        .await
        .map_err(|e| format!("cannot start the server: {e}"))?;
    let url = cli::chat::local_webhook_url(app.port());
    let mocks = app.tool_mocks();
    tokio::spawn(app.run_until_stopped());
    Ok((url, mocks))
}
