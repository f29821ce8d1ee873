//! The full-text index of a knowledge base's passages (tantivy, in memory): BM25 over the
//! passage text and, boosted, its heading path, with one analyzer for the index and the
//! query (words lower-cased, the language's stop words removed, stemmed, accents folded),
//! so "Bestellung" finds "Bestellungen", "Lander" finds "Länder" and "shipping" finds
//! "ship".
//!
//! A query is the caller's words, not a query language: they are analyzed into terms and
//! any of them may match (no `AND`, `:` or `-` syntax a caller could trip over).

use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, BoostQuery, Occur, Query, TermQuery};
use tantivy::schema::{
    Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions, Value, STORED,
};
use tantivy::tokenizer::{
    AsciiFoldingFilter, Language, LowerCaser, RemoveLongFilter, SimpleTokenizer, Stemmer,
    StopWordFilter, TextAnalyzer, TokenStream,
};
use tantivy::{doc, Index, IndexReader, ReloadPolicy, TantivyDocument, Term};

use super::passage::Passage;

/// The analyzer's name in the index.
const ANALYZER: &str = "voicebridge";
/// How much more a word of the heading path counts than a word of the text.
const HEADING_BOOST: f32 = 1.5;
/// tantivy's smallest writer memory budget (15 MB; not exported by the crate).
const WRITER_BUDGET: usize = 15_000_000;

/// Why an index could not be built or searched.
#[derive(Debug, thiserror::Error)]
#[error("the knowledge index: {0}")]
pub struct IndexError(String);

impl From<tantivy::TantivyError> for IndexError {
    fn from(error: tantivy::TantivyError) -> Self {
        Self(error.to_string())
    }
}

/// The stemming language of a language code (`en`, `de`, `fr`, `es`, `it`, `nl`, `pt`,
/// `sv`, `da`, `no`, `fi`, `ru`, …); `None` for one without a stemmer.
pub fn language(code: &str) -> Option<Language> {
    let code = code.trim().to_ascii_lowercase();
    let base = code.split(['-', '_']).next().unwrap_or_default();
    Some(match base {
        "ar" => Language::Arabic,
        "da" => Language::Danish,
        "nl" => Language::Dutch,
        "en" => Language::English,
        "fi" => Language::Finnish,
        "fr" => Language::French,
        "de" => Language::German,
        "el" => Language::Greek,
        "hu" => Language::Hungarian,
        "it" => Language::Italian,
        "no" | "nb" | "nn" => Language::Norwegian,
        "pt" => Language::Portuguese,
        "ro" => Language::Romanian,
        "ru" => Language::Russian,
        "es" => Language::Spanish,
        "sv" => Language::Swedish,
        "ta" => Language::Tamil,
        "tr" => Language::Turkish,
        _ => return None,
    })
}

/// Words of spoken English questions that say nothing about what is asked, on top of the
/// short English stop list tantivy has (its other languages' lists are longer): without
/// them "do you sell bicycles" matches any text with "do" and "you" in it.
const SPOKEN_ENGLISH: &[&str] = &[
    "i", "me", "my", "we", "our", "us", "you", "your", "he", "she", "him", "her", "its", "them",
    "do", "does", "did", "doing", "done", "can", "could", "would", "should", "shall", "may",
    "might", "must", "have", "has", "had", "am", "been", "being", "what", "when", "where", "which",
    "who", "whom", "whose", "why", "how", "please", "hi", "hello", "yes", "okay", "ok", "so",
    "just", "also", "about", "from", "any", "some", "all", "there", "here", "get", "got", "like",
    "want", "need", "know", "tell", "thanks", "thank",
];

