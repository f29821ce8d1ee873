//! Loading `MCP_DIR`: one `<name>.toml` per MCP server.

use std::path::Path;
use std::time::Duration;

use serde::Deserialize;

use crate::secret::{Secret, MIN_SECRET_LEN};
use crate::toml_file::{in_query_or_user_info, lookup, resolve_env, scan, Piece};

/// `timeout_ms` when a file gives none.
const DEFAULT_TIMEOUT_MS: u64 = 10_000;

/// One MCP server file. `Debug` shows header names, never their values.
#[derive(Clone)]
pub struct McpServerConfig {
    /// The file stem: the prefix of its tools' names (`<name>__<tool>`).
    pub name: String,
    /// The Streamable HTTP endpoint, `${VAR}` resolved.
    pub url: Secret,
    /// The URL as written, for `voicebridge check`.
    pub url_template: String,
    /// Headers sent with every request, `${VAR}` resolved.
    pub headers: Vec<(String, Secret)>,
    /// The tools offered, when not all of them.
    pub tools: Option<Vec<String>>,
    /// The tools treated as mutating, when the file says; otherwise the server's
    /// annotations decide.
    pub mutating: Option<Vec<String>>,
    /// The bound on one call.
    pub timeout: Duration,
    /// Spoken when one of its tools has not answered after `TOOL_FILLER_AFTER_MS`.
    pub say_while_waiting: Option<String>,
    /// What is redacted from the server's answers before the model reads them: the header
    /// values (whole, and their last word), the `${VAR}` values of the headers and of the
    /// URL's query or user info, of [`MIN_SECRET_LEN`] bytes or more, also as JSON
    /// escapes them.
    pub secrets: Vec<Secret>,
}

impl std::fmt::Debug for McpServerConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self.headers.iter().map(|(n, _)| n.as_str()).collect();
        f.debug_struct("McpServerConfig")
            .field("name", &self.name)
            .field("url", &self.url_template)
            .field("headers", &names)
            .field("tools", &self.tools)
            .field("mutating", &self.mutating)
            .field("timeout", &self.timeout)
            .finish()
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    url: String,
    #[serde(default)]
    headers: std::collections::BTreeMap<String, String>,
    tools: Option<Vec<String>>,
    mutating: Option<Vec<String>>,
    timeout_ms: Option<u64>,
    say_while_waiting: Option<String>,
}

