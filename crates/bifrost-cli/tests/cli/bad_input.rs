//! Bad input: each case fails with exit status 1 and a clear message, and changes nothing.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::support::*;

/// Everything a failed command must leave as it was.
#[derive(Debug, PartialEq)]
struct Snapshot {
    hero_versions: Vec<i64>,
    assets: Vec<String>,
    packs: Vec<PathBuf>,
    config: Vec<u8>,
}

fn snapshot(repo: &Repo) -> Snapshot {
    Snapshot {
        hero_versions: repo.versions("hero"),
        assets: repo.asset_names(),
        packs: repo.pack_files(),
        config: std::fs::read(repo.path(".bifrost/config.toml")).unwrap(),
    }
}

/// A repository with `hero@v1` and a few inputs that are broken in different ways.
fn fixture() -> Repo {
    let repo = Repo::new();
    repo.create_asset("hero", "prop");
    let good = repo.work("good.bin");
    write_random(&good, 100_000, 7);
    repo.publish("hero", &[&good]);
    repo.create_asset("fresh", "prop");

    std::fs::create_dir_all(repo.work("empty_dir/nested")).unwrap();
    // A directory whose only file is a dangling symbolic link.
    write_file(&repo.work("dangling/ok.txt"), b"fine", 0o644);
    std::os::unix::fs::symlink("/nonexistent/target", repo.work("dangling/broken")).unwrap();
    // A directory containing a link to its own parent.
    write_file(&repo.work("loop/ok.txt"), b"fine", 0o644);
    std::os::unix::fs::symlink("..", repo.work("loop/up")).unwrap();
    // Two directories that would both store `same.txt`.
    write_file(&repo.work("c1/same.txt"), b"one", 0o644);
    write_file(&repo.work("c2/same.txt"), b"two", 0o644);
    repo
}

struct Case {
    what: &'static str,
    args: Vec<String>,
    fragments: Vec<String>,
    /// A path the failed command must not have created.
    not_created: Option<PathBuf>,
}

fn case(what: &'static str, args: &[&str], fragments: &[&str]) -> Case {
    Case {
        what,
        args: args.iter().map(|a| (*a).to_owned()).collect(),
        fragments: fragments.iter().map(|f| (*f).to_owned()).collect(),
        not_created: None,
    }
}

fn run_cases(repo: &Repo, cases: Vec<Case>) {
    let before = snapshot(repo);
    for c in cases {
        let args: Vec<&str> = c.args.iter().map(String::as_str).collect();
        let fragments: Vec<&str> = c.fragments.iter().map(String::as_str).collect();
        let out = repo.run(&args);
        let stderr = expect_failure(&args, &out, &fragments);
        assert!(
            !stderr.contains("panicked"),
            "{}: bifrost panicked:\n{stderr}",
            c.what
        );
        assert!(
            out.stdout.is_empty(),
            "{}: a failure printed a result:\n{}",
            c.what,
            describe(&args, &out)
        );
        if let Some(p) = &c.not_created {
            assert!(!p.exists(), "{}: {} was created", c.what, p.display());
        }
        assert_eq!(snapshot(repo), before, "{}: the repository changed", c.what);
    }
}

