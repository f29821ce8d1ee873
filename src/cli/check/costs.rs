//! What `check` says of prices: per agent, the price of each model it may call (primary
//! and fallbacks) from its price file, and which have none (their turns cost `null`). Never
//! fails the check: an unpriced model is a gap in the figures, not a broken setup.

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
