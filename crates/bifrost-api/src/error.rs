//! The one error type every front end meets: a stable machine code, an HTTP status, whether
//! retrying may help, and a message in the domain's words (front ends add their own hints).
//!
//! The rules, in the style of `rustic_core`'s errors:
//! - a small [`ErrorKind`] says what a caller can do about an error (Python exceptions and CLI
//!   exit paths are chosen by kind);
//! - an [`ErrorCode`] names the error precisely and never changes its string form once
//!   published; each code has one HTTP status and one answer to "may the same request succeed
//!   if sent again later?" ([`ErrorCode::retryable`]);
//! - every library error maps to a code by an exhaustive `match` (no catch-all arm), so a new
//!   variant cannot silently become a 500: `CatalogError::code`, `StoreError::code`,
//!   `bifrost::Error::code`;
//! - messages say what went wrong in the domain's words and name no front end's commands or
//!   flags: the CLI adds its own hints (`bifrost-cli/src/hints.rs`), by code or by variant.

use std::str::FromStr;

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
    /// The service cannot answer now (only codes marked retryable may succeed when retried).
    Unavailable,
    /// A fault on the serving side.
    Internal,
}

/// Defines [`ErrorCode`] and its tables from one list, so that [`ErrorCode::ALL`] and every
/// `match` over the codes cannot miss one: a code is a variant, its string form, its kind, its
/// HTTP status and whether it is retryable, all on one line.
macro_rules! error_codes {
    ($(
        $(#[doc = $doc:literal])*
        $variant:ident = $text:literal, $kind:ident, $status:literal, $retryable:literal;
    )*) => {
        /// Stable machine codes. The string form (`asset_not_found`) never changes once
        /// published; the serde form is the same string.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum ErrorCode {
            $(
                $(#[doc = $doc])*
                $variant,
            )*
        }

        impl ErrorCode {
            /// Every code, in definition order.
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant),*];

            /// The stable string form.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(ErrorCode::$variant => $text,)*
                }
            }

            /// What kind of error this is.
            pub fn kind(self) -> ErrorKind {
                match self {
                    $(ErrorCode::$variant => ErrorKind::$kind,)*
                }
            }

            /// The HTTP status that carries it.
            pub fn http_status(self) -> u16 {
                match self {
                    $(ErrorCode::$variant => $status,)*
                }
            }

            /// Whether the same request may succeed if sent again later (the server then adds
            /// `Retry-After`).
            pub fn retryable(self) -> bool {
                match self {
                    $(ErrorCode::$variant => $retryable,)*
                }
            }
        }

        impl FromStr for ErrorCode {
            type Err = UnknownCode;

            fn from_str(text: &str) -> Result<Self, UnknownCode> {
                match text {
                    $($text => Ok(ErrorCode::$variant),)*
                    _ => Err(UnknownCode(text.to_owned())),
                }
            }
        }
    };
}

