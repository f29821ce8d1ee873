//! Tools from MCP servers (`MCP_DIR`, one `<name>.toml` per server) over Streamable HTTP,
//! with the official Rust SDK (`rmcp`).
//!
//! At start-up every server is connected in the background and its tools listed; a server
//! that does not answer is retried (2 s, doubling up to 30 s) and its tools appear when it
//! does. A `notifications/tools/list_changed` from the server lists its tools again, and
//! so does every reconnect. The model sees each tool as `<server>__<tool>`.
//!
//! [`McpRegistry`] is what the rest of the crate holds: it starts each server's connection
//! (`connection`), and finds and calls the tools the servers offer ([`McpTool`], `tool`).
//! What a server answers reaches the model with the server file's secrets redacted
//! ([`McpServerConfig::secrets`]) before it is cut.

pub mod config;
mod connection;
mod registry;
mod tool;

pub use config::{load_dir, McpServerConfig};
pub use connection::McpState;
pub use registry::McpRegistry;
pub use tool::{McpTool, IDEMPOTENCY_META, NAME_SEPARATOR};
