//! Every call on record: what happened in each conversation (turns as heard, timings,
//! tools, Layercode's session report), kept in a database by a background writer so a slow
//! or failing database never touches a turn.

pub mod csv;
pub mod erase;
pub mod post_call;
pub mod record;
pub mod redaction;
pub mod store;
pub mod writer;

pub use post_call::{PostCallProgress, PostCallSettings};
pub use record::{
    kept_result, CallKey, CallerRecord, KnowledgeRecord, Record, ToolRecord, TurnRecord,
    RESULT_CHARS,
};
pub use redaction::Redaction;
pub use store::{
    parse_cursor, CallDetail, CallPage, CallQuery, CallStore, CallStoreError, CallSummary,
    DayStats, Inspection, OwedQuery, Stats, StatsQuery, ToolStats,
};
pub use writer::{CallRecorder, CallWriter};
