//! What the writer does to a record before it is stored: the agent's `RECORD_CONTENT`.
//! With `redacted`, every word the call leaves (turns, what was heard, tools' arguments
//! and results, the caller's metadata, Layercode's `session.end` report) has its personal
//! data replaced by placeholders numbered per call (`[phone 1]`); with `none`, no text is
//! kept at all. Summaries, analyses and the post-call webhook read the stored record, so
//! they see only what is kept.
//!
//! The numbering lives in memory, one ledger per call (the values never leave the
//! process). A machine that meets a call it has no ledger for (after a restart, or when
//! another machine answered the call's earlier turns) continues from the counts stored
//! with the call, so a number is never given to two values; the same value said again
//! there takes a new number.

use std::collections::{BTreeMap, HashMap};
use std::num::NonZeroUsize;

use lru::LruCache;
use serde_json::{Map, Value};

use super::record::{CallKey, Record, TurnRecord};
use crate::privacy::{Ledger, Policy, RecordContent, Redactor};

/// Calls whose ledgers one machine keeps; the least recently used is forgotten first (and
/// continued from its stored counts if it comes back).
const LEDGERS: usize = 10_000;

/// The agents' policies and the ledgers of the calls being written.
#[derive(Debug)]
pub struct Redaction {
    policies: HashMap<String, Policy>,
    fallback: Policy,
    ledgers: LruCache<CallKey, Ledger>,
    /// Records pass untouched (tests of the writer itself).
    off: bool,
}

impl Redaction {
    /// `policies` by agent name; `fallback` for any other agent.
    pub fn new(policies: HashMap<String, Policy>, fallback: Policy) -> Self {
        Self {
            policies,
            fallback,
            ledgers: LruCache::new(NonZeroUsize::new(LEDGERS).unwrap_or(NonZeroUsize::MIN)),
            off: false,
        }
    }

    /// Records pass as they are, not even marked `full`.
    pub fn off() -> Self {
        Self {
            off: true,
            ..Self::new(HashMap::new(), Policy::default())
        }
    }

    fn policy(&self, agent: &str) -> &Policy {
        self.policies.get(agent).unwrap_or(&self.fallback)
    }

    /// The call whose stored counts must be read before `record` is redacted: its words
    /// are redacted and this machine has no ledger for it yet.
    pub fn needs_counts(&self, record: &Record) -> Option<CallKey> {
        let call = call_of(record)?;
        let redacted = self.policy(&call.agent).content == RecordContent::Redacted;
        (redacted && !self.ledgers.contains(call)).then(|| call.clone())
    }

    /// Starts `call`'s ledger from its stored counts.
    pub fn continue_from(&mut self, call: CallKey, counts: &BTreeMap<String, u32>) {
        self.ledgers.put(call, Ledger::continuing(counts));
    }

    /// Applies the agent's policy to `record`.
    pub fn apply(&mut self, record: &mut Record) {
        if self.off {
            return;
        }
        let Some(call) = call_of(record).cloned() else {
            return;
        };
        let policy = self.policy(&call.agent).clone();
        match policy.content {
            RecordContent::Full => {
                if let Record::Turn(turn) = record {
                    turn.record_content = Some(RecordContent::Full.as_str().into());
                }
            }
            RecordContent::None => keep_no_text(record),
            RecordContent::Redacted => {
                let ledger = self
                    .ledgers
                    .get_or_insert_mut(call.clone(), Ledger::default);
                redact(record, &policy.redactor, ledger);
                if matches!(record, Record::SessionEnd { .. }) {
                    self.ledgers.pop(&call);
                }
            }
        }
    }
}

fn call_of(record: &Record) -> Option<&CallKey> {
    match record {
        Record::Turn(turn) => Some(&turn.call),
        Record::Heard { call, .. } | Record::SessionEnd { call, .. } => Some(call),
        Record::SessionUpdate { .. } => None,
    }
}

fn redact(record: &mut Record, redactor: &Redactor, ledger: &mut Ledger) {
    let mut text = |text: &mut String| {
        if let std::borrow::Cow::Owned(redacted) = redactor.redact(text, Some(&mut *ledger)) {
            *text = redacted;
        }
    };
    match record {
        Record::Turn(turn) => {
            text(&mut turn.user_text);
            text(&mut turn.agent_text);
            for tool in &mut turn.tools {
                text(&mut tool.arguments);
                if let Some(result) = &mut tool.result {
                    text(result);
                }
            }
            for value in turn.caller.metadata.values_mut() {
                strings(value, &mut text);
            }
            turn.record_content = Some(RecordContent::Redacted.as_str().into());
            turn.redactions = Some(ledger.counts().clone());
        }
        Record::Heard { text: heard, .. } => text(heard),
        Record::SessionEnd {
            report, redactions, ..
        } => {
            for value in report.values_mut() {
                strings(value, &mut text);
            }
            *redactions = Some(ledger.counts().clone());
        }
        Record::SessionUpdate { .. } => {}
    }
}

/// Calls `each` on every string inside `value`.
fn strings(value: &mut Value, each: &mut impl FnMut(&mut String)) {
    match value {
        Value::String(text) => each(text),
        Value::Array(items) => items.iter_mut().for_each(|v| strings(v, each)),
        Value::Object(fields) => fields.values_mut().for_each(|v| strings(v, each)),
        _ => {}
    }
}

/// `RECORD_CONTENT=none`: timings, outcomes, tools' names and outcomes, tokens and cost;
/// no words, no metadata, no phone numbers.
fn keep_no_text(record: &mut Record) {
    match record {
        Record::Turn(turn) => no_text_turn(turn),
        Record::Heard { text, .. } => text.clear(),
        Record::SessionEnd { report, .. } => {
            let kept = without_strings(std::mem::take(report));
            *report = kept;
        }
        Record::SessionUpdate { .. } => {}
    }
}

fn no_text_turn(turn: &mut TurnRecord) {
    turn.user_text.clear();
    turn.agent_text.clear();
    for tool in &mut turn.tools {
        tool.arguments.clear();
        tool.result = None;
    }
    turn.caller = Default::default();
    turn.record_content = Some(RecordContent::None.as_str().into());
}

/// The report's numbers and flags (durations, latencies, usage), without any text.
fn without_strings(fields: Map<String, Value>) -> Map<String, Value> {
    fields
        .into_iter()
        .filter_map(|(key, value)| numbers_only(value).map(|value| (key, value)))
        .collect()
}

fn numbers_only(value: Value) -> Option<Value> {
    match value {
        Value::String(_) => None,
        Value::Array(items) => {
            let kept: Vec<Value> = items.into_iter().filter_map(numbers_only).collect();
            (!kept.is_empty()).then_some(Value::Array(kept))
        }
        Value::Object(fields) => {
            let kept = without_strings(fields);
            (!kept.is_empty()).then_some(Value::Object(kept))
        }
        other => Some(other),
    }
}

#[cfg(test)]
mod tests {
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
}
