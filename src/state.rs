//! The shared application state, built once at start-up and cloned into every worker.

use std::sync::Arc;

use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::config::Secret;
use crate::metrics::Metrics;
use crate::turn::Agent;
use crate::web::Web;

/// Everything a handler needs. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    /// Answers turns.
    pub agent: Arc<Agent>,
    /// Webhook secret; `None` when unsigned webhooks are allowed (development only).
    pub webhook_secret: Option<Secret>,
    /// Cancelled when the server has stopped; turn tasks are children of it.
    pub shutdown: CancellationToken,
    /// The voice page and `/authorize`.
    pub web: Arc<Web>,
    /// Every running turn task, so a stopping server can wait for them.
    pub turns: TaskTracker,
    /// What `/metrics` exports.
    pub metrics: Metrics,
    /// Bearer token protecting `/metrics`, when set.
    pub metrics_token: Option<Secret>,
}
