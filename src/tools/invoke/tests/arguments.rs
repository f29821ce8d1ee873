//! The model's argument string checked, `[static]` applied, URL placeholders filled.

use super::*;

#[test]
fn empty_arguments_are_an_empty_object() {
    let t = tool("description = \"d\"\nurl = \"https://x.example\"\n");
    assert_eq!(t.arguments("", &ctx(), &Now::utc()), Ok(Map::new()));
    assert_eq!(t.arguments("  \n", &ctx(), &Now::utc()), Ok(Map::new()));
    assert_eq!(t.arguments("{}", &ctx(), &Now::utc()), Ok(Map::new()));
}

#[test]
fn arguments_must_be_a_json_object() {
    let t = tool("description = \"d\"\nurl = \"https://x.example\"\n");
    let e = t
        .arguments("{\"a\": ", &ctx(), &Now::utc())
        .expect_err("invalid");
    assert!(e.starts_with("arguments are not valid JSON: "), "{e}");
    assert_eq!(
        t.arguments("[1, 2]", &ctx(), &Now::utc()),
        Err("arguments must be a JSON object, not an array".to_string())
    );
    assert_eq!(
        t.arguments("\"x\"", &ctx(), &Now::utc()),
        Err("arguments must be a JSON object, not a string".to_string())
    );
    let long = format!("{{\"a\": \"{}", "x".repeat(1000));
    assert!(
        t.arguments(&long, &ctx(), &Now::utc())
            .expect_err("invalid")
            .chars()
            .count()
            <= 301
    );
}

#[test]
fn arguments_are_checked_against_the_schema() {
    let t = get_order("https://x.example/orders/{order_id}");
    assert_eq!(
        t.arguments("{}", &ctx(), &Now::utc()),
        Err("arguments do not match the schema: \"order_id\" is a required property".into())
    );
    let e = t
        .arguments(r#"{"order_id": 17}"#, &ctx(), &Now::utc())
        .expect_err("wrong type");
    assert!(
        e.starts_with("arguments do not match the schema: at /order_id: 17"),
        "{e}"
    );
    assert!(!e.contains(KEY));
    let ok = t
        .arguments(
            r#"{"order_id": "A17", "verbose": true}"#,
            &ctx(),
            &Now::utc(),
        )
        .expect("valid");
    assert_eq!(ok["order_id"], "A17");
    assert_eq!(ok["verbose"], true);
}

#[test]
fn static_arguments_override_the_model() {
    let t = tool(
        r#"
description = "d"
method = "POST"
url = "https://x.example/{tenant}/tickets"
[static]
tenant = "acme"
token = "${API_KEY}"
[parameters]
type = "object"
additionalProperties = false
required = ["subject"]
properties = { subject = { type = "string" }, tenant = { type = "string" } }
"#,
    );
    let args = t
        .arguments(
            r#"{"subject": "help", "tenant": "evil", "token": "mine"}"#,
            &ctx(),
            &Now::utc(),
        )
        .expect("valid");
    assert_eq!(args["tenant"], "acme");
    assert_eq!(args["token"], KEY);
    assert_eq!(args["subject"], "help");
    let e = t
        .arguments(r#"{"subject": 3}"#, &ctx(), &Now::utc())
        .expect_err("wrong type");
    assert!(!e.contains(KEY), "{e}");
}

#[test]
fn a_url_placeholder_needs_a_value() {
    let t = tool(
        r#"
description = "d"
url = "https://x.example/orders/{order_id}"
[parameters]
type = "object"
properties = { order_id = { type = ["string", "null"] } }
"#,
    );
    let missing = Err("missing argument \"order_id\" for the URL".to_string());
    assert_eq!(t.arguments("{}", &ctx(), &Now::utc()), missing);
    assert_eq!(
        t.arguments(r#"{"order_id": null}"#, &ctx(), &Now::utc()),
        missing
    );
    assert_eq!(
        t.arguments(r#"{"order_id": ".."}"#, &ctx(), &Now::utc()),
        Err("argument \"order_id\" cannot be \".\" or \"..\" in the URL".to_string())
    );
    for value in ["", "/", "///"] {
        let args = serde_json::json!({ "order_id": value }).to_string();
        assert_eq!(
            t.arguments(&args, &ctx(), &Now::utc()),
            Err("argument \"order_id\" cannot be empty or only slashes in the URL".to_string()),
            "{value:?}"
        );
    }
    assert!(t
        .arguments(r#"{"order_id": "A17"}"#, &ctx(), &Now::utc())
        .is_ok());
    assert!(t
        .arguments(r#"{"order_id": "a/b"}"#, &ctx(), &Now::utc())
        .is_ok());
}

#[test]
fn arguments_the_schema_does_not_declare_are_dropped() {
    let t = tool(
        r#"
description = "d"
method = "POST"
url = "https://x.example/{account}/profile"
[static]
channel = "voice"
[parameters]
type = "object"
properties = { name = { type = "string" } }
"#,
    );
    let args = t
        .arguments(
            r#"{"name": "Ann", "admin": true, "account": "A1", "channel": "web"}"#,
            &ctx(),
            &Now::utc(),
        )
        .expect("valid");
    let names: Vec<&str> = args.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        ["account", "channel", "name"],
        "a placeholder and a static value are kept, `admin` is not"
    );
    assert_eq!(args["channel"], "voice");
}