error_codes! {
    // -- The request itself -----------------------------------------------------------------
    /// The request is malformed.
    BadRequest = "bad_request", Invalid, 400, false;
    /// The JSON body cannot be read as the operation's request.
    BadJson = "bad_json", Invalid, 400, false;
    /// The query string cannot be read, or a search query does not parse.
    BadQuery = "bad_query", Invalid, 400, false;
    /// A path parameter cannot be read, or a file path cannot be published.
    BadPath = "bad_path", Invalid, 400, false;
    /// The body cannot be read.
    BadBody = "bad_body", Invalid, 400, false;
    /// A chunk upload is not in the upload format.
    BadUpload = "bad_upload", Invalid, 400, false;
    /// A byte range does not fit the file.
    BadRange = "bad_range", Invalid, 416, false;
    /// Text holds U+0000, which no name or text may hold.
    NulCharacter = "nul_character", Invalid, 400, false;
    /// The body is not JSON.
    UnsupportedMediaType = "unsupported_media_type", Invalid, 415, false;
    /// The body is larger than the server accepts.
    TooLarge = "too_large", TooLarge, 413, false;
    /// No such endpoint.
    NoRoute = "no_route", NotFound, 404, false;

    // -- Who asks ---------------------------------------------------------------------------
    /// No usable credentials (missing, unknown, expired or revoked token).
    Unauthorized = "unauthorized", Unauthenticated, 401, false;
    /// A user name and password that do not match an enabled user.
    BadCredentials = "bad_credentials", Unauthenticated, 401, false;
    /// A password too weak to accept.
    WeakPassword = "weak_password", Invalid, 400, false;
    /// The caller's role or departments do not allow this.
    Forbidden = "forbidden", Forbidden, 403, false;

    // -- Values -----------------------------------------------------------------------------
    /// A name, value, search, status, department, role, pin or batch that is not acceptable.
    Invalid = "invalid", Invalid, 400, false;
    /// A duration that cannot be read or is out of range.
    BadDuration = "bad_duration", Invalid, 400, false;
    /// A URL that cannot be used.
    BadUrl = "bad_url", Invalid, 400, false;
    /// Nothing to publish: the given paths hold no files.
    NothingToPublish = "nothing_to_publish", Invalid, 400, false;
    /// Uploaded chunks do not make up the content they were said to.
    ContentMismatch = "content_mismatch", Invalid, 400, false;
    /// Bytes sent as a chunk do not hash to its id.
    ChunkMismatch = "chunk_mismatch", Invalid, 400, false;
    /// A chunk larger than any the store cuts.
    ChunkTooLarge = "chunk_too_large", TooLarge, 413, false;

    // -- Not found --------------------------------------------------------------------------
    /// Something the request names does not exist (no more precise code applies; also: no
    /// repository at or above a directory).
    NotFound = "not_found", NotFound, 404, false;
    /// No such project, or the caller is not a member of it.
    ProjectNotFound = "project_not_found", NotFound, 404, false;
    /// No such asset.
    AssetNotFound = "asset_not_found", NotFound, 404, false;
    /// No such version (or the asset has none yet).
    VersionNotFound = "version_not_found", NotFound, 404, false;
    /// No such file in the version.
    FileNotFound = "file_not_found", NotFound, 404, false;
    /// No such content.
    ContentNotFound = "content_not_found", NotFound, 404, false;
    /// No such sequence.
    SequenceNotFound = "sequence_not_found", NotFound, 404, false;
    /// No such shot.
    ShotNotFound = "shot_not_found", NotFound, 404, false;
    /// No such task.
    TaskNotFound = "task_not_found", NotFound, 404, false;
    /// No such link.
    LinkNotFound = "link_not_found", NotFound, 404, false;
    /// No such workflow transition.
    TransitionNotFound = "transition_not_found", NotFound, 404, false;
    /// No such saved search.
    SavedSearchNotFound = "saved_search_not_found", NotFound, 404, false;
    /// No such collection.
    CollectionNotFound = "collection_not_found", NotFound, 404, false;
    /// No such user.
    UserNotFound = "user_not_found", NotFound, 404, false;
    /// No such token.
    TokenNotFound = "token_not_found", NotFound, 404, false;
    /// The user is not a member of the project.
    MemberNotFound = "member_not_found", NotFound, 404, false;
    /// No such webhook.
    WebhookNotFound = "webhook_not_found", NotFound, 404, false;

    // -- Conflicts with the current state ---------------------------------------------------
    /// The name is taken (or the destination is already there).
    Exists = "exists", Conflict, 409, false;
    /// Someone else holds the asset's lock.
    Locked = "locked", Locked, 409, false;
    /// A lock asked for from an older version than the latest.
    NotLatestVersion = "not_latest_version", Conflict, 409, false;
    /// The lock is not held by the caller.
    LockNotHeld = "lock_not_held", Conflict, 409, false;
    /// The workflow does not allow this status change.
    IllegalTransition = "illegal_transition", Conflict, 409, false;
    /// The link would make a dependency cycle.
    LinkCycle = "link_cycle", Conflict, 409, false;
    /// Other entities depend on what is to be deleted.
    HasDependants = "has_dependants", Conflict, 409, false;
    /// A status or department is still in use.
    InUse = "in_use", Conflict, 409, false;
    /// Chunks a commit needs vanished (a concurrent garbage collection): publish again.
    MissingChunks = "missing_chunks", Conflict, 409, false;
    /// A writer's pack lease expired: publish again.
    LeaseLost = "lease_lost", Conflict, 409, false;
    /// A commit names a content whose bytes were not uploaded to the project.
    ContentNotUploaded = "content_not_uploaded", Conflict, 409, false;

    // -- The service ------------------------------------------------------------------------
    /// The catalog is busy (locked by another writer, no free connection, a serialization
    /// failure, a dropped or refused database connection, a race with gc): retry.
    Busy = "busy", Unavailable, 503, true;
    /// Too many requests from the caller's address or token, or sign-in attempts that come
    /// faster than the growing delay after failed ones allows: retry after `Retry-After`.
    RateLimited = "rate_limited", Unavailable, 429, true;
    /// The caller's address already holds as many connections as the server allows one
    /// address: close some, or retry after `Retry-After`.
    TooManyConnections = "too_many_connections", Unavailable, 429, true;
    /// Password sign-in for this user (or from this address) is locked after too many failed
    /// attempts, until `Retry-After` has passed or an admin lifts the lock. Tokens still work.
    SignInLocked = "sign_in_locked", Unavailable, 429, false;
    /// The server could not be reached (the HTTP client's own code, never sent by a server).
    Unreachable = "unreachable", Unavailable, 503, true;
    /// The catalog database cannot be reached, or went away during the request (stopped,
    /// restarted, the session ended): retry once it is back.
    CatalogUnavailable = "catalog_unavailable", Unavailable, 503, true;
    /// The catalog lost committed changes: writes are refused until an operator recovers it.
    CatalogBehind = "catalog_behind", Unavailable, 503, false;
    /// The catalog database is damaged (a corrupted or truncated file, rows that cannot be
    /// read): an operator must restore it from a backup.
    CatalogDamaged = "catalog_damaged", Internal, 500, false;
    /// A fault on the serving side (I/O, a failed task, an unreadable answer).
    Internal = "internal", Internal, 500, false;
    /// The catalog database failed or is damaged.
    Catalog = "catalog", Internal, 500, false;
    /// The chunk store failed or is damaged.
    Store = "store", Internal, 500, false;
}

