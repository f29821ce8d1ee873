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

use super::record::Record;
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
    /// Starts the writer task with a queue of `bound` records (at least one).
    pub fn spawn(store: CallStore, bound: usize, metrics: Metrics) -> (CallRecorder, CallWriter) {
        spawn_with(store, bound, metrics)
    }

    /// Like [`CallWriter::spawn`], calling `written` with every record once it is stored
    /// (the post-call webhook learns of activity and of ends this way).
    pub fn spawn_observed(
        store: CallStore,
        bound: usize,
        metrics: Metrics,
        written: impl Fn(&Record) + Send + Sync + 'static,
    ) -> (CallRecorder, CallWriter) {
        spawn_with(Observed { store, written }, bound, metrics)
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
}

impl Sink for CallStore {
    fn write(&self, record: &Record) -> impl Future<Output = Result<(), CallStoreError>> + Send {
        CallStore::write(self, record)
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
}

fn spawn_with<S: Sink>(sink: S, bound: usize, metrics: Metrics) -> (CallRecorder, CallWriter) {
    let (sender, receiver) = mpsc::channel(bound.max(1));
    let (close, closing) = oneshot::channel();
    let state = State {
        queue: receiver,
        closing: Some(closing),
        deadline: None,
        outage: false,
        metrics: metrics.clone(),
    };
    let task = tokio::spawn(run(sink, state));
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
async fn run<S: Sink>(sink: S, mut state: State) -> usize {
    while let Some(record) = state.next().await {
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
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;
    use crate::records::record::{CallKey, TurnRecord};
    use crate::records::store::tests::{memory, turn};

    /// A sink that fails its first `fail_first` attempts (or every one while
    /// `always_fail`), taking `delay` per attempt, and refuses for good the records in
    /// `refuse`.
    #[derive(Clone, Default)]
    struct FakeSink {
        state: Arc<Mutex<Fake>>,
    }

    #[derive(Default)]
    struct Fake {
        fail_first: usize,
        always_fail: bool,
        refuse: Vec<Record>,
        delay: Duration,
        attempts: Vec<Instant>,
        written: Vec<Record>,
    }

    impl FakeSink {
        fn with(set: impl FnOnce(&mut Fake)) -> Self {
            let sink = Self::default();
            set(&mut sink.lock());
            sink
        }

        fn lock(&self) -> std::sync::MutexGuard<'_, Fake> {
            self.state.lock().expect("not poisoned")
        }

        fn written(&self) -> Vec<Record> {
            self.lock().written.clone()
        }
    }

    impl Sink for FakeSink {
        fn write(
            &self,
            record: &Record,
        ) -> impl Future<Output = Result<(), CallStoreError>> + Send {
            let state = self.state.clone();
            let record = record.clone();
            async move {
                let delay = {
                    let mut fake = state.lock().expect("not poisoned");
                    fake.attempts.push(Instant::now());
                    fake.delay
                };
                if !delay.is_zero() {
                    tokio::time::sleep(delay).await;
                }
                let mut fake = state.lock().expect("not poisoned");
                let attempt = fake.attempts.len();
                if fake.refuse.contains(&record) {
                    return Err(CallStoreError::permanent("value too long for an index"));
                }
                if fake.always_fail || attempt <= fake.fail_first {
                    return Err(CallStoreError::new(format!(
                        "connection refused ({attempt})"
                    )));
                }
                fake.written.push(record);
                Ok(())
            }
        }
    }

    fn record(n: usize) -> Record {
        let call = CallKey {
            agent: "a".to_string(),
            conversation_id: "c".to_string(),
        };
        Record::Turn(turn(&call, &format!("m{n}"), n as i64))
    }

    fn records(n: usize) -> Vec<Record> {
        (1..=n).map(record).collect()
    }

    fn counter(metrics: &Metrics, name: &str) -> u64 {
        metrics
            .render(0, None)
            .lines()
            .find_map(|line| line.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
            .unwrap_or(0)
    }

    /// Waits (in paused time) until the sink holds `n` records.
    async fn until_written(sink: &FakeSink, n: usize) {
        for _ in 0..10_000 {
            if sink.lock().written.len() >= n {
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("only {} of {n} records written", sink.lock().written.len());
    }

    thread_local! {
        /// Where this thread's log lines go while a test captures them.
        static CAPTURED: std::cell::RefCell<Option<Arc<Mutex<Vec<u8>>>>> =
            const { std::cell::RefCell::new(None) };
    }

    /// Stops capturing this thread's log lines when dropped.
    struct Capturing;

    impl Drop for Capturing {
        fn drop(&mut self) {
            CAPTURED.with(|c| c.borrow_mut().take());
        }
    }

    /// Log lines written while the guard lives (this thread's tasks only). One global
    /// subscriber at INFO serves every test thread: a subscriber set per thread raced with
    /// other threads over tracing's global interest cache, and lost lines now and then.
    fn capture_logs() -> (Arc<Mutex<Vec<u8>>>, Capturing) {
        struct Buffer;
        impl std::io::Write for Buffer {
            fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
                CAPTURED.with(|c| {
                    if let Some(logs) = c.borrow().as_ref() {
                        logs.lock().expect("not poisoned").extend_from_slice(bytes);
                    }
                });
                Ok(bytes.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        static GLOBAL: std::sync::Once = std::sync::Once::new();
        GLOBAL.call_once(|| {
            let subscriber = tracing_subscriber::fmt()
                .with_writer(|| Buffer)
                .with_ansi(false)
                .with_max_level(tracing::Level::INFO)
                .finish();
            tracing::subscriber::set_global_default(subscriber).expect("the only subscriber");
        });
        let logs = Arc::new(Mutex::new(Vec::new()));
        CAPTURED.with(|c| *c.borrow_mut() = Some(logs.clone()));
        (logs, Capturing)
    }

    #[tokio::test(start_paused = true)]
    async fn records_are_written_in_order() {
        let sink = FakeSink::default();
        let metrics = Metrics::new();
        let (recorder, writer) = spawn_with(sink.clone(), 100, metrics.clone());
        assert!(recorder.is_on());
        for record in records(20) {
            recorder.record(record);
        }
        assert_eq!(writer.flush(Duration::from_secs(1)).await, 0);
        assert_eq!(sink.written(), records(20));
        assert_eq!(
            counter(&metrics, "voicebridge_call_records_written_total"),
            20
        );
        assert_eq!(counter(&metrics, "voicebridge_call_store_errors_total"), 0);
        assert_eq!(
            counter(&metrics, "voicebridge_call_records_dropped_total"),
            0
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_record_the_store_refuses_is_dropped_and_the_next_ones_are_written() {
        let sink = FakeSink::with(|fake| fake.refuse = vec![record(2)]);
        let metrics = Metrics::new();
        let (recorder, writer) = spawn_with(sink.clone(), 100, metrics.clone());
        for record in records(3) {
            recorder.record(record);
        }
        assert_eq!(writer.flush(Duration::from_secs(1)).await, 0);
        assert_eq!(sink.written(), vec![record(1), record(3)]);
        assert_eq!(sink.lock().attempts.len(), 3, "refused once, not retried");
        assert_eq!(counter(&metrics, "voicebridge_call_store_errors_total"), 1);
        assert_eq!(
            counter(&metrics, "voicebridge_call_records_dropped_total"),
            1
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_failing_store_is_retried_with_backoff_and_logged_once() {
        let (logs, _guard) = capture_logs();
        let sink = FakeSink::with(|fake| fake.fail_first = 10);
        let metrics = Metrics::new();
        let (recorder, writer) = spawn_with(sink.clone(), 100, metrics.clone());
        recorder.record(record(1));
        recorder.record(record(2));
        until_written(&sink, 2).await;

        assert_eq!(sink.written(), records(2), "the same record, then the next");
        let attempts = sink.lock().attempts.clone();
        assert_eq!(attempts.len(), 12);
        let waits: Vec<u128> = attempts
            .windows(2)
            .map(|pair| (pair[1] - pair[0]).as_millis())
            .collect();
        assert_eq!(
            waits,
            [100, 200, 400, 800, 1_600, 3_200, 5_000, 5_000, 5_000, 5_000, 0]
        );
        assert_eq!(counter(&metrics, "voicebridge_call_store_errors_total"), 10);
        assert_eq!(
            counter(&metrics, "voicebridge_call_records_written_total"),
            2
        );

        let logs =
            String::from_utf8(logs.lock().expect("not poisoned").clone()).expect("UTF-8 logs");
        let lines: Vec<&str> = logs.lines().collect();
        assert_eq!(lines.len(), 2, "{logs}");
        assert!(lines[0].contains("WARN"), "{logs}");
        assert!(lines[0].contains("connection refused (1)"), "{logs}");
        assert!(lines[1].contains("INFO"), "{logs}");
        assert!(lines[1].contains("succeed again"), "{logs}");
        assert_eq!(writer.flush(Duration::from_secs(1)).await, 0);
    }

    #[tokio::test(start_paused = true)]
    async fn a_full_queue_drops_new_records_and_counts_them() {
        let sink = FakeSink::with(|fake| fake.always_fail = true);
        let metrics = Metrics::new();
        let (recorder, writer) = spawn_with(sink.clone(), 2, metrics.clone());
        recorder.record(record(1));
        // The writer takes the first record and keeps retrying it.
        tokio::time::sleep(Duration::from_millis(10)).await;
        for n in 2..=5 {
            recorder.record(record(n));
        }
        assert_eq!(
            counter(&metrics, "voicebridge_call_records_dropped_total"),
            2
        );

        sink.lock().always_fail = false;
        until_written(&sink, 3).await;
        assert_eq!(sink.written(), records(3));
        assert_eq!(writer.flush(Duration::from_secs(1)).await, 0);
    }

    #[tokio::test(start_paused = true)]
    async fn flush_gives_up_at_the_deadline_and_counts_what_is_left() {
        let sink = FakeSink::with(|fake| fake.always_fail = true);
        let metrics = Metrics::new();
        let (recorder, writer) = spawn_with(sink.clone(), 10, metrics.clone());
        for record in records(3) {
            recorder.record(record);
        }
        let started = Instant::now();
        assert_eq!(writer.flush(Duration::from_secs(2)).await, 3);
        assert_eq!(started.elapsed(), Duration::from_secs(2));
        assert!(sink.written().is_empty());

        // Nothing is taken after a flush.
        recorder.record(record(4));
        assert_eq!(
            counter(&metrics, "voicebridge_call_records_dropped_total"),
            1
        );
    }

    #[tokio::test(start_paused = true)]
    async fn flush_writes_what_it_can_within_the_deadline() {
        let sink = FakeSink::with(|fake| fake.delay = Duration::from_millis(100));
        let (recorder, writer) = spawn_with(sink.clone(), 10, Metrics::new());
        for record in records(10) {
            recorder.record(record);
        }
        assert_eq!(writer.flush(Duration::from_millis(450)).await, 6);
        assert_eq!(sink.written(), records(4));
    }

    #[tokio::test(start_paused = true)]
    async fn the_writer_ends_when_every_recorder_is_gone() {
        let sink = FakeSink::default();
        let (recorder, writer) = spawn_with(sink.clone(), 10, Metrics::new());
        recorder.record(record(1));
        drop(recorder);
        until_written(&sink, 1).await;
        assert!(writer.task.await.is_ok());
    }

    #[tokio::test]
    async fn off_keeps_nothing() {
        let recorder = CallRecorder::off();
        assert!(!recorder.is_on());
        recorder.record(record(1));
    }

    #[tokio::test]
    async fn records_reach_the_call_store() {
        let store = memory().await;
        let (recorder, writer) = CallWriter::spawn(store.clone(), 10, Metrics::new());
        let turns: Vec<TurnRecord> = records(3)
            .into_iter()
            .filter_map(|record| match record {
                Record::Turn(turn) => Some(turn),
                _ => None,
            })
            .collect();
        for turn in &turns {
            recorder.record(Record::Turn(turn.clone()));
        }
        assert_eq!(writer.flush(Duration::from_secs(5)).await, 0);
        let detail = store
            .get(&turns[0].call)
            .await
            .expect("reads")
            .expect("written");
        assert_eq!(detail.turns, turns);
    }
}
