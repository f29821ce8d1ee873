//! What an agent says and how it paces speech: its templates, deadlines, retries, the
//! thinking filler and its voice, as start-up compiled them.

use std::sync::Arc;
use std::time::Duration;

use crate::llm::RetryPolicy;
use crate::speech::SpeechSettings;
use crate::template::{Now, Template};

/// Spoken when the model's first token is late.
#[derive(Debug, Clone)]
pub struct ThinkingFiller {
    /// How late the first token must be.
    pub after: Duration,
    /// What is said (a template).
    pub text: Template,
}

/// What the agent says and how it paces speech.
#[derive(Debug, Clone)]
pub struct AgentSettings {
    /// The agent's name (`default` for the one configured from the environment).
    pub name: String,
    /// The system prompt sent first on every turn (a template, rendered per turn).
    pub system_prompt: Template,
    /// Spoken on `session.start`; empty means a silent start.
    pub welcome: Template,
    /// Spoken when the model fails mid-turn.
    pub apology: Template,
    /// The clock and time zone templates read `now` from.
    pub now: Now,
    /// Deadline from sending a request to the model's first token.
    pub first_token_timeout: Duration,
    /// Longest silence between chunks once the reply has started.
    pub idle_timeout: Duration,
    /// Cap on the whole reply, every attempt included.
    pub turn_timeout: Duration,
    /// Retries of one upstream before the next.
    pub retry: RetryPolicy,
    /// Spoken when the first token is late.
    pub filler: Option<ThinkingFiller>,
    /// After this long without a delta, a finished-looking sentence is spoken.
    pub speech_idle_flush: Duration,
    /// Cleanup and chunking of speech.
    pub speech: SpeechSettings,
    /// Pronunciations and normalization of what is spoken.
    pub voice: Arc<crate::speech::Voice>,
    /// How the OpenAI door answers for this agent.
    pub door: DoorSettings,
    /// The knowledge base its turns use, and how (`None`: off).
    pub knowledge: Option<KnowledgeUse>,
    /// The prices its turns are costed with.
    pub prices: Arc<crate::pricing::Prices>,
    /// What is kept of its callers' words in logs and spans, and what the model is sent
    /// (`RECORD_CONTENT`, `REDACT_FOR_MODEL`); the call's record follows it in the writer.
    pub privacy: crate::privacy::Policy,
}

/// How an agent uses its knowledge base.
#[derive(Debug, Clone)]
pub struct KnowledgeUse {
    pub shelf: Arc<crate::knowledge::Shelf>,
    /// Prefetch (searched before the model is asked) or tool (`search_knowledge`).
    pub mode: crate::config::KnowledgeMode,
    /// The most passages a search gives.
    pub top_k: usize,
}

impl KnowledgeUse {
    /// The vector of `words` when `base` has its passages' vectors, within
    /// `EMBEDDINGS_TIMEOUT_MS`; `None` (a keyword search) when embeddings are off, not
    /// ready, failed or late.
    pub async fn meaning(
        &self,
        base: &crate::knowledge::KnowledgeBase,
        words: &str,
    ) -> Option<Vec<f32>> {
        let embedder = self.shelf.embedder()?;
        base.vectors.get()?;
        let words = crate::knowledge::index::bounded(words);
        match tokio::time::timeout(embedder.timeout, embedder.query(words)).await {
            Ok(Ok(vector)) => Some(vector),
            Ok(Err(error)) => {
                tracing::warn!(%error, "the caller's words were not embedded: keywords only");
                None
            }
            Err(_) => {
                tracing::warn!(
                    timeout_ms = embedder.timeout.as_millis() as u64,
                    "the caller's words were not embedded in time: keywords only"
                );
                None
            }
        }
    }

    /// The cosine a passage needs to be found by meaning.
    pub fn min_similarity(&self) -> f32 {
        self.shelf.embedder().map_or(1.0, |e| e.min_similarity)
    }
}

/// How the OpenAI door answers for an agent.
#[derive(Debug, Clone, Copy, Default)]
pub struct DoorSettings {
    /// What becomes of the platform's system message.
    pub platform_prompt: crate::completions::PlatformPrompt,
    /// Replies in sentences in spoken form (numbers, money and dates in words), as on
    /// Layercode's door; off: the cleaned text as the model writes it (the platforms put
    /// text in spoken form for their own voices).
    pub spoken_form: bool,
}

/// The agent's texts rendered for one turn.
pub(crate) struct Texts {
    pub(crate) system: String,
    pub(crate) apology: String,
    pub(crate) filler: Option<String>,
}
