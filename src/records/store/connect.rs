//! Opening a [`CallStore`]: the SQLite or Postgres pool, the migrations compiled into
//! the binary, and telling a failure that may pass from data the database refuses.

use std::borrow::Cow;
use std::str::FromStr;
use std::time::Duration;

use futures_util::future::BoxFuture;
use sqlx::error::BoxDynError;
use sqlx::migrate::{Migration, MigrationSource, MigrationType, Migrator};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

use super::{Backend, CallStore, CallStoreError};

impl CallStore {
    /// Connects and brings the schema up to date. `sqlite://path/to/file.db` (the file
    /// and its folder are created; WAL mode), `sqlite::memory:` for tests,
    /// `postgres://…` or `postgresql://…`.
    pub async fn connect(url: &str) -> Result<Self, CallStoreError> {
        let url = url.trim();
        let password = password_of(url);
        let hide = |message: String| match password {
            Some(password) if !password.is_empty() => message.replace(password, "[redacted]"),
            _ => message,
        };
        if url.starts_with("sqlite:") {
            let pool = connect_sqlite(url)
                .await
                .map_err(|e| CallStoreError::new(hide(e)))?;
            migrator(SQLITE_MIGRATIONS)
                .await?
                .run(&pool)
                .await
                .map_err(|e| {
                    CallStoreError::new(hide(format!("migrating the SQLite schema: {e}")))
                })?;
            Ok(Self {
                backend: Backend::Sqlite(pool),
            })
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let options = PgConnectOptions::from_str(url)
                .map_err(|e| CallStoreError::new(hide(format!("reading the Postgres URL: {e}"))))?;
            let pool = postgres_pool(options, 4)
                .await
                .map_err(|e| CallStoreError::new(hide(e)))?;
            migrator(POSTGRES_MIGRATIONS)
                .await?
                .run(&pool)
                .await
                .map_err(|e| {
                    CallStoreError::new(hide(format!("migrating the Postgres schema: {e}")))
                })?;
            Ok(Self {
                backend: Backend::Postgres(pool),
            })
        } else {
            Err(CallStoreError::new(
                "the URL must start with sqlite:, postgres:// or postgresql://",
            ))
        }
    }
}

/// Maps a database error to a store error saying what was being done, permanent when
/// the database refused the data itself ([`refuses_the_data`]).
pub(super) fn failed(doing: &'static str) -> impl Fn(sqlx::Error) -> CallStoreError {
    move |e| {
        let message = format!("{doing}: {e}");
        if refuses_the_data(&e) {
            CallStoreError::permanent(message)
        } else {
            CallStoreError::new(message)
        }
    }
}

/// Whether `error` says the database will never take these values, however often asked:
/// a value it cannot encode, a constraint, or a PostgreSQL data exception (SQLSTATE class
/// 22, e.g. a string too long), integrity violation (23) or program limit (54, e.g. an
/// index row too large); SQLite's too big (18), constraint (19) or type mismatch (20).
/// Everything else (connections, time-outs, a full disk, a locked database) may pass.
fn refuses_the_data(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::Encode(_) => true,
        sqlx::Error::Database(db) => {
            if !matches!(db.kind(), sqlx::error::ErrorKind::Other) {
                return true;
            }
            let Some(code) = db.code() else {
                return false;
            };
            refusing_code(&code)
        }
        _ => false,
    }
}

/// The refusing codes of [`refuses_the_data`]: a five-character SQLSTATE, or SQLite's
/// (extended) result code as a number (at most four digits).
pub(super) fn refusing_code(code: &str) -> bool {
    if code.len() == 5 {
        return ["22", "23", "54"]
            .iter()
            .any(|class| code.starts_with(class));
    }
    code.parse::<u32>()
        .is_ok_and(|sqlite| matches!(sqlite & 0xff, 18..=20))
}

/// The password in a URL's `user:password@`, if any.
pub(super) fn password_of(url: &str) -> Option<&str> {
    let rest = url.split_once("://")?.1;
    let authority = rest.split(['/', '?']).next()?;
    let userinfo = authority.rsplit_once('@')?.0;
    userinfo.split_once(':').map(|(_, password)| password)
}

async fn connect_sqlite(url: &str) -> Result<SqlitePool, String> {
    let options =
        SqliteConnectOptions::from_str(url).map_err(|e| format!("reading the SQLite URL: {e}"))?;
    let in_memory = url.contains(":memory:") || url.contains("mode=memory");
    if in_memory {
        // One connection kept for the pool's life: the database lives as long as it does.
        return SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
            .connect_with(options)
            .await
            .map_err(|e| format!("opening the SQLite database: {e}"));
    }
    let path = options.get_filename().to_path_buf();
    if let Some(folder) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(folder)
            .map_err(|e| format!("creating the folder {}: {e}", folder.display()))?;
    }
    let options = options
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(5));
    SqlitePoolOptions::new()
        .max_connections(4)
        .connect_with(options)
        .await
        .map_err(|e| format!("opening the SQLite database {}: {e}", path.display()))
}

