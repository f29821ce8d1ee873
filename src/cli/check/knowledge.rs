//! What `check` says of the knowledge bases: off, or for each set of folders how many
//! files and passages are indexed, the index's size and how long it took, the language,
//! the files skipped, which agents use it and how, and one sample search with what it found
//! and how long it took.

use std::io::Write;

use crate::config::{KnowledgeMode, Settings};
use crate::startup::OperatorFiles;

/// The knowledge bases' lines; never fails the check (a skipped file is a warning).
pub(super) fn knowledge<W: Write>(
    settings: &Settings,
    files: &OperatorFiles,
    out: &mut W,
) -> std::io::Result<()> {
    if files.knowledge.is_empty() {
        let off = files
            .agents
            .agents
            .iter()
            .all(|a| a.knowledge.mode == KnowledgeMode::Off);
        if off && settings.knowledge.mode == KnowledgeMode::Off {
            writeln!(out, "  knowledge          off (KNOWLEDGE_MODE=off)")?;
        }
        return Ok(());
    }
    for shelf in &files.knowledge {
        let base = shelf.current();
        let users: Vec<_> = files
            .agents
            .agents
            .iter()
            .filter(|a| a.knowledge.mode != KnowledgeMode::Off && a.knowledge.dirs == shelf.dirs())
            .collect();
        if base.index.is_empty() {
            writeln!(
                out,
                "  knowledge          none (no Markdown, text or HTML files in {})",
                base.where_from()
            )?;
            continue;
        }
        let using = match users.as_slice() {
            [only] if !files.agents.from_files => format!(
                "{}: top {}",
                only.knowledge.mode.as_str(),
                only.knowledge.top_k
            ),
            _ => users
                .iter()
                .map(|a| {
                    format!(
                        "{} {}, top {}",
                        a.name,
                        a.knowledge.mode.as_str(),
                        a.knowledge.top_k
                    )
                })
                .collect::<Vec<_>>()
                .join("; "),
        };
        writeln!(
            out,
            "  knowledge          {} files, {} passages from {} ({using}, score at least {}, language {}){}",
            base.files,
            base.index.len(),
            base.where_from(),
            base.min_score,
            base.language,
            match base.skipped.len() {
                0 => String::new(),
                n => format!("; {n} skipped (see the warnings above)"),
            }
        )?;
        let text_bytes: usize = base.index.passages().iter().map(|p| p.text.len()).sum();
        writeln!(
            out,
            "    index          {} KiB of text, index {} KiB, built in {} ms",
            text_bytes.div_ceil(1024),
            base.index
                .bytes()
                .map_or_else(|| "?".to_string(), |b| b.div_ceil(1024).to_string()),
            base.took.as_millis()
        )?;
        if let Some(embedder) = shelf.embedder() {
            let texts = base.texts();
            writeln!(
                out,
                "    embeddings     {} at {} ({} of {} passages cached in {}; the rest are embedded at start-up)",
                embedder.model(),
                crate::secret::shown_url(embedder.url()),
                embedder.cached(&texts),
                texts.len(),
                embedder.cache_file().display()
            )?;
        }
        sample(&base, users.first().map_or(3, |a| a.knowledge.top_k), out)?;
    }
    Ok(())
}

/// A sample: the first passage's heading (or first words) searched as a caller would say
/// them, with what it found and how long it took.
fn sample<W: Write>(
    base: &crate::knowledge::KnowledgeBase,
    top_k: usize,
    out: &mut W,
) -> std::io::Result<()> {
    let Some(first) = base.index.passages().first() else {
        return Ok(());
    };
    let sample: String = if first.heading.is_empty() {
        first
            .text
            .split_whitespace()
            .take(6)
            .collect::<Vec<_>>()
            .join(" ")
    } else {
        first.heading.replace(" › ", " ")
    };
    let started = std::time::Instant::now();
    let hits = base.search(&sample, top_k);
    let took = started.elapsed();
    let found = match hits.first() {
        Some(hit) => format!("{} (score {:.2})", hit.passage.file, hit.score),
        None => "nothing above the score floor".into(),
    };
    writeln!(
        out,
        "    sample search  \"{sample}\" → {found} in {} µs",
        took.as_micros()
    )
}

/// An agent's Vapi knowledge-base route: closed, open, or open with nothing to search.
pub(super) fn vapi_line<W: Write>(
    agent: &crate::config::AgentConfig,
    out: &mut W,
) -> std::io::Result<()> {
    let line = match (&agent.door.vapi_secret, agent.knowledge.mode) {
        (None, _) => "closed (no secret: vapi_secret in the agent file, or VAPI_SECRET)".into(),
        (Some(_), KnowledgeMode::Off) => {
            "secret set, but the agent's knowledge is off: the route answers 404".into()
        }
        (Some(_), _) => format!("POST /vapi/knowledge-base/{} (secret set)", agent.name),
    };
    writeln!(out, "    Vapi knowledge base: {line}")
}
