//! Garbage collection: keeps everything referenced, removes only leftovers, dry runs touch nothing.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde_json::{Value, json};

use crate::support::*;

/// Every file of the store with its bytes and modification time.
fn store_snapshot(repo: &Repo) -> BTreeMap<PathBuf, (Vec<u8>, std::time::SystemTime)> {
    all_files(&repo.store())
        .into_iter()
        .map(|p| {
            let bytes = std::fs::read(&p).unwrap();
            let mtime = std::fs::metadata(&p).unwrap().modified().unwrap();
            (p, (bytes, mtime))
        })
        .collect()
}

struct Fixture {
    repo: Repo,
    /// (reference, inputs) of every version.
    versions: Vec<(String, Vec<PathBuf>)>,
    live_packs: Vec<PathBuf>,
    stale_staging: PathBuf,
    fresh_staging: PathBuf,
    orphan: PathBuf,
}

/// A@v1, A@v2 and B@v1 with distinct content, plus planted leftovers: an interrupted write from
/// two days ago, one from just now, and a two-day-old pack no catalog row names.
fn fixture() -> Fixture {
    let repo = Repo::new();
    repo.create_asset("a", "prop");
    repo.create_asset("b", "prop");
    let a1 = repo.work("a1");
    write_random(&a1.join("mesh.bin"), 2 * 1024 * 1024, 21);
    write_file(&a1.join("notes.txt"), b"v1 notes", 0o644);
    repo.publish("a", &[&a1]);
    let a2 = repo.work("a2");
    write_random(&a2.join("mesh.bin"), 2 * 1024 * 1024, 22);
    write_file(&a2.join("notes.txt"), b"v2 notes", 0o644);
    repo.publish("a", &[&a2]);
    let b1 = repo.work("b1.bin");
    write_random(&b1, 1024 * 1024, 23);
    repo.publish("b", &[&b1]);
    let live_packs = repo.pack_files();
    assert!(live_packs.len() >= 3, "{live_packs:?}");

    let packs = repo.store().join("packs");
    let stale_staging = packs.join("ab/x.pack#1");
    write_file(&stale_staging, b"half a pack", 0o644);
    backdate(&stale_staging, "2 days ago");
    let fresh_staging = packs.join("cd/y.pack#2");
    write_file(&fresh_staging, b"a pack being written right now", 0o644);
    let orphan = packs.join(format!("ee/{}.pack", "ee".repeat(32)));
    write_file(&orphan, b"an orphan pack from a crashed publish", 0o644);
    backdate(&orphan, "2 days ago");
    Fixture {
        repo,
        versions: vec![
            ("a@v1".into(), vec![a1]),
            ("a@v2".into(), vec![a2]),
            ("b@v1".into(), vec![b1]),
        ],
        live_packs,
        stale_staging,
        fresh_staging,
        orphan,
    }
}

fn assert_everything_restores(f: &Fixture, tag: &str) {
    let fsck = f.repo.json(&["fsck", "--read-data"]);
    assert_eq!(fsck["problems"], json!([]), "{tag}: {fsck}");
    for (reference, inputs) in &f.versions {
        let dest = f
            .repo
            .work(&format!("{tag}/{}", reference.replace('@', "_")));
        f.repo.checkout(reference, &dest);
        let inputs: Vec<&std::path::Path> = inputs.iter().map(PathBuf::as_path).collect();
        assert_tree(&dest, &published_tree(&inputs));
    }
}

fn counts(report: &Value) -> [u64; 4] {
    [
        "packs_deleted",
        "packs_repacked",
        "orphan_packs_deleted",
        "staging_files_removed",
    ]
    .map(|k| {
        report[k]
            .as_u64()
            .unwrap_or_else(|| panic!("gc report lacks {k}: {report}"))
    })
}

