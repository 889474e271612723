//! What one client may cost the server (`ServerLimits`), on loopback, bounded in time and
//! count: a slowloris of 2,000 sockets neither delays normal requests nor stays connected,
//! connections are capped per address and in all, request bursts get 429 with `Retry-After`,
//! JSON bodies are small while chunk uploads stay large, idle and stalled connections close.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bifrost_server::ServerLimits;
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

use crate::support::{Server, code, noise};

/// A server on SQLite with `limits`.
async fn serve(limits: ServerLimits) -> Server {
    Server::start_with("sqlite", move |state| state.with_limits(limits).unwrap()).await
}

fn addr(s: &Server) -> SocketAddr {
    s.url.trim_start_matches("http://").parse().unwrap()
}

/// A connection to the server from the loopback address `from` (127.0.0.X: every one of
/// them reaches the loopback interface, so one machine can play several clients).
async fn connect_from(s: &Server, from: [u8; 4]) -> TcpStream {
    let socket = TcpSocket::new_v4().unwrap();
    socket.bind(SocketAddr::from((from, 0))).unwrap();
    socket.connect(addr(s)).await.unwrap()
}

/// Reads what the server sends until it closes (or `within` passes: then `None`).
async fn read_to_close(stream: &mut TcpStream, within: Duration) -> Option<String> {
    let mut answer = Vec::new();
    let read = tokio::time::timeout(within, async {
        let mut buf = [0u8; 4096];
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => answer.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await;
    read.ok()
        .map(|()| String::from_utf8_lossy(&answer).into_owned())
}

/// The 99th percentile of `samples` (the second largest of a hundred).
fn p99(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[(samples.len() * 99).div_ceil(100) - 1]
}

/// Latencies of `n` authenticated GETs of `/me`, one after the other, each on a new client
/// (a new connection, which must get through the accept loop like any newcomer's).
async fn timed_requests(s: &Server, n: usize) -> Vec<Duration> {
    let mut samples = Vec::with_capacity(n);
    for _ in 0..n {
        let client = reqwest::Client::new();
        let started = Instant::now();
        let response = tokio::time::timeout(
            Duration::from_secs(20),
            client.get(s.api("/me")).bearer_auth(&s.admin).send(),
        )
        .await
        .expect("a normal request was not answered within 20 s")
        .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        response.bytes().await.unwrap();
        samples.push(started.elapsed());
    }
    samples
}

const SLOW_SOCKETS: usize = 2_000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slowloris_neither_delays_others_nor_stays_connected() {
    // Each slow socket costs a descriptor here and one in the server (same process).
    let wanted = (SLOW_SOCKETS as u64) * 2 + 1_024;
    let got = rlimit::increase_nofile_limit(wanted).unwrap();
    assert!(
        got >= wanted,
        "the open-file limit is {got}, the test needs {wanted}: raise the hard limit (ulimit -Hn)"
    );
    let header_timeout = Duration::from_secs(3);
    let s = serve(ServerLimits {
        header_timeout_secs: header_timeout.as_secs(),
        max_connections: 4 * SLOW_SOCKETS,
        max_connections_per_address: 4 * SLOW_SOCKETS,
        ..ServerLimits::default().without_rate_limits()
    })
    .await;
    // Warm up (first statements, pools), then the usual latency.
    timed_requests(&s, 10).await;
    let usual = p99(timed_requests(&s, 100).await);

    // The attack, from another loopback address: 2,000 sockets, each sending its request
    // head one byte at a time, every 200 ms, never finishing it.
    let mut slow = Vec::with_capacity(SLOW_SOCKETS);
    for _ in 0..SLOW_SOCKETS {
        slow.push(connect_from(&s, [127, 0, 0, 2]).await);
    }
    let head = b"GET /api/v1/projects HTTP/1.1\r\nHost: bifrost\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    let (stop_tx, mut stop_rx) = tokio::sync::watch::channel(false);
    let trickling = Instant::now();
    let trickle = tokio::spawn(async move {
        let mut alive = vec![true; slow.len()];
        let mut cut_at = vec![None; slow.len()];
        for &byte in head.iter() {
            for (i, stream) in slow.iter_mut().enumerate() {
                if alive[i] && stream.write_all(&[byte]).await.is_err() {
                    alive[i] = false;
                    cut_at[i] = Some(Instant::now());
                }
            }
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_millis(200)) => {}
                _ = stop_rx.changed() => break,
            }
        }
        (slow, alive, cut_at)
    });

    // Normal clients meanwhile: as fast as usual (with a margin for a loaded 2-core machine).
    let attacked = p99(timed_requests(&s, 100).await);
    let margin = usual * 3 + Duration::from_millis(250);
    eprintln!("p99 of /me: {usual:?} usually, {attacked:?} under the slowloris");
    assert!(
        attacked <= margin,
        "under a slowloris of {SLOW_SOCKETS} sockets the p99 rose from {usual:?} to {attacked:?} \
         (allowed: {margin:?})"
    );

    // Every slow socket is closed by the header timeout, while it is still sending: a few
    // seconds after its first byte, all of them are gone.
    tokio::time::sleep_until((trickling + header_timeout + Duration::from_secs(2)).into()).await;
    let _ = stop_tx.send(true);
    let (mut slow, alive, _) = trickle.await.unwrap();
    let still_sending = alive.iter().filter(|a| **a).count();
    let give_up = Instant::now() + Duration::from_secs(10);
    let mut still_open = 0;
    for stream in &mut slow {
        let left = give_up.saturating_duration_since(Instant::now());
        if read_to_close(stream, left.max(Duration::from_millis(10)))
            .await
            .is_none()
        {
            still_open += 1;
        }
    }
    assert_eq!(
        still_open,
        0,
        "{still_open} of {SLOW_SOCKETS} slow sockets were still connected {:?} after they began \
         sending (header timeout {header_timeout:?}; {still_sending} could still write)",
        trickling.elapsed()
    );
    let (status, _) = s.get("/me", &s.admin).await;
    assert_eq!(status, StatusCode::OK);
    s.stop().await;
}

