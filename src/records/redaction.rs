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

    /// The call whose stored counts must be read before `record` is redacted: every
    /// redacted record, since another machine may have numbered values of the call since.
    pub fn needs_counts(&self, record: &Record) -> Option<CallKey> {
        if matches!(record, Record::Forget { .. }) {
            return None;
        }
        let call = call_of(record)?;
        let redacted = self.policy(&call.agent).content == RecordContent::Redacted;
        redacted.then(|| call.clone())
    }

    /// Brings `call`'s ledger up to its stored counts (or starts it from them).
    pub fn continue_from(&mut self, call: CallKey, counts: &BTreeMap<String, u32>) {
        match self.ledgers.get_mut(&call) {
            Some(ledger) => ledger.raise(counts),
            None => {
                self.ledgers.put(call, Ledger::continuing(counts));
            }
        }
    }

    /// Applies the agent's policy to `record`.
    pub fn apply(&mut self, record: &mut Record) {
        if self.off {
            return;
        }
        let Some(call) = call_of(record).cloned() else {
            return;
        };
        if matches!(record, Record::Forget { .. }) {
            self.ledgers.pop(&call);
            return;
        }
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
        Record::Heard { call, .. }
        | Record::SessionEnd { call, .. }
        | Record::SessionUpdate { call, .. }
        | Record::Forget { call } => Some(call),
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
        Record::Forget { .. } => {}
        Record::SessionUpdate { details, .. } => {
            for value in details.values_mut() {
                strings(value, &mut text);
            }
        }
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
        Record::Forget { .. } => {}
        // The recording holds every word: its link is not kept either.
        Record::SessionUpdate {
            recording_url,
            details,
            ..
        } => {
            *recording_url = None;
            let kept = without_strings(std::mem::take(details));
            *details = kept;
        }
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
mod tests;