/// A code this build does not know (a newer server's).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown error code `{0}`")]
pub struct UnknownCode(pub String);

impl ErrorCode {
    /// The code a peer sent: an unknown one (from a newer server) reads as
    /// [`ErrorCode::Internal`].
    pub fn from_wire(text: &str) -> ErrorCode {
        text.parse().unwrap_or(ErrorCode::Internal)
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
    /// How many seconds to wait before trying again, when the error knows (a rate limit, a
    /// sign-in delay or lockout); the server sends it as `Retry-After`.
    pub retry_after: Option<u64>,
}

impl ApiError {
    /// An error with a code and a message.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        ApiError {
            code,
            message: message.into(),
            retry_after: None,
        }
    }

    /// The same error, saying to wait `seconds` before trying again.
    pub fn with_retry_after(mut self, seconds: u64) -> Self {
        self.retry_after = Some(seconds);
        self
    }

    /// What kind of error this is.
    pub fn kind(&self) -> ErrorKind {
        self.code.kind()
    }

    /// The HTTP status that carries it.
    pub fn http_status(&self) -> u16 {
        self.code.http_status()
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

/// Code, message and retryability of an error answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable machine-readable code (`asset_not_found`, `forbidden`, `busy`…). A string, not
    /// an enumeration, so that clients keep working when a server learns a new code; read an
    /// unknown one as `internal`.
    #[schema(example = "asset_not_found")]
    pub code: String,
    /// What went wrong, in the domain's words.
    pub message: String,
    /// Whether the same request may succeed if sent again later (the answer then also carries
    /// `Retry-After`). Always sent; read as `false` from servers older than this field.
    #[serde(default)]
    #[schema(required = true)]
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

impl From<ErrorBody> for ApiError {
    /// Unknown codes read as `internal`; the message is kept.
    fn from(body: ErrorBody) -> Self {
        ApiError::new(ErrorCode::from_wire(&body.error.code), body.error.message)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn every_code_has_one_stable_string() {
        let mut seen = HashSet::new();
        for &code in ErrorCode::ALL {
            let text = code.as_str();
            assert!(seen.insert(text), "`{text}` is used twice");
            assert_eq!(
                serde_json::to_value(code).unwrap(),
                serde_json::Value::String(text.to_owned()),
                "{code:?}: as_str and serde disagree"
            );
            assert_eq!(
                serde_json::from_value::<ErrorCode>(serde_json::json!(text)).unwrap(),
                code
            );
            assert_eq!(text.parse::<ErrorCode>(), Ok(code));
            assert_eq!(code.to_string(), text);
            assert!(
                text.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
                "`{text}` is not snake_case"
            );
        }
        assert_eq!(seen.len(), ErrorCode::ALL.len());
    }

    #[test]
    fn statuses_kinds_and_retries_agree() {
        for &code in ErrorCode::ALL {
            let status = code.http_status();
            let expected = match code.kind() {
                ErrorKind::Invalid => 400..=499,
                ErrorKind::Unauthenticated => 401..=401,
                ErrorKind::Forbidden => 403..=403,
                ErrorKind::NotFound => 404..=404,
                ErrorKind::Conflict | ErrorKind::Locked => 409..=409,
                ErrorKind::TooLarge => 413..=413,
                // 429: this caller, for now; 503: anyone, for now.
                ErrorKind::Unavailable if status == 429 => 429..=429,
                ErrorKind::Unavailable => 503..=503,
                ErrorKind::Internal => 500..=500,
            };
            assert!(expected.contains(&status), "{code}: {status}");
            if code.retryable() {
                assert_eq!(code.kind(), ErrorKind::Unavailable, "{code}");
            }
        }
        assert!(ErrorCode::Busy.retryable());
        assert_eq!(ErrorCode::Busy.http_status(), 503);
        assert!(!ErrorCode::Internal.retryable());
        assert!(!ErrorCode::CatalogBehind.retryable());
    }

    /// The codes and statuses the server answered before the table existed: clients match on
    /// them, so they never change.
    #[test]
    fn published_codes_keep_their_status() {
        for (text, status) in [
            ("bad_request", 400),
            ("bad_json", 400),
            ("bad_query", 400),
            ("bad_path", 400),
            ("bad_body", 400),
            ("bad_upload", 400),
            ("bad_range", 416),
            ("nul_character", 400),
            ("unsupported_media_type", 415),
            ("too_large", 413),
            ("no_route", 404),
            ("unauthorized", 401),
            ("bad_credentials", 401),
            ("weak_password", 400),
            ("forbidden", 403),
            ("invalid", 400),
            ("bad_duration", 400),
            ("bad_url", 400),
            ("nothing_to_publish", 400),
            ("content_mismatch", 400),
            ("chunk_mismatch", 400),
            ("chunk_too_large", 413),
            ("project_not_found", 404),
            ("asset_not_found", 404),
            ("version_not_found", 404),
            ("file_not_found", 404),
            ("content_not_found", 404),
            ("sequence_not_found", 404),
            ("shot_not_found", 404),
            ("task_not_found", 404),
            ("link_not_found", 404),
            ("transition_not_found", 404),
            ("saved_search_not_found", 404),
            ("collection_not_found", 404),
            ("user_not_found", 404),
            ("token_not_found", 404),
            ("member_not_found", 404),
            ("webhook_not_found", 404),
            ("exists", 409),
            ("locked", 409),
            ("not_latest_version", 409),
            ("lock_not_held", 409),
            ("illegal_transition", 409),
            ("link_cycle", 409),
            ("has_dependants", 409),
            ("in_use", 409),
            ("missing_chunks", 409),
            ("lease_lost", 409),
            ("content_not_uploaded", 409),
            ("busy", 503),
            ("catalog_unavailable", 503),
            ("catalog_behind", 503),
            ("catalog_damaged", 500),
            ("internal", 500),
            ("catalog", 500),
            ("store", 500),
        ] {
            let code: ErrorCode = text.parse().unwrap();
            assert_eq!(code.http_status(), status, "{text}");
        }
    }

    #[test]
    fn unknown_codes_read_as_internal_and_keep_the_message() {
        assert_eq!(
            ErrorCode::from_wire("asset_not_found"),
            ErrorCode::AssetNotFound
        );
        assert!("quota_exceeded".parse::<ErrorCode>().is_err());
        let body: ErrorBody = serde_json::from_value(serde_json::json!({
            "error": {"code": "quota_exceeded", "message": "over quota"}
        }))
        .unwrap();
        let e = ApiError::from(body);
        assert_eq!(e, ApiError::new(ErrorCode::Internal, "over quota"));
        assert_eq!(e.kind(), ErrorKind::Internal);
    }

    #[test]
    fn bodies_carry_retryable() {
        let body = ErrorBody::from(&ApiError::new(ErrorCode::Busy, "the catalog is busy"));
        assert_eq!(
            serde_json::to_value(&body).unwrap(),
            serde_json::json!({"error": {
                "code": "busy", "message": "the catalog is busy", "retryable": true
            }})
        );
        assert_eq!(
            ApiError::from(body),
            ApiError::new(ErrorCode::Busy, "the catalog is busy")
        );
    }
}
