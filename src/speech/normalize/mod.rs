//! Text normalization for text-to-speech: numbers, money, dates and symbols rewritten into
//! what a person would say, so that no TTS engine has to guess. Pure; one left-to-right
//! scan; `Cow::Borrowed` (no allocation) when nothing needs rewriting.
//!
//! Supported formats (en / de / fr / es):
//!
//! - Plain integers stay digits (`42`); thousands separators are dropped (`1,200` en,
//!   `1.200` de/es, `1 200` / `1.200` fr → `1200`).
//! - Decimals by the language's separator (en `.`, de/fr/es `,`; a `.` not followed by
//!   exactly three digits is read as a decimal point in every language): `3.14` → "3 point
//!   1 4", "3 Komma 1 4", "3 virgule 1 4", "3 coma 1 4". Version-like runs (`1.2.3`) are
//!   left alone.
//! - Negative numbers `-5` / `−5` → "minus 5" / "moins 5" / "menos 5".
//! - Money, symbol before or after, or ISO code after: `$ € £ ¥ ₹`, `USD EUR GBP JPY CHF
//!   INR`; `$49.95` → "49 dollars and 95 cents", `5,50 €` → "5 Euro und 50 Cent";
//!   singular for 1; `$3.5M`, `$2B`, `€1.2k` → "3 point 5 million dollars"; `-$5` →
//!   "minus 5 dollars"; `$3 million`, `5 Millionen €`; `$5-$10` → "5 dollars to 10 dollars";
//!   `$5/month` → "5 dollars per month" ("pro", "par", "por"). Named dollars: `US$5`,
//!   `A$`/`AU$`, `C$`/`CA$`, `NZ$`, `HK$` and the codes AUD NZD HKD (not CAD: "2 CAD
//!   files") → "5 US dollars",
//!   "10 Australian dollars" (each language's name); other capitals before `$` (`R$`,
//!   `MX$`) leave the amount as written rather than call it dollars.
//! - Percentages `50%`, `12.5 %` → "50 percent", "50 Prozent", "50 pour cent", "50 por
//!   ciento".
//! - Ranges `5–10`, `5-10 km` → "5 to 10 kilometers", "5 bis 10 Kilometer", "5 à 10
//!   kilomètres", "5 a 10 kilómetros". Scores read the same ("3-2" → "3 to 2").
//! - Scale letters after a number with decimals: `2.5M`, `1.5B` → "2 point 5 million",
//!   "1 point 5 billion" (a bare `2B` or `14B` is a seat, a gate or a flat and stays; with
//!   a currency, `$2B` is "2 billion dollars");
//!   de `Tsd.`, `Mio.`, `Mrd.` → "tausend", "Millionen", "Milliarden".
//! - Ordinals: en `1st`…`99th` → "first"…"ninety-ninth"; fr `1er`, `1re`, `2e`, `2ème`
//!   → "premier", "première", "deuxième"; es `1º`, `1.º`, `1ª` → "primero", "primera",
//!   `1.er`, `3.er` → "primer", "tercer". German `3.` is read only in dates (below).
//!   Word tables cover 1–31 (and en up to 99); above, digits and suffix stay (`101st`,
//!   fr `32e`).
//! - Fractions `1/2 1/3 2/3 1/4 3/4` (and `½ ¼ ¾`) by name ("one half", "three quarters"),
//!   any other `a/b` → "a over b" / "a durch b" / "a sur b" / "a sobre b", ratings too
//!   (`3.5/5` → "3 point 5 over 5"); `24/7` → "twenty-four seven", "rund um die Uhr", "24
//!   heures sur 24", "las 24 horas del día".
//! - Times `15:30`, `3:30 pm`, `3pm`, fr `15h30`: en "15 30", "3 30 p m", "3 p m", `3:05`
//!   → "3 oh 5", `12:00` → "12 o'clock"; de "15 Uhr 30"; fr "15 heures 30"; es "15 y 30",
//!   `15:00` → "15 en punto". de/fr/es turn am/pm into the 24-hour clock; de drops a
//!   following "Uhr" (`8:15 Uhr` → "8 Uhr 15"). Ranges: `9am–5pm` → "9 a m to 5 p m". A
//!   final "p.m." or "etc." that also ended the sentence leaves its period.
//! - Dates: ISO `2024-07-03`, numeric `07/03/2024` (en month/day, de/fr/es day/month),
//!   `03.07.2024` (day.month everywhere), `July 3, 2024`, `3 July 2024`, de `3. Juli
//!   2024`, fr `1er juillet`: en "July third, 2024" (`the 3rd of July` keeps its order:
//!   "the third of July"); de "dritter Juli 2024", after am/vom/zum/bis/dem/beim/seit/ab
//!   "am dritten Juli", and "vom 1. bis 3. Mai" → "vom ersten bis dritten Mai"; fr "3
//!   juillet 2024", "premier juillet"; es "3 de julio de 2024". Years stay digits (every
//!   engine reads "2024" as a year); invalid dates (`13/25/2024`) stay as written.
//! - Durations and units after a number: `2h 30m`, `45 min`, km, m, cm, mm, kg, g, mg, l,
//!   L, ml, °C, °F, °, mph, km/h, ft, in (attached only: `5in`), lb, lbs, oz, h, hr, hrs,
//!   min, s, sec, ms, MB, GB, TB; singular for 1.
//! - Phone numbers `+1 (555) 010-0199`, `555-010-0199`, `(555) 010-0199`, `+49 30
//!   1234567`: every digit spoken, groups as written joined by commas ("plus 1, 5 5 5, 0
//!   1 0, 0 1 9 9"); a run longer than 4 digits is split into groups of 3 and 4. A
//!   seven-digit `555-1234` is written like a range of a three- and a four-digit number:
//!   it is a phone number when a group starts with 0 or when the nearest word before it,
//!   past small words ("me at", "is", "Sie", "le", "al"), is a calling word ("call",
//!   "dial", "number", "Nummer", "appelez", "llame", …), and a range otherwise ("800-1200
//!   calories", "a number between 100-1000").
//! - E-mail `support@example.com` → "support at example dot com" ("ät … punkt", "arobase
//!   … point", "arroba … punto").
//! - URLs and bare domains (`https://www.example.com/a/b?x=1`, `example.com/pricing`):
//!   scheme, `www.`, query and any path of more than one segment are dropped; one short
//!   path segment is kept: "example dot com slash pricing".
//! - Symbols: `&` "and", `+` "plus", `=` "equals", `#1` "number 1", `×` and `x` between
//!   numbers "times" (`3x faster` → "3 times faster"; hex `0x1F` stays), `~5` "about 5",
//!   `±` "plus or minus", a lone `%` "percent"; de "und", "gleich", "Nummer", "mal",
//!   "etwa"; fr "et", "égal", "numéro", "fois", "environ"; es "y", "igual a", "número",
//!   "por", "unos".
//! - Abbreviations: en `e.g.`, `i.e.`, `approx.`, `etc.`, `vs.`; de `z.B.`, `d.h.`,
//!   `usw.`, `ca.`; fr `p. ex.`, `env.`; es `p. ej.`, `aprox.`.
//! - Versions, never decimals: after a word that announces one (`version`, `Version`,
//!   `versión`, `release`, `update`, `iOS`, `Android`, …) or glued to `v`: `version 2.10`
//!   → "version 2 point 10", de `v2.5` → "Version 2 Punkt 5", es "1 punto 5". Dotted times
//!   marked as times: de `8.30 Uhr` → "8 Uhr 30", fr/es `8.30 h`, en `8.30 pm`.
//! - Marks: `#word` "hashtag word", `@name` "at name" ("arobase", "arroba"), `§ 5`
//!   "section 5" ("Paragraf", "paragraphe", "párrafo"), `No. 5`, `Nr. 5`, `n° 5`, `núm. 5`
//!   "number 5" (each language's word; only before a digit: "I said no. 5" stays), `_` in
//!   an address or handle "underscore" ("Unterstrich", "tiret bas", "guion bajo").
//! - Areas and volumes: `m²`, `km²`, `cm²`, `m³`, `sq ft`, `ft²`, `sq m`, `sq mi`; de `Min.`,
//!   `Std.`, `Sek.` after a number (the period kept where it also ended the sentence).
//! - Ordinals outside dates, de: after a word that shows the case, before a noun ("zum 3.
//!   Mal" → "zum dritten Mal", "Der 2. Platz" → "Der zweite Platz"); after any other word
//!   ("mein 5. Geburtstag") the ending depends on the noun's gender and the number stays
//!   as written. fr centuries in Roman numerals: `XIXe siècle` → "dix-neuvième siècle".
//! - Scores, a colon before one digit: `2:1` → "2 to 1", "2 zu 1", "2 à 1", "2 a 1" (a time
//!   has two digits after its colon).
//! - Weekday ranges: `Mon–Fri`, `Mo.-Fr.`, `lun–ven`, `lun–vie` → "Monday to Friday",
//!   "Montag bis Freitag", "du lundi au vendredi", "de lunes a viernes" (no second
//!   "du"/"de" where one is written).
//! - Mixed fractions: `1½` → "1 and a half", de "eineinhalb", "zweieinhalb"; es and fr move
//!   a measured noun before the half and agree with its gender ("1½ horas" → "1 hora y
//!   media", "2½ kilos" → "2 kilos y medio", fr "1 heure et demie"); a half before a noun
//!   agrees too ("½ taza" → "media taza", fr "une demi-tasse"). A noun whose gender is not
//!   in the table leaves the fraction as written.

