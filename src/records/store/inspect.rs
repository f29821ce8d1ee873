//! Looking at a call store without changing it (`voicebridge check`): whether it exists and
//! how many of the schema's migrations it still lacks. Nothing is created or migrated;
//! start-up does that ([`CallStore::connect`]).

use std::str::FromStr;

use sqlx::postgres::PgConnectOptions;
use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};
use sqlx::Row;

use super::connect::{
    password_of, postgres_pool, Embedded, POSTGRES_MIGRATIONS, SQLITE_MIGRATIONS,
};
use super::{CallStore, CallStoreError};

/// What a call store looks like before start-up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inspection {
    /// `sqlite` or `postgres`.
    pub backend: &'static str,
    /// The SQLite file is there (always `true` for PostgreSQL, whose database must be).
    pub exists: bool,
    /// Migrations start-up will run.
    pub pending_migrations: usize,
}

impl CallStore {
    /// Looks at the store `url` names, changing nothing: a missing SQLite file is
    /// reported (start-up creates it), a database that does not answer is an error.
    pub async fn inspect(url: &str) -> Result<Inspection, CallStoreError> {
        let url = url.trim();
        let hide = |message: String| match password_of(url) {
            Some(password) if !password.is_empty() => message.replace(password, "[redacted]"),
            _ => message,
        };
        if url.starts_with("sqlite:") {
            inspect_sqlite(url).await.map_err(CallStoreError::new)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            inspect_postgres(url)
                .await
                .map_err(|e| CallStoreError::new(hide(e)))
        } else {
            Err(CallStoreError::new(
                "the URL must start with sqlite:, postgres:// or postgresql://",
            ))
        }
    }
}

/// How many of `embedded`'s versions are not among `applied`.
fn pending(embedded: &Embedded, applied: &[i64]) -> usize {
    embedded
        .versions()
        .filter(|version| !applied.contains(version))
        .count()
}

async fn inspect_sqlite(url: &str) -> Result<Inspection, String> {
    let options =
        SqliteConnectOptions::from_str(url).map_err(|e| format!("reading the SQLite URL: {e}"))?;
    let in_memory = url.contains(":memory:") || url.contains("mode=memory");
    let missing = Inspection {
        backend: "sqlite",
        exists: false,
        pending_migrations: pending(&SQLITE_MIGRATIONS, &[]),
    };
    if in_memory || !options.get_filename().exists() {
        return Ok(missing);
    }
    let path = options.get_filename().display().to_string();
    // Read-only and immutable: no journal, lock or WAL index file is written.
    let options = options
        .create_if_missing(false)
        .read_only(true)
        .immutable(true);
    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(options)
        .await
        .map_err(|e| format!("opening the SQLite database {path}: {e}"))?;
    let table: Option<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'",
    )
    .fetch_optional(&pool)
    .await
    .map_err(|e| format!("reading the SQLite database {path}: {e}"))?;
    let applied = match table {
        Some(_) => sqlx::query("SELECT version FROM _sqlx_migrations WHERE success")
            .fetch_all(&pool)
            .await
            .map_err(|e| format!("reading the SQLite database {path}: {e}"))?
            .iter()
            .map(|row| row.get::<i64, _>(0))
            .collect(),
        None => Vec::new(),
    };
    pool.close().await;
    Ok(Inspection {
        exists: true,
        pending_migrations: pending(&SQLITE_MIGRATIONS, &applied),
        ..missing
    })
}

async fn inspect_postgres(url: &str) -> Result<Inspection, String> {
    let options =
        PgConnectOptions::from_str(url).map_err(|e| format!("reading the Postgres URL: {e}"))?;
    let pool = postgres_pool(options, 1).await?;
    let read = |e: sqlx::Error| format!("reading the Postgres database: {e}");
    let exists: bool = sqlx::query_scalar("SELECT to_regclass('_sqlx_migrations') IS NOT NULL")
        .fetch_one(&pool)
        .await
        .map_err(read)?;
    let applied = if exists {
        sqlx::query("SELECT version FROM _sqlx_migrations WHERE success")
            .fetch_all(&pool)
            .await
            .map_err(read)?
            .iter()
            .map(|row| row.get::<i64, _>(0))
            .collect()
    } else {
        Vec::new()
    };
    pool.close().await;
    Ok(Inspection {
        backend: "postgres",
        exists: true,
        pending_migrations: pending(&POSTGRES_MIGRATIONS, &applied),
    })
}
