//! The shared application state, built once at start-up and cloned into every worker.

use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use crate::config::Secret;
use crate::turn::Agent;

/// Everything a handler needs. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    /// Answers turns.
    pub agent: Arc<Agent>,
    /// Webhook secret; `None` when unsigned webhooks are allowed (development only).
    pub webhook_secret: Option<Secret>,
    /// Cancelled when the server has stopped; turn tasks are children of it.
    pub shutdown: CancellationToken,
}
