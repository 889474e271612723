//! Production-scale benchmark of the catalog: bulk import, interactive query latency and the
//! query plans behind them, on SQLite or PostgreSQL.
//!
//! It generates a deterministic production (no randomness from the environment: SplitMix64 of
//! fixed seeds) of, at `--scale 1.0`,
//!
//! - 100,000 assets `asset_000000`… with a type, 1–3 tags and metadata (including a numeric
//!   `poly`); `asset_000000` is the *hero* (type `char`, tagged `hero`);
//! - 200 sequences `SQ0000`… × 100 shots `SH0010`… = 20,000 shots;
//! - 10 versions per asset = 1,000,000 versions, each with a note made of ordinary words; the word
//!   `retopology` is in about 0.1 % of the notes, `photogrammetry` in about 0.003 %;
//! - 500,000 links, acyclic by construction (every asset → asset link goes from a higher asset
//!   index to a lower one, and nothing links to a shot):
//!   - 400,000 `reference` links, 20 per shot (every 5th pinned); every 10th shot references the
//!     hero directly,
//!   - 99,000 `derived-from` links: assets come in families of 100, each member derived from an
//!     earlier member of its family (a binary tree rooted at the family's first asset, so the
//!     hero's family of 99 derive from it transitively),
//!   - the rest (1,000) `member` links, from an asset to the asset 100 indexes below it,
//!
//! imports it with one `Catalog::bulk_import` (timed), then sets a few shots to `ip` and creates
//! a few tasks through the ordinary API (so that the status search and the report have something
//! to find), and measures over `--iterations` runs each (after a short warm-up) p50/p95/p99/max
//! of:
//!
//! - `asset show`: `get_asset` + `list_versions` + `version_files` of the latest version, as
//!   `bifrost asset show` does, on a different asset every iteration;
//! - `search` with three queries (limit 100, as the CLI): `type:prop tag:hero meta.poly<10000`,
//!   `retopology` (a word in ~0.1 % of the notes) and `kind:shot status:ip seq:SQ0042`, plus an
//!   extra one, `photogrammetry` (a word in ~0.003 % of the notes: fewer matches than the limit);
//! - `used_by(hero, transitive = true)`;
//! - `report_status`.
//!
//! Catalog calls are what is timed (no process start, no rendering). Finally it captures the SQL
//! each operation really sends (sqlx logs every statement through `tracing`; a small subscriber
//! here records them while one call of each operation runs) and prints the query plan of each
//! statement: `EXPLAIN QUERY PLAN` on SQLite, `EXPLAIN (ANALYZE, BUFFERS)` with representative
//! parameter values plus the generic plan (`plan_cache_mode = force_generic_plan`) on
//! PostgreSQL, with a check for full scans of large tables. Everything is printed as Markdown on
//! standard output; progress goes to standard error.
//!
//! Run (see also `bench/production.sh`):
//!
//! ```text
//! cargo run --release -p bifrost-catalog --example production_bench -- \
//!     --catalog /tmp/bench.db [--scale 1.0] [--iterations 200] [--warmup 10] \
//!     [--budget-secs 90] [--summary results.tsv]
//! cargo run --release -p bifrost-catalog --example production_bench -- \
//!     --catalog postgres://postgres@127.0.0.1:5432/postgres
//! ```
//!
//! With a PostgreSQL URL, a fresh database `bifrost_bench_<pid>` is created on that server (the
//! URL's own database is not touched) and dropped at the end. An SQLite path must not exist yet.
//! An operation stops before `--iterations` once it has run for `--budget-secs` (with at least
//! 20 samples); the table says so.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeZone, Utc};
use serde_json::json;
use sqlx::{AssertSqlSafe, Connection, Row};

use bifrost_catalog::{Catalog, Journal};
use bifrost_core::NewAsset;
use bifrost_core::production::{
    BatchVersion, EntityRef, Link, LinkKind, Metadata, NewShot, ProductionBatch,
};
use bifrost_core::query::{self, Query};

const PROJECT: &str = "bench";
const SEARCH_LIMIT: u64 = 100;
/// What the catalog binds as the depth limit of a transitive walk, in versions of
/// `production.rs` that bind one.
const MAX_DEPTH: i64 = 10_000;
/// Tables whose full scan is a problem for an interactive query.
const LARGE_TABLES: [&str; 9] = [
    "assets",
    "asset_tags",
    "versions",
    "links",
    "shots",
    "search_docs",
    "tasks",
    "history",
    "comments",
];
/// p95 target of lookups and searches.
const TARGET: Duration = Duration::from_millis(10);

// ---------------------------------------------------------------------------------------------
// Arguments

struct Args {
    catalog: String,
    scale: f64,
    iterations: usize,
    warmup: usize,
    budget: Duration,
    /// First calls on fresh catalogs to time per operation.
    cold: usize,
    /// Where to write a tab-separated summary (import time, then one line per operation).
    summary: Option<std::path::PathBuf>,
}

const USAGE: &str = "usage: production_bench --catalog PATH|postgres://… [--scale F] \
                     [--iterations N] [--warmup N] [--budget-secs S] [--cold N] [--summary FILE]";

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        catalog: String::new(),
        scale: 1.0,
        iterations: 200,
        warmup: 10,
        budget: Duration::from_secs(90),
        summary: None,
        cold: 5,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || {
            it.next()
                .ok_or_else(|| format!("{flag} needs a value\n{USAGE}"))
        };
        match flag.as_str() {
            "--catalog" => args.catalog = value()?,
            "--scale" => args.scale = value()?.parse().map_err(|e| format!("--scale: {e}"))?,
            "--iterations" => {
                args.iterations = value()?.parse().map_err(|e| format!("--iterations: {e}"))?;
            }
            "--warmup" => args.warmup = value()?.parse().map_err(|e| format!("--warmup: {e}"))?,
            "--summary" => args.summary = Some(value()?.into()),
            "--cold" => args.cold = value()?.parse().map_err(|e| format!("--cold: {e}"))?,
            "--budget-secs" => {
                let secs: u64 = value()?
                    .parse()
                    .map_err(|e| format!("--budget-secs: {e}"))?;
                args.budget = Duration::from_secs(secs);
            }
            "-h" | "--help" => return Err(USAGE.to_owned()),
            other => return Err(format!("unknown argument `{other}`\n{USAGE}")),
        }
    }
    if args.catalog.is_empty() {
        return Err(format!("--catalog is required\n{USAGE}"));
    }
    if !(args.scale >= 0.002 && args.scale <= 10.0) {
        return Err("--scale must be between 0.002 and 10".to_owned());
    }
    if args.iterations == 0 {
        return Err("--iterations must be at least 1".to_owned());
    }
    Ok(args)
}

// ---------------------------------------------------------------------------------------------
// SQL capture: sqlx reports every statement to `tracing` (target `sqlx::query`); while `ON` is
// set, this subscriber keeps their text. Otherwise it declines every event, so sqlx does not
// even format them.

static CAPTURE_ON: AtomicBool = AtomicBool::new(false);
static CAPTURED: Mutex<Vec<String>> = Mutex::new(Vec::new());

struct SqlCapture;

#[derive(Default)]
struct StatementVisitor {
    summary: String,
    statement: String,
}

impl tracing::field::Visit for StatementVisitor {
    fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
        match field.name() {
            "summary" => self.summary = value.to_owned(),
            "db.statement" => self.statement = value.to_owned(),
            _ => {}
        }
    }

    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        match field.name() {
            "summary" => self.summary = format!("{value:?}"),
            "db.statement" => self.statement = format!("{value:?}"),
            _ => {}
        }
    }
}

impl tracing::Subscriber for SqlCapture {
    fn register_callsite(
        &self,
        metadata: &'static tracing::Metadata<'static>,
    ) -> tracing::subscriber::Interest {
        if metadata.target() == "sqlx::query" {
            tracing::subscriber::Interest::sometimes()
        } else {
            tracing::subscriber::Interest::never()
        }
    }

