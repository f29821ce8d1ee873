//! Turning the model's text into speech (pure, no async): a streaming cleanup filter
//! (markdown, code, reasoning, emoji) feeding a sentence chunker; [`normalize`](mod@normalize)
//! rewrites a chunk's numbers, money, dates and symbols into words for the TTS engine.

mod boundary;
pub mod chunker;
pub mod filter;
#[cfg(test)]
mod language_cases;
pub mod languages;
mod markdown;
pub mod normalize;
mod periods;
pub mod pronounce;
pub mod rules;
pub mod voice;

pub use chunker::{ChunkPolicy, SentenceChunker};
pub use filter::SpeechFilter;
pub use languages::SentenceLanguage;
pub use normalize::{detect, normalize, Language};
pub use pronounce::Pronunciations;
pub use voice::{LanguageChoice, Voice, VoiceReply};

/// How replies become speech. Defaults, and why:
/// - `max_chars` 250: a long sentence is about 15 s of speech; cutting there keeps audio
///   flowing without cutting ordinary sentences.
/// - `first_chunk_min_chars` 40: a first sentence that runs on is cut at its first clause
///   boundary after about 8 words, so the first audio starts sooner; shorter first
///   clauses would sound clipped.
/// - `min_chunk_chars` 10: "Okay." or "Sure!" after the first chunk joins the next
///   sentence, which TTS voices say more naturally; the first chunk is never held (its
///   latency is the one the user waits through), and a pause releases a held one.
/// - `drop_emoji` true: TTS engines read emoji names aloud or skip them unpredictably.
///
/// Fixed rules, not settings:
/// - A period after an abbreviation or a capital initial ends no sentence. An abbreviation
///   that is also an ordinary word or unit counts only in its unambiguous form: titles
///   capitalised ("Gen. Lee", not "next gen."; "Ms. Lee", not "50 ms."); "min", "max",
///   "est" and the like before a number ("max. 5 people", not "up to max."); day and month
///   names and "No." capitalised before a number ("Sat. 3 May", "Mar. 3rd", "No. 5", not
///   "the sun.", "she sat.", "I said no."). Words in capitals ("HR.") are acronyms. The
///   lists (English, German, French, Spanish, Italian, Portuguese, Dutch, Russian) are in
///   [`rules`].
/// - A number's period is an ordinal's after a German article or preposition ("am 3.",
///   "Der 1. FC") and for a day before a month name ("bis 26. Dezember"); an ellipsis
///   before a number goes on ("Wait... 3 more"); a CJK quote closed after `。！？` ends the
///   sentence unless a quoting particle follows ("「行きます。」と言った").
/// - Markdown marks are stripped only where they are markup: a `*`, `_`, `~` or backtick
///   with space on both sides, `*` between digits ("7*8"), `_` or a backtick inside a word
///   ("snake_case") and a single `~` ("~5 minutes") stay for the voice to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SpeechSettings {
    /// How sentences become chunks.
    pub policy: ChunkPolicy,
    /// Remove emoji from speech.
    pub drop_emoji: bool,
    /// Whose sentence rules cut replies (`SPEECH_LANGUAGE`).
    pub language: SentenceLanguage,
}

impl Default for SpeechSettings {
    fn default() -> Self {
        Self {
            policy: ChunkPolicy::default(),
            drop_emoji: true,
            language: SentenceLanguage::Auto,
        }
    }
}

/// One reply's text on its way to speech: cleanup, then chunking into sentences, or (for
/// a platform that chunks speech itself) the cleaned text in the pieces it arrived in.
#[derive(Debug, Clone)]
pub struct SpeechStream {
    filter: SpeechFilter,
    /// `None`: cleaned pieces go out as they come.
    chunker: Option<SentenceChunker>,
}

impl SpeechStream {
    /// A stream for one reply, in sentences.
    pub fn new(settings: SpeechSettings) -> Self {
        Self {
            filter: SpeechFilter::new(settings.drop_emoji),
            chunker: Some(SentenceChunker::new(settings.policy).in_language(settings.language)),
        }
    }

    /// A stream for one reply that gives the cleaned text as it arrives, unchunked.
    pub fn pieces(settings: SpeechSettings) -> Self {
        Self {
            filter: SpeechFilter::new(settings.drop_emoji),
            chunker: None,
        }
    }

    /// `clean` in chunks: the chunker's, or as one piece (none when empty).
    fn chunk(&mut self, clean: &str) -> Vec<String> {
        match &mut self.chunker {
            _ if clean.is_empty() => Vec::new(),
            Some(chunker) => chunker.push(clean),
            None => vec![clean.to_string()],
        }
    }

    /// Adds a raw delta from the model; returns the chunks now ready to speak.
    pub fn push(&mut self, delta: &str) -> Vec<String> {
        let clean = self.filter.push(delta);
        self.chunk(&clean)
    }

    /// The model paused (idle, or switched to a tool call): returns what can be spoken
    /// now without waiting for more text.
    pub fn pause(&mut self) -> Vec<String> {
        let clean = self.filter.pause();
        let mut out = self.chunk(&clean);
        out.extend(
            self.chunker
                .as_mut()
                .map(SentenceChunker::pause)
                .unwrap_or_default(),
        );
        out
    }

    /// The reply is complete: returns everything left.
    pub fn finish(&mut self) -> Vec<String> {
        let clean = self.filter.finish();
        let mut out = self.chunk(&clean);
        out.extend(
            self.chunker
                .as_mut()
                .map(SentenceChunker::finish)
                .unwrap_or_default(),
        );
        out
    }

    /// The reply was cut off before the model finished (the token cap): returns the
    /// complete sentences left; an unfinished one is never spoken (in pieces, what was
    /// written has gone out already, and the rest goes too).
    pub fn finish_cut(&mut self) -> Vec<String> {
        let clean = self.filter.finish();
        let mut out = self.chunk(&clean);
        out.extend(
            self.chunker
                .as_mut()
                .map(SentenceChunker::finish_complete)
                .unwrap_or_default(),
        );
        out
    }

    /// True when text is waiting for its sentence to end.
    pub fn has_pending(&self) -> bool {
        self.chunker
            .as_ref()
            .is_some_and(SentenceChunker::has_pending)
    }
}

#[cfg(test)]
mod tests;
