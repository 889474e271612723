//! fsck checks the catalog itself, on SQLite and PostgreSQL: a damaged search index, rows that
//! disagree, and a catalog that lost committed changes (a deleted WAL, an older copy restored)
//! are found, explained, and either repaired or refused until recovered.

use serde_json::Value;

use crate::custody::on_each_backend;
use crate::postgres::psql;
use crate::support::*;

/// Runs SQL on the repository's catalog (SQLite through Python's sqlite3, PostgreSQL through
/// psql), as a careless tool or a failing disk would change it.
fn tamper(repo: &Repo, backend: &str, sql: &str) {
    if backend == "sqlite" {
        let db = repo.path(".bifrost/catalog.db");
        let out = std::process::Command::new("python3")
            .args([
                "-c",
                "import sqlite3, sys\nc = sqlite3.connect(sys.argv[1])\nc.executescript(sys.argv[2])\nc.commit()\nc.close()",
                s(&db),
                sql,
            ])
            .output()
            .expect("python3 runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    } else {
        psql(&database_of(repo), sql).expect("psql runs");
    }
}

/// The PostgreSQL database name of a repository's catalog.
pub(crate) fn database_of(repo: &Repo) -> String {
    let config = std::fs::read_to_string(repo.path(".bifrost/config.toml")).unwrap();
    let url = config
        .lines()
        .find_map(|l| l.strip_prefix("catalog = "))
        .expect("catalog line")
        .trim_matches('"')
        .to_owned();
    url.rsplit('/').next().unwrap().to_owned()
}

fn problem_kinds(fsck: &Value) -> Vec<String> {
    fsck["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["kind"].as_str().unwrap().to_owned())
        .collect()
}

/// `fsck` (JSON): the report, which must come with exit status 1.
fn failing_fsck(repo: &Repo) -> Value {
    let args = ["--json", "fsck"];
    let out = repo.run(&args);
    assert_eq!(out.status.code(), Some(1), "{}", describe(&args, &out));
    parse_json(&args, &String::from_utf8_lossy(&out.stdout))
}

fn seed(repo: &Repo) {
    repo.ok(&[
        "asset", "create", "barrel", "--type", "prop", "--tag", "hero",
    ]);
    let input = repo.work("barrel.txt");
    write_file(&input, b"a red barrel", 0o644);
    repo.ok(&["publish", "barrel", s(&input), "-m", "shiny rim"]);
    repo.ok(&["asset", "create", "crate", "--type", "prop"]);
}

fn hits(repo: &Repo, query: &str) -> Vec<String> {
    repo.json(&["search", query])
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["name"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn a_damaged_search_index_is_found_and_rebuilt() {
    on_each_backend(|repo, backend| {
        seed(repo);
        assert!(hits(repo, "type:prop").contains(&"barrel".to_owned()));
        repo.ok(&["fsck"]);
        // Documents vanish behind the catalog's back (and, on SQLite, the full-text index is
        // emptied as well).
        let sql = if backend == "sqlite" {
            "DELETE FROM search_docs WHERE kind = 'asset' AND name = 'crate'; \
             INSERT INTO search_fts (search_fts) VALUES ('delete-all');"
        } else {
            "DELETE FROM search_docs WHERE kind = 'asset' AND name = 'crate';"
        };
        tamper(repo, backend, sql);
        let fsck = failing_fsck(repo);
        assert!(
            problem_kinds(&fsck).contains(&"search_index".to_owned()),
            "{backend}: {fsck}"
        );
        let out = repo.run(&["fsck"]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("fsck --repair"), "{backend}: {stderr}");
        // Repairing rebuilds it from the records and loses nothing.
        let repaired = repo.ok(&["fsck", "--repair"]);
        assert!(repaired.contains("rebuilt the search index"), "{repaired}");
        repo.ok(&["fsck", "--read-data"]);
        let found = hits(repo, "type:prop");
        assert!(
            found.contains(&"barrel".to_owned()) && found.contains(&"crate".to_owned()),
            "{backend}: {found:?}"
        );
        assert!(!hits(repo, "shiny").is_empty(), "{backend}");
    });
}

#[test]
fn rows_that_disagree_are_found() {
    on_each_backend(|repo, backend| {
        seed(repo);
        tamper(repo, backend, "UPDATE versions SET file_count = 7;");
        let fsck = failing_fsck(repo);
        assert_eq!(
            problem_kinds(&fsck),
            ["record_mismatch"],
            "{backend}: {fsck}"
        );
        assert!(
            fsck["problems"][0]["detail"]
                .as_str()
                .unwrap()
                .contains("barrel"),
            "{fsck}"
        );
    });
}

/// Replaces the catalog with the copy `snapshot` made earlier: an older backup restored, or
/// (SQLite) the write-ahead log of later commits deleted.
fn restore_older_catalog(repo: &Repo, backend: &str, snapshot: &str) {
    if backend == "sqlite" {
        let dot = repo.path(".bifrost");
        for suffix in ["-wal", "-shm"] {
            let _ = std::fs::remove_file(dot.join(format!("catalog.db{suffix}")));
        }
        std::fs::copy(dot.join(snapshot), dot.join("catalog.db")).unwrap();
        let wal = dot.join(format!("{snapshot}-wal"));
        if wal.exists() {
            std::fs::copy(wal, dot.join("catalog.db-wal")).unwrap();
        }
    } else {
        let db = database_of(repo);
        psql("postgres", &format!("DROP DATABASE \"{db}\" WITH (FORCE)")).unwrap();
        psql(
            "postgres",
            &format!("CREATE DATABASE \"{db}\" TEMPLATE \"{snapshot}\""),
        )
        .unwrap();
    }
}

fn snapshot_catalog(repo: &Repo, backend: &str) -> String {
    if backend == "sqlite" {
        // No process has the catalog open: the file and its WAL (if one is left) are the
        // whole state.
        let dot = repo.path(".bifrost");
        std::fs::copy(dot.join("catalog.db"), dot.join("catalog.snapshot")).unwrap();
        let wal = dot.join("catalog.db-wal");
        if wal.exists() {
            std::fs::copy(wal, dot.join("catalog.snapshot-wal")).unwrap();
        }
        "catalog.snapshot".into()
    } else {
        let db = database_of(repo);
        let snapshot = format!("{db}_snap");
        psql(
            "postgres",
            &format!("CREATE DATABASE \"{snapshot}\" TEMPLATE \"{db}\""),
        )
        .unwrap();
        snapshot
    }
}

#[test]
fn a_catalog_that_lost_commits_is_found_and_refused() {
    on_each_backend(|repo, backend| {
        seed(repo);
        let snapshot = snapshot_catalog(repo, backend);
        let input = repo.work("barrel2.txt");
        write_file(&input, b"a blue barrel", 0o644);
        repo.ok(&["publish", "barrel", s(&input), "-m", "blue"]);
        assert_eq!(repo.versions("barrel"), vec![1, 2]);
        restore_older_catalog(repo, backend, &snapshot);
        assert_eq!(
            repo.versions("barrel"),
            vec![1],
            "{backend}: the loss happened"
        );

        let fsck = failing_fsck(repo);
        assert!(
            problem_kinds(&fsck).contains(&"catalog_behind".to_owned()),
            "{backend}: {fsck}"
        );
        let out = repo.run(&["fsck"]);
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("--accept-catalog"),
            "{backend}"
        );
        // v2 was handed out once: a publish now would hand it out again, so it is refused.
        let other = repo.work("barrel3.txt");
        write_file(&other, b"a green barrel", 0o644);
        repo.fails(
            &["publish", "barrel", s(&other)],
            &["lost committed changes"],
        );
        assert_eq!(repo.versions("barrel"), vec![1], "{backend}");
        // Accepted on purpose, publishing works again.
        repo.ok(&["fsck", "--accept-catalog"]);
        repo.ok(&["publish", "barrel", s(&other)]);
        assert_eq!(repo.versions("barrel"), vec![1, 2], "{backend}");
        repo.ok(&["fsck", "--read-data"]);
        if backend == "postgres" {
            let _ = psql(
                "postgres",
                &format!("DROP DATABASE IF EXISTS \"{snapshot}\" WITH (FORCE)"),
            );
        }
    });
}
