//! The speech test set: exact chunks for every category the listener would notice, each
//! checked fed whole and fed one character at a time; then property tests.

use proptest::prelude::*;

use super::*;

/// Sentence rules alone: no early first chunk, no joining of short sentences.
const PLAIN: SpeechSettings = SpeechSettings {
    policy: ChunkPolicy {
        max_chars: 250,
        first_chunk_min_chars: 0,
        min_chunk_chars: 0,
    },
    drop_emoji: true,
    language: SentenceLanguage::Auto,
};

pub(super) fn speak(settings: SpeechSettings, deltas: &[&str]) -> Vec<String> {
    let mut stream = SpeechStream::new(settings);
    let mut out = Vec::new();
    for delta in deltas {
        out.extend(stream.push(delta));
    }
    out.extend(stream.finish());
    out
}

fn by_chars(text: &str) -> Vec<String> {
    text.chars().map(String::from).collect()
}

fn check(settings: SpeechSettings, cases: &[(&str, &[&str])]) {
    for (input, expected) in cases {
        let whole = speak(settings, &[input]);
        assert_eq!(whole, *expected, "fed whole: {input:?}");
        let chars = by_chars(input);
        let refs: Vec<&str> = chars.iter().map(String::as_str).collect();
        assert_eq!(
            speak(settings, &refs),
            *expected,
            "fed by character: {input:?}"
        );
    }
}

#[test]
fn titles_and_abbreviations_never_end_a_sentence() {
    check(
        PLAIN,
        &[
            (
                "Dr. Smith will see you. Bye.",
                &["Dr. Smith will see you.", "Bye."],
            ),
            (
                "Mr. and Mrs. Jones are here. Hi.",
                &["Mr. and Mrs. Jones are here.", "Hi."],
            ),
            (
                "Ask Ms. Lee or Prof. Chan. Thanks.",
                &["Ask Ms. Lee or Prof. Chan.", "Thanks."],
            ),
            (
                "It is on St. Mark's Road. Go.",
                &["It is on St. Mark's Road.", "Go."],
            ),
            (
                "Martin Luther King Jr. spoke. Yes.",
                &["Martin Luther King Jr. spoke.", "Yes."],
            ),
            (
                "Cats vs. Dogs is on. Watch.",
                &["Cats vs. Dogs is on.", "Watch."],
            ),
            (
                "Bring pens, paper, etc. Then sit.",
                &["Bring pens, paper, etc.", "Then sit."],
            ),
            (
                "Use a tool, e.g. a hammer. Done.",
                &["Use a tool, e.g. a hammer.", "Done."],
            ),
            (
                "Use a tool, i.e. This one. Done.",
                &["Use a tool, i.e. This one.", "Done."],
            ),
            (
                "Open at 9 a.m. and closed at 5 p.m. today. Bye.",
                &["Open at 9 a.m. and closed at 5 p.m. today.", "Bye."],
            ),
            (
                "The U.S. Army is here. Ok.",
                &["The U.S. Army is here.", "Ok."],
            ),
            (
                "He lives in the U.K. Now he moves.",
                &["He lives in the U.K. Now he moves."],
            ),
            (
                "Go to Room No. 5 now. Thanks.",
                &["Go to Room No. 5 now.", "Thanks."],
            ),
            (
                "It weighs approx. Ten tons. Wow.",
                &["It weighs approx. Ten tons.", "Wow."],
            ),
            ("I said no. Then I left.", &["I said no.", "Then I left."]),
        ],
    );
}

#[test]
fn ordinary_words_are_not_abbreviations() {
    check(
        PLAIN,
        &[
            // Ordinary words in one language that another abbreviates (auto applies every
            // language's lists).
            (
                "That works for me. I'll book it now.",
                &["That works for me.", "I'll book it now."],
            ),
            ("Mm. I see it now.", &["Mm.", "I see it now."]),
            ("Son las dos. Nos vemos.", &["Son las dos.", "Nos vemos."]),
            ("Voy a ir. Luego vuelvo.", &["Voy a ir.", "Luego vuelvo."]),
            (
                "Paint it red. Then dry it.",
                &["Paint it red.", "Then dry it."],
            ),
            (
                "It shone like the sun. It had set.",
                &["It shone like the sun.", "It had set."],
            ),
            (
                "She finally sat. Then she slept.",
                &["She finally sat.", "Then she slept."],
            ),
            ("Go up to max. Then stop.", &["Go up to max.", "Then stop."]),
            (
                "They wed. Then they left.",
                &["They wed.", "Then they left."],
            ),
            (
                "We met in Feb. It was cold.",
                &["We met in Feb.", "It was cold."],
            ),
            ("I met Jan. He was kind.", &["I met Jan.", "He was kind."]),
            (
                "It took 50 ms. Then it failed.",
                &["It took 50 ms.", "Then it failed."],
            ),
            ("Wait 5 min. Then go.", &["Wait 5 min.", "Then go."]),
            ("Rev the engine. Go.", &["Rev the engine.", "Go."]),
            ("One more rep. Done.", &["One more rep.", "Done."]),
            ("Ask HR. They know.", &["Ask HR.", "They know."]),
            (
                "I live in CA. It is sunny.",
                &["I live in CA.", "It is sunny."],
            ),
            ("No. That is wrong.", &["No.", "That is wrong."]),
        ],
    );
}

