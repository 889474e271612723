//! `bifrost edge` end to end: the simulator as a subprocess, read/write/watch against it,
//! and bad input.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use assert_cmd::cargo::cargo_bin;
use serde_json::Value;

fn plant() -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../bifrost-edge/tests/data/plant.toml")
        .display()
        .to_string()
}

fn bifrost(args: &[&str]) -> std::process::Output {
    Command::new(cargo_bin("bifrost"))
        .args(args)
        .output()
        .expect("run bifrost")
}

struct Sim {
    child: Child,
    address: String,
}

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn simulate() -> Sim {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let address = format!("127.0.0.1:{port}");
    let mut child = Command::new(cargo_bin("bifrost"))
        .args(["edge", "simulate", "--tags", &plant(), "--listen", &address])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    for _ in 0..300 {
        if std::net::TcpStream::connect(&address).is_ok() {
            return Sim { child, address };
        }
        assert!(
            child.try_wait().unwrap().is_none(),
            "bifrost edge simulate exited early"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("the simulator does not listen on {address}");
}

fn ok_json(out: std::process::Output) -> Value {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON output")
}

#[test]
fn read_write_and_watch_against_the_simulator() {
    let sim = simulate();
    let a = sim.address.as_str();
    // Tags: values with units and raw words.
    let tags = ok_json(bifrost(&["edge", "read", a, "--tags", &plant(), "--json"]));
    let tag = |name: &str| {
        tags.as_array()
            .unwrap()
            .iter()
            .find(|t| t["name"] == name)
            .unwrap()
            .clone()
    };
    assert_eq!(tag("boiler.temperature")["value"], 21.5);
    assert_eq!(tag("boiler.temperature")["unit"], "°C");
    assert_eq!(
        tag("boiler.temperature")["raw"],
        serde_json::json!([0x41AC, 0])
    );
    assert_eq!(tag("site.name")["value"], "BIFROST");
    assert_eq!(tag("pump.on")["raw"], serde_json::json!([true]));

    // Registers: 1,000 in one command.
    let range = ok_json(bifrost(&["edge", "read", a, "0..1000", "--json"]));
    assert_eq!(range["values"].as_array().unwrap().len(), 1000);
    assert_eq!(range["values"][0], 0x41AC);

    // Write registers and tags, read them back as text.
    let out = bifrost(&["edge", "write", a, "hr:300", "1", "0x10", "-1"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = bifrost(&["edge", "read", a, "hr:300..303"]);
    let text = String::from_utf8(text.stdout).unwrap();
    assert!(text.contains("holding   302  65535  0xFFFF"), "{text}");
    let out = bifrost(&[
        "edge",
        "write",
        a,
        "--tags",
        &plant(),
        "boiler.pressure=2.5",
        "pump.on=false",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let read = ok_json(bifrost(&[
        "edge",
        "read",
        a,
        "--tags",
        &plant(),
        "--name",
        "boiler.pressure",
        "--json",
    ]));
    assert_eq!(read[0]["raw"], serde_json::json!([250]));
    let coil = ok_json(bifrost(&["edge", "read", a, "co:5", "--json"]));
    assert_eq!(coil["values"], serde_json::json!([false]));

    // Watch: one JSON line per round.
    let out = bifrost(&[
        "edge",
        "read",
        a,
        "ir:30..34",
        "--watch",
        "50ms",
        "--times",
        "3",
        "--json",
    ]);
    assert!(out.status.success());
    let lines: Vec<Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3);
    assert!(
        lines
            .iter()
            .all(|l| l["time"].is_string() && l["values"].as_array().unwrap().len() == 4)
    );

    // The plant's refused address: exit 1, the exception code in the JSON.
    let out = bifrost(&["edge", "read", a, "hr:999..1001", "--json"]);
    assert_eq!(out.status.code(), Some(1));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["exception_code"], 2);
}

#[test]
fn bad_input_says_what_to_do() {
    let cases: [(&[&str], &str); 7] = [
        (&["edge", "read", "127.0.0.1:1", "hr:x"], "not an address"),
        (&["edge", "read", "127.0.0.1:1"], "give an address"),
        (&["edge", "read", "udp://x", "0"], "HOST:PORT"),
        (&["edge", "write", "127.0.0.1:1", "ir:0", "1"], "read-only"),
        (
            &["edge", "write", "127.0.0.1:1", "hr:0", "70000"],
            "not a register value",
        ),
        (
            &["edge", "read", "--tags", "/nonexistent.toml"],
            "cannot read it",
        ),
        (
            &["edge", "read", "127.0.0.1:1", "0", "--timeout", "1h"],
            "unknown unit",
        ),
    ];
    for (args, needle) in cases {
        let out = bifrost(args);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(needle), "{args:?}: {err}");
    }
    // Nothing listens on port 1: a connection error with what to check.
    let out = bifrost(&["edge", "read", "127.0.0.1:1", "0", "--timeout", "500ms"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("cannot connect to 127.0.0.1:1") && err.contains("edge simulate"),
        "{err}"
    );
    // --help carries examples, line by line.
    let help = String::from_utf8(bifrost(&["edge", "read", "--help"]).stdout).unwrap();
    assert!(
        help.contains("\n  bifrost edge read 127.0.0.1:5020 0..1000 --json"),
        "{help}"
    );
}
