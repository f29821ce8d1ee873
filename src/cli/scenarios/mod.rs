//! `voicebridge test [PATHS…]`: scripted conversations (`*.toml` scenarios) played against
//! a server, in-process or at `--url`, with expectations on what is said, which tools are
//! called, how soon the first audio comes and whether the call ends; reported as text,
//! JSON or JUnit XML.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use futures_util::StreamExt;

use crate::config::{ChatSettings, Settings};
use crate::secret::Secret;
use crate::startup::Application;

pub mod analysis;
mod expect;
pub mod judge;
mod listen;
pub mod outcome;
mod play;
pub mod report;
pub mod scenario;

pub use outcome::ScenarioResult;
pub use play::Target;

/// The folder searched when no path is given.
pub const DEFAULT_FOLDER: &str = "scenarios";

/// How to run the scenarios and report on them.
#[derive(Debug, Clone)]
pub struct TestOptions {
    /// Scenario files or folders; empty means [`DEFAULT_FOLDER`].
    pub paths: Vec<PathBuf>,
    /// Where to post and how to sign.
    pub target: Target,
    /// How many scenarios run at once (at least 1).
    pub jobs: usize,
    /// Write JUnit XML here too.
    pub junit: Option<PathBuf>,
    /// Print a JSON array instead of the text report.
    pub json: bool,
    /// Where `[tools.<name>]` answers go, when the server runs in this process; `None`
    /// with `--url` (a running server's tools are called for real).
    pub mocks: Option<crate::turn::ToolMocks>,
    /// The model for `expect_judge`, or why there is none.
    pub judge: Result<judge::Judge, String>,
    /// The analyses for `expect_analysis`, or why there are none.
    pub analyst: Result<analysis::Analyst, String>,
}

/// Exit code: every scenario passed.
pub const PASSED: u8 = 0;
/// Exit code: a scenario failed.
pub const FAILED: u8 = 1;
/// Exit code: a broken scenario file, or none found.
pub const BROKEN: u8 = 2;

/// `voicebridge test`: loads the scenarios first (a broken file exits 2 before anything
/// starts), then plays them against `url` or a server started here. The report goes to
/// `out`; what stops the run goes to `errors` (stderr for the binary).
pub async fn run_command<W: Write, E: Write>(
    paths: Vec<PathBuf>,
    url: Option<String>,
    jobs: u16,
    junit: Option<PathBuf>,
    json: bool,
    out: &mut W,
    errors: &mut E,
) -> ExitCode {
    let scenarios = match load(&paths) {
        Ok(scenarios) => scenarios,
        Err(error) => {
            let _ = writeln!(errors, "voicebridge test: {error}");
            return ExitCode::from(BROKEN);
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
                let _ = writeln!(errors, "voicebridge test: {error}");
                return ExitCode::FAILURE;
            }
        },
    };
    let options = TestOptions {
        paths,
        target: target(webhook_url, secret),
        jobs: usize::from(jobs),
        junit,
        json,
        mocks,
        judge: configured_judge(),
        analyst: configured_analyst(),
    };
    match run(&options, &scenarios, out).await {
        Ok(code) => ExitCode::from(code),
        Err(error) => {
            let _ = writeln!(errors, "voicebridge test: {error}");
            ExitCode::FAILURE
        }
    }
}

/// Reads the scenarios under `paths`; the error is the message for stderr.
pub fn load(paths: &[PathBuf]) -> Result<Vec<scenario::Loaded>, String> {
    let default = [PathBuf::from(DEFAULT_FOLDER)];
    if paths.is_empty() && !default[0].is_dir() {
        return Err(no_scenarios_here());
    }
    let paths = if paths.is_empty() {
        &default[..]
    } else {
        paths
    };
    let loaded = scenario::load(paths)?;
    if loaded.is_empty() {
        let names: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
        let hint = if paths == &default[..] {
            format!("; {}", no_scenarios_here())
        } else {
            String::new()
        };
        return Err(format!(
            "no scenario (*.toml) found in {}{hint}",
            names.join(", ")
        ));
    }
    Ok(loaded)
}

