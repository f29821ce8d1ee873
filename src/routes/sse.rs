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

fn frame<C: Serialize>(kind: &'static str, content: Option<C>, turn_id: &str) -> Bytes {
    let mut out = Vec::with_capacity(64);
    out.extend_from_slice(b"data: ");
    // serde_json escapes control characters, so the JSON is always one line; non-ASCII
    // stays raw UTF-8. Serializing these types cannot fail.
    let _ = serde_json::to_writer(
        &mut out,
        &Frame {
            kind,
            content,
            turn_id,
        },
    );
    out.extend_from_slice(b"\n\n");
    Bytes::from(out)
}

/// Frames one event of a turn; the OpenAI door's own events frame to nothing here.
pub fn encode(event: &TurnEvent, turn_id: &str) -> Bytes {
    match event {
        TurnEvent::Speak(text, _) => frame("response.tts", Some(text), turn_id),
        TurnEvent::Data(value) => frame("response.data", Some(value), turn_id),
        TurnEvent::End => end(turn_id),
        TurnEvent::Handoff(_) | TurnEvent::Finished { .. } => Bytes::new(),
    }
}

/// The `response.end` frame.
pub fn end(turn_id: &str) -> Bytes {
    frame::<()>("response.end", None, turn_id)
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
pub struct SseBody {
    events: UnboundedReceiver<TurnEvent>,
    turn_id: String,
    ended: bool,
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
}

impl Stream for SseBody {
    type Item = Result<Bytes, Infallible>;

    /// Every event already waiting goes out in one chunk: a reply whose sentences are
    /// ready together (a fast model, a sentence and its data event) costs one socket write,
    /// not one per frame. Nothing is held back to wait for more.
    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.ended {
            return Poll::Ready(None);
        }
        let mut out: Option<bytes::BytesMut> = None;
        while !self.ended {
            let framed = match self.events.poll_recv(cx) {
                Poll::Ready(Some(event)) => {
                    self.ended = matches!(event, TurnEvent::End);
                    self.observe(&event);
                    encode(&event, &self.turn_id)
                }
                Poll::Ready(None) => {
                    self.ended = true;
                    end(&self.turn_id)
                }
                Poll::Pending => break,
            };
            if !framed.is_empty() {
                out.get_or_insert_with(bytes::BytesMut::new)
                    .extend_from_slice(&framed);
            }
        }
        match out {
            Some(frames) => Poll::Ready(Some(Ok(frames.freeze()))),
            None if self.ended => Poll::Ready(None),
            None => Poll::Pending,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::turn::Caller;
    use futures_util::StreamExt;
    use serde_json::json;
    use tokio_util::sync::CancellationToken;

    #[test]
    fn frames_are_single_line_json_with_the_turn_id() {
        let tts = encode(
            &TurnEvent::Speak("Hi \"there\"\nnew line, café.".into(), None),
            "t1",
        );
        assert_eq!(
            &tts[..],
            "data: {\"type\":\"response.tts\",\"content\":\"Hi \\\"there\\\"\\nnew line, café.\",\"turn_id\":\"t1\"}\n\n".as_bytes()
        );
        let data = encode(&TurnEvent::Data(json!({"delta": "x"})), "t1");
        assert_eq!(
            &data[..],
            b"data: {\"type\":\"response.data\",\"content\":{\"delta\":\"x\"},\"turn_id\":\"t1\"}\n\n"
        );
        assert_eq!(
            &end("t1")[..],
            b"data: {\"type\":\"response.end\",\"turn_id\":\"t1\"}\n\n"
        );
    }

    fn caller() -> (Caller, Delivery) {
        Caller::new(CancellationToken::new(), tokio::time::Instant::now())
    }

    async fn frames(body: SseBody) -> Vec<Bytes> {
        body.map(|f| f.unwrap_or_else(|e| match e {}))
            .collect()
            .await
    }

    /// The whole body as text, and how many `response.end` frames it holds.
    fn text_and_ends(frames: &[Bytes]) -> (String, usize) {
        let text: String = frames
            .iter()
            .map(|f| String::from_utf8_lossy(f).into_owned())
            .collect();
        let ends = text.matches("response.end").count();
        (text, ends)
    }

    #[tokio::test]
    async fn the_body_ends_exactly_once_when_the_turn_ends_it() {
        let (caller, delivery) = caller();
        caller.send(TurnEvent::Speak("One.".into(), None));
        caller.end();
        let frames = frames(SseBody::new(delivery, "t".into())).await;
        let (text, ends) = text_and_ends(&frames);
        assert_eq!(ends, 1);
        assert!(text.ends_with(std::str::from_utf8(&end("t")).unwrap_or_default()));
    }

    #[tokio::test]
    async fn the_body_still_ends_once_when_the_turn_died_without_ending_it() {
        let (caller, delivery) = caller();
        caller.send(TurnEvent::Speak("One.".into(), None));
        drop(caller);
        let frames = frames(SseBody::new(delivery, "t".into())).await;
        let (text, ends) = text_and_ends(&frames);
        assert_eq!(ends, 1);
        assert!(
            text.starts_with("data: {\"type\":\"response.tts\""),
            "{text}"
        );
    }

    #[tokio::test]
    async fn events_waiting_together_go_out_in_one_chunk_and_a_later_one_in_its_own() {
        let (caller, delivery) = caller();
        let mut body = SseBody::new(delivery, "t".into());
        caller.send(TurnEvent::Speak("One.".into(), None));
        caller.send(TurnEvent::Data(json!({"step": 1})));
        caller.send(TurnEvent::Speak("Two.".into(), None));
        let first = body
            .next()
            .await
            .expect("a chunk")
            .unwrap_or_else(|e| match e {});
        let first = String::from_utf8_lossy(&first).into_owned();
        assert_eq!(first.matches("data: ").count(), 3, "{first}");
        assert!(first.find("One.") < first.find("step") && first.find("step") < first.find("Two."));
        caller.send(TurnEvent::Speak("Three.".into(), None));
        caller.end();
        let rest = frames(body).await;
        let (text, ends) = text_and_ends(&rest);
        assert_eq!(rest.len(), 1, "what was waiting together: {text}");
        assert!(text.contains("Three.") && ends == 1);
    }

    #[test]
    fn dropping_the_body_cancels_the_turn() {
        let (caller, delivery) = caller();
        drop(SseBody::new(delivery, "t".into()));
        assert!(caller.cancellation().is_cancelled());
        caller.end();
    }
}
