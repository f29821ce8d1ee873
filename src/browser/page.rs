//! The voice page, compiled into the binary: `static/index.html` with this server's
//! configuration (agent id, SDK version) filled in, and the Content-Security-Policy that
//! lets it run its own inline script and style, Layercode's SDK and nothing else.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use sha2::{Digest, Sha256};

/// The `@layercode/js-sdk` version the page loads from the CDN.
pub const SDK_VERSION: &str = "2.8.10";

/// The SHA-384 of that version's `dist/layercode-js-sdk.esm.js` as npm ships it (the pinned
/// copy `tests/browser/package-lock.json` installs; jsDelivr serves the same bytes): the
/// browser refuses any other file under the SDK's URL. Update it with [`SDK_VERSION`].
pub const SDK_INTEGRITY: &str =
    "sha384-LDs3H35F3A9iGAMLtSLAPxCdC3fc8JGCi5ci04yRzyH7d8bsE4/Wg83Ecg9LzX82";

const TEMPLATE: &str = include_str!("../../static/index.html");

/// Where the SDK is loaded from; the policy allows exactly this file from jsDelivr (which
/// serves any npm package, so its whole host would let any script in).
fn sdk_url() -> String {
    format!(
        "https://cdn.jsdelivr.net/npm/@layercode/js-sdk@{SDK_VERSION}/dist/layercode-js-sdk.esm.js"
    )
}

/// The page's import map: it holds no mapping, only the SDK's integrity, which browsers
/// apply to the page's `import()` of it (dynamic imports take no `integrity` attribute).
fn import_map() -> String {
    serde_json::json!({ "integrity": { sdk_url(): SDK_INTEGRITY } }).to_string()
}

/// The voice page's Content-Security-Policy: its own inline scripts and style (by hash),
/// the SDK file, what the SDK loads at run time (voice detection's worklet, model and
/// WebAssembly from `assets.layercode.com`, audio worklets from `blob:` URLs) and its
/// WebSocket; no plugins, no `<base>`, and no framing by other sites.
pub fn content_security_policy() -> String {
    let script = inline_hash("<script type=\"module\">", "</script>");
    let style = inline_hash("<style>", "</style>");
    let map = STANDARD.encode(Sha256::digest(import_map().as_bytes()));
    let sdk = sdk_url();
    format!(
        "default-src 'none'; script-src '{script}' 'sha256-{map}' {sdk} https://assets.layercode.com/ blob: \
         'wasm-unsafe-eval'; style-src '{style}'; connect-src 'self' \
         https://assets.layercode.com/ wss://api.layercode.com; img-src 'self' data:; \
         media-src 'self' blob:; base-uri 'none'; object-src 'none'; form-action 'self'; \
         frame-ancestors 'none'"
    )
}

/// `sha256-<base64>` of the template's text between `open` and the next `close`, as CSP
/// hashes it; empty when the template has no such element (the browser then refuses it).
fn inline_hash(open: &str, close: &str) -> String {
    let Some(start) = TEMPLATE.find(open).map(|i| i + open.len()) else {
        return String::new();
    };
    let end = TEMPLATE[start..].find(close).map_or(start, |e| start + e);
    let digest = Sha256::digest(&TEMPLATE.as_bytes()[start..end]);
    format!("sha256-{}", STANDARD.encode(digest))
}

/// An agent the page can talk to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageAgent {
    /// Its name in voicebridge (`/?agent=<name>`).
    pub name: String,
    /// Its Layercode agent id.
    pub agent_id: Option<String>,
}

/// The page with its configuration block filled in: every agent (the page offers a
/// picker when there are several, and `/?agent=<name>` chooses one), the default first
/// choice, and whether the server can authorize sessions at all (`has_api_key`: without
/// `LAYERCODE_API_KEY` the page says so before anyone presses Connect). The JSON is made
/// safe to sit inside a `<script>` element.
pub fn render(agents: &[PageAgent], default: &str, has_api_key: bool) -> String {
    let agent_id = agents
        .iter()
        .find(|a| a.name == default)
        .and_then(|a| a.agent_id.as_deref());
    let list: Vec<serde_json::Value> = agents
        .iter()
        .map(|a| serde_json::json!({"name": a.name, "agentId": a.agent_id}))
        .collect();
    let config = serde_json::json!({
        "agentId": agent_id,
        "agents": list,
        "defaultAgent": default,
        "sdkUrl": sdk_url(),
        "authorizeEndpoint": "/authorize",
        "hasApiKey": has_api_key,
    });
    let json = config.to_string().replace('<', "\\u003c");
    TEMPLATE
        .replace("{{IMPORT_MAP}}", &import_map())
        .replace("{{CONFIG_JSON}}", &json)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_configuration_is_embedded_and_cannot_close_the_script() {
        let agent = |name: &str, id: Option<&str>| PageAgent {
            name: name.into(),
            agent_id: id.map(str::to_string),
        };
        let page = render(
            &[agent("default", Some("agent</script><b>"))],
            "default",
            true,
        );
        assert!(page.contains("\"agentId\":\"agent\\u003c/script>\\u003cb>\""));
        assert!(page.contains(SDK_VERSION));
        assert!(!page.contains("{{CONFIG_JSON}}"));
        assert!(render(&[agent("default", None)], "default", true).contains("\"agentId\":null"));
        let two = render(
            &[agent("sales", Some("ag_s")), agent("support", Some("ag_t"))],
            "support",
            true,
        );
        assert!(two.contains("\"defaultAgent\":\"support\""), "{two}");
        assert!(two.contains("\"hasApiKey\":true"), "{two}");
        assert!(two.contains("\"agentId\":\"ag_t\""));
        assert!(
            two.contains("{\"agentId\":\"ag_s\",\"name\":\"sales\"}"),
            "{two}"
        );
    }

    #[test]
    fn the_policy_allows_the_pages_own_inline_code_by_hash_and_no_framing() {
        let policy = content_security_policy();
        assert_eq!(policy.matches("'sha256-").count(), 3, "{policy}");
        assert!(!policy.contains("''"), "both elements were found");
        assert!(!policy.contains("unsafe-inline") && !policy.contains("'unsafe-eval'"));
        assert!(policy.contains("frame-ancestors 'none'"));
        assert!(policy.contains(&sdk_url()));
        assert!(
            !policy.contains("https://cdn.jsdelivr.net "),
            "not the whole CDN"
        );
        // The configuration block is data, not script: the rendered page hashes the same.
        let page = render(&[], "default", false);
        let module = page
            .split("<script type=\"module\">")
            .nth(1)
            .expect("script");
        let module = module.split("</script>").next().expect("end");
        let digest = STANDARD.encode(Sha256::digest(module.as_bytes()));
        assert!(policy.contains(&digest));
        let map = page
            .split("<script type=\"importmap\">")
            .nth(1)
            .expect("map");
        let map = map.split("</script>").next().expect("end");
        assert!(
            map.contains(SDK_INTEGRITY) && map.contains(&sdk_url()),
            "{map}"
        );
        let digest = STANDARD.encode(Sha256::digest(map.as_bytes()));
        assert!(policy.contains(&digest));
    }
}
