//! Loading and checking tool files: the examples, defaults, every problem named by file and
//! field, and secrets kept out of errors and `Debug`.

use super::url::{placeholders, ToolUrl};
use super::*;
use crate::template::{CallContext, Now};
use crate::toml_file::resolve_env;
use crate::tools::tool::Text;
use crate::tools::Toolbox;
use serde_json::json;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

const GET_ORDER: &str = r#"
description = "Look up the status of an order by its number."
method = "GET"
url = "https://api.example.com/orders/{order_id}"
timeout_ms = 3000
say_while_waiting = "One moment while I look that up."

[headers]
Authorization = "Bearer ${ORDERS_API_KEY}"

[parameters]
type = "object"
required = ["order_id"]
[parameters.properties.order_id]
type = "string"
description = "The order number, like A17."
"#;

const SECRET: &str = "sk-live-very-secret-1234";

fn env(name: &str) -> Option<String> {
    match name {
        "ORDERS_API_KEY" | "CRM_KEY" => Some(SECRET.to_string()),
        "EMPTY" => Some(String::new()),
        "BASE" => Some("https://base.example.com".to_string()),
        _ => None,
    }
}

/// A folder under the system temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> Self {
        static COUNT: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "voicebridge-tools-{}-{}",
            std::process::id(),
            COUNT.fetch_add(1, Ordering::SeqCst)
        ));
        std::fs::create_dir_all(&dir).expect("create temp dir");
        Self(dir)
    }

    fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.0.join(name);
        std::fs::write(&path, text).expect("write tool file");
        path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn parse(name: &str, text: &str) -> Result<Tool, ToolFileError> {
    parse_tool(Path::new(&format!("tools/{name}.toml")), name, text, &env)
}

fn parse_err(name: &str, text: &str) -> String {
    parse(name, text).expect_err("should fail").to_string()
}

#[test]
fn the_example_loads_as_written() {
    let dir = TempDir::new();
    dir.write("get_order.toml", GET_ORDER);
    let toolbox = Toolbox::load(&dir.0, &env).expect("loads");
    assert_eq!(toolbox.len(), 1);
    let tool = toolbox.get("get_order").expect("get_order");
    assert_eq!(tool.name(), "get_order");
    assert_eq!(
        tool.description(),
        "Look up the status of an order by its number."
    );
    assert_eq!(tool.method(), "GET");
    assert!(!tool.mutating());
    assert_eq!(tool.timeout(), Duration::from_millis(3000));
    assert_eq!(
        tool.say_while_waiting(),
        Some("One moment while I look that up.")
    );
    assert_eq!(
        tool.url_template(),
        "https://api.example.com/orders/{order_id}"
    );
    assert_eq!(tool.headers.len(), 1);
    assert_eq!(tool.headers[0].0.as_str(), "authorization");
    let Text::Fixed(value) = &tool.headers[0].1 else {
        panic!("a fixed header");
    };
    assert_eq!(value.expose(), format!("Bearer {SECRET}"));
    assert_eq!(
        toolbox.definitions(),
        &[json!({
            "type": "function",
            "function": {
                "name": "get_order",
                "description": "Look up the status of an order by its number.",
                "parameters": {
                    "type": "object",
                    "required": ["order_id"],
                    "properties": {
                        "order_id": {
                            "type": "string",
                            "description": "The order number, like A17."
                        }
                    }
                }
            }
        })]
    );
}

#[test]
fn tools_are_sorted_by_name_and_only_toml_files_are_read() {
    let dir = TempDir::new();
    dir.write(
        "b.toml",
        "description = \"b\"\nurl = \"http://b.example\"\n",
    );
    dir.write(
        "a-b.toml",
        "description = \"ab\"\nurl = \"http://ab.example\"\n",
    );
    dir.write(
        "a.toml",
        "description = \"a\"\nurl = \"http://a.example\"\n",
    );
    dir.write("notes.txt", "not a tool");
    dir.write("c.toml.bak", "not a tool");
    std::fs::create_dir(dir.0.join("sub.toml")).expect("mkdir");
    let toolbox = Toolbox::load(&dir.0, &env).expect("loads");
    let names: Vec<&str> = toolbox.tools().iter().map(Tool::name).collect();
    assert_eq!(names, ["a", "a-b", "b"]);
    assert_eq!(toolbox.definitions().len(), 3);
    assert_eq!(toolbox.definitions()[1]["function"]["name"], "a-b");
    assert!(toolbox.get("a-b").is_some());
    assert!(toolbox.get("c").is_none());
}

