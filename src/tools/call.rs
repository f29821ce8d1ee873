//! One call of one tool: the model's argument string checked against the schema it saw
//! ([`Tool::arguments`]), then one HTTP request ([`Tool::call`]) whose response becomes text
//! for the model, or a short [`ToolFailure`] safe for the model and the logs.
//!
//! How arguments travel:
//! - each `{name}` in the URL is filled with that argument, percent-encoded as a path
//!   segment (everything but `A-Z a-z 0-9 - . _ ~` is encoded);
//! - `GET` and `DELETE`: the arguments not used in the URL go into the query string,
//!   appended to any query already in the URL (strings as they are, other values as JSON
//!   text; `null`s are left out); there is no body;
//! - `POST`, `PUT` and `PATCH`: the JSON body is *all* the arguments, those used in the URL
//!   included, so the endpoint sees every argument in one predictable place.
//!
//! A templated URL, header value or `[static]` string is rendered for each call with the
//! turn's [`CallContext`]. The URL's placeholders are those of the URL rendered for the
//! call: [`Tool::arguments`] and [`Tool::call`] both render it with the context they get.

use std::time::Duration;

use percent_encoding::utf8_percent_encode;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue, ACCEPT, CONTENT_TYPE};
use reqwest::Url;
use serde_json::{Map, Value};

use super::file::url::{placeholders, UrlPart};
use super::{describe, MIN_SECRET_LEN, SEGMENT};
use super::{Method, Tool};
use crate::secret::Secret;
use crate::template::{CallContext, Now};
use crate::toml_file::cut;

/// The `Accept` header of every tool call.
const ACCEPT_VALUE: &str = "application/json, text/plain;q=0.9, */*;q=0.5";
/// The longest argument error given back to the model.
const MAX_ARGUMENT_ERROR_CHARS: usize = 300;
/// The longest piece of an error response's body quoted in a [`ToolFailure`].
const MAX_ERROR_BODY_CHARS: usize = 200;
/// How much of an error response's body is read at most.
const MAX_ERROR_BODY_BYTES: usize = 1024;

/// Why a tool call failed, in a form the model and the logs may see.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ToolFailure {
    /// The kind of failure, for metrics and logs.
    pub kind: ToolFailureKind,
    /// A short message with no secret in it, like `HTTP 503` or `timed out after 3000 ms`.
    pub message: String,
}

/// The kinds of [`ToolFailure`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ToolFailureKind {
    /// The endpoint answered with a status other than 2xx.
    Status,
    /// The whole call took longer than the tool's timeout.
    Timeout,
    /// No response: the connection failed (or the request could not be made at all).
    Connection,
}

impl ToolFailureKind {
    /// A stable label: `http_error`, `timeout` or `connection_error`.
    pub fn as_str(self) -> &'static str {
        match self {
            ToolFailureKind::Status => "http_error",
            ToolFailureKind::Timeout => "timeout",
            ToolFailureKind::Connection => "connection_error",
        }
    }
}

impl ToolFailure {
    fn new(kind: ToolFailureKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
        }
    }

    fn timeout(timeout: Duration) -> Self {
        Self::new(
            ToolFailureKind::Timeout,
            format!("timed out after {} ms", timeout.as_millis()),
        )
    }

    fn connection(message: impl Into<String>) -> Self {
        Self::new(ToolFailureKind::Connection, message)
    }
}