#[test]
fn words_count_as_abbreviations_where_they_are_unambiguous() {
    check(
        PLAIN,
        &[
            ("Open Sat. 3 May. Bye.", &["Open Sat. 3 May.", "Bye."]),
            (
                "Sun. 5 March is free. Ok.",
                &["Sun. 5 March is free.", "Ok."],
            ),
            ("Due Mar. 3rd. Bye.", &["Due Mar. 3rd.", "Bye."]),
            // A blank line ends the paragraph, whatever follows it; a line break alone
            // does not ("Due Jan.\n3" is one date wrapped).
            ("Due Jan.\n\n3 items. Ok.", &["Due Jan.", "3 items.", "Ok."]),
            ("Due Jan.\n3rd. Ok.", &["Due Jan.\n3rd.", "Ok."]),
            ("Due Sept. 2024 Q3. Ok.", &["Due Sept. 2024 Q3.", "Ok."]),
            ("Open Mon. – Fri. Ok.", &["Open Mon. – Fri.", "Ok."]),
            (
                "Room for max. 5 people. Ok.",
                &["Room for max. 5 people.", "Ok."],
            ),
            (
                "Platz für max. 5 Personen. Danke.",
                &["Platz für max. 5 Personen.", "Danke."],
            ),
            (
                "Wait min. 10 Minuten. Ok.",
                &["Wait min. 10 Minuten.", "Ok."],
            ),
            ("Take the No. 7 Bus. Ok.", &["Take the No. 7 Bus.", "Ok."]),
            ("Est. 1990 Quality. Ok.", &["Est. 1990 Quality.", "Ok."]),
            ("Ask Gen. Lee now. Ok.", &["Ask Gen. Lee now.", "Ok."]),
            ("Ask Rev. Green. Ok.", &["Ask Rev. Green.", "Ok."]),
            ("Frag Hr. Meier. Ok.", &["Frag Hr. Meier.", "Ok."]),
            (
                "Sie wohnt in der Berliner Str. 5. Gut.",
                &["Sie wohnt in der Berliner Str. 5.", "Gut."],
            ),
        ],
    );
}

#[test]
fn initials_stay_with_the_name() {
    check(
        PLAIN,
        &[
            (
                "I love J. R. R. Tolkien. His books.",
                &["I love J. R. R. Tolkien.", "His books."],
            ),
            ("Call J. Smith today. Ok.", &["Call J. Smith today.", "Ok."]),
            (
                "George W. Bush spoke. Then left.",
                &["George W. Bush spoke.", "Then left."],
            ),
        ],
    );
}

#[test]
fn numbers_money_versions_and_times_stay_whole() {
    check(
        PLAIN,
        &[
            (
                "Pi is 3.14 exactly. Next.",
                &["Pi is 3.14 exactly.", "Next."],
            ),
            (
                "It costs $42.50 today. Buy it.",
                &["It costs $42.50 today.", "Buy it."],
            ),
            (
                "Prices rose 4.5% this year. Sad.",
                &["Prices rose 4.5% this year.", "Sad."],
            ),
            (
                "Update to version 2.0.1 now. Done.",
                &["Update to version 2.0.1 now.", "Done."],
            ),
            (
                "Meet at 9:30 tomorrow. See you.",
                &["Meet at 9:30 tomorrow.", "See you."],
            ),
            (
                "It is 1,234.56 euros. Pay.",
                &["It is 1,234.56 euros.", "Pay."],
            ),
            (
                "The answer is 42. Then we stop.",
                &["The answer is 42.", "Then we stop."],
            ),
            (
                "Temperature is -3.5 degrees. Cold.",
                &["Temperature is -3.5 degrees.", "Cold."],
            ),
        ],
    );
}

#[test]
fn urls_domains_and_emails_stay_whole() {
    check(
        PLAIN,
        &[
            (
                "Visit example.com/help for more. Thanks.",
                &["Visit example.com/help for more.", "Thanks."],
            ),
            (
                "Write to support@example.com today. Bye.",
                &["Write to support@example.com today.", "Bye."],
            ),
            (
                "Go to https://www.example.org/a.html now. Ok.",
                &["Go to https://www.example.org/a.html now.", "Ok."],
            ),
            (
                "Our site is example.com. Visit soon.",
                &["Our site is example.com.", "Visit soon."],
            ),
            (
                "See docs.rs for details. Ok.",
                &["See docs.rs for details.", "Ok."],
            ),
        ],
    );
}

