//! Bifrost's content-addressed chunk store.
//!
//! Files are cut by content-defined chunking (FastCDC 2020, 64 KiB / 256 KiB / 1 MiB by default;
//! `bifrost_files::cut_points`, where remote clients cut too), each chunk is named by the BLAKE3
//! of its bytes, compressed with zstd when that pays, and appended to a pack file (about 16 MiB)
//! with a trailer that indexes it. Packs go to a backend through `object_store`: a local
//! directory by default, or an S3-compatible bucket.
//!
//! The store knows nothing of assets or versions, and keeps no index of its own: the caller
//! supplies a [`KnownChunks`] oracle for deduplication and records the returned [`PackRecord`]s.
//!
//! Invariants:
//! - Packs are immutable and named by the hash of their bytes; a pack is visible under its key
//!   only once fully written (local: staged file, fsync, rename, fsync directory; S3: PUT).
//! - [`Store::ingest`] returns only after every pack it reports is durable.
//! - Reading verifies: every chunk is hashed after decoding and before its bytes reach a caller.

mod error;
mod ingest;
mod location;
mod pack;
mod restore;
#[cfg(feature = "s3-test-server")]
pub mod testing;

use std::sync::Arc;
use std::time::SystemTime;

use bifrost_core::{ChunkId, ChunkingParams, PackEntry, PackId, PackRecord};
use bifrost_files::Progress;
use bytes::Bytes;
use futures::TryStreamExt;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};
use rayon::prelude::*;

pub use error::{Result, StoreError};
pub use ingest::{IngestReport, IngestedFile, KnownChunks, NothingKnown, SourceFile};
pub use location::StoreLocation;
pub use pack::{pack_id_from_key, pack_key, parse_trailer, verify_pack};
pub use restore::ChunkSink;

use crate::error::backend;
use crate::pack::PackBuilder;

/// Tunables of a store, fixed per repository.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoreConfig {
    /// Chunk size parameters.
    pub chunking: ChunkingParams,
    /// Target pack size in bytes.
    pub pack_target: usize,
    /// zstd level for compressible chunks.
    pub zstd_level: i32,
}

impl Default for StoreConfig {
    fn default() -> Self {
        Self {
            chunking: ChunkingParams::default(),
            pack_target: 16 * 1024 * 1024,
            zstd_level: 3,
        }
    }
}

/// A pack object as listed in the backend.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredPack {
    /// The pack id parsed from its key.
    pub id: PackId,
    /// Object size.
    pub size: u64,
    /// Last modification time reported by the backend.
    pub modified: SystemTime,
}

/// A handle on a store. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Store {
    location: StoreLocation,
    backend: Arc<dyn ObjectStore>,
    prefix: object_store::path::Path,
    config: StoreConfig,
}

impl Store {
    /// Opens an existing store. A local store's directory must exist.
    pub fn open(location: StoreLocation, config: StoreConfig) -> Result<Self> {
        if let StoreLocation::Local(dir) = &location
            && !dir.is_dir()
        {
            return Err(StoreError::BadUrl {
                url: dir.display().to_string(),
                reason: "the store directory does not exist; check the repository's config.toml, or create the repository first".into(),
            });
        }
        let (backend, prefix) = location.connect()?;
        Ok(Self {
            location,
            backend,
            prefix,
            config,
        })
    }

    /// Creates a store (a local directory is made; a bucket must already exist) and checks that it
    /// answers.
    pub async fn create(location: StoreLocation, config: StoreConfig) -> Result<Self> {
        if let StoreLocation::Local(dir) = &location {
            std::fs::create_dir_all(dir.join("packs")).map_err(|e| StoreError::BadUrl {
                url: dir.display().to_string(),
                reason: format!("cannot create the store directory: {e}"),
            })?;
        }
        let store = Self::open(location, config)?;
        store.probe().await?;
        Ok(store)
    }

    /// Checks that the backend answers (credentials, bucket, network).
    pub async fn probe(&self) -> Result<()> {
        let mut listing = self.backend.list(Some(&self.key("packs")));
        tokio::time::timeout(std::time::Duration::from_secs(15), listing.try_next())
            .await
            .map_err(|_| StoreError::BadUrl {
                url: self.location.display_url(),
                reason: "the store did not answer within 15 s; check the endpoint".into(),
            })?
            .map_err(backend(format!(
                "checking the store at {} (check the endpoint, bucket and credentials)",
                self.location.display_url()
            )))?;
        Ok(())
    }

    /// Where this store lives.
    pub fn location(&self) -> &StoreLocation {
        &self.location
    }

    /// The store's tunables.
    pub fn config(&self) -> &StoreConfig {
        &self.config
    }

