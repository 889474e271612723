//! Bifrost's vocabulary: content ids, domain records and the rules names must follow.
//!
//! This crate does no I/O, spawns no tasks and knows no SQL or HTTP. Every other crate speaks in
//! these types, so a `ChunkId` means the same thing in the store, the catalog and the CLI.

pub mod access;
pub mod duration;
mod id;
mod model;
mod name;
mod pack;
pub mod production;
pub mod query;
mod schema;
pub mod synthetic;

pub use id::{ChunkId, ContentId, IdParseError, PackId};
pub use model::{
    Asset, AssetFilter, ChangedFile, ChunkingParams, FileEntry, FileMode, MetaChange, NewAsset,
    NewContent, NewVersion, Project, RepoStats, Version, VersionDiff, VersionRef, VersionRefError,
    VersionSelector,
};
pub use name::{
    MAX_NAME_CHARS, NameError, NameKind, validate_name, validate_tag, validate_user_name,
};
pub use pack::{ChunkLocation, Codec, PackEntry, PackRecord};
pub use query::{Query, QueryError};
