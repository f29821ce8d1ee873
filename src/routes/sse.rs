//! Layercode's SSE framing: each event is one `data: <json>\n\n` line carrying the turn id,
//! and the stream always ends with exactly one `response.end`.

use std::convert::Infallible;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use bytes::Bytes;
use futures_util::Stream;
use prometheus::Histogram;
use serde::Serialize;
use tokio::sync::mpsc::UnboundedReceiver;
use tokio_util::sync::DropGuard;

use crate::turn::{Delivery, TurnEvent};

#[derive(Serialize)]
struct Frame<'a, C: Serialize> {
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    content: Option<C>,
    turn_id: &'a str,
}

fn frame_into<C: Serialize>(
    out: &mut Vec<u8>,
    kind: &'static str,
    content: Option<C>,
    turn_id: &str,
) {
    out.extend_from_slice(b"data: ");
    // serde_json escapes control characters, so the JSON is always one line; non-ASCII
    // stays raw UTF-8. Serializing these types cannot fail.
    let _ = serde_json::to_writer(
        &mut *out,
        &Frame {
            kind,
            content,
            turn_id,
        },
    );
    out.extend_from_slice(b"\n\n");
}

/// `{"delta": text}` without building a JSON value for it.
#[derive(Serialize)]
struct Delta<'a> {
    delta: &'a str,
}

/// Appends the frame of one event of a turn; the OpenAI door's own events frame to
/// nothing here.
fn encode_into(out: &mut Vec<u8>, event: &TurnEvent, turn_id: &str) {
    match event {
        TurnEvent::Speak(text, _) => frame_into(out, "response.tts", Some(text), turn_id),
        TurnEvent::Data(value) => frame_into(out, "response.data", Some(value), turn_id),
        TurnEvent::Delta(delta) => frame_into(out, "response.data", Some(Delta { delta }), turn_id),
        TurnEvent::End => frame_into::<()>(out, "response.end", None, turn_id),
        TurnEvent::Handoff(_) | TurnEvent::Finished { .. } => {}
    }
}

/// Frames one event of a turn; the OpenAI door's own events frame to nothing here.
pub fn encode(event: &TurnEvent, turn_id: &str) -> Bytes {
    let mut out = Vec::with_capacity(64);
    encode_into(&mut out, event, turn_id);
    Bytes::from(out)
}

/// The `response.end` frame.
pub fn end(turn_id: &str) -> Bytes {
    encode(&TurnEvent::End, turn_id)
}

/// Timing of the speech leaving a reply, for the metrics.
pub struct SpeechTiming {
    /// Observes upstream-bytes-to-frame time per sentence (the gateway's own latency).
    pub added_latency: Histogram,
    /// Observes webhook-to-first-`response.tts` time.
    pub first_tts: Histogram,
    /// When the webhook arrived.
    pub received: Instant,
}

/// The body of a reply: frames events as they arrive, ending with exactly one
/// `response.end`: the turn's [`TurnEvent::End`], or, if the turn died without it, the
/// channel closing. Dropping the body (the client went away) cancels the turn through the
/// delivery's guard.
///
/// Every event already waiting goes out in one chunk: a reply whose sentences are ready
/// together (a fast model, a sentence and its data event) costs one socket write, not one
/// per frame. Nothing is held back to wait for more, except that the response's head
/// waits for the first events ([`SseBody::first_batch`]) so that both leave in one write.
/// A sentence counts as delivered when its chunk is handed to the connection.
pub struct SseBody {
    events: UnboundedReceiver<TurnEvent>,
    turn_id: String,
    /// The turn's last event (or the channel's end) has been received.
    ended: bool,
    /// Received and not yet handed out, in order.
    held: Vec<TurnEvent>,
    spoke: bool,
    timing: Option<SpeechTiming>,
    delivered: Arc<AtomicUsize>,
    _cancel_on_drop: DropGuard,
}

impl SseBody {
    /// A body for `turn_id` framing what `delivery` brings.
    pub fn new(delivery: Delivery, turn_id: String) -> Self {
        Self {
            events: delivery.events,
            turn_id,
            ended: false,
            held: Vec::new(),
            spoke: false,
            timing: None,
            delivered: delivery.delivered,
            _cancel_on_drop: delivery.cancel_on_drop,
        }
    }

    /// Records speech timing into these histograms.
    pub fn with_timing(mut self, timing: SpeechTiming) -> Self {
        self.timing = Some(timing);
        self
    }

    /// Resolves once the first events are waiting (or the turn ended with nothing to
    /// say), so the response's head can leave in the same write as they.
    pub async fn first_batch(&mut self) {
        std::future::poll_fn(|cx| self.poll_batch(cx).map(|_| ())).await;
    }

    /// Moves every event waiting in the channel into `held`.
    fn receive(&mut self, cx: &mut Context<'_>) {
        while !self.ended {
            match self.events.poll_recv(cx) {
                Poll::Ready(Some(event)) => {
                    self.ended = matches!(event, TurnEvent::End);
                    self.held.push(event);
                }
                Poll::Ready(None) => {
                    self.ended = true;
                    self.held.push(TurnEvent::End);
                }
                Poll::Pending => break,
            }
        }
    }

    /// Ready(true) when held events should go out now; Ready(false) when nothing more
    /// will.
    fn poll_batch(&mut self, cx: &mut Context<'_>) -> Poll<bool> {
        // The end is received together with the end event, so nothing more comes once
        // the end is in and nothing is held.
        if self.ended && self.held.is_empty() {
            return Poll::Ready(false);
        }
        self.receive(cx);
        if self.held.is_empty() {
            return Poll::Pending;
        }
        Poll::Ready(true)
    }

    fn observe(&mut self, event: &TurnEvent) {
        if let TurnEvent::Speak(..) = event {
            self.delivered.fetch_add(1, Ordering::Release);
        }
        let (TurnEvent::Speak(_, completed_at), Some(timing)) = (event, &self.timing) else {
            return;
        };
        if let Some(at) = completed_at {
            timing.added_latency.observe(at.elapsed().as_secs_f64());
        }
        if !self.spoke {
            timing
                .first_tts
                .observe(timing.received.elapsed().as_secs_f64());
        }
        self.spoke = true;
    }

    /// Frames the held events into one chunk.
    fn frame_held(&mut self) -> Bytes {
        let held = std::mem::take(&mut self.held);
        let mut out = Vec::with_capacity(held.len() * 128);
        for event in &held {
            self.observe(event);
            encode_into(&mut out, event, &self.turn_id);
        }
        // The vector's room is kept for the next batch.
        self.held = held;
        self.held.clear();
        Bytes::from(out)
    }
}

impl Stream for SseBody {
    type Item = Result<Bytes, Infallible>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        loop {
            match self.poll_batch(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(false) => return Poll::Ready(None),
                Poll::Ready(true) => {
                    let frames = self.frame_held();
                    // A batch of events that frame to nothing (the OpenAI door's own) is
                    // not a chunk.
                    if !frames.is_empty() {
                        return Poll::Ready(Some(Ok(frames)));
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests;
