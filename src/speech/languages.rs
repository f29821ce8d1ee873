//! Sentence rules per language, as data: one TOML file per language in `languages/`
//! (their format is in `languages/README.md`), compiled in and parsed once, on first use
//! (start-up checks the setting, which parses them). Adding a language is adding its file
//! here.

use std::sync::OnceLock;

use serde::Deserialize;

/// Every language with sentence rules: its code and its file.
const FILES: [(&str, &str); 20] = [
    ("en", include_str!("languages/en.toml")),
    ("de", include_str!("languages/de.toml")),
    ("fr", include_str!("languages/fr.toml")),
    ("es", include_str!("languages/es.toml")),
    ("pt", include_str!("languages/pt.toml")),
    ("it", include_str!("languages/it.toml")),
    ("nl", include_str!("languages/nl.toml")),
    ("pl", include_str!("languages/pl.toml")),
    ("cs", include_str!("languages/cs.toml")),
    ("sv", include_str!("languages/sv.toml")),
    ("da", include_str!("languages/da.toml")),
    ("no", include_str!("languages/no.toml")),
    ("fi", include_str!("languages/fi.toml")),
    ("tr", include_str!("languages/tr.toml")),
    ("el", include_str!("languages/el.toml")),
    ("ru", include_str!("languages/ru.toml")),
    ("hi", include_str!("languages/hi.toml")),
    ("ja", include_str!("languages/ja.toml")),
    ("zh", include_str!("languages/zh.toml")),
    ("ko", include_str!("languages/ko.toml")),
];

/// The codes of every language with sentence rules, in the files' order.
pub fn codes() -> impl Iterator<Item = &'static str> {
    FILES.iter().map(|(code, _)| *code)
}

/// One language's rules as its file spells them.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    language: String,
    name: String,
    script: String,
    abbreviations: Abbreviations,
    ordinals: Ordinals,
    punctuation: Punctuation,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Abbreviations {
    anywhere: Vec<String>,
    capitalised: Vec<String>,
    before_number: Vec<String>,
    capitalised_before_number: Vec<String>,
    unless_after_number: Vec<String>,
    spaced: Vec<String>,
    two_words: Vec<(String, String)>,
    list_ends: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Ordinals {
    leads: Vec<String>,
    months: Vec<String>,
    digits_before_capital: bool,
    roman_after_name: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Punctuation {
    terminators: Vec<String>,
    quote_particles: Vec<String>,
}

/// Words, sorted, looked up by binary search: a lookup per candidate boundary costs a
/// few string comparisons and no hashing.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct WordSet(Vec<String>);

impl WordSet {
    /// Whether `word` is in the set.
    pub fn contains(&self, word: &str) -> bool {
        self.0.binary_search_by(|w| w.as_str().cmp(word)).is_ok()
    }

    fn extend(&mut self, words: impl IntoIterator<Item = String>) {
        self.0.extend(words);
        self.0.sort_unstable();
        self.0.dedup();
    }

    /// The words in both sets.
    pub fn both<'a>(&'a self, other: &'a WordSet) -> Vec<&'a String> {
        self.0.iter().filter(|w| other.contains(w)).collect()
    }
}

/// Which language's rules cut a reply into sentences.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SentenceLanguage {
    /// Every language's word lists; rules that depend on the language (Roman numerals,
    /// ordinals before a capital) follow the language guessed from the reply's start.
    #[default]
    Auto,
    /// One language's rules.
    Fixed(&'static SentenceRules),
}

impl SentenceLanguage {
    /// `auto`, or a language with rules ("pl", "pt-BR"); `None` for any other code.
    pub fn from_code(code: &str) -> Option<Self> {
        if code.trim().eq_ignore_ascii_case("auto") {
            return Some(Self::Auto);
        }
        rules_for(code).map(Self::Fixed)
    }

    /// "auto", or the language's code.
    pub fn code(self) -> &'static str {
        match self {
            Self::Auto => "auto",
            Self::Fixed(rules) => rules.code,
        }
    }
}

/// Where sentences do not end in one language, or in all of them at once (the lists of
/// every file, for a reply whose language is not known). Words are lowercase, without
/// their final period.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct SentenceRules {
    /// The language's code, or "all".
    pub code: &'static str,
    /// Its English name.
    pub name: String,
    /// Written in Latin letters (every language's, for "all").
    pub latin: bool,
    pub(super) anywhere: WordSet,
    pub(super) capitalised: WordSet,
    pub(super) before_number: WordSet,
    pub(super) capitalised_before_number: WordSet,
    pub(super) unless_after_number: WordSet,
    /// Spaced abbreviations by their parts ("z. B." is `["z", "b"]`).
    pub(super) spaced: Vec<Vec<String>>,
    /// Every part of a spaced abbreviation: a period after any other word is not inside
    /// one, which is most periods, told by one lookup.
    pub(super) spaced_parts: WordSet,
    pub(super) two_words: Vec<(String, String)>,
    pub(super) list_ends: WordSet,
    pub(super) leads: WordSet,
    pub(super) months: Vec<String>,
    pub(super) digits_before_capital: bool,
    pub(super) roman_after_name: bool,
    pub(super) terminators: Vec<char>,
    pub(super) quote_particles: Vec<String>,
}