#[test]
fn ellipses_continue_or_end_as_the_next_letter_says() {
    check(
        PLAIN,
        &[
            ("Hmm... let me think. Ok.", &["Hmm... let me think.", "Ok."]),
            ("Hmm… let me think. Ok.", &["Hmm… let me think.", "Ok."]),
            ("Wait... What was that?", &["Wait...", "What was that?"]),
            ("Wait… What was that?", &["Wait…", "What was that?"]),
        ],
    );
}

#[test]
fn quotes_and_brackets_close_with_their_sentence() {
    check(
        PLAIN,
        &[
            (
                "She said \"I'll be there.\" Then she left.",
                &["She said \"I'll be there.\"", "Then she left."],
            ),
            (
                "He asked “Why not?” Nobody knew.",
                &["He asked “Why not?”", "Nobody knew."],
            ),
            (
                "It works (mostly.) Try it.",
                &["It works (mostly.)", "Try it."],
            ),
            ("Wow!\" she said. Ok.", &["Wow!\" she said.", "Ok."]),
        ],
    );
}

#[test]
fn terminators_in_many_languages_end_sentences() {
    check(
        PLAIN,
        &[
            ("Really? Yes! Good.", &["Really?", "Yes!", "Good."]),
            ("Is it done?! Yes.", &["Is it done?!", "Yes."]),
            (
                "你好。今天天气很好！你呢？",
                &["你好。", "今天天气很好！", "你呢？"],
            ),
            (
                "こんにちは。元気ですか？はい。",
                &["こんにちは。", "元気ですか？", "はい。"],
            ),
            (
                "¿Qué hora es? Son las 9:30. ¡Perfecto!",
                &["¿Qué hora es?", "Son las 9:30.", "¡Perfecto!"],
            ),
            ("¡Hola! ¿Cómo estás?", &["¡Hola!", "¿Cómo estás?"]),
            (
                "Das ist z.B. ein Test. Gut.",
                &["Das ist z.B. ein Test.", "Gut."],
            ),
            (
                "Wir kaufen Äpfel, Birnen usw. Danach essen wir.",
                &["Wir kaufen Äpfel, Birnen usw.", "Danach essen wir."],
            ),
            (
                "Das kostet ca. Zehn Euro. Ok.",
                &["Das kostet ca. Zehn Euro.", "Ok."],
            ),
            ("M. Dupont est là. Merci.", &["M. Dupont est là.", "Merci."]),
            (
                "Mme. Martin arrive. Bien.",
                &["Mme. Martin arrive.", "Bien."],
            ),
            ("Привет. Как дела?", &["Привет.", "Как дела?"]),
            ("Sr. García llegó. Hola.", &["Sr. García llegó.", "Hola."]),
            (
                "Il est 10 h. Le train part.",
                &["Il est 10 h.", "Le train part."],
            ),
        ],
    );
}

#[test]
fn glued_sentences_are_two_sentences() {
    check(
        PLAIN,
        &[
            (
                "Let me check that for you.Your order shipped.",
                &["Let me check that for you.", "Your order shipped."],
            ),
            ("Done!Next one.", &["Done!", "Next one."]),
            ("Really?Yes.", &["Really?", "Yes."]),
            (
                "Visit example.Com later.",
                &["Visit example.", "Com later."],
            ),
            ("It is fine.OK then.", &["It is fine.OK then."]),
        ],
    );
}

#[test]
fn line_breaks_and_paragraphs_split() {
    check(
        PLAIN,
        &[
            ("First line\nSecond line", &["First line", "Second line"]),
            ("Para one.\n\nPara two.", &["Para one.", "Para two."]),
            ("Step one\r\nStep two", &["Step one", "Step two"]),
        ],
    );
}

#[test]
fn list_numbers_start_items_and_are_not_spoken_as_sentences() {
    check(
        PLAIN,
        &[
            (
                "1. Open the app\n2. Tap settings",
                &["Open the app", "Tap settings"],
            ),
            (
                "Steps:\n1. Open the app.\n2. Tap settings.",
                &["Steps:", "Open the app.", "Tap settings."],
            ),
            (
                "The steps: 1. Open the app. 2. Tap it.",
                &["The steps: 1. Open the app.", "2. Tap it."],
            ),
            ("10) Tenth item\n11) Eleventh", &["Tenth item", "Eleventh"]),
            (
                "- apples\n- pears\n* plums\n+ figs",
                &["apples", "pears", "plums", "figs"],
            ),
            ("  - nested item\n    - deeper", &["nested item", "deeper"]),
            (
                "Intro:\n\n1. First\n\n- Second\n\n## Third",
                &["Intro:", "First", "Second", "Third"],
            ),
        ],
    );
}

