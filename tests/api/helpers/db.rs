//! Call-store databases for one test: an SQLite file under the temp folder, or a database
//! of its own on this machine's PostgreSQL.

use super::unique::{stamp, temp_path};

/// The URL of a fresh SQLite file, in a folder of its own that the store creates.
pub fn sqlite_url(name: &str) -> String {
    let dir = temp_path(&format!("calls-{name}"));
    format!("sqlite://{}/calls.db", dir.display())
}

/// A fresh database on this machine's PostgreSQL (trust auth), dropped at the end.
pub struct Postgres {
    /// Where the database is.
    pub url: String,
    /// Its name.
    pub name: String,
}

const POSTGRES: &str = "postgres://postgres@127.0.0.1:5432";

/// Runs `sql` on the server's `postgres` database.
pub async fn admin_sql(sql: &str) {
    use sqlx::Connection;
    let mut admin = sqlx::PgConnection::connect(&format!("{POSTGRES}/postgres"))
        .await
        .expect("PostgreSQL answers on 127.0.0.1:5432 (it runs on every machine here)");
    sqlx::query(sql)
        .execute(&mut admin)
        .await
        .expect("admin SQL");
    let _ = admin.close().await;
}

impl Postgres {
    /// Creates a database named after `name` and this run.
    pub async fn create(name: &str) -> Self {
        let name = format!("vb_api_{name}_{}", stamp());
        admin_sql(&format!("CREATE DATABASE {name}")).await;
        Self {
            url: format!("{POSTGRES}/{name}"),
            name,
        }
    }

    /// Drops it, whoever is still connected.
    pub async fn drop_database(self) {
        admin_sql(&format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            self.name
        ))
        .await;
    }
}
