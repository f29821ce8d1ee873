//! `voicebridge chat`: signs webhooks like Layercode, sends `session.start` for the
//! welcome, one `message` per line typed, prints the sentences as they stream with the
//! turn's timings, and `session.end` when the input ends.

use std::io::Write;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use futures_util::StreamExt;
use serde_json::{json, Value};
use tokio::io::{AsyncBufRead, AsyncBufReadExt};

use super::terminal::{next_line, Interrupts};
use crate::secret::Secret;
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
    /// The webhook URL, e.g. `http://127.0.0.1:8080/agent`; see [`webhook_url`].
    pub webhook_url: String,
    /// Webhook secret to sign with; `None` sends unsigned webhooks.
    pub secret: Option<Secret>,
    /// Input comes from a person at a terminal: prompt with `you> `. Piped input is
    /// echoed after `you> ` on its own line instead, so the output reads as a transcript.
    pub interactive: bool,
    /// Ctrl-C (SIGINT) interrupts: during a reply it cuts the reply as a barge-in would;
    /// waiting for input, it ends the call. Off, Ctrl-C stops the process as usual.
    pub catch_ctrl_c: bool,
}

/// The webhook URL for what a user gave `--url`: a URL whose path ends in `/agent` (which
/// covers `/api/agent`) is the webhook URL pasted from Layercode and is used as it is;
/// any other http(s) URL is the server's base URL, and `/agent` is appended to it.
/// A trailing slash is dropped either way, because the routes have none.
pub fn webhook_url(input: &str) -> Result<String, String> {
    let input = input.trim();
    let mut url = reqwest::Url::parse(input).map_err(|_| not_http(input))?;
    // `localhost:8080` parses with `localhost` as its scheme, so the scheme check also
    // catches a URL typed without `http://`.
    if !matches!(url.scheme(), "http" | "https") || !url.has_host() {
        return Err(not_http(input));
    }
    let mut path = url.path().trim_end_matches('/').to_string();
    // `…/agent` and an agent's own `…/agent/<name>` are webhook URLs already.
    let agent_path = path
        .rsplit_once('/')
        .is_some_and(|(before, name)| before.ends_with("/agent") && !name.is_empty());
    if !path.ends_with("/agent") && !agent_path {
        path.push_str("/agent");
    }
    url.set_path(&path);
    Ok(url.into())
}

/// The webhook URL of a server on this machine listening on `port`.
pub fn local_webhook_url(port: u16) -> String {
    format!("http://127.0.0.1:{port}/agent")
}

fn not_http(input: &str) -> String {
    format!(
        "`{input}` is not an http(s) URL; give the server's address \
         (http://127.0.0.1:8080, https://<app>.fly.dev) or its webhook URL (…/agent)"
    )
}

/// Runs the chat until `input` ends.
pub async fn run<R, W>(options: &ChatOptions, input: R, out: &mut W) -> Result<(), ChatError>
where
    R: AsyncBufRead + Unpin,
    W: Write,
{
    let client = Client::new(options)?;
    let stamp = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis());
    let conversation = format!("chat-{stamp}");
    let hint = if options.interactive {
        " Ctrl-C cuts a reply; Ctrl-D (or Ctrl-C at the prompt) ends the call."
    } else {
        ""
    };
    let mut interrupts = Interrupts::new(options.catch_ctrl_c);
    writeln!(
        out,
        "Talking to {} (conversation {conversation}).{hint}",
        options.webhook_url
    )?;
    let start = json!({"type": "session.start", "session_id": conversation, "conversation_id": conversation, "turn_id": "turn-0"});
    client
        .turn(&start, out, Turn::Welcome, &mut interrupts)
        .await?;

    let mut lines = input.lines();
    let mut turn = 0;
    while let Some(text) = next_line(&mut lines, &mut interrupts, options.interactive, out).await? {
        let text = text.as_str();
        turn += 1;
        let message = json!({
            "type": "message", "session_id": conversation, "conversation_id": conversation,
            "turn_id": format!("turn-{turn}"), "text": text,
        });
        client
            .turn(&message, out, Turn::Reply, &mut interrupts)
            .await?;
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

/// What a conversational webhook asks for, which decides what its silence means.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Turn {
    /// `session.start`: silence is an empty `WELCOME_MESSAGE`, not a failure.
    Welcome,
    /// `message`: a reply is expected.
    Reply,
}

