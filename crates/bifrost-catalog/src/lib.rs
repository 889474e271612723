//! Bifrost's catalog: projects, assets, versions, the store's index of packs and chunks, and the
//! production model (workflow, sequences, shots, tasks, links, history, comments, search,
//! collections, reports), in SQLite (one file per repository) or PostgreSQL (a shared server).
//!
//! # Role and invariants
//!
//! - **Source of truth.** A version exists if and only if its catalog row committed. The chunk
//!   store writes immutable pack files first; the catalog then records, in one transaction, the
//!   contents a version needs (which chunks, in which order), the version and its file list.
//! - **The store's index.** The `chunks` table says which pack holds each chunk, at which offset
//!   and with which codec; the store asks [`Catalog::known_chunks`] to skip chunks it already
//!   has and reads through [`Catalog::content_locations_many`].
//! - **Only SQL in the workspace.** No other crate writes SQL. Every statement is plain runtime
//!   SQL with `$N` placeholders, which both SQLite and PostgreSQL accept, so each operation is
//!   written once (`src/imp.rs`, `src/production.rs`, `src/search.rs`, `src/bulk.rs`, each
//!   compiled once per backend) and branches only where the dialects differ. User values are
//!   always bound, never spliced into SQL text (search queries included).
//! - **One migration set per database**, `migrations/sqlite` and `migrations/postgres`, kept
//!   table-for-table identical except for column types; both run on every connect.
//!
//! # Write lock
//!
//! Everything that decides from what it reads what to write (committing a version, recording
//! packs, the gc deletions, repacking) runs in one transaction holding the repository write
//! lock: `BEGIN IMMEDIATE` on SQLite (waiting up to 60 s for another writer), a
//! transaction-scoped advisory lock (`pg_advisory_xact_lock`) on PostgreSQL, plus
//! `SELECT … FOR UPDATE` on the asset row when committing. So two processes publishing the same
//! asset get consecutive numbers, and a garbage collection never deletes a chunk that a commit
//! has just checked.
//!
//! # Journal
//!
//! Every write that changes what users see is journaled in its own transaction: it takes a
//! `&mut` [`Journal`] and ends in one commit helper that inserts the entries, under the write
//! lock (so entry ids commit in order), just before it commits. The journal and the data
//! therefore never disagree, whatever crashes when.
//!
//! # Production model
//!
//! Every project has a workflow (ordered statuses, allowed changes) and departments, created
//! with the project (and by the migration for projects that predate them). Assets and shots
//! carry a workflow status; status, review and task changes are checked against the workflow and
//! recorded in `history`. Links (`src` uses `dst`) form a graph kept acyclic across all link
//! kinds; it is walked with recursive queries over indexes on both ends (`deps`, `used_by`).
//! Changes to the link graph take a second advisory lock on PostgreSQL so that two concurrent
//! links cannot close a cycle neither saw.
//!
//! # Search
//!
//! One document per asset, sequence, shot and version (`search_docs`) holds its searchable text
//! as tokens the catalog produced itself (`src/text.rs`), so that SQLite's FTS5 index and
//! PostgreSQL's `tsvector` (with the `simple` configuration) match the same documents. Documents
//! are rewritten in the same transaction as the writes that change them. Parsed queries
//! ([`bifrost_core::query`]) compile to SQL with bound parameters; results are ordered by kind,
//! name and project, identically on both backends.
//!
//! # Liveness
//!
//! A content is *live* if some `version_files` row names it; a chunk is *live* if some
//! `content_chunks` row names it; a pack is *dead* when none of the chunk rows pointing into it
//! is live. Garbage collection is mark-and-sweep over these relations:
//! [`Catalog::delete_unreferenced_contents`], then [`Catalog::pack_usage`] to choose,
//! [`Catalog::delete_dead_pack`] and [`Catalog::replace_pack`] to act, each re-checking liveness
//! under the write lock because a publish may have referenced a chunk in the meantime. A commit
//! that finds one of its chunks gone fails with [`CatalogError::MissingChunks`] and is simply
//! published again.

mod connect;
mod error;
mod journal;
mod postgres;
mod sql;
mod sqlite;
mod text;

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};

use bifrost_core::{
    Asset, AssetFilter, ChunkId, ChunkLocation, ContentId, FileEntry, NewAsset, NewVersion,
    PackEntry, PackId, PackRecord, Project, RepoStats, Version, VersionSelector,
};

pub use access_api::TokenInProject;
pub use custody_api::{CatalogPart, IntegrityFinding};
pub use error::CatalogError;
pub use journal::Journal;
pub use signin_api::{SignInFailures, SignInScope};

