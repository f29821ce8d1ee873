//! A knowledge base that can be read again while the server runs. A search takes the
//! current base (an `Arc` copied under a read lock held for no longer than that), so it
//! never waits on indexing; [`Shelf::reload`] reads and indexes the folders beside it and
//! swaps the new base in only when it is complete. A reload that fails keeps the old base.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, RwLock};

use super::{KnowledgeBase, KnowledgeError};

/// The current knowledge base of some folders.
#[derive(Debug)]
pub struct Shelf {
    dirs: Vec<PathBuf>,
    language: String,
    min_score: f32,
    current: RwLock<Arc<KnowledgeBase>>,
    /// One reload at a time: a second request waits for the first and reads again.
    reloading: Mutex<()>,
}

impl Shelf {
    /// Reads and indexes `dirs` (blocking).
    pub fn load(
        dirs: Vec<PathBuf>,
        language: &str,
        min_score: f32,
    ) -> Result<Self, KnowledgeError> {
        let base = KnowledgeBase::load(&dirs, language, min_score)?;
        Ok(Self {
            dirs,
            language: language.to_string(),
            min_score,
            current: RwLock::new(Arc::new(base)),
            reloading: Mutex::new(()),
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

    /// Reads and indexes the folders again and makes the result current; searches go on
    /// with the old base meanwhile. Blocking: run it off the async threads.
    pub fn reload(&self) -> Result<Arc<KnowledgeBase>, KnowledgeError> {
        let _one = match self.reloading.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        let base = Arc::new(KnowledgeBase::load(
            &self.dirs,
            &self.language,
            self.min_score,
        )?);
        match self.current.write() {
            Ok(mut current) => *current = base.clone(),
            Err(poisoned) => *poisoned.into_inner() = base.clone(),
        }
        Ok(base)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reload_reads_changed_files_and_old_bases_stay_usable() {
        let dir = std::env::temp_dir().join(format!("voicebridge-shelf-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("folder");
        std::fs::write(dir.join("hours.md"), "## Hours\nWe open at nine.").expect("write");
        let shelf = Shelf::load(vec![dir.clone()], "en", 0.1).expect("loads");
        let before = shelf.current();
        assert!(before.search("parking garage", 3).is_empty());
        std::fs::write(dir.join("parking.md"), "## Parking\nThe garage is free.").expect("write");
        let after = shelf.reload().expect("reloads");
        assert_eq!(
            after.search("parking garage", 3)[0].passage.file,
            "parking.md"
        );
        assert_eq!(shelf.current().files, 2);
        // A turn that took the old base before the reload still reads it whole.
        assert_eq!((before.files, before.search("open", 3).len()), (1, 1));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
