//! `stats`, `fsck` and `gc`: repository-wide checks and cleanup.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bifrost_api::ErrorCode;
use bifrost_catalog::CatalogPart;
use bifrost_core::{PackId, RepoStats};
use bifrost_files::Progress;
use bifrost_store::StoreError;
use futures::StreamExt;
use serde::Serialize;

use crate::Repository;
use crate::error::Result;

/// What kind of damage fsck found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProblemKind {
    /// A pack the catalog names is not in the store.
    MissingPack,
    /// A pack's size differs from what was recorded.
    PackSizeMismatch,
    /// A pack's bytes do not hash to its id, or its trailer is damaged.
    CorruptPack,
    /// A chunk's bytes do not hash to its id.
    CorruptChunk,
    /// The catalog's index disagrees with the pack's own trailer.
    IndexMismatch,
    /// A content needs a chunk the index does not have.
    MissingChunk,
    /// A version names a content the catalog does not have.
    MissingContent,
    /// The catalog database itself is damaged: it cannot be read, SQLite's integrity check
    /// failed, or (PostgreSQL) an index was left invalid.
    CatalogDamaged,
    /// The search index disagrees with what it indexes (rebuilding it loses nothing).
    SearchIndex,
    /// Version, content and chunk rows disagree with each other.
    RecordMismatch,
    /// The catalog lost changes that were committed through this repository.
    CatalogBehind,
}

/// One thing fsck found wrong.
#[derive(Debug, Clone, Serialize)]
pub struct Problem {
    /// What kind.
    pub kind: ProblemKind,
    /// The object's id or name.
    pub object: String,
    /// Details for a human.
    pub detail: String,
}

/// What fsck checked and found.
#[derive(Debug, Clone, Default, Serialize)]
pub struct FsckReport {
    /// Whether every pack was read and every chunk verified.
    pub read_data: bool,
    /// Packs the catalog names.
    pub packs_checked: u64,
    /// Chunks verified by hashing (only with `read_data`).
    pub chunks_verified: u64,
    /// Pack bytes read.
    pub bytes_read: u64,
    /// Everything wrong; empty means the repository is consistent.
    pub problems: Vec<Problem>,
    /// Packs in the store that no catalog row names (left by interrupted publishes; `gc` removes
    /// them after its grace period). Not an error.
    pub unreferenced_packs: Vec<PackId>,
}

impl FsckReport {
    /// The report on a catalog database too damaged to be read (or opened): that one problem,
    /// nothing else checked.
    pub fn catalog_damaged(read_data: bool, error: &bifrost_catalog::CatalogError) -> Self {
        FsckReport {
            read_data,
            problems: vec![Problem {
                kind: ProblemKind::CatalogDamaged,
                object: "catalog".into(),
                detail: error.to_string(),
            }],
            ..FsckReport::default()
        }
    }

    /// Whether no problem was found.
    pub fn is_clean(&self) -> bool {
        self.problems.is_empty()
    }
}

/// A finding of the catalog's check of itself, as an fsck problem.
fn catalog_problem(finding: bifrost_catalog::IntegrityFinding) -> Problem {
    let kind = match finding.part {
        CatalogPart::Database => ProblemKind::CatalogDamaged,
        CatalogPart::SearchIndex => ProblemKind::SearchIndex,
        CatalogPart::Records => ProblemKind::RecordMismatch,
    };
    Problem {
        kind,
        object: "catalog".into(),
        detail: finding.detail,
    }
}

/// How gc should run.
#[derive(Debug, Clone, Copy)]
pub struct GcOptions {
    /// Report, delete nothing.
    pub dry_run: bool,
    /// Only packs older than this are touched, so an ingest in flight keeps its chunks.
    pub grace: Duration,
    /// Packs whose live bytes are below this fraction of their size are rewritten.
    pub repack_below: f64,
    /// Allows a grace period shorter than [`MIN_GRACE`].
    pub force: bool,
}

impl Default for GcOptions {
    fn default() -> Self {
        Self {
            dry_run: false,
            grace: Duration::from_secs(3600),
            repack_below: 0.5,
            force: false,
        }
    }
}