#[test]
fn bad_publish_inputs_are_refused_and_change_nothing() {
    let repo = fixture();
    let w = |rel: &str| s(&repo.work(rel)).to_owned();
    let mut cases = vec![
        case(
            "missing path",
            &["publish", "hero", &w("missing.bin")],
            &["cannot read", "missing.bin", "No such file or directory"],
        ),
        case(
            "missing among good ones",
            &["publish", "hero", &w("good.bin"), &w("missing.bin")],
            &["missing.bin"],
        ),
        case(
            "empty directory",
            &["publish", "hero", &w("empty_dir")],
            &["nothing to publish"],
        ),
        case(
            "dangling link",
            &["publish", "hero", &w("dangling")],
            &["cannot read", "broken"],
        ),
        case(
            "link loop",
            &["publish", "hero", &w("loop")],
            &["cannot read", "loop"],
        ),
        case(
            "path collision",
            &["publish", "hero", &w("c1"), &w("c2")],
            &["same.txt", "separate directories"],
        ),
        case(
            "unknown asset",
            &["publish", "ghost", &w("good.bin")],
            &["asset `ghost` does not exist"],
        ),
        // A regular file whose read fails (EIO), even for root.
        case(
            "read error",
            &["publish", "hero", "/proc/self/mem"],
            &["cannot read", "/proc/self/mem", "Input/output error"],
        ),
    ];
    if permissions_are_bypassed(&repo.work) {
        // Running as root (or with CAP_DAC_OVERRIDE): chmod 000 cannot make a file or directory
        // unreadable, so the permission-denied cases are not staged; the /proc/self/mem case
        // above covers a file that cannot be read.
        eprintln!(
            "note: permission bits are bypassed here; permission-denied publish cases skipped"
        );
    } else {
        write_file(&repo.work("locked.bin"), b"secret", 0o000);
        write_file(&repo.work("locked_dir/inner/x.txt"), b"x", 0o644);
        set_mode(&repo.work("locked_dir/inner"), 0o000);
        cases.push(case(
            "unreadable file",
            &["publish", "hero", &w("locked.bin")],
            &["cannot read", "locked.bin", "ermission denied"],
        ));
        cases.push(case(
            "untraversable directory",
            &["publish", "hero", &w("locked_dir")],
            &["cannot read", "inner", "ermission denied"],
        ));
    }
    run_cases(&repo, cases);
    if !permissions_are_bypassed(&repo.work) {
        set_mode(&repo.work("locked_dir/inner"), 0o755);
    }
}

