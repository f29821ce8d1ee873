//! What the page told us during a conversation (pure): the `client` variables that `data`
//! webhooks merge into and templates read. Top-level keys are merged; `null` removes a
//! key; the whole stays under [`CLIENT_MAX_BYTES`] of JSON.

use serde_json::{Map, Value};

/// A conversation's client variables: a JSON object.
pub type ClientVars = Map<String, Value>;

/// Largest JSON size of one conversation's client variables. A page that sends more is
/// refused (nothing changes), so a runaway page cannot grow the store or the prompt.
pub const CLIENT_MAX_BYTES: usize = 16 * 1024;

/// Merges `update` into `vars`: each top-level key replaces the one stored, `null`
/// removes it. Returns false, leaving `vars` unchanged, when the result would be larger
/// than [`CLIENT_MAX_BYTES`].
pub fn merge_client(vars: &mut ClientVars, update: ClientVars) -> bool {
    let mut merged = vars.clone();
    for (key, value) in update {
        if value.is_null() {
            merged.remove(&key);
        } else {
            merged.insert(key, value);
        }
    }
    let size = serde_json::to_vec(&merged).map_or(usize::MAX, |json| json.len());
    if size > CLIENT_MAX_BYTES {
        return false;
    }
    *vars = merged;
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn object(value: Value) -> ClientVars {
        match value {
            Value::Object(map) => map,
            _ => unreachable!("an object literal"),
        }
    }

    #[test]
    fn keys_merge_null_removes_and_the_size_is_bounded() {
        let mut vars = ClientVars::new();
        assert!(merge_client(
            &mut vars,
            object(json!({"page": "/pricing", "cart": 2}))
        ));
        assert!(merge_client(
            &mut vars,
            object(json!({"page": "/checkout", "cart": null}))
        ));
        assert_eq!(Value::Object(vars.clone()), json!({"page": "/checkout"}));
        let huge = object(json!({"blob": "x".repeat(CLIENT_MAX_BYTES)}));
        assert!(!merge_client(&mut vars, huge));
        assert_eq!(
            Value::Object(vars),
            json!({"page": "/checkout"}),
            "unchanged"
        );
    }
}
