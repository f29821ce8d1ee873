//! Outbound HTTP: the one place that builds `reqwest` clients (the user agent, the connect
//! timeout, `TCP_NODELAY`) and reads a body with a byte cap. Each caller keeps its own
//! client, so pools stay apart where that is deliberate (a slow tool must not hold the
//! model's connections), and adds its own options to [`builder`].

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
