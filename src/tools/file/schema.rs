//! The arguments a tool file declares: `[parameters]`, the JSON Schema the model sees, and
//! `[static]`, the values the server adds, both as JSON.

use std::path::Path;

use serde_json::{Map, Value};

use super::{error, template_problem, ToolFileError};
use crate::template::Template;
use crate::toml_file::resolve_env;
use crate::tools::describe;

/// `[static]` as read: the arguments as JSON, and those of its strings that are templates.
pub(super) type Statics = (Map<String, Value>, Vec<(String, Template)>);

/// `[static]`: none when absent.
pub(super) fn read_statics(
    path: &Path,
    table: &toml::Table,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Statics, ToolFileError> {
    let fail = |field: &str, problem: String| error(path, field, problem);
    let mut static_templates = Vec::new();
    let statics = match table.get("static") {
        None => Map::new(),
        Some(toml::Value::Table(statics)) => {
            let mut map = Map::new();
            for (key, value) in statics {
                let field = format!("static.{key}");
                let value = static_value(value, env).map_err(|problem| fail(&field, problem))?;
                if let Value::String(text) = &value {
                    let name = format!("{}: {field}", path.display());
                    let template = Template::new(&name, text)
                        .map_err(|e| fail(&field, template_problem(&e)))?;
                    if template.is_dynamic() {
                        static_templates.push((key.clone(), template));
                    }
                }
                map.insert(key.clone(), value);
            }
            map
        }
        Some(_) => return Err(fail("static", "must be a table".into())),
    };
    Ok((statics, static_templates))
}

/// `[parameters]`: the whole schema is checked, then the model's (static arguments
/// removed) is compiled.
pub(super) fn read_parameters(
    path: &Path,
    table: &toml::Table,
    statics: &Map<String, Value>,
) -> Result<(Value, jsonschema::Validator), ToolFileError> {
    let fail = |field: &str, problem: String| error(path, field, problem);
    let full_schema = match table.get("parameters") {
        None => serde_json::json!({"type": "object", "properties": {}}),
        Some(toml::Value::Table(parameters)) => {
            let mut object = Map::new();
            for (key, value) in parameters {
                let value = toml_to_json(value)
                    .map_err(|problem| fail(&format!("parameters.{key}"), problem))?;
                object.insert(key.clone(), value);
            }
            Value::Object(object)
        }
        Some(_) => return Err(fail("parameters", "must be a table (a JSON Schema)".into())),
    };
    if full_schema.get("type") != Some(&Value::String("object".into())) {
        return Err(fail("parameters.type", "must be \"object\"".into()));
    }
    jsonschema::validator_for(&full_schema).map_err(|e| {
        fail(
            "parameters",
            format!("not a valid JSON Schema: {}", describe(&e)),
        )
    })?;
    let parameters = without_statics(full_schema, statics);
    let validator = jsonschema::validator_for(&parameters).map_err(|e| {
        fail(
            "parameters",
            format!("not a valid JSON Schema: {}", describe(&e)),
        )
    })?;
    Ok((parameters, validator))
}

/// The schema the model sees: static arguments removed from `properties` and `required`
/// (and `required` dropped when it ends up empty).
fn without_statics(mut schema: Value, statics: &Map<String, Value>) -> Value {
    if statics.is_empty() {
        return schema;
    }
    if let Some(Value::Object(properties)) = schema.get_mut("properties") {
        properties.retain(|key, _| !statics.contains_key(key));
    }
    let mut drop_required = false;
    if let Some(Value::Array(required)) = schema.get_mut("required") {
        required.retain(|key| key.as_str().is_none_or(|key| !statics.contains_key(key)));
        drop_required = required.is_empty();
    }
    if drop_required {
        if let Some(object) = schema.as_object_mut() {
            object.remove("required");
        }
    }
    schema
}

/// A `[static]` value as JSON, `${VAR}` resolved in every string inside it.
fn static_value(
    value: &toml::Value,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Value, String> {
    match value {
        toml::Value::String(s) => Ok(Value::String(resolve_env(s, env)?)),
        toml::Value::Array(items) => items
            .iter()
            .map(|item| static_value(item, env))
            .collect::<Result<Vec<_>, _>>()
            .map(Value::Array),
        toml::Value::Table(table) => {
            let mut map = Map::new();
            for (key, item) in table {
                map.insert(key.clone(), static_value(item, env)?);
            }
            Ok(Value::Object(map))
        }
        other => toml_to_json(other),
    }
}

/// A TOML value as JSON; dates become strings as written.
fn toml_to_json(value: &toml::Value) -> Result<Value, String> {
    Ok(match value {
        toml::Value::String(s) => Value::String(s.clone()),
        toml::Value::Integer(i) => Value::from(*i),
        toml::Value::Float(f) => serde_json::Number::from_f64(*f)
            .map(Value::Number)
            .ok_or("numbers must be finite")?,
        toml::Value::Boolean(b) => Value::Bool(*b),
        toml::Value::Datetime(d) => Value::String(d.to_string()),
        toml::Value::Array(items) => Value::Array(
            items
                .iter()
                .map(toml_to_json)
                .collect::<Result<Vec<_>, _>>()?,
        ),
        toml::Value::Table(table) => {
            let mut map = Map::new();
            for (key, item) in table {
                map.insert(key.clone(), toml_to_json(item)?);
            }
            Value::Object(map)
        }
    })
}