#[test]
fn bad_names_refs_and_options_are_refused_and_change_nothing() {
    let repo = fixture();
    let too_long = "a".repeat(300);
    let out_dir = repo.work("never");
    let out = s(&out_dir).to_owned();
    let mut cases = vec![
        case(
            "name taken",
            &["asset", "create", "hero", "--type", "prop"],
            &["asset `hero` already exists", "main"],
        ),
        case(
            "empty name",
            &["asset", "create", "", "--type", "prop"],
            &["invalid asset name", "cannot be empty"],
        ),
        case(
            "slash in name",
            &["asset", "create", "a/b", "--type", "prop"],
            &["invalid asset name `a/b`", "`/` is not allowed"],
        ),
        case(
            "at in name",
            &["asset", "create", "x@v1", "--type", "prop"],
            &["invalid asset name `x@v1`", "`@` is not allowed"],
        ),
        case(
            "300 characters",
            &["asset", "create", &too_long, "--type", "prop"],
            &["invalid asset name", "at most 200 characters"],
        ),
        case(
            "leading dot",
            &["asset", "create", ".hidden", "--type", "prop"],
            &["must start with a letter or a digit"],
        ),
        case(
            "bad type",
            &["asset", "create", "ok", "--type", "a b"],
            &["invalid asset type `a b`"],
        ),
        case(
            "meta without =",
            &["asset", "create", "ok", "--type", "prop", "--meta", "poly"],
            &["--meta `poly`", "KEY=VALUE"],
        ),
        case(
            "meta without key",
            &["asset", "create", "ok", "--type", "prop", "--meta", "=1"],
            &["--meta `=1`", "key is empty"],
        ),
        case(
            "version missing",
            &["checkout", "hero@v9", &out],
            &["version v9 of `hero` does not exist", "latest is v1"],
        ),
        case(
            "ref vx",
            &["checkout", "hero@vx", &out],
            &["`hero@vx` is not a version reference", "hero@v3"],
        ),
        case(
            "ref v0",
            &["checkout", "hero@v0", &out],
            &["not a version reference"],
        ),
        case(
            "ref without name",
            &["checkout", "@v1", &out],
            &["not a version reference"],
        ),
        case(
            "ref without version",
            &["checkout", "hero@", &out],
            &["not a version reference"],
        ),
        case(
            "unknown asset checkout",
            &["checkout", "ghost", &out],
            &["asset `ghost` does not exist"],
        ),
        case(
            "asset without versions",
            &["checkout", "fresh", &out],
            &["asset `fresh` has no version yet"],
        ),
        case(
            "version of an asset without versions",
            &["checkout", "fresh@v1", &out],
            &[
                "version v1 of `fresh` does not exist",
                "no version has been published yet",
            ],
        ),
        case(
            "unknown asset log",
            &["log", "ghost"],
            &["asset `ghost` does not exist"],
        ),
        case(
            "unknown asset show",
            &["asset", "show", "ghost"],
            &["asset `ghost` does not exist"],
        ),
        case(
            "bad grace",
            &["gc", "--grace", "1w"],
            &["`1w` is not a duration"],
        ),
        case(
            "negative grace",
            &["gc", "--grace=-1s"],
            &["not a duration"],
        ),
        case(
            "grace overflowing",
            &["gc", "--grace", "999999999999999999d"],
            &["a duration of `999999999999999999d` is too long"],
        ),
        case(
            "token lifetime of 100 million days",
            &[
                "token",
                "create",
                "--user",
                "ana",
                "--expires",
                "100000000d",
            ],
            &[
                "a duration of `100000000d` is too long",
                "the longest accepted is 36500d",
            ],
        ),
        case(
            "token lifetime overflowing",
            &[
                "token",
                "create",
                "--user",
                "ana",
                "--expires",
                "999999999999999999d",
            ],
            &["is too long"],
        ),
        case(
            "token lifetime of u64::MAX seconds",
            &[
                "token",
                "create",
                "--user",
                "ana",
                "--expires",
                "18446744073709551615",
            ],
            &["a duration of `18446744073709551615` is too long"],
        ),
        case(
            "token lifetime of zero",
            &["token", "create", "--user", "ana", "--expires", "0"],
            &["a token lifetime of 0s is out of range", "between 1 second"],
        ),
        case(
            "lock lease of 100 million days",
            &["lock", "hero", "--ttl", "100000000d"],
            &["a duration of `100000000d` is too long"],
        ),
        case(
            "unknown project",
            &["--project", "nosuch", "asset", "list"],
            &["project `nosuch` does not exist"],
        ),
        case(
            "use unknown project",
            &["project", "use", "nosuch"],
            &["project `nosuch` does not exist"],
        ),
        case(
            "project taken",
            &["project", "create", "main"],
            &["project `main` already exists"],
        ),
        case(
            "init twice",
            &["init"],
            &["already holds a Bifrost repository"],
        ),
        case(
            "init twice by path",
            &["init", s(&repo.root)],
            &["already holds a Bifrost repository"],
        ),
    ];
    for c in cases.iter_mut().filter(|c| c.args[0] == "checkout") {
        c.not_created = Some(out_dir.clone());
    }
    run_cases(&repo, cases);
}

/// A tag is not an asset type: its error must say "tag".
#[test]
fn invalid_tag_error_names_the_tag() {
    let repo = Repo::new();
    let args = ["asset", "create", "ok", "--type", "prop", "--tag", "a b"];
    let stderr = repo.fails(&args, &["invalid tag `a b`"]);
    assert!(
        !stderr.contains("asset type"),
        "the error blames the asset type for a bad tag:\n{stderr}"
    );
    assert!(repo.asset_names().is_empty());
}

