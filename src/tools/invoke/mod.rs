//! One invocation of one tool: the model's argument string checked against the schema it saw
//! ([`Tool::arguments`]), then one HTTP request ([`Tool::call`]) whose response becomes text
//! for the model, or a short [`ToolFailure`] safe for the model and the logs.
//!
//! How arguments travel:
//! - only the arguments the schema's `properties` declare (or a URL placeholder names) and
//!   `[static]` ones travel at all;
//! - each `{name}` in the URL is filled with that argument, percent-encoded as a path
//!   segment (everything but `A-Z a-z 0-9 - . _ ~` is encoded); an empty, slash-only, `.`
//!   or `..` value is refused;
//! - `GET` and `DELETE`: the arguments not used in the URL go into the query string,
//!   appended to any query already in the URL (strings as they are, other values as JSON
//!   text; `null`s are left out), but for a key that query already has; there is no body;
//! - `POST`, `PUT` and `PATCH`: the JSON body is *all* the arguments, those used in the URL
//!   included, so the endpoint sees every argument in one predictable place.
//!
//! A templated URL, header value or `[static]` string is rendered for each call with the
//! turn's [`CallContext`]. The URL's placeholders are those of the URL rendered for the
//! call: [`Tool::arguments`] and [`Tool::call`] both render it with the context they get.

mod arguments;
mod request;
mod response;

pub use arguments::SentArguments;

use serde_json::{Map, Value};

use super::tool::Tool;
use super::ToolFailure;
use crate::template::{CallContext, Now};

impl Tool {
    /// Calls the endpoint once validated arguments are known (the output of
    /// [`Tool::arguments`]). The whole call, reading the response included, is bounded by
    /// [`Tool::timeout`]. A tool that is not [`Tool::mutating`] is tried once more after a
    /// connection failure, within the same timeout; a mutating one never is.
    ///
    /// `Ok` is the response body as text (lossy UTF-8), cut to `max_chars` characters with
    /// a note saying so, or `OK (HTTP 204, no content)` for an empty body. A URL that cannot
    /// be built from `arguments` (a placeholder without a value) is a
    /// [`ToolFailureKind::Connection`](super::ToolFailureKind::Connection) failure: no request is made. An idempotency key
    /// or `traceparent` that is no valid header value is not sent.
    ///
    /// Templates (the URL, header values) are rendered with `context` and `now`; a rendered
    /// header value that is no valid header value is left out, with a warning naming the
    /// tool and the header only.
    pub async fn call(
        &self,
        http: &reqwest::Client,
        arguments: &Map<String, Value>,
        meta: super::CallMeta<'_>,
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
        let headers = self.request_headers(body.is_some(), meta, context, now);
        let attempts = self.attempts(http, url, headers, body, max_chars);
        tokio::time::timeout(self.timeout, attempts)
            .await
            .unwrap_or_else(|_| Err(ToolFailure::timeout(self.timeout)))
    }
}

#[cfg(test)]
mod tests;
