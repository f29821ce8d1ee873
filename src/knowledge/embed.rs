//! Embeddings of passages and questions through an OpenAI-compatible `/embeddings`
//! endpoint (`POST <base>/embeddings` with `{"model", "input": [...]}`), and the cache
//! that makes each passage's cost once: a file of records keyed by the SHA-256 of the
//! model and the passage's text. Passages whose text is unchanged are read from it after a
//! restart or a reload; new ones are embedded in batches and appended. The file's format:
//! `VBEMB1\n`, then per record 32 bytes of key, the vector's length (u32, little-endian)
//! and its numbers (f32, little-endian). A record cut short (a crash while writing) ends
//! the reading: what came before is kept. Delete the file to drop vectors no file uses.
//!
//! The endpoint is the network: its answers are bounded (size, time) and checked (one
//! finite vector per input, all of one length) before they are used.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use sha2::{Digest, Sha256};

use crate::config::EmbeddingsSettings;
use crate::secret::Secret;

/// Inputs per request.
pub const BATCH: usize = 64;
/// The most bytes of one answer read (64 vectors of 3,072 numbers as JSON is ~4 MB).
const MAX_ANSWER_BYTES: usize = 32 * 1024 * 1024;
/// How long one batch may take.
const BATCH_TIMEOUT: Duration = Duration::from_secs(60);
/// The start of a cache file.
const MAGIC: &[u8] = b"VBEMB1\n";
/// The longest vector read from a cache file.
const MAX_DIM: usize = 16_384;

/// What embedding could not do.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct EmbedError(pub String);

/// The embeddings endpoint of a knowledge base, and its cache.
#[derive(Debug)]
pub struct Embedder {
    http: reqwest::Client,
    url: String,
    key: Option<Secret>,
    model: String,
    cache_file: PathBuf,
    /// One reader or writer of the cache file at a time (shelves share the embedder).
    cache_lock: tokio::sync::Mutex<()>,
    /// The cosine a passage needs to be found by meaning.
    pub min_similarity: f32,
    /// How long a turn waits for its words' embedding.
    pub timeout: Duration,
}

/// How a knowledge base's vectors were found.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EmbedReport {
    /// Read from the cache.
    pub cached: usize,
    /// Embedded now (and added to the cache).
    pub embedded: usize,
}

impl Embedder {
    pub fn new(settings: &EmbeddingsSettings) -> Result<Self, reqwest::Error> {
        Ok(Self {
            http: crate::http::builder(crate::http::CONNECT_TIMEOUT)
                .redirect(reqwest::redirect::Policy::none())
                .build()?,
            url: format!("{}/embeddings", settings.base_url),
            key: settings.api_key.clone(),
            model: settings.model.clone(),
            cache_file: settings.cache_file.clone(),
            cache_lock: tokio::sync::Mutex::new(()),
            min_similarity: settings.min_similarity,
            timeout: settings.timeout,
        })
    }

    /// The model's name.
    pub fn model(&self) -> &str {
        &self.model
    }

    /// Where requests go (`<base>/embeddings`).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The cache file.
    pub fn cache_file(&self) -> &Path {
        &self.cache_file
    }

    /// How many of `texts` the cache file has a vector for (blocking: it reads the file).
    pub fn cached(&self, texts: &[&str]) -> usize {
        let (cache, _) = read_cache(&self.cache_file);
        texts
            .iter()
            .filter(|t| cache.contains_key(&self.key_of(t)))
            .count()
    }

    /// One vector per text of `texts`, in order: from the cache where it has them, the
    /// rest embedded (in batches of [`BATCH`], each batch appended to the cache as soon as
    /// it comes, so a later failure loses none). Texts that repeat are embedded once.
    pub async fn vectors(
        &self,
        texts: &[&str],
    ) -> Result<(Vec<Vec<f32>>, EmbedReport), EmbedError> {
        let _one = self.cache_lock.lock().await;
        let keys: Vec<[u8; 32]> = texts.iter().map(|t| self.key_of(t)).collect();
        let path = self.cache_file.clone();
        let mut cached = tokio::task::spawn_blocking(move || read_cache(&path).0)
            .await
            .map_err(|e| EmbedError(format!("reading the cache stopped: {e}")))?;
        let mut missing: Vec<usize> = Vec::new();
        for (i, key) in keys.iter().enumerate() {
            let first = keys.iter().position(|k| k == key) == Some(i);
            if first && !cached.contains_key(key) {
                missing.push(i);
            }
        }
        let cached_before = keys.iter().filter(|k| cached.contains_key(*k)).count();
        for batch in missing.chunks(BATCH) {
            let inputs: Vec<&str> = batch.iter().map(|&i| texts[i]).collect();
            let vectors = self.embed(&inputs).await?;
            let fresh: Vec<([u8; 32], Vec<f32>)> =
                batch.iter().map(|&i| keys[i]).zip(vectors).collect();
            let path = self.cache_file.clone();
            let written = fresh.clone();
            tokio::task::spawn_blocking(move || append_cache(&path, &written))
                .await
                .map_err(|e| EmbedError(format!("writing the cache stopped: {e}")))?
                .map_err(|e| {
                    EmbedError(format!("cannot write {}: {e}", self.cache_file.display()))
                })?;
            cached.extend(fresh);
        }
        let report = EmbedReport {
            cached: cached_before,
            embedded: texts.len() - cached_before,
        };
        let vectors = keys
            .iter()
            .map(|k| cached.get(k).cloned().unwrap_or_default())
            .collect();
        Ok((vectors, report))
    }

