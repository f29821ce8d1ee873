//! Building and running the server: prompt, model client, store, state, routes, listener.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::{web, App, HttpServer};
use tokio_util::sync::CancellationToken;

mod agents;
mod calls;
mod shutdown;
pub use agents::{agent_settings, voice};
use shutdown::stop_on_signal;

use crate::cluster::{RedisClientRelay, RedisCoordinator, RedisStore};
use crate::config::{redacted_url, Settings};
use crate::layercode::LayercodeApi;
use crate::llm::LlmError;
use crate::metrics::Metrics;
use crate::prompts::PromptError;
use crate::routes;
use crate::session::{spawn_idle_sweeper, MemoryStore, SessionStore};
use crate::state::{AppState, TurnTasks};
use crate::turn::{ClientCalls, Coordinator, Ledger, LocalCoordinator};
use crate::web::page::PageAgent;
use crate::web::Web;

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
    /// The pronunciation dictionary could not be read.
    #[error("PRONUNCIATIONS_FILE: {0}")]
    Pronunciations(String),
    /// A prompt or phrase is not a valid template.
    #[error("template error in {0}")]
    Template(crate::template::TemplateError),
    /// The address could not be bound.
    #[error("cannot listen on {address}: {source}")]
    Bind {
        /// Address tried.
        address: String,
        /// Reason.
        source: std::io::Error,
    },
}

/// Longest time a stopping server spends writing queued call records.
const FLUSH_AT_MOST: Duration = Duration::from_secs(3);

/// First pause before retrying the same upstream; it doubles with each retry.
const RETRY_BACKOFF: Duration = Duration::from_millis(250);

/// How much longer than a turn's budget a Redis claim lives, so a machine that died
/// mid-turn blocks its conversation at most this much past the turn's own deadline.
const CLAIM_TTL_MARGIN: Duration = Duration::from_secs(5);

/// The in-memory store, or Redis when `SESSION_STORE_URL` is set (refusing to start when
/// Redis does not answer).
async fn session_store(settings: &Settings) -> Result<Arc<dyn SessionStore>, StartupError> {
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
    tracing::info!(store = %redacted_url(url.expose()), "conversations are shared through Redis");
    Ok(Arc::new(store))
}

/// Turns coordinated on this machine, or across machines through Redis when
/// `SESSION_STORE_URL` is set.
async fn coordinator(
    settings: &Settings,
    metrics: &Metrics,
    shutdown: &CancellationToken,
) -> Result<Arc<dyn Coordinator>, StartupError> {
    let Some(url) = &settings.session_store_url else {
        return Ok(Arc::new(LocalCoordinator::new()));
    };
    let longest_turn = settings
        .agents
        .agents
        .iter()
        .map(|agent| agent.llm.turn_timeout)
        .max()
        .unwrap_or(settings.llm.turn_timeout);
    // Tool time does not count against a turn's budget, and a stopped turn still waits
    // for its mutating calls: the claim must outlive every round's tools and that wait.
    let longest_tool = settings
        .tools
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
async fn client_calls(
    settings: &Settings,
    metrics: &Metrics,
    shutdown: &CancellationToken,
) -> Result<ClientCalls, StartupError> {
    let calls = ClientCalls::default();
    let Some(url) = &settings.session_store_url else {
        return Ok(calls);
    };
    if !settings
        .tools
        .toolbox
        .tools()
        .iter()
        .any(|tool| tool.client())
    {
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
        redacted_url(url)
    )
}

/// The browser side: the Layercode API client behind `/authorize`, and the page.
fn web_side(settings: &Settings) -> Result<Arc<Web>, StartupError> {
    let api =
        LayercodeApi::new(&settings.web).map_err(|e| StartupError::Layercode(e.to_string()))?;
    let agents = settings
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
        settings.agents.default.clone(),
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
        source,
    }
}

