//! `voicebridge calls delete --phone`: a caller's calls deleted everywhere.
//! `voicebridge calls export`: the calls on record (`CALL_STORE_URL`) as CSV for a
//! spreadsheet, the same rows as `GET /api/calls.csv`, filtered by `--since` (a date, taken
//! as midnight UTC, or an RFC 3339 time), `--agent`, `--phone` and `--text`; to a file or
//! to standard output.

use std::io::Write;
use std::path::PathBuf;

use crate::config::Settings;
use crate::records::{CallQuery, CallStore};

/// What `calls export` was asked for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Export {
    pub since: Option<String>,
    pub agent: Option<String>,
    pub phone: Option<String>,
    pub text: Option<String>,
    pub out: Option<PathBuf>,
}

/// `2026-12-01` (midnight UTC) or `2026-12-01T09:30:00Z` as unix milliseconds.
pub fn parse_since(text: &str) -> Result<i64, String> {
    let text = text.trim();
    if let Ok(time) = text.parse::<jiff::Timestamp>() {
        return Ok(time.as_millisecond());
    }
    let date: jiff::civil::Date = text.parse().map_err(|_| {
        format!("`{text}` is not a date (2026-12-01) or a time (2026-12-01T09:30:00Z)")
    })?;
    date.to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .map(|zoned| zoned.timestamp().as_millisecond())
        .map_err(|e| e.to_string())
}

/// Runs the export; the CSV goes to `--out` or to `out`, what went wrong to `errors`.
/// `true` when it was written.
pub async fn export<W: Write, E: Write>(
    settings: &Settings,
    export: Export,
    out: &mut W,
    errors: &mut E,
) -> std::io::Result<bool> {
    let since_ms = match export.since.as_deref().map(parse_since).transpose() {
        Ok(since) => since,
        Err(problem) => {
            writeln!(errors, "voicebridge: --since: {problem}")?;
            return Ok(false);
        }
    };
    let Some(store) = open_store(settings, "to export", errors).await? else {
        return Ok(false);
    };
    let query = CallQuery {
        agent: export.agent,
        phone: export.phone,
        text: export.text,
        since_ms,
        ..CallQuery::default()
    };
    let (csv, cut) = match crate::records::csv::export(&store, &query).await {
        Ok(done) => done,
        Err(error) => {
            writeln!(errors, "voicebridge: the call store: {error}")?;
            return Ok(false);
        }
    };
    let rows = csv.lines().count().saturating_sub(1);
    match &export.out {
        Some(path) => {
            write_private(path, &csv)?;
            writeln!(errors, "{rows} calls written to {}", path.display())?;
        }
        None => out.write_all(csv.as_bytes())?,
    }
    if cut {
        writeln!(
            errors,
            "voicebridge: only the newest {} calls: narrow the export with --since",
            crate::records::csv::MAX_ROWS
        )?;
    }
    Ok(true)
}

/// `calls delete --phone`: every call from or to `phone` deleted from the call store, and
/// their conversations from the session store (Redis, with `SESSION_STORE_URL`; the
/// in-memory store lives in the running server, which `DELETE /api/calls?phone=` reaches).
/// What was deleted goes to `out`, what went wrong to `errors`; `true` when done.
pub async fn delete<W: Write, E: Write>(
    settings: &Settings,
    phone: &str,
    out: &mut W,
    errors: &mut E,
) -> std::io::Result<bool> {
    let Some(store) = open_store(settings, "to delete", errors).await? else {
        return Ok(false);
    };
    // Agents from files keep their conversations apart (see `session::conversation_key`).
    let namespaced =
        crate::toml_file::toml_files(&settings.agents.dir).is_ok_and(|files| !files.is_empty());
    let sessions = match &settings.session_store_url {
        Some(url) => match crate::cluster::RedisStore::connect(
            url.expose(),
            &settings.session_store_prefix,
            settings.history_limits,
            settings.session_idle_ttl,
        )
        .await
        {
            Ok(redis) => Some(redis),
            Err(error) => {
                writeln!(errors, "voicebridge: the session store: {error}")?;
                return Ok(false);
            }
        },
        None => None,
    };
    let key = |call: &crate::records::CallKey| {
        crate::session::conversation_key(namespaced, &call.agent, &call.conversation_id)
    };
    let redis = sessions
        .as_ref()
        .map(|s| s as &dyn crate::session::SessionStore);
    match crate::records::erase::erase_caller(&store, redis, &key, phone).await {
        Ok(erased) => {
            let where_ = if redis.is_some() {
                "from the session store"
            } else {
                "(the in-memory session store is the server's: its conversations expire \
                 after SESSION_IDLE_TTL, or DELETE /api/calls?phone= on the server now)"
            };
            writeln!(
                out,
                "deleted {} calls of {phone} and {} conversations {where_}",
                erased.calls, erased.conversations
            )?;
            Ok(true)
        }
        Err(error) => {
            writeln!(errors, "voicebridge: {error}")?;
            Ok(false)
        }
    }
}

/// The call store, or `None` with what went wrong said to `errors` (`doing`: what it was
/// wanted for).
async fn open_store<E: Write>(
    settings: &Settings,
    doing: &str,
    errors: &mut E,
) -> std::io::Result<Option<CallStore>> {
    let Some(url) = &settings.calls.store_url else {
        writeln!(
            errors,
            "voicebridge: CALL_STORE_URL is off: no call is kept {doing}"
        )?;
        return Ok(None);
    };
    match CallStore::connect(url.expose()).await {
        Ok(store) => Ok(Some(store)),
        Err(error) => {
            writeln!(errors, "voicebridge: the call store: {error}")?;
            Ok(None)
        }
    }
}

/// Writes `text` to `path`, readable by its owner only when the file is new: the calls
/// hold what callers said and their numbers.
fn write_private(path: &std::path::Path, text: &str) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)?.write_all(text.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn since_is_a_date_at_midnight_utc_or_a_time() {
        assert_eq!(parse_since("2026-12-01"), Ok(1_796_083_200_000));
        assert_eq!(parse_since("2026-12-01T09:30:00Z"), Ok(1_796_117_400_000));
        assert!(parse_since("last week")
            .expect_err("refused")
            .starts_with("`last week` is not a date"));
    }
}
