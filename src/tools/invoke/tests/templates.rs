//! URL, header and `[static]` templates rendered with the caller's context for every
//! invocation.

use super::*;

const CRM: &str = r#"
description = "Look up the caller's account."
url = "{base}/accounts/{{ metadata.account_id }}/orders/{order_id}"
[headers]
Authorization = "Bearer ${API_KEY}"
X-Caller = "{{ from_phone_number | default('web') }}"
[static]
agent = "{{ agent }}"
conversation = "{{ conversation_id }}"
[parameters]
type = "object"
required = ["order_id"]
[parameters.properties.order_id]
type = "string"
"#;

fn crm(server: &Server) -> Tool {
    tool(&CRM.replace("{base}", &server.url("")))
}

fn caller(from: Option<&str>) -> CallContext {
    let mut metadata = Map::new();
    metadata.insert("account_id".into(), Value::from("acc_7"));
    CallContext {
        metadata,
        from_phone_number: from.map(str::to_string),
        conversation_id: "conv_1".into(),
        agent: "sales".into(),
        ..CallContext::default()
    }
}

fn header<'a>(request: &'a str, name: &str) -> Option<&'a str> {
    request.lines().find_map(|line| {
        let (key, value) = line.split_once(':')?;
        key.eq_ignore_ascii_case(name).then(|| value.trim())
    })
}

#[tokio::test]
async fn templates_are_rendered_with_the_callers_context() {
    let server = Server::start(|_| answer(200, "application/json", "{}")).await;
    let t = crm(&server);
    let now = Now::utc();
    for (from, expected) in [(Some("+15550100"), "+15550100"), (None, "web")] {
        let context = caller(from);
        let args = t
            .arguments(
                r#"{"order_id": "A 17", "agent": "x", "conversation": "y"}"#,
                &context,
                &now,
            )
            .expect("valid");
        assert_eq!(args["agent"], "sales");
        assert_eq!(args["conversation"], "conv_1");
        t.call(&client(), &args, Default::default(), 1000, &context, &now)
            .await
            .expect("ok");
        let requests = server.requests();
        let request = requests.last().expect("a request");
        let target = request
            .lines()
            .next()
            .and_then(|line| line.split(' ').nth(1))
            .expect("request target");
        let (path, query) = target.split_once('?').expect("a query");
        assert_eq!(path, "/accounts/acc_7/orders/A%2017");
        let mut pairs: Vec<&str> = query.split('&').collect();
        pairs.sort_unstable();
        assert_eq!(pairs, ["agent=sales", "conversation=conv_1"]);
        assert_eq!(header(request, "x-caller"), Some(expected));
        assert_eq!(
            header(request, "authorization"),
            Some(format!("Bearer {KEY}").as_str())
        );
    }
}

#[tokio::test]
async fn a_value_in_a_url_template_cannot_change_the_urls_shape() {
    let server = Server::start(|_| answer(200, "text/plain", "ok")).await;
    let t = crm(&server);
    let now = Now::utc();
    let mut context = caller(None);
    context
        .metadata
        .insert("account_id".into(), Value::from("a/b?c#{order_id}"));
    let args = t
        .arguments(r#"{"order_id": "A17"}"#, &context, &now)
        .expect("valid");
    t.call(&client(), &args, Default::default(), 1000, &context, &now)
        .await
        .expect("ok");
    let request = &server.requests()[0];
    assert!(
        request.starts_with("GET /accounts/a%2Fb%3Fc%23%7Border_id%7D/orders/A17?"),
        "{request}"
    );

    context
        .metadata
        .insert("account_id".into(), Value::from(".."));
    let e = t
        .arguments(r#"{"order_id": "A17"}"#, &context, &now)
        .expect_err("a dot-dot segment");
    assert_eq!(e, "the URL could not be rendered for this call");
    let e = t
        .call(&client(), &args, Default::default(), 1000, &context, &now)
        .await
        .expect_err("no request");
    assert_eq!(e.kind, ToolFailureKind::Connection);
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn an_invalid_rendered_header_is_left_out() {
    let server = Server::start(|_| answer(200, "text/plain", "ok")).await;
    let t = crm(&server);
    let context = caller(Some("+1555\nX-Evil: 1"));
    let now = Now::utc();
    let args = t
        .arguments(r#"{"order_id": "A17"}"#, &context, &now)
        .expect("valid");
    t.call(&client(), &args, Default::default(), 1000, &context, &now)
        .await
        .expect("sent without the header");
    let request = &server.requests()[0];
    assert_eq!(header(request, "x-caller"), None, "{request}");
    assert_eq!(header(request, "x-evil"), None, "{request}");
    assert!(header(request, "authorization").is_some());
}

#[tokio::test]
async fn a_rendered_header_value_echoed_in_an_error_is_redacted() {
    let server =
        Server::start(|_| answer(403, "text/plain", "unknown caller +15550123456 here")).await;
    let t = crm(&server);
    let context = caller(Some("+15550123456"));
    let now = Now::utc();
    let args = t
        .arguments(r#"{"order_id": "A17"}"#, &context, &now)
        .expect("valid");
    let e = t
        .call(&client(), &args, Default::default(), 1000, &context, &now)
        .await
        .expect_err("403");
    assert_eq!(e.message, "HTTP 403: unknown caller [redacted] here");
}

#[tokio::test]
async fn a_missing_placeholder_makes_no_request() {
    let server = Server::start(|_| answer(200, "text/plain", "hi")).await;
    let t = get_order(&server.url("/orders/{order_id}"));
    let e = t
        .call(
            &client(),
            &Map::new(),
            Default::default(),
            100,
            &ctx(),
            &Now::utc(),
        )
        .await
        .expect_err("missing");
    assert_eq!(e.kind, ToolFailureKind::Connection);
    assert_eq!(e.message, "missing argument \"order_id\" for the URL");
    assert!(server.requests().is_empty());
}
