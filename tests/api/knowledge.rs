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
        ("VAPI_SECRET", "vapi-secret-for-check-0123"),
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
    assert!(
        stdout.contains("    index          1 KiB of text, index "),
        "{stdout}"
    );
    assert!(
        stdout.contains("Vapi knowledge base: POST /vapi/knowledge-base/default (secret set)"),
        "{stdout}"
    );
    assert!(!stdout.contains("vapi-secret-for-check"), "{stdout}");
}

const ADMIN: &str = "admin-token-for-knowledge-0123";

/// Two agent files: `shop` prefetches from the FAQ folder, `clinic` searches its own HTML
/// folder through the `search_knowledge` tool.
async fn shop_and_clinic() -> TestApp {
    let faq = faq_folder(&[]);
    let clinic = folder_with(
        "clinic-knowledge",
        &[(
            "visits.html",
            "<html><head><title>Clinic</title><script>var x = 1;</script></head><body>\
             <h2>Vaccinations</h2><p>Flu shots are given on Tuesdays &amp; Thursdays \
             without an appointment.</p></body></html>",
        )],
    );
    let agents = folder_with(
        "knowledge-agents",
        &[
            ("shop.toml", &format!("knowledge = \"{}\"\n", faq.display())),
            (
                "clinic.toml",
                &format!(
                    "knowledge = [\"{}\"]\nknowledge_mode = \"tool\"\nknowledge_top_k = 1\n",
                    clinic.display()
                ),
            ),
        ],
    );
    spawn_app_with(&[
        ("AGENTS_DIR", agents.to_str().expect("utf-8")),
        ("DEFAULT_AGENT", "shop"),
        ("ADMIN_TOKEN", ADMIN),
    ])
    .await
}

#[tokio::test]
async fn in_tool_mode_the_model_searches_through_the_tool_and_reads_the_passage() {
    let app = shop_and_clinic().await;
    app.upstream.enqueue(Reply::tool_calls(
        &[],
        &[(
            "call_kb",
            "search_knowledge",
            r#"{"query":"flu vaccination"}"#,
        )],
    ));
    app.upstream
        .enqueue(Reply::deltas(&["Flu shots are on Tuesdays and Thursdays."]));
    let body = message("conv_kb_tool", "t1", "When can I get a flu shot?");
    let response = app.post_signed("/agent/clinic", SECRET, &body).await;
    let events = SseReader::new(response).collect().await;
    assert_well_formed(&events, "t1");

    let requests = app.upstream.requests();
    assert_eq!(requests.len(), 2, "one extra round trip");
    // The tool is offered, and no notes are prefetched in tool mode.
    let offered = requests[0].body["tools"].to_string();
    assert!(offered.contains("search_knowledge"), "{offered}");
    assert!(!requests[0].messages()[0].1.contains("## Reference notes"));
    let (role, result) = requests[1].messages().pop().expect("the tool's result");
    assert_eq!(role, "tool");
    let result: serde_json::Value = serde_json::from_str(&result).expect("json");
    let passages = result["passages"].as_array().expect("passages");
    assert_eq!(passages.len(), 1, "knowledge_top_k = 1: {result}");
    assert_eq!(passages[0]["file"], "visits.html");
    assert_eq!(passages[0]["heading"], "Clinic › Vaccinations");
    let text = passages[0]["text"].as_str().expect("text");
    assert!(text.contains("Tuesdays & Thursdays"), "{text}");
    assert!(!text.contains("var x"), "{text}");
    // The page hears which passages the tool found, as with prefetch.
    let found: Vec<serde_json::Value> = contents(&events, "response.data")
        .into_iter()
        .filter_map(|c| c.get("knowledge").cloned())
        .collect();
    assert_eq!(found.len(), 1, "{events:?}");
    assert_eq!(found[0][0]["file"], "visits.html");
    assert!(found[0][0].get("text").is_none(), "no text to the page");

    // The shop agent prefetches from its own folder and is offered no search tool.
    app.upstream.enqueue(Reply::deltas(&["From eleven."]));
    let body = message("conv_kb_shop", "t1", "Are you open on Sunday?");
    let response = app.post_signed("/agent/shop", SECRET, &body).await;
    let _ = response.text().await;
    let request = app.upstream.requests().pop().expect("a request");
    assert!(request.messages()[0]
        .1
        .contains("faq.md › Harbor Books › Opening hours"));
    assert!(!request.body["tools"]
        .to_string()
        .contains("search_knowledge"));
}