    fn enabled(&self, metadata: &tracing::Metadata<'_>) -> bool {
        metadata.target() == "sqlx::query" && CAPTURE_ON.load(Ordering::SeqCst)
    }

    fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        tracing::span::Id::from_u64(1)
    }

    fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}

    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}

    fn event(&self, event: &tracing::Event<'_>) {
        if !CAPTURE_ON.load(Ordering::SeqCst) {
            return;
        }
        let mut visitor = StatementVisitor::default();
        event.record(&mut visitor);
        // sqlx logs a short statement as its own summary, a longer one in `db.statement`.
        let sql = if visitor.statement.trim().is_empty() {
            visitor.summary
        } else {
            visitor.statement.trim().to_owned()
        };
        if !sql.is_empty()
            && let Ok(mut all) = CAPTURED.lock()
        {
            all.push(sql);
        }
    }

    fn enter(&self, _: &tracing::span::Id) {}

    fn exit(&self, _: &tracing::span::Id) {}
}

/// Runs `f` once and returns the distinct statements it sent, in order.
async fn capture<T, F: std::future::Future<Output = T>>(f: F) -> (T, Vec<String>) {
    if let Ok(mut all) = CAPTURED.lock() {
        all.clear();
    }
    CAPTURE_ON.store(true, Ordering::SeqCst);
    let out = f.await;
    CAPTURE_ON.store(false, Ordering::SeqCst);
    let mut seen = Vec::new();
    if let Ok(mut all) = CAPTURED.lock() {
        for sql in all.drain(..) {
            if !seen.contains(&sql) {
                seen.push(sql);
            }
        }
    }
    (out, seen)
}

// ---------------------------------------------------------------------------------------------
// Deterministic generation

fn mix(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn pick<'a>(list: &[&'a str], h: u64) -> &'a str {
    list[(h % list.len() as u64) as usize]
}

const TYPES: [&str; 8] = [
    "prop", "char", "env", "vehicle", "fx", "set", "matte", "cam",
];
const TAGS: [&str; 10] = [
    "bg", "wip", "lowpoly", "hipoly", "outdoor", "indoor", "metal", "wood", "organic", "kitbash",
];
const AUTHORS: [&str; 12] = [
    "ana", "bruno", "chen", "dara", "emil", "farah", "goran", "hana", "ivo", "jun", "kaori", "lea",
];
const VERBS: [&str; 10] = [
    "fix",
    "update",
    "retexture",
    "rerig",
    "optimise",
    "clean",
    "adjust",
    "rework",
    "approve",
    "tweak",
];
const NOUNS: [&str; 12] = [
    "uvs",
    "normals",
    "shader",
    "rig",
    "topology",
    "lookdev",
    "groom",
    "textures",
    "scale",
    "pivot",
    "collision",
    "lods",
];
const ADJECTIVES: [&str; 8] = [
    "minor",
    "major",
    "client",
    "supervisor",
    "quick",
    "final",
    "director",
    "lighting",
];
const SOURCES: [&str; 4] = ["maya", "houdini", "blender", "zbrush"];
/// The word in about 0.1 % of the version notes.
const RARE_WORD: &str = "retopology";
/// A word in about 0.003 % of the notes (~33 at full scale): fewer matches than the search limit.
const RARER_WORD: &str = "photogrammetry";
const VERSIONS_PER_ASSET: usize = 10;
const SHOTS_PER_SEQUENCE: usize = 100;
const REFS_PER_SHOT: usize = 20;
const FAMILY: usize = 100;

#[derive(Debug, Clone, Copy)]
struct Sizes {
    assets: usize,
    sequences: usize,
    shots: usize,
    versions: usize,
    reference_links: usize,
    derived_links: usize,
    member_links: usize,
}

impl Sizes {
    fn at(scale: f64) -> Sizes {
        let families = ((1000.0 * scale).round() as usize).max(2);
        let assets = families * FAMILY;
        let sequences = ((200.0 * scale).round() as usize).max(1);
        let shots = sequences * SHOTS_PER_SEQUENCE;
        let reference_links = shots * REFS_PER_SHOT;
        let derived_links = assets - families;
        let total_links = (500_000.0 * scale).round() as usize;
        let member_links = total_links
            .saturating_sub(reference_links + derived_links)
            .min(assets - FAMILY);
        Sizes {
            assets,
            sequences,
            shots,
            versions: assets * VERSIONS_PER_ASSET,
            reference_links,
            derived_links,
            member_links,
        }
    }

    fn links(&self) -> usize {
        self.reference_links + self.derived_links + self.member_links
    }

    /// The sequence the status search looks in: `SQ0042` at full scale.
    fn focus_sequence(&self) -> usize {
        42.min(self.sequences - 1)
    }
}

fn asset_name(i: usize) -> String {
    format!("asset_{i:06}")
}

fn sequence_name(s: usize) -> String {
    format!("SQ{s:04}")
}

fn shot_name(k: usize) -> String {
    format!("SH{:04}", (k + 1) * 10)
}

fn shot_ref(shot: usize) -> EntityRef {
    EntityRef::shot(
        sequence_name(shot / SHOTS_PER_SEQUENCE),
        shot_name(shot % SHOTS_PER_SEQUENCE),
    )
}

const HERO: usize = 0;

fn generate(sizes: &Sizes) -> ProductionBatch {
    let n = sizes.assets;
    let mut batch = ProductionBatch::default();
    batch.assets.reserve(n);
    for i in 0..n {
        let h = mix(i as u64);
        let mut metadata = Metadata::new();
        let (asset_type, tags) = if i == HERO {
            metadata.insert("poly".into(), json!(250_000));
            (
                "char".to_owned(),
                vec!["hero".to_owned(), "main".to_owned()],
            )
        } else {
            metadata.insert("poly".into(), json!(100 + (h >> 20) % 199_900));
            let mut tags = vec![pick(&TAGS, h >> 12).to_owned()];
            if (h >> 16).is_multiple_of(2) {
                tags.push(pick(&TAGS, h >> 24).to_owned());
            }
            if (h >> 8).is_multiple_of(20) {
                tags.push("hero".to_owned());
            }
            tags.sort();
            tags.dedup();
            (pick(&TYPES, h).to_owned(), tags)
        };
        metadata.insert("lod".into(), json!((h >> 44) % 4));
        metadata.insert("artist".into(), json!(pick(&AUTHORS, h >> 48)));
        metadata.insert("source".into(), json!(pick(&SOURCES, h >> 52)));
        batch.assets.push(NewAsset {
            name: asset_name(i),
            asset_type,
            tags,
            metadata,
            department: None,
        });
    }

    batch.shots.reserve(sizes.shots);
    for shot in 0..sizes.shots {
        let h = mix(0x5407 ^ ((shot as u64) << 8));
        let mut metadata = Metadata::new();
        metadata.insert("camera".into(), json!(format!("cam_{}", h % 4)));
        metadata.insert("lens".into(), json!(24 + (h >> 8) % 62));
        batch.shots.push(NewShot {
            sequence: sequence_name(shot / SHOTS_PER_SEQUENCE),
            name: shot_name(shot % SHOTS_PER_SEQUENCE),
            frame_start: 1001,
            frame_end: 1001 + 24 + ((h >> 16) % 216) as i64,
            fps: None,
            metadata,
        });
    }

    let base = Utc
        .with_ymd_and_hms(2023, 1, 2, 9, 0, 0)
        .single()
        .expect("valid date");
    batch.versions.reserve(sizes.versions);
    for i in 0..n {
        for v in 0..VERSIONS_PER_ASSET {
            let global = (i * VERSIONS_PER_ASSET + v) as u64;
            let h = mix(0x7e55 ^ (global << 8));
            let mut note = format!(
                "{} {} after {} notes on {} v{}",
                pick(&VERBS, h),
                pick(&NOUNS, h >> 8),
                pick(&ADJECTIVES, h >> 16),
                asset_name(i),
                v + 1
            );
            if (h >> 24).is_multiple_of(1000) {
                note.push(' ');
                note.push_str(RARE_WORD);
            }
            if (h >> 34).is_multiple_of(30_000) {
                note.push(' ');
                note.push_str(RARER_WORD);
            }
            let created_at: DateTime<Utc> = base + Duration::from_secs(global * 63);
            batch.versions.push(BatchVersion {
                asset: asset_name(i),
                number: v as i64 + 1,
                author: pick(&AUTHORS, h >> 32).to_owned(),
                note,
                created_at,
                file_count: 1 + ((h >> 40) % 50) as i64,
                total_bytes: ((h >> 20) % 2_000_000_000) as i64,
            });
        }
    }

    batch.links.reserve(sizes.links());
    // Shots reference 20 distinct assets each, never the hero by chance (indexes start at 1).
    let step = n / REFS_PER_SHOT;
    for shot in 0..sizes.shots {
        let h = mix(0x11ed ^ ((shot as u64) << 8));
        let start = 1 + (h as usize) % (step - 1);
        for j in 0..REFS_PER_SHOT {
            let target = if j == 0 && shot % 10 == 0 {
                HERO
            } else {
                start + j * step
            };
            let pin = ((shot + j) % 5 == 0).then_some(1 + ((shot + j) % VERSIONS_PER_ASSET) as i64);
            batch.links.push(Link {
                src: shot_ref(shot),
                dst: EntityRef::asset(asset_name(target)),
                kind: LinkKind::Reference,
                pin,
            });
        }
    }
    // Families of 100: member k (k ≥ 1) derived from member (k - 1) / 2 of the same family.
    for i in 0..n {
        let k = i % FAMILY;
        if k != 0 {
            batch.links.push(Link {
                src: EntityRef::asset(asset_name(i)),
                dst: EntityRef::asset(asset_name(i - k + (k - 1) / 2)),
                kind: LinkKind::DerivedFrom,
                pin: None,
            });
        }
    }
    // Members: distinct sources, each pointing 100 indexes down.
    let mut used = std::collections::HashSet::new();
    let mut m = 0usize;
    while used.len() < sizes.member_links {
        let src = FAMILY + (m * 7919) % (n - FAMILY);
        m += 1;
        if used.insert(src) {
            batch.links.push(Link {
                src: EntityRef::asset(asset_name(src)),
                dst: EntityRef::asset(asset_name(src - FAMILY)),
                kind: LinkKind::Member,
                pin: None,
            });
        }
    }
    batch
}

