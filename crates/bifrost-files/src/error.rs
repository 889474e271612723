//! What local file work fails with, in the words of publishing and checking out.

use std::path::PathBuf;

/// Anything listing publish inputs or writing a checkout can fail with.
#[derive(Debug, thiserror::Error)]
pub enum FilesError {
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
    /// Publish was given nothing (or only empty directories).
    #[error("nothing to publish: the given paths contain no files")]
    NothingToPublish,
    /// A version's file list names a path that cannot be written safely under a destination.
    #[error(
        "the version lists `{path}`, which is not a safe relative path (absolute, or with `..`, `.` or empty parts); nothing was written"
    )]
    UnsafePath {
        /// The path as listed.
        path: String,
    },
    /// A checkout would overwrite a file without being allowed to.
    #[error("`{path}` already exists; check out into an empty or new directory")]
    DestinationExists {
        /// The first file that is in the way.
        path: PathBuf,
    },
    /// Writing a checkout failed (full disk, read-only filesystem, permissions…).
    #[error("cannot write `{path}`: {source}{}", write_hint(source))]
    Output {
        /// The file or directory being written.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
}

/// What a user can do about a failed write, as a suffix for its message (empty when there is
/// nothing better to say than the OS error).
pub fn write_hint(e: &std::io::Error) -> &'static str {
    match e.raw_os_error() {
        Some(28) => " (the disk is full: free space or choose another destination)",
        Some(30) => " (the filesystem is read-only: choose another destination)",
        Some(13) => " (permission denied: choose a destination you can write to)",
        _ => "",
    }
}

impl FilesError {
    pub(crate) fn output(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> FilesError {
        let path = path.into();
        move |source| FilesError::Output { path, source }
    }
}

/// Result with a [`FilesError`].
pub type Result<T, E = FilesError> = std::result::Result<T, E>;

impl FilesError {
    /// The stable code of this failure (an exhaustive match): what a front end reports.
    pub fn code(&self) -> bifrost_api::ErrorCode {
        use bifrost_api::ErrorCode;
        match self {
            FilesError::Input { .. } | FilesError::PathCollision { .. } => ErrorCode::BadRequest,
            FilesError::BadInputName { .. } => ErrorCode::BadPath,
            FilesError::NothingToPublish => ErrorCode::NothingToPublish,
            FilesError::UnsafePath { .. } => ErrorCode::Invalid,
            FilesError::DestinationExists { .. } => ErrorCode::Exists,
            FilesError::Output { .. } => ErrorCode::Internal,
        }
    }
}
