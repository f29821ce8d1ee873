//! The words the scanner writes: one [`Words`] table per language, each in its own file;
//! currency and unit names are tabled per currency and per unit in theirs.

mod currency;
mod de;
mod en;
mod es;
mod fr;
mod more;
mod more_units;
mod units;

use super::Language;

pub(super) use currency::{
    currency_code, currency_symbol, currency_words, dollar_prefix, Currency,
};
pub(super) use more::{more, More};
pub(super) use more_units::MORE_UNITS;
pub(super) use units::{Spacing, UnitWords, MINUTES, UNITS};

/// Words of one language.
pub(super) struct Words {
    /// Decimal separator spoken: "point".
    pub point: &'static str,
    /// Sign of a negative number.
    pub minus: &'static str,
    /// Words that, before `555-1234` (with only [`Words::phone_fillers`] between), make
    /// it a phone number rather than a range.
    pub phone_cues: &'static [&'static str],
    /// Small words that may stand between a calling word and the number ("call me at").
    pub phone_fillers: &'static [&'static str],
    /// Between the ends of a range: "to".
    pub to: &'static str,
    /// `+`.
    pub plus: &'static str,
    /// `=`.
    pub equals: &'static str,
    /// `&`.
    pub and: &'static str,
    /// `×` between numbers.
    pub times: &'static str,
    /// `~` before a number.
    pub about: &'static str,
    /// `±`.
    pub plus_minus: &'static str,
    /// `#` before a number.
    pub number: &'static str,
    /// `@` in an address.
    pub at: &'static str,
    /// `.` in an address.
    pub dot: &'static str,
    /// `/` in an address.
    pub slash: &'static str,
    /// `%`.
    pub percent: &'static str,
    /// A fraction with no name: "1 over 7".
    pub over: &'static str,
    /// A price per unit: "$5/month".
    pub per: &'static str,
    /// `24/7`.
    pub always: &'static str,
    /// Joins the major and minor units of money: "49 dollars and 95 cents".
    pub money_and: &'static str,
    /// Between a scale word and the currency: fr/es "millions de dollars".
    pub scale_of: &'static str,
    /// Thousand, million, billion: (singular, plural).
    pub scales: [(&'static str, &'static str); 3],
    /// Day ordinals 1 to 31 as said in dates and for `1st`; German gives the stem ("dritte").
    pub ordinals: [&'static str; 31],
    /// Month names, January first.
    pub months: [&'static str; 12],
    /// Named fractions: (numerator, denominator, words).
    pub fractions: &'static [(u32, u32, &'static str)],
    /// Abbreviations with a certain expansion.
    pub abbreviations: &'static [(&'static str, &'static str)],
}

/// The words of `language`.
pub(super) fn words(language: Language) -> &'static Words {
    match language {
        Language::En => &en::EN,
        Language::De => &de::DE,
        Language::Fr => &fr::FR,
        Language::Es => &es::ES,
    }
}