// ---------------------------------------------------------------------------------------------
// Measurement

#[derive(Debug, Clone)]
struct Stats {
    name: String,
    what: String,
    target: Option<Duration>,
    samples: Vec<Duration>,
    /// First calls on freshly opened catalogs.
    cold: Vec<Duration>,
    /// Rows the operation returned (last iteration).
    rows: usize,
    note: String,
}

impl Stats {
    /// Median and maximum of the first calls on fresh catalogs, as text.
    fn cold_text(&self) -> (String, String) {
        let mut sorted = self.cold.clone();
        sorted.sort();
        match (
            sorted.get(sorted.len().saturating_sub(1) / 2),
            sorted.last(),
        ) {
            (Some(median), Some(max)) => (ms(*median), ms(*max)),
            _ => ("—".to_owned(), "—".to_owned()),
        }
    }

    fn percentile(&self, p: f64) -> Duration {
        let mut sorted = self.samples.clone();
        sorted.sort();
        let rank = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
        sorted[rank - 1]
    }
}

fn ms(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64() * 1000.0)
}

/// Times `op(catalog, i)` for `iterations` values of `i` after `warmup` untimed runs, stopping
/// early (with at least 20 samples) once `budget` is spent; then times the first call on each of
/// `cold` freshly opened catalogs (what every CLI command does: a new process opens a new pool,
/// so nothing is prepared or cached yet), opening not included.
async fn measure<F, Fut>(
    name: &str,
    what: &str,
    target: Option<Duration>,
    args: &Args,
    catalog: &Catalog,
    url: &str,
    mut op: F,
) -> Result<Stats, String>
where
    F: FnMut(Catalog, usize) -> Fut,
    Fut: std::future::Future<Output = Result<usize, String>>,
{
    eprintln!("measuring {name}…");
    for i in 0..args.warmup {
        op(catalog.clone(), 1_000_000 + i).await?;
    }
    let mut samples = Vec::with_capacity(args.iterations);
    let mut rows = 0;
    let started = Instant::now();
    let mut note = String::new();
    for i in 0..args.iterations {
        let t = Instant::now();
        rows = op(catalog.clone(), i).await?;
        samples.push(t.elapsed());
        if started.elapsed() > args.budget && samples.len() >= 20.min(args.iterations) {
            if i + 1 < args.iterations {
                note = format!(
                    "stopped after {} of {} iterations ({} s budget)",
                    samples.len(),
                    args.iterations,
                    args.budget.as_secs()
                );
            }
            break;
        }
    }
    let mut cold = Vec::with_capacity(args.cold);
    for k in 0..args.cold {
        let fresh = Catalog::connect(url, false)
            .await
            .map_err(|e| e.to_string())?;
        let t = Instant::now();
        op(fresh.clone(), 2_000_000 + k).await?;
        cold.push(t.elapsed());
        fresh.close().await;
    }
    Ok(Stats {
        name: name.to_owned(),
        what: what.to_owned(),
        target,
        samples,
        cold,
        rows,
        note,
    })
}

// ---------------------------------------------------------------------------------------------
// Query plans

#[derive(Debug, Clone)]
enum Bind {
    Text(String),
    Int(i64),
    Float(f64),
}

/// Values to run a captured statement with, for its plan.
struct PlanContext {
    project_id: i64,
    /// The asset the operation looked at (`asset show`) or walked from (`used_by`).
    asset: String,
    asset_id: i64,
    version_id: i64,
    hero_id: i64,
    /// The binds of the search statement, in the order the catalog's query compiler makes them.
    search: Option<Vec<Bind>>,
}

/// Highest `$N` in `sql`.
fn max_placeholder(sql: &str) -> usize {
    let bytes = sql.as_bytes();
    let mut max = 0;
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'$' {
            let mut j = i + 1;
            while j < bytes.len() && bytes[j].is_ascii_digit() {
                j += 1;
            }
            if let Ok(n) = sql[i + 1..j].parse::<usize>() {
                max = max.max(n);
            }
            i = j;
        } else {
            i += 1;
        }
    }
    max
}

/// The values the catalog binds to `sql` in the operation, recognised by the statement's shape
/// (see `imp.rs`, `production.rs`, `search.rs`); `None` for an unknown statement.
fn binds_for(sql: &str, ctx: &PlanContext) -> Option<Vec<Bind>> {
    let n = max_placeholder(sql);
    let binds = if sql.contains("FROM search_docs d") {
        ctx.search.clone()?
    } else if sql.contains("WITH RECURSIVE") && sql.contains("depth < $3") {
        // A walk with a depth limit: kind, id, limit.
        vec![
            Bind::Text("asset".into()),
            Bind::Int(ctx.hero_id),
            Bind::Int(MAX_DEPTH),
        ]
    } else if sql.contains("WITH RECURSIVE") && n.is_multiple_of(2) {
        // A walk that binds the start (kind, id) once per part that needs it.
        (0..n / 2)
            .flat_map(|_| [Bind::Text("asset".into()), Bind::Int(ctx.hero_id)])
            .collect()
    } else if sql.contains("p.name = $1 AND a.name = $2") {
        vec![Bind::Text(PROJECT.into()), Bind::Text(ctx.asset.clone())]
    } else if sql.contains("a.project_id = $1 AND a.name = $2") {
        vec![Bind::Int(ctx.project_id), Bind::Text(ctx.asset.clone())]
    } else if sql.contains("FROM projects WHERE name = $1") {
        vec![Bind::Text(PROJECT.into())]
    } else if n == 1 && sql.contains("version_id = $1") {
        vec![Bind::Int(ctx.version_id)]
    } else if n == 1 && sql.contains("asset_id = $1") {
        vec![Bind::Int(ctx.asset_id)]
    } else if n == 1 && sql.contains("project_id = $1") {
        vec![Bind::Int(ctx.project_id)]
    } else if n == 0 {
        Vec::new()
    } else {
        return None;
    };
    (binds.len() == n).then_some(binds)
}

