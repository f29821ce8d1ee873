//! Where `check` finds conversations and calls kept: it connects and reads, and creates
//! or migrates nothing.

use std::io::Write;

use crate::config::Settings;
use crate::records::CallStore;
use crate::secret::shown_url;

/// Where conversations are kept: memory, or Redis answering; and how many replies a
/// machine keeps while Redis cannot take them.
pub(super) async fn session_store<W: Write>(
    settings: &Settings,
    out: &mut W,
) -> std::io::Result<bool> {
    let idle = settings.session_idle_ttl.as_secs();
    let Some(url) = &settings.session_store_url else {
        writeln!(
            out,
            "  conversations      in memory (at most {}, forgotten after {idle} s idle)",
            settings.max_conversations
        )?;
        return Ok(true);
    };
    let shown = shown_url(url.expose());
    let connected = crate::cluster::RedisStore::connect(
        url.expose(),
        &settings.session_store_prefix,
        settings.history_limits,
        settings.session_idle_ttl,
    )
    .await;
    match &connected {
        Ok(_) => writeln!(
            out,
            "  conversations      Redis ok ({shown}, prefix {}, forgotten after {idle} s idle; \
             up to {} replies wait on a machine while Redis is down)",
            settings.session_store_prefix, settings.session_reply_queue_max
        )?,
        Err(error) => writeln!(out, "  conversations      FAILED ({shown}): {error}")?,
    }
    Ok(connected.is_ok())
}

/// Where calls are kept: the store opens (and is migrated), the pages and the post-call
/// webhook are on or off.
pub(super) async fn call_store<W: Write>(
    settings: &Settings,
    out: &mut W,
) -> std::io::Result<bool> {
    let calls = &settings.calls;
    let Some(url) = &calls.store_url else {
        writeln!(
            out,
            "  call store         off (CALL_STORE_URL=off): no call is kept"
        )?;
        return Ok(true);
    };
    let shown = shown_url(url.expose());
    // Only looks: creating the file or migrating the schema is start-up's to do.
    let passed = match CallStore::inspect(url.expose()).await {
        Ok(store) => {
            let later = match (store.exists, store.pending_migrations) {
                (false, _) => "; does not exist yet, created at start-up".to_string(),
                (true, 0) => String::new(),
                (true, 1) => "; 1 schema migration runs at start-up".to_string(),
                (true, n) => format!("; {n} schema migrations run at start-up"),
            };
            writeln!(
                out,
                "  call store         ok ({shown}, {}, kept {} days{later})",
                store.backend, calls.retention_days
            )?;
            true
        }
        Err(error) => {
            writeln!(out, "  call store         FAILED ({shown}): {error}")?;
            false
        }
    };
    let pages = if calls.admin_token.is_some() {
        "on: /calls and /api/calls with ADMIN_TOKEN"
    } else {
        "off (set ADMIN_TOKEN to see /calls)"
    };
    writeln!(out, "  calls pages        {pages}")?;
    if let Some((hook, _)) = &calls.post_call {
        let summary = if calls.post_call_summary {
            ", with a summary"
        } else {
            ""
        };
        writeln!(out, "  post-call webhook  {}{summary}", shown_url(hook))?;
    }
    Ok(passed)
}
