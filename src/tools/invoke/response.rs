//! An endpoint's response as the model's text, or a [`ToolFailure`] quoting a short error
//! body, with every secret of the request redacted from either.

use reqwest::header::{HeaderMap, HeaderValue, CONTENT_TYPE};

use crate::secret::Secret;
use crate::toml_file::cut;
use crate::tools::tool::Tool;
use crate::tools::{ToolFailure, ToolFailureKind, MIN_SECRET_LEN};

/// The longest piece of an error response's body quoted in a [`ToolFailure`].
const MAX_ERROR_BODY_CHARS: usize = 200;
/// How much of an error response's body is read at most.
const MAX_ERROR_BODY_BYTES: usize = 1024;

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
    pub(super) async fn read_response(
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
