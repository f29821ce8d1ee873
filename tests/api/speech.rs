//! Speech through the whole server: markdown-heavy replies are spoken cleanly while
//! `response.data` carries them raw, and a finished sentence is spoken when the model
//! pauses or turns to a tool call.

use std::sync::Arc;

use serde_json::Value;
use tokio::sync::Notify;

use crate::helpers::fake_upstream::{content_chunk, finish_steps, role_chunk, Reply, Step};
use crate::helpers::*;

#[tokio::test]
async fn a_markdown_reply_is_spoken_cleanly_and_forwarded_raw() {
    let app = spawn_app().await;
    let deltas = [
        "<think>The user",
        " wants steps.</think>",
        "**Sure!** Here",
        " are the steps:\n\n",
        "1. Open the *app*.\n",
        "2. Tap [Settings](https://example.com/settings).\n\n",
        "```bash\nrm -rf /tmp/x\n```\n",
        "| Plan | Price |\n|---|---|\n| Pro | $9 |\n",
        "That's it 🎉",
    ];
    app.upstream.enqueue(Reply::deltas(&deltas));
    let events = app
        .turn(&message("conv_md", "t1", "How do I change settings?"))
        .await;
    assert_well_formed(&events, "t1");
    assert_eq!(
        spoken(&events),
        [
            "Sure!",
            "Here are the steps:",
            "Open the app.",
            "Tap Settings.",
            "Plan, Price",
            "Pro, 9 dollars",
            "That's it"
        ]
    );
    let raw: String = contents(&events, "response.data")
        .iter()
        .map(|c| c["delta"].as_str().expect("delta").to_string())
        .collect();
    assert_eq!(
        raw,
        deltas.concat(),
        "the browser gets the model's text untouched"
    );
}

/// Streams `head`, then `extra` steps, then stalls until the test opens the gate.
fn stalled_reply(head: &str, extra: Vec<Step>, gate: &Arc<Notify>) -> Reply {
    let mut steps = vec![Step::Send(role_chunk()), Step::Send(content_chunk(head))];
    steps.extend(extra);
    steps.push(Step::Wait(gate.clone()));
    steps.push(Step::Send(content_chunk(" Your order has shipped.")));
    steps.extend(finish_steps());
    Reply::Stream {
        steps,
        abort: false,
    }
}

async fn first_spoken(reader: &mut SseReader) -> Value {
    let mut events = reader.until_spoken().await;
    events.pop().expect("the speech")
}

#[tokio::test]
async fn a_finished_sentence_is_spoken_when_the_model_pauses() {
    let app = spawn_app_with(&[("SPEECH_IDLE_FLUSH_MS", "100")]).await;
    let gate = Arc::new(Notify::new());
    app.upstream
        .enqueue(stalled_reply("Let me check that for you.", vec![], &gate));
    let response = app
        .post_webhook(&message("conv_pause", "t1", "Where is my order?"))
        .await;
    let mut reader = SseReader::new(response);
    let first = first_spoken(&mut reader).await;
    assert_eq!(first["content"], "Let me check that for you.");
    gate.notify_one();
    let rest = reader.collect().await;
    assert_eq!(spoken(&rest), ["Your order has shipped."]);
}

#[tokio::test]
async fn a_finished_sentence_is_spoken_when_the_model_turns_to_a_tool() {
    // The idle flush is far away: only the tool call can release the sentence.
    let app = spawn_app_with(&[
        ("SPEECH_IDLE_FLUSH_MS", "60000"),
        ("LLM_IDLE_TIMEOUT_MS", "60000"),
    ])
    .await;
    let gate = Arc::new(Notify::new());
    let tool_call = "data: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":\"call_1\",\"type\":\"function\",\"function\":{\"name\":\"track\",\"arguments\":\"\"}}]}}]}\n\n";
    let extra = vec![Step::Send(tool_call.as_bytes().to_vec())];
    app.upstream
        .enqueue(stalled_reply("Let me look that up.", extra, &gate));
    let response = app
        .post_webhook(&message("conv_tool_pause", "t1", "Where is my order?"))
        .await;
    let mut reader = SseReader::new(response);
    let first = first_spoken(&mut reader).await;
    assert_eq!(first["content"], "Let me look that up.");
    gate.notify_one();
    let rest = reader.collect().await;
    assert_eq!(spoken(&rest), ["Your order has shipped."]);
}

