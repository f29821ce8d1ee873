//! Calls as CSV, for spreadsheets (`GET /api/calls.csv`, `voicebridge calls export`): one
//! row per call, the columns of a list's summary, times in RFC 3339 (UTC). Cells are
//! quoted as RFC 4180 says (a field with a comma, a quote or a line break is quoted, its
//! quotes doubled). A text cell that begins with `=`, `+`, `-`, `@`, a tab or a carriage
//! return gets a `'` in front, so a spreadsheet shows what the caller said instead of
//! running it as a formula: callers' words and phone numbers are not trusted.

use super::{CallQuery, CallStore, CallStoreError, CallSummary};

/// The most calls one export holds; a larger one ends there (narrow it with `since`).
pub const MAX_ROWS: usize = 100_000;

/// The calls `query` finds (its `limit` and `cursor` are the export's own), newest first,
/// as CSV with its header: at most [`MAX_ROWS`] rows; `true` with it when more were left.
pub async fn export(
    store: &CallStore,
    query: &CallQuery,
) -> Result<(String, bool), CallStoreError> {
    let mut out = header();
    let mut page_query = CallQuery {
        limit: Some(200),
        cursor: None,
        ..query.clone()
    };
    let mut rows = 0;
    loop {
        let page = store.list(&page_query).await?;
        for call in &page.calls {
            if rows == MAX_ROWS {
                return Ok((out, true));
            }
            out.push_str(&row(call));
            rows += 1;
        }
        match page.next_cursor {
            Some(cursor) if !page.calls.is_empty() => page_query.cursor = Some(cursor),
            _ => return Ok((out, false)),
        }
    }
}

/// The header row's columns, in order.
pub const COLUMNS: [&str; 20] = [
    "agent",
    "conversation_id",
    "started",
    "last_activity",
    "duration_s",
    "turns",
    "outcome",
    "failed_turns",
    "median_first_audio_ms",
    "tool_calls",
    "prompt_tokens",
    "completion_tokens",
    "cached_tokens",
    "cost_usd",
    "voice_cost_usd",
    "success",
    "from_phone_number",
    "to_phone_number",
    "door",
    "preview",
];

/// The header row, with its line break.
pub fn header() -> String {
    format!("{}\r\n", COLUMNS.join(","))
}

/// `call`'s row, with its line break.
pub fn row(call: &CallSummary) -> String {
    let number = |n: Option<u64>| n.map(|n| n.to_string()).unwrap_or_default();
    let usd = |x: Option<f64>| x.map(|x| format!("{x:.6}")).unwrap_or_default();
    let cells = [
        text(&call.agent),
        text(&call.conversation_id),
        time(call.started_ms),
        time(call.last_ms),
        format!("{:.1}", call.duration_ms as f64 / 1000.0),
        call.turns.to_string(),
        text(&call.outcome),
        call.failed_turns.to_string(),
        number(call.median_first_tts_ms),
        call.tool_calls.to_string(),
        number(call.prompt_tokens),
        number(call.completion_tokens),
        number(call.cached_tokens),
        usd(call.cost_usd),
        usd(call.voice_cost_usd),
        call.success.map(|s| s.to_string()).unwrap_or_default(),
        text(call.from_phone_number.as_deref().unwrap_or_default()),
        text(call.to_phone_number.as_deref().unwrap_or_default()),
        text(&call.door),
        text(call.preview.as_deref().unwrap_or_default()),
    ];
    format!("{}\r\n", cells.join(","))
}

/// Unix milliseconds as an RFC 3339 time in UTC.
fn time(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .map(|t| t.to_string())
        .unwrap_or_default()
}

/// A text cell: guarded against formulas, then quoted when it must be.
fn text(value: &str) -> String {
    let guarded = if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_string()
    };
    if guarded.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", guarded.replace('"', "\"\""))
    } else {
        guarded
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary() -> CallSummary {
        CallSummary {
            agent: "support".into(),
            conversation_id: "conv-1".into(),
            started_ms: 1_765_000_000_000,
            last_ms: 1_765_000_090_500,
            duration_ms: 90_500,
            turns: 3,
            outcome: "completed".into(),
            failed_turns: 0,
            median_first_tts_ms: Some(420),
            preview: Some("=HYPERLINK(\"x\"), then \"quoted\"\nand a new line".into()),
            door: "layercode".into(),
            tool_calls: 1,
            prompt_tokens: Some(1_000),
            completion_tokens: Some(50),
            cached_tokens: Some(400),
            cost_usd: Some(0.0018),
            voice_cost_usd: None,
            success: Some(false),
            from_phone_number: Some("+15550001".into()),
            to_phone_number: None,
        }
    }

    #[test]
    fn a_row_has_every_column_quoted_and_guarded() {
        assert_eq!(header().trim_end().split(',').count(), COLUMNS.len());
        assert_eq!(
            row(&summary()),
            "support,conv-1,2025-12-06T05:46:40Z,2025-12-06T05:48:10.5Z,90.5,3,completed,0,420,1,\
             1000,50,400,0.001800,,false,'+15550001,,layercode,\"'=HYPERLINK(\"\"x\"\"), then \
             \"\"quoted\"\"\nand a new line\"\r\n"
        );
    }

    #[test]
    fn plain_text_is_left_as_it_is() {
        assert_eq!(text("Hello there"), "Hello there");
        assert_eq!(text("a,b"), "\"a,b\"");
        assert_eq!(text("@handle"), "'@handle");
        assert_eq!(text(""), "");
    }
}
