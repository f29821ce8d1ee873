//! A knowledge base from the operator's files: documents cut into passages (file, heading
//! path, position) and a full-text index of them searched in well under a millisecond per
//! query, in the language of the agent's speech.

pub mod index;
pub mod passage;
pub mod source;

pub use index::{language, Hit, IndexError, PassageIndex};
pub use passage::{passages, Format, Passage};
pub use source::{read_folder, Folder};

/// A knowledge base ready to search: its passages indexed, and how much a turn takes.
#[derive(Debug)]
pub struct KnowledgeBase {
    pub index: PassageIndex,
    /// The folder it was read from.
    pub dir: std::path::PathBuf,
    /// Files read.
    pub files: usize,
    /// Files skipped, each with why.
    pub skipped: Vec<String>,
    /// Most passages a search returns.
    pub top_k: usize,
    /// The score a passage needs.
    pub min_score: f32,
    /// The language code its words are stemmed in.
    pub language: String,
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
    /// Reads and indexes `dir`. The files it skipped are in `skipped`; a folder without
    /// any passage still loads (and finds nothing).
    pub fn load(
        dir: &std::path::Path,
        language_code: &str,
        top_k: usize,
        min_score: f32,
    ) -> Result<Self, KnowledgeError> {
        let stemmer = language(language_code)
            .ok_or_else(|| KnowledgeError::Language(language_code.into()))?;
        let folder = read_folder(dir);
        Ok(Self {
            index: PassageIndex::build(folder.passages, stemmer)?,
            dir: dir.to_path_buf(),
            files: folder.files,
            skipped: folder.skipped,
            top_k,
            min_score,
            language: language_code.to_string(),
        })
    }

    /// The passages that answer `words` best (at most `top_k`, none under `min_score`).
    pub fn search(&self, words: &str) -> Vec<Hit<'_>> {
        self.index.search(words, self.top_k, self.min_score)
    }
}
