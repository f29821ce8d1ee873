//! The local Redis for tests of machines sharing a store: each test under a key prefix of
//! its own. A test that kills Redis starts a private one (`PrivateRedis`), and reads what
//! was stored straight from it (`stored_history`).

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

/// A Redis of one test's own on a free port, writing every command to its append-only
/// file before answering (`appendfsync always`), so a SIGKILL loses nothing it
/// acknowledged and a restart on the same port and folder brings the data back.
pub struct PrivateRedis {
    pub url: String,
    port: u16,
    dir: std::path::PathBuf,
    child: Option<std::process::Child>,
}

impl PrivateRedis {
    pub async fn start() -> Self {
        let port = super::unique::free_port();
        let mut redis = Self {
            url: format!("redis://127.0.0.1:{port}"),
            port,
            dir: super::unique::temp_folder("redis"),
            child: None,
        };
        redis.restart().await;
        redis
    }

    /// SIGKILLs the server (no shutdown, no last write) and reaps it.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().expect("SIGKILL redis-server");
            child.wait().expect("reap redis-server");
        }
    }

    /// Starts the server again on the same port and folder; returns once its data is
    /// loaded and it answers PING.
    pub async fn restart(&mut self) {
        assert!(self.child.is_none(), "kill it first");
        let child = std::process::Command::new("redis-server")
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
            .args([
                "--appendonly",
                "yes",
                "--appendfsync",
                "always",
                "--save",
                "",
            ])
            .arg("--dir")
            .arg(&self.dir)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("redis-server starts (is it installed?)");
        self.child = Some(child);
        for _ in 0..400 {
            if self.ping().await {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
        panic!(
            "the private redis-server on port {} did not answer",
            self.port
        );
    }

    async fn ping(&self) -> bool {
        let Ok(client) = redis::Client::open(self.url.as_str()) else {
            return false;
        };
        let Ok(mut connection) = client.get_multiplexed_async_connection().await else {
            return false;
        };
        let pong: redis::RedisResult<String> =
            redis::cmd("PING").query_async(&mut connection).await;
        pong.is_ok()
    }
}

impl Drop for PrivateRedis {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The history of `conversation` exactly as stored under `prefix` (field `m` of
/// `{prefix}conv:{conversation}`), not repaired; empty when there is none.
pub async fn stored_history(
    url: &str,
    prefix: &str,
    conversation: &str,
) -> Vec<voicebridge::session::ChatMessage> {
    let client = redis::Client::open(url).expect("redis url");
    let mut connection = client
        .get_multiplexed_async_connection()
        .await
        .expect("redis answers");
    let json: Option<String> = redis::cmd("HGET")
        .arg(format!("{prefix}conv:{conversation}"))
        .arg("m")
        .query_async(&mut connection)
        .await
        .expect("HGET");
    json.map_or_else(Vec::new, |json| {
        serde_json::from_str(&json).expect("stored history is JSON messages")
    })
}
