//! Helpers shared by the CLI tests: a sandboxed repository, command runners that explain their
//! failures, random data, and tree comparison (bytes and permission bits).

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;

use rand::{RngCore, SeedableRng};
use serde_json::Value;

/// Author every test publishes as.
pub const AUTHOR: &str = "tester";

/// Path of the binary under test (for processes the tests spawn and kill themselves).
pub const BIN: &str = env!("CARGO_BIN_EXE_bifrost");

/// A `bifrost` command with a clean, deterministic environment: no `BIFROST_REPO`,
/// `BIFROST_PROJECT`, AWS or proxy variables from the developer's shell.
pub fn bifrost(cwd: &Path, home: &Path) -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::cargo_bin("bifrost").expect("the bifrost binary is built");
    cmd.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("BIFROST_AUTHOR", AUTHOR)
        .current_dir(cwd)
        .timeout(Duration::from_secs(180));
    cmd
}

/// The same environment for a `std::process::Command` (for children the test must kill).
pub fn bifrost_std(cwd: &Path, home: &Path) -> std::process::Command {
    let mut cmd = std::process::Command::new(BIN);
    cmd.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("BIFROST_AUTHOR", AUTHOR)
        .current_dir(cwd);
    cmd
}

/// Starts `bifrost --json serve` on a free port of `repo`: the child and the address it
/// announced (the caller stops it).
// The child is returned, and waited for, by the caller: clippy cannot see across the return.
#[allow(clippy::zombie_processes)]
pub fn spawn_server(repo: &Repo) -> (std::process::Child, String) {
    spawn_server_with(repo, &[], &[])
}

/// [`spawn_server`] with more `serve` arguments and environment variables.
// The child is returned, and waited for, by the caller: clippy cannot see across the return.
#[allow(clippy::zombie_processes)]
pub fn spawn_server_with(
    repo: &Repo,
    extra: &[&str],
    env: &[(&str, &str)],
) -> (std::process::Child, String) {
    use std::io::{BufRead, BufReader};
    let mut child = bifrost_std(&repo.root, &repo.home)
        .args(["--json", "serve", "--listen", "127.0.0.1:0"])
        .args(extra)
        .envs(env.iter().copied())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("bifrost serve starts");
    // The --json announcement (pretty-printed over several lines) names the bound address.
    let mut stdout = BufReader::new(child.stdout.take().expect("piped stdout"));
    let mut text = String::new();
    loop {
        assert!(
            stdout.read_line(&mut text).expect("serve's stdout") > 0,
            "serve printed: {text}"
        );
        if let Ok(value) = serde_json::from_str::<Value>(&text) {
            let address = value["listening"].as_str().expect("an address").to_owned();
            return (child, address);
        }
    }
}

/// `path` as `&str` (test paths are always UTF-8).
pub fn s(path: &Path) -> &str {
    path.to_str().expect("test paths are UTF-8")
}

