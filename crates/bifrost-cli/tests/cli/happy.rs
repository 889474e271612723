//! The everyday path: init, assets, publish, log, list, show, checkout, stats, fsck, help.

use serde_json::{Value, json};

use crate::support::*;

/// Builds the first state of the `hero` asset: nested directories, an empty file, an executable
/// and a private file.
fn hero_tree(repo: &Repo) -> std::path::PathBuf {
    let dir = repo.work("hero");
    write_random(&dir.join("model.obj"), 1_500_000, 1);
    write_random(&dir.join("textures/diffuse.png"), 300_000, 2);
    // The same bytes again, with another mode: restored by cloning the first copy.
    write_random(&dir.join("textures/diffuse_copy.png"), 300_000, 2);
    set_mode(&dir.join("textures/diffuse_copy.png"), 0o755);
    write_file(
        &dir.join("textures/normal/normal.exr"),
        &b"normal map ".repeat(5000),
        0o644,
    );
    write_file(
        &dir.join("scripts/rig/build.sh"),
        b"#!/bin/sh\necho build\n",
        0o755,
    );
    write_file(&dir.join("notes/private.txt"), b"do not share\n", 0o600);
    write_file(&dir.join("empty.txt"), b"", 0o644);
    dir
}

#[test]
fn publish_log_list_show_and_checkout_round_trip() {
    let repo = Repo::new();

    // Assets with tags and metadata; the JSON echoes what was stored.
    let hero = repo.json(&[
        "asset",
        "create",
        "hero",
        "--type",
        "prop",
        "--tag",
        "hero",
        "--tag",
        "dept:model",
        "--meta",
        "poly=12000",
        "--meta",
        "artist=ana",
        "--meta",
        "approved=true",
        "--meta",
        "lods=[1,2,3]",
    ]);
    assert_eq!(hero["name"], "hero");
    assert_eq!(hero["type"], "prop");
    assert_eq!(hero["project"], "main");
    assert_eq!(hero["tags"], json!(["dept:model", "hero"]));
    assert_eq!(
        hero["metadata"],
        json!({"poly": 12000, "artist": "ana", "approved": true, "lods": [1, 2, 3]})
    );
    assert_eq!(hero["latest_version"], Value::Null);
    repo.json(&[
        "asset", "create", "barrel", "--type", "prop", "--tag", "env",
    ]);
    repo.json(&[
        "asset", "create", "sky", "--type", "texture", "--tag", "env", "--tag", "hero",
    ]);

    // v1: a directory and a single file.
    let dir = hero_tree(&repo);
    let readme = repo.work("readme.txt");
    write_file(&readme, b"hero asset\n", 0o644);
    let v1_tree = published_tree(&[&dir, &readme]);
    assert_eq!(v1_tree.len(), 8);
    let out = repo.json(&["publish", "hero", s(&dir), s(&readme), "-m", "first"]);
    assert_eq!(out["version"]["number"], 1);
    assert_eq!(out["version"]["file_count"], 8);
    let v1_bytes: usize = v1_tree.values().map(|f| f.bytes.len()).sum();
    assert_eq!(out["version"]["total_bytes"], v1_bytes);
    assert_eq!(out["bytes_read"], v1_bytes);
    assert!(out["new_chunks"].as_u64().unwrap() > 0, "{out}");

    // v2: one file changed, one added, the readme dropped.
    write_random(&dir.join("model.obj"), 1_600_000, 3);
    write_file(&dir.join("textures/spec.png"), b"specular", 0o644);
    let v2_tree = published_tree(&[&dir]);
    repo.json(&["publish", "hero", s(&dir), "-m", "second"]);

    // v3: a single executable file.
    let tool = repo.work("tool.sh");
    write_file(&tool, b"#!/bin/sh\nexit 0\n", 0o755);
    let v3_tree = published_tree(&[&tool]);
    repo.json(&[
        "publish",
        "hero",
        s(&tool),
        "-m",
        "third",
        "--author",
        "ana",
    ]);

    // log --json: numbers 1..3, each the child of the previous, notes and author kept.
    let log = repo.json(&["log", "hero"]);
    let log = log.as_array().expect("array");
    assert_eq!(log.len(), 3);
    for (i, v) in log.iter().enumerate() {
        assert_eq!(v["number"], i as i64 + 1, "{v}");
        assert_eq!(v["asset"], "hero");
        let author = if i == 2 { "ana" } else { AUTHOR };
        assert_eq!(v["author"], author, "--author, else $BIFROST_AUTHOR");
        let parent = if i == 0 {
            Value::Null
        } else {
            log[i - 1]["id"].clone()
        };
        assert_eq!(
            v["parent"],
            parent,
            "v{} must derive from the previous version",
            i + 1
        );
    }
    assert_eq!(log[0]["note"], "first");
    assert_eq!(log[2]["note"], "third");
    assert_eq!(log[0]["file_count"], 8);
    assert_eq!(log[1]["file_count"], v2_tree.len());
    assert_eq!(log[2]["file_count"], 1);

    // asset list filters.
    let cases: &[(&[&str], &[&str])] = &[
        (&[], &["barrel", "hero", "sky"]),
        (&["--type", "prop"], &["barrel", "hero"]),
        (&["--type", "texture"], &["sky"]),
        (&["--tag", "env"], &["barrel", "sky"]),
        (&["--tag", "hero"], &["hero", "sky"]),
        (&["--tag", "env", "--tag", "hero"], &["sky"]),
        (&["--type", "prop", "--tag", "hero"], &["hero"]),
        (&["--type", "fx"], &[]),
        (&["--tag", "nosuchtag"], &[]),
    ];
    for (filter, want) in cases {
        let mut args = vec!["asset", "list"];
        args.extend_from_slice(filter);
        let listed = repo.json(&args);
        let mut names: Vec<&str> = listed
            .as_array()
            .expect("array")
            .iter()
            .map(|a| a["name"].as_str().unwrap())
            .collect();
        names.sort();
        assert_eq!(&names, want, "asset list {filter:?}");
    }
    let all = repo.json(&["asset", "list"]);
    let latest = |name: &str| {
        all.as_array()
            .unwrap()
            .iter()
            .find(|a| a["name"] == name)
            .unwrap()["latest_version"]
            .clone()
    };
    assert_eq!(latest("hero"), 3);
    assert_eq!(latest("barrel"), Value::Null);

    // asset show --json: the asset, its versions and the latest version's files.
    let show = repo.json(&["asset", "show", "hero"]);
    assert_eq!(show["name"], "hero");
    assert_eq!(show["metadata"]["poly"], 12000);
    assert_eq!(show["versions"].as_array().unwrap().len(), 3);
    let files = show["latest_files"].as_array().unwrap();
    assert_eq!(files.len(), 1);
    assert_eq!(files[0]["path"], "tool.sh");
    assert_eq!(files[0]["mode"], 0o755);
    assert_eq!(files[0]["size"], v3_tree["tool.sh"].bytes.len());

    // Checkouts are byte-for-byte and mode-for-mode what was published.
    for (reference, want) in [
        ("hero@v1", &v1_tree),
        ("hero@v2", &v2_tree),
        ("hero@v3", &v3_tree),
        ("hero", &v3_tree),
        ("hero@latest", &v3_tree),
    ] {
        let dest = repo.work(&format!("out/{}", reference.replace('@', "_")));
        let out = repo.checkout(reference, &dest);
        assert_eq!(out["files"], want.len(), "{reference}: {out}");
        assert_eq!(out["version"]["asset"], "hero");
        if reference == "hero@v1" {
            assert_eq!(out["cloned"], 1, "the duplicate texture is cloned: {out}");
        }
        assert_tree(&dest, want);
    }
    assert_eq!(
        mode_of(&repo.work("out/hero_v1/scripts/rig/build.sh")),
        0o755
    );
    assert_eq!(mode_of(&repo.work("out/hero_v1/notes/private.txt")), 0o600);
    assert_eq!(
        std::fs::metadata(repo.work("out/hero_v1/empty.txt"))
            .unwrap()
            .len(),
        0
    );

    // A relative destination is relative to the current directory.
    repo.ok(&["checkout", "hero@v2", "rel/hero"]);
    assert_tree(&repo.path("rel/hero"), &v2_tree);

    // The human-readable outputs say what they did.
    let text = repo.ok(&["log", "hero"]);
    for needle in ["v1", "v2", "v3", "first", "third", AUTHOR] {
        assert!(text.contains(needle), "log text lacks {needle:?}:\n{text}");
    }
    let text = repo.ok(&["asset", "show", "hero"]);
    assert!(text.contains("tool.sh") && text.contains("755"), "{text}");

    // fsck (with and without --read-data) is clean and says so.
    let fsck = repo.json(&["fsck", "--read-data"]);
    assert_eq!(fsck["problems"], json!([]));
    assert!(fsck["chunks_verified"].as_u64().unwrap() > 0, "{fsck}");
    assert!(repo.ok(&["fsck"]).starts_with("ok:"));
}

