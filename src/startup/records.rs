//! The call store at start-up: connected (and migrated) before the server listens, its
//! writer and the retention sweep started; an unreachable database stops start-up with
//! the variable and host named, never the password.

use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::StartupError;
use crate::config::{AgentsConfig, Settings};
use crate::llm::LlmClient;
use crate::metrics::Metrics;
use crate::records::erase::forget_conversations;
use crate::records::CallKey;
use crate::records::{
    post_call, CallRecorder, CallStore, CallWriter, PostCallProgress, PostCallSettings, Redaction,
};
use crate::secret::shown_url;
use crate::session::{conversation_key, SessionStore};

/// How often records past `CALL_RETENTION_DAYS` are deleted.
const RETENTION_SWEEP: Duration = Duration::from_secs(60 * 60);

/// The store, its recorder and its writer; all off with `CALL_STORE_URL=off`. The
/// post-call webhook's progress, when it is on.
pub(super) struct Calls {
    pub(super) store: Option<CallStore>,
    pub(super) recorder: CallRecorder,
    pub(super) writer: Option<CallWriter>,
    pub(super) post_call: Option<PostCallProgress>,
}

/// Connects the call store configured in `settings`.
pub(super) async fn call_store(settings: &Settings) -> Result<Option<CallStore>, StartupError> {
    let Some(url) = &settings.calls.store_url else {
        return Ok(None);
    };
    let store = CallStore::connect(url.expose()).await.map_err(|e| {
        StartupError::Store(format!(
            "CALL_STORE_URL: cannot open the call store at {}: {e} (CALL_STORE_URL=off keeps no calls)",
            shown_url(url.expose())
        ))
    })?;
    tracing::info!(store = %shown_url(url.expose()), backend = store.backend(), "calls are kept on record");
    Ok(Some(store))
}

/// Starts the writer and the retention sweep for `store`; fails only when the post-call
/// webhook's clients (HTTP, and the model for summaries) cannot be built.
pub(super) fn start(
    store: Option<CallStore>,
    settings: &Settings,
    agents: &AgentsConfig,
    sessions: &Arc<dyn SessionStore>,
    metrics: &Metrics,
    traces: &crate::trace::Tracing,
    shutdown: &CancellationToken,
) -> Result<Calls, StartupError> {
    let analyses = super::analysis::plans(agents)?;
    let Some(store) = store else {
        return Ok(Calls {
            store: None,
            recorder: CallRecorder::off(),
            writer: None,
            post_call: None,
        });
    };
    let mut progress = None;
    let (recorder, writer) = match &settings.calls.post_call {
        None => CallWriter::spawn(
            store.clone(),
            settings.calls.queue_size,
            metrics.clone(),
            redaction(settings, agents),
        ),
        Some((url, secret)) => {
            let post_call = PostCallSettings {
                url: url.clone(),
                secret: secret.clone(),
                summary: settings.calls.post_call_summary,
                idle_after: settings.session_idle_ttl,
                tracing: traces.clone(),
                analyses,
            };
            let model = match settings.calls.post_call_summary || !post_call.analyses.is_empty() {
                true => Some(LlmClient::new(&settings.llm)?),
                false => None,
            };
            // Not stopped with the server: it ends when the writer does, so the records
            // written while stopping (a session.end among them) still trigger deliveries.
            let (written, delivery_progress) = post_call::spawn(
                post_call,
                store.clone(),
                model,
                metrics.clone(),
                CancellationToken::new(),
            )
            .map_err(|e| {
                StartupError::Store(format!(
                    "cannot build the post-call webhook's HTTP client: {e}"
                ))
            })?;
            progress = Some(delivery_progress);
            CallWriter::spawn_observed(
                store.clone(),
                settings.calls.queue_size,
                metrics.clone(),
                redaction(settings, agents),
                written,
            )
        }
    };
    let retention = Duration::from_secs(u64::from(settings.calls.retention_days) * 24 * 60 * 60);
    let (sweeper, stop) = (store.clone(), shutdown.clone());
    let (sessions, namespaced) = (sessions.clone(), agents.from_files);
    tokio::spawn(async move {
        loop {
            let now_ms = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_millis() as i64);
            let cutoff = now_ms - retention.as_millis() as i64;
            match sweeper.delete_older_than(cutoff).await {
                Ok(deleted) if deleted.is_empty() => {}
                Ok(deleted) => {
                    let key = |call: &CallKey| {
                        conversation_key(namespaced, &call.agent, &call.conversation_id)
                    };
                    let forgotten = forget_conversations(&*sessions, &key, &deleted).await;
                    if let Err(error) = &forgotten {
                        tracing::warn!(%error, "forgetting deleted calls' conversations failed");
                    }
                    tracing::info!(
                        deleted = deleted.len(),
                        conversations = forgotten.unwrap_or(0),
                        "deleted calls past CALL_RETENTION_DAYS"
                    );
                }
                Err(error) => tracing::warn!(%error, "deleting old calls failed"),
            }
            tokio::select! {
                () = stop.cancelled() => break,
                () = tokio::time::sleep(RETENTION_SWEEP) => {}
            }
        }
    });
    Ok(Calls {
        store: Some(store),
        recorder,
        writer: Some(writer),
        post_call: progress,
    })
}

/// Each agent's `RECORD_CONTENT` for the writer; the environment's for any other agent.
fn redaction(settings: &Settings, agents: &AgentsConfig) -> Redaction {
    let policies = agents
        .agents
        .iter()
        .map(|agent| (agent.name.clone(), agent.privacy.clone()))
        .collect();
    Redaction::new(policies, settings.agents.from_env.privacy.clone())
}
