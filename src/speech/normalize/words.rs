//! The words each language uses for what the scanner rewrites.

use super::Language;

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
        Language::En => &EN,
        Language::De => &DE,
        Language::Fr => &FR,
        Language::Es => &ES,
    }
}

static EN: Words = Words {
    point: "point",
    minus: "minus",
    phone_cues: &[
        "call",
        "phone",
        "dial",
        "number",
        "tel",
        "telephone",
        "fax",
        "ring",
        "mobile",
        "cell",
        "text",
        "reach",
        "contact",
    ],
    phone_fillers: &["is", "at", "on", "me", "us", "to", "our", "my", "the"],
    to: "to",
    plus: "plus",
    equals: "equals",
    and: "and",
    times: "times",
    about: "about",
    plus_minus: "plus or minus",
    number: "number",
    at: "at",
    dot: "dot",
    slash: "slash",
    percent: "percent",
    over: "over",
    per: "per",
    always: "twenty-four seven",
    money_and: "and",
    scale_of: "",
    scales: [
        ("thousand", "thousand"),
        ("million", "million"),
        ("billion", "billion"),
    ],
    ordinals: [
        "first",
        "second",
        "third",
        "fourth",
        "fifth",
        "sixth",
        "seventh",
        "eighth",
        "ninth",
        "tenth",
        "eleventh",
        "twelfth",
        "thirteenth",
        "fourteenth",
        "fifteenth",
        "sixteenth",
        "seventeenth",
        "eighteenth",
        "nineteenth",
        "twentieth",
        "twenty-first",
        "twenty-second",
        "twenty-third",
        "twenty-fourth",
        "twenty-fifth",
        "twenty-sixth",
        "twenty-seventh",
        "twenty-eighth",
        "twenty-ninth",
        "thirtieth",
        "thirty-first",
    ],
    months: [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ],
    fractions: &[
        (1, 2, "one half"),
        (1, 3, "one third"),
        (2, 3, "two thirds"),
        (1, 4, "one quarter"),
        (3, 4, "three quarters"),
    ],
    abbreviations: &[
        ("e.g.", "for example"),
        ("E.g.", "For example"),
        ("i.e.", "that is"),
        ("I.e.", "That is"),
        ("approx.", "approximately"),
        ("Approx.", "Approximately"),
        ("etc.", "et cetera"),
        ("vs.", "versus"),
    ],
};

static DE: Words = Words {
    point: "Komma",
    minus: "minus",
    phone_cues: &[
        "anrufen",
        "ruf",
        "rufen",
        "Telefon",
        "Nummer",
        "Tel",
        "Telefonnummer",
        "wählen",
        "Handy",
        "Fax",
        "erreichbar",
    ],
    phone_fillers: &[
        "ist", "unter", "an", "Sie", "uns", "mich", "die", "bitte", "lautet",
    ],
    to: "bis",
    plus: "plus",
    equals: "gleich",
    and: "und",
    times: "mal",
    about: "etwa",
    plus_minus: "plus minus",
    number: "Nummer",
    at: "ät",
    dot: "punkt",
    slash: "slash",
    percent: "Prozent",
    over: "durch",
    per: "pro",
    always: "rund um die Uhr",
    money_and: "und",
    scale_of: "",
    scales: [
        ("tausend", "tausend"),
        ("Million", "Millionen"),
        ("Milliarde", "Milliarden"),
    ],
    ordinals: [
        "erste",
        "zweite",
        "dritte",
        "vierte",
        "fünfte",
        "sechste",
        "siebte",
        "achte",
        "neunte",
        "zehnte",
        "elfte",
        "zwölfte",
        "dreizehnte",
        "vierzehnte",
        "fünfzehnte",
        "sechzehnte",
        "siebzehnte",
        "achtzehnte",
        "neunzehnte",
        "zwanzigste",
        "einundzwanzigste",
        "zweiundzwanzigste",
        "dreiundzwanzigste",
        "vierundzwanzigste",
        "fünfundzwanzigste",
        "sechsundzwanzigste",
        "siebenundzwanzigste",
        "achtundzwanzigste",
        "neunundzwanzigste",
        "dreißigste",
        "einunddreißigste",
    ],
    months: [
        "Januar",
        "Februar",
        "März",
        "April",
        "Mai",
        "Juni",
        "Juli",
        "August",
        "September",
        "Oktober",
        "November",
        "Dezember",
    ],
    fractions: &[
        (1, 2, "ein halb"),
        (1, 3, "ein Drittel"),
        (2, 3, "zwei Drittel"),
        (1, 4, "ein Viertel"),
        (3, 4, "drei Viertel"),
    ],
    abbreviations: &[
        ("z.B.", "zum Beispiel"),
        ("z. B.", "zum Beispiel"),
        ("Z.B.", "Zum Beispiel"),
        ("d.h.", "das heißt"),
        ("d. h.", "das heißt"),
        ("usw.", "und so weiter"),
        ("ca.", "circa"),
    ],
};

