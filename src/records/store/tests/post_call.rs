//! Post-call delivery: claims, leases and delivery marks, the calls still owed, and an
//! older database brought up to date.

use serde_json::Map;

use super::{get, key, put, turn};
use crate::records::record::Record;
use crate::records::store::connect::{migrator, POSTGRES_MIGRATIONS, SQLITE_MIGRATIONS};
use crate::records::store::sql::with_pool;
use crate::records::store::{Backend, CallStore, OwedQuery};

/// Five minutes, in milliseconds.
const LEASE_MS: i64 = 5 * 60 * 1000;

pub(super) async fn a_post_call_is_claimed_by_one_machine_and_delivered_once(store: &CallStore) {
    let call = key("a", "hook");
    let claim = |at: i64| async move {
        store
            .claim_post_call(&key("a", "hook"), at, at - LEASE_MS, i64::MAX)
            .await
            .expect("claims")
    };
    assert!(!claim(10_000).await, "no such call");
    put(store, &turn(&call, "m1", 1_000)).await;
    // Still going by the database (active at or after the quiet bound, not ended),
    // whatever one machine saw of it.
    assert!(!store
        .claim_post_call(&call, 10_000, 10_000 - LEASE_MS, 1_000)
        .await
        .expect("claims"));
    assert!(claim(10_000).await);
    assert!(!claim(10_001).await, "claimed: another machine does not");
    assert!(!claim(10_000 + LEASE_MS).await, "the lease still runs");
    // Past the lease the first machine is taken to have stopped: the call is taken over.
    let later = 10_001 + LEASE_MS;
    assert!(claim(later).await);
    // The first machine's claim is no longer the call's: it gives back nothing.
    assert!(!store
        .release_post_call(&call, 10_000)
        .await
        .expect("releases"));
    assert!(!claim(later + 1).await);
    // The current claim given back, the call can be claimed at once.
    assert!(store
        .release_post_call(&call, later)
        .await
        .expect("releases"));
    assert!(claim(later + 2).await);
    store
        .post_call_delivered(&call, later + 3)
        .await
        .expect("marks");
    // Delivered: never claimed again, not even long after.
    assert!(!claim(later + 100 * LEASE_MS).await);
    assert!(!store
        .release_post_call(&call, later + 2)
        .await
        .expect("releases"));
    // Later records of the call change nothing of it.
    put(store, &turn(&call, "m2", later + 200 * LEASE_MS)).await;
    assert!(!claim(later + 300 * LEASE_MS).await);
    // Another call is claimed on its own.
    put(store, &turn(&key("a", "other"), "m1", 1_000)).await;
    assert!(store
        .claim_post_call(&key("a", "other"), 20_000, 20_000 - LEASE_MS, i64::MAX)
        .await
        .expect("claims"));
}

pub(super) async fn calls_owed_a_post_call_are_the_ones_over_undelivered_and_unclaimed(
    store: &CallStore,
) {
    let now = 1_000_000_000;
    let day = 24 * 60 * 60 * 1000;
    let end = |id: &str, at_ms: i64| Record::SessionEnd {
        call: key("a", id),
        at_ms,
        report: Map::new(),
        voice_cost_usd: None,
        redactions: None,
    };
    // Quiet for two minutes (over after one): owed.
    put(store, &turn(&key("a", "quiet"), "m1", now - 120_000)).await;
    // Claimed by a machine that stopped long ago: owed.
    put(store, &turn(&key("a", "stale"), "m1", now - 110_000)).await;
    assert!(store
        .claim_post_call(
            &key("a", "stale"),
            now - 2 * LEASE_MS,
            now - 3 * LEASE_MS,
            i64::MAX
        )
        .await
        .expect("claims"));
    // Ended 50 s ago, after a turn: owed.
    put(store, &turn(&key("a", "ended"), "m1", now - 60_000)).await;
    store
        .write(&end("ended", now - 50_000))
        .await
        .expect("writes");
    // Ended a moment ago: its last records may still come; not yet.
    put(store, &turn(&key("a", "ending"), "m1", now - 5_000)).await;
    store
        .write(&end("ending", now - 1_000))
        .await
        .expect("writes");
    // Still talking.
    put(store, &turn(&key("a", "talking"), "m1", now - 10_000)).await;
    // Quiet, but being delivered by another machine.
    put(store, &turn(&key("a", "claimed"), "m1", now - 100_000)).await;
    assert!(store
        .claim_post_call(
            &key("a", "claimed"),
            now - 1_000,
            now - 1_000 - LEASE_MS,
            i64::MAX
        )
        .await
        .expect("claims"));
    // Delivered already.
    put(store, &turn(&key("a", "done"), "m1", now - 100_000)).await;
    store
        .post_call_delivered(&key("a", "done"), now - 90_000)
        .await
        .expect("marks");
    // Older than the window.
    put(store, &turn(&key("a", "ancient"), "m1", now - 2 * day)).await;
    store
        .write(&end("ancient", now - 2 * day))
        .await
        .expect("writes");

    let owed = |limit: u32| async move {
        let query = OwedQuery {
            active_since_ms: now - day,
            ended_before_ms: now - 2_000,
            quiet_before_ms: now - 60_000,
            claimed_before_ms: now - LEASE_MS,
            limit,
        };
        let calls = store.post_calls_owed(&query).await.expect("reads");
        calls
            .into_iter()
            .map(|c| c.conversation_id)
            .collect::<Vec<_>>()
    };
    assert_eq!(owed(10).await, ["quiet", "stale", "ended"]);
    assert_eq!(owed(2).await, ["quiet", "stale"], "bounded, oldest first");
}

async fn execute(store: &CallStore, sql: &str) {
    with_pool!(store, |pool| {
        sqlx::query(sql).execute(pool).await.expect("executes");
    });
}

pub(super) async fn an_older_database_is_upgraded_and_only_calls_going_on_stay_owed(
    store: &CallStore,
) {
    // The schema as the first migration left it.
    execute(store, "ALTER TABLE calls DROP COLUMN post_call_claim_ms").await;
    execute(
        store,
        "ALTER TABLE calls DROP COLUMN post_call_delivered_ms",
    )
    .await;
    execute(store, "DELETE FROM _sqlx_migrations WHERE version = 2").await;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64);
    put(store, &turn(&key("a", "ended"), "m1", now - 60_000)).await;
    store
        .write(&Record::SessionEnd {
            call: key("a", "ended"),
            at_ms: now - 50_000,
            report: Map::new(),
            voice_cost_usd: None,
            redactions: None,
        })
        .await
        .expect("writes");
    put(store, &turn(&key("a", "quiet"), "m1", now - 40 * 60_000)).await;
    // Quiet for less than the default idle time: the old version had not sent it.
    put(store, &turn(&key("a", "going"), "m1", now - 10 * 60_000)).await;

    let source = match store.backend {
        Backend::Sqlite(_) => SQLITE_MIGRATIONS,
        Backend::Postgres(_) => POSTGRES_MIGRATIONS,
    };
    let migrator = migrator(source).await.expect("loads");
    with_pool!(store, |pool| migrator.run(pool).await.expect("migrates"));

    let claim = |id: &'static str| async move {
        store
            .claim_post_call(&key("a", id), now, now - LEASE_MS, i64::MAX)
            .await
            .expect("claims")
    };
    assert!(!claim("ended").await, "handed on by the previous version");
    assert!(!claim("quiet").await, "handed on by the previous version");
    assert!(
        claim("going").await,
        "still going: delivered when it is over"
    );
    assert_eq!(get(store, &key("a", "going")).await.turns.len(), 1);
}