#[test]
fn a_missing_folder_is_an_empty_toolbox() {
    let dir = TempDir::new();
    let toolbox = Toolbox::load(&dir.0.join("nope"), &env).expect("empty");
    assert!(toolbox.is_empty());
}

#[test]
fn defaults_apply_when_fields_are_absent() {
    let tool = parse(
        "ping",
        "description = \"Ping.\"\nurl = \"https://x.example/ping\"\n",
    )
    .expect("loads");
    assert_eq!(tool.method(), "GET");
    assert_eq!(tool.timeout(), Duration::from_millis(5000));
    assert_eq!(tool.say_while_waiting(), None);
    assert!(!tool.mutating());
    assert_eq!(
        tool.parameters(),
        &json!({"type": "object", "properties": {}})
    );
    let blank = parse(
        "ping",
        "description = \"Ping.\"\nurl = \"https://x.example\"\nsay_while_waiting = \"  \"\n",
    )
    .expect("loads");
    assert_eq!(blank.say_while_waiting(), None);
}

#[test]
fn mutating_defaults_by_method_and_can_be_set() {
    let base = "description = \"d\"\nurl = \"https://x.example\"\n";
    for (method, expected) in [
        ("get", false),
        ("POST", true),
        ("put", true),
        ("Patch", true),
        ("DELETE", true),
    ] {
        let tool = parse("t", &format!("{base}method = \"{method}\"\n")).expect("loads");
        assert_eq!(tool.mutating(), expected, "{method}");
        assert_eq!(tool.method(), method.to_ascii_uppercase());
    }
    let post = parse("t", &format!("{base}method = \"POST\"\nmutating = false\n")).expect("loads");
    assert!(!post.mutating());
    let get = parse("t", &format!("{base}mutating = true\n")).expect("loads");
    assert!(get.mutating());
}

#[test]
fn static_arguments_are_removed_from_the_schema() {
    let tool = parse(
        "create_ticket",
        r#"
description = "Open a ticket."
method = "POST"
url = "https://x.example/{tenant}/tickets"
[static]
tenant = "acme"
api_key = "${ORDERS_API_KEY}"
[parameters]
type = "object"
required = ["tenant", "subject"]
[parameters.properties.tenant]
type = "string"
[parameters.properties.subject]
type = "string"
"#,
    )
    .expect("loads");
    assert_eq!(
        tool.parameters(),
        &json!({
            "type": "object",
            "required": ["subject"],
            "properties": {"subject": {"type": "string"}}
        })
    );
    assert_eq!(tool.statics["tenant"], "acme");
    assert_eq!(tool.statics["api_key"], SECRET);
    let only_static = parse(
        "t",
        r#"
description = "d"
url = "https://x.example"
[static]
tenant = "acme"
[parameters]
type = "object"
required = ["tenant"]
properties = { tenant = { type = "string" } }
"#,
    )
    .expect("loads");
    assert_eq!(
        only_static.parameters(),
        &json!({"type": "object", "properties": {}})
    );
}

#[test]
fn a_bad_file_name_is_rejected() {
    let dir = TempDir::new();
    dir.write(
        "bad name.toml",
        "description = \"d\"\nurl = \"https://x.example\"\n",
    );
    let e = Toolbox::load(&dir.0, &env).expect_err("bad name");
    assert!(e.to_string().contains("bad name.toml"), "{e}");
    assert!(e.to_string().contains("must be 1 to 64 letters"), "{e}");
    assert!(e.field.is_empty());
    let long = "x".repeat(65);
    assert!(parse(&long, "description = \"d\"\nurl = \"https://x.example\"\n").is_err());
    assert!(parse(
        &"x".repeat(64),
        "description = \"d\"\nurl = \"https://x.example\"\n"
    )
    .is_ok());
}