/// alias → table, from `FROM t a` / `JOIN t a` in `sql`.
fn aliases(sql: &str) -> HashMap<String, String> {
    let words: Vec<&str> = sql
        .split(|c: char| c.is_whitespace() || c == '(' || c == ')' || c == ',')
        .filter(|w| !w.is_empty())
        .collect();
    let mut out = HashMap::new();
    for w in words.windows(3) {
        let keyword = w[0].to_ascii_uppercase();
        if keyword == "FROM" || keyword == "JOIN" {
            let table = w[1].to_owned();
            out.insert(table.clone(), table.clone());
            let alias = w[2];
            let reserved = [
                "WHERE", "JOIN", "LEFT", "ON", "GROUP", "ORDER", "LIMIT", "CROSS", "INNER", "AS",
                "UNION",
            ];
            if !reserved.contains(&alias.to_ascii_uppercase().as_str()) {
                out.insert(alias.to_owned(), table);
            }
        }
    }
    out
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Verdict {
    Ok,
    /// A full scan of a large table in the plan that EXPLAIN ANALYZE shows was never executed.
    Planned,
    /// Reads a large part of a large table through an index (or the whole project's rows).
    Wide,
    /// Full scan of a large table.
    FullScan,
}

struct PlanCheck {
    verdict: Verdict,
    findings: Vec<String>,
}

/// Columns with few distinct values: an index search constrained only by them reads a large
/// share of the table (every row of the project, of a document kind, of a status…).
const LOW_CARDINALITY: [&str; 9] = [
    "project_id",
    "kind",
    "src_kind",
    "dst_kind",
    "entity_kind",
    "target_kind",
    "status",
    "asset_type",
    "department",
];

/// The columns in the `(a=? AND b=?)` part of an SQLite `SEARCH` line.
fn narrowed_by(rest: &str) -> Option<Vec<String>> {
    let open = rest.rfind('(')?;
    let inner = rest[open + 1..].split(')').next()?;
    let columns: Vec<String> = inner
        .split(" AND ")
        .map(|c| {
            c.split(['=', '<', '>'])
                .next()
                .unwrap_or("")
                .trim()
                .to_owned()
        })
        .collect();
    (!columns.is_empty() && columns.iter().all(|c| !c.is_empty())).then_some(columns)
}

fn check_sqlite_plan(sql: &str, lines: &[String]) -> PlanCheck {
    let aliases = aliases(sql);
    let mut findings = Vec::new();
    let mut verdict = Verdict::Ok;
    for line in lines {
        let detail = line.trim();
        let (scan, rest) = if let Some(rest) = detail.strip_prefix("SCAN ") {
            (true, rest)
        } else if let Some(rest) = detail.strip_prefix("SEARCH ") {
            (false, rest)
        } else {
            continue;
        };
        let name = rest.split_whitespace().next().unwrap_or("");
        let table = aliases.get(name).map_or(name, String::as_str);
        if !LARGE_TABLES.contains(&table) || rest.contains("VIRTUAL TABLE") {
            continue;
        }
        if scan && rest.contains("INDEX") {
            verdict = verdict.max(Verdict::Wide);
            findings.push(format!(
                "`{detail}`: reads all of `{table}` through an index"
            ));
        } else if scan {
            verdict = verdict.max(Verdict::FullScan);
            findings.push(format!("`{detail}`: full scan of `{table}`"));
        } else if let Some(columns) = narrowed_by(rest)
            && columns
                .iter()
                .all(|c| LOW_CARDINALITY.contains(&c.as_str()))
        {
            verdict = verdict.max(Verdict::Wide);
            findings.push(format!(
                "`{detail}`: narrowed only by {}, so it reads every `{table}` row of the project \
                 {}(the benchmark has one project)",
                columns.join(" and "),
                if columns.len() > 1 {
                    "with that value "
                } else {
                    ""
                }
            ));
        }
    }
    PlanCheck { verdict, findings }
}

/// Checks a PostgreSQL plan: `Seq Scan` on a large table (a scan EXPLAIN ANALYZE shows as never
/// executed is reported apart), or, with ANALYZE, any other node on a large table that reads more
/// than 50,000 rows (rows returned plus rows removed by its filter, times loops).
fn check_pg_plan(lines: &[String]) -> PlanCheck {
    let mut findings = Vec::new();
    let mut verdict = Verdict::Ok;
    let number = |text: &str, key: &str| -> Option<f64> {
        let at = text.find(key)? + key.len();
        text[at..]
            .split(|c: char| !(c.is_ascii_digit() || c == '.'))
            .next()?
            .parse()
            .ok()
    };
    for (i, line) in lines.iter().enumerate() {
        let text = line.trim().trim_start_matches("->").trim();
        if !text.contains("(cost=") && !text.contains("(actual") && !text.contains(" on ") {
            continue;
        }
        let Some(on) = text.find(" on ") else {
            continue;
        };
        let table = text[on + 4..].split_whitespace().next().unwrap_or("");
        if !LARGE_TABLES.contains(&table) {
            continue;
        }
        let node = &text[..on];
        let node_short = text.split("  (").next().unwrap_or(text);
        let never = text.contains("never executed");
        // Rows its filter removed: on the detail lines up to the next node.
        let mut removed = 0.0;
        for detail in &lines[i + 1..] {
            let d = detail.trim();
            if d.starts_with("->") || d.starts_with("SubPlan") || d.starts_with("InitPlan") {
                break;
            }
            if let Some(n) = number(d, "Rows Removed by Filter: ") {
                removed += n;
            }
        }
        let loops = number(text, "loops=").unwrap_or(1.0);
        let read = text
            .find("(actual ")
            .and_then(|a| number(&text[a..], "rows="))
            .map(|rows| (rows + removed) * loops);
        if node.ends_with("Seq Scan") {
            if never {
                verdict = verdict.max(Verdict::Planned);
                findings.push(format!(
                    "`{node_short}`: full scan of `{table}` in the plan, never executed in this run"
                ));
            } else {
                verdict = verdict.max(Verdict::FullScan);
                let read = read.map_or(String::new(), |r| format!(", {r:.0} rows read"));
                findings.push(format!("`{node_short}`: full scan of `{table}`{read}"));
            }
        } else if let Some(read) = read
            && read > 50_000.0
        {
            verdict = verdict.max(Verdict::Wide);
            findings.push(format!(
                "`{node_short}`: reads {read:.0} rows of `{table}` through an index"
            ));
        }
    }
    PlanCheck { verdict, findings }
}

fn verdict_text(check: &PlanCheck) -> String {
    match check.verdict {
        Verdict::Ok => "no full scan of a large table".to_owned(),
        _ => check.findings.join("; "),
    }
}

enum Explainer {
    Sqlite(sqlx::SqlitePool),
    Postgres(sqlx::PgPool),
}

fn pg_type(bind: &Bind) -> &'static str {
    match bind {
        Bind::Text(_) => "text",
        Bind::Int(_) => "int8",
        Bind::Float(_) => "float8",
    }
}

/// A bind as an SQL literal (for `EXECUTE`).
fn literal(bind: &Bind) -> String {
    match bind {
        Bind::Text(s) => format!("'{}'", s.replace('\'', "''")),
        Bind::Int(i) => i.to_string(),
        Bind::Float(f) => format!("{f:?}"),
    }
}

