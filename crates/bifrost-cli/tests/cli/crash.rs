//! Crash safety: a publish killed with SIGKILL at various points leaves a consistent repository.

use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::json;

use crate::support::*;

/// Size of the file whose publish is killed: large enough that a publish takes a while.
const BIG: u64 = 200 * 1024 * 1024;

/// Pack leases of the killed publishes (seconds): gc leaves their packs alone until then.
const LEASE_SECS: u64 = 2;

/// When to kill.
#[derive(Debug, Clone, Copy)]
enum KillAt {
    /// This long after the process started (startup, catalog open, first reads).
    AfterStart(Duration),
    /// This long after the first new file appeared in the store (packs being written/recorded).
    AfterFirstPack(Duration),
}

/// Every file under the store (packs and staging files).
fn store_files(repo: &Repo) -> usize {
    all_files(&repo.store()).len()
}

/// Starts `bifrost publish crash FILE`, kills it with SIGKILL at `when`; returns whether it was
/// really killed (rather than having finished first).
fn publish_and_kill(repo: &Repo, file: &Path, when: KillAt) -> bool {
    let files_before = store_files(repo);
    let mut child = bifrost_std(&repo.root, &repo.home)
        .args(["-q", "publish", "crash", s(file)])
        // Short leases, so that gc may collect what the killed publish leaves soon after.
        .env(bifrost::LEASE_TTL_ENV, LEASE_SECS.to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn bifrost publish");
    let started = Instant::now();
    let delay = match when {
        KillAt::AfterStart(d) => d,
        KillAt::AfterFirstPack(d) => {
            while store_files(repo) == files_before {
                if child.try_wait().unwrap().is_some()
                    || started.elapsed() > Duration::from_secs(60)
                {
                    break;
                }
                std::thread::sleep(Duration::from_millis(5));
            }
            d
        }
    };
    std::thread::sleep(delay);
    let _ = child.kill(); // SIGKILL; fails only if it already exited
    let status = child.wait().expect("wait for bifrost");
    if status.signal() == Some(9) {
        return true;
    }
    let mut stderr = String::new();
    use std::io::Read;
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert!(
        status.success(),
        "publish failed by itself ({status:?}) before it was killed:\n{stderr}"
    );
    false
}

#[test]
fn killed_publishes_leave_a_consistent_repository() {
    let repo = Repo::new();
    repo.create_asset("crash", "cache");
    // v1 is 1 MiB rather than a few bytes so that this test is about crashes only (packs of
    // tiny files are destroyed by gc: see gc::gc_keeps_packs_of_small_files).
    let small = repo.work("small.bin");
    write_random(&small, 1024 * 1024, 999);
    repo.publish("crash", &[&small]);

    let kill_points = [
        KillAt::AfterStart(Duration::from_millis(30)),
        KillAt::AfterFirstPack(Duration::ZERO),
        KillAt::AfterFirstPack(Duration::from_millis(150)),
        KillAt::AfterFirstPack(Duration::from_millis(400)),
    ];
    let big = repo.work("big.bin");
    for (round, when) in kill_points.into_iter().enumerate() {
        // Fresh content each round, so the publish has real work to do and cannot just
        // deduplicate against what an earlier killed round managed to store.
        write_random(&big, BIG, 1000 + round as u64);
        let was_killed = publish_and_kill(&repo, &big, when);
        assert!(
            was_killed,
            "round {round} ({when:?}): publish finished before it could be killed"
        );

        let fsck = repo.json(&["fsck", "--read-data"]);
        assert_eq!(
            fsck["problems"],
            json!([]),
            "round {round} ({when:?}): {fsck}"
        );
        assert_eq!(
            repo.versions("crash"),
            vec![1],
            "round {round} ({when:?}): a half version appeared"
        );
        let show = repo.json(&["asset", "show", "crash"]);
        assert_eq!(show["latest_version"], 1);
        assert_eq!(show["latest_files"][0]["path"], "small.bin");
    }

    // Publishing the same file again works and restores byte for byte.
    let out = repo.publish("crash", &[&big]);
    assert_eq!(out["version"]["number"], 2);
    assert_eq!(repo.versions("crash"), vec![1, 2]);
    let dest = repo.work("out2");
    repo.checkout("crash@v2", &dest);
    assert_tree(&dest, &published_tree(&[&big]));

    // Once the killed publishes' leases expired, gc with no grace removes what they left, and
    // nothing that is needed.
    std::thread::sleep(Duration::from_secs(LEASE_SECS + 1));
    let gc = repo.json(&["gc", "--grace", "0", "--force"]);
    let removed = gc["packs_deleted"].as_u64().unwrap()
        + gc["packs_repacked"].as_u64().unwrap()
        + gc["orphan_packs_deleted"].as_u64().unwrap();
    assert!(
        removed > 0,
        "the killed rounds wrote packs that gc must collect: {gc}"
    );
    let fsck = repo.json(&["fsck", "--read-data"]);
    assert_eq!(fsck["problems"], json!([]), "{fsck}");
    assert_eq!(fsck["unreferenced_packs"], json!([]), "{fsck}");
    let staging: Vec<_> = all_files(&repo.store())
        .into_iter()
        .filter(|p| p.to_string_lossy().contains('#'))
        .collect();
    assert!(
        staging.is_empty(),
        "interrupted writes left after gc: {staging:?}"
    );
    // Only what v1 and v2 need is stored now.
    let stats = repo.json(&["stats"]);
    let stored = stats["stored_bytes"].as_u64().unwrap();
    assert!(
        stored < BIG + 2 * 1024 * 1024,
        "gc left dead data behind: {stats}"
    );
    assert_eq!(stats["versions"], 2);

    for (reference, input) in [("crash@v1", &small), ("crash@v2", &big)] {
        let dest = repo.work(&format!("after_gc_{}", reference.replace('@', "_")));
        repo.checkout(reference, &dest);
        assert_tree(&dest, &published_tree(&[input]));
    }
    std::fs::remove_file(&big).unwrap();
}
