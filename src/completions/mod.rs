//! The OpenAI-compatible door's wire (pure, no I/O): what Vapi, ElevenLabs and any OpenAI
//! client send to `POST …/chat/completions` ([`request`]), the conversation it carries
//! turned into our history ([`history`]), and the chunks, completion and errors we answer
//! with ([`chunk`]). The turn itself runs in `turn`; the routes live in `routes::openai`.

pub mod chunk;
pub mod history;
pub mod prompt;
pub mod request;

pub use chunk::{error_body, ChunkWriter, TokenUsage, DONE};
pub use history::{conversation, Conversation};
pub use prompt::PlatformPrompt;
pub use request::{CompletionRequest, Platform, RequestError};