#[test]
fn markdown_is_reduced_to_its_words() {
    check(
        PLAIN,
        &[
            ("**Bold** and *italic* text.", &["Bold and italic text."]),
            ("__Strong__ and _soft_ words.", &["Strong and soft words."]),
            ("Keep snake_case names.", &["Keep snake_case names."]),
            ("~~Old~~ new price.", &["Old new price."]),
            ("Run `cargo test` now.", &["Run cargo test now."]),
            ("# Title\nBody text.", &["Title", "Body text."]),
            ("### Deep heading\nText.", &["Deep heading", "Text."]),
            ("#hashtag stays.", &["#hashtag stays."]),
            ("> Quoted words.\nReply.", &["Quoted words.", "Reply."]),
            (
                "Read [the guide](https://example.com/guide) today.",
                &["Read the guide today."],
            ),
            ("See ![a cat](cat.png) here.", &["See a cat here."]),
            ("Cite [1] please.", &["Cite 1 please."]),
            ("Above\n---\nBelow", &["Above", "Below"]),
            ("Line<br>break here.", &["Line break here."]),
            ("A <b>bold</b> move.", &["A bold move."]),
            ("If x < 5 then stop.", &["If x < 5 then stop."]),
            ("**Note.** Next part.", &["Note.", "Next part."]),
        ],
    );
}

#[test]
fn marks_that_are_not_markup_are_kept_for_the_voice() {
    check(
        PLAIN,
        &[
            ("12 * 3.5 = 40", &["12 * 3.5 = 40"]),
            ("7 * 8 is 56.", &["7 * 8 is 56."]),
            ("7*8", &["7*8"]),
            ("So 2**10 is 1024.", &["So 2**10 is 1024."]),
            ("Is 5 * (3 + 2) 25?", &["Is 5 * (3 + 2) 25?"]),
            ("It ends with 5 *", &["It ends with 5 *"]),
            ("C# is fun.", &["C# is fun."]),
            ("See issue #5 today.", &["See issue #5 today."]),
            ("#5 is next.", &["#5 is next."]),
            ("Wait ~5 minutes.", &["Wait ~5 minutes."]),
            ("~5 minutes left.", &["~5 minutes left."]),
            ("Pick 5 ~ 6 eggs.", &["Pick 5 ~ 6 eggs."]),
            ("Use a _ here.", &["Use a _ here."]),
            ("Call my_var__x now.", &["Call my_var__x now."]),
            ("I don`t know.", &["I don`t know."]),
            ("A ` sign.", &["A ` sign."]),
        ],
    );
}

#[test]
fn marks_that_are_markup_are_still_stripped() {
    check(
        PLAIN,
        &[
            ("*really* good", &["really good"]),
            ("**bold**", &["bold"]),
            ("It is *really* good.", &["It is really good."]),
            ("A **5** star stay.", &["A 5 star stay."]),
            ("(*note*) ***all***.", &["(note) all."]),
            ("Terms apply*", &["Terms apply"]),
            ("_em_ and __strong__ too.", &["em and strong too."]),
            ("A ~~strike~~ here.", &["A strike here."]),
            ("Use `my_var` and ``x``.", &["Use my_var and x."]),
            ("The `Vec`s and `a b` grow.", &["The Vecs and a b grow."]),
            ("Run `x ` now.", &["Run x  now."]),
            ("* 7 * 8 is it\n# 5 things", &["7 * 8 is it", "5 things"]),
        ],
    );
}

#[test]
fn tables_are_read_as_their_cells() {
    check(
        PLAIN,
        &[
            (
                "| Name | Price |\n|---|---:|\n| Tea | $3 |\n",
                &["Name, Price", "Tea, $3"],
            ),
            (
                "Prices:\n| Tea | 3 |\nEnjoy.",
                &["Prices:", "Tea, 3", "Enjoy."],
            ),
        ],
    );
}

#[test]
fn code_blocks_are_not_read_out() {
    check(
        PLAIN,
        &[
            (
                "Here is how:\n```rust\nfn main() {}\n```\nThat is all.",
                &["Here is how:", "That is all."],
            ),
            ("Try this:\n```\nx = 1. y = 2.\n```", &["Try this:"]),
            ("~~~\ncode\n~~~\nAfter.", &["After."]),
            ("Unclosed:\n```\nnever spoken", &["Unclosed:"]),
            ("Look:\n\n```sh\nls -la\n```\n\nDone.", &["Look:", "Done."]),
        ],
    );
}

#[test]
fn reasoning_tags_are_never_spoken() {
    check(
        PLAIN,
        &[
            (
                "<think>The user wants a greeting.</think>Hello there!",
                &["Hello there!"],
            ),
            (
                "<think>\nStep. By. Step.\n</think>\n\nSure. Here.",
                &["Sure.", "Here."],
            ),
            ("<thinking>hmm</thinking>Yes.", &["Yes."]),
            ("<THINK>loud</THINK>Quiet.", &["Quiet."]),
            ("Hi. <think>private</think>Bye.", &["Hi.", "Bye."]),
            ("<think>never closed", &[]),
        ],
    );
}

