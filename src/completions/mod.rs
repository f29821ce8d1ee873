//! The OpenAI-compatible door's wire (pure, no I/O): what Vapi, ElevenLabs and any OpenAI
//! client send to `POST …/chat/completions` ([`request`]), the conversation it carries
//! turned into our history ([`history`]), and the chunks, completion and errors we answer
//! with ([`chunk`]). The turn itself runs in `turn`; the routes live in `routes::openai`.

pub mod chunk;
pub mod history;
pub mod prompt;
pub mod request;
pub mod retell;
pub mod vapi_knowledge;

pub use chunk::{error_body, ChunkWriter, TokenUsage, DONE};
pub use history::{conversation, Conversation};
pub use prompt::PlatformPrompt;
pub use request::{CompletionRequest, Platform, RequestError};

/// The tools the platforms add to their requests, by name: Vapi's (`transferCall`,
/// `endCall`, `dtmf`), ElevenLabs' system tools, and `transfer_call` of Retell's socket
/// (`end_call` is ElevenLabs' and Retell's). A tool of ours with one of these names would
/// be shadowed on a door (the platform's wins), so start-up refuses it for an agent whose
/// OpenAI door or Retell socket is open.
pub const PLATFORM_TOOLS: [&str; 11] = [
    "transfer_call",
    "transferCall",
    "endCall",
    "dtmf",
    "end_call",
    "transfer_to_number",
    "transfer_to_agent",
    "language_detection",
    "skip_turn",
    "play_keypad_touch_tone",
    "voicemail_detection",
];
