//! What the store keeps for privacy: the audit of a redacted call (its mode and counts,
//! never values), and finding every call of one caller by the digits of the number.

use std::collections::BTreeMap;

use super::{get, key, put, turn};
use crate::records::{CallStore, Record};

pub(super) async fn a_redacted_call_keeps_its_mode_and_counts(store: &CallStore) {
    let call = key("a", "audited");
    let mut first = turn(&call, "m1", 1_000);
    first.record_content = Some("redacted".into());
    first.redactions = Some(BTreeMap::from([("phone".to_string(), 1)]));
    put(store, &first).await;
    let mut second = turn(&call, "m2", 2_000);
    second.record_content = Some("redacted".into());
    second.redactions = Some(BTreeMap::from([("phone".into(), 2), ("card".into(), 1)]));
    put(store, &second).await;
    let detail = get(store, &call).await;
    assert_eq!(detail.record_content.as_deref(), Some("redacted"));
    let counts = detail.redactions.expect("counts");
    assert_eq!(
        serde_json::Value::Object(counts),
        serde_json::json!({"card": 1, "phone": 2})
    );
    let read = store.redaction_counts(&call).await.expect("reads");
    assert_eq!(read.get("phone"), Some(&2));
    // A session end's counts (its transcript's) replace the turns'.
    let end = Record::SessionEnd {
        call: call.clone(),
        at_ms: 3_000,
        redactions: Some(BTreeMap::from([("phone".into(), 3)])),
        voice_cost_usd: None,
        report: serde_json::Map::new(),
    };
    store.write(&end).await.expect("writes");
    assert_eq!(
        store
            .redaction_counts(&call)
            .await
            .expect("reads")
            .get("phone"),
        Some(&3)
    );
    assert!(store
        .redaction_counts(&key("a", "unknown"))
        .await
        .expect("reads")
        .is_empty());
}

pub(super) async fn a_callers_calls_are_found_by_the_digits_of_the_number(store: &CallStore) {
    for (id, number) in [
        ("x1", "+1 (555) 010-0100"),
        ("x2", "+15550100100"),
        ("y", "+15550100199"),
    ] {
        let mut record = turn(&key("a", id), "m1", 1_000);
        record.caller.from_phone_number = Some(number.into());
        put(store, &record).await;
    }
    let mut to = turn(&key("b", "z"), "m1", 1_000);
    to.caller.to_phone_number = Some("15550100100".into());
    put(store, &to).await;
    let mut found: Vec<String> = store
        .calls_of_phone("15550100100")
        .await
        .expect("finds")
        .into_iter()
        .map(|call| call.conversation_id)
        .collect();
    found.sort();
    assert_eq!(
        found,
        ["x1", "x2", "z"],
        "from or to, written any way; not a longer number"
    );
}
