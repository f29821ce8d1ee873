//! The local Redis for tests of machines sharing a store: each test under a key prefix of
//! its own.

use tokio::net::TcpStream;

use super::unique::stamp;

/// The Redis every machine of this project runs.
pub const REDIS: &str = "redis://127.0.0.1:6379";

/// A key prefix no other test (or run) uses.
pub fn unique_prefix(name: &str) -> String {
    format!("vb-test:{name}:{}:", stamp())
}

/// Fails the test with how to start Redis when none answers on 127.0.0.1:6379.
pub async fn require_redis() {
    if let Err(error) = TcpStream::connect("127.0.0.1:6379").await {
        panic!(
            "these tests need Redis on {REDIS} ({error}); `scripts/test` starts one, or run \
             `redis-server --daemonize yes --port 6379 --save '' --appendonly no`"
        );
    }
}
