//! One delivery of a call that is over: claimed through the store, read, summarised when
//! asked, signed, POSTed with retries, then marked delivered or given back.

use serde_json::json;
use sha2::{Digest, Sha256};

use super::analysis::AnalysisPlan;
use super::{
    millis, now_ms, PostCallProgress, PostCallSettings, ATTEMPTS, ATTEMPT_TIMEOUT, CLAIM_LEASE,
    FIRST_RETRY, SUMMARY_TIMEOUT,
};
use crate::llm::{LlmClient, Prompt};
use crate::metrics::Metrics;
use crate::records::record::CallKey;
use crate::records::store::{CallDetail, CallStore};
use crate::session::ChatMessage;

pub(super) struct Delivery {
    pub(super) http: reqwest::Client,
    pub(super) settings: PostCallSettings,
    pub(super) store: CallStore,
    pub(super) model: Option<LlmClient>,
    pub(super) metrics: Metrics,
    pub(super) progress: PostCallProgress,
}

impl Delivery {
    /// Claims the call and delivers it; see the module's doc for what happens on failure.
    pub(super) async fn deliver(&self, call: &CallKey) {
        let claim_ms = now_ms();
        let quiet_before = claim_ms - millis(self.settings.idle_after);
        match self
            .store
            .claim_post_call(call, claim_ms, claim_ms - millis(CLAIM_LEASE), quiet_before)
            .await
        {
            Ok(true) => {}
            Ok(false) => {
                // Delivered, another machine has it, or deleted meanwhile.
                tracing::debug!(conversation_id = %call.conversation_id, "post-call webhook: not this machine's to deliver");
                return;
            }
            Err(error) => {
                tracing::warn!(%error, "post-call webhook: claiming the call failed");
                self.metrics.post_call_delivered("failed");
                return;
            }
        }
        let span = self.settings.tracing.root(
            "post_call",
            crate::trace::SpanKind::Client,
            vec![
                crate::trace::KeyValue::new("gen_ai.agent.name", call.agent.clone()),
                crate::trace::KeyValue::new("session.id", call.conversation_id.clone()),
            ],
        );
        let sent = self.send(call, &delivery_id(call, claim_ms), &span).await;
        if matches!(sent, Sent::Owed) {
            span.fail("not_delivered", "the post-call webhook is owed");
        }
        span.end();
        match sent {
            Sent::Done => {
                if let Err(error) = self.store.post_call_delivered(call, now_ms()).await {
                    // The claim stays until its lease runs out: no other machine sends
                    // it meanwhile.
                    tracing::warn!(%error, "post-call webhook: marking the call delivered failed");
                }
            }
            Sent::Owed => {
                if let Err(error) = self.store.release_post_call(call, claim_ms).await {
                    tracing::warn!(%error, "post-call webhook: giving back the claim failed");
                }
            }
        }
    }

