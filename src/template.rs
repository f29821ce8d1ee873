//! Prompt templates rendered per turn from the caller's context.
//!
//! The system prompt file and a few phrases may be written as Jinja templates, e.g.
//! `You are talking to {{ metadata.name | default("a guest") }}. It is {{ now }}.`
//! A [`Template`] is compiled once at start-up (a syntax error stops the server with the
//! template's name and line) and rendered for every turn with a [`CallContext`] and the
//! clock of a [`Now`]. Rendering never fails: a prompt is always produced.
//!
//! Variables a template may use: `metadata` (object), `from_phone_number` and
//! `to_phone_number` (strings, undefined when unknown), `conversation_id`, `agent`,
//! `client` (object) and `now` (the current moment in words, see [`Now::words`]).
//! Undefined values, and attributes of undefined values, render as nothing. Nothing is
//! HTML-escaped: these are prompts, not pages.

use std::sync::Arc;

use minijinja::syntax::SyntaxConfig;
use minijinja::value::Serde;
use minijinja::{AutoEscape, Environment, ErrorKind, UndefinedBehavior, Value};
use serde::Serialize;
use serde_json::{Map, Value as Json};

/// What a template may use, for one turn.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CallContext {
    /// `custom_metadata` merged over `metadata` from the webhook (a JSON object; absent = empty object).
    pub metadata: Map<String, Json>,
    /// The caller's phone number, when the call came by phone.
    pub from_phone_number: Option<String>,
    /// The number the caller dialled, when the call came by phone.
    pub to_phone_number: Option<String>,
    /// Layercode's id of the conversation.
    pub conversation_id: String,
    /// The agent's name ("default" for the single agent configured from the environment).
    pub agent: String,
    /// What the page sent in `data` events during this conversation (a JSON object).
    pub client: Map<String, Json>,
}

impl CallContext {
    /// `custom_metadata` merged over `metadata` (shallow: top-level keys of custom win).
    /// Non-object values count as empty.
    pub fn merge_metadata(metadata: Option<&Json>, custom: Option<&Json>) -> Map<String, Json> {
        let mut merged = match metadata {
            Some(Json::Object(map)) => map.clone(),
            _ => Map::new(),
        };
        if let Some(Json::Object(custom)) = custom {
            for (key, value) in custom {
                merged.insert(key.clone(), value.clone());
            }
        }
        merged
    }

    /// Sample values for `voicebridge check`: metadata `{"name": "Ana", "account_id":
    /// "acc_123"}`, from "+15550100", to "+15550199", conversation_id "conv_sample", client
    /// `{"page": "/pricing"}`, agent as given.
    pub fn sample(agent: &str) -> Self {
        let mut metadata = Map::new();
        metadata.insert("name".into(), Json::from("Ana"));
        metadata.insert("account_id".into(), Json::from("acc_123"));
        let mut client = Map::new();
        client.insert("page".into(), Json::from("/pricing"));
        CallContext {
            metadata,
            from_phone_number: Some("+15550100".into()),
            to_phone_number: Some("+15550199".into()),
            conversation_id: "conv_sample".into(),
            agent: agent.into(),
            client,
        }
    }
}

/// The variables a template sees: the context borrowed, plus `now` in words. A `None`
/// phone number is left out, so the template sees it undefined (and `default` applies).
#[derive(Serialize)]
struct Variables<'a> {
    metadata: &'a Map<String, Json>,
    #[serde(skip_serializing_if = "Option::is_none")]
    from_phone_number: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    to_phone_number: Option<&'a str>,
    conversation_id: &'a str,
    agent: &'a str,
    client: &'a Map<String, Json>,
    now: &'a str,
}

/// Why a template does not compile.
#[derive(Debug, thiserror::Error)]
#[error("{name}: line {line}: {message}")]
pub struct TemplateError {
    /// What the template is called: a file path or a variable name.
    pub name: String,
    /// The line (1-based) where the engine found the problem.
    pub line: usize,
    /// What is wrong, e.g. "syntax error: unexpected end of input, expected end of variable block".
    pub message: String,
}

/// A named template, compiled at start-up.
///
/// A text without template syntax (`{{`, `{%` or `{#`) is kept as plain text and renders as
/// itself without touching the engine.
#[derive(Clone, Debug)]
pub struct Template {
    name: String,
    source: String,
    /// The engine holding the compiled template (under `name`); `None` for plain text.
    engine: Option<Arc<Environment<'static>>>,
}

impl Template {
    /// Compiles `source`; `name` is what errors call it (a file path like
    /// "prompts/system.md" or a variable like "WELCOME_MESSAGE").
    ///
    /// Err: a [`TemplateError`] whose Display is "{name}: line {line}: {message}", for a
    /// syntax error, or for an unknown filter, test or function that a trial render with
    /// [`CallContext::sample`] reaches.
    pub fn new(name: &str, source: &str) -> Result<Template, TemplateError> {
        Template::compile(name, source, Printing::Text)
    }

