//! A knowledge base from the operator's files: documents cut into passages (file, heading
//! path, position) and a full-text index of them searched in well under a millisecond per
//! query, in the language of the agent's speech. A [`Shelf`] holds the current one and
//! reads the folders again on request, serving the old one until the new one is ready.

pub mod html;
pub mod index;
pub mod passage;
pub mod shelf;
pub mod source;

pub use index::{language, Hit, IndexError, PassageIndex};
pub use passage::{passages, Format, Passage};
pub use shelf::Shelf;
pub use source::{read_folders, Folder};

use std::path::PathBuf;

/// A knowledge base ready to search: its passages indexed.
#[derive(Debug)]
pub struct KnowledgeBase {
    pub index: PassageIndex,
    /// The folders it was read from.
    pub dirs: Vec<PathBuf>,
    /// Files read.
    pub files: usize,
    /// Files skipped, each with why.
    pub skipped: Vec<String>,
    /// The score a passage needs.
    pub min_score: f32,
    /// The language code its words are stemmed in.
    pub language: String,
    /// How long reading and indexing took.
    pub took: std::time::Duration,
}

/// What [`KnowledgeBase::load`] could not do.
#[derive(Debug, thiserror::Error)]
pub enum KnowledgeError {
    /// No stemmer for the language code.
    #[error("`{0}` is not a language the knowledge base can stem (en, de, fr, es, it, nl, pt, sv, da, no, fi, ru, …)")]
    Language(String),
    #[error(transparent)]
    Index(#[from] IndexError),
}

impl KnowledgeBase {
    /// Reads and indexes `dirs`. The files it skipped are in `skipped`; folders without
    /// any passage still load (and find nothing).
    pub fn load(
        dirs: &[PathBuf],
        language_code: &str,
        min_score: f32,
    ) -> Result<Self, KnowledgeError> {
        let started = std::time::Instant::now();
        let stemmer = language(language_code)
            .ok_or_else(|| KnowledgeError::Language(language_code.into()))?;
        let folder = read_folders(dirs);
        Ok(Self {
            index: PassageIndex::build(folder.passages, stemmer)?,
            dirs: dirs.to_vec(),
            files: folder.files,
            skipped: folder.skipped,
            min_score,
            language: language_code.to_string(),
            took: started.elapsed(),
        })
    }

    /// The passages that answer `words` best (at most `top_k`, none under `min_score`).
    pub fn search(&self, words: &str, top_k: usize) -> Vec<Hit<'_>> {
        self.index.search(words, top_k, self.min_score)
    }

    /// The passages that answer `latest` best, helped by `previous` (the caller's turn
    /// before) at half weight: at most `top_k`, none under `min_score` once weighed.
    pub fn search_turn(&self, latest: &str, previous: Option<&str>, top_k: usize) -> Vec<Hit<'_>> {
        let mut hits = self.search(latest, top_k);
        let Some(previous) = previous.filter(|p| !p.trim().is_empty()) else {
            return hits;
        };
        for mut hit in self.index.search(previous, top_k, 0.0) {
            hit.score *= 0.5;
            let known = hits.iter().any(|h| std::ptr::eq(h.passage, hit.passage));
            if !known && hit.score >= self.min_score {
                hits.push(hit);
            }
        }
        hits.sort_by(|a, b| b.score.total_cmp(&a.score));
        hits.truncate(top_k);
        hits
    }

    /// The folders, as a line says them (`knowledge`, `knowledge/sales + knowledge/faq`).
    pub fn where_from(&self) -> String {
        let dirs: Vec<String> = self.dirs.iter().map(|d| d.display().to_string()).collect();
        dirs.join(" + ")
    }
}
