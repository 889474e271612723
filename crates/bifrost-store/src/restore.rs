//! Reading chunks back: coalesced range reads, parallel decode and verification. Chunk bytes are
//! verified against their ids before any caller sees them.

use std::ops::Range;
use std::os::unix::fs::FileExt;
use std::sync::Arc;

use bifrost_core::{ChunkLocation, ContentId, PackEntry, PackId};
use futures::{StreamExt, TryStreamExt};
use object_store::ObjectStoreExt;

use crate::error::{Result, StoreError, backend};
use crate::{Store, pack};

/// Largest single range read; chunks of one pack are fetched together up to this.
const MAX_READ: u64 = 8 * 1024 * 1024;
/// Unneeded bytes between two wanted chunks that are cheaper to read than to skip with a second
/// request.
const MAX_GAP: u64 = 256 * 1024;
/// Range reads in flight.
const READS_IN_FLIGHT: usize = 4;

/// Receives verified chunk bytes: `(index into the requested locations, bytes)`. Called from
/// blocking worker threads, possibly concurrently and in any order.
pub type ChunkSink = dyn Fn(usize, &[u8]) -> std::io::Result<()> + Send + Sync;

struct ReadGroup {
    pack: PackId,
    range: Range<u64>,
    /// Entries to decode from this range, with their index in the request.
    entries: Vec<(PackEntry, usize)>,
}

/// Groups chunk reads into few range requests: same pack, close together, bounded size.
fn plan(locations: &[ChunkLocation]) -> Vec<ReadGroup> {
    let mut order: Vec<usize> = (0..locations.len()).collect();
    order.sort_by_key(|&i| (locations[i].pack, locations[i].entry.offset));
    let mut groups: Vec<ReadGroup> = Vec::new();
    for i in order {
        let loc = &locations[i];
        let start = u64::from(loc.entry.offset);
        let end = start + u64::from(loc.entry.stored_len);
        match groups.last_mut() {
            Some(g)
                if g.pack == loc.pack
                    && start >= g.range.start
                    && start <= g.range.end + MAX_GAP
                    && end.max(g.range.end) - g.range.start <= MAX_READ =>
            {
                g.range.end = g.range.end.max(end);
                g.entries.push((loc.entry, i));
            }
            _ => groups.push(ReadGroup {
                pack: loc.pack,
                range: start..end,
                entries: vec![(loc.entry, i)],
            }),
        }
    }
    groups
}

/// Bytes of a pack range: mapped straight from the page cache for a local store (no copy before
/// hashing), fetched for an object store.
enum RangeBytes {
    Mapped {
        map: memmap2::Mmap,
        start: usize,
        len: usize,
    },
    Fetched(bytes::Bytes),
}

impl std::ops::Deref for RangeBytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            RangeBytes::Mapped { map, start, len } => &map[*start..*start + *len],
            RangeBytes::Fetched(b) => b,
        }
    }
}

impl Store {
    async fn read_range(&self, pack: &PackId, range: Range<u64>) -> Result<RangeBytes> {
        if let crate::StoreLocation::Local(dir) = self.location() {
            let path = dir.join(pack::pack_key(pack));
            let pack = *pack;
            return tokio::task::spawn_blocking(move || map_range(&path, &pack, range))
                .await
                .map_err(|e| StoreError::Task(e.to_string()))?;
        }
        let path = self.pack_path(pack);
        match self.backend.get_range(&path, range).await {
            Ok(d) => Ok(RangeBytes::Fetched(d)),
            Err(object_store::Error::NotFound { .. }) => {
                Err(StoreError::MissingPack { pack: *pack })
            }
            Err(e) => Err(backend(format!("reading pack {pack}"))(e)),
        }
    }

    /// Reads, decodes and verifies every chunk in `locations`, handing each to `sink` with its
    /// index. Neighbouring chunks of a pack are fetched with one range request, so restoring
    /// thousands of small files costs a few large reads. A chunk listed twice is delivered twice.
    pub async fn read_chunks(
        &self,
        locations: &[ChunkLocation],
        sink: Arc<ChunkSink>,
    ) -> Result<()> {
        futures::stream::iter(plan(locations))
            .map(|g| {
                let sink = sink.clone();
                async move {
                    let data = self.read_range(&g.pack, g.range.clone()).await?;
                    tokio::task::spawn_blocking(move || {
                        for (e, index) in &g.entries {
                            let from = (u64::from(e.offset) - g.range.start) as usize;
                            let stored =
                                data.get(from..from + e.stored_len as usize)
                                    .ok_or_else(|| StoreError::CorruptPack {
                                        pack: g.pack,
                                        reason: "the pack is shorter than its index says".into(),
                                    })?;
                            let raw = pack::decode_chunk(&g.pack, e, stored)?;
                            sink(*index, &raw).map_err(StoreError::WriteOutput)?;
                        }
                        Ok(())
                    })
                    .await
                    .map_err(|e| StoreError::Task(e.to_string()))?
                }
            })
            .buffer_unordered(READS_IN_FLIGHT)
            .try_collect::<()>()
            .await
    }

