//! Building and running the server: prompt, model client, store, state, routes, listener.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::{web, App, HttpServer};
use tokio_util::sync::CancellationToken;

mod agents;
mod analysis;
mod banner;
mod files;
mod prices;
mod prompts;
mod records;
mod shutdown;
mod stores;
pub use agents::{agent_settings, voice};
pub use analysis::plans as analysis_plans;
use banner::{log_listening, warn_if_demo, warn_if_unsigned};
pub use files::{
    load_agent_files, load_files, load_mcp_server_files, load_tool_files, OperatorFiles,
};
pub use prices::agent_prices;
pub use prompts::PromptError;
use shutdown::stop_on_signal;

use crate::browser::page::PageAgent;
use crate::browser::Web;
use crate::config::Settings;
use crate::layercode::LayercodeApi;
use crate::llm::LlmError;
use crate::metrics::Metrics;
use crate::routes;
use crate::routes::state::{AppState, TurnTasks};
use crate::session::{spawn_idle_sweeper, SessionStore};
use crate::turn::{Ledger, Outbox};

/// Seconds the server waits for open connections to finish writing once the turns have
/// ended (their last `response.end` flushing), before closing them.
const CLOSE_TIMEOUT_SECS: u64 = 5;

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    /// The system prompt is missing or empty.
    #[error(transparent)]
    Prompt(#[from] PromptError),
    /// The model client could not be built.
    #[error(transparent)]
    Llm(#[from] LlmError),
    /// The session store (Redis) is unreachable.
    #[error("{0}")]
    Store(String),
    /// The Layercode API client could not be built.
    #[error("cannot set up the Layercode API client: {0}")]
    Layercode(String),
    /// The tools' HTTP client could not be built.
    #[error("{0}")]
    Tools(String),
    /// A setting is invalid in a way only its files show (an agent file's field, a
    /// `DEFAULT_AGENT` that names no agent file).
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    /// An operator's file or folder could not be read or is invalid: `{variable}: {file}:
    /// {field}: {problem}`.
    #[error("{variable}: {problem}")]
    File {
        /// The variable that points at the folder (`TOOLS_DIR`, `MCP_DIR`, `AGENTS_DIR`).
        variable: &'static str,
        /// The file, field and problem, with no secret in it.
        problem: String,
    },
    /// The pronunciation dictionary could not be read.
    #[error("PRONUNCIATIONS_FILE: {0}")]
    Pronunciations(String),
    /// A prompt or phrase is not a valid template.
    #[error("template error in {0}")]
    Template(crate::template::TemplateError),
    /// The address could not be bound.
    #[error("cannot listen on {address}: {source}{hint}")]
    Bind {
        /// Address tried.
        address: String,
        /// Reason.
        source: std::io::Error,
        /// What to do about it, when known.
        hint: &'static str,
    },
}

/// How long a connection whose request was refused before its body was read keeps being
/// drained before it is closed. Enough for the refusal to reach a client (the body is thrown
/// away, not read); short, because every draining connection holds actix's read buffer:
/// 500 refused 1 MiB bodies peaked at 111 MiB with actix's default of 1 s, 71 MiB at 250 ms
/// and 41 MiB at 100 ms (`cargo bench --bench slow_bodies`, `BENCHMARKS.md`).
const REFUSED_BODY_LINGER: Duration = Duration::from_millis(100);

/// Longest time a stopping server spends writing queued call records.
const FLUSH_AT_MOST: Duration = Duration::from_secs(3);

/// First pause before retrying the same upstream; it doubles with each retry.
const RETRY_BACKOFF: Duration = Duration::from_millis(250);

/// The browser side: the Layercode API client behind `/authorize`, and the page.
fn web_side(settings: &Settings, files: &OperatorFiles) -> Result<Arc<Web>, StartupError> {
    let api =
        LayercodeApi::new(&settings.web).map_err(|e| StartupError::Layercode(e.to_string()))?;
    let agents = files
        .agents
        .agents
        .iter()
        .map(|agent| PageAgent {
            name: agent.name.clone(),
            agent_id: agent.layercode_agent_id.clone(),
        })
        .collect();
    Ok(Arc::new(Web::new(
        settings.web.clone(),
        api,
        agents,
        files.agents.default.clone(),
    )))
}

/// Binds the configured address; returns the listener and the port it got (which
/// differs from the setting when that is `0`).
fn bind(settings: &Settings) -> Result<(TcpListener, u16), StartupError> {
    let listener =
        TcpListener::bind((settings.host, settings.port)).map_err(bind_error(settings))?;
    let port = listener.local_addr().map_err(bind_error(settings))?.port();
    Ok((listener, port))
}

fn bind_error(settings: &Settings) -> impl Fn(std::io::Error) -> StartupError + '_ {
    move |source| StartupError::Bind {
        address: format!("{}:{}", settings.host, settings.port),
        hint: match source.kind() {
            std::io::ErrorKind::AddrInUse => {
                " (another program listens there: stop it, or set PORT to a free port)"
            }
            std::io::ErrorKind::PermissionDenied => {
                " (ports below 1024 need privileges: set PORT to 1024 or above)"
            }
            std::io::ErrorKind::AddrNotAvailable => {
                " (this machine has no such address: set HOST, e.g. 0.0.0.0 or 127.0.0.1)"
            }
            _ => "",
        },
        source,
    }
}