/// An argument as text: strings as they are, anything else as JSON text.
fn plain(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Why `value` cannot fill the URL placeholder `name`, if it cannot.
fn placeholder_problem(name: &str, value: Option<&Value>) -> Option<String> {
    match value {
        None | Some(Value::Null) => Some(format!("missing argument \"{name}\" for the URL")),
        // `.` and `..` would move up the URL's path even when percent-encoded.
        Some(value) if matches!(plain(value).as_str(), "." | "..") => Some(format!(
            "argument \"{name}\" cannot be \".\" or \"..\" in the URL"
        )),
        Some(_) => None,
    }
}

/// The name of a JSON value's type, for error messages.
fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

impl Tool {
    /// Parses the model's argument string (JSON; an empty or whitespace-only string counts
    /// as `{}`), checks it is an object and valid against the schema the model saw, then
    /// applies `[static]` (static arguments override the model's; they are removed from the
    /// model's arguments before the schema check; a templated static string is rendered
    /// with `context` and `now`) and checks every placeholder of the URL, as rendered with
    /// `context`, has a value. `Err` is a short message safe to give the model (at most
    /// about 300 characters, never a header or static value).
    pub fn arguments(
        &self,
        raw: &str,
        context: &CallContext,
        now: &Now,
    ) -> Result<Map<String, Value>, String> {
        let mut arguments = if raw.trim().is_empty() {
            Map::new()
        } else {
            match serde_json::from_str::<Value>(raw) {
                Ok(Value::Object(map)) => map,
                Ok(other) => {
                    return Err(format!(
                        "arguments must be a JSON object, not {}",
                        type_name(&other)
                    ))
                }
                Err(e) => {
                    return Err(cut(
                        &format!("arguments are not valid JSON: {e}"),
                        MAX_ARGUMENT_ERROR_CHARS,
                    ))
                }
            }
        };
        for key in self.statics.keys() {
            arguments.remove(key);
        }
        let instance = Value::Object(arguments);
        if let Err(e) = self.validator.validate(&instance) {
            return Err(cut(
                &format!("arguments do not match the schema: {}", describe(&e)),
                MAX_ARGUMENT_ERROR_CHARS,
            ));
        }
        let Value::Object(mut arguments) = instance else {
            return Err("arguments must be a JSON object".into());
        };
        for (key, value) in &self.statics {
            arguments.insert(key.clone(), value.clone());
        }
        for (key, template) in &self.static_templates {
            arguments.insert(key.clone(), Value::String(template.render(context, now)));
        }
        let parts = self.url_parts(context, now)?;
        for name in placeholders(&parts) {
            if let Some(problem) = placeholder_problem(name, arguments.get(name)) {
                return Err(problem);
            }
        }
        Ok(arguments)
    }

    /// Calls the endpoint once validated arguments are known (the output of
    /// [`Tool::arguments`]). The whole call, reading the response included, is bounded by
    /// [`Tool::timeout`]. A tool that is not [`Tool::mutating`] is tried once more after a
    /// connection failure, within the same timeout; a mutating one never is.
    ///
    /// `Ok` is the response body as text (lossy UTF-8), cut to `max_chars` characters with
    /// a note saying so, or `OK (HTTP 204, no content)` for an empty body. A URL that cannot
    /// be built from `arguments` (a placeholder without a value) is a
    /// [`ToolFailureKind::Connection`] failure: no request is made. An `idempotency_key`
    /// that is no valid header value is not sent.
    ///
    /// Templates (the URL, header values) are rendered with `context` and `now`; a rendered
    /// header value that is no valid header value is left out, with a warning naming the
    /// tool and the header only.
    pub async fn call(
        &self,
        http: &reqwest::Client,
        arguments: &Map<String, Value>,
        idempotency_key: Option<&str>,
        max_chars: usize,
        context: &CallContext,
        now: &Now,
    ) -> Result<String, ToolFailure> {
        let url = self.request_url(arguments, context, now)?;
        let body = if self.method.has_body() {
            Some(serde_json::to_vec(arguments).map_err(|_| {
                ToolFailure::connection("the arguments could not be written as JSON")
            })?)
        } else {
            None
        };
        let headers = self.request_headers(body.is_some(), idempotency_key, context, now);
        let attempts = self.attempts(http, url, headers, body, max_chars);
        tokio::time::timeout(self.timeout, attempts)
            .await
            .unwrap_or_else(|_| Err(ToolFailure::timeout(self.timeout)))
    }

    /// The URL with placeholders filled and, for methods without a body, the other
    /// arguments in the query string.
    fn request_url(
        &self,
        arguments: &Map<String, Value>,
        context: &CallContext,
        now: &Now,
    ) -> Result<Url, ToolFailure> {
        let parts = self
            .url_parts(context, now)
            .map_err(ToolFailure::connection)?;
        let mut text = String::new();
        let mut used = Vec::new();
        for part in parts.iter() {
            match part {
                UrlPart::Literal(literal) => text.push_str(literal.expose()),
                UrlPart::Placeholder(name) => {
                    let value = arguments.get(name);
                    if let Some(problem) = placeholder_problem(name, value) {
                        return Err(ToolFailure::connection(problem));
                    }
                    let value = value.map(plain).unwrap_or_default();
                    text.extend(utf8_percent_encode(&value, SEGMENT));
                    used.push(name.as_str());
                }
            }
        }
        let mut url = Url::parse(&text).map_err(|_| {
            ToolFailure::connection("the URL could not be built from the arguments")
        })?;
        if !self.method.has_body() {
            let rest: Vec<(&String, &Value)> = arguments
                .iter()
                .filter(|(key, value)| !used.contains(&key.as_str()) && !value.is_null())
                .collect();
            if !rest.is_empty() {
                let mut query = url.query_pairs_mut();
                for (key, value) in rest {
                    query.append_pair(key, &plain(value));
                }
            }
        }
        Ok(url)
    }

    /// `Accept`, `Content-Type` (with a body), the file's headers (templates rendered;
    /// marked sensitive; they may replace the first two) and `Idempotency-Key`.
    fn request_headers(
        &self,
        json_body: bool,
        idempotency_key: Option<&str>,
        context: &CallContext,
        now: &Now,
    ) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(ACCEPT, HeaderValue::from_static(ACCEPT_VALUE));
        if json_body {
            headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        }
        for (name, text) in &self.headers {
            // A fixed value was checked at load; a rendered one is checked here.
            match HeaderValue::from_str(&text.render(context, now)) {
                Ok(mut value) => {
                    value.set_sensitive(true);
                    headers.insert(name.clone(), value);
                }
                Err(_) => tracing::warn!(
                    tool = %self.name,
                    header = %name,
                    "the header's value is not a valid HTTP header value; it is not sent"
                ),
            }
        }
        if let Some(Ok(key)) = idempotency_key.map(HeaderValue::from_str) {
            headers.insert(HeaderName::from_static("idempotency-key"), key);
        }
        headers
    }

    /// Sends the request, once more after a connection failure when the tool is not
    /// mutating, and reads the response.
    async fn attempts(
        &self,
        http: &reqwest::Client,
        url: Url,
        headers: HeaderMap,
        body: Option<Vec<u8>>,
        max_chars: usize,
    ) -> Result<String, ToolFailure> {
        let method = match self.method {
            Method::Get => reqwest::Method::GET,
            Method::Post => reqwest::Method::POST,
            Method::Put => reqwest::Method::PUT,
            Method::Patch => reqwest::Method::PATCH,
            Method::Delete => reqwest::Method::DELETE,
        };
        let mut retries_left = if self.mutating { 0 } else { 1 };
        loop {
            let mut request = http
                .request(method.clone(), url.clone())
                .headers(headers.clone());
            if let Some(body) = &body {
                request = request.body(body.clone());
            }
            match request.send().await {
                Ok(response) => return self.read_response(response, &headers, max_chars).await,
                Err(e) if e.is_timeout() => return Err(ToolFailure::timeout(self.timeout)),
                Err(_) if retries_left > 0 => retries_left -= 1,
                Err(_) => return Err(ToolFailure::connection("connection failed")),
            }
        }
    }
}

