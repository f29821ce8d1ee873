//! Turning the model's text into speakable pieces (pure, no async).

pub mod chunker;

pub use chunker::SentenceChunker;
