//! Batch ingest by rules (dry run, skips with reasons, resuming), duplicate scans and project
//! templates.

use serde_json::Value;

use crate::support::*;

const RULES: &str = r#"
ignore = ["**/.DS_Store"]
note = "from the share"

[[rule]]
glob = "props/*/"
asset = "{1}"
type = "prop"
tags = ["legacy", "{1}"]

[[rule]]
glob = "textures/**/*.png"
asset = "tex_{2}"
type = "texture"
"#;

/// A legacy tree: two props (one a copy of the other), a texture, an unmatched file, an
/// ignored file, a prop with a symbolic-link loop and one with a broken link.
fn legacy(repo: &Repo) -> std::path::PathBuf {
    let root = repo.work("share");
    write_random(&root.join("props/barrel/mesh.bin"), 400_000, 1);
    write_file(&root.join("props/barrel/notes.txt"), b"barrel\n", 0o644);
    write_random(&root.join("props/barrel_copy/mesh.bin"), 400_000, 1);
    write_random(&root.join("textures/wood/oak.png"), 50_000, 2);
    write_file(&root.join("props/barrel/.DS_Store"), b"junk", 0o644);
    write_file(&root.join("misc/readme.txt"), b"hello\n", 0o644);
    std::fs::create_dir_all(root.join("props/looped/sub")).unwrap();
    write_file(&root.join("props/looped/a.txt"), b"a\n", 0o644);
    std::os::unix::fs::symlink("..", root.join("props/looped/sub/up")).unwrap();
    std::fs::create_dir_all(root.join("props/dangling")).unwrap();
    std::os::unix::fs::symlink("/nonexistent/file", root.join("props/dangling/gone.bin")).unwrap();
    std::fs::write(repo.work("rules.toml"), RULES).unwrap();
    root
}