    /// Compiles `source` as a URL (or a piece of one), like [`Template::new`] except that
    /// every value a `{{ … }}` prints is percent-encoded as a path segment (all but
    /// `A-Z a-z 0-9 - . _ ~` is encoded), so a caller's value cannot add a path segment, a
    /// query or a fragment; a value that is `.` or `..` (which would move up the path) is a
    /// render error. A value passed through `| safe` is printed as it is.
    pub fn for_url(name: &str, source: &str) -> Result<Template, TemplateError> {
        Template::compile(name, source, Printing::UrlSegment)
    }

    fn compile(name: &str, source: &str, output: Printing) -> Result<Template, TemplateError> {
        if !uses_template_syntax(source) {
            return Ok(Template::plain_named(name, source));
        }
        let mut env = Environment::new();
        // Lenient: `metadata.a.b` on a missing `a` renders as nothing rather than failing.
        env.set_undefined_behavior(UndefinedBehavior::Chainable);
        // Prompts, not HTML: never escape, whatever the name ends with (.html, .md, ...).
        env.set_auto_escape_callback(|_| AutoEscape::None);
        // A file's final newline is part of the text, as it is for a plain template.
        let mut syntax = SyntaxConfig::builder();
        syntax.keep_trailing_newline(true);
        // Building fails only for custom delimiters, and these are the default ones.
        if let Ok(syntax) = syntax.build() {
            env.set_syntax(syntax);
        }
        if output == Printing::UrlSegment {
            env.set_formatter(url_segment_formatter);
        }
        env.add_template_owned(name.to_string(), source.to_string())
            .map_err(|error| TemplateError {
                name: name.to_string(),
                line: error.line().unwrap_or(1),
                message: describe(&error),
            })?;
        let template = Template {
            name: name.to_string(),
            source: source.to_string(),
            engine: Some(Arc::new(env)),
        };
        template.check_names()?;
        Ok(template)
    }

    /// The engine looks filters, tests and functions up only when it renders, so a typo like
    /// `{{ name | uper }}` parses. A trial render with [`CallContext::sample`] finds those
    /// in the parts the sample reaches and turns them into a compile error; other runtime
    /// errors depend on the caller's values and are left to [`Template::render`].
    fn check_names(&self) -> Result<(), TemplateError> {
        let Err(error) = self.render_with(variables(&CallContext::sample("default"), "now")) else {
            return Ok(());
        };
        match error.kind() {
            ErrorKind::UnknownFilter | ErrorKind::UnknownTest | ErrorKind::UnknownFunction => {
                Err(TemplateError {
                    name: self.name.clone(),
                    line: error.line().unwrap_or(1),
                    message: describe(&error),
                })
            }
            _ => Ok(()),
        }
    }

    /// A plain text that is not a template (never fails, renders as itself).
    pub fn plain(text: &str) -> Template {
        Template::plain_named("plain text", text)
    }

    fn plain_named(name: &str, text: &str) -> Template {
        Template {
            name: name.to_string(),
            source: text.to_string(),
            engine: None,
        }
    }

    /// What errors and logs call this template.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The text as written.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Whether the text uses template syntax at all.
    pub fn is_dynamic(&self) -> bool {
        self.engine.is_some()
    }

    /// Renders with `context` and `now`. Never fails.
    ///
    /// Undefined values render as nothing. When rendering hits a runtime error (say, `+` on
    /// a number and a string), the error's kind and line are logged with `tracing::warn!`
    /// (the template's name, never a variable's value) and the template is rendered again
    /// with no variables at all, so its fixed text still reaches the model; if that fails
    /// too, the result is the source with every `{{ … }}`, `{% … %}` and `{# … #}` span
    /// removed.
    pub fn render(&self, context: &CallContext, now: &Now) -> String {
        if self.engine.is_none() {
            return self.source.clone();
        }
        let words = now.words();
        let variables = variables(context, &words);
        match self.render_with(variables) {
            Ok(text) => text,
            Err(error) => {
                tracing::warn!(
                    template = %self.name,
                    kind = %error.kind(),
                    line = error.line(),
                    "template failed to render; rendering it without variables"
                );
                self.render_with(Value::from(()))
                    .unwrap_or_else(|_| strip_template_syntax(&self.source))
            }
        }
    }

    /// Renders with `context` and `now`, or `None` when rendering hits a runtime error (its
    /// kind and line are logged with `tracing::warn!`, never a value). For texts where a
    /// fallback would do harm, like a URL: better no request than one to the wrong place.
    pub fn render_strict(&self, context: &CallContext, now: &Now) -> Option<String> {
        if self.engine.is_none() {
            return Some(self.source.clone());
        }
        let words = now.words();
        match self.render_with(variables(context, &words)) {
            Ok(text) => Some(text),
            Err(error) => {
                tracing::warn!(
                    template = %self.name,
                    kind = %error.kind(),
                    line = error.line(),
                    "template failed to render"
                );
                None
            }
        }
    }
}

/// How a template prints the values of `{{ … }}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Printing {
    /// As text, unescaped.
    Text,
    /// Percent-encoded as a URL path segment.
    UrlSegment,
}