impl SentenceRules {
    fn add(&mut self, file: File) -> Result<(), String> {
        let lower = |words: Vec<String>| -> Result<Vec<String>, String> {
            words
                .into_iter()
                .map(|word| {
                    let word = word.trim().to_lowercase();
                    if word.is_empty() || word.ends_with('.') || word.contains(char::is_whitespace)
                    {
                        Err(format!(
                            "`{word}` must be one word without its final period"
                        ))
                    } else {
                        Ok(word)
                    }
                })
                .collect()
        };
        let a = file.abbreviations;
        self.anywhere.extend(lower(a.anywhere)?);
        self.capitalised.extend(lower(a.capitalised)?);
        self.before_number.extend(lower(a.before_number)?);
        self.capitalised_before_number
            .extend(lower(a.capitalised_before_number)?);
        self.unless_after_number
            .extend(lower(a.unless_after_number)?);
        self.list_ends.extend(lower(a.list_ends)?);
        for spaced in a.spaced {
            let parts: Vec<String> = spaced
                .to_lowercase()
                .split_whitespace()
                .map(|part| part.strip_suffix('.').map(str::to_string))
                .collect::<Option<_>>()
                .ok_or_else(|| format!("spaced `{spaced}`: every part ends with a period"))?;
            if parts.len() < 2 || parts.iter().any(String::is_empty) {
                return Err(format!("spaced `{spaced}`: needs two parts or more"));
            }
            self.spaced_parts.extend(parts.iter().cloned());
            self.spaced.push(parts);
        }
        for (first, last) in a.two_words {
            self.two_words
                .push((first.to_lowercase(), last.to_lowercase()));
        }
        self.leads.extend(lower(file.ordinals.leads)?);
        self.months.extend(lower(file.ordinals.months)?);
        self.digits_before_capital |= file.ordinals.digits_before_capital;
        self.roman_after_name |= file.ordinals.roman_after_name;
        for mark in file.punctuation.terminators {
            let mut chars = mark.chars();
            match (chars.next(), chars.next()) {
                (Some(c), None) => self.terminators.push(c),
                _ => return Err(format!("terminator `{mark}` must be one character")),
            }
        }
        self.quote_particles
            .extend(file.punctuation.quote_particles);
        Ok(())
    }
}

/// Every language's rules, in the files' order, then all of them together.
struct Table {
    languages: Vec<SentenceRules>,
    all: SentenceRules,
}