impl Explainer {
    async fn sqlite_plan(
        pool: &sqlx::SqlitePool,
        sql: &str,
        binds: &[Bind],
    ) -> Result<Vec<String>, sqlx::Error> {
        let mut q = sqlx::query(AssertSqlSafe(format!("EXPLAIN QUERY PLAN {sql}")));
        for b in binds {
            q = match b {
                Bind::Text(s) => q.bind(s.clone()),
                Bind::Int(i) => q.bind(*i),
                Bind::Float(f) => q.bind(*f),
            };
        }
        let rows = q.fetch_all(pool).await?;
        // id, parent, notused, detail → an indented tree.
        let mut depth: HashMap<i64, usize> = HashMap::new();
        let mut out = Vec::new();
        for row in rows {
            let id: i64 = row.try_get(0)?;
            let parent: i64 = row.try_get(1)?;
            let detail: String = row.try_get(3)?;
            let d = depth.get(&parent).map_or(0, |d| d + 1);
            depth.insert(id, d);
            out.push(format!("{}{}", "  ".repeat(d), detail));
        }
        Ok(out)
    }

    async fn pg_analyze(
        pool: &sqlx::PgPool,
        sql: &str,
        binds: &[Bind],
    ) -> Result<Vec<String>, sqlx::Error> {
        let mut q = sqlx::query(AssertSqlSafe(format!("EXPLAIN (ANALYZE, BUFFERS) {sql}")));
        for b in binds {
            q = match b {
                Bind::Text(s) => q.bind(s.clone()),
                Bind::Int(i) => q.bind(*i),
                Bind::Float(f) => q.bind(*f),
            };
        }
        let rows = q.fetch_all(pool).await?;
        rows.iter().map(|r| r.try_get::<String, _>(0)).collect()
    }

    /// The generic plan (what a prepared statement switches to after five runs when it is not
    /// costlier than the custom ones), through PREPARE with the binds' types.
    async fn pg_generic(
        pool: &sqlx::PgPool,
        sql: &str,
        binds: Option<&[Bind]>,
    ) -> Result<Vec<String>, sqlx::Error> {
        let mut conn = pool.acquire().await?;
        sqlx::raw_sql("SET plan_cache_mode = force_generic_plan")
            .execute(&mut *conn)
            .await?;
        let n = max_placeholder(sql);
        let types = match binds {
            Some(b) if !b.is_empty() => format!(
                " ({})",
                b.iter().map(pg_type).collect::<Vec<_>>().join(", ")
            ),
            _ => String::new(),
        };
        let prepared = sqlx::raw_sql(AssertSqlSafe(format!(
            "PREPARE bench_generic{types} AS {sql}"
        )))
        .execute(&mut *conn)
        .await;
        let result = match prepared {
            Ok(_) => {
                // With the real values the generic plan is run (EXPLAIN ANALYZE); without, it
                // is only shown, with NULLs.
                let (options, args) = match binds {
                    Some(b) if !b.is_empty() => (
                        " (ANALYZE, BUFFERS)",
                        format!("({})", b.iter().map(literal).collect::<Vec<_>>().join(", ")),
                    ),
                    Some(_) => (" (ANALYZE, BUFFERS)", String::new()),
                    None if n == 0 => ("", String::new()),
                    None => ("", format!("({})", vec!["NULL"; n].join(", "))),
                };
                let plan = sqlx::raw_sql(AssertSqlSafe(format!(
                    "EXPLAIN{options} EXECUTE bench_generic{args}"
                )))
                .fetch_all(&mut *conn)
                .await;
                let _ = sqlx::raw_sql("DEALLOCATE bench_generic")
                    .execute(&mut *conn)
                    .await;
                plan.and_then(|rows| rows.iter().map(|r| r.try_get::<String, _>(0)).collect())
            }
            Err(e) => Err(e),
        };
        let _ = sqlx::raw_sql("RESET plan_cache_mode")
            .execute(&mut *conn)
            .await;
        result
    }
}

/// One line of SQL, shortened for display.
fn show_sql(sql: &str) -> String {
    let one_line: String = sql.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() > 2500 {
        let cut: String = one_line.chars().take(2500).collect();
        format!("{cut} …")
    } else {
        one_line
    }
}

struct PlanSummary {
    operation: String,
    statement: String,
    verdict: String,
    worst: Verdict,
}