/// True for a content type whose body may be quoted in an error: plain text or JSON.
fn is_quotable(content_type: Option<&HeaderValue>) -> bool {
    let Some(essence) = content_type
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .map(|essence| essence.trim().to_ascii_lowercase())
    else {
        return false;
    };
    essence == "text/plain" || essence == "application/json" || essence.ends_with("+json")
}

impl Tool {
    /// The response as the model's text, or a [`ToolFailureKind::Status`] failure.
    /// `sent` are the request's headers, whose sensitive values are redacted from a quoted
    /// error body.
    async fn read_response(
        &self,
        mut response: reqwest::Response,
        sent: &HeaderMap,
        max_chars: usize,
    ) -> Result<String, ToolFailure> {
        let status = response.status();
        if status.is_success() {
            // An endpoint that echoes the request must not hand the model a secret either.
            return read_success(response, max_chars)
                .await
                .map(|text| redact(sent, &self.secrets, text));
        }
        let mut message = format!("HTTP {}", status.as_u16());
        if is_quotable(response.headers().get(CONTENT_TYPE)) {
            if let Ok((body, _)) =
                crate::http::read_capped(&mut response, MAX_ERROR_BODY_BYTES).await
            {
                let text = String::from_utf8_lossy(&body);
                let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
                let text = redact(sent, &self.secrets, text);
                if !text.is_empty() {
                    message.push_str(": ");
                    message.push_str(&cut(&text, MAX_ERROR_BODY_CHARS));
                }
            }
        }
        Err(ToolFailure::new(ToolFailureKind::Status, message))
    }
}

/// `text` with any secret of this call replaced by `[redacted]`: the sensitive header
/// values of `sent` (templates as rendered for the call; whole, or the last word, like the
/// token after `Bearer`) and the tool file's secret `${VAR}` values (`file::secrets`
/// says which, and in which encodings). An endpoint that echoes the request must not put
/// a secret into what the model reads.
fn redact(sent: &HeaderMap, secrets: &[Secret], mut text: String) -> String {
    let headers = sent
        .values()
        .filter(|value| value.is_sensitive())
        .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned());
    for value in headers {
        let last_word = value.split_whitespace().next_back().unwrap_or(&value);
        for secret in [value.as_str(), last_word] {
            if secret.len() >= MIN_SECRET_LEN && text.contains(secret) {
                text = text.replace(secret, "[redacted]");
            }
        }
    }
    for secret in secrets {
        if text.contains(secret.expose()) {
            text = text.replace(secret.expose(), "[redacted]");
        }
    }
    text
}

