//! Benchmarks of the hot path and memory that print numbers (`cargo bench --bench pipeline`):
//! the pure per-token costs (speech cleanup and chunking, decoding an upstream event,
//! framing an SSE event) and the memory a conversation takes in the in-memory store. The
//! end-to-end benchmark of the binary is `benches/gateway.rs`.

#![allow(clippy::print_stdout)] // a benchmark reports on stdout

use std::hint::black_box;
use std::time::Instant;

use bytes::Bytes;
use voicebridge::llm::decode::decode_event;
use voicebridge::llm::ReplyStream;
use voicebridge::routes::sse;
use voicebridge::speech::{
    Language, LanguageChoice, Pronunciations, SentenceLanguage, SpeechSettings, SpeechStream,
    Voice, VoiceReply,
};
use voicebridge::turn::TurnEvent;

fn main() {
    micro_benchmarks();
    memory_per_conversation();
}

fn time_per_op(label: &str, ops: usize, run: impl FnOnce()) {
    let start = Instant::now();
    run();
    let ns = start.elapsed().as_nanos() as f64 / ops as f64;
    println!("{label:<52} {ns:>10.0} ns/op");
}

fn micro_benchmarks() {
    println!("== hot path (single thread)");
    let reply = "Sure. Dr. Smith can see you at 3 p.m. tomorrow. Does that work? \
                 The office is on Main St. near the park, e.g. next to the bakery. See you!";
    // Token-sized deltas, as models stream them.
    let deltas: Vec<String> = reply.split_inclusive(' ').map(str::to_string).collect();
    let rounds = 20_000;
    time_per_op(
        "speech: clean + chunk one ~5-char delta",
        rounds * deltas.len(),
        || {
            for _ in 0..rounds {
                let mut chunker = SpeechStream::new(SpeechSettings::default());
                for delta in &deltas {
                    black_box(chunker.push(delta));
                }
                black_box(chunker.finish());
            }
        },
    );

    // The same, then each sentence through the voice (dictionary and normalization), as
    // the turn does before response.tts; a reply with money, a date and a phone number.
    let voice = std::sync::Arc::new(Voice::new(
        true,
        LanguageChoice::Fixed(Language::En),
        Pronunciations::from_pairs(&[("nginx", "engine x")]).expect("valid"),
    ));
    let rich = "Sure. Your plan is $49.95 a month, renewing on 2024-07-03. \
                Call +1 (555) 010-0199 at 3:30 pm, e.g. tomorrow. See you!";
    let rich_deltas: Vec<String> = rich.split_inclusive(' ').map(str::to_string).collect();
    time_per_op(
        "speech: clean + chunk + normalize one ~5-char delta",
        rounds * rich_deltas.len(),
        || {
            for _ in 0..rounds {
                let mut chunker = SpeechStream::new(SpeechSettings::default());
                let mut reply = VoiceReply::new(voice.clone());
                for delta in &rich_deltas {
                    for sentence in chunker.push(delta) {
                        black_box(reply.say(&sentence).len());
                    }
                }
                for sentence in chunker.finish() {
                    black_box(reply.say(&sentence).len());
                }
            }
        },
    );

    // A German reply cut by the German rules, and by every language's (auto).
    let german = "Gerne. Dr. Müller hat am 3. Mai um 8.30 Uhr Zeit, z. B. zum 3. Mal. \
                  Bitte bringen Sie Ihre Karte mit, usw. Bis dann!";
    let german_deltas: Vec<String> = german.split_inclusive(' ').map(str::to_string).collect();
    for (label, language) in [
        ("speech: clean + chunk a German delta (de rules)", "de"),
        ("speech: clean + chunk a German delta (auto)", "auto"),
    ] {
        let settings = SpeechSettings {
            language: SentenceLanguage::from_code(language).expect("a language"),
            ..SpeechSettings::default()
        };
        time_per_op(label, rounds * german_deltas.len(), || {
            for _ in 0..rounds {
                let mut chunker = SpeechStream::new(settings);
                for delta in &german_deltas {
                    black_box(chunker.push(delta));
                }
                black_box(chunker.finish());
            }
        });
    }

    let event = r#"{"id":"chatcmpl-6c274dbad03c49fe8028f4f2","object":"chat.completion.chunk","created":1795827987,"model":"gpt-4o-mini","system_fingerprint":null,"choices":[{"index":0,"delta":{"content":"tomorrow. "},"logprobs":null,"finish_reason":null}],"usage":null}"#;
    let n = 200_000;
    time_per_op("decode: one OpenAI content chunk (JSON)", n, || {
        for _ in 0..n {
            black_box(decode_event("message", black_box(event)).ok());
        }
    });

    let body = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/upstream/llmock-reply-with-usage.sse"
    ))
    .expect("fixture");
    let events_in_fixture = body.windows(2).filter(|w| w == b"\n\n").count();
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("rt");
    let rounds = 5_000;
    time_per_op(
        "upstream stream: SSE framing + decode per event",
        rounds * events_in_fixture,
        || {
            rt.block_on(async {
                for _ in 0..rounds {
                    let bytes = Bytes::from(body.clone());
                    let mut stream =
                        ReplyStream::new(futures_util::stream::iter([Ok::<_, std::io::Error>(
                            bytes,
                        )]));
                    while let Some(item) = stream.next().await {
                        black_box(item.ok());
                    }
                }
            });
        },
    );

    let tts = TurnEvent::Speak("Dr. Smith can see you at 3 p.m. tomorrow.".into(), None);
    let n = 500_000;
    time_per_op("sse: frame one response.tts", n, || {
        for _ in 0..n {
            black_box(sse::encode(black_box(&tts), "turn_42"));
        }
    });
    templates();
}

