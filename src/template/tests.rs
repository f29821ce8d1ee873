//! Templates compiled and rendered as a turn sees them: variables, defaults, errors by
//! name and line, the clock in words, URL encoding and the fallbacks when rendering fails.

use super::*;
use serde_json::{json, Map, Value as Json};

/// Friday, 1 January 2027, 00:00 UTC.
const NEW_YEAR_2027: i64 = 1_798_761_600;
/// Wednesday, 1 July 2026, 12:00 UTC.
const MIDSUMMER_2026: i64 = 1_782_907_200;

fn object(value: serde_json::Value) -> Map<String, Json> {
    match value {
        Json::Object(map) => map,
        other => panic!("not an object: {other}"),
    }
}

fn render(source: &str, context: &CallContext) -> String {
    Template::new("test.md", source)
        .expect("compiles")
        .render(context, &Now::utc())
}

#[test]
fn custom_metadata_wins_over_metadata() {
    let metadata = json!({"name": "Ana", "plan": "free", "nested": {"a": 1}});
    let custom = json!({"plan": "pro", "nested": {"b": 2}});
    let merged = CallContext::merge_metadata(Some(&metadata), Some(&custom));
    assert_eq!(
        merged,
        object(json!({"name": "Ana", "plan": "pro", "nested": {"b": 2}}))
    );
}

#[test]
fn non_objects_and_absent_metadata_count_as_empty() {
    let custom = json!({"plan": "pro"});
    assert_eq!(
        CallContext::merge_metadata(Some(&json!("text")), Some(&custom)),
        object(json!({"plan": "pro"}))
    );
    assert_eq!(
        CallContext::merge_metadata(Some(&custom), Some(&json!([1, 2]))),
        object(json!({"plan": "pro"}))
    );
    assert_eq!(
        CallContext::merge_metadata(Some(&Json::Null), None),
        Map::new()
    );
    assert_eq!(CallContext::merge_metadata(None, None), Map::new());
    assert_eq!(
        CallContext::merge_metadata(None, Some(&custom)),
        object(json!({"plan": "pro"}))
    );
}

#[test]
fn the_issue_example_greets_by_name_or_as_a_guest() {
    let template = Template::new(
        "prompts/system.md",
        r#"You are talking to {{ metadata.name | default("a guest") }}. It is {{ now }}."#,
    )
    .expect("compiles");
    assert!(template.is_dynamic());
    let now = Now::in_zone("Europe/Berlin").expect("known zone");

    let with_name = template.render(&CallContext::sample("default"), &now);
    assert!(
        with_name.starts_with("You are talking to Ana. It is "),
        "{with_name}"
    );
    assert!(
        with_name.ends_with("(Europe/Berlin, UTC+01:00).")
            || with_name.ends_with("(Europe/Berlin, UTC+02:00).")
    );

    let without = template.render(&CallContext::default(), &now);
    assert!(
        without.starts_with("You are talking to a guest. It is "),
        "{without}"
    );
}

