//! The post-call webhook (`POST_CALL_WEBHOOK_URL`): once a call is over — Layercode's
//! `session.end` was stored, or nothing happened in it for `SESSION_IDLE_TTL_SECS` — its
//! whole record is POSTed as JSON, signed like Layercode's webhooks
//! (`voicebridge-signature: t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<body>">` with
//! `POST_CALL_WEBHOOK_SECRET`), and retried with backoff on failure. Every attempt of one
//! delivery carries the same `voicebridge-delivery-id`, so a receiver can drop a retry of
//! an attempt it already took. Nothing waits for it:
//! the writer tells this task what it stored, and each delivery runs on its own. With
//! `POST_CALL_SUMMARY=true` one more model call first writes a two-sentence summary, kept
//! with the call and sent with it. The call is read 2 s after its `session.end`, so the
//! last turn's record and a recording that arrive just after it are included.
//!
//! Each call is delivered once, across machines sharing the database and across restarts,
//! through the call store: before delivering, a machine claims the call with one
//! conditional update (not delivered, and not claimed or claimed more than
//! [`CLAIM_LEASE`] ago); only the machine whose update took delivers, and marks the call
//! delivered when the receiver took it. A receiver's final refusal (a 4xx other than 408,
//! 409, 425, 429) is marked the same: sending the same record again would not help. When
//! the retries run out (or the call could not be read), the claim is given back and the
//! call stays owed. Whether a call is over is decided by the database (ended, or no
//! record for the idle time), not by what one machine saw: another machine may have had
//! its later turns. Just after start-up, and then every [`SCAN_EVERY`] (or idle time, if
//! shorter), a scan finds the calls of the last [`SCAN_WINDOW`] that are over but still
//! owed — deliveries that were waiting when a process stopped, that gave up, or of a call
//! whose turns were spread over machines — and delivers them through the same claim. A
//! claim that is never given back (a process stopped mid-delivery) runs out after the
//! lease, and a later scan takes the call over. If marking a call delivered fails, its
//! lease runs out and it is sent again: delivery is at least once in that rare case.
//!
//! [`PostCallProgress`] tells whoever needs to know when this machine is done with a call
//! (its calls not yet over, deliveries running, scans begun and finished); integration
//! tests wait on it instead of sleeping past the delays above.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;

use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::record::{CallKey, Record};
use super::store::{CallStore, OwedQuery};

pub mod analysis;
mod delivery;
mod progress;

use crate::llm::LlmClient;
use crate::metrics::Metrics;
use crate::secret::Secret;
use delivery::Delivery;
pub use progress::{PostCallProgress, Progress};

/// Attempts at one delivery: the first and five retries.
const ATTEMPTS: u32 = 6;
/// The first pause before a retry; it doubles.
const FIRST_RETRY: Duration = Duration::from_secs(1);
/// How long one delivery attempt may take.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a summary may take.
const SUMMARY_TIMEOUT: Duration = Duration::from_secs(30);
/// How long after `session.end` the call is read: the last turn's record and the
/// recording often arrive just after it.
const AFTER_END: Duration = Duration::from_secs(2);
/// How long a machine's claim on a call holds. A whole delivery takes at most about two
/// and a half minutes (a summary of up to 30 s, then six attempts of up to 10 s with 31 s
/// of pauses between them), so a claim older than this belongs to a machine that stopped
/// mid-delivery, and another machine may take the call over.
pub const CLAIM_LEASE: Duration = Duration::from_secs(5 * 60);
/// How far back the start-up scan looks for calls still owed: older ones are left alone.
pub const SCAN_WINDOW: Duration = Duration::from_secs(24 * 60 * 60);
/// How often the scan for calls still owed runs after the first, at most.
const SCAN_EVERY: Duration = Duration::from_secs(5 * 60);
/// At most this many calls are delivered by one scan.
const SCAN_LIMIT: u32 = 200;
/// How many of a scan's deliveries run at once.
const SCAN_CONCURRENCY: usize = 4;

/// Where the record goes and how.
#[derive(Debug, Clone)]
pub struct PostCallSettings {
    /// The receiver's URL.
    pub url: String,
    /// The signing secret.
    pub secret: Secret,
    /// Write a summary with the model first.
    pub summary: bool,
    /// A call with no activity for this long is over.
    pub idle_after: Duration,
    /// Each delivery is a span (`post_call`) whose `traceparent` the request carries.
    pub tracing: crate::trace::Tracing,
    /// The agents whose calls are analysed first (`[analysis]`), by name.
    pub analyses: HashMap<String, Arc<analysis::AnalysisPlan>>,
}

/// What the writer reports.
enum Event {
    /// Something of the call was stored.
    Activity(CallKey),
    /// Its `session.end` was stored.
    Ended(CallKey),
}