/// Renders an output for assertion messages.
pub fn describe(args: &[&str], out: &Output) -> String {
    format!(
        "bifrost {}\nexit: {:?}\n--- stdout ---\n{}\n--- stderr ---\n{}",
        args.join(" "),
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Asserts that `out` is a clean success and returns its stdout.
pub fn expect_success(args: &[&str], out: &Output) -> String {
    assert!(
        out.status.success(),
        "expected success:\n{}",
        describe(args, out)
    );
    String::from_utf8(out.stdout.clone()).expect("stdout is UTF-8")
}

/// Asserts that `out` is a failure with exit status 1, an `error:` line on stderr containing every
/// fragment, and returns stderr.
pub fn expect_failure(args: &[&str], out: &Output, fragments: &[&str]) -> String {
    assert_eq!(
        out.status.code(),
        Some(1),
        "expected exit status 1:\n{}",
        describe(args, out)
    );
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        stderr.contains("error:"),
        "stderr has no `error:` line:\n{}",
        describe(args, out)
    );
    for f in fragments {
        assert!(
            stderr.contains(f),
            "stderr does not mention {f:?}:\n{}",
            describe(args, out)
        );
    }
    stderr
}

/// Parses stdout as JSON.
pub fn parse_json(args: &[&str], stdout: &str) -> Value {
    serde_json::from_str(stdout).unwrap_or_else(|e| {
        panic!(
            "bifrost {} printed invalid JSON ({e}):\n{stdout}",
            args.join(" ")
        )
    })
}

/// A temporary sandbox: a home directory, a work area and (usually) a repository.
pub struct Repo {
    /// Keeps everything alive; removed on drop.
    _tmp: tempfile::TempDir,
    /// The repository root (the directory holding `.bifrost`).
    pub root: PathBuf,
    /// `$HOME` of every command.
    pub home: PathBuf,
    /// A directory outside the repository, for inputs and checkouts.
    pub work: PathBuf,
}

impl Repo {
    /// A sandbox whose `root` exists but holds no repository yet.
    pub fn bare() -> Self {
        let tmp = tempfile::Builder::new()
            .prefix("bifrost-cli-test-")
            .tempdir()
            .expect("temp dir");
        let base = tmp.path().canonicalize().expect("canonical temp dir");
        let root = base.join("repo");
        let home = base.join("home");
        let work = base.join("work");
        for d in [&root, &home, &work] {
            std::fs::create_dir_all(d).expect("sandbox dirs");
        }
        Self {
            _tmp: tmp,
            root,
            home,
            work,
        }
    }

    /// A sandbox with a default repository (SQLite catalog, local store).
    pub fn new() -> Self {
        Self::init_with(&[])
    }

    /// A sandbox with a repository created by `bifrost init EXTRA…`.
    pub fn init_with(extra: &[&str]) -> Self {
        let repo = Self::bare();
        let mut args = vec!["init", "-q"];
        args.extend_from_slice(extra);
        repo.ok(&args);
        assert!(
            repo.root.join(".bifrost/config.toml").is_file(),
            "init left no config.toml"
        );
        repo
    }

    /// A command run in the repository root.
    pub fn cmd(&self) -> assert_cmd::Command {
        bifrost(&self.root, &self.home)
    }

    /// A command run in `dir`.
    pub fn cmd_in(&self, dir: &Path) -> assert_cmd::Command {
        bifrost(dir, &self.home)
    }

    /// Runs `bifrost ARGS` in the repository root.
    pub fn run(&self, args: &[&str]) -> Output {
        self.cmd().args(args).output().expect("bifrost runs")
    }

    /// Runs `bifrost ARGS` in `dir`.
    pub fn run_in(&self, dir: &Path, args: &[&str]) -> Output {
        self.cmd_in(dir).args(args).output().expect("bifrost runs")
    }

    /// Runs and asserts success; returns stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        expect_success(args, &self.run(args))
    }

    /// Runs and asserts failure mentioning every fragment; returns stderr.
    pub fn fails(&self, args: &[&str], fragments: &[&str]) -> String {
        expect_failure(args, &self.run(args), fragments)
    }

    /// Runs `bifrost --json ARGS`, asserts success and parses stdout.
    pub fn json(&self, args: &[&str]) -> Value {
        let mut full = vec!["--json"];
        full.extend_from_slice(args);
        parse_json(&full, &self.ok(&full))
    }

    /// Creates an asset of `asset_type`.
    pub fn create_asset(&self, name: &str, asset_type: &str) -> Value {
        self.json(&["asset", "create", name, "--type", asset_type])
    }

    /// Publishes `paths` as the next version of `asset`; returns the JSON outcome.
    pub fn publish(&self, asset: &str, paths: &[&Path]) -> Value {
        let mut args = vec!["publish", asset];
        args.extend(paths.iter().map(|p| s(p)));
        self.json(&args)
    }

    /// Checks `reference` out into `dest`; returns the JSON outcome.
    pub fn checkout(&self, reference: &str, dest: &Path) -> Value {
        self.json(&["checkout", reference, s(dest)])
    }

    /// Version numbers of `asset`, oldest first.
    pub fn versions(&self, asset: &str) -> Vec<i64> {
        self.json(&["log", asset])
            .as_array()
            .expect("log --json is an array")
            .iter()
            .map(|v| v["number"].as_i64().expect("number"))
            .collect()
    }

    /// Names of the assets of the current project, sorted.
    pub fn asset_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .json(&["asset", "list"])
            .as_array()
            .expect("asset list --json is an array")
            .iter()
            .map(|a| a["name"].as_str().expect("name").to_owned())
            .collect();
        names.sort();
        names
    }

    /// `root/rel`.
    pub fn path(&self, rel: &str) -> PathBuf {
        self.root.join(rel)
    }

    /// `work/rel`.
    pub fn work(&self, rel: &str) -> PathBuf {
        self.work.join(rel)
    }

    /// The local store directory.
    pub fn store(&self) -> PathBuf {
        self.root.join(".bifrost/store")
    }

    /// Every `*.pack` file of the local store, sorted.
    pub fn pack_files(&self) -> Vec<PathBuf> {
        let mut packs: Vec<PathBuf> = all_files(&self.store().join("packs"))
            .into_iter()
            .filter(|p| p.extension() == Some(OsStr::new("pack")))
            .collect();
        packs.sort();
        packs
    }
}

/// Every regular file under `dir` (recursively), sorted; empty if `dir` does not exist.
pub fn all_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for e in entries {
        let e = e.expect("dir entry");
        let ft = e.file_type().expect("file type");
        if ft.is_dir() {
            out.extend(all_files(&e.path()));
        } else {
            out.push(e.path());
        }
    }
    out.sort();
    out
}

