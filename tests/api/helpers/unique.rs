//! What no other test, and no other run, shares: a stamp for names, a free port, a fresh
//! temp folder.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// Digits and underscores unique to this call, in this process and across runs: usable in
/// a file name, a Redis key and a PostgreSQL database name alike.
pub fn stamp() -> String {
    static CALLS: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let call = CALLS.fetch_add(1, Ordering::Relaxed);
    format!("{}_{call}_{nanos}", std::process::id())
}

/// A loopback port nothing listens on (bound, read, released).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

/// A fresh path under the temp folder, named after `name`; nothing is created there.
pub fn temp_path(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("voicebridge-{name}-{}", stamp()))
}

/// A fresh, empty folder under the temp folder, named after `name`.
pub fn temp_folder(name: &str) -> PathBuf {
    let dir = temp_path(name);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// A fresh folder under the temp folder with these files (`file name` → text).
pub fn folder_with(name: &str, files: &[(&str, &str)]) -> PathBuf {
    let dir = temp_folder(name);
    for (file, text) in files {
        std::fs::write(dir.join(file), text).expect("file");
    }
    dir
}
