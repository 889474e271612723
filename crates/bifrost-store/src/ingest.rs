//! The ingest pipeline: read → cut (FastCDC) → hash (BLAKE3) → dedup → compress (zstd) → pack.
//!
//! Runs on a blocking thread. Hashing and compression fan out over rayon (both cores); a reader
//! thread keeps the next segment of a large file coming while the current one is processed.
//! Memory is bounded by: one segment per large file in flight (plus the one being read), one batch
//! of small files, the pack being filled and the packs queued for upload (a channel of 2).

use std::collections::HashSet;
use std::fs::File;
use std::io::{self, Read};
use std::ops::Range;
use std::path::{Path, PathBuf};

use bifrost_core::{ChunkId, ChunkingParams, Codec, ContentId, PackRecord};
use bifrost_files::{Progress, cut_points};
use rayon::prelude::*;

use crate::error::{Result, StoreError};
use crate::pack::{PackBuilder, encode_chunk};

/// Files at most this large are read whole and processed many at a time.
const SMALL_FILE_LIMIT: u64 = 4 * 1024 * 1024;
/// Bytes of small files gathered before a batch is processed.
const SMALL_BATCH_BYTES: u64 = 32 * 1024 * 1024;
/// Read size for large files.
const SEGMENT_BYTES: usize = 16 * 1024 * 1024;

/// A file to ingest.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// Where to read it.
    pub path: PathBuf,
    /// Its size when it was listed (used for scheduling; the bytes read are what counts).
    pub size_hint: u64,
}

/// What ingest learned about one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IngestedFile {
    /// BLAKE3 of the bytes read.
    pub content: ContentId,
    /// Number of bytes read.
    pub size: u64,
    /// Chunks in file order.
    pub chunks: Vec<ChunkId>,
}

/// The outcome of an ingest.
#[derive(Debug, Clone, Default)]
pub struct IngestReport {
    /// One entry per source file, in input order.
    pub files: Vec<IngestedFile>,
    /// Packs written (durable in the backend). The caller must record them in its index.
    pub packs: Vec<PackRecord>,
    /// Bytes read from the sources.
    pub bytes_read: u64,
    /// Chunks that were not stored before and were written now.
    pub new_chunks: u64,
    /// Bytes of pack data written.
    pub bytes_written: u64,
}

/// The chunk index the store writes against: which chunks are already stored, and where newly
/// written packs get recorded. Implemented by the facade over the catalog. Its errors keep their
/// code (a busy catalog stays retryable, a lost lease stays `lease_lost`).
pub trait KnownChunks: Send + Sync {
    /// For each id, whether the repository already stores it. Called from a blocking thread.
    fn known(&self, ids: &[ChunkId]) -> std::result::Result<Vec<bool>, bifrost_api::ApiError>;

    /// Called with a sealed pack before its object is written: the index leases its id, so
    /// that a garbage collection running meanwhile leaves the object alone.
    fn pack_sealed<'a>(
        &'a self,
        _pack: &'a PackRecord,
    ) -> futures::future::BoxFuture<'a, std::result::Result<(), bifrost_api::ApiError>> {
        Box::pin(std::future::ready(Ok(())))
    }

    /// Called once a pack is durable in the backend, before ingest goes on, so a long ingest
    /// never holds many unrecorded packs (which `gc` would treat as leftovers of a crash).
    fn pack_written<'a>(
        &'a self,
        _pack: &'a PackRecord,
    ) -> futures::future::BoxFuture<'a, std::result::Result<(), bifrost_api::ApiError>> {
        Box::pin(std::future::ready(Ok(())))
    }
}

/// Knows nothing: every chunk is new. For stores without an index.
#[derive(Debug, Default, Clone, Copy)]
pub struct NothingKnown;

impl KnownChunks for NothingKnown {
    fn known(&self, ids: &[ChunkId]) -> std::result::Result<Vec<bool>, bifrost_api::ApiError> {
        Ok(vec![false; ids.len()])
    }
}

pub(crate) type SealedPack = (PackRecord, Vec<u8>);

/// A small file read whole: bytes, content id, chunk ranges and chunk ids.
type LoadedFile = (Vec<u8>, ContentId, Vec<Range<usize>>, Vec<ChunkId>);

pub(crate) struct Pipeline<'a> {
    pub(crate) chunking: ChunkingParams,
    pub(crate) zstd_level: i32,
    pub(crate) pack_target: usize,
    pub(crate) known: &'a dyn KnownChunks,
    pub(crate) progress: &'a dyn Progress,
    pub(crate) sink: tokio::sync::mpsc::Sender<SealedPack>,
    builder: PackBuilder,
    seen: HashSet<ChunkId>,
    bytes_read: u64,
    new_chunks: u64,
}

