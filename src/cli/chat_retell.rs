//! `voicebridge chat --retell`: talks to an agent's Retell WebSocket as Retell does. It
//! opens the socket for a new call id, sends the call's details, prints the greeting,
//! then sends `response_required` with the whole transcript for each line typed and prints
//! the reply's pieces as they stream, and what the reply asked the call to do (end, or
//! transfer). Ctrl-C during a reply stops printing it; the next line, a newer
//! `response_id`, makes the server drop it, as Retell does on a barge-in.

use std::io::Write;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::io::{AsyncBufRead, AsyncBufReadExt};
use tokio_tungstenite::tungstenite::Message;

use super::chat::ChatError;
use super::terminal::{next_line, Interrupts};

/// Where and how to talk.
#[derive(Debug, Clone)]
pub struct RetellChatOptions {
    /// The socket's URL without the call id: `ws://127.0.0.1:8080/retell/<agent>/<key>`.
    pub url: String,
    /// Input comes from a person at a terminal.
    pub interactive: bool,
    /// Ctrl-C cuts a reply, or ends the chat at the prompt.
    pub catch_ctrl_c: bool,
}

/// The socket URL for a server's base URL (`http(s)://…`, turned into `ws(s)://…`),
/// agent and key; a `ws(s)://…/retell/…` URL is kept as it is.
pub fn socket_url(base: &str, agent: &str, key: &str) -> String {
    let base = base.trim().trim_end_matches('/');
    if base.contains("/retell/") {
        return base.to_string();
    }
    let base = base
        .replacen("https://", "wss://", 1)
        .replacen("http://", "ws://", 1);
    format!("{base}/retell/{agent}/{key}")
}

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// The next JSON message from the server; `None` when the socket closed.
async fn receive(socket: &mut Socket) -> Result<Option<Value>, ChatError> {
    while let Some(message) = socket.next().await {
        match message.map_err(|e| ChatError::Server(format!("the socket broke: {e}")))? {
            Message::Text(text) => {
                return serde_json::from_str(text.as_str())
                    .map(Some)
                    .map_err(|e| ChatError::Server(format!("not JSON from the server: {e}")))
            }
            Message::Close(_) => return Ok(None),
            _ => {}
        }
    }
    Ok(None)
}

/// Runs the chat until the input ends or the agent ends the call.
pub async fn run<R, W>(options: &RetellChatOptions, input: R, out: &mut W) -> Result<(), ChatError>
where
    R: AsyncBufRead + Unpin,
    W: Write,
{
    let stamp = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis());
    let call_id = format!("chat-{stamp}");
    let url = format!("{}/{call_id}", options.url);
    let (mut socket, _) = tokio_tungstenite::connect_async(url.as_str())
        .await
        .map_err(|e| ChatError::Server(format!("cannot open the socket: {e}")))?;
    let shown = options
        .url
        .rsplit_once('/')
        .map_or(options.url.as_str(), |(path, _)| path);
    writeln!(
        out,
        "Talking to {shown}/<key> as Retell would (call {call_id})."
    )?;
    let send = |message: Value| Message::text(message.to_string());
    let details =
        json!({"interaction_type": "call_details", "call": {"call_id": call_id, "metadata": {}}});
    socket
        .send(send(details))
        .await
        .map_err(|e| ChatError::Server(format!("the socket broke: {e}")))?;
    let mut interrupts = Interrupts::new(options.catch_ctrl_c);
    let mut transcript: Vec<Value> = Vec::new();
    // The config, then the greeting (reply 0).
    while let Some(message) = receive(&mut socket).await? {
        if message["response_type"] == "response" && message["response_id"] == 0 {
            let greeting = message["content"].as_str().unwrap_or_default();
            if greeting.is_empty() {
                writeln!(out, "  (no greeting: the caller speaks first)")?;
            } else {
                writeln!(out, "agent> {greeting}")?;
                transcript.push(json!({"role": "agent", "content": greeting}));
            }
            break;
        }
    }
    let mut lines = input.lines();
    let mut id = 0;
    while let Some(text) = next_line(&mut lines, &mut interrupts, options.interactive, out).await? {
        id += 1;
        transcript.push(json!({"role": "user", "content": text}));
        let asked = json!({"interaction_type": "response_required", "response_id": id, "transcript": transcript});
        socket
            .send(send(asked))
            .await
            .map_err(|e| ChatError::Server(format!("the socket broke: {e}")))?;
        let (said, ended) = read_reply(&mut socket, id, out, &mut interrupts).await?;
        transcript.push(json!({"role": "agent", "content": said}));
        if ended {
            break;
        }
    }
    let _ = socket.close(None).await;
    writeln!(out, "Chat ended.")?;
    Ok(())
}

/// Prints reply `id` as it streams; returns its words and whether it ended the call.
async fn read_reply<W: Write>(
    socket: &mut Socket,
    id: u64,
    out: &mut W,
    interrupts: &mut Interrupts,
) -> Result<(String, bool), ChatError> {
    let sent = Instant::now();
    let mut said = String::new();
    let mut first = None;
    write!(out, "agent> ")?;
    loop {
        let message = tokio::select! {
            message = receive(socket) => message?,
            () = interrupts.next() => {
                writeln!(out, "\n  [interrupted: the next line replaces this reply]")?;
                return Ok((said, false));
            }
        };
        let Some(message) = message else {
            writeln!(out, "\n  [the server closed the socket]")?;
            return Ok((said, true));
        };
        if message["response_type"] != "response" || message["response_id"] != id {
            continue;
        }
        if let Some(piece) = message["content"].as_str().filter(|p| !p.is_empty()) {
            first.get_or_insert_with(|| sent.elapsed());
            said.push_str(piece);
            write!(out, "{piece}")?;
            out.flush()?;
        }
        if message["content_complete"] == true {
            writeln!(out)?;
            let first = first.map_or("no text".to_string(), |d| {
                format!("first text {} ms", d.as_millis())
            });
            writeln!(out, "  ({first}, total {} ms)", sent.elapsed().as_millis())?;
            if let Some(number) = message["transfer_number"].as_str() {
                writeln!(out, "  [the agent transfers the call to {number}]")?;
                return Ok((said, true));
            }
            if message["end_call"] == true {
                writeln!(out, "  [the agent ended the call]")?;
                return Ok((said, true));
            }
            return Ok((said, false));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::socket_url;

    #[test]
    fn a_server_url_becomes_the_agents_socket_and_a_socket_url_is_kept() {
        assert_eq!(
            socket_url("http://127.0.0.1:8080", "default", "k"),
            "ws://127.0.0.1:8080/retell/default/k"
        );
        assert_eq!(
            socket_url("https://x.fly.dev/", "phone", "k"),
            "wss://x.fly.dev/retell/phone/k"
        );
        assert_eq!(
            socket_url("wss://x.fly.dev/retell/phone/k2", "default", "k"),
            "wss://x.fly.dev/retell/phone/k2"
        );
    }
}