#[test]
fn same_file_in_two_assets_is_stored_once() {
    let repo = Repo::new();
    repo.create_asset("a", "prop");
    repo.create_asset("b", "prop");
    let file = repo.work("big.bin");
    const SIZE: u64 = 5 * 1024 * 1024;
    write_random(&file, SIZE, 42);

    let first = repo.publish("a", &[&file]);
    assert!(first["new_chunks"].as_u64().unwrap() > 0, "{first}");
    assert!(first["bytes_stored"].as_u64().unwrap() >= SIZE, "{first}");
    let before = repo.json(&["stats"]);

    let second = repo.publish("b", &[&file]);
    assert_eq!(
        second["new_chunks"], 0,
        "the second publish must store nothing: {second}"
    );
    assert_eq!(second["bytes_stored"], 0, "{second}");
    assert_eq!(second["bytes_read"], SIZE);

    let stats = repo.json(&["stats"]);
    for key in [
        "logical_bytes",
        "stored_bytes",
        "chunks",
        "versions",
        "assets",
    ] {
        assert!(stats[key].is_u64(), "stats lacks {key}: {stats}");
    }
    assert_eq!(stats["logical_bytes"], 2 * SIZE);
    assert_eq!(stats["versions"], 2);
    assert_eq!(stats["assets"], 2);
    assert_eq!(
        stats["chunks"], before["chunks"],
        "no chunk may be added by the second publish"
    );
    assert_eq!(stats["stored_bytes"], before["stored_bytes"]);
    let stored = stats["stored_bytes"].as_u64().unwrap();
    let logical = stats["logical_bytes"].as_u64().unwrap();
    assert!(stored < logical, "{stats}");
    // Random data does not compress: one copy plus pack framing.
    assert!((SIZE..SIZE + SIZE / 50).contains(&stored), "{stats}");
    assert!(stats["chunks"].as_u64().unwrap() >= 5, "{stats}");
    assert_eq!(stats["saved_bytes"], logical - stored);
    assert!(stats["dedup_ratio"].as_f64().unwrap() > 1.9, "{stats}");
    let on_disk: u64 = repo
        .pack_files()
        .iter()
        .map(|p| std::fs::metadata(p).unwrap().len())
        .sum();
    assert_eq!(
        on_disk, stored,
        "stored_bytes must be the size of the pack files"
    );

    let fsck = repo.json(&["fsck", "--read-data"]);
    assert_eq!(fsck["problems"], json!([]));
    assert_eq!(fsck["chunks_verified"], stats["chunks"]);
    let dest = repo.work("out");
    repo.checkout("b", &dest);
    assert_tree(&dest, &published_tree(&[&file]));
}

