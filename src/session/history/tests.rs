//! The rules of `History`, table by table: turns, merges, what was heard, bounds, loading.

use super::*;

const LIMITS: HistoryLimits = HistoryLimits {
    max_messages: 100,
    max_chars: 100_000,
};

fn texts(history: &[ChatMessage]) -> Vec<(Role, &str)> {
    history
        .iter()
        .map(|m| (m.role, m.content.as_str()))
        .collect()
}

#[test]
fn a_repeated_turn_adds_nothing_and_hides_its_old_reply() {
    let mut history = History::new();
    history.begin_turn(ChatMessage::user("Hello", "t1"), None, LIMITS);
    history.record_reply(None, ChatMessage::assistant("Hi there.", "t1"), LIMITS);
    let seen = history.begin_turn(ChatMessage::user("Hello", "t1"), None, LIMITS);
    assert_eq!(seen, vec![ChatMessage::user("Hello", "t1")]);
    history.record_reply(None, ChatMessage::assistant("Hello again.", "t1"), LIMITS);
    assert_eq!(
        texts(history.messages()),
        [(Role::User, "Hello"), (Role::Assistant, "Hello again.")]
    );
}

#[test]
fn an_unanswered_user_message_merges_with_the_next() {
    let mut history = History::new();
    history.begin_turn(ChatMessage::user("Book a table", "t1"), None, LIMITS);
    let seen = history.begin_turn(ChatMessage::user("for two", "t2"), None, LIMITS);
    assert_eq!(texts(&seen), [(Role::User, "Book a table\nfor two")]);
    assert_eq!(history.messages()[0].turn_id.as_deref(), Some("t2"));
    assert!(is_well_formed(history.messages()));
}

#[test]
fn a_late_reply_to_a_merged_question_is_dropped_and_its_redelivery_adds_nothing() {
    let mut history = History::new();
    history.begin_turn(ChatMessage::user("Book a table", "t1"), None, LIMITS);
    // t1 is still settling (slowly) when t2 arrives and takes its question over.
    history.begin_turn(ChatMessage::user("for two", "t2"), None, LIMITS);
    history.record_reply(
        None,
        ChatMessage::assistant("For two, at eight.", "t2"),
        LIMITS,
    );
    history.record_reply(None, ChatMessage::assistant("Sure, for how", "t1"), LIMITS);
    assert_eq!(
        texts(history.messages()),
        [
            (Role::User, "Book a table\nfor two"),
            (Role::Assistant, "For two, at eight.")
        ]
    );
    let seen = history.begin_turn(ChatMessage::user("Book a table", "t1"), None, LIMITS);
    assert_eq!(
        history.messages().len(),
        2,
        "a redelivered t1 is already here"
    );
    assert_eq!(seen.len(), 1);
    assert!(is_well_formed(history.messages()));
}

#[test]
fn what_was_heard_replaces_what_was_meant() {
    let mut history = History::from(vec![
        ChatMessage::user("Menu?", "t1"),
        ChatMessage::assistant("We have soup. And a lovely salad.", "t1").interrupted(true),
    ]);
    let heard = Heard {
        assistant_turn_id: Some("t1".into()),
        text: "We have soup.".into(),
    };
    history.begin_turn(ChatMessage::user("Soup please", "t2"), Some(&heard), LIMITS);
    assert_eq!(history.messages()[1].content, "We have soup.");
    assert!(history.messages()[1].interrupted);
}

#[test]
fn hearing_nothing_removes_the_reply_and_keeps_the_history_well_formed() {
    let mut history = History::from(vec![
        ChatMessage::user("Menu?", "t1"),
        ChatMessage::assistant("We have soup.", "t1"),
    ]);
    let heard = Heard {
        assistant_turn_id: None,
        text: String::new(),
    };
    let seen = history.begin_turn(ChatMessage::user("Wait", "t2"), Some(&heard), LIMITS);
    assert_eq!(texts(&seen), [(Role::User, "Menu?\nWait")]);
}