/// Parses every file; a broken one is a build defect (a test parses them all).
fn load() -> Result<Table, String> {
    let mut languages = Vec::new();
    let mut all = SentenceRules {
        code: "all",
        latin: true,
        name: "all languages".into(),
        ..SentenceRules::default()
    };
    for (code, text) in FILES {
        let in_file = |e: String| format!("languages/{code}.toml: {e}");
        let file = toml::from_str::<File>(text).map_err(|e| in_file(e.to_string()))?;
        if file.language != code {
            return Err(format!("languages/{code}.toml names `{}`", file.language));
        }
        let mut rules = SentenceRules {
            code,
            latin: file.script == "Latin",
            name: file.name.clone(),
            ..SentenceRules::default()
        };
        all.add(file.clone()).map_err(in_file)?;
        rules.add(file).map_err(in_file)?;
        languages.push(rules);
    }
    Ok(Table { languages, all })
}

fn table() -> &'static Table {
    static TABLE: OnceLock<Table> = OnceLock::new();
    TABLE.get_or_init(|| load().unwrap_or_else(|e| panic!("sentence rules: {e}")))
}

/// The rules of the language with `code` ("de", "pt-BR"; the region is ignored).
pub fn rules_for(code: &str) -> Option<&'static SentenceRules> {
    let primary = code.trim().split(['-', '_']).next()?.to_ascii_lowercase();
    // Norwegian Bokmål and Nynorsk share the Norwegian rules.
    let primary = match primary.as_str() {
        "nb" | "nn" => "no",
        other => other,
    };
    table().languages.iter().find(|rules| rules.code == primary)
}

/// Every language's rules at once, for a reply whose language is not known.
pub fn all_rules() -> &'static SentenceRules {
    &table().all
}

/// The rules for the language whatlang finds likeliest in `text`, if it has rules. Its
/// best guess is taken however unsure: a short reply gets a low confidence even when its
/// language is plain ("Saray, II. Abdülhamit döneminde yapıldı." is Turkish at 0.25), and
/// only a rule or two that this language alone has follow from the guess.
pub fn detect(text: &str) -> Option<&'static SentenceRules> {
    let info = whatlang::detect(text)?;
    use whatlang::Lang::*;
    let code = match info.lang() {
        Eng => "en",
        Deu => "de",
        Fra => "fr",
        Spa => "es",
        Por => "pt",
        Ita => "it",
        Nld => "nl",
        Pol => "pl",
        Ces => "cs",
        Swe => "sv",
        Dan => "da",
        Nob => "no",
        Fin => "fi",
        Tur => "tr",
        Ell => "el",
        Rus => "ru",
        Hin => "hi",
        Jpn => "ja",
        Cmn => "zh",
        Kor => "ko",
        _ => return None,
    };
    rules_for(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_file_parses_and_names_its_language() {
        let table = load().expect("every language file is valid");
        assert_eq!(table.languages.len(), FILES.len());
        for rules in &table.languages {
            assert!(!rules.name.is_empty(), "{}", rules.code);
        }
        assert!(table.all.anywhere.contains("np") && table.all.anywhere.contains("dr"));
        assert!(rules_for("pt-BR").is_some_and(|r| r.code == "pt"));
        assert!(rules_for("nb").is_some_and(|r| r.code == "no"));
        assert!(rules_for("xx").is_none());
    }

    #[test]
    fn every_terminator_a_file_names_is_one_the_chunker_knows() {
        for code in codes() {
            for &mark in &rules_for(code).expect("listed").terminators {
                let known = crate::speech::rules::is_terminator(mark) || mark == ';';
                assert!(known, "{code}: {mark:?}");
            }
        }
    }

    #[test]
    fn no_word_is_both_an_abbreviation_anywhere_and_a_list_end() {
        for code in codes() {
            let rules = rules_for(code).expect("listed");
            let both = rules.anywhere.both(&rules.list_ends);
            assert!(both.is_empty(), "{code}: {both:?}");
        }
    }
}
