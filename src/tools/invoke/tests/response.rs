//! What the model reads: a short failure for a non-2xx status, secrets redacted from any
//! answer, a long body cut, an empty one named.

use super::*;

#[tokio::test]
async fn a_non_2xx_status_is_a_short_failure() {
    let server = Server::start(|i| match i {
        0 => answer(404, "application/json", "{\"error\":\"no such order\"}\n"),
        1 => answer(503, "text/html", "<html>busy</html>"),
        _ => answer(500, "text/plain", "x".repeat(5000)),
    })
    .await;
    let t = get_order(&server.url("/orders/{order_id}"));
    let args = t
        .arguments(r#"{"order_id": "A17"}"#, &ctx(), &Now::utc())
        .expect("valid");
    let e = t
        .call(
            &client(),
            &args,
            Default::default(),
            1000,
            &ctx(),
            &Now::utc(),
        )
        .await
        .expect_err("404");
    assert_eq!(
        e,
        ToolFailure {
            kind: ToolFailureKind::Status,
            message: "HTTP 404: {\"error\":\"no such order\"}".into()
        }
    );
    let e = t
        .call(
            &client(),
            &args,
            Default::default(),
            1000,
            &ctx(),
            &Now::utc(),
        )
        .await
        .expect_err("503");
    assert_eq!(e.message, "HTTP 503");
    let e = t
        .call(
            &client(),
            &args,
            Default::default(),
            1000,
            &ctx(),
            &Now::utc(),
        )
        .await
        .expect_err("500");
    assert_eq!(e.message, format!("HTTP 500: {}…", "x".repeat(200)));
}

#[tokio::test]
async fn an_error_body_echoing_a_header_value_is_redacted() {
    let server = Server::start(|i| match i {
        0 => answer(401, "text/plain", format!("bad token: {KEY}")),
        _ => answer(
            400,
            "application/json",
            format!("{{\"got\":\"Bearer {KEY}\"}}"),
        ),
    })
    .await;
    let t = get_order(&server.url("/orders/{order_id}"));
    let args = t
        .arguments(r#"{"order_id": "A17"}"#, &ctx(), &Now::utc())
        .expect("valid");
    let e = t
        .call(
            &client(),
            &args,
            Default::default(),
            1000,
            &ctx(),
            &Now::utc(),
        )
        .await
        .expect_err("401");
    assert_eq!(e.message, "HTTP 401: bad token: [redacted]");
    let e = t
        .call(
            &client(),
            &args,
            Default::default(),
            1000,
            &ctx(),
            &Now::utc(),
        )
        .await
        .expect_err("400");
    assert_eq!(e.message, "HTTP 400: {\"got\":\"[redacted]\"}");
}

#[tokio::test]
async fn a_secret_in_the_url_or_static_values_echoed_back_is_redacted() {
    let server = Server::start(|i| match i {
        0 => answer(
            400,
            "application/json",
            format!("{{\"error\":\"bad request\",\"url\":\"/x?api_key={KEY}\"}}"),
        ),
        _ => answer(
            200,
            "application/json",
            format!("{{\"echo\":{{\"token\":\"{KEY}-{KEY}\",\"id\":\"A17\"}}}}"),
        ),
    })
    .await;
    let t = tool(&format!(
        "description = \"d\"\nmethod = \"POST\"\nurl = \"{}?api_key=${{API_KEY}}\"\n\
         [static]\ntoken = \"${{API_KEY}}-${{API_KEY}}\"\n",
        server.url("/x")
    ));
    let args = t.arguments("{}", &ctx(), &Now::utc()).expect("valid");
    let e = t
        .call(
            &client(),
            &args,
            Default::default(),
            1000,
            &ctx(),
            &Now::utc(),
        )
        .await
        .expect_err("400");
    assert_eq!(
        e.message,
        "HTTP 400: {\"error\":\"bad request\",\"url\":\"/x?api_key=[redacted]\"}"
    );
    let body = t
        .call(
            &client(),
            &args,
            Default::default(),
            1000,
            &ctx(),
            &Now::utc(),
        )
        .await
        .expect("200");
    assert_eq!(
        body, "{\"echo\":{\"token\":\"[redacted]-[redacted]\",\"id\":\"A17\"}}",
        "a success body echoing a static secret"
    );
}

#[test]
fn a_secret_is_also_redacted_as_the_request_encodes_it() {
    let t = tool("description = \"d\"\nurl = \"http://127.0.0.1:9/x?t=${WEIRD_TOKEN}\"\n");
    let kept: Vec<&str> = t.secrets.iter().map(Secret::expose).collect();
    assert_eq!(
        kept,
        [
            "abc-def_ghi%3D%3D%2Fx%20y",
            "abc-def_ghi%3D%3D%2Fx+y",
            "abc-def_ghi==/x y"
        ],
        "as written, in a path segment and in a query"
    );
}

#[test]
fn only_secret_looking_or_query_values_are_kept_for_redaction() {
    let t = tool(
        "description = \"d\"\nmethod = \"POST\"\n\
         url = \"${API_BASE}/stores/${STORE_ID}?k=${STORE_ID}\"\n\
         [static]\nstore = \"${STORE_ID}\"\nkey = \"${API_KEY}\"\n",
    );
    let kept: Vec<&str> = t.secrets.iter().map(Secret::expose).collect();
    // STORE_ID is in the query (so kept); API_BASE only makes up the host (not kept);
    // API_KEY is named as a secret (its encodings are the same text).
    assert_eq!(kept, ["sk-test-secret-987", "12345678"]);
    let plain = tool(
        "description = \"d\"\nmethod = \"POST\"\nurl = \"${API_BASE}/stores/${STORE_ID}\"\n\
         [static]\nstore = \"${STORE_ID}\"\n",
    );
    assert!(
        plain.secrets.is_empty(),
        "ids and base URLs are repeated as they are"
    );
    // A GET sends its static values in the query: kept.
    let get = tool(
        "description = \"d\"\nurl = \"${API_BASE}/stores\"\n[static]\nstore = \"${STORE_ID}\"\n",
    );
    let kept: Vec<&str> = get.secrets.iter().map(Secret::expose).collect();
    assert_eq!(kept, ["12345678"]);
}

#[tokio::test]
async fn a_long_body_is_cut_at_max_chars() {
    let server = Server::start(|i| match i {
        0 => answer(200, "text/plain", "é".repeat(50)),
        _ => answer(200, "text/plain", vec![b'a'; 2_000_000]),
    })
    .await;
    let t = tool(&format!(
        "description = \"d\"\nurl = \"{}\"\n",
        server.url("/big")
    ));
    let result = t
        .call(
            &client(),
            &Map::new(),
            Default::default(),
            10,
            &ctx(),
            &Now::utc(),
        )
        .await
        .expect("ok");
    assert_eq!(
        result,
        format!(
            "{}\n[cut: the result was longer than 10 characters]",
            "é".repeat(10)
        )
    );
    let result = t
        .call(
            &client(),
            &Map::new(),
            Default::default(),
            100,
            &ctx(),
            &Now::utc(),
        )
        .await
        .expect("ok");
    assert_eq!(
        result,
        format!(
            "{}\n[cut: the result was longer than 100 characters]",
            "a".repeat(100)
        )
    );
}

#[tokio::test]
async fn an_empty_body_says_so() {
    let server = Server::start(|i| match i {
        0 => answer(204, "", ""),
        _ => answer(200, "application/json", ""),
    })
    .await;
    let t = tool(&format!(
        "description = \"d\"\nmethod = \"DELETE\"\nurl = \"{}\"\n",
        server.url("/orders/{id}")
    ));
    let mut args = Map::new();
    args.insert("id".into(), Value::from(7));
    args.insert("reason".into(), Value::from("dup"));
    let result = t
        .call(
            &client(),
            &args,
            Default::default(),
            100,
            &ctx(),
            &Now::utc(),
        )
        .await
        .expect("ok");
    assert_eq!(result, "OK (HTTP 204, no content)");
    assert!(server.requests()[0].starts_with("DELETE /orders/7?reason=dup HTTP/1.1"));
    let result = t
        .call(
            &client(),
            &args,
            Default::default(),
            100,
            &ctx(),
            &Now::utc(),
        )
        .await
        .expect("ok");
    assert_eq!(result, "OK (HTTP 200, no content)");
}

#[tokio::test]
async fn a_key_straddling_a_cut_leaves_no_beginning_of_it() {
    let server = Server::start(|i| match i {
        0 => answer(200, "text/plain", format!("{}{KEY} more", "x".repeat(95))),
        1 => answer(400, "text/plain", format!("{}{KEY} more", "y".repeat(190))),
        _ => answer(400, "text/plain", format!("{}{KEY} more", " ".repeat(1015))),
    })
    .await;
    let t = get_order(&server.url("/orders/{order_id}"));
    let args = t
        .arguments(r#"{"order_id": "A17"}"#, &ctx(), &Now::utc())
        .expect("valid");
    let (http, context, now) = (client(), ctx(), Now::utc());
    let call = || t.call(&http, &args, Default::default(), 100, &context, &now);
    let body = call().await.expect("200");
    assert_eq!(
        body,
        format!(
            "{}[reda\n[cut: the result was longer than 100 characters]",
            "x".repeat(95)
        )
    );
    let e = call().await.expect_err("400");
    assert_eq!(
        e.message,
        format!("HTTP 400: {}[redacted]…", "y".repeat(190))
    );
    let e = call().await.expect_err("400, read up to its cap");
    assert_eq!(
        e.message, "HTTP 400: [redacted]",
        "9 bytes of the key were read"
    );
}

#[tokio::test]
async fn a_redirect_is_a_failure_naming_its_status() {
    let server = Server::start(|_| answer(302, "text/plain", "go to http://elsewhere/")).await;
    let t = get_order(&server.url("/orders/{order_id}"));
    let args = t
        .arguments(r#"{"order_id": "A17"}"#, &ctx(), &Now::utc())
        .expect("valid");
    // The tools' client follows no redirect (`turn::ToolSet`); the answer is read as is.
    let http = reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let e = t
        .call(&http, &args, Default::default(), 100, &ctx(), &Now::utc())
        .await
        .expect_err("302");
    assert_eq!(
        e,
        ToolFailure {
            kind: ToolFailureKind::Status,
            message: "HTTP 302 (redirects are not followed)".into()
        }
    );
}