#[test]
fn emoji_are_dropped_and_empty_chunks_never_emitted() {
    check(
        PLAIN,
        &[
            ("Great job! 🎉 See you.", &["Great job!", "See you."]),
            ("Thumbs up 👍🏽 from me.", &["Thumbs up  from me."]),
            ("Family 👨‍👩‍👧 time.", &["Family  time."]),
            ("😀", &[]),
            ("...", &[]),
            ("Hi.\n...\n!", &["Hi."]),
            ("Hi. ... !", &["Hi. ... !"]),
            ("   \n\n  ", &[]),
            ("", &[]),
            ("!!! Wow.", &["!!! Wow."]),
        ],
    );
    let keep = SpeechSettings {
        drop_emoji: false,
        ..PLAIN
    };
    check(keep, &[("Great job 🎉 today.", &["Great job 🎉 today."])]);
}

#[test]
fn long_sentences_are_cut_at_clauses_then_words() {
    let short = SpeechSettings {
        policy: ChunkPolicy {
            max_chars: 40,
            ..PLAIN.policy
        },
        ..PLAIN
    };
    check(short, &[
        (
            "We will go to the market, buy some fresh bread and cheese, then walk home slowly.",
            &["We will go to the market,", "buy some fresh bread and cheese,", "then walk home slowly."],
        ),
        (
            "one two three four five six seven eight nine ten eleven twelve thirteen",
            &["one two three four five six seven eight", "nine ten eleven twelve thirteen"],
        ),
        (
            "Options are these; first the red one — then the blue one and the green one.",
            &["Options are these; first the red one —", "then the blue one and the green one."],
        ),
        ("Short one. Another short one.", &["Short one.", "Another short one."]),
        (
            "这是一个很长的句子，我们需要在逗号处把它分开，这样语音就不会等待太久，对吧，朋友们，你们觉得怎么样呢",
            &["这是一个很长的句子，我们需要在逗号处把它分开，这样语音就不会等待太久，对吧，", "朋友们，你们觉得怎么样呢"],
        ),
    ]);
    // A single token longer than the cap is cut at the cap.
    let token = "x".repeat(45);
    assert_eq!(speak(short, &[&token]), ["x".repeat(40), "x".repeat(5)]);
}

#[test]
fn the_first_chunk_starts_early_and_short_sentences_join() {
    let defaults = SpeechSettings::default();
    check(defaults, &[
        (
            "Well, I looked into your order carefully, and it shipped yesterday. It arrives soon.",
            &["Well, I looked into your order carefully,", "and it shipped yesterday.", "It arrives soon."],
        ),
        ("Sure. Okay. Here it is.", &["Sure.", "Okay. Here it is."]),
        ("Sure. That works. Yes.", &["Sure.", "That works.", "Yes."]),
        ("Hello there! How can I help?", &["Hello there!", "How can I help?"]),
    ]);
}

#[test]
fn a_pause_speaks_what_looks_finished() {
    let mut stream = SpeechStream::new(SpeechSettings::default());
    assert!(stream.push("Let me check that for you.").is_empty());
    assert_eq!(stream.pause(), ["Let me check that for you."]);
    assert!(stream.push("Wow!").is_empty());
    assert_eq!(stream.pause(), ["Wow!"], "a held exclamation is released");
    assert!(stream.push(" Your order is").is_empty());
    assert!(stream.pause().is_empty());
    assert_eq!(stream.finish(), ["Your order is"]);
}

#[test]
fn german_ordinals_before_months_and_after_articles_continue() {
    check(
        PLAIN,
        &[
            (
                "Wir treffen uns am 3. Mai in Berlin. Gut.",
                &["Wir treffen uns am 3. Mai in Berlin.", "Gut."],
            ),
            (
                "Der 1. FC Köln hat gewonnen. Toll.",
                &["Der 1. FC Köln hat gewonnen.", "Toll."],
            ),
            (
                "Wir sind vom 24. bis 26. Dezember weg. Schön.",
                &["Wir sind vom 24. bis 26. Dezember weg.", "Schön."],
            ),
            (
                "Sie ist 3. geworden. Super.",
                &["Sie ist 3. geworden.", "Super."],
            ),
            (
                "Im 2. Weltkrieg war alles anders. Ja.",
                &["Im 2. Weltkrieg war alles anders.", "Ja."],
            ),
            (
                "Heute ist der 24. Dezember. Frohe Weihnachten.",
                &["Heute ist der 24. Dezember.", "Frohe Weihnachten."],
            ),
            (
                "Ab 1. Jan. gilt der Tarif. Gut.",
                &["Ab 1. Jan. gilt der Tarif.", "Gut."],
            ),
            (
                "Bis zum 15. März bitte. Danke.",
                &["Bis zum 15. März bitte.", "Danke."],
            ),
            (
                "Ich habe 3. Dann gehe ich.",
                &["Ich habe 3.", "Dann gehe ich."],
            ),
            (
                "Es war 2024. Mai kam danach.",
                &["Es war 2024.", "Mai kam danach."],
            ),
            (
                "Ich bin 40. März ist mein Monat.",
                &["Ich bin 40.", "März ist mein Monat."],
            ),
            ("Zähl bis 10. Dann komm.", &["Zähl bis 10.", "Dann komm."]),
            ("I am 30. Then I left.", &["I am 30.", "Then I left."]),
            ("Vi ses den 3. maj. Hej.", &["Vi ses den 3. maj.", "Hej."]),
            (
                "Tavataan 3. toukokuuta. Hei.",
                &["Tavataan 3. toukokuuta.", "Hei."],
            ),
            (
                "Wir feiern am 3.\nMai kommt bald.",
                &["Wir feiern am 3.", "Mai kommt bald."],
            ),
        ],
    );
}

