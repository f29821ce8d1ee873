//! The words before a long number that say what it is: a phone number ("call", "Handy",
//! "portable", "móvil"), a social security number, or something that is not personal (an
//! order, a booking, a flight), in en/de/fr/es. German compounds count by their start
//! ("Bestellnummer", "Telefonnummer").

use super::tokens::{lower, Class, Token};

/// What the words before a number say it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Cue {
    Phone,
    SocialSecurity,
    /// "number", "Nummer": a phone unless another word says otherwise.
    Number,
    /// An order, a booking, a flight: not personal.
    Other,
    None,
}

/// The nearest telling word among the six before token `first`.
pub(super) fn cue_before(text: &str, tokens: &[Token], first: usize) -> Cue {
    let mut seen_number = false;
    let mut words = 0;
    for token in tokens[..first].iter().rev() {
        if !token.is_word() {
            continue;
        }
        words += 1;
        if words > 6 {
            break;
        }
        match cue_of(&lower(token.text(text))) {
            Cue::Number => seen_number = true,
            Cue::None => {}
            cue => return cue,
        }
    }
    if seen_number {
        Cue::Number
    } else {
        Cue::None
    }
}

fn cue_of(word: &str) -> Cue {
    const OTHER: &[&str] = &[
        "order",
        "booking",
        "confirmation",
        "tracking",
        "invoice",
        "reference",
        "ref",
        "ticket",
        "flight",
        "serial",
        "case",
        "policy",
        "claim",
        "member",
        "account",
        "bestell",
        "auftrag",
        "buchung",
        "rechnung",
        "kunden",
        "sendung",
        "flug",
        "vorgang",
        "commande",
        "réservation",
        "reservation",
        "facture",
        "vol",
        "suivi",
        "dossier",
        "pedido",
        "reserva",
        "factura",
        "vuelo",
        "seguimiento",
        "localizador",
        "expediente",
        "referencia",
        "zip",
        "postal",
    ];
    const PHONE: &[&str] = &[
        "phone",
        "telephone",
        "cell",
        "mobile",
        "call",
        "reach",
        "text",
        "whatsapp",
        "fax",
        "dial",
        "telefon",
        "handy",
        "mobil",
        "rufnummer",
        "anrufen",
        "ruf",
        "erreichbar",
        "téléphone",
        "portable",
        "appeler",
        "appelez",
        "joindre",
        "teléfono",
        "telefono",
        "móvil",
        "movil",
        "celular",
        "llamar",
        "llame",
        "llámame",
        "llamame",
    ];
    if OTHER.iter().any(|cue| word.starts_with(cue)) {
        return Cue::Other;
    }
    if PHONE.iter().any(|cue| word.starts_with(cue)) {
        return Cue::Phone;
    }
    match word {
        "ssn" | "social" | "sozialversicherungsnummer" | "sécu" => Cue::SocialSecurity,
        "number" | "nr" | "nummer" | "numéro" | "numero" | "número" | "num" => Cue::Number,
        _ => Cue::None,
    }
}

/// A currency sign or name right before token `first` or after byte `end`: an amount.
pub(super) fn money_beside(text: &str, tokens: &[Token], first: usize, end: usize) -> bool {
    const NAMES: &[&str] = &[
        "euro",
        "euros",
        "dollar",
        "dollars",
        "pesos",
        "peso",
        "francs",
        "pounds",
        "eur",
        "usd",
        "gbp",
        "chf",
        "cents",
        "centimes",
        "céntimos",
    ];
    let sign = |t: &Token| matches!(t.class, Class::Mark('$' | '€' | '£' | '¥'));
    let before = first
        .checked_sub(1)
        .and_then(|k| tokens.get(k))
        .is_some_and(sign);
    let mut after = tokens[tokens.partition_point(|t| t.start < end)..].iter();
    let next = after.next();
    let next = match next {
        Some(t) if t.class == Class::Space => after.next(),
        other => other,
    };
    before
        || next.is_some_and(|t| {
            sign(t) || (t.is_word() && NAMES.contains(&lower(t.text(text)).as_ref()))
        })
}