#[tokio::test]
async fn numbers_money_dates_and_addresses_are_spoken_and_forwarded_raw() {
    let dir = folder_with(
        "pron",
        &[("pronunciations.toml", "\"nginx\" = \"engine x\"\n")],
    );
    let words = dir.join("pronunciations.toml");
    let app = spawn_app_with(&[("PRONUNCIATIONS_FILE", words.to_str().expect("utf-8"))]).await;
    let reply = [
        "Your plan is $49.95 a month. ",
        "It renews on 2024-07-03. ",
        "Call +1 (555) 010-0199 or write to support@example.com. ",
        "Docs are at https://www.example.com/docs/setup/nginx?x=1 for Nginx users.",
    ];
    app.upstream.enqueue(Reply::deltas(&reply));
    let events = app.turn(&message("conv_norm", "t1", "Plan?")).await;
    assert_well_formed(&events, "t1");
    assert_eq!(
        spoken(&events),
        [
            "Your plan is 49 dollars and 95 cents a month.",
            "It renews on July third, 2024.",
            "Call plus 1, 5 5 5, 0 1 0, 0 1 9 9 or write to support at example dot com.",
            "Docs are at example dot com for engine x users.",
        ]
    );
    let deltas: String = contents(&events, "response.data")
        .iter()
        .filter_map(|c| c["delta"].as_str().map(str::to_string))
        .collect();
    assert_eq!(deltas, reply.concat(), "the browser gets the model's text");
    // History keeps the model's words, not the spoken forms.
    app.settle().await;
    let history = app.store.history("conv_norm").await.expect("store");
    assert!(
        history[1].content.contains("$49.95"),
        "{}",
        history[1].content
    );

    // Off, and in German.
    let off = spawn_app_with(&[("SPEECH_NORMALIZE", "false")]).await;
    off.upstream.enqueue(Reply::deltas(&["It is $5."]));
    assert_eq!(
        spoken(&off.turn(&message("conv_off", "t1", "Price?")).await),
        ["It is $5."]
    );
    let de = spawn_app_with(&[("SPEECH_LANGUAGE", "de")]).await;
    de.upstream
        .enqueue(Reply::deltas(&["Der Termin ist am 3. Mai um 15:30."]));
    assert_eq!(
        spoken(&de.turn(&message("conv_de", "t1", "Wann?")).await),
        ["Der Termin ist am dritten Mai um 15 Uhr 30."]
    );

    // Guessed: a reply too short to tell takes the caller's language.
    let auto = spawn_app_with(&[("SPEECH_LANGUAGE", "auto")]).await;
    auto.upstream.enqueue(Reply::deltas(&["Gerne, 5 €."]));
    let question = "Wie viel kostet der Versand nach Berlin, bitte?";
    assert_eq!(
        spoken(&auto.turn(&message("conv_auto", "t1", question)).await),
        ["Gerne, 5 Euro."]
    );
}

#[tokio::test]
async fn a_bad_pronunciation_file_stops_start_up_naming_its_line() {
    let dir = folder_with(
        "pron-bad",
        &[(
            "pronunciations.toml",
            "\"nginx\" = \"engine x\"\n\"SQL\" = 5\n",
        )],
    );
    let words = dir.join("pronunciations.toml");
    let prompt = concat!(env!("CARGO_MANIFEST_DIR"), "/prompts/system.md");
    let path = words.to_str().expect("utf-8").to_string();
    let vars = [
        ("LAYERCODE_WEBHOOK_SECRET", SECRET),
        ("LLM_API_KEY", "k"),
        ("SYSTEM_PROMPT_FILE", prompt),
        ("CALL_STORE_URL", "off"),
        ("PRONUNCIATIONS_FILE", path.as_str()),
        ("PORT", "0"),
        ("HOST", "127.0.0.1"),
    ];
    let settings = settings_from(&vars).expect("valid");
    let error = start_up_error(settings).await;
    assert!(error.starts_with("PRONUNCIATIONS_FILE: "), "{error}");
    assert!(error.contains("line 2"), "{error}");
}

/// A megabyte in one delta (a whole reply at once, or a hostile model's) is spoken in full
/// while the server keeps answering: chunking is linear and the turn yields between
/// slices of the delta.
#[tokio::test]
async fn a_megabyte_delta_is_spoken_while_health_keeps_answering() {
    let app = spawn_app().await;
    let huge = "Word".repeat(1 << 18);
    app.upstream.enqueue(Reply::deltas(&[&huge, " Done."]));
    let body = message("conv_huge", "t1", "Talk");
    let turn = app.turn(&body);
    let health = async {
        for _ in 0..5 {
            let answer = tokio::time::timeout(
                std::time::Duration::from_secs(5),
                app.http.get(format!("{}/health", app.address)).send(),
            )
            .await
            .expect("/health answers within 5 s during the turn")
            .expect("sent");
            assert_eq!(answer.status(), 200);
        }
    };
    let (events, ()) = tokio::join!(turn, health);
    assert_well_formed(&events, "t1");
    let spoken = spoken(&events);
    // Chunks are cut at the length cap, inside a word: count its first letter.
    let words: usize = spoken.iter().map(|s| s.matches('W').count()).sum();
    assert_eq!(words, 1 << 18, "every word of the delta is spoken once");
    assert!(
        spoken.last().is_some_and(|s| s.ends_with("Done.")),
        "{:?}",
        spoken.last()
    );
}

