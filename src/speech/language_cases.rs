//! The boundary cases of every language (`languages/cases/<code>.toml`), each cut by its
//! language's rules and by `auto`, fed whole, one character at a time, and split in two
//! at every character.

use serde::Deserialize;

use super::languages::{codes, rules_for, SentenceLanguage};
use super::{ChunkPolicy, SpeechSettings};

#[derive(Deserialize)]
struct Cases {
    case: Vec<Case>,
}

#[derive(Deserialize)]
struct Case {
    text: String,
    sentences: Vec<String>,
}

fn speak(language: SentenceLanguage, deltas: &[&str]) -> Vec<String> {
    let settings = SpeechSettings {
        policy: ChunkPolicy {
            max_chars: 250,
            first_chunk_min_chars: 0,
            min_chunk_chars: 0,
        },
        drop_emoji: true,
        language,
    };
    super::tests::speak(settings, deltas)
}

/// Every way `case` is checked: whole, by character, and in two at every character.
fn failures(language: SentenceLanguage, case: &Case) -> Option<String> {
    let text = case.text.as_str();
    let whole = speak(language, &[text]);
    if whole != case.sentences {
        return Some(format!(
            "fed whole: {text:?}\n  want {:?}\n  got  {whole:?}",
            case.sentences
        ));
    }
    let chars: Vec<String> = text.chars().map(String::from).collect();
    let refs: Vec<&str> = chars.iter().map(String::as_str).collect();
    let by_char = speak(language, &refs);
    if by_char != case.sentences {
        return Some(format!("by character: {text:?}\n  got {by_char:?}"));
    }
    for (at, _) in text.char_indices().skip(1) {
        let split = speak(language, &[&text[..at], &text[at..]]);
        if split != case.sentences {
            return Some(format!("split at {at}: {text:?}\n  got {split:?}"));
        }
    }
    None
}

fn cases(code: &str) -> Cases {
    let path = format!(
        "{}/src/speech/languages/cases/{code}.toml",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    toml::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn run(auto: bool) {
    let mut failed = Vec::new();
    let mut total = 0;
    for code in codes() {
        let cases = cases(code);
        assert!(cases.case.len() >= 10, "{code}: {} cases", cases.case.len());
        let language = if auto {
            SentenceLanguage::Auto
        } else {
            SentenceLanguage::Fixed(rules_for(code).expect("a language with rules"))
        };
        for case in &cases.case {
            total += 1;
            if let Some(failure) = failures(language, case) {
                failed.push(format!("[{code}] {failure}"));
            }
        }
    }
    assert!(
        failed.is_empty(),
        "{} of {total} cases failed:\n{}",
        failed.len(),
        failed.join("\n")
    );
}

#[test]
fn every_language_cuts_its_cases_by_its_own_rules() {
    run(false);
}

#[test]
fn auto_cuts_every_language_s_cases() {
    run(true);
}

/// Every language's cases joined into one reply, as a stream to split.
fn replies() -> Vec<(SentenceLanguage, String)> {
    codes()
        .map(|code| {
            let rules = rules_for(code).expect("a language with rules");
            let texts: Vec<String> = cases(code).case.into_iter().map(|c| c.text).collect();
            (SentenceLanguage::Fixed(rules), texts.join(" "))
        })
        .collect()
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(200))]

    /// However a reply in any language streams in, and in its language or `auto`, it is
    /// cut into the same sentences.
    #[test]
    fn any_split_cuts_every_language_the_same(
        language in 0usize..20,
        auto: bool,
        cuts in proptest::collection::vec(0usize..4000, 0..30),
    ) {
        let replies = replies();
        let (fixed, text) = &replies[language % replies.len()];
        let language = if auto { SentenceLanguage::Auto } else { *fixed };
        let pieces = super::tests::pieces(text, &cuts);
        let pieces: Vec<&str> = pieces.iter().map(String::as_str).collect();
        proptest::prop_assert_eq!(speak(language, &pieces), speak(language, &[text.as_str()]));
    }
}

#[test]
fn the_language_guess_reads_the_same_start_however_the_reply_is_split() {
    // "é" lies across byte 300: the guess reads the 299 bytes before it either way.
    let text = format!(
        "{}é Karel IV. Lucemburský byl český král. Vládl dlouho.",
        "x".repeat(299)
    );
    let whole = speak(SentenceLanguage::Auto, &[&text]);
    for at in [299, 301, 305] {
        let split = speak(SentenceLanguage::Auto, &[&text[..at], &text[at..]]);
        assert_eq!(split, whole, "split at {at}");
    }
}
