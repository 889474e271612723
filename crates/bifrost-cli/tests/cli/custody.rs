//! gc racing publishes, on SQLite and PostgreSQL: a suspended publish keeps its packs (they
//! are leased), a dead one's packs are collected once its lease expires, and a publish never
//! commits bytes that gc deleted. Also the grace period's floor.

use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::postgres::TestDatabase;
use crate::support::*;

/// Large enough for several 16 MiB packs, so that a publish can be caught between them.
const BIG: u64 = 80 * 1024 * 1024;

/// A repository on each backend (the database lives as long as the repository is used).
pub(crate) fn on_each_backend(test: impl Fn(&Repo, &str)) {
    test(&Repo::new(), "sqlite");
    let db = TestDatabase::new();
    let repo = Repo::init_with(&["--catalog", &db.url()]);
    test(&repo, "postgres");
}

fn signal(child: &Child, sig: &str) {
    let status = std::process::Command::new("kill")
        .args([sig, &child.id().to_string()])
        .status()
        .expect("run kill");
    assert!(status.success(), "kill {sig} failed");
}

/// Starts `bifrost publish ASSET FILE` with pack leases of `lease_secs`, and returns it once
/// its first pack (or staging file) is in the store, with the store's files at that moment.
fn publish_until_first_pack(
    repo: &Repo,
    asset: &str,
    file: &std::path::Path,
    lease_secs: u64,
) -> (Child, Vec<std::path::PathBuf>) {
    let before = all_files(&repo.store()).len();
    let mut child = bifrost_std(&repo.root, &repo.home)
        .args(["--json", "publish", asset, s(file)])
        .env(bifrost::LEASE_TTL_ENV, lease_secs.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn bifrost publish");
    let started = Instant::now();
    while all_files(&repo.store()).len() == before {
        assert!(
            child.try_wait().unwrap().is_none(),
            "the publish ended before it wrote a pack"
        );
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "no pack in 60 s"
        );
        std::thread::sleep(Duration::from_millis(2));
    }
    signal(&child, "-STOP");
    (child, all_files(&repo.store()))
}

fn gc_now(repo: &Repo) -> Value {
    repo.json(&["gc", "--grace", "0s", "--force"])
}

/// What must hold however a race ended: nothing damaged, nothing half visible, and every
/// version checks out byte for byte.
fn assert_consistent(repo: &Repo, asset: &str, input: &std::path::Path, backend: &str) {
    let fsck = repo.json(&["fsck", "--read-data"]);
    assert_eq!(fsck["problems"], json!([]), "{backend}: {fsck}");
    for v in repo.versions(asset) {
        let dest = repo.work(&format!("check-{asset}-{v}-{}", rand_suffix()));
        repo.checkout(&format!("{asset}@v{v}"), &dest);
        assert_tree(&dest, &published_tree(&[input]));
    }
}

fn rand_suffix() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos()
}

#[test]
fn gc_leaves_a_suspended_publish_alone() {
    on_each_backend(|repo, backend| {
        repo.create_asset("plate", "plate");
        let big = repo.work("plate.bin");
        write_random(&big, BIG, 7);
        let (child, in_flight) = publish_until_first_pack(repo, "plate", &big, 600);
        // The publish is stopped with packs (or a pack being written) in the store; a gc with
        // no grace at all must not touch them.
        let gc = gc_now(repo);
        let after = all_files(&repo.store());
        for f in &in_flight {
            assert!(
                after.contains(f),
                "{backend}: gc deleted {} of a suspended publish: {gc}",
                f.display()
            );
        }
        signal(&child, "-CONT");
        let out = child.wait_with_output().unwrap();
        let stdout = expect_success(&["publish", "plate"], &out);
        assert_eq!(parse_json(&["publish"], &stdout)["version"]["number"], 1);
        assert_consistent(repo, "plate", &big, backend);
        // Its leases went with the commit: a later gc may collect what it no longer needs.
        let gc = gc_now(repo);
        assert_eq!(gc["leased_packs_kept"], 0, "{backend}: {gc}");
    });
}

#[test]
fn a_publish_stalled_past_its_lease_never_commits_lost_bytes() {
    on_each_backend(|repo, backend| {
        repo.create_asset("plate", "plate");
        let big = repo.work("plate.bin");
        write_random(&big, BIG, 8);
        let (child, _) = publish_until_first_pack(repo, "plate", &big, 2);
        std::thread::sleep(Duration::from_millis(3500));
        // The lease has expired: gc takes what the stalled publish had written.
        let gc = gc_now(repo);
        let freed = [
            "packs_deleted",
            "orphan_packs_deleted",
            "staging_files_removed",
        ]
        .iter()
        .map(|k| gc[k].as_u64().unwrap())
        .sum::<u64>();
        assert!(freed > 0, "{backend}: gc collected nothing: {gc}");
        signal(&child, "-CONT");
        let out = child.wait_with_output().unwrap();
        if out.status.success() {
            // It noticed and wrote its chunks again.
            assert_eq!(repo.versions("plate"), vec![1], "{backend}");
        } else {
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(
                stderr.contains("publish again") || stderr.contains("pack"),
                "{backend}: unclear failure: {stderr}"
            );
            assert!(repo.versions("plate").is_empty(), "{backend}");
            repo.publish("plate", &[&big]);
        }
        assert_consistent(repo, "plate", &big, backend);
    });
}

#[test]
fn a_killed_publishers_packs_wait_for_its_lease_to_expire() {
    on_each_backend(|repo, backend| {
        repo.create_asset("plate", "plate");
        let big = repo.work("plate.bin");
        write_random(&big, BIG, 9);
        let (mut child, in_flight) = publish_until_first_pack(repo, "plate", &big, 2);
        signal(&child, "-KILL");
        let _ = child.wait();
        let killed_at = Instant::now();
        // Still leased: kept.
        let gc = gc_now(repo);
        if killed_at.elapsed() < Duration::from_millis(1500) {
            let after = all_files(&repo.store());
            assert!(
                in_flight.iter().all(|f| after.contains(f)),
                "{backend}: gc deleted leased packs: {gc}"
            );
        }
        std::thread::sleep(Duration::from_secs(2).saturating_sub(killed_at.elapsed()));
        std::thread::sleep(Duration::from_millis(300));
        // Expired: collected, and nothing is left over.
        let gc = gc_now(repo);
        assert_eq!(gc["leased_packs_kept"], 0, "{backend}: {gc}");
        let fsck = repo.json(&["fsck"]);
        assert_eq!(fsck["problems"], json!([]), "{backend}: {fsck}");
        assert_eq!(fsck["unreferenced_packs"], json!([]), "{backend}: {fsck}");
        assert!(
            all_files(&repo.store()).is_empty(),
            "{backend}: the killed publish left files behind"
        );
    });
}

#[test]
fn gc_refuses_a_grace_period_below_the_safe_minimum() {
    let repo = Repo::new();
    for grace in ["0s", "2s", "14m"] {
        repo.fails(&["gc", "--grace", grace], &["safe minimum", "--force"]);
    }
    repo.ok(&["gc", "--grace", "15m"]);
    repo.ok(&["gc", "--grace", "0s", "--force"]);
}