#[test]
fn heard_without_an_id_never_touches_an_older_complete_reply() {
    let mut history = History::from(vec![
        ChatMessage::user("Menu?", "t1"),
        ChatMessage::assistant("We have soup.", "t1"),
        ChatMessage::user("And dessert?", "t2"), // cut off before any speech
    ]);
    let heard = Heard {
        assistant_turn_id: None,
        text: String::new(),
    };
    history.apply_heard(&heard);
    assert_eq!(history.messages()[1].content, "We have soup.");
    assert_eq!(history.messages().len(), 3);
}

#[test]
fn heard_for_an_unknown_turn_changes_nothing() {
    let mut history = History::from(vec![
        ChatMessage::user("Hi", "t1"),
        ChatMessage::assistant("Hello.", "t1"),
    ]);
    let heard = Heard {
        assistant_turn_id: Some("t9".into()),
        text: "x".into(),
    };
    history.apply_heard(&heard);
    assert_eq!(history.messages()[1].content, "Hello.");
    let mut empty = History::new();
    empty.apply_heard(&heard);
    assert!(empty.messages().is_empty());
}

#[test]
fn a_late_reply_goes_after_its_own_question() {
    let mut history = History::from(vec![ChatMessage::user("One", "t1")]);
    history.record_reply(None, ChatMessage::assistant("Welcome!", "t0"), LIMITS);
    history.record_reply(None, ChatMessage::assistant("First.", "t1"), LIMITS);
    // Right after its question, so before the welcome that was stored at the end; two
    // replies in a row then read as one, in that order.
    assert_eq!(
        texts(history.messages()),
        [(Role::User, "One"), (Role::Assistant, "First.\nWelcome!")]
    );
    history.record_reply(None, ChatMessage::assistant("  ", "t2"), LIMITS);
    assert_eq!(history.messages().len(), 2);
    assert!(is_well_formed(history.messages()));
}

#[test]
fn truncation_drops_the_oldest_and_keeps_the_newest() {
    let limits = HistoryLimits {
        max_messages: 3,
        max_chars: 1000,
    };
    let mut history = History::new();
    for i in 0..5 {
        history.begin_turn(
            ChatMessage::user(format!("q{i}"), format!("t{i}")),
            None,
            limits,
        );
        history.record_reply(
            None,
            ChatMessage::assistant(format!("a{i}"), format!("t{i}")),
            limits,
        );
    }
    // Three messages fit, but a reply without its question does not start the history.
    assert_eq!(
        texts(history.messages()),
        [(Role::User, "q4"), (Role::Assistant, "a4")]
    );

    let limits = HistoryLimits {
        max_messages: 100,
        max_chars: 10,
    };
    let mut history = History::new();
    history.begin_turn(ChatMessage::user("12345", "t1"), None, limits);
    history.record_reply(None, ChatMessage::assistant("12345", "t1"), limits);
    let seen = history.begin_turn(
        ChatMessage::user("a very long question", "t2"),
        None,
        limits,
    );
    assert_eq!(
        texts(&seen),
        [(Role::User, "a very long question")],
        "the newest always stays"
    );
}

#[test]
fn a_history_is_stored_as_the_bare_list_of_its_messages() {
    let messages = vec![
        ChatMessage::user("Menu?", "t1"),
        ChatMessage::assistant("Soup.", "t1").interrupted(true),
    ];
    let history = History::from(messages.clone());
    let json = serde_json::to_string(&history).expect("encode");
    assert_eq!(json, serde_json::to_string(&messages).expect("encode"));
    let stored = r#"[{"role":"user","content":"Menu?","turn_id":"t1"},{"role":"assistant","content":"Soup.","turn_id":"t1","interrupted":true}]"#;
    assert_eq!(json, stored, "the format written by earlier versions");
    let loaded: History = serde_json::from_str(stored).expect("decode");
    assert_eq!(loaded.into_messages(), messages);
}