#[tokio::test]
async fn connections_are_capped_per_address_and_in_all() {
    let s = serve(ServerLimits {
        max_connections: 6,
        max_connections_per_address: 4,
        ..ServerLimits::default().without_rate_limits()
    })
    .await;
    // Four idle connections from one address are its share; a fifth is refused at once.
    let mut held = Vec::new();
    for _ in 0..4 {
        held.push(connect_from(&s, [127, 0, 0, 3]).await);
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut fifth = connect_from(&s, [127, 0, 0, 3]).await;
    let answer = read_to_close(&mut fifth, Duration::from_secs(5))
        .await
        .expect("the refused connection is closed");
    assert!(answer.starts_with("HTTP/1.1 429"), "{answer}");
    assert!(answer.contains("retry-after: 1"), "{answer}");
    assert!(answer.contains("\"too_many_connections\""), "{answer}");

    // Another address still gets in, up to the server's cap of six.
    let mut others = Vec::new();
    for _ in 0..2 {
        others.push(connect_from(&s, [127, 0, 0, 4]).await);
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut seventh = connect_from(&s, [127, 0, 0, 5]).await;
    let answer = read_to_close(&mut seventh, Duration::from_secs(5))
        .await
        .expect("the refused connection is closed");
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
    assert!(answer.contains("\"busy\""), "{answer}");

    // A place freed is a place taken again.
    drop(held.pop());
    drop(others);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut again = connect_from(&s, [127, 0, 0, 3]).await;
    again
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let answer = read_to_close(&mut again, Duration::from_secs(5))
        .await
        .unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    drop(held);
    s.stop().await;
}

#[tokio::test]
async fn request_bursts_get_429_with_retry_after() {
    let s = serve(ServerLimits {
        requests_per_second_per_address: 5,
        burst_per_address: 10,
        requests_per_second_per_token: 0,
        ..ServerLimits::default()
    })
    .await;
    let burst = futures::future::join_all(
        (0..40).map(|_| s.http.get(s.api("/me")).bearer_auth(&s.admin).send()),
    )
    .await;
    let mut limited = 0;
    for response in burst {
        let response = response.unwrap();
        match response.status() {
            StatusCode::OK => {}
            StatusCode::TOO_MANY_REQUESTS => {
                limited += 1;
                let wait: u64 = response.headers()["retry-after"]
                    .to_str()
                    .unwrap()
                    .parse()
                    .unwrap();
                assert!((1..=2).contains(&wait), "Retry-After: {wait}");
                let body: Value = response.json().await.unwrap();
                assert_eq!(code(&body), "rate_limited", "{body}");
                assert_eq!(body["error"]["retryable"], true, "{body}");
            }
            other => panic!("unexpected {other}"),
        }
    }
    // Ten in the burst, maybe one or two more replenished meanwhile; the rest refused.
    assert!(limited >= 25, "only {limited} of 40 were refused");
    // After the wait it says, the address is served again.
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    assert_eq!(s.get("/me", &s.admin).await.0, StatusCode::OK);
    s.stop().await;

    // Per token: one token's burst does not spend another's, nor does a made-up token's.
    let s = serve(ServerLimits {
        requests_per_second_per_address: 0,
        requests_per_second_per_token: 2,
        burst_per_token: 5,
        ..ServerLimits::default()
    })
    .await;
    let ana = s.member("ana", "artist", &[]).await;
    for _ in 0..20 {
        s.get("/me", "bft_made_up_token").await;
    }
    // Ana's token has not been used yet (she signed in without one): its whole burst.
    let mut statuses = Vec::new();
    for _ in 0..8 {
        statuses.push(s.get("/me", &ana).await.0);
    }
    assert_eq!(statuses[..5], [StatusCode::OK; 5], "{statuses:?}");
    assert!(
        statuses[5..].contains(&StatusCode::TOO_MANY_REQUESTS),
        "{statuses:?}"
    );
    // The admin's token (used twice to add her) is still within its own.
    assert_eq!(s.get("/me", &s.admin).await.0, StatusCode::OK);
    s.stop().await;
}

#[tokio::test]
async fn json_bodies_are_small_and_chunk_uploads_large() {
    let s = serve(ServerLimits {
        json_body_bytes: 64 * 1024,
        ..ServerLimits::default().without_rate_limits()
    })
    .await;
    let big_note = "x".repeat(100 * 1024);
    let (status, body) = s
        .post(
            "/projects/main/assets",
            &s.admin,
            json!({ "name": "scene", "type": "scene", "metadata": { "note": big_note } }),
        )
        .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    assert_eq!(code(&body), "too_large");
    let (status, body) = s
        .post(
            "/projects/main/assets",
            &s.admin,
            json!({ "name": "scene", "type": "scene" }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    // A publish of 12 MiB: one upload batch far over the JSON limit, and it goes through.
    let data = noise(12 << 20, 7);
    let (sent, status, body) = s.publish(&s.admin, "scene", "scene.bin", &data).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert!(sent > 64 * 1024, "{sent}");
    s.stop().await;
}

#[tokio::test]
async fn idle_connections_and_stalled_bodies_are_closed() {
    let s = serve(ServerLimits {
        idle_timeout_secs: 1,
        body_timeout_secs: 1,
        ..ServerLimits::default().without_rate_limits()
    })
    .await;
    // Kept alive after an answer, then idle: closed after about a second.
    let mut idle = connect_from(&s, [127, 0, 0, 1]).await;
    idle.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let mut buf = [0u8; 4096];
    let n = idle.read(&mut buf).await.unwrap();
    assert!(buf[..n].starts_with(b"HTTP/1.1 200"));
    let started = Instant::now();
    assert!(
        read_to_close(&mut idle, Duration::from_secs(5))
            .await
            .is_some(),
        "an idle connection stayed open"
    );
    assert!(started.elapsed() >= Duration::from_millis(900));

    // A body that stops coming: the request fails and the connection closes.
    let mut stalled = connect_from(&s, [127, 0, 0, 1]).await;
    stalled
        .write_all(
            format!(
                "POST /api/v1/projects/main/assets HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\n\
                 Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"name\":",
                s.admin
            )
            .as_bytes(),
        )
        .await
        .unwrap();
    let answer = read_to_close(&mut stalled, Duration::from_secs(10))
        .await
        .expect("a stalled body kept its connection open");
    assert!(
        answer.is_empty() || answer.starts_with("HTTP/1.1 4"),
        "{answer}"
    );
    s.stop().await;
}
