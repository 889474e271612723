//! A damaged catalog is named, never shown as a raw database message: a catalog.db with
//! corrupted bytes in the middle, truncated, or with its header zeroed; a WAL deleted after
//! writes; a PostgreSQL session ended in the middle of a command. Each gives one clear error
//! through the CLI (non-zero exit, what is damaged, how to recover, `bifrost fsck` named), and
//! fsck reports the damage.

use std::io::{BufRead, BufReader, Seek, SeekFrom, Write};
use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::integrity::database_of;
use crate::postgres::{TestDatabase, psql};
use crate::support::*;

/// Words of a database's own messages and of SQL, none of which a user should see.
const RAW: &[&str] = &[
    "error returned from database",
    "(code:",
    "SELECT",
    "INSERT",
    "UPDATE ",
    "malformed",
    "file is not a database",
    "sqlx",
    "SqliteError",
    "PgDatabaseError",
];

/// A repository whose catalog holds a few hundred assets with a version each (one ingest), so
/// that its file spans many pages.
fn seeded() -> Repo {
    let repo = Repo::new();
    let share = repo.work("share");
    for i in 0..300 {
        write_file(
            &share.join(format!("props/prop{i:03}/notes.txt")),
            format!("prop {i}\n").as_bytes(),
            0o644,
        );
    }
    std::fs::write(
        repo.work("rules.toml"),
        "[[rule]]\nglob = \"props/*/\"\nasset = \"{1}\"\ntype = \"prop\"\n",
    )
    .unwrap();
    repo.ok(&["ingest", s(&share), "--rules", s(&repo.work("rules.toml"))]);
    assert_eq!(repo.asset_names().len(), 300);
    let dot = repo.path(".bifrost");
    assert!(
        !dot.join("catalog.db-wal").exists()
            || std::fs::metadata(dot.join("catalog.db-wal")).unwrap().len() == 0,
        "the last command left its WAL behind"
    );
    repo
}

/// Asserts `args` fails with the catalog named as damaged, the way out given, and nothing raw.
fn fails_named(repo: &Repo, args: &[&str], fragments: &[&str]) -> String {
    let out = repo.run(args);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!out.status.success(), "{}", describe(args, &out));
    assert!(!stderr.contains("panicked"), "{}", describe(args, &out));
    for fragment in fragments {
        assert!(
            stderr.contains(fragment),
            "`{fragment}` missing: {}",
            describe(args, &out)
        );
    }
    for raw in RAW {
        assert!(
            !stderr.contains(raw),
            "raw database text `{raw}`: {}",
            describe(args, &out)
        );
    }
    stderr
}

/// `bifrost --json fsck`: exit status 1 and the problems' kinds.
fn fsck_problems(repo: &Repo) -> Vec<String> {
    let args = ["--json", "fsck"];
    let out = repo.run(&args);
    assert_eq!(out.status.code(), Some(1), "{}", describe(&args, &out));
    let report = parse_json(&args, &String::from_utf8_lossy(&out.stdout));
    report["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["kind"].as_str().unwrap().to_owned())
        .collect()
}

/// What a damaged SQLite catalog gives: the named error on a command that reads it, and fsck
/// (plain and `--json`) reporting `catalog_damaged`.
fn assert_damage_named(repo: &Repo, what: &str) {
    let read = ["search", "type:prop"];
    fails_named(
        repo,
        &read,
        &["the catalog database is damaged", "backup", "bifrost fsck"],
    );
    assert_eq!(fsck_problems(repo), ["catalog_damaged"], "{what}");
    let out = repo.run(&["fsck"]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{what}: {}",
        describe(&["fsck"], &out)
    );
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("CatalogDamaged"), "{what}: {text}");
    assert!(text.contains("restore"), "{what}: {text}");
}

fn overwrite(path: &std::path::Path, at: u64, bytes: &[u8]) {
    let mut file = std::fs::OpenOptions::new().write(true).open(path).unwrap();
    file.seek(SeekFrom::Start(at)).unwrap();
    file.write_all(bytes).unwrap();
    file.sync_all().unwrap();
}