#[test]
fn gc_keeps_what_is_referenced_and_removes_only_leftovers() {
    let f = fixture();
    let repo = &f.repo;
    let snapshot = store_snapshot(repo);

    // A dry run reports the orphan and deletes nothing at all.
    for grace in ["1h", "0"] {
        let dry = repo.json(&["gc", "--dry-run", "--grace", grace, "--force"]);
        assert_eq!(dry["dry_run"], true);
        assert_eq!(dry["packs_deleted"], 0, "everything is referenced: {dry}");
        assert_eq!(dry["packs_repacked"], 0, "every chunk is live: {dry}");
        assert_eq!(dry["orphan_packs_deleted"], 1, "{dry}");
        assert!(
            store_snapshot(repo) == snapshot,
            "gc --dry-run --grace {grace} changed the store"
        );
    }
    let text = repo.ok(&["gc", "--dry-run"]);
    assert!(text.contains("would free"), "{text}");
    assert!(store_snapshot(repo) == snapshot);

    // The default grace (1h) removes the two-day-old leftovers and keeps the fresh write.
    let gc = repo.json(&["gc"]);
    assert_eq!(gc["dry_run"], false);
    assert_eq!(counts(&gc), [0, 0, 1, 1], "{gc}");
    assert!(
        !f.stale_staging.exists(),
        "the stale interrupted write survived gc"
    );
    assert!(!f.orphan.exists(), "the old orphan pack survived gc");
    assert!(
        f.fresh_staging.exists(),
        "gc removed a write younger than its grace period"
    );
    assert_eq!(
        repo.pack_files(),
        f.live_packs,
        "gc touched referenced packs"
    );
    assert_everything_restores(&f, "after_gc");

    // No grace: the fresh write goes too; referenced packs stay, byte for byte.
    let gc = repo.json(&["gc", "--grace", "0", "--force"]);
    assert_eq!(counts(&gc), [0, 0, 0, 1], "{gc}");
    assert!(!f.fresh_staging.exists());
    assert_eq!(repo.pack_files(), f.live_packs);
    for p in &f.live_packs {
        assert_eq!(
            &std::fs::read(p).unwrap(),
            &snapshot[p].0,
            "{} changed",
            p.display()
        );
    }
    let fsck = repo.json(&["fsck", "--read-data"]);
    assert_eq!(fsck["unreferenced_packs"], json!([]), "{fsck}");
    assert_everything_restores(&f, "after_gc0");

    // Nothing left to do: a second gc is a no-op.
    let gc = repo.json(&["gc", "--grace", "0", "--force"]);
    assert_eq!(counts(&gc), [0, 0, 0, 0], "{gc}");
    assert_eq!(gc["bytes_freed"], 0);
}

/// A dry run reports what gc would do: the same counts and bytes as the real run that follows.
#[test]
fn gc_dry_run_reports_what_gc_then_does() {
    let f = fixture();
    let repo = &f.repo;
    let dry = repo.json(&["gc", "--dry-run"]);
    let real = repo.json(&["gc"]);
    for key in [
        "packs_deleted",
        "packs_repacked",
        "orphan_packs_deleted",
        "staging_files_removed",
        "bytes_freed",
    ] {
        assert_eq!(
            dry[key], real[key],
            "gc --dry-run reported {key} = {} but gc then did {}\ndry run: {dry}\nreal run: {real}",
            dry[key], real[key]
        );
    }
}

/// (path, bytes) of the files of one input directory.
type Files = Vec<(&'static str, Vec<u8>)>;

/// Packs of small files are as precious as any: gc must never delete a pack whose chunks are all
/// live. (A pack holding one tiny chunk is mostly framing, so its "live bytes" are below half its
/// size; repacking it yields the very same pack, which must not then be deleted.)
#[test]
fn gc_keeps_packs_of_small_files() {
    let repo = Repo::new();
    let cases: Vec<(&str, Files)> = vec![
        ("tiny", vec![("t.txt", b"tiny\n".to_vec())]),
        (
            "few",
            vec![
                ("a.txt", b"a".to_vec()),
                ("b.txt", b"bb".to_vec()),
                ("c/d.txt", b"ddd".to_vec()),
            ],
        ),
        (
            "compressible",
            vec![("log.txt", b"all work and no play ".repeat(500))],
        ),
        ("empty", vec![("nothing", Vec::new())]),
    ];
    let mut published = Vec::new();
    for (asset, files) in &cases {
        repo.create_asset(asset, "text");
        let dir = repo.work(asset);
        for (path, bytes) in files {
            write_file(&dir.join(path), bytes, 0o644);
        }
        repo.publish(asset, &[&dir]);
        published.push((*asset, published_tree(&[&dir])));
    }
    let packs = repo.pack_files();
    assert!(!packs.is_empty());

    let gc = repo.json(&["gc", "--grace", "0", "--force"]);
    assert_eq!(
        repo.pack_files(),
        packs,
        "gc --grace 0 deleted referenced packs: {gc}"
    );
    let fsck = repo.run(&["--json", "fsck", "--read-data"]);
    expect_success(&["fsck", "--read-data"], &fsck);
    for (asset, want) in &published {
        let dest = repo.work(&format!("out/{asset}"));
        repo.checkout(asset, &dest);
        assert_tree(&dest, want);
    }
}
