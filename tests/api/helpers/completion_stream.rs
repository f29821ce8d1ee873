//! The oracle for what the OpenAI door streams, read as a platform reads it: the bytes
//! may arrive split anywhere, so they are parsed whole and at every split into two
//! reads, and must give the same events. Every event is `data: <json>` with a `choices`
//! array (platforms fail on a chunk without one), exactly one chunk has a
//! `finish_reason`, a usage chunk (empty `choices`) comes only after it, and
//! `data: [DONE]` is last.

use serde_json::Value;

/// Reads SSE events as they arrive in `reads`: each complete `\n\n`-ended event's `data`.
fn events(reads: &[&[u8]]) -> Vec<String> {
    let mut buffer: Vec<u8> = Vec::new();
    let mut out = Vec::new();
    for read in reads {
        buffer.extend_from_slice(read);
        while let Some(end) = buffer.windows(2).position(|w| w == b"\n\n") {
            let event: Vec<u8> = buffer.drain(..end + 2).collect();
            let text = String::from_utf8(event).expect("an event is UTF-8");
            let data: Vec<&str> = text
                .lines()
                .filter_map(|line| line.strip_prefix("data:"))
                .map(str::trim_start)
                .collect();
            assert!(!data.is_empty(), "an event without data: {text:?}");
            out.push(data.join("\n"));
        }
    }
    assert!(buffer.is_empty(), "bytes after the last event: {buffer:?}");
    out
}

/// Checks a whole streamed answer and returns its chunks (without `[DONE]`).
pub fn check_completion_stream(bytes: &[u8]) -> Vec<Value> {
    let whole = events(&[bytes]);
    for split in 0..=bytes.len() {
        let (a, b) = bytes.split_at(split);
        assert_eq!(events(&[a, b]), whole, "read split at byte {split}");
    }
    let (last, chunks) = whole.split_last().expect("at least [DONE]");
    assert_eq!(last, "[DONE]", "[DONE] comes last");
    let chunks: Vec<Value> = chunks
        .iter()
        .map(|data| {
            assert_ne!(data, "[DONE]", "[DONE] only once, last");
            serde_json::from_str(data).unwrap_or_else(|e| panic!("{data:?} is not JSON: {e}"))
        })
        .collect();
    let mut finished = 0;
    for chunk in &chunks {
        assert_eq!(chunk["object"], "chat.completion.chunk", "{chunk}");
        let choices = chunk["choices"].as_array().expect("`choices` is an array");
        if choices.is_empty() {
            assert!(
                chunk["usage"].is_object(),
                "only the usage chunk has no choice: {chunk}"
            );
            assert_eq!(
                finished, 1,
                "the usage chunk comes after the finish: {chunk}"
            );
            continue;
        }
        assert_eq!(finished, 0, "nothing but usage after the finish: {chunk}");
        if !choices[0]["finish_reason"].is_null() {
            finished += 1;
        }
    }
    assert_eq!(finished, 1, "exactly one finish_reason");
    chunks
}