    /// Reads the call and sends it, with retries, every attempt as `delivery_id`.
    async fn send(&self, call: &CallKey, delivery_id: &str, span: &crate::trace::Span) -> Sent {
        let traceparent = span.traceparent();
        let mut detail = match self.store.get(call).await {
            Ok(Some(detail)) => detail,
            Ok(None) => return Sent::Done, // Deleted meanwhile: nothing to hand on.
            Err(error) => {
                tracing::warn!(%error, "post-call webhook: reading the call failed");
                self.metrics.post_call_delivered("failed");
                return Sent::Owed;
            }
        };
        if self.settings.summary && detail.summary_text.is_none() {
            if let Some(summary) = self.summarize(&detail).await {
                if let Err(error) = self.store.set_summary(call, &summary).await {
                    tracing::warn!(%error, "post-call summary could not be stored");
                }
                detail.summary_text = Some(summary);
            }
        }
        if let Some(plan) = self.settings.analyses.get(&call.agent) {
            self.analyse(call, plan, &mut detail).await;
        }
        let body = match serde_json::to_vec(&json!({"type": "call.ended", "call": detail})) {
            Ok(body) => body,
            Err(_) => return Sent::Owed,
        };
        let mut wait = FIRST_RETRY;
        for attempt in 1..=ATTEMPTS {
            match self
                .attempt(&body, delivery_id, traceparent.as_deref())
                .await
            {
                Ok(()) => {
                    self.metrics.post_call_delivered("delivered");
                    return Sent::Done;
                }
                Err(Failure::Final(why)) => {
                    tracing::warn!(conversation_id = %call.conversation_id, %why, "post-call webhook refused; not retried");
                    self.metrics.post_call_delivered("refused");
                    span.fail("refused", "the receiver refused the post-call webhook");
                    return Sent::Done;
                }
                Err(Failure::Retry(why)) => {
                    tracing::info!(conversation_id = %call.conversation_id, attempt, %why, "post-call webhook failed");
                    if attempt < ATTEMPTS {
                        tokio::time::sleep(wait).await;
                        wait *= 2;
                    }
                }
            }
        }
        tracing::warn!(conversation_id = %call.conversation_id, "post-call webhook gave up after {ATTEMPTS} attempts");
        self.metrics.post_call_delivered("failed");
        Sent::Owed
    }