    /// The vector of a question (not cached: questions rarely repeat).
    pub async fn query(&self, text: &str) -> Result<Vec<f32>, EmbedError> {
        let mut vectors = self.embed(&[text]).await?;
        vectors.pop().ok_or_else(|| EmbedError("no vector".into()))
    }

    fn key_of(&self, text: &str) -> [u8; 32] {
        let mut hash = Sha256::new();
        hash.update(self.model.as_bytes());
        hash.update([0]);
        hash.update(text.as_bytes());
        hash.finalize().into()
    }

    /// One request: the vectors of `inputs`, in order.
    async fn embed(&self, inputs: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError> {
        let mut request = self
            .http
            .post(&self.url)
            .timeout(BATCH_TIMEOUT)
            .json(&serde_json::json!({ "model": self.model, "input": inputs }));
        if let Some(key) = &self.key {
            request = request.bearer_auth(key.expose());
        }
        let mut response = request.send().await.map_err(|e| {
            EmbedError(format!(
                "{} did not answer: {}",
                self.url,
                crate::http::error_chain(&e)
            ))
        })?;
        let status = response.status();
        let (body, cut) = crate::http::read_capped(&mut response, MAX_ANSWER_BYTES)
            .await
            .map_err(|e| EmbedError(format!("reading {}: {e}", self.url)))?;
        if !status.is_success() {
            let said: String = String::from_utf8_lossy(&body).chars().take(300).collect();
            return Err(EmbedError(format!(
                "{} answered {status}: {said}",
                self.url
            )));
        }
        if cut {
            return Err(EmbedError(format!(
                "{} answered more than {} MiB",
                self.url,
                MAX_ANSWER_BYTES / (1024 * 1024)
            )));
        }
        parse_answer(&body, inputs.len()).map_err(|why| EmbedError(format!("{}: {why}", self.url)))
    }
}

/// The vectors of an `/embeddings` answer for `count` inputs, in input order.
fn parse_answer(body: &[u8], count: usize) -> Result<Vec<Vec<f32>>, String> {
    #[derive(serde::Deserialize)]
    struct Answer {
        data: Vec<Item>,
    }
    #[derive(serde::Deserialize)]
    struct Item {
        embedding: Vec<f32>,
        index: Option<usize>,
    }
    let answer: Answer =
        serde_json::from_slice(body).map_err(|e| format!("not an embeddings answer: {e}"))?;
    if answer.data.len() != count {
        return Err(format!("{} vectors for {count} inputs", answer.data.len()));
    }
    let mut vectors = vec![Vec::new(); count];
    for (n, item) in answer.data.into_iter().enumerate() {
        let at = item.index.unwrap_or(n);
        let slot = vectors
            .get_mut(at)
            .ok_or(format!("index {at} out of range"))?;
        if !slot.is_empty() {
            return Err(format!("index {at} twice"));
        }
        if item.embedding.is_empty() || item.embedding.iter().any(|x| !x.is_finite()) {
            return Err(format!("vector {at} is empty or not finite"));
        }
        *slot = item.embedding;
    }
    let dim = vectors[0].len();
    if vectors.iter().any(|v| v.len() != dim) {
        return Err("vectors of different lengths".into());
    }
    Ok(vectors)
}

/// Every record of the cache file (none when it is missing or not one), and how many of
/// its bytes are whole records (0 when it is not a cache).
fn read_cache(path: &Path) -> (HashMap<[u8; 32], Vec<f32>>, u64) {
    let mut records = HashMap::new();
    let Ok(bytes) = std::fs::read(path) else {
        return (records, 0);
    };
    let Some(mut rest) = bytes.strip_prefix(MAGIC) else {
        tracing::warn!(file = %path.display(), "not an embeddings cache: it is not read");
        return (records, 0);
    };
    while rest.len() >= 36 {
        let key: [u8; 32] = rest[..32].try_into().unwrap_or([0; 32]);
        let dim = u32::from_le_bytes(rest[32..36].try_into().unwrap_or([0; 4])) as usize;
        let size = dim * 4;
        if dim == 0 || dim > MAX_DIM || rest.len() < 36 + size {
            break;
        }
        let vector = rest[36..36 + size]
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect();
        records.insert(key, vector);
        rest = &rest[36 + size..];
    }
    (records, (bytes.len() - rest.len()) as u64)
}

/// Appends `records` to the cache file, creating it (and its folder) when missing. A tail
/// that is not a whole record (a crash while writing) is cut off first, so what is
/// appended is read again. A file that is not a cache is left alone (an error).
fn append_cache(path: &Path, records: &[([u8; 32], Vec<f32>)]) -> std::io::Result<()> {
    if let Some(folder) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(folder)?;
    }
    let (_, whole) = read_cache(path);
    let size = std::fs::metadata(path).map_or(0, |m| m.len());
    if size > 0 && whole == 0 {
        return Err(std::io::Error::other(
            "it is not an embeddings cache: choose another EMBEDDINGS_CACHE_FILE",
        ));
    }
    if size > whole {
        std::fs::OpenOptions::new()
            .write(true)
            .open(path)?
            .set_len(whole)?;
    }
    let mut out = Vec::new();
    if whole == 0 {
        out.extend_from_slice(MAGIC);
    }
    for (key, vector) in records {
        out.extend_from_slice(key);
        out.extend_from_slice(&(vector.len() as u32).to_le_bytes());
        for x in vector {
            out.extend_from_slice(&x.to_le_bytes());
        }
    }
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?;
    file.write_all(&out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_checked_and_put_in_input_order() {
        let ok = br#"{"data":[{"embedding":[0.5,1],"index":1},{"embedding":[1,0],"index":0}]}"#;
        assert_eq!(
            parse_answer(ok, 2).expect("valid"),
            [vec![1.0, 0.0], vec![0.5, 1.0]]
        );
        let refused = |body: &[u8], count| parse_answer(body, count).expect_err("refused");
        assert_eq!(refused(ok, 3), "2 vectors for 3 inputs");
        assert!(refused(b"<html>", 1).starts_with("not an embeddings answer"));
        assert_eq!(
            refused(
                br#"{"data":[{"embedding":[1],"index":0},{"embedding":[1,2],"index":1}]}"#,
                2
            ),
            "vectors of different lengths"
        );
        assert_eq!(
            refused(
                br#"{"data":[{"embedding":[1],"index":0},{"embedding":[2],"index":0}]}"#,
                2
            ),
            "index 0 twice"
        );
        assert_eq!(
            refused(br#"{"data":[{"embedding":[],"index":0}]}"#, 1),
            "vector 0 is empty or not finite"
        );
        assert_eq!(
            refused(br#"{"data":[{"embedding":[1],"index":7}]}"#, 1),
            "index 7 out of range"
        );
    }

    #[test]
    fn the_cache_keeps_what_was_appended_and_survives_a_cut_record() {
        let path = std::env::temp_dir()
            .join(format!("voicebridge-embed-{}", std::process::id()))
            .join("cache.bin");
        let _ = std::fs::remove_file(&path);
        assert!(read_cache(&path).0.is_empty());
        append_cache(&path, &[([1; 32], vec![1.0, 2.0])]).expect("written");
        append_cache(&path, &[([2; 32], vec![3.0])]).expect("appended");
        let read = read_cache(&path).0;
        assert_eq!(read.len(), 2);
        assert_eq!(read[&[1; 32]], [1.0, 2.0]);
        // A record cut short by a crash: the ones before it are kept.
        let mut bytes = std::fs::read(&path).expect("read");
        bytes.extend_from_slice(&[3; 32]);
        bytes.extend_from_slice(&9u32.to_le_bytes());
        bytes.extend_from_slice(&[0, 0]);
        std::fs::write(&path, &bytes).expect("write");
        assert_eq!(read_cache(&path).0.len(), 2);
        // What is appended after the cut is read again: the cut tail goes first.
        append_cache(&path, &[([4; 32], vec![4.0])]).expect("appended");
        let read = read_cache(&path).0;
        assert_eq!(
            (read.len(), read[&[4; 32]].as_slice()),
            (3, [4.0].as_slice())
        );
        std::fs::write(&path, b"something else").expect("write");
        assert!(read_cache(&path).0.is_empty());
        append_cache(&path, &[([5; 32], vec![5.0])]).expect_err("not a cache: left alone");
        assert_eq!(std::fs::read(&path).expect("read"), b"something else");
        let _ = std::fs::remove_dir_all(path.parent().expect("folder"));
    }
}