#[test]
fn corrupted_bytes_in_the_middle_are_named() {
    let repo = seeded();
    let db = repo.path(".bifrost/catalog.db");
    let len = std::fs::metadata(&db).unwrap().len();
    // The middle half of the file, page headers and cells alike, becomes garbage.
    let garbage: Vec<u8> = (0..len / 2).map(|i| (i * 7 % 251) as u8 | 0x80).collect();
    overwrite(&db, len / 4, &garbage);
    assert_damage_named(&repo, "corrupted");
}

#[test]
fn a_truncated_catalog_is_named() {
    let repo = seeded();
    let db = repo.path(".bifrost/catalog.db");
    let len = std::fs::metadata(&db).unwrap().len();
    std::fs::OpenOptions::new()
        .write(true)
        .open(&db)
        .unwrap()
        .set_len(len / 2)
        .unwrap();
    assert_damage_named(&repo, "truncated");
}

#[test]
fn a_zeroed_header_is_named() {
    let repo = seeded();
    overwrite(&repo.path(".bifrost/catalog.db"), 0, &[0u8; 100]);
    // Nothing can even open it: every command says so, and fsck reports it rather than failing.
    fails_named(
        &repo,
        &["asset", "list"],
        &["the catalog database is damaged", "header", "bifrost fsck"],
    );
    assert_damage_named(&repo, "zeroed header");
}

