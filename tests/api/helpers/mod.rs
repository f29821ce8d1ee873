//! The integration tests' harness, one concern per file. Feature test files import from
//! here only, never from each other.
//!
//! - `app`: the real application on port 0 (`spawn_app`), signed webhooks, whole turns;
//! - `sse`: reading a reply's events as they arrive;
//! - `checks`: the rules every reply and every stored history obey;
//! - `fake_upstream`: the local OpenAI-compatible fake (also tool servers and receivers);
//! - `binary`: the built `voicebridge` binary as a server child process.

pub mod app;
pub mod binary;
pub mod checks;
pub mod fake_upstream;
pub mod sse;

pub use app::*;
pub use checks::*;
pub use sse::*;
