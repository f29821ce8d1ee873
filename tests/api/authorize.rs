//! `/authorize` against a local fake of Layercode's REST API, and the voice page.

use serde_json::{json, Value};

use crate::helpers::fake_upstream::{FakeUpstream, Reply};
use crate::helpers::*;

const SESSION: &str = r#"{"client_session_key":"csk_123","conversation_id":"conv_9","config":{"transcription":{"trigger":"automatic","can_interrupt":true},"vad":{"enabled":true}}}"#;

/// The app with a fake Layercode API and these extra settings.
async fn app_with_layercode(extra: &[(&str, &str)]) -> (TestApp, FakeUpstream) {
    let layercode = FakeUpstream::start().await;
    let base = layercode.base_url.trim_end_matches("/v1").to_string();
    let mut vars = vec![
        ("LAYERCODE_API_BASE", base.as_str()),
        ("LAYERCODE_API_KEY", "lc_key_test"),
        ("LAYERCODE_AGENT_ID", "agent_from_config"),
    ];
    vars.extend_from_slice(extra);
    (spawn_app_with(&vars).await, layercode)
}

impl TestApp {
    async fn authorize(&self, body: Value, headers: &[(&str, &str)]) -> reqwest::Response {
        let mut request = self
            .http
            .post(format!("{}/authorize", self.address))
            .json(&body);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        request.send().await.expect("sent")
    }
}

async fn error_of(response: reqwest::Response) -> String {
    let body: Value = response.json().await.expect("JSON error");
    body["error"].as_str().expect("error string").to_string()
}

#[tokio::test]
async fn layercodes_answer_passes_through_with_a_resume_token() {
    let (app, layercode) = app_with_layercode(&[]).await;
    layercode.enqueue(Reply::status(200, SESSION));
    let page_body =
        json!({"agent_id": "agent_from_config", "metadata": {}, "sdk_version": "2.8.10"});
    let response = app.authorize(page_body, &[]).await;
    assert_eq!(response.status(), 200);
    let mut answer: Value = response.json().await.expect("JSON");
    let token = answer
        .as_object_mut()
        .and_then(|a| a.remove("resume_token"))
        .expect("a resume token");
    assert!(token.as_str().is_some_and(|t| t.len() >= 40), "{token}");
    let session: Value = serde_json::from_str(SESSION).expect("JSON");
    assert_eq!(answer, session, "config and all");

    let sent = &layercode.requests()[0];
    assert_eq!(sent.path, "/v1/agents/web/authorize_session");
    assert_eq!(sent.header("authorization"), Some("Bearer lc_key_test"));
    let expected = json!({"agent_id": "agent_from_config", "sdk_version": "2.8.10"});
    assert_eq!(sent.body, expected);
}

#[tokio::test]
async fn the_browser_cannot_choose_the_agent_config_headers_or_webhook() {
    let (app, layercode) = app_with_layercode(&[]).await;
    layercode.enqueue(Reply::status(200, SESSION));
    let hostile = json!({
        "agent_id": "agent_from_page",
        "pipeline_id": "agent_from_page",
        "metadata": {"user": "ada", "account_id": "someone_else"},
        "custom_metadata": {"account_id": "someone_else"},
        "custom_headers": {"x-internal": "1"},
        "config": {"session_webhook": {"url": "https://evil.example/hook"}},
        "session_webhook": {"url": "https://evil.example/hook"},
    });
    assert_eq!(app.authorize(hostile, &[]).await.status(), 200);
    let sent = &layercode.requests()[0].body;
    let expected = json!({
        "agent_id": "agent_from_config",
        "metadata": {"untrusted": {"user": "ada", "account_id": "someone_else"}},
    });
    assert_eq!(
        sent, &expected,
        "only the server's choices and untrusted metadata"
    );
}

#[tokio::test]
async fn a_bare_conversation_id_is_refused_and_the_issued_token_resumes_it() {
    let (app, layercode) = app_with_layercode(&[]).await;
    layercode.set_default(Reply::status(200, SESSION));
    let bare = app
        .authorize(json!({"conversation_id": "conv_9"}), &[])
        .await;
    assert_eq!(bare.status(), 400);
    assert!(error_of(bare).await.contains("resume_token"));
    let forged = json!({"conversation_id": "conv_9", "resume_token": "AAAA"});
    assert_eq!(app.authorize(forged, &[]).await.status(), 400);
    assert!(layercode.requests().is_empty(), "nothing reached Layercode");

    let first: Value = app
        .authorize(json!({}), &[])
        .await
        .json()
        .await
        .expect("JSON");
    let token = first["resume_token"].as_str().expect("token").to_string();
    let resumed = json!({"conversation_id": "conv_9", "resume_token": token});
    assert_eq!(app.authorize(resumed, &[]).await.status(), 200);
    let in_query = app
        .http
        .post(format!("{}/authorize?resume_token={token}", app.address))
        .json(&json!({"conversation_id": "conv_9"}))
        .send()
        .await
        .expect("sent");
    assert_eq!(in_query.status(), 200);
    let other = json!({"conversation_id": "conv_8", "resume_token": token});
    assert_eq!(app.authorize(other, &[]).await.status(), 400);
    let sent = layercode.requests();
    assert_eq!(sent.len(), 3);
    assert_eq!(sent[1].body["conversation_id"], "conv_9");
    assert_eq!(sent[2].body["conversation_id"], "conv_9");
    assert!(sent[1].body.get("resume_token").is_none());
}

