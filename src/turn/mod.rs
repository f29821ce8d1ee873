//! One conversational turn: history -> model stream -> sentences and deltas -> history.
//! Knows nothing of HTTP: a [`Turn`] carries what the caller asked and its [`Caller`]
//! (events out, cancellation, timings); the edge frames the events as SSE.
//!
//! A turn's life: claim the conversation (a [`Lease`]; newest turn wins), read history,
//! stream the reply, then settle the lease with what was said: the history write (or the
//! reply queued in the [`Outbox`] while the store fails), the caller's `response.end`,
//! then the release. Every path goes through those steps.

use crate::session::Heard;
use crate::template::CallContext;

mod agent;
mod caller;
mod client_tools;
mod coordinator;
mod dispatch;
mod door;
mod knowledge;
mod knowledge_tool;
mod lease;
mod model;
mod outbox;
mod record;
mod redact;
mod reply;
mod settings;
mod spoken;
#[cfg(test)]
mod tests;
mod toolset;
mod trace;
mod turn_span;

pub use crate::metrics::TurnOutcome;
pub use crate::tools::END_CALL;
pub use agent::Agent;
pub use caller::{Caller, Delivery, TurnEvent};
pub use client_tools::{ClientRelay, ClientToolCalls, Delivered};
pub use coordinator::{Claim, Coordinator, LocalCoordinator};
pub use door::DoorTurn;
pub use lease::{Lease, Ledger, Said, SETTLE_WAIT};
pub use model::Model;
pub use outbox::Outbox;
pub use settings::{AgentSettings, DoorSettings, KnowledgeUse, ThinkingFiller};
pub use toolset::{ToolMocks, ToolSet};

/// What the caller asked for.
#[derive(Debug, Clone)]
pub enum Request {
    /// A new connection: speak the welcome.
    Welcome,
    /// The user said `text`, having heard `heard` of the previous reply.
    Message {
        /// What the user said.
        text: String,
        /// What the user heard of the previous reply, when Layercode says.
        heard: Option<Heard>,
    },
}

/// One turn: its keys, what was asked, who is calling, and the caller to answer.
#[derive(Debug)]
pub struct Turn {
    /// History key (the conversation id, under the agent's name when there are several).
    pub conversation: String,
    /// What templates may use: metadata, phone numbers, the conversation id as Layercode
    /// sent it, the agent. Its `client` is read from the store when a template uses it.
    pub context: CallContext,
    /// Layercode's turn id.
    pub turn_id: String,
    /// What the caller asked for.
    pub request: Request,
    /// Where the answer goes.
    pub caller: Caller,
    /// The W3C `traceparent` the webhook came with: the turn's trace continues it.
    pub traceparent: Option<String>,
}