    async fn attempt(
        &self,
        body: &[u8],
        delivery_id: &str,
        traceparent: Option<&str>,
    ) -> Result<(), Failure> {
        let now = now_ms() / 1000;
        let signature =
            crate::webhook::signature::sign(self.settings.secret.expose().as_bytes(), now, body);
        let mut request = self
            .http
            .post(&self.settings.url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header("voicebridge-signature", signature)
            .header(DELIVERY_ID_HEADER, delivery_id);
        if let Some(parent) = traceparent {
            request = request.header("traceparent", parent);
        }
        let sent = request
            .body(body.to_vec())
            .timeout(ATTEMPT_TIMEOUT)
            .send()
            .await;
        match sent {
            Ok(response) if response.status().is_success() => Ok(()),
            Ok(response) => {
                let status = response.status().as_u16();
                // The receiver said the request itself is wrong: sending it again won't help.
                if (400..500).contains(&status) && ![408, 409, 425, 429].contains(&status) {
                    Err(Failure::Final(format!("HTTP {status}")))
                } else {
                    Err(Failure::Retry(format!("HTTP {status}")))
                }
            }
            Err(error) => Err(Failure::Retry(if error.is_timeout() {
                "timed out".to_string()
            } else {
                "connection failed".to_string()
            })),
        }
    }

    /// The call's analysis, once: made with the first configured model, stored, and put
    /// on `detail` (a redelivery finds it stored and does not ask again).
    async fn analyse(&self, call: &CallKey, plan: &AnalysisPlan, detail: &mut CallDetail) {
        let (Some(model), None) = (&self.model, &detail.analysis) else {
            return;
        };
        let transcript = transcript(detail);
        if transcript.is_empty() {
            return;
        }
        let made = tokio::time::timeout(
            SUMMARY_TIMEOUT,
            super::analysis::analyze(model, plan, &transcript),
        )
        .await;
        let analysis = match made {
            Ok(Ok(analysis)) => analysis,
            Ok(Err(why)) => {
                tracing::warn!(conversation_id = %call.conversation_id, %why, "post-call analysis not made");
                return;
            }
            Err(_) => {
                tracing::warn!(conversation_id = %call.conversation_id, "post-call analysis timed out");
                return;
            }
        };
        let success = analysis.get("success").and_then(serde_json::Value::as_bool);
        if let Err(error) = self.store.set_analysis(call, &analysis, success).await {
            tracing::warn!(%error, "post-call analysis could not be stored");
        }
        if detail.summary_text.is_none() {
            if let Some(summary) = analysis.get("summary").and_then(|s| s.as_str()) {
                detail.summary_text = Some(summary.to_string());
            }
        }
        detail.summary.success = success;
        detail.analysis = analysis.as_object().cloned();
    }

    /// Two sentences about the call, from the first configured model.
    async fn summarize(&self, detail: &CallDetail) -> Option<String> {
        let model = self.model.as_ref()?;
        let transcript = transcript(detail);
        if transcript.is_empty() {
            return None;
        }
        let question = [ChatMessage::user(transcript, "summary")];
        let prompt = Prompt::new(
            "Summarise this phone call between a caller and a voice agent in exactly two \
             short sentences: what the caller wanted, and how it ended. Plain text only.",
            &question,
        );
        let collect = async {
            let mut stream = model.stream_chat(0, &prompt).await.ok()?;
            let mut text = String::new();
            while let Some(chunk) = stream.next().await {
                text.push_str(chunk.ok()?.text.as_deref().unwrap_or(""));
            }
            Some(text.trim().to_string()).filter(|t| !t.is_empty())
        };
        match tokio::time::timeout(SUMMARY_TIMEOUT, collect).await {
            Ok(summary) => summary,
            Err(_) => {
                tracing::warn!("post-call summary timed out");
                None
            }
        }
    }
}

/// The call as the model reads it: `Caller:` and `Agent:` lines, in order.
fn transcript(detail: &CallDetail) -> String {
    let mut transcript = String::new();
    for turn in &detail.turns {
        if !turn.user_text.is_empty() {
            transcript.push_str(&format!("Caller: {}\n", turn.user_text));
        }
        if !turn.agent_text.is_empty() {
            transcript.push_str(&format!("Agent: {}\n", turn.agent_text));
        }
    }
    transcript
}

/// The header naming a delivery, the same on each of its attempts.
const DELIVERY_ID_HEADER: &str = "voicebridge-delivery-id";

/// The id of one delivery of `call`: the same on every attempt made under the claim taken
/// at `claim_ms` (so a receiver that took an attempt whose answer was lost recognises the
/// retry), and another for a later delivery of the call under a new claim. 32 hex digits
/// of SHA-256 over the agent, the conversation id and the claim: nothing of the call can
/// be read from it.
fn delivery_id(call: &CallKey, claim_ms: i64) -> String {
    let mut hash = Sha256::new();
    for part in [call.agent.as_bytes(), call.conversation_id.as_bytes()] {
        hash.update((part.len() as u64).to_be_bytes());
        hash.update(part);
    }
    hash.update(claim_ms.to_be_bytes());
    hex::encode(&hash.finalize()[..16])
}

/// How a delivery ended, for the call's record.
enum Sent {
    /// Taken by the receiver, or refused for good (or the call is gone): never again.
    Done,
    /// Not handed on: a later scan may try again.
    Owed,
}

enum Failure {
    /// Worth another attempt.
    Retry(String),
    /// The receiver refused the request itself.
    Final(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(agent: &str, conversation_id: &str) -> CallKey {
        CallKey {
            agent: agent.into(),
            conversation_id: conversation_id.into(),
        }
    }

    #[test]
    fn a_delivery_id_is_stable_per_claim_and_differs_across_calls_and_claims() {
        let id = delivery_id(&call("default", "conv_1"), 1_700_000_000_000);
        assert_eq!(id.len(), 32);
        assert!(id.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_eq!(
            id,
            delivery_id(&call("default", "conv_1"), 1_700_000_000_000)
        );
        for other in [
            delivery_id(&call("default", "conv_1"), 1_700_000_000_001),
            delivery_id(&call("default", "conv_2"), 1_700_000_000_000),
            delivery_id(&call("sales", "conv_1"), 1_700_000_000_000),
            // Parts are length-prefixed: moving a byte across the boundary changes it.
            delivery_id(&call("defaultc", "onv_1"), 1_700_000_000_000),
        ] {
            assert_ne!(id, other);
        }
    }
}