/// Every `*.toml` in `dir`, sorted by name; a missing dir is none. An error names the file
/// and, where it can, the field.
pub fn load_dir(
    dir: &Path,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Vec<McpServerConfig>, String> {
    let files = crate::toml_file::toml_files(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut servers = Vec::new();
    for path in files {
        let text =
            std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        servers.push(parse(&path, &text, env).map_err(|e| format!("{}: {e}", path.display()))?);
    }
    servers.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(servers)
}

/// One file's server; `Err` names the field.
pub(crate) fn parse(
    path: &Path,
    text: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<McpServerConfig, String> {
    let name = path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or_default()
        .to_string();
    let valid = !name.is_empty()
        && !name.contains("__")
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if !valid {
        return Err(
            "the file name must be letters, digits, '_' or '-' (and no \"__\")".to_string(),
        );
    }
    let file: File = toml::from_str(text).map_err(|e| e.to_string().trim().to_string())?;
    let url = resolve_env(&file.url, env).map_err(|e| format!("url: {e}"))?;
    if !(url.starts_with("http://") || url.starts_with("https://")) {
        return Err("url: must start with http:// or https://".to_string());
    }
    let mut headers = Vec::new();
    for (header, value) in &file.headers {
        if reqwest::header::HeaderName::from_bytes(header.as_bytes()).is_err() {
            return Err(format!("headers.{header}: not a valid header name"));
        }
        let value = resolve_env(value, env).map_err(|e| format!("headers.{header}: {e}"))?;
        if reqwest::header::HeaderValue::from_str(&value).is_err() {
            return Err(format!("headers.{header}: not a valid header value"));
        }
        headers.push((header.clone(), Secret::new(value)));
    }
    let secrets = secrets(&file, env);
    let timeout_ms = file.timeout_ms.unwrap_or(DEFAULT_TIMEOUT_MS);
    if timeout_ms == 0 {
        return Err("timeout_ms: must be more than 0".to_string());
    }
    Ok(McpServerConfig {
        name,
        url: Secret::new(url),
        url_template: file.url,
        headers,
        tools: file.tools,
        mutating: file.mutating,
        timeout: Duration::from_millis(timeout_ms),
        say_while_waiting: file
            .say_while_waiting
            .map(|t| t.trim().to_string())
            .filter(|t| !t.is_empty()),
        secrets,
    })
}

/// The secrets of a file whose `${VAR}`s all resolve (checked before): see
/// [`McpServerConfig::secrets`].
fn secrets(file: &File, env: &dyn Fn(&str) -> Option<String>) -> Vec<Secret> {
    let vars = |text: &str| -> Vec<(String, String)> {
        let pieces = scan(text, true, false).unwrap_or_default();
        pieces
            .into_iter()
            .filter_map(|piece| match piece {
                Piece::Env(var) => Some((var.to_string(), lookup(var, env).ok()?)),
                _ => None,
            })
            .collect()
    };
    let mut values: Vec<String> = vars(&file.url)
        .into_iter()
        .filter(|(var, _)| in_query_or_user_info(&file.url, var))
        .map(|(_, value)| value)
        .collect();
    for written in file.headers.values() {
        values.extend(vars(written).into_iter().map(|(_, value)| value));
        if let Ok(value) = resolve_env(written, env) {
            values.extend(value.split_whitespace().next_back().map(str::to_string));
            values.push(value);
        }
    }
    let escaped: Vec<String> = values
        .iter()
        .filter_map(|value| serde_json::to_string(value).ok())
        .map(|json| json.trim_matches('"').to_string())
        .collect();
    values.extend(escaped);
    values.retain(|value| value.len() >= MIN_SECRET_LEN);
    values.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
    values.dedup();
    values.into_iter().map(Secret::new).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(name: &str) -> Option<String> {
        (name == "TOKEN").then(|| "s3cret".to_string())
    }

    #[test]
    fn a_file_is_read_with_its_secrets() {
        let text = "url = \"http://127.0.0.1:9/mcp\"\ntools = [\"a\"]\ntimeout_ms = 500\n\
            [headers]\nAuthorization = \"Bearer ${TOKEN}\"\n";
        let server = parse(Path::new("mcp/weather.toml"), text, &env).expect("parses");
        assert_eq!(server.name, "weather");
        assert_eq!(server.url.expose(), "http://127.0.0.1:9/mcp");
        assert_eq!(server.headers[0].1.expose(), "Bearer s3cret");
        assert_eq!(server.tools, Some(vec!["a".to_string()]));
        assert_eq!(server.timeout, Duration::from_millis(500));
        assert!(!format!("{server:?}").contains("s3cret"));
    }

    #[test]
    fn header_values_and_query_variables_are_the_secrets() {
        let env = |name: &str| match name {
            "TOKEN" => Some("tok-12345678".to_string()),
            "QUERY_KEY" => Some("q\"key-1234".to_string()),
            "HOST" => Some("mcp.example.com".to_string()),
            _ => None,
        };
        let text = "url = \"https://${HOST}/mcp?key=${QUERY_KEY}\"\n\
            [headers]\nAuthorization = \"Bearer ${TOKEN}\"\nX-Short = \"short\"\n";
        let server = parse(Path::new("mcp/w.toml"), text, &env).expect("parses");
        let kept: Vec<&str> = server.secrets.iter().map(Secret::expose).collect();
        assert_eq!(
            kept,
            [
                "Bearer tok-12345678",
                "tok-12345678",
                "q\\\"key-1234",
                "q\"key-1234"
            ],
            "the host and a short header are not secrets"
        );
        assert!(!format!("{server:?}").contains("tok-1234"));
    }

    #[test]
    fn a_bad_file_names_the_field() {
        let path = Path::new("mcp/w.toml");
        let err = parse(path, "url = 3\n", &env).expect_err("fails");
        assert!(err.contains("url"), "{err}");
        let err = parse(path, "url = \"ftp://x\"\n", &env).expect_err("fails");
        assert!(err.starts_with("url:"), "{err}");
        let err = parse(path, "url = \"http://x\"\ntimeout_ms = 0\n", &env).expect_err("fails");
        assert!(err.starts_with("timeout_ms:"), "{err}");
        let err = parse(path, "url = \"http://x\"\nbogus = 1\n", &env).expect_err("fails");
        assert!(err.contains("bogus"), "{err}");
        let err =
            parse(Path::new("mcp/a__b.toml"), "url = \"http://x\"\n", &env).expect_err("fails");
        assert!(err.contains("file name"), "{err}");
    }

    #[test]
    fn an_unset_variable_is_named() {
        let text = "url = \"http://x/mcp\"\n[headers]\nX-Key = \"${MISSING_KEY}\"\n";
        let err = parse(Path::new("mcp/w.toml"), text, &env).expect_err("fails");
        assert!(err.starts_with("headers.X-Key"), "{err}");
        assert!(err.contains("MISSING_KEY"), "{err}");
    }

    #[test]
    fn the_example_server_file_loads() {
        let dir = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/mcp"));
        let env = |name: &str| (name == "WEATHER_MCP_TOKEN").then(|| "example-token".to_string());
        let servers = load_dir(dir, &env).expect("the example loads");
        assert_eq!(servers.len(), 1);
        let weather = &servers[0];
        assert_eq!(weather.name, "weather");
        assert_eq!(weather.url.expose(), "https://mcp.example.com/mcp");
        assert_eq!(
            weather.tools.as_deref(),
            Some(&["get_weather".to_string(), "book_table".to_string()][..])
        );
        assert_eq!(
            weather.mutating.as_deref(),
            Some(&["book_table".to_string()][..])
        );
        assert_eq!(weather.timeout, Duration::from_millis(10_000));
        assert_eq!(weather.headers[0].1.expose(), "Bearer example-token");
        assert!(weather.say_while_waiting.is_some());
    }

    #[test]
    fn a_missing_dir_is_no_servers() {
        let servers = load_dir(Path::new("/nonexistent/mcp"), &env).expect("none");
        assert!(servers.is_empty());
    }
}
