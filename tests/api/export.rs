//! Calls as CSV: `GET /api/calls.csv` and `voicebridge calls export`, the same rows, read
//! back cell by cell against the calls API; callers' words that look like formulas are
//! guarded; `since` filters.

use std::time::Duration;

use serde_json::Value;

use crate::helpers::binary::{run, vars};
use crate::helpers::db::sqlite_url;
use crate::helpers::fake_upstream::Reply;
use crate::helpers::*;

const ADMIN: &str = "admin-token-for-export-0123";

/// The rows of an RFC 4180 text: quoted fields may hold commas, quotes and line breaks.
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let (mut row, mut field) = (Vec::new(), String::new());
    let mut chars = text.chars().peekable();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut field)),
            (false, '\r') => {}
            (false, '\n') => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            (false, c) => field.push(c),
        }
    }
    rows
}

#[tokio::test]
async fn the_csv_export_holds_every_call_as_the_api_says_and_the_cli_writes_the_same() {
    let url = sqlite_url("export");
    let app = spawn_app_with(&[("CALL_STORE_URL", url.as_str()), ("ADMIN_TOKEN", ADMIN)]).await;
    for (conversation, said) in [
        ("conv_formula", "=SUM(1,2) and \"quotes\", then a comma"),
        ("conv_plain", "Where is my order?"),
    ] {
        app.upstream.enqueue(Reply::deltas(&["It ships tomorrow."]));
        app.turn(&message(conversation, "t1", said)).await;
    }
    let get = |path: &str, token: Option<&str>| {
        let request = app.http.get(format!("{}{path}", app.address));
        match token {
            Some(token) => request.bearer_auth(token),
            None => request,
        }
        .send()
    };
    let mut listed = Value::Null;
    for _ in 0..200 {
        listed = get("/api/calls", Some(ADMIN))
            .await
            .expect("sent")
            .json()
            .await
            .expect("json");
        if listed["calls"].as_array().map_or(0, Vec::len) == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let calls = listed["calls"].as_array().expect("calls").clone();
    assert_eq!(calls.len(), 2, "{listed}");

    assert_eq!(
        get("/api/calls.csv", None).await.expect("sent").status(),
        401
    );
    let response = get("/api/calls.csv", Some(ADMIN)).await.expect("sent");
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "text/csv; charset=utf-8"
    );
    let csv = response.text().await.expect("body");
    let rows = parse_csv(&csv);
    assert_eq!(rows[0], voicebridge::records::csv::COLUMNS);
    assert_eq!(rows.len(), 3, "{csv}");
    let column = |name: &str| {
        voicebridge::records::csv::COLUMNS
            .iter()
            .position(|c| *c == name)
            .expect("a column")
    };
    // Each row says what the API says, in the same order (newest first).
    for (row, call) in rows[1..].iter().zip(&calls) {
        assert_eq!(row[column("conversation_id")], call["conversation_id"]);
        assert_eq!(row[column("agent")], call["agent"]);
        assert_eq!(row[column("turns")], call["turns"].to_string());
        assert_eq!(row[column("outcome")], call["outcome"]);
        assert_eq!(
            row[column("prompt_tokens")],
            call["prompt_tokens"].to_string()
        );
        let started = row[column("started")]
            .parse::<jiff::Timestamp>()
            .expect("RFC 3339");
        assert_eq!(Some(started.as_millisecond()), call["started_ms"].as_i64());
    }
    let formula = rows
        .iter()
        .find(|r| r[column("conversation_id")] == "conv_formula")
        .expect("exported");
    assert_eq!(
        formula[column("preview")],
        "'=SUM(1,2) and \"quotes\", then a comma",
        "guarded, and read back whole"
    );

    // `since_ms` after both calls: the header alone.
    let future = jiff::Timestamp::now().as_millisecond() + 60_000;
    let later = get(&format!("/api/calls.csv?since_ms={future}"), Some(ADMIN))
        .await
        .expect("sent")
        .text()
        .await
        .expect("body");
    assert_eq!(parse_csv(&later).len(), 1, "{later}");

    // The command line writes the same rows from the same database.
    let file = temp_folder("export").join("calls.csv");
    let env = vars(&[
        ("LAYERCODE_WEBHOOK_SECRET", SECRET),
        ("LLM_API_KEY", "k"),
        ("CALL_STORE_URL", url.as_str()),
    ]);
    let args = [
        "calls",
        "export",
        "--since",
        "2000-01-01",
        "--out",
        file.to_str().expect("utf-8"),
    ];
    let output = run(&args, env.clone(), "").await;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(stderr.contains("2 calls written to "), "{stderr}");
    assert_eq!(std::fs::read_to_string(&file).expect("written"), csv);
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&file)
        .expect("written")
        .permissions()
        .mode();
    assert_eq!(
        mode & 0o777,
        0o600,
        "callers' words and numbers: the owner's only"
    );
    let bad = run(&["calls", "export", "--since", "soon"], env, "").await;
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--since: `soon` is not a date"));
}
