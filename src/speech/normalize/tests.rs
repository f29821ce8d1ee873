//! Normalization tests: an exact table per format and language, then `detect`, then
//! property tests.

use std::borrow::Cow;

use proptest::prelude::*;

use super::*;

use Language::{De, En, Es, Fr};

pub(super) fn check(cases: &[(Language, &str, &str)]) {
    let mut failures = Vec::new();
    for (language, input, expected) in cases {
        let got = normalize(input, *language);
        if got != *expected {
            failures.push(format!(
                "{language:?} {input:?}\n   expected {expected:?}\n        got {got:?}"
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn language_codes() {
    assert_eq!(Language::from_code("en"), Some(En));
    assert_eq!(Language::from_code("EN"), Some(En));
    assert_eq!(Language::from_code("en-US"), Some(En));
    assert_eq!(Language::from_code("de_AT"), Some(De));
    assert_eq!(Language::from_code("fr-CA"), Some(Fr));
    assert_eq!(Language::from_code("Es"), Some(Es));
    assert_eq!(Language::from_code("it"), None);
    assert_eq!(Language::from_code(""), None);
    for language in [En, De, Fr, Es] {
        assert_eq!(Language::from_code(language.code()), Some(language));
    }
}

#[test]
fn untouched_text_is_borrowed() {
    for text in [
        "Hello there, how are you today?",
        "We have 42 rooms and 7 floors.",
        "Ich habe 3 Katzen.",
        "Il est là.",
        "",
    ] {
        for language in [En, De, Fr, Es] {
            let out = normalize(text, language);
            assert!(matches!(out, Cow::Borrowed(_)), "{text:?} {language:?}");
            assert_eq!(out, text);
        }
    }
}

const MONEY: &[(Language, &str, &str)] = &[
    (En, "It costs $49.95.", "It costs 49 dollars and 95 cents."),
    (En, "$1", "1 dollar"),
    (En, "$2", "2 dollars"),
    (En, "$5/month", "5 dollars per month"),
    // Dollars named by the letters before `$`; unknown ones are left as written.
    (En, "US$5", "5 US dollars"),
    (
        En,
        "A$10 and C$1.50",
        "10 Australian dollars and 1 Canadian dollar and 50 cents",
    ),
    (
        En,
        "HK$300, NZ$2M",
        "300 Hong Kong dollars, 2 million New Zealand dollars",
    ),
    (En, "R$50", "R$50"),
    (En, "50 AUD", "50 Australian dollars"),
    (En, "C$10", "10 Canadian dollars"),
    (De, "US$5", "5 US-Dollar"),
    (Fr, "A$10", "10 dollars australiens"),
    (Es, "C$10", "10 dólares canadienses"),
    (De, "5 €/Monat", "5 Euro pro Monat"),
    (Es, "$5/mes", "5 dólares por mes"),
    (En, "$0.01", "1 cent"),
    (En, "$0.50 each", "50 cents each"),
    (En, "$3.5 each", "3 dollars and 50 cents each"),
    (En, "€5", "5 euros"),
    (En, "£1,200", "1200 pounds"),
    (En, "£2.05", "2 pounds and 5 pence"),
    (En, "49.95 USD", "49 dollars and 95 cents"),
    (En, "10 CHF", "10 Swiss francs"),
    (En, "¥500", "500 yen"),
    (En, "₹250", "250 rupees"),
    (En, "$3.5M", "3 point 5 million dollars"),
    (En, "$2B", "2 billion dollars"),
    (En, "$1M", "1 million dollars"),
    (En, "€1.2k", "1 point 2 thousand euros"),
    (En, "a loss of -$5", "a loss of minus 5 dollars"),
    (En, "$5-$10", "5 dollars to 10 dollars"),
    (En, "$3 million", "3 million dollars"),
    (De, "5 Millionen €", "5 Millionen Euro"),
    (En, "2 billion USD", "2 billion dollars"),
    (Fr, "3 millions €", "3 millions d'euros"),
    (De, "$3 Milliarden", "3 Milliarden Dollar"),
    (Es, "$2 mil millones", "2 mil millones de dólares"),
    (En, "$1,234,567.89", "1234567 dollars and 89 cents"),
    (En, "5 €", "5 euros"),
    (De, "5 €", "5 Euro"),
    (De, "5,50 €", "5 Euro und 50 Cent"),
    (De, "1.200 €", "1200 Euro"),
    (
        De,
        "Das kostet 49,95 EUR.",
        "Das kostet 49 Euro und 95 Cent.",
    ),
    (De, "$2B", "2 Milliarden Dollar"),
    (De, "€1M", "1 Million Euro"),
    (De, "10 CHF", "10 Franken"),
    (De, "-5 €", "minus 5 Euro"),
    (Fr, "5,50 €", "5 euros et 50 centimes"),
    (Fr, "1 €", "1 euro"),
    (Fr, "1 200 €", "1200 euros"),
    (Fr, "$3.5M", "3 virgule 5 millions de dollars"),
    (Fr, "€2k", "2 mille euros"),
    (Fr, "20 CHF", "20 francs suisses"),
    (Es, "5,50 €", "5 euros con 50 céntimos"),
    (Es, "$1", "1 dólar"),
    (Es, "$2,10", "2 dólares con 10 centavos"),
    (Es, "$3M", "3 millones de dólares"),
    (Es, "$2B", "2 mil millones de dólares"),
    (Es, "1.200 €", "1200 euros"),
];

#[test]
fn money() {
    check(MONEY);
}

const NUMBERS: &[(Language, &str, &str)] = &[
    (En, "pi is 3.14", "pi is 3 point 1 4"),
    (De, "Pi ist 3,14", "Pi ist 3 Komma 1 4"),
    (Fr, "pi vaut 3,14", "pi vaut 3 virgule 1 4"),
    (Es, "pi es 3,14", "pi es 3 coma 1 4"),
    (En, "1,200 people", "1200 people"),
    (En, "1,200,000 people", "1200000 people"),
    (De, "1.200 Leute", "1200 Leute"),
    (Es, "1.200 personas", "1200 personas"),
    (Fr, "1 200 personnes", "1200 personnes"),
    (Fr, "1\u{202f}200 personnes", "1200 personnes"),
    (Fr, "1.200 personnes", "1200 personnes"),
    (De, "Es sind 1.5 Liter.", "Es sind 1 Komma 5 Liter."),
    (En, "It was -5 outside.", "It was minus 5 outside."),
    (De, "Es hat -5 Grad.", "Es hat minus 5 Grad."),
    (Fr, "Il fait -5.", "Il fait moins 5."),
    (Es, "Hace -5.", "Hace menos 5."),
    (
        En,
        "version 1.2.3 is out",
        "version 1 point 2 point 3 is out",
    ),
    (En, "1, 2 and 3", "1, 2 and 3"),
    (En, "2.5M users", "2 point 5 million users"),
    // A bare scale letter is read only with decimals: 3B could be a seat or a flat.
    (En, "3B people", "3B people"),
    (De, "2,5 Mio. Nutzer", "2 Komma 5 Millionen Nutzer"),
    (De, "Es sind 1 Mio.", "Es sind 1 Million."),
    (De, "3 Mrd. €", "3 Milliarden Euro"),
    (En, "Rated 3.5/5 stars.", "Rated 3 point 5 over 5 stars."),
    (En, "Call 911 now.", "Call 911 now."),
    (En, "From 2023-2024 we grew.", "From 2023 to 2024 we grew."),
    (En, "50%", "50 percent"),
    (En, "12.5 %", "12 point 5 percent"),
    (De, "50 %", "50 Prozent"),
    (De, "12,5 %", "12 Komma 5 Prozent"),
    (Fr, "50 %", "50 pour cent"),
    (Es, "50%", "50 por ciento"),
    (En, "5–10", "5 to 10"),
    (En, "5-10 km", "5 to 10 kilometers"),
    (De, "5-10 km", "5 bis 10 Kilometer"),
    (Fr, "5-10 km", "5 à 10 kilomètres"),
    (Es, "5-10 km", "5 a 10 kilómetros"),
    (En, "5 – 10 minutes", "5 to 10 minutes"),
    (En, "10-20%", "10 to 20 percent"),
];

#[test]
fn numbers() {
    check(NUMBERS);
}

const ORDINALS: &[(Language, &str, &str)] = &[
    (En, "1st", "first"),
    (En, "2nd", "second"),
    (En, "3rd", "third"),
    (En, "the 4th floor", "the fourth floor"),
    (En, "11th", "eleventh"),
    (En, "21st", "twenty-first"),
    (En, "31st", "thirty-first"),
    (En, "32nd", "thirty-second"),
    (En, "40th", "fortieth"),
    (En, "the 99th time", "the ninety-ninth time"),
    (En, "53rd", "fifty-third"),
    (En, "101st", "101st"),
    (En, "12nd", "12nd"),
    (Fr, "le 32e", "le 32e"),
    (Fr, "le 1er", "le premier"),
    (Fr, "la 1re", "la première"),
    (Fr, "le 2e", "le deuxième"),
    (Fr, "le 3ème", "le troisième"),
    (Es, "el 1º", "el primero"),
    (Es, "la 1ª", "la primera"),
    (Es, "el 3.º", "el tercero"),
    (Es, "la 21ª", "la vigésima primera"),
    (Es, "el 1.er piso", "el primer piso"),
    (Es, "el 3.er piso", "el tercer piso"),
];

#[test]
fn ordinals() {
    check(ORDINALS);
}

const FRACTIONS: &[(Language, &str, &str)] = &[
    (En, "1/2 cup", "one half cup"),
    (En, "That's 1/2 of 10.", "That's one half of 10."),
    (En, "3/4", "three quarters"),
    (En, "1/3", "one third"),
    (En, "2/3", "two thirds"),
    (En, "1/7", "1 over 7"),
    (En, "Open 24/7.", "Open twenty-four seven."),
    (De, "24/7 erreichbar", "rund um die Uhr erreichbar"),
    (De, "1/2", "ein halb"),
    (De, "3/4", "drei Viertel"),
    (De, "1/7", "1 durch 7"),
    (Fr, "3/4", "trois quarts"),
    (Fr, "1/7", "1 sur 7"),
    (Es, "1/2", "un medio"),
    (Es, "1/7", "1 sobre 7"),
    (En, "½", "one half"),
];

#[test]
fn fractions() {
    check(FRACTIONS);
}

const TIMES: &[(Language, &str, &str)] = &[
    (En, "at 3:30 pm", "at 3 30 p m"),
    (En, "at 3:30 PM", "at 3 30 p m"),
    (En, "at 3pm", "at 3 p m"),
    (En, "See you at 9 a.m.", "See you at 9 a m."),
    (En, "At 9 a.m. we open.", "At 9 a m we open."),
    (En, "At 5 p.m. We close.", "At 5 p m. We close."),
    (En, "at 15:30", "at 15 30"),
    (En, "open 9am–5pm.", "open 9 a m to 5 p m."),
    (En, "open 9:00-17:00", "open 9 o'clock to 17 o'clock"),
    (De, "9:00–17:30 Uhr", "9 Uhr bis 17 Uhr 30"),
    (En, "at 12:00", "at 12 o'clock"),
    (En, "at 3:05", "at 3 oh 5"),
    (De, "um 15:30", "um 15 Uhr 30"),
    (De, "um 15:00", "um 15 Uhr"),
    (De, "um 15:00 Uhr.", "um 15 Uhr."),
    (De, "um 8:15 Uhr", "um 8 Uhr 15"),
    (De, "um 3:30 pm", "um 15 Uhr 30"),
    (Fr, "à 15:30", "à 15 heures 30"),
    (Fr, "à 15h30", "à 15 heures 30"),
    (Fr, "à 1:00", "à 1 heure"),
    (Es, "a las 15:30", "a las 15 y 30"),
    (Es, "a las 15:00", "a las 15 en punto"),
];

#[test]
fn times() {
    check(TIMES);
}

const DATES: &[(Language, &str, &str)] = &[
    (En, "on 2024-07-03", "on July third, 2024"),
    (De, "2024-07-03", "dritter Juli 2024"),
    (De, "am 2024-07-03", "am dritten Juli 2024"),
    (Fr, "le 2024-07-03", "le 3 juillet 2024"),
    (Fr, "le 2024-07-01", "le premier juillet 2024"),
    (Es, "el 2024-07-03", "el 3 de julio de 2024"),
    (En, "07/03/2024", "July third, 2024"),
    (De, "07/03/2024", "siebter März 2024"),
    (Fr, "07/03/2024", "7 mars 2024"),
    (Es, "07/03/2024", "7 de marzo de 2024"),
    (De, "am 03.07.2024", "am dritten Juli 2024"),
    (En, "July 3, 2024", "July third, 2024"),
    (En, "July 3rd", "July third"),
    (En, "on May 21st, 2025.", "on May twenty-first, 2025."),
    (En, "3 July 2024", "July third, 2024"),
    (En, "the 3rd of July", "the third of July"),
    (En, "the 4th of July, 2025", "the fourth of July, 2025"),
    (De, "am 3. Mai", "am dritten Mai"),
    (De, "Der 3. Mai ist frei.", "Der dritter Mai ist frei."),
    (De, "vom 1. Januar", "vom ersten Januar"),
    (De, "vom 1. bis 3. Mai", "vom ersten bis dritten Mai"),
    (
        De,
        "am 24.12.2024 um 18:45 Uhr.",
        "am vierundzwanzigsten Dezember 2024 um 18 Uhr 45.",
    ),
    (De, "Die 2. Auflage", "Die zweite Auflage"),
    (
        En,
        "On 12/25/2024 we close.",
        "On December twenty-fifth, 2024 we close.",
    ),
    (En, "We met on 13/25/2024.", "We met on 13/25/2024."),
    (
        De,
        "bis zum 31. Dezember 2024",
        "bis zum einunddreißigsten Dezember 2024",
    ),
    (Fr, "le 1er juillet 2024", "le premier juillet 2024"),
    (Fr, "le 1 juillet", "le premier juillet"),
    (Fr, "le 3 juillet", "le 3 juillet"),
    (Es, "el 3 de julio", "el 3 de julio"),
];

#[test]
fn dates() {
    check(DATES);
}

const UNITS_AND_DURATIONS: &[(Language, &str, &str)] = &[
    (En, "2h 30m", "2 hours 30 minutes"),
    (En, "45 min", "45 minutes"),
    (En, "1.5 hours", "1 point 5 hours"),
    (En, "1 h", "1 hour"),
    (En, "5 km", "5 kilometers"),
    (En, "1 km", "1 kilometer"),
    (En, "100 m", "100 meters"),
    (En, "3cm", "3 centimeters"),
    (En, "2 kg", "2 kilograms"),
    (En, "500 g", "500 grams"),
    (En, "20 mg", "20 milligrams"),
    (En, "2 l", "2 liters"),
    (Fr, "les 5 l'ont vu", "les 5 l'ont vu"),
    (En, "the 1990s", "the 1990s"),
    (En, "5 s", "5 seconds"),
    (En, "250 ml", "250 milliliters"),
    (En, "20°C", "20 degrees Celsius"),
    (En, "68 °F", "68 degrees Fahrenheit"),
    (En, "60 mph", "60 miles per hour"),
    (En, "100 km/h", "100 kilometers per hour"),
    (En, "6 ft", "6 feet"),
    (En, "a 15in screen", "a 15 inches screen"),
    (En, "5 in stock", "5 in stock"),
    (En, "10 lb", "10 pounds"),
    (En, "8 oz", "8 ounces"),
    (En, "200 ms", "200 milliseconds"),
    (En, "16 GB", "16 gigabytes"),
    (En, "the m is silent", "the m is silent"),
    (De, "2h 30m", "2 Stunden 30 Minuten"),
    (De, "45 min", "45 Minuten"),
    (De, "1 Stunde", "1 Stunde"),
    (De, "20 °C", "20 Grad Celsius"),
    (De, "100 km/h", "100 Kilometer pro Stunde"),
    (De, "2,5 kg", "2 Komma 5 Kilogramm"),
    (Fr, "45 min", "45 minutes"),
    (Fr, "20 °C", "20 degrés Celsius"),
    (Fr, "1,5 km", "1 virgule 5 kilomètre"),
    (Fr, "3 kg", "3 kilogrammes"),
    (Es, "45 min", "45 minutos"),
    (Es, "20 °C", "20 grados Celsius"),
    (Es, "1 km", "1 kilómetro"),
    (Es, "3 kg", "3 kilogramos"),
];

#[test]
fn units_and_durations() {
    check(UNITS_AND_DURATIONS);
}

const PHONES: &[(Language, &str, &str)] = &[
    (
        En,
        "Call +1 (555) 010-0199 now",
        "Call plus 1, 5 5 5, 0 1 0, 0 1 9 9 now",
    ),
    (En, "555-010-0199", "5 5 5, 0 1 0, 0 1 9 9"),
    (En, "(555) 010-0199", "5 5 5, 0 1 0, 0 1 9 9"),
    (De, "+49 30 1234567", "plus 4 9, 3 0, 1 2 3, 4 5 6 7"),
    (Fr, "+33 1 23 45 67 89", "plus 3 3, 1, 2 3, 4 5, 6 7, 8 9"),
    (Es, "+34 912345678", "más 3 4, 9 1 2, 3 4 5, 6 7 8"),
    // A seven-digit local number, told from a range by a calling word or a leading 0.
    (En, "Call 555-1234.", "Call 5 5 5, 1 2 3 4."),
    (
        En,
        "My number is 555-1234 today",
        "My number is 5 5 5, 1 2 3 4 today",
    ),
    (En, "Dial 555-0123", "Dial 5 5 5, 0 1 2 3"),
    (En, "It is 555-0123", "It is 5 5 5, 0 1 2 3"),
    (En, "Eat 800-1200 calories", "Eat 800 to 1200 calories"),
    (
        En,
        "Call me at 555-1234 today",
        "Call me at 5 5 5, 1 2 3 4 today",
    ),
    (
        En,
        "Pick a number between 100-1000",
        "Pick a number between 100 to 1000",
    ),
    (En, "Write 500-1000 words", "Write 500 to 1000 words"),
    (
        En,
        "You can reach us at 555-1234",
        "You can reach us at 5 5 5, 1 2 3 4",
    ),
    (En, "Text me at 555-1234", "Text me at 5 5 5, 1 2 3 4"),
    (
        En,
        "A text of 500-1000 words",
        "A text of 500 to 1000 words",
    ),
    (En, "2 CAD files", "2 CAD files"),
    (De, "Rufen Sie 555-1234 an", "Rufen Sie 5 5 5, 1 2 3 4 an"),
    (Fr, "Appelez le 555-1234", "Appelez le 5 5 5, 1 2 3 4"),
    (Es, "Llame al 555-1234", "Llame al 5 5 5, 1 2 3 4"),
];

#[test]
fn phones() {
    check(PHONES);
}

const ADDRESSES: &[(Language, &str, &str)] = &[
    (
        En,
        "Write to support@example.com.",
        "Write to support at example dot com.",
    ),
    (De, "support@example.com", "support ät example punkt com"),
    (
        Fr,
        "support@example.com",
        "support arobase example point com",
    ),
    (
        Es,
        "support@example.com",
        "support arroba example punto com",
    ),
    (
        En,
        "jane.doe@mail.example.org",
        "jane dot doe at mail dot example dot org",
    ),
    (
        En,
        "See https://www.example.com/some/long/path?x=1 for more.",
        "See example dot com for more.",
    ),
    (
        En,
        "https://example.com/pricing",
        "example dot com slash pricing",
    ),
    (
        En,
        "Go to example.com/pricing.",
        "Go to example dot com slash pricing.",
    ),
    (En, "Visit example.com.", "Visit example dot com."),
    (De, "Besuche www.beispiel.de", "Besuche beispiel punkt de"),
    (Fr, "Allez sur exemple.fr", "Allez sur exemple point fr"),
    (
        Es,
        "Visita ejemplo.es/precios",
        "Visita ejemplo punto es barra precios",
    ),
    (En, "It ended.Then it began.", "It ended.Then it began."),
    (En, "Do that.It works.", "Do that.It works."),
    (En, "e.g. node.js", "for example node.js"),
];

#[test]
fn addresses() {
    check(ADDRESSES);
}

const SYMBOLS: &[(Language, &str, &str)] = &[
    (En, "salt & pepper", "salt and pepper"),
    (En, "R&D", "R and D"),
    (De, "Salz & Pfeffer", "Salz und Pfeffer"),
    (Fr, "sel & poivre", "sel et poivre"),
    (Es, "sal & pimienta", "sal y pimienta"),
    (En, "2 + 2 = 4", "2 plus 2 equals 4"),
    (De, "2 + 2 = 4", "2 plus 2 gleich 4"),
    (Fr, "2 + 2 = 4", "2 plus 2 égal 4"),
    (Es, "2 + 2 = 4", "2 más 2 igual a 4"),
    (En, "We're #1", "We're number 1"),
    (De, "#1", "Nummer 1"),
    (Fr, "#1", "numéro 1"),
    (Es, "#1", "número 1"),
    (En, "3×4", "3 times 4"),
    (En, "3 x 4", "3 times 4"),
    (En, "3x4", "3 times 4"),
    (De, "3 x 4", "3 mal 4"),
    (Fr, "3 x 4", "3 fois 4"),
    (Es, "3 x 4", "3 por 4"),
    (En, "3x faster", "3 times faster"),
    (En, "1.5x faster", "1 point 5 times faster"),
    (En, "0x1F", "0x1F"),
    (En, "Use C++.", "Use C plus plus."),
    (En, "~5 minutes", "about 5 minutes"),
    (De, "~5 Minuten", "etwa 5 Minuten"),
    (Fr, "~5 minutes", "environ 5 minutes"),
    (Es, "~5 minutos", "unos 5 minutos"),
    (En, "5 ± 1", "5 plus or minus 1"),
    (De, "5 ± 1", "5 plus minus 1"),
    (En, "+5", "plus 5"),
];

#[test]
fn symbols() {
    check(SYMBOLS);
}

const ABBREVIATIONS: &[(Language, &str, &str)] = &[
    (En, "fruit, e.g. apples", "fruit, for example apples"),
    (En, "E.g. apples", "For example apples"),
    (En, "one, i.e. this", "one, that is this"),
    (En, "approx. 5", "approximately 5"),
    (En, "apples, pears, etc.", "apples, pears, et cetera."),
    (En, "cats vs. dogs", "cats versus dogs"),
    (En, "pears, etc. Then", "pears, et cetera. Then"),
    (De, "Obst, z.B. Äpfel", "Obst, zum Beispiel Äpfel"),
    (De, "Obst, z. B. Äpfel", "Obst, zum Beispiel Äpfel"),
    (De, "d.h. morgen", "das heißt morgen"),
    (De, "Äpfel, Birnen usw.", "Äpfel, Birnen und so weiter."),
    (De, "ca. 5 Minuten", "circa 5 Minuten"),
    (
        Fr,
        "des fruits, p. ex. des pommes",
        "des fruits, par exemple des pommes",
    ),
    (Fr, "env. 5 minutes", "environ 5 minutes"),
    (
        Es,
        "frutas, p. ej. manzanas",
        "frutas, por ejemplo manzanas",
    ),
    (Es, "aprox. 5 minutos", "aproximadamente 5 minutos"),
    (En, "z.B. stays", "z.B. stays"),
];

#[test]
fn abbreviations() {
    check(ABBREVIATIONS);
}

#[test]
fn table_has_at_least_150_cases() {
    let total = [
        MONEY,
        NUMBERS,
        ORDINALS,
        FRACTIONS,
        TIMES,
        DATES,
        UNITS_AND_DURATIONS,
        PHONES,
        ADDRESSES,
        SYMBOLS,
        ABBREVIATIONS,
    ]
    .iter()
    .map(|t| t.len())
    .sum::<usize>();
    assert!(total >= 150, "{total}");
}

#[test]
fn detects_the_four_languages() {
    let cases = [
        (
            En,
            "I would like to book a table for two people tomorrow evening, please.",
        ),
        (
            De,
            "Ich möchte morgen Abend gerne einen Tisch für zwei Personen reservieren.",
        ),
        (
            Fr,
            "Je voudrais réserver une table pour deux personnes demain soir, s'il vous plaît.",
        ),
        (
            Es,
            "Me gustaría reservar una mesa para dos personas mañana por la noche, por favor.",
        ),
        (En, "The weather is nice today and we can go outside."),
        (
            De,
            "Ihr Termin ist am Montag um zehn Uhr bestätigt, bis dann.",
        ),
        (
            Fr,
            "Votre rendez-vous est confirmé pour lundi à dix heures du matin.",
        ),
        (
            Es,
            "Su cita está confirmada para el lunes a las diez de la mañana.",
        ),
    ];
    for (language, text) in cases {
        assert_eq!(detect(text), Some(language), "{text}");
    }
}

#[test]
fn detect_is_unsure_on_tiny_or_other_text() {
    // Two words may give None, never a panic; Italian is none of the four.
    let _ = detect("Hello there");
    assert_eq!(detect("ok"), None);
    assert_eq!(detect(""), None);
    assert_eq!(
        detect("Vorrei prenotare un tavolo per due persone domani sera, per favore."),
        None
    );
}

#[test]
fn short_everyday_sentences_are_told_apart() {
    for (language, text) in [
        (
            De,
            "Wie viel kostet der Versand nach Berlin, bitte? Gerne, 5 €.",
        ),
        (En, "How much is shipping to Berlin, please? Sure, 5 €."),
        (En, "Can I book a table for two? Yes, 7 pm works."),
        (Fr, "Quel est le prix de la livraison? Bien sûr, 5 €."),
        (Es, "¿Cuánto cuesta el envío a Madrid? Claro, 5 €."),
    ] {
        assert_eq!(detect(text), Some(language), "{text}");
    }
    // Too little to tell is no guess (and never German for English).
    assert_ne!(detect("Ok. Yes, that's fine. Thanks!"), Some(De));
}

/// Words without digits, symbols or abbreviations.
fn plain_text() -> impl Strategy<Value = String> {
    let word = prop::sample::select(vec![
        "hello", "world", "Haus", "très", "mañana", "the", "und", "señor", "café", "ÄÖÜ", "naïve",
        "x", "m", "in", "am", "pm", "July", "Mai", "er", "e", "km",
    ]);
    // Random words of three letters or more, minus the abbreviations.
    let random = "[a-zA-ZäöüßéèêàçñÁÉ]{3,10}".prop_filter("no abbreviation", |w| {
        !["etc", "usw", "env", "aprox", "approx", "Approx"].contains(&w.as_str())
    });
    let word = prop_oneof![word.prop_map(str::to_string), random];
    let sep = prop::sample::select(vec![" ", ", ", ". ", "! ", "? ", " - ", "\n", ": ", "; "]);
    prop::collection::vec((word, sep), 0..30).prop_map(|parts| {
        parts
            .into_iter()
            .map(|(w, s)| format!("{w}{s}"))
            .collect::<String>()
    })
}

/// Every input of the table, for gluing together.
fn table_inputs() -> Vec<&'static str> {
    [
        MONEY,
        NUMBERS,
        ORDINALS,
        FRACTIONS,
        TIMES,
        DATES,
        UNITS_AND_DURATIONS,
        PHONES,
        ADDRESSES,
        SYMBOLS,
        ABBREVIATIONS,
    ]
    .iter()
    .flat_map(|table| table.iter().map(|(_, input, _)| *input))
    .collect()
}

proptest! {
    #[test]
    fn never_panics_on_glued_formats(
        pieces in prop::collection::vec(
            (prop::sample::select(table_inputs()), prop::sample::select(vec!["", " ", "-", "/", ".", ","])),
            0..8,
        )
    ) {
        let text: String = pieces.iter().map(|(p, sep)| format!("{p}{sep}")).collect();
        for language in [En, De, Fr, Es] {
            let _ = normalize(&text, language);
        }
    }

    #[test]
    fn never_panics(text in any::<String>()) {
        for language in [En, De, Fr, Es] {
            let _ = normalize(&text, language);
        }
    }

    #[test]
    fn never_panics_on_format_soup(
        text in "[0-9$€£¥₹%@&+=#×~±°/.,:;()\\- a-zA-Zéº\u{a0}\u{202f}]{0,40}"
    ) {
        for language in [En, De, Fr, Es] {
            let _ = normalize(&text, language);
        }
    }

    #[test]
    fn plain_text_is_borrowed_and_unchanged(text in plain_text()) {
        for language in [En, De, Fr, Es] {
            let out = normalize(&text, language);
            prop_assert!(matches!(out, Cow::Borrowed(_)));
            prop_assert_eq!(&*out, text.as_str());
        }
    }
}

/// The examples the "Spoken forms" table of `docs/speech.md` shows, exactly as it shows them.
#[test]
fn the_spoken_forms_table_is_true() {
    let en = |text: &str| normalize(text, Language::En).into_owned();
    for (written, spoken) in [
        ("$49.95", "49 dollars and 95 cents"),
        ("€5", "5 euros"),
        ("£1,200", "1200 pounds"),
        ("$3.5M", "3 point 5 million dollars"),
        ("-$5", "minus 5 dollars"),
        ("$5/month", "5 dollars per month"),
        ("US$5", "5 US dollars"),
        ("A$10", "10 Australian dollars"),
        ("call 555-1234", "call 5 5 5, 1 2 3 4"),
        ("1,200", "1200"),
        ("3.14", "3 point 1 4"),
        ("-5", "minus 5"),
        ("50%", "50 percent"),
        ("5–10 km", "5 to 10 kilometers"),
        ("1/2", "one half"),
        ("24/7", "twenty-four seven"),
        ("1st", "first"),
        ("21st", "twenty-first"),
        ("3:30 pm", "3 30 p m"),
        ("15:30", "15 30"),
        ("9am–5pm", "9 a m to 5 p m"),
        ("2024-07-03", "July third, 2024"),
        ("July 3, 2024", "July third, 2024"),
        ("2h 30m", "2 hours 30 minutes"),
        ("45 min", "45 minutes"),
        ("25°C", "25 degrees Celsius"),
        ("5 kg", "5 kilograms"),
        ("60 mph", "60 miles per hour"),
        ("+1 (555) 010-0199", "plus 1, 5 5 5, 0 1 0, 0 1 9 9"),
        ("support@example.com", "support at example dot com"),
        ("https://www.example.com/docs/a?x=1", "example dot com"),
        ("#1", "number 1"),
        ("3×4", "3 times 4"),
        ("~5", "about 5"),
    ] {
        assert_eq!(en(written), spoken, "{written}");
    }
    assert_eq!(normalize("5,50 €", Language::De), "5 Euro und 50 Cent");
}

/// Everyday text that must come out as written (or nearly): seats and gates, German "am",
/// the parts of a three-part time, numbers that are not fractions or ranges.
#[test]
fn everyday_numbers_are_not_mistaken_for_formats() {
    let en = |text: &str| normalize(text, Language::En).into_owned();
    for (written, spoken) in [
        ("Your seat is 14B.", "Your seat is 14B."),
        ("Go to gate 2B.", "Go to gate 2B."),
        ("It raised $2B.", "It raised 2 billion dollars."),
        ("A 2.5M user base.", "A 2 point 5 million user base."),
        ("It ran for 2:05:00.", "It ran for 2:05:00."),
        ("It's a 50/50 chance.", "It's a 50/50 chance."),
        ("Due 3/15.", "Due 3/15."),
        ("Take 3/4 of it.", "Take three quarters of it."),
        ("What's 10 - 3?", "What's 10 - 3?"),
        ("Mail 12345-6789.", "Mail 12345-6789."),
        ("Open 9–5 daily.", "Open 9 to 5 daily."),
        ("Meet at 3:30pm.", "Meet at 3 30 p m."),
    ] {
        assert_eq!(en(written), spoken, "{written}");
    }
    let de = |text: &str| normalize(text, Language::De).into_owned();
    assert_eq!(
        de("Ihr Termin ist um 9:30 am Montag."),
        "Ihr Termin ist um 9 Uhr 30 am Montag."
    );
    assert_eq!(de("Um 3 PM."), "Um 15 Uhr.");
}