#[test]
fn missing_values_render_empty_and_defaults_apply() {
    let context = CallContext::default();
    assert_eq!(render("[{{ metadata.account.id }}]", &context), "[]");
    assert_eq!(render("[{{ metadata.a.b.c | upper }}]", &context), "[]");
    assert_eq!(render("[{{ nowhere }}]", &context), "[]");
    assert_eq!(
        render(r#"{{ from_phone_number | default("unknown") }}"#, &context),
        "unknown"
    );
    assert_eq!(
        render(r#"{{ to_phone_number | default("unknown") }}"#, &context),
        "unknown"
    );
}

#[test]
fn every_variable_renders() {
    let context = CallContext::sample("sales");
    assert_eq!(
        render(
            "{{ metadata.name }} {{ metadata.account_id }} {{ from_phone_number }} \
             {{ to_phone_number }} {{ conversation_id }} {{ agent }} {{ client.page }}",
            &context
        ),
        "Ana acc_123 +15550100 +15550199 conv_sample sales /pricing"
    );
    let template = Template::new("t", "{{ now }}").expect("compiles");
    let now = Now::utc();
    let words = template.render(&context, &now);
    assert!(words.ends_with("(UTC, UTC+00:00)"), "{words}");
}

#[test]
fn client_values_drive_conditions() {
    let source = "Hi.{% if client.page %} On {{ client.page }}.{% endif %}";
    assert_eq!(
        render(source, &CallContext::sample("default")),
        "Hi. On /pricing."
    );
    assert_eq!(render(source, &CallContext::default()), "Hi.");
    let context = CallContext {
        client: object(json!({"cart": {"items": 3}})),
        ..CallContext::default()
    };
    assert_eq!(render("{{ client.cart.items + 1 }}", &context), "4");
}

#[test]
fn a_syntax_error_names_the_template_and_line() {
    let error = Template::new("WELCOME_MESSAGE", "Hello {{ name").expect_err("does not parse");
    let text = error.to_string();
    assert!(text.starts_with("WELCOME_MESSAGE: line 1: "), "{text}");
    assert_eq!(error.name, "WELCOME_MESSAGE");
    assert_eq!(error.line, 1);
    assert!(!error.message.is_empty());
    assert!(!error.message.contains("(in "), "{text}");

    let source = "Line one.\nLine two {{ metadata.name }}.\nLine three {% if %}.\n";
    let error = Template::new("prompts/system.md", source).expect_err("does not parse");
    assert_eq!(error.line, 3);
    assert!(
        error.to_string().starts_with("prompts/system.md: line 3: "),
        "{error}"
    );

    let error = Template::new("x", "{% for a in b %}\nno end\n").expect_err("unclosed block");
    assert!(error.to_string().starts_with("x: line "), "{error}");
}

#[test]
fn an_unknown_filter_is_a_compile_error_where_the_sample_reaches() {
    let error = Template::new("prompts/system.md", "Hi.\n{{ metadata.name | uper }}")
        .expect_err("no filter uper");
    assert_eq!(error.line, 2);
    assert!(error.message.contains("uper"), "{error}");
    let error =
        Template::new("t", "{% if agent is nonsense %}x{% endif %}").expect_err("no test nonsense");
    assert!(
        error.to_string().starts_with("t: line 1: unknown test"),
        "{error}"
    );

    // Out of the sample's reach it stays a runtime error, and rendering still gives text.
    let template = Template::new(
        "t",
        "Hi.{% if metadata.vip %} {{ metadata.vip | uper }}{% endif %}",
    )
    .expect("the sample has no vip");
    let context = CallContext {
        metadata: object(json!({"vip": "yes"})),
        ..CallContext::default()
    };
    assert_eq!(template.render(&context, &Now::utc()), "Hi.");
    // A runtime error that depends on values is not a compile error.
    assert!(Template::new("t", "{{ metadata.name + 1 }}").is_ok());
}

#[test]
fn berlin_time_in_words_follows_the_seasons() {
    let berlin = Now::in_zone("Europe/Berlin").expect("known zone");
    assert_eq!(berlin.zone_name(), "Europe/Berlin");
    assert_eq!(
        berlin.words_at(NEW_YEAR_2027),
        "Friday, 1 January 2027, 01:00 (Europe/Berlin, UTC+01:00)"
    );
    assert_eq!(
        berlin.words_at(MIDSUMMER_2026),
        "Wednesday, 1 July 2026, 14:00 (Europe/Berlin, UTC+02:00)"
    );
}

#[test]
fn the_zone_database_is_bundled() {
    // What a slim container without /usr/share/zoneinfo falls back to.
    let bundled = jiff::tz::TimeZoneDatabase::bundled();
    assert!(bundled.get("Europe/Berlin").is_ok());
    assert!(bundled.get("America/Sao_Paulo").is_ok());
}

#[test]
fn utc_and_unknown_zones() {
    let utc = Now::in_zone("UTC").expect("UTC is a zone");
    assert_eq!(utc.zone_name(), "UTC");
    assert_eq!(
        utc.words_at(NEW_YEAR_2027),
        "Friday, 1 January 2027, 00:00 (UTC, UTC+00:00)"
    );
    assert_eq!(
        Now::utc().words_at(NEW_YEAR_2027),
        utc.words_at(NEW_YEAR_2027)
    );
    assert_eq!(Now::utc().zone_name(), "UTC");
    let kolkata = Now::in_zone(" Asia/Kolkata ").expect("trimmed");
    assert_eq!(
        kolkata.words_at(NEW_YEAR_2027),
        "Friday, 1 January 2027, 05:30 (Asia/Kolkata, UTC+05:30)"
    );

    let error = Now::in_zone("Mars/Olympus").expect_err("not a zone");
    assert!(error.contains("Mars/Olympus"), "{error}");
    assert!(Now::in_zone("").is_err());
    assert!(!Now::utc().words().is_empty());
}

#[test]
fn nothing_is_html_escaped() {
    let context = CallContext {
        metadata: object(json!({"q": "<b>&\"'"})),
        ..CallContext::default()
    };
    for name in ["page.html", "prompts/system.md", "x.xml", "WELCOME_MESSAGE"] {
        let template = Template::new(name, "{{ metadata.q }}").expect("compiles");
        assert_eq!(template.render(&context, &Now::utc()), "<b>&\"'", "{name}");
    }
}

#[test]
fn plain_text_renders_as_itself() {
    let text = "Be brief. Prices: {curly} } { 100% #1\n\n";
    let template = Template::new("prompts/system.md", text).expect("plain text compiles");
    assert!(!template.is_dynamic());
    assert_eq!(template.name(), "prompts/system.md");
    assert_eq!(template.source(), text);
    assert_eq!(
        template.render(&CallContext::sample("a"), &Now::utc()),
        text
    );

    let plain = Template::plain("Hello {{ not a template");
    assert!(!plain.is_dynamic());
    assert_eq!(
        plain.render(&CallContext::default(), &Now::utc()),
        "Hello {{ not a template"
    );
}

#[test]
fn a_dynamic_template_keeps_its_final_newline() {
    assert_eq!(
        render("Hi {{ agent }}.\n", &CallContext::sample("bob")),
        "Hi bob.\n"
    );
}

#[test]
fn a_comment_is_not_shown() {
    let template = Template::new("t", "Hi.{# note to self #}").expect("compiles");
    assert!(template.is_dynamic());
    assert_eq!(template.render(&CallContext::default(), &Now::utc()), "Hi.");
}

#[test]
fn a_runtime_error_still_gives_text() {
    let context = CallContext::sample("default");
    let out = render(r#"Hello {{ metadata.name | int + "x" }}!"#, &context);
    assert!(out.starts_with("Hello "), "{out}");
    assert!(out.ends_with('!'), "{out}");

    // Fails with variables, renders without them: the fixed text survives.
    let out = render(
        "Start. {% if metadata.name %}{{ metadata.name + 1 }}{% endif %}End.",
        &context,
    );
    assert_eq!(out, "Start. End.");

    // Fails both ways: the source with its template spans removed.
    let out = render("A {{ 1 // 0 }} B {% if true %}C{% endif %}", &context);
    assert_eq!(out, "A  B C");
    assert_eq!(render("[{{ 1 / 0 }}]", &context), "[]");
}

#[test]
fn a_url_template_percent_encodes_what_it_prints() {
    let context = CallContext {
        metadata: object(json!({"id": "a b/c?d", "dot": "..", "base": "x/y"})),
        ..CallContext::default()
    };
    let url = |source: &str| Template::for_url("url", source).expect("compiles");
    let template = url("https://x.example/{{ metadata.id }}/{order}{{ metadata.none }}");
    assert_eq!(
        template.render_strict(&context, &Now::utc()).as_deref(),
        Some("https://x.example/a%20b%2Fc%3Fd/{order}")
    );
    assert_eq!(
        url("https://x.example/{{ metadata.base | safe }}")
            .render_strict(&context, &Now::utc())
            .as_deref(),
        Some("https://x.example/x/y")
    );
    assert_eq!(
        url("https://x.example/{{ metadata.dot }}").render_strict(&context, &Now::utc()),
        None
    );
    let plain = url("https://x.example/{order}");
    assert!(!plain.is_dynamic());
    assert_eq!(
        plain.render_strict(&context, &Now::utc()).as_deref(),
        Some("https://x.example/{order}")
    );
    // Prompt templates print as they are.
    assert_eq!(render("{{ metadata.id }}", &context), "a b/c?d");
}

#[test]
fn stripping_removes_every_kind_of_span() {
    assert_eq!(
        strip_template_syntax("a{{ x }}b{% if y %}c{% endif %}d{# z #}e"),
        "abcde"
    );
    assert_eq!(strip_template_syntax("no spans { } %}"), "no spans { } %}");
    assert_eq!(strip_template_syntax("open {{ forever"), "open ");
    assert_eq!(strip_template_syntax("ünï{{ x }}cödé"), "ünïcödé");
}
