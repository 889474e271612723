//! A real S3 server (s3s-fs over a temporary directory) on a loopback port, for tests.
//!
//! Enabled by the `s3-test-server` feature; never part of a release build.

use std::net::SocketAddr;
use std::path::PathBuf;

use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder as ConnBuilder;
use s3s::auth::SimpleAuth;
use s3s::service::S3ServiceBuilder;

/// Access key the test server accepts.
pub const ACCESS_KEY: &str = "bifrost-test";
/// Secret key the test server accepts.
pub const SECRET_KEY: &str = "bifrost-test-secret";

/// A running S3 server; stops when dropped.
#[derive(Debug)]
pub struct S3TestServer {
    addr: SocketAddr,
    root: tempfile::TempDir,
    task: tokio::task::JoinHandle<()>,
}

impl S3TestServer {
    /// Starts a server on 127.0.0.1 with an empty bucket named `bucket`.
    pub async fn start(bucket: &str) -> std::io::Result<Self> {
        let root = tempfile::tempdir()?;
        std::fs::create_dir(root.path().join(bucket))?;
        let fs = s3s_fs::FileSystem::new(root.path())
            .map_err(|e| std::io::Error::other(format!("{e:?}")))?;
        let service = {
            let mut b = S3ServiceBuilder::new(fs);
            b.set_auth(SimpleAuth::from_single(ACCESS_KEY, SECRET_KEY));
            b.build()
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let task = tokio::spawn(async move {
            let http = ConnBuilder::new(TokioExecutor::new());
            while let Ok((socket, _)) = listener.accept().await {
                let conn = http
                    .serve_connection(TokioIo::new(socket), service.clone())
                    .into_owned();
                tokio::spawn(async move {
                    let _ = conn.await;
                });
            }
        });
        Ok(Self { addr, root, task })
    }

    /// `http://127.0.0.1:PORT`.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// A store URL for `bucket/prefix` on this server, credentials included.
    pub fn store_url(&self, bucket: &str, prefix: &str) -> String {
        format!(
            "s3://{bucket}/{prefix}?endpoint={}&access_key_id={ACCESS_KEY}&secret_access_key={SECRET_KEY}",
            self.endpoint()
        )
    }

    /// The directory the server keeps its objects in (to corrupt them in tests).
    pub fn data_dir(&self) -> PathBuf {
        self.root.path().to_owned()
    }
}

impl Drop for S3TestServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}