mod scan;
mod words;

#[cfg(test)]
mod more_tests;
#[cfg(test)]
mod tests;

use std::borrow::Cow;

/// A language the normalizer writes words for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Language {
    /// English.
    En,
    /// German.
    De,
    /// French.
    Fr,
    /// Spanish.
    Es,
}

impl Language {
    /// The language of a code such as "en", "DE" or "en-US" (case-insensitive; the region
    /// is ignored); `None` for any other language.
    pub fn from_code(code: &str) -> Option<Language> {
        let primary = code.trim().split(['-', '_']).next().unwrap_or_default();
        match primary.to_ascii_lowercase().as_str() {
            "en" => Some(Language::En),
            "de" => Some(Language::De),
            "fr" => Some(Language::Fr),
            "es" => Some(Language::Es),
            _ => None,
        }
    }

    /// The two-letter code: "en", "de", "fr" or "es".
    pub fn code(self) -> &'static str {
        match self {
            Language::En => "en",
            Language::De => "de",
            Language::Fr => "fr",
            Language::Es => "es",
        }
    }

    /// The month names, January first, as the normalizer writes them (the privacy
    /// detectors read dates of birth with them).
    pub fn months(self) -> &'static [&'static str; 12] {
        &words::words(self).months
    }

    /// Every language, for tables that read all four at once.
    pub const ALL: [Language; 4] = [Language::En, Language::De, Language::Fr, Language::Es];

    /// Index into per-language tables (en, de, fr, es).
    fn index(self) -> usize {
        match self {
            Language::En => 0,
            Language::De => 1,
            Language::Fr => 2,
            Language::Es => 3,
        }
    }
}