/// Starts the post-call task; returns what the writer calls with each stored record and
/// the task's progress, or the error that stopped its HTTP client from being built.
pub fn spawn(
    settings: PostCallSettings,
    store: CallStore,
    model: Option<LlmClient>,
    metrics: Metrics,
    shutdown: CancellationToken,
) -> Result<(impl Fn(&Record) + Send + Sync + 'static, PostCallProgress), reqwest::Error> {
    let (events, mut receiver) = mpsc::unbounded_channel();
    let progress = PostCallProgress::new();
    let delivery = Arc::new(Delivery {
        http: crate::http::client()?,
        settings,
        store,
        model,
        metrics,
        progress: progress.clone(),
    });
    tokio::spawn(scan(delivery.clone(), shutdown.clone()));
    tokio::spawn(async move {
        let mut open: HashMap<CallKey, Instant> = HashMap::new();
        let idle_after = delivery.settings.idle_after;
        let sweep_every =
            (idle_after / 4).clamp(Duration::from_millis(100), Duration::from_secs(30));
        let mut sweep = tokio::time::interval(sweep_every);
        loop {
            tokio::select! {
                () = shutdown.cancelled() => break,
                event = receiver.recv() => match event {
                    None => break,
                    Some(Event::Activity(call)) => {
                        open.insert(call, Instant::now());
                        delivery.progress.set_open(open.len());
                    }
                    Some(Event::Ended(call)) => {
                        open.remove(&call);
                        deliver_later(&delivery, call, AFTER_END);
                        delivery.progress.set_open(open.len());
                    }
                },
                _ = sweep.tick() => {
                    let now = Instant::now();
                    let idle: Vec<CallKey> = open
                        .iter()
                        .filter(|(_, last)| now.duration_since(**last) >= idle_after)
                        .map(|(call, _)| call.clone())
                        .collect();
                    for call in idle {
                        open.remove(&call);
                        deliver_later(&delivery, call, Duration::ZERO);
                    }
                    delivery.progress.set_open(open.len());
                }
            }
        }
    });
    let written = move |record: &Record| {
        let event = match record {
            Record::SessionEnd { call, .. } => Event::Ended(call.clone()),
            Record::Turn(turn) => Event::Activity(turn.call.clone()),
            Record::Heard { call, .. } | Record::SessionUpdate { call, .. } => {
                Event::Activity(call.clone())
            }
            // A deleted call is not delivered: its delivery finds no call.
            Record::Forget { .. } => return,
        };
        let _ = events.send(event);
    };
    Ok((written, progress))
}

/// Delivers `call` after `after`, unless another machine has it or it was delivered.
fn deliver_later(delivery: &Arc<Delivery>, call: CallKey, after: Duration) {
    let delivery = delivery.clone();
    // Counted from now, so the call is never neither open nor delivering.
    let delivering = delivery.progress.delivering();
    tokio::spawn(async move {
        let _delivering = delivering;
        tokio::time::sleep(after).await;
        delivery.deliver(&call).await;
    });
}

/// Delivers the calls still owed: just after start-up (once calls that ended as the last
/// process stopped are past [`AFTER_END`]), then every [`SCAN_EVERY`] or idle time,
/// whichever is shorter, until `shutdown`.
async fn scan(delivery: Arc<Delivery>, shutdown: CancellationToken) {
    let idle_after = delivery.settings.idle_after;
    let mut wait = AFTER_END;
    loop {
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = tokio::time::sleep(wait) => {}
        }
        wait = idle_after.min(SCAN_EVERY);
        let progress = &delivery.progress.0;
        progress.send_modify(|p| p.scans_begun += 1);
        deliver_owed(&delivery).await;
        progress.send_modify(|p| p.scans_finished += 1);
    }
}

/// One scan: finds the calls over but still owed and delivers them.
async fn deliver_owed(delivery: &Arc<Delivery>) {
    let idle_after = delivery.settings.idle_after;
    let now = now_ms();
    let query = OwedQuery {
        active_since_ms: now - millis(SCAN_WINDOW),
        ended_before_ms: now - millis(AFTER_END),
        quiet_before_ms: now - millis(idle_after),
        claimed_before_ms: now - millis(CLAIM_LEASE),
        limit: SCAN_LIMIT,
    };
    let owed = match delivery.store.post_calls_owed(&query).await {
        Ok(owed) => owed,
        Err(error) => {
            tracing::warn!(%error, "post-call webhook: finding the calls still owed failed");
            return;
        }
    };
    if !owed.is_empty() {
        tracing::info!(
            calls = owed.len(),
            "post-call webhook: delivering calls still owed"
        );
    }
    futures_util::stream::iter(owed)
        .for_each_concurrent(SCAN_CONCURRENCY, |call| {
            let delivery = delivery.clone();
            async move { delivery.deliver(&call).await }
        })
        .await;
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, millis)
}

fn millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn settled_waits_for_open_calls_deliveries_and_a_running_scan() {
        let progress = PostCallProgress::new();
        progress.settled().await;
        progress.set_open(1);
        let delivering = progress.delivering();
        progress.set_open(0);
        progress.0.send_modify(|p| p.scans_begun += 1);
        let settled = tokio::spawn({
            let progress = progress.clone();
            async move { progress.settled().await }
        });
        drop(delivering);
        tokio::task::yield_now().await;
        assert!(!settled.is_finished(), "a scan is still running");
        progress.0.send_modify(|p| p.scans_finished += 1);
        settled.await.expect("settled");
        assert_eq!(
            progress.now(),
            Progress {
                open: 0,
                delivering: 0,
                scans_begun: 1,
                scans_finished: 1
            }
        );
    }

    #[tokio::test]
    async fn next_scan_waits_for_a_scan_that_begins_after_it_is_called() {
        let progress = PostCallProgress::new();
        progress.0.send_modify(|p| p.scans_begun += 1);
        let next = tokio::spawn({
            let progress = progress.clone();
            async move { progress.next_scan().await }
        });
        tokio::task::yield_now().await;
        progress.0.send_modify(|p| p.scans_finished += 1);
        tokio::task::yield_now().await;
        assert!(!next.is_finished(), "that scan had begun before");
        progress.0.send_modify(|p| p.scans_begun += 1);
        progress.0.send_modify(|p| p.scans_finished += 1);
        next.await.expect("the next scan finished");
    }
}
