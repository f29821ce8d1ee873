//! `GET /api/stats`: how calls went, day by day or hour by hour (UTC), over a period and
//! optionally one agent. The database counts and sums (GROUP BY the day or hour of each
//! turn or call, on both SQLite and PostgreSQL); the time to first audio is counted in 50 ms bins per day and
//! its median and 95th percentile read from them (the bin's upper edge); tool calls are
//! counted by tool and outcome from the turns that made any.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};
use sqlx::{ColumnIndex, Decode, Row, Type};

use super::sql::{fetch_rows, push, Arg};
use super::{CallStore, CallStoreError};
use crate::records::record::ToolRecord;

const DAY_MS: i64 = 86_400_000;
const HOUR_MS: i64 = 3_600_000;
/// The width of a first-audio bin.
const BIN_MS: i64 = 50;
/// Days a period covers at most.
pub const MAX_DAYS: u32 = 90;

/// Which calls to count.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct StatsQuery {
    /// Only this agent.
    pub agent: Option<String>,
    /// Days back, today included, 1 to 90 (14 when absent).
    pub days: Option<u32>,
    /// `day` (the default) or `hour` (for at most 7 days).
    pub bucket: Option<String>,
}

/// One day's figures (or the period's).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct DayStats {
    /// `2026-12-07` (by day) or `2026-12-07 13:00` (by hour, UTC); empty for the total.
    pub day: String,
    /// Where the bucket starts (unix milliseconds; 0 for the total).
    pub start_ms: i64,
    /// Calls that started that day.
    pub calls: u64,
    /// Message turns (a welcome is not one).
    pub turns: u64,
    pub failed_turns: u64,
    pub interrupted_turns: u64,
    /// Time to first audio over the turns that spoke, to the upper edge of its 50 ms bin.
    pub first_audio_p50_ms: Option<u64>,
    pub first_audio_p95_ms: Option<u64>,
    /// What the priced turns cost (minutes not included).
    pub cost_usd: f64,
    pub prompt_tokens: u64,
    pub cached_tokens: u64,
    /// Calls analysed against a success rubric, and those that met it.
    pub analysed: u64,
    pub succeeded: u64,
}

/// Tool calls of one tool that ended one way.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ToolStats {
    pub tool: String,
    pub outcome: String,
    pub calls: u64,
}

/// The figures of a period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Stats {
    /// The period's first midnight (UTC, unix milliseconds).
    pub since_ms: i64,
    pub agent: Option<String>,
    /// Every day of the period, oldest first, days without calls too.
    pub days: Vec<DayStats>,
    /// The whole period (its percentiles over all its turns).
    pub total: DayStats,
    /// Of the prompt tokens, the share the providers served from their caches.
    pub cache_hit_rate: Option<f64>,
    /// Of the calls analysed, the share that met the rubric.
    pub success_rate: Option<f64>,
    /// Failed turns over turns.
    pub failure_rate: Option<f64>,
    /// Interrupted turns over turns.
    pub interruption_rate: Option<f64>,
    /// By tool and outcome, most calls first.
    pub tools: Vec<ToolStats>,
}

type Counts = (i64, [i64; 5], Option<f64>);

fn read_turn_day<'r, R>(row: &'r R) -> Result<Counts, sqlx::Error>
where
    R: Row,
    &'static str: ColumnIndex<R>,
    i64: Decode<'r, R::Database> + Type<R::Database>,
    f64: Decode<'r, R::Database> + Type<R::Database>,
{
    let n = |name: &'static str| {
        row.try_get::<Option<i64>, _>(name)
            .map(Option::unwrap_or_default)
    };
    Ok((
        row.try_get("day")?,
        [
            n("turns")?,
            n("failed")?,
            n("interrupted")?,
            n("prompt")?,
            n("cached")?,
        ],
        row.try_get("cost")?,
    ))
}

/// Four whole numbers named `a` to `d` (a missing or NULL one is 0).
fn read_four<'r, R>(row: &'r R) -> Result<(i64, i64, i64, i64), sqlx::Error>
where
    R: Row,
    &'static str: ColumnIndex<R>,
    i64: Decode<'r, R::Database> + Type<R::Database>,
{
    let n = |name: &'static str| {
        row.try_get::<Option<i64>, _>(name)
            .map(Option::unwrap_or_default)
    };
    Ok((n("a")?, n("b")?, n("c")?, n("d")?))
}