/// The confidence from which [`detect`] trusts whatlang's guess.
const MIN_CONFIDENCE: f64 = 0.5;

/// Rewrites `text` (one sentence or chunk) for speech in `language`. Returns
/// `Cow::Borrowed` when nothing needed rewriting.
pub fn normalize(text: &str, language: Language) -> Cow<'_, str> {
    if !scan::may_need_rewriting(text) {
        return Cow::Borrowed(text);
    }
    scan::rewrite(text, language)
}

/// The reply's language guessed from `text` with `whatlang`, among the four languages
/// only; `None` when unsure or when the text is in none of them. First all of whatlang's
/// languages take part, so a text that is surely in another one (Italian) is not taken
/// for one of ours; then only our four, which makes a short text's guess far surer
/// ("Gerne, um 9 Uhr." is German, not unknown). A guess counts from a confidence of 0.5:
/// whatlang's own "reliable" flag rejects ordinary ten-word English sentences, while two
/// or three words stay well below 0.5.
pub fn detect(text: &str) -> Option<Language> {
    let any = whatlang::detect(text)?;
    if any.confidence() >= MIN_CONFIDENCE && ours(any.lang()).is_none() {
        return None;
    }
    static OURS: std::sync::OnceLock<whatlang::Detector> = std::sync::OnceLock::new();
    let detector = OURS.get_or_init(|| {
        use whatlang::Lang::{Deu, Eng, Fra, Spa};
        whatlang::Detector::with_allowlist(vec![Eng, Deu, Fra, Spa])
    });
    let info = detector.detect(text)?;
    let language = ours(info.lang())?;
    (info.confidence() >= MIN_CONFIDENCE).then_some(language)
}

fn ours(lang: whatlang::Lang) -> Option<Language> {
    Some(match lang {
        whatlang::Lang::Eng => Language::En,
        whatlang::Lang::Deu => Language::De,
        whatlang::Lang::Fra => Language::Fr,
        whatlang::Lang::Spa => Language::Es,
        _ => return None,
    })
}
