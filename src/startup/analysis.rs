//! The agents' post-call analyses (`[analysis]` in an agent file): each schema read (from
//! the file or its `schema_file`) and compiled at start-up, so a schema that does not
//! compile stops start-up naming the agent file, never a call.

use std::collections::HashMap;
use std::sync::Arc;

use super::StartupError;
use crate::config::AgentsConfig;
use crate::records::post_call::analysis::AnalysisPlan;

/// The analysis plan of every agent that asks for one, by agent name.
pub fn plans(agents: &AgentsConfig) -> Result<HashMap<String, Arc<AnalysisPlan>>, StartupError> {
    let mut plans = HashMap::new();
    for agent in &agents.agents {
        let (Some(config), Some(file)) = (&agent.analysis, &agent.file) else {
            continue;
        };
        let refuse = |problem: String| StartupError::File {
            variable: "AGENTS_DIR",
            problem: format!("{}: analysis: {problem}", file.display()),
        };
        let schema = match (&config.schema, &config.schema_file) {
            (Some(schema), _) => Some(schema.clone()),
            (None, Some(path)) => {
                let text = std::fs::read_to_string(path).map_err(|e| {
                    refuse(format!(
                        "cannot read {} (relative to the working directory): {e}",
                        path.display()
                    ))
                })?;
                Some(
                    serde_json::from_str(&text)
                        .map_err(|e| refuse(format!("{} is not JSON: {e}", path.display())))?,
                )
            }
            (None, None) => None,
        };
        let plan = AnalysisPlan::new(config, schema).map_err(refuse)?;
        plans.insert(agent.name.clone(), Arc::new(plan));
    }
    Ok(plans)
}
