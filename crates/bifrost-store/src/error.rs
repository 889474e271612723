//! Store errors. Each says what went wrong and, where the user can act, what to do, in the
//! domain's words (front ends add their own hints), and has a stable [`ErrorCode`]
//! (`StoreError::code`, an exhaustive match).

use bifrost_api::{ApiError, ErrorCode};
use bifrost_core::{ChunkId, ContentId, PackId};

/// Anything the store can fail with.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The store URL could not be understood.
    #[error("cannot use store URL `{url}`: {reason}")]
    BadUrl {
        /// The URL as given.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// Reading a source file failed.
    #[error("cannot read `{path}`: {source}")]
    ReadSource {
        /// The file.
        path: std::path::PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// Writing restored bytes failed (full disk, read-only destination…).
    #[error("cannot write restored data: {0}")]
    WriteOutput(#[source] std::io::Error),
    /// The backend refused or failed an operation.
    #[error("store backend error while {action}: {source}")]
    Backend {
        /// What the store was doing.
        action: String,
        /// The backend's error.
        source: object_store::Error,
    },
    /// A pack the catalog names is not in the backend.
    #[error("pack {pack} is missing from the store")]
    MissingPack {
        /// The pack.
        pack: PackId,
    },
    /// Stored bytes do not hash to their chunk id: the pack is damaged.
    #[error("chunk {chunk} in pack {pack} is corrupt ({reason}); nothing was written for it")]
    CorruptChunk {
        /// The chunk.
        chunk: ChunkId,
        /// The pack holding it.
        pack: PackId,
        /// What check failed.
        reason: String,
    },
    /// Bytes sent as a chunk do not hash to the id they were sent under.
    #[error(
        "the bytes sent as chunk {claimed} hash to {actual}; the chunk was refused (resend it from the original file)"
    )]
    ChunkMismatch {
        /// The id the bytes were sent under.
        claimed: ChunkId,
        /// What they hash to.
        actual: ChunkId,
    },
    /// A chunk larger than any the store cuts.
    #[error("chunk {chunk} is {len} bytes; chunks are at most {max} bytes")]
    ChunkTooLarge {
        /// The chunk.
        chunk: ChunkId,
        /// Its length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// A pack's framing or trailer is damaged.
    #[error("pack {pack} is corrupt: {reason}")]
    CorruptPack {
        /// The pack.
        pack: PackId,
        /// What check failed.
        reason: String,
    },
    /// Restored content has a different size than the catalog says.
    #[error("content {content} restored to {actual} bytes but {expected} were expected")]
    SizeMismatch {
        /// The content.
        content: ContentId,
        /// Size the catalog records.
        expected: u64,
        /// Size produced.
        actual: u64,
    },
    /// The dedup oracle (the catalog) failed or refused; its code is kept.
    #[error("chunk index (catalog) error: {0}")]
    Lookup(ApiError),
    /// A worker task died.
    #[error("internal task failed: {0}")]
    Task(String),
}

impl StoreError {
    /// The stable code of this error. An exhaustive match, so that a new variant must choose
    /// its code.
    pub fn code(&self) -> ErrorCode {
        match self {
            StoreError::BadUrl { .. } => ErrorCode::BadUrl,
            StoreError::ChunkMismatch { .. } => ErrorCode::ChunkMismatch,
            StoreError::ChunkTooLarge { .. } => ErrorCode::ChunkTooLarge,
            // The index's own code: a busy catalog stays `busy`, a lost lease `lease_lost`.
            StoreError::Lookup(e) => e.code,
            // Local I/O and worker faults.
            StoreError::ReadSource { .. } | StoreError::WriteOutput(_) | StoreError::Task(_) => {
                ErrorCode::Internal
            }
            StoreError::Backend { .. }
            | StoreError::MissingPack { .. }
            | StoreError::CorruptChunk { .. }
            | StoreError::CorruptPack { .. }
            | StoreError::SizeMismatch { .. } => ErrorCode::Store,
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        ApiError::new(e.code(), e.to_string())
    }
}

/// Store result type.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

pub(crate) fn backend(action: impl Into<String>) -> impl FnOnce(object_store::Error) -> StoreError {
    let action = action.into();
    move |source| StoreError::Backend { action, source }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes() {
        let busy = StoreError::Lookup(ApiError::new(ErrorCode::Busy, "the catalog is busy"));
        assert_eq!(busy.code(), ErrorCode::Busy);
        assert!(busy.code().retryable());
        let missing = StoreError::MissingPack {
            pack: PackId([7; 32]),
        };
        assert_eq!(
            (missing.code(), missing.code().http_status()),
            (ErrorCode::Store, 500)
        );
        let io = StoreError::WriteOutput(std::io::Error::other("disk on fire"));
        assert_eq!(io.code(), ErrorCode::Internal);
        assert!(!io.code().retryable());
        let big = StoreError::ChunkTooLarge {
            chunk: ChunkId([1; 32]),
            len: 9,
            max: 8,
        };
        assert_eq!(ApiError::from(big).code.http_status(), 413);
    }
}
