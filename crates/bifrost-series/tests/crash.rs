//! `kill -9` of a process appending: the reopened engine holds every point that was sealed
//! before the kill, exactly, and a contiguous prefix of what was appended (nothing torn).
//!
//! The test re-runs its own binary as the appending child (selected by an environment variable).

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use bifrost_series::{Engine, EngineConfig};

const CHILD: &str = "BIFROST_SERIES_CRASH_CHILD";
const T0: i64 = 1_765_000_000_000;

fn value(i: i64) -> f64 {
    (i % 1000) as f64 * 0.25 + (i / 1000) as f64
}

fn child(dir: &str) -> ! {
    let cfg = EngineConfig {
        disk_floor: 0,
        block_points: 5_000,
        ..EngineConfig::default()
    };
    let mut e = Engine::open(dir, cfg).unwrap();
    let ids = [e.series_id("a").unwrap(), e.series_id("b").unwrap()];
    let mut i = 0i64;
    loop {
        for id in ids {
            e.append_id(id, T0 + i * 10, value(i)).unwrap();
        }
        i += 1;
        if i % 5_000 == 0 {
            // `block_points` sealed both series when "a" reached 5,000 points; b's point i-1 was
            // appended after that seal, so report what is certainly sealed for both.
            println!("sealed {}", e.stats().points_sealed);
        }
    }
}

#[test]
fn kill_9_loses_at_most_the_unsealed_buffer() {
    if let Ok(dir) = std::env::var(CHILD) {
        child(&dir);
    }
    let dir = tempfile::tempdir().unwrap();
    let mut proc = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "kill_9_loses_at_most_the_unsealed_buffer",
            "--nocapture",
        ])
        .env(CHILD, dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(proc.stdout.take().unwrap()).lines();
    let mut sealed = 0u64;
    while let Some(Ok(line)) = lines.next() {
        if let Some(n) = line.strip_prefix("sealed ") {
            sealed = n.parse().unwrap();
            if sealed >= 60_000 {
                break;
            }
        }
    }
    std::thread::sleep(Duration::from_millis(30));
    proc.kill().unwrap(); // SIGKILL
    proc.wait().unwrap();
    assert!(sealed >= 60_000, "the child stopped early");

    let e = Engine::open(
        dir.path(),
        EngineConfig {
            disk_floor: 0,
            ..EngineConfig::default()
        },
    )
    .unwrap();
    assert!(e.warnings().is_empty(), "{:?}", e.warnings());
    let mut total = 0;
    for s in ["a", "b"] {
        let pts = e.query(s, i64::MIN, i64::MAX, None).unwrap();
        for (i, p) in pts.iter().enumerate() {
            assert_eq!(p.ts, T0 + i as i64 * 10, "{s}: gap or tear at {i}");
            assert_eq!(p.value, value(i as i64));
        }
        total += pts.len() as u64;
    }
    assert!(
        total >= sealed,
        "{total} points back, {sealed} were sealed before the kill"
    );
    // No staging file is left visible.
    let stray = std::fs::read_dir(dir.path())
        .unwrap()
        .filter(|f| {
            f.as_ref()
                .unwrap()
                .path()
                .extension()
                .is_some_and(|x| x == "tmp")
        })
        .count();
    assert_eq!(stray, 0);
}
