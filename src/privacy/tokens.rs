//! Words, digit runs and marks of a text with their byte ranges, and the number words
//! callers say digits with in en/de/fr/es ("five five five", "null eins", "zéro six
//! douze", "treinta y cuatro"). The speech normalizer leaves digits to the voice, so it
//! has no such table; this one is the detectors' own.

/// What a token is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Class {
    /// Letters (any script), with inner apostrophes.
    Word,
    /// ASCII digits.
    Digits,
    /// Whitespace.
    Space,
    /// Any other character, one per token.
    Mark(char),
}

/// A token: its class and byte range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Token {
    pub(super) class: Class,
    pub(super) start: usize,
    pub(super) end: usize,
}

impl Token {
    pub(super) fn text<'t>(&self, text: &'t str) -> &'t str {
        &text[self.start..self.end]
    }

    pub(super) fn is_word(&self) -> bool {
        self.class == Class::Word
    }

    pub(super) fn is_mark(&self, mark: char) -> bool {
        self.class == Class::Mark(mark)
    }
}

/// The tokens of `text`, covering it whole.
pub(super) fn tokenize(text: &str) -> Vec<Token> {
    let mut tokens: Vec<Token> = Vec::with_capacity(text.len() / 3 + 1);
    let mut chars = text.char_indices().peekable();
    while let Some((start, c)) = chars.next() {
        let class = if c.is_ascii_digit() {
            Class::Digits
        } else if c.is_alphabetic() {
            Class::Word
        } else if c.is_whitespace() {
            Class::Space
        } else {
            Class::Mark(c)
        };
        let mut end = start + c.len_utf8();
        if !matches!(class, Class::Mark(_)) {
            while let Some(&(at, next)) = chars.peek() {
                let same = match class {
                    Class::Digits => next.is_ascii_digit(),
                    Class::Word => {
                        next.is_alphabetic() || (next == '\'' && followed_by_letter(text, at))
                    }
                    _ => next.is_whitespace(),
                };
                if !same {
                    break;
                }
                end = at + next.len_utf8();
                chars.next();
            }
        }
        tokens.push(Token { class, start, end });
    }
    tokens
}

/// `word` in lowercase, allocating only when it has an uppercase letter (most words of a
/// reply have none, and every detector asks).
pub(super) fn lower(word: &str) -> std::borrow::Cow<'_, str> {
    if word.chars().any(char::is_uppercase) {
        std::borrow::Cow::Owned(word.to_lowercase())
    } else {
        std::borrow::Cow::Borrowed(word)
    }
}

fn followed_by_letter(text: &str, at: usize) -> bool {
    text[at + 1..]
        .chars()
        .next()
        .is_some_and(char::is_alphabetic)
}

/// The value of a number word said digit by digit or in pairs, 0 to 99, in any of the
/// four languages; `None` for any other word. Hyphenated compounds come whole
/// ("trente-quatre", "quatre-vingt-dix-sept", "twenty-three"), as do German ones
/// ("dreiunddreißig").
pub(super) fn number_word(word: &str) -> Option<u32> {
    let lower = lower(word);
    if lower.contains('-') {
        return compound(&lower);
    }
    if let Some(value) = single(&lower) {
        return Some(value);
    }
    // German "dreiunddreißig": the unit, "und", the tens.
    let (unit, tens) = lower.split_once("und")?;
    let (unit, tens) = (single(unit)?, single(tens)?);
    ((1..=9).contains(&unit) && tens >= 20 && tens % 10 == 0 && tens < 100).then_some(unit + tens)
}

