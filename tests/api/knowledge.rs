//! The knowledge base, prefetch: the caller's words are searched in the operator's files
//! before the model is asked, and the passages that answer reach the model as reference
//! notes, the page as `{"knowledge": …}` and `check` as a line.

use serde_json::json;

use crate::helpers::fake_upstream::Reply;
use crate::helpers::*;

const FAQ: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/examples/knowledge/knowledge/faq.md"
);

fn faq_folder(extra: &[(&str, &[u8])]) -> std::path::PathBuf {
    let dir = temp_folder("knowledge");
    std::fs::copy(FAQ, dir.join("faq.md")).expect("copy");
    for (name, bytes) in extra {
        std::fs::write(dir.join(name), bytes).expect("write");
    }
    dir
}

fn system_message(app: &TestApp) -> String {
    let request = app.upstream.requests().pop().expect("a model request");
    request.messages()[0].1.clone()
}

#[tokio::test]
async fn the_passage_that_answers_reaches_the_model_and_the_page() {
    let dir = faq_folder(&[("broken.md", &[b'B', 0xff, 0xfe])]);
    let app = spawn_app_with(&[("KNOWLEDGE_DIR", dir.to_str().expect("utf-8"))]).await;
    app.upstream
        .enqueue(Reply::deltas(&["On Sundays we open at eleven."]));
    let events = app
        .turn(&message("conv_kb", "t1", "Are you open on Sunday?"))
        .await;
    assert_well_formed(&events, "t1");

    let system = system_message(&app);
    let notes = system
        .split("## Reference notes")
        .nth(1)
        .expect("notes at the end");
    assert!(notes.contains("never read them out"), "{notes}");
    assert!(
        notes.contains("[1] faq.md › Harbor Books › Opening hours"),
        "{notes}"
    );
    assert!(notes.contains("Sundays from 11 am to 4 pm"), "{notes}");
    assert!(!notes.contains("Gift cards"), "only what answers: {notes}");

    let found: Vec<serde_json::Value> = contents(&events, "response.data")
        .into_iter()
        .filter_map(|c| c.get("knowledge").cloned())
        .collect();
    assert_eq!(found.len(), 1, "{events:?}");
    assert_eq!(found[0][0]["file"], "faq.md");
    assert_eq!(found[0][0]["heading"], "Harbor Books › Opening hours");
    assert!(found[0][0]["score"].as_f64() > Some(1.0));

    // Words the files do not answer add no notes.
    app.upstream.enqueue(Reply::deltas(&["I'm not sure."]));
    app.turn(&message("conv_kb_none", "t1", "Do you sell bicycles?"))
        .await;
    assert!(!system_message(&app).contains("## Reference notes"));
}

#[tokio::test]
async fn the_previous_turn_helps_a_short_follow_up_and_off_means_off() {
    let dir = faq_folder(&[]);
    let path = dir.to_str().expect("utf-8");
    let app = spawn_app_with(&[("KNOWLEDGE_DIR", path)]).await;
    app.upstream
        .enqueue(Reply::deltas(&["Yes, within 30 days."]));
    app.turn(&message("conv_kb_follow", "t1", "Can I return a book?"))
        .await;
    app.upstream.enqueue(Reply::deltas(&["Yes."]));
    app.turn(&message("conv_kb_follow", "t2", "And with a receipt only?"))
        .await;
    let system = system_message(&app);
    assert!(system.contains("Harbor Books › Returns"), "{system}");

    let off = spawn_app_with(&[("KNOWLEDGE_DIR", path), ("KNOWLEDGE_MODE", "off")]).await;
    off.upstream.enqueue(Reply::deltas(&["Hello."]));
    off.turn(&message("conv_kb_off", "t1", "Are you open on Sunday?"))
        .await;
    assert!(!system_message(&off).contains("## Reference notes"));
}

#[tokio::test]
async fn the_openai_door_gets_the_notes_too() {
    let dir = faq_folder(&[]);
    let key = "door-key-for-knowledge-01234";
    let app = spawn_app_with(&[
        ("KNOWLEDGE_DIR", dir.to_str().expect("utf-8")),
        ("OPENAI_DOOR_KEYS", key),
    ])
    .await;
    app.upstream
        .enqueue(Reply::deltas(&["Delivery costs three euros."]));
    let response = app
        .http
        .post(format!("{}/openai/v1/chat/completions", app.address))
        .bearer_auth(key)
        .json(&json!({
            "stream": false,
            "messages": [{"role": "user", "content": "How much is delivery?"}],
        }))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 200);
    let body = response.text().await.expect("body");
    assert!(body.contains("three euros"), "{body}");
    let system = system_message(&app);
    assert!(
        system.contains("Harbor Books › Orders and delivery"),
        "{system}"
    );
}

#[tokio::test]
async fn check_counts_the_passages_names_a_broken_file_and_searches_once() {
    use crate::helpers::binary::{run, vars};
    let dir = faq_folder(&[("broken.md", &[b'B', 0xff, 0xfe])]);
    let upstream = crate::helpers::fake_upstream::FakeUpstream::start().await;
    let env = vars(&[
        ("LAYERCODE_WEBHOOK_SECRET", SECRET),
        ("LLM_BASE_URL", &upstream.base_url),
        ("KNOWLEDGE_DIR", dir.to_str().expect("utf-8")),
    ]);
    let output = run(&["check"], env, "").await;
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}");
    assert!(
        stdout.contains(
            "KNOWLEDGE_DIR: broken.md: not UTF-8 (byte 1): save it as UTF-8; the file is skipped"
        ),
        "{stdout}"
    );
    assert!(
        stdout.contains("knowledge          1 files, 5 passages from "),
        "{stdout}"
    );
    assert!(
        stdout.contains("(prefetch: top 3, score at least 1, language en); 1 skipped"),
        "{stdout}"
    );
    assert!(
        stdout.contains("sample search  \"Harbor Books\" → faq.md"),
        "{stdout}"
    );
}
