//! The model as the turn sees it: upstreams in order, each able to stream a reply. The
//! HTTP client implements it; unit tests script it, so deadlines and retries run under
//! paused time without a socket.

use async_trait::async_trait;

use crate::llm::{LlmClient, LlmError, Prompt, ReplyStream};
use crate::trace::KeyValue;

/// An OpenAI-compatible model behind one or more upstreams (the primary and fallbacks).
#[async_trait]
pub trait Model: Send + Sync + 'static {
    /// Number of upstreams.
    fn upstream_count(&self) -> usize;

    /// The model name of upstream `index` (clamped to the last one), for logs.
    fn name(&self, index: usize) -> &str;

    /// Starts a streamed reply from upstream `index` to `prompt`.
    async fn stream_chat(&self, index: usize, prompt: &Prompt<'_>)
        -> Result<ReplyStream, LlmError>;

    /// What a model attempt's span says of upstream `index`: the provider, the server's
    /// address, the sampling the request asks for.
    fn span_attributes(&self, _index: usize) -> Vec<KeyValue> {
        Vec::new()
    }
}

#[async_trait]
impl Model for LlmClient {
    fn upstream_count(&self) -> usize {
        LlmClient::upstream_count(self)
    }

    fn name(&self, index: usize) -> &str {
        self.model(index)
    }

    async fn stream_chat(
        &self,
        index: usize,
        prompt: &Prompt<'_>,
    ) -> Result<ReplyStream, LlmError> {
        LlmClient::stream_chat(self, index, prompt).await
    }

    fn span_attributes(&self, index: usize) -> Vec<KeyValue> {
        let (host, port) = host_and_port(self.base_url(index));
        let mut out = vec![
            KeyValue::new("gen_ai.provider.name", provider(&host)),
            KeyValue::new("server.address", host),
        ];
        out.extend(port.map(|p| KeyValue::new("server.port", i64::from(p))));
        let (temperature, max_tokens) = self.sampling();
        out.extend(temperature.map(|t| KeyValue::new("gen_ai.request.temperature", f64::from(t))));
        out.extend(max_tokens.map(|m| KeyValue::new("gen_ai.request.max_tokens", i64::from(m))));
        out
    }
}

/// The host and port of `url`, without scheme, credentials or path; the scheme's port
/// when the URL names none.
fn host_and_port(url: &str) -> (String, Option<u16>) {
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
    let default = match scheme {
        "https" => Some(443),
        "http" => Some(80),
        _ => None,
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let authority = authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host);
    if let Some((host, after)) = authority
        .strip_prefix('[')
        .and_then(|inside| inside.split_once(']'))
    {
        let port = after.strip_prefix(':').and_then(|p| p.parse().ok());
        return (host.to_string(), port.or(default));
    }
    match authority.rsplit_once(':') {
        Some((host, port)) => (host.to_string(), port.parse().ok().or(default)),
        None => (authority.to_string(), default),
    }
}

/// The conventions' `gen_ai.provider.name` of a model server at `host`: the well-known
/// providers by their API host, `openai` (the API every upstream speaks) otherwise.
fn provider(host: &str) -> &'static str {
    const KNOWN: [(&str, &str); 9] = [
        ("openai.azure.com", "azure.ai.openai"),
        ("api.openai.com", "openai"),
        ("groq.com", "groq"),
        ("anthropic.com", "anthropic"),
        ("mistral.ai", "mistral_ai"),
        ("deepseek.com", "deepseek"),
        ("x.ai", "x_ai"),
        ("googleapis.com", "gcp.gemini"),
        ("perplexity.ai", "perplexity"),
    ];
    KNOWN
        .iter()
        .find(|(suffix, _)| {
            host.strip_suffix(suffix)
                .is_some_and(|rest| rest.is_empty() || rest.ends_with('.'))
        })
        .map_or("openai", |(_, name)| name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_server_and_provider_come_from_the_base_url() {
        assert_eq!(
            host_and_port("https://user:pw@api.groq.com/openai/v1"),
            ("api.groq.com".to_string(), Some(443))
        );
        assert_eq!(
            host_and_port("http://127.0.0.1:4000/v1"),
            ("127.0.0.1".to_string(), Some(4000))
        );
        assert_eq!(
            host_and_port("http://[::1]:11434/v1"),
            ("::1".to_string(), Some(11434))
        );
        assert_eq!(provider("api.groq.com"), "groq");
        assert_eq!(provider("api.openai.com"), "openai");
        assert_eq!(provider("my-res.openai.azure.com"), "azure.ai.openai");
        assert_eq!(provider("127.0.0.1"), "openai");
        assert_eq!(provider("notgroq.com"), "openai");
    }
}