/// The HTTP server over `listener`, serving the routes with `state`; not yet running.
/// `bodies` is the room for webhook bodies being read, shared by every worker.
fn http_server(
    state: AppState,
    bodies: routes::WebhookBodies,
    listener: TcpListener,
) -> std::io::Result<Server> {
    let server = HttpServer::new(move || {
        App::new()
            .app_data(web::Data::new(state.clone()))
            .app_data(web::Data::new(bodies.clone()))
            .configure(routes::configure)
    })
    // Without TCP_NODELAY a sentence written right after a delta waits for the
    // client's delayed ACK: about 40 ms per sentence, measured by benches/pipeline.rs.
    .tcp_nodelay(true)
    // A client that closes its side has hung up (Layercode aborts our response on
    // barge-in): stop at once, which drops the reply body and cancels the model
    // request, instead of streaming on until the next write fails.
    .h1_allow_half_closed(false)
    // Our own signal handling drains turns first (see `run_until_stopped`).
    .disable_signals()
    .shutdown_timeout(CLOSE_TIMEOUT_SECS)
    // A request answered before its body was read (a refused webhook) has the rest of its
    // body read and thrown away until the client hangs up, for at most this long.
    .client_disconnect_timeout(REFUSED_BODY_LINGER)
    .listen(listener)?
    .run();
    Ok(server)
}

/// A bound, ready-to-run server.
pub struct Application {
    port: u16,
    tool_mocks: crate::turn::ToolMocks,
    store: Arc<dyn SessionStore>,
    outbox: Outbox,
    calls: Option<crate::records::CallWriter>,
    post_call: Option<crate::records::PostCallProgress>,
    server: Server,
    shutdown: CancellationToken,
    turns: TurnTasks,
    grace: Duration,
    traces: crate::telemetry::Traces,
}