const SHOW_TEXT: &str = r#"
client = true
description = "Show a short text on the caller's screen."
say_while_waiting = "I'm putting it on your screen."
[parameters]
type = "object"
required = ["text"]
[parameters.properties.title]
type = "string"
[parameters.properties.text]
type = "string"
"#;

#[test]
fn a_client_tool_loads_without_a_url() {
    let tool = parse("show_text", SHOW_TEXT).expect("loads");
    assert!(tool.client());
    assert!(!tool.mutating());
    assert_eq!(tool.timeout(), Duration::from_millis(10_000));
    assert_eq!(tool.url_template(), "");
    assert_eq!(
        tool.say_while_waiting(),
        Some("I'm putting it on your screen.")
    );
    assert_eq!(tool.parameters()["required"], json!(["text"]));
    let faster = parse("show_text", &format!("timeout_ms = 300\n{SHOW_TEXT}")).expect("loads");
    assert_eq!(faster.timeout(), Duration::from_millis(300));
    let http = parse("get_order", GET_ORDER).expect("loads");
    assert!(!http.client());
    let not_client = parse(
        "x",
        "client = false\ndescription = \"d\"\nurl = \"https://x.example\"\n",
    )
    .expect("loads");
    assert!(!not_client.client());
}

#[test]
fn a_client_tool_with_http_fields_names_the_field() {
    for (line, field) in [
        ("url = \"https://x.example\"\n", "url"),
        ("method = \"POST\"\n", "method"),
        ("mutating = true\n", "mutating"),
        ("[headers]\nX-A = \"b\"\n", "headers"),
        ("[static]\nkey = \"v\"\n", "static"),
    ] {
        let text = format!("client = true\ndescription = \"d\"\n{line}");
        let e = parse("show_text", &text).expect_err(field);
        assert_eq!(e.field, field);
        assert!(
            e.to_string()
                .starts_with(&format!("tools/show_text.toml: {field}: a client tool")),
            "{e}"
        );
    }
    assert_eq!(
        parse_err("x", "client = \"yes\"\ndescription = \"d\"\n"),
        "tools/x.toml: client: must be true or false"
    );
}

#[test]
fn end_call_is_reserved() {
    let e = parse_err(
        "end_call",
        "description = \"d\"\nurl = \"https://x.example\"\n",
    );
    assert_eq!(
        e,
        "tools/end_call.toml: the name end_call is reserved for the built-in tool that ends the call"
    );
}

#[test]
fn missing_and_malformed_fields_are_named() {
    assert_eq!(
        parse_err("x", "url = \"https://x.example\"\n"),
        "tools/x.toml: description: missing"
    );
    assert_eq!(
        parse_err("x", "description = \" \"\nurl = \"https://x.example\"\n"),
        "tools/x.toml: description: must not be empty"
    );
    assert_eq!(
        parse_err("x", "description = 3\nurl = \"https://x.example\"\n"),
        "tools/x.toml: description: must be a string"
    );
    assert_eq!(
        parse_err("x", "description = \"d\"\n"),
        "tools/x.toml: url: missing"
    );
    let base = "description = \"d\"\nurl = \"https://x.example\"\n";
    assert_eq!(
        parse_err("x", &format!("{base}method = \"HEAD\"\n")),
        "tools/x.toml: method: \"HEAD\" is not one of GET, POST, PUT, PATCH, DELETE"
    );
    for bad in ["0", "120001", "-5", "\"3000\"", "2.5"] {
        let e = parse_err("x", &format!("{base}timeout_ms = {bad}\n"));
        assert!(e.starts_with("tools/x.toml: timeout_ms: must be"), "{e}");
    }
    assert!(parse("x", &format!("{base}timeout_ms = 120000\n")).is_ok());
    assert_eq!(
        parse_err("x", &format!("{base}mutating = \"yes\"\n")),
        "tools/x.toml: mutating: must be true or false"
    );
    assert_eq!(
        parse_err("x", &format!("{base}[headers]\nX-Count = 3\n")),
        "tools/x.toml: headers.X-Count: must be a string"
    );
    assert_eq!(
        parse_err("x", &format!("{base}[headers]\n\"Bad Name\" = \"v\"\n")),
        "tools/x.toml: headers.Bad Name: not a valid HTTP header name"
    );
}

