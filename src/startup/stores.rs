//! The stores behind the turns: conversations in memory or in Redis, turns coordinated on
//! this machine or across machines, and client tool answers passed between machines.

use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::{OperatorFiles, StartupError};
use crate::cluster::{RedisClientRelay, RedisCoordinator, RedisStore};
use crate::config::Settings;
use crate::metrics::Metrics;
use crate::secret::shown_url;
use crate::session::{MemoryStore, SessionStore};
use crate::turn::{ClientToolCalls, Coordinator, LocalCoordinator};

/// How much longer than a turn's budget a Redis claim lives, so a machine that died
/// mid-turn blocks its conversation at most this much past the turn's own deadline.
const CLAIM_TTL_MARGIN: Duration = Duration::from_secs(5);

/// The in-memory store, or Redis when `SESSION_STORE_URL` is set (refusing to start when
/// Redis does not answer).
pub(super) async fn session_store(
    settings: &Settings,
) -> Result<Arc<dyn SessionStore>, StartupError> {
    let Some(url) = &settings.session_store_url else {
        return Ok(Arc::new(MemoryStore::new(
            settings.history_limits,
            settings.max_conversations,
        )));
    };
    let store = RedisStore::connect(
        url.expose(),
        &settings.session_store_prefix,
        settings.history_limits,
        settings.session_idle_ttl,
    )
    .await
    .map_err(|e| StartupError::Store(store_unreachable(url.expose(), &e)))?;
    tracing::info!(store = %shown_url(url.expose()), "conversations are shared through Redis");
    Ok(Arc::new(store))
}

/// Turns coordinated on this machine, or across machines through Redis when
/// `SESSION_STORE_URL` is set.
pub(super) async fn coordinator(
    settings: &Settings,
    files: &OperatorFiles,
    metrics: &Metrics,
    shutdown: &CancellationToken,
) -> Result<Arc<dyn Coordinator>, StartupError> {
    let Some(url) = &settings.session_store_url else {
        return Ok(Arc::new(LocalCoordinator::new()));
    };
    let longest_turn = files
        .agents
        .agents
        .iter()
        .map(|agent| agent.llm.turn_timeout)
        .max()
        .unwrap_or(settings.llm.turn_timeout);
    // Tool time does not count against a turn's budget, and a stopped turn still waits
    // for its mutating calls: the claim must outlive every round's tools and that wait.
    let longest_tool = files
        .toolbox
        .tools()
        .iter()
        .map(|tool| tool.timeout())
        .max()
        .unwrap_or_default();
    let tool_time = longest_tool * (settings.tools.max_rounds + 1);
    let claim_ttl = longest_turn + tool_time + CLAIM_TTL_MARGIN;
    let coordinator = RedisCoordinator::connect(
        url.expose(),
        &settings.session_store_prefix,
        claim_ttl,
        metrics.clone(),
        shutdown.clone(),
    )
    .await
    .map_err(|e| StartupError::Store(store_unreachable(url.expose(), &e)))?;
    Ok(Arc::new(coordinator))
}

/// Client tool calls, with their answers forwarded between machines through Redis when
/// `SESSION_STORE_URL` is set and some tool runs in the page.
pub(super) async fn client_tool_calls(
    settings: &Settings,
    files: &OperatorFiles,
    metrics: &Metrics,
    shutdown: &CancellationToken,
) -> Result<ClientToolCalls, StartupError> {
    let calls = ClientToolCalls::default();
    let Some(url) = &settings.session_store_url else {
        return Ok(calls);
    };
    if !files.toolbox.tools().iter().any(|tool| tool.client()) {
        return Ok(calls);
    }
    let relay = RedisClientRelay::connect(
        url.expose(),
        &settings.session_store_prefix,
        calls.clone(),
        metrics.clone(),
        shutdown.clone(),
    )
    .await
    .map_err(|e| StartupError::Store(store_unreachable(url.expose(), &e)))?;
    calls.set_relay(relay);
    Ok(calls)
}

fn store_unreachable(url: &str, error: &dyn std::fmt::Display) -> String {
    format!(
        "SESSION_STORE_URL: cannot reach Redis at {}: {error}",
        shown_url(url)
    )
}