#[test]
fn long_non_ascii_names_work_end_to_end() {
    let repo = Repo::new();
    let name = "バレル".repeat(66) + "é_"; // 200 characters, 602 bytes
    assert_eq!(name.chars().count(), 200);
    let created = repo.create_asset(&name, "小道具");
    assert_eq!(created["name"], name.as_str());
    let file = repo.work("データ.bin");
    write_random(&file, 50_000, 3);
    repo.publish(&name, &[&file]);
    repo.publish(&name, &[&file]);
    assert_eq!(repo.versions(&name), vec![1, 2]);
    assert_eq!(repo.asset_names(), vec![name.clone()]);
    let dest = repo.work("out");
    repo.checkout(&format!("{name}@v1"), &dest);
    assert_tree(&dest, &published_tree(&[&file]));
    // One more character is one too many.
    let over = format!("{name}x");
    repo.fails(
        &["asset", "create", &over, "--type", "prop"],
        &["at most 200 characters"],
    );
}

#[test]
fn checkout_never_overwrites_without_force() {
    let repo = Repo::new();
    repo.create_asset("hero", "prop");
    let src = repo.work("src");
    write_file(&src.join("a.txt"), b"published a", 0o644);
    write_file(&src.join("sub/b.txt"), b"published b", 0o755);
    repo.publish("hero", &[&src]);

    let dest = repo.work("dest");
    write_file(&dest.join("a.txt"), b"local edits", 0o600);
    let args = ["checkout", "hero", s(&dest)];
    repo.fails(&args, &["already exists", "a.txt", "--force"]);
    assert_eq!(std::fs::read(dest.join("a.txt")).unwrap(), b"local edits");
    assert_eq!(mode_of(&dest.join("a.txt")), 0o600);
    assert!(
        !dest.join("sub/b.txt").exists(),
        "a refused checkout must write nothing"
    );
    assert_eq!(
        tree(&dest).len(),
        1,
        "no temporary files may be left behind"
    );

    repo.ok(&["checkout", "hero", s(&dest), "--force"]);
    assert_tree(&dest, &published_tree(&[&src]));

    // A second checkout on top of a complete one is refused too.
    repo.fails(&args, &["already exists"]);
    assert_tree(&dest, &published_tree(&[&src]));
}

#[test]
fn checkout_into_an_unwritable_destination_fails_clearly() {
    let repo = Repo::new();
    repo.create_asset("hero", "prop");
    let file = repo.work("f.txt");
    write_file(&file, b"data", 0o644);
    repo.publish("hero", &[&file]);

    // A destination under a regular file cannot be created, root or not.
    let blocker = repo.work("blocker");
    write_file(&blocker, b"i am a file", 0o644);
    let dest = blocker.join("sub");
    repo.fails(
        &["checkout", "hero", s(&dest)],
        &["cannot write", "blocker", "Not a directory"],
    );
    assert_eq!(std::fs::read(&blocker).unwrap(), b"i am a file");

    if permissions_are_bypassed(&repo.work) {
        // As root a read-only directory is writable: the read-only case cannot be staged.
        eprintln!("note: permission bits are bypassed here; read-only destination case skipped");
    } else {
        let ro = repo.work("readonly");
        std::fs::create_dir_all(&ro).unwrap();
        set_mode(&ro, 0o555);
        repo.fails(
            &["checkout", "hero", s(&ro)],
            &["cannot write", "readonly", "permission denied"],
        );
        set_mode(&ro, 0o755);
        assert!(tree(&ro).is_empty());
    }
}

#[test]
fn init_twice_keeps_the_first_repository() {
    let repo = Repo::new();
    repo.create_asset("hero", "prop");
    let config = std::fs::read(repo.path(".bifrost/config.toml")).unwrap();
    expect_failure(
        &["init"],
        &repo.run(&["init"]),
        &["already holds a Bifrost repository"],
    );
    let args = ["-C", s(&repo.root), "init"];
    expect_failure(
        &args,
        &repo.run_in(&repo.work, &args),
        &["already holds a Bifrost repository"],
    );
    assert_eq!(
        std::fs::read(repo.path(".bifrost/config.toml")).unwrap(),
        config
    );
    assert_eq!(repo.asset_names(), vec!["hero"]);
}

fn assert_no_dot_dir(dir: &Path) {
    assert!(
        !dir.join(".bifrost").exists(),
        "a failed init left {} behind",
        dir.join(".bifrost").display()
    );
}

