//! The reply queue under paused time, in front of a store that fails while told to.

use std::sync::atomic::AtomicBool;

use async_trait::async_trait;

use super::*;
use crate::session::{ClientVars, Heard, HistoryLimits, MemoryStore, StoreError};

/// The in-memory store, refusing every operation while `down`.
struct Flaky {
    inner: MemoryStore,
    down: AtomicBool,
}

impl Flaky {
    fn new() -> Arc<Self> {
        Arc::new(Self {
            inner: MemoryStore::new(HistoryLimits::default(), 100),
            down: AtomicBool::new(false),
        })
    }

    fn set_down(&self, down: bool) {
        self.down.store(down, Ordering::SeqCst);
    }

    fn check(&self) -> Result<(), StoreError> {
        if self.down.load(Ordering::SeqCst) {
            Err(StoreError("connection refused".into()))
        } else {
            Ok(())
        }
    }
}

#[async_trait]
impl SessionStore for Flaky {
    async fn begin_turn(
        &self,
        conversation: &str,
        user: ChatMessage,
        heard: Option<Heard>,
    ) -> Result<Vec<ChatMessage>, StoreError> {
        self.check()?;
        self.inner.begin_turn(conversation, user, heard).await
    }

    async fn record_reply(
        &self,
        conversation: &str,
        question: Option<&ChatMessage>,
        reply: &ChatMessage,
    ) -> Result<(), StoreError> {
        self.check()?;
        self.inner.record_reply(conversation, question, reply).await
    }

    async fn merge_client(
        &self,
        conversation: &str,
        update: ClientVars,
    ) -> Result<bool, StoreError> {
        self.check()?;
        self.inner.merge_client(conversation, update).await
    }

    async fn client(&self, conversation: &str) -> Result<ClientVars, StoreError> {
        self.check()?;
        self.inner.client(conversation).await
    }

    async fn forget(&self, conversation: &str) -> Result<bool, StoreError> {
        self.inner.forget(conversation).await
    }

    async fn history(&self, conversation: &str) -> Result<Vec<ChatMessage>, StoreError> {
        self.inner.history(conversation).await
    }

    async fn evict_idle(&self, max_idle: Duration) -> Result<usize, StoreError> {
        self.inner.evict_idle(max_idle).await
    }

    fn conversation_count(&self) -> Option<usize> {
        self.inner.conversation_count()
    }
}

fn exchange(turn: usize) -> (ChatMessage, ChatMessage) {
    let id = format!("t{turn}");
    (
        ChatMessage::user(format!("q{turn}"), &id).received_at(turn as i64),
        ChatMessage::assistant(format!("a{turn}"), &id),
    )
}

fn texts(history: &[ChatMessage]) -> Vec<String> {
    history.iter().map(|m| m.content.clone()).collect()
}

fn outbox(store: &Arc<Flaky>, capacity: usize) -> (Outbox, Metrics) {
    let metrics = Metrics::new();
    let outbox = Outbox::new(
        store.clone(),
        metrics.clone(),
        capacity,
        Duration::from_secs(600),
    );
    (outbox, metrics)
}

#[tokio::test(start_paused = true)]
async fn replies_saved_while_the_store_is_down_arrive_in_order_once_it_is_back() {
    let store = Flaky::new();
    let (outbox, metrics) = outbox(&store, 100);
    let shutdown = CancellationToken::new();
    let task = tokio::spawn(outbox.clone().run(shutdown.clone()));
    store.set_down(true);
    for turn in 0..3 {
        let (question, reply) = exchange(turn);
        assert!(!outbox.save("c", Some(question), reply).await, "queued");
    }
    assert_eq!(outbox.waiting(), 3);
    assert_eq!(
        texts(&outbox.pending("c")),
        ["q0", "a0", "q1", "a1", "q2", "a2"],
        "a later turn on this machine still sees them"
    );
    // Down for ten seconds: the task keeps trying, pausing longer each time.
    tokio::time::sleep(Duration::from_secs(10)).await;
    assert_eq!(outbox.waiting(), 3);
    store.set_down(false);
    tokio::time::sleep(LONGEST_PAUSE).await;
    assert_eq!(outbox.waiting(), 0);
    let history = store.history("c").await.expect("store");
    assert_eq!(texts(&history), ["q0", "a0", "q1", "a1", "q2", "a2"]);
    let exported = metrics.render(0, None);
    assert!(
        exported.contains("voicebridge_replies_saved_late_total 3"),
        "{exported}"
    );
    assert!(
        exported.contains("voicebridge_replies_waiting 0"),
        "{exported}"
    );
    shutdown.cancel();
    task.await.expect("task");
}

