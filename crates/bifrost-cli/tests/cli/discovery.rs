//! Finding the repository: from subdirectories, with -C, with BIFROST_REPO, and not at all.

use std::path::Path;

use crate::support::*;

/// Fails the test if some ancestor of `dir` is a repository (discovery tests would be meaningless).
fn assert_no_repository_above(dir: &Path) {
    for d in dir.ancestors() {
        assert!(
            !d.join(".bifrost/config.toml").exists(),
            "{} holds a Bifrost repository; the discovery tests need a temp dir outside any",
            d.display()
        );
    }
}

#[test]
fn commands_find_the_repository_from_a_subdirectory() {
    let repo = Repo::new();
    repo.create_asset("hero", "prop");
    let deep = repo.path("shots/sq010/sh0020/work");
    std::fs::create_dir_all(&deep).unwrap();
    write_file(&deep.join("layout.usd"), b"#usda 1.0\n", 0o644);

    // A relative input and a relative destination are relative to where the command runs.
    expect_success(
        &["publish"],
        &repo.run_in(&deep, &["publish", "hero", "layout.usd"]),
    );
    let out = repo.run_in(&deep, &["--json", "log", "hero"]);
    let log = parse_json(&["log"], &expect_success(&["log"], &out));
    assert_eq!(log.as_array().unwrap().len(), 1);
    expect_success(
        &["checkout"],
        &repo.run_in(&deep, &["checkout", "hero", "out"]),
    );
    assert_eq!(
        std::fs::read(deep.join("out/layout.usd")).unwrap(),
        b"#usda 1.0\n"
    );
    assert!(
        !repo.path("out").exists(),
        "the checkout must land under the subdirectory"
    );
}

#[test]
fn dash_c_selects_the_repository() {
    let repo = Repo::new();
    repo.create_asset("hero", "prop");
    std::fs::create_dir_all(repo.path("sub/dir")).unwrap();
    assert_no_repository_above(&repo.work);

    for dir in [
        s(&repo.root).to_owned(),
        s(&repo.path("sub/dir")).to_owned(),
        "../repo".to_owned(),
    ] {
        let args = ["-C", dir.as_str(), "--json", "asset", "list"];
        let out = repo.run_in(&repo.work, &args);
        let list = parse_json(&args, &expect_success(&args, &out));
        assert_eq!(list[0]["name"], "hero", "-C {dir}");
    }

    // A destination given with -C is relative to that directory.
    let file = repo.work("f.txt");
    write_file(&file, b"payload", 0o644);
    let args = ["-C", s(&repo.root), "publish", "hero", s(&file)];
    expect_success(&args, &repo.run_in(&repo.work, &args));
    let args = ["-C", s(&repo.root), "checkout", "hero", "co"];
    expect_success(&args, &repo.run_in(&repo.work, &args));
    assert_eq!(std::fs::read(repo.path("co/f.txt")).unwrap(), b"payload");

    // -C on a directory that does not exist.
    let args = ["-C", "/nonexistent/bifrost/dir", "asset", "list"];
    expect_failure(
        &args,
        &repo.run_in(&repo.work, &args),
        &["/nonexistent/bifrost/dir", "no such directory"],
    );
}

/// `-C PATH` means "run as if started in PATH" (its help says so, and checkout destinations and
/// init paths follow it), so relative publish inputs must be read from PATH too.
#[test]
fn dash_c_applies_to_relative_publish_paths() {
    let repo = Repo::new();
    repo.create_asset("hero", "prop");
    write_file(&repo.path("hero.usd"), b"inside the repo", 0o644);
    assert!(!repo.work("hero.usd").exists());
    let args = ["-C", s(&repo.root), "publish", "hero", "hero.usd"];
    let out = repo.run_in(&repo.work, &args);
    expect_success(&args, &out);
    assert_eq!(repo.versions("hero"), vec![1]);
}

#[test]
fn bifrost_repo_variable_selects_the_repository() {
    let repo = Repo::new();
    repo.create_asset("hero", "prop");
    let other = Repo::new();
    other.create_asset("villain", "character");
    assert_no_repository_above(&repo.work);

    // From outside any repository.
    let out = repo
        .cmd_in(&repo.work)
        .env("BIFROST_REPO", &repo.root)
        .args(["--json", "asset", "list"])
        .output()
        .unwrap();
    let list = parse_json(
        &["asset", "list"],
        &expect_success(&["asset", "list"], &out),
    );
    assert_eq!(list[0]["name"], "hero");

    // It wins over the repository around the current directory.
    let out = other
        .cmd()
        .env("BIFROST_REPO", &repo.root)
        .args(["--json", "asset", "list"])
        .output()
        .unwrap();
    let list = parse_json(
        &["asset", "list"],
        &expect_success(&["asset", "list"], &out),
    );
    let names: Vec<_> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].clone())
        .collect();
    assert_eq!(names, vec!["hero"]);

    // Pointing it at a directory that is not a repository, or at nothing, is an error naming the
    // path, and changes nothing there.
    for target in [repo.work.clone(), repo.work("does/not/exist")] {
        let out = repo
            .cmd_in(&repo.work)
            .env("BIFROST_REPO", &target)
            .args(["asset", "create", "x", "--type", "prop"])
            .output()
            .unwrap();
        expect_failure(
            &["asset", "create"],
            &out,
            &["no Bifrost repository", s(&target), "bifrost init"],
        );
        assert!(!target.join(".bifrost").exists());
    }
    assert_eq!(repo.asset_names(), vec!["hero"]);
}

#[test]
fn outside_any_repository_every_command_says_to_run_init() {
    let sandbox = Repo::bare();
    let dir = &sandbox.work;
    assert_no_repository_above(dir);
    write_file(&dir.join("f.txt"), b"x", 0o644);
    let cases: &[&[&str]] = &[
        &["asset", "list"],
        &["asset", "create", "hero", "--type", "prop"],
        &["asset", "show", "hero"],
        &["project", "list"],
        &["publish", "hero", "f.txt"],
        &["log", "hero"],
        &["checkout", "hero", "out"],
        &["stats"],
        &["fsck"],
        &["gc", "--dry-run"],
    ];
    for args in cases {
        let out = sandbox.run_in(dir, args);
        expect_failure(args, &out, &["no Bifrost repository found", "bifrost init"]);
        assert!(out.stdout.is_empty(), "{}", describe(args, &out));
    }
    assert!(
        !dir.join("out").exists(),
        "a failed checkout must not create its destination"
    );
    assert!(!dir.join(".bifrost").exists());
}

/// Publishing the repository root must not snapshot the repository's own `.bifrost` (its live
/// catalog, config with store credentials, and packs), just as git never tracks `.git`.
#[test]
fn publishing_the_repository_root_leaves_out_dot_bifrost() {
    let repo = Repo::new();
    repo.create_asset("set", "environment");
    write_file(&repo.path("layout.usd"), b"#usda 1.0\n", 0o644);
    write_file(&repo.path("props/chair.usd"), b"#usda 1.0\nchair\n", 0o644);
    let out = repo.json(&["publish", "set", "."]);
    let files = repo.json(&["asset", "show", "set"])["latest_files"].clone();
    let paths: Vec<&str> = files
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert_eq!(
        paths,
        vec!["layout.usd", "props/chair.usd"],
        "the version holds the repository's internals: {out}"
    );
}