#[test]
fn init_with_an_unusable_catalog_or_store_fails_fast_and_leaves_nothing() {
    let sandbox = Repo::bare();
    let cases: &[(&[&str], &[&str])] = &[
        (
            &["init", "--catalog", "postgres://postgres@127.0.0.1:1/x"],
            &[
                "catalog",
                "postgres://postgres@127.0.0.1:1/x",
                "Connection refused",
            ],
        ),
        (
            &["init", "--catalog", "postgres://bob:hunter2@127.0.0.1:1/x"],
            &["catalog", "postgres://bob:***@127.0.0.1:1/x"],
        ),
        (
            &["init", "--catalog", "mysql://db/x"],
            &["not a catalog URL", "only SQLite and PostgreSQL"],
        ),
        (
            &["init", "--store", "ftp://host/x"],
            &["cannot use store URL", "unsupported scheme `ftp`"],
        ),
        (
            &[
                "init",
                "--store",
                "s3://b?bogus=1&access_key_id=a&secret_access_key=hunter2",
            ],
            &["unknown parameter `bogus`"],
        ),
    ];
    for (args, fragments) in cases {
        let started = Instant::now();
        let out = sandbox.run(args);
        let took = started.elapsed();
        let stderr = expect_failure(args, &out, fragments);
        assert!(
            !stderr.contains("hunter2"),
            "a password leaked into the message:\n{stderr}"
        );
        assert!(
            took < Duration::from_secs(10),
            "`bifrost {}` took {took:?}",
            args.join(" ")
        );
        assert_no_dot_dir(&sandbox.root);
    }
    // With a PATH argument: the repository directory may be made, its .bifrost may not stay.
    let args = [
        "init",
        "newrepo",
        "--catalog",
        "postgres://postgres@127.0.0.1:1/x",
    ];
    expect_failure(&args, &sandbox.run(&args), &["cannot reach the catalog"]);
    assert_no_dot_dir(&sandbox.root.join("newrepo"));
    // And after all that, a plain init works.
    sandbox.ok(&["init", "-q"]);
}

/// Error messages name their cause once: `error: cannot read `x`: No such file or directory
/// (os error 2): No such file or directory (os error 2)` repeats it.
#[test]
fn error_messages_do_not_repeat_their_cause() {
    let repo = Repo::new();
    repo.create_asset("hero", "prop");
    let blocker = repo.work("blocker");
    write_file(&blocker, b"file", 0o644);
    write_file(&repo.work("f.txt"), b"data", 0o644);
    repo.publish("hero", &[&repo.work("f.txt")]);
    let cases: Vec<(Vec<String>, &str)> = vec![
        (
            vec![
                "publish".into(),
                "hero".into(),
                s(&repo.work("missing")).into(),
            ],
            "No such file or directory",
        ),
        (
            vec![
                "checkout".into(),
                "hero".into(),
                format!("{}/sub", s(&blocker)),
            ],
            "Not a directory",
        ),
        (
            vec![
                "init".into(),
                "other".into(),
                "--catalog".into(),
                "postgres://postgres@127.0.0.1:1/x".into(),
            ],
            "Connection refused",
        ),
    ];
    for (args, cause) in cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let stderr = repo.fails(&args, &[cause]);
        assert_eq!(
            stderr.matches(cause).count(),
            1,
            "`bifrost {}` repeats {cause:?}:\n{stderr}",
            args.join(" ")
        );
    }
}

/// Output piped into a reader that stops early (`bifrost … | head`) ends the command quietly,
/// with no panic message.
#[test]
fn closed_stdout_pipe_ends_quietly() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = bifrost_std(dir.path(), dir.path())
        .args(["completions", "bash"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Close the reading end at once: the completion script is larger than a pipe buffer, so
    // the command's writes fail whether or not some went through first.
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(out.status.code(), Some(141), "{stderr}");
}
