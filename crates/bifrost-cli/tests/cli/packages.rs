//! Packages: create (with pinned dependencies), list, validate, extract and import (history,
//! deduplication, conflicts), and packages that are damaged, newer or malicious.

use std::io::Write;
use std::path::Path;

use serde_json::Value;

use crate::support::*;

/// A repository with `model` (v1, v2), `rig` (v1, derived from model@v1) and shot SQ010/SH010
/// (referencing rig@v1). Returns the repository and the published trees of model@v1, rig@v1.
fn production() -> Repo {
    let repo = Repo::new();
    repo.create_asset("model", "prop");
    repo.ok(&["asset", "update", "model", "--meta", "poly=1200"]);
    repo.create_asset("rig", "character");
    let m = repo.work("model");
    write_random(&m.join("mesh.bin"), 300_000, 1);
    write_file(&m.join("shared.txt"), &vec![b's'; 20_000], 0o644);
    repo.json(&["publish", "model", s(&m), "-m", "first model"]);
    write_random(&m.join("mesh.bin"), 300_000, 2);
    repo.json(&["publish", "model", s(&m), "-m", "second model"]);
    let r = repo.work("rig");
    write_random(&r.join("rig.bin"), 200_000, 3);
    write_file(&r.join("shared.txt"), &vec![b's'; 20_000], 0o755);
    repo.json(&["publish", "rig", s(&r), "-m", "rigged"]);
    repo.ok(&[
        "link",
        "rig",
        "model",
        "--kind",
        "derived-from",
        "--pin",
        "v1",
    ]);
    repo.ok(&["seq", "create", "SQ010"]);
    repo.ok(&["shot", "create", "SQ010/SH010", "--frames", "1001-1010"]);
    repo.ok(&["link", "SQ010/SH010", "rig", "--pin", "v1"]);
    repo
}

fn stored_bytes(repo: &Repo) -> u64 {
    repo.json(&["stats"])["stored_bytes"].as_u64().unwrap()
}

#[test]
fn package_with_deps_round_trips_into_another_repository() {
    let src = production();
    let pkg = src.work("shot.bfpkg");
    let created = src.json(&[
        "pkg",
        "create",
        s(&pkg),
        "shot",
        "SQ010/SH010",
        "--with-deps",
    ]);
    // Exactly the pinned closure: rig@v1 and model@v1 (not model@v2), the shot, both links.
    assert_eq!(created["assets"], 2, "{created}");
    assert_eq!(created["versions"], 2, "{created}");
    assert_eq!(created["shots"], 1);
    assert_eq!(created["links"], 2);
    // shared.txt is in both versions but stored once.
    assert_eq!(created["contents"], 3);
    // No temporary file is left beside it.
    let leftovers: Vec<_> = all_files(&src.work)
        .into_iter()
        .filter(|p| p.to_string_lossy().contains(".bifrost-pkg-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");

    // A standard ZIP: unzip lists and tests it.
    if let Ok(out) = std::process::Command::new("unzip")
        .arg("-t")
        .arg(&pkg)
        .output()
    {
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stdout)
        );
        assert!(String::from_utf8_lossy(&out.stdout).contains("manifest.json"));
    }
    let listed = src.json(&["pkg", "list", s(&pkg)]);
    assert_eq!(listed["format"], 1);
    let numbers: Vec<(String, i64)> = listed["versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["asset"].as_str().unwrap().to_owned(),
                v["number"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(numbers, [("model".to_owned(), 1), ("rig".to_owned(), 1)]);
    let valid = src.json(&["pkg", "validate", s(&pkg)]);
    assert_eq!(valid["valid"], true);

    // Extract: every version's files, bytes and modes.
    let dest = src.work("extracted");
    src.json(&["pkg", "extract", s(&pkg), s(&dest)]);
    let rig_v1 = src.work("rig_v1");
    src.checkout("rig@v1", &rig_v1);
    assert_tree(&dest.join("rig/v1"), &tree(&rig_v1));

    // Import into an empty repository: assets, history, metadata, shot and links.
    let dst = Repo::new();
    let imported = dst.json(&["pkg", "import", s(&pkg)]);
    assert_eq!(imported["shots_created"], 1, "{imported}");
    assert_eq!(imported["links_created"], 2, "{imported}");
    assert_eq!(dst.asset_names(), ["model", "rig"]);
    let log = dst.json(&["log", "model"]);
    assert_eq!(log.as_array().unwrap().len(), 1);
    assert_eq!(log[0]["author"], AUTHOR);
    assert_eq!(log[0]["note"], "first model");
    assert_eq!(
        dst.json(&["asset", "show", "model"])["metadata"]["poly"],
        1200
    );
    let deps = dst.json(&["deps", "SQ010/SH010", "--transitive"]);
    let reached: Vec<&str> = deps
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["entity"].as_str().unwrap())
        .collect();
    assert_eq!(reached, ["rig", "model"], "{deps}");
    let copy = dst.work("rig_copy");
    dst.checkout("rig@v1", &copy);
    assert_tree(&copy, &tree(&rig_v1));

    // A second import stores nothing and commits nothing.
    let before = stored_bytes(&dst);
    let again = dst.json(&["pkg", "import", s(&pkg)]);
    assert_eq!(again["new_contents"], 0, "{again}");
    assert_eq!(again["bytes_stored"], 0);
    assert!(
        again["assets"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["action"] == "unchanged"),
        "{again}"
    );
    assert_eq!(stored_bytes(&dst), before);
    assert_eq!(dst.versions("model"), [1]);
}