#[tokio::test]
async fn the_speech_language_decides_where_sentences_end() {
    // Polish: "np." and "ul." end no sentence; no spoken forms, so "5 zł" and "$5" stay.
    let deltas = [
        "Mamy owoce, np",
        ". Jabłka i gruszki za 5 zł. Biuro jest przy ul",
        ". Długiej 5",
        ". Zapraszamy!",
    ];
    let polish = spawn_app_with(&[("SPEECH_LANGUAGE", "pl")]).await;
    polish.upstream.enqueue(Reply::deltas(&deltas));
    let events = polish.turn(&message("conv_pl", "t1", "Co macie?")).await;
    assert_well_formed(&events, "t1");
    assert_eq!(
        spoken(&events),
        [
            "Mamy owoce, np. Jabłka i gruszki za 5 zł.",
            "Biuro jest przy ul. Długiej 5.",
            "Zapraszamy!"
        ]
    );
    // English rules know neither.
    let english = spawn_app_with(&[("SPEECH_LANGUAGE", "en"), ("SPEECH_NORMALIZE", "false")]).await;
    english.upstream.enqueue(Reply::deltas(&deltas));
    let events = english.turn(&message("conv_en", "t1", "Co macie?")).await;
    assert_eq!(
        spoken(&events),
        [
            "Mamy owoce, np.",
            "Jabłka i gruszki za 5 zł.",
            "Biuro jest przy ul.",
            "Długiej 5.",
            "Zapraszamy!"
        ]
    );
    // German: its sentence rules and its spoken forms together.
    let german = spawn_app_with(&[("SPEECH_LANGUAGE", "de")]).await;
    german.upstream.enqueue(Reply::deltas(&[
        "Anstoß ist um 8.30 Uhr, es steht 2:1, z",
        ". B. nach 1½ Std. Zum 3. Mal!",
    ]));
    let events = german
        .turn(&message("conv_de2", "t1", "Wie steht es?"))
        .await;
    assert_eq!(
        spoken(&events),
        [
            "Anstoß ist um 8 Uhr 30, es steht 2 zu 1, zum Beispiel nach eineinhalb Stunden.",
            "Zum dritten Mal!"
        ]
    );
    // A Greek question mark ends a sentence.
    let greek = spawn_app_with(&[("SPEECH_LANGUAGE", "el")]).await;
    greek.upstream.enqueue(Reply::deltas(&[
        "Τι ώρα σας βολεύει; Έχουμε κ",
        ". Παπαδόπουλο στις 5.",
    ]));
    let events = greek.turn(&message("conv_el", "t1", "Ραντεβού;")).await;
    assert_eq!(
        spoken(&events),
        ["Τι ώρα σας βολεύει;", "Έχουμε κ. Παπαδόπουλο στις 5."]
    );
}

#[tokio::test]
async fn the_example_agents_speak_their_own_languages() {
    let root = env!("CARGO_MANIFEST_DIR");
    let agents = format!("{root}/examples/languages/agents");
    let prompt = format!("{root}/prompts/system.md");
    let vars = [
        ("AGENTS_DIR", agents.as_str()),
        ("DEFAULT_AGENT", "berlin"),
        ("LAYERCODE_WEBHOOK_SECRET", SECRET),
        ("LLM_API_KEY", "k"),
        ("SYSTEM_PROMPT_FILE", prompt.as_str()),
    ];
    let settings = settings_from(&vars).expect("the example configuration is valid");
    let files = voicebridge::startup::load_files(&settings).expect("the example files load");
    let mut languages = Vec::new();
    for agent in &files.agents.agents {
        let mut agent = agent.clone();
        agent.prompt_file = std::path::Path::new(root).join(&agent.prompt_file);
        let compiled = voicebridge::startup::agent_settings(&settings, &agent).expect("compiles");
        languages.push((
            agent.name.clone(),
            compiled.speech.language.code(),
            compiled.voice.normalizes(),
        ));
    }
    assert_eq!(
        languages,
        [
            ("berlin".to_string(), "de", true),
            ("istanbul".to_string(), "tr", false),
            ("warszawa".to_string(), "pl", false)
        ]
    );
    // `voicebridge check` says it.
    let output = crate::helpers::binary::run(
        &["check"],
        crate::helpers::binary::vars(&[
            ("LAYERCODE_WEBHOOK_SECRET", SECRET),
            ("LLM_BASE_URL", "http://127.0.0.1:9"),
            ("SPEECH_LANGUAGE", "pl"),
        ]),
        "",
    )
    .await;
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains(
            "    speech: sentences cut by Polish (pl) rules; spoken forms: none in pl: numbers \
             and symbols are left as written"
        ),
        "{stdout}"
    );
}
