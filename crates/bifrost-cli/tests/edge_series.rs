//! `bifrost edge query` and `bifrost edge series list` over an engine directory written by
//! `bifrost_series`, including while its writer still holds it, and bad input.

use std::process::Command;

use assert_cmd::cargo::cargo_bin;
use bifrost_series::{Engine, EngineConfig};
use serde_json::Value;

fn bifrost(args: &[&str]) -> std::process::Output {
    Command::new(cargo_bin("bifrost"))
        .args(args)
        .output()
        .expect("run bifrost")
}

fn json(out: &std::process::Output) -> Value {
    assert!(
        out.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON on stdout")
}

#[test]
fn query_and_list_a_running_engine() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    let now = chrono::Utc::now().timestamp_millis();
    let start = now - now.rem_euclid(60_000) - 30 * 60_000; // 30 whole minutes ago
    let mut engine = Engine::open(
        dir.path(),
        EngineConfig {
            disk_floor: 0,
            ..EngineConfig::default()
        },
    )
    .unwrap();
    for i in 0..1800 {
        engine
            .append("boiler.temp", start + i * 1000, (i / 60) as f64)
            .unwrap();
    }
    engine.append("old", now - 3 * 3_600_000, 1.0).unwrap();
    engine.seal().unwrap();
    // Written after the seal: a reader does not see the writer's buffer.
    engine
        .append("boiler.temp", start + 1800 * 1000, 99.0)
        .unwrap();

    let out = json(&bifrost(&[
        "edge",
        "query",
        "boiler.temp",
        "--data",
        data,
        "--since",
        "1h",
        "--agg",
        "mean:1m",
        "--json",
    ]));
    assert_eq!(out["agg"], "mean");
    assert_eq!(out["step_ms"], 60_000);
    let points = out["points"].as_array().unwrap();
    assert_eq!(points.len(), 30);
    for (k, p) in points.iter().enumerate() {
        assert_eq!(p["ts"], start + k as i64 * 60_000);
        assert_eq!(p["value"], k as f64);
        assert!(p["time"].as_str().unwrap().ends_with('Z'));
    }

    // The default range is the last hour: the three-hour-old series shows nothing there.
    let old = json(&bifrost(&[
        "edge", "query", "old", "--data", data, "--json",
    ]));
    assert_eq!(old["points"].as_array().unwrap().len(), 0);
    let all = json(&bifrost(&[
        "edge", "query", "old", "--data", data, "--since", "all", "--json",
    ]));
    assert_eq!(all["points"].as_array().unwrap().len(), 1);

    let list = json(&bifrost(&[
        "edge", "series", "list", "--data", data, "--json",
    ]));
    let series = list["series"].as_array().unwrap();
    assert_eq!(series.len(), 2);
    assert_eq!(series[0]["name"], "boiler.temp");
    assert_eq!(series[0]["points"], 1800);
    assert_eq!(list["segments"], 1);

    let text = bifrost(&["edge", "series", "list", "--data", data]);
    let text = String::from_utf8(text.stdout).unwrap();
    assert!(text.starts_with("SERIES"), "{text}");
    assert!(text.contains("boiler.temp"));
    drop(engine);
}

#[test]
fn bad_input_says_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    let mut engine = Engine::open(
        dir.path(),
        EngineConfig {
            disk_floor: 0,
            ..EngineConfig::default()
        },
    )
    .unwrap();
    engine.append("s", 1, 1.0).unwrap();
    drop(engine);
    let cases: [(&[&str], &str); 4] = [
        (&["edge", "query", "nope", "--data", data], "series list"),
        (
            &["edge", "query", "s", "--data", data, "--agg", "median:1m"],
            "median",
        ),
        (
            &["edge", "query", "s", "--data", data, "--since", "yesterday"],
            "RFC 3339",
        ),
        (
            &["edge", "query", "s", "--data", "/nonexistent/bifrost"],
            "--data",
        ),
    ];
    for (args, hint) in cases {
        let out = bifrost(args);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(hint), "{args:?}: {err}");
    }
}
