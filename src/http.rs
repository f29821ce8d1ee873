//! Outbound HTTP: the one place that builds `reqwest` clients (the user agent, the connect
//! timeout, `TCP_NODELAY`) and reads a body with a byte cap. Each caller keeps its own
//! client, so pools stay apart where that is deliberate (a slow tool must not hold the
//! model's connections), and adds its own options to [`builder`]. [`error_chain`] says
//! why a request failed, down to the cause.

use std::time::Duration;

/// The `User-Agent` of every request the server and the CLI send.
pub const USER_AGENT: &str = concat!("voicebridge/", env!("CARGO_PKG_VERSION"));

/// The connect timeout of clients that have no setting of their own.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// A client builder with the common options; the caller adds its own and builds it.
pub fn builder(connect_timeout: Duration) -> reqwest::ClientBuilder {
    reqwest::Client::builder()
        .connect_timeout(connect_timeout)
        .tcp_nodelay(true)
        .user_agent(USER_AGENT)
}

/// A client with the common options only (the CLI, tests).
pub fn client() -> Result<reqwest::Client, reqwest::Error> {
    builder(CONNECT_TIMEOUT).build()
}

/// The body, read up to `cap` bytes; true when more was left unread. What the peer sends
/// past the cap is never buffered.
pub async fn read_capped(
    response: &mut reqwest::Response,
    cap: usize,
) -> Result<(Vec<u8>, bool), reqwest::Error> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        let room = cap.saturating_sub(body.len());
        if chunk.len() > room {
            body.extend_from_slice(&chunk[..room]);
            return Ok((body, true));
        }
        body.extend_from_slice(&chunk);
    }
    Ok((body, false))
}

/// `error` with every cause under it (`error sending request: … : Connection refused`),
/// each said once: a client library's top-level message rarely says why, and "connection
/// refused", "name not resolved" and a TLS failure need different fixes.
pub fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let said = cause.to_string();
        if !text.contains(&said) {
            text.push_str(": ");
            text.push_str(&said);
        }
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod chain_tests {
    use super::*;

    #[tokio::test]
    async fn a_refused_connection_says_so() {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("a port");
        let error = client()
            .expect("client")
            .get(format!("http://127.0.0.1:{port}/"))
            .send()
            .await
            .expect_err("nothing listens");
        let said = error_chain(&error);
        assert!(said.contains("Connection refused"), "{said}");
        assert!(!error.to_string().contains("Connection refused"), "{error}");
    }
}