impl<'a> Pipeline<'a> {
    pub(crate) fn new(
        chunking: ChunkingParams,
        zstd_level: i32,
        pack_target: usize,
        known: &'a dyn KnownChunks,
        progress: &'a dyn Progress,
        sink: tokio::sync::mpsc::Sender<SealedPack>,
    ) -> Self {
        Self {
            chunking,
            zstd_level,
            pack_target,
            known,
            progress,
            sink,
            builder: PackBuilder::new(pack_target),
            seen: HashSet::new(),
            bytes_read: 0,
            new_chunks: 0,
        }
    }

    /// Ingests every file; returns per-file results in input order plus counters.
    pub(crate) fn run(mut self, files: &[SourceFile]) -> Result<(Vec<IngestedFile>, u64, u64)> {
        let mut results: Vec<Option<IngestedFile>> = vec![None; files.len()];
        let mut batch: Vec<usize> = Vec::new();
        let mut batch_bytes = 0u64;
        for (i, f) in files.iter().enumerate() {
            if f.size_hint > SMALL_FILE_LIMIT {
                self.small_batch(files, &mut batch, &mut results)?;
                batch_bytes = 0;
                results[i] = Some(self.large_file(&f.path)?);
                continue;
            }
            batch.push(i);
            batch_bytes += f.size_hint;
            if batch_bytes >= SMALL_BATCH_BYTES || batch.len() >= 4096 {
                self.small_batch(files, &mut batch, &mut results)?;
                batch_bytes = 0;
            }
        }
        self.small_batch(files, &mut batch, &mut results)?;
        self.flush()?;
        let files = results
            .into_iter()
            .map(|r| r.expect("every file was processed"))
            .collect();
        Ok((files, self.bytes_read, self.new_chunks))
    }

    fn cut_points(&self, data: &[u8]) -> Vec<Range<usize>> {
        cut_points(data, self.chunking)
    }

    /// Reads a batch of small files whole, in parallel, and stores their chunks.
    fn small_batch(
        &mut self,
        files: &[SourceFile],
        batch: &mut Vec<usize>,
        results: &mut [Option<IngestedFile>],
    ) -> Result<()> {
        if batch.is_empty() {
            return Ok(());
        }
        let loaded: Vec<Result<Option<LoadedFile>>> = batch
            .par_iter()
            .map(|&i| {
                let path = &files[i].path;
                let read_err = |source| StoreError::ReadSource {
                    path: path.clone(),
                    source,
                };
                let mut data = Vec::with_capacity(files[i].size_hint as usize);
                File::open(path)
                    .and_then(|f| f.take(SMALL_FILE_LIMIT + 1).read_to_end(&mut data))
                    .map_err(read_err)?;
                if data.len() as u64 > SMALL_FILE_LIMIT {
                    return Ok(None); // grew since listing: handled as a large file
                }
                let content = ContentId::of(&data);
                let ranges = self.cut_points(&data);
                let ids = ranges
                    .iter()
                    .map(|r| ChunkId::of(&data[r.clone()]))
                    .collect();
                Ok(Some((data, content, ranges, ids)))
            })
            .collect();
        let mut grown = Vec::new();
        let mut flat: Vec<(ChunkId, &[u8])> = Vec::new();
        let mut prepared = Vec::new();
        for (&i, item) in batch.iter().zip(&loaded) {
            match item {
                Err(e) => return Err(clone_read_error(e)),
                Ok(None) => grown.push(i),
                Ok(Some((data, content, ranges, ids))) => {
                    for (r, id) in ranges.iter().zip(ids) {
                        flat.push((*id, &data[r.clone()]));
                    }
                    prepared.push((i, *content, data.len() as u64, ids.clone()));
                }
            }
        }
        self.store_chunks(&flat)?;
        for (i, content, size, chunks) in prepared {
            self.bytes_read += size;
            self.progress.advance(size);
            results[i] = Some(IngestedFile {
                content,
                size,
                chunks,
            });
        }
        for i in grown {
            results[i] = Some(self.large_file(&files[i].path)?);
        }
        batch.clear();
        Ok(())
    }

