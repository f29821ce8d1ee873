//! Every path of a turn under paused time, against a scripted model: the lease is settled
//! exactly once, `response.end` is sent exactly once, and deadlines, the filler, the idle
//! flush and retries happen at the virtual moments the settings say.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::*;
use crate::llm::RetryPolicy;
use crate::llm::{LlmError, ReplyStream};
use crate::metrics::Metrics;
use crate::session::{ChatMessage, SessionStore};
use crate::session::{HistoryLimits, MemoryStore, Role};
use crate::speech::SpeechSettings;
use crate::template::{CallContext, Template};

/// One step of a scripted reply.
#[derive(Clone)]
enum Step {
    Text(&'static str),
    Pause(Duration),
    Finish(&'static str),
    /// Never says anything more.
    Hang,
}

/// What the scripted model answers to one request.
#[derive(Clone)]
enum Answer {
    Stream(Vec<Step>),
    Fail(LlmError),
}

#[derive(Default)]
struct ScriptedModel {
    answers: Mutex<VecDeque<Answer>>,
    requests: Mutex<Vec<Instant>>,
}

impl ScriptedModel {
    fn answer(&self, answer: Answer) {
        self.answers.lock().expect("lock").push_back(answer);
    }

    fn requests(&self) -> Vec<Instant> {
        self.requests.lock().expect("lock").clone()
    }
}

fn sse(data: &str) -> Bytes {
    Bytes::from(format!("data: {data}\n\n"))
}

fn body(steps: Vec<Step>) -> ReplyStream {
    let events = futures_util::stream::unfold(steps.into_iter(), |mut steps| async move {
        let bytes = match steps.next()? {
            Step::Text(text) => {
                let chunk = serde_json::json!({"choices":[{"index":0,"delta":{"content":text}}]});
                sse(&chunk.to_string())
            }
            Step::Pause(pause) => {
                tokio::time::sleep(pause).await;
                Bytes::new()
            }
            Step::Finish(reason) => sse(&format!(
                r#"{{"choices":[{{"index":0,"delta":{{}},"finish_reason":"{reason}"}}]}}"#
            )),
            Step::Hang => {
                std::future::pending::<()>().await;
                Bytes::new()
            }
        };
        Some((Ok::<_, std::io::Error>(bytes), steps))
    });
    let done = futures_util::stream::iter([Ok(sse("[DONE]"))]);
    ReplyStream::new(futures_util::StreamExt::chain(events, done))
}

#[async_trait]
impl Model for ScriptedModel {
    fn upstream_count(&self) -> usize {
        1
    }

    fn name(&self, _: usize) -> &str {
        "scripted"
    }

    async fn stream_chat(
        &self,
        _: usize,
        _: &crate::llm::Prompt<'_>,
    ) -> Result<ReplyStream, LlmError> {
        self.requests.lock().expect("lock").push(Instant::now());
        let answer = self.answers.lock().expect("lock").pop_front();
        match answer.unwrap_or(Answer::Stream(vec![
            Step::Text("Hi there."),
            Step::Finish("stop"),
        ])) {
            Answer::Stream(steps) => Ok(body(steps)),
            Answer::Fail(error) => Err(error),
        }
    }
}

/// Counts how every claim ends.
#[derive(Default)]
struct CountingCoordinator {
    local: LocalCoordinator,
    released: AtomicUsize,
    abandoned: AtomicUsize,
}

#[async_trait]
impl Coordinator for CountingCoordinator {
    async fn claim(&self, conversation: &str, turn_id: &str, wait: Duration) -> Claim {
        self.local.claim(conversation, turn_id, wait).await
    }

    async fn release(&self, claim: &Claim) {
        self.released.fetch_add(1, Ordering::SeqCst);
        self.local.release(claim).await;
    }

    fn abandon(&self, claim: &Claim) {
        self.abandoned.fetch_add(1, Ordering::SeqCst);
        self.local.abandon(claim);
    }
}

struct Harness {
    agent: Arc<Agent>,
    model: Arc<ScriptedModel>,
    coordinator: Arc<CountingCoordinator>,
    store: Arc<MemoryStore>,
    shutdown: CancellationToken,
}

const APOLOGY: &str = "Sorry, that failed.";

fn settings() -> AgentSettings {
    AgentSettings {
        name: "default".into(),
        system_prompt: Template::plain("Be brief."),
        welcome: Template::plain("Welcome!"),
        apology: Template::plain(APOLOGY),
        now: crate::template::Now::utc(),
        first_token_timeout: Duration::from_secs(3),
        idle_timeout: Duration::from_secs(5),
        turn_timeout: Duration::from_secs(20),
        retry: RetryPolicy {
            max_retries: 1,
            backoff: Duration::from_millis(250),
        },
        filler: None,
        speech_idle_flush: Duration::from_millis(250),
        speech: SpeechSettings::default(),
        voice: Arc::new(crate::speech::Voice::plain()),
        door: Default::default(),
        knowledge: None,
        prices: std::sync::Arc::default(),
        privacy: Default::default(),
    }
}

fn harness(settings: AgentSettings) -> Harness {
    let model = Arc::new(ScriptedModel::default());
    let coordinator = Arc::new(CountingCoordinator::default());
    let store = Arc::new(MemoryStore::new(HistoryLimits::default(), 100));
    let metrics = Metrics::new();
    let ledger = Ledger {
        store: store.clone(),
        coordinator: coordinator.clone(),
        metrics: metrics.clone(),
        calls: crate::records::CallRecorder::off(),
        outbox: Outbox::new(store.clone(), metrics, 100, Duration::from_secs(60)),
        tracing: crate::trace::Tracing::off(),
    };
    let agent = Arc::new(Agent::new(
        ledger,
        model.clone(),
        Arc::new(ToolSet::none()),
        settings,
    ));
    Harness {
        agent,
        model,
        coordinator,
        store,
        shutdown: CancellationToken::new(),
    }
}

/// A running turn: its task, and what the edge would see.
struct Running {
    task: tokio::task::JoinHandle<Option<TurnOutcome>>,
    events: tokio::sync::mpsc::UnboundedReceiver<TurnEvent>,
    delivered: Arc<std::sync::atomic::AtomicUsize>,
    hang_up: Option<tokio_util::sync::DropGuard>,
}

impl Harness {
    fn start(&self, conversation: &str, turn_id: &str, request: Request) -> Running {
        let (caller, delivery) = Caller::new(self.shutdown.child_token(), Instant::now());
        let turn = Turn {
            conversation: conversation.into(),
            context: CallContext::default(),
            turn_id: turn_id.into(),
            request,
            caller,
            traceparent: None,
        };
        let agent = self.agent.clone();
        Running {
            task: tokio::spawn(async move { agent.run(turn).await }),
            events: delivery.events,
            delivered: delivery.delivered,
            hang_up: Some(delivery.cancel_on_drop),
        }
    }

    fn say(&self, conversation: &str, turn_id: &str, text: &str) -> Running {
        let request = Request::Message {
            text: text.into(),
            heard: None,
        };
        self.start(conversation, turn_id, request)
    }

    fn settled(&self) -> (usize, usize) {
        (
            self.coordinator.released.load(Ordering::SeqCst),
            self.coordinator.abandoned.load(Ordering::SeqCst),
        )
    }

    async fn history(&self, conversation: &str) -> Vec<ChatMessage> {
        self.store.history(conversation).await.expect("memory")
    }
}

impl Running {
    /// The next event, with the virtual moment it arrived.
    async fn next(&mut self) -> Option<(TurnEvent, Instant)> {
        let event = self.events.recv().await?;
        Some((event, Instant::now()))
    }

    /// Everything until the channel closes; asserts exactly one `End`, last.
    async fn rest(&mut self) -> Vec<(TurnEvent, Instant)> {
        let mut events = Vec::new();
        while let Some(event) = self.next().await {
            events.push(event);
        }
        let ends = events.iter().filter(|(e, _)| *e == TurnEvent::End).count();
        assert_eq!(ends, 1, "exactly one response.end: {events:?}");
        assert_eq!(events.last().map(|(e, _)| e), Some(&TurnEvent::End));
        events
    }

    async fn outcome(self) -> Option<TurnOutcome> {
        self.task.await.expect("the turn task never panics")
    }
}

fn spoken(events: &[(TurnEvent, Instant)]) -> Vec<&str> {
    events
        .iter()
        .filter_map(|(e, _)| match e {
            TurnEvent::Speak(text, _) => Some(text.as_str()),
            _ => None,
        })
        .collect()
}

fn stream(steps: &[Step]) -> Answer {
    Answer::Stream(steps.to_vec())
}

#[tokio::test(start_paused = true)]
async fn a_completed_turn_ends_once_and_settles_once() {
    let h = harness(settings());
    h.model.answer(stream(&[
        Step::Text("Sure, I can help. "),
        Step::Text("Dr. Smith is in."),
        Step::Finish("stop"),
    ]));
    let mut turn = h.say("c", "t1", "Hello");
    let events = turn.rest().await;
    assert_eq!(spoken(&events), ["Sure, I can help.", "Dr. Smith is in."]);
    assert_eq!(turn.outcome().await, Some(TurnOutcome::Completed));
    assert_eq!(h.settled(), (1, 0));
    let history = h.history("c").await;
    assert_eq!(history[1].content, "Sure, I can help. Dr. Smith is in.");
    assert!(!history[1].interrupted);
}

#[tokio::test(start_paused = true)]
async fn a_failed_turn_apologises_ends_once_and_settles_once() {
    let h = harness(settings());
    let rejected = LlmError::Status {
        status: 400,
        code: None,
        message: "bad request".into(),
        retry_after: None,
    };
    h.model.answer(Answer::Fail(rejected));
    let mut turn = h.say("c", "t1", "Hello");
    let events = turn.rest().await;
    assert_eq!(spoken(&events), [APOLOGY]);
    assert!(events.iter().any(
        |(e, _)| matches!(e, TurnEvent::Data(d) if d["error"]["code"] == "upstream_http_error")
    ));
    assert_eq!(turn.outcome().await, Some(TurnOutcome::Failed));
    assert_eq!(h.settled(), (1, 0));
    assert_eq!(h.model.requests().len(), 1, "a 400 is not retried");
}

#[tokio::test(start_paused = true)]
async fn an_interrupted_turn_keeps_what_was_delivered_ends_once_and_settles_once() {
    let h = harness(settings());
    h.model.answer(stream(&[
        Step::Text("This is the first sentence here. "),
        Step::Text("And a second one. Then"),
        Step::Hang,
    ]));
    let mut turn = h.say("c", "t1", "Tell me");
    while !matches!(turn.next().await, Some((TurnEvent::Speak(..), _))) {}
    // The edge framed one sentence, then the client hung up.
    turn.delivered.fetch_add(1, Ordering::SeqCst);
    drop(turn.hang_up.take());
    let rest = turn.rest().await;
    assert!(!rest.is_empty());
    assert_eq!(turn.outcome().await, Some(TurnOutcome::Interrupted));
    assert_eq!(h.settled(), (1, 0));
    let history = h.history("c").await;
    assert_eq!(history[1].content, "This is the first sentence here.");
    assert!(history[1].interrupted);
}

#[tokio::test(start_paused = true)]
async fn a_superseded_turn_ends_once_and_settles_before_the_new_turn_reads_history() {
    let h = harness(settings());
    h.model.answer(stream(&[
        Step::Text("The old answer starts here. "),
        Step::Text("More"),
        Step::Hang,
    ]));
    h.model.answer(stream(&[
        Step::Text("The new answer."),
        Step::Finish("stop"),
    ]));
    let mut old = h.say("c", "t1", "First question");
    let _ = old.next().await.expect("the old turn speaks");
    let mut new = h.say("c", "t2", "Second question");
    old.rest().await;
    assert_eq!(old.outcome().await, Some(TurnOutcome::Superseded));
    let events = new.rest().await;
    assert_eq!(spoken(&events), ["The new answer."]);
    assert_eq!(new.outcome().await, Some(TurnOutcome::Completed));
    assert_eq!(h.settled(), (2, 0));
    let history: Vec<(Role, String)> = h
        .history("c")
        .await
        .into_iter()
        .map(|m| (m.role, m.content))
        .collect();
    assert_eq!(
        history,
        [
            (Role::User, "First question".to_string()),
            (Role::Assistant, "The old answer starts here.".to_string()),
            (Role::User, "Second question".to_string()),
            (Role::Assistant, "The new answer.".to_string()),
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn a_turn_cancelled_by_shutdown_ends_once_and_settles_once() {
    let h = harness(settings());
    h.model
        .answer(stream(&[Step::Text("Working on it. "), Step::Hang]));
    let mut turn = h.say("c", "t1", "Hi");
    tokio::time::sleep(Duration::from_secs(1)).await;
    h.shutdown.cancel();
    turn.rest().await;
    assert_eq!(turn.outcome().await, Some(TurnOutcome::Interrupted));
    assert_eq!(h.settled(), (1, 0));
}

#[tokio::test(start_paused = true)]
async fn the_welcome_and_a_blank_message_end_once() {
    let h = harness(settings());
    let mut welcome = h.start("c", "t0", Request::Welcome);
    let events = welcome.rest().await;
    assert_eq!(spoken(&events), ["Welcome!"]);
    assert_eq!(
        data(&events),
        [serde_json::json!({"delta": "Welcome!"})],
        "the page gets the welcome's text as it gets a reply's"
    );
    assert_eq!(welcome.outcome().await, Some(TurnOutcome::Completed));
    assert_eq!(h.settled(), (1, 0));
    let mut blank = h.say("c", "t1", "  ");
    assert!(spoken(&blank.rest().await).is_empty());
    assert_eq!(blank.outcome().await, None, "no model, no lease");
    assert!(h.model.requests().is_empty());
    assert_eq!(h.settled(), (1, 0));
}

#[tokio::test(start_paused = true)]
async fn a_late_first_token_moves_on_at_the_deadline_and_retries_once() {
    let h = harness(settings());
    let late = stream(&[
        Step::Pause(Duration::from_secs(10)),
        Step::Text("Too late."),
    ]);
    h.model.answer(late.clone());
    h.model.answer(late);
    let started = Instant::now();
    let mut turn = h.say("c", "t1", "Hi");
    let events = turn.rest().await;
    assert_eq!(spoken(&events), [APOLOGY]);
    let requests = h.model.requests();
    assert_eq!(requests.len(), 2);
    // One upstream: retried at once after the 3 s first-token deadline, then given up.
    assert_eq!(requests[1] - started, Duration::from_secs(3));
    assert_eq!(events[0].1 - started, Duration::from_secs(6));
}

#[tokio::test(start_paused = true)]
async fn a_failed_attempt_is_retried_after_the_backoff() {
    let h = harness(settings());
    h.model
        .answer(Answer::Fail(LlmError::Unreachable("refused".into())));
    h.model
        .answer(stream(&[Step::Text("Back again."), Step::Finish("stop")]));
    let started = Instant::now();
    let mut turn = h.say("c", "t1", "Hi");
    assert_eq!(spoken(&turn.rest().await), ["Back again."]);
    assert_eq!(h.model.requests()[1] - started, Duration::from_millis(250));
}

#[tokio::test(start_paused = true)]
async fn a_stalled_model_fails_after_the_idle_deadline() {
    let h = harness(settings());
    h.model
        .answer(stream(&[Step::Text("Sure. One"), Step::Hang]));
    let started = Instant::now();
    let mut turn = h.say("c", "t1", "Hi");
    let events = turn.rest().await;
    assert_eq!(spoken(&events), ["Sure.", APOLOGY]);
    let apology = events
        .iter()
        .find(|(e, _)| matches!(e, TurnEvent::Speak(t, _) if t == APOLOGY))
        .expect("apology");
    assert_eq!(apology.1 - started, Duration::from_secs(5));
}

#[tokio::test(start_paused = true)]
async fn the_filler_is_spoken_when_the_first_token_is_late() {
    let mut settings = settings();
    settings.filler = Some(ThinkingFiller {
        after: Duration::from_millis(800),
        text: Template::plain("One moment."),
    });
    let h = harness(settings);
    h.model.answer(stream(&[
        Step::Pause(Duration::from_secs(2)),
        Step::Text("Here it is."),
        Step::Finish("stop"),
    ]));
    let started = Instant::now();
    let mut turn = h.say("c", "t1", "Hi");
    let events = turn.rest().await;
    assert_eq!(spoken(&events), ["One moment.", "Here it is."]);
    assert_eq!(events[0].1 - started, Duration::from_millis(800));
}

#[tokio::test(start_paused = true)]
async fn a_finished_sentence_is_spoken_when_the_model_pauses() {
    let h = harness(settings());
    h.model.answer(stream(&[
        Step::Text("Let me check that for you."),
        Step::Pause(Duration::from_secs(2)),
        Step::Text(" It is ready."),
        Step::Finish("stop"),
    ]));
    let started = Instant::now();
    let mut turn = h.say("c", "t1", "Hi");
    let events = turn.rest().await;
    assert_eq!(
        spoken(&events),
        ["Let me check that for you.", "It is ready."]
    );
    let first = events
        .iter()
        .find(|(e, _)| matches!(e, TurnEvent::Speak(..)))
        .expect("speech");
    assert_eq!(
        first.1 - started,
        Duration::from_millis(250),
        "the idle flush"
    );
}

/// What the page got as `response.data`.
fn data(events: &[(TurnEvent, Instant)]) -> Vec<serde_json::Value> {
    events
        .iter()
        .filter_map(|(e, _)| match e {
            TurnEvent::Data(data) => Some(data.clone()),
            TurnEvent::Delta(delta) => Some(serde_json::json!({ "delta": delta })),
            _ => None,
        })
        .collect()
}

#[tokio::test(start_paused = true)]
async fn a_stream_cut_off_before_a_sentence_was_spoken_is_retried() {
    let h = harness(settings());
    // No finish_reason, then [DONE]: cut off mid-sentence, nothing spoken.
    h.model.answer(stream(&[Step::Text("Let me check th")]));
    h.model
        .answer(stream(&[Step::Text("All good now."), Step::Finish("stop")]));
    let started = Instant::now();
    let mut turn = h.say("c", "t1", "Hi");
    let events = turn.rest().await;
    assert_eq!(spoken(&events), ["All good now."]);
    assert_eq!(
        data(&events),
        [
            serde_json::json!({"delta": "Let me check th"}),
            serde_json::json!({"retry": 1}),
            serde_json::json!({"delta": "All good now."}),
        ]
    );
    assert_eq!(h.model.requests()[1] - started, Duration::from_millis(250));
    assert_eq!(turn.outcome().await, Some(TurnOutcome::Completed));
    assert_eq!(h.history("c").await[1].content, "All good now.");
}

#[tokio::test(start_paused = true)]
async fn the_filler_does_not_count_as_spoken_text_and_can_cover_a_retry() {
    let mut settings = settings();
    settings.filler = Some(ThinkingFiller {
        after: Duration::from_millis(800),
        text: Template::plain("One moment."),
    });
    let h = harness(settings);
    // The filler, then text that is cut off: still retried.
    h.model.answer(stream(&[
        Step::Pause(Duration::from_secs(1)),
        Step::Text("Let me"),
    ]));
    h.model
        .answer(stream(&[Step::Text("Found it."), Step::Finish("stop")]));
    let mut turn = h.say("c", "t1", "Hi");
    assert_eq!(spoken(&turn.rest().await), ["One moment.", "Found it."]);

    // Text cut off before the filler was due: the dropped text did not break the silence,
    // so the filler still covers a slow retry.
    h.model.answer(stream(&[Step::Text("Let me")]));
    h.model.answer(stream(&[
        Step::Pause(Duration::from_secs(2)),
        Step::Text("Found it."),
        Step::Finish("stop"),
    ]));
    let mut turn = h.say("c", "t2", "Again");
    assert_eq!(spoken(&turn.rest().await), ["One moment.", "Found it."]);
    assert_eq!(h.model.requests().len(), 4);
}

#[tokio::test(start_paused = true)]
async fn a_lease_dropped_without_settling_is_released_and_logged() {
    let h = harness(settings());
    let lease = h.agent.ledger.claim("c", "t1").await;
    drop(lease);
    assert_eq!(h.settled(), (0, 1));
    // The conversation is free again: the next claim does not wait for the dropped one.
    let started = Instant::now();
    let next = h.agent.ledger.claim("c", "t2").await;
    assert_eq!(Instant::now(), started);
    let (caller, _delivery) = Caller::new(CancellationToken::new(), Instant::now());
    next.settle(None, caller).await;
    assert_eq!(h.settled(), (1, 1));
}

#[tokio::test(start_paused = true)]
async fn the_turn_budget_stops_a_reply_that_never_ends() {
    let mut settings = settings();
    settings.turn_timeout = Duration::from_millis(400);
    let h = harness(settings);
    let mut steps = Vec::new();
    for _ in 0..50 {
        steps.push(Step::Text("Word. "));
        steps.push(Step::Pause(Duration::from_millis(100)));
    }
    h.model.answer(Answer::Stream(steps));
    let started = Instant::now();
    let mut turn = h.say("c", "t1", "Talk forever");
    let events = turn.rest().await;
    let apology = events
        .iter()
        .find(|(e, _)| matches!(e, TurnEvent::Speak(t, _) if t == APOLOGY))
        .expect("apology");
    assert_eq!(apology.1 - started, Duration::from_millis(400));
    assert!(events.iter().any(
        |(e, _)| matches!(e, TurnEvent::Data(d) if d["error"]["code"] == "turn_time_budget_exceeded")
    ));
}

/// A delta of several megabytes (a hostile model's) is spoken in slices: between them the
/// turn's deadline is checked and a barge-in is heard, so neither waits for the whole
/// delta. Real time: the slices' work is what the deadline must interrupt.
#[tokio::test]
async fn a_huge_delta_stops_at_the_turn_deadline_and_at_a_barge_in() {
    const WORDS: usize = 1 << 21;
    let huge: &'static str = "Word ".repeat(WORDS).leak();
    let words = |events: &[(TurnEvent, Instant)]| -> usize {
        spoken(events).iter().map(|s| s.matches('W').count()).sum()
    };

    let mut short = settings();
    short.turn_timeout = Duration::from_millis(300);
    let h = harness(short);
    h.model
        .answer(stream(&[Step::Text(huge), Step::Finish("stop")]));
    let mut turn = h.say("c", "t1", "Talk");
    let events = turn.rest().await;
    assert!(events.iter().any(|(e, _)| matches!(e,
        TurnEvent::Data(d) if d["error"]["code"] == "turn_time_budget_exceeded")));
    assert!(
        words(&events) < WORDS,
        "the deadline waited for the whole delta"
    );
    assert_eq!(turn.outcome().await, Some(TurnOutcome::Failed));

    let h = harness(settings());
    h.model
        .answer(stream(&[Step::Text(huge), Step::Finish("stop")]));
    let mut turn = h.say("c", "t2", "Talk");
    while !matches!(turn.next().await, Some((TurnEvent::Speak(..), _))) {}
    drop(turn.hang_up.take());
    let events = turn.rest().await;
    assert!(
        words(&events) < WORDS,
        "the barge-in waited for the whole delta"
    );
    assert_eq!(turn.outcome().await, Some(TurnOutcome::Interrupted));
}
