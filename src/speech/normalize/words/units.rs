//! The units read after a number: where each symbol may stand and its words in each
//! language.

/// A unit's (singular, plural) per language in the order en, de, fr, es.
pub(in crate::speech::normalize) type UnitWords = [(&'static str, &'static str); 4];

/// Where a unit symbol may stand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(in crate::speech::normalize) enum Spacing {
    /// "5km" and "5 km".
    Either,
    /// Only "5in": "5 in stock" is no length.
    Attached,
    /// Only "5 s": "the 1990s" is no duration.
    Apart,
}

/// Units after a number, longest symbol first where one begins another: the symbol, where
/// it may stand, and its words.
pub(in crate::speech::normalize) static UNITS: &[(&str, Spacing, UnitWords)] = &[
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
pub(in crate::speech::normalize) const MINUTES: UnitWords = [
    ("minute", "minutes"),
    ("Minute", "Minuten"),
    ("minute", "minutes"),
    ("minuto", "minutos"),
];
