//! Content transfer for remote clients: chunk negotiation, chunk upload, committing a version
//! from a manifest, and reading byte ranges of stored files.
//!
//! A remote publish cuts files on the client exactly as a local one would (same chunking
//! parameters, [`Repository::chunking`]), sends the manifest's chunk ids, uploads only the
//! chunks the repository lacks ([`Repository::missing_chunks`], [`Repository::receive_chunks`])
//! and commits ([`Repository::publish_manifest`]). Each upload batch becomes durable packs
//! before it is acknowledged, so an interrupted upload resumes by asking again what is missing.
//! A commit re-reads every new content from the store and checks that its bytes hash to the
//! content id the client claimed: a client cannot attach wrong bytes to a content id that
//! others would then deduplicate against.

use std::collections::{HashMap, HashSet};
use std::ops::Range;
use std::sync::{Arc, Mutex};

use bifrost_catalog::CatalogError;
use bifrost_core::access::Permission;
use bifrost_core::{
    ChunkId, ChunkingParams, ContentId, FileEntry, NewContent, NewVersion, Version,
};
use bifrost_files::Manifest;
use bytes::Bytes;
use futures::Stream;

use crate::Repository;
use crate::error::{Error, Result};

/// Chunks per verification read: bounds memory while re-reading new contents.
const VERIFY_BATCH: usize = 64;

impl Repository {
    /// The chunking parameters clients must cut with for deduplication to work.
    pub fn chunking(&self) -> ChunkingParams {
        self.config().chunking
    }

    /// Whether the actor may read every project (so proof of possession is owed to none).
    fn sees_every_project(&self) -> bool {
        matches!(self.access, crate::Access::Full) || self.require(Permission::Admin).is_ok()
    }

    /// Checks, before any byte is accepted, that the actor may publish `asset`: the permission,
    /// the asset's department, and no lock held by someone else.
    pub async fn check_can_publish(&self, asset: &str) -> Result<()> {
        self.require_work(Permission::Publish, crate::access::Work::Asset(asset))
            .await?;
        // The asset must exist even for an unrestricted member (whose check read nothing).
        self.catalog.get_asset(self.project(), asset).await?;
        if let Some(lock) = self.catalog.get_lock(self.project(), asset).await?
            && lock.holder != self.actor().user
        {
            return Err(CatalogError::AssetLocked {
                asset: asset.to_owned(),
                holder: lock.holder,
                since: lock.acquired_at.to_rfc3339(),
                until: lock.expires_at.to_rfc3339(),
            }
            .into());
        }
        Ok(())
    }

    /// Which of `chunks` a publish of `asset` must upload, in the order given (each once).
    ///
    /// The answer is about the current project only: a chunk counts as present when a version
    /// of this project names it or its bytes were uploaded to this project, so the answer
    /// reveals nothing about other projects (an admin, who may read them all, is answered for
    /// the whole repository).
    pub async fn missing_chunks(&self, asset: &str, chunks: &[ChunkId]) -> Result<Vec<ChunkId>> {
        self.check_can_publish(asset).await?;
        let present = if self.sees_every_project() {
            self.catalog.known_chunks(chunks).await?
        } else {
            self.catalog
                .chunks_in_project(self.project(), chunks)
                .await?
        };
        // The packs this client already uploaded stay leased while it goes on.
        self.upload_lease().renew().await?;
        let mut seen = HashSet::new();
        Ok(chunks
            .iter()
            .zip(present)
            .filter(|(id, present)| !present && seen.insert(**id))
            .map(|(id, _)| *id)
            .collect())
    }

