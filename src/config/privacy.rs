//! What is kept of the callers' words: `RECORD_CONTENT` (`full`, `redacted`, `none`) and
//! `REDACT_FOR_MODEL`, from the environment or an agent file, and an agent file's own
//! patterns:
//!
//! ```toml
//! record_content = "redacted"
//! [[redact]]
//! name = "member_id"
//! pattern = '\bMBR-\d{6}\b'
//! ```

use std::sync::Arc;

use super::parse::{parse_bool, Get};
use super::ConfigError;
use crate::privacy::{CustomPattern, Policy, RecordContent, Redactor};

/// Most patterns one agent file may add.
const MAX_PATTERNS: usize = 32;

/// Reads `RECORD_CONTENT` and `REDACT_FOR_MODEL` (through `get`: the environment, or an
/// agent file over it), with `patterns` as the extra detectors.
pub(super) fn policy(get: &Get, patterns: Vec<CustomPattern>) -> Result<Policy, ConfigError> {
    let content = match get("RECORD_CONTENT") {
        None => RecordContent::Full,
        Some(raw) => RecordContent::parse(&raw).ok_or_else(|| {
            ConfigError::new(
                "RECORD_CONTENT",
                format!("`{}` is not `full`, `redacted` or `none`", raw.trim()),
            )
        })?,
    };
    Ok(Policy {
        content,
        for_model: parse_bool("REDACT_FOR_MODEL", get("REDACT_FOR_MODEL"))?,
        redactor: Arc::new(Redactor::new(patterns)),
    })
}

/// An agent file's `[[redact]]` list: each a `name` and a `pattern`.
pub(super) fn patterns(table: &toml::Table) -> Result<Vec<CustomPattern>, String> {
    let Some(value) = table.get("redact") else {
        return Ok(Vec::new());
    };
    let shape = "must be a list of tables with `name` and `pattern` ([[redact]])";
    let toml::Value::Array(items) = value else {
        return Err(shape.into());
    };
    if items.len() > MAX_PATTERNS {
        return Err(format!("at most {MAX_PATTERNS} patterns"));
    }
    items
        .iter()
        .map(|item| {
            let toml::Value::Table(item) = item else {
                return Err(shape.to_string());
            };
            if let Some(key) = item.keys().find(|k| *k != "name" && *k != "pattern") {
                return Err(format!("unknown field `{key}` (name, pattern)"));
            }
            let text = |key: &str| item.get(key).and_then(|v| v.as_str()).ok_or(shape);
            CustomPattern::new(text("name")?, text("pattern")?).map_err(|e| e.to_string())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::{patterns, policy};
    use crate::privacy::RecordContent;

    fn table(text: &str) -> toml::Table {
        toml::from_str(text).expect("TOML")
    }

    #[test]
    fn the_mode_defaults_to_full_and_names_a_wrong_value() {
        let none = |_: &str| None;
        let default = policy(&none, Vec::new()).expect("defaults");
        assert_eq!(default.content, RecordContent::Full);
        assert!(!default.for_model);
        let set = |name: &str| match name {
            "RECORD_CONTENT" => Some("Redacted".to_string()),
            "REDACT_FOR_MODEL" => Some("true".to_string()),
            _ => None,
        };
        let set = policy(&set, Vec::new()).expect("valid");
        assert_eq!(
            (set.content, set.for_model),
            (RecordContent::Redacted, true)
        );
        let wrong = |_: &str| Some("some".to_string());
        let error = policy(&wrong, Vec::new()).expect_err("invalid");
        assert_eq!(error.variable, "RECORD_CONTENT");
        assert!(error.problem.contains("`some`"), "{}", error.problem);
    }

    #[test]
    fn the_example_clinic_keeps_what_its_readme_says() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/examples/privacy/agents/clinic.toml"
        );
        let text = std::fs::read_to_string(path).expect("the example exists");
        let file = table(&text);
        let content = file["record_content"].as_str().map(str::to_string);
        let get = move |name: &str| {
            (name == "RECORD_CONTENT")
                .then(|| content.clone())
                .flatten()
        };
        let policy = policy(&get, patterns(&file).expect("valid")).expect("valid");
        assert_eq!(policy.content, RecordContent::Redacted);
        let said = "my card is 4111 1111 1111 1111, member MBR-123456, born on March 3rd, 1985";
        let mut ledger = crate::privacy::Ledger::default();
        assert_eq!(
            policy.redactor.redact(said, Some(&mut ledger)),
            "my card is [card 1], member [member_id 1], born on [date_of_birth 1]"
        );
    }

    #[test]
    fn an_agent_file_adds_named_patterns_and_a_bad_one_is_explained() {
        let good = patterns(&table(
            "[[redact]]\nname = \"member_id\"\npattern = 'MBR-\\d{6}'\n",
        ))
        .expect("valid");
        assert_eq!(good.len(), 1);
        assert_eq!(good[0].name, "member_id");
        let bad = patterns(&table("[[redact]]\nname = \"x\"\npattern = '('\n"));
        assert!(bad.expect_err("bad").contains("not a regular expression"));
        let stray = patterns(&table("[[redact]]\nname = \"x\"\nregex = 'a'\n"));
        assert!(stray.expect_err("stray").contains("unknown field `regex`"));
        assert!(patterns(&table("redact = \"x\"\n")).is_err());
    }
}
