//! The line-protocol sink against Debian's InfluxDB 1.x and VictoriaMetrics, and the
//! PostgreSQL sink against the local PostgreSQL: every point arrives, and resending a batch
//! (what a lost acknowledgement causes) leaves one row per point where the store can tell.

mod common;

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use bifrost_bridge::dead_letter::{DeadLetter, DeadLetters};
use bifrost_bridge::gateway::{Gateway, GatewayConfig, GatewayOptions};
use bifrost_bridge::{IdGenerator, Point};

async fn run_through(sink: &str, points: &[Point]) -> Vec<DeadLetter> {
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        r#"
[gateway]
data_dir = "data"

[[pipeline]]
name = "in"
sources = []
sinks = ["out"]

[[sink]]
name = "out"
batch_size = 1000
{sink}
retry = {{ initial = "50ms", max = "500ms" }}
"#
    );
    let config = GatewayConfig::parse(&dir.path().join("g.toml"), &text).unwrap();
    let ids = Arc::new(IdGenerator::new());
    let gateway = Gateway::start(config, &GatewayOptions::default(), ids)
        .await
        .unwrap();
    gateway.send("in", points.to_vec()).await.unwrap();
    let log = gateway.sinks()[0].log.clone();
    let deadline = Instant::now() + Duration::from_secs(60);
    let done = |log: &bifrost_bridge::log::DiskLog| {
        let s = log.stats();
        s.delivered.load(Ordering::Relaxed) + s.dead_lettered.load(Ordering::Relaxed)
    };
    // Until every point was taken or dead-lettered (the pipeline appends asynchronously).
    while done(&log) < points.len() as u64 || log.pending() > 0 {
        assert!(
            Instant::now() < deadline,
            "{} still pending: {:?}",
            log.pending(),
            gateway.sinks()[0].status.last_error()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    gateway.stop(None).await;
    DeadLetters::read_all(&dir.path().join("data/sinks/out")).unwrap()
}

async fn influx_count(http: &reqwest::Client, port: u16) -> u64 {
    let answer: serde_json::Value = http
        .get(format!("http://127.0.0.1:{port}/query"))
        .query(&[("db", "plant"), ("q", "SELECT count(value) FROM /.*/")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    answer["results"][0]["series"].as_array().map_or(0, |s| {
        s.iter().map(|s| s["values"][0][1].as_u64().unwrap()).sum()
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn influxdb_1x_takes_every_point_and_resends_overwrite() {
    let dir = tempfile::tempdir().unwrap();
    let influx = common::Influx::start(dir.path());
    let http = reqwest::Client::new();
    let created = http
        .post(format!("http://127.0.0.1:{}/query", influx.port))
        .query(&[("q", "CREATE DATABASE plant")])
        .send()
        .await
        .unwrap();
    assert!(created.status().is_success());
    let ids = IdGenerator::new();
    let pts = common::points(
        &ids,
        3000,
        &["boiler.temperature", "line count", "tank,level"],
    );
    let sink = format!(
        "influx = {{ url = \"http://127.0.0.1:{}/write?db=plant&precision=ns\", gzip = true }}",
        influx.port
    );
    run_through(&sink, &pts).await;
    assert_eq!(influx_count(&http, influx.port).await, 3000);
    // The same points again (a lost 204): same series and time, so the same 3,000 points.
    assert!(run_through(&sink, &pts).await.is_empty());
    assert_eq!(influx_count(&http, influx.port).await, 3000);
    // InfluxDB refuses a NaN with a 400 (a "partial write"): that point alone is dead-lettered.
    let mut more = common::points(&ids, 100, &["boiler.temperature"]);
    more[37].value = f64::NAN;
    let dead = run_through(&sink, &more).await;
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].point.id, more[37].id);
    assert!(dead[0].reason.contains("400"), "{}", dead[0].reason);
    assert_eq!(influx_count(&http, influx.port).await, 3099);
    influx.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn victoria_metrics_takes_every_point() {
    let dir = tempfile::tempdir().unwrap();
    let vm = common::Victoria::start(dir.path());
    let ids = IdGenerator::new();
    let pts = common::points(
        &ids,
        3000,
        &["boiler.temperature", "line.count", "tank.level"],
    );
    let sink = format!(
        "influx = {{ url = \"http://127.0.0.1:{}/write\" }}",
        vm.port
    );
    assert!(run_through(&sink, &pts).await.is_empty());
    // VictoriaMetrics makes rows searchable asynchronously (a second or so): flush and ask
    // again until all are there or 20 s passed.
    let http = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    let (total, export) = loop {
        let _ = http
            .get(format!("http://127.0.0.1:{}/internal/force_flush", vm.port))
            .send()
            .await
            .unwrap();
        let export = http
            .get(format!("http://127.0.0.1:{}/api/v1/export", vm.port))
            .query(&[("match[]", "{__name__=~\".+_value\"}")])
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let mut total = 0;
        for line in export.lines() {
            let series: serde_json::Value = serde_json::from_str(line).unwrap();
            total += series["values"].as_array().unwrap().len();
        }
        if total >= 3000 || Instant::now() > deadline {
            break (total, export);
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    assert_eq!(total, 3000, "{export:.300}");
    vm.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_table_has_one_row_per_point_even_when_resent() {
    let url = std::env::var("BIFROST_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let table = format!(
        "bridge_test_{}_{}",
        std::process::id(),
        rand::random::<u32>()
    );
    let ids = IdGenerator::new();
    let pts = common::points(&ids, 2500, &["boiler.temperature", "line.count"]);
    let sink = format!("postgres = {{ url = \"{url}\", table = \"{table}\" }}");
    assert!(run_through(&sink, &pts).await.is_empty());
    assert!(run_through(&sink, &pts[..1000]).await.is_empty());
    let pool = sqlx::PgPool::connect(&url).await.unwrap();
    let (rows, distinct): (i64, i64) = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT count(*), count(DISTINCT id) FROM {table}"
    )))
    .fetch_one(&pool)
    .await
    .unwrap();
    let raw: serde_json::Value = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT raw FROM {table} WHERE id = $1"
    )))
    .bind(pts[7].id.to_string())
    .fetch_one(&pool)
    .await
    .unwrap();
    let micros: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT (extract(epoch FROM ts) * 1000000)::int8 FROM {table} WHERE id = $1"
    )))
    .bind(pts[7].id.to_string())
    .fetch_one(&pool)
    .await
    .unwrap();
    sqlx::query(sqlx::AssertSqlSafe(format!("DROP TABLE {table}")))
        .execute(&pool)
        .await
        .unwrap();
    assert_eq!((rows, distinct), (2500, 2500));
    assert_eq!(raw, serde_json::json!([7]));
    assert_eq!(micros, pts[7].ts / 1000);
}
