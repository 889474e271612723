//! Reading contents back: coalesced range reads, parallel decode and verification, positioned
//! writes. Chunk bytes are verified against their ids before they are written.

use std::ops::Range;
use std::os::unix::fs::FileExt;
use std::sync::Arc;

use bifrost_core::{ChunkLocation, ContentId, PackEntry, PackId};
use futures::{StreamExt, TryStreamExt};
use object_store::ObjectStoreExt;

use crate::error::{Result, StoreError, backend};
use crate::{Store, pack};

/// Largest single range read; neighbouring chunks of one pack are fetched together up to this.
const MAX_READ: u64 = 8 * 1024 * 1024;
/// Range reads in flight per content.
const READS_IN_FLIGHT: usize = 4;

struct ReadGroup {
    pack: PackId,
    range: Range<u64>,
    /// Entries with the offset their decoded bytes go to in the output.
    entries: Vec<(PackEntry, u64)>,
}

fn plan(locations: &[ChunkLocation]) -> (Vec<ReadGroup>, u64) {
    let mut groups: Vec<ReadGroup> = Vec::new();
    let mut out_offset = 0u64;
    for loc in locations {
        let e = loc.entry;
        let start = e.offset as u64;
        let end = start + e.stored_len as u64;
        match groups.last_mut() {
            Some(g)
                if g.pack == loc.pack
                    && g.range.end == start
                    && end - g.range.start <= MAX_READ =>
            {
                g.range.end = end;
                g.entries.push((e, out_offset));
            }
            _ => groups.push(ReadGroup {
                pack: loc.pack,
                range: start..end,
                entries: vec![(e, out_offset)],
            }),
        }
        out_offset += e.raw_len as u64;
    }
    (groups, out_offset)
}

impl Store {
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
        let (groups, total) = plan(locations);
        if total != size {
            return Err(StoreError::SizeMismatch {
                content: *content,
                expected: size,
                actual: total,
            });
        }
        out.set_len(size).map_err(StoreError::WriteOutput)?;
        futures::stream::iter(groups)
            .map(|g| {
                let out = out.clone();
                async move {
                    let path = self.pack_path(&g.pack);
                    let data = match self.backend.get_range(&path, g.range.clone()).await {
                        Ok(d) => d,
                        Err(object_store::Error::NotFound { .. }) => {
                            return Err(StoreError::MissingPack { pack: g.pack });
                        }
                        Err(e) => return Err(backend(format!("reading pack {}", g.pack))(e)),
                    };
                    tokio::task::spawn_blocking(move || {
                        for (e, at) in &g.entries {
                            let from = (e.offset as u64 - g.range.start) as usize;
                            let stored =
                                data.get(from..from + e.stored_len as usize)
                                    .ok_or_else(|| StoreError::CorruptPack {
                                        pack: g.pack,
                                        reason: "the pack is shorter than its index says".into(),
                                    })?;
                            let raw = pack::decode_chunk(&g.pack, e, stored)?;
                            out.write_all_at(&raw, *at)
                                .map_err(StoreError::WriteOutput)?;
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
}
