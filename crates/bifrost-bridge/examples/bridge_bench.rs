//! The bridge benchmark (BENCHMARKS.md, "Issue 17: bridge"; run by `bench/bridge.sh`, never in
//! CI): the same points written through our line-protocol sink to InfluxDB 1.x and to
//! VictoriaMetrics (each started here on a free port, data in a temporary directory): their
//! ingest rate and disk bytes per point; and our disk log's append rate and bytes per point.
//!
//!   cargo run --release -p bifrost-bridge --example bridge_bench -- [POINTS] [SERIES]

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use bifrost_bridge::log::{DiskLog, Fsync, LogConfig};
use bifrost_bridge::sink::Sink;
use bifrost_bridge::sink::line_protocol::{LineProtocolConfig, LineProtocolSink};
use bifrost_bridge::{IdGenerator, Point};

const BATCH: usize = 5000;

/// Realistic plant signals: slow drift plus noise (temperatures), steps (set points), counters,
/// sampled every second, values with the resolution a 16-bit register gives (0.01).
fn signals(n: usize, series: usize) -> Vec<Point> {
    let ids = IdGenerator::new();
    let per = n / series;
    let start = bifrost_bridge::point::now_nanos() - per as i64 * 1_000_000_000;
    let mut seed = 0x2545_F491_4F6C_DD1Du64;
    let mut noise = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % 1000) as f64 / 1000.0 - 0.5
    };
    let mut out = Vec::with_capacity(per * series);
    for i in 0..per {
        for s in 0..series {
            let t = i as f64;
            let value = match s % 4 {
                0 => 20.0 + s as f64 + (t / 600.0).sin() * 3.0 + noise() * 0.2,
                1 => ((i / 900) % 3) as f64 * 10.0,
                2 => (i * (s + 1)) as f64,
                _ => 50.0 + noise() * 5.0,
            };
            out.push(Point {
                id: ids.next_id(),
                series: format!("plant.sensor{s:03}"),
                ts: start + i as i64 * 1_000_000_000,
                value: (value * 100.0).round() / 100.0,
                raw: Some(vec![(value * 100.0) as i64 as u16]),
            });
        }
    }
    out
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn wait_for(port: u16) {
    for _ in 0..600 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("nothing listens on {port}");
}

fn du(path: &Path) -> u64 {
    walk(path)
}

fn walk(path: &Path) -> u64 {
    let Ok(meta) = std::fs::symlink_metadata(path) else {
        return 0;
    };
    if meta.is_dir() {
        std::fs::read_dir(path)
            .map(|rd| rd.flatten().map(|e| walk(&e.path())).sum())
            .unwrap_or(0)
    } else {
        meta.len()
    }
}

async fn write_all(url: &str, points: &[Point]) -> Duration {
    let mut sink = LineProtocolSink::new(
        "bench",
        LineProtocolConfig {
            url: url.to_owned(),
            gzip: false,
            authorization: None,
            timeout_s: 60.0,
        },
    )
    .unwrap();
    let t = Instant::now();
    for chunk in points.chunks(BATCH) {
        sink.send(chunk).await.expect("the store takes the batch");
    }
    t.elapsed()
}

fn stop(mut child: Child) {
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let _ = child.wait();
}

fn row(name: &str, n: usize, secs: f64, bytes: u64, base_rate: f64) -> f64 {
    let rate = n as f64 / secs;
    println!(
        "| {name} | {:.0} ({:.2}×) | {} | {:.2} |",
        rate,
        rate / base_rate,
        bytes,
        bytes as f64 / n as f64
    );
    rate
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let n: usize = args
        .get(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let series: usize = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(100);
    let points = signals(n, series);
    let n = points.len();
    let tmp = tempfile::tempdir().unwrap();
    eprintln!("{n} points, {series} series, batches of {BATCH}");

    // Our disk log: append rate (fsync per batch, and none) and bytes per point.
    let mut log_rows = Vec::new();
    for fsync in [Fsync::Always, Fsync::Never] {
        let dir = tmp.path().join(format!("log-{fsync:?}"));
        let log = DiskLog::open(
            &dir,
            LogConfig {
                fsync,
                ..LogConfig::default()
            },
        )
        .unwrap();
        let t = Instant::now();
        for chunk in points.chunks(1000) {
            log.append(chunk).unwrap();
        }
        let secs = t.elapsed().as_secs_f64();
        log_rows.push((
            format!("Bifrost disk log append (fsync {fsync:?}, batches of 1,000)"),
            secs,
            du(&dir),
        ));
    }

    // InfluxDB 1.x: snapshots and compacts quickly so that the figure is of TSM files.
    let influx_dir = tmp.path().join("influx");
    std::fs::create_dir_all(&influx_dir).unwrap();
    let (port, rpc) = (free_port(), free_port());
    let conf = influx_dir.join("influxdb.conf");
    std::fs::write(
        &conf,
        format!(
            "reporting-disabled = true\nbind-address = \"127.0.0.1:{rpc}\"\n[meta]\n  dir = \"{d}/meta\"\n[data]\n  dir = \"{d}/data\"\n  wal-dir = \"{d}/wal\"\n  query-log-enabled = false\n  cache-snapshot-write-cold-duration = \"2s\"\n  compact-full-write-cold-duration = \"5s\"\n[http]\n  bind-address = \"127.0.0.1:{port}\"\n  log-enabled = false\n[monitor]\n  store-enabled = false\n",
            d = influx_dir.display()
        ),
    )
    .unwrap();
    let influx = Command::new("influxd")
        .arg("-config")
        .arg(&conf)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("influxd (Debian's influxdb)");
    wait_for(port);
    let http = reqwest::Client::new();
    http.post(format!("http://127.0.0.1:{port}/query"))
        .query(&[("q", "CREATE DATABASE bench")])
        .send()
        .await
        .unwrap();
    let influx_time = write_all(
        &format!("http://127.0.0.1:{port}/write?db=bench&precision=ns"),
        &points,
    )
    .await;
    tokio::time::sleep(Duration::from_secs(20)).await; // snapshot + full compaction
    let influx_bytes = du(&influx_dir.join("data")) + du(&influx_dir.join("wal"));
    stop(influx);

    // VictoriaMetrics.
    let vm_dir = tmp.path().join("vm");
    let port = free_port();
    let vm = Command::new("victoria-metrics")
        .arg(format!("-storageDataPath={}", vm_dir.display()))
        .arg(format!("-httpListenAddr=127.0.0.1:{port}"))
        .arg("-retentionPeriod=100y")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("victoria-metrics");
    wait_for(port);
    let vm_time = write_all(&format!("http://127.0.0.1:{port}/write"), &points).await;
    http.get(format!("http://127.0.0.1:{port}/internal/force_flush"))
        .send()
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_secs(20)).await; // background merges
    let vm_bytes = du(&vm_dir.join("data"));
    stop(vm);

    println!("| writer | points/s (× InfluxDB 1.x) | disk bytes | bytes/point |");
    println!("|---|---|---|---|");
    let base = n as f64 / influx_time.as_secs_f64();
    row(
        "InfluxDB 1.6.7 via our line-protocol sink",
        n,
        influx_time.as_secs_f64(),
        influx_bytes,
        base,
    );
    row(
        "VictoriaMetrics 1.79.5 via our line-protocol sink",
        n,
        vm_time.as_secs_f64(),
        vm_bytes,
        base,
    );
    for (name, secs, bytes) in log_rows {
        row(&name, n, secs, bytes, base);
    }
}