/// The shortest grace period gc accepts unless forced. Leases protect the packs of every
/// writer of this version; the grace period still protects writers that hold none (older
/// clients of the same store, staging files of a write whose lease expired).
pub const MIN_GRACE: Duration = Duration::from_secs(15 * 60);

/// Upload receipts older than this are dropped by gc (a remote publish abandoned halfway).
const RECEIPT_LIFETIME: chrono::TimeDelta = chrono::TimeDelta::days(1);

/// What gc did (or, with `dry_run`, would do).
#[derive(Debug, Clone, Default, Serialize)]
pub struct GcReport {
    /// Nothing was deleted.
    pub dry_run: bool,
    /// Contents no version names any more, removed from the catalog.
    pub contents_removed: u64,
    /// Packs with no live chunk, deleted.
    pub packs_deleted: u64,
    /// Packs rewritten to keep only their live chunks.
    pub packs_repacked: u64,
    /// Store objects no catalog row names (left by interrupted publishes), deleted.
    pub orphan_packs_deleted: u64,
    /// Interrupted local writes removed.
    pub staging_files_removed: u64,
    /// Packs skipped because a writer holds a lease on them (a publish in flight).
    pub leased_packs_kept: u64,
    /// Expired leases (of writers that died or stalled) removed.
    pub expired_leases_removed: u64,
    /// Store bytes freed.
    pub bytes_freed: u64,
}

impl Repository {
    /// Repository-wide figures.
    pub async fn stats(&self) -> Result<RepoStats> {
        Ok(self.catalog.stats().await?)
    }

    /// Checks the catalog's own integrity, then that everything the catalog names is in the
    /// store; with `read_data`, reads every pack and verifies every chunk against its id. A
    /// catalog database too damaged to read is a problem of the report
    /// ([`ProblemKind::CatalogDamaged`]), not a failure of the check.
    pub async fn fsck(&self, read_data: bool, progress: Arc<dyn Progress>) -> Result<FsckReport> {
        match self.check_repository(read_data, progress).await {
            Err(crate::Error::Catalog(e)) if e.code() == ErrorCode::CatalogDamaged => {
                Ok(FsckReport::catalog_damaged(read_data, &e))
            }
            other => other,
        }
    }

