//! The last step before text-to-speech: the pronunciation dictionary, then normalization
//! (numbers, money, dates, symbols in spoken form) in the reply's language. Applied to
//! `response.tts` only; `response.data` and history keep the model's own text.

use std::borrow::Cow;
use std::sync::Arc;

use super::normalize::{detect, normalize, Language};
use super::pronounce::Pronunciations;

/// How much of a reply (and of the conversation's last words) is looked at to guess its
/// language, in bytes (`SPEECH_LANGUAGE=auto`).
const DETECT_FROM_CHARS: usize = 300;
/// The least text a guess is made from; until then (and when unsure) English. Once
/// [`DETECT_FROM_CHARS`] of a reply were looked at, the guess stands for its rest.
const MIN_DETECT_CHARS: usize = 40;

/// Which language normalization speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LanguageChoice {
    /// Always this one.
    Fixed(Language),
    /// Guessed per reply from its first sentences; while they are too short to tell,
    /// from them with the conversation's last words (what the caller just said, the
    /// previous reply); English when still unsure.
    Auto,
}

/// What is done to each sentence before it is spoken.
#[derive(Debug, Clone)]
pub struct Voice {
    normalize: bool,
    language: LanguageChoice,
    pronunciations: Pronunciations,
}

impl Voice {
    /// Normalization on or off, in `language`, after `pronunciations`.
    pub fn new(normalize: bool, language: LanguageChoice, pronunciations: Pronunciations) -> Self {
        Self {
            normalize,
            language,
            pronunciations,
        }
    }

    /// The same dictionary, with normalization and its language as given (an agent's own
    /// `speech_language`).
    pub fn speaking(&self, normalize: bool, language: LanguageChoice) -> Self {
        Self {
            normalize,
            language,
            pronunciations: self.pronunciations.clone(),
        }
    }

    /// Sentences are spoken as they are (tests, and `SPEECH_NORMALIZE=false` with no
    /// dictionary).
    pub fn plain() -> Self {
        Self::new(
            false,
            LanguageChoice::Fixed(Language::En),
            Pronunciations::default(),
        )
    }

    /// Whether normalization is on.
    pub fn normalizes(&self) -> bool {
        self.normalize
    }

    /// The language setting.
    pub fn language(&self) -> LanguageChoice {
        self.language
    }

    /// Words in the pronunciation dictionary.
    pub fn pronunciations(&self) -> usize {
        self.pronunciations.len()
    }
}

/// A voice speaking one reply: remembers the reply's language once guessed.
#[derive(Debug, Clone)]
pub struct VoiceReply {
    voice: Arc<Voice>,
    detected: Option<Language>,
    seen: String,
    /// The conversation's last words, for a reply too short to tell its language.
    context: String,
}

impl VoiceReply {
    /// A new reply in `voice`.
    pub fn new(voice: Arc<Voice>) -> Self {
        Self {
            voice,
            detected: None,
            seen: String::new(),
            context: String::new(),
        }
    }

