//! A knowledge base from the operator's files: documents cut into passages (file, heading
//! path, position) and a full-text index of them searched in well under a millisecond per
//! query, in the language of the agent's speech.

pub mod index;
pub mod passage;

pub use index::{language, Hit, IndexError, PassageIndex};
pub use passage::{passages, Format, Passage};
