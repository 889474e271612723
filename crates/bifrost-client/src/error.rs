//! What goes wrong when talking to a server, each case saying what to do about it in the
//! domain's words (the CLI adds its own hints), each with the same stable codes as a local
//! repository's errors ([`ClientError::code`]): a server's error body is read back into its
//! [`ErrorCode`].

use std::path::PathBuf;

use bifrost_api::{ApiError, ErrorCode};

/// A client error.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The server answered with an error body (`{"error": {"code", "message"}}`).
    #[error("{message} (server: {status} {code})")]
    Api {
        /// HTTP status.
        status: u16,
        /// The error code, such as `asset_not_found` or `locked` (`internal` for a code this
        /// client does not know).
        code: ErrorCode,
        /// The server's explanation.
        message: String,
        /// The seconds the server said to wait before retrying (`Retry-After`), if any.
        retry_after: Option<u64>,
    },
    /// An operation that cannot be put into a request (a bug in the caller).
    #[error("cannot send {operation}: {detail}")]
    BadRequest {
        /// The operation.
        operation: String,
        /// What is wrong.
        detail: String,
    },
    /// No connection, or it broke.
    #[error(
        "cannot talk to {url}: {source}; is the server running there, and is the address right?"
    )]
    Unreachable {
        /// Where.
        url: String,
        /// Why.
        #[source]
        source: reqwest::Error,
    },
    /// The server's answer was not what this client understands.
    #[error(
        "the server's answer to {what} could not be read ({detail}); is the server the same \
         Bifrost version as this client?"
    )]
    BadAnswer {
        /// Which request.
        what: String,
        /// What was wrong.
        detail: String,
    },
    /// The address given is not a URL.
    #[error("`{url}` is not a server address: write it like http://host:8080")]
    BadUrl {
        /// What was given.
        url: String,
    },
    /// No saved login for this server.
    #[error("not logged in to {url}")]
    NotLoggedIn {
        /// The server.
        url: String,
    },
    /// No server named and no default one.
    #[error("no server given, and none logged in to")]
    NoRemote,
    /// The credentials file could not be read or written.
    #[error("credentials file {path}: {detail}")]
    Credentials {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        detail: String,
    },
    /// A local file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A file changed between hashing and upload.
    #[error("{path} changed while it was being published; publish again")]
    ChangedDuringPublish {
        /// The file.
        path: PathBuf,
    },
    /// Downloaded bytes do not hash to the content id the server listed.
    #[error(
        "{path}: the downloaded bytes do not match the content id {expected} (got {actual}); \
         nothing was written there. Retry; if it persists, the server's store needs checking"
    )]
    Corrupt {
        /// The file's path in the version.
        path: String,
        /// The listed content id.
        expected: String,
        /// The hash of what arrived.
        actual: String,
    },
    /// Local file work (listing publish inputs, writing a checkout) failed.
    #[error("{0}{hint}", hint = local_hint(.0))]
    Local(#[from] bifrost_files::FilesError),
    /// Something only a local repository can do.
    #[error("{0}")]
    LocalOnly(String),
}

/// What the command line offers about local file work, beyond the files crate's own words.
fn local_hint(e: &bifrost_files::FilesError) -> &'static str {
    use bifrost_files::FilesError;
    match e {
        FilesError::DestinationExists { .. } => ", or pass --force to overwrite",
        FilesError::UnsafePath { .. } => ". Run `bifrost fsck` on the server",
        _ => "",
    }
}

/// Result with a [`ClientError`].
pub type Result<T, E = ClientError> = std::result::Result<T, E>;

impl ClientError {
    /// Whether sending the same request again later may succeed: the server said so
    /// (`busy`), or the connection was refused or reset before an answer.
    pub fn retryable(&self) -> bool {
        match self {
            ClientError::Api { code, .. } => code.retryable(),
            ClientError::Unreachable { source, .. } => source.is_connect(),
            _ => false,
        }
    }

    /// The HTTP status the server answered, if it answered with an error.
    pub fn status(&self) -> Option<u16> {
        match self {
            ClientError::Api { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// The error a server answered with, from its status and body (`{"error": {"code",
    /// "message"}}`); a code this client does not know reads as `internal`, its message kept.
    pub fn from_answer(status: u16, code: &str, message: String) -> Self {
        ClientError::Api {
            status,
            code: ErrorCode::from_wire(code),
            message,
            retry_after: None,
        }
    }

    /// The same answer with the server's `Retry-After` seconds.
    pub fn with_retry_after(mut self, seconds: Option<u64>) -> Self {
        if let ClientError::Api { retry_after, .. } = &mut self {
            *retry_after = seconds;
        }
        self
    }

    /// The seconds the server said to wait before retrying, if it said.
    pub fn retry_after(&self) -> Option<u64> {
        match self {
            ClientError::Api { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// The stable code of this error, the same as a local repository's for the same failure.
    /// An exhaustive match.
    pub fn code(&self) -> ErrorCode {
        match self {
            ClientError::Api { code, .. } => *code,
            ClientError::Local(e) => e.code(),
            ClientError::Unreachable { .. } => ErrorCode::Unreachable,
            ClientError::BadUrl { .. } => ErrorCode::BadUrl,
            ClientError::NotLoggedIn { .. } | ClientError::NoRemote => ErrorCode::Unauthorized,
            ClientError::BadAnswer { .. }
            | ClientError::Credentials { .. }
            | ClientError::Io { .. }
            | ClientError::Corrupt { .. } => ErrorCode::Internal,
            ClientError::ChangedDuringPublish { .. } => ErrorCode::ContentMismatch,
            ClientError::LocalOnly(_) | ClientError::BadRequest { .. } => ErrorCode::BadRequest,
        }
    }
}

impl From<ClientError> for ApiError {
    fn from(e: ClientError) -> Self {
        match e {
            ClientError::Api {
                code,
                message,
                retry_after,
                ..
            } => {
                let e = ApiError::new(code, message);
                match retry_after {
                    Some(seconds) => e.with_retry_after(seconds),
                    None => e,
                }
            }
            other => ApiError::new(other.code(), other.to_string()),
        }
    }
}

pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> ClientError {
    let path = path.into();
    move |source| ClientError::Io { path, source }
}

pub(crate) fn unreachable(url: &url::Url) -> impl FnOnce(reqwest::Error) -> ClientError {
    let url = url.as_str().to_owned();
    move |source| ClientError::Unreachable { url, source }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_file_errors_keep_the_command_line_hints() {
        let exists = ClientError::from(bifrost_files::FilesError::DestinationExists {
            path: "out/a.txt".into(),
        });
        assert_eq!(
            exists.to_string(),
            "`out/a.txt` already exists; check out into an empty or new directory, or pass \
             --force to overwrite"
        );
        let empty = ClientError::from(bifrost_files::FilesError::NothingToPublish);
        assert_eq!(
            empty.to_string(),
            "nothing to publish: the given paths contain no files"
        );
    }

    #[test]
    fn answers_keep_their_code() {
        let e = ClientError::from_answer(404, "asset_not_found", "asset `x` does not exist".into());
        assert_eq!(e.code(), ErrorCode::AssetNotFound);
        assert_eq!(
            e.to_string(),
            "asset `x` does not exist (server: 404 asset_not_found)"
        );
        let busy = ClientError::from_answer(503, "busy", "the catalog is busy".into());
        assert!(busy.code().retryable());
        let newer = ClientError::from_answer(429, "slow_down", "too many requests".into());
        assert_eq!(newer.code(), ErrorCode::Internal);
        assert_eq!(ApiError::from(newer).message, "too many requests");
    }
}
