//! [`Hub`] for [`Client`]: any operation of the table as one request, encoded by the table's
//! own wire rule (`bifrost_api::wire`), so the client and the server cannot disagree on a
//! route or a field. Retryable answers (`busy`) and refused connections are retried a few
//! times with backoff; other errors come back typed with the server's code.

use std::time::Duration;

use bifrost_api::{Hub, Method, Operation, wire};
use bifrost_core::{FileEntry, Version, VersionRef};

use crate::Client;
use crate::error::{ClientError, Result};

/// Attempts for a request that meets a retryable error.
const ATTEMPTS: u32 = 4;
/// The first pause between attempts (doubled each time).
const FIRST_PAUSE: Duration = Duration::from_millis(250);
/// The longest `Retry-After` a call waits out by itself before retrying.
const LONGEST_WAIT: Duration = Duration::from_secs(5);

fn method(method: Method) -> reqwest::Method {
    match method {
        Method::Get => reqwest::Method::GET,
        Method::Post => reqwest::Method::POST,
        Method::Put => reqwest::Method::PUT,
        Method::Patch => reqwest::Method::PATCH,
        Method::Delete => reqwest::Method::DELETE,
    }
}

impl Client {
    /// Sends one operation and reads its typed answer (no retries).
    async fn send_once<O: Operation>(&self, encoded: &wire::Encoded) -> Result<O::Response> {
        let mut url = self.base.clone();
        let path = format!(
            "{}/{}{}",
            self.base.path().trim_end_matches('/'),
            crate::API,
            encoded.path
        );
        url.set_path(&path);
        let what = format!("{} {}", O::SPEC.method.as_str(), url.path());
        let mut request = self.http.request(method(O::SPEC.method), url.clone());
        if O::SPEC.name != "Login" {
            request = request.bearer_auth(&self.token);
        }
        if !encoded.query.is_empty() {
            request = request.query(&encoded.query);
        }
        if let Some(body) = &encoded.body {
            let bytes = serde_json::to_vec(body).map_err(|e| ClientError::BadAnswer {
                what: what.clone(),
                detail: e.to_string(),
            })?;
            self.count_sent(bytes.len());
            request = request
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(bytes);
        }
        crate::read_answer(request, &url, &what).await
    }

    /// The version a reference names.
    pub async fn resolve(&self, reference: &VersionRef) -> Result<Version> {
        let details = self
            .call(bifrost_api::ops::GetVersion {
                project: self.project.clone(),
                asset: reference.asset.clone(),
                version: reference.version,
            })
            .await?;
        Ok(details.version)
    }

    /// The files of a version, all pages.
    pub async fn version_files(&self, version: &Version) -> Result<Vec<FileEntry>> {
        bifrost_api::all_pages(
            self,
            bifrost_api::ops::ListFiles {
                project: self.project.clone(),
                asset: version.asset.clone(),
                version: bifrost_core::VersionSelector::Number(version.number),
                limit: None,
                offset: None,
            },
        )
        .await
    }
}

impl Hub for Client {
    type Error = ClientError;

    fn project(&self) -> &str {
        &self.project
    }

    async fn call<O: Operation>(&self, op: O) -> Result<O::Response> {
        let encoded = wire::encode(&op).map_err(|e| ClientError::BadRequest {
            operation: O::SPEC.snake_name(),
            detail: e.message,
        })?;
        let mut pause = FIRST_PAUSE;
        let mut attempt = 1;
        loop {
            match self.send_once::<O>(&encoded).await {
                // A server that says to wait longer than a few seconds is answered by the
                // caller, not by sleeping here.
                Err(e)
                    if attempt < ATTEMPTS
                        && e.retryable()
                        && e.retry_after().is_none_or(|s| s <= LONGEST_WAIT.as_secs()) =>
                {
                    tracing::debug!(error = %e, attempt, "retrying");
                    let asked = Duration::from_secs(e.retry_after().unwrap_or(0));
                    tokio::time::sleep(pause.max(asked)).await;
                    pause *= 2;
                    attempt += 1;
                }
                other => return other,
            }
        }
    }
}

impl bifrost_files::Transfer for Client {
    async fn publish(
        &self,
        asset: &str,
        paths: &[std::path::PathBuf],
        note: &str,
        progress: std::sync::Arc<dyn bifrost_files::Progress>,
    ) -> Result<bifrost_files::PublishOutcome> {
        self.publish_files(asset, paths, note, progress).await
    }

    async fn checkout(
        &self,
        reference: &VersionRef,
        dest: &std::path::Path,
        options: bifrost_files::CheckoutOptions,
        progress: std::sync::Arc<dyn bifrost_files::Progress>,
    ) -> Result<bifrost_files::CheckoutOutcome> {
        self.checkout_files(reference, dest, options, progress)
            .await
    }
}

impl Client {
    /// Sends any operation of the table (see [`Hub::call`]): how dynamic front ends (Python)
    /// reach a server.
    pub async fn dispatch(&self, request: bifrost_api::Request) -> Result<bifrost_api::Response> {
        use bifrost_api::{Request, Response};
        macro_rules! arms {
            ($($name:ident),*) => {
                match request {
                    $(Request::$name(op) => Response::$name(Box::pin(self.call(op)).await?),)*
                }
            };
        }
        Ok(bifrost_api::for_each_operation!(arms))
    }
}