fn read_text<'r, R>(row: &'r R) -> Result<String, sqlx::Error>
where
    R: Row,
    &'static str: ColumnIndex<R>,
    String: Decode<'r, R::Database> + Type<R::Database>,
{
    row.try_get("tools")
}

impl CallStore {
    /// The figures of the last `query.days` days (today, by `now_ms`, included).
    pub async fn stats(&self, query: &StatsQuery, now_ms: i64) -> Result<Stats, CallStoreError> {
        let hourly = query.bucket.as_deref() == Some("hour");
        let days = query
            .days
            .unwrap_or(14)
            .clamp(1, if hourly { 7 } else { MAX_DAYS });
        let size = if hourly { HOUR_MS } else { DAY_MS };
        let since_ms = (now_ms.div_euclid(DAY_MS) - i64::from(days) + 1) * DAY_MS;
        let (first, last) = (since_ms / size, now_ms.div_euclid(size));
        let mut by_day: BTreeMap<i64, DayStats> = (first..=last)
            .map(|bucket| {
                let stats = DayStats {
                    day: bucket_name(bucket * size, hourly),
                    start_ms: bucket * size,
                    ..DayStats::default()
                };
                (bucket, stats)
            })
            .collect();
        let count = |n: i64| u64::try_from(n).unwrap_or(0);

        let (cond, args) = filter(query, since_ms, "at_ms");
        let sql = format!(
            "SELECT at_ms / {size} AS day, COUNT(*) AS turns, \
             CAST(SUM(CASE WHEN outcome = 'failed' THEN 1 ELSE 0 END) AS BIGINT) AS failed, \
             CAST(SUM(CASE WHEN interrupted THEN 1 ELSE 0 END) AS BIGINT) AS interrupted, \
             SUM(cost_usd) AS cost, CAST(SUM(prompt_tokens) AS BIGINT) AS prompt, \
             CAST(SUM(cached_tokens) AS BIGINT) AS cached \
             FROM turns WHERE event = 'message'{cond} GROUP BY at_ms / {size}"
        );
        let rows: Vec<Counts> = fetch_rows!(self, &sql, args, read_turn_day, "counting turns")?;
        for (day, [turns, failed, interrupted, prompt, cached], cost) in rows {
            if let Some(stats) = by_day.get_mut(&day) {
                stats.turns = count(turns);
                stats.failed_turns = count(failed);
                stats.interrupted_turns = count(interrupted);
                stats.prompt_tokens = count(prompt);
                stats.cached_tokens = count(cached);
                stats.cost_usd = cost.unwrap_or(0.0);
            }
        }

        let (cond, args) = filter(query, since_ms, "at_ms");
        let sql = format!(
            "SELECT at_ms / {size} AS a, first_tts_ms / {BIN_MS} AS b, COUNT(*) AS c, CAST(0 AS BIGINT) AS d \
             FROM turns WHERE event = 'message' AND first_tts_ms IS NOT NULL{cond} \
             GROUP BY at_ms / {size}, first_tts_ms / {BIN_MS}"
        );
        let bins: Vec<(i64, i64, i64, i64)> =
            fetch_rows!(self, &sql, args, read_four, "counting first audio")?;
        let mut all_bins: BTreeMap<i64, u64> = BTreeMap::new();
        let mut day_bins: HashMap<i64, BTreeMap<i64, u64>> = HashMap::new();
        for (day, bin, n, _) in bins {
            *all_bins.entry(bin).or_default() += count(n);
            *day_bins.entry(day).or_default().entry(bin).or_default() += count(n);
        }
        for (day, bins) in &day_bins {
            if let Some(stats) = by_day.get_mut(day) {
                stats.first_audio_p50_ms = percentile(bins, 0.5);
                stats.first_audio_p95_ms = percentile(bins, 0.95);
            }
        }

        let (cond, args) = filter(query, since_ms, "started_ms");
        let sql = format!(
            "SELECT started_ms / {size} AS a, COUNT(*) AS b, \
             CAST(SUM(CASE WHEN success IS NULL THEN 0 ELSE 1 END) AS BIGINT) AS c, \
             CAST(SUM(CASE WHEN success THEN 1 ELSE 0 END) AS BIGINT) AS d \
             FROM calls WHERE 1 = 1{cond} GROUP BY started_ms / {size}"
        );
        let calls: Vec<(i64, i64, i64, i64)> =
            fetch_rows!(self, &sql, args, read_four, "counting calls")?;
        for (day, n, analysed, succeeded) in calls {
            if let Some(stats) = by_day.get_mut(&day) {
                stats.calls = count(n);
                stats.analysed = count(analysed);
                stats.succeeded = count(succeeded);
            }
        }

        let (cond, args) = filter(query, since_ms, "at_ms");
        let sql = format!("SELECT tools FROM turns WHERE tool_calls > 0{cond}");
        let made: Vec<String> = fetch_rows!(self, &sql, args, read_text, "counting tool calls")?;
        let mut tools: HashMap<(String, String), u64> = HashMap::new();
        for text in made {
            let records: Vec<ToolRecord> = serde_json::from_str(&text).unwrap_or_default();
            for record in records {
                *tools.entry((record.name, record.outcome)).or_default() += 1;
            }
        }
        let mut tools: Vec<ToolStats> = tools
            .into_iter()
            .map(|((tool, outcome), calls)| ToolStats {
                tool,
                outcome,
                calls,
            })
            .collect();
        tools.sort_by(|a, b| {
            b.calls
                .cmp(&a.calls)
                .then_with(|| a.tool.cmp(&b.tool))
                .then_with(|| a.outcome.cmp(&b.outcome))
        });

        let days: Vec<DayStats> = by_day.into_values().collect();
        let mut total = DayStats::default();
        for day in &days {
            total.calls += day.calls;
            total.turns += day.turns;
            total.failed_turns += day.failed_turns;
            total.interrupted_turns += day.interrupted_turns;
            total.cost_usd += day.cost_usd;
            total.prompt_tokens += day.prompt_tokens;
            total.cached_tokens += day.cached_tokens;
            total.analysed += day.analysed;
            total.succeeded += day.succeeded;
        }
        total.first_audio_p50_ms = percentile(&all_bins, 0.5);
        total.first_audio_p95_ms = percentile(&all_bins, 0.95);
        let share = |part: u64, whole: u64| (whole > 0).then(|| part as f64 / whole as f64);
        Ok(Stats {
            since_ms,
            agent: query.agent.clone(),
            cache_hit_rate: share(total.cached_tokens, total.prompt_tokens),
            success_rate: share(total.succeeded, total.analysed),
            failure_rate: share(total.failed_turns, total.turns),
            interruption_rate: share(total.interrupted_turns, total.turns),
            days,
            total,
            tools,
        })
    }
}