#[test]
fn asset_name_packages_every_version_and_keeps_history() {
    let src = production();
    let pkg = src.work("model.bfpkg");
    let created = src.json(&["pkg", "create", s(&pkg), "model"]);
    assert_eq!(created["versions"], 2);
    let dst = Repo::new();
    dst.json(&["pkg", "import", s(&pkg)]);
    let log = dst.json(&["log", "model"]);
    let notes: Vec<&str> = log
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["note"].as_str().unwrap())
        .collect();
    assert_eq!(notes, ["first model", "second model"]);
    // Search selects too; an existing OUT is refused without --force.
    src.fails(
        &["pkg", "create", s(&pkg), "--search", "type:prop"],
        &["--force"],
    );
    let found = src.json(&["pkg", "create", s(&pkg), "--search", "type:prop", "--force"]);
    assert_eq!(found["assets"], 1);
}

#[test]
fn import_conflicts_follow_the_chosen_policy() {
    let src = production();
    let pkg = src.work("model.bfpkg");
    src.json(&["pkg", "create", s(&pkg), "model", "rig@v1"]);

    let dst = Repo::new();
    dst.create_asset("model", "prop");
    let other = dst.work("other");
    write_random(&other.join("x.bin"), 10_000, 9);
    dst.publish("model", &[&other]);
    let stats = stored_bytes(&dst);

    // Default: refuse, naming the asset and the flag; nothing changes.
    dst.fails(&["pkg", "import", s(&pkg)], &["`model`", "--on-conflict"]);
    assert_eq!(dst.asset_names(), ["model"]);
    assert_eq!(stored_bytes(&dst), stats);

    let skipped = dst.json(&["pkg", "import", s(&pkg), "--on-conflict", "skip"]);
    assert_eq!(skipped["assets"][0]["action"], "skipped", "{skipped}");
    assert_eq!(dst.versions("model"), [1]);
    assert_eq!(dst.asset_names(), ["model", "rig"]);

    let renamed = dst.json(&["pkg", "import", s(&pkg), "--on-conflict", "rename"]);
    assert_eq!(
        renamed["assets"][0]["imported_as"], "model-imported",
        "{renamed}"
    );
    assert_eq!(dst.versions("model-imported"), [1, 2]);

    let appended = dst.json(&["pkg", "import", s(&pkg), "--on-conflict", "new-version"]);
    assert_eq!(appended["assets"][0]["versions"], serde_json::json!([2, 3]));
    assert_eq!(dst.versions("model"), [1, 2, 3]);
    // Appending again finds every version present.
    let again = dst.json(&["pkg", "import", s(&pkg), "--on-conflict", "new-version"]);
    assert_eq!(again["assets"][0]["action"], "unchanged");
    let usage = dst.run(&["pkg", "import", s(&pkg), "--on-conflict", "merge"]);
    assert_eq!(usage.status.code(), Some(2));
}

/// Flips one byte inside the stored bytes of `needle` in `pkg`.
fn corrupt(pkg: &Path, needle: &[u8]) {
    let mut bytes = std::fs::read(pkg).unwrap();
    let at = bytes
        .windows(needle.len())
        .position(|w| w == needle)
        .expect("the content is stored uncompressed");
    bytes[at + 10] ^= 0xff;
    std::fs::write(pkg, bytes).unwrap();
}