fn reasons(outcome: &Value) -> Vec<(String, String)> {
    outcome["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["path"].as_str().unwrap().to_owned(),
                s["reason"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn has(skipped: &[(String, String)], path: &str, reason: &str) -> bool {
    skipped
        .iter()
        .any(|(p, r)| p.starts_with(path) && r.contains(reason))
}

#[test]
fn ingest_publishes_by_rules_reports_skips_and_resumes() {
    let repo = Repo::new();
    let share = legacy(&repo);
    let rules = repo.work("rules.toml");
    let args = ["ingest", s(&share), "--rules", s(&rules)];

    let mut dry = args.to_vec();
    dry.push("--dry-run");
    let plan = repo.json(&dry);
    let planned: Vec<&str> = plan["plan"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    assert_eq!(planned, ["barrel", "barrel_copy", "tex_oak"], "{plan}");
    assert!(repo.asset_names().is_empty(), "a dry run created assets");
    let skipped = reasons(&plan);
    assert!(
        has(&skipped, "misc/readme.txt", "no rule matched"),
        "{skipped:?}"
    );
    assert!(
        has(&skipped, "props/looped", "symbolic link loop"),
        "{skipped:?}"
    );
    assert!(
        has(&skipped, "props/dangling", "broken symbolic link"),
        "{skipped:?}"
    );
    assert!(
        !skipped.iter().any(|(p, _)| p.contains(".DS_Store")),
        "{skipped:?}"
    );

    let done = repo.json(&args);
    assert_eq!(done["published"].as_array().unwrap().len(), 3, "{done}");
    let barrel = repo.json(&["asset", "show", "barrel"]);
    assert_eq!(barrel["type"], "prop");
    assert_eq!(barrel["tags"], serde_json::json!(["barrel", "legacy"]));
    let v1 = repo.work("barrel_v1");
    repo.checkout("barrel@v1", &v1);
    let mut expected = tree(&share.join("props/barrel"));
    expected.remove(".DS_Store");
    assert_tree(&v1, &expected);
    assert_eq!(repo.json(&["log", "barrel"])[0]["note"], "from the share");
    // The copy deduplicated: stored well under the bytes read.
    assert!(done["bytes_stored"].as_u64().unwrap() < done["bytes_read"].as_u64().unwrap() * 3 / 4);

    // Run again: everything is unchanged and nothing is stored.
    let stored = repo.json(&["stats"])["stored_bytes"].clone();
    let again = repo.json(&args);
    assert_eq!(again["published"].as_array().unwrap().len(), 0, "{again}");
    assert_eq!(again["unchanged"].as_array().unwrap().len(), 3);
    assert_eq!(repo.json(&["stats"])["stored_bytes"], stored);

    // After an interruption (here: one asset changed, one added), only those are published.
    write_file(
        &share.join("props/barrel/notes.txt"),
        b"barrel, fixed\n",
        0o644,
    );
    write_random(&share.join("props/crate/mesh.bin"), 10_000, 5);
    let resumed = repo.json(&args);
    let mut published: Vec<(String, i64)> = resumed["published"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p[0].as_str().unwrap().to_owned(), p[1].as_i64().unwrap()))
        .collect();
    published.sort();
    assert_eq!(
        published,
        [("barrel".to_owned(), 2), ("crate".to_owned(), 1)]
    );
    assert_eq!(repo.versions("barrel_copy"), [1]);
}

#[test]
fn unreadable_files_are_skipped_with_their_asset() {
    let repo = Repo::new();
    let share = repo.work("share");
    write_file(&share.join("props/ok/a.txt"), b"ok\n", 0o644);
    let secret = share.join("props/secret/locked.bin");
    write_file(&secret, b"secret\n", 0o644);
    write_file(&share.join("props/secret/open.txt"), b"open\n", 0o644);
    set_mode(&secret, 0o000);
    std::fs::write(repo.work("rules.toml"), RULES).unwrap();
    let bypassed = permissions_are_bypassed(&repo.work);
    let done = repo.json(&["ingest", s(&share), "--rules", s(&repo.work("rules.toml"))]);
    set_mode(&secret, 0o644);
    let skipped = reasons(&done);
    if bypassed {
        // Running as root: chmod 000 does not stop reading, so the asset is ingested whole.
        assert_eq!(repo.asset_names(), ["ok", "secret"], "{done}");
    } else {
        assert!(
            has(&skipped, "props/secret/locked.bin", "unreadable"),
            "{skipped:?}"
        );
        assert!(has(&skipped, "props/secret/", "left out"), "{skipped:?}");
        assert_eq!(repo.asset_names(), ["ok"], "{done}");
    }
}

#[test]
fn bad_rules_are_explained() {
    let repo = Repo::new();
    let share = repo.work("share");
    write_file(&share.join("props/a/x.txt"), b"x", 0o644);
    let rules = repo.work("bad.toml");
    let run = |text: &str, fragments: &[&str]| {
        std::fs::write(&rules, text).unwrap();
        repo.fails(&["ingest", s(&share), "--rules", s(&rules)], fragments);
    };
    run("[[rule]\nglob = ", &["bad.toml"]);
    run(
        "[[rule]]\nglob = \"props/*/\"\nasset = \"{2}\"\ntype = \"prop\"\n",
        &["{2}", "1 wildcard"],
    );
    run(
        "[[rule]]\nglob = \"props/*/\"\nasset = \"{1}\"\n",
        &["type"],
    );
    run("note = \"x\"\n", &["[[rule]]"]);
    std::fs::write(&rules, RULES).unwrap();
    repo.fails(
        &["ingest", s(&repo.work("missing")), "--rules", s(&rules)],
        &["missing"],
    );
}

#[test]
fn dedupe_reports_duplicates_and_savings() {
    let repo = Repo::bare();
    let dir = repo.work("scan");
    write_random(&dir.join("a/big.bin"), 300_000, 1);
    write_random(&dir.join("b/big_copy.bin"), 300_000, 1);
    write_random(&dir.join("c/other.bin"), 300_000, 2);
    write_file(&dir.join("small1.txt"), b"same", 0o644);
    write_file(&dir.join("small2.txt"), b"same", 0o644);
    let args = ["--json", "dedupe", s(&dir)];
    let report = parse_json(
        &args,
        &expect_success(&args, &repo.run_in(&repo.work, &args)),
    );
    assert_eq!(report["files"], 5);
    assert_eq!(report["groups"].as_array().unwrap().len(), 2, "{report}");
    assert_eq!(
        report["groups"][0]["paths"],
        serde_json::json!(["a/big.bin", "b/big_copy.bin"])
    );
    assert_eq!(report["duplicate_bytes"], 300_004);
    assert_eq!(report["hashed"], 5);
    let args = ["--json", "dedupe", s(&dir), "--chunks"];
    let chunks = parse_json(
        &args,
        &expect_success(&args, &repo.run_in(&repo.work, &args)),
    );
    let saved = chunks["chunk_saved_bytes"].as_u64().unwrap();
    assert!(saved >= 300_000, "{chunks}");
    let nope = dir.join("nope");
    let args = ["dedupe", s(&nope)];
    expect_failure(&args, &repo.run_in(&repo.work, &args), &["nope"]);
}

#[test]
fn project_templates_create_a_production_quickly() {
    let repo = Repo::new();
    let started = std::time::Instant::now();
    let film = repo.json(&["project", "create", "show", "--template", "film"]);
    let took = started.elapsed();
    assert_eq!(film["sequences"], 3, "{film}");
    assert_eq!(film["shots"], 12);
    assert!(
        film["departments"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d == "animation")
    );
    assert!(
        film["statuses"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d == "cbb")
    );
    let shots = repo.json(&["-p", "show", "shot", "list"]);
    assert_eq!(shots.as_array().unwrap().len(), 12);
    let game = repo.json(&["project", "create", "game1", "--template", "game"]);
    assert_eq!(game["template"], "game");
    let series = repo.json(&["project", "create", "ep", "--template", "series"]);
    assert_eq!(series["sequences"], 4);
    // Reported, not asserted on (no timed assertions): the issue asks for under 5 s.
    eprintln!("film template took {took:?}");
    repo.fails(
        &["project", "create", "show", "--template", "film"],
        &["show"],
    );
    let usage = repo.run(&["project", "create", "x", "--template", "opera"]);
    assert_eq!(usage.status.code(), Some(2));
}

#[test]
fn ingest_and_packages_on_postgres() {
    let db = crate::postgres::TestDatabase::new();
    let repo = Repo::init_with(&["--catalog", &db.url()]);
    let share = legacy(&repo);
    let rules = repo.work("rules.toml");
    let args = ["ingest", s(&share), "--rules", s(&rules)];
    let done = repo.json(&args);
    assert_eq!(done["published"].as_array().unwrap().len(), 3, "{done}");
    let again = repo.json(&args);
    assert_eq!(again["unchanged"].as_array().unwrap().len(), 3, "{again}");
    let audit = repo.json(&["audit", "--since", "1h"]);
    assert!(audit.to_string().contains("barrel@v1"), "{audit}");

    let pkg = repo.work("barrel.bfpkg");
    repo.json(&["pkg", "create", s(&pkg), "barrel", "tex_oak"]);
    let other = crate::postgres::TestDatabase::new();
    let dst = Repo::init_with(&["--catalog", &other.url()]);
    let imported = dst.json(&["pkg", "import", s(&pkg)]);
    assert_eq!(
        imported["assets"].as_array().unwrap().len(),
        2,
        "{imported}"
    );
    assert_eq!(dst.asset_names(), ["barrel", "tex_oak"]);
    let again = dst.json(&["pkg", "import", s(&pkg)]);
    assert_eq!(again["new_contents"], 0);
}

#[test]
fn cleanup_removes_stale_temporary_files_only() {
    let repo = Repo::new();
    let old_import = repo.path(".bifrost/tmp/import-abc");
    write_file(&old_import.join("content"), &[7u8; 1000], 0o644);
    backdate(&old_import, "2001-01-01");
    let fresh = repo.path(".bifrost/tmp/import-fresh");
    write_file(&fresh.join("content"), b"in progress", 0o644);
    let stale_pkg = repo.work("out/.bifrost-pkg-x1.tmp");
    write_file(&stale_pkg, &[1u8; 500], 0o644);
    backdate(&stale_pkg, "2001-01-01");
    let mine = repo.work("out/.bifrost-notes.txt");
    write_file(&mine, b"not ours", 0o644);
    backdate(&mine, "2001-01-01");
    let out = repo.work("out");
    let args = ["cleanup", "--also", s(&out)];
    let dry = repo.json(&[args.as_slice(), &["--dry-run"]].concat());
    assert_eq!(dry["temp_removed"], 2, "{dry}");
    assert!(old_import.exists() && stale_pkg.exists());
    let done = repo.json(&args);
    assert_eq!(done["temp_removed"], 2, "{done}");
    assert!(done["temp_bytes_removed"].as_u64().unwrap() >= 1500);
    assert!(!old_import.exists() && !stale_pkg.exists());
    assert!(fresh.exists(), "a fresh temporary directory was removed");
    assert!(mine.exists(), "a file that is not Bifrost's was removed");
}
