//! Workspaces: status against the checked-out versions, sync that never overwrites the user's
//! changes, materialisation modes that keep workspaces apart, publish from a workspace, and
//! cleanup of the shared cache.

use std::os::unix::fs::MetadataExt;
use std::path::Path;

use serde_json::Value;

use crate::support::*;

/// A repository with `hero` v1: a.txt, b.txt, sub/c.bin.
fn hero() -> Repo {
    let repo = Repo::new();
    repo.create_asset("hero", "character");
    let src = repo.work("hero");
    write_file(&src.join("a.txt"), b"alpha v1\n", 0o644);
    write_file(&src.join("b.txt"), b"beta v1\n", 0o644);
    write_random(&src.join("sub/c.bin"), 200_000, 7);
    repo.publish("hero", &[&src]);
    repo
}

fn changes(status: &Value) -> Vec<(String, String)> {
    status["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["kind"].as_str().unwrap().to_owned(),
                format!(
                    "{}/{}",
                    c["asset"].as_str().unwrap(),
                    c["path"].as_str().unwrap()
                ),
            )
        })
        .collect()
}

fn ws_json(repo: &Repo, ws: &Path, args: &[&str]) -> Value {
    let mut full = vec!["--json"];
    full.extend_from_slice(args);
    parse_json(&full, &expect_success(&full, &repo.run_in(ws, &full)))
}