/// What a URL template's `{{ … }}` keeps unencoded: RFC 3986's unreserved characters.
const URL_SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Prints a value of a URL template: percent-encoded, unless marked safe.
fn url_segment_formatter(
    out: &mut minijinja::Output<'_>,
    _state: &mut minijinja::State<'_, '_>,
    value: &Value,
) -> Result<(), minijinja::Error> {
    let text = value.to_string();
    if value.is_safe() {
        return Ok(out.write_str(&text)?);
    }
    if text == "." || text == ".." {
        return Err(minijinja::Error::new(
            ErrorKind::InvalidOperation,
            "a value in a URL cannot be \".\" or \"..\"",
        ));
    }
    for piece in percent_encoding::utf8_percent_encode(&text, URL_SEGMENT) {
        out.write_str(piece)?;
    }
    Ok(())
}

/// The variables of one render: `context` and `now` in words.
fn variables(context: &CallContext, now: &str) -> Value {
    Value::from(Serde(Variables {
        metadata: &context.metadata,
        from_phone_number: context.from_phone_number.as_deref(),
        to_phone_number: context.to_phone_number.as_deref(),
        conversation_id: &context.conversation_id,
        agent: &context.agent,
        client: &context.client,
        now,
    }))
}

impl Template {
    /// Renders with `variables`; plain text renders as itself.
    fn render_with(&self, variables: Value) -> Result<String, minijinja::Error> {
        match &self.engine {
            Some(engine) => engine.get_template(&self.name)?.render(variables),
            None => Ok(self.source.clone()),
        }
    }
}

/// Whether `text` holds any `{{`, `{%` or `{#` (a comment is template syntax too: it must
/// not reach the model).
fn uses_template_syntax(text: &str) -> bool {
    text.contains("{{") || text.contains("{%") || text.contains("{#")
}

/// The engine's description of a compile error, without its own "(in name:line)" suffix,
/// which [`TemplateError`] says in its own words.
fn describe(error: &minijinja::Error) -> String {
    match error.detail() {
        Some(detail) => format!("{}: {detail}", error.kind()),
        None => error.kind().to_string(),
    }
}

/// `text` with every `{{ … }}`, `{% … %}` and `{# … #}` span removed; an unclosed span runs
/// to the end of the text.
fn strip_template_syntax(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = find_opener(rest) {
        out.push_str(&rest[..start]);
        let closer = match &rest[start + 1..start + 2] {
            "{" => "}}",
            "%" => "%}",
            _ => "#}",
        };
        let after_opener = &rest[start + 2..];
        match after_opener.find(closer) {
            Some(end) => rest = &after_opener[end + 2..],
            None => return out,
        }
    }
    out.push_str(rest);
    out
}

/// The byte offset of the first `{{`, `{%` or `{#` in `text`.
fn find_opener(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    bytes
        .windows(2)
        .position(|pair| pair[0] == b'{' && matches!(pair[1], b'{' | b'%' | b'#'))
}

/// The clock and time zone templates read `now` from.
#[derive(Debug, Clone)]
pub struct Now {
    zone: jiff::tz::TimeZone,
    name: String,
}

impl Now {
    /// `AGENT_TIMEZONE` value, an IANA name like "Europe/Berlin" or "UTC". Err(String) names
    /// the problem (unknown zone). The zone database is bundled into the binary, so this
    /// works in a container without `/usr/share/zoneinfo`.
    pub fn in_zone(name: &str) -> Result<Now, String> {
        let name = name.trim();
        if name.is_empty() {
            return Err(
                "the time zone is empty: give an IANA name like Europe/Berlin or UTC".into(),
            );
        }
        let zone = jiff::tz::TimeZone::get(name).map_err(|_| {
            format!("unknown time zone {name:?}: give an IANA name like Europe/Berlin or UTC")
        })?;
        let name = zone.iana_name().unwrap_or(name).to_string();
        Ok(Now { zone, name })
    }

    /// Coordinated Universal Time.
    pub fn utc() -> Now {
        Now {
            zone: jiff::tz::TimeZone::UTC,
            name: "UTC".into(),
        }
    }

    /// The zone's IANA name, e.g. "Europe/Berlin".
    pub fn zone_name(&self) -> &str {
        &self.name
    }

    /// The current moment as words a model reads well, e.g.
    /// "Tuesday, 1 December 2026, 11:08 (Europe/Berlin, UTC+01:00)": weekday, day month
    /// year, 24-hour time, zone name and offset.
    pub fn words(&self) -> String {
        self.words_for(jiff::Timestamp::now())
    }

    /// Same as [`Now::words`] for a given instant (unix seconds), for tests and benches.
    /// An instant outside the years -9999..=9999 reads as the unix epoch.
    pub fn words_at(&self, unix_seconds: i64) -> String {
        let instant =
            jiff::Timestamp::from_second(unix_seconds).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
        self.words_for(instant)
    }

    fn words_for(&self, instant: jiff::Timestamp) -> String {
        let local = instant.to_zoned_datetime(self.zone.clone());
        format!(
            "{} ({}, UTC{})",
            local.strftime("%A, %-d %B %Y, %H:%M"),
            self.name,
            local.strftime("%:z"),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

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
        let error = Template::new("t", "{% if agent is nonsense %}x{% endif %}")
            .expect_err("no test nonsense");
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
}
