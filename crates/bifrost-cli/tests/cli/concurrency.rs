//! Concurrent publishes of one asset by separate processes.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};

use serde_json::json;

use crate::support::*;

const ROUNDS: usize = 5;
const WRITERS: usize = 2;

/// Starts `bifrost --json publish ASSET DIR` in the background.
pub fn spawn_publish(repo: &Repo, asset: &str, dir: &Path) -> Child {
    bifrost_std(&repo.root, &repo.home)
        .args(["--json", "publish", asset, s(dir)])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn bifrost publish")
}

/// Waits for a publish started by [`spawn_publish`]; asserts success and returns its version
/// number.
pub fn finish_publish(child: Child, what: &str) -> i64 {
    let out = child.wait_with_output().expect("wait for bifrost");
    let stdout = expect_success(&["publish", what], &out);
    parse_json(&["publish"], &stdout)["version"]["number"]
        .as_i64()
        .expect("version number")
}

/// Inputs for writer `w` of round `r`: content shared by everyone (dedup races) plus its own.
fn inputs(repo: &Repo, round: usize, writer: usize) -> PathBuf {
    let dir = repo.work(&format!("r{round}w{writer}"));
    write_random(&dir.join("shared.bin"), 512 * 1024, 99);
    write_random(
        &dir.join("own.bin"),
        700 * 1024 + writer as u64,
        (round * 10 + writer) as u64,
    );
    write_file(
        &dir.join("who.txt"),
        format!("round {round} writer {writer}\n").as_bytes(),
        0o644,
    );
    dir
}

#[test]
fn concurrent_publishes_get_consecutive_numbers() {
    let repo = Repo::new();
    repo.create_asset("shot", "cache");
    let mut published: BTreeMap<i64, PathBuf> = BTreeMap::new();
    for round in 0..ROUNDS {
        let dirs: Vec<PathBuf> = (0..WRITERS).map(|w| inputs(&repo, round, w)).collect();
        let children: Vec<Child> = dirs
            .iter()
            .map(|d| spawn_publish(&repo, "shot", d))
            .collect();
        for (child, dir) in children.into_iter().zip(&dirs) {
            let number = finish_publish(child, s(dir));
            assert!(
                published.insert(number, dir.clone()).is_none(),
                "two publishes were both numbered v{number}"
            );
        }
    }
    let n = (ROUNDS * WRITERS) as i64;
    assert_eq!(
        published.keys().copied().collect::<Vec<_>>(),
        (1..=n).collect::<Vec<_>>()
    );
    assert_eq!(repo.versions("shot"), (1..=n).collect::<Vec<_>>());

    // The history is a chain, and each version holds exactly what its publisher sent.
    let log = repo.json(&["log", "shot"]);
    let log = log.as_array().unwrap();
    for pair in log.windows(2) {
        assert_eq!(pair[1]["parent"], pair[0]["id"], "broken history: {pair:?}");
    }
    for (number, dir) in &published {
        let dest = repo.work(&format!("out/v{number}"));
        repo.checkout(&format!("shot@v{number}"), &dest);
        assert_tree(&dest, &published_tree(&[dir]));
    }
    let fsck = repo.json(&["fsck", "--read-data"]);
    assert_eq!(fsck["problems"], json!([]), "{fsck}");
    // One shared content, plus an own file and a who.txt per version.
    let stats = repo.json(&["stats"]);
    assert_eq!(stats["versions"], n);
    assert_eq!(stats["contents"], 1 + 2 * n, "{stats}");
}
