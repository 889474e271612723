//! The remote CLI: `bifrost login URL`, then the same commands against `bifrost serve` — on a
//! SQLite and on a PostgreSQL catalog.

use std::os::unix::fs::PermissionsExt;
use std::process::Child;

use crate::postgres::TestDatabase;
use crate::support::*;

const PASSWORD: &str = "correct horse battery staple";

/// `bifrost serve` on a free port of the sandbox's repository, stopped on drop.
struct Server {
    child: Child,
    url: String,
}

impl Server {
    fn start(repo: &Repo) -> Self {
        let (child, address) = spawn_server(repo);
        let url = format!("http://{address}");
        Self { child, url }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn login(repo: &Repo, server: &Server, user: &str, password: &str) -> std::process::Output {
    repo.cmd()
        .args([
            "--json",
            "login",
            &server.url,
            "--user",
            user,
            "--password-stdin",
        ])
        .write_stdin(password)
        .output()
        .unwrap()
}

/// A 1%-changed copy: 64 KiB rewritten in the middle of an 8 MiB file.
fn change_one_percent(path: &std::path::Path) {
    let mut bytes = std::fs::read(path).unwrap();
    let middle = bytes.len() / 2;
    for b in &mut bytes[middle..middle + 64 * 1024] {
        *b = b.wrapping_add(1);
    }
    std::fs::write(path, bytes).unwrap();
}

fn remote_round_trip(repo: &Repo) {
    repo.cmd()
        .args([
            "user",
            "add",
            "admin",
            "--role",
            "admin",
            "--password-stdin",
        ])
        .write_stdin(PASSWORD)
        .assert()
        .success();
    repo.ok(&["user", "add", "viewer", "--role", "vendor"]);
    repo.ok(&["member", "set", "viewer", "--role", "vendor"]);
    let server = Server::start(repo);

    // Refusals before any login.
    let out = repo.run(&["--remote", "asset", "list"]);
    expect_failure(&["--remote", "asset", "list"], &out, &["bifrost login"]);
    let out = login(repo, &server, "admin", "wrong password");
    expect_failure(&["login"], &out, &["401"]);
    let creds = repo.home.join(".config/bifrost/credentials.toml");
    assert!(!creds.exists(), "a failed login saved credentials");

    // Login: the token is saved privately and the server becomes the default.
    let out = login(repo, &server, "admin", PASSWORD);
    let said = parse_json(&["login"], &expect_success(&["login"], &out));
    assert_eq!(said["user"], "admin");
    assert_eq!(said["project"], "main");
    let mode = std::fs::metadata(&creds).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "credentials must be private");
    let saved = std::fs::read_to_string(&creds).unwrap();
    assert!(saved.contains("bft_") && !saved.contains(PASSWORD));

    // Assets, publish and re-publish with chunk negotiation.
    repo.ok(&[
        "--remote", "asset", "create", "hero", "--type", "prop", "--tag", "main",
    ]);
    let assets = repo.json(&["--remote", "asset", "list", "--tag", "main"]);
    assert_eq!(assets.as_array().unwrap().len(), 1, "{assets}");
    let src = repo.work("hero");
    std::fs::create_dir_all(src.join("tex")).unwrap();
    write_random(&src.join("scene.bin"), 8 << 20, 7);
    write_file(&src.join("tex/a.txt"), b"albedo", 0o640);
    write_file(&src.join("empty"), b"", 0o644);
    let v1_tree = tree(&src);
    let first = repo.json(&["--remote", "publish", "hero", s(&src), "-m", "first"]);
    assert_eq!(first["version"]["number"], 1, "{first}");
    assert_eq!(
        first["version"]["author"], "admin",
        "the server records the token's user"
    );
    change_one_percent(&src.join("scene.bin"));
    let second = repo.json(&["--remote", "publish", "hero", s(&src), "-m", "second"]);
    assert_eq!(second["version"]["number"], 2);
    let sent = second["bytes_stored"].as_u64().unwrap();
    assert!(
        sent < (8 << 20) / 10,
        "a 1% change re-sent {sent} bytes of 8 MiB: {second}"
    );
    assert!(second["new_chunks"].as_u64().unwrap() <= 3, "{second}");
    // Publishing the same files again sends nothing new.
    let third = repo.json(&["--remote", "publish", "hero", s(&src), "-m", "same"]);
    assert_eq!(third["new_chunks"], 0, "{third}");

    // The versions are in the repository, seen locally too.
    let log = repo.json(&["--remote", "log", "hero"]);
    assert_eq!(log.as_array().unwrap().len(), 3, "{log}");
    assert_eq!(repo.versions("hero"), [1, 2, 3]);

    // Checkout streams and verifies; the tree equals what was published.
    let out_dir = repo.work("checkout/hero_v1");
    let done = repo.json(&["--remote", "checkout", "hero@v1", s(&out_dir)]);
    assert_eq!(done["files"], 3, "{done}");
    assert_tree(&out_dir, &v1_tree);
    repo.fails(
        &["--remote", "checkout", "hero@v1", s(&out_dir)],
        &["--force"],
    );
    repo.ok(&["--remote", "checkout", "hero@v2", s(&out_dir), "--force"]);
    assert_eq!(
        std::fs::read(out_dir.join("scene.bin")).unwrap(),
        std::fs::read(src.join("scene.bin")).unwrap()
    );
    repo.fails(
        &["--remote", "checkout", "hero@v9", s(&repo.work("nope"))],
        &["v9"],
    );
    assert!(!repo.work("nope").exists());

    // Production commands go through the same code.
    repo.ok(&["--remote", "seq", "create", "SQ010"]);
    repo.ok(&[
        "--remote",
        "shot",
        "create",
        "SQ010/SH010",
        "--frames",
        "1001-1048",
    ]);
    repo.ok(&["--remote", "status", "SQ010/SH010", "ip"]);
    let status = repo.json(&["--remote", "status", "SQ010/SH010"]);
    assert_eq!(status["status"], "ip", "{status}");
    repo.ok(&["--remote", "link", "SQ010/SH010", "hero", "--pin", "v2"]);
    let used = repo.json(&["--remote", "used-by", "hero"]);
    assert_eq!(used[0]["entity"], "SQ010/SH010", "{used}");
    repo.ok(&["--remote", "comment", "hero@v2", "rim too shiny"]);
    repo.ok(&["--remote", "review", "hero@v2", "approved"]);
    let hits = repo.json(&[
        "--remote",
        "search",
        "type:prop tag:main",
        "--save",
        "props",
    ]);
    assert_eq!(hits[0]["name"], "hero", "{hits}");
    let saved = repo.json(&["--remote", "saved", "list"]);
    assert_eq!(saved[0]["name"], "props", "{saved}");
    repo.ok(&["--remote", "collection", "create", "hero-shots"]);
    repo.ok(&["--remote", "collection", "add", "hero-shots", "SQ010/SH010"]);
    let members = repo.json(&["--remote", "collection", "show", "hero-shots"]);
    assert!(members.to_string().contains("SQ010/SH010"), "{members}");
    repo.ok(&["--remote", "fav", "add", "hero"]);
    let favs = repo.json(&["--remote", "fav", "list"]);
    assert!(favs.to_string().contains("hero"), "{favs}");
    let workflow = repo.json(&[
        "--remote",
        "workflow",
        "status",
        "move",
        "review",
        "--position",
        "2",
    ]);
    assert_eq!(workflow["statuses"][1], "review", "{workflow}");
    let diff = repo.json(&["--remote", "diff", "hero@v1", "hero@v2"]);
    assert_eq!(diff["changed"].as_array().unwrap().len(), 1, "{diff}");

    // Locks and audit through the server, recorded with the server as origin.
    repo.ok(&["--remote", "lock", "hero", "--ttl", "1h"]);
    let locks = repo.json(&["--remote", "locks"]);
    assert_eq!(locks[0]["holder"], "admin", "{locks}");
    let audit = repo.json(&["--remote", "audit", "--action", "lock."]);
    assert_eq!(audit[0]["actor"], "admin", "{audit}");
    assert_ne!(audit[0]["origin"], "local", "{audit}");

    // Permissions are the server's: a vendor may read but not change.
    let token = repo.ok(&["token", "create", "--user", "viewer", "--name", "ci"]);
    let out = repo
        .cmd()
        .args(["login", &server.url, "--token-stdin"])
        .write_stdin(token.trim())
        .output()
        .unwrap();
    expect_success(&["login", "--token-stdin"], &out);
    assert_eq!(
        repo.json(&["--remote", "asset", "list"])
            .as_array()
            .unwrap()
            .len(),
        1
    );
    repo.fails(
        &["--remote", "asset", "create", "villain", "--type", "prop"],
        &["403"],
    );
    assert_eq!(
        repo.asset_names(),
        ["hero"],
        "a refused create changed nothing"
    );

    // Local-only commands say so.
    repo.fails(&["--remote", "fsck"], &["local repository"]);
    repo.fails(
        &["--remote=http://127.0.0.1:9", "asset", "list"],
        &["not logged in"],
    );

    // Logout revokes the token: it no longer works even if copied.
    let json = repo.json(&["logout"]);
    assert_eq!(json["token_revoked"], true, "{json}");
    repo.fails(&["--remote", "asset", "list"], &["bifrost login"]);
}

#[test]
fn remote_commands_work_against_a_sqlite_server() {
    remote_round_trip(&Repo::new());
}

#[test]
fn remote_commands_work_against_a_postgres_server() {
    let db = TestDatabase::new();
    remote_round_trip(&Repo::init_with(&["--catalog", &db.url()]));
}

#[test]
fn a_dead_server_gives_a_clear_error() {
    let repo = Repo::new();
    let out = repo
        .cmd()
        .args(["login", "127.0.0.1:9", "--user", "x", "--password-stdin"])
        .write_stdin("pw")
        .output()
        .unwrap();
    expect_failure(&["login"], &out, &["cannot talk to", "bifrost serve"]);
}
