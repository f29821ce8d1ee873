//! The calls pages over HTTP: off without ADMIN_TOKEN (saying how to turn them on), a
//! Basic challenge without the token, and with it the page, its script and its style
//! sheet under a strict Content-Security-Policy.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;

use crate::helpers::db::sqlite_url;
use crate::helpers::*;

fn basic(token: &str) -> String {
    format!("Basic {}", STANDARD.encode(format!("admin:{token}")))
}

async fn get(app: &TestApp, path: &str, authorization: Option<&str>) -> reqwest::Response {
    let mut request = app.http.get(format!("{}{path}", app.address));
    if let Some(value) = authorization {
        request = request.header("authorization", value);
    }
    request.send().await.expect("sent")
}

fn header<'a>(response: &'a reqwest::Response, name: &str) -> &'a str {
    response
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_else(|| panic!("{name} header in {response:?}"))
}

fn assert_secured(response: &reqwest::Response) {
    let csp = header(response, "content-security-policy");
    for directive in [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "connect-src 'self'",
        "img-src 'self' data:",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ] {
        assert!(csp.contains(directive), "{directive} in {csp}");
    }
    assert!(!csp.contains("unsafe"), "{csp}");
    assert_eq!(header(response, "x-content-type-options"), "nosniff");
    assert_eq!(header(response, "referrer-policy"), "no-referrer");
    assert_eq!(header(response, "cache-control"), "no-store");
}

#[tokio::test]
async fn without_admin_token_the_calls_page_says_how_to_turn_it_on() {
    let app = spawn_app_with(&[("CALL_STORE_URL", &sqlite_url("page-off"))]).await;
    for path in ["/calls", "/calls/conv_1", "/calls/app.js"] {
        let response = get(&app, path, None).await;
        assert_eq!(response.status(), 404, "{path}");
        assert_secured(&response);
        assert!(header(&response, "content-type").starts_with("text/html"));
        let body = response.text().await.expect("text");
        assert!(body.contains("ADMIN_TOKEN"), "{body}");
        assert!(body.contains("CALL_STORE_URL"), "{body}");
    }

    // A token but no store.
    let app = spawn_app_with(&[("ADMIN_TOKEN", ADMIN)]).await;
    let response = get(&app, "/calls", Some(&basic(ADMIN))).await;
    assert_eq!(response.status(), 404);
    let body = response.text().await.expect("text");
    assert!(body.contains("no call store"), "{body}");
}

#[tokio::test]
async fn the_calls_page_asks_for_the_token_then_serves_a_page_without_inline_code() {
    let app = spawn_app_with(&[
        ("CALL_STORE_URL", &sqlite_url("page")),
        ("ADMIN_TOKEN", ADMIN),
    ])
    .await;

    for (path, authorization) in [
        ("/calls", None),
        (
            "/calls/conv_1",
            Some(basic("wrong-token-0123456789").as_str()),
        ),
        ("/calls/app.js", None),
        ("/calls/app.css", None),
    ] {
        let response = get(&app, path, authorization).await;
        assert_eq!(response.status(), 401, "{path}");
        assert_secured(&response);
        let challenge = header(&response, "www-authenticate");
        assert!(
            challenge.starts_with("Basic realm=\"voicebridge calls\""),
            "{challenge}"
        );
        let body = response.text().await.expect("text");
        assert!(!body.contains(ADMIN), "{body}");
    }

    let credentials = basic(ADMIN);
    for path in ["/calls", "/calls/conv_1?agent=default"] {
        let response = get(&app, path, Some(&credentials)).await;
        assert_eq!(response.status(), 200, "{path}");
        assert_secured(&response);
        assert_eq!(
            header(&response, "content-type"),
            "text/html; charset=utf-8"
        );
        let page = response.text().await.expect("text").to_ascii_lowercase();
        let scripts: Vec<&str> = page.split("<script").skip(1).collect();
        assert!(!scripts.is_empty(), "the page loads its script");
        for script in scripts {
            let (tag, rest) = script.split_once('>').expect("a whole tag");
            assert!(tag.contains("src=\"/calls/app.js\""), "{tag}");
            assert!(rest.starts_with("</script>"), "no inline script body");
        }
        assert!(!page.contains("<style"), "no inline style");
        assert!(page.contains("href=\"/calls/app.css\""));
    }

    let script = get(&app, "/calls/app.js", Some(&credentials)).await;
    assert_eq!(script.status(), 200);
    assert_secured(&script);
    assert_eq!(
        header(&script, "content-type"),
        "text/javascript; charset=utf-8"
    );
    assert!(script.text().await.expect("text").contains("/api/calls"));

    let style = get(&app, "/calls/app.css", Some(&credentials)).await;
    assert_eq!(style.status(), 200);
    assert_secured(&style);
    assert_eq!(header(&style, "content-type"), "text/css; charset=utf-8");

    // The API carries the same headers, its refusals too.
    let list = get(&app, "/api/calls", Some(&format!("Bearer {ADMIN}"))).await;
    assert_eq!(list.status(), 200);
    assert_secured(&list);
    let refused = get(&app, "/api/calls/nope", None).await;
    assert_eq!(refused.status(), 401);
    assert_secured(&refused);
    let missing = get(&app, "/api/calls/nope", Some(&format!("Bearer {ADMIN}"))).await;
    assert_eq!(missing.status(), 404);
    assert_secured(&missing);
    let bad_cursor = get(
        &app,
        "/api/calls?cursor=yesterday",
        Some(&format!("Bearer {ADMIN}")),
    )
    .await;
    assert_eq!(bad_cursor.status(), 400, "a client's mistake, not a 500");
    assert_secured(&bad_cursor);
}
