//! Reading one webhook's SSE stream as a caller would hear it: the sentences, the tools
//! started, the knowledge used, an end of call and the timings, with a barge-in after some sentences.

use std::time::Instant;

use futures_util::StreamExt;
use serde_json::Value;

use crate::cli::chat::drain_events;

/// What one webhook's stream brought.
#[derive(Default)]
pub(super) struct Heard {
    pub(super) sentences: Vec<String>,
    pub(super) tools: Vec<Value>,
    pub(super) end_call: bool,
    /// The knowledge files the turn's passages came from (`response.data` `knowledge`).
    pub(super) knowledge: Vec<String>,
    pub(super) first_audio_ms: Option<u64>,
    pub(super) total_ms: u64,
}

/// Sends a webhook (the `post` future) and reads its stream, stopping after `stop_after`
/// sentences when given (the response is dropped, as a caller's barge-in).
pub(super) async fn listen<F>(post: F, stop_after: Option<usize>) -> Result<Heard, String>
where
    F: std::future::Future<Output = Result<reqwest::Response, String>>,
{
    let sent = Instant::now();
    let response = post.await?;
    let mut stream = response.bytes_stream();
    let mut buffer = Vec::new();
    let mut heard = Heard::default();
    'read: while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| format!("the stream broke: {e}"))?;
        buffer.extend_from_slice(&chunk);
        for event in drain_events(&mut buffer) {
            let content = &event["content"];
            match event["type"].as_str() {
                Some("response.tts") => {
                    heard
                        .first_audio_ms
                        .get_or_insert(sent.elapsed().as_millis() as u64);
                    heard
                        .sentences
                        .push(content.as_str().unwrap_or_default().to_string());
                    if stop_after.is_some_and(|n| heard.sentences.len() >= n) {
                        break 'read;
                    }
                }
                Some("response.data") if content.get("tool").is_some() => {
                    heard.tools.push(content["tool"].clone());
                }
                Some("response.data") if content.get("knowledge").is_some() => {
                    let files = content["knowledge"].as_array().into_iter().flatten();
                    heard.knowledge.extend(
                        files.filter_map(|found| found["file"].as_str().map(str::to_string)),
                    );
                }
                Some("response.data") if content["action"] == "end_call" => {
                    heard.end_call = true;
                }
                _ => {}
            }
        }
    }
    heard.total_ms = sent.elapsed().as_millis() as u64;
    Ok(heard)
}
