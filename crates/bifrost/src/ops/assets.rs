//! Projects, assets, versions, review, rollback, diff and locks.

use std::time::Duration;

use bifrost_api::Listing;
use bifrost_api::ops::assets::AssetWithStatus;
use bifrost_api::ops::results::MetadataObject;
use bifrost_api::ops::transfer::{CommitVersion, GetChunking, Missing, MissingChunks};
use bifrost_api::ops::{
    CreateAsset, CreateProject, DeleteAsset, Diff, GetAsset, GetLock, GetVersion, Heartbeat,
    ListAssets, ListFiles, ListLocks, ListProjects, ListVersions, Lock, ReviewVersion, Rollback,
    Stats, Unlock, UpdateAsset,
};
use bifrost_core::access::AssetLock;
use bifrost_core::production::{DeletedAsset, HistoryEntry, MetadataUpdate, VersionDetails};
use bifrost_core::{
    Asset, AssetFilter, ChunkingParams, FileEntry, NewAsset, Project, RepoStats, Version,
    VersionDiff, VersionRef, VersionSelector,
};

use super::Execute;
use crate::Repository;
use crate::error::{Error, Result};

impl Execute for ListProjects {
    async fn execute(self, repo: &Repository) -> Result<Listing<Project>> {
        Ok(Listing::of(
            repo.visible_projects().await?,
            self.limit,
            self.offset,
        ))
    }
}

impl Execute for CreateProject {
    async fn execute(self, repo: &Repository) -> Result<Project> {
        repo.create_project(&self.name).await
    }
}

impl Execute for Stats {
    async fn execute(self, repo: &Repository) -> Result<RepoStats> {
        repo.stats().await
    }
}

impl Execute for ListAssets {
    async fn execute(self, repo: &Repository) -> Result<Listing<Asset>> {
        let filter = AssetFilter {
            asset_type: self.asset_type,
            tags: self.tag.into_iter().collect(),
        };
        Ok(Listing::of(
            repo.list_assets(&filter).await?,
            self.limit,
            self.offset,
        ))
    }
}

impl Execute for CreateAsset {
    async fn execute(self, repo: &Repository) -> Result<Asset> {
        repo.create_asset(&NewAsset {
            name: self.name,
            asset_type: self.asset_type.unwrap_or_else(|| "asset".to_owned()),
            tags: self.tags,
            metadata: self.metadata,
            department: self.department,
        })
        .await
    }
}

impl Execute for GetAsset {
    async fn execute(self, repo: &Repository) -> Result<AssetWithStatus> {
        let (asset, status) = repo.asset_with_status(&self.asset).await?;
        Ok(AssetWithStatus { asset, status })
    }
}

impl Execute for UpdateAsset {
    async fn execute(self, repo: &Repository) -> Result<MetadataObject> {
        let update = if self.replace {
            MetadataUpdate::Replace(self.metadata)
        } else {
            MetadataUpdate::Merge(self.metadata)
        };
        Ok(MetadataObject(
            repo.update_asset_metadata(&self.asset, &update).await?,
        ))
    }
}

impl Execute for DeleteAsset {
    async fn execute(self, repo: &Repository) -> Result<DeletedAsset> {
        repo.delete_asset(&self.asset, self.force).await
    }
}

impl Execute for ListVersions {
    async fn execute(self, repo: &Repository) -> Result<Listing<VersionDetails>> {
        let all = repo.list_version_details(&self.asset).await?;
        Ok(Listing::of(all, self.limit, self.offset))
    }
}

impl Execute for GetVersion {
    async fn execute(self, repo: &Repository) -> Result<VersionDetails> {
        repo.version_details(&self.asset, self.version).await
    }
}

impl Execute for ListFiles {
    async fn execute(self, repo: &Repository) -> Result<Listing<FileEntry>> {
        let version = repo
            .resolve(&VersionRef {
                asset: self.asset,
                version: self.version,
            })
            .await?;
        let files = repo.version_files(&version).await?;
        Ok(Listing::of(files, self.limit, self.offset))
    }
}