/// One backend's migrations, compiled into the binary.
#[derive(Debug)]
pub(super) struct Embedded(&'static [(i64, &'static str, &'static str)]);

pub(super) const SQLITE_MIGRATIONS: Embedded = Embedded(&[
    (
        1,
        "calls",
        include_str!("../../../migrations/sqlite/0001_calls.sql"),
    ),
    (
        2,
        "post call",
        include_str!("../../../migrations/sqlite/0002_post_call.sql"),
    ),
    (
        3,
        "without history",
        include_str!("../../../migrations/sqlite/0003_without_history.sql"),
    ),
    (
        4,
        "tool calls",
        include_str!("../../../migrations/sqlite/0004_tool_calls.sql"),
    ),
    (
        5,
        "door",
        include_str!("../../../migrations/sqlite/0005_door.sql"),
    ),
    (
        6,
        "trace id",
        include_str!("../../../migrations/sqlite/0006_trace_id.sql"),
    ),
    (
        7,
        "knowledge",
        include_str!("../../../migrations/sqlite/0007_knowledge.sql"),
    ),
    (
        8,
        "cost",
        include_str!("../../../migrations/sqlite/0008_cost.sql"),
    ),
    (
        9,
        "analysis",
        include_str!("../../../migrations/sqlite/0009_analysis.sql"),
    ),
    (
        10,
        "stats indexes",
        include_str!("../../../migrations/sqlite/0010_stats_indexes.sql"),
    ),
    (
        11,
        "privacy",
        include_str!("../../../migrations/sqlite/0011_privacy.sql"),
    ),
]);

pub(super) const POSTGRES_MIGRATIONS: Embedded = Embedded(&[
    (
        1,
        "calls",
        include_str!("../../../migrations/postgres/0001_calls.sql"),
    ),
    (
        2,
        "post call",
        include_str!("../../../migrations/postgres/0002_post_call.sql"),
    ),
    (
        3,
        "without history",
        include_str!("../../../migrations/postgres/0003_without_history.sql"),
    ),
    (
        4,
        "tool calls",
        include_str!("../../../migrations/postgres/0004_tool_calls.sql"),
    ),
    (
        5,
        "door",
        include_str!("../../../migrations/postgres/0005_door.sql"),
    ),
    (
        6,
        "trace id",
        include_str!("../../../migrations/postgres/0006_trace_id.sql"),
    ),
    (
        7,
        "knowledge",
        include_str!("../../../migrations/postgres/0007_knowledge.sql"),
    ),
    (
        8,
        "cost",
        include_str!("../../../migrations/postgres/0008_cost.sql"),
    ),
    (
        9,
        "analysis",
        include_str!("../../../migrations/postgres/0009_analysis.sql"),
    ),
    (
        10,
        "stats indexes",
        include_str!("../../../migrations/postgres/0010_stats_indexes.sql"),
    ),
    (
        11,
        "privacy",
        include_str!("../../../migrations/postgres/0011_privacy.sql"),
    ),
]);

impl Embedded {
    /// The versions it holds.
    pub(super) fn versions(&self) -> impl Iterator<Item = i64> + '_ {
        self.0.iter().map(|&(version, _, _)| version)
    }
}

impl MigrationSource<'static> for Embedded {
    fn resolve(self) -> BoxFuture<'static, Result<Vec<Migration>, BoxDynError>> {
        let migrations = self
            .0
            .iter()
            .map(|&(version, description, sql)| {
                Migration::new(
                    version,
                    Cow::Borrowed(description),
                    MigrationType::Simple,
                    Cow::Borrowed(sql),
                    false,
                )
            })
            .collect();
        Box::pin(async move { Ok(migrations) })
    }
}

pub(super) async fn migrator(source: Embedded) -> Result<Migrator, CallStoreError> {
    Migrator::new(source)
        .await
        .map_err(|e| CallStoreError::new(format!("loading migrations: {e}")))
}

/// A pool of `max` connections to PostgreSQL. When the pool gives up waiting ("pool timed
/// out", which says nothing of why), one direct attempt names the cause: refused, a name
/// that does not resolve, TLS, a password or database the server refuses.
pub(super) async fn postgres_pool(options: PgConnectOptions, max: u32) -> Result<PgPool, String> {
    use sqlx::ConnectOptions;
    const WAIT: Duration = Duration::from_secs(5);
    let pooled = PgPoolOptions::new()
        .max_connections(max)
        .acquire_timeout(WAIT)
        .connect_with(options.clone())
        .await;
    match pooled {
        Ok(pool) => Ok(pool),
        Err(sqlx::Error::PoolTimedOut) => {
            let cause = match tokio::time::timeout(WAIT, options.connect()).await {
                Ok(Err(error)) => crate::http::error_chain(&error),
                Ok(Ok(_)) => "it answered a second attempt; it may be overloaded".to_string(),
                Err(_) => "no answer (a firewall, or a host that is down?)".to_string(),
            };
            Err(format!(
                "connecting to Postgres: gave up after {} s: {cause}",
                WAIT.as_secs()
            ))
        }
        Err(error) => Err(format!(
            "connecting to Postgres: {}",
            crate::http::error_chain(&error)
        )),
    }
}