    async fn check_repository(
        &self,
        read_data: bool,
        progress: Arc<dyn Progress>,
    ) -> Result<FsckReport> {
        let mut report = FsckReport {
            read_data,
            ..FsckReport::default()
        };
        // The database first: when its own check fails, every later reading is unreliable.
        let findings = self.catalog.check_integrity().await?;
        if findings.iter().any(|f| f.part == CatalogPart::Database) {
            report
                .problems
                .extend(findings.into_iter().map(catalog_problem));
            return Ok(report);
        }
        let recorded = self.catalog.list_packs().await?;
        let stored: HashMap<PackId, u64> = self
            .store
            .list_packs()
            .await?
            .into_iter()
            .map(|p| (p.id, p.size))
            .collect();
        report.packs_checked = recorded.len() as u64;
        let mut present = Vec::new();
        for p in &recorded {
            match stored.get(&p.id) {
                None => report.problems.push(Problem {
                    kind: ProblemKind::MissingPack,
                    object: p.id.to_hex(),
                    detail: format!("pack of {} chunks is missing from the store", p.chunk_count),
                }),
                Some(&size) if size != p.size => report.problems.push(Problem {
                    kind: ProblemKind::PackSizeMismatch,
                    object: p.id.to_hex(),
                    detail: format!("{size} bytes in the store, {} recorded", p.size),
                }),
                Some(_) => present.push(p.clone()),
            }
        }
        let known: std::collections::HashSet<PackId> = recorded.iter().map(|p| p.id).collect();
        report.unreferenced_packs = stored
            .keys()
            .filter(|id| !known.contains(id))
            .copied()
            .collect();
        report.unreferenced_packs.sort();
        for (content, chunk) in self.catalog.dangling_chunk_refs().await? {
            report.problems.push(Problem {
                kind: ProblemKind::MissingChunk,
                object: chunk.to_hex(),
                detail: format!("content {content} needs this chunk but no pack holds it"),
            });
        }
        for (asset, version, path, content) in self.catalog.dangling_content_refs().await? {
            report.problems.push(Problem {
                kind: ProblemKind::MissingContent,
                object: content.to_hex(),
                detail: format!("{asset}@v{version}:{path} names a content the catalog lacks"),
            });
        }
        report
            .problems
            .extend(findings.into_iter().map(catalog_problem));
        if let Err(bifrost_catalog::CatalogError::CatalogBehind { recorded, found }) =
            self.check_catalog_not_behind().await
        {
            report.problems.push(Problem {
                kind: ProblemKind::CatalogBehind,
                object: "catalog".into(),
                detail: format!(
                    "its journal ends at entry {found}, but entry {recorded} was committed \
                     through this repository: committed changes were lost (a deleted SQLite WAL \
                     file, or an older copy of the catalog restored); publishing is refused \
                     until it is recovered"
                ),
            });
        }
        for chunk in self.catalog.chunks_in_missing_packs().await? {
            report.problems.push(Problem {
                kind: ProblemKind::MissingChunk,
                object: chunk.to_hex(),
                detail: "the index points into a pack the catalog does not record".into(),
            });
        }
        if read_data {
            progress.start("verifying packs", present.iter().map(|p| p.size).sum());
            let checks = futures::stream::iter(present)
                .map(|p| {
                    let progress = progress.clone();
                    async move {
                        let entries = self.catalog.pack_entries(&p.id).await?;
                        let outcome = match self.store.read_pack(&p.id).await {
                            Ok(bytes) => {
                                let id = p.id;
                                let len = bytes.len() as u64;
                                let verified = tokio::task::spawn_blocking(move || {
                                    bifrost_store::verify_pack(&id, &bytes)
                                })
                                .await
                                .map_err(|e| StoreError::Task(e.to_string()))?;
                                progress.advance(len);
                                (len, verified)
                            }
                            Err(e) => (0, Err(e)),
                        };
                        Ok::<_, crate::Error>((p, entries, outcome))
                    }
                })
                .buffer_unordered(2)
                .collect::<Vec<_>>()
                .await;
            progress.finish();
            for check in checks {
                let (pack, recorded_entries, (len, verified)) = check?;
                report.bytes_read += len;
                match verified {
                    Ok(trailer) => {
                        report.chunks_verified += trailer.len() as u64;
                        let in_pack: std::collections::HashSet<_> = trailer.into_iter().collect();
                        for e in recorded_entries.iter().filter(|e| !in_pack.contains(e)) {
                            report.problems.push(Problem {
                                kind: ProblemKind::IndexMismatch,
                                object: e.chunk.to_hex(),
                                detail: format!("the catalog places it in pack {} but the pack's trailer does not", pack.id),
                            });
                        }
                    }
                    Err(StoreError::CorruptChunk { chunk, reason, .. }) => {
                        report.problems.push(Problem {
                            kind: ProblemKind::CorruptChunk,
                            object: chunk.to_hex(),
                            detail: format!("in pack {}: {reason}", pack.id),
                        })
                    }
                    Err(StoreError::MissingPack { pack }) => report.problems.push(Problem {
                        kind: ProblemKind::MissingPack,
                        object: pack.to_hex(),
                        detail: "vanished while fsck ran".into(),
                    }),
                    Err(e) => report.problems.push(Problem {
                        kind: ProblemKind::CorruptPack,
                        object: pack.id.to_hex(),
                        detail: e.to_string(),
                    }),
                }
            }
        }
        Ok(report)
    }

    /// Rebuilds the search index from the catalog's records (what `fsck` advises when the
    /// index disagrees with them); how many documents it wrote. Loses nothing: the index holds
    /// only what the other tables already say.
    pub async fn rebuild_search_index(&self) -> Result<u64> {
        self.require(bifrost_core::access::Permission::Admin)?;
        Ok(self.catalog.reindex_search(None).await?)
    }

