//! voicebridge: the brain of a Layercode voice agent. Layercode POSTs a signed webhook per
//! user turn; we keep the conversation's history, stream a reply from any OpenAI-compatible
//! model, cut it into speakable sentences and stream them back as Server-Sent Events.
//!
//! Module map. Dependencies point down the layers; `scripts/check-structure` (run by CI)
//! fails on an import up a layer or a loop, naming both modules.
//! - HTTP edge: [`startup`] (the composition root: loads the operator's files in named
//!   steps — tools, MCP servers, agents, prompts — then stores, agents, routes, listener;
//!   shutdown), [`routes`] (handlers, plus the edge-only [`routes::state`],
//!   [`routes::sse`] framing and [`routes::error`] mapping), [`cli`] (`chat`, `check` and
//!   `test`, whose runner is [`cli::scenarios`]).
//! - Use case: [`turn`] (one conversational turn, no HTTP types: the agent's life of a
//!   turn, the reply loop, tool dispatch, leases; it defines the `Model`, `Coordinator` and
//!   `ClientRelay` ports that adapters implement).
//! - Adapters: [`llm`] (the model), [`layercode`] (Layercode's REST API), [`cluster`]
//!   (Redis: the shared store, the cross-machine turn coordinator and client-tool relay;
//!   the only Redis user), [`tools`] (tool files and one HTTP invocation), [`mcp`] (MCP
//!   servers over rmcp), [`records`] (every call on record, its writer and the post-call
//!   webhook), [`browser`] (the voice page, calls page files, access token, rate limit),
//!   [`knowledge`] (documents cut into passages and their full-text index).
//!   Outbound HTTP: `llm`, `tools`, `mcp`, `records` (post-call), `layercode` and the
//!   `chat`/`test` commands call out, each with a client built by [`http`].
//! - Settings: [`config`] (values only, the only reader of the environment; files are
//!   read by `startup`), [`telemetry`] (logging set-up, and sending spans to an OTLP
//!   collector).
//! - Leaf modules: [`completions`] (the OpenAI-compatible door's wire: request, history,
//!   chunks), [`secret`] (the redacting `Secret`, URL redaction), [`toml_file`]
//!   (`${VAR}`, names, TOML errors shared by every operator file), [`http`] (client
//!   builder, capped body reads), [`template`] (prompt templates and their clock),
//!   [`speech`] (sentences, and [`speech::normalize`](mod@speech::normalize) for numbers
//!   and symbols), [`webhook`] (signature, payload), [`session`] (history types and rules,
//!   the `SessionStore` trait and the in-memory store), [`metrics`] (what `GET /metrics`
//!   exports, with its label enums), [`trace`] (spans of a turn, W3C `traceparent` in and
//!   out), [`privacy`] (personal data found in text and replaced by typed placeholders).

pub mod browser;
pub mod cli;
pub mod cluster;
pub mod completions;
pub mod config;
pub mod http;
pub mod knowledge;
pub mod layercode;
pub mod llm;
pub mod mcp;
pub mod metrics;
pub mod pricing;
pub mod privacy;
pub mod records;
pub mod routes;
pub mod secret;
pub mod session;
pub mod speech;
pub mod startup;
pub mod telemetry;
pub mod template;
pub mod toml_file;
pub mod tools;
pub mod trace;
pub mod turn;
pub mod webhook;
