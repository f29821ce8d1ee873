//! More words per language: marks before names and numbers, versions, scores, weekday
//! ranges, mixed fractions and the gender of the nouns a fraction may measure.

use super::super::Language;

/// A noun a fraction measures: singular, plural, feminine.
pub(in crate::speech::normalize) type Noun = (&'static str, &'static str, bool);

/// The words of one language for the formats below.
pub(in crate::speech::normalize) struct More {
    /// `_` in an address or a handle.
    pub underscore: &'static str,
    /// `#` before a word.
    pub hashtag: &'static str,
    /// `@` before a name.
    pub handle: &'static str,
    /// `§` before a number.
    pub section: &'static str,
    /// Between the two numbers of a score ("2:1").
    pub score: &'static str,
    /// `v` glued to a version number.
    pub version: &'static str,
    /// Between a version's parts ("2 point 10"), never a decimal reading.
    pub version_point: &'static str,
    /// Words after which a dotted number is a version ("version", "iOS").
    pub version_words: &'static [&'static str],
    /// Weekdays, Monday first: how they are abbreviated (lowercase, no period) and
    /// their names.
    pub weekdays: [(&'static [&'static str], &'static str); 7],
    /// Before a range of weekdays, unless already written ("du" lundi).
    pub weekday_from: &'static str,
    /// Between two weekdays of a range.
    pub weekday_to: &'static str,
    /// After a whole number: ½, ¼, ¾ ("1 and a half").
    pub and_fraction: [&'static str; 3],
    /// After a measured noun, by its gender: "y medio" / "y media".
    pub and_half: (&'static str, &'static str),
    /// ½ before a noun, by its gender: "medio" / "media".
    pub half: (&'static str, &'static str),
    /// Nouns a fraction measures, with their gender (where the language has one).
    pub nouns: &'static [Noun],
}

const NO_NOUNS: &[Noun] = &[];

/// Words after which a dotted number is a version, in en and de (fr and es have their own).
const VERSION_WORDS: &[&str] = &[
    "version", "v", "release", "update", "build", "firmware", "ios", "android", "macos", "windows",
    "python", "node",
];

static EN: More = More {
    underscore: "underscore",
    hashtag: "hashtag",
    handle: "at",
    section: "section",
    score: "to",
    version: "version",
    version_point: "point",
    version_words: VERSION_WORDS,
    weekdays: [
        (&["mon", "monday"], "Monday"),
        (&["tue", "tues", "tuesday"], "Tuesday"),
        (&["wed", "wednesday"], "Wednesday"),
        (&["thu", "thur", "thurs", "thursday"], "Thursday"),
        (&["fri", "friday"], "Friday"),
        (&["sat", "saturday"], "Saturday"),
        (&["sun", "sunday"], "Sunday"),
    ],
    weekday_from: "",
    weekday_to: "to",
    and_fraction: ["and a half", "and a quarter", "and three quarters"],
    and_half: ("", ""),
    half: ("", ""),
    nouns: NO_NOUNS,
};

static DE: More = More {
    underscore: "Unterstrich",
    hashtag: "Hashtag",
    handle: "at",
    section: "Paragraf",
    score: "zu",
    version: "Version",
    version_point: "Punkt",
    version_words: VERSION_WORDS,
    weekdays: [
        (&["mo", "montag"], "Montag"),
        (&["di", "dienstag"], "Dienstag"),
        (&["mi", "mittwoch"], "Mittwoch"),
        (&["do", "donnerstag"], "Donnerstag"),
        (&["fr", "freitag"], "Freitag"),
        (&["sa", "samstag"], "Samstag"),
        (&["so", "sonntag"], "Sonntag"),
    ],
    weekday_from: "",
    weekday_to: "bis",
    // "2½" is "zweieinhalb": the number's word is joined on (see `fractions.rs`).
    and_fraction: ["einhalb", "und ein Viertel", "und drei Viertel"],
    and_half: ("", ""),
    half: ("", ""),
    nouns: NO_NOUNS,
};

static FR: More = More {
    underscore: "tiret bas",
    hashtag: "hashtag",
    handle: "arobase",
    section: "paragraphe",
    score: "à",
    version: "version",
    version_point: "point",
    version_words: &[
        "version", "v", "ios", "android", "macos", "windows", "python",
    ],
    weekdays: [
        (&["lun", "lundi"], "lundi"),
        (&["mar", "mardi"], "mardi"),
        (&["mer", "mercredi"], "mercredi"),
        (&["jeu", "jeudi"], "jeudi"),
        (&["ven", "vendredi"], "vendredi"),
        (&["sam", "samedi"], "samedi"),
        (&["dim", "dimanche"], "dimanche"),
    ],
    weekday_from: "du",
    weekday_to: "au",
    and_fraction: ["et demi", "et quart", "et trois quarts"],
    and_half: ("et demi", "et demie"),
    half: ("un demi-", "une demi-"),
    nouns: &[
        ("tasse", "tasses", true),
        ("cuillère", "cuillères", true),
        ("heure", "heures", true),
        ("minute", "minutes", true),
        ("livre", "livres", true),
        ("bouteille", "bouteilles", true),
        ("douzaine", "douzaines", true),
        ("journée", "journées", true),
        ("semaine", "semaines", true),
        ("pizza", "pizzas", true),
        ("baguette", "baguettes", true),
        ("kilo", "kilos", false),
        ("litre", "litres", false),
        ("mètre", "mètres", false),
        ("kilomètre", "kilomètres", false),
        ("gramme", "grammes", false),
        ("verre", "verres", false),
        ("jour", "jours", false),
        ("an", "ans", false),
        ("mois", "mois", false),
        ("siècle", "siècles", false),
    ],
};

static ES: More = More {
    underscore: "guion bajo",
    hashtag: "hashtag",
    handle: "arroba",
    section: "párrafo",
    score: "a",
    version: "versión",
    version_point: "punto",
    version_words: &[
        "versión",
        "version",
        "v",
        "actualización",
        "ios",
        "android",
        "macos",
        "windows",
        "python",
    ],
    weekdays: [
        (&["lun", "lunes"], "lunes"),
        (&["mar", "martes"], "martes"),
        (&["mié", "mie", "miércoles"], "miércoles"),
        (&["jue", "jueves"], "jueves"),
        (&["vie", "viernes"], "viernes"),
        (&["sáb", "sab", "sábado"], "sábado"),
        (&["dom", "domingo"], "domingo"),
    ],
    weekday_from: "de",
    weekday_to: "a",
    and_fraction: ["y medio", "y cuarto", "y tres cuartos"],
    and_half: ("y medio", "y media"),
    half: ("medio", "media"),
    nouns: &[
        ("taza", "tazas", true),
        ("cucharada", "cucharadas", true),
        ("cucharadita", "cucharaditas", true),
        ("hora", "horas", true),
        ("libra", "libras", true),
        ("botella", "botellas", true),
        ("docena", "docenas", true),
        ("semana", "semanas", true),
        ("pizza", "pizzas", true),
        ("milla", "millas", true),
        ("jornada", "jornadas", true),
        ("kilo", "kilos", false),
        ("litro", "litros", false),
        ("metro", "metros", false),
        ("kilómetro", "kilómetros", false),
        ("gramo", "gramos", false),
        ("vaso", "vasos", false),
        ("minuto", "minutos", false),
        ("día", "días", false),
        ("año", "años", false),
        ("mes", "meses", false),
        ("siglo", "siglos", false),
    ],
};

/// The more words of `language`.
pub(in crate::speech::normalize) fn more(language: Language) -> &'static More {
    match language {
        Language::En => &EN,
        Language::De => &DE,
        Language::Fr => &FR,
        Language::Es => &ES,
    }
}