/// The number a selector names (`latest`: the newest version's).
async fn number(repo: &Repository, asset: &str, version: VersionSelector) -> Result<i64> {
    Ok(match version {
        VersionSelector::Number(n) => n,
        VersionSelector::Latest => {
            repo.resolve(&VersionRef {
                asset: asset.to_owned(),
                version,
            })
            .await?
            .number
        }
    })
}

impl Execute for ReviewVersion {
    async fn execute(self, repo: &Repository) -> Result<HistoryEntry> {
        let number = number(repo, &self.asset, self.version).await?;
        repo.set_review_status(&self.asset, number, self.status)
            .await
    }
}

impl Execute for Rollback {
    async fn execute(self, repo: &Repository) -> Result<Version> {
        repo.rollback(&self.asset, self.version, self.note.as_deref())
            .await
    }
}

impl Execute for Diff {
    async fn execute(self, repo: &Repository) -> Result<VersionDiff> {
        let from = VersionRef {
            asset: self.asset.clone(),
            version: self.from,
        };
        let to = VersionRef {
            asset: self.to_asset.unwrap_or(self.asset),
            version: self.to,
        };
        repo.diff(&from, &to).await
    }
}

impl Execute for GetLock {
    async fn execute(self, repo: &Repository) -> Result<Option<AssetLock>> {
        repo.lock_of(&self.asset).await
    }
}

/// Lock leases asked for over the table: 1 s to 7 days, 1 h when not given.
fn lease(seconds: Option<u64>) -> Result<Duration> {
    const DEFAULT: u64 = 3600;
    const MAX: u64 = 7 * 24 * 3600;
    let seconds = seconds.unwrap_or(DEFAULT);
    if !(1..=MAX).contains(&seconds) {
        return Err(Error::DurationOutOfRange {
            what: "a lock lease".to_owned(),
            given: format!("{seconds}s"),
            allowed: format!("between 1 and {MAX} seconds (7 days); renew it with heartbeats"),
        });
    }
    Ok(Duration::from_secs(seconds))
}

impl Execute for Lock {
    async fn execute(self, repo: &Repository) -> Result<AssetLock> {
        repo.lock(&self.asset, lease(self.ttl_seconds)?, self.have)
            .await
    }
}

impl Execute for Unlock {
    async fn execute(self, repo: &Repository) -> Result<AssetLock> {
        repo.unlock(&self.asset, self.force).await
    }
}

impl Execute for Heartbeat {
    async fn execute(self, repo: &Repository) -> Result<AssetLock> {
        repo.renew_lock(&self.asset, lease(self.ttl_seconds)?).await
    }
}

impl Execute for ListLocks {
    async fn execute(self, repo: &Repository) -> Result<Vec<AssetLock>> {
        repo.locks().await
    }
}

impl Execute for GetChunking {
    async fn execute(self, repo: &Repository) -> Result<ChunkingParams> {
        Ok(repo.chunking())
    }
}

/// The most chunk ids one negotiation may ask about.
const MAX_NEGOTIATED: usize = 100_000;

impl Execute for MissingChunks {
    async fn execute(self, repo: &Repository) -> Result<Missing> {
        if self.chunks.len() > MAX_NEGOTIATED {
            return Err(Error::TooMany {
                what: "chunk ids in one request".to_owned(),
                limit: MAX_NEGOTIATED,
            });
        }
        let missing = repo.missing_chunks(&self.asset, &self.chunks).await?;
        Ok(Missing { missing })
    }
}

impl Execute for CommitVersion {
    async fn execute(self, repo: &Repository) -> Result<Version> {
        let manifest = crate::Manifest {
            note: self.note,
            files: self.files,
            contents: self.contents,
        };
        repo.publish_manifest(&self.asset, &manifest).await
    }
}
