//! The voice page, compiled into the binary: `static/index.html` with this server's
//! configuration (agent id, SDK version) filled in.

/// The `@layercode/js-sdk` version the page loads from the CDN.
pub const SDK_VERSION: &str = "2.8.10";

const TEMPLATE: &str = include_str!("../../static/index.html");

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
/// choice. The JSON is made safe to sit inside a `<script>` element.
pub fn render(agents: &[PageAgent], default: &str) -> String {
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
        let agent = |name: &str, id: Option<&str>| PageAgent {
            name: name.into(),
            agent_id: id.map(str::to_string),
        };
        let page = render(&[agent("default", Some("agent</script><b>"))], "default");
        assert!(page.contains("\"agentId\":\"agent\\u003c/script>\\u003cb>\""));
        assert!(page.contains(SDK_VERSION));
        assert!(!page.contains("{{CONFIG_JSON}}"));
        assert!(render(&[agent("default", None)], "default").contains("\"agentId\":null"));
        let two = render(
            &[agent("sales", Some("ag_s")), agent("support", Some("ag_t"))],
            "support",
        );
        assert!(two.contains("\"defaultAgent\":\"support\""), "{two}");
        assert!(two.contains("\"agentId\":\"ag_t\""));
        assert!(
            two.contains("{\"agentId\":\"ag_s\",\"name\":\"sales\"}"),
            "{two}"
        );
    }
}