    /// Stores uploaded chunks for a publish of `asset`: each is verified against its id; those
    /// the store lacks are packed, leased, made durable and indexed before this returns, and
    /// every one is noted as uploaded to the current project (proof of possession). Returns the
    /// pack bytes written.
    pub async fn receive_chunks(&self, asset: &str, chunks: Vec<(ChunkId, Bytes)>) -> Result<u64> {
        self.check_can_publish(asset).await?;
        let ids: Vec<ChunkId> = chunks.iter().map(|(id, _)| *id).collect();
        let known = self.catalog.known_chunks(&ids).await?;
        let (stored, fresh): (Vec<_>, Vec<_>) =
            chunks.into_iter().zip(known).partition(|(_, known)| *known);
        // Chunks the store has are not stored again, but their bytes must still prove it.
        let stored: Vec<(ChunkId, Bytes)> = stored.into_iter().map(|(c, _)| c).collect();
        tokio::task::spawn_blocking(move || {
            stored.iter().try_for_each(|(claimed, raw)| {
                let actual = ChunkId::of(raw);
                if actual == *claimed {
                    Ok(())
                } else {
                    Err(bifrost_store::StoreError::ChunkMismatch {
                        claimed: *claimed,
                        actual,
                    })
                }
            })
        })
        .await
        .map_err(|e| bifrost_store::StoreError::Task(e.to_string()))??;
        let fresh: Vec<(ChunkId, Bytes)> = fresh.into_iter().map(|(c, _)| c).collect();
        let lease = self.upload_lease();
        lease.renew().await?;
        let packs = self.store.put_chunks(fresh, lease.index().as_ref()).await?;
        self.catalog
            .add_upload_receipts(self.project(), &ids)
            .await?;
        Ok(packs.iter().map(|p| p.size).sum())
    }

    /// Commits the next version of `asset` from an uploaded manifest, as the actor.
    ///
    /// Every file's content must already be in a version of this project, or each of its
    /// chunks must be (or have been uploaded to it): naming another project's content by its
    /// hash proves nothing, so it is refused ([`Error::NotUploaded`]).
    pub async fn publish_manifest(&self, asset: &str, manifest: &Manifest) -> Result<Version> {
        self.check_can_publish(asset).await?;
        if manifest.files.is_empty() {
            return Err(Error::NothingToPublish);
        }
        for file in &manifest.files {
            if !FileEntry::is_safe_path(&file.path) {
                return Err(CatalogError::InvalidPath {
                    path: file.path.clone(),
                    reason:
                        "paths must be relative, use `/`, and contain no `..`, `.` or empty parts"
                            .into(),
                }
                .into());
            }
        }
        self.check_possession(manifest).await?;
        self.verify_new_contents(&manifest.contents).await?;
        let new = NewVersion {
            author: self.actor().user.clone(),
            note: manifest.note.clone(),
            files: manifest.files.clone(),
            contents: manifest.contents.clone(),
        };
        let version = self.commit(asset, &new).await?;
        let chunks: Vec<ChunkId> = manifest
            .contents
            .iter()
            .flat_map(|c| c.chunks.iter().copied())
            .collect();
        self.catalog
            .clear_upload_receipts(self.project(), &chunks)
            .await?;
        self.upload_lease().release().await;
        Ok(version)
    }

    /// Refuses a manifest naming a content the actor has not shown it holds (see
    /// [`Repository::publish_manifest`]).
    async fn check_possession(&self, manifest: &Manifest) -> Result<()> {
        if self.sees_every_project() {
            return Ok(());
        }
        let named: Vec<ContentId> = {
            let mut seen = HashSet::new();
            manifest
                .files
                .iter()
                .map(|f| f.content)
                .filter(|c| seen.insert(*c))
                .collect()
        };
        let in_project = self
            .catalog
            .contents_in_project(self.project(), &named)
            .await?;
        let outside: Vec<ContentId> = named
            .into_iter()
            .zip(in_project)
            .filter(|(_, inside)| !inside)
            .map(|(c, _)| c)
            .collect();
        if outside.is_empty() {
            return Ok(());
        }
        // The chunks are those the catalog lists for a content it has (whatever the manifest
        // claims), else those the manifest describes.
        let mut lists = self.catalog.content_chunk_lists(&outside).await?;
        let described: HashMap<ContentId, &NewContent> =
            manifest.contents.iter().map(|c| (c.id, c)).collect();
        for content in &outside {
            if !lists.contains_key(content)
                && let Some(d) = described.get(content)
            {
                lists.insert(*content, d.chunks.clone());
            }
        }
        let chunks: Vec<ChunkId> = lists.values().flatten().copied().collect();
        let held: HashSet<ChunkId> = chunks
            .iter()
            .zip(
                self.catalog
                    .chunks_in_project(self.project(), &chunks)
                    .await?,
            )
            .filter(|(_, held)| *held)
            .map(|(c, _)| *c)
            .collect();
        for content in outside {
            // A content with no chunk list at all is unknown: the commit says so.
            let Some(list) = lists.get(&content) else {
                continue;
            };
            if !list.iter().all(|c| held.contains(c)) {
                return Err(Error::NotUploaded { content });
            }
        }
        Ok(())
    }