#[test]
fn urls_must_be_http_and_well_formed() {
    let ok = |url: &str| parse("x", &format!("description = \"d\"\nurl = \"{url}\"\n"));
    assert!(ok("http://127.0.0.1:8080/a/{id}?q={q}").is_ok());
    assert!(ok("${BASE}/orders/{id}").is_ok());
    for (url, problem) in [
        ("ftp://x.example/", "must start with http:// or https://"),
        ("x.example/orders", "not a valid URL"),
        ("https://x.example/{id", "has no closing }"),
        ("https://x.example/{a b}", "is not a valid placeholder"),
        ("https://x.example/${NOPE}", "${NOPE} is not set"),
    ] {
        let e = ok(url).expect_err(url).to_string();
        assert!(e.starts_with("tools/x.toml: url: "), "{e}");
        assert!(e.contains(problem), "{url}: {e}");
    }
    let tool = ok("${BASE}/orders/{id}").expect("loads");
    assert_eq!(tool.url_template(), "${BASE}/orders/{id}");
    assert!(matches!(tool.url, ToolUrl::Parts(_)));
    let parts = tool
        .url_parts(&CallContext::default(), &Now::utc())
        .expect("fixed parts");
    assert_eq!(placeholders(&parts).collect::<Vec<_>>(), ["id"]);
}

const CRM: &str = r#"
description = "Look up the caller's account."
url = "https://crm.example.com/accounts/{{ metadata.account_id }}/orders/{order_id}"
[headers]
Authorization = "Bearer ${CRM_KEY}"
X-Caller = "{{ from_phone_number | default('web') }}"
[static]
agent = "{{ agent }}"
conversation = "{{ conversation_id }}"
tenant = "acme"
[parameters]
type = "object"
required = ["order_id"]
[parameters.properties.order_id]
type = "string"
"#;

