//! The custody part of [`Catalog`]: pack leases and upload receipts (`custody.rs`, compiled
//! once per backend), and the catalog's own integrity checks for fsck (`integrity.rs`).

use std::collections::{HashMap, HashSet};

use bifrost_core::{ChunkId, ContentId, PackId, PackRecord};
use chrono::{DateTime, Utc};

use crate::{Catalog, CatalogError};

/// What [`Catalog::check_integrity`] found wrong with the catalog itself.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct IntegrityFinding {
    /// Which part is damaged.
    pub part: CatalogPart,
    /// What is wrong, for people.
    pub detail: String,
}

/// The parts of the catalog [`Catalog::check_integrity`] checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CatalogPart {
    /// The database file itself (SQLite's integrity check failed): restore it from a backup.
    Database,
    /// The search index (derived from the other tables; rebuilding it loses nothing).
    SearchIndex,
    /// Version, content and chunk rows that disagree with each other.
    Records,
}

type Result<T> = std::result::Result<T, CatalogError>;

impl Catalog {
    /// Leases `packs` for `holder` until `expires_at` (renewing leases it already holds). A
    /// writer leases a pack before writing its object; gc leaves leased packs alone.
    pub async fn lease_packs(
        &self,
        packs: &[PackId],
        holder: &str,
        expires_at: DateTime<Utc>,
    ) -> Result<()> {
        dispatch!(custody, self.lease_packs(packs, holder, expires_at))
    }

    /// Extends every lease `holder` still has; how many it has (a lease gc removed after it
    /// expired is not brought back).
    pub async fn renew_leases(&self, holder: &str, expires_at: DateTime<Utc>) -> Result<u64> {
        dispatch!(custody, self.renew_leases(holder, expires_at))
    }

    /// Drops every lease of `holder`.
    pub async fn release_leases(&self, holder: &str) -> Result<()> {
        dispatch!(custody, self.release_leases(holder))
    }

    /// Records packs that `holder` leased and wrote, in one transaction under the write lock;
    /// [`CatalogError::LeaseLost`] (and nothing recorded) if any lease is gone.
    pub async fn record_leased_packs(&self, packs: &[PackRecord], holder: &str) -> Result<()> {
        dispatch!(custody, self.record_leased_packs(packs, holder))
    }

    /// Packs with a lease unexpired at `at`.
    pub async fn leased_packs(&self, at: DateTime<Utc>) -> Result<HashSet<PackId>> {
        dispatch!(custody, self.leased_packs(at))
    }

    /// Whether gc may delete the object of `pack`: decided under the write lock, true only if
    /// no row records it and no lease on it is unexpired; its expired leases are removed at the
    /// same time, so their holders can no longer record it.
    pub async fn claim_orphan(&self, pack: &PackId) -> Result<bool> {
        dispatch!(custody, self.claim_orphan(pack))
    }

    /// Removes leases expired at `at` and upload receipts older than `receipts_before`; how
    /// many of each.
    pub async fn expire_custody(
        &self,
        at: DateTime<Utc>,
        receipts_before: DateTime<Utc>,
    ) -> Result<(u64, u64)> {
        dispatch!(custody, self.expire_custody(at, receipts_before))
    }

    /// Notes that the bytes of `chunks` were uploaded (and verified) to `project`.
    pub async fn add_upload_receipts(&self, project: &str, chunks: &[ChunkId]) -> Result<()> {
        dispatch!(custody, self.add_upload_receipts(project, chunks))
    }

    /// Forgets the receipts of `chunks` in `project`.
    pub async fn clear_upload_receipts(&self, project: &str, chunks: &[ChunkId]) -> Result<()> {
        dispatch!(custody, self.clear_upload_receipts(project, chunks))
    }

    /// For each chunk, in order, whether `project` holds it: a content of one of its versions
    /// names it, or its bytes were uploaded to it. Says nothing about other projects.
    pub async fn chunks_in_project(&self, project: &str, chunks: &[ChunkId]) -> Result<Vec<bool>> {
        dispatch!(custody, self.chunks_in_project(project, chunks))
    }

    /// For each content, in order, whether a version of `project` names it.
    pub async fn contents_in_project(
        &self,
        project: &str,
        contents: &[ContentId],
    ) -> Result<Vec<bool>> {
        dispatch!(custody, self.contents_in_project(project, contents))
    }

    /// The chunk list, in order, of each of `contents` the catalog has.
    pub async fn content_chunk_lists(
        &self,
        contents: &[ContentId],
    ) -> Result<HashMap<ContentId, Vec<ChunkId>>> {
        dispatch!(custody, self.content_chunk_lists(contents))
    }

    /// Checks the catalog itself: the database's own integrity check, the search index against
    /// the entities it indexes, and the version, content and chunk rows against each other.
    pub async fn check_integrity(&self) -> Result<Vec<IntegrityFinding>> {
        dispatch!(integrity, self.check_integrity())
    }

    /// The newest journal entry's id (0 for none): how far the catalog's history reaches.
    pub async fn last_journal_id(&self) -> Result<i64> {
        dispatch!(integrity, self.last_journal_id())
    }
}