    /// Streams a large file in segments; a reader thread overlaps I/O with hashing.
    fn large_file(&mut self, path: &Path) -> Result<IngestedFile> {
        let read_err = |source| StoreError::ReadSource {
            path: path.to_owned(),
            source,
        };
        let file = File::open(path).map_err(read_err)?;
        std::thread::scope(|scope| {
            let (tx, rx) = std::sync::mpsc::sync_channel::<io::Result<Vec<u8>>>(1);
            scope.spawn(move || read_segments(file, tx));
            let mut hasher = blake3::Hasher::new();
            let mut chunks = Vec::new();
            let mut carry: Vec<u8> = Vec::new();
            let mut size = 0u64;
            loop {
                let segment = match rx.recv() {
                    Ok(Ok(seg)) => Some(seg),
                    Ok(Err(e)) => return Err(read_err(e)),
                    Err(_) => None, // reader finished: end of file
                };
                let eof = segment.is_none();
                let carried = carry.len();
                let buf = match segment {
                    Some(seg) => {
                        size += seg.len() as u64;
                        if carry.is_empty() {
                            seg
                        } else {
                            let mut b = Vec::with_capacity(carry.len() + seg.len());
                            b.extend_from_slice(&carry);
                            b.extend_from_slice(&seg);
                            b
                        }
                    }
                    None => std::mem::take(&mut carry),
                };
                let fresh = if eof { 0 } else { buf.len() - carried };
                let (ranges, ()) = rayon::join(
                    || self.cut_points(&buf),
                    || {
                        if !eof {
                            hasher.update(&buf[buf.len() - fresh..]);
                        }
                    },
                );
                // The last cut of a segment is where the data ran out, not a content boundary,
                // unless the file ended: carry it into the next segment.
                let complete = if eof || ranges.is_empty() {
                    ranges.len()
                } else {
                    ranges.len() - 1
                };
                let ids: Vec<ChunkId> = ranges[..complete]
                    .par_iter()
                    .map(|r| ChunkId::of(&buf[r.clone()]))
                    .collect();
                let flat: Vec<(ChunkId, &[u8])> = ids
                    .iter()
                    .zip(&ranges[..complete])
                    .map(|(id, r)| (*id, &buf[r.clone()]))
                    .collect();
                self.store_chunks(&flat)?;
                chunks.extend(ids);
                self.progress.advance(fresh as u64);
                carry = match ranges.get(complete) {
                    Some(r) => buf[r.clone()].to_vec(),
                    None => Vec::new(),
                };
                if eof {
                    break;
                }
            }
            self.bytes_read += size;
            Ok(IngestedFile {
                content: ContentId::from_hash(hasher.finalize()),
                size,
                chunks,
            })
        })
    }

    /// Dedups a run of chunks against this ingest and the oracle, then encodes and packs new ones.
    fn store_chunks(&mut self, chunks: &[(ChunkId, &[u8])]) -> Result<()> {
        let mut candidates = Vec::new();
        let mut in_batch = HashSet::new();
        for (i, (id, _)) in chunks.iter().enumerate() {
            if !self.seen.contains(id) && in_batch.insert(*id) {
                candidates.push(i);
            }
        }
        if candidates.is_empty() {
            return Ok(());
        }
        let ids: Vec<ChunkId> = candidates.iter().map(|&i| chunks[i].0).collect();
        let known = self.known.known(&ids).map_err(StoreError::Lookup)?;
        self.seen.extend(ids);
        let fresh: Vec<usize> = candidates
            .into_iter()
            .zip(known)
            .filter_map(|(i, k)| (!k).then_some(i))
            .collect();
        let level = self.zstd_level;
        let encoded: Vec<(Codec, Vec<u8>)> = fresh
            .par_iter()
            .map(|&i| encode_chunk(chunks[i].1, level))
            .collect();
        for (&i, (codec, stored)) in fresh.iter().zip(encoded) {
            let (id, raw) = chunks[i];
            self.builder.push(id, codec, raw.len() as u32, &stored);
            self.new_chunks += 1;
            if self.builder.len() >= self.pack_target {
                self.flush()?;
            }
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<()> {
        if self.builder.is_empty() {
            return Ok(());
        }
        let full = std::mem::replace(&mut self.builder, PackBuilder::new(self.pack_target));
        self.sink
            .blocking_send(full.seal())
            .map_err(|_| StoreError::Task("the pack uploader stopped".into()))
    }
}

fn read_segments(mut file: File, tx: std::sync::mpsc::SyncSender<io::Result<Vec<u8>>>) {
    loop {
        let mut buf = vec![0u8; SEGMENT_BYTES];
        let mut filled = 0;
        while filled < buf.len() {
            match file.read(&mut buf[filled..]) {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    let _ = tx.send(Err(e));
                    return;
                }
            }
        }
        if filled == 0 {
            return;
        }
        buf.truncate(filled);
        if tx.send(Ok(buf)).is_err() {
            return;
        }
    }
}

fn clone_read_error(e: &StoreError) -> StoreError {
    match e {
        StoreError::ReadSource { path, source } => StoreError::ReadSource {
            path: path.clone(),
            source: io::Error::new(source.kind(), source.to_string()),
        },
        other => StoreError::Task(other.to_string()),
    }
}
