//! Integration tests: the real server in-process on port 0, a fake model over HTTP.

mod binary;
mod cli;
mod fake_upstream;
mod helpers;
mod scenarios;

mod agents;
mod authorize;
mod calls;
mod calls_page;
mod client_tools;
mod conversations;
mod deploy;
mod failures;
mod finish;
mod history;
mod llmock;
mod mcp;
mod observability;
mod requests;
mod resilience;
mod scale_out;
mod shutdown;
mod speech;
mod tools;
mod turns;