    /// Mark-and-sweep garbage collection of chunks and packs no version needs.
    ///
    /// Only packs older than the grace period are touched. Publishing checks, inside its commit
    /// transaction, that every chunk it deduplicated against still exists, so a publish racing
    /// with gc either wins or writes its chunks again; it never commits a dangling reference.
    pub async fn gc(&self, options: GcOptions) -> Result<GcReport> {
        let mut report = GcReport {
            dry_run: options.dry_run,
            ..GcReport::default()
        };
        if options.grace < MIN_GRACE && !options.force {
            return Err(crate::Error::GraceTooShort {
                grace: options.grace,
                minimum: MIN_GRACE,
            });
        }
        // Checked: a grace period reaching before 1970 keeps every pack (none is older), and
        // the cutoff stays a date both catalogs store.
        let cutoff = bifrost_core::duration::checked_before(chrono::Utc::now(), options.grace)
            .filter(|cutoff| *cutoff > chrono::DateTime::UNIX_EPOCH)
            .unwrap_or(chrono::DateTime::UNIX_EPOCH);
        let cutoff_time = SystemTime::from(cutoff);
        if !options.dry_run {
            let now = chrono::Utc::now();
            let (leases, _) = self
                .catalog
                .expire_custody(now, now - RECEIPT_LIFETIME)
                .await?;
            report.expired_leases_removed = leases;
            report.contents_removed = self.catalog.delete_unreferenced_contents().await?;
        }
        for usage in self.catalog.pack_usage(cutoff).await? {
            if usage.live.is_empty() {
                if options.dry_run {
                    report.packs_deleted += 1;
                    report.bytes_freed += usage.size;
                } else if self.catalog.delete_dead_pack(&usage.id).await? {
                    self.store.delete_pack(&usage.id).await?;
                    report.packs_deleted += 1;
                    report.bytes_freed += usage.size;
                }
            } else if (usage.live.len() as u64) < usage.total_chunks
                && (usage.live_bytes as f64) < options.repack_below * usage.size as f64
            {
                // Only packs that hold dead chunks are rewritten: a small pack whose framing
                // outweighs its data is not garbage, and its repack would reproduce it byte for
                // byte under the same id.
                if options.dry_run {
                    report.packs_repacked += 1;
                    report.bytes_freed += usage.size.saturating_sub(usage.live_bytes);
                    continue;
                }
                let new = self.store.repack(&usage.id, &usage.live).await?;
                if new.id == usage.id {
                    continue;
                }
                if self.catalog.replace_pack(&usage.id, &new).await? {
                    self.store.delete_pack(&usage.id).await?;
                    report.packs_repacked += 1;
                    report.bytes_freed += usage.size.saturating_sub(new.size);
                } else {
                    self.store.delete_pack(&new.id).await?;
                }
            }
        }
        // The store is listed before the catalog is read: a writer leases a pack before its
        // object exists, so every listed pack that is in flight has a lease visible below.
        let stored = self.store.list_packs().await?;
        let recorded: std::collections::HashSet<PackId> = self
            .catalog
            .list_packs()
            .await?
            .into_iter()
            .map(|p| p.id)
            .collect();
        let leased = self.catalog.leased_packs(chrono::Utc::now()).await?;
        for pack in stored {
            if recorded.contains(&pack.id) || pack.modified >= cutoff_time {
                continue;
            }
            if leased.contains(&pack.id) {
                report.leased_packs_kept += 1;
                continue;
            }
            if !options.dry_run {
                // Decided again under the write lock, taking the pack from a writer whose lease
                // expired so that it can no longer record it.
                if !self.catalog.claim_orphan(&pack.id).await? {
                    report.leased_packs_kept += 1;
                    continue;
                }
                self.store.delete_pack(&pack.id).await?;
            }
            report.orphan_packs_deleted += 1;
            report.bytes_freed += pack.size;
        }
        report.staging_files_removed =
            self.store
                .cleanup_staging(cutoff_time, &leased, options.dry_run)?;
        Ok(report)
    }
}
