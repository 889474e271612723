//! The Rust half of `bench/series.sh` (issue 17): ingest rate, bytes per point on realistic
//! signals for each value codec, resident memory for 1M points, and a tumbling-window mean over
//! 10M points whose input it writes for the numpy/pandas half to time on the same data.
//!
//! `cargo run --release -p bifrost-series --example series_bench -- OUT_DIR`

use std::io::Write;
use std::time::Instant;

use bifrost_series::analytics::{Pipeline, Stat, Window};
use bifrost_series::{Aggregate, Codec, Downsample, Engine, EngineConfig, Point};

const T0: i64 = 1_765_000_000_000;

/// xorshift64*: deterministic, dependency-free noise.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn uniform(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn gauss(&mut self) -> f64 {
        let (u, v) = (self.uniform().max(1e-300), self.uniform());
        (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
    }
}

fn q(v: f64, step: f64) -> f64 {
    (v / step).round() * step
}

/// Realistic signals, one point a second: what a Modbus poller stores (register × scale).
fn signals(n: usize) -> Vec<(&'static str, Vec<f64>)> {
    let mut r = Rng(0x9e37_79b9_7f4a_7c15);
    let mut walk = 0.0;
    let drift: Vec<f64> = (0..n)
        .map(|i| {
            walk += r.gauss() * 0.002;
            // Temperature register in hundredths of a degree: slow daily cycle plus drift.
            q(
                21.0 + 2.0 * (i as f64 / 86_400.0 * std::f64::consts::TAU).sin() + walk,
                0.01,
            )
        })
        .collect();
    let noise: Vec<f64> = (0..n)
        // Pressure on a 12-bit ADC scaled to bar: noise of a few counts around a level.
        .map(|_| q(4.2 + r.gauss() * 0.01, 10.0 / 4096.0))
        .collect();
    let mut level = 50.0;
    let steps: Vec<f64> = (0..n)
        .map(|i| {
            // A setpoint that changes every 10 minutes, in tenths.
            if i % 600 == 0 {
                level = q(40.0 + r.uniform() * 20.0, 0.1);
            }
            level
        })
        .collect();
    let mut count = 0u64;
    let counter: Vec<f64> = (0..n)
        .map(|_| {
            // An energy meter in Wh: 0–3 a second.
            count += r.next() % 4;
            count as f64
        })
        .collect();
    let raw_noise: Vec<f64> = (0..n).map(|_| 50.0 + r.gauss()).collect();
    vec![
        ("drift", drift),
        ("noise", noise),
        ("steps", steps),
        ("counter", counter),
        ("unquantized_noise", raw_noise),
    ]
}

fn dir_bytes(dir: &std::path::Path) -> u64 {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|f| f.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "bfs"))
        .map(|p| std::fs::metadata(p).unwrap().len())
        .sum()
}

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

fn config() -> EngineConfig {
    EngineConfig {
        disk_floor: 0,
        ..EngineConfig::default()
    }
}

