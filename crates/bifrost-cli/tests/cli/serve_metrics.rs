//! `bifrost serve --metrics token|public|off` (and `BIFROST_METRICS`) reach the server: who
//! may read `/metrics` (the rules themselves are tested in bifrost-server's tests/api/metrics.rs).

use std::io::{Read, Write};
use std::net::TcpStream;

use crate::support::{Repo, spawn_server_with};

/// `bifrost --json serve --listen 127.0.0.1:0 EXTRA…` with `env`: the child and its address.
fn serve(repo: &Repo, extra: &[&str], env: &[(&str, &str)]) -> (std::process::Child, String) {
    spawn_server_with(repo, extra, env)
}

/// The status line's code of `GET /metrics`, with an optional bearer token.
fn metrics_status(address: &str, token: Option<&str>) -> u16 {
    let mut socket = TcpStream::connect(address).unwrap();
    let auth = token.map_or(String::new(), |t| format!("Authorization: Bearer {t}\r\n"));
    write!(
        socket,
        "GET /metrics HTTP/1.1\r\nHost: x\r\n{auth}Connection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    socket.read_to_string(&mut answer).unwrap();
    answer
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP answer: {answer}"))
}

fn stop(mut child: std::process::Child) {
    child.kill().unwrap();
    child.wait().unwrap();
}

#[test]
fn serve_metrics_flag_and_environment() {
    let repo = Repo::new();
    repo.ok(&["user", "add", "root", "--role", "admin"]);
    repo.ok(&["user", "add", "ana", "--role", "artist"]);
    let admin = repo.ok(&["token", "create", "--user", "root"]);
    let artist = repo.ok(&["token", "create", "--user", "ana"]);
    let (admin, artist) = (admin.trim(), artist.trim());

    for extra in [&[][..], &["--metrics", "token"]] {
        let (child, address) = serve(&repo, extra, &[]);
        assert_eq!(metrics_status(&address, None), 401, "{extra:?}");
        assert_eq!(metrics_status(&address, Some(artist)), 403, "{extra:?}");
        assert_eq!(metrics_status(&address, Some(admin)), 200, "{extra:?}");
        stop(child);
    }
    let (child, address) = serve(&repo, &["--metrics", "public"], &[]);
    assert_eq!(metrics_status(&address, None), 200);
    stop(child);
    let (child, address) = serve(&repo, &["--metrics", "off"], &[]);
    assert_eq!(metrics_status(&address, Some(admin)), 404);
    stop(child);
    let (child, address) = serve(&repo, &[], &[("BIFROST_METRICS", "public")]);
    assert_eq!(metrics_status(&address, None), 200);
    stop(child);

    let help = repo.ok(&["serve", "--help"]);
    for said in [
        "--metrics",
        "Authorization: Bearer",
        "public",
        "off",
        "audit",
    ] {
        assert!(
            help.contains(said),
            "serve --help does not say {said}:\n{help}"
        );
    }
    let wrong = repo.run(&["serve", "--metrics", "open"]);
    assert_eq!(wrong.status.code(), Some(2), "{wrong:?}");
}
