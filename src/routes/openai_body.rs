//! The OpenAI door's answer: a turn's events framed as `chat.completion.chunk`s, or
//! gathered into one `chat.completion`. Either way it is whole: a turn that died without
//! its end still gets a `finish_reason` and `[DONE]`, so a platform never reads a
//! half-written stream. Dropping the body (the platform hung up) cancels the turn through
//! the delivery's guard, as on Layercode's door.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_util::Stream;
use tokio::sync::mpsc::UnboundedReceiver;
use tokio_util::sync::DropGuard;

use crate::completions::{ChunkWriter, TokenUsage, DONE};
use crate::session::ToolCall;
use crate::turn::{Delivery, TurnEvent};

fn tokens(usage: Option<crate::llm::Usage>) -> TokenUsage {
    usage.map_or_else(TokenUsage::default, |u| TokenUsage {
        prompt_tokens: u.prompt_tokens,
        completion_tokens: u.completion_tokens,
    })
}

/// The streamed answer: the role chunk, the reply's text as it comes, the platform's tool
/// calls, one finish chunk, the usage chunk when asked, then `[DONE]`.
pub struct CompletionBody {
    events: UnboundedReceiver<TurnEvent>,
    writer: ChunkWriter,
    ready: VecDeque<Bytes>,
    started: bool,
    finished: bool,
    ended: bool,
    delivered: Arc<AtomicUsize>,
    _cancel_on_drop: DropGuard,
}

impl CompletionBody {
    /// A body framing what `delivery` brings with `writer`.
    pub fn new(delivery: Delivery, writer: ChunkWriter) -> Self {
        Self {
            events: delivery.events,
            writer,
            ready: VecDeque::new(),
            started: false,
            finished: false,
            ended: false,
            delivered: delivery.delivered,
            _cancel_on_drop: delivery.cancel_on_drop,
        }
    }

    /// Frames one event into `ready`.
    fn frame(&mut self, event: TurnEvent) {
        match event {
            TurnEvent::Speak(text, _) => {
                // Counted as framed: an interrupted reply keeps what the platform got.
                self.delivered.fetch_add(1, Ordering::Release);
                if !text.is_empty() && !self.finished {
                    self.ready
                        .push_back(Bytes::from(self.writer.content(&text)));
                }
            }
            TurnEvent::Data(_) | TurnEvent::Delta(_) => {}
            TurnEvent::Handoff(calls) if !self.finished => {
                self.ready
                    .push_back(Bytes::from(self.writer.tool_calls(&calls)));
            }
            TurnEvent::Handoff(_) => {}
            TurnEvent::Finished { reason, usage } => self.finish(reason, usage),
            TurnEvent::End => self.end(),
        }
    }

    fn finish(&mut self, reason: &str, usage: Option<crate::llm::Usage>) {
        if self.finished {
            return;
        }
        self.finished = true;
        self.ready
            .push_back(Bytes::from(self.writer.finish(reason)));
        if let Some(chunk) = self.writer.usage(tokens(usage)) {
            self.ready.push_back(Bytes::from(chunk));
        }
    }

    fn end(&mut self) {
        self.finish("stop", None);
        self.ready.push_back(Bytes::from_static(DONE.as_bytes()));
        self.ended = true;
    }
}

impl Stream for CompletionBody {
    type Item = Result<Bytes, Infallible>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if !self.started {
            self.started = true;
            return Poll::Ready(Some(Ok(Bytes::from(self.writer.role()))));
        }
        loop {
            if let Some(frame) = self.ready.pop_front() {
                return Poll::Ready(Some(Ok(frame)));
            }
            if self.ended {
                return Poll::Ready(None);
            }
            match self.events.poll_recv(cx) {
                Poll::Ready(Some(event)) => self.frame(event),
                Poll::Ready(None) => self.end(),
                Poll::Pending => return Poll::Pending,
            }
        }
    }
}

/// The answer to `stream: false`: one `chat.completion` once the turn has ended, as a
/// body of one chunk (the turn is cancelled if the client leaves before).
pub fn gather(
    delivery: Delivery,
    writer: ChunkWriter,
) -> impl Stream<Item = Result<Bytes, Infallible>> {
    futures_util::stream::once(async move {
        let Delivery {
            mut events,
            delivered,
            cancel_on_drop,
        } = delivery;
        let mut text = String::new();
        let mut calls: Vec<ToolCall> = Vec::new();
        let mut finish: (&str, Option<crate::llm::Usage>) = ("stop", None);
        while let Some(event) = events.recv().await {
            match event {
                TurnEvent::Speak(piece, _) => {
                    delivered.fetch_add(1, Ordering::Release);
                    text.push_str(&piece);
                }
                TurnEvent::Handoff(handed) => calls = handed,
                TurnEvent::Finished { reason, usage } => finish = (reason, usage),
                TurnEvent::End => break,
                TurnEvent::Data(_) | TurnEvent::Delta(_) => {}
            }
        }
        drop(cancel_on_drop);
        let (reason, usage) = finish;
        let whole = writer.completion(&text, &calls, reason, tokens(usage));
        Ok(Bytes::from(whole.to_string()))
    })
}
