//! The shared application state, built once at start-up and cloned into every worker.

use std::sync::Arc;

use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use crate::browser::Web;
use crate::metrics::Metrics;
use crate::secret::Secret;
use crate::turn::Agent;

/// Everything a handler needs. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    /// The agents, by name.
    pub agents: Arc<Agents>,
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
    /// The call store, for the calls pages and API; `None` with `CALL_STORE_URL=off`.
    pub call_store: Option<crate::records::CallStore>,
    /// Where session reports go (to the call store's writer, or nowhere).
    pub calls: crate::records::CallRecorder,
    /// Token of the calls pages and API; they are off without it.
    pub admin_token: Option<Secret>,
    /// Client tool calls waiting for the page's `tool_result`.
    pub client_tool_calls: crate::turn::ClientToolCalls,
    /// `TRACE_URL_TEMPLATE`: a turn's link to its trace, `{trace_id}` replaced.
    pub trace_url: Option<String>,
    /// The knowledge bases, for `POST /admin/knowledge/reload`.
    pub knowledge: Vec<std::sync::Arc<crate::knowledge::Shelf>>,
}

/// One agent and what its webhooks and page need.
pub struct AgentEntry {
    /// Answers its turns.
    pub agent: Arc<Agent>,
    /// Its webhook secret; `None` when unsigned webhooks are allowed (development only).
    pub webhook_secret: Option<Secret>,
    /// Its Layercode agent id, for the page and `/authorize`.
    pub layercode_agent_id: Option<String>,
    /// Where its webhook secret is set (`LAYERCODE_WEBHOOK_SECRET`, or `webhook_secret`
    /// in its file), named when a signature is refused; never the secret.
    pub secret_source: String,
    /// Keys that open this agent's OpenAI door; none: the door is closed.
    pub openai_keys: Vec<Secret>,
    /// Keys that open this agent's Retell WebSocket; none: it is closed.
    pub retell_keys: Vec<Secret>,
    /// The secret of its Vapi knowledge-base route; none: closed.
    pub vapi_secret: Option<Secret>,
    /// Its knowledge base and how it is used; none: off.
    pub knowledge: Option<crate::turn::KnowledgeUse>,
    /// The prices its calls are costed with (a session's minutes, at `session.end`).
    pub prices: std::sync::Arc<crate::pricing::Prices>,
    /// Numbers a Retell call may be transferred to.
    pub transfer_numbers: Vec<String>,
}

/// Every agent of this deployment, by name, and which one `POST /agent` answers for.
pub struct Agents {
    entries: std::collections::BTreeMap<String, AgentEntry>,
    default: String,
    /// Agents from files keep their conversations apart: the store key is
    /// `<agent>/<conversation_id>`. The single agent from the environment keeps the bare
    /// id, so its stored conversations read as before.
    namespaced: bool,
}

impl Agents {
    /// The registry; `default` must name one of `entries`.
    pub fn new(entries: Vec<(String, AgentEntry)>, default: String, namespaced: bool) -> Self {
        Self {
            entries: entries.into_iter().collect(),
            default,
            namespaced,
        }
    }

    /// The named agent, or the default one for `None`.
    pub fn get(&self, name: Option<&str>) -> Option<(&str, &AgentEntry)> {
        let name = name.unwrap_or(&self.default);
        self.entries
            .get_key_value(name)
            .map(|(name, entry)| (name.as_str(), entry))
    }

    /// Every agent's name, in order.
    pub fn names(&self) -> Vec<&str> {
        self.entries.keys().map(String::as_str).collect()
    }

    /// The agent `POST /agent` answers for.
    pub fn default_name(&self) -> &str {
        &self.default
    }

    /// Every agent, by name.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &AgentEntry)> {
        self.entries
            .iter()
            .map(|(name, entry)| (name.as_str(), entry))
    }

    /// Where `agent`'s conversation `conversation` is stored.
    pub fn conversation_key(&self, agent: &str, conversation: &str) -> String {
        crate::session::conversation_key(self.namespaced, agent, conversation)
    }

    /// The store every agent shares.
    pub fn store(&self) -> Option<&Arc<dyn crate::session::SessionStore>> {
        self.get(None).map(|(_, entry)| entry.agent.store())
    }
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
        // A turn's future is large (every state of the reply, tool rounds included). On
        // the heap it is moved once here; inline, the runtime would copy all of it into
        // its task and again when the task finishes, several times per turn.
        let turn = Box::pin(turn);
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