#[test]
fn russian_abbreviations_never_end_a_sentence() {
    check(
        PLAIN,
        &[
            (
                "Он живёт на ул. Ленина. Хорошо.",
                &["Он живёт на ул. Ленина.", "Хорошо."],
            ),
            (
                "Купите овощи, фрукты и т.д. Потом отдохните.",
                &["Купите овощи, фрукты и т.д.", "Потом отдохните."],
            ),
            (
                "Книги, журналы и т.п. Всё здесь.",
                &["Книги, журналы и т.п.", "Всё здесь."],
            ),
            (
                "Это фрукты, т.е. Яблоки и груши. Да.",
                &["Это фрукты, т.е. Яблоки и груши.", "Да."],
            ),
            (
                "Я родился в г. Москва. Привет.",
                &["Я родился в г. Москва.", "Привет."],
            ),
            (
                "Это было в 2020 г. Потом всё изменилось.",
                &["Это было в 2020 г.", "Потом всё изменилось."],
            ),
            (
                "Это было в 1990–1995 гг. Потом пришли перемены.",
                &["Это было в 1990–1995 гг.", "Потом пришли перемены."],
            ),
            (
                "Музей им. Пушкина открыт. Идём.",
                &["Музей им. Пушкина открыт.", "Идём."],
            ),
            (
                "Адрес: ул. Мира, д. 5. Ждём.",
                &["Адрес: ул. Мира, д. 5.", "Ждём."],
            ),
            (
                "Откройте стр. 5 и читайте. Хорошо.",
                &["Откройте стр. 5 и читайте.", "Хорошо."],
            ),
            (
                "Цена 100 руб. Скидка есть.",
                &["Цена 100 руб.", "Скидка есть."],
            ),
            (
                "Цена 100 руб. 50 коп. за штуку. Да.",
                &["Цена 100 руб. 50 коп. за штуку.", "Да."],
            ),
            (
                "Население 5 млн. Это много.",
                &["Население 5 млн.", "Это много."],
            ),
            (
                "Около 5 тыс. человек пришли. Ура.",
                &["Около 5 тыс. человек пришли.", "Ура."],
            ),
            (
                "Бюджет 3 млрд. рублей. Ясно.",
                &["Бюджет 3 млрд. рублей.", "Ясно."],
            ),
            ("См. Главу 3. Там всё.", &["См. Главу 3.", "Там всё."]),
            ("Рост 180 см. Вес 80 кг.", &["Рост 180 см.", "Вес 80 кг."]),
            (
                "Города, напр. Москва и Казань. Да.",
                &["Города, напр. Москва и Казань.", "Да."],
            ),
        ],
    );
}

#[test]
fn italian_abbreviations_never_end_a_sentence() {
    check(
        PLAIN,
        &[
            (
                "Il sig. Rossi è arrivato. Bene.",
                &["Il sig. Rossi è arrivato.", "Bene."],
            ),
            (
                "La sig.ra Bianchi è qui. Grazie.",
                &["La sig.ra Bianchi è qui.", "Grazie."],
            ),
            (
                "Chiedi al dott. Verdi. Ciao.",
                &["Chiedi al dott. Verdi.", "Ciao."],
            ),
            (
                "Il prof. Bianchi insegna. Sì.",
                &["Il prof. Bianchi insegna.", "Sì."],
            ),
            (
                "Compra pane, latte ecc. Poi torna.",
                &["Compra pane, latte ecc.", "Poi torna."],
            ),
            (
                "Vedi pag. 12 del libro. Ok.",
                &["Vedi pag. 12 del libro.", "Ok."],
            ),
            (
                "Frutta, ad es. Mele e pere. Bene.",
                &["Frutta, ad es. Mele e pere.", "Bene."],
            ),
            (
                "Sono ca. Cento persone. Bene.",
                &["Sono ca. Cento persone.", "Bene."],
            ),
            (
                "Parla con l'avv. Neri. Grazie.",
                &["Parla con l'avv. Neri.", "Grazie."],
            ),
            (
                "L'ing. Galli arriva. Bene.",
                &["L'ing. Galli arriva.", "Bene."],
            ),
            ("Eso es. Vamos.", &["Eso es.", "Vamos."]),
        ],
    );
}