#[test]
fn loading_a_history_that_breaks_the_rules_repairs_it() {
    let stored = vec![
        ChatMessage::user("Book", "t1"),
        ChatMessage::user("a table", "t2"),
        ChatMessage::assistant(" ", "t2"),
        ChatMessage::assistant("For how many?", "t2"),
        ChatMessage::assistant("Again?", "t2"),
        ChatMessage::user("Two", "t3"),
        ChatMessage::user("Two", "t3"),
    ];
    let json = serde_json::to_string(&stored).expect("encode");
    let loaded: History = serde_json::from_str(&json).expect("decode");
    assert_eq!(
        texts(loaded.messages()),
        [
            (Role::User, "Book\na table"),
            (Role::Assistant, "For how many?"),
            (Role::User, "Two"),
        ]
    );
    assert_eq!(loaded.messages()[0].merged_turns, ["t1"]);
    assert!(is_well_formed(loaded.messages()));
    assert_eq!(History::from(stored), loaded);
}

#[test]
fn the_history_decides_roles_and_merges_not_the_caller() {
    let mut history = History::new();
    let posing = ChatMessage {
        merged_turns: vec!["t0".into()],
        ..ChatMessage::assistant("Hello", "t1")
    };
    history.begin_turn(posing, None, LIMITS);
    history.record_reply(None, ChatMessage::user("", "t1"), LIMITS);
    history.record_reply(None, ChatMessage::user("Hi.", "t1"), LIMITS);
    assert_eq!(
        texts(history.messages()),
        [(Role::User, "Hello"), (Role::Assistant, "Hi.")]
    );
    assert!(history.messages()[0].merged_turns.is_empty());
    assert!(is_well_formed(history.messages()));
}

