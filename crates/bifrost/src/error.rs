//! Facade errors: the store's and the catalog's, plus what only the facade can see. Messages
//! are in the domain's words (front ends add their own hints: the CLI's `hints.rs`); each error
//! has a stable code ([`Error::code`], an exhaustive match) and becomes a
//! [`bifrost_api::ApiError`] for every front end.

use std::path::PathBuf;

use bifrost_api::{ApiError, ErrorCode};

/// Anything a repository operation can fail with. Messages say what to do next.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The catalog refused or failed.
    #[error(transparent)]
    Catalog(#[from] bifrost_catalog::CatalogError),
    /// The chunk store refused or failed.
    #[error(transparent)]
    Store(#[from] bifrost_store::StoreError),
    /// No repository at or above a directory.
    #[error("no Bifrost repository found in `{start}` or any parent directory")]
    NotARepository {
        /// Where the search started.
        start: PathBuf,
    },
    /// `init` on a directory that already holds a repository.
    #[error("`{path}` already holds a Bifrost repository; use it, or create one somewhere else")]
    AlreadyInitialized {
        /// The repository root.
        path: PathBuf,
    },
    /// The repository's config file is missing or malformed.
    #[error("the repository config `{path}` is unusable: {reason}")]
    Config {
        /// The config file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// A path given to publish does not exist or cannot be read.
    #[error("cannot read `{path}`: {source}")]
    Input {
        /// The path.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// Two inputs of one publish would land on the same path in the version.
    #[error(
        "two inputs would both be stored as `{path}` in the version; publish them in separate directories"
    )]
    PathCollision {
        /// The path inside the version.
        path: String,
    },
    /// A file name that cannot be stored portably.
    #[error("cannot publish `{path}`: {reason}")]
    BadInputName {
        /// The offending path.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// A request that asks for more at once than the hub answers.
    #[error("too many {what}: at most {limit}; split the request")]
    TooMany {
        /// What there were too many of.
        what: String,
        /// The most allowed.
        limit: usize,
    },
    /// A search query that cannot be read.
    #[error(transparent)]
    Query(#[from] bifrost_core::QueryError),
    /// An invariant of the program itself broke (a bug, not bad input).
    #[error("internal error: {what}")]
    Internal {
        /// What broke.
        what: String,
    },
    /// Publish was given nothing (or only empty directories).
    #[error("nothing to publish: the given paths contain no files")]
    NothingToPublish,
    /// A checkout would overwrite files.
    #[error("`{path}` already exists; choose a new or empty destination, or allow overwriting")]
    DestinationExists {
        /// The first file that is in the way.
        path: PathBuf,
    },
    /// Writing a checkout failed (full disk, read-only filesystem, permissions…).
    #[error("cannot write `{path}`: {source}{}", bifrost_files::write_hint(source))]
    Output {
        /// The file or directory being written.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// A duration such as a gc grace period could not be read, or is longer than any
    /// duration accepted.
    #[error(transparent)]
    BadDuration(#[from] bifrost_core::duration::DurationError),
    /// A duration too long (or too short) for what it is for.
    #[error("{what} of {given} is out of range: it must be {allowed}")]
    DurationOutOfRange {
        /// What the duration is for (`a token lifetime`).
        what: String,
        /// The duration as given.
        given: String,
        /// The range accepted, and what to do instead.
        allowed: String,
    },
    /// The actor's role or departments do not allow the operation.
    #[error("{user} may not do this: {reason}; ask a project supervisor or an admin for the right")]
    Forbidden {
        /// Who asked.
        user: String,
        /// Which right is missing.
        reason: String,
    },
    /// A user name and password that do not match an enabled user.
    #[error("unknown user or wrong password (or the user is disabled)")]
    BadCredentials,
    /// Password sign-ins for this user name or from this address failed recently: the next
    /// attempt must wait (each failure past the first few doubles the wait).
    #[error(
        "too many failed sign-ins {whose}: wait {} s before trying again",
        whole_seconds(.wait)
    )]
    SignInDelayed {
        /// `for user `x`` or `from this address`.
        whose: String,
        /// How long to wait.
        wait: std::time::Duration,
    },
    /// Password sign-in is locked after too many failed attempts, until `until` or until an
    /// admin lifts the lock; API tokens keep working.
    #[error(
        "password sign-in {whose} is locked after too many failed attempts, until {until}; an \
         admin can lift the lock sooner, and API tokens keep working"
    )]
    SignInLocked {
        /// `for user `x`` or `from this address`.
        whose: String,
        /// When the lock ends.
        until: chrono::DateTime<chrono::Utc>,
        /// How long that is from now.
        wait: std::time::Duration,
    },
    /// More password checks are waiting than the server queues: a burst of sign-ins.
    #[error("too many sign-ins are being checked at once; try again in a moment")]
    SignInBusy,
    /// A password too short to be worth hashing.
    #[error("a password must be at least 8 characters long")]
    WeakPassword,
    /// Hashing a password failed.
    #[error("cannot hash the password: {0}")]
    Password(String),
    /// A URL that cannot be used.
    #[error("cannot use `{url}`: {reason}")]
    BadUrl {
        /// The URL given.
        url: String,
        /// Why not.
        reason: String,
    },
    /// A remote commit named a content that is in no version of its project and whose bytes
    /// were not uploaded to it: knowing a content's hash is no proof of holding its bytes.
    #[error(
        "content {content} is not in this project and its bytes were not uploaded to it; nothing was committed (upload every chunk the server asks for, then commit again)"
    )]
    NotUploaded {
        /// The content.
        content: bifrost_core::ContentId,
    },

    /// Uploaded chunks that do not make up the content they were said to.
    #[error(
        "the uploaded chunks of content {claimed} make {actual_size} bytes hashing to {actual}, not {claimed_size} bytes hashing to {claimed}; nothing was committed (re-cut the file and upload again)"
    )]
    ContentMismatch {
        /// The content id claimed.
        claimed: bifrost_core::ContentId,
        /// What the chunks hash to.
        actual: bifrost_core::ContentId,
        /// The size claimed.
        claimed_size: u64,
        /// The size of the chunks.
        actual_size: u64,
    },
    /// gc asked for a grace period too short to be safe.
    #[error(
        "a grace period of {}s is shorter than the safe minimum of {}s: a publish that has not leased its packs yet (an older client, a slow write) could lose them; give a longer grace period, or force it",
        .grace.as_secs(),
        .minimum.as_secs()
    )]
    GraceTooShort {
        /// What was asked for.
        grace: std::time::Duration,
        /// The minimum.
        minimum: std::time::Duration,
    },
    /// A publish kept losing its chunks to concurrent garbage collection.
    #[error(
        "publish raced with garbage collection repeatedly; try again when the collection has finished"
    )]
    GcRace,
    /// A package that cannot be created, read or imported.
    #[error("package `{package}`: {reason}")]
    Package {
        /// The package file.
        package: PathBuf,
        /// What is wrong, and what to do.
        reason: String,
    },
    /// Assets of a package exist here with different versions, and no way to resolve the clash
    /// was chosen.
    #[error(
        "package `{package}`: {} here with different versions; nothing was imported. Choose how to resolve the clash: skip (leave them), rename (import as NAME-imported) or new-version (append the package's versions)",
        clash_phrase(.assets)
    )]
    ImportClash {
        /// The package file.
        package: PathBuf,
        /// The assets that clash.
        assets: Vec<String>,
    },
    /// No workspace at or above a directory.
    #[error("`{dir}` is not inside a workspace")]
    NotAWorkspace {
        /// Where the search started.
        dir: PathBuf,
    },
    /// A workspace that cannot be used as asked.
    #[error("workspace `{dir}`: {reason}")]
    Workspace {
        /// The workspace directory.
        dir: PathBuf,
        /// What is wrong, and what to do.
        reason: String,
    },
    /// Batch-ingest rules that cannot be used.
    #[error("rules `{path}`: {reason}")]
    Rules {
        /// The rules file.
        path: PathBuf,
        /// What is wrong, and what to do.
        reason: String,
    },
}