    pub(crate) fn key(&self, key: &str) -> object_store::path::Path {
        if self.prefix.as_ref().is_empty() {
            object_store::path::Path::from(key)
        } else {
            object_store::path::Path::from(format!("{}/{key}", self.prefix))
        }
    }

    pub(crate) fn pack_path(&self, id: &PackId) -> object_store::path::Path {
        self.key(&pack_key(id))
    }

    /// Cuts, hashes, deduplicates, compresses and packs `files`, using both cores.
    ///
    /// Returns when every pack written is durable. Nothing is visible to readers of the catalog
    /// until the caller records the packs and commits; a crash before that leaves only
    /// unreferenced packs, which `gc` removes after its grace period.
    pub async fn ingest(
        &self,
        files: Vec<SourceFile>,
        known: Arc<dyn KnownChunks>,
        progress: Arc<dyn Progress>,
    ) -> Result<IngestReport> {
        let (tx, mut rx) = tokio::sync::mpsc::channel::<ingest::SealedPack>(2);
        let config = self.config;
        let index = known.clone();
        let pipeline = tokio::task::spawn_blocking(move || {
            ingest::Pipeline::new(
                config.chunking,
                config.zstd_level,
                config.pack_target,
                known.as_ref(),
                progress.as_ref(),
                tx,
            )
            .run(&files)
        });
        // The receiver moves into the upload loop: if an upload fails, dropping it makes the
        // pipeline's next send fail too, instead of blocking on a full channel forever.
        let uploads = async move {
            let mut packs = Vec::new();
            let mut written = 0u64;
            while let Some((record, bytes)) = rx.recv().await {
                self.put_indexed(index.as_ref(), &record, bytes).await?;
                written += record.size;
                packs.push(record);
            }
            Ok::<_, StoreError>((packs, written))
        };
        let (uploaded, pipeline) = tokio::join!(uploads, pipeline);
        let (packs, bytes_written) = uploaded?;
        let (files, bytes_read, new_chunks) =
            pipeline.map_err(|e| StoreError::Task(e.to_string()))??;
        Ok(IngestReport {
            files,
            packs,
            bytes_read,
            new_chunks,
            bytes_written,
        })
    }

    /// Writes a sealed pack between the index's two hooks: leased before, recorded after.
    async fn put_indexed(
        &self,
        index: &dyn KnownChunks,
        record: &PackRecord,
        bytes: Vec<u8>,
    ) -> Result<()> {
        index
            .pack_sealed(record)
            .await
            .map_err(StoreError::Lookup)?;
        self.put_pack(&record.id, bytes).await?;
        index.pack_written(record).await.map_err(StoreError::Lookup)
    }

    async fn put_pack(&self, id: &PackId, bytes: Vec<u8>) -> Result<()> {
        self.backend
            .put(&self.pack_path(id), PutPayload::from(Bytes::from(bytes)))
            .await
            .map_err(backend(format!("writing pack {id}")))?;
        Ok(())
    }

    /// Lists every pack object in the backend.
    pub async fn list_packs(&self) -> Result<Vec<StoredPack>> {
        let metas: Vec<_> = self
            .backend
            .list(Some(&self.key("packs")))
            .try_collect()
            .await
            .map_err(backend("listing packs"))?;
        Ok(metas
            .into_iter()
            .filter_map(|m| {
                Some(StoredPack {
                    id: pack_id_from_key(m.location.as_ref())?,
                    size: m.size,
                    modified: m.last_modified.into(),
                })
            })
            .collect())
    }

    /// Reads a whole pack.
    pub async fn read_pack(&self, id: &PackId) -> Result<Bytes> {
        match self.backend.get(&self.pack_path(id)).await {
            Ok(r) => r
                .bytes()
                .await
                .map_err(backend(format!("reading pack {id}"))),
            Err(object_store::Error::NotFound { .. }) => Err(StoreError::MissingPack { pack: *id }),
            Err(e) => Err(backend(format!("reading pack {id}"))(e)),
        }
    }

    /// Deletes a pack object (absent is fine).
    pub async fn delete_pack(&self, id: &PackId) -> Result<()> {
        match self.backend.delete(&self.pack_path(id)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(backend(format!("deleting pack {id}"))(e)),
        }
    }