impl Application {
    /// Loads everything the server needs and binds its port; fails fast with a message
    /// that names what is wrong. Call inside a Tokio runtime.
    pub async fn build(settings: Settings) -> Result<Self, StartupError> {
        let files = load_files(&settings)?;
        for warning in &files.warnings {
            tracing::warn!("{warning}");
        }
        let shutdown = CancellationToken::new();
        let metrics = Metrics::new();
        let traces = crate::telemetry::traces::start(&settings.traces, &metrics)
            .map_err(StartupError::Tools)?;
        let store = stores::session_store(&settings).await?;
        let call_store = records::call_store(&settings).await?;
        let calls = records::start(
            call_store,
            &settings,
            &files.agents,
            &store,
            &metrics,
            &traces.tracing,
            &shutdown,
        )?;
        let outbox = Outbox::new(
            store.clone(),
            metrics.clone(),
            settings.session_reply_queue_max,
            settings.session_idle_ttl,
        );
        let ledger = Ledger {
            store: store.clone(),
            coordinator: stores::coordinator(&settings, &files, &metrics, &shutdown).await?,
            metrics: metrics.clone(),
            calls: calls.recorder.clone(),
            outbox: outbox.clone(),
            tracing: traces.tracing.clone(),
        };
        let tool_mocks = crate::turn::ToolMocks::default();
        let client_tool_calls =
            stores::client_tool_calls(&settings, &files, &metrics, &shutdown).await?;
        let mcp = crate::mcp::McpRegistry::new(&files.mcp_servers);
        let agents = agents::build_agents(
            &settings,
            &files,
            &ledger,
            &tool_mocks,
            &client_tool_calls,
            &mcp,
        )?;
        warn_if_unsigned(&files);
        warn_if_demo(&files);
        let web = web_side(&settings, &files)?;
        let (listener, port) = bind(&settings)?;

        // Started only once the port is bound, so a failed start leaves no task behind.
        // (Redis expires idle conversations itself; its sweep does nothing.)
        if settings.session_store_url.is_none() {
            spawn_idle_sweeper(store.clone(), settings.session_idle_ttl, shutdown.clone());
        }
        mcp.start(&shutdown);
        files::embed_in_background(&files.knowledge, &shutdown);
        tokio::spawn(outbox.clone().run(shutdown.clone()));
        let turns = TurnTasks::default();
        let state = AppState {
            web,
            turns: turns.clone(),
            metrics,
            metrics_token: settings.metrics_token.clone(),
            agents: Arc::new(agents),
            shutdown: shutdown.clone(),
            call_store: calls.store,
            calls: calls.recorder,
            admin_token: settings.calls.admin_token.clone(),
            client_tool_calls,
            trace_url: settings.traces.url_template.clone(),
            knowledge: files.knowledge.clone(),
        };
        let bodies = routes::WebhookBodies::new(settings.webhook_limits);
        let server = http_server(state, bodies, listener).map_err(bind_error(&settings))?;
        log_listening(&settings, &files, port);
        Ok(Self {
            port,
            tool_mocks,
            store,
            outbox,
            calls: calls.writer,
            post_call: calls.post_call,
            server,
            shutdown,
            turns,
            grace: settings.shutdown_grace,
            traces,
        })
    }

    /// The bound port (useful when the settings asked for port 0).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Answers given in place of calling tools, per conversation (`voicebridge test`).
    pub fn tool_mocks(&self) -> crate::turn::ToolMocks {
        self.tool_mocks.clone()
    }

    /// The turn tasks (for tests that wait until no turn is running).
    pub fn turns(&self) -> TurnTasks {
        self.turns.clone()
    }

    /// What the post-call webhook has in hand (for tests that wait until a call's delivery
    /// is over); `None` without `POST_CALL_WEBHOOK_URL` or a call store.
    pub fn post_call(&self) -> Option<crate::records::PostCallProgress> {
        self.post_call.clone()
    }

    /// The conversation store (for embedding and tests).
    pub fn store(&self) -> Arc<dyn SessionStore> {
        self.store.clone()
    }

    /// Serves until SIGTERM or SIGINT, then stops gracefully: no new connections, in-flight
    /// turns get up to `SHUTDOWN_GRACE_SECS` to finish, turns still running after that end
    /// with `response.end`, and the server returns `Ok` (the binary exits 0).
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let stopping_since = Arc::new(std::sync::OnceLock::new());
        let stopper = tokio::spawn(stop_on_signal(
            self.server.handle(),
            self.turns.clone(),
            self.shutdown.clone(),
            self.grace,
            stopping_since.clone(),
        ));
        let result = self.server.await;
        stopper.abort();
        self.shutdown.cancel();
        // What is queued is written within what is left of the grace period (at least a
        // moment, so a quick stop still writes its last turns), never more than a few
        // seconds, so the whole stop stays inside the platform's kill timeout: replies
        // waiting for the session store first, then call records.
        let spent = || {
            stopping_since
                .get()
                .map_or(Duration::ZERO, |at| at.elapsed())
        };
        let left = || {
            self.grace
                .saturating_sub(spent())
                .clamp(Duration::from_secs(2), FLUSH_AT_MOST)
        };
        if self.outbox.waiting() > 0 {
            let unsaved = self.outbox.drain(left()).await;
            if unsaved > 0 {
                tracing::error!(
                    unsaved,
                    "stopping: replies not saved to the session store in time"
                );
            }
        }
        if let Some(writer) = self.calls {
            let unwritten = writer.flush(left()).await;
            if unwritten > 0 {
                tracing::warn!(unwritten, "stopping: call records not written in time");
            }
        }
        if let Err(error) = self.traces.send_queued(left()).await {
            tracing::warn!(%error, "stopping: the last trace spans did not reach the collector");
        }
        result
    }
}
