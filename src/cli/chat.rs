//! `voicebridge chat`: signs webhooks like Layercode, sends `session.start` for the
//! welcome, one `message` per line typed, prints the sentences as they stream with the
//! turn's timings, and `session.end` when the input ends.

use std::io::Write;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use futures_util::StreamExt;
use serde_json::{json, Value};
use tokio::io::{AsyncBufRead, AsyncBufReadExt};

use crate::config::Secret;
use crate::webhook::signature;

/// Why the chat stopped early.
#[derive(Debug, thiserror::Error)]
pub enum ChatError {
    /// The server could not be reached or refused a webhook.
    #[error("{0}")]
    Server(String),
    /// Writing to the terminal failed.
    #[error("output: {0}")]
    Output(#[from] std::io::Error),
}

/// Where and how to talk.
#[derive(Debug, Clone)]
pub struct ChatOptions {
    /// Base URL of the server, e.g. `http://127.0.0.1:8080`.
    pub url: String,
    /// Webhook secret to sign with; `None` sends unsigned webhooks.
    pub secret: Option<Secret>,
    /// Input comes from a person at a terminal: prompt with `you> `. Piped input is
    /// echoed after `you> ` on its own line instead, so the output reads as a transcript.
    pub interactive: bool,
}

/// Runs the chat until `input` ends.
pub async fn run<R, W>(options: &ChatOptions, input: R, out: &mut W) -> Result<(), ChatError>
where
    R: AsyncBufRead + Unpin,
    W: Write,
{
    let client = Client::new(options);
    let stamp = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis());
    let conversation = format!("chat-{stamp}");
    let hint = if options.interactive {
        " End with Ctrl-D."
    } else {
        ""
    };
    writeln!(
        out,
        "Talking to {} (conversation {conversation}).{hint}",
        options.url
    )?;
    let start = json!({"type": "session.start", "session_id": conversation, "conversation_id": conversation, "turn_id": "turn-0"});
    client.turn(&start, out).await?;

    let mut lines = input.lines();
    let mut turn = 0;
    loop {
        if options.interactive {
            write!(out, "you> ")?;
            out.flush()?;
        }
        let Some(line) = lines.next_line().await.map_err(ChatError::Output)? else {
            break;
        };
        let text = line.trim();
        if text.is_empty() {
            continue;
        }
        if !options.interactive {
            writeln!(out, "you> {text}")?;
        }
        turn += 1;
        let message = json!({
            "type": "message", "session_id": conversation, "conversation_id": conversation,
            "turn_id": format!("turn-{turn}"), "text": text,
        });
        client.turn(&message, out).await?;
    }
    if options.interactive {
        writeln!(out)?; // Ctrl-D left the cursor after the prompt.
    }
    let end =
        json!({"type": "session.end", "session_id": conversation, "conversation_id": conversation});
    client.post(&end).await?;
    writeln!(out, "Session ended.")?;
    Ok(())
}

struct Client<'a> {
    http: reqwest::Client,
    options: &'a ChatOptions,
}

impl<'a> Client<'a> {
    fn new(options: &'a ChatOptions) -> Self {
        Self {
            http: reqwest::Client::new(),
            options,
        }
    }

    async fn post(&self, body: &Value) -> Result<reqwest::Response, ChatError> {
        let bytes = serde_json::to_vec(body).map_err(|e| ChatError::Server(e.to_string()))?;
        let mut request = self
            .http
            .post(format!("{}/agent", self.options.url.trim_end_matches('/')))
            .header("content-type", "application/json");
        if let Some(secret) = &self.options.secret {
            let now = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_secs() as i64);
            request = request.header(
                "layercode-signature",
                signature::sign(secret.expose().as_bytes(), now, &bytes),
            );
        }
        let response =
            request.body(bytes).send().await.map_err(|e| {
                ChatError::Server(format!("cannot reach {}: {e}", self.options.url))
            })?;
        if !response.status().is_success() {
            let status = response.status();
            let text = response.text().await.unwrap_or_default();
            return Err(ChatError::Server(format!(
                "the server answered {status}: {text}"
            )));
        }
        Ok(response)
    }

    /// Sends a conversational webhook and prints its reply as it streams.
    async fn turn<W: Write>(&self, body: &Value, out: &mut W) -> Result<(), ChatError> {
        let sent = Instant::now();
        let response = self.post(body).await?;
        let mut stream = response.bytes_stream();
        let mut buffer = Vec::new();
        let mut first_tts = None;
        let mut sentences = 0;
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| ChatError::Server(format!("stream broke: {e}")))?;
            buffer.extend_from_slice(&chunk);
            while let Some(end) = buffer.windows(2).position(|w| w == b"\n\n") {
                let frame: Vec<u8> = buffer.drain(..end + 2).collect();
                let Some(event) = frame
                    .strip_prefix(b"data: ")
                    .and_then(|json| serde_json::from_slice::<Value>(json).ok())
                else {
                    continue;
                };
                match event["type"].as_str() {
                    Some("response.tts") => {
                        first_tts.get_or_insert_with(|| sent.elapsed());
                        sentences += 1;
                        writeln!(
                            out,
                            "agent> {}",
                            event["content"].as_str().unwrap_or_default()
                        )?;
                    }
                    Some("response.data") if event["content"].get("error").is_some() => {
                        let code = event["content"]["error"]["code"]
                            .as_str()
                            .unwrap_or("error");
                        writeln!(out, "  ! the model failed ({code})")?;
                    }
                    _ => {}
                }
            }
        }
        let first = first_tts.map_or("no speech".to_string(), |d| {
            format!("first sentence {} ms", d.as_millis())
        });
        writeln!(
            out,
            "  ({first}, total {} ms, {sentences} sentence{})",
            sent.elapsed().as_millis(),
            if sentences == 1 { "" } else { "s" }
        )?;
        Ok(())
    }
}
