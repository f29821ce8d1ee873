//! The Layercode webhook protocol: signature checking and payload parsing (both pure).

pub mod payload;
pub mod signature;

pub use payload::{EventKind, InterruptionContext, PayloadError, WebhookEvent};
pub use signature::SignatureError;
