//! Damaged stores: fsck names the damage, checkout refuses and writes no wrong or partial file.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::support::*;

/// A repository with `hero` (one 3 MiB random file, so its own pack) and `other` (another pack).
/// Returns the repository, hero's input, other's input and hero's pack.
fn fixture() -> (Repo, PathBuf, PathBuf, PathBuf) {
    let repo = Repo::new();
    repo.create_asset("hero", "prop");
    repo.create_asset("other", "prop");
    let hero = repo.work("hero.bin");
    write_random(&hero, 3 * 1024 * 1024, 11);
    let other = repo.work("other.bin");
    write_random(&other, 1024 * 1024, 12);
    repo.publish("other", &[&other]);
    let before = repo.pack_files();
    repo.publish("hero", &[&hero]);
    let new: Vec<PathBuf> = repo
        .pack_files()
        .into_iter()
        .filter(|p| !before.contains(p))
        .collect();
    assert_eq!(
        new.len(),
        1,
        "hero's 3 MiB should make exactly one pack: {new:?}"
    );
    (repo, hero, other, new[0].clone())
}

fn pack_id(pack: &Path) -> String {
    pack.file_stem().unwrap().to_str().unwrap().to_owned()
}

/// Runs `fsck ARGS --json`, asserts exit status 1 and returns the report.
fn failing_fsck(repo: &Repo, read_data: bool) -> Value {
    let mut args = vec!["--json", "fsck"];
    if read_data {
        args.push("--read-data");
    }
    let out = repo.run(&args);
    assert_eq!(
        out.status.code(),
        Some(1),
        "fsck must fail:\n{}",
        describe(&args, &out)
    );
    parse_json(&args, &String::from_utf8_lossy(&out.stdout))
}

/// Problems as (kind, object, detail).
fn problems(report: &Value) -> Vec<(String, String, String)> {
    report["problems"]
        .as_array()
        .expect("problems array")
        .iter()
        .map(|p| {
            (
                p["kind"].as_str().unwrap().to_owned(),
                p["object"].as_str().unwrap().to_owned(),
                p["detail"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// A failed checkout of `reference` into `dest`, where `dest/hero.bin` may hold `old` bytes.
fn assert_checkout_writes_nothing(
    repo: &Repo,
    dest: &Path,
    old: Option<&[u8]>,
    fragments: &[&str],
) {
    let mut args = vec!["checkout", "hero", s(dest)];
    if old.is_some() {
        args.push("--force");
    }
    repo.fails(&args, fragments);
    let target = dest.join("hero.bin");
    match old {
        None => assert!(
            !target.exists(),
            "a failed checkout left {}",
            target.display()
        ),
        Some(bytes) => assert_eq!(
            std::fs::read(&target).unwrap(),
            bytes,
            "a failed --force checkout must leave the existing file alone"
        ),
    }
    let leftovers: Vec<_> = all_files(dest)
        .into_iter()
        .filter(|p| p.file_name() != Some("hero.bin".as_ref()))
        .collect();
    assert!(
        leftovers.is_empty(),
        "temporary files left behind: {leftovers:?}"
    );
}

#[test]
fn flipped_byte_is_found_by_read_data_and_checkout_writes_nothing() {
    let (repo, _hero, other, pack) = fixture();
    let id = pack_id(&pack);
    let mut bytes = std::fs::read(&pack).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x5a;
    std::fs::write(&pack, &bytes).unwrap();

    // Plain fsck only checks presence and size; --read-data finds the damage.
    repo.ok(&["fsck"]);
    let report = failing_fsck(&repo, true);
    let found = problems(&report);
    assert!(!found.is_empty(), "{report}");
    for (kind, object, detail) in &found {
        assert!(
            kind == "corrupt_chunk" || kind == "corrupt_pack",
            "unexpected problem kind {kind}: {report}"
        );
        assert!(
            object == &id || detail.contains(&id),
            "the problem must name pack {id}: {report}"
        );
    }
    // The text report names it too, and says on stderr that problems were found.
    let out = repo.run(&["fsck", "--read-data"]);
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains(&id),
        "{}",
        describe(&["fsck", "--read-data"], &out)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("problem(s) found"));

    // Checkout refuses; nothing appears at the target, nor any temporary file.
    let dest = repo.work("out");
    assert_checkout_writes_nothing(&repo, &dest, None, &["corrupt", &id]);
    // With --force over an existing file, the existing file survives untouched.
    let dest2 = repo.work("out2");
    write_file(&dest2.join("hero.bin"), b"previous good copy", 0o644);
    assert_checkout_writes_nothing(&repo, &dest2, Some(b"previous good copy"), &["corrupt"]);

    // Undamaged assets still check out.
    let dest3 = repo.work("out3");
    repo.checkout("other", &dest3);
    assert_tree(&dest3, &published_tree(&[&other]));
}

#[test]
fn deleted_pack_is_reported_missing() {
    let (repo, _hero, other, pack) = fixture();
    let id = pack_id(&pack);
    std::fs::remove_file(&pack).unwrap();

    for read_data in [false, true] {
        let report = failing_fsck(&repo, read_data);
        let found = problems(&report);
        assert!(
            found
                .iter()
                .any(|(kind, object, _)| kind == "missing_pack" && object == &id),
            "fsck (read_data={read_data}) must report missing_pack {id}: {report}"
        );
    }
    let out = repo.run(&["fsck"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains(&id));

    assert_checkout_writes_nothing(&repo, &repo.work("out"), None, &["missing", &id]);
    let dest = repo.work("out3");
    repo.checkout("other", &dest);
    assert_tree(&dest, &published_tree(&[&other]));
}

#[test]
fn truncated_pack_is_reported_and_checkout_writes_nothing() {
    let (repo, _hero, _other, pack) = fixture();
    let id = pack_id(&pack);
    let bytes = std::fs::read(&pack).unwrap();
    std::fs::write(&pack, &bytes[..bytes.len() / 2]).unwrap();

    let report = failing_fsck(&repo, false);
    assert!(
        problems(&report)
            .iter()
            .any(|(kind, object, _)| kind == "pack_size_mismatch" && object == &id),
        "{report}"
    );
    assert_checkout_writes_nothing(&repo, &repo.work("out"), None, &[]);
}
