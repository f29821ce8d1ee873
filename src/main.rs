//! The `voicebridge` binary: reads `.env` (development), configures logging, starts the
//! server and serves until stopped.

use std::process::ExitCode;

use voicebridge::config::Settings;
use voicebridge::startup::Application;
use voicebridge::telemetry;

#[tokio::main]
async fn main() -> ExitCode {
    // A missing .env is normal in production; variables then come from the environment.
    let _ = dotenvy::dotenv();
    let settings = match Settings::from_env() {
        Ok(settings) => settings,
        Err(error) => {
            eprintln!("voicebridge: configuration error: {error}");
            return ExitCode::FAILURE;
        }
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
