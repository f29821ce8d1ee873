//! Reading a turn's SSE reply as it arrives, and picking its events apart.

use std::time::Duration;

use futures_util::StreamExt;
use serde_json::Value;

/// Reads `data: <json>\n\n` frames as they arrive, checking the framing on the way.
pub struct SseReader {
    stream: futures_util::stream::BoxStream<'static, reqwest::Result<bytes::Bytes>>,
    buffer: Vec<u8>,
}

impl SseReader {
    pub fn new(response: reqwest::Response) -> Self {
        Self {
            stream: response.bytes_stream().boxed(),
            buffer: Vec::new(),
        }
    }

    /// The next event, `None` at the end of the body. Fails the test after 10 s of silence.
    pub async fn next_event(&mut self) -> Option<Value> {
        loop {
            if let Some(pos) = self.buffer.windows(2).position(|w| w == b"\n\n") {
                let frame: Vec<u8> = self.buffer.drain(..pos + 2).collect();
                let line = std::str::from_utf8(&frame[..pos]).expect("utf-8 frame");
                assert!(!line.contains('\n'), "one line per event: {line:?}");
                let json = line
                    .strip_prefix("data: ")
                    .expect("frame starts with `data: `");
                return Some(serde_json::from_str(json).expect("frame is JSON"));
            }
            let next = tokio::time::timeout(Duration::from_secs(10), self.stream.next())
                .await
                .expect("an SSE event within 10 s");
            match next {
                Some(chunk) => self
                    .buffer
                    .extend_from_slice(&chunk.expect("body readable")),
                None => {
                    assert!(
                        self.buffer.is_empty(),
                        "stream ended mid-frame: {:?}",
                        self.buffer
                    );
                    return None;
                }
            }
        }
    }

    /// Reads up to and including the first `response.tts`; returns the events read.
    pub async fn until_spoken(&mut self) -> Vec<Value> {
        let mut events = Vec::new();
        loop {
            let event = self
                .next_event()
                .await
                .expect("an event before the first speech");
            let spoken = event["type"] == "response.tts";
            events.push(event);
            if spoken {
                return events;
            }
        }
    }

    pub async fn collect(mut self) -> Vec<Value> {
        let mut events = Vec::new();
        while let Some(event) = self.next_event().await {
            events.push(event);
        }
        events
    }
}

/// The `content` of every event of `kind`.
pub fn contents(events: &[Value], kind: &str) -> Vec<Value> {
    events
        .iter()
        .filter(|e| e["type"] == kind)
        .map(|e| e["content"].clone())
        .collect()
}

/// The spoken sentences of a reply.
pub fn spoken(events: &[Value]) -> Vec<String> {
    contents(events, "response.tts")
        .iter()
        .map(|c| c.as_str().expect("tts content is a string").to_string())
        .collect()
}

/// The codes of the errors sent to the browser as `response.data`.
pub fn error_codes(events: &[Value]) -> Vec<String> {
    contents(events, "response.data")
        .iter()
        .filter_map(|c| c["error"]["code"].as_str().map(str::to_string))
        .collect()
}
