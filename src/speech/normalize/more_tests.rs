//! Spoken forms of times and versions, marks, units, ordinals outside dates, scores,
//! weekday ranges, mixed fractions and addresses with underscores, in each of en, de, fr
//! and es, each beside the case it must leave alone.

use super::tests::check;
use super::Language::{De, En, Es, Fr};

#[test]
fn times_and_versions_are_never_decimals() {
    check(&[
        (
            De,
            "Wir treffen uns um 8.30 Uhr.",
            "Wir treffen uns um 8 Uhr 30.",
        ),
        (De, "Version 2.5 ist da.", "Version 2 Punkt 5 ist da."),
        (
            De,
            "Installiere v2.5 heute.",
            "Installiere Version 2 Punkt 5 heute.",
        ),
        (
            De,
            "Das kostet 2.5 Prozent mehr.",
            "Das kostet 2 Komma 5 Prozent mehr.",
        ),
        (
            En,
            "Update to version 2.10 now.",
            "Update to version 2 point 10 now.",
        ),
        (En, "Meet at 8.30 pm.", "Meet at 8 30 p m."),
        (En, "iOS 17.2 is out.", "iOS 17 point 2 is out."),
        (En, "It grew 2.10 times.", "It grew 2 point 1 0 times."),
        (
            En,
            "We will build 2.5 km of track.",
            "We will build 2 point 5 kilometers of track.",
        ),
        (
            En,
            "The run took 1.25 h.",
            "The run took 1 point 2 5 hours.",
        ),
        (
            De,
            "Nach dem Update 1.000 Nutzer.",
            "Nach dem Update 1000 Nutzer.",
        ),
        (
            De,
            "Das Update 12.05.2024 kam spät.",
            "Das Update zwölfter Mai 2024 kam spät.",
        ),
        (
            Fr,
            "La version 3.2 est sortie.",
            "La version 3 point 2 est sortie.",
        ),
        (Fr, "Rendez-vous à 8.30 h.", "Rendez-vous à 8 heures 30."),
        (Fr, "Il mesure 3.2 mètres.", "Il mesure 3 virgule 2 mètres."),
        (
            Es,
            "La versión 1.5 ya está.",
            "La versión 1 punto 5 ya está.",
        ),
        (Es, "Quedamos a las 8.30 h.", "Quedamos a las 8 y 30."),
        (Es, "Pesa 1.5 kilos.", "Pesa 1 coma 5 kilos."),
    ]);
}

#[test]
fn marks_before_names_and_numbers_are_said() {
    check(&[
        (
            En,
            "Follow #voicebridge and @anna_b now.",
            "Follow hashtag voicebridge and at anna underscore b now.",
        ),
        (En, "Room No. 5 please.", "Room number 5 please."),
        (En, "I said no. 5 came.", "I said no. 5 came."),
        (En, "See § 5 of the terms.", "See section 5 of the terms."),
        (
            En,
            "Write to me@example.com.",
            "Write to me at example dot com.",
        ),
        (En, "Press C# then #1.", "Press C# then number 1."),
        (De, "Siehe § 5 BGB.", "Siehe Paragraf 5 BGB."),
        (De, "Haus Nr. 5.", "Haus Nummer 5."),
        (De, "Folgt #VoiceBridge.", "Folgt Hashtag VoiceBridge."),
        (Fr, "Appartement n° 5.", "Appartement numéro 5."),
        (Fr, "Écrivez à @marie.", "Écrivez à arobase marie."),
        (Es, "Vivo en el núm. 5.", "Vivo en el número 5."),
        (Es, "Síguenos en @tienda.", "Síguenos en arroba tienda."),
        (Es, "Ver § 3.", "Ver párrafo 3."),
        (
            Es,
            "Trabajo en EE. UU. Mi familia no.",
            "Trabajo en Estados Unidos. Mi familia no.",
        ),
        (
            En,
            "Do I need 3 forms? No. 2 are enough.",
            "Do I need 3 forms? No. 2 are enough.",
        ),
        (
            En,
            "Use #ff5733 for the header.",
            "Use #ff5733 for the header.",
        ),
        (
            Es,
            "Vive en EE. UU. desde 2010.",
            "Vive en Estados Unidos desde 2010.",
        ),
    ]);
}

#[test]
fn areas_volumes_and_german_abbreviated_units_are_said() {
    check(&[
        (En, "It is 1,200 sq ft.", "It is 1200 square feet."),
        (En, "A 50 m² flat.", "A 50 square meters flat."),
        (En, "Wait 5 min.", "Wait 5 minutes."),
        (
            De,
            "Die Wohnung hat 80 m² und 200 m³.",
            "Die Wohnung hat 80 Quadratmeter und 200 Kubikmeter.",
        ),
        (
            De,
            "Es dauert 5 Min. und 2 Std.",
            "Es dauert 5 Minuten und 2 Stunden.",
        ),
        (
            De,
            "Es dauert 1 Std. Danach essen wir.",
            "Es dauert 1 Stunde. Danach essen wir.",
        ),
        (De, "Die Min. ist erreicht.", "Die Min. ist erreicht."),
        (Fr, "Un studio de 25 m².", "Un studio de 25 mètres carrés."),
        (Es, "Un piso de 90 m².", "Un piso de 90 metros cuadrados."),
        (
            Es,
            "Un terreno de 1 km².",
            "Un terreno de 1 kilómetro cuadrado.",
        ),
    ]);
}