#[test]
fn quiet_mode_prints_nothing_on_success() {
    let repo = Repo::new();
    let file = repo.work("f.txt");
    write_file(&file, b"quiet", 0o644);
    for args in [
        vec!["-q", "asset", "create", "q", "--type", "prop"],
        vec!["-q", "publish", "q", s(&file)],
        vec!["-q", "checkout", "q", s(&repo.work("out"))],
        vec!["-q", "gc"],
    ] {
        let out = repo.run(&args);
        expect_success(&args, &out);
        assert!(out.stdout.is_empty(), "{}", describe(&args, &out));
    }
    assert_eq!(std::fs::read(repo.work("out/f.txt")).unwrap(), b"quiet");
}

#[test]
fn help_teaches_with_examples_and_completions_are_generated() {
    let repo = Repo::bare();
    let cases: &[(&[&str], &[&str])] = &[
        (
            &["--help"],
            &[
                "bifrost init",
                "bifrost asset create",
                "bifrost publish",
                "checkout",
                "fsck",
            ],
        ),
        (
            &["init", "--help"],
            &["Examples:", "bifrost init", "--catalog postgres://"],
        ),
        (
            &["checkout", "--help"],
            &["Examples:", "hero@v3", "--force"],
        ),
        (
            &["publish", "--help"],
            &["Example:", "bifrost publish hero"],
        ),
        (
            &["asset", "create", "--help"],
            &["Example:", "--meta poly=12000"],
        ),
        (&["gc", "--help"], &["--dry-run", "--grace"]),
        (&["completions", "--help"], &["bash"]),
    ];
    for (args, needles) in cases {
        let text = expect_success(args, &repo.run(args));
        for n in *needles {
            assert!(
                text.contains(n),
                "`bifrost {}` does not mention {n:?}:\n{text}",
                args.join(" ")
            );
        }
    }
    let version = expect_success(&["--version"], &repo.run(&["--version"]));
    assert!(version.contains(env!("CARGO_PKG_VERSION")), "{version}");

    for (shell, marker) in [
        ("bash", "complete -F"),
        ("zsh", "#compdef bifrost"),
        ("fish", "complete -c bifrost"),
    ] {
        let args = ["completions", shell];
        let text = expect_success(&args, &repo.run(&args));
        assert!(
            text.len() > 1000,
            "{shell} completions are suspiciously short"
        );
        assert!(text.contains(marker), "{shell} completions lack {marker:?}");
        for sub in ["publish", "checkout", "fsck"] {
            assert!(
                text.contains(sub),
                "{shell} completions do not know `{sub}`"
            );
        }
    }
    // An unknown subcommand is a usage error (clap: status 2), with a suggestion.
    let out = repo.run(&["publsh"]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        describe(&["publsh"], &out)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("publish"));
}

