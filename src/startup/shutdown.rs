//! Stopping gracefully: on SIGTERM or SIGINT, no new connections, in-flight turns get the
//! grace period, the rest are ended (each with `response.end`), then the server stops.

use std::time::Duration;

use actix_web::dev::ServerHandle;
use tokio_util::sync::CancellationToken;

use crate::routes::state::TurnTasks;

pub(super) async fn stop_on_signal(
    server: ServerHandle,
    turns: TurnTasks,
    shutdown: CancellationToken,
    grace: Duration,
    stopping_since: std::sync::Arc<std::sync::OnceLock<std::time::Instant>>,
) {
    let signal = wait_for_signal().await;
    let _ = stopping_since.set(std::time::Instant::now());
    tracing::info!(
        signal,
        turns_in_flight = turns.len(),
        grace_secs = grace.as_secs(),
        "stopping: no new connections; letting turns finish"
    );
    server.pause().await;
    if tokio::time::timeout(grace, turns.idle()).await.is_err() {
        tracing::warn!(
            turns = turns.len(),
            "grace period over; ending the remaining turns"
        );
        shutdown.cancel();
        let _ = tokio::time::timeout(Duration::from_secs(2), turns.idle()).await;
    }
    server.stop(true).await;
}

/// Waits for SIGTERM (Fly, Docker, systemd) or SIGINT (Ctrl-C); returns its name.
async fn wait_for_signal() -> &'static str {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut terminate) => tokio::select! {
                _ = terminate.recv() => "SIGTERM",
                _ = tokio::signal::ctrl_c() => "SIGINT",
            },
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
                "SIGINT"
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
        "SIGINT"
    }
}