#[test]
fn status_and_sync_keep_the_users_changes() {
    let repo = hero();
    let ws = repo.work("ws");
    let init = repo.json(&["workspace", "init", s(&ws), "hero", "--mode", "copy"]);
    assert_eq!(init["mode"], "copy");
    assert_eq!(init["written"], 3);
    assert_tree(&ws.join("hero"), &tree(&repo.work("hero")));
    let clean = ws_json(&repo, &ws, &["workspace", "status"]);
    assert!(changes(&clean).is_empty(), "{clean}");

    // Edit, add, delete; a touch without a change is not a change.
    write_file(&ws.join("hero/a.txt"), b"alpha mine\n", 0o644);
    write_file(&ws.join("hero/new.txt"), b"new\n", 0o644);
    std::fs::remove_file(ws.join("hero/sub/c.bin")).unwrap();
    backdate(&ws.join("hero/b.txt"), "2001-01-01");
    let st = ws_json(&repo, &ws, &["workspace", "status"]);
    assert_eq!(
        changes(&st),
        [
            ("modified".to_owned(), "hero/a.txt".to_owned()),
            ("new".to_owned(), "hero/new.txt".to_owned()),
            ("deleted".to_owned(), "hero/sub/c.bin".to_owned()),
        ]
    );
    assert_eq!(
        st["hashed"], 2,
        "only the files whose stat changed are hashed: {st}"
    );

    // v2 changes a.txt and b.txt; the user changed a.txt: conflict, kept; b.txt updated.
    let src = repo.work("hero");
    write_file(&src.join("a.txt"), b"alpha v2\n", 0o644);
    write_file(&src.join("b.txt"), b"beta v2\n", 0o644);
    repo.publish("hero", &[&src]);
    let args = ["--json", "workspace", "sync"];
    let out = repo.run_in(&ws, &args);
    assert_eq!(out.status.code(), Some(1), "{}", describe(&args, &out));
    let report = parse_json(&args, &String::from_utf8_lossy(&out.stdout));
    let conflicts: Vec<&str> = report["conflicts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["path"].as_str().unwrap())
        .collect();
    assert_eq!(conflicts, ["a.txt"], "{report}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("kept"));
    assert_eq!(
        std::fs::read(ws.join("hero/a.txt")).unwrap(),
        b"alpha mine\n"
    );
    assert_eq!(std::fs::read(ws.join("hero/b.txt")).unwrap(), b"beta v2\n");
    assert!(
        !ws.join("hero/sub/c.bin").exists(),
        "a deleted file came back"
    );
    assert_eq!(std::fs::read(ws.join("hero/new.txt")).unwrap(), b"new\n");
    let st = ws_json(&repo, &ws, &["workspace", "status"]);
    assert_eq!(st["assets"]["hero"][0], 2);
    assert!(changes(&st).contains(&("modified".to_owned(), "hero/a.txt".to_owned())));

    // Publishing from the workspace makes it v3, clean apart from nothing.
    let published = ws_json(&repo, &ws, &["workspace", "publish", "hero", "-m", "mine"]);
    assert_eq!(published["version"]["number"], 3);
    let st = ws_json(&repo, &ws, &["workspace", "status"]);
    assert!(changes(&st).is_empty(), "{st}");
    let v3 = repo.work("v3");
    repo.checkout("hero@v3", &v3);
    assert_tree(&v3, &tree(&ws.join("hero")));
    repo.fails(
        &["workspace", "publish", "hero", "--dir", s(&ws)],
        &["no changes"],
    );
}

#[test]
fn linked_workspaces_share_the_cache_but_never_each_others_edits() {
    let repo = hero();
    let one = repo.work("one");
    let two = repo.work("two");
    repo.json(&["workspace", "init", s(&one), "hero", "--mode", "hardlink"]);
    repo.json(&["workspace", "init", s(&two), "hero", "--mode", "symlink"]);
    let a1 = one.join("hero/a.txt");
    let a2 = two.join("hero/a.txt");
    // Hard links into the cache, read-only; symbolic links to the same cache file.
    let meta = std::fs::metadata(&a1).unwrap();
    assert!(meta.nlink() >= 2, "not a hard link");
    assert_eq!(meta.mode() & 0o222, 0, "linked files must be read-only");
    let target = std::fs::read_link(&a2).unwrap();
    assert!(
        target.starts_with(repo.path(".bifrost/cache")),
        "{}",
        target.display()
    );
    assert_eq!(std::fs::metadata(&target).unwrap().ino(), meta.ino());

    // `workspace edit` breaks the link into a private writable copy.
    repo.json(&["workspace", "edit", s(&a1)]);
    let meta = std::fs::metadata(&a1).unwrap();
    assert_eq!(meta.nlink(), 1);
    assert_ne!(meta.mode() & 0o200, 0);
    std::fs::write(&a1, b"edited in one\n").unwrap();
    assert_eq!(std::fs::read(&a2).unwrap(), b"alpha v1\n");
    let st = ws_json(&repo, &one, &["workspace", "status"]);
    assert_eq!(
        changes(&st),
        [("modified".to_owned(), "hero/a.txt".to_owned())]
    );
    let st = ws_json(&repo, &two, &["workspace", "status"]);
    assert!(changes(&st).is_empty(), "{st}");

    // Publish from one; two follows the latest on sync.
    ws_json(&repo, &one, &["workspace", "publish", "hero"]);
    let synced = ws_json(&repo, &two, &["workspace", "sync"]);
    assert_eq!(synced["written"], 1, "{synced}");
    assert_eq!(std::fs::read(&a2).unwrap(), b"edited in one\n");

    // Cleanup keeps what linked workspaces use, drops the rest once a workspace is gone.
    let kept = repo.json(&["cleanup", "--grace", "0s"]);
    assert_eq!(kept["workspaces"], 2);
    let cache_files = |repo: &Repo| {
        all_files(&repo.path(".bifrost/cache"))
            .into_iter()
            .filter(|p| !p.to_string_lossy().contains("probe"))
            .count()
    };
    let before = cache_files(&repo);
    assert!(before >= 3, "{before}");
    std::fs::remove_dir_all(&one).unwrap();
    std::fs::remove_dir_all(&two).unwrap();
    let dry = repo.json(&["cleanup", "--dry-run", "--grace", "0s"]);
    assert_eq!(
        dry["cache_entries_removed"].as_u64().unwrap(),
        before as u64
    );
    assert_eq!(cache_files(&repo), before, "a dry run removed files");
    let done = repo.json(&["cleanup", "--grace", "0s"]);
    assert_eq!(done["workspaces_forgotten"].as_array().unwrap().len(), 2);
    assert_eq!(cache_files(&repo), 0);
}

#[test]
fn pins_default_mode_and_bad_input() {
    let repo = hero();
    let src = repo.work("hero");
    write_file(&src.join("a.txt"), b"alpha v2\n", 0o644);
    repo.publish("hero", &[&src]);
    let ws = repo.work("pinned");
    let init = repo.json(&["workspace", "init", s(&ws), "hero@v1"]);
    let mode = init["mode"].as_str().unwrap();
    assert!(["reflink", "hardlink", "copy"].contains(&mode), "{mode}");
    assert_eq!(std::fs::read(ws.join("hero/a.txt")).unwrap(), b"alpha v1\n");
    let synced = ws_json(&repo, &ws, &["workspace", "sync"]);
    assert!(
        synced["updated"].as_array().unwrap().is_empty(),
        "pinned moved: {synced}"
    );
    ws_json(&repo, &ws, &["workspace", "add", "hero"]);
    assert_eq!(std::fs::read(ws.join("hero/a.txt")).unwrap(), b"alpha v2\n");

    repo.fails(
        &["workspace", "init", s(&ws), "hero"],
        &["already a workspace"],
    );
    repo.fails(
        &["workspace", "init", s(&repo.work("x")), "nope"],
        &["nope"],
    );
    repo.fails(
        &["workspace", "status", "--dir", s(&repo.work("hero"))],
        &["not inside a workspace"],
    );
    let usage = repo.run(&["workspace", "init", s(&repo.work("y")), "--mode", "magic"]);
    assert_eq!(usage.status.code(), Some(2));
}
