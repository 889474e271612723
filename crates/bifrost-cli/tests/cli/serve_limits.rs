//! `bifrost serve --config FILE` and the limit flags reach the server, bad settings are refused
//! with a message naming them, and `bifrost user unlock` (another process on the same catalog)
//! lifts a sign-in lockout the server imposed. The limits themselves are tested in
//! bifrost-server's tests/api/{server_limits,signin}.rs.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use crate::support::{Repo, spawn_server_with};

fn stop(mut child: std::process::Child) {
    child.kill().unwrap();
    child.wait().unwrap();
}

/// The status of `POST /api/v1/auth/login` for `user` and `password`.
fn login(address: &str, user: &str, password: &str) -> u16 {
    let response = reqwest::blocking::Client::new()
        .post(format!("http://{address}/api/v1/auth/login"))
        .json(&serde_json::json!({ "user": user, "password": password }))
        .send()
        .unwrap();
    response.status().as_u16()
}

#[test]
fn bad_server_settings_are_refused_by_name() {
    let repo = Repo::new();
    let config = repo.root.join("serve.toml");
    std::fs::write(&config, "[limits]\nheader_timeout_secs = \"soon\"\n").unwrap();
    repo.fails(
        &["serve", "--config", config.to_str().unwrap()],
        &["serve.toml", "header_timeout_secs"],
    );
    std::fs::write(&config, "[limitz]\n").unwrap();
    repo.fails(
        &["serve", "--config", config.to_str().unwrap()],
        &["serve.toml", "limitz"],
    );
    repo.fails(
        &["serve", "--header-timeout", "0"],
        &["header_timeout_secs", "between 1 and 86400 seconds"],
    );
    repo.fails(
        &["serve", "--config", "/no/such/serve.toml"],
        &["cannot read the server config"],
    );
}

#[test]
fn config_file_and_flags_reach_the_server_and_unlock_lifts_a_lockout() {
    let repo = Repo::new();
    let mut add = repo.cmd();
    add.args(["user", "add", "ana", "--role", "artist", "--password-stdin"])
        .write_stdin("a long password")
        .assert()
        .success();
    let config = repo.root.join("serve.toml");
    std::fs::write(
        &config,
        "[limits]\nmax_connections_per_address = 2\n\n\
         [signin]\nuser_free_failures = 5\nuser_lockout_failures = 2\n",
    )
    .unwrap();
    // The flag overrides the file: three connections per address, not two.
    let (child, address) = spawn_server_with(
        &repo,
        &[
            "--config",
            config.to_str().unwrap(),
            "--max-connections-per-address",
            "3",
        ],
        &[],
    );
    let held: Vec<TcpStream> = (0..3)
        .map(|_| TcpStream::connect(&address).unwrap())
        .collect();
    std::thread::sleep(Duration::from_millis(200));
    let mut fourth = TcpStream::connect(&address).unwrap();
    fourth
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut answer = String::new();
    let _ = fourth.read_to_string(&mut answer);
    assert!(answer.starts_with("HTTP/1.1 429"), "{answer}");
    drop(held);
    std::thread::sleep(Duration::from_millis(200));

    // [signin]: two wrong passwords lock ana's password sign-in.
    assert_eq!(login(&address, "ana", "wrong password"), 401);
    assert_eq!(login(&address, "ana", "wrong password"), 401);
    assert_eq!(login(&address, "ana", "a long password"), 429);
    // The local CLI, another process on the same catalog, lifts it (journaled).
    let out = repo.ok(&["user", "unlock", "ana"]);
    assert!(out.contains("ana"), "{out}");
    assert_eq!(login(&address, "ana", "a long password"), 200);
    let audit = repo.ok(&["audit", "--action", "user.unlocked"]);
    assert!(audit.contains("ana"), "{audit}");
    let mut healthz = TcpStream::connect(&address).unwrap();
    write!(
        healthz,
        "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    healthz.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    stop(child);
}
