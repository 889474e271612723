//! `bifrost edge query` and `bifrost edge series list`: read a time-series engine directory
//! (`--data DIR`, what a gateway writes) without disturbing a gateway that is writing it. The
//! work is `bifrost_series`'; this module parses times and renders.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use bifrost_series::analytics::parse_duration_ms;
use bifrost_series::{Aggregate, Downsample, Engine};
use clap::{Args, Subcommand};
use serde_json::json;

use crate::escape::{esc, json_compact};

/// Where the engine lives: `--data DIR` or `$BIFROST_EDGE_DATA`.
#[derive(Debug, Args)]
pub struct DataArgs {
    /// The engine directory (a gateway's `data` directory).
    #[arg(long, value_name = "DIR", env = "BIFROST_EDGE_DATA")]
    pub data: PathBuf,
}

/// `bifrost edge query` arguments.
#[derive(Debug, Args)]
pub struct QueryArgs {
    /// The series (`bifrost edge series list` shows them).
    pub series: String,
    #[command(flatten)]
    pub data: DataArgs,
    /// Start of the range: a duration ago (30s, 15m, 1h, 7d), milliseconds since the Unix
    /// epoch, an RFC 3339 time, or `all`.
    #[arg(long, default_value = "1h", value_name = "WHEN")]
    pub since: String,
    /// End of the range (exclusive), in the same forms; default: no end.
    #[arg(long, value_name = "WHEN")]
    pub until: Option<String>,
    /// Downsample: AGG:STEP with AGG one of mean, min, max, count, sum, first, last and STEP
    /// a duration (mean:1m, max:1h). Each point is stamped with its step's start.
    #[arg(long, value_name = "AGG:STEP")]
    pub agg: Option<String>,
}

/// `bifrost edge series …` subcommands.
#[derive(Debug, Subcommand)]
pub enum SeriesCommand {
    /// List the stored series with their point counts and time spans.
    ///
    /// Examples:
    ///   bifrost edge series list --data /var/lib/bifrost/edge
    ///   bifrost edge series list --data ./data --json
    #[command(verbatim_doc_comment)]
    List(DataArgs),
}

/// Parses `--since`/`--until`: `all`, a duration ago, epoch milliseconds or RFC 3339.
pub fn parse_when(text: &str, now_ms: i64) -> Result<Option<i64>> {
    let t = text.trim();
    if t == "all" {
        return Ok(None);
    }
    if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(Some(
            t.parse().context("time in milliseconds is too large")?,
        ));
    }
    if let Ok(ms) = parse_duration_ms(t) {
        return Ok(Some(now_ms - ms));
    }
    match chrono::DateTime::parse_from_rfc3339(t) {
        Ok(dt) => Ok(Some(dt.timestamp_millis())),
        Err(_) => bail!(
            "cannot read the time {t:?}: give a duration ago (30s, 15m, 1h, 7d), milliseconds \
             since the Unix epoch, an RFC 3339 time (2026-12-08T10:00:00Z) or `all`"
        ),
    }
}

/// Parses `--agg AGG:STEP`.
pub fn parse_agg(text: &str) -> Result<Downsample> {
    let (agg, step) = text
        .split_once(':')
        .with_context(|| format!("--agg {text:?}: write AGG:STEP, e.g. mean:1m or max:1h"))?;
    let agg: Aggregate = agg
        .parse()
        .map_err(|e: String| anyhow::anyhow!("--agg: {e}"))?;
    let step_ms = parse_duration_ms(step).with_context(|| format!("--agg {text:?}: bad step"))?;
    Ok(Downsample { agg, step_ms })
}

fn time_text(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
        .unwrap_or_else(|| ms.to_string())
}

fn open(data: &DataArgs) -> Result<Engine> {
    let engine = Engine::open_read_only(&data.data).with_context(|| {
        format!(
            "cannot read the engine directory {}; give the gateway's data directory with --data",
            data.data.display()
        )
    })?;
    for w in engine.warnings() {
        eprintln!("warning: {w}");
    }
    Ok(engine)
}

/// Runs `bifrost edge query`.
pub fn query(args: &QueryArgs, json: bool) -> Result<ExitCode> {
    let now = chrono::Utc::now().timestamp_millis();
    let from = parse_when(&args.since, now)?.unwrap_or(i64::MIN);
    let to = match &args.until {
        Some(u) => parse_when(u, now)?.unwrap_or(i64::MAX),
        None => i64::MAX,
    };
    let downsampling = args.agg.as_deref().map(parse_agg).transpose()?;
    let engine = open(&args.data)?;
    let points = engine
        .query(&args.series, from, to, downsampling)
        .with_context(|| format!("cannot query {}", args.series))?;
    if json {
        let rows: Vec<_> = points
            .iter()
            .map(|p| json!({"ts": p.ts, "time": time_text(p.ts), "value": p.value}))
            .collect();
        let value = json!({
            "series": args.series,
            "from": (from != i64::MIN).then_some(from),
            "to": (to != i64::MAX).then_some(to),
            "agg": downsampling.map(|d| d.agg.name()),
            "step_ms": downsampling.map(|d| d.step_ms),
            "points": rows,
        });
        println!("{}", json_compact(&value));
    } else if points.is_empty() {
        eprintln!("no points of {} in that range", esc(&args.series));
    } else {
        println!("{:<24}  VALUE", "TIME");
        for p in &points {
            println!("{:<24}  {}", time_text(p.ts), p.value);
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Runs `bifrost edge series …`.
pub fn series(command: &SeriesCommand, json: bool) -> Result<ExitCode> {
    let SeriesCommand::List(data) = command;
    let engine = open(data)?;
    let list = engine.series();
    if json {
        let stats = engine.stats();
        let value = json!({
            "dir": data.data,
            "series": list,
            "segments": stats.segments,
            "segment_bytes": stats.segment_bytes,
            "warnings": engine.warnings(),
        });
        println!("{}", json_compact(&value));
    } else if list.is_empty() {
        eprintln!(
            "no series stored in {}",
            esc(&data.data.display().to_string())
        );
    } else {
        let width = list
            .iter()
            .map(|s| esc(&s.name).chars().count())
            .max()
            .unwrap_or(4)
            .max(6);
        println!(
            "{:<width$}  {:>12}  {:<24}  LAST",
            "SERIES", "POINTS", "FIRST"
        );
        for s in &list {
            println!(
                "{:<width$}  {:>12}  {:<24}  {}",
                esc(&s.name),
                s.points,
                s.first_ts.map(time_text).unwrap_or_default(),
                s.last_ts.map(time_text).unwrap_or_default()
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_and_aggregates_parse() {
        let now = 1_000_000_000;
        assert_eq!(parse_when("1h", now).unwrap(), Some(now - 3_600_000));
        assert_eq!(parse_when("all", now).unwrap(), None);
        assert_eq!(
            parse_when("1765000000000", now).unwrap(),
            Some(1_765_000_000_000)
        );
        assert_eq!(
            parse_when("2026-01-01T00:00:00Z", now).unwrap(),
            Some(1_767_225_600_000)
        );
        assert!(parse_when("yesterday", now).is_err());
        let d = parse_agg("max:5m").unwrap();
        assert_eq!((d.agg, d.step_ms), (Aggregate::Max, 300_000));
        assert!(
            parse_agg("median:1m")
                .unwrap_err()
                .to_string()
                .contains("median")
        );
        assert!(parse_agg("mean").is_err());
    }
}