#[tokio::test]
async fn the_configured_agent_id_fills_in_and_none_at_all_is_a_400() {
    let (app, layercode) = app_with_layercode(&[]).await;
    layercode.enqueue(Reply::status(200, SESSION));
    let response = app
        .authorize(json!({"metadata": {}, "sdk_version": "2.8.10"}), &[])
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        layercode.requests()[0].body["agent_id"],
        "agent_from_config"
    );

    let (app, layercode) = app_with_layercode(&[("LAYERCODE_AGENT_ID", "")]).await;
    let response = app.authorize(json!({"metadata": {}}), &[]).await;
    assert_eq!(response.status(), 400);
    assert!(error_of(response).await.contains("agent_id"));
    assert!(layercode.requests().is_empty());
}

#[tokio::test]
async fn layercode_errors_keep_their_status_and_failures_are_502() {
    let (app, layercode) = app_with_layercode(&[]).await;
    layercode.enqueue(Reply::status(400, r#"{"error":"Invalid API key"}"#));
    layercode.enqueue(Reply::status(402, r#"{"error":"Insufficient balance"}"#));
    layercode.enqueue(Reply::status(500, r#"{"error":"boom"}"#));
    let expected = [
        (400, "Invalid API key"),
        (402, "Insufficient balance"),
        (502, "boom"),
    ];
    for (status, message) in expected {
        let response = app.authorize(json!({"agent_id": "a"}), &[]).await;
        assert_eq!(response.status(), status);
        assert!(error_of(response).await.contains(message));
    }
}

#[tokio::test]
async fn an_unreachable_layercode_is_a_502_and_a_missing_key_a_clear_500() {
    let port = free_port();
    let dead = format!("http://127.0.0.1:{port}");
    let app = spawn_app_with(&[
        ("LAYERCODE_API_BASE", &dead),
        ("LAYERCODE_API_KEY", "k"),
        ("LAYERCODE_AGENT_ID", "a"),
    ])
    .await;
    let response = app.authorize(json!({"agent_id": "a"}), &[]).await;
    assert_eq!(response.status(), 502);

    let app = spawn_app_with(&[("LAYERCODE_AGENT_ID", "a")]).await;
    let response = app.authorize(json!({"agent_id": "a"}), &[]).await;
    assert_eq!(response.status(), 500);
    assert!(error_of(response).await.contains("LAYERCODE_API_KEY"));
}

#[tokio::test]
async fn bad_and_oversized_bodies_are_refused() {
    let (app, _layercode) = app_with_layercode(&[]).await;
    let response = app
        .http
        .post(format!("{}/api/authorize", app.address))
        .body("not json")
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 400);
    let big = json!({"agent_id": "a", "metadata": {"pad": "x".repeat(20_000)}});
    assert_eq!(app.authorize(big, &[]).await.status(), 413);
}

#[tokio::test]
async fn each_client_address_is_rate_limited() {
    let (app, layercode) = app_with_layercode(&[
        ("AUTHORIZE_RATE_LIMIT_PER_MINUTE", "2"),
        ("FLY_APP_NAME", "voicebridge-test"),
    ])
    .await;
    layercode.set_default(Reply::status(200, SESSION));
    let from = |ip: &'static str| [("Fly-Client-IP", ip)];
    for _ in 0..2 {
        assert_eq!(
            app.authorize(json!({}), &from("203.0.113.9"))
                .await
                .status(),
            200
        );
    }
    let refused = app.authorize(json!({}), &from("203.0.113.9")).await;
    assert_eq!(refused.status(), 429);
    let retry_after: u64 = refused.headers()["retry-after"]
        .to_str()
        .expect("ascii")
        .parse()
        .expect("seconds");
    assert!((1..=30).contains(&retry_after), "{retry_after}");
    assert!(error_of(refused).await.contains("too many requests"));
    assert_eq!(
        app.authorize(json!({}), &from("203.0.113.10"))
            .await
            .status(),
        200
    );
    assert_eq!(
        layercode.requests().len(),
        3,
        "the refused call never reached Layercode"
    );
}

#[tokio::test]
async fn a_rotated_address_header_is_one_client_unless_the_header_is_configured() {
    let (app, layercode) = app_with_layercode(&[("AUTHORIZE_RATE_LIMIT_PER_MINUTE", "2")]).await;
    layercode.set_default(Reply::status(200, SESSION));
    let mut statuses = Vec::new();
    for n in 1..=4 {
        let forged = format!("203.0.113.{n}");
        let headers = [
            ("Fly-Client-IP", forged.as_str()),
            ("X-Forwarded-For", forged.as_str()),
        ];
        statuses.push(app.authorize(json!({}), &headers).await.status().as_u16());
    }
    assert_eq!(
        statuses,
        [200, 200, 429, 429],
        "not on Fly: the peer address counts"
    );

    let (app, layercode) = app_with_layercode(&[
        ("AUTHORIZE_RATE_LIMIT_PER_MINUTE", "1"),
        ("CLIENT_IP_HEADER", "X-Forwarded-For"),
    ])
    .await;
    layercode.set_default(Reply::status(200, SESSION));
    let via_proxy = |client_sent: &'static str| [("X-Forwarded-For", client_sent)];
    let first = app
        .authorize(json!({}), &via_proxy("1.1.1.1, 198.51.100.7"))
        .await;
    assert_eq!(first.status(), 200);
    let forged_first_hop = app
        .authorize(json!({}), &via_proxy("2.2.2.2, 198.51.100.7"))
        .await;
    assert_eq!(forged_first_hop.status(), 429, "the proxy's hop counts");
    let other = app.authorize(json!({}), &via_proxy("198.51.100.8")).await;
    assert_eq!(other.status(), 200);
}

#[tokio::test]
async fn an_access_token_protects_the_page_and_authorize() {
    let (app, layercode) = app_with_layercode(&[("ACCESS_TOKEN", "open sesame")]).await;
    layercode.set_default(Reply::status(200, SESSION));

    let refused = app.authorize(json!({}), &[]).await;
    assert_eq!(refused.status(), 401);
    assert!(error_of(refused).await.contains("access token"));
    let wrong = app
        .authorize(json!({}), &[("Authorization", "Bearer nope nope")])
        .await;
    assert_eq!(wrong.status(), 401);
    let granted = app
        .authorize(json!({}), &[("Authorization", "Bearer open sesame")])
        .await;
    assert_eq!(granted.status(), 200);

    let page = app.http.get(&app.address).send().await.expect("sent");
    assert_eq!(page.status(), 401);
    assert!(page.headers()["www-authenticate"]
        .to_str()
        .expect("ascii")
        .starts_with("Basic"));
    let page = app
        .http
        .get(&app.address)
        .basic_auth("me", Some("open sesame"))
        .send()
        .await
        .expect("sent");
    assert_eq!(page.status(), 200);
}

#[tokio::test]
async fn cors_is_granted_only_to_configured_origins() {
    let (app, layercode) =
        app_with_layercode(&[("ALLOWED_ORIGINS", "https://app.example.com")]).await;
    layercode.set_default(Reply::status(200, SESSION));
    let preflight = |origin: &'static str| {
        app.http
            .request(
                reqwest::Method::OPTIONS,
                format!("{}/authorize", app.address),
            )
            .header("Origin", origin)
            .header("Access-Control-Request-Method", "POST")
            .send()
    };
    let allowed = preflight("https://app.example.com").await.expect("sent");
    assert_eq!(
        allowed.headers()["access-control-allow-origin"],
        "https://app.example.com"
    );
    assert!(allowed.headers()["access-control-allow-methods"]
        .to_str()
        .expect("ascii")
        .contains("POST"));
    let other = preflight("https://evil.example").await.expect("sent");
    assert!(other.headers().get("access-control-allow-origin").is_none());

    let posted = app
        .authorize(json!({}), &[("Origin", "https://app.example.com")])
        .await;
    assert_eq!(
        posted.headers()["access-control-allow-origin"],
        "https://app.example.com"
    );

    let (app, _) = app_with_layercode(&[]).await;
    let posted = app
        .authorize(json!({}), &[("Origin", "https://app.example.com")])
        .await;
    assert!(
        posted
            .headers()
            .get("access-control-allow-origin")
            .is_none(),
        "no CORS by default"
    );
}

#[tokio::test]
async fn the_voice_page_is_served_with_its_configuration() {
    let (app, _) = app_with_layercode(&[]).await;
    let page = app.http.get(&app.address).send().await.expect("sent");
    assert_eq!(page.status(), 200);
    let policy = page.headers()["content-security-policy"]
        .to_str()
        .expect("ascii");
    assert!(policy.contains("frame-ancestors 'none'"), "{policy}");
    assert!(policy.contains("script-src 'sha256-"), "{policy}");
    assert!(!policy.contains("unsafe-inline"), "{policy}");
    assert_eq!(page.headers()["x-frame-options"], "DENY");
    assert!(page.headers()["content-type"]
        .to_str()
        .expect("ascii")
        .starts_with("text/html"));
    let html = page.text().await.expect("html");
    assert!(html.contains(r#""agentId":"agent_from_config""#));
    assert!(html.contains(
        "https://cdn.jsdelivr.net/npm/@layercode/js-sdk@2.8.10/dist/layercode-js-sdk.esm.js"
    ));
    assert!(html.contains("sendClientResponseText"));
}
