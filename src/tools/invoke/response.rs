//! An endpoint's response as the model's text, or a [`ToolFailure`] quoting a short error
//! body, with every secret of the request redacted from either before it is cut.

use reqwest::header::{HeaderMap, HeaderValue, CONTENT_TYPE};

use crate::secret::{redact_then_cut, Secret, MIN_SECRET_LEN};
use crate::tools::tool::Tool;
use crate::tools::{ToolFailure, ToolFailureKind};

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
    /// The response as the model's text, or a [`ToolFailureKind::Status`] failure: a 3xx
    /// says redirects are not followed (the tools' client follows none), another non-2xx
    /// quotes a short text or JSON body. `sent` are the request's headers, whose sensitive
    /// values are redacted from either text, as are the file's secrets.
    pub(super) async fn read_response(
        &self,
        mut response: reqwest::Response,
        sent: &HeaderMap,
        max_chars: usize,
    ) -> Result<String, ToolFailure> {
        let status = response.status();
        let secrets = secrets_of(sent, &self.secrets);
        let secrets: Vec<&str> = secrets.iter().map(String::as_str).collect();
        if status.is_success() {
            // An endpoint that echoes the request must not hand the model a secret either.
            return read_success(response, &secrets, max_chars).await;
        }
        let mut message = format!("HTTP {}", status.as_u16());
        if status.is_redirection() {
            // The tool's URL is where its calls go: a redirect elsewhere is not followed.
            message.push_str(" (redirects are not followed)");
            return Err(ToolFailure::new(ToolFailureKind::Status, message));
        }
        if is_quotable(response.headers().get(CONTENT_TYPE)) {
            if let Ok((body, capped)) =
                crate::http::read_capped(&mut response, MAX_ERROR_BODY_BYTES).await
            {
                let text = String::from_utf8_lossy(&body);
                let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
                let (text, cut) = redact_then_cut(&text, &secrets, MAX_ERROR_BODY_CHARS, capped);
                if !text.is_empty() {
                    message.push_str(": ");
                    message.push_str(&text);
                    if cut {
                        message.push('…');
                    }
                }
            }
        }
        Err(ToolFailure::new(ToolFailureKind::Status, message))
    }
}

/// The secrets of this call: the sensitive header values of `sent` (templates as rendered
/// for the call; whole, and the last word, like the token after `Bearer`) of
/// [`MIN_SECRET_LEN`] bytes or more, and the tool file's secret `${VAR}` values
/// (`file::secrets` says which, and in which encodings). An endpoint that echoes the
/// request must not put a secret into what the model reads.
fn secrets_of(sent: &HeaderMap, secrets: &[Secret]) -> Vec<String> {
    let mut all: Vec<String> = secrets.iter().map(|s| s.expose().to_string()).collect();
    let headers = sent
        .values()
        .filter(|value| value.is_sensitive())
        .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned());
    for value in headers {
        let last_word = value.split_whitespace().next_back().unwrap_or(&value);
        all.push(last_word.to_string());
        all.push(value.clone());
    }
    all.retain(|secret| secret.len() >= MIN_SECRET_LEN);
    all
}

/// A 2xx response's body as the model's text, secrets redacted over all that was read,
/// then cut to `max_chars`.
async fn read_success(
    mut response: reqwest::Response,
    secrets: &[&str],
    max_chars: usize,
) -> Result<String, ToolFailure> {
    let status = response.status();
    let cap = max_chars.saturating_mul(4).saturating_add(1024);
    let (body, capped) = crate::http::read_capped(&mut response, cap)
        .await
        .map_err(|_| ToolFailure::connection("connection failed while reading the response"))?;
    let text = String::from_utf8_lossy(&body);
    if text.trim().is_empty() {
        return Ok(format!("OK (HTTP {}, no content)", status.as_u16()));
    }
    // The cap holds more than `max_chars` characters, so a body cut by it is cut here too.
    let (text, cut) = redact_then_cut(&text, secrets, max_chars, capped);
    Ok(if cut {
        format!("{text}\n[cut: the result was longer than {max_chars} characters]")
    } else {
        text
    })
}
