//! What `check` says of the knowledge base: off, or how many files and passages are
//! indexed from where, in which language, the files skipped, and one sample search with
//! what it found and how long it took.

use std::io::Write;

use crate::config::{KnowledgeMode, Settings};
use crate::startup::OperatorFiles;

/// The knowledge base's line; never fails the check (a skipped file is a warning).
pub(super) fn knowledge<W: Write>(
    settings: &Settings,
    files: &OperatorFiles,
    out: &mut W,
) -> std::io::Result<()> {
    let Some(base) = &files.knowledge else {
        if settings.knowledge.mode == KnowledgeMode::Off {
            writeln!(out, "  knowledge          off (KNOWLEDGE_MODE=off)")?;
        }
        return Ok(());
    };
    if base.index.is_empty() {
        writeln!(
            out,
            "  knowledge          none (no Markdown or text files in {})",
            base.dir.display()
        )?;
        return Ok(());
    }
    writeln!(
        out,
        "  knowledge          {} files, {} passages from {} (prefetch: top {}, score at least {}, language {}){}",
        base.files,
        base.index.len(),
        base.dir.display(),
        base.top_k,
        base.min_score,
        base.language,
        match base.skipped.len() {
            0 => String::new(),
            n => format!("; {n} skipped (see the warnings above)"),
        }
    )?;
    // A sample: the first passage's heading (or first words) as a caller would say them.
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
    let hits = base.search(&sample);
    let took = started.elapsed();
    let found = match hits.first() {
        Some(hit) => format!("{} (score {:.2})", hit.passage.file, hit.score),
        None => "nothing above the score floor".into(),
    };
    writeln!(
        out,
        "    sample search  \"{sample}\" → {found} in {} µs",
        took.as_micros()
    )?;
    Ok(())
}
