//! The voice page, compiled into the binary: `static/index.html` with this server's
//! configuration (agent id, SDK version) filled in.

/// The `@layercode/js-sdk` version the page loads from the CDN.
pub const SDK_VERSION: &str = "2.8.10";

const TEMPLATE: &str = include_str!("../../static/index.html");

/// The page with its configuration block filled in. The JSON is made safe to sit inside
/// a `<script>` element.
pub fn render(agent_id: Option<&str>) -> String {
    let config = serde_json::json!({
        "agentId": agent_id,
        "sdkUrl": format!(
            "https://cdn.jsdelivr.net/npm/@layercode/js-sdk@{SDK_VERSION}/dist/layercode-js-sdk.esm.js"
        ),
        "authorizeEndpoint": "/authorize",
    });
    let json = config.to_string().replace('<', "\\u003c");
    TEMPLATE.replace("{{CONFIG_JSON}}", &json)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_configuration_is_embedded_and_cannot_close_the_script() {
        let page = render(Some("agent</script><b>"));
        assert!(page.contains("\"agentId\":\"agent\\u003c/script>\\u003cb>\""));
        assert!(page.contains(SDK_VERSION));
        assert!(!page.contains("{{CONFIG_JSON}}"));
        assert!(render(None).contains("\"agentId\":null"));
    }
}
