//! Conversation history across turns, welcomes, session ends and reconnects.

use serde_json::json;

use crate::helpers::fake_upstream::Reply;
use crate::helpers::*;

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(r, c)| (r.to_string(), c.to_string()))
        .collect()
}

#[tokio::test]
async fn the_second_turn_sends_system_user_assistant_user_in_order() {
    let app = spawn_app().await;
    app.upstream
        .enqueue(Reply::deltas(&["It is ", "sunny. ", "Anything else?"]));
    app.upstream
        .enqueue(Reply::deltas(&["Yes, ", "take a hat."]));
    app.turn(&message("conv_hist", "t1", "How is the weather?"))
        .await;
    app.turn(&message("conv_hist", "t2", "Should I take a hat?"))
        .await;

    let requests = app.upstream.requests();
    assert_eq!(requests.len(), 2);
    let second = requests[1].messages();
    assert_eq!(second[0].0, "system");
    assert_eq!(
        second[1..],
        pairs(&[
            ("user", "How is the weather?"),
            ("assistant", "It is sunny. Anything else?"),
            ("user", "Should I take a hat?"),
        ])[..]
    );
}

#[tokio::test]
async fn the_welcome_is_the_first_assistant_message() {
    let app = spawn_app().await;
    app.turn(&session_start("conv_w", "sess_1", "t0")).await;
    app.turn(&message("conv_w", "t1", "Hello")).await;
    let messages = app.upstream.requests()[0].messages();
    assert_eq!(
        messages[1..],
        pairs(&[("assistant", WELCOME), ("user", "Hello")])[..]
    );
}

#[tokio::test]
async fn history_survives_session_end_and_a_reconnect_with_a_new_session_id() {
    let app = spawn_app().await;
    app.upstream
        .enqueue(Reply::deltas(&["Nice to meet you, Ada."]));
    app.turn(&session_start("conv_rc", "sess_a", "t0")).await;
    app.turn(&json!({"type": "message", "session_id": "sess_a", "conversation_id": "conv_rc", "turn_id": "t1", "text": "I'm Ada."})).await;
    let ended = app
        .post_webhook(
            &json!({"type": "session.end", "session_id": "sess_a", "conversation_id": "conv_rc"}),
        )
        .await;
    assert_eq!(ended.status(), 200);

    // The browser SDK resumes the conversation on a new connection.
    app.turn(&session_start("conv_rc", "sess_b", "t2")).await;
    app.turn(&json!({"type": "message", "session_id": "sess_b", "conversation_id": "conv_rc", "turn_id": "t3", "text": "What's my name?"})).await;

    let last = app.upstream.requests().last().expect("request").messages();
    assert_eq!(
        last[1..],
        pairs(&[
            ("assistant", WELCOME),
            ("user", "I'm Ada."),
            // The second welcome follows a reply: roles alternate, so it joins it.
            ("assistant", &format!("Nice to meet you, Ada.\n{WELCOME}")),
            ("user", "What's my name?"),
        ])[..]
    );
}

#[tokio::test]
async fn conversations_do_not_share_history() {
    let app = spawn_app().await;
    app.turn(&message("conv_one", "t1", "Secret one")).await;
    app.turn(&message("conv_two", "t1", "Hello")).await;
    let second = app.upstream.requests()[1].messages();
    assert_eq!(second[1..], pairs(&[("user", "Hello")])[..]);
}

#[tokio::test]
async fn a_repeated_delivery_of_a_turn_adds_no_second_user_message() {
    let app = spawn_app().await;
    app.upstream.enqueue(Reply::deltas(&["First answer."]));
    app.upstream.enqueue(Reply::deltas(&["Second answer."]));
    app.upstream.enqueue(Reply::deltas(&["Third."]));
    let first = app.turn(&message("conv_dup", "t1", "Hello?")).await;
    let again = app.turn(&message("conv_dup", "t1", "Hello?")).await;
    assert_well_formed(&again, "t1");
    assert_eq!(spoken(&first), ["First answer."]);
    assert_eq!(
        spoken(&again),
        ["Second answer."],
        "the repeat still gets a proper reply"
    );
    app.turn(&message("conv_dup", "t2", "And now?")).await;
    let last = app.upstream.requests()[2].messages();
    assert_eq!(
        last[1..],
        pairs(&[
            ("user", "Hello?"),
            ("assistant", "Second answer."),
            ("user", "And now?")
        ])[..]
    );
}
