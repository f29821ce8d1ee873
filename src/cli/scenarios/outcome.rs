//! What playing a scenario found: each expectation and whether it held, per turn and per
//! scenario, in the shape the reports print.

use serde::Serialize;

/// One expectation and whether it held.
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    /// What was expected, e.g. `said "tomorrow"`.
    pub label: String,
    /// Whether it held.
    pub passed: bool,
    /// Why it did not, e.g. `not in "It ships Monday."`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub why: Option<String>,
}

impl Check {
    pub(super) fn new(label: String, failure: Option<String>) -> Self {
        Self {
            label,
            passed: failure.is_none(),
            why: failure,
        }
    }
}

/// What happened in one turn (the welcome counts as a turn with no user line).
#[derive(Debug, Clone, Serialize)]
pub struct TurnResult {
    /// What the user said; `None` for the welcome.
    pub user: Option<String>,
    /// The sentences heard.
    pub heard: Vec<String>,
    /// The expectations, in the file's order.
    pub checks: Vec<Check>,
    /// From sending the webhook to the first `response.tts`.
    pub first_audio_ms: Option<u64>,
    /// From sending the webhook to the end of the stream (or the barge-in).
    pub total_ms: u64,
}

/// What happened in one scenario.
#[derive(Debug, Clone, Serialize)]
pub struct ScenarioResult {
    /// The scenario's file.
    pub file: String,
    /// Its description.
    pub description: String,
    /// Whether every expectation held.
    pub passed: bool,
    /// Expectations about the scenario as a whole (unsupported features).
    pub checks: Vec<Check>,
    /// Its turns, in order.
    pub turns: Vec<TurnResult>,
}

impl ScenarioResult {
    /// Every failed expectation, as `label: why` lines.
    pub fn failures(&self) -> Vec<String> {
        self.checks
            .iter()
            .chain(self.turns.iter().flat_map(|t| t.checks.iter()))
            .filter(|c| !c.passed)
            .map(|c| match &c.why {
                Some(why) => format!("{}: {why}", c.label),
                None => c.label.clone(),
            })
            .collect()
    }
}
