//! Tests of the call-record writer.

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
    fn write(&self, record: &Record) -> impl Future<Output = Result<(), CallStoreError>> + Send {
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

    let logs = String::from_utf8(logs.lock().expect("not poisoned").clone()).expect("UTF-8 logs");
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
    let (recorder, writer) = CallWriter::spawn(store.clone(), 10, Metrics::new(), Redaction::off());
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

#[tokio::test]
async fn a_forgotten_call_stays_deleted_whatever_was_queued_before_it() {
    let store = memory().await;
    let (recorder, writer) = CallWriter::spawn(store.clone(), 10, Metrics::new(), Redaction::off());
    let call = CallKey {
        agent: "a".into(),
        conversation_id: "gone".into(),
    };
    // A turn ending while the call is deleted: queued before the writer hears of it.
    recorder.record(Record::Turn(turn(&call, "m1", 1)));
    recorder.record(Record::Forget { call: call.clone() });
    // A turn after the deletion starts the call afresh.
    let later = CallKey {
        agent: "a".into(),
        conversation_id: "after".into(),
    };
    recorder.record(Record::Forget {
        call: later.clone(),
    });
    recorder.record(Record::Turn(turn(&later, "m2", 2)));
    assert_eq!(writer.flush(Duration::from_secs(5)).await, 0);
    assert!(store.get(&call).await.expect("reads").is_none());
    assert!(store.get(&later).await.expect("reads").is_some());
}
