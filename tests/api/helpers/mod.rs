//! The integration tests' harness, one concern per file. Feature test files import from
//! here only, never from each other.
//!
//! - `app`: the real application on port 0 (`spawn_app`), signed webhooks, whole turns;
//! - `sse`: reading a reply's events as they arrive;
//! - `checks`: the rules every reply and every stored history obey;
//! - `unique`: stamps, free ports and temp folders no other test shares;
//! - `fake_upstream`: the local OpenAI-compatible fake (also tool servers and receivers);
//! - `binary`: the built `voicebridge` binary, as a server or as a command;
//! - `tools`: tool files, and the order tools the tool tests call;
//! - `db`: call-store databases (SQLite files, PostgreSQL databases);
//! - `redis_server`: the local Redis, a key prefix per test; a private Redis to kill;
//! - `otlp`: a real OTLP/HTTP receiver of trace spans, and the traces it received;
//! - `history_check`: what a stored history must hold of every turn the caller heard end.

pub mod app;
pub mod binary;
pub mod checks;
pub mod completion_stream;
pub mod db;
pub mod doors;
pub mod fake_upstream;
pub mod history_check;
pub mod otlp;
pub mod redis_server;
pub mod sse;
pub mod tools;
pub mod unique;

pub use app::*;
pub use checks::*;
pub use sse::*;
pub use unique::*;
