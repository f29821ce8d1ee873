//! An agent file's `[analysis]`: what a model extracts from each call once it is over.
//!
//! ```toml
//! [analysis]
//! schema = { type = "object", properties = { reason = { type = "string" } } }
//! # or: schema_file = "analysis/support.json"
//! success = "The caller's question was answered, or a callback was arranged."
//! summary = true
//! ```
//!
//! Values only: start-up reads `schema_file` and compiles the schema.

use std::path::PathBuf;

/// What an agent's calls are analysed for.
#[derive(Debug, Clone, PartialEq)]
pub struct AnalysisConfig {
    /// A JSON Schema of the data to extract, written in the agent file.
    pub schema: Option<serde_json::Value>,
    /// A file holding that schema (JSON), relative to the working directory.
    pub schema_file: Option<PathBuf>,
    /// A rubric in words: the call succeeded when it holds.
    pub success: Option<String>,
    /// Also a short summary of the call.
    pub summary: bool,
}

const FIELDS: [&str; 4] = ["schema", "schema_file", "success", "summary"];

/// The agent file's `[analysis]`, when it has one; a problem names its key.
pub(super) fn analysis(
    table: &toml::Table,
) -> Result<Option<AnalysisConfig>, (&'static str, String)> {
    let Some(value) = table.get("analysis") else {
        return Ok(None);
    };
    let toml::Value::Table(analysis) = value else {
        return Err(("analysis", "must be a table: [analysis]".into()));
    };
    if let Some(key) = analysis.keys().find(|k| !FIELDS.contains(&k.as_str())) {
        return Err((
            "analysis",
            format!("unknown field `{key}` (schema, schema_file, success, summary)"),
        ));
    }
    let schema = match analysis.get("schema") {
        None => None,
        Some(toml::Value::Table(schema)) => {
            Some(serde_json::to_value(schema).map_err(|e| ("analysis", format!("schema: {e}")))?)
        }
        Some(_) => return Err(("analysis", "schema must be a table (a JSON Schema)".into())),
    };
    let schema_file = match analysis.get("schema_file") {
        None => None,
        Some(toml::Value::String(path)) => Some(PathBuf::from(path)),
        Some(_) => return Err(("analysis", "schema_file must be a path".into())),
    };
    if schema.is_some() && schema_file.is_some() {
        return Err(("analysis", "give schema or schema_file, not both".into()));
    }
    let success = match analysis.get("success") {
        None => None,
        Some(toml::Value::String(rubric)) if !rubric.trim().is_empty() => {
            Some(rubric.trim().to_string())
        }
        Some(_) => return Err(("analysis", "success must be a rubric in words".into())),
    };
    let summary = match analysis.get("summary") {
        None => false,
        Some(toml::Value::Boolean(on)) => *on,
        Some(_) => return Err(("analysis", "summary must be true or false".into())),
    };
    if schema.is_none() && schema_file.is_none() && success.is_none() && !summary {
        return Err((
            "analysis",
            "asks for nothing: give a schema, a success rubric or summary = true".into(),
        ));
    }
    Ok(Some(AnalysisConfig {
        schema,
        schema_file,
        success,
        summary,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Result<Option<AnalysisConfig>, (&'static str, String)> {
        analysis(&toml::from_str(text).expect("toml"))
    }

    #[test]
    fn a_schema_a_rubric_and_a_summary() {
        assert_eq!(read("model = \"m\"\n"), Ok(None));
        let config = read(
            "[analysis]\nschema = { type = \"object\", properties = { reason = { type = \"string\" } } }\n\
             success = \"Answered.\"\nsummary = true\n",
        )
        .expect("valid")
        .expect("on");
        assert_eq!(
            config.schema,
            Some(
                serde_json::json!({"type": "object", "properties": {"reason": {"type": "string"}}})
            )
        );
        assert_eq!(
            (config.success.as_deref(), config.summary),
            (Some("Answered."), true)
        );
        let file = read("[analysis]\nschema_file = \"analysis/a.json\"\n")
            .expect("valid")
            .expect("on");
        assert_eq!(file.schema_file, Some(PathBuf::from("analysis/a.json")));
    }

    #[test]
    fn mistakes_are_named() {
        let problem = |text: &str| read(text).expect_err("refused").1;
        assert!(problem("analysis = 3\n").contains("must be a table"));
        assert!(problem("[analysis]\nsucess = \"x\"\n").contains("unknown field `sucess`"));
        assert!(problem("[analysis]\n").contains("asks for nothing"));
        assert!(problem("[analysis]\nschema = {}\nschema_file = \"x\"\n").contains("not both"));
        assert!(problem("[analysis]\nsummary = \"yes\"\n").contains("true or false"));
    }
}