fn analyzer(language: Language) -> TextAnalyzer {
    let builder = TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(40))
        .filter(LowerCaser)
        .dynamic();
    let builder = match StopWordFilter::new(language) {
        Some(stop_words) => builder.filter_dynamic(stop_words),
        None => builder,
    };
    let builder = if language == Language::English {
        builder.filter_dynamic(StopWordFilter::remove(
            SPOKEN_ENGLISH.iter().map(|w| w.to_string()),
        ))
    } else {
        builder
    };
    // Folded after stemming: the German stemmer wants its umlauts.
    builder
        .filter_dynamic(Stemmer::new(language))
        .filter_dynamic(AsciiFoldingFilter)
        .build()
}

/// The most characters of a question searched: what a caller says in a turn is far
/// shorter; a longer text (a whole pasted document) is cut, not searched whole.
pub const MAX_QUERY_CHARS: usize = 2000;

/// `words` cut to [`MAX_QUERY_CHARS`] characters.
pub fn bounded(words: &str) -> &str {
    match words.char_indices().nth(MAX_QUERY_CHARS) {
        Some((end, _)) => &words[..end],
        None => words,
    }
}

/// A passage found, with its BM25 score.
#[derive(Debug, Clone, Copy)]
pub struct Hit<'a> {
    pub passage: &'a Passage,
    pub score: f32,
}

/// The passages of a knowledge base, indexed.
pub struct PassageIndex {
    reader: IndexReader,
    analyzer: TextAnalyzer,
    text: Field,
    heading: Field,
    id: Field,
    passages: Vec<Passage>,
}

impl std::fmt::Debug for PassageIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PassageIndex({} passages)", self.passages.len())
    }
}

impl PassageIndex {
    /// Indexes `passages` for `language`.
    pub fn build(passages: Vec<Passage>, language: Language) -> Result<Self, IndexError> {
        let indexing = TextFieldIndexing::default()
            .set_tokenizer(ANALYZER)
            .set_index_option(IndexRecordOption::WithFreqsAndPositions);
        let text_options = TextOptions::default().set_indexing_options(indexing);
        let mut schema = Schema::builder();
        let text = schema.add_text_field("text", text_options.clone());
        let heading = schema.add_text_field("heading", text_options);
        let id = schema.add_u64_field("id", STORED);
        let index = Index::create_in_ram(schema.build());
        index.tokenizers().register(ANALYZER, analyzer(language));
        let mut writer = index.writer_with_num_threads::<TantivyDocument>(1, WRITER_BUDGET)?;
        for (n, passage) in passages.iter().enumerate() {
            writer.add_document(doc!(
                text => passage.text.as_str(),
                heading => passage.heading.as_str(),
                id => n as u64,
            ))?;
        }
        writer.commit()?;
        writer.wait_merging_threads()?;
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        Ok(Self {
            reader,
            analyzer: analyzer(language),
            text,
            heading,
            id,
            passages,
        })
    }

    /// Its passages, in the order they were indexed.
    pub fn passages(&self) -> &[Passage] {
        &self.passages
    }

    /// How many passages it holds.
    pub fn len(&self) -> usize {
        self.passages.len()
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.passages.is_empty()
    }

    /// The bytes of the index itself (its terms, postings and stored ids; the passages'
    /// text is kept beside it), `None` when tantivy cannot say.
    pub fn bytes(&self) -> Option<u64> {
        let usage = self.reader.searcher().space_usage().ok()?;
        Some(usage.total().get_bytes())
    }