/// Local file work fails with the facade's own variants (and messages) for the same cases, so
/// callers of a repository see one error whether the files crate or the facade noticed.
impl From<bifrost_files::FilesError> for Error {
    fn from(e: bifrost_files::FilesError) -> Self {
        use bifrost_files::FilesError;
        match e {
            FilesError::Input { path, source } => Error::Input { path, source },
            FilesError::PathCollision { path } => Error::PathCollision { path },
            FilesError::BadInputName { path, reason } => Error::BadInputName { path, reason },
            FilesError::NothingToPublish => Error::NothingToPublish,
            FilesError::UnsafePath { path } => Error::BadInputName {
                path: path.into(),
                reason: "the catalog holds an unsafe path (a damaged or forged catalog)".into(),
            },
            FilesError::DestinationExists { path } => Error::DestinationExists { path },
            FilesError::Output { path, source } => Error::Output { path, source },
        }
    }
}

/// "asset `a` already exists" / "assets `a`, `b` already exist".
fn clash_phrase(assets: &[String]) -> String {
    let names = assets
        .iter()
        .map(|a| format!("`{a}`"))
        .collect::<Vec<_>>()
        .join(", ");
    if assets.len() == 1 {
        format!("asset {names} already exists")
    } else {
        format!("assets {names} already exist")
    }
}