    /// Re-reads every described content the catalog does not have yet and checks its size and
    /// hash against what the client claimed.
    async fn verify_new_contents(&self, contents: &[NewContent]) -> Result<()> {
        let known = self
            .catalog
            .known_contents(&contents.iter().map(|c| c.id).collect::<Vec<_>>())
            .await?;
        let new: Vec<&NewContent> = contents
            .iter()
            .zip(known)
            .filter(|(_, known)| !known)
            .map(|(c, _)| c)
            .collect();
        let ids: Vec<ChunkId> = new.iter().flat_map(|c| c.chunks.iter().copied()).collect();
        let locations = self.catalog.chunk_locations(&ids).await?;
        let missing: Vec<ChunkId> = ids
            .iter()
            .filter(|id| !locations.contains_key(id))
            .copied()
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        if !missing.is_empty() {
            return Err(CatalogError::MissingChunks { missing }.into());
        }
        for content in new {
            let mut hasher = blake3::Hasher::new();
            let mut size = 0u64;
            for batch in content.chunks.chunks(VERIFY_BATCH) {
                let batch_locations: Vec<_> = batch.iter().map(|id| locations[id]).collect();
                let parts: Arc<Mutex<Vec<Option<Vec<u8>>>>> =
                    Arc::new(Mutex::new(vec![None; batch.len()]));
                let sink_parts = parts.clone();
                self.store
                    .read_chunks(
                        &batch_locations,
                        Arc::new(move |i, raw: &[u8]| {
                            sink_parts.lock().expect("no panics while holding it")[i] =
                                Some(raw.to_vec());
                            Ok(())
                        }),
                    )
                    .await?;
                let parts = std::mem::take(&mut *parts.lock().expect("no panics while holding it"));
                for part in parts.into_iter().flatten() {
                    size += part.len() as u64;
                    hasher.update(&part);
                }
            }
            let actual = ContentId(*hasher.finalize().as_bytes());
            if actual != content.id || size != content.size {
                return Err(Error::ContentMismatch {
                    claimed: content.id,
                    actual,
                    claimed_size: content.size,
                    actual_size: size,
                });
            }
        }
        Ok(())
    }

    /// The bytes `range` of a stored file (`file` from [`Repository::version_files`]), as a
    /// stream of verified pieces; at most a few chunks are held in memory at a time.
    pub async fn read_file_range(
        &self,
        file: &FileEntry,
        range: Range<u64>,
    ) -> Result<impl Stream<Item = Result<Bytes>> + Send + 'static> {
        let locations = self.catalog.content_locations(&file.content).await?;
        // Chunks overlapping the range, with the offset each starts at in the file.
        let mut wanted = Vec::new();
        let mut offset = 0u64;
        for location in locations {
            let len = u64::from(location.entry.raw_len);
            if offset + len > range.start && offset < range.end {
                wanted.push((offset, location));
            }
            offset += len;
        }
        let store = self.store.clone();
        let batches: Vec<Vec<_>> = wanted.chunks(8).map(<[_]>::to_vec).collect();
        Ok(futures::stream::iter(batches).then(move |batch| {
            let store = store.clone();
            let range = range.clone();
            async move {
                let locations: Vec<_> = batch.iter().map(|(_, l)| *l).collect();
                let parts: Arc<Mutex<HashMap<usize, Vec<u8>>>> = Arc::default();
                let sink_parts = parts.clone();
                store
                    .read_chunks(
                        &locations,
                        Arc::new(move |i, raw: &[u8]| {
                            sink_parts
                                .lock()
                                .expect("no panics while holding it")
                                .insert(i, raw.to_vec());
                            Ok(())
                        }),
                    )
                    .await?;
                let mut parts =
                    std::mem::take(&mut *parts.lock().expect("no panics while holding it"));
                let mut out = Vec::new();
                for (i, (start, _)) in batch.iter().enumerate() {
                    let raw = parts.remove(&i).unwrap_or_default();
                    let from = range.start.saturating_sub(*start) as usize;
                    let to = ((range.end - start) as usize).min(raw.len());
                    out.extend_from_slice(&raw[from.min(to)..to]);
                }
                Ok(Bytes::from(out))
            }
        }))
    }
}

use futures::StreamExt as _;
