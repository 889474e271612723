//! Users, tokens, locks, the audit log and `bifrost serve` from the command line.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use crate::support::{Repo, spawn_server, write_file};

#[test]
fn users_tokens_locks_and_audit() {
    let repo = Repo::new();
    // A password comes from standard input; a short one is refused.
    let short = repo
        .cmd()
        .args(["user", "add", "ana", "--role", "artist", "--password-stdin"])
        .write_stdin("short")
        .output()
        .unwrap();
    assert!(!short.status.success());
    assert!(String::from_utf8_lossy(&short.stderr).contains("at least 8"));
    let added = repo
        .cmd()
        .args(["user", "add", "ana", "--role", "artist", "--password-stdin"])
        .write_stdin("a long password\n")
        .output()
        .unwrap();
    assert!(added.status.success(), "{added:?}");
    repo.fails(
        &["user", "add", "bob", "--role", "wizard"],
        &["role `wizard`", "artist"],
    );
    // The token alone goes to stdout, so scripts can capture it.
    let token = repo.ok(&["token", "create", "--user", "ana", "--name", "laptop"]);
    assert!(token.trim().starts_with("bft_"), "{token}");
    let listed = repo.json(&["token", "list", "--user", "ana"]);
    assert_eq!(listed[0]["name"], "laptop");
    assert!(
        !listed.to_string().contains(token.trim()),
        "secrets are never listed"
    );

    // Locks: ana locks, the tester's publish is refused naming her, her publish releases it.
    repo.create_asset("rig", "rig");
    let file = repo.work("rig.ma");
    write_file(&file, b"v1", 0o644);
    repo.publish("rig", &[&file]);
    let as_ana = |args: &[&str]| {
        repo.cmd()
            .env("BIFROST_AUTHOR", "ana")
            .args(args)
            .output()
            .unwrap()
    };
    assert!(
        as_ana(&["lock", "rig", "--ttl", "1h", "--have", "1"])
            .status
            .success()
    );
    repo.fails(
        &["publish", "rig", file.to_str().unwrap()],
        &["locked by ana", "since"],
    );
    repo.fails(&["lock", "rig"], &["locked by ana"]);
    assert!(
        as_ana(&["publish", "rig", file.to_str().unwrap()])
            .status
            .success()
    );
    assert_eq!(repo.json(&["locks"]).as_array().unwrap().len(), 0);
    assert!(
        as_ana(&["lock", "rig", "--have", "1"]).status.code() == Some(1),
        "v2 is latest"
    );
    assert!(as_ana(&["lock", "rig"]).status.success());
    repo.fails(&["unlock", "rig"], &["locked by ana"]);
    repo.ok(&["unlock", "rig", "--force"]);

    let audit = repo.json(&["audit", "--action", "lock."]);
    let actions: Vec<&str> = audit
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["lock.acquired", "lock.acquired", "lock.broken"]);
    assert_eq!(audit[2]["actor"], "tester");
    assert_eq!(audit[2]["before"]["holder"], "ana");
    repo.fails(&["audit", "--since", "yesterday"], &["--since", "2h"]);
}

#[test]
fn serve_answers_and_stops_gracefully_on_sigterm() {
    let repo = Repo::new();
    let (mut child, address) = spawn_server(&repo);
    let get = |path: &str| {
        let mut socket = TcpStream::connect(&address).unwrap();
        write!(
            socket,
            "GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut answer = String::new();
        socket.read_to_string(&mut answer).unwrap();
        answer
    };
    let health = get("/healthz");
    assert!(
        health.starts_with("HTTP/1.1 200") && health.contains("\"ok\""),
        "{health}"
    );
    let denied = get("/api/v1/projects");
    assert!(
        denied.starts_with("HTTP/1.1 401") && denied.contains("\"unauthorized\""),
        "{denied}"
    );
    // SIGTERM: the server finishes and exits successfully.
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success(), "{status}");
            break;
        }
        assert!(Instant::now() < deadline, "the server did not stop");
        std::thread::sleep(Duration::from_millis(50));
    }
}