static FR: Words = Words {
    point: "virgule",
    minus: "moins",
    phone_cues: &[
        "appelez",
        "appeler",
        "appelle",
        "téléphone",
        "numéro",
        "tél",
        "composez",
        "portable",
    ],
    phone_fillers: &["au", "le", "est", "nous", "me", "moi", "à"],
    to: "à",
    plus: "plus",
    equals: "égal",
    and: "et",
    times: "fois",
    about: "environ",
    plus_minus: "plus ou moins",
    number: "numéro",
    at: "arobase",
    dot: "point",
    slash: "slash",
    percent: "pour cent",
    over: "sur",
    per: "par",
    always: "24 heures sur 24",
    money_and: "et",
    scale_of: "de ",
    scales: [
        ("mille", "mille"),
        ("million", "millions"),
        ("milliard", "milliards"),
    ],
    ordinals: [
        "premier",
        "deuxième",
        "troisième",
        "quatrième",
        "cinquième",
        "sixième",
        "septième",
        "huitième",
        "neuvième",
        "dixième",
        "onzième",
        "douzième",
        "treizième",
        "quatorzième",
        "quinzième",
        "seizième",
        "dix-septième",
        "dix-huitième",
        "dix-neuvième",
        "vingtième",
        "vingt et unième",
        "vingt-deuxième",
        "vingt-troisième",
        "vingt-quatrième",
        "vingt-cinquième",
        "vingt-sixième",
        "vingt-septième",
        "vingt-huitième",
        "vingt-neuvième",
        "trentième",
        "trente et unième",
    ],
    months: [
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ],
    fractions: &[
        (1, 2, "un demi"),
        (1, 3, "un tiers"),
        (2, 3, "deux tiers"),
        (1, 4, "un quart"),
        (3, 4, "trois quarts"),
    ],
    abbreviations: &[
        ("p. ex.", "par exemple"),
        ("p.ex.", "par exemple"),
        ("env.", "environ"),
    ],
};

static ES: Words = Words {
    point: "coma",
    minus: "menos",
    phone_cues: &[
        "llame",
        "llamar",
        "llama",
        "teléfono",
        "número",
        "tel",
        "marque",
        "móvil",
        "celular",
    ],
    phone_fillers: &["al", "el", "es", "nos", "me", "a"],
    to: "a",
    plus: "más",
    equals: "igual a",
    and: "y",
    times: "por",
    about: "unos",
    plus_minus: "más o menos",
    number: "número",
    at: "arroba",
    dot: "punto",
    slash: "barra",
    percent: "por ciento",
    over: "sobre",
    per: "por",
    always: "las 24 horas del día",
    money_and: "con",
    scale_of: "de ",
    scales: [
        ("mil", "mil"),
        ("millón", "millones"),
        ("mil millones", "mil millones"),
    ],
    ordinals: [
        "primero",
        "segundo",
        "tercero",
        "cuarto",
        "quinto",
        "sexto",
        "séptimo",
        "octavo",
        "noveno",
        "décimo",
        "undécimo",
        "duodécimo",
        "decimotercero",
        "decimocuarto",
        "decimoquinto",
        "decimosexto",
        "decimoséptimo",
        "decimoctavo",
        "decimonoveno",
        "vigésimo",
        "vigésimo primero",
        "vigésimo segundo",
        "vigésimo tercero",
        "vigésimo cuarto",
        "vigésimo quinto",
        "vigésimo sexto",
        "vigésimo séptimo",
        "vigésimo octavo",
        "vigésimo noveno",
        "trigésimo",
        "trigésimo primero",
    ],
    months: [
        "enero",
        "febrero",
        "marzo",
        "abril",
        "mayo",
        "junio",
        "julio",
        "agosto",
        "septiembre",
        "octubre",
        "noviembre",
        "diciembre",
    ],
    fractions: &[
        (1, 2, "un medio"),
        (1, 3, "un tercio"),
        (2, 3, "dos tercios"),
        (1, 4, "un cuarto"),
        (3, 4, "tres cuartos"),
    ],
    abbreviations: &[
        ("p. ej.", "por ejemplo"),
        ("p.ej.", "por ejemplo"),
        ("aprox.", "aproximadamente"),
    ],
};

