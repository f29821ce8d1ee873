//! A knowledge base from the operator's files: documents cut into passages (file, heading
//! path, position) and a full-text index of them searched in well under a millisecond per
//! query, in the language of the agent's speech. A [`Shelf`] holds the current one and
//! reads the folders again on request, serving the old one until the new one is ready.

pub mod embed;
pub mod html;
pub mod index;
pub mod passage;
pub mod shelf;
pub mod source;
pub mod vectors;

pub use index::{language, Hit, IndexError, PassageIndex};
pub use passage::{passages, Format, Passage};
pub use shelf::Shelf;
pub use source::{read_folders, Folder};
pub use vectors::Vectors;

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
    /// The passages' vectors, in the index's order, once embedded (`EMBEDDINGS_MODEL`).
    pub vectors: std::sync::OnceLock<Vectors>,
}

/// How many passages each ranking offers the fusion for `top_k` results.
pub fn candidates(top_k: usize) -> usize {
    (top_k * 3).max(10)
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
            vectors: std::sync::OnceLock::new(),
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

    /// [`Self::search_turn`] fused with the passages nearest to `meaning` (the vector of
    /// the caller's latest words, when embeddings are on and it came in time): see
    /// [`Self::fuse_meaning`].
    pub fn search_meaning(
        &self,
        latest: &str,
        previous: Option<&str>,
        meaning: Option<&[f32]>,
        min_similarity: f32,
        top_k: usize,
    ) -> Vec<Hit<'_>> {
        let depth = if meaning.is_some() {
            candidates(top_k)
        } else {
            top_k
        };
        let by_words = self.search_turn(latest, previous, depth);
        self.fuse_meaning(by_words, meaning, min_similarity, top_k)
    }

    /// `by_words` (keyword hits, best first) fused by reciprocal rank with the passages
    /// nearest to `meaning`, at least `min_similarity` close: the best `top_k`. A fused
    /// passage's score is its fusion score scaled to 0–1 (1 for the top of both rankings,
    /// about 0.5 for the top of one). Without a vector (or the passages' vectors), the
    /// keyword results as they are.
    pub fn fuse_meaning<'a>(
        &'a self,
        mut by_words: Vec<Hit<'a>>,
        meaning: Option<&[f32]>,
        min_similarity: f32,
        top_k: usize,
    ) -> Vec<Hit<'a>> {
        let (Some(meaning), Some(vectors)) = (meaning, self.vectors.get()) else {
            by_words.truncate(top_k);
            return by_words;
        };
        let passages = self.index.passages();
        let by_words: Vec<usize> = by_words
            .iter()
            .filter_map(|hit| passages.iter().position(|p| std::ptr::eq(p, hit.passage)))
            .collect();
        let by_meaning: Vec<usize> = vectors
            .nearest(meaning, candidates(top_k), min_similarity)
            .into_iter()
            .map(|(n, _)| n)
            .collect();
        vectors::fuse(&[&by_words, &by_meaning])
            .into_iter()
            .take(top_k)
            .filter_map(|(n, score)| passages.get(n).map(|passage| Hit { passage, score }))
            .collect()
    }

    /// Every passage's text, in the index's order (what is embedded).
    pub fn texts(&self) -> Vec<&str> {
        self.index
            .passages()
            .iter()
            .map(|p| p.text.as_str())
            .collect()
    }

    /// The folders, as a line says them (`knowledge`, `knowledge/sales + knowledge/faq`).
    pub fn where_from(&self) -> String {
        let dirs: Vec<String> = self.dirs.iter().map(|d| d.display().to_string()).collect();
        dirs.join(" + ")
    }
}