#[test]
fn ordinals_outside_dates() {
    check(&[
        (De, "Zum 3. Mal fragt er.", "Zum dritten Mal fragt er."),
        (
            De,
            "Der 2. Platz geht an Anna.",
            "Der zweite Platz geht an Anna.",
        ),
        (De, "Im 5. Stock links.", "Im fünften Stock links."),
        // The ending depends on the noun's gender: left as written.
        (
            De,
            "Das ist mein 5. Geburtstag.",
            "Das ist mein 5. Geburtstag.",
        ),
        (De, "Ich bin 30. Das ist alt.", "Ich bin 30. Das ist alt."),
        // "der" after a preposition asks another case: left as written.
        (De, "Sie ist in der 3. Klasse.", "Sie ist in der 3. Klasse."),
        (
            Fr,
            "Au XIXe siècle, Paris grandit.",
            "Au dix-neuvième siècle, Paris grandit.",
        ),
        (Fr, "Le Ier siècle.", "Le premier siècle."),
        (Fr, "Louis XIV régnait.", "Louis XIV régnait."),
        (Fr, "Le XXIe festival.", "Le XXIe festival."),
        (
            En,
            "She came 2nd in the race.",
            "She came second in the race.",
        ),
        (Es, "Quedó en 2º lugar.", "Quedó en segundo lugar."),
    ]);
}

#[test]
fn scores_weekday_ranges_and_mixed_fractions() {
    check(&[
        (De, "Das Spiel endete 2:1.", "Das Spiel endete 2 zu 1."),
        (De, "Um 14:30 geht es los.", "Um 14 Uhr 30 geht es los."),
        (En, "We won 3:0.", "We won 3 to 0."),
        (Fr, "Ils ont gagné 2:1.", "Ils ont gagné 2 à 1."),
        (Es, "Ganamos 2:1.", "Ganamos 2 a 1."),
        (En, "Open Mon–Fri.", "Open Monday to Friday."),
        (
            En,
            "Open Mon-Fri, 9am-5pm.",
            "Open Monday to Friday, 9 a m to 5 p m.",
        ),
        (En, "A so-so result.", "A so-so result."),
        (
            En,
            "Come on Friday—Saturday is booked.",
            "Come on Friday—Saturday is booked.",
        ),
        (De, "Mir geht's so – so.", "Mir geht's so – so."),
        (En, "Read Psalm 23:4 today.", "Read Psalm 23:4 today."),
        (En, "See Matthew 5:3-12.", "See Matthew 5:3-12."),
        (De, "Geöffnet Mo–Fr.", "Geöffnet Montag bis Freitag."),
        (
            De,
            "Geöffnet Mo.-Fr. 9 bis 17 Uhr.",
            "Geöffnet Montag bis Freitag 9 bis 17 Uhr.",
        ),
        (Fr, "Ouvert lun.–ven.", "Ouvert du lundi au vendredi."),
        (Fr, "Ouvert du lun au ven.", "Ouvert du lun au ven."),
        (Es, "Abierto lun–vie.", "Abierto de lunes a viernes."),
        (En, "Add 1½ cups.", "Add 1 and a half cups."),
        (En, "It takes 2¼ hours.", "It takes 2 and a quarter hours."),
        (
            De,
            "Es dauert 2½ Stunden.",
            "Es dauert zweieinhalb Stunden.",
        ),
        (De, "Noch 1½ Tage.", "Noch eineinhalb Tage."),
        (
            De,
            "Es dauert 2¾ Stunden.",
            "Es dauert 2 und drei Viertel Stunden.",
        ),
        (Es, "Añade ½ taza de leche.", "Añade media taza de leche."),
        (Es, "Añade ½ kilo de arroz.", "Añade medio kilo de arroz."),
        (Es, "Son 1½ horas.", "Son 1 hora y media."),
        (Es, "Son 2½ kilos.", "Son 2 kilos y medio."),
        (Es, "Faltan 2½ mapas.", "Faltan 2½ mapas."),
        (Fr, "Ajoutez ½ tasse.", "Ajoutez une demi-tasse."),
        (Fr, "Comptez 1½ heure.", "Comptez 1 heure et demie."),
        (Fr, "Il faut 2½ kilos.", "Il faut 2 kilos et demi."),
        (Fr, "Il reste 2½ trucs.", "Il reste 2½ trucs."),
    ]);
}

#[test]
fn underscores_in_addresses_are_said() {
    check(&[
        (
            En,
            "Mail john_smith@example.com today.",
            "Mail john underscore smith at example dot com today.",
        ),
        (
            De,
            "Schreib an max_muster@example.de.",
            "Schreib an max Unterstrich muster ät example punkt de.",
        ),
        (
            Fr,
            "Écrivez à jean_dupont@exemple.fr.",
            "Écrivez à jean tiret bas dupont arobase exemple point fr.",
        ),
        (
            Es,
            "Escribe a ana_lopez@ejemplo.es.",
            "Escribe a ana guion bajo lopez arroba ejemplo punto es.",
        ),
        (
            En,
            "Call snake_case_name in code.",
            "Call snake_case_name in code.",
        ),
    ]);
}
