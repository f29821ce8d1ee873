//! Integration tests: the real server in-process on port 0, a fake model over HTTP. The
//! harness is in `helpers/`; every other file tests one feature.

mod helpers;

mod agents;
mod authorize;
mod calls;
mod calls_page;
mod cli;
mod client_tools;
mod config_errors;
mod conversations;
mod costs;
mod demo;
mod deploy;
mod erasure;
mod export;
mod failures;
mod faults;
mod finish;
mod history;
mod knowledge;
mod llmock;
mod mcp;
mod observability;
mod openai_door;
mod privacy;
mod requests;
mod resilience;
mod retell;
mod scale_out;
mod scenarios;
mod shutdown;
mod speech;
mod stats;
mod tools;
mod traces;
mod turns;
mod webhooks;
