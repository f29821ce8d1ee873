//! Integration tests: the real server in-process on port 0, a fake model over HTTP.

mod fake_upstream;
mod helpers;

mod conversations;
mod failures;
mod history;
mod llmock;
mod requests;
mod resilience;
mod speech;
mod turns;