fn main() {
    let out = std::path::PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or_else(|| "target/series-bench".into()),
    );
    std::fs::create_dir_all(&out).unwrap();
    let mut report = serde_json::Map::new();
    let n = 1_000_000;
    let sigs = signals(n);
    // Resident memory for 1M points: 10 series × 100k, sealed and read back once.
    {
        // First, while the allocator holds no freed memory that would hide growth.
        let before = rss_kib();
        let dir = tempfile::tempdir().unwrap();
        let mut e = Engine::open(dir.path(), config()).unwrap();
        let ids: Vec<_> = (0..10)
            .map(|k| e.series_id(&format!("s{k}")).unwrap())
            .collect();
        for i in 0..100_000usize {
            for (k, &id) in ids.iter().enumerate() {
                e.append_id(id, T0 + i as i64 * 1000, sigs[k % 4].1[i])
                    .unwrap();
            }
        }
        let buffered = rss_kib();
        e.seal().unwrap();
        let mut sum = 0.0;
        for k in 0..10 {
            sum += e
                .query(
                    &format!("s{k}"),
                    i64::MIN,
                    i64::MAX,
                    Some(Downsample {
                        agg: Aggregate::Mean,
                        step_ms: 3_600_000,
                    }),
                )
                .unwrap()
                .iter()
                .map(|p| p.value)
                .sum::<f64>();
        }
        let sealed = rss_kib();
        let st = e.stats();
        println!(
            "1M points: {} KiB of segments; RSS +{} KiB while buffered, +{} KiB after sealing and querying (checksum {sum:.3})",
            st.segment_bytes / 1024,
            buffered.saturating_sub(before),
            sealed.saturating_sub(before)
        );
        report.insert(
            "million_points_segment_bytes".into(),
            st.segment_bytes.into(),
        );
        report.insert(
            "million_points_rss_buffered_kib".into(),
            buffered.saturating_sub(before).into(),
        );
        report.insert(
            "million_points_rss_sealed_kib".into(),
            sealed.saturating_sub(before).into(),
        );
    }

    // Bytes per point, per signal and codec, regular 1 s timestamps and ±20 ms jitter.
    let mut r = Rng(42);
    let jitter: Vec<i64> = (0..n as i64)
        .map(|i| T0 + i * 1000 + (r.next() % 41) as i64 - 20)
        .collect();
    let regular: Vec<i64> = (0..n as i64).map(|i| T0 + i * 1000).collect();
    let mut sizes = serde_json::Map::new();
    for (name, values) in &sigs {
        for (tsname, ts) in [("regular", &regular), ("jitter20ms", &jitter)] {
            for codec in [Codec::Gorilla, Codec::Pco, Codec::Smallest] {
                let dir = tempfile::tempdir().unwrap();
                let mut e = Engine::open(dir.path(), EngineConfig { codec, ..config() }).unwrap();
                let id = e.series_id(name).unwrap();
                for (t, v) in ts.iter().zip(values) {
                    e.append_id(id, *t, *v).unwrap();
                }
                e.seal().unwrap();
                let back = e.query(name, i64::MIN, i64::MAX, None).unwrap();
                assert!(
                    back.iter()
                        .zip(values)
                        .all(|(p, v)| p.value.to_bits() == v.to_bits())
                );
                let bpp = dir_bytes(dir.path()) as f64 / n as f64;
                println!("bytes/point {name:18} {tsname:10} {codec:?}: {bpp:.3}");
                sizes.insert(format!("{name}/{tsname}/{codec:?}"), bpp.into());
            }
        }
    }
    report.insert("bytes_per_point".into(), sizes.into());

    // Ingest: 10M points over 100 series, one thread, sealing included.
    for codec in [Codec::Gorilla, Codec::Pco, Codec::Smallest] {
        let dir = tempfile::tempdir().unwrap();
        let mut e = Engine::open(dir.path(), EngineConfig { codec, ..config() }).unwrap();
        let ids: Vec<_> = (0..100)
            .map(|k| e.series_id(&format!("plc1/tag{k:03}")).unwrap())
            .collect();
        let drift = &sigs[0].1;
        let total = 10_000_000usize;
        let start = Instant::now();
        for i in 0..total / 100 {
            let t = T0 + i as i64 * 1000;
            let v = drift[i % n];
            for &id in &ids {
                e.append_id(id, t, v).unwrap();
            }
        }
        e.seal().unwrap();
        let secs = start.elapsed().as_secs_f64();
        let rate = total as f64 / secs;
        println!(
            "ingest {codec:?}: {:.1} M points/s on one core ({secs:.2} s for 10M, seals included)",
            rate / 1e6
        );
        report.insert(format!("ingest_points_per_s/{codec:?}"), rate.into());
    }

    // Window aggregation: 10M points at 100 ms, tumbling 1-minute mean. The same data goes to
    // the numpy/pandas half through a raw file (i64 ts, f64 values).
    {
        let m = 10_000_000usize;
        let mut r = Rng(7);
        // Aligned to a minute, so 10M points at 100 ms make exactly 16,666 full windows and one
        // of 400 points.
        let t0 = T0 - T0.rem_euclid(60_000);
        let pts: Vec<Point> = (0..m)
            .map(|i| Point::new(t0 + i as i64 * 100, q(20.0 + r.gauss(), 0.01)))
            .collect();
        let mut f =
            std::io::BufWriter::new(std::fs::File::create(out.join("window_input.bin")).unwrap());
        for p in &pts {
            f.write_all(&p.ts.to_le_bytes()).unwrap();
        }
        for p in &pts {
            f.write_all(&p.value.to_le_bytes()).unwrap();
        }
        f.flush().unwrap();
        let mut best = f64::MAX;
        let mut checksum = 0.0;
        for _ in 0..5 {
            let start = Instant::now();
            let mut pipe = Pipeline::new().then(Window::tumbling(60_000, Stat::Mean));
            let out = pipe.run_all(pts.iter().copied());
            best = best.min(start.elapsed().as_secs_f64());
            checksum = out.points.iter().map(|p| p.value).sum::<f64>();
            assert_eq!(out.points.len(), m.div_ceil(600));
        }
        println!(
            "window: tumbling 1m mean over 10M points: {:.1} ms (best of 5; checksum {checksum:.6})",
            best * 1e3
        );
        report.insert("window_mean_10m_s".into(), best.into());
        report.insert("window_checksum".into(), checksum.into());
        let mut best_p = f64::MAX;
        for _ in 0..3 {
            let start = Instant::now();
            let mut pipe = Pipeline::new().then(Window::tumbling(60_000, Stat::Percentile(95.0)));
            let out = pipe.run_all(pts.iter().copied());
            best_p = best_p.min(start.elapsed().as_secs_f64());
            assert_eq!(out.points.len(), m.div_ceil(600));
        }
        println!(
            "window: tumbling 1m p95 over 10M points: {:.1} ms (best of 3)",
            best_p * 1e3
        );
        report.insert("window_p95_10m_s".into(), best_p.into());

        // The engine's own downsampling, from sealed segments.
        let dir = tempfile::tempdir().unwrap();
        let mut e = Engine::open(dir.path(), config()).unwrap();
        let id = e.series_id("fast").unwrap();
        e.append_batch(id, &pts).unwrap();
        e.seal().unwrap();
        let start = Instant::now();
        let ds = e
            .query(
                "fast",
                i64::MIN,
                i64::MAX,
                Some(Downsample {
                    agg: Aggregate::Mean,
                    step_ms: 60_000,
                }),
            )
            .unwrap();
        let q_s = start.elapsed().as_secs_f64();
        assert_eq!(ds.len(), m.div_ceil(600));
        println!(
            "query: decode 10M points from segments and downsample to 1m means: {:.1} ms",
            q_s * 1e3
        );
        report.insert("query_downsample_10m_s".into(), q_s.into());
    }
    std::fs::write(
        out.join("rust.json"),
        serde_json::to_string_pretty(&serde_json::Value::Object(report)).unwrap(),
    )
    .unwrap();
}