#[test]
fn projects_separate_assets() {
    let repo = Repo::new();
    repo.create_asset("hero", "prop");
    let p = repo.json(&["project", "create", "film"]);
    assert_eq!(p["name"], "film");
    let list = repo.json(&["project", "list"]);
    let current: Vec<(String, bool)> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["name"].as_str().unwrap().to_owned(),
                p["current"].as_bool().unwrap(),
            )
        })
        .collect();
    assert!(current.contains(&("main".into(), true)), "{list}");
    assert!(current.contains(&("film".into(), false)), "{list}");

    // --project acts on another project without switching.
    repo.json(&[
        "--project",
        "film",
        "asset",
        "create",
        "hero",
        "--type",
        "character",
    ]);
    assert_eq!(repo.json(&["asset", "show", "hero"])["type"], "prop");
    assert_eq!(
        repo.json(&["--project", "film", "asset", "show", "hero"])["type"],
        "character"
    );

    // So does BIFROST_PROJECT.
    let out = repo
        .cmd()
        .env("BIFROST_PROJECT", "film")
        .args(["--json", "asset", "show", "hero"])
        .output()
        .unwrap();
    let shown = parse_json(
        &["asset", "show"],
        &expect_success(&["asset", "show"], &out),
    );
    assert_eq!(shown["type"], "character");
    assert_eq!(shown["project"], "film");

    // project use switches for later commands.
    repo.ok(&["project", "use", "film"]);
    assert_eq!(repo.json(&["asset", "show", "hero"])["type"], "character");
    let list = repo.json(&["project", "list"]);
    assert!(
        list.as_array()
            .unwrap()
            .iter()
            .any(|p| p["name"] == "film" && p["current"] == true)
    );
}
