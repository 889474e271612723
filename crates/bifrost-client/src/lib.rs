//! A client for `bifrost serve`: the operations of a local repository, answered by a server.
//!
//! [`Client`] implements [`bifrost_api::Hub`] (every operation of the table, encoded by the
//! table's wire rule) and [`bifrost_files::Transfer`], the traits the CLI is written against, so
//! every command runs the same against a server (`bifrost --remote …`). Publishing cuts files exactly
//! as the server's repository would (same FastCDC parameters), asks which chunks the server
//! lacks and uploads only those; checkout streams each file, verifies it against its content id
//! and renames it into place (see [`transfer`](crate::Client::publish)). Logins are saved per
//! server in a private credentials file ([`Credentials`]).
//!
//! Besides the server, this is the only crate that knows HTTP.

mod credentials;
mod error;
mod hub;
mod transfer;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

// The operations a front end may ask for; `transfer.rs` calls some on the client itself.
use serde::de::DeserializeOwned;

pub use credentials::{Credentials, Login, credentials_path, normalize_url};
pub use error::{ClientError, Result};

/// The API's prefix on a server.
const API: &str = "api/v1";

/// A connection to one server, acting for one token in one project.
#[derive(Debug, Clone)]
pub struct Client {
    http: reqwest::Client,
    base: url::Url,
    token: String,
    project: String,
    /// Request body bytes sent so far (JSON and chunk uploads), shared by clones.
    sent: Arc<AtomicU64>,
}

/// Who a token belongs to, as the server sees it.
pub use bifrost_api::ops::access::WhoAmI as Me;

#[derive(serde::Deserialize)]
struct ErrorBody {
    error: ErrorDetail,
}

#[derive(serde::Deserialize)]
struct ErrorDetail {
    code: String,
    message: String,
}

fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .user_agent(concat!("bifrost/", env!("CARGO_PKG_VERSION")))
        .connect_timeout(std::time::Duration::from_secs(10))
        .build()
        .expect("a default HTTP client builds")
}

fn base_url(server: &str) -> Result<url::Url> {
    let normalized = normalize_url(server)?;
    url::Url::parse(&format!("{normalized}/")).map_err(|_| ClientError::BadUrl {
        url: server.to_owned(),
    })
}

impl Client {
    /// A client for `server` (http://host:port) using `token`, acting in `project`.
    pub fn new(server: &str, token: &str, project: &str) -> Result<Self> {
        Ok(Self {
            http: http_client(),
            base: base_url(server)?,
            token: token.to_owned(),
            project: project.to_owned(),
            sent: Arc::default(),
        })
    }

    /// Signs in with a password: the server creates a personal token named `token_name`.
    pub async fn login(
        server: &str,
        user: &str,
        password: &str,
        token_name: &str,
    ) -> Result<bifrost_core::access::NewToken> {
        let anonymous = Client::new(server, "", "")?;
        bifrost_api::Hub::call(
            &anonymous,
            bifrost_api::ops::Login {
                user: user.to_owned(),
                password: password.to_owned(),
                token_name: Some(token_name.to_owned()),
            },
        )
        .await
    }

    /// The server's address.
    pub fn server(&self) -> String {
        self.base.as_str().trim_end_matches('/').to_owned()
    }

    /// Request body bytes this client (and its clones) has sent: what a publish moved over
    /// the wire, JSON included, HTTP headers not.
    pub fn bytes_sent(&self) -> u64 {
        self.sent.load(Ordering::Relaxed)
    }

    fn count_sent(&self, bytes: usize) {
        self.sent.fetch_add(bytes as u64, Ordering::Relaxed);
    }

    /// Acts in another project.
    pub fn with_project(mut self, project: &str) -> Self {
        project.clone_into(&mut self.project);
        self
    }

    /// Who the token belongs to (also checks that it is accepted).
    pub async fn me(&self) -> Result<Me> {
        bifrost_api::Hub::call(self, bifrost_api::ops::Me {}).await
    }

    /// `base/api/v1/<segments>`, each segment percent-encoded (a `/` inside one stays data).
    fn url(&self, segments: &[&str]) -> url::Url {
        let mut all = vec![API];
        all.extend_from_slice(segments);
        join(&self.base, &all)
    }

    /// `…/projects/<current project>/<segments>`.
    fn in_project(&self, segments: &[&str]) -> url::Url {
        let mut all = vec!["projects", self.project.as_str()];
        all.extend_from_slice(segments);
        self.url(&all)
    }

    fn request(&self, method: reqwest::Method, url: url::Url) -> reqwest::RequestBuilder {
        self.http.request(method, url).bearer_auth(&self.token)
    }
}

fn join(base: &url::Url, segments: &[&str]) -> url::Url {
    let mut url = base.clone();
    {
        let mut path = url.path_segments_mut().expect("http URLs have a path");
        path.pop_if_empty();
        for s in segments {
            // The API prefix is two segments written as one.
            for part in if *s == API {
                s.split('/').collect()
            } else {
                vec![*s]
            } {
                path.push(part);
            }
        }
    }
    url
}

/// Sends a request and reads a JSON answer, turning error bodies and broken connections into
/// [`ClientError`]s.
async fn read_answer<T: DeserializeOwned>(
    request: reqwest::RequestBuilder,
    url: &url::Url,
    what: &str,
) -> Result<T> {
    let response = request.send().await.map_err(error::unreachable(url))?;
    let bytes = check(response)
        .await?
        .bytes()
        .await
        .map_err(error::unreachable(url))?;
    serde_json::from_slice(&bytes).map_err(|e| ClientError::BadAnswer {
        what: what.to_owned(),
        detail: e.to_string(),
    })
}

/// Passes a successful response through; turns an error answer into [`ClientError::Api`].
async fn check(response: reqwest::Response) -> Result<reqwest::Response> {
    let status = response.status();
    if status.is_success() {
        return Ok(response);
    }
    let retry_after = response
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    let text = response.text().await.unwrap_or_default();
    let (code, message) = match serde_json::from_str::<ErrorBody>(&text) {
        Ok(body) => (body.error.code, body.error.message),
        // Not a Bifrost answer: a proxy's, while the server is down or restarting (retryable),
        // or something else (`internal`).
        Err(_) => (
            if matches!(status.as_u16(), 502..=504) {
                "unreachable".to_owned()
            } else {
                "internal".to_owned()
            },
            if text.is_empty() {
                format!("the server answered {status}")
            } else {
                text
            },
        ),
    };
    Err(ClientError::from_answer(status.as_u16(), &code, message).with_retry_after(retry_after))
}
