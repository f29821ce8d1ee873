//! `voicebridge chat --openai`: talks to an agent's OpenAI door as Vapi does. It keeps
//! the conversation itself and sends it whole with each line typed (with a Vapi-shaped
//! `call` whose id groups the turns into one call on record), streams the reply as it
//! arrives, and plays the platform's part for a tool the model hands back: it prints the
//! call and answers it as not available in the terminal. Ctrl-C during a reply hangs up
//! the request, as a platform does on a barge-in; the words received stay in the
//! conversation.

use std::io::Write;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use futures_util::StreamExt;
use serde_json::{json, Value};
use tokio::io::{AsyncBufRead, AsyncBufReadExt};

use super::chat::{drain_events, ChatError};
use super::terminal::{next_line, Interrupts};
use crate::secret::Secret;

/// Where and how to talk.
#[derive(Debug, Clone)]
pub struct DoorChatOptions {
    /// The door's base URL, e.g. `http://127.0.0.1:8080/openai/v1`; `/chat/completions`
    /// is added, as the platforms do.
    pub base_url: String,
    /// The key sent as `Authorization: Bearer <key>`.
    pub key: Option<Secret>,
    /// Input comes from a person at a terminal (see `chat::ChatOptions`).
    pub interactive: bool,
    /// Ctrl-C cuts a reply, or ends the chat at the prompt.
    pub catch_ctrl_c: bool,
}

/// The door's base URL for what a user gave `--url`: a URL ending in `/v1` or in
/// `/openai/<agent>` is used as it is; a server's base URL gets `/openai/v1`.
pub fn door_url(input: &str) -> String {
    let url = input.trim().trim_end_matches('/');
    let url = url.strip_suffix("/chat/completions").unwrap_or(url);
    if url.ends_with("/v1") || url.contains("/openai") {
        url.to_string()
    } else {
        format!("{url}/openai/v1")
    }
}

/// The tools offered as the platform's, so the model can hand one back (Vapi's `endCall`).
fn platform_tools() -> Value {
    json!([{"type": "function", "function": {"name": "endCall",
        "description": "Ends the call once the caller is done.",
        "parameters": {"type": "object", "properties": {}}}}])
}

/// Runs the chat: one request per line of `input`, until it ends.
pub async fn run<R, W>(options: &DoorChatOptions, input: R, out: &mut W) -> Result<(), ChatError>
where
    R: AsyncBufRead + Unpin,
    W: Write,
{
    let http = crate::http::client()
        .map_err(|e| ChatError::Server(format!("cannot build the HTTP client: {e}")))?;
    let url = format!("{}/chat/completions", options.base_url);
    let stamp = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis());
    let call = format!("chat-{stamp}");
    let hint = if options.interactive {
        " Ctrl-C cuts a reply; Ctrl-D (or Ctrl-C at the prompt) ends the chat."
    } else {
        ""
    };
    writeln!(
        out,
        "Talking to {url} as a platform would (call {call}).{hint}"
    )?;
    let mut interrupts = Interrupts::new(options.catch_ctrl_c);
    let mut messages: Vec<Value> = Vec::new();
    let mut lines = input.lines();
    while let Some(text) = next_line(&mut lines, &mut interrupts, options.interactive, out).await? {
        messages.push(json!({"role": "user", "content": text}));
        let body = json!({
            "model": "voicebridge", "stream": true, "messages": messages,
            "tools": platform_tools(), "call": {"id": call},
        });
        let mut request = http.post(&url).json(&body);
        if let Some(key) = &options.key {
            request = request.bearer_auth(key.expose());
        }
        let response = request.send().await.map_err(|e| {
            ChatError::Server(format!(
                "cannot reach {url}: {}",
                crate::http::error_chain(&e.without_url())
            ))
        })?;
        let status = response.status();
        if !status.is_success() {
            let said: Value = response.json().await.unwrap_or(Value::Null);
            let message = said["error"]["message"]
                .as_str()
                .unwrap_or("no reason given");
            return Err(ChatError::Server(format!(
                "the door answered {status}: {message}"
            )));
        }
        let reply = read_reply(response, out, &mut interrupts).await?;
        messages.extend(reply);
    }
    if options.interactive {
        writeln!(out)?;
    }
    writeln!(out, "Chat ended.")?;
    Ok(())
}

