//! Every call on record: what happened in each conversation (turns as heard, timings,
//! or failing database never touches a turn.

pub mod record;
pub mod store;

pub use record::{CallKey, CallerRecord, Record, ToolRecord, TurnRecord};
pub use store::{CallDetail, CallPage, CallQuery, CallStore, CallStoreError, CallSummary};
