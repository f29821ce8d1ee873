//! The upstream reply as a sequence of decoded chunks: SSE framing by `eventsource-stream`
//! (CRLF, comments, events split across reads, UTF-8 split across reads), then
//! [`decode_event`]. Knows when a stream ended properly and when it was cut off: a reply
//! is finished only when a chunk said why the model stopped (`finish_reason`). Every
//! server the README names (OpenAI, Groq, OpenRouter, Ollama, vLLM, LiteLLM, llama.cpp,
//! llama-cpp-python) sends one at the end of a complete reply, and so does every recorded
//! fixture; llama-cpp-python's server closes a stream it stopped for another request with
//! `[DONE]` and none, which must not pass for an answer.

use std::pin::Pin;

use bytes::Bytes;
use eventsource_stream::{Event, EventStreamError, Eventsource};
use futures_util::{FutureExt, Stream, StreamExt};

use super::decode::{decode_event, ReplyChunk};
use super::LlmError;

type EventResult = Result<Event, EventStreamError<String>>;

/// A streamed reply. Call [`ReplyStream::next`] until it returns `None`.
pub struct ReplyStream {
    events: Pin<Box<dyn Stream<Item = EventResult> + Send>>,
    finish_reason: Option<String>,
    /// The response's `id` and `model`, from the first chunk that names them.
    identity: Option<Identity>,
    over: bool,
}

/// What the provider calls a response: its id and the model that answered.
#[derive(Debug, Default, Clone, serde::Deserialize)]
pub struct Identity {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub model: Option<String>,
}

impl ReplyStream {
    /// Wraps a body stream of bytes. Transport errors are carried as their message.
    pub fn new<S, E>(body: S) -> Self
    where
        S: Stream<Item = Result<Bytes, E>> + Send + 'static,
        E: std::fmt::Display,
    {
        let body = body.map(|chunk| chunk.map_err(|e| e.to_string()));
        Self {
            events: Box::pin(body.eventsource()),
            finish_reason: None,
            identity: None,
            over: false,
        }
    }

    /// The next chunk that matters, `None` once the stream ended properly: with `[DONE]`
    /// or the end of the body after a `finish_reason`. Without one, `[DONE]` is
    /// [`LlmError::Unfinished`] and the end of the body [`LlmError::Truncated`].
    pub async fn next(&mut self) -> Option<Result<ReplyChunk, LlmError>> {
        if self.over {
            return None;
        }
        let finished = self.finish_reason.is_some();
        let result = match self.events.next().await {
            None if finished => None,
            None => Some(Err(LlmError::Truncated)),
            Some(Err(EventStreamError::Transport(e))) => Some(Err(LlmError::Broken(e))),
            Some(Err(e)) => Some(Err(LlmError::Malformed(e.to_string()))),
            Some(Ok(event)) => match decode_event(&event.event, &event.data) {
                Ok(chunk) if !chunk.done && self.identity.is_none() => {
                    // Read once per response, apart from the chunk's decoding.
                    self.identity = Some(serde_json::from_str(&event.data).unwrap_or_default());
                    if chunk.finish_reason.is_some() {
                        self.finish_reason.clone_from(&chunk.finish_reason);
                    }
                    Some(Ok(chunk))
                }
                Ok(chunk) if chunk.done => {
                    self.drain_in_background();
                    (!finished).then_some(Err(LlmError::Unfinished))
                }
                Ok(chunk) => {
                    if chunk.finish_reason.is_some() {
                        self.finish_reason.clone_from(&chunk.finish_reason);
                    }
                    Some(Ok(chunk))
                }
                Err(e) => Some(Err(e.into())),
            },
        };
        // After the end or a failure nothing more is read: a failed stream is not resumed.
        self.over = !matches!(result, Some(Ok(_)));
        result
    }
}

impl ReplyStream {
    /// Why the model stopped (`stop`, `length`, `tool_calls`, …), once a chunk said.
    pub fn finish_reason(&self) -> Option<&str> {
        self.finish_reason.as_deref()
    }

    /// The response's id and model, once a chunk named them.
    pub fn identity(&self) -> Option<&Identity> {
        self.identity.as_ref()
    }

    /// Reads what follows `[DONE]` (the end of the HTTP body) off the turn's path, so the
    /// connection goes back to the pool instead of being closed: the next turn then pays
    /// no new connection or TLS handshake.
    fn drain_in_background(&mut self) {
        let mut rest = std::mem::replace(&mut self.events, Box::pin(futures_util::stream::empty()));
        // Usually the body's end arrived with `[DONE]`: then no task is needed.
        loop {
            match rest.next().now_or_never() {
                Some(Some(_)) => continue,
                Some(None) => return,
                None => break,
            }
        }
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                let drain = async { while rest.next().await.is_some() {} };
                let _ = tokio::time::timeout(std::time::Duration::from_secs(2), drain).await;
            });
        }
    }
}

#[cfg(test)]
mod tests;