/// Prints the plans of an operation's statements; returns one summary per statement.
async fn explain_operation(
    out: &mut String,
    explainer: &Explainer,
    operation: &str,
    statements: &[String],
    ctx: &PlanContext,
    whole_table_expected: bool,
) -> Vec<PlanSummary> {
    let mut summaries = Vec::new();
    let _ = writeln!(out, "\n#### {operation}\n");
    if whole_table_expected {
        let _ = writeln!(
            out,
            "A report counts every shot, task, asset and version of the project: its GROUP BY \
             statements read whole tables (through the project index where there is one) by \
             design; the check below shows it rather than hides it.\n"
        );
    }
    for (i, sql) in statements.iter().enumerate() {
        let binds = binds_for(sql, ctx);
        let _ = writeln!(out, "{}. `{}`\n", i + 1, show_sql(sql).replace('`', "'"));
        let bind_note = match &binds {
            Some(b) if !b.is_empty() => format!(
                "   parameters: {}\n",
                b.iter()
                    .enumerate()
                    .map(|(k, b)| format!(
                        "${}={}",
                        k + 1,
                        match b {
                            Bind::Text(s) => format!("'{s}'"),
                            Bind::Int(i) => i.to_string(),
                            Bind::Float(f) => f.to_string(),
                        }
                    ))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Some(_) => String::new(),
            None => "   parameters: not reproduced (unknown statement shape): planned with \
                     NULLs / generic plan only\n"
                .to_owned(),
        };
        let _ = write!(out, "{bind_note}");
        let (check, extra) = match explainer {
            Explainer::Sqlite(pool) => {
                match Explainer::sqlite_plan(pool, sql, binds.as_deref().unwrap_or(&[])).await {
                    Ok(lines) => {
                        let _ = writeln!(out, "\n   ```text");
                        for l in &lines {
                            let _ = writeln!(out, "   {l}");
                        }
                        let _ = writeln!(out, "   ```");
                        (check_sqlite_plan(sql, &lines), String::new())
                    }
                    Err(e) => {
                        let _ = writeln!(out, "   EXPLAIN failed: {e}");
                        continue;
                    }
                }
            }
            Explainer::Postgres(pool) => {
                let mut check = PlanCheck {
                    verdict: Verdict::Ok,
                    findings: Vec::new(),
                };
                if let Some(b) = &binds {
                    match Explainer::pg_analyze(pool, sql, b).await {
                        Ok(lines) => {
                            let _ = writeln!(out, "\n   ```text");
                            for l in &lines {
                                let _ = writeln!(out, "   {l}");
                            }
                            let _ = writeln!(out, "   ```");
                            check = check_pg_plan(&lines);
                        }
                        Err(e) => {
                            let _ = writeln!(out, "   EXPLAIN ANALYZE failed: {e}");
                        }
                    }
                }
                let extra = match Explainer::pg_generic(pool, sql, binds.as_deref()).await {
                    Ok(lines) => {
                        let generic = check_pg_plan(&lines);
                        let same = generic.verdict <= check.verdict || binds.is_none();
                        let text = format!("generic plan: {}", verdict_text(&generic));
                        if !same || binds.is_none() {
                            let _ = writeln!(out, "\n   generic plan (`force_generic_plan`):\n");
                            let _ = writeln!(out, "   ```text");
                            for l in &lines {
                                let _ = writeln!(out, "   {l}");
                            }
                            let _ = writeln!(out, "   ```");
                        }
                        if generic.verdict > check.verdict {
                            check.verdict = generic.verdict;
                            check
                                .findings
                                .extend(generic.findings.iter().map(|f| format!("generic: {f}")));
                        }
                        text
                    }
                    Err(e) => format!("generic plan not available: {e}"),
                };
                (check, extra)
            }
        };
        let verdict = verdict_text(&check);
        let mark = match check.verdict {
            Verdict::Ok => "OK",
            Verdict::Planned => "FULL SCAN IN PLAN (not executed)",
            Verdict::Wide => "WIDE",
            Verdict::FullScan => "FULL SCAN",
        };
        let _ = writeln!(out, "\n   **Plan check: {mark}**: {verdict}");
        if !extra.is_empty() {
            let _ = writeln!(out, "   ({extra})");
        }
        let _ = writeln!(out);
        summaries.push(PlanSummary {
            operation: operation.to_owned(),
            statement: {
                let one_line = show_sql(sql);
                if one_line.chars().count() > 90 {
                    one_line.chars().take(90).collect::<String>() + "…"
                } else {
                    one_line
                }
            },
            verdict: if whole_table_expected && check.verdict != Verdict::Ok {
                format!("{mark} (expected: whole-project aggregate)")
            } else {
                mark.to_owned()
            },
            worst: check.verdict,
        });
    }
    summaries
}

// ---------------------------------------------------------------------------------------------
// Main

enum Backend {
    Sqlite { path: std::path::PathBuf },
    Postgres { admin_url: String, database: String },
}

fn main() {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    let code = runtime.block_on(async {
        match run(&args).await {
            Ok(report) => {
                println!("{report}");
                0
            }
            Err(e) => {
                eprintln!("production_bench: {e}");
                1
            }
        }
    });
    std::process::exit(code);
}

async fn run(args: &Args) -> Result<String, String> {
    let _ = tracing::subscriber::set_global_default(SqlCapture);
    let (backend, url) =
        if args.catalog.starts_with("postgres://") || args.catalog.starts_with("postgresql://") {
            let mut url = url::Url::parse(&args.catalog).map_err(|e| format!("--catalog: {e}"))?;
            let database = format!("bifrost_bench_{}", std::process::id());
            let mut admin = url.clone();
            admin.set_path("/postgres");
            url.set_path(&format!("/{database}"));
            (
                Backend::Postgres {
                    admin_url: admin.to_string(),
                    database,
                },
                url.to_string(),
            )
        } else {
            let path = args
                .catalog
                .strip_prefix("sqlite://")
                .or_else(|| args.catalog.strip_prefix("sqlite:"))
                .unwrap_or(&args.catalog);
            let path = std::path::PathBuf::from(path);
            if path.exists() {
                return Err(format!(
                    "{} exists; give a path where a fresh catalog can be created",
                    path.display()
                ));
            }
            (Backend::Sqlite { path: path.clone() }, args.catalog.clone())
        };
    let result = bench(args, &backend, &url).await;
    if let Backend::Postgres {
        admin_url,
        database,
    } = &backend
    {
        match drop_database(admin_url, database).await {
            Ok(()) => eprintln!("dropped database {database}"),
            Err(e) => eprintln!("could not drop database {database}: {e}"),
        }
    }
    result
}

async fn drop_database(admin_url: &str, database: &str) -> Result<(), sqlx::Error> {
    let mut conn = sqlx::PgConnection::connect(admin_url).await?;
    sqlx::raw_sql(AssertSqlSafe(format!(
        "DROP DATABASE IF EXISTS \"{database}\" WITH (FORCE)"
    )))
    .execute(&mut conn)
    .await?;
    conn.close().await
}

async fn bench(args: &Args, backend: &Backend, url: &str) -> Result<String, String> {
    let e = |e: bifrost_catalog::CatalogError| e.to_string();
    let sizes = Sizes::at(args.scale);
    let mut out = String::new();
    let backend_name = match backend {
        Backend::Sqlite { .. } => "SQLite",
        Backend::Postgres { .. } => "PostgreSQL",
    };

    // -- Generate.
    eprintln!("generating {sizes:?}…");
    let t = Instant::now();
    let batch = generate(&sizes);
    let generated_in = t.elapsed();

    // -- Import.
    let catalog = Catalog::connect(url, true).await.map_err(e)?;
    let server_version = match backend {
        Backend::Postgres { .. } => {
            let pool = sqlx::PgPool::connect(url)
                .await
                .map_err(|e| e.to_string())?;
            let v: String = sqlx::query_scalar("SHOW server_version")
                .fetch_one(&pool)
                .await
                .map_err(|e| e.to_string())?;
            pool.close().await;
            format!("PostgreSQL {v}")
        }
        Backend::Sqlite { .. } => {
            let v: String = sqlx::query_scalar("SELECT sqlite_version()")
                .fetch_one(
                    &mut sqlx::SqliteConnection::connect("sqlite::memory:")
                        .await
                        .map_err(|e| e.to_string())?,
                )
                .await
                .map_err(|e| e.to_string())?;
            format!("SQLite {v} (the library sqlx links)")
        }
    };
    catalog
        .create_project(PROJECT, &mut Journal::none())
        .await
        .map_err(e)?;
    eprintln!("importing…");
    let t = Instant::now();
    let summary = catalog
        .bulk_import(PROJECT, &batch, &mut Journal::none())
        .await
        .map_err(e)?;
    let import_time = t.elapsed();
    eprintln!("imported in {import_time:?}: {summary:?}");
    drop(batch);

    // -- A little ordinary activity, through the API: shots set to `ip`, tasks.
    let t = Instant::now();
    let focus = sizes.focus_sequence();
    let mut ip_shots = Vec::new();
    for shot in 0..sizes.shots {
        let in_focus =
            shot / SHOTS_PER_SEQUENCE == focus && (shot % SHOTS_PER_SEQUENCE).is_multiple_of(2);
        if in_focus || shot % 40 == 7 {
            ip_shots.push(shot);
        }
    }
    for shot in &ip_shots {
        catalog
            .set_status(
                PROJECT,
                &shot_ref(*shot),
                "ip",
                "bench",
                &mut Journal::none(),
            )
            .await
            .map_err(e)?;
    }
    let departments = ["layout", "animation", "fx", "lighting", "comp"];
    let mut tasks = 0;
    for shot in (0..sizes.shots).step_by(100) {
        for (d, department) in departments.iter().enumerate() {
            let assignee = (d % 2 == 0).then(|| AUTHORS[(shot / 100 + d) % AUTHORS.len()]);
            catalog
                .create_task(
                    PROJECT,
                    &shot_ref(shot),
                    department,
                    assignee,
                    &mut Journal::none(),
                )
                .await
                .map_err(e)?;
            tasks += 1;
        }
    }
    let activity_time = t.elapsed();

    // PostgreSQL: collect statistics as autovacuum would shortly after a load this size (the
    // catalog never runs ANALYZE itself, on either backend).
    let explainer = match backend {
        Backend::Postgres { .. } => {
            let pool = sqlx::postgres::PgPoolOptions::new()
                .max_connections(2)
                .connect(url)
                .await
                .map_err(|e| e.to_string())?;
            let t = Instant::now();
            sqlx::raw_sql("ANALYZE")
                .execute(&pool)
                .await
                .map_err(|e| e.to_string())?;
            eprintln!("ANALYZE took {:?}", t.elapsed());
            Explainer::Postgres(pool)
        }
        Backend::Sqlite { path } => {
            let options = sqlx::sqlite::SqliteConnectOptions::new()
                .filename(path)
                .read_only(true);
            let pool = sqlx::sqlite::SqlitePoolOptions::new()
                .max_connections(1)
                .connect_with(options)
                .await
                .map_err(|e| e.to_string())?;
            Explainer::Sqlite(pool)
        }
    };

    // Table sizes and database size.
    let mut counts: Vec<(String, i64)> = Vec::new();
    for table in [
        "assets",
        "asset_tags",
        "sequences",
        "shots",
        "versions",
        "links",
        "tasks",
        "history",
        "search_docs",
    ] {
        let sql = format!("SELECT COUNT(*) FROM {table}");
        let n: i64 = match &explainer {
            Explainer::Sqlite(pool) => sqlx::query_scalar(AssertSqlSafe(sql))
                .fetch_one(pool)
                .await
                .map_err(|e| e.to_string())?,
            Explainer::Postgres(pool) => sqlx::query_scalar(AssertSqlSafe(sql))
                .fetch_one(pool)
                .await
                .map_err(|e| e.to_string())?,
        };
        counts.push((table.to_owned(), n));
    }
    let db_size = match (&explainer, backend) {
        (Explainer::Postgres(pool), _) => {
            let bytes: i64 = sqlx::query_scalar("SELECT pg_database_size(current_database())")
                .fetch_one(pool)
                .await
                .map_err(|e| e.to_string())?;
            bytes as u64
        }
        (_, Backend::Sqlite { path }) => {
            let mut total = 0;
            for suffix in ["", "-wal", "-shm"] {
                let mut p = path.clone().into_os_string();
                p.push(suffix);
                total += std::fs::metadata(&p).map(|m| m.len()).unwrap_or(0);
            }
            total
        }
        _ => 0,
    };

    // -- Ids and queries.
    let project_id = catalog.get_project(PROJECT).await.map_err(e)?.id;
    let hero = asset_name(HERO);
    let hero_ref = EntityRef::asset(&hero);
    let hero_id = catalog.get_asset(PROJECT, &hero).await.map_err(e)?.id;
    let focus_name = sequence_name(focus);
    let searches: Vec<(String, String)> = vec![
        (
            "search `type:prop tag:hero meta.poly<10000`".to_owned(),
            "type:prop tag:hero meta.poly<10000".to_owned(),
        ),
        (
            format!("search `{RARE_WORD}` (word in ~0.1 % of notes)"),
            RARE_WORD.to_owned(),
        ),
        (
            format!("search `kind:shot status:ip seq:{focus_name}`"),
            format!("kind:shot status:ip seq:{focus_name}"),
        ),
        (
            format!("search `{RARER_WORD}` (extra: word in ~0.003 % of notes)"),
            RARER_WORD.to_owned(),
        ),
    ];
    let parsed: Vec<Query> = searches
        .iter()
        .map(|(_, q)| query::parse(q).map_err(|e| e.to_string()))
        .collect::<Result<_, _>>()?;

    // -- Measure.
    let n = sizes.assets;
    let mut stats = Vec::new();
    stats.push(
        measure(
            "asset show",
            "`get_asset` + `list_versions` + `version_files` (latest), a different asset each time",
            Some(TARGET),
            args,
            &catalog,
            url,
            |catalog, i| async move {
                let name = asset_name((mix(0xa55e7 ^ i as u64) % n as u64) as usize);
                let asset = catalog.get_asset(PROJECT, &name).await.map_err(e)?;
                let versions = catalog
                    .list_versions(PROJECT, &asset.name)
                    .await
                    .map_err(e)?;
                if let Some(last) = versions.last() {
                    catalog.version_files(last.id).await.map_err(e)?;
                }
                Ok(versions.len())
            },
        )
        .await?,
    );
    for ((label, _), q) in searches.iter().zip(&parsed) {
        stats.push(
            measure(
                label,
                "`search`, limit 100",
                Some(TARGET),
                args,
                &catalog,
                url,
                |catalog, _| async move {
                    let hits = catalog
                        .search(Some(PROJECT), q, SEARCH_LIMIT, 0)
                        .await
                        .map_err(e)?;
                    Ok(hits.len())
                },
            )
            .await?,
        );
    }
    stats.push(
        measure(
            "used-by --transitive (hero)",
            "`used_by(asset_000000, transitive)`: every entity that uses the hero",
            Some(TARGET),
            args,
            &catalog,
            url,
            |catalog, _| {
                let hero_ref = hero_ref.clone();
                async move {
                    let deps = catalog.used_by(PROJECT, &hero_ref, true).await.map_err(e)?;
                    Ok(deps.len())
                }
            },
        )
        .await?,
    );
    stats.push(
        measure(
            "report status",
            "`report_status`: counts over the whole project",
            None,
            args,
            &catalog,
            url,
            |catalog, _| async move {
                let r = catalog.report_status(PROJECT).await.map_err(e)?;
                Ok(r.versions_by_week.len())
            },
        )
        .await?,
    );
    if let Some(s) = stats.last_mut() {
        s.note = format!(
            "rows = ISO weeks in the report{}{}",
            if s.note.is_empty() { "" } else { "; " },
            s.note
        );
    }

    // -- Write up.
    let _ = writeln!(out, "## {backend_name}\n");
    let _ = writeln!(
        out,
        "{server_version}; catalog `{}`; scale {}; {} timed iterations per operation after {} \
         warm-up runs (tokio multi-thread runtime, 2 workers).\n",
        match backend {
            Backend::Sqlite { path } => path.display().to_string(),
            Backend::Postgres { database, .. } =>
                format!("{database} (created for the run, dropped after)"),
        },
        args.scale,
        args.iterations,
        args.warmup
    );
    let _ = writeln!(out, "### Import\n");
    let _ = writeln!(out, "| | generated | in the catalog after the run |");
    let _ = writeln!(out, "|---|---:|---:|");
    let count = |t: &str| counts.iter().find(|(n, _)| n == t).map_or(0, |(_, c)| *c);
    let rows_table = [
        ("assets", sizes.assets, "assets"),
        ("sequences", sizes.sequences, "sequences"),
        ("shots", sizes.shots, "shots"),
        ("versions", sizes.versions, "versions"),
        ("links", sizes.links(), "links"),
    ];
    for (label, generated, table) in rows_table {
        let _ = writeln!(out, "| {label} | {generated} | {} |", count(table));
    }
    let _ = writeln!(
        out,
        "| (links: reference / derived-from / member) | {} / {} / {} | |",
        sizes.reference_links, sizes.derived_links, sizes.member_links
    );
    let _ = writeln!(out, "| asset tags | | {} |", count("asset_tags"));
    let _ = writeln!(out, "| search documents | | {} |", count("search_docs"));
    let _ = writeln!(
        out,
        "| tasks (API, after the import) | {tasks} | {} |",
        count("tasks")
    );
    let _ = writeln!(
        out,
        "| shots set to `ip` (API, after the import) | {} | history rows: {} |",
        ip_shots.len(),
        count("history")
    );
    let _ = writeln!(
        out,
        "| database size | | {:.0} MiB |\n",
        db_size as f64 / 1048576.0
    );
    let import_target = matches!(backend, Backend::Sqlite { .. });
    let _ = writeln!(
        out,
        "**Bulk import: {:.1} s** (`bulk_import`, one transaction: {} assets, {} sequences, {} \
         shots, {} versions, {} links, plus their search documents){}. Generating the batch in \
         memory took {:.1} s (not counted); the {} status changes and {} tasks through the API \
         afterwards took {:.1} s.\n",
        import_time.as_secs_f64(),
        summary.assets,
        summary.sequences,
        summary.shots,
        summary.versions,
        summary.links,
        if import_target {
            format!(
                "; target < 60 s on SQLite: **{}**",
                if import_time < Duration::from_secs(60) {
                    "met"
                } else {
                    "MISSED"
                }
            )
        } else {
            String::new()
        },
        generated_in.as_secs_f64(),
        ip_shots.len(),
        tasks,
        activity_time.as_secs_f64()
    );
    if !import_target {
        let _ = writeln!(
            out,
            "(PostgreSQL: `ANALYZE` was run after the import, as autovacuum would shortly after a \
             load of this size; the catalog itself never runs it on either backend.)\n"
        );
    }

    if let Some(path) = &args.summary {
        let mut tsv = format!("import\t{:.1}\n", import_time.as_secs_f64());
        for s in &stats {
            let p95 = s.percentile(0.95);
            let _ = writeln!(
                tsv,
                "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
                s.name,
                s.rows,
                s.samples.len(),
                ms(s.percentile(0.50)),
                ms(p95),
                ms(s.percentile(0.99)),
                ms(s.percentile(1.0)),
                s.target
                    .map_or("-".to_owned(), |t| t.as_millis().to_string()),
                match s.target {
                    Some(t) if p95 < t => "yes",
                    Some(_) => "NO",
                    None => "-",
                },
                s.cold_text().0
            );
        }
        std::fs::write(path, tsv).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    let _ = writeln!(out, "### Latency ({backend_name})\n");
    let _ = writeln!(
        out,
        "| operation | rows | samples | p50 ms | p95 ms | p99 ms | max ms | target p95 | met | \
         first call, fresh catalog: median / max ms |"
    );
    let _ = writeln!(out, "|---|---:|---:|---:|---:|---:|---:|---|---|---:|");
    for s in &stats {
        let p95 = s.percentile(0.95);
        let (target, met) = match s.target {
            Some(t) => (
                format!("< {} ms", t.as_millis()),
                if p95 < t { "yes" } else { "**NO**" }.to_owned(),
            ),
            None => ("— (whole-project aggregate)".to_owned(), "—".to_owned()),
        };
        let (cold_median, cold_max) = s.cold_text();
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {cold_median} / {cold_max} ({} runs) |",
            s.name,
            s.rows,
            s.samples.len(),
            ms(s.percentile(0.50)),
            ms(p95),
            ms(s.percentile(0.99)),
            ms(s.percentile(1.0)),
            target,
            met,
            s.cold.len()
        );
    }
    let _ = writeln!(
        out,
        "\nThe percentiles are over calls on one open catalog (its connections' prepared \
         statements warm, as in a long-running process or server). The last column is the first \
         call on a freshly opened catalog, as every `bifrost` CLI command makes it (opening not \
         timed); on PostgreSQL that call runs with a custom plan for the actual parameter values, \
         where a warm prepared statement may have switched to the generic plan.\n"
    );
    for s in &stats {
        let _ = writeln!(
            out,
            "- {}: {}{}",
            s.name,
            s.what,
            if s.note.is_empty() {
                String::new()
            } else {
                format!(" ({})", s.note)
            }
        );
    }
    let _ = writeln!(out);

    // -- Plans: capture the statements of one call of each operation, then explain them.
    eprintln!("capturing statements and query plans…");
    let shown_asset = asset_name(123.min(n - 1));
    let (asset, show_sql_list) = capture(async {
        let asset = catalog.get_asset(PROJECT, &shown_asset).await?;
        let versions = catalog.list_versions(PROJECT, &shown_asset).await?;
        if let Some(last) = versions.last() {
            catalog.version_files(last.id).await?;
        }
        Ok::<_, bifrost_catalog::CatalogError>((asset, versions))
    })
    .await;
    let (asset, versions) = asset.map_err(e)?;
    let mut ctx = PlanContext {
        project_id,
        asset: shown_asset.clone(),
        asset_id: asset.id,
        version_id: versions.last().map_or(0, |v| v.id),
        hero_id,
        search: None,
    };
    let mut summaries = Vec::new();
    let _ = writeln!(out, "### Query plans ({backend_name})\n");
    let _ = writeln!(
        out,
        "The statements are the ones the catalog sent during one call of each operation \
         (captured from sqlx's statement log), planned with the parameter values the catalog \
         binds for them{}. A plan fails the check when it scans a large table ({}) whole{}.\n",
        match backend {
            Backend::Sqlite { .. } =>
                " (`EXPLAIN QUERY PLAN`; SQLite's planner does not look at the values: no sqlite_stat tables exist, the catalog never runs ANALYZE)",
            Backend::Postgres { .. } =>
                " (`EXPLAIN (ANALYZE, BUFFERS)`, so with actual row counts and times), and again as the generic plan a prepared statement may switch to after five runs",
        },
        LARGE_TABLES.join(", "),
        match backend {
            Backend::Sqlite { .. } =>
                "; WIDE marks a scan through an index of a whole table, or an index search narrowed only by columns with few distinct values (project, document kind, status…: the benchmark has one project, so that is the whole table, or all of its rows of one kind)",
            Backend::Postgres { .. } =>
                "; WIDE marks a node on a large table that read more than 50,000 rows",
        }
    );
    summaries.extend(
        explain_operation(
            &mut out,
            &explainer,
            &format!("asset show (`{shown_asset}`)"),
            &show_sql_list,
            &ctx,
            false,
        )
        .await,
    );
    let is_pg = matches!(backend, Backend::Postgres { .. });
    for (i, ((label, text), q)) in searches.iter().zip(&parsed).enumerate() {
        let (hits, sql) = capture(catalog.search(Some(PROJECT), q, SEARCH_LIMIT, 0)).await;
        hits.map_err(e)?;
        ctx.search = Some(search_binds(i, text, project_id, is_pg, &focus_name));
        summaries.extend(explain_operation(&mut out, &explainer, label, &sql, &ctx, false).await);
    }
    ctx.asset = hero.clone();
    ctx.asset_id = hero_id;
    let (deps, sql) = capture(catalog.used_by(PROJECT, &hero_ref, true)).await;
    deps.map_err(e)?;
    summaries.extend(
        explain_operation(
            &mut out,
            &explainer,
            "used-by --transitive (hero)",
            &sql,
            &ctx,
            false,
        )
        .await,
    );
    let (report, sql) = capture(catalog.report_status(PROJECT)).await;
    report.map_err(e)?;
    summaries
        .extend(explain_operation(&mut out, &explainer, "report status", &sql, &ctx, true).await);

    let _ = writeln!(out, "### Plan checks ({backend_name}), summary\n");
    let _ = writeln!(out, "| operation | statement | check |");
    let _ = writeln!(out, "|---|---|---|");
    for s in &summaries {
        let _ = writeln!(
            out,
            "| {} | `{}` | {} |",
            s.operation,
            s.statement.replace('|', "\\|").replace('`', "'"),
            if s.worst == Verdict::Ok {
                "OK".to_owned()
            } else {
                format!("**{}**", s.verdict)
            }
        );
    }
    let _ = writeln!(out);

    match explainer {
        Explainer::Sqlite(pool) => pool.close().await,
        Explainer::Postgres(pool) => pool.close().await,
    }
    catalog.close().await;
    Ok(out)
}

/// The values the catalog's query compiler (`search.rs`) binds for each benchmark query, in
/// order: the project id, the values of each clause, then limit and offset.
fn search_binds(which: usize, text: &str, project_id: i64, pg: bool, focus: &str) -> Vec<Bind> {
    let mut b = vec![Bind::Int(project_id)];
    match which {
        0 => {
            // type:prop tag:hero meta.poly<10000: type, tag, then per document kind (asset,
            // sequence, shot, version) the JSON path twice and the number.
            b.push(Bind::Text("prop".into()));
            b.push(Bind::Text("hero".into()));
            for _ in 0..4 {
                let path = if pg {
                    "poly".to_owned()
                } else {
                    "$.\"poly\"".to_owned()
                };
                b.push(Bind::Text(path.clone()));
                b.push(Bind::Text(path));
                b.push(Bind::Float(10000.0));
            }
        }
        1 | 3 => {
            // A word: an FTS5 expression on SQLite, a tsquery on PostgreSQL.
            b.push(Bind::Text(if pg {
                text.to_owned()
            } else {
                format!("\"{text}\"")
            }));
        }
        _ => {
            // 2: kind:shot status:ip seq:SQ…: kind, status three times (assets, shots, versions),
            // the sequence twice (sequences, shots that link assets).
            b.push(Bind::Text("shot".into()));
            for _ in 0..3 {
                b.push(Bind::Text("ip".into()));
            }
            b.push(Bind::Text(focus.to_owned()));
            b.push(Bind::Text(focus.to_owned()));
        }
    }
    b.push(Bind::Int(SEARCH_LIMIT as i64));
    b.push(Bind::Int(0));
    b
}