    /// The passages that best match `words`, best first: at most `top_k`, none scoring
    /// under `min_score`. Words that all analyze away (stop words only) find nothing.
    pub fn search(&self, words: &str, top_k: usize, min_score: f32) -> Vec<Hit<'_>> {
        if top_k == 0 || self.passages.is_empty() {
            return Vec::new();
        }
        let words = bounded(words);
        let mut analyzer = self.analyzer.clone();
        let mut tokens = Vec::new();
        analyzer
            .token_stream(words)
            .process(&mut |token| tokens.push(token.text.clone()));
        tokens.sort();
        tokens.dedup();
        let clauses: Vec<(Occur, Box<dyn Query>)> = tokens
            .iter()
            .flat_map(|token| {
                let text = TermQuery::new(
                    Term::from_field_text(self.text, token),
                    IndexRecordOption::WithFreqs,
                );
                let heading = TermQuery::new(
                    Term::from_field_text(self.heading, token),
                    IndexRecordOption::WithFreqs,
                );
                let boosted: Box<dyn Query> =
                    Box::new(BoostQuery::new(Box::new(heading), HEADING_BOOST));
                [
                    (Occur::Should, Box::new(text) as Box<dyn Query>),
                    (Occur::Should, boosted),
                ]
            })
            .collect();
        if clauses.is_empty() {
            return Vec::new();
        }
        let query = BooleanQuery::new(clauses);
        let searcher = self.reader.searcher();
        let Ok(found) = searcher.search(&query, &TopDocs::with_limit(top_k).order_by_score())
        else {
            return Vec::new();
        };
        found
            .into_iter()
            .filter(|(score, _)| *score >= min_score)
            .filter_map(|(score, address)| {
                let document: TantivyDocument = searcher.doc(address).ok()?;
                let n = document.get_first(self.id).and_then(|v| v.as_u64())?;
                let passage = self.passages.get(usize::try_from(n).ok()?)?;
                Some(Hit { passage, score })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::knowledge::passage::{passages, Format};

    fn index(files: &[(&str, &str)], code: &str) -> PassageIndex {
        let all = files
            .iter()
            .flat_map(|(file, text)| passages(file, text, Format::Markdown))
            .collect();
        PassageIndex::build(all, language(code).expect("a language")).expect("builds")
    }

    fn best<'a>(index: &'a PassageIndex, words: &str) -> Option<&'a str> {
        index
            .search(words, 3, 0.0)
            .first()
            .map(|hit| hit.passage.file.as_str())
    }

    #[test]
    fn the_file_that_answers_is_found_first_through_inflections() {
        let index = index(
            &[
                (
                    "hours.md",
                    "## Opening hours\nThe shop opens at nine and closes at six.",
                ),
                (
                    "returns.md",
                    "## Returns\nBooks may be returned within thirty days.",
                ),
                (
                    "shipping.md",
                    "## Shipping\nWe ship orders to every country in Europe.",
                ),
            ],
            "en",
        );
        assert_eq!(best(&index, "when do you open"), Some("hours.md"));
        assert_eq!(best(&index, "can I return a book?"), Some("returns.md"));
        assert_eq!(best(&index, "shipping to Spain"), Some("shipping.md"));
        assert!(
            index.search("the and of", 3, 0.0).is_empty(),
            "stop words only"
        );
        assert!(index.search("", 3, 0.0).is_empty());
    }

    #[test]
    fn german_words_are_stemmed_and_folded() {
        let index = index(
            &[
                (
                    "zeiten.md",
                    "## Öffnungszeiten\nWir öffnen montags um neun Uhr.",
                ),
                (
                    "versand.md",
                    "## Versand\nBestellungen versenden wir in alle Länder.",
                ),
            ],
            "de",
        );
        // "Öffnungszeit" finds the plural heading; "Bestellung" the plural, "Lander" the
        // umlaut.
        assert_eq!(
            best(&index, "Wann ist die Öffnungszeit?"),
            Some("zeiten.md")
        );
        assert_eq!(
            best(&index, "Bestellung in andere Lander"),
            Some("versand.md")
        );
    }

    #[test]
    fn top_k_and_the_score_floor_bound_the_hits() {
        let index = index(
            &[
                ("a.md", "Tea and cake."),
                ("b.md", "Tea only."),
                ("c.md", "Tea, tea and more tea."),
            ],
            "en",
        );
        assert_eq!(index.search("tea", 2, 0.0).len(), 2);
        assert!(index.search("tea", 3, 1e6).is_empty());
        assert!(index.search("tea", 0, 0.0).is_empty());
        assert_eq!(language("pt-BR"), Some(Language::Portuguese));
        assert_eq!(language("xx"), None);
    }
}