fn with_call(reply: ChatMessage, id: &str, result: Option<&str>) -> ChatMessage {
    let results = result
        .map(|r| vec![ToolResult::new(id, r)])
        .unwrap_or_default();
    reply.with_tools(
        vec![ToolCall::new(id, "get_order", r#"{"order_id":"A1"}"#)],
        results,
    )
}

#[test]
fn every_tool_call_keeps_a_result_in_the_calls_order() {
    let calls = vec![ToolCall::new("a", "x", "{}"), ToolCall::new("b", "y", "{}")];
    let results = vec![ToolResult::new("b", "B"), ToolResult::new("zzz", "stray")];
    let reply = ChatMessage::assistant("Done.", "t1").with_tools(calls, results);
    let ids: Vec<(&str, &str)> = reply
        .tool_results
        .iter()
        .map(|r| (r.tool_call_id.as_str(), r.content.as_str()))
        .collect();
    assert_eq!(ids, [("a", NO_RESULT), ("b", "B")]);
    // Loading repairs a stored message the same way, and user messages carry no calls.
    let mut broken = with_call(ChatMessage::assistant("", "t1"), "c", None);
    broken.tool_results.clear();
    let user = ChatMessage {
        tool_calls: vec![ToolCall::new("u", "x", "{}")],
        ..ChatMessage::user("Hi", "t1")
    };
    let loaded = History::from(vec![user, broken]);
    assert!(is_well_formed(loaded.messages()));
    assert!(loaded.messages()[0].tool_calls.is_empty());
    assert_eq!(loaded.messages()[1].tool_results[0].content, NO_RESULT);
}

#[test]
fn a_reply_with_only_tool_calls_is_kept_and_survives_hearing_nothing() {
    let mut history = History::new();
    history.begin_turn(ChatMessage::user("Cancel it", "t1"), None, LIMITS);
    let reply = with_call(
        ChatMessage::assistant("", "t1"),
        "c1",
        Some("{\"ok\":true}"),
    );
    history.record_reply(None, reply.interrupted(true), LIMITS);
    assert_eq!(history.messages().len(), 2, "the call happened");
    let heard = Heard {
        assistant_turn_id: Some("t1".into()),
        text: String::new(),
    };
    history.begin_turn(ChatMessage::user("Hello?", "t2"), Some(&heard), LIMITS);
    assert_eq!(history.messages().len(), 3);
    assert_eq!(history.messages()[1].tool_calls.len(), 1);
    assert!(is_well_formed(history.messages()));
    // An empty reply without calls is still dropped.
    history.record_reply(None, ChatMessage::assistant(" ", "t2"), LIMITS);
    assert_eq!(history.messages().len(), 3);
}

#[test]
fn a_redelivered_turn_sees_the_calls_its_earlier_delivery_made() {
    let mut history = History::new();
    history.begin_turn(ChatMessage::user("Cancel A1", "t1"), None, LIMITS);
    let reply = with_call(ChatMessage::assistant("Cancelled.", "t1"), "c1", Some("ok"));
    history.record_reply(None, reply, LIMITS);
    let seen = history.begin_turn(ChatMessage::user("Cancel A1", "t1"), None, LIMITS);
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[1].content, "", "the words are not in view");
    assert_eq!(seen[1].tool_calls[0].id, "c1");
    assert_eq!(seen[1].tool_results[0].content, "ok");
}

#[test]
fn trimming_counts_tool_results_and_never_splits_a_call_from_its_result() {
    let limits = HistoryLimits {
        max_messages: 100,
        max_chars: 60,
    };
    let mut history = History::new();
    history.begin_turn(ChatMessage::user("Order?", "t1"), None, limits);
    let big = "x".repeat(40);
    history.record_reply(
        None,
        with_call(ChatMessage::assistant("Shipped.", "t1"), "c1", Some(&big)),
        limits,
    );
    history.begin_turn(ChatMessage::user("Thanks", "t2"), None, limits);
    // The call, its result and the words are one entry: they go together.
    assert_eq!(texts(history.messages()), [(Role::User, "Thanks")]);
    assert!(is_well_formed(history.messages()));
}

#[test]
fn stored_tool_calls_use_openai_shapes() {
    let reply = with_call(ChatMessage::assistant("Done.", "t1"), "c1", Some("ok"));
    let json = serde_json::to_value(&reply).expect("json");
    assert_eq!(
        json["tool_calls"][0],
        serde_json::json!({"id": "c1", "type": "function", "function": {"name": "get_order", "arguments": "{\"order_id\":\"A1\"}"}})
    );
    assert_eq!(
        json["tool_results"][0],
        serde_json::json!({"role": "tool", "tool_call_id": "c1", "content": "ok"})
    );
    let plain = serde_json::to_string(&ChatMessage::assistant("Hi", "t1")).expect("json");
    assert!(
        !plain.contains("tool"),
        "messages without tools keep the old format: {plain}"
    );
}

#[test]
fn two_replies_in_a_row_are_merged_on_load_so_roles_alternate() {
    // Stored by an earlier version: a reply saved after its question was lost.
    let stored = vec![
        ChatMessage::user("Hi", "t1"),
        ChatMessage::assistant("Hello.", "t1"),
        ChatMessage::assistant("Your order shipped.", "t2"),
        ChatMessage::user("Thanks", "t3"),
    ];
    let history = History::from(stored);
    assert!(is_well_formed(history.messages()));
    assert_eq!(
        texts(history.messages()),
        [
            (Role::User, "Hi"),
            (Role::Assistant, "Hello.\nYour order shipped."),
            (Role::User, "Thanks")
        ]
    );
    assert_eq!(history.messages()[1].merged_turns, ["t1"]);
}

#[test]
fn a_second_welcome_joins_the_first() {
    let mut history = History::new();
    history.record_reply(None, ChatMessage::assistant("Welcome!", "w1"), LIMITS);
    history.record_reply(None, ChatMessage::assistant("Welcome back!", "w2"), LIMITS);
    assert_eq!(
        texts(history.messages()),
        [(Role::Assistant, "Welcome!\nWelcome back!")]
    );
    // Delivered again, the first welcome does not overwrite the joined reply.
    history.record_reply(None, ChatMessage::assistant("Welcome!", "w1"), LIMITS);
    assert_eq!(history.messages().len(), 1);
    assert_eq!(history.messages()[0].content, "Welcome!\nWelcome back!");
}

#[test]
fn a_lost_question_comes_back_with_its_reply_even_when_nothing_was_said() {
    let mut history = History::new();
    history.begin_turn(ChatMessage::user("Hi", "t1"), None, LIMITS);
    history.record_reply(None, ChatMessage::assistant("Hello.", "t1"), LIMITS);
    let question = ChatMessage::user("Wait", "t2").received_at(10);
    history.record_reply(Some(&question), ChatMessage::assistant("", "t2"), LIMITS);
    assert_eq!(
        texts(history.messages()),
        [
            (Role::User, "Hi"),
            (Role::Assistant, "Hello."),
            (Role::User, "Wait")
        ]
    );
    // Unanswered, it merges with the next question as any unanswered one does.
    let seen = history.begin_turn(ChatMessage::user("Go on", "t3"), None, LIMITS);
    assert_eq!(seen.last().map(|m| m.content.as_str()), Some("Wait\nGo on"));
}

#[test]
fn any_order_of_lost_saves_keeps_the_rules() {
    // Each turn: its question saved or lost, its reply saved, lost or saved late; replies
    // saved late arrive in every order. The rules hold whatever happened.
    for mask in 0u32..(1 << 8) {
        let mut history = History::new();
        let mut late = Vec::new();
        for turn in 0..4 {
            let id = format!("t{turn}");
            let question = ChatMessage::user(format!("q{turn}"), &id).received_at(turn);
            let reply = ChatMessage::assistant(format!("a{turn}"), &id);
            if mask & (1 << turn) == 0 {
                history.begin_turn(question.clone(), None, LIMITS);
            }
            if mask & (1 << (turn + 4)) == 0 {
                history.record_reply(Some(&question), reply, LIMITS);
            } else {
                late.push((question, reply));
            }
        }
        for (question, reply) in late.into_iter().rev() {
            history.record_reply(Some(&question), reply, LIMITS);
        }
        assert!(is_well_formed(history.messages()), "{mask:b}: {history:?}");
    }
}

#[test]
fn a_reply_heard_in_full_takes_back_its_question_from_a_newer_turn() {
    // t1's question was saved, its reply waited on another machine; t2 merged the
    // unanswered question into its own and was answered.
    let mut history = History::new();
    let one = ChatMessage::user("Where is my order?", "t1").received_at(1);
    history.begin_turn(one.clone(), None, LIMITS);
    history.begin_turn(
        ChatMessage::user("Hello?", "t2").received_at(2),
        None,
        LIMITS,
    );
    history.record_reply(None, ChatMessage::assistant("Still here.", "t2"), LIMITS);
    history.record_reply(
        Some(&one),
        ChatMessage::assistant("It ships today.", "t1"),
        LIMITS,
    );
    assert_eq!(
        texts(history.messages()),
        [
            (Role::User, "Where is my order?"),
            (Role::Assistant, "It ships today."),
            (Role::User, "Hello?"),
            (Role::Assistant, "Still here.")
        ]
    );
    assert!(history.messages()[2].merged_turns.is_empty());
    assert!(is_well_formed(history.messages()));
    // A cut-short reply of a superseded turn is still dropped.
    let mut history = History::new();
    history.begin_turn(one.clone(), None, LIMITS);
    history.begin_turn(ChatMessage::user("Hello?", "t2"), None, LIMITS);
    let cut = ChatMessage::assistant("It ships", "t1").interrupted(true);
    history.record_reply(Some(&one), cut, LIMITS);
    assert_eq!(
        texts(history.messages()),
        [(Role::User, "Where is my order?\nHello?")]
    );
}

#[test]
fn a_turn_saved_late_stays_in_the_order_it_was_asked_across_machines() {
    // t7's question was saved and its reply waited on one machine; t8, asked after it,
    // was answered on another machine without the history and saved first.
    let mut history = History::new();
    let six = ChatMessage::user("q6", "t6").received_at(6);
    history.begin_turn(six.clone(), None, LIMITS);
    history.record_reply(Some(&six), ChatMessage::assistant("a6", "t6"), LIMITS);
    let seven = ChatMessage::user("q7", "t7").received_at(7);
    history.begin_turn(seven.clone(), None, LIMITS);
    let eight = ChatMessage::user("q8", "t8").received_at(8);
    history.record_reply(Some(&eight), ChatMessage::assistant("a8", "t8"), LIMITS);
    assert!(is_well_formed(history.messages()), "{history:?}");
    history.record_reply(Some(&seven), ChatMessage::assistant("a7", "t7"), LIMITS);
    let order: Vec<&str> = history
        .messages()
        .iter()
        .map(|m| m.content.as_str())
        .collect();
    assert_eq!(order, ["q6", "a6", "q7", "a7", "q8", "a8"]);
    assert!(is_well_formed(history.messages()));
}
