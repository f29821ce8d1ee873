//! Two machines on one Redis: a settle wakes exactly the turn waiting for it.

use std::time::Duration;

use super::*;
use crate::cluster::testing::{no_redis, unique_prefix, REDIS_URL};

const WAIT: Duration = Duration::from_secs(10);

async fn machine(prefix: &str) -> Arc<RedisCoordinator> {
    let coordinator = RedisCoordinator::connect(
        REDIS_URL,
        prefix,
        Duration::from_secs(30),
        Metrics::new(),
        CancellationToken::new(),
    )
    .await
    .unwrap_or_else(|e| no_redis(&e));
    Arc::new(coordinator)
}

/// Claims `conversation` on `machine` in a task; the task ends once the claim returned.
fn claim_later(
    machine: &Arc<RedisCoordinator>,
    conversation: &str,
) -> tokio::task::JoinHandle<Claim> {
    let (machine, conversation) = (machine.clone(), conversation.to_string());
    tokio::spawn(async move { machine.claim(&conversation, "t", WAIT).await })
}

/// Waits until `machine` has a waiter for each of `count` turns (the claims are under way).
async fn until_waiting(machine: &RedisCoordinator, count: usize) {
    for _ in 0..500 {
        if machine.waiters.len() == count {
            return;
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    panic!("the claims never started waiting");
}

#[tokio::test]
async fn each_waiting_turn_is_woken_only_by_its_own_settle() {
    let prefix = unique_prefix();
    let (a, b) = (machine(&prefix).await, machine(&prefix).await);
    // Machine A streams in two conversations; machine B takes both over.
    let first = a.claim("one", "t", WAIT).await;
    let second = a.claim("two", "t", WAIT).await;
    let (one, two) = (claim_later(&b, "one"), claim_later(&b, "two"));
    until_waiting(&b, 2).await;
    tokio::time::timeout(Duration::from_secs(5), first.superseded.cancelled())
        .await
        .expect("A's turn is told to stop");

    // A settle message for another turn of the same conversation wakes nobody.
    let mut connection = a.connection.clone();
    let stranger: i64 = redis::cmd("PUBLISH")
        .arg(a.keys.settled_channel())
        .arg("one\nsomeone-else:7")
        .query_async(&mut connection)
        .await
        .expect("publish");
    assert!(stranger >= 2, "both machines listen");
    a.release(&first).await;
    tokio::time::timeout(Duration::from_secs(5), one)
        .await
        .expect("the turn waiting for `one` is woken by its settle")
        .expect("task");
    assert!(!two.is_finished(), "`two` still waits for its own turn");
    assert_eq!(b.waiters.len(), 1);

    a.release(&second).await;
    tokio::time::timeout(Duration::from_secs(5), two)
        .await
        .expect("then `two` is woken by its settle")
        .expect("task");
}

#[tokio::test]
async fn a_turn_that_settled_before_its_successor_listened_is_not_waited_for() {
    let prefix = unique_prefix();
    let (a, b) = (machine(&prefix).await, machine(&prefix).await);
    let old = a.claim("late", "t", WAIT).await;
    // B claims first in Redis, as a turn that starts right after A's settle would.
    let mut connection = b.connection.clone();
    let _: Option<String> = redis::cmd("SET")
        .arg(b.keys.running("late"))
        .arg("elsewhere:1")
        .arg("GET")
        .query_async(&mut connection)
        .await
        .expect("set");
    a.release(&old).await; // Superseded in Redis: leaves its settled mark.
    let (_, already): (i64, bool) = redis::pipe()
        .cmd("PUBLISH")
        .arg("unused")
        .arg("x")
        .cmd("EXISTS")
        .arg(a.keys.settled("late", &a.global(old.id)))
        .query_async(&mut connection)
        .await
        .expect("exists");
    assert!(already, "the settled mark is there for a late successor");
    let key = ("late".to_string(), a.global(old.id));
    // Nothing will ever notify: only the mark can end this wait before WAIT.
    tokio::time::timeout(
        Duration::from_secs(5),
        b.supersede_and_wait(&key, &Notify::new(), WAIT),
    )
    .await
    .expect("returned on the mark")
    .expect("redis");
}

#[tokio::test]
async fn a_claim_and_a_release_whose_connection_dropped_are_made_on_the_new_one() {
    let metrics = Metrics::new();
    let machine = RedisCoordinator::connect(
        REDIS_URL,
        &unique_prefix(),
        Duration::from_secs(30),
        metrics.clone(),
        CancellationToken::new(),
    )
    .await
    .unwrap_or_else(|e| no_redis(&e));
    crate::cluster::testing::drop_connection(&machine.connection).await;
    let claim = machine.claim("c", "t1", WAIT).await;
    let mut connection = machine.connection.clone();
    let running: Option<String> = redis::cmd("GET")
        .arg(machine.keys.running("c"))
        .query_async(&mut connection)
        .await
        .expect("redis");
    assert_eq!(running, Some(machine.global(claim.id)), "claimed in Redis");
    crate::cluster::testing::drop_connection(&machine.connection).await;
    machine.release(&claim).await;
    let running: Option<String> = redis::cmd("GET")
        .arg(machine.keys.running("c"))
        .query_async(&mut connection)
        .await
        .expect("redis");
    assert_eq!(running, None, "released in Redis");
    let exported = metrics.render(0, None);
    assert!(
        !exported.contains("voicebridge_store_errors_total{"),
        "{exported}"
    );
}