/// The HTTP server over `listener`, serving the routes with `state`; not yet running.
fn http_server(state: AppState, listener: TcpListener) -> std::io::Result<Server> {
    let server = HttpServer::new(move || {
        App::new()
            .app_data(web::Data::new(state.clone()))
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
    .listen(listener)?
    .run();
    Ok(server)
}

fn warn_if_unsigned(settings: &Settings) {
    if settings
        .agents
        .agents
        .iter()
        .any(|agent| agent.webhook_secret.is_none())
    {
        tracing::warn!(
            "ALLOW_UNSIGNED_WEBHOOKS=true: webhook signatures are NOT checked. Anyone who \
             can reach this server can spend your model budget. Local development only."
        );
    }
}

fn log_listening(settings: &Settings, port: u16) {
    tracing::info!(
        address = %format!("{}:{}", settings.host, settings.port),
        port,
        model = %settings.llm.upstreams[0].model,
        base_url = %redacted_url(&settings.llm.upstreams[0].base_url),
        fallbacks = settings.llm.upstreams.len() - 1,
        "voicebridge listening"
    );
}

/// A bound, ready-to-run server.
pub struct Application {
    port: u16,
    tool_mocks: crate::turn::ToolMocks,
    store: Arc<dyn SessionStore>,
    calls: Option<crate::calls::CallWriter>,
    post_call: Option<crate::calls::PostCallProgress>,
    server: Server,
    shutdown: CancellationToken,
    turns: TurnTasks,
    grace: Duration,
}

impl Application {
    /// Loads everything the server needs and binds its port; fails fast with a message
    /// that names what is wrong. Call inside a Tokio runtime.
    pub async fn build(settings: Settings) -> Result<Self, StartupError> {
        let shutdown = CancellationToken::new();
        let metrics = Metrics::new();
        let store = session_store(&settings).await?;
        let call_store = calls::call_store(&settings).await?;
        let calls = calls::start(call_store, &settings, &metrics, &shutdown)?;
        let ledger = Ledger {
            store: store.clone(),
            coordinator: coordinator(&settings, &metrics, &shutdown).await?,
            metrics: metrics.clone(),
            calls: calls.recorder.clone(),
        };
        let tool_mocks = crate::turn::ToolMocks::default();
        let client_calls = client_calls(&settings, &metrics, &shutdown).await?;
        let mcp = crate::mcp::McpRegistry::new(&settings.tools.mcp);
        let agents = agents::build_agents(&settings, &ledger, &tool_mocks, &client_calls, &mcp)?;
        warn_if_unsigned(&settings);
        let web = web_side(&settings)?;
        let (listener, port) = bind(&settings)?;

        // Started only once the port is bound, so a failed start leaves no task behind.
        // (Redis expires idle conversations itself; its sweep does nothing.)
        if settings.session_store_url.is_none() {
            spawn_idle_sweeper(store.clone(), settings.session_idle_ttl, shutdown.clone());
        }
        mcp.start(&shutdown);
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
            client_calls,
        };
        let server = http_server(state, listener).map_err(bind_error(&settings))?;
        log_listening(&settings, port);
        Ok(Self {
            port,
            tool_mocks,
            store,
            calls: calls.writer,
            post_call: calls.post_call,
            server,
            shutdown,
            turns,
            grace: settings.shutdown_grace,
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
    pub fn post_call(&self) -> Option<crate::calls::PostCallProgress> {
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
        if let Some(writer) = self.calls {
            // What is queued is written within what is left of the grace period (at
            // least a moment, so a quick stop still writes its last turns).
            let spent = stopping_since
                .get()
                .map_or(Duration::ZERO, |at| at.elapsed());
            // Never more than a few seconds, so the whole stop stays inside the
            // platform's kill timeout.
            let left = self
                .grace
                .saturating_sub(spent)
                .clamp(Duration::from_secs(2), FLUSH_AT_MOST);
            let unwritten = writer.flush(left).await;
            if unwritten > 0 {
                tracing::warn!(unwritten, "stopping: call records not written in time");
            }
        }
        result
    }
}
