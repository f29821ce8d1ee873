//! The model as the turn sees it: upstreams in order, each able to stream a reply. The
//! HTTP client implements it; unit tests script it, so deadlines and retries run under
//! paused time without a socket.

use async_trait::async_trait;

use crate::llm::{LlmClient, LlmError, Prompt, ReplyStream};

/// An OpenAI-compatible model behind one or more upstreams (the primary and fallbacks).
#[async_trait]
pub trait Model: Send + Sync + 'static {
    /// Number of upstreams.
    fn upstream_count(&self) -> usize;

    /// The model name of upstream `index` (clamped to the last one), for logs.
    fn name(&self, index: usize) -> &str;

    /// Starts a streamed reply from upstream `index` to `prompt`.
    async fn stream_chat(&self, index: usize, prompt: &Prompt<'_>)
        -> Result<ReplyStream, LlmError>;
}

#[async_trait]
impl Model for LlmClient {
    fn upstream_count(&self) -> usize {
        LlmClient::upstream_count(self)
    }

    fn name(&self, index: usize) -> &str {
        self.model(index)
    }

    async fn stream_chat(
        &self,
        index: usize,
        prompt: &Prompt<'_>,
    ) -> Result<ReplyStream, LlmError> {
        LlmClient::stream_chat(self, index, prompt).await
    }
}
