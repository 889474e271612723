//! The test harness: a real server on a loopback port over a fresh repository.

use bifrost::core::access::TokenKind;
use bifrost::core::{ChunkId, FileEntry};
use bifrost::{InitOptions, Manifest, Repository, describe_content};
use reqwest::StatusCode;
use serde_json::{Value, json};

pub struct Server {
    pub url: String,
    pub repo: Repository,
    pub http: reqwest::Client,
    pub admin: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
    _dir: tempfile::TempDir,
    pg_database: Option<String>,
}

pub const PG_DEFAULT: &str = "postgres://postgres@127.0.0.1:5432/postgres";

impl Server {
    pub async fn start(backend: &str) -> Self {
        Self::start_with(backend, |s| s).await
    }

    pub async fn start_with(
        backend: &str,
        configure: impl FnOnce(bifrost_server::AppState) -> bifrost_server::AppState,
    ) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let (catalog, pg_database) = match backend {
            "sqlite" => (None, None),
            _ => {
                let base =
                    std::env::var("BIFROST_TEST_POSTGRES_URL").unwrap_or(PG_DEFAULT.to_owned());
                let name = format!("bifrost_api_{}", hex::encode(rand::random::<[u8; 6]>()));
                // The test database lives beside the one the URL names.
                let server = base
                    .rsplit_once('/')
                    .map_or(base.as_str(), |(server, _)| server);
                let url = format!("{server}/{name}");
                (Some(url), Some(name))
            }
        };
        let repo = Repository::init(
            dir.path(),
            InitOptions {
                catalog,
                store: None,
            },
        )
        .await
        .unwrap_or_else(|e| panic!("cannot create a {backend} repository: {e}"));
        repo.add_user("root", None, "admin", Some("correct horse battery"))
            .await
            .unwrap();
        let admin = repo
            .create_token("root", "tests", TokenKind::Personal, None)
            .await
            .unwrap()
            .token;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        // Tests send requests as fast as the machine allows, all from 127.0.0.1: rate limits
        // and connection caps are off unless a test sets them (`limits.rs` does).
        let unlimited = bifrost_server::ServerLimits::default().without_rate_limits();
        let state = configure(
            bifrost_server::AppState::new(repo.clone())
                .with_limits(unlimited)
                .expect("the default limits are valid"),
        );
        let task = tokio::spawn(bifrost_server::serve_state(state, listener, async {
            let _ = stopped.await;
        }));
        Server {
            url,
            repo,
            http: reqwest::Client::new(),
            admin,
            stop: Some(stop),
            task: Some(task),
            _dir: dir,
            pg_database,
        }
    }

    pub fn api(&self, path: &str) -> String {
        format!("{}/api/v1{path}", self.url)
    }

    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut request = self.http.request(method, self.api(path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        let text = response.text().await.unwrap();
        let value = serde_json::from_str(&text).unwrap_or(Value::String(text));
        (status, value)
    }

    pub async fn get(&self, path: &str, token: &str) -> (StatusCode, Value) {
        self.call(reqwest::Method::GET, path, Some(token), None)
            .await
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
        self.call(reqwest::Method::POST, path, Some(token), Some(body))
            .await
    }

    /// Sends one upload body of chunk records to project `main`, for asset `scene`.
    pub async fn upload(&self, token: &str, body: Vec<u8>) -> reqwest::Response {
        self.upload_for(token, "scene", body).await
    }

    /// Sends one upload body of chunk records to project `main`, for a publish of `asset`.
    pub async fn upload_for(&self, token: &str, asset: &str, body: Vec<u8>) -> reqwest::Response {
        self.http
            .post(self.api(&format!("/projects/main/chunks?asset={asset}")))
            .bearer_auth(token)
            .header("content-type", "application/octet-stream")
            .body(body)
            .send()
            .await
            .unwrap()
    }

    /// GETs a file of asset `scene` (as admin), with an optional `Range` header.
    pub async fn download(&self, version: &str, range: Option<String>) -> reqwest::Response {
        let mut request = self
            .http
            .get(self.api(&format!(
                "/projects/main/assets/scene/versions/{version}/files/scene.bin"
            )))
            .bearer_auth(&self.admin);
        if let Some(range) = range {
            request = request.header("range", range);
        }
        request.send().await.unwrap()
    }

    /// A user with `role` on project `main` (restricted to `departments`) and their token.
    pub async fn member(&self, name: &str, role: &str, departments: &[&str]) -> String {
        let (status, _) = self
            .post(
                "/users",
                &self.admin,
                json!({ "name": name, "role": role, "password": "a long password" }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED);
        let (status, body) = self
            .call(
                reqwest::Method::PUT,
                &format!("/projects/main/members/{name}"),
                Some(&self.admin),
                Some(json!({ "role": role, "departments": departments })),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let (status, body) = self
            .post(
                "/auth/login",
                "",
                json!({ "user": name, "password": "a long password" }),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body["token"].as_str().unwrap().to_owned()
    }

    /// Uploads `data` as the single file `path` of a new version of `asset`, negotiating
    /// chunks; returns (bytes of chunks sent, commit status, commit body).
    pub async fn publish(
        &self,
        token: &str,
        asset: &str,
        path: &str,
        data: &[u8],
    ) -> (u64, StatusCode, Value) {
        let params = self.repo.chunking();
        let (content, ranges) = describe_content(data, params);
        let (status, body) = self
            .post(
                "/projects/main/chunks/missing",
                token,
                json!({ "asset": asset, "chunks": content.chunks }),
            )
            .await;
        if status != StatusCode::OK {
            return (0, status, body);
        }
        let missing: Vec<ChunkId> = serde_json::from_value(body["missing"].clone()).unwrap();
        // Batches of at most 16 MiB, as a client would send them.
        let mut batches: Vec<Vec<u8>> = vec![Vec::new()];
        let mut sent = 0u64;
        let mut queued = std::collections::HashSet::new();
        for (id, range) in content.chunks.iter().zip(&ranges) {
            if missing.contains(id) && queued.insert(*id) {
                if batches.last().unwrap().len() + range.len() > 16 << 20 {
                    batches.push(Vec::new());
                }
                record(batches.last_mut().unwrap(), id, &data[range.clone()]);
                sent += range.len() as u64;
            }
        }
        for upload in batches.into_iter().filter(|b| !b.is_empty()) {
            assert_eq!(
                self.upload_for(token, asset, upload).await.status(),
                StatusCode::OK
            );
        }
        let manifest = Manifest {
            note: "remote".into(),
            files: vec![FileEntry {
                path: path.to_owned(),
                size: data.len() as u64,
                mode: 0o644,
                content: content.id,
            }],
            contents: vec![content],
        };
        let (status, body) = self
            .post(
                &format!("/projects/main/assets/{asset}/versions"),
                token,
                serde_json::to_value(&manifest).unwrap(),
            )
            .await;
        (sent, status, body)
    }

    pub async fn stop(mut self) {
        let _ = self.stop.take().unwrap().send(());
        self.task.take().unwrap().await.unwrap().unwrap();
        self.repo.close().await;
        if let Some(name) = self.pg_database.take() {
            let _ = std::process::Command::new("psql")
                .args([
                    "-h",
                    "127.0.0.1",
                    "-U",
                    "postgres",
                    "-w",
                    "-qc",
                    &format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"),
                ])
                .status();
        }
    }
}

/// Appends one upload record: chunk id, little-endian length, bytes.
pub fn record(upload: &mut Vec<u8>, id: &ChunkId, bytes: &[u8]) {
    upload.extend_from_slice(id.as_bytes());
    upload.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
    upload.extend_from_slice(bytes);
}

pub fn noise(len: usize, seed: u64) -> Vec<u8> {
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

pub fn code(body: &Value) -> &str {
    body["error"]["code"].as_str().unwrap_or("")
}

pub async fn each_backend<F, Fut>(test: F)
where
    F: Fn(&'static str) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    test("sqlite").await;
    test("postgres").await;
}