/// Rendering the system prompt per turn: the shipped prompt (plain text, no engine) and
/// the same prompt with a greeting, a condition on the page's context and `now`.
fn templates() {
    use voicebridge::template::{CallContext, Now, Template};
    let shipped = include_str!("../prompts/system.md");
    let plain = Template::new("prompts/system.md", shipped).expect("the shipped prompt");
    let dynamic_source = format!(
        "You are talking to {{{{ metadata.name | default(\"a guest\") }}}}.\n\
         {{% if client.page %}}They are looking at {{{{ client.page }}}}.{{% endif %}}\n\
         It is {{{{ now }}}}.\n{shipped}"
    );
    let dynamic = Template::new("templated", &dynamic_source).expect("valid");
    let context = CallContext::sample("default");
    let now = Now::in_zone("Europe/Berlin").expect("zone");
    let n = 20_000;
    time_per_op(
        &format!(
            "template: render the shipped prompt ({} chars)",
            shipped.len()
        ),
        n,
        || {
            for _ in 0..n {
                black_box(plain.render(black_box(&context), &now));
            }
        },
    );
    time_per_op("template: render it with name, page and now", n, || {
        for _ in 0..n {
            black_box(dynamic.render(black_box(&context), &now));
        }
    });
}

/// Resident memory added by conversations in the in-memory store: 10 000 conversations of
/// 10 turns each (a 60-character question, a 200-character answer), default limits.
fn memory_per_conversation() {
    use voicebridge::session::{ChatMessage, HistoryLimits, MemoryStore, SessionStore};
    println!("\n== memory per conversation (in-memory store)");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("rt");
    let conversations = 10_000;
    let question = "q".repeat(60);
    let answer = "a".repeat(200);
    let before = rss_mib();
    let store = MemoryStore::new(HistoryLimits::default(), conversations);
    rt.block_on(async {
        for c in 0..conversations {
            let id = format!("conversation-{c:08}");
            for t in 0..10 {
                let turn = format!("turn-{t:04}");
                store
                    .begin_turn(&id, ChatMessage::user(question.clone(), &turn), None)
                    .await
                    .expect("store");
                store
                    .record_reply(&id, None, &ChatMessage::assistant(answer.clone(), &turn))
                    .await
                    .expect("store");
            }
        }
    });
    let added = (rss_mib() - before) * 1024.0 * 1024.0;
    println!(
        "{:<52} {:>10.0} bytes/conversation ({} conversations, {:.1} MiB; text alone is 2 600 bytes)",
        "10 turns of 60 + 200 characters",
        added / conversations as f64,
        conversations,
        added / 1024.0 / 1024.0
    );
    black_box(&store);
}

fn rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}