/// A pack as the catalog records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackInfo {
    /// The pack.
    pub id: PackId,
    /// Size of the pack object in bytes.
    pub size: u64,
    /// Number of chunks the pack held when it was recorded.
    pub chunk_count: u64,
    /// When it was recorded.
    pub created_at: DateTime<Utc>,
}

/// How much of a pack is still needed, for garbage collection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackUsage {
    /// The pack.
    pub id: PackId,
    /// Size of the pack object in bytes.
    pub size: u64,
    /// When it was recorded.
    pub created_at: DateTime<Utc>,
    /// Chunk rows that point into the pack (a chunk the pack holds but whose row points at
    /// another pack, because another writer stored it first, is not counted).
    pub total_chunks: u64,
    /// The live chunks of the pack, in offset order: what a repack must copy.
    pub live: Vec<PackEntry>,
    /// Sum of the stored lengths of the live chunks.
    pub live_bytes: u64,
}

/// A handle on a repository's catalog. Cloning is cheap and shares the connection pool.
#[derive(Debug, Clone)]
pub struct Catalog {
    db: Db,
}

#[derive(Debug, Clone)]
enum Db {
    Sqlite(sqlx::SqlitePool),
    Postgres(sqlx::PgPool),
}

/// Calls the backend's implementation of `method` (in module `imp`, or the module named first)
/// with the pool as first argument.
macro_rules! dispatch {
    ($self:ident . $method:ident ( $($arg:expr),* $(,)? )) => {
        dispatch!(imp, $self.$method($($arg),*))
    };
    ($module:ident, $self:ident . $method:ident ( $($arg:expr),* $(,)? )) => {
        match &$self.db {
            $crate::Db::Sqlite(pool) => $crate::sqlite::$module::$method(pool $(, $arg)*).await,
            $crate::Db::Postgres(pool) => {
                $crate::postgres::$module::$method(pool $(, $arg)*).await
            }
        }
    };
}

// The production model's methods (declared after `dispatch!`, which they use).
mod access_api;
mod api;
mod custody_api;
mod signin_api;

pub use bifrost_core::production::{DeletedAsset, DeletedSequence, DeletedShot};

impl Catalog {
    /// Opens the catalog at `url`, bringing its schema up to date.
    ///
    /// `url` is `sqlite:PATH`, `sqlite://PATH`, a bare file path (SQLite), or
    /// `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE` (also `postgresql://`). With `create`,
    /// a missing SQLite file (and its directory) or PostgreSQL database is created; without it,
    /// a missing one is [`CatalogError::NotFound`]. A server that does not answer within about
    /// five seconds is [`CatalogError::Unreachable`].
    pub async fn connect(url: &str, create: bool) -> Result<Catalog, CatalogError> {
        let db = match connect::parse_target(url)? {
            connect::Target::Sqlite(path) => Db::Sqlite(connect::sqlite(url, path, create).await?),
            connect::Target::Postgres => Db::Postgres(connect::postgres(url, create).await?),
        };
        Ok(Catalog { db })
    }

