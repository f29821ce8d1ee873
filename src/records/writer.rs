//! The background writer: turns and webhooks hand records to a [`CallRecorder`] without
//! ever waiting, and one task writes them to the [`CallStore`] in order. While the store
//! is down the writer keeps retrying the same record (100 ms doubling to 5 s) and the queue
//! fills; once it is full, new records are dropped and counted. A record the database
//! refuses for its data (a value too long for an index, say) is dropped, logged and
//! counted at once: retrying it would hold every record behind it. At shutdown,
//! [`CallWriter::flush`] writes what is queued within a deadline.

use std::future::Future;
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use super::record::{CallKey, Record};
use super::redaction::Redaction;
use super::store::{CallStore, CallStoreError};
use crate::metrics::Metrics;

/// The first wait after a failed write.
const FIRST_BACKOFF: Duration = Duration::from_millis(100);
/// The longest wait between two attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// Hands records to the writer without waiting; cheap to clone. `off()` drops everything
/// silently.
#[derive(Clone, Debug)]
pub struct CallRecorder {
    queue: Option<(mpsc::Sender<Record>, Metrics)>,
}

impl CallRecorder {
    /// A recorder that keeps nothing (no call store configured).
    pub fn off() -> Self {
        Self { queue: None }
    }

    /// Whether records are kept.
    pub fn is_on(&self) -> bool {
        self.queue.is_some()
    }

    /// Queues a record. Never blocks: when the queue is full (or the writer has stopped
    /// taking records) the record is dropped and counted.
    pub fn record(&self, record: Record) {
        if let Some((sender, metrics)) = &self.queue {
            if sender.try_send(record).is_err() {
                metrics.call_record_dropped();
            }
        }
    }
}

/// The running writer.
#[derive(Debug)]
pub struct CallWriter {
    task: JoinHandle<usize>,
    close: oneshot::Sender<Instant>,
}

impl CallWriter {
    /// Starts the writer task with a queue of `bound` records (at least one), each
    /// record passing through `redaction` before it is stored.
    pub fn spawn(
        store: CallStore,
        bound: usize,
        metrics: Metrics,
        redaction: Redaction,
    ) -> (CallRecorder, CallWriter) {
        spawn_redacting(store, bound, metrics, redaction)
    }

    /// Like [`CallWriter::spawn`], calling `written` with every record once it is stored
    /// (the post-call webhook learns of activity and of ends this way).
    pub fn spawn_observed(
        store: CallStore,
        bound: usize,
        metrics: Metrics,
        redaction: Redaction,
        written: impl Fn(&Record) + Send + Sync + 'static,
    ) -> (CallRecorder, CallWriter) {
        spawn_redacting(Observed { store, written }, bound, metrics, redaction)
    }

    /// Stops taking records and writes what is queued, for at most `within`; returns how
    /// many were left unwritten.
    pub async fn flush(self, within: Duration) -> usize {
        let deadline = Instant::now() + within;
        // An error means the task already ended (every recorder was dropped and the
        // queue written): nothing is left.
        let _ = self.close.send(deadline);
        match self.task.await {
            Ok(unwritten) => unwritten,
            Err(error) => {
                tracing::warn!(%error, "the call writer ended abnormally");
                0
            }
        }
    }
}

/// Where the writer puts records: the call store, or a fake in tests.
trait Sink: Send + Sync + 'static {
    fn write(&self, record: &Record) -> impl Future<Output = Result<(), CallStoreError>> + Send;

    /// The redaction counts stored with `call` (none in a sink that keeps none).
    fn counts(
        &self,
        _call: &CallKey,
    ) -> impl Future<Output = Result<Counts, CallStoreError>> + Send {
        async { Ok(Counts::new()) }
    }
}

type Counts = std::collections::BTreeMap<String, u32>;

impl Sink for CallStore {
    fn write(&self, record: &Record) -> impl Future<Output = Result<(), CallStoreError>> + Send {
        CallStore::write(self, record)
    }

    fn counts(
        &self,
        call: &CallKey,
    ) -> impl Future<Output = Result<Counts, CallStoreError>> + Send {
        self.redaction_counts(call)
    }
}

/// The store, and a callback told of each record written.
struct Observed<F> {
    store: CallStore,
    written: F,
}

impl<F: Fn(&Record) + Send + Sync + 'static> Sink for Observed<F> {
    async fn write(&self, record: &Record) -> Result<(), CallStoreError> {
        self.store.write(record).await?;
        (self.written)(record);
        Ok(())
    }

    async fn counts(&self, call: &CallKey) -> Result<Counts, CallStoreError> {
        self.store.redaction_counts(call).await
    }
}

#[cfg(test)]
fn spawn_with<S: Sink>(sink: S, bound: usize, metrics: Metrics) -> (CallRecorder, CallWriter) {
    spawn_redacting(sink, bound, metrics, Redaction::off())
}