/// A 2xx response's body as the model's text.
async fn read_success(
    mut response: reqwest::Response,
    max_chars: usize,
) -> Result<String, ToolFailure> {
    let status = response.status();
    let cap = max_chars.saturating_mul(4).saturating_add(1024);
    let (body, _) = crate::http::read_capped(&mut response, cap)
        .await
        .map_err(|_| ToolFailure::connection("connection failed while reading the response"))?;
    let text = String::from_utf8_lossy(&body);
    if text.trim().is_empty() {
        return Ok(format!("OK (HTTP {}, no content)", status.as_u16()));
    }
    // The cap holds more than `max_chars` characters, so a body cut by it is cut here too.
    Ok(match text.char_indices().nth(max_chars) {
        Some((end, _)) => format!(
            "{}\n[cut: the result was longer than {max_chars} characters]",
            &text[..end]
        ),
        None => text.into_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::template::CallContext;
    use crate::tools::file::parse_tool;
    use std::net::SocketAddr;
    use std::path::Path;
    use std::sync::{Arc, Mutex};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::{TcpListener, TcpStream};

    const KEY: &str = "sk-test-secret-987";

    fn env(name: &str) -> Option<String> {
        match name {
            "API_KEY" => Some(KEY.to_string()),
            "STORE_ID" => Some("12345678".to_string()),
            "WEIRD_TOKEN" => Some("abc-def_ghi==/x y".to_string()),
            "API_BASE" => Some("http://127.0.0.1:9".to_string()),
            _ => None,
        }
    }

    fn tool(text: &str) -> Tool {
        parse_tool(Path::new("tools/t.toml"), "t", text, &env).expect("tool loads")
    }

    /// The context of a call with nothing known about the caller.
    fn ctx() -> CallContext {
        CallContext::default()
    }

    fn client() -> reqwest::Client {
        reqwest::Client::builder()
            .no_proxy()
            .build()
            .expect("client")
    }

    /// What the test server does with one connection.
    enum Reply {
        /// Read the request, then close without answering.
        Close,
        /// Wait, then answer.
        Answer {
            delay: Duration,
            status: u16,
            content_type: &'static str,
            body: Vec<u8>,
        },
    }

    fn answer(status: u16, content_type: &'static str, body: impl Into<Vec<u8>>) -> Reply {
        Reply::Answer {
            delay: Duration::ZERO,
            status,
            content_type,
            body: body.into(),
        }
    }

    /// A tiny HTTP/1.1 server on 127.0.0.1: one request per connection; records each
    /// request (head and body) as text.
    struct Server {
        addr: SocketAddr,
        requests: Arc<Mutex<Vec<String>>>,
    }

    impl Server {
        async fn start(reply: impl Fn(usize) -> Reply + Send + Sync + 'static) -> Server {
            let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
            let addr = listener.local_addr().expect("addr");
            let requests = Arc::new(Mutex::new(Vec::new()));
            let seen = requests.clone();
            let reply = Arc::new(reply);
            tokio::spawn(async move {
                let mut index = 0;
                while let Ok((stream, _)) = listener.accept().await {
                    let reply = reply.clone();
                    let seen = seen.clone();
                    let this = index;
                    index += 1;
                    tokio::spawn(async move {
                        handle(stream, reply(this), seen).await;
                    });
                }
            });
            Server { addr, requests }
        }

        fn url(&self, path: &str) -> String {
            format!("http://{}{path}", self.addr)
        }

        fn requests(&self) -> Vec<String> {
            self.requests.lock().expect("lock").clone()
        }
    }

    async fn handle(mut stream: TcpStream, reply: Reply, seen: Arc<Mutex<Vec<String>>>) {
        let mut data = Vec::new();
        let mut buf = [0u8; 4096];
        let head_end = loop {
            if let Some(i) = data.windows(4).position(|w| w == b"\r\n\r\n") {
                break i + 4;
            }
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => data.extend_from_slice(&buf[..n]),
            }
        };
        let head = String::from_utf8_lossy(&data[..head_end]).to_ascii_lowercase();
        let length: usize = head
            .lines()
            .find_map(|line| line.strip_prefix("content-length:"))
            .and_then(|n| n.trim().parse().ok())
            .unwrap_or(0);
        while data.len() < head_end + length {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => data.extend_from_slice(&buf[..n]),
            }
        }
        seen.lock()
            .expect("lock")
            .push(String::from_utf8_lossy(&data).into_owned());
        match reply {
            Reply::Close => {}
            Reply::Answer {
                delay,
                status,
                content_type,
                body,
            } => {
                tokio::time::sleep(delay).await;
                let mut response = format!(
                    "HTTP/1.1 {status} Whatever\r\nContent-Length: {}\r\nConnection: close\r\n",
                    body.len()
                );
                if !content_type.is_empty() {
                    response.push_str(&format!("Content-Type: {content_type}\r\n"));
                }
                response.push_str("\r\n");
                let _ = stream.write_all(response.as_bytes()).await;
                let _ = stream.write_all(&body).await;
                let _ = stream.shutdown().await;
            }
        }
    }

    fn get_order(url: &str) -> Tool {
        tool(&format!(
            r#"
description = "Look up an order."
url = "{url}"
timeout_ms = 3000
[headers]
Authorization = "Bearer ${{API_KEY}}"
[parameters]
type = "object"
required = ["order_id"]
[parameters.properties.order_id]
type = "string"
[parameters.properties.verbose]
type = "boolean"
[parameters.properties.note]
type = "string"
"#
        ))
    }

    // ---- arguments()

    #[test]
    fn empty_arguments_are_an_empty_object() {
        let t = tool("description = \"d\"\nurl = \"https://x.example\"\n");
        assert_eq!(t.arguments("", &ctx(), &Now::utc()), Ok(Map::new()));
        assert_eq!(t.arguments("  \n", &ctx(), &Now::utc()), Ok(Map::new()));
        assert_eq!(t.arguments("{}", &ctx(), &Now::utc()), Ok(Map::new()));
    }

    #[test]
    fn arguments_must_be_a_json_object() {
        let t = tool("description = \"d\"\nurl = \"https://x.example\"\n");
        let e = t
            .arguments("{\"a\": ", &ctx(), &Now::utc())
            .expect_err("invalid");
        assert!(e.starts_with("arguments are not valid JSON: "), "{e}");
        assert_eq!(
            t.arguments("[1, 2]", &ctx(), &Now::utc()),
            Err("arguments must be a JSON object, not an array".to_string())
        );
        assert_eq!(
            t.arguments("\"x\"", &ctx(), &Now::utc()),
            Err("arguments must be a JSON object, not a string".to_string())
        );
        let long = format!("{{\"a\": \"{}", "x".repeat(1000));
        assert!(
            t.arguments(&long, &ctx(), &Now::utc())
                .expect_err("invalid")
                .chars()
                .count()
                <= 301
        );
    }

    #[test]
    fn arguments_are_checked_against_the_schema() {
        let t = get_order("https://x.example/orders/{order_id}");
        assert_eq!(
            t.arguments("{}", &ctx(), &Now::utc()),
            Err("arguments do not match the schema: \"order_id\" is a required property".into())
        );
        let e = t
            .arguments(r#"{"order_id": 17}"#, &ctx(), &Now::utc())
            .expect_err("wrong type");
        assert!(
            e.starts_with("arguments do not match the schema: at /order_id: 17"),
            "{e}"
        );
        assert!(!e.contains(KEY));
        let ok = t
            .arguments(
                r#"{"order_id": "A17", "verbose": true}"#,
                &ctx(),
                &Now::utc(),
            )
            .expect("valid");
        assert_eq!(ok["order_id"], "A17");
        assert_eq!(ok["verbose"], true);
    }

    #[test]
    fn static_arguments_override_the_model() {
        let t = tool(
            r#"
description = "d"
method = "POST"
url = "https://x.example/{tenant}/tickets"
[static]
tenant = "acme"
token = "${API_KEY}"
[parameters]
type = "object"
additionalProperties = false
required = ["subject"]
properties = { subject = { type = "string" }, tenant = { type = "string" } }
"#,
        );
        let args = t
            .arguments(
                r#"{"subject": "help", "tenant": "evil", "token": "mine"}"#,
                &ctx(),
                &Now::utc(),
            )
            .expect("valid");
        assert_eq!(args["tenant"], "acme");
        assert_eq!(args["token"], KEY);
        assert_eq!(args["subject"], "help");
        let e = t
            .arguments(r#"{"subject": 3}"#, &ctx(), &Now::utc())
            .expect_err("wrong type");
        assert!(!e.contains(KEY), "{e}");
    }

    #[test]
    fn a_url_placeholder_needs_a_value() {
        let t = tool(
            r#"
description = "d"
url = "https://x.example/orders/{order_id}"
[parameters]
type = "object"
properties = { order_id = { type = ["string", "null"] } }
"#,
        );
        let missing = Err("missing argument \"order_id\" for the URL".to_string());
        assert_eq!(t.arguments("{}", &ctx(), &Now::utc()), missing);
        assert_eq!(
            t.arguments(r#"{"order_id": null}"#, &ctx(), &Now::utc()),
            missing
        );
        assert_eq!(
            t.arguments(r#"{"order_id": ".."}"#, &ctx(), &Now::utc()),
            Err("argument \"order_id\" cannot be \".\" or \"..\" in the URL".to_string())
        );
        assert!(t
            .arguments(r#"{"order_id": "A17"}"#, &ctx(), &Now::utc())
            .is_ok());
    }

    #[test]
    fn failure_kinds_have_stable_labels() {
        assert_eq!(ToolFailureKind::Status.as_str(), "http_error");
        assert_eq!(ToolFailureKind::Timeout.as_str(), "timeout");
        assert_eq!(ToolFailureKind::Connection.as_str(), "connection_error");
    }

    // ---- call()

    #[tokio::test]
    async fn get_fills_the_path_and_the_query_and_sends_the_headers() {
        let server =
            Server::start(|_| answer(200, "application/json", r#"{"status":"shipped"}"#)).await;
        let t = get_order(&server.url("/orders/{order_id}?v=2"));
        let args = t
            .arguments(
                r#"{"order_id": "A 17/x", "verbose": true, "note": "a&b c"}"#,
                &ctx(),
                &Now::utc(),
            )
            .expect("valid");
        let result = t
            .call(&client(), &args, Some("key-123"), 1000, &ctx(), &Now::utc())
            .await
            .expect("ok");
        assert_eq!(result, r#"{"status":"shipped"}"#);
        let requests = server.requests();
        assert_eq!(requests.len(), 1);
        let request = &requests[0];
        let first_line = request.lines().next().expect("request line");
        assert_eq!(
            first_line,
            "GET /orders/A%2017%2Fx?v=2&note=a%26b+c&verbose=true HTTP/1.1"
        );
        let lower = request.to_ascii_lowercase();
        assert!(lower.contains(&format!(
            "authorization: bearer {}",
            KEY.to_ascii_lowercase()
        )));
        assert!(lower.contains("idempotency-key: key-123"), "{request}");
        assert!(
            lower.contains("accept: application/json, text/plain;q=0.9, */*;q=0.5"),
            "{request}"
        );
        assert!(!lower.contains("content-type"), "{request}");
    }

    #[tokio::test]
    async fn post_sends_all_arguments_as_json() {
        let server = Server::start(|_| answer(201, "text/plain", "created")).await;
        let t = tool(&format!(
            r#"
description = "d"
method = "POST"
url = "{}"
[static]
source = "voice"
[parameters]
type = "object"
properties = {{ id = {{ type = "string" }}, qty = {{ type = "integer" }} }}
"#,
            server.url("/items/{id}")
        ));
        let args = t
            .arguments(r#"{"id": "x1", "qty": 2}"#, &ctx(), &Now::utc())
            .expect("valid");
        let result = t
            .call(&client(), &args, None, 1000, &ctx(), &Now::utc())
            .await
            .expect("ok");
        assert_eq!(result, "created");
        let request = &server.requests()[0];
        assert!(
            request.starts_with("POST /items/x1 HTTP/1.1\r\n"),
            "{request}"
        );
        assert!(request
            .to_ascii_lowercase()
            .contains("content-type: application/json"));
        assert!(!request.to_ascii_lowercase().contains("idempotency-key"));
        let body = request.split("\r\n\r\n").nth(1).expect("body");
        let body: Value = serde_json::from_str(body).expect("json body");
        assert_eq!(
            body,
            serde_json::json!({"id": "x1", "qty": 2, "source": "voice"})
        );
    }

    #[tokio::test]
    async fn a_non_2xx_status_is_a_short_failure() {
        let server = Server::start(|i| match i {
            0 => answer(404, "application/json", "{\"error\":\"no such order\"}\n"),
            1 => answer(503, "text/html", "<html>busy</html>"),
            _ => answer(500, "text/plain", "x".repeat(5000)),
        })
        .await;
        let t = get_order(&server.url("/orders/{order_id}"));
        let args = t
            .arguments(r#"{"order_id": "A17"}"#, &ctx(), &Now::utc())
            .expect("valid");
        let e = t
            .call(&client(), &args, None, 1000, &ctx(), &Now::utc())
            .await
            .expect_err("404");
        assert_eq!(
            e,
            ToolFailure {
                kind: ToolFailureKind::Status,
                message: "HTTP 404: {\"error\":\"no such order\"}".into()
            }
        );
        let e = t
            .call(&client(), &args, None, 1000, &ctx(), &Now::utc())
            .await
            .expect_err("503");
        assert_eq!(e.message, "HTTP 503");
        let e = t
            .call(&client(), &args, None, 1000, &ctx(), &Now::utc())
            .await
            .expect_err("500");
        assert_eq!(e.message, format!("HTTP 500: {}…", "x".repeat(200)));
    }

    #[tokio::test]
    async fn an_error_body_echoing_a_header_value_is_redacted() {
        let server = Server::start(|i| match i {
            0 => answer(401, "text/plain", format!("bad token: {KEY}")),
            _ => answer(
                400,
                "application/json",
                format!("{{\"got\":\"Bearer {KEY}\"}}"),
            ),
        })
        .await;
        let t = get_order(&server.url("/orders/{order_id}"));
        let args = t
            .arguments(r#"{"order_id": "A17"}"#, &ctx(), &Now::utc())
            .expect("valid");
        let e = t
            .call(&client(), &args, None, 1000, &ctx(), &Now::utc())
            .await
            .expect_err("401");
        assert_eq!(e.message, "HTTP 401: bad token: [redacted]");
        let e = t
            .call(&client(), &args, None, 1000, &ctx(), &Now::utc())
            .await
            .expect_err("400");
        assert_eq!(e.message, "HTTP 400: {\"got\":\"[redacted]\"}");
    }

    #[tokio::test]
    async fn a_secret_in_the_url_or_static_values_echoed_back_is_redacted() {
        let server = Server::start(|i| match i {
            0 => answer(
                400,
                "application/json",
                format!("{{\"error\":\"bad request\",\"url\":\"/x?api_key={KEY}\"}}"),
            ),
            _ => answer(
                200,
                "application/json",
                format!("{{\"echo\":{{\"token\":\"{KEY}-{KEY}\",\"id\":\"A17\"}}}}"),
            ),
        })
        .await;
        let t = tool(&format!(
            "description = \"d\"\nmethod = \"POST\"\nurl = \"{}?api_key=${{API_KEY}}\"\n\
             [static]\ntoken = \"${{API_KEY}}-${{API_KEY}}\"\n",
            server.url("/x")
        ));
        let args = t.arguments("{}", &ctx(), &Now::utc()).expect("valid");
        let e = t
            .call(&client(), &args, None, 1000, &ctx(), &Now::utc())
            .await
            .expect_err("400");
        assert_eq!(
            e.message,
            "HTTP 400: {\"error\":\"bad request\",\"url\":\"/x?api_key=[redacted]\"}"
        );
        let body = t
            .call(&client(), &args, None, 1000, &ctx(), &Now::utc())
            .await
            .expect("200");
        assert_eq!(
            body, "{\"echo\":{\"token\":\"[redacted]-[redacted]\",\"id\":\"A17\"}}",
            "a success body echoing a static secret"
        );
    }

    #[test]
    fn a_secret_is_also_redacted_as_the_request_encodes_it() {
        let t = tool("description = \"d\"\nurl = \"http://127.0.0.1:9/x?t=${WEIRD_TOKEN}\"\n");
        let kept: Vec<&str> = t.secrets.iter().map(Secret::expose).collect();
        assert_eq!(
            kept,
            [
                "abc-def_ghi%3D%3D%2Fx%20y",
                "abc-def_ghi%3D%3D%2Fx+y",
                "abc-def_ghi==/x y"
            ],
            "as written, in a path segment and in a query"
        );
    }

    #[test]
    fn only_secret_looking_or_query_values_are_kept_for_redaction() {
        let t = tool(
            "description = \"d\"\nmethod = \"POST\"\n\
             url = \"${API_BASE}/stores/${STORE_ID}?k=${STORE_ID}\"\n\
             [static]\nstore = \"${STORE_ID}\"\nkey = \"${API_KEY}\"\n",
        );
        let kept: Vec<&str> = t.secrets.iter().map(Secret::expose).collect();
        // STORE_ID is in the query (so kept); API_BASE only makes up the host (not kept);
        // API_KEY is named as a secret (its encodings are the same text).
        assert_eq!(kept, ["sk-test-secret-987", "12345678"]);
        let plain = tool(
            "description = \"d\"\nmethod = \"POST\"\nurl = \"${API_BASE}/stores/${STORE_ID}\"\n\
             [static]\nstore = \"${STORE_ID}\"\n",
        );
        assert!(
            plain.secrets.is_empty(),
            "ids and base URLs are repeated as they are"
        );
        // A GET sends its static values in the query: kept.
        let get = tool(
            "description = \"d\"\nurl = \"${API_BASE}/stores\"\n[static]\nstore = \"${STORE_ID}\"\n",
        );
        let kept: Vec<&str> = get.secrets.iter().map(Secret::expose).collect();
        assert_eq!(kept, ["12345678"]);
    }

    #[tokio::test]
    async fn a_slow_endpoint_times_out() {
        let server = Server::start(|_| Reply::Answer {
            delay: Duration::from_secs(3),
            status: 200,
            content_type: "text/plain",
            body: b"late".to_vec(),
        })
        .await;
        let t = tool(&format!(
            "description = \"d\"\nurl = \"{}\"\ntimeout_ms = 200\n",
            server.url("/slow")
        ));
        let started = std::time::Instant::now();
        let e = t
            .call(&client(), &Map::new(), None, 1000, &ctx(), &Now::utc())
            .await
            .expect_err("timeout");
        assert_eq!(
            e,
            ToolFailure {
                kind: ToolFailureKind::Timeout,
                message: "timed out after 200 ms".into()
            }
        );
        assert!(started.elapsed() < Duration::from_secs(2));
    }

    #[tokio::test]
    async fn a_closed_port_is_a_connection_failure() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("addr");
        drop(listener);
        let t = tool(&format!("description = \"d\"\nurl = \"http://{addr}/x\"\n"));
        let e = t
            .call(&client(), &Map::new(), None, 1000, &ctx(), &Now::utc())
            .await
            .expect_err("refused");
        assert_eq!(
            e,
            ToolFailure {
                kind: ToolFailureKind::Connection,
                message: "connection failed".into()
            }
        );
    }

    #[tokio::test]
    async fn a_read_only_tool_is_retried_once_after_a_dropped_connection() {
        let server = Server::start(|i| {
            if i == 0 {
                Reply::Close
            } else {
                answer(200, "application/json", "{\"ok\":true}")
            }
        })
        .await;
        let t = get_order(&server.url("/orders/{order_id}"));
        let args = t
            .arguments(r#"{"order_id": "A17"}"#, &ctx(), &Now::utc())
            .expect("valid");
        let result = t
            .call(&client(), &args, None, 1000, &ctx(), &Now::utc())
            .await
            .expect("retried");
        assert_eq!(result, "{\"ok\":true}");
        assert_eq!(server.requests().len(), 2);
    }

    #[tokio::test]
    async fn a_mutating_tool_is_never_retried() {
        let server = Server::start(|i| {
            if i == 0 {
                Reply::Close
            } else {
                answer(200, "application/json", "{\"ok\":true}")
            }
        })
        .await;
        let t = tool(&format!(
            "description = \"d\"\nmethod = \"POST\"\nurl = \"{}\"\n",
            server.url("/pay")
        ));
        let e = t
            .call(
                &client(),
                &Map::new(),
                Some("k1"),
                1000,
                &ctx(),
                &Now::utc(),
            )
            .await
            .expect_err("not retried");
        assert_eq!(e.kind, ToolFailureKind::Connection);
        assert_eq!(e.message, "connection failed");
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert_eq!(server.requests().len(), 1);
    }

    #[tokio::test]
    async fn a_long_body_is_cut_at_max_chars() {
        let server = Server::start(|i| match i {
            0 => answer(200, "text/plain", "é".repeat(50)),
            _ => answer(200, "text/plain", vec![b'a'; 2_000_000]),
        })
        .await;
        let t = tool(&format!(
            "description = \"d\"\nurl = \"{}\"\n",
            server.url("/big")
        ));
        let result = t
            .call(&client(), &Map::new(), None, 10, &ctx(), &Now::utc())
            .await
            .expect("ok");
        assert_eq!(
            result,
            format!(
                "{}\n[cut: the result was longer than 10 characters]",
                "é".repeat(10)
            )
        );
        let result = t
            .call(&client(), &Map::new(), None, 100, &ctx(), &Now::utc())
            .await
            .expect("ok");
        assert_eq!(
            result,
            format!(
                "{}\n[cut: the result was longer than 100 characters]",
                "a".repeat(100)
            )
        );
    }

    #[tokio::test]
    async fn an_empty_body_says_so() {
        let server = Server::start(|i| match i {
            0 => answer(204, "", ""),
            _ => answer(200, "application/json", ""),
        })
        .await;
        let t = tool(&format!(
            "description = \"d\"\nmethod = \"DELETE\"\nurl = \"{}\"\n",
            server.url("/orders/{id}")
        ));
        let mut args = Map::new();
        args.insert("id".into(), Value::from(7));
        args.insert("reason".into(), Value::from("dup"));
        let result = t
            .call(&client(), &args, None, 100, &ctx(), &Now::utc())
            .await
            .expect("ok");
        assert_eq!(result, "OK (HTTP 204, no content)");
        assert!(server.requests()[0].starts_with("DELETE /orders/7?reason=dup HTTP/1.1"));
        let result = t
            .call(&client(), &args, None, 100, &ctx(), &Now::utc())
            .await
            .expect("ok");
        assert_eq!(result, "OK (HTTP 200, no content)");
    }

    // ---- templates

    const CRM: &str = r#"
description = "Look up the caller's account."
url = "{base}/accounts/{{ metadata.account_id }}/orders/{order_id}"
[headers]
Authorization = "Bearer ${API_KEY}"
X-Caller = "{{ from_phone_number | default('web') }}"
[static]
agent = "{{ agent }}"
conversation = "{{ conversation_id }}"
[parameters]
type = "object"
required = ["order_id"]
[parameters.properties.order_id]
type = "string"
"#;

    fn crm(server: &Server) -> Tool {
        tool(&CRM.replace("{base}", &server.url("")))
    }

    fn caller(from: Option<&str>) -> CallContext {
        let mut metadata = Map::new();
        metadata.insert("account_id".into(), Value::from("acc_7"));
        CallContext {
            metadata,
            from_phone_number: from.map(str::to_string),
            conversation_id: "conv_1".into(),
            agent: "sales".into(),
            ..CallContext::default()
        }
    }

    fn header<'a>(request: &'a str, name: &str) -> Option<&'a str> {
        request.lines().find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.eq_ignore_ascii_case(name).then(|| value.trim())
        })
    }

    #[tokio::test]
    async fn templates_are_rendered_with_the_callers_context() {
        let server = Server::start(|_| answer(200, "application/json", "{}")).await;
        let t = crm(&server);
        let now = Now::utc();
        for (from, expected) in [(Some("+15550100"), "+15550100"), (None, "web")] {
            let context = caller(from);
            let args = t
                .arguments(
                    r#"{"order_id": "A 17", "agent": "x", "conversation": "y"}"#,
                    &context,
                    &now,
                )
                .expect("valid");
            assert_eq!(args["agent"], "sales");
            assert_eq!(args["conversation"], "conv_1");
            t.call(&client(), &args, None, 1000, &context, &now)
                .await
                .expect("ok");
            let requests = server.requests();
            let request = requests.last().expect("a request");
            let target = request
                .lines()
                .next()
                .and_then(|line| line.split(' ').nth(1))
                .expect("request target");
            let (path, query) = target.split_once('?').expect("a query");
            assert_eq!(path, "/accounts/acc_7/orders/A%2017");
            let mut pairs: Vec<&str> = query.split('&').collect();
            pairs.sort_unstable();
            assert_eq!(pairs, ["agent=sales", "conversation=conv_1"]);
            assert_eq!(header(request, "x-caller"), Some(expected));
            assert_eq!(
                header(request, "authorization"),
                Some(format!("Bearer {KEY}").as_str())
            );
        }
    }

    #[tokio::test]
    async fn a_value_in_a_url_template_cannot_change_the_urls_shape() {
        let server = Server::start(|_| answer(200, "text/plain", "ok")).await;
        let t = crm(&server);
        let now = Now::utc();
        let mut context = caller(None);
        context
            .metadata
            .insert("account_id".into(), Value::from("a/b?c#{order_id}"));
        let args = t
            .arguments(r#"{"order_id": "A17"}"#, &context, &now)
            .expect("valid");
        t.call(&client(), &args, None, 1000, &context, &now)
            .await
            .expect("ok");
        let request = &server.requests()[0];
        assert!(
            request.starts_with("GET /accounts/a%2Fb%3Fc%23%7Border_id%7D/orders/A17?"),
            "{request}"
        );

        context
            .metadata
            .insert("account_id".into(), Value::from(".."));
        let e = t
            .arguments(r#"{"order_id": "A17"}"#, &context, &now)
            .expect_err("a dot-dot segment");
        assert_eq!(e, "the URL could not be rendered for this call");
        let e = t
            .call(&client(), &args, None, 1000, &context, &now)
            .await
            .expect_err("no request");
        assert_eq!(e.kind, ToolFailureKind::Connection);
        assert_eq!(server.requests().len(), 1);
    }

    #[tokio::test]
    async fn an_invalid_rendered_header_is_left_out() {
        let server = Server::start(|_| answer(200, "text/plain", "ok")).await;
        let t = crm(&server);
        let context = caller(Some("+1555\nX-Evil: 1"));
        let now = Now::utc();
        let args = t
            .arguments(r#"{"order_id": "A17"}"#, &context, &now)
            .expect("valid");
        t.call(&client(), &args, None, 1000, &context, &now)
            .await
            .expect("sent without the header");
        let request = &server.requests()[0];
        assert_eq!(header(request, "x-caller"), None, "{request}");
        assert_eq!(header(request, "x-evil"), None, "{request}");
        assert!(header(request, "authorization").is_some());
    }

    #[tokio::test]
    async fn a_rendered_header_value_echoed_in_an_error_is_redacted() {
        let server =
            Server::start(|_| answer(403, "text/plain", "unknown caller +15550123456 here")).await;
        let t = crm(&server);
        let context = caller(Some("+15550123456"));
        let now = Now::utc();
        let args = t
            .arguments(r#"{"order_id": "A17"}"#, &context, &now)
            .expect("valid");
        let e = t
            .call(&client(), &args, None, 1000, &context, &now)
            .await
            .expect_err("403");
        assert_eq!(e.message, "HTTP 403: unknown caller [redacted] here");
    }

    #[tokio::test]
    async fn a_missing_placeholder_makes_no_request() {
        let server = Server::start(|_| answer(200, "text/plain", "hi")).await;
        let t = get_order(&server.url("/orders/{order_id}"));
        let e = t
            .call(&client(), &Map::new(), None, 100, &ctx(), &Now::utc())
            .await
            .expect_err("missing");
        assert_eq!(e.kind, ToolFailureKind::Connection);
        assert_eq!(e.message, "missing argument \"order_id\" for the URL");
        assert!(server.requests().is_empty());
    }
}