#[test]
fn damaged_packages_are_named_and_import_nothing() {
    let src = production();
    let pkg = src.work("model.bfpkg");
    src.json(&["pkg", "create", s(&pkg), "model@v1"]);
    let good = std::fs::read(&pkg).unwrap();

    // One flipped byte in a content entry: validate names the entry; import changes nothing.
    let mesh = std::fs::read(src.work("model/mesh.bin")).unwrap();
    let v1 = src.work("v1");
    src.checkout("model@v1", &v1);
    let mesh_v1 = std::fs::read(v1.join("mesh.bin")).unwrap();
    assert_ne!(mesh, mesh_v1);
    corrupt(&pkg, &mesh_v1[100_000..100_064]);
    let listed: Value = parse_json(&[], &src.ok(&["--json", "pkg", "list", s(&pkg)]));
    let entry = listed["contents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["size"] == 300_000)
        .unwrap()["entry"]
        .as_str()
        .unwrap()
        .to_owned();
    src.fails(&["pkg", "validate", s(&pkg)], &[&entry]);
    let dst = Repo::new();
    let before = stored_bytes(&dst);
    dst.fails(&["pkg", "import", s(&pkg)], &[&entry]);
    assert!(dst.asset_names().is_empty());
    assert_eq!(stored_bytes(&dst), before);
    let dest = dst.work("out");
    dst.fails(&["pkg", "extract", s(&pkg), s(&dest)], &[&entry]);
    assert!(!dest.exists(), "a failed extract left {}", dest.display());

    // Truncated: no central directory.
    std::fs::write(&pkg, &good[..good.len() / 2]).unwrap();
    dst.fails(&["pkg", "validate", s(&pkg)], &["truncated"]);
    dst.fails(&["pkg", "import", s(&pkg)], &["truncated"]);
    assert!(dst.asset_names().is_empty());
}

/// Writes a ZIP with `entries` (name, bytes).
fn write_zip(path: &Path, entries: &[(&str, &[u8])]) {
    let file = std::fs::File::create(path).unwrap();
    let mut zip = zip::ZipWriter::new(file);
    for (name, bytes) in entries {
        zip.start_file(*name, zip::write::SimpleFileOptions::default())
            .unwrap();
        zip.write_all(bytes).unwrap();
    }
    zip.finish().unwrap();
}

#[test]
fn newer_formats_and_escaping_entries_are_refused() {
    let repo = Repo::new();
    let newer = repo.work("newer.bfpkg");
    write_zip(
        &newer,
        &[("manifest.json", br#"{"format": 2, "anything": []}"#)],
    );
    for cmd in ["validate", "list", "import"] {
        repo.fails(&["pkg", cmd, s(&newer)], &["format 2", "upgrade bifrost"]);
    }

    let manifest = br#"{"format":1,"generator":"x","created_at":"2026-01-01T00:00:00Z","created_by":"x","project":"main","assets":[],"versions":[],"contents":[]}"#;
    for evil in [
        "../evil.txt",
        "/tmp/bifrost-evil.txt",
        "contents/../../evil.txt",
    ] {
        let pkg = repo.work("evil.bfpkg");
        write_zip(&pkg, &[("manifest.json", manifest), (evil, b"gotcha")]);
        let dest = repo.work("dest/inner");
        repo.fails(&["pkg", "extract", s(&pkg), s(&dest)], &[evil, "refusing"]);
        repo.fails(&["pkg", "import", s(&pkg)], &[evil]);
        assert!(!repo.work("evil.txt").exists());
        assert!(!repo.work("dest/evil.txt").exists());
        assert!(!Path::new("/tmp/bifrost-evil.txt").exists());
    }
    // A manifest whose file paths escape is refused too.
    let hex = "af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262";
    let escaping = format!(
        r#"{{"format":1,"generator":"x","created_at":"2026-01-01T00:00:00Z","created_by":"x","project":"main","assets":[{{"name":"a","type":"prop"}}],"versions":[{{"asset":"a","number":1,"author":"x","note":"","created_at":"2026-01-01T00:00:00Z","files":[{{"path":"../x","size":0,"mode":420,"content":"{hex}"}}]}}],"contents":[{{"id":"{hex}","size":0,"entry":"contents/{hex}"}}]}}"#
    );
    let pkg = repo.work("paths.bfpkg");
    let entry = format!("contents/{hex}");
    write_zip(
        &pkg,
        &[("manifest.json", escaping.as_bytes()), (&entry, b"")],
    );
    repo.fails(&["pkg", "validate", s(&pkg)], &["`../x`"]);
    // Not a package at all.
    let junk = repo.work("junk.bfpkg");
    std::fs::write(&junk, b"hello").unwrap();
    repo.fails(&["pkg", "validate", s(&junk)], &["not a readable package"]);
}
