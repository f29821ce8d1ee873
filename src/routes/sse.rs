//! Layercode's SSE framing: each event is one `data: <json>\n\n` line carrying the turn id,
//! and the stream always ends with exactly one `response.end`.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
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
/// Events go out in batches. Once an event arrives, the body waits out one pass of the
/// thread's scheduler (the tasks already ready to run, the turn among them, run first) and
/// then sends everything that arrived meanwhile in one chunk. A model whose reply is
/// already buffered thus costs one socket write, not one per sentence and data event;
/// a paced model's sentence waits only for the tasks ready at that moment. `response.end`
/// goes out at once with whatever is waiting. A sentence counts as delivered when its
/// batch is handed to the connection, not before.
pub struct SseBody {
    events: UnboundedReceiver<TurnEvent>,
    turn_id: String,
    /// The turn's last event (or the channel's end) has been received.
    ended: bool,
    /// Everything has been handed out.
    done: bool,
    /// Received and not yet handed out, in order.
    held: Vec<TurnEvent>,
    /// The scheduler pass the held events wait out.
    pass: Option<Arc<Pass>>,
    /// The held events' pass is over (or the turn ended): they go out at the next poll.
    ready: bool,
    spoke: bool,
    timing: Option<SpeechTiming>,
    delivered: Arc<AtomicUsize>,
    _cancel_on_drop: DropGuard,
}

/// One pass of the scheduler, over when the waker the scheduler deferred is called: a
/// wake of the body for any other reason (a new event) does not end it early.
struct Pass {
    over: AtomicBool,
    task: Waker,
}

impl Wake for Pass {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.over.store(true, Ordering::Release);
        self.task.wake_by_ref();
    }
}

impl Pass {
    /// Starts a pass for the task of `cx`: its waker is deferred until the scheduler has
    /// run the tasks ready now (at once outside a runtime).
    fn start(cx: &Context<'_>) -> Arc<Self> {
        let pass = Arc::new(Self {
            over: AtomicBool::new(false),
            task: cx.waker().clone(),
        });
        let waker = Waker::from(pass.clone());
        let mut yield_once = std::pin::pin!(tokio::task::yield_now());
        // The first poll defers the waker and is pending; the future is not needed after.
        let _ = yield_once.as_mut().poll(&mut Context::from_waker(&waker));
        pass
    }

    fn is_over(&self) -> bool {
        self.over.load(Ordering::Acquire)
    }
}

impl SseBody {
    /// A body for `turn_id` framing what `delivery` brings.
    pub fn new(delivery: Delivery, turn_id: String) -> Self {
        Self {
            events: delivery.events,
            turn_id,
            ended: false,
            done: false,
            held: Vec::new(),
            pass: None,
            ready: false,
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

    /// Resolves once the first batch is ready to go out (or the turn ended with nothing
    /// to say), so the response's head can leave in the same write as it.
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
        if self.done {
            return Poll::Ready(false);
        }
        // A batch whose pass is over (the head waited for it) goes out at the next poll,
        // with anything that arrived since.
        if self.ready {
            self.receive(cx);
            return Poll::Ready(true);
        }
        // While a pass runs the channel is not polled, so only the pass's end (or the
        // connection) wakes the body, not each event of the turn.
        if let Some(pass) = &self.pass {
            if !pass.is_over() {
                return Poll::Pending;
            }
            self.pass = None;
        } else {
            self.receive(cx);
            if self.held.is_empty() {
                return Poll::Pending;
            }
            if !self.ended {
                let pass = Pass::start(cx);
                if !pass.is_over() {
                    self.pass = Some(pass);
                    return Poll::Pending;
                }
            }
        }
        self.receive(cx);
        self.ready = true;
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
        self.done = self.ended;
        self.ready = false;
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