#[test]
fn the_templated_example_loads() {
    let tool = parse("crm", CRM).expect("loads");
    assert_eq!(
        tool.url_template(),
        "https://crm.example.com/accounts/{{ metadata.account_id }}/orders/{order_id}"
    );
    assert!(matches!(tool.url, ToolUrl::Template(_)));
    let kinds: Vec<(&str, bool)> = tool
        .headers
        .iter()
        .map(|(name, text)| (name.as_str(), matches!(text, Text::Template(_))))
        .collect();
    assert_eq!(kinds, [("authorization", false), ("x-caller", true)]);
    let Text::Fixed(key) = &tool.headers[0].1 else {
        panic!("a fixed header");
    };
    assert_eq!(key.expose(), format!("Bearer {SECRET}"));
    let templated: Vec<&str> = tool
        .static_templates
        .iter()
        .map(|(key, _)| key.as_str())
        .collect();
    assert_eq!(templated, ["agent", "conversation"]);
    assert_eq!(
        tool.parameters(),
        &json!({
            "type": "object",
            "required": ["order_id"],
            "properties": {"order_id": {"type": "string"}}
        })
    );
    let sample = CallContext::sample("sales");
    let parts = tool.url_parts(&sample, &Now::utc()).expect("renders");
    assert_eq!(placeholders(&parts).collect::<Vec<_>>(), ["order_id"]);
    let args = tool
        .arguments(r#"{"order_id": "A1"}"#, &sample, &Now::utc())
        .expect("valid");
    assert_eq!(args["agent"], "sales");
    assert_eq!(args["conversation"], "conv_sample");
    assert_eq!(args["tenant"], "acme");
}

#[test]
fn a_template_that_does_not_compile_names_the_file_and_field() {
    let e = parse(
        "crm",
        &CRM.replace("{{ from_phone_number | default('web') }}", "{{ x "),
    )
    .expect_err("a broken header template");
    assert_eq!(e.field, "headers.X-Caller");
    let text = e.to_string();
    assert!(
        text.starts_with("tools/crm.toml: headers.X-Caller: line 1: "),
        "{text}"
    );

    let e = parse("crm", &CRM.replace("{{ metadata.account_id }}", "{% if %}"))
        .expect_err("a broken URL template");
    assert_eq!(e.field, "url");
    assert!(
        e.to_string().starts_with("tools/crm.toml: url: line 1: "),
        "{e}"
    );

    let e = parse("crm", &CRM.replace("{{ agent }}", "{{ agent | nope }}"))
        .expect_err("an unknown filter");
    assert_eq!(e.field, "static.agent");
    assert!(e.problem.starts_with("line 1: "), "{e}");
    assert!(e.problem.contains("nope"), "{e}");
}

#[test]
fn a_url_template_is_checked_with_sample_values() {
    let ok = |url: &str| parse("x", &format!("description = \"d\"\nurl = \"{url}\"\n"));
    assert!(ok("https://x.example/{{ agent }}/{id}?q={q}").is_ok());
    assert!(ok("${BASE}/{{ metadata.account_id }}").is_ok());
    for (url, problem) in [
        (
            "ftp://x.example/{{ agent }}",
            "must start with http:// or https://",
        ),
        ("{{ agent }}/orders", "not a valid URL"),
        ("https://x.example/{{ agent }}/{id", "has no closing }"),
        (
            "https://x.example/{{ agent }}/{a b}",
            "is not a valid placeholder",
        ),
        (
            "https://x.example/${NOPE}/{{ agent }}",
            "${NOPE} is not set",
        ),
    ] {
        let e = ok(url).expect_err(url).to_string();
        assert!(e.starts_with("tools/x.toml: url: "), "{e}");
        assert!(e.contains(problem), "{url}: {e}");
    }
    let tool = ok("${BASE}/{{ agent }}").expect("loads");
    assert_eq!(tool.url_template(), "${BASE}/{{ agent }}");
    assert!(!format!("{tool:?}").contains("base.example.com"));
}

#[test]
fn a_template_may_come_from_a_variable_and_text_without_syntax_stays_fixed() {
    let env = |name: &str| (name == "CALLER").then(|| "{{ agent }}".to_string());
    let text = "description = \"d\"\nurl = \"https://x.example/a\"\n[headers]\nX-A = \"${CALLER}\"\nX-B = \"{x} }} {\"\n";
    let tool = parse_tool(Path::new("tools/x.toml"), "x", text, &env).expect("loads");
    assert!(matches!(tool.headers[0].1, Text::Template(_)));
    assert!(matches!(tool.headers[1].1, Text::Fixed(_)));
    assert!(matches!(tool.url, ToolUrl::Parts(_)));
}

#[test]
fn bad_toml_names_the_file_and_line() {
    let e = parse_err(
        "x",
        "description = \"d\"\nurl = \"https://x.example\"\nheaders = [\n",
    );
    assert!(
        e.starts_with("tools/x.toml: not valid TOML: line 4, column 1: "),
        "{e}"
    );
    assert!(!e.contains('\n'), "{e}");
    let e = parse_err(
        "x",
        "description = \"d\"\nAuthorization = \"Bearer sk-abc\" x\n",
    );
    assert!(
        e.starts_with("tools/x.toml: not valid TOML: line 2, column"),
        "{e}"
    );
    assert!(!e.contains("sk-abc"), "the file's text is not quoted: {e}");
}

#[test]
fn an_unset_variable_names_the_header_and_variable_only() {
    let text = GET_ORDER.replace("ORDERS_API_KEY", "MISSING_KEY");
    assert_eq!(
        parse_err("get_order", &text),
        "tools/get_order.toml: headers.Authorization: ${MISSING_KEY} is not set"
    );
    let empty = GET_ORDER.replace("ORDERS_API_KEY", "EMPTY");
    assert_eq!(
        parse_err("get_order", &empty),
        "tools/get_order.toml: headers.Authorization: ${EMPTY} is not set"
    );
    let static_unset =
        "description = \"d\"\nurl = \"https://x.example\"\n[static]\nkey = \"${NOPE}\"\n";
    assert_eq!(
        parse_err("x", static_unset),
        "tools/x.toml: static.key: ${NOPE} is not set"
    );
}

#[test]
fn a_header_value_that_is_no_valid_header_keeps_the_secret_out() {
    let env_with_newline = |name: &str| (name == "K").then(|| "line1\nsecret-part".to_string());
    let text = "description = \"d\"\nurl = \"https://x.example\"\n[headers]\nX-Key = \"${K}\"\n";
    let e = parse_tool(Path::new("tools/x.toml"), "x", text, &env_with_newline)
        .expect_err("invalid header value")
        .to_string();
    assert!(e.starts_with("tools/x.toml: headers.X-Key: not a valid HTTP header value"));
    assert!(!e.contains("secret-part"));
}

#[test]
fn a_lone_dollar_stays_as_written() {
    assert_eq!(
        resolve_env("cost $5 and $ {x}", &env).as_deref(),
        Ok("cost $5 and $ {x}")
    );
    assert_eq!(
        resolve_env("Bearer ${ORDERS_API_KEY}!", &env).as_deref(),
        Ok(format!("Bearer {SECRET}!").as_str())
    );
    assert_eq!(resolve_env("é$", &env).as_deref(), Ok("é$"));
    assert!(resolve_env("${1X}", &env).is_err());
    assert!(resolve_env("${X", &env).is_err());
}

#[test]
fn an_invalid_schema_is_rejected() {
    let base = "description = \"d\"\nurl = \"https://x.example\"\n";
    let e = parse_err(
        "x",
        &format!("{base}[parameters]\ntype = \"object\"\n[parameters.properties.id]\ntype = 17\n"),
    );
    assert!(
        e.starts_with("tools/x.toml: parameters: not a valid JSON Schema: "),
        "{e}"
    );
    let e = parse_err("x", &format!("{base}[parameters]\ntype = \"array\"\n"));
    assert_eq!(e, "tools/x.toml: parameters.type: must be \"object\"");
    let e = parse_err("x", &format!("{base}[parameters]\nproperties = {{}}\n"));
    assert_eq!(e, "tools/x.toml: parameters.type: must be \"object\"");
    let e = parse_err("x", &format!("{base}parameters = \"object\"\n"));
    assert_eq!(
        e,
        "tools/x.toml: parameters: must be a table (a JSON Schema)"
    );
}

#[test]
fn an_unknown_field_is_named() {
    let e = parse_err(
        "x",
        "descripton = \"d\"\ndescription = \"d\"\nurl = \"https://x.example\"\n",
    );
    assert!(
        e.starts_with("tools/x.toml: descripton: unknown field"),
        "{e}"
    );
}

#[test]
fn debug_does_not_show_secrets() {
    let text = GET_ORDER.replace("[headers]", "url_extra_is_not_a_field = false\n[headers]");
    assert!(parse("get_order", &text).is_err());
    let with_static = format!(
        "{}\n[static]\ntoken = \"${{ORDERS_API_KEY}}\"\n",
        GET_ORDER.replace(
            "orders/{order_id}",
            "orders/{order_id}?key=${ORDERS_API_KEY}"
        )
    );
    // [static] after [parameters.properties.order_id] starts a new table, as intended.
    let tool = parse("get_order", &with_static).expect("loads");
    let debug = format!("{tool:?}");
    assert!(!debug.contains(SECRET), "{debug}");
    assert!(debug.contains("authorization"), "{debug}");
    assert!(debug.contains("token"), "{debug}");
    let toolbox = Toolbox::from_tools(vec![tool]);
    assert!(!format!("{toolbox:?}").contains(SECRET));
}

#[test]
fn follow_redirects_is_never_or_same_origin_and_only_for_http_tools() {
    let base = "description = \"d\"\nurl = \"https://x.example\"\n";
    let never = parse("x", base).expect("valid");
    assert!(!never.follows_same_origin_redirects(), "none by default");
    let same = parse("x", &format!("{base}follow_redirects = \"same-origin\"\n")).expect("valid");
    assert!(same.follows_same_origin_redirects());
    let e = parse_err("x", &format!("{base}follow_redirects = \"always\"\n"));
    assert!(
        e.contains("follow_redirects: must be \"never\" or \"same-origin\""),
        "{e}"
    );
    let e = parse_err(
        "x",
        "description = \"d\"\nclient = true\nfollow_redirects = \"same-origin\"\n",
    );
    assert!(e.contains("follow_redirects"), "{e}");
}