    /// Writes a new pack holding only `keep` (entries of pack `old`), verifying each chunk on the
    /// way. The caller switches its index to the new pack, then deletes the old one.
    pub async fn repack(&self, old: &PackId, keep: &[PackEntry]) -> Result<PackRecord> {
        let bytes = self.read_pack(old).await?;
        let old = *old;
        let keep = keep.to_vec();
        let target = self.config.pack_target;
        let (record, packed) = tokio::task::spawn_blocking(move || {
            let mut builder = PackBuilder::new(target.min(bytes.len()));
            for e in &keep {
                let start = e.offset as usize;
                let stored = bytes
                    .get(start..start + e.stored_len as usize)
                    .ok_or_else(|| StoreError::CorruptPack {
                        pack: old,
                        reason: "an entry points past the end of the pack".into(),
                    })?;
                pack::decode_chunk(&old, e, stored)?;
                builder.push(e.chunk, e.codec, e.raw_len, stored);
            }
            Ok::<_, StoreError>(builder.seal())
        })
        .await
        .map_err(|e| StoreError::Task(e.to_string()))??;
        self.put_pack(&record.id, packed).await?;
        Ok(record)
    }

    /// Stores chunks that a client cut and sent (the upload side of a remote publish). Each is
    /// hashed and refused with [`StoreError::ChunkMismatch`] unless its bytes match its id,
    /// compressed when that pays and packed; returns the packs written, every one durable and
    /// passed through `index`'s hooks like an ingest's (leased before it is written, recorded
    /// once durable), so a client that disconnects halfway loses only the chunks of packs not
    /// yet written, and the chunks of packs never committed to are garbage for `gc`.
    pub async fn put_chunks(
        &self,
        chunks: Vec<(ChunkId, Bytes)>,
        index: &dyn KnownChunks,
    ) -> Result<Vec<PackRecord>> {
        let max = self.config.chunking.max_size as usize;
        let level = self.config.zstd_level;
        let target = self.config.pack_target;
        let sealed = tokio::task::spawn_blocking(move || {
            let encoded = chunks
                .par_iter()
                .map(|(claimed, raw)| {
                    if raw.len() > max {
                        return Err(StoreError::ChunkTooLarge {
                            chunk: *claimed,
                            len: raw.len(),
                            max,
                        });
                    }
                    let actual = ChunkId(*blake3::hash(raw).as_bytes());
                    if actual != *claimed {
                        return Err(StoreError::ChunkMismatch {
                            claimed: *claimed,
                            actual,
                        });
                    }
                    let (codec, stored) = pack::encode_chunk(raw, level);
                    Ok((*claimed, codec, raw.len() as u32, stored))
                })
                .collect::<Result<Vec<_>>>()?;
            let mut packs = Vec::new();
            let mut builder = PackBuilder::new(target);
            let mut seen = std::collections::HashSet::new();
            for (id, codec, raw_len, stored) in &encoded {
                if !seen.insert(*id) {
                    continue;
                }
                if !builder.is_empty() && builder.len() + stored.len() > target {
                    let full = std::mem::replace(&mut builder, PackBuilder::new(target));
                    packs.push(full.seal());
                }
                builder.push(*id, *codec, *raw_len, stored);
            }
            if !builder.is_empty() {
                packs.push(builder.seal());
            }
            Ok::<_, StoreError>(packs)
        })
        .await
        .map_err(|e| StoreError::Task(e.to_string()))??;
        let mut records = Vec::with_capacity(sealed.len());
        for (record, bytes) in sealed {
            self.put_indexed(index, &record, bytes).await?;
            records.push(record);
        }
        Ok(records)
    }

    /// Removes leftovers of interrupted local writes (`*.pack#N` staging files) older than
    /// `older_than` (with `dry_run`, only counts them). Returns how many there were. S3 uploads
    /// are atomic and leave none.
    /// Staging files of packs in `keep` (leased by a writer still at work) are left alone.
    pub fn cleanup_staging(
        &self,
        older_than: SystemTime,
        keep: &std::collections::HashSet<PackId>,
        dry_run: bool,
    ) -> Result<u64> {
        let StoreLocation::Local(dir) = &self.location else {
            return Ok(0);
        };
        let mut removed = 0;
        let Ok(shards) = std::fs::read_dir(dir.join("packs")) else {
            return Ok(0);
        };
        for shard in shards.flatten() {
            let Ok(entries) = std::fs::read_dir(shard.path()) else {
                continue;
            };
            for entry in entries.flatten() {
                let name = entry.file_name().to_string_lossy().into_owned();
                let Some((pack, _)) = name.split_once('#') else {
                    continue;
                };
                let kept = pack_id_from_key(pack).is_some_and(|id| keep.contains(&id));
                let stale = !kept
                    && entry
                        .metadata()
                        .and_then(|m| m.modified())
                        .is_ok_and(|t| t < older_than);
                if stale && (dry_run || std::fs::remove_file(entry.path()).is_ok()) {
                    removed += 1;
                }
            }
        }
        Ok(removed)
    }
}