    /// Writes the content made of `locations` into `out` (from offset 0), verifying every chunk.
    ///
    /// On error the file may hold part of the content: callers write to a temporary file and
    /// rename it into place only on success, so a reader never sees wrong or partial bytes.
    pub async fn restore(
        &self,
        content: &ContentId,
        size: u64,
        locations: &[ChunkLocation],
        out: Arc<std::fs::File>,
    ) -> Result<()> {
        let mut offsets = Vec::with_capacity(locations.len());
        let mut total = 0u64;
        for loc in locations {
            offsets.push(total);
            total += u64::from(loc.entry.raw_len);
        }
        if total != size {
            return Err(StoreError::SizeMismatch {
                content: *content,
                expected: size,
                actual: total,
            });
        }
        out.set_len(size).map_err(StoreError::WriteOutput)?;
        let sink = move |i: usize, bytes: &[u8]| out.write_all_at(bytes, offsets[i]);
        self.read_chunks(locations, Arc::new(sink)).await
    }
}

/// Maps `range` of a local pack file.
fn map_range(path: &std::path::Path, pack: &PackId, range: Range<u64>) -> Result<RangeBytes> {
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(StoreError::MissingPack { pack: *pack });
        }
        Err(e) => {
            return Err(StoreError::CorruptPack {
                pack: *pack,
                reason: format!("cannot open {}: {e}", path.display()),
            });
        }
    };
    let size = file
        .metadata()
        .map_err(|e| StoreError::CorruptPack {
            pack: *pack,
            reason: e.to_string(),
        })?
        .len();
    if range.end > size {
        return Err(StoreError::CorruptPack {
            pack: *pack,
            reason: format!("the pack is {size} bytes, shorter than its index says"),
        });
    }
    let len = (range.end - range.start) as usize;
    if len == 0 {
        return Ok(RangeBytes::Fetched(bytes::Bytes::new()));
    }
    // Map from a page boundary; the range starts `start` bytes into the mapping.
    let page = 4096u64;
    let map_offset = range.start / page * page;
    let start = (range.start - map_offset) as usize;
    // SAFETY: packs are immutable once visible: they are written under a staging name and
    // renamed into place, never modified or truncated in place, and deletion (unlink) leaves an
    // existing mapping intact. The file length was checked above to cover the mapped range.
    #[allow(unsafe_code)]
    let map = unsafe {
        memmap2::MmapOptions::new()
            .offset(map_offset)
            .len(start + len)
            .map(&file)
    }
    .map_err(|e| StoreError::CorruptPack {
        pack: *pack,
        reason: format!("cannot map {}: {e}", path.display()),
    })?;
    Ok(RangeBytes::Mapped { map, start, len })
}

#[cfg(test)]
mod tests {
    use super::*;
    use bifrost_core::{ChunkId, Codec};

    fn loc(pack: u8, offset: u32, len: u32) -> ChunkLocation {
        ChunkLocation {
            pack: PackId([pack; 32]),
            entry: PackEntry {
                chunk: ChunkId([offset as u8; 32]),
                offset,
                stored_len: len,
                raw_len: len,
                codec: Codec::Raw,
            },
        }
    }

    #[test]
    fn plan_coalesces_neighbours_and_splits_packs_and_far_chunks() {
        let locations = [
            loc(1, 8, 100),
            loc(2, 8, 100),
            loc(1, 108, 100),
            loc(1, 10_000_000, 100),
            loc(1, 300, 50),
        ];
        let groups = plan(&locations);
        assert_eq!(groups.len(), 3);
        assert_eq!(groups[0].range, 8..350);
        assert_eq!(
            groups[0].entries.iter().map(|e| e.1).collect::<Vec<_>>(),
            vec![0, 2, 4]
        );
        assert_eq!(groups[1].range, 10_000_000..10_000_100);
        assert_eq!(groups[2].pack, PackId([2; 32]));
    }
}
