//! What `check` says of costs: per agent, the price of each model it may call (primary
//! and fallbacks) from its price file, and which have none (their turns cost `null`); and
//! a warning when a system prompt puts a per-turn value early, where it keeps providers'
//! prompt caches from ever matching. Never fails the check: these are gaps in the figures
//! and money left on the table, not a broken setup.

use std::io::Write;

use crate::config::Settings;
use crate::startup::{agent_prices, OperatorFiles};

/// One line per agent and model.
pub(super) fn prices<W: Write>(
    settings: &Settings,
    files: &OperatorFiles,
    out: &mut W,
) -> std::io::Result<()> {
    for agent in &files.agents.agents {
        let Ok(prices) = agent_prices(&files.prices, agent) else {
            continue;
        };
        let file = agent
            .prices_file
            .as_ref()
            .unwrap_or(&settings.calls.prices_file)
            .display()
            .to_string();
        let dated = prices
            .dated
            .as_deref()
            .map(|d| format!(", dated {d}"))
            .unwrap_or_default();
        let who = if files.agents.from_files {
            format!("{}: ", agent.name)
        } else {
            String::new()
        };
        for upstream in &agent.llm.upstreams {
            let model = &upstream.model;
            let line = match prices.model(model) {
                Some(price) => format!(
                    "{who}{model}: ${} in · ${} cached · ${} out per million tokens ({file}{dated})",
                    price.input,
                    price.cached_input.unwrap_or(price.input),
                    price.output
                ),
                None => format!(
                    "{who}{model} has no price in {file}: its turns cost null (add [models.\"{model}\"])"
                ),
            };
            writeln!(out, "  prices             {line}")?;
        }
        if let Some(minutes) = prices.minutes {
            writeln!(
                out,
                "  prices             {who}${} per minute of a session (platform, speech-to-text, text-to-speech)",
                minutes.per_minute()
            )?;
        }
    }
    Ok(())
}

/// An agent's post-call analysis: what it asks for, and whether it runs (it needs the
/// post-call webhook).
pub(super) fn analysis_line<W: Write>(
    settings: &Settings,
    agent: &crate::config::AgentConfig,
    out: &mut W,
) -> std::io::Result<()> {
    let Some(analysis) = &agent.analysis else {
        return Ok(());
    };
    let mut asked = Vec::new();
    if let Some(file) = &analysis.schema_file {
        asked.push(format!("data ({})", file.display()));
    } else if analysis.schema.is_some() {
        asked.push("data".to_string());
    }
    if analysis.success.is_some() {
        asked.push("success".into());
    }
    if analysis.summary {
        asked.push("summary".into());
    }
    let when = if settings.calls.post_call.is_some() {
        "after each call, before the post-call webhook"
    } else {
        "NOT RUN: set POST_CALL_WEBHOOK_URL, which triggers it"
    };
    writeln!(out, "    analysis: {} ({when})", asked.join(", "))
}

/// Values a template may read that change from turn to turn (`now`) or call to call
/// (`metadata`, `client`).
const PER_TURN: [&str; 3] = ["now", "metadata", "client"];

/// The first per-turn value the template `source` reads in its first half: its name and
/// line. Providers cache a prompt's longest unchanged beginning, so the text before the
/// first such value is all that can be reused.
pub(super) fn early_per_turn_value(source: &str) -> Option<(&'static str, usize)> {
    let half = source.len() / 2;
    let mut at = 0;
    while let Some(open) = source[at..].find(['{']).map(|n| n + at) {
        if open >= half {
            return None;
        }
        let tag = &source[open..];
        if !(tag.starts_with("{{") || tag.starts_with("{%")) {
            at = open + 1;
            continue;
        }
        let end = tag.find(['}']).map_or(tag.len(), |n| n + 1);
        let inside = &tag[2..end.max(2)];
        let words = inside.split(|c: char| !(c.is_alphanumeric() || c == '_'));
        if let Some(name) = words
            .filter_map(|w| PER_TURN.iter().find(|p| **p == w))
            .next()
        {
            let line = source[..open].matches('\n').count() + 1;
            return Some((name, line));
        }
        at = open + end;
    }
    None
}

/// Warns when `prompt` reads a per-turn value in its first half.
pub(super) fn cache_warning<W: Write>(prompt: &str, out: &mut W) -> std::io::Result<()> {
    let Some((name, line)) = early_per_turn_value(prompt) else {
        return Ok(());
    };
    writeln!(
        out,
        "    warning: `{name}` on line {line} comes early in the prompt: the text after it changes \
         with every turn or call, so providers' prompt caches cannot reuse it; put unchanging \
         instructions first and per-turn values at the end (docs/costs.md#prompt-caching)"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_per_turn_value_early_is_found_and_one_at_the_end_is_not() {
        let rules = "Speak briefly and kindly. ".repeat(20);
        let early = format!("Today is {{{{ now.date }}}}.\n{rules}");
        assert_eq!(early_per_turn_value(&early), Some(("now", 1)));
        let late = format!("{rules}\nThe caller is {{{{ metadata.name | default('unknown') }}}}.");
        assert_eq!(early_per_turn_value(&late), None);
        let tag = format!(
            "Hello.\n{{% if client.page %}}On {{{{ client.page }}}}.{{% endif %}}\n{rules}"
        );
        assert_eq!(early_per_turn_value(&tag), Some(("client", 2)));
        assert_eq!(
            early_per_turn_value(&format!("{{{{ agent }}}} {rules}")),
            None
        );
        assert_eq!(early_per_turn_value("{ not a tag } {"), None);
        let shipped =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/prompts/system.md"))
                .expect("the shipped prompt");
        assert_eq!(early_per_turn_value(&shipped), None);
    }
}