    /// The same, with the conversation's last words (`SPEECH_LANGUAGE=auto` reads them
    /// while the reply is too short to tell its language).
    pub fn in_context<'t>(mut self, words: impl IntoIterator<Item = &'t str>) -> Self {
        if self.voice.normalize && self.voice.language == LanguageChoice::Auto {
            for text in words {
                // The end of each text, within what is looked at in all (bytes).
                let room = DETECT_FROM_CHARS.saturating_sub(self.context.len());
                let mut start = text.len().saturating_sub(room);
                while !text.is_char_boundary(start) {
                    start += 1;
                }
                self.context.push(' ');
                self.context.push_str(&text[start..]);
            }
        }
        self
    }

    /// What the text-to-speech engine gets for `sentence`; borrowed when nothing changed.
    pub fn say<'s>(&mut self, sentence: &'s str) -> Cow<'s, str> {
        let pronounced = self.voice.pronunciations.apply(sentence);
        if !self.voice.normalize {
            return pronounced;
        }
        let language = self.language_of(sentence);
        match pronounced {
            Cow::Borrowed(text) => normalize(text, language),
            Cow::Owned(text) => Cow::Owned(normalize(&text, language).into_owned()),
        }
    }

    fn language_of(&mut self, sentence: &str) -> Language {
        match self.voice.language {
            LanguageChoice::Fixed(language) => language,
            LanguageChoice::Auto => {
                if let Some(language) = self.detected {
                    return language;
                }
                if self.seen.len() < DETECT_FROM_CHARS {
                    self.seen.push(' ');
                    self.seen.push_str(sentence);
                }
                // A guess from a few words is no guess: wait for a sentence's worth.
                if self.seen.chars().count() >= MIN_DETECT_CHARS {
                    self.detected = detect(&self.seen);
                }
                if let Some(language) = self.detected {
                    return language;
                }
                // Not sure yet: this sentence with the conversation's last words (not
                // kept, so the reply's own words decide once there are enough).
                let guess = if self.context.is_empty()
                    || self.context.chars().count() + self.seen.chars().count() < MIN_DETECT_CHARS
                {
                    Language::En
                } else {
                    detect(&format!("{}{}", self.context, self.seen)).unwrap_or(Language::En)
                };
                if self.seen.len() >= DETECT_FROM_CHARS {
                    // All that is looked at was: this guess stands for the rest.
                    self.detected = Some(guess);
                }
                guess
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_voices_change_nothing_and_borrow() {
        let mut reply = VoiceReply::new(Arc::new(Voice::plain()));
        assert!(matches!(
            reply.say("It costs $5."),
            Cow::Borrowed("It costs $5.")
        ));
    }

    #[test]
    fn the_dictionary_comes_before_normalization() {
        let words = Pronunciations::from_pairs(&[("nginx", "engine x")]).expect("valid");
        let voice = Voice::new(true, LanguageChoice::Fixed(Language::En), words);
        let mut reply = VoiceReply::new(Arc::new(voice));
        let said = reply.say("Nginx costs $5.");
        assert!(said.starts_with("engine x costs 5 dollars"), "{said}");
    }

    /// What a reply sounds like when its text arrives in the pieces `cuts` makes.
    fn spoken(text: &str, cuts: &[usize]) -> Vec<String> {
        spoken_in(Language::En, text, cuts)
    }

    fn spoken_in(language: Language, text: &str, cuts: &[usize]) -> Vec<String> {
        let voice = Arc::new(Voice::new(
            true,
            LanguageChoice::Fixed(language),
            Pronunciations::from_pairs(&[("nginx", "engine x")]).expect("valid"),
        ));
        let mut reply = VoiceReply::new(voice);
        let settings = crate::speech::SpeechSettings {
            language: crate::speech::SentenceLanguage::from_code(language.code())
                .expect("a language with rules"),
            ..crate::speech::SpeechSettings::default()
        };
        let mut stream = crate::speech::SpeechStream::new(settings);
        let mut bounds: Vec<usize> = cuts
            .iter()
            .map(|c| c % (text.len() + 1))
            .filter(|c| text.is_char_boundary(*c))
            .collect();
        bounds.push(0);
        bounds.push(text.len());
        bounds.sort_unstable();
        bounds.dedup();
        let mut out = Vec::new();
        for pair in bounds.windows(2) {
            for sentence in stream.push(&text[pair[0]..pair[1]]) {
                out.push(reply.say(&sentence).into_owned());
            }
        }
        for sentence in stream.finish() {
            out.push(reply.say(&sentence).into_owned());
        }
        out
    }

    proptest::proptest! {
        #[test]
        fn the_spoken_forms_are_the_same_however_the_stream_is_split(
            cuts in proptest::collection::vec(0usize..400, 0..40),
        ) {
            let text = "Your plan is $49.95 a month, renewing on 2024-07-03. Call \
                +1 (555) 010-0199 at 3:30 pm or write to support@example.com, e.g. \
                about Nginx. It is 25°C and 50% off. Vielen Dank!";
            proptest::prop_assert_eq!(spoken(text, &cuts), spoken(text, &[]));
        }

        #[test]
        fn each_language_s_spoken_forms_are_the_same_however_the_stream_is_split(
            language in 0usize..4,
            cuts in proptest::collection::vec(0usize..400, 0..40),
        ) {
            let (language, text) = [
                (Language::En, "Open Mon–Fri at 8.30 pm, version 2.10. We won 3:0, \
                    add 1½ cups, see § 5 and No. 5, follow #news or @anna_b. It is 50 m²."),
                (Language::De, "Geöffnet Mo.-Fr. um 8.30 Uhr, z. B. zum 3. Mal. Es steht 2:1 \
                    nach 1½ Std. Version 2.5, Nr. 5, 80 m². Der 2. Platz!"),
                (Language::Fr, "Ouvert lun.–ven. à 8.30 h, p. ex. au XIXe siècle. Score 2:1, \
                    ajoutez ½ tasse et 1½ heure. Écrivez à jean_dupont@exemple.fr, n° 5."),
                (Language::Es, "Abierto lun–vie a las 8.30 h. Ganamos 2:1 en EE. UU. con \
                    media hora. Añade ½ taza, son 1½ horas, núm. 5, versión 1.5."),
            ][language];
            proptest::prop_assert_eq!(spoken_in(language, text, &cuts), spoken_in(language, text, &[]));
        }
    }

    #[test]
    fn a_short_reply_takes_its_language_from_the_conversation() {
        let voice = Arc::new(Voice::new(
            true,
            LanguageChoice::Auto,
            Pronunciations::default(),
        ));
        // Alone, "Gerne, 5 €." is too short to tell: English.
        let mut alone = VoiceReply::new(voice.clone());
        assert_eq!(alone.say("Gerne, 5 €."), "Gerne, 5 euros.");
        let caller = "Wie viel kostet der Versand nach Berlin, bitte?";
        let mut reply = VoiceReply::new(voice.clone()).in_context([caller]);
        assert_eq!(reply.say("Gerne, 5 €."), "Gerne, 5 Euro.");
        // A long reply decides by its own words, whatever was said before.
        let mut reply = VoiceReply::new(voice).in_context([caller]);
        let said = reply.say("Of course, shipping to Berlin costs 5 € and takes two days.");
        assert!(said.contains("5 euros"), "{said}");
    }

    #[test]
    fn a_reply_in_another_language_stops_being_guessed_after_a_while() {
        let voice = Arc::new(Voice::new(
            true,
            LanguageChoice::Auto,
            Pronunciations::default(),
        ));
        let mut reply = VoiceReply::new(voice);
        let italian = "Il pacco arriva martedì e costa solo 5 €, grazie mille per la pazienza.";
        for _ in 0..6 {
            assert!(reply.say(italian).contains("5 euros"));
        }
        assert_eq!(
            reply.detected,
            Some(Language::En),
            "settled, not guessed per sentence"
        );
    }

    #[test]
    fn auto_detects_the_reply_language_from_its_first_sentences() {
        let voice = Voice::new(true, LanguageChoice::Auto, Pronunciations::default());
        let mut reply = VoiceReply::new(Arc::new(voice));
        let said = reply.say("Das Paket kommt am Dienstag bei Ihnen an und kostet nur 5 €.");
        assert!(said.contains("Euro"), "{said}");
    }
}
