//! Areas, volumes and German abbreviations with their period, read after a number
//! before the units of [`super::UNITS`] are tried.

use super::units::{Spacing, UnitWords, MINUTES};

/// `m²`, `sq m`.
const SQUARE_METERS: UnitWords = [
    ("square meter", "square meters"),
    ("Quadratmeter", "Quadratmeter"),
    ("mètre carré", "mètres carrés"),
    ("metro cuadrado", "metros cuadrados"),
];

/// `sq ft`, `ft²`.
const SQUARE_FEET: UnitWords = [
    ("square foot", "square feet"),
    ("Quadratfuß", "Quadratfuß"),
    ("pied carré", "pieds carrés"),
    ("pie cuadrado", "pies cuadrados"),
];

/// Units tried first: areas, volumes, `Min.`, `Std.`, `Sek.`.
pub(in crate::speech::normalize) static MORE_UNITS: &[(&str, Spacing, UnitWords)] = &[
    (
        "km²",
        Spacing::Either,
        [
            ("square kilometer", "square kilometers"),
            ("Quadratkilometer", "Quadratkilometer"),
            ("kilomètre carré", "kilomètres carrés"),
            ("kilómetro cuadrado", "kilómetros cuadrados"),
        ],
    ),
    (
        "cm²",
        Spacing::Either,
        [
            ("square centimeter", "square centimeters"),
            ("Quadratzentimeter", "Quadratzentimeter"),
            ("centimètre carré", "centimètres carrés"),
            ("centímetro cuadrado", "centímetros cuadrados"),
        ],
    ),
    ("m²", Spacing::Either, SQUARE_METERS),
    ("sq m", Spacing::Apart, SQUARE_METERS),
    ("sqm", Spacing::Either, SQUARE_METERS),
    (
        "m³",
        Spacing::Either,
        [
            ("cubic meter", "cubic meters"),
            ("Kubikmeter", "Kubikmeter"),
            ("mètre cube", "mètres cubes"),
            ("metro cúbico", "metros cúbicos"),
        ],
    ),
    ("sq ft", Spacing::Apart, SQUARE_FEET),
    ("ft²", Spacing::Either, SQUARE_FEET),
    (
        "sq mi",
        Spacing::Apart,
        [
            ("square mile", "square miles"),
            ("Quadratmeile", "Quadratmeilen"),
            ("mille carré", "milles carrés"),
            ("milla cuadrada", "millas cuadradas"),
        ],
    ),
    // German abbreviations with their period ("5 Min.", "2 Std.").
    ("Min.", Spacing::Apart, MINUTES),
    (
        "Std.",
        Spacing::Apart,
        [
            ("hour", "hours"),
            ("Stunde", "Stunden"),
            ("heure", "heures"),
            ("hora", "horas"),
        ],
    ),
    (
        "Sek.",
        Spacing::Apart,
        [
            ("second", "seconds"),
            ("Sekunde", "Sekunden"),
            ("seconde", "secondes"),
            ("segundo", "segundos"),
        ],
    ),
];
