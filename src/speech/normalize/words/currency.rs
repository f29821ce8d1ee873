//! The currencies the scanner knows: how each is written (symbol, ISO code, a dollar's
//! letters) and what it is called in each language.

use crate::speech::normalize::Language;

/// A currency the scanner knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(in crate::speech::normalize) enum Currency {
    Usd,
    Eur,
    Gbp,
    Jpy,
    Chf,
    Inr,
    /// `US$`: US dollars said as such (plain `$` is just "dollars").
    UsUsd,
    Aud,
    Cad,
    Nzd,
    Hkd,
}

/// The currency of a symbol written before or after an amount.
pub(in crate::speech::normalize) fn currency_symbol(c: char) -> Option<Currency> {
    Some(match c {
        '$' => Currency::Usd,
        '€' => Currency::Eur,
        '£' => Currency::Gbp,
        '¥' => Currency::Jpy,
        '₹' => Currency::Inr,
        _ => return None,
    })
}

/// The currency of an ISO code written after an amount.
pub(in crate::speech::normalize) fn currency_code(code: &str) -> Option<Currency> {
    Some(match code {
        "USD" => Currency::Usd,
        "EUR" => Currency::Eur,
        "GBP" => Currency::Gbp,
        "JPY" => Currency::Jpy,
        "CHF" => Currency::Chf,
        "INR" => Currency::Inr,
        "AUD" => Currency::Aud,
        "NZD" => Currency::Nzd,
        "HKD" => Currency::Hkd,
        _ => return None,
    })
}

/// The dollar of letters written right before `$`: `US$`, `A$`/`AU$`, `C$`/`CA$`,
/// `NZ$`, `HK$`.
pub(in crate::speech::normalize) fn dollar_prefix(letters: &str) -> Option<Currency> {
    Some(match letters {
        "US" => Currency::UsUsd,
        "A" | "AU" => Currency::Aud,
        "C" | "CA" => Currency::Cad,
        "NZ" => Currency::Nzd,
        "HK" => Currency::Hkd,
        _ => return None,
    })
}

/// Money words: (major singular, major plural, minor singular, minor plural); the minor
/// unit is empty for a currency spoken without one (yen).
pub(in crate::speech::normalize) fn currency_words(
    language: Language,
    currency: Currency,
) -> (&'static str, &'static str, &'static str, &'static str) {
    use Currency::*;
    use Language::*;
    match (language, currency) {
        (En, Usd) => ("dollar", "dollars", "cent", "cents"),
        (En, Eur) => ("euro", "euros", "cent", "cents"),
        (En, Gbp) => ("pound", "pounds", "penny", "pence"),
        (En, Jpy) => ("yen", "yen", "", ""),
        (En, Chf) => ("Swiss franc", "Swiss francs", "centime", "centimes"),
        (En, Inr) => ("rupee", "rupees", "paisa", "paise"),
        (En, UsUsd) => ("US dollar", "US dollars", "cent", "cents"),
        (En, Aud) => ("Australian dollar", "Australian dollars", "cent", "cents"),
        (En, Cad) => ("Canadian dollar", "Canadian dollars", "cent", "cents"),
        (En, Nzd) => ("New Zealand dollar", "New Zealand dollars", "cent", "cents"),
        (En, Hkd) => ("Hong Kong dollar", "Hong Kong dollars", "cent", "cents"),
        (De, Usd) => ("Dollar", "Dollar", "Cent", "Cent"),
        (De, Eur) => ("Euro", "Euro", "Cent", "Cent"),
        (De, Gbp) => ("Pfund", "Pfund", "Penny", "Pence"),
        (De, Jpy) => ("Yen", "Yen", "", ""),
        (De, Chf) => ("Franken", "Franken", "Rappen", "Rappen"),
        (De, Inr) => ("Rupie", "Rupien", "Paisa", "Paise"),
        (De, UsUsd) => ("US-Dollar", "US-Dollar", "Cent", "Cent"),
        (De, Aud) => (
            "australischer Dollar",
            "australische Dollar",
            "Cent",
            "Cent",
        ),
        (De, Cad) => ("kanadischer Dollar", "kanadische Dollar", "Cent", "Cent"),
        (De, Nzd) => ("Neuseeland-Dollar", "Neuseeland-Dollar", "Cent", "Cent"),
        (De, Hkd) => ("Hongkong-Dollar", "Hongkong-Dollar", "Cent", "Cent"),
        (Fr, Usd) => ("dollar", "dollars", "cent", "cents"),
        (Fr, Eur) => ("euro", "euros", "centime", "centimes"),
        (Fr, Gbp) => ("livre", "livres", "penny", "pence"),
        (Fr, Jpy) => ("yen", "yens", "", ""),
        (Fr, Chf) => ("franc suisse", "francs suisses", "centime", "centimes"),
        (Fr, Inr) => ("roupie", "roupies", "paisa", "paisas"),
        (Fr, UsUsd) => ("dollar américain", "dollars américains", "cent", "cents"),
        (Fr, Aud) => ("dollar australien", "dollars australiens", "cent", "cents"),
        (Fr, Cad) => ("dollar canadien", "dollars canadiens", "cent", "cents"),
        (Fr, Nzd) => (
            "dollar néo-zélandais",
            "dollars néo-zélandais",
            "cent",
            "cents",
        ),
        (Fr, Hkd) => (
            "dollar de Hong Kong",
            "dollars de Hong Kong",
            "cent",
            "cents",
        ),
        (Es, Usd) => ("dólar", "dólares", "centavo", "centavos"),
        (Es, Eur) => ("euro", "euros", "céntimo", "céntimos"),
        (Es, Gbp) => ("libra", "libras", "penique", "peniques"),
        (Es, Jpy) => ("yen", "yenes", "", ""),
        (Es, Chf) => ("franco suizo", "francos suizos", "céntimo", "céntimos"),
        (Es, Inr) => ("rupia", "rupias", "paisa", "paisas"),
        (Es, UsUsd) => (
            "dólar estadounidense",
            "dólares estadounidenses",
            "centavo",
            "centavos",
        ),
        (Es, Aud) => (
            "dólar australiano",
            "dólares australianos",
            "centavo",
            "centavos",
        ),
        (Es, Cad) => (
            "dólar canadiense",
            "dólares canadienses",
            "centavo",
            "centavos",
        ),
        (Es, Nzd) => (
            "dólar neozelandés",
            "dólares neozelandeses",
            "centavo",
            "centavos",
        ),
        (Es, Hkd) => (
            "dólar de Hong Kong",
            "dólares de Hong Kong",
            "centavo",
            "centavos",
        ),
    }
}
