//! Requests of content transfer: a remote publish learns the chunking parameters, asks which
//! chunks the project lacks, uploads those (a binary route outside the table), then commits
//! the version from its manifest.

use bifrost_core::{ChunkId, FileEntry, NewContent};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// How clients must cut files (FastCDC parameters) for deduplication to work.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GetChunking {
    /// The project.
    pub project: String,
}

/// Chunk ids to check for a publish of an asset.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MissingChunks {
    /// The project.
    pub project: String,
    /// The asset the chunks will be published to: the caller must be allowed to publish it
    /// (permission, department, no lock held by someone else) before anything is answered.
    pub asset: String,
    /// Chunk ids (64 hex digits each), at most 100,000.
    pub chunks: Vec<ChunkId>,
}

/// The chunks a publish must upload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Missing {
    /// The ids the project lacks, in the order asked.
    pub missing: Vec<ChunkId>,
}

/// The next version of an asset, from a manifest whose chunks are uploaded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommitVersion {
    /// The project.
    pub project: String,
    /// The asset.
    pub asset: String,
    /// Publish note.
    #[serde(default)]
    pub note: String,
    /// The files of the version.
    pub files: Vec<FileEntry>,
    /// How each new content is cut into chunks (contents the project already has may be left
    /// out).
    #[serde(default)]
    pub contents: Vec<NewContent>,
}

/// What an upload batch stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Uploaded {
    /// Chunks received.
    pub chunks: usize,
    /// Bytes of chunk data received.
    pub bytes_received: usize,
    /// Bytes written to the store (after compression; chunks it had are not stored again).
    pub bytes_stored: u64,
}