/// Prints one streamed reply; returns the messages it adds to the conversation: the
/// assistant's (with a handed-back tool call) and the tool's answer.
async fn read_reply<W: Write>(
    response: reqwest::Response,
    out: &mut W,
    interrupts: &mut Interrupts,
) -> Result<Vec<Value>, ChatError> {
    let sent = Instant::now();
    let mut stream = response.bytes_stream();
    let (mut buffer, mut text, mut calls) = (Vec::new(), String::new(), Vec::<Value>::new());
    let mut first = None;
    let mut finish = None;
    write!(out, "agent> ")?;
    loop {
        let chunk = tokio::select! {
            chunk = stream.next() => chunk,
            () = interrupts.next() => {
                writeln!(out, "\n  [interrupted: the request is hung up]")?;
                break;
            }
        };
        let Some(chunk) = chunk else {
            writeln!(out)?;
            break;
        };
        let chunk = chunk.map_err(|e| ChatError::Server(format!("stream broke: {e}")))?;
        buffer.extend_from_slice(&chunk);
        for event in drain_events(&mut buffer) {
            let choice = &event["choices"][0];
            if let Some(piece) = choice["delta"]["content"]
                .as_str()
                .filter(|p| !p.is_empty())
            {
                first.get_or_insert_with(|| sent.elapsed());
                text.push_str(piece);
                write!(out, "{piece}")?;
                out.flush()?;
            }
            for call in choice["delta"]["tool_calls"]
                .as_array()
                .into_iter()
                .flatten()
            {
                calls.push(call.clone());
            }
            if let Some(reason) = choice["finish_reason"].as_str() {
                finish = Some(reason.to_string());
            }
        }
    }
    let mut added = vec![json!({"role": "assistant", "content": text})];
    for call in &calls {
        let name = call["function"]["name"].as_str().unwrap_or("?");
        let arguments = call["function"]["arguments"].as_str().unwrap_or("{}");
        writeln!(
            out,
            "  [the platform's tool {name} {arguments}: not available in the terminal]"
        )?;
        added.push(json!({"role": "tool", "tool_call_id": call["id"],
            "content": "{\"error\": \"not available in the terminal\"}"}));
    }
    if !calls.is_empty() {
        added[0]["tool_calls"] = Value::Array(calls);
    }
    let first = first.map_or("no text".to_string(), |d| {
        format!("first text {} ms", d.as_millis())
    });
    writeln!(
        out,
        "  ({first}, total {} ms, finish {})",
        sent.elapsed().as_millis(),
        finish.as_deref().unwrap_or("none")
    )?;
    Ok(added)
}

#[cfg(test)]
mod tests {
    use super::door_url;

    #[test]
    fn a_server_url_gets_the_doors_path_and_a_door_url_is_kept() {
        assert_eq!(
            door_url("http://127.0.0.1:8080"),
            "http://127.0.0.1:8080/openai/v1"
        );
        assert_eq!(
            door_url("https://x.fly.dev/"),
            "https://x.fly.dev/openai/v1"
        );
        assert_eq!(
            door_url("https://x.fly.dev/openai/sales/v1"),
            "https://x.fly.dev/openai/sales/v1"
        );
        assert_eq!(
            door_url("https://x.fly.dev/openai/sales"),
            "https://x.fly.dev/openai/sales"
        );
        assert_eq!(
            door_url("https://x.fly.dev/openai/v1/chat/completions"),
            "https://x.fly.dev/openai/v1"
        );
    }
}
