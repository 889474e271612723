//! A repository whose catalog is a PostgreSQL database. Needs a server on 127.0.0.1:5432 that
//! lets `postgres` in without a password (as CI's does); fails, never skips, without one.

use std::net::{SocketAddr, TcpStream};
use std::process::Child;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::json;

use crate::concurrency::{finish_publish, spawn_publish};
use crate::support::*;

const SERVER: &str = "127.0.0.1:5432";

/// Runs SQL through `psql` against `database` and returns its unaligned output.
pub(crate) fn psql(database: &str, sql: &str) -> Result<String, String> {
    let out = std::process::Command::new("psql")
        .args([
            "-h",
            "127.0.0.1",
            "-p",
            "5432",
            "-U",
            "postgres",
            "-d",
            database,
        ])
        .args(["-v", "ON_ERROR_STOP=1", "-X", "-A", "-t", "-c", sql])
        .env("PGCONNECT_TIMEOUT", "5")
        .output()
        .map_err(|e| format!("cannot run psql: {e}"))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

/// A uniquely named database, dropped when the test ends (pass or fail).
pub(crate) struct TestDatabase {
    name: String,
}

impl TestDatabase {
    pub(crate) fn new() -> Self {
        let addr: SocketAddr = SERVER.parse().unwrap();
        if let Err(e) = TcpStream::connect_timeout(&addr, Duration::from_secs(3)) {
            panic!(
                "PostgreSQL is not reachable at {SERVER} ({e}). This test needs a running server \
                 that accepts `postgres` without a password; start one (e.g. `pg_ctl start`)."
            );
        }
        if let Err(e) = psql("postgres", "SELECT 1") {
            panic!("PostgreSQL at {SERVER} does not accept `psql -U postgres`: {e}");
        }
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        Self {
            name: format!(
                "bifrost_cli_test_{}_{}",
                std::process::id(),
                nanos % 1_000_000_000
            ),
        }
    }

    pub(crate) fn url(&self) -> String {
        format!("postgres://postgres@{SERVER}/{}", self.name)
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Err(e) = psql(
            "postgres",
            &format!("DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)", self.name),
        ) {
            eprintln!("warning: could not drop test database {}: {e}", self.name);
        }
    }
}

#[test]
fn postgres_catalog_round_trip() {
    let db = TestDatabase::new();
    let repo = Repo::bare();
    let init = repo.json(&["init", "--catalog", &db.url()]);
    assert_eq!(init["catalog"], "postgres", "{init}");
    assert_eq!(init["project"], "main");
    assert!(
        !repo.path(".bifrost/catalog.db").exists(),
        "init made a SQLite catalog too"
    );
    // init created the database.
    assert_eq!(
        psql(
            "postgres",
            &format!(
                "SELECT count(*) FROM pg_database WHERE datname = '{}'",
                db.name
            )
        ),
        Ok("1".into())
    );

    repo.json(&[
        "asset",
        "create",
        "hero",
        "--type",
        "prop",
        "--tag",
        "hero",
        "--meta",
        "poly=12000",
    ]);
    repo.json(&[
        "asset", "create", "sky", "--type", "texture", "--tag", "env",
    ]);
    let dir = repo.work("hero");
    write_random(&dir.join("mesh.bin"), 3 * 1024 * 1024, 31);
    write_file(&dir.join("rig/build.sh"), b"#!/bin/sh\n", 0o755);
    write_file(&dir.join("empty"), b"", 0o644);
    let v1 = published_tree(&[&dir]);
    repo.publish("hero", &[&dir]);
    write_file(&dir.join("rig/build.sh"), b"#!/bin/sh\necho v2\n", 0o755);
    write_random(&dir.join("extra.bin"), 200_000, 34);
    let v2 = published_tree(&[&dir]);
    let second = repo.publish("hero", &[&dir]);
    assert!(
        second["bytes_stored"].as_u64().unwrap() < 300_000,
        "only the changed script and the new file are stored: {second}"
    );
    repo.publish("sky", &[&dir.join("mesh.bin")]);

    // Two writers at once, serialised by the catalog.
    let other = repo.work("other");
    write_random(&other.join("a.bin"), 300_000, 32);
    let other2 = repo.work("other2");
    write_random(&other2.join("b.bin"), 300_000, 33);
    let children: Vec<Child> = [&other, &other2]
        .iter()
        .map(|d| spawn_publish(&repo, "hero", d))
        .collect();
    let mut numbers: Vec<i64> = children
        .into_iter()
        .map(|c| finish_publish(c, "hero"))
        .collect();
    numbers.sort();
    assert_eq!(numbers, vec![3, 4]);

    assert_eq!(repo.versions("hero"), vec![1, 2, 3, 4]);
    let log = repo.json(&["log", "hero"]);
    assert_eq!(log[1]["parent"], log[0]["id"]);
    let listed = repo.json(&["asset", "list", "--tag", "env"]);
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert_eq!(listed[0]["name"], "sky");
    assert_eq!(
        repo.json(&["asset", "show", "hero"])["metadata"]["poly"],
        12000
    );

    for (reference, want) in [("hero@v1", &v1), ("hero@v2", &v2)] {
        let dest = repo.work(&format!("out/{reference}"));
        repo.checkout(reference, &dest);
        assert_tree(&dest, want);
    }

    let stats = repo.json(&["stats"]);
    assert_eq!(stats["versions"], 5);
    assert_eq!(stats["assets"], 2);
    let stored = stats["stored_bytes"].as_u64().unwrap();
    assert!(stored < stats["logical_bytes"].as_u64().unwrap(), "{stats}");
    let fsck = repo.json(&["fsck", "--read-data"]);
    assert_eq!(fsck["problems"], json!([]), "{fsck}");
    let gc = repo.json(&["gc", "--grace", "0", "--force"]);
    assert_eq!(gc["packs_deleted"], 0, "{gc}");
    assert_eq!(repo.json(&["fsck", "--read-data"])["problems"], json!([]));

    // The catalog really lives in PostgreSQL.
    let count = psql(&db.name, "SELECT count(*) FROM versions").expect("query the catalog");
    assert_eq!(count, "5");
}
