//! How many bytes a remote re-publish moves: a server on a loopback port over a fresh SQLite
//! repository, and the real client (`bifrost --remote publish` runs the same code) publishing a
//! file, then re-publishing it changed by 1%, two ways:
//!
//! - `one-block`: 1% of the file overwritten in one place (what the CLI test checks at 8 MiB);
//! - `scattered`: 1% overwritten in 4 places plus 2 short insertions that shift everything after
//!   them (the change pattern of `bench/gen.py`).
//!
//! Every request body the client sends is counted (JSON included, HTTP headers not).
//!
//! ```sh
//! cargo run --release -p bifrost-client --example remote_republish -- --size-mib 256
//! ```

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use bifrost::api::ops::CreateAsset;
use bifrost::{Hub, InitOptions, NoProgress, Repository, Transfer};
use bifrost_client::Client;

struct Publish {
    new_chunks: u64,
    body_bytes: u64,
    seconds: f64,
}

async fn publish(client: &Client, file: &Path) -> Publish {
    let start = Instant::now();
    let before = client.bytes_sent();
    let outcome = client
        .publish("scene", &[file.to_owned()], "remote", Arc::new(NoProgress))
        .await
        .expect("publish");
    Publish {
        new_chunks: outcome.new_chunks,
        body_bytes: client.bytes_sent() - before,
        seconds: start.elapsed().as_secs_f64(),
    }
}

/// Deterministic pseudo-random bytes (xorshift64).
fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

#[tokio::main]
async fn main() {
    let mut size_mib = 256usize;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--size-mib" => {
                size_mib = args
                    .next()
                    .and_then(|v| v.parse().ok())
                    .expect("--size-mib N")
            }
            other => panic!("unknown argument {other}; use --size-mib N"),
        }
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let repo = Repository::init(&dir.path().join("repo"), InitOptions::default())
        .await
        .expect("init");
    repo.add_user("root", None, "admin", Some("correct horse battery"))
        .await
        .expect("user");
    let token = repo
        .create_token(
            "root",
            "bench",
            bifrost::core::access::TokenKind::Personal,
            None,
        )
        .await
        .expect("token")
        .token;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(bifrost_server::serve(repo.clone(), listener, async {
        let _ = stopped.await;
    }));
    let client = Client::new(&url, &token, "main").expect("client");
    client
        .call(CreateAsset {
            project: "main".into(),
            name: "scene".into(),
            asset_type: Some("scene".into()),
            ..CreateAsset::default()
        })
        .await
        .expect("asset");
    let params = repo.chunking();

    let file: PathBuf = dir.path().join("scene.bin");
    let size = size_mib << 20;
    let mut data = noise(size, 7);
    std::fs::write(&file, &data).expect("write");
    let first = publish(&client, &file).await;

    // One block: 1% overwritten in the middle.
    let (at, len) = (size / 2, size / 100);
    for b in &mut data[at..at + len] {
        *b = !*b;
    }
    std::fs::write(&file, &data).expect("write");
    let one_block = publish(&client, &file).await;

    // Scattered: 1% overwritten in 4 places, then 17 and 40 bytes inserted.
    for (i, place) in [0.1, 0.35, 0.6, 0.85].iter().enumerate() {
        let at = (size as f64 * place) as usize;
        let fresh = noise(size / 400, 100 + i as u64);
        data[at..at + fresh.len()].copy_from_slice(&fresh);
    }
    for (place, len) in [(0.25, 17usize), (0.75, 40)] {
        let at = (data.len() as f64 * place) as usize;
        let fresh = noise(len, 200 + len as u64);
        data.splice(at..at, fresh);
    }
    std::fs::write(&file, &data).expect("write");
    let scattered = publish(&client, &file).await;

    println!(
        "file: {size_mib} MiB ({size} bytes) of pseudo-random bytes; chunking min {} / avg {} / max {} bytes",
        params.min_size, params.avg_size, params.max_size
    );
    println!();
    println!("| publish | file bytes | new chunks | request bytes sent | sent / file | time (s) |");
    println!("|---|---:|---:|---:|---:|---:|");
    for (label, p, file) in [
        ("v1: first publish", &first, size),
        ("v2: 1% overwritten in one place", &one_block, size),
        (
            "v3: 1% overwritten in 4 places + 57 bytes inserted in 2",
            &scattered,
            data.len(),
        ),
    ] {
        println!(
            "| {label} | {file} | {} | {} | {:.2}% | {:.2} |",
            p.new_chunks,
            p.body_bytes,
            p.body_bytes as f64 * 100.0 / file as f64,
            p.seconds
        );
    }
    let _ = stop.send(());
    server.await.expect("server task").expect("server");
    repo.close().await;
}