struct Client<'a> {
    http: reqwest::Client,
    options: &'a ChatOptions,
}

impl<'a> Client<'a> {
    fn new(options: &'a ChatOptions) -> Result<Self, ChatError> {
        let http = crate::http::client()
            .map_err(|e| ChatError::Server(format!("cannot build the HTTP client: {e}")))?;
        Ok(Self { http, options })
    }

    async fn post(&self, body: &Value) -> Result<reqwest::Response, ChatError> {
        post_webhook(
            &self.http,
            &self.options.webhook_url,
            self.options.secret.as_ref(),
            body,
        )
        .await
        .map_err(ChatError::Server)
    }

    /// Sends a conversational webhook and prints its reply as it streams.
    async fn turn<W: Write>(
        &self,
        body: &Value,
        out: &mut W,
        kind: Turn,
        interrupts: &mut Interrupts,
    ) -> Result<(), ChatError> {
        let sent = Instant::now();
        let response = self.post(body).await?;
        let mut stream = response.bytes_stream();
        let mut buffer = Vec::new();
        let mut first_tts = None;
        let mut sentences = 0;
        loop {
            let chunk = tokio::select! {
                chunk = stream.next() => chunk,
                () = interrupts.next() => {
                    // Hanging up the reply is what Layercode does on a barge-in.
                    writeln!(out, "  [interrupted: the rest of the reply is cut]")?;
                    return Ok(());
                }
            };
            let Some(chunk) = chunk else {
                break;
            };
            let chunk = chunk.map_err(|e| ChatError::Server(format!("stream broke: {e}")))?;
            buffer.extend_from_slice(&chunk);
            for event in drain_events(&mut buffer) {
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
                    Some("response.data") if event["content"].get("tool").is_some() => {
                        let tool = &event["content"]["tool"];
                        let name = tool["name"].as_str().unwrap_or("?");
                        let status = tool["status"].as_str().unwrap_or("?");
                        // Why it failed: `http_error`, `timeout`, `invalid_arguments`, …
                        let why = tool["outcome"]
                            .as_str()
                            .map_or(String::new(), |outcome| format!(": {outcome}"));
                        match tool["ms"].as_u64() {
                            Some(ms) => writeln!(out, "  [tool {name} {status}{why}, {ms} ms]")?,
                            None => writeln!(out, "  [tool {name} {status}{why}]")?,
                        }
                    }
                    Some("response.data") if event["content"].get("tool_call").is_some() => {
                        let call = &event["content"]["tool_call"];
                        let result = answer_client_tool(call, out)?;
                        let conversation = &body["conversation_id"];
                        let answer = json!({
                            "type": "data", "session_id": conversation,
                            "conversation_id": conversation,
                            "data": {"tool_result": {"id": call["id"], "result": result}},
                        });
                        self.post(&answer).await?;
                    }
                    Some("response.data") if event["content"]["action"] == "end_call" => {
                        writeln!(out, "  [the agent ended the call]")?;
                    }
                    _ => {}
                }
            }
        }
        if kind == Turn::Welcome && sentences == 0 {
            writeln!(out, "  (no welcome: the server's WELCOME_MESSAGE is empty)")?;
            return Ok(());
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

/// Posts one webhook `body` to `url` as Layercode does, signed with `secret` when there is
/// one, and returns the response if the server accepted it (2xx). The error is a sentence
/// for the user.
pub(crate) async fn post_webhook(
    http: &reqwest::Client,
    url: &str,
    secret: Option<&Secret>,
    body: &Value,
) -> Result<reqwest::Response, String> {
    let bytes = serde_json::to_vec(body).map_err(|e| e.to_string())?;
    let mut request = http.post(url).header("content-type", "application/json");
    if let Some(secret) = secret {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
        request = request.header(
            "layercode-signature",
            signature::sign(secret.expose().as_bytes(), now, &bytes),
        );
    }
    let response = request.body(bytes).send().await.map_err(|e| {
        format!(
            "cannot reach {url}: {}",
            crate::http::error_chain(&e.without_url())
        )
    })?;
    if !response.status().is_success() {
        let status = response.status();
        let text = response.text().await.unwrap_or_default();
        // The server's sentence, not its JSON wrapping.
        let said = serde_json::from_str::<Value>(&text)
            .ok()
            .and_then(|v| v["error"].as_str().map(str::to_owned))
            .unwrap_or(text);
        let signed = match (status.as_u16(), secret) {
            (401, Some(_)) => {
                " (this command signed it with LAYERCODE_WEBHOOK_SECRET from its environment)"
            }
            (401, None) => {
                " (this command sent it unsigned: LAYERCODE_WEBHOOK_SECRET is not set here)"
            }
            _ => "",
        };
        return Err(format!("the server answered {status}: {said}{signed}"));
    }
    Ok(response)
}

/// Takes every complete SSE frame (`data: {json}` and a blank line) out of `buffer` and
/// returns their JSON events, skipping frames that are not JSON data; an incomplete frame
/// stays in the buffer for the next chunk.
pub(crate) fn drain_events(buffer: &mut Vec<u8>) -> Vec<Value> {
    let mut events = Vec::new();
    while let Some(end) = buffer.windows(2).position(|w| w == b"\n\n") {
        let frame: Vec<u8> = buffer.drain(..end + 2).collect();
        if let Some(event) = frame
            .strip_prefix(b"data: ")
            .and_then(|json| serde_json::from_slice::<Value>(json).ok())
        {
            events.push(event);
        }
    }
    events
}

/// Plays the page's part for a client tool call: `show_text` is printed as a card; any
/// other tool is answered at once that the terminal cannot run it, so the turn does not
/// wait out the tool's timeout. Returns the result to send back.
fn answer_client_tool<W: Write>(call: &Value, out: &mut W) -> std::io::Result<Value> {
    let name = call["name"].as_str().unwrap_or("?");
    let arguments = &call["arguments"];
    if name == "show_text" {
        let title = arguments["title"].as_str().unwrap_or_default();
        let text = arguments["text"].as_str().unwrap_or_default();
        if title.is_empty() {
            writeln!(out, "  [card] {text}")?;
        } else {
            writeln!(out, "  [card] {title}: {text}")?;
        }
        return Ok(json!({"shown": true}));
    }
    writeln!(
        out,
        "  [client tool {name}: not available in the terminal, answered so]"
    )?;
    Ok(
        json!({"error": format!("{name} is not available: this caller is a terminal, not the page")}),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls_get_the_webhook_path_and_webhook_urls_are_kept() {
        for (given, expected) in [
            ("https://app.fly.dev", "https://app.fly.dev/agent"),
            ("https://app.fly.dev/", "https://app.fly.dev/agent"),
            ("https://app.fly.dev/agent", "https://app.fly.dev/agent"),
            ("https://app.fly.dev/agent/", "https://app.fly.dev/agent"),
            (
                "https://app.fly.dev/api/agent",
                "https://app.fly.dev/api/agent",
            ),
            (
                "https://app.fly.dev/api/agent/",
                "https://app.fly.dev/api/agent",
            ),
            ("http://127.0.0.1:8080", "http://127.0.0.1:8080/agent"),
            ("  http://localhost:9000/\n", "http://localhost:9000/agent"),
            // A server behind a path prefix, and a path that merely ends in "agent".
            (
                "https://example.com/voice",
                "https://example.com/voice/agent",
            ),
            (
                "https://example.com/voice/",
                "https://example.com/voice/agent",
            ),
            (
                "https://example.com/myagent",
                "https://example.com/myagent/agent",
            ),
            ("HTTPS://App.Fly.Dev/agent", "https://app.fly.dev/agent"),
            (
                "https://app.fly.dev/agent/sales",
                "https://app.fly.dev/agent/sales",
            ),
            (
                "https://app.fly.dev/api/agent/support/",
                "https://app.fly.dev/api/agent/support",
            ),
        ] {
            assert_eq!(webhook_url(given).as_deref(), Ok(expected), "{given:?}");
        }
    }

    #[test]
    fn anything_but_an_http_url_is_refused_with_an_example() {
        for given in [
            "app.fly.dev",
            "localhost:8080",
            "127.0.0.1:8080",
            "ftp://app.fly.dev",
            "file:///tmp/agent",
            "https://",
            "",
        ] {
            let error = webhook_url(given).expect_err(given);
            assert!(error.contains("not an http(s) URL"), "{given:?}: {error}");
            assert!(error.contains("https://<app>.fly.dev"), "{error}");
        }
    }

    #[test]
    fn the_local_default_is_a_webhook_url_already() {
        let local = local_webhook_url(8080);
        assert_eq!(webhook_url(&local), Ok(local));
    }
}