fn spawn_redacting<S: Sink>(
    sink: S,
    bound: usize,
    metrics: Metrics,
    redaction: Redaction,
) -> (CallRecorder, CallWriter) {
    let (sender, receiver) = mpsc::channel(bound.max(1));
    let (close, closing) = oneshot::channel();
    let state = State {
        queue: receiver,
        closing: Some(closing),
        deadline: None,
        outage: false,
        metrics: metrics.clone(),
    };
    let task = tokio::spawn(run(sink, state, redaction));
    (
        CallRecorder {
            queue: Some((sender, metrics)),
        },
        CallWriter { task, close },
    )
}

/// The writer's state, apart from the sink (which the write in flight borrows).
struct State {
    queue: mpsc::Receiver<Record>,
    /// Until the flush signal came (or its sender was dropped without one).
    closing: Option<oneshot::Receiver<Instant>>,
    /// Set by the flush signal: nothing is awaited past it.
    deadline: Option<Instant>,
    /// Writes are failing (logged once when it starts and once when it ends).
    outage: bool,
    metrics: Metrics,
}

impl State {
    /// Runs `future` until it completes, or until the flush deadline passes (`None`).
    /// Learns of a flush meanwhile, and stops taking records then.
    async fn bounded<T>(&mut self, future: impl Future<Output = T>) -> Option<T> {
        tokio::pin!(future);
        loop {
            if let Some(deadline) = self.deadline {
                return tokio::time::timeout_at(deadline, &mut future).await.ok();
            }
            let Some(closing) = self.closing.as_mut() else {
                return Some(future.await);
            };
            tokio::select! {
                out = &mut future => return Some(out),
                signal = closing => {
                    self.closing = None;
                    if let Ok(deadline) = signal {
                        self.deadline = Some(deadline);
                        self.queue.close();
                    }
                }
            }
        }
    }

    /// The next queued record; `None` once every recorder is gone and the queue is
    /// empty, or, when flushing, once the queue is empty.
    async fn next(&mut self) -> Option<Record> {
        if self.deadline.is_none() {
            let Some(closing) = self.closing.as_mut() else {
                return self.queue.recv().await;
            };
            tokio::select! {
                received = self.queue.recv() => return received,
                signal = closing => {
                    self.closing = None;
                    match signal {
                        Ok(deadline) => self.deadline = Some(deadline),
                        // The writer handle was dropped without a flush: run on.
                        Err(_) => return self.queue.recv().await,
                    }
                }
            }
        }
        // Flushing: the queue is closed, take only what is already in it.
        self.queue.close();
        self.queue.try_recv().ok()
    }

    /// How many records are still queued.
    fn left(&mut self) -> usize {
        self.queue.close();
        let mut left = 0;
        while self.queue.try_recv().is_ok() {
            left += 1;
        }
        left
    }
}

/// The writer task: returns how many records were left unwritten.
async fn run<S: Sink>(sink: S, mut state: State, mut redaction: Redaction) -> usize {
    while let Some(mut record) = state.next().await {
        if let Some(call) = redaction.needs_counts(&record) {
            // Unreadable counts start the call's numbering afresh: the record is still
            // redacted, and its write waits for the store like any other.
            let counts = match state.bounded(sink.counts(&call)).await {
                Some(Ok(counts)) => counts,
                Some(Err(error)) => {
                    tracing::debug!(%error, "the call's redaction counts could not be read");
                    Counts::new()
                }
                None => return 1 + state.left(),
            };
            redaction.continue_from(call, &counts);
        }
        redaction.apply(&mut record);
        if !write_until_done(&sink, &mut state, &record).await {
            return 1 + state.left();
        }
    }
    state.left()
}

/// Writes one record, retrying with backoff; `false` when the flush deadline passed first.
async fn write_until_done<S: Sink>(sink: &S, state: &mut State, record: &Record) -> bool {
    let mut backoff = FIRST_BACKOFF;
    loop {
        match state.bounded(sink.write(record)).await {
            None => return false,
            Some(Ok(())) => {
                state.metrics.call_record_written();
                if state.outage {
                    state.outage = false;
                    tracing::info!("call store writes succeed again");
                }
                return true;
            }
            Some(Err(error)) if error.is_permanent() => {
                // Trying again cannot help, and would hold every record behind this one.
                state.metrics.call_store_failed();
                state.metrics.call_record_dropped();
                tracing::error!(%error, "the call store refused a record; it is dropped");
                return true;
            }
            Some(Err(error)) => {
                state.metrics.call_store_failed();
                if !state.outage {
                    state.outage = true;
                    tracing::warn!(
                        %error,
                        "call store write failed; records are kept in the queue and retried"
                    );
                }
            }
        }
        if state.bounded(tokio::time::sleep(backoff)).await.is_none() {
            return false;
        }
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

#[cfg(test)]
mod tests;