/// A currency the scanner knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Currency {
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
pub(super) fn currency_symbol(c: char) -> Option<Currency> {
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
pub(super) fn currency_code(code: &str) -> Option<Currency> {
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
pub(super) fn dollar_prefix(letters: &str) -> Option<Currency> {
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
pub(super) fn currency_words(
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

/// A unit's (singular, plural) per language in the order en, de, fr, es.
pub(super) type UnitWords = [(&'static str, &'static str); 4];

/// Where a unit symbol may stand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Spacing {
    /// "5km" and "5 km".
    Either,
    /// Only "5in": "5 in stock" is no length.
    Attached,
    /// Only "5 s": "the 1990s" is no duration.
    Apart,
}

/// Units after a number, longest symbol first where one begins another: the symbol, where
/// it may stand, and its words.
pub(super) static UNITS: &[(&str, Spacing, UnitWords)] = &[
    (
        "km/h",
        Spacing::Either,
        [
            ("kilometer per hour", "kilometers per hour"),
            ("Kilometer pro Stunde", "Kilometer pro Stunde"),
            ("kilomètre par heure", "kilomètres par heure"),
            ("kilómetro por hora", "kilómetros por hora"),
        ],
    ),
    (
        "km",
        Spacing::Either,
        [
            ("kilometer", "kilometers"),
            ("Kilometer", "Kilometer"),
            ("kilomètre", "kilomètres"),
            ("kilómetro", "kilómetros"),
        ],
    ),
    (
        "cm",
        Spacing::Either,
        [
            ("centimeter", "centimeters"),
            ("Zentimeter", "Zentimeter"),
            ("centimètre", "centimètres"),
            ("centímetro", "centímetros"),
        ],
    ),
    (
        "mm",
        Spacing::Either,
        [
            ("millimeter", "millimeters"),
            ("Millimeter", "Millimeter"),
            ("millimètre", "millimètres"),
            ("milímetro", "milímetros"),
        ],
    ),
    (
        "mph",
        Spacing::Either,
        [
            ("mile per hour", "miles per hour"),
            ("Meile pro Stunde", "Meilen pro Stunde"),
            ("mile par heure", "miles par heure"),
            ("milla por hora", "millas por hora"),
        ],
    ),
    (
        "mg",
        Spacing::Either,
        [
            ("milligram", "milligrams"),
            ("Milligramm", "Milligramm"),
            ("milligramme", "milligrammes"),
            ("miligramo", "miligramos"),
        ],
    ),
    (
        "ml",
        Spacing::Either,
        [
            ("milliliter", "milliliters"),
            ("Milliliter", "Milliliter"),
            ("millilitre", "millilitres"),
            ("mililitro", "mililitros"),
        ],
    ),
    (
        "mL",
        Spacing::Either,
        [
            ("milliliter", "milliliters"),
            ("Milliliter", "Milliliter"),
            ("millilitre", "millilitres"),
            ("mililitro", "mililitros"),
        ],
    ),
    (
        "min",
        Spacing::Either,
        [
            ("minute", "minutes"),
            ("Minute", "Minuten"),
            ("minute", "minutes"),
            ("minuto", "minutos"),
        ],
    ),
    (
        "ms",
        Spacing::Either,
        [
            ("millisecond", "milliseconds"),
            ("Millisekunde", "Millisekunden"),
            ("milliseconde", "millisecondes"),
            ("milisegundo", "milisegundos"),
        ],
    ),
    (
        "m",
        Spacing::Either,
        [
            ("meter", "meters"),
            ("Meter", "Meter"),
            ("mètre", "mètres"),
            ("metro", "metros"),
        ],
    ),
    (
        "kg",
        Spacing::Either,
        [
            ("kilogram", "kilograms"),
            ("Kilogramm", "Kilogramm"),
            ("kilogramme", "kilogrammes"),
            ("kilogramo", "kilogramos"),
        ],
    ),
    (
        "g",
        Spacing::Either,
        [
            ("gram", "grams"),
            ("Gramm", "Gramm"),
            ("gramme", "grammes"),
            ("gramo", "gramos"),
        ],
    ),
    (
        "l",
        Spacing::Either,
        [
            ("liter", "liters"),
            ("Liter", "Liter"),
            ("litre", "litres"),
            ("litro", "litros"),
        ],
    ),
    (
        "L",
        Spacing::Either,
        [
            ("liter", "liters"),
            ("Liter", "Liter"),
            ("litre", "litres"),
            ("litro", "litros"),
        ],
    ),
    (
        "°C",
        Spacing::Either,
        [
            ("degree Celsius", "degrees Celsius"),
            ("Grad Celsius", "Grad Celsius"),
            ("degré Celsius", "degrés Celsius"),
            ("grado Celsius", "grados Celsius"),
        ],
    ),
    (
        "°F",
        Spacing::Either,
        [
            ("degree Fahrenheit", "degrees Fahrenheit"),
            ("Grad Fahrenheit", "Grad Fahrenheit"),
            ("degré Fahrenheit", "degrés Fahrenheit"),
            ("grado Fahrenheit", "grados Fahrenheit"),
        ],
    ),
    (
        "°",
        Spacing::Either,
        [
            ("degree", "degrees"),
            ("Grad", "Grad"),
            ("degré", "degrés"),
            ("grado", "grados"),
        ],
    ),
    (
        "ft",
        Spacing::Either,
        [
            ("foot", "feet"),
            ("Fuß", "Fuß"),
            ("pied", "pieds"),
            ("pie", "pies"),
        ],
    ),
    (
        "in",
        Spacing::Attached,
        [
            ("inch", "inches"),
            ("Zoll", "Zoll"),
            ("pouce", "pouces"),
            ("pulgada", "pulgadas"),
        ],
    ),
    (
        "lbs",
        Spacing::Either,
        [
            ("pound", "pounds"),
            ("Pfund", "Pfund"),
            ("livre", "livres"),
            ("libra", "libras"),
        ],
    ),
    (
        "lb",
        Spacing::Either,
        [
            ("pound", "pounds"),
            ("Pfund", "Pfund"),
            ("livre", "livres"),
            ("libra", "libras"),
        ],
    ),
    (
        "oz",
        Spacing::Either,
        [
            ("ounce", "ounces"),
            ("Unze", "Unzen"),
            ("once", "onces"),
            ("onza", "onzas"),
        ],
    ),
    (
        "hrs",
        Spacing::Either,
        [
            ("hour", "hours"),
            ("Stunde", "Stunden"),
            ("heure", "heures"),
            ("hora", "horas"),
        ],
    ),
    (
        "hr",
        Spacing::Either,
        [
            ("hour", "hours"),
            ("Stunde", "Stunden"),
            ("heure", "heures"),
            ("hora", "horas"),
        ],
    ),
    (
        "h",
        Spacing::Either,
        [
            ("hour", "hours"),
            ("Stunde", "Stunden"),
            ("heure", "heures"),
            ("hora", "horas"),
        ],
    ),
    (
        "sec",
        Spacing::Either,
        [
            ("second", "seconds"),
            ("Sekunde", "Sekunden"),
            ("seconde", "secondes"),
            ("segundo", "segundos"),
        ],
    ),
    (
        "s",
        Spacing::Apart,
        [
            ("second", "seconds"),
            ("Sekunde", "Sekunden"),
            ("seconde", "secondes"),
            ("segundo", "segundos"),
        ],
    ),
    (
        "TB",
        Spacing::Either,
        [
            ("terabyte", "terabytes"),
            ("Terabyte", "Terabyte"),
            ("téraoctet", "téraoctets"),
            ("terabyte", "terabytes"),
        ],
    ),
    (
        "GB",
        Spacing::Either,
        [
            ("gigabyte", "gigabytes"),
            ("Gigabyte", "Gigabyte"),
            ("gigaoctet", "gigaoctets"),
            ("gigabyte", "gigabytes"),
        ],
    ),
    (
        "MB",
        Spacing::Either,
        [
            ("megabyte", "megabytes"),
            ("Megabyte", "Megabyte"),
            ("mégaoctet", "mégaoctets"),
            ("megabyte", "megabytes"),
        ],
    ),
];

/// The minutes unit, for `2h 30m`.
pub(super) const MINUTES: UnitWords = [
    ("minute", "minutes"),
    ("Minute", "Minuten"),
    ("minute", "minutes"),
    ("minuto", "minutos"),
];
