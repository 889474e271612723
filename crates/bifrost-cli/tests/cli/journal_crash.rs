//! The journal and the data never disagree after a crash: a loop of journaled changes (asset
//! creations, publishes, status changes), killed with SIGKILL at random moments several times,
//! leaves every change with exactly one journal entry and every entry with its change, on
//! SQLite and PostgreSQL.

use std::os::unix::process::CommandExt;
use std::process::Stdio;
use std::time::{Duration, Instant};

use rand::{Rng, SeedableRng};

use crate::custody::on_each_backend;
use crate::integrity::database_of;
use crate::postgres::psql;
use crate::support::*;

/// How many times the loop is started and killed.
const ROUNDS: u64 = 6;

/// Assets each round may get through before it is killed (more than it ever reaches).
const PER_ROUND: u64 = 1000;

/// The rows `sql` selects from the repository's catalog, each as its columns joined by `|`,
/// sorted (SQLite through Python's sqlite3 once no process has it open, PostgreSQL through
/// psql).
pub(crate) fn catalog_rows(repo: &Repo, backend: &str, sql: &str) -> Vec<String> {
    let text = if backend == "sqlite" {
        let db = repo.path(".bifrost/catalog.db");
        let out = std::process::Command::new("python3")
            .args([
                "-c",
                "import sqlite3, sys\nc = sqlite3.connect(sys.argv[1])\nfor r in c.execute(sys.argv[2]):\n    print('|'.join(str(v) for v in r))",
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
        String::from_utf8_lossy(&out.stdout).into_owned()
    } else {
        psql(&database_of(repo), sql).expect("psql runs")
    };
    let mut rows: Vec<String> = text
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect();
    rows.sort();
    rows
}

/// The entities of the journal entries of `action`, sorted (repeats kept).
fn journaled(repo: &Repo, backend: &str, action: &str) -> Vec<String> {
    catalog_rows(
        repo,
        backend,
        &format!("SELECT entity FROM journal WHERE action = '{action}'"),
    )
}

/// Starts, in its own process group, a shell loop that for assets `first`.. creates the asset,
/// publishes a file to it and moves it to `ip`, each a separate `bifrost` process.
fn start_loop(repo: &Repo, first: u64) -> std::process::Child {
    let script = format!(
        r#"i={first}
while [ "$i" -lt {end} ]; do
  "$BIFROST" -q asset create "a$i" --type prop || exit 1
  echo "file $i" > "$WORK/f$i.txt"
  "$BIFROST" -q publish "a$i" "$WORK/f$i.txt" -m "take $i" || exit 1
  "$BIFROST" -q status "a$i" ip || exit 1
  i=$((i + 1))
done"#,
        end = first + PER_ROUND
    );
    std::process::Command::new("sh")
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", &repo.home)
        .env("BIFROST_AUTHOR", AUTHOR)
        .env("BIFROST", BIN)
        .env("WORK", repo.work(""))
        .current_dir(&repo.root)
        .args(["-c", &script])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        // Its own group, so that one signal kills the shell and the command it runs.
        .process_group(0)
        .spawn()
        .unwrap_or_else(|e| panic!("spawn the loop: {e}"))
}

/// SIGKILL to every process of the loop's group: the shell and the `bifrost` it is running.
fn kill_group(child: &std::process::Child) {
    let status = std::process::Command::new("kill")
        .args(["-KILL", "--", &format!("-{}", child.id())])
        .status()
        .expect("run kill");
    assert!(status.success(), "kill -KILL failed");
}

#[test]
fn killed_changes_keep_the_journal_and_the_data_in_step() {
    on_each_backend(|repo, backend| {
        let seed: u64 = rand::random();
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
        eprintln!("{backend}: seed {seed}");
        let mut first = 0;
        for round in 0..ROUNDS {
            let mut child = start_loop(repo, first);
            // Random moments, from within the first command to several commands in.
            let delay = Duration::from_millis(rng.random_range(50..1500));
            let started = Instant::now();
            while started.elapsed() < delay {
                if let Some(status) = child.try_wait().unwrap() {
                    let mut err = String::new();
                    std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut err)
                        .unwrap();
                    panic!("{backend}: round {round}: the loop ended by itself ({status}): {err}");
                }
                std::thread::sleep(Duration::from_millis(5));
            }
            kill_group(&child);
            child.wait().unwrap();
            // No bifrost of the group may outlive it (SQLite is read below).
            std::thread::sleep(Duration::from_millis(100));
            first += PER_ROUND;
        }

        let assets = catalog_rows(repo, backend, "SELECT name FROM assets");
        assert!(
            assets.len() as u64 >= ROUNDS,
            "{backend}: too few changes were made to test anything: {assets:?}"
        );
        assert_eq!(
            journaled(repo, backend, "asset.created"),
            assets,
            "{backend}: assets and their journal entries (seed {seed})"
        );
        let versions = catalog_rows(
            repo,
            backend,
            "SELECT a.name || '@v' || CAST(v.number AS TEXT) FROM versions v \
             JOIN assets a ON a.id = v.asset_id",
        );
        assert!(!versions.is_empty(), "{backend}: nothing was published");
        assert_eq!(
            journaled(repo, backend, "version.published"),
            versions,
            "{backend}: versions and their journal entries (seed {seed})"
        );
        let moved = catalog_rows(
            repo,
            backend,
            "SELECT a.name FROM history h JOIN assets a ON a.id = h.entity_id \
             WHERE h.entity_kind = 'asset' AND h.field = 'status'",
        );
        assert_eq!(
            journaled(repo, backend, "status.changed"),
            moved,
            "{backend}: status changes and their journal entries (seed {seed})"
        );
        // fsck finds nothing: in particular the high-water mark never ran ahead of the
        // catalog, whatever moment the kills hit.
        let out = repo.run(&["fsck"]);
        assert!(
            out.status.success(),
            "{backend}: {}",
            describe(&["fsck"], &out)
        );
        // The repository goes on working after the kills.
        repo.ok(&["asset", "create", "after", "--type", "prop"]);
        assert_eq!(
            journaled(repo, backend, "asset.created")
                .iter()
                .filter(|e| *e == "after")
                .count(),
            1,
            "{backend}"
        );
    });
}