#[tokio::test(start_paused = true)]
async fn a_reply_queues_behind_its_conversation_and_the_next_turn_saves_them_first() {
    let store = Flaky::new();
    let (outbox, _) = outbox(&store, 100);
    store.set_down(true);
    let (q0, a0) = exchange(0);
    outbox.save("c", Some(q0), a0).await;
    store.set_down(false);
    // No background task: the conversation's next reply saves the waiting one first.
    let (q1, a1) = exchange(1);
    assert!(outbox.save("c", Some(q1), a1).await);
    let history = store.history("c").await.expect("store");
    assert_eq!(texts(&history), ["q0", "a0", "q1", "a1"]);
    // Another conversation never waited behind it.
    let (q, a) = exchange(5);
    assert!(outbox.save("other", Some(q), a).await);
}

#[tokio::test(start_paused = true)]
async fn when_full_the_oldest_reply_is_given_up_and_counted() {
    let store = Flaky::new();
    let (outbox, metrics) = outbox(&store, 2);
    store.set_down(true);
    for turn in 0..3 {
        let (question, reply) = exchange(turn);
        outbox
            .save(&format!("c{turn}"), Some(question), reply)
            .await;
    }
    assert_eq!(outbox.waiting(), 2);
    assert!(outbox.pending("c0").is_empty(), "the oldest went");
    assert_eq!(texts(&outbox.pending("c2")), ["q2", "a2"]);
    let exported = metrics.render(0, None);
    assert!(
        exported.contains(r#"voicebridge_replies_lost_total{reason="full"} 1"#),
        "{exported}"
    );
}

#[tokio::test(start_paused = true)]
async fn stopping_saves_what_it_can_within_the_time_given_and_counts_the_rest() {
    let store = Flaky::new();
    let (outbox, metrics) = outbox(&store, 100);
    store.set_down(true);
    for turn in 0..2 {
        let (question, reply) = exchange(turn);
        outbox.save("c", Some(question), reply).await;
    }
    // Back a second into the grace period: everything is saved.
    let back = {
        let store = store.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_secs(1)).await;
            store.set_down(false);
        })
    };
    assert_eq!(outbox.drain(Duration::from_secs(5)).await, 0);
    back.await.expect("task");
    assert_eq!(store.history("c").await.expect("store").len(), 4);
    // Never back: given up when the time is over.
    store.set_down(true);
    let (question, reply) = exchange(7);
    outbox.save("d", Some(question), reply).await;
    let started = Instant::now();
    assert_eq!(outbox.drain(Duration::from_secs(3)).await, 1);
    assert_eq!(started.elapsed(), Duration::from_secs(3));
    assert!(metrics
        .render(0, None)
        .contains(r#"voicebridge_replies_lost_total{reason="shutdown"} 1"#));
}

#[tokio::test(start_paused = true)]
async fn a_reply_held_longer_than_a_conversation_lives_is_given_up() {
    let store = Flaky::new();
    let metrics = Metrics::new();
    let outbox = Outbox::new(store.clone(), metrics.clone(), 10, Duration::from_secs(60));
    store.set_down(true);
    let (question, reply) = exchange(0);
    outbox.save("c", Some(question), reply).await;
    tokio::time::sleep(Duration::from_secs(61)).await;
    store.set_down(false);
    assert!(outbox.flush("c").await);
    assert!(store.history("c").await.expect("store").is_empty());
    assert!(metrics
        .render(0, None)
        .contains(r#"voicebridge_replies_lost_total{reason="expired"} 1"#));
}