/// What to do when the default folder holds no scenario.
fn no_scenarios_here() -> String {
    format!(
        "no scenario (*.toml) found: `voicebridge test` plays the files in {DEFAULT_FOLDER}/ \
         (run it where that folder is), or the files and folders you name. To start, copy \
         the examples: `cp -r examples/scenarios {DEFAULT_FOLDER}`, or run \
         `voicebridge test examples/scenarios`"
    )
}

/// Plays `scenarios` against `options.target`, writes the report to `out` (and the JUnit
/// file) and returns the exit code.
pub async fn run<W: Write>(
    options: &TestOptions,
    scenarios: &[scenario::Loaded],
    out: &mut W,
) -> std::io::Result<u8> {
    let http = crate::http::client().map_err(std::io::Error::other)?;
    let results: Vec<ScenarioResult> = futures_util::stream::iter(scenarios)
        .map(|loaded| play::play(&http, options, loaded))
        .buffered(options.jobs.max(1))
        .collect()
        .await;
    if options.json {
        writeln!(out, "{}", report::json(&results))?;
    } else {
        report::text(&results, out)?;
    }
    if let Some(path) = &options.junit {
        std::fs::write(path, report::junit(&results))?;
    }
    let (_, failed) = report::counts(&results);
    Ok(if failed == 0 { PASSED } else { FAILED })
}

/// The target for a server at `webhook_url`, signing with `secret`.
pub fn target(webhook_url: String, secret: Option<Secret>) -> Target {
    Target {
        webhook_url,
        secret,
    }
}

/// The model for `expect_judge`: the agent's model settings from the environment, with
/// `JUDGE_MODEL` in place of the primary model when set.
fn configured_judge() -> Result<judge::Judge, String> {
    // Only the model settings matter here.
    let settings = Settings::from_env_with(&[
        ("ALLOW_UNSIGNED_WEBHOOKS", "true"),
        ("CALL_STORE_URL", "off"),
    ])
    .map_err(|e| format!("the judge's model is not configured: {e}"))?;
    judge::Judge::new(settings.llm, settings.judge_model)
}

/// The analyses for `expect_analysis`: the agent files' `[analysis]` from the environment's
/// `AGENTS_DIR`, made with the agents' first configured model, as the post-call analysis
/// is.
fn configured_analyst() -> Result<analysis::Analyst, String> {
    let settings = Settings::from_env_with(&[
        ("ALLOW_UNSIGNED_WEBHOOKS", "true"),
        ("CALL_STORE_URL", "off"),
    ])
    .map_err(|e| format!("the analysis's model is not configured: {e}"))?;
    let files = crate::startup::load_agent_files(&settings).map_err(|e| e.to_string())?;
    let plans = crate::startup::analysis_plans(&files).map_err(|e| e.to_string())?;
    let model = crate::llm::LlmClient::new(&settings.llm).map_err(|e| e.to_string())?;
    Ok(analysis::Analyst {
        plans,
        default_agent: files.default.clone(),
        model,
    })
}

/// Builds the server as `serve` does, on 127.0.0.1 and a free port, runs it in the
/// background and returns its webhook URL and where tool answers for scenarios go.
async fn start_in_process() -> Result<(String, crate::turn::ToolMocks), String> {
    let settings = Settings::from_env_with(&[("PORT", "0"), ("HOST", "127.0.0.1")])
        .map_err(|e| format!("configuration error: {e}"))?;
    let app = Application::build(settings)
        .await
        .map_err(|e| format!("cannot start the server: {e}"))?;
    let url = crate::cli::chat::local_webhook_url(app.port());
    let mocks = app.tool_mocks();
    tokio::spawn(app.run_until_stopped());
    Ok((url, mocks))
}
