//! Tests of the writer's redaction.

use super::*;
use crate::records::record::ToolRecord;
use serde_json::json;

fn turn(user: &str, agent: &str) -> Record {
    let call = CallKey {
        agent: "clinic".into(),
        conversation_id: "c1".into(),
    };
    let mut record = crate::records::store::tests::turn(&call, "t1", 1);
    record.user_text = user.into();
    record.agent_text = agent.into();
    record.tools = vec![ToolRecord {
        name: "lookup".into(),
        arguments: r#"{"phone":"555-123-4567"}"#.into(),
        outcome: "ok".into(),
        ms: Some(3),
        result: Some("found 555-123-4567".into()),
    }];
    Record::Turn(record)
}

fn redaction(content: RecordContent) -> Redaction {
    let policy = Policy {
        content,
        ..Policy::default()
    };
    Redaction::new(
        HashMap::from([("clinic".to_string(), policy)]),
        Policy::default(),
    )
}

#[test]
fn redacted_records_number_values_across_a_call() {
    let mut redaction = redaction(RecordContent::Redacted);
    let mut first = turn("call me on 555-123-4567", "Noted, 555-123-4567.");
    assert!(redaction.needs_counts(&first).is_some(), "a new call");
    redaction.continue_from(
        CallKey {
            agent: "clinic".into(),
            conversation_id: "c1".into(),
        },
        &BTreeMap::from([("email".to_string(), 1)]),
    );
    redaction.apply(&mut first);
    let Record::Turn(first) = first else {
        unreachable!()
    };
    assert_eq!(first.user_text, "call me on [phone 1]");
    assert_eq!(first.agent_text, "Noted, [phone 1].");
    assert_eq!(first.tools[0].arguments, r#"{"phone":"[phone 1]"}"#);
    assert_eq!(first.tools[0].result.as_deref(), Some("found [phone 1]"));
    assert_eq!(first.record_content.as_deref(), Some("redacted"));
    let counts = first.redactions.expect("counts");
    assert_eq!(counts.get("phone"), Some(&1));
    assert_eq!(
        counts.get("email"),
        Some(&1),
        "continued from the stored counts"
    );
}

/// Call c1 of the clinic, started fresh, with its first phone number numbered.
fn one_phone_number_numbered(redaction: &mut Redaction) -> CallKey {
    let call = CallKey {
        agent: "clinic".into(),
        conversation_id: "c1".into(),
    };
    redaction.continue_from(call.clone(), &BTreeMap::new());
    redaction.apply(&mut turn("call 555-123-4567", ""));
    call
}

#[test]
fn counts_another_machine_stored_meanwhile_are_never_numbered_again() {
    let mut redaction = redaction(RecordContent::Redacted);
    let call = one_phone_number_numbered(&mut redaction);
    // Another machine numbered two more phone numbers of this call since.
    redaction.continue_from(call, &BTreeMap::from([("phone".to_string(), 3)]));
    let mut later = turn("or 555-987-6543, or 555-123-4567", "");
    redaction.apply(&mut later);
    let Record::Turn(later) = later else {
        unreachable!()
    };
    assert_eq!(later.user_text, "or [phone 4], or [phone 1]");
}

#[test]
fn none_keeps_no_words_and_a_report_keeps_only_numbers() {
    let mut redaction = redaction(RecordContent::None);
    let mut record = turn("my card is 4111 1111 1111 1111", "Thanks.");
    redaction.apply(&mut record);
    let Record::Turn(kept) = record else {
        unreachable!()
    };
    assert_eq!(
        (kept.user_text.as_str(), kept.agent_text.as_str()),
        ("", "")
    );
    assert_eq!(kept.tools[0].name, "lookup");
    assert_eq!(kept.tools[0].outcome, "ok");
    assert!(kept.tools[0].arguments.is_empty() && kept.tools[0].result.is_none());
    assert!(kept.caller.from_phone_number.is_none() && kept.caller.metadata.is_empty());
    let report = json!({"duration": 61000, "transcript": [{"role": "user", "text": "hi"}],
        "latency": {"p50": 410, "model": "x"}});
    let Value::Object(report) = report else {
        unreachable!()
    };
    assert_eq!(
        Value::Object(without_strings(report)),
        json!({"duration": 61000, "latency": {"p50": 410}})
    );
}

#[test]
fn none_drops_the_recording_link_and_the_updates_words() {
    let mut redaction = redaction(RecordContent::None);
    let mut details = Map::new();
    details.insert("recording_duration".into(), json!(61));
    details.insert("note".into(), json!("caller said 555-123-4567"));
    let mut update = Record::SessionUpdate {
        call: CallKey {
            agent: "clinic".into(),
            conversation_id: "c1".into(),
        },
        at_ms: 1,
        recording_status: Some("completed".into()),
        recording_url: Some("https://example.com/rec.wav".into()),
        details,
    };
    redaction.apply(&mut update);
    let Record::SessionUpdate {
        recording_status,
        recording_url,
        details,
        ..
    } = update
    else {
        unreachable!()
    };
    assert_eq!(recording_status.as_deref(), Some("completed"));
    assert!(recording_url.is_none());
    assert_eq!(Value::Object(details), json!({"recording_duration": 61}));
}

#[test]
fn full_changes_nothing_but_says_so() {
    let mut redaction = redaction(RecordContent::Full);
    let mut record = turn("call me on 555-123-4567", "ok");
    assert!(redaction.needs_counts(&record).is_none());
    redaction.apply(&mut record);
    let Record::Turn(kept) = record else {
        unreachable!()
    };
    assert_eq!(kept.user_text, "call me on 555-123-4567");
    assert_eq!(kept.record_content.as_deref(), Some("full"));
}

#[test]
fn forgetting_a_call_drops_its_numbering() {
    let mut redaction = redaction(RecordContent::Redacted);
    let call = one_phone_number_numbered(&mut redaction);
    let mut forget = Record::Forget { call: call.clone() };
    assert!(redaction.needs_counts(&forget).is_none());
    redaction.apply(&mut forget);
    // Deleted: nothing is stored any more, and the old value is no longer held.
    redaction.continue_from(call, &BTreeMap::new());
    let mut again = turn("call 555-987-6543", "");
    redaction.apply(&mut again);
    let Record::Turn(again) = again else {
        unreachable!()
    };
    assert_eq!(again.user_text, "call [phone 1]");
}