#[test]
fn portuguese_abbreviations_never_end_a_sentence() {
    check(
        PLAIN,
        &[
            ("O sr. Silva chegou. Olá.", &["O sr. Silva chegou.", "Olá."]),
            (
                "A Sra. Costa está aqui. Obrigado.",
                &["A Sra. Costa está aqui.", "Obrigado."],
            ),
            (
                "Fale com a dra. Lima. Tchau.",
                &["Fale com a dra. Lima.", "Tchau."],
            ),
            (
                "Frutas, p. ex. Maçãs e peras. Bom.",
                &["Frutas, p. ex. Maçãs e peras.", "Bom."],
            ),
            (
                "Veja a pág. 10 do livro. Certo.",
                &["Veja a pág. 10 do livro.", "Certo."],
            ),
            (
                "Moro na Av. Paulista. Legal.",
                &["Moro na Av. Paulista.", "Legal."],
            ),
            (
                "Compre pão, leite etc. Depois volte.",
                &["Compre pão, leite etc.", "Depois volte."],
            ),
            ("Ele é meu ex. Acabou.", &["Ele é meu ex.", "Acabou."]),
        ],
    );
}

#[test]
fn dutch_abbreviations_never_end_a_sentence() {
    check(
        PLAIN,
        &[
            (
                "Bel dhr. Jansen even. Dank je.",
                &["Bel dhr. Jansen even.", "Dank je."],
            ),
            (
                "Mevr. De Vries is er. Fijn.",
                &["Mevr. De Vries is er.", "Fijn."],
            ),
            (
                "Fruit, bijv. Appels en peren. Goed.",
                &["Fruit, bijv. Appels en peren.", "Goed."],
            ),
            (
                "Morgen, d.w.z. Dinsdag, kom ik. Tot dan.",
                &["Morgen, d.w.z. Dinsdag, kom ik.", "Tot dan."],
            ),
            (
                "Zie blz. 12 voor meer. Oké.",
                &["Zie blz. 12 voor meer.", "Oké."],
            ),
            (
                "Met o.a. Jan en Piet. Leuk.",
                &["Met o.a. Jan en Piet.", "Leuk."],
            ),
            (
                "Vragen m.b.t. Uw contract? Bel ons.",
                &["Vragen m.b.t. Uw contract?", "Bel ons."],
            ),
            (
                "Neem thee i.p.v. Koffie. Gezond.",
                &["Neem thee i.p.v. Koffie.", "Gezond."],
            ),
            (
                "Het is ca. Tien euro. Prima.",
                &["Het is ca. Tien euro.", "Prima."],
            ),
            ("Bel nr. 5 nu. Dag.", &["Bel nr. 5 nu.", "Dag."]),
        ],
    );
}

#[test]
fn cjk_closing_quotes_and_brackets_stay_with_their_sentence() {
    check(
        PLAIN,
        &[
            (
                "「行きます。」と彼は言った。はい。",
                &["「行きます。」と彼は言った。", "はい。"],
            ),
            (
                "『本当ですか？』って聞いた。うん。",
                &["『本当ですか？』って聞いた。", "うん。"],
            ),
            (
                "彼は「行きます」と言った。はい。",
                &["彼は「行きます」と言った。", "はい。"],
            ),
            (
                "他说：“我来了。”然后他走了。",
                &["他说：“我来了。”", "然后他走了。"],
            ),
            (
                "【注意！】请小心。好的。",
                &["【注意！】", "请小心。", "好的。"],
            ),
            ("他读完了。）很好。", &["他读完了。）", "很好。"]),
            ("《真好！》他说。", &["《真好！》", "他说。"]),
            ("「はい。」「いいえ。」", &["「はい。」", "「いいえ。」"]),
            (
                "价格是100元。（含税）谢谢。",
                &["价格是100元。", "（含税）谢谢。"],
            ),
            ("「行きます。」\n次の日。", &["「行きます。」", "次の日。"]),
        ],
    );
}

#[test]
fn ellipses_before_numbers_and_lowercase_words_continue() {
    check(
        PLAIN,
        &[
            (
                "Wait... 3 more minutes. Ok.",
                &["Wait... 3 more minutes.", "Ok."],
            ),
            (
                "Wait... 3 People came. Ok.",
                &["Wait... 3 People came.", "Ok."],
            ),
            (
                "Warte… 5 Minuten noch. Gut.",
                &["Warte… 5 Minuten noch.", "Gut."],
            ),
            ("So... maybe not. Fine.", &["So... maybe not.", "Fine."]),
            ("So… maybe not. Fine.", &["So… maybe not.", "Fine."]),
            (
                "Counting... 10, 9, 8. Go!",
                &["Counting... 10, 9, 8.", "Go!"],
            ),
            (
                "Well… Maybe later. Bye.",
                &["Well…", "Maybe later.", "Bye."],
            ),
            (
                "Well... Maybe later. Bye.",
                &["Well...", "Maybe later.", "Bye."],
            ),
        ],
    );
}

fn squash(text: &str) -> String {
    text.chars().filter(|c| !c.is_whitespace()).collect()
}