#[test]
fn a_deleted_wal_is_named_by_the_watermark() {
    let repo = Repo::new();
    repo.create_asset("barrel", "prop");
    let input = repo.work("barrel.txt");
    write_file(&input, b"a red barrel", 0o644);
    repo.publish("barrel", &[&input]);
    // A reader holds a snapshot from before the next writes, so they stay in the WAL (no
    // checkpoint can move them into catalog.db past it), as they would for a moment in any
    // busy repository.
    let db = repo.path(".bifrost/catalog.db");
    let mut reader = std::process::Command::new("python3")
        .args([
            "-c",
            "import sqlite3, sys, time\nc = sqlite3.connect(sys.argv[1], isolation_level=None)\nc.execute('BEGIN')\nc.execute('SELECT COUNT(*) FROM assets').fetchall()\nprint('ready', flush=True)\ntime.sleep(120)",
            s(&db),
        ])
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3 runs");
    let mut line = String::new();
    BufReader::new(reader.stdout.as_mut().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert_eq!(line.trim(), "ready");
    repo.create_asset("crate", "prop");
    write_file(&input, b"a blue barrel", 0o644);
    repo.publish("barrel", &[&input]);
    assert_eq!(repo.versions("barrel"), vec![1, 2]);
    let _ = reader.kill();
    let _ = reader.wait();
    let wal = repo.path(".bifrost/catalog.db-wal");
    assert!(
        std::fs::metadata(&wal).is_ok_and(|m| m.len() > 0),
        "the writes are in the WAL"
    );
    std::fs::remove_file(&wal).unwrap();
    let _ = std::fs::remove_file(repo.path(".bifrost/catalog.db-shm"));
    assert_eq!(repo.versions("barrel"), vec![1], "the loss happened");

    // Every journaled change is refused (it would hand out lost ids and version numbers),
    // and fsck says what happened.
    let other = repo.work("other.txt");
    write_file(&other, b"a green barrel", 0o644);
    for args in [
        vec!["publish", "barrel", s(&other)],
        vec!["asset", "create", "lamp", "--type", "prop"],
        vec!["status", "barrel", "ip"],
    ] {
        fails_named(
            &repo,
            &args,
            &["lost committed changes", "WAL", "bifrost fsck"],
        );
    }
    assert_eq!(repo.versions("barrel"), vec![1]);
    assert!(!repo.asset_names().contains(&"lamp".to_owned()));
    assert!(fsck_problems(&repo).contains(&"catalog_behind".to_owned()));
}

/// The PostgreSQL backend of the bifrost process waiting for the repository write lock, once
/// it is waiting.
fn waiting_backend(database: &str, within: Duration) -> String {
    let started = Instant::now();
    loop {
        let pid = psql(
            "postgres",
            &format!(
                "SELECT pid FROM pg_stat_activity WHERE datname = '{database}' \
                 AND application_name = 'bifrost' AND wait_event = 'advisory'"
            ),
        )
        .unwrap();
        if !pid.is_empty() {
            return pid;
        }
        assert!(
            started.elapsed() < within,
            "bifrost never waited for the lock"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_postgres_session_ended_mid_command_is_named() {
    let db = TestDatabase::new();
    let repo = Repo::init_with(&["--catalog", &db.url()]);
    repo.create_asset("barrel", "prop");
    let database = database_of(&repo);
    // Another session holds the repository write lock, so that the next change waits inside
    // its transaction: the moment its session is ended is then certain to be mid-command.
    let holder = std::process::Command::new("psql")
        .args([
            "-h",
            "127.0.0.1",
            "-p",
            "5432",
            "-U",
            "postgres",
            "-d",
            &database,
            "-X",
        ])
        .args([
            "-c",
            "SELECT pg_advisory_lock(7091311729953698817)",
            "-c",
            "SELECT pg_sleep(60)",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("psql runs");
    // (0x6269_6672_6f73_7401, the catalog's write lock key, in decimal.)
    std::thread::sleep(Duration::from_millis(300));
    let create = bifrost_std(&repo.root, &repo.home)
        .args(["asset", "create", "crate", "--type", "prop"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn bifrost");
    let pid = waiting_backend(&database, Duration::from_secs(30));
    psql("postgres", &format!("SELECT pg_terminate_backend({pid})")).unwrap();
    let out = create.wait_with_output().unwrap();
    let mut holder = holder;
    let _ = holder.kill();
    let _ = holder.wait();
    let args = ["asset", "create", "crate"];
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!out.status.success(), "{}", describe(&args, &out));
    for fragment in [
        "the catalog database went away during the command",
        "rolled back",
        "bifrost fsck",
    ] {
        assert!(stderr.contains(fragment), "`{fragment}`: {stderr}");
    }
    for raw in RAW {
        assert!(!stderr.contains(raw), "raw `{raw}`: {stderr}");
    }
    // Nothing half-done: the asset is not there, nor its journal entry, and fsck finds the
    // catalog sound; the same command then works.
    assert_eq!(repo.asset_names(), ["barrel"]);
    let created = psql(
        &database,
        "SELECT COUNT(*) FROM journal WHERE action = 'asset.created' AND entity = 'crate'",
    )
    .unwrap();
    assert_eq!(created, "0");
    repo.ok(&["fsck"]);
    repo.create_asset("crate", "prop");
}

/// The fsck report of a sound PostgreSQL catalog says nothing is wrong; an index left invalid
/// is reported as damage.
#[test]
fn fsck_checks_a_postgres_catalog_itself() {
    let db = TestDatabase::new();
    let repo = Repo::init_with(&["--catalog", &db.url()]);
    repo.create_asset("barrel", "prop");
    repo.ok(&["fsck"]);
    let database = database_of(&repo);
    psql(
        &database,
        "UPDATE pg_index SET indisvalid = false \
         WHERE indexrelid = 'assets_project_id_name_key'::regclass",
    )
    .unwrap();
    let args = ["--json", "fsck"];
    let out = repo.run(&args);
    assert_eq!(out.status.code(), Some(1), "{}", describe(&args, &out));
    let report: Value = parse_json(&args, &String::from_utf8_lossy(&out.stdout));
    let problem = &report["problems"][0];
    assert_eq!(problem["kind"], "catalog_damaged", "{report}");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("assets_project_id_name_key"),
        "{report}"
    );
}

/// SQLite's foreign-key check: a row naming a row that is gone (written by a tool that did not
/// turn foreign keys on) is found.
#[test]
fn fsck_runs_the_foreign_key_check() {
    let repo = Repo::new();
    repo.create_asset("barrel", "prop");
    let db = repo.path(".bifrost/catalog.db");
    let out = std::process::Command::new("python3")
        .args([
            "-c",
            "import sqlite3, sys\nc = sqlite3.connect(sys.argv[1])\nc.execute('INSERT INTO asset_tags (asset_id, tag) VALUES (9999, \\'ghost\\')')\nc.commit()",
            s(&db),
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let args = ["--json", "fsck"];
    let out = repo.run(&args);
    assert_eq!(out.status.code(), Some(1), "{}", describe(&args, &out));
    let report: Value = parse_json(&args, &String::from_utf8_lossy(&out.stdout));
    let found = report["problems"].as_array().unwrap().iter().any(|p| {
        p["kind"] == "record_mismatch" && p["detail"].as_str().unwrap().contains("asset_tags")
    });
    assert!(found, "{report}");
}
