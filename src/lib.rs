//! voicebridge: the brain of a Layercode voice agent. Layercode POSTs a signed webhook per
//! user turn; we keep the conversation's history, stream a reply from any OpenAI-compatible
//! model, cut it into speakable sentences and stream them back as Server-Sent Events.
//!
//! Module map (dependencies point down):
//! - HTTP edge: [`startup`] (server, routes), [`routes`] (handlers), [`sse`] (framing),
//!   [`error`] (errors to responses), [`state`].
//! - Use case: [`turn`] (one conversational turn, no HTTP types).
//! - Adapters: [`llm`] (the model), [`layercode`] (Layercode's REST API), [`session`]
//!   (history rules and the in-memory store), [`cluster`] (the Redis store and turn
//!   coordinator: the only Redis user), [`prompts`] (prompt files), [`tools`] (tool files
//!   and the HTTP call of one tool). `reqwest` is used by `llm`, `layercode`, `tools` and the terminal
//!   client in [`cli`] only.
//! - Browser side: [`web`] (the voice page, access token, rate limit).
//! - Pure: [`webhook`] (signature, payload), [`speech`] (sentences, and
//!   [`speech::normalize`](mod@speech::normalize) for numbers and symbols),
//!   [`session::history`], [`llm::decode`], [`llm::wire`], [`template`] (prompt templates
//!   and the clock they read).
//! - [`config`] is the only reader of the environment; [`telemetry`] sets up logging;
//!   [`metrics`] holds what `GET /metrics` exports; [`cli`] is the `chat` and `check`
//!   subcommands.

pub mod browser;
pub mod cli;
pub mod cluster;
pub mod config;
pub mod http;
pub mod layercode;
pub mod llm;
pub mod mcp;
pub mod metrics;
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
pub mod turn;
pub mod webhook;