#[tokio::test]
async fn a_file_changed_while_running_is_found_after_a_reload() {
    let dir = faq_folder(&[]);
    let app = spawn_app_with(&[
        ("KNOWLEDGE_DIR", dir.to_str().expect("utf-8")),
        ("ADMIN_TOKEN", ADMIN),
    ])
    .await;
    let app = &app;
    let ask = |conversation: &'static str| async move {
        app.upstream.enqueue(Reply::deltas(&["Let me see."]));
        app.turn(&message(
            conversation,
            "t1",
            "Do you have parking for bicycles?",
        ))
        .await;
        system_message(app)
    };
    assert!(!ask("conv_kb_reload_1").await.contains("parking.md"));

    std::fs::write(
        dir.join("parking.md"),
        "# Parking\n\nBicycle parking is in the courtyard behind the shop.",
    )
    .expect("write");
    std::fs::write(dir.join("broken.txt"), [b'x', 0xc3]).expect("write");
    let reload = |token: Option<&str>| {
        let request = app
            .http
            .post(format!("{}/admin/knowledge/reload", app.address));
        match token {
            Some(token) => request.bearer_auth(token),
            None => request,
        }
        .send()
    };
    assert_eq!(reload(None).await.expect("sent").status(), 401);
    assert_eq!(
        reload(Some("wrong-token-wrong-token"))
            .await
            .expect("sent")
            .status(),
        401
    );
    // Not reloaded yet: the old base still answers.
    assert!(!ask("conv_kb_reload_2").await.contains("parking.md"));
    let answer = reload(Some(ADMIN)).await.expect("sent");
    assert_eq!(answer.status(), 200);
    let said: serde_json::Value = answer.json().await.expect("json");
    let base = &said["knowledge"][0];
    assert_eq!(base["files"], 2, "{said}");
    assert_eq!(
        base["skipped"][0], "broken.txt: not UTF-8 (byte 1): save it as UTF-8",
        "{said}"
    );
    let system = ask("conv_kb_reload_3").await;
    assert!(system.contains("[1] parking.md › Parking"), "{system}");
}

#[tokio::test]
async fn an_agent_files_missing_folder_is_named_with_the_file() {
    let agents = folder_with(
        "knowledge-agents-missing",
        &[("shop.toml", "knowledge = \"no/such/folder\"\n")],
    );
    let error = agents_start_up_error(&agents).await;
    assert!(
        error.contains("shop.toml: knowledge: no/such/folder: no such folder"),
        "{error}"
    );
}

