//! The one error type every front end meets: a stable machine code, an HTTP status, whether
//! retrying may help, and a message in the domain's words (front ends add their own hints).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The broad kind of an error: what a caller can do about it. Python exceptions and CLI exit
/// paths are chosen by kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// The request is malformed or names something impossible.
    Invalid,
    /// Credentials are missing, wrong or revoked.
    Unauthenticated,
    /// The caller may not do this.
    Forbidden,
    /// What the request names does not exist (or is not visible to the caller).
    NotFound,
    /// The request clashes with the current state (exists already, in use…).
    Conflict,
    /// Another user holds the lock.
    Locked,
    /// The request or one of its parts is too large.
    TooLarge,
    /// The service cannot answer now; retrying later may succeed.
    Unavailable,
    /// A fault on the serving side.
    Internal,
}

/// Stable machine codes. The string form (`asset_not_found`) never changes once published.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The request is malformed.
    BadRequest,
    /// A JSON body that does not fit the operation.
    BadJson,
    /// A query string that does not fit the operation.
    BadQuery,
    /// A path parameter that does not fit the operation.
    BadPath,
    /// Text holding U+0000.
    NulCharacter,
    /// Something the request names does not exist.
    NotFound,
    /// The caller may not do this.
    Forbidden,
    /// No usable credentials.
    Unauthorized,
    /// The catalog is busy; retry.
    Busy,
    /// A fault on the serving side.
    Internal,
}

impl ErrorCode {
    /// The stable string form.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::BadRequest => "bad_request",
            ErrorCode::BadJson => "bad_json",
            ErrorCode::BadQuery => "bad_query",
            ErrorCode::BadPath => "bad_path",
            ErrorCode::NulCharacter => "nul_character",
            ErrorCode::NotFound => "not_found",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::Unauthorized => "unauthorized",
            ErrorCode::Busy => "busy",
            ErrorCode::Internal => "internal",
        }
    }

    /// What kind of error this is.
    pub fn kind(self) -> ErrorKind {
        match self {
            ErrorCode::BadRequest
            | ErrorCode::BadJson
            | ErrorCode::BadQuery
            | ErrorCode::BadPath
            | ErrorCode::NulCharacter => ErrorKind::Invalid,
            ErrorCode::NotFound => ErrorKind::NotFound,
            ErrorCode::Forbidden => ErrorKind::Forbidden,
            ErrorCode::Unauthorized => ErrorKind::Unauthenticated,
            ErrorCode::Busy => ErrorKind::Unavailable,
            ErrorCode::Internal => ErrorKind::Internal,
        }
    }

    /// The HTTP status that carries it.
    pub fn http_status(self) -> u16 {
        match self.kind() {
            ErrorKind::Invalid => 400,
            ErrorKind::Unauthenticated => 401,
            ErrorKind::Forbidden => 403,
            ErrorKind::NotFound => 404,
            ErrorKind::Conflict => 409,
            ErrorKind::Locked => 423,
            ErrorKind::TooLarge => 413,
            ErrorKind::Unavailable => 503,
            ErrorKind::Internal => 500,
        }
    }

    /// Whether the same request may succeed if sent again later.
    pub fn retryable(self) -> bool {
        matches!(self.kind(), ErrorKind::Unavailable)
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An error as every front end sees it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ApiError {
    /// The stable code.
    pub code: ErrorCode,
    /// What went wrong, in the domain's words.
    pub message: String,
}

impl ApiError {
    /// An error with a code and a message.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        ApiError {
            code,
            message: message.into(),
        }
    }

    /// Whether the same request may succeed if sent again later.
    pub fn retryable(&self) -> bool {
        self.code.retryable()
    }
}

/// The body of every error answer: `{"error": {"code", "message", "retryable"}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ErrorBody {
    /// The error.
    pub error: ErrorDetail,
}

/// Code and message of an error answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable machine-readable code (`asset_not_found`, `forbidden`, `busy`…).
    pub code: String,
    /// What went wrong.
    pub message: String,
    /// Whether sending the same request again later may succeed.
    #[serde(default)]
    pub retryable: bool,
}

impl From<&ApiError> for ErrorBody {
    fn from(e: &ApiError) -> Self {
        ErrorBody {
            error: ErrorDetail {
                code: e.code.as_str().to_owned(),
                message: e.message.clone(),
                retryable: e.retryable(),
            },
        }
    }
}