    /// `"sqlite"` or `"postgres"`.
    pub fn backend(&self) -> &'static str {
        match self.db {
            Db::Sqlite(_) => "sqlite",
            Db::Postgres(_) => "postgres",
        }
    }

    /// Closes every connection, waiting for operations in progress to finish. Clones of this
    /// catalog cannot be used afterwards.
    pub async fn close(&self) {
        match &self.db {
            Db::Sqlite(pool) => pool.close().await,
            Db::Postgres(pool) => pool.close().await,
        }
    }

    // -- Projects --------------------------------------------------------------------------

    /// Creates a project. Fails with [`CatalogError::ProjectExists`] if the name is taken.
    pub async fn create_project(
        &self,
        name: &str,
        journal: &mut Journal<Project>,
    ) -> Result<Project, CatalogError> {
        dispatch!(self.create_project(name, journal))
    }

    /// Every project, by name.
    pub async fn list_projects(&self) -> Result<Vec<Project>, CatalogError> {
        dispatch!(self.list_projects())
    }

    /// The project called `name`, or [`CatalogError::ProjectNotFound`].
    pub async fn get_project(&self, name: &str) -> Result<Project, CatalogError> {
        dispatch!(self.get_project(name))
    }

    // -- Assets ----------------------------------------------------------------------------

    /// Creates an asset in `project` after checking its name, type and tags.
    /// Fails with [`CatalogError::AssetExists`] if the project already has one by that name.
    pub async fn create_asset(
        &self,
        project: &str,
        asset: &NewAsset,
        journal: &mut Journal<Asset>,
    ) -> Result<Asset, CatalogError> {
        dispatch!(self.create_asset(project, asset, journal))
    }

    /// The asset `name` of `project`, with its tags and latest version number, read with one
    /// statement ([`CatalogError::ProjectNotFound`], [`CatalogError::AssetNotFound`]).
    pub async fn get_asset(&self, project: &str, name: &str) -> Result<Asset, CatalogError> {
        dispatch!(self.get_asset(project, name))
    }

    /// [`Catalog::get_asset`] with the asset's workflow status, in the same single statement
    /// (what a GET of one asset reads).
    pub async fn asset_with_status(
        &self,
        project: &str,
        name: &str,
    ) -> Result<(Asset, String), CatalogError> {
        dispatch!(self.asset_with_status(project, name))
    }

    /// The assets of `project` of the filter's type (if any) carrying all its tags, by name.
    pub async fn list_assets(
        &self,
        project: &str,
        filter: &AssetFilter,
    ) -> Result<Vec<Asset>, CatalogError> {
        dispatch!(self.list_assets(project, filter))
    }

    // -- Versions --------------------------------------------------------------------------

    /// Commits the next version of `asset`, atomically, under the repository write lock.
    ///
    /// The version is numbered one past the latest (whose id becomes its parent). Contents in
    /// `version.contents` that the catalog does not know yet are recorded, provided every chunk
    /// they name is in the store index ([`CatalogError::MissingChunks`] otherwise); every file
    /// must then name a known content ([`CatalogError::UnknownContent`]). Unsafe or repeated
    /// paths are [`CatalogError::InvalidPath`]. On any error nothing is committed.
    pub async fn commit_version(
        &self,
        project: &str,
        asset: &str,
        version: &NewVersion,
        journal: &mut Journal<Version>,
    ) -> Result<Version, CatalogError> {
        self.commit_version_with_meta(project, asset, version, &BTreeMap::new(), journal)
            .await
    }

    /// [`Catalog::commit_version`], recording `metadata` with the version (see
    /// [`Catalog::version_metadata`]).
    pub async fn commit_version_with_meta(
        &self,
        project: &str,
        asset: &str,
        version: &NewVersion,
        metadata: &BTreeMap<String, serde_json::Value>,
        journal: &mut Journal<Version>,
    ) -> Result<Version, CatalogError> {
        dispatch!(self.commit_version(project, asset, version, metadata, journal))
    }

    /// Commits a version of each `(asset, version, metadata)` in one transaction, numbered as
    /// [`Catalog::commit_version`] numbers them: all of them, or none (batch ingest).
    pub async fn commit_versions(
        &self,
        project: &str,
        batch: &[(String, NewVersion, BTreeMap<String, serde_json::Value>)],
        journal: &mut Journal<Vec<Version>>,
    ) -> Result<Vec<Version>, CatalogError> {
        dispatch!(self.commit_versions(project, batch, journal))
    }

    /// Every version of `asset`, oldest first.
    pub async fn list_versions(
        &self,
        project: &str,
        asset: &str,
    ) -> Result<Vec<Version>, CatalogError> {
        dispatch!(self.list_versions(project, asset))
    }

    /// One version of `asset`: [`CatalogError::VersionNotFound`] for a number it does not have,
    /// [`CatalogError::NoVersions`] for the latest of an asset never published.
    pub async fn get_version(
        &self,
        project: &str,
        asset: &str,
        selector: VersionSelector,
    ) -> Result<Version, CatalogError> {
        dispatch!(self.get_version(project, asset, selector))
    }

    /// The files of a version (by [`Version::id`]), ordered by path; empty for an unknown id.
    pub async fn version_files(&self, version_id: i64) -> Result<Vec<FileEntry>, CatalogError> {
        dispatch!(self.version_files(version_id))
    }

    // -- Contents --------------------------------------------------------------------------

    /// Where each chunk of a content is, in file order (a repeated chunk appears each time).
    /// [`CatalogError::UnknownContent`] if the catalog does not know the content,
    /// [`CatalogError::MissingChunks`] if one of its chunks has no row.
    pub async fn content_locations(
        &self,
        content: &ContentId,
    ) -> Result<Vec<ChunkLocation>, CatalogError> {
        let mut all = self
            .content_locations_many(std::slice::from_ref(content))
            .await?;
        Ok(all.remove(content).unwrap_or_default())
    }

    /// [`Catalog::content_locations`] for many contents in a few round trips (batches of 500).
    /// Fails as a whole if any content is unknown or any chunk missing.
    pub async fn content_locations_many(
        &self,
        contents: &[ContentId],
    ) -> Result<HashMap<ContentId, Vec<ChunkLocation>>, CatalogError> {
        dispatch!(self.content_locations_many(contents))
    }

    // -- Store index -----------------------------------------------------------------------

    /// Where each of `chunks` is stored (chunks the index lacks are left out).
    pub async fn chunk_locations(
        &self,
        chunks: &[ChunkId],
    ) -> Result<HashMap<ChunkId, ChunkLocation>, CatalogError> {
        dispatch!(self.chunk_locations(chunks))
    }

    /// For each content, in the same order, whether the catalog has it.
    pub async fn known_contents(&self, contents: &[ContentId]) -> Result<Vec<bool>, CatalogError> {
        dispatch!(self.known_contents(contents))
    }

    /// For each chunk, in the same order, whether the store index has it.
    pub async fn known_chunks(&self, chunks: &[ChunkId]) -> Result<Vec<bool>, CatalogError> {
        dispatch!(self.known_chunks(chunks))
    }

    /// Records a sealed pack and its chunks. Idempotent; a chunk that already has a row (another
    /// writer stored it too) keeps pointing where it did.
    pub async fn record_pack(&self, pack: &PackRecord) -> Result<(), CatalogError> {
        self.record_packs(std::slice::from_ref(pack)).await
    }

    /// [`Catalog::record_pack`] for several packs, in one transaction.
    pub async fn record_packs(&self, packs: &[PackRecord]) -> Result<(), CatalogError> {
        dispatch!(self.record_packs(packs))
    }

    // -- Figures and fsck ------------------------------------------------------------------

    /// Repository-wide figures.
    pub async fn stats(&self) -> Result<RepoStats, CatalogError> {
        dispatch!(self.stats())
    }

    /// Every recorded pack, oldest first.
    pub async fn list_packs(&self) -> Result<Vec<PackInfo>, CatalogError> {
        dispatch!(self.list_packs())
    }

    /// The chunk rows that point into `pack`, in offset order.
    pub async fn pack_entries(&self, pack: &PackId) -> Result<Vec<PackEntry>, CatalogError> {
        dispatch!(self.pack_entries(pack))
    }

    /// `(content, chunk)` pairs where a content names a chunk the store index lacks.
    pub async fn dangling_chunk_refs(&self) -> Result<Vec<(ContentId, ChunkId)>, CatalogError> {
        dispatch!(self.dangling_chunk_refs())
    }

    /// `(asset, version number, path, content)` for each file whose content the catalog lacks.
    /// The asset is written `project/asset`, since asset names are only unique per project.
    pub async fn dangling_content_refs(
        &self,
    ) -> Result<Vec<(String, i64, String, ContentId)>, CatalogError> {
        dispatch!(self.dangling_content_refs())
    }

    /// Chunks whose row points at a pack that has no row.
    pub async fn chunks_in_missing_packs(&self) -> Result<Vec<ChunkId>, CatalogError> {
        dispatch!(self.chunks_in_missing_packs())
    }

    // -- Garbage collection ----------------------------------------------------------------

    /// Forgets contents no version names (and their chunk lists); how many were deleted.
    pub async fn delete_unreferenced_contents(&self) -> Result<u64, CatalogError> {
        dispatch!(self.delete_unreferenced_contents())
    }

    /// Usage of every pack recorded before `older_than` (younger packs may belong to a publish
    /// in progress and are left alone), oldest first.
    pub async fn pack_usage(
        &self,
        older_than: DateTime<Utc>,
    ) -> Result<Vec<PackUsage>, CatalogError> {
        dispatch!(self.pack_usage(older_than))
    }

    /// Forgets `pack` and its chunk rows if, re-checked under the write lock, none of its chunks
    /// is live. True if it was forgotten: the pack object may then be deleted.
    pub async fn delete_dead_pack(&self, pack: &PackId) -> Result<bool, CatalogError> {
        dispatch!(self.delete_dead_pack(pack))
    }

    /// Repacking: records `new`, points the chunk rows of `old` listed in `new.entries` at it,
    /// then forgets `old` if none of its remaining chunks is live, returning true (the old pack
    /// object may then be deleted). If a chunk of `old` that `new` does not hold became live
    /// meanwhile, nothing changes and the answer is false (the new pack object is then garbage).
    pub async fn replace_pack(&self, old: &PackId, new: &PackRecord) -> Result<bool, CatalogError> {
        dispatch!(self.replace_pack(old, new))
    }
}