/// Writes `len` deterministic pseudo-random bytes to `path` (parents created), streaming.
pub fn write_random(path: &Path, len: u64, seed: u64) {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).expect("parent dirs");
    }
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let mut file = std::io::BufWriter::new(std::fs::File::create(path).expect("create file"));
    let mut buf = vec![0u8; 1 << 20];
    let mut left = len;
    while left > 0 {
        let n = left.min(buf.len() as u64) as usize;
        rng.fill_bytes(&mut buf[..n]);
        file.write_all(&buf[..n]).expect("write random data");
        left -= n as u64;
    }
    file.flush().expect("flush");
}

/// Writes `bytes` to `path` (parents created) and sets its permission bits.
pub fn write_file(path: &Path, bytes: &[u8], mode: u32) {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).expect("parent dirs");
    }
    std::fs::write(path, bytes).expect("write file");
    set_mode(path, mode);
}

/// Sets permission bits.
pub fn set_mode(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
}

/// Permission bits of a file.
pub fn mode_of(path: &Path) -> u32 {
    std::fs::metadata(path)
        .expect("metadata")
        .permissions()
        .mode()
        & 0o777
}

/// One file of a tree: its bytes and permission bits.
#[derive(Clone, PartialEq, Eq)]
pub struct TreeFile {
    pub bytes: Vec<u8>,
    pub mode: u32,
}

impl std::fmt::Debug for TreeFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} bytes, mode {:o}, fnv {}",
            self.bytes.len(),
            self.mode,
            &fingerprint(&self.bytes)[..16]
        )
    }
}

fn fingerprint(bytes: &[u8]) -> String {
    // A cheap stable fingerprint for messages (not security relevant).
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016x}{:08x}", bytes.len())
}

/// Relative path (with `/`) → file, for every file under `dir`.
pub fn tree(dir: &Path) -> BTreeMap<String, TreeFile> {
    all_files(dir)
        .into_iter()
        .map(|p| {
            let rel = p
                .strip_prefix(dir)
                .expect("under dir")
                .to_str()
                .expect("UTF-8")
                .to_owned();
            let file = TreeFile {
                bytes: std::fs::read(&p).expect("read file"),
                mode: mode_of(&p),
            };
            (rel, file)
        })
        .collect()
}

/// What a version holds when `inputs` are published: a file under its own name, a directory's
/// files relative to the directory.
pub fn published_tree(inputs: &[&Path]) -> BTreeMap<String, TreeFile> {
    let mut out = BTreeMap::new();
    for input in inputs {
        if input.is_dir() {
            out.extend(tree(input));
        } else {
            let name = input
                .file_name()
                .and_then(OsStr::to_str)
                .expect("file name");
            out.insert(
                name.to_owned(),
                TreeFile {
                    bytes: std::fs::read(input).expect("read input"),
                    mode: mode_of(input),
                },
            );
        }
    }
    out
}

/// Asserts that `dir` holds exactly `expected`: same paths, bytes and permission bits, nothing
/// else (no temporary files).
pub fn assert_tree(dir: &Path, expected: &BTreeMap<String, TreeFile>) {
    let actual = tree(dir);
    let names = |t: &BTreeMap<String, TreeFile>| t.keys().cloned().collect::<Vec<_>>();
    assert_eq!(
        names(&actual),
        names(expected),
        "files under {} differ from what was published",
        dir.display()
    );
    for (path, want) in expected {
        let got = &actual[path];
        assert!(
            got.bytes == want.bytes,
            "{path}: bytes differ ({got:?} checked out, {want:?} published)"
        );
        assert_eq!(
            got.mode, want.mode,
            "{path}: mode {:o} checked out, {:o} published",
            got.mode, want.mode
        );
    }
}

/// Whether this process can read a file whose permission bits deny reading (root, or a process
/// with CAP_DAC_OVERRIDE / CAP_DAC_READ_SEARCH): then permission-based failures cannot be staged.
pub fn permissions_are_bypassed(scratch: &Path) -> bool {
    let probe = scratch.join(".perm-probe");
    std::fs::write(&probe, b"x").expect("probe file");
    set_mode(&probe, 0o000);
    let readable = std::fs::File::open(&probe).is_ok();
    set_mode(&probe, 0o600);
    std::fs::remove_file(&probe).expect("remove probe");
    readable
}

/// Sets a file's modification time in the past with `touch -d`.
pub fn backdate(path: &Path, when: &str) {
    let status = std::process::Command::new("touch")
        .arg("-d")
        .arg(when)
        .arg(path)
        .status()
        .expect("touch runs");
    assert!(
        status.success(),
        "touch -d {when:?} {} failed",
        path.display()
    );
}
