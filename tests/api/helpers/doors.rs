//! What the door tests (OpenAI door, Retell's socket) wait for: a call on record in a
//! given state, and a model request cancelled.

use std::time::Duration;

use serde_json::Value;

use super::{TestApp, ADMIN};

/// Call `id` on record once `ready` says so (5 s at most).
pub async fn call_on_record(app: &TestApp, id: &str, ready: impl Fn(&Value) -> bool) -> Value {
    let mut last = Value::Null;
    for _ in 0..200 {
        let response = app
            .http
            .get(format!("{}/api/calls/{id}", app.address))
            .bearer_auth(ADMIN)
            .send()
            .await
            .expect("sent");
        if response.status() == 200 {
            last = response.json().await.expect("json");
            if ready(&last) {
                return last;
            }
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("call {id} did not reach the state waited for within 5 s: {last}");
}

/// Call `id` on record once it has `turns` turns.
pub async fn call_with_turns(app: &TestApp, id: &str, turns: usize) -> Value {
    call_on_record(app, id, |call| {
        call["turns"].as_array().is_some_and(|t| t.len() >= turns)
    })
    .await
}

/// How many model requests were cut off mid-stream, once one was (5 s at most).
pub async fn model_requests_cancelled(app: &TestApp) -> usize {
    for _ in 0..200 {
        if !app.upstream.closed_mid_stream().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    app.upstream.closed_mid_stream().len()
}