/// French and English hyphenated numbers, read by place: tens, then a unit or (French
/// 60 and 80) a ten to nineteen; "dix" takes a unit; "quatre-vingt" is 80. Anything else
/// ("five-five-five") is not one number and is read part by part.
fn compound(lower: &str) -> Option<u32> {
    let mut total = 0;
    let mut last: Option<u32> = None;
    for part in lower.split('-') {
        if part == "et" {
            continue;
        }
        let value = single(part)?;
        total = match (last, value) {
            (None, _) => value,
            (Some(4), 20) if total == 4 => 80,
            (Some(10), 7..=9) => total + value,
            (Some(tens), 1..=9) if tens >= 20 => total + value,
            (Some(60 | 80 | 20), 10..=19) if total == 60 || total == 80 => total + value,
            _ => return None,
        };
        last = Some(if total == 80 && value == 20 {
            80
        } else {
            value
        });
    }
    (total < 100).then_some(total)
}

/// Words that may be a number or a small word of the sentence ("un", "a", "oh"): they
/// count only next to another number word.
pub(super) fn is_ambiguous(word: &str) -> bool {
    matches!(
        lower(word).as_ref(),
        "oh" | "o" | "un" | "une" | "uno" | "una" | "ein" | "eine"
    )
}

/// Words joining tens and units across tokens: Spanish "treinta y cuatro", French
/// "vingt et un".
pub(super) fn is_joiner(word: &str) -> bool {
    matches!(lower(word).as_ref(), "y" | "et")
}

/// "double five" is "55" (English), "doppel" in German.
pub(super) fn repeat_word(word: &str) -> Option<usize> {
    match lower(word).as_ref() {
        "double" | "doppel" => Some(2),
        "triple" => Some(3),
        _ => None,
    }
}

fn single(word: &str) -> Option<u32> {
    Some(match word {
        "zero" | "oh" | "o" | "null" | "zéro" | "cero" => 0,
        "one" | "eins" | "ein" | "eine" | "un" | "une" | "uno" | "una" => 1,
        "two" | "zwei" | "zwo" | "deux" | "dos" => 2,
        "three" | "drei" | "trois" | "tres" => 3,
        "four" | "vier" | "quatre" | "cuatro" => 4,
        "five" | "fünf" | "cinq" | "cinco" => 5,
        "six" | "sechs" | "seis" => 6,
        "seven" | "sieben" | "sept" | "siete" => 7,
        "eight" | "acht" | "huit" | "ocho" => 8,
        "nine" | "neun" | "neuf" | "nueve" => 9,
        "ten" | "zehn" | "dix" | "diez" => 10,
        "eleven" | "elf" | "onze" | "once" => 11,
        "twelve" | "zwölf" | "douze" | "doce" => 12,
        "thirteen" | "dreizehn" | "treize" | "trece" => 13,
        "fourteen" | "vierzehn" | "quatorze" | "catorce" => 14,
        "fifteen" | "fünfzehn" | "quinze" | "quince" => 15,
        "sixteen" | "sechzehn" | "seize" | "dieciséis" => 16,
        "seventeen" | "siebzehn" | "diecisiete" => 17,
        "eighteen" | "achtzehn" | "dieciocho" => 18,
        "nineteen" | "neunzehn" | "diecinueve" => 19,
        "twenty" | "zwanzig" | "vingt" | "vingts" | "veinte" => 20,
        "veintiuno" | "veintiún" => 21,
        "veintidós" => 22,
        "veintitrés" => 23,
        "veinticuatro" => 24,
        "veinticinco" => 25,
        "veintiséis" => 26,
        "veintisiete" => 27,
        "veintiocho" => 28,
        "veintinueve" => 29,
        "thirty" | "dreißig" | "dreissig" | "trente" | "treinta" => 30,
        "forty" | "vierzig" | "quarante" | "cuarenta" => 40,
        "fifty" | "fünfzig" | "cinquante" | "cincuenta" => 50,
        "sixty" | "sechzig" | "soixante" | "sesenta" => 60,
        "seventy" | "siebzig" | "setenta" => 70,
        "eighty" | "achtzig" | "ochenta" => 80,
        "ninety" | "neunzig" | "noventa" => 90,
        _ => return None,
    })
}