#[tokio::test]
async fn the_passages_used_are_kept_in_the_calls_record() {
    let dir = faq_folder(&[]);
    let url = crate::helpers::db::sqlite_url("knowledge-record");
    let app = spawn_app_with(&[
        ("KNOWLEDGE_DIR", dir.to_str().expect("utf-8")),
        ("CALL_STORE_URL", url.as_str()),
        ("ADMIN_TOKEN", ADMIN),
    ])
    .await;
    app.upstream
        .enqueue(Reply::deltas(&["Returns are free within 30 days."]));
    app.turn(&message("conv_kb_record", "t1", "Can I return a book?"))
        .await;
    let mut turn = serde_json::Value::Null;
    for _ in 0..200 {
        let response = app
            .http
            .get(format!("{}/api/calls/conv_kb_record", app.address))
            .bearer_auth(ADMIN)
            .send()
            .await
            .expect("sent");
        if response.status() == 200 {
            let call: serde_json::Value = response.json().await.expect("json");
            if let Some(first) = call["turns"].get(0) {
                turn = first.clone();
                break;
            }
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    let knowledge = turn["knowledge"].as_array().expect("kept with the turn");
    assert_eq!(knowledge[0]["file"], "faq.md", "{turn}");
    assert_eq!(knowledge[0]["heading"], "Harbor Books › Returns", "{turn}");
    assert!(knowledge[0]["score"].as_f64() > Some(1.0), "{turn}");
}

const VAPI_SECRET: &str = "vapi-knowledge-secret-0123456";

/// A `knowledge-base-request` as Vapi's documentation shows it: both message lists, the
/// latest user words last.
fn vapi_request(latest: &str) -> serde_json::Value {
    json!({"message": {
        "type": "knowledge-base-request",
        "messages": [
            {"role": "bot", "message": "Harbor Books, how can I help?"},
            {"role": "user", "message": latest},
        ],
        "messagesOpenAIFormatted": [
            {"role": "assistant", "content": "Harbor Books, how can I help?"},
            {"role": "user", "content": latest},
        ],
        "timestamp": 1_765_000_000_000_i64,
        "call": {"id": "vapi-call-kb-1"},
    }})
}

fn hmac_hex(secret: &str, body: &[u8]) -> String {
    use hmac::{Hmac, Mac};
    let mut mac = <Hmac<sha2::Sha256> as Mac>::new_from_slice(secret.as_bytes()).expect("key");
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

#[tokio::test]
async fn vapis_knowledge_base_request_is_answered_with_documents_when_signed() {
    let dir = faq_folder(&[]);
    let app = spawn_app_with(&[
        ("KNOWLEDGE_DIR", dir.to_str().expect("utf-8")),
        ("VAPI_SECRET", VAPI_SECRET),
    ])
    .await;
    let url = format!("{}/vapi/knowledge-base/default", app.address);
    let body = serde_json::to_vec(&vapi_request("Can I return a book I bought?")).expect("json");
    let post = |headers: Vec<(&'static str, String)>, body: Vec<u8>| {
        let mut request = app
            .http
            .post(&url)
            .header("content-type", "application/json")
            .body(body);
        for (name, value) in headers {
            request = request.header(name, value);
        }
        request.send()
    };

    // The secret itself, as Vapi sends a server's secret.
    let answer = post(vec![("x-vapi-secret", VAPI_SECRET.into())], body.clone())
        .await
        .expect("sent");
    assert_eq!(answer.status(), 200);
    let said: serde_json::Value = answer.json().await.expect("json");
    let documents = said["documents"].as_array().expect("documents");
    assert!(!documents.is_empty() && documents.len() <= 3, "{said}");
    let first = &documents[0];
    let content = first["content"].as_str().expect("content");
    assert!(
        content.starts_with("faq.md › Harbor Books › Returns\n"),
        "{content}"
    );
    assert!(content.contains("within 30 days"), "{content}");
    let similarity = first["similarity"].as_f64().expect("similarity");
    assert!(similarity > 0.0 && similarity < 1.0, "{said}");
    assert!(first["uuid"].as_str().expect("uuid").starts_with("faq.md#"));

    // An HMAC of the body in X-Vapi-Signature, with or without `sha256=`; the secret
    // itself there too.
    let signature = hmac_hex(VAPI_SECRET, &body);
    for presented in [
        signature.clone(),
        format!("sha256={signature}"),
        VAPI_SECRET.into(),
    ] {
        let answer = post(vec![("x-vapi-signature", presented)], body.clone())
            .await
            .expect("sent");
        assert_eq!(answer.status(), 200);
    }
    // A signature of another body, a wrong secret, or none: 401.
    let tampered = serde_json::to_vec(&vapi_request("What are your opening hours?")).expect("json");
    for headers in [
        vec![("x-vapi-signature", signature.clone())],
        vec![("x-vapi-secret", "wrong-secret-wrong-secret".to_string())],
        vec![],
    ] {
        let answer = post(headers, tampered.clone()).await.expect("sent");
        assert_eq!(answer.status(), 401);
    }
    // Not a knowledge-base request: 400 saying so.
    let other = serde_json::to_vec(&json!({"message": {"type": "status-update"}})).expect("json");
    let answer = post(vec![("x-vapi-secret", VAPI_SECRET.into())], other)
        .await
        .expect("sent");
    assert_eq!(answer.status(), 400);
    let said: serde_json::Value = answer.json().await.expect("json");
    assert!(said["error"]
        .as_str()
        .expect("error")
        .contains("knowledge-base-request"));
    // An agent that does not exist: 404.
    let answer = app
        .http
        .post(format!("{}/vapi/knowledge-base/nobody", app.address))
        .header("x-vapi-secret", VAPI_SECRET)
        .body(body.clone())
        .send()
        .await
        .expect("sent");
    assert_eq!(answer.status(), 404);
}

#[tokio::test]
async fn without_a_vapi_secret_the_route_is_closed_saying_how_to_open_it() {
    let dir = faq_folder(&[]);
    let app = spawn_app_with(&[("KNOWLEDGE_DIR", dir.to_str().expect("utf-8"))]).await;
    let answer = app
        .http
        .post(format!("{}/vapi/knowledge-base/default", app.address))
        .json(&vapi_request("Can I return a book?"))
        .send()
        .await
        .expect("sent");
    assert_eq!(answer.status(), 404);
    let said: serde_json::Value = answer.json().await.expect("json");
    assert!(
        said["error"]
            .as_str()
            .expect("error")
            .contains("VAPI_SECRET"),
        "{said}"
    );
}

/// A stand-in embeddings model: each text's vector counts its words in five topics (with
/// a small constant so no vector is zero), so texts on one topic are close in meaning
/// whatever words they share.
fn toy_embedding(text: &str) -> Vec<f32> {
    const TOPICS: [&[&str]; 5] = [
        &[
            "return", "returned", "returns", "refund", "money", "back", "voucher", "exchange",
        ],
        &[
            "open", "opening", "hours", "close", "sunday", "sundays", "saturday", "monday",
        ],
        &[
            "delivery", "deliver", "order", "orders", "ordered", "arrive", "shipping",
        ],
        &["reading", "readings", "author", "event", "events", "seats"],
        &["shop", "bookshop", "books", "harbour", "street"],
    ];
    let words: Vec<String> = text
        .split(|c: char| !c.is_alphanumeric())
        .map(str::to_lowercase)
        .collect();
    TOPICS
        .iter()
        .map(|topic| 0.01 + words.iter().filter(|w| topic.contains(&w.as_str())).count() as f32)
        .collect()
}

async fn embeddings_model() -> crate::helpers::fake_upstream::FakeUpstream {
    let model = crate::helpers::fake_upstream::FakeUpstream::start().await;
    model.set_responder(std::sync::Arc::new(|request| {
        let inputs = request.body["input"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let data: Vec<serde_json::Value> = inputs
            .iter()
            .enumerate()
            .map(|(index, text)| {
                json!({"object": "embedding", "index": index,
                       "embedding": toy_embedding(text.as_str().unwrap_or_default())})
            })
            .collect();
        let body = json!({"object": "list", "data": data, "model": "toy-embed"});
        Reply::plain(200, &body.to_string(), std::time::Duration::ZERO)
    }));
    model
}

/// How many passages were embedded: the inputs of the requests that were not a turn's
/// question.
fn passages_embedded(model: &crate::helpers::fake_upstream::FakeUpstream, question: &str) -> usize {
    model
        .requests()
        .iter()
        .filter(|r| r.path.ends_with("/embeddings"))
        .filter_map(|r| r.body["input"].as_array().cloned())
        .filter(|inputs| inputs.first().and_then(|i| i.as_str()) != Some(question))
        .map(|inputs| inputs.len())
        .sum()
}

#[tokio::test]
async fn with_embeddings_a_paraphrase_is_found_and_passages_are_embedded_once() {
    let dir = faq_folder(&[]);
    let cache = temp_folder("embeddings-cache").join("vectors.bin");
    let model = embeddings_model().await;
    let question = "Could I get my money back?";
    let vars = |cache: &str| {
        vec![
            ("KNOWLEDGE_DIR", dir.to_str().expect("utf-8").to_string()),
            ("EMBEDDINGS_MODEL", "toy-embed".to_string()),
            ("EMBEDDINGS_BASE_URL", model.base_url.clone()),
            ("EMBEDDINGS_API_KEY", "sk-embeddings".to_string()),
            ("EMBEDDINGS_CACHE_FILE", cache.to_string()),
            ("ADMIN_TOKEN", ADMIN.to_string()),
        ]
    };
    let start = |vars: Vec<(&'static str, String)>| async move {
        let pairs: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
        spawn_app_with(&pairs).await
    };
    let reload = |app: &TestApp| {
        app.http
            .post(format!("{}/admin/knowledge/reload", app.address))
            .bearer_auth(ADMIN)
            .send()
    };

    let app = start(vars(cache.to_str().expect("utf-8"))).await;
    // A reload waits for the embedding start-up began, and finds every vector cached.
    let said: serde_json::Value = reload(&app)
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    let vectors = &said["knowledge"][0]["vectors"];
    assert_eq!(
        vectors["cached"].as_u64().unwrap_or(0) + vectors["embedded"].as_u64().unwrap_or(0),
        5,
        "{said}"
    );
    assert_eq!(passages_embedded(&model, question), 5, "once per passage");
    let request = &model.requests()[0];
    assert_eq!(
        request.header("authorization"),
        Some("Bearer sk-embeddings")
    );
    assert_eq!(request.body["model"], "toy-embed");

    // No word of the question is in the FAQ: only the vectors find the returns policy.
    app.upstream
        .enqueue(Reply::deltas(&["Yes, within 30 days."]));
    app.turn(&message("conv_kb_meaning", "t1", question)).await;
    let system = system_message(&app);
    assert!(
        system.contains("faq.md › Harbor Books › Returns"),
        "{system}"
    );
    let keywords_only = spawn_app_with(&[("KNOWLEDGE_DIR", dir.to_str().expect("utf-8"))]).await;
    keywords_only.upstream.enqueue(Reply::deltas(&["Hm."]));
    keywords_only
        .turn(&message("conv_kb_words", "t1", question))
        .await;
    assert!(!system_message(&keywords_only).contains("## Reference notes"));

    // After a restart, the unchanged passages cost nothing.
    let again = start(vars(cache.to_str().expect("utf-8"))).await;
    let said: serde_json::Value = reload(&again)
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    assert_eq!(said["knowledge"][0]["vectors"]["embedded"], 0, "{said}");
    assert_eq!(said["knowledge"][0]["vectors"]["cached"], 5, "{said}");
    assert_eq!(passages_embedded(&model, question), 5, "not again");

    // check says where vectors come from and how many are cached.
    let upstream = crate::helpers::fake_upstream::FakeUpstream::start().await;
    let mut env = crate::helpers::binary::vars(&[
        ("LAYERCODE_WEBHOOK_SECRET", SECRET),
        ("LLM_BASE_URL", &upstream.base_url),
    ]);
    env.extend(
        vars(cache.to_str().expect("utf-8"))
            .into_iter()
            .map(|(k, v)| (k.to_string(), v)),
    );
    let output = crate::helpers::binary::run(&["check"], env, "").await;
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains(&format!(
            "    embeddings     toy-embed at {}/embeddings (5 of 5 passages cached in {};",
            model.base_url,
            cache.display()
        )),
        "{stdout}"
    );
    assert!(!stdout.contains("sk-embeddings"), "{stdout}");
}

#[tokio::test]
async fn an_embeddings_server_that_fails_leaves_turns_searching_by_keyword() {
    let dir = faq_folder(&[]);
    let cache = temp_folder("embeddings-down").join("vectors.bin");
    let model = crate::helpers::fake_upstream::FakeUpstream::start().await;
    model.set_default(Reply::status(500, r#"{"error": "overloaded"}"#));
    let app = spawn_app_with(&[
        ("KNOWLEDGE_DIR", dir.to_str().expect("utf-8")),
        ("EMBEDDINGS_MODEL", "toy-embed"),
        ("EMBEDDINGS_BASE_URL", &model.base_url),
        ("EMBEDDINGS_CACHE_FILE", cache.to_str().expect("utf-8")),
        ("ADMIN_TOKEN", ADMIN),
    ])
    .await;
    let answer = app
        .http
        .post(format!("{}/admin/knowledge/reload", app.address))
        .bearer_auth(ADMIN)
        .send()
        .await
        .expect("sent");
    assert_eq!(answer.status(), 200);
    let said: serde_json::Value = answer.json().await.expect("json");
    let base = &said["knowledge"][0];
    let error = base["embeddings_error"].as_str().expect("an error");
    assert!(error.contains("answered 500"), "{error}");
    // The files were read anyway (a changed file is served), searched by keyword.
    assert_eq!(base["files"], 1, "{said}");
    // The keyword index still answers.
    app.upstream.enqueue(Reply::deltas(&["From eleven."]));
    let events = app
        .turn(&message("conv_kb_down", "t1", "Are you open on Sunday?"))
        .await;
    assert_well_formed(&events, "t1");
    assert!(system_message(&app).contains("faq.md › Harbor Books › Opening hours"));
}

#[tokio::test]
async fn passages_with_the_same_text_are_embedded_once_and_both_searched() {
    let same = "## Returns\nBooks can be returned within 30 days for a refund.";
    let dir = folder_with("knowledge-twins", &[("a.md", same), ("b.md", same)]);
    let cache = temp_folder("embeddings-twins").join("vectors.bin");
    let model = embeddings_model().await;
    let app = spawn_app_with(&[
        ("KNOWLEDGE_DIR", dir.to_str().expect("utf-8")),
        ("EMBEDDINGS_MODEL", "toy-embed"),
        ("EMBEDDINGS_BASE_URL", &model.base_url),
        ("EMBEDDINGS_CACHE_FILE", cache.to_str().expect("utf-8")),
        ("ADMIN_TOKEN", ADMIN),
    ])
    .await;
    let said: serde_json::Value = app
        .http
        .post(format!("{}/admin/knowledge/reload", app.address))
        .bearer_auth(ADMIN)
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    let base = &said["knowledge"][0];
    assert!(base.get("embeddings_error").is_none(), "{said}");
    assert_eq!(base["passages"], 2, "{said}");
    assert_eq!(passages_embedded(&model, "-"), 1, "one text, one embedding");
    app.upstream.enqueue(Reply::deltas(&["Within 30 days."]));
    app.turn(&message(
        "conv_kb_twins",
        "t1",
        "Could I get my money back?",
    ))
    .await;
    let system = system_message(&app);
    assert!(
        system.contains("a.md › Returns") && system.contains("b.md › Returns"),
        "{system}"
    );
}
