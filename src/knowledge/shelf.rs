//! A knowledge base that can be read again while the server runs. A search takes the
//! current base (an `Arc` copied under a read lock held for no longer than that), so it
//! never waits on indexing; [`Shelf::refresh`] reads and indexes the folders beside it
//! (on a blocking thread), embeds its passages when embeddings are on (from the cache for
//! unchanged text), and swaps the new base in only when all that is done. A refresh whose
//! files cannot be indexed keeps the old base; one whose embedding fails still swaps the
//! new base in, searched by keyword, and says why.

use std::path::PathBuf;
use std::sync::{Arc, RwLock};

use super::embed::{EmbedReport, Embedder};
use super::{KnowledgeBase, KnowledgeError, Vectors};

/// The current knowledge base of some folders.
#[derive(Debug)]
pub struct Shelf {
    dirs: Vec<PathBuf>,
    language: String,
    min_score: f32,
    current: RwLock<Arc<KnowledgeBase>>,
    /// Embeds passages and questions (`EMBEDDINGS_MODEL`); `None`: keywords only.
    embedder: Option<Arc<Embedder>>,
    /// One refresh at a time: a second request waits for the first and reads again.
    refreshing: tokio::sync::Mutex<()>,
}

/// What a refresh did: the new base, and how its vectors were found.
#[derive(Debug)]
pub struct Refreshed {
    pub base: Arc<KnowledgeBase>,
    /// `None` without embeddings, or when embedding failed.
    pub embedded: Option<EmbedReport>,
    /// Why the passages were not embedded: the new base is searched by keyword only.
    pub embed_error: Option<String>,
}

/// What a refresh could not do; the old base is kept.
#[derive(Debug, thiserror::Error)]
pub enum RefreshError {
    #[error(transparent)]
    Index(#[from] KnowledgeError),
    #[error("embedding the passages: {0}")]
    Embed(#[from] super::embed::EmbedError),

    #[error("the refresh stopped: {0}")]
    Stopped(String),
}

impl Shelf {
    /// Reads and indexes `dirs` (blocking); the passages are embedded by the first
    /// [`Shelf::embed_current`] or [`Shelf::refresh`].
    pub fn load(
        dirs: Vec<PathBuf>,
        language: &str,
        min_score: f32,
        embedder: Option<Arc<Embedder>>,
    ) -> Result<Self, KnowledgeError> {
        let base = KnowledgeBase::load(&dirs, language, min_score)?;
        Ok(Self {
            dirs,
            language: language.to_string(),
            min_score,
            current: RwLock::new(Arc::new(base)),
            embedder,
            refreshing: tokio::sync::Mutex::new(()),
        })
    }

    /// The base searches use now.
    pub fn current(&self) -> Arc<KnowledgeBase> {
        match self.current.read() {
            Ok(base) => base.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// The folders it reads.
    pub fn dirs(&self) -> &[PathBuf] {
        &self.dirs
    }

    /// The embedder, when embeddings are on.
    pub fn embedder(&self) -> Option<&Arc<Embedder>> {
        self.embedder.as_ref()
    }

    /// Reads and indexes the folders again (blocking), without making the result current.
    pub fn build(&self) -> Result<KnowledgeBase, KnowledgeError> {
        KnowledgeBase::load(&self.dirs, &self.language, self.min_score)
    }

    /// Makes `base` the one searches use.
    pub fn install(&self, base: Arc<KnowledgeBase>) {
        match self.current.write() {
            Ok(mut current) => *current = base,
            Err(poisoned) => *poisoned.into_inner() = base,
        }
    }

    /// Embeds the current base's passages when embeddings are on and it has no vectors
    /// yet (start-up does this in the background: until it is done, turns search by
    /// keyword only).
    pub async fn embed_current(&self) -> Result<Option<EmbedReport>, RefreshError> {
        let _one = self.refreshing.lock().await;
        let base = self.current();
        if base.vectors.get().is_some() {
            return Ok(None);
        }
        self.embed(&base).await
    }

    /// Reads, indexes and embeds the folders again, then makes the result current;
    /// searches go on with the old base meanwhile.
    pub async fn refresh(self: &Arc<Self>) -> Result<Refreshed, RefreshError> {
        let _one = self.refreshing.lock().await;
        let shelf = self.clone();
        let base = tokio::task::spawn_blocking(move || shelf.build())
            .await
            .map_err(|e| RefreshError::Stopped(e.to_string()))??;
        let base = Arc::new(base);
        // Changed files are served even while the embeddings server is down.
        let (embedded, embed_error) = match self.embed(&base).await {
            Ok(report) => (report, None),
            Err(error) => (None, Some(error.to_string())),
        };
        self.install(base.clone());
        Ok(Refreshed {
            base,
            embedded,
            embed_error,
        })
    }

    async fn embed(&self, base: &KnowledgeBase) -> Result<Option<EmbedReport>, RefreshError> {
        let Some(embedder) = &self.embedder else {
            return Ok(None);
        };
        let texts = base.texts();
        let (vectors, report) = embedder.vectors(&texts).await?;
        let vectors = Vectors::new(vectors).ok_or_else(|| {
            super::embed::EmbedError("the passages' vectors differ in length".into())
        })?;
        // Set once: a base that already has vectors keeps them.
        let _ = base.vectors.set(vectors);
        Ok(Some(report))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_refresh_reads_changed_files_and_old_bases_stay_usable() {
        let dir = std::env::temp_dir().join(format!("voicebridge-shelf-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("folder");
        std::fs::write(dir.join("hours.md"), "## Hours\nWe open at nine.").expect("write");
        let shelf = Arc::new(Shelf::load(vec![dir.clone()], "en", 0.1, None).expect("loads"));
        let before = shelf.current();
        assert!(before.search("parking garage", 3).is_empty());
        std::fs::write(dir.join("parking.md"), "## Parking\nThe garage is free.").expect("write");
        let refreshed = shelf.refresh().await.expect("refreshes");
        assert!(refreshed.embedded.is_none(), "no embeddings configured");
        assert!(refreshed.embed_error.is_none());
        let after = refreshed.base;
        assert_eq!(
            after.search("parking garage", 3)[0].passage.file,
            "parking.md"
        );
        assert_eq!(shelf.current().files, 2);
        // A turn that took the old base before the refresh still reads it whole.
        assert_eq!((before.files, before.search("open", 3).len()), (1, 1));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