impl Error {
    pub(crate) fn output(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Error {
        let path = path.into();
        move |source| Error::Output { path, source }
    }
}

impl Error {
    /// The stable code of this error: its HTTP status, kind and whether retrying may help. An
    /// exhaustive match; the catalog's and the store's errors keep their own codes.
    pub fn code(&self) -> ErrorCode {
        match self {
            Error::Catalog(e) => e.code(),
            Error::Store(e) => e.code(),
            Error::NotARepository { .. } | Error::NotAWorkspace { .. } => ErrorCode::NotFound,
            Error::Query(_) => ErrorCode::BadQuery,
            Error::TooMany { .. } => ErrorCode::BadRequest,
            Error::Internal { .. } => ErrorCode::Internal,
            Error::AlreadyInitialized { .. }
            | Error::DestinationExists { .. }
            | Error::ImportClash { .. } => ErrorCode::Exists,
            // A path the caller named that is not there or not readable is their mistake;
            // any other failure to read it is an I/O fault.
            Error::Input { source, .. } => match source.kind() {
                std::io::ErrorKind::NotFound | std::io::ErrorKind::PermissionDenied => {
                    ErrorCode::BadPath
                }
                _ => ErrorCode::Internal,
            },
            Error::PathCollision { .. } | Error::BadInputName { .. } => ErrorCode::BadPath,
            Error::NothingToPublish => ErrorCode::NothingToPublish,
            Error::BadDuration(_)
            | Error::DurationOutOfRange { .. }
            | Error::GraceTooShort { .. } => ErrorCode::BadDuration,
            Error::Forbidden { .. } => ErrorCode::Forbidden,
            Error::BadCredentials => ErrorCode::BadCredentials,
            Error::WeakPassword => ErrorCode::WeakPassword,
            Error::SignInDelayed { .. } => ErrorCode::RateLimited,
            Error::SignInLocked { .. } => ErrorCode::SignInLocked,
            Error::SignInBusy => ErrorCode::Busy,
            Error::BadUrl { .. } => ErrorCode::BadUrl,
            Error::NotUploaded { .. } => ErrorCode::ContentNotUploaded,
            Error::ContentMismatch { .. } => ErrorCode::ContentMismatch,
            Error::GcRace => ErrorCode::Busy,
            Error::Package { .. } | Error::Workspace { .. } | Error::Rules { .. } => {
                ErrorCode::Invalid
            }
            // The repository's own files, the disk, the password hasher: faults, not requests.
            Error::Config { .. } | Error::Output { .. } | Error::Password(_) => ErrorCode::Internal,
        }
    }
}

impl Error {
    /// How long to wait before the same request may succeed, when the error knows.
    pub fn retry_after(&self) -> Option<std::time::Duration> {
        match self {
            Error::SignInDelayed { wait, .. } | Error::SignInLocked { wait, .. } => Some(*wait),
            Error::SignInBusy => Some(std::time::Duration::from_secs(1)),
            _ => None,
        }
    }
}

/// A wait in whole seconds, rounded up and at least one: waiting less would be refused again.
pub(crate) fn whole_seconds(wait: &std::time::Duration) -> u64 {
    (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1)
}

impl From<Error> for ApiError {
    fn from(e: Error) -> Self {
        let api = ApiError::new(e.code(), e.to_string());
        match e.retry_after() {
            // Whole seconds, rounded up: waiting less would be refused again.
            Some(wait) => api.with_retry_after(whole_seconds(&wait)),
            None => api,
        }
    }
}

/// Facade result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Parses `0`, `90s`, `30m`, `2h`, `7d` (a bare number is seconds), at most
/// [`bifrost_core::duration::MAX_DURATION`]: the shared rule of `bifrost_core::duration`.
pub fn parse_duration(text: &str) -> Result<std::time::Duration> {
    Ok(bifrost_core::duration::parse_duration(text)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("0").unwrap().as_secs(), 0);
        assert_eq!(parse_duration("90s").unwrap().as_secs(), 90);
        assert_eq!(parse_duration("2h").unwrap().as_secs(), 7200);
        assert_eq!(parse_duration("7d").unwrap().as_secs(), 604_800);
        for bad in [
            "",
            "h",
            "1w",
            "-1s",
            "1.5h",
            "99999999999999999999",
            "213503982334602d",
        ] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn codes_delegate_and_tell_faults_from_busy() {
        // A busy catalog seen through the store (its chunk index) is still busy.
        let busy = Error::Store(bifrost_store::StoreError::Lookup(ApiError::new(
            ErrorCode::Busy,
            "the catalog stayed locked",
        )));
        let api = ApiError::from(busy);
        assert_eq!(
            (api.code, api.code.http_status(), api.retryable()),
            (ErrorCode::Busy, 503, true)
        );
        let missing = Error::Catalog(bifrost_catalog::CatalogError::VersionNotFound {
            asset: "hero".into(),
            number: 4,
            latest: Some(3),
        });
        assert_eq!(missing.code().http_status(), 404);
        let disk = Error::Output {
            path: "out".into(),
            source: std::io::Error::from_raw_os_error(28),
        };
        assert_eq!(
            (disk.code(), disk.code().retryable()),
            (ErrorCode::Internal, false)
        );
        assert_eq!(Error::GcRace.code(), ErrorCode::Busy);
        let nowhere = Error::NotARepository {
            start: "/tmp/x".into(),
        };
        assert_eq!(nowhere.code().http_status(), 404);
        assert!(!nowhere.to_string().contains("bifrost init"), "{nowhere}");
    }
}