/// Cuts `text` at the given byte offsets (those that fall on character boundaries).
pub(super) fn pieces(text: &str, cuts: &[usize]) -> Vec<String> {
    let mut bounds: Vec<usize> = cuts
        .iter()
        .map(|c| c % (text.len() + 1))
        .filter(|c| text.is_char_boundary(*c))
        .collect();
    bounds.extend([0, text.len()]);
    bounds.sort_unstable();
    bounds.dedup();
    bounds
        .windows(2)
        .map(|w| text[w[0]..w[1]].to_string())
        .collect()
}

/// Text drawn from what models write: words, numbers, punctuation, abbreviations,
/// markdown, CJK, emoji, line breaks.
fn reply_text() -> impl Strategy<Value = String> {
    let token = prop_oneof![
        "[A-Za-z]{1,8}",
        "[a-z]{2,5}\\.[A-Z][a-z]{1,4}",
        Just(" ".to_string()),
        Just(" ".to_string()),
        "[.!?,;:…]",
        "[0-9]{1,3}(\\.[0-9]{1,2})?",
        Just("\n".to_string()),
        Just("Dr. ".to_string()),
        Just("e.g. ".to_string()),
        Just("**".to_string()),
        Just("- ".to_string()),
        Just("1. ".to_string()),
        Just("[a](b) ".to_string()),
        Just("<think>x. Y</think>".to_string()),
        Just("`".to_string()),
        "[*_~]",
        Just("\"".to_string()),
        Just("(".to_string()),
        Just(")".to_string()),
        Just("é".to_string()),
        Just("。".to_string()),
        Just("你好".to_string()),
        Just("🎉".to_string()),
        Just("am 3. ".to_string()),
        "(Mai|M|Ma|Dez|Jan\\.)",
        Just("ул. ".to_string()),
        Just("т.д. ".to_string()),
        "[「」（）【】と]",
        Just("！".to_string()),
        Just("っ".to_string()),
    ];
    proptest::collection::vec(token, 0..60).prop_map(|tokens| tokens.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn any_split_gives_the_same_chunks(
        text in reply_text(),
        cuts in proptest::collection::vec(0usize..600, 0..20),
        defaults in any::<bool>(),
    ) {
        let settings = if defaults { SpeechSettings::default() } else { PLAIN };
        let whole = speak(settings, &[&text]);
        let split = pieces(&text, &cuts);
        let refs: Vec<&str> = split.iter().map(String::as_str).collect();
        prop_assert_eq!(&speak(settings, &refs), &whole);
        let chars = by_chars(&text);
        let refs: Vec<&str> = chars.iter().map(String::as_str).collect();
        prop_assert_eq!(&speak(settings, &refs), &whole);
    }

    #[test]
    fn chunks_join_to_the_cleaned_text_and_are_never_empty(
        text in reply_text(),
        defaults in any::<bool>(),
    ) {
        let settings = if defaults { SpeechSettings::default() } else { PLAIN };
        let chunks = speak(settings, &[&text]);
        for chunk in &chunks {
            prop_assert!(chunk.chars().any(char::is_alphanumeric), "{:?}", chunk);
            prop_assert_eq!(chunk.trim(), chunk.as_str());
        }
        let mut filter = SpeechFilter::new(true);
        let cleaned = filter.push(&text) + &filter.finish();
        let joined = squash(&chunks.concat());
        let cleaned = squash(&cleaned);
        prop_assert!(cleaned.starts_with(&joined), "{:?} vs {:?}", joined, cleaned);
        // Only a punctuation-only tail may be left unspoken.
        prop_assert!(!cleaned[joined.len()..].chars().any(char::is_alphanumeric));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3))]

    /// A huge delta (a whole reply at once, or a hostile one without a space) is chunked
    /// like any other: its chunks join to the cleaned text, and cutting it into a few
    /// deltas changes nothing. (Its cost per byte is flat: `cargo bench --bench chunking`.)
    #[test]
    fn a_delta_of_up_to_a_megabyte_is_chunked_like_any_other(
        unit in reply_text(),
        size in 1usize..(1 << 20),
        cuts in proptest::collection::vec(0usize..(1 << 20), 0..4),
    ) {
        prop_assume!(!unit.is_empty());
        let repeated = unit.repeat(size / unit.len() + 1);
        let mut end = size.min(repeated.len());
        while !repeated.is_char_boundary(end) {
            end -= 1;
        }
        let text = &repeated[..end];
        let settings = SpeechSettings::default();
        let whole = speak(settings, &[text]);
        let mut filter = SpeechFilter::new(true);
        let cleaned = squash(&(filter.push(text) + &filter.finish()));
        let joined = squash(&whole.concat());
        prop_assert!(cleaned.starts_with(&joined), "the chunks are not the cleaned text");
        prop_assert!(!cleaned[joined.len()..].chars().any(char::is_alphanumeric));
        let split = pieces(text, &cuts);
        let refs: Vec<&str> = split.iter().map(String::as_str).collect();
        prop_assert_eq!(speak(settings, &refs), whole);
    }
}