/// The `q` quantile (0.5 for the median) of values counted in 50 ms bins, as the upper
/// edge of the bin it falls in; `None` without values.
fn percentile(bins: &BTreeMap<i64, u64>, q: f64) -> Option<u64> {
    let all: u64 = bins.values().sum();
    if all == 0 {
        return None;
    }
    // The rank of the quantile, from 1: the median of 4 values is the 2nd.
    let rank = ((all as f64 * q).ceil() as u64).max(1);
    let mut seen = 0;
    for (bin, n) in bins {
        seen += n;
        if seen >= rank {
            return u64::try_from((bin + 1) * BIN_MS).ok();
        }
    }
    None
}

/// ` AND <column> >= $n [AND agent = $m]`, and its arguments.
fn filter(query: &StatsQuery, since_ms: i64, column: &str) -> (String, Vec<Arg>) {
    let mut args = Vec::new();
    let n = push(&mut args, Arg::Int(since_ms));
    let mut sql = format!(" AND {column} >= {n}");
    if let Some(agent) = &query.agent {
        let n = push(&mut args, Arg::Text(agent.clone()));
        sql.push_str(&format!(" AND agent = {n}"));
    }
    (sql, args)
}

/// `2026-12-07`, or `2026-12-07 13:00` by hour, of a bucket starting at `start_ms` (UTC).
fn bucket_name(start_ms: i64, hourly: bool) -> String {
    let format = if hourly { "%Y-%m-%d %H:00" } else { "%Y-%m-%d" };
    jiff::Timestamp::from_millisecond(start_ms)
        .map(|t| t.strftime(format).to_string())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_the_upper_edge_of_their_bin() {
        let bins: BTreeMap<i64, u64> = [(2, 3), (4, 1)].into_iter().collect();
        assert_eq!(percentile(&bins, 0.5), Some(150));
        assert_eq!(percentile(&bins, 0.95), Some(250));
        assert_eq!(percentile(&BTreeMap::new(), 0.5), None);
        assert_eq!(bucket_name(20_429 * DAY_MS, false), "2025-12-07");
        assert_eq!(
            bucket_name(20_429 * DAY_MS + 13 * HOUR_MS, true),
            "2025-12-07 13:00"
        );
    }
}
