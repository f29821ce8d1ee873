//! The HTTP request of one invocation: the URL with its placeholders and query filled, the
//! headers, and the one retry a read-only tool gets after a connection failure.

use percent_encoding::utf8_percent_encode;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue, ACCEPT, CONTENT_TYPE};
use reqwest::Url;
use serde_json::{Map, Value};

use super::arguments::{placeholder_problem, plain};
use crate::template::{CallContext, Now};
use crate::tools::file::url::UrlPart;
use crate::tools::tool::{Method, Tool};
use crate::tools::{ToolFailure, SEGMENT};

/// The `Accept` header of every tool call.
const ACCEPT_VALUE: &str = "application/json, text/plain;q=0.9, */*;q=0.5";

impl Tool {
    /// The URL with placeholders filled and, for methods without a body, the other
    /// arguments in the query string, but for those named like a query key the URL
    /// already has.
    pub(super) fn request_url(
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
            // A query key the URL fixes keeps the operator's value: an argument of that
            // name is not sent (it would be a second value, which many servers prefer).
            let fixed: Vec<String> = url.query_pairs().map(|(key, _)| key.into_owned()).collect();
            let rest: Vec<(&String, &Value)> = arguments
                .iter()
                .filter(|(key, value)| !used.contains(&key.as_str()) && !value.is_null())
                .filter(|(key, _)| {
                    let free = !fixed.contains(key);
                    if !free {
                        tracing::debug!(tool = %self.name, argument = %key,
                            "an argument naming a query key the URL fixes is not sent");
                    }
                    free
                })
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
    pub(super) fn request_headers(
        &self,
        json_body: bool,
        meta: crate::tools::CallMeta<'_>,
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
        if let Some(Ok(key)) = meta.idempotency_key.map(HeaderValue::from_str) {
            headers.insert(HeaderName::from_static("idempotency-key"), key);
        }
        if let Some(Ok(parent)) = meta.traceparent.map(HeaderValue::from_str) {
            headers.insert(HeaderName::from_static("traceparent"), parent);
        }
        headers
    }

    /// Sends the request, once more after a connection failure when the tool is not
    /// mutating, and reads the response.
    pub(super) async fn attempts(
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
