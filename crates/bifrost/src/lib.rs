//! The Bifrost facade: repository services over the catalog and the chunk store.
//!
//! Everything a user can do is a method of [`Repository`]; the CLI (and later the server and the
//! Python bindings) only parse input and render output. The facade composes the two halves in one
//! transaction-shaped order: bytes first (packs durable in the store), then the catalog commit that
//! makes a version exist. A failure anywhere before the commit leaves no visible version.

mod access;
mod checkout;
mod config;
mod custody;
mod error;
mod history;
mod hub;
mod ingest;
mod maintenance;
mod ops;
mod package;
mod production;
mod publish;
mod repo;
mod signin;
mod template;
#[cfg(test)]
mod tests;
mod tidy;
mod transfer;
mod watermark;
mod workspace;

pub use access::{Access, Actor, NewToken, SignedIn, SignedInProject, hash_password};
pub use bifrost_api as api;
pub use bifrost_api::Hub;
pub use bifrost_catalog::{CatalogError, DeletedAsset, DeletedSequence, DeletedShot};
pub use bifrost_core as core;
/// Local file work shared with remote clients: chunking of streams, publish inputs, checkout
/// targets, progress.
pub use bifrost_files::{
    CheckoutFile, CheckoutOptions, CheckoutOutcome, CheckoutTarget, CheckoutWriter,
    FileDescription, FilesError, Manifest, NoProgress, Progress, PublishInput, PublishOutcome,
    Transfer, describe_content, describe_reader, publish_inputs, stream_chunks,
};
pub use bifrost_store::StoreError;
pub use config::{FORMAT_VERSION, MAX_SETTINGS_FILE, RepoConfig, read_settings_file};
pub use custody::{DEFAULT_LEASE_TTL, LEASE_TTL_ENV, lease_ttl};
pub use error::{Error, Result, parse_duration};
pub use history::{ChangedFile, MetaChange, VersionDiff};
pub use ingest::{IngestOutcome, IngestRules, PlannedAsset, PlannedFile, Skipped, plan_ingest};
pub use maintenance::{FsckReport, GcOptions, GcReport, MIN_GRACE, Problem, ProblemKind};
pub use ops::Execute;
pub use package::{
    ImportedAsset, OnConflict, PACKAGE_FORMAT, PackageAsset, PackageCheck, PackageContent,
    PackageCreated, PackageImport, PackageItem, PackageManifest, PackageReader, PackageShot,
    PackageVersion,
};
pub use repo::{DEFAULT_PROJECT, DOT_DIR, InitOptions, REPO_ENV, Repository};
pub use signin::SignInPolicy;
pub use template::{Template, TemplateReport};
pub use tidy::{CleanupReport, DedupeReport, DuplicateGroup, scan_duplicates};
pub use watermark::MARK_FILE;
pub use workspace::{
    CACHE_DIR, Change, ChangeKind, Conflict, Mode as WorkspaceMode, SyncReport, TrackedAsset,
    TrackedFile, WORKSPACE_DIR, WorkspaceState, WorkspaceStatus, find_workspace, workspace_origin,
};
