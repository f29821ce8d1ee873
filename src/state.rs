//! The shared application state, built once at start-up and cloned into every worker.

use std::sync::Arc;

use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

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
    pub turns: TurnTasks,
    /// What `/metrics` exports.
    pub metrics: Metrics,
    /// Bearer token protecting `/metrics`, when set.
    pub metrics_token: Option<Secret>,
}

/// The turn tasks running in this process: a stopping server waits for them, and anyone
/// may wait until none is running (a turn's history is settled only when its task ends,
/// after its stream).
#[derive(Clone)]
pub struct TurnTasks {
    running: watch::Sender<usize>,
}

impl Default for TurnTasks {
    fn default() -> Self {
        Self {
            running: watch::Sender::new(0),
        }
    }
}

/// Counts a task as running until dropped (however the task ends).
struct Running(watch::Sender<usize>);

impl Drop for Running {
    fn drop(&mut self) {
        self.0.send_modify(|n| *n -= 1);
    }
}

impl TurnTasks {
    /// Runs `turn` as a tracked task.
    pub fn spawn<F>(&self, turn: F)
    where
        F: std::future::Future<Output = ()> + Send + 'static,
    {
        self.running.send_modify(|n| *n += 1);
        let running = Running(self.running.clone());
        tokio::spawn(async move {
            let _running = running;
            turn.await;
        });
    }

    /// Number of turn tasks running.
    pub fn len(&self) -> usize {
        *self.running.borrow()
    }

    /// True when no turn task is running.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Resolves once no turn task is running (at once if none is). A stopping server
    /// pauses accepting first, so this is also "every turn has ended".
    pub async fn idle(&self) {
        let mut running = self.running.subscribe();
        let _ = running.wait_for(|n| *n == 0).await;
    }
}
