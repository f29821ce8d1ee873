//! `check`'s line on what an agent's calls keep of the callers' words (`RECORD_CONTENT`,
//! `REDACT_FOR_MODEL`, `[[redact]]`).

use std::io::Write;

use crate::config::{AgentConfig, Settings};
use crate::privacy::RecordContent;

/// The placeholder types every agent's redaction knows.
const BUILT_IN: &str = "card, phone, email, iban, ssn, national_id, date_of_birth, address";

/// `    records: redacted (…); the model gets …`
pub(super) fn privacy_line<W: Write>(
    settings: &Settings,
    agent: &AgentConfig,
    out: &mut W,
) -> std::io::Result<()> {
    let policy = &agent.privacy;
    let kept = match policy.content {
        RecordContent::Full => "full (every word as said; RECORD_CONTENT=redacted replaces \
                                personal data)"
            .to_string(),
        RecordContent::Redacted => {
            let own = policy.redactor.custom_names();
            let extra = if own.is_empty() {
                String::new()
            } else {
                format!(", and {}", own.join(", "))
            };
            format!("redacted ({BUILT_IN}{extra} replaced in records, logs and spans)")
        }
        RecordContent::None => {
            "none (no words: timings, outcomes, tools' names, tokens and cost)".to_string()
        }
    };
    let store = if settings.calls.store_url.is_none() {
        "; no call store: logs and spans only"
    } else {
        ""
    };
    let model = if policy.for_model {
        "the model is sent placeholders (REDACT_FOR_MODEL)"
    } else {
        "the model is sent the words as said"
    };
    writeln!(out, "    records: {kept}{store}; {model}")
}
