//! How many bytes a remote re-publish moves: a server on a loopback port over a fresh SQLite
//! repository, a client that publishes a file through the transfer endpoints (chunking
//! parameters, `POST /chunks/missing`, `POST /chunks` with only the missing chunks,
//! `POST /assets/{a}/versions`), then re-publishes it changed by 1%, two ways:
//!
//! - `one-block`: 1% of the file overwritten in one place (what `tests/api.rs` checks at 64 MiB);
//! - `scattered`: 1% overwritten in 4 places plus 2 short insertions that shift everything after
//!   them (the change pattern of `bench/gen.py`).
//!
//! Every request body the client sends is counted (JSON included, HTTP headers not).
//!
//! ```sh
//! cargo run --release -p bifrost-server --example remote_republish -- --size-mib 256
//! ```

use std::collections::HashSet;
use std::time::Instant;

use bifrost::core::{ChunkId, FileEntry};
use bifrost::{InitOptions, Manifest, Repository, describe_content};
use serde_json::{Value, json};

struct Client {
    http: reqwest::Client,
    api: String,
    token: String,
    /// Request body bytes sent, all requests.
    sent_total: u64,
}

struct Publish {
    /// Bytes of chunk data uploaded.
    chunk_bytes: u64,
    /// Request body bytes of this publish (missing-chunk query, uploads, manifest).
    body_bytes: u64,
    chunks: usize,
    missing: usize,
    seconds: f64,
}

impl Client {
    async fn post_json(&mut self, path: &str, body: &Value) -> (reqwest::StatusCode, Value) {
        let bytes = serde_json::to_vec(body).expect("JSON");
        self.sent_total += bytes.len() as u64;
        let response = self
            .http
            .post(format!("{}{path}", self.api))
            .bearer_auth(&self.token)
            .header("content-type", "application/json")
            .body(bytes)
            .send()
            .await
            .expect("request");
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    async fn publish(&mut self, params: bifrost::core::ChunkingParams, data: &[u8]) -> Publish {
        let start = Instant::now();
        let before = self.sent_total;
        let (content, ranges) = describe_content(data, params);
        let (status, body) = self
            .post_json(
                "/projects/main/chunks/missing",
                &json!({ "chunks": content.chunks }),
            )
            .await;
        assert!(status.is_success(), "missing: {status} {body}");
        let missing: HashSet<ChunkId> =
            serde_json::from_value(body["missing"].clone()).expect("chunk ids");
        let mut batches: Vec<Vec<u8>> = vec![Vec::new()];
        let mut chunk_bytes = 0u64;
        let mut queued = HashSet::new();
        for (id, range) in content.chunks.iter().zip(&ranges) {
            if missing.contains(id) && queued.insert(*id) {
                if batches.last().expect("one batch").len() + range.len() > 16 << 20 {
                    batches.push(Vec::new());
                }
                let batch = batches.last_mut().expect("one batch");
                batch.extend_from_slice(id.as_bytes());
                batch.extend_from_slice(&(range.len() as u32).to_le_bytes());
                batch.extend_from_slice(&data[range.clone()]);
                chunk_bytes += range.len() as u64;
            }
        }
        for batch in batches.into_iter().filter(|b| !b.is_empty()) {
            self.sent_total += batch.len() as u64;
            let response = self
                .http
                .post(format!("{}/projects/main/chunks", self.api))
                .bearer_auth(&self.token)
                .header("content-type", "application/octet-stream")
                .body(batch)
                .send()
                .await
                .expect("upload");
            assert!(
                response.status().is_success(),
                "upload: {}",
                response.status()
            );
        }
        let chunks = content.chunks.len();
        let manifest = Manifest {
            note: "remote".into(),
            files: vec![FileEntry {
                path: "scene.bin".into(),
                size: data.len() as u64,
                mode: 0o644,
                content: content.id,
            }],
            contents: vec![content],
        };
        let (status, body) = self
            .post_json(
                "/projects/main/assets/scene/versions",
                &serde_json::to_value(&manifest).expect("manifest"),
            )
            .await;
        assert!(status.is_success(), "commit: {status} {body}");
        Publish {
            chunk_bytes,
            body_bytes: self.sent_total - before,
            chunks,
            missing: missing.len(),
            seconds: start.elapsed().as_secs_f64(),
        }
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
    let repo = Repository::init(dir.path(), InitOptions::default())
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
    let api = format!("http://{}/api/v1", listener.local_addr().expect("addr"));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(bifrost_server::serve(repo.clone(), listener, async {
        let _ = stopped.await;
    }));
    let mut client = Client {
        http: reqwest::Client::new(),
        api,
        token,
        sent_total: 0,
    };
    let (status, body) = client
        .post_json(
            "/projects/main/assets",
            &json!({ "name": "scene", "type": "scene" }),
        )
        .await;
    assert!(status.is_success(), "asset: {status} {body}");
    let params = repo.chunking();

    let size = size_mib << 20;
    let mut data = noise(size, 7);
    let first = client.publish(params, &data).await;

    // One block: 1% overwritten in the middle.
    let (at, len) = (size / 2, size / 100);
    for b in &mut data[at..at + len] {
        *b = !*b;
    }
    let one_block = client.publish(params, &data).await;

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
    let scattered = client.publish(params, &data).await;

    println!(
        "file: {size_mib} MiB ({size} bytes) of pseudo-random bytes; chunking min {} / avg {} / max {} bytes",
        params.min_size, params.avg_size, params.max_size
    );
    println!();
    println!(
        "| publish | file bytes | chunks | missing | chunk bytes sent | request bytes sent | sent / file | time (s) |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|");
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
            "| {label} | {file} | {} | {} | {} | {} | {:.2}% | {:.2} |",
            p.chunks,
            p.missing,
            p.chunk_bytes,
            p.body_bytes,
            p.body_bytes as f64 * 100.0 / file as f64,
            p.seconds
        );
    }
    let _ = stop.send(());
    server.await.expect("server task").expect("server");
    repo.close().await;
}
