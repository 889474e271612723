//! The pack file format.
//!
//! ```text
//! header   "BFPACK" 0x01 0x00                       8 bytes
//! blobs    encoded chunks, back to back             (raw bytes or one zstd frame each)
//! trailer  per chunk: id[32] offset u32 stored u32 raw u32 codec u8   (45 bytes each, LE)
//! footer   trailer_len u32, entry_count u32, "BFPKIDX1"              16 bytes
//! ```
//! A pack's id is the BLAKE3 of all its bytes, so a pack is verified as a whole by hashing it and
//! chunk by chunk by hashing each decoded blob. The trailer makes a pack self-describing: the
//! catalog's index can be rebuilt from packs alone.

use std::cell::RefCell;

use bifrost_core::{ChunkId, Codec, PackEntry, PackId, PackRecord};

use crate::error::{Result, StoreError};

pub(crate) const HEADER: &[u8; 8] = b"BFPACK\x01\x00";
const FOOTER_MAGIC: &[u8; 8] = b"BFPKIDX1";
const ENTRY_LEN: usize = 45;
const FOOTER_LEN: usize = 16;

/// Object key of a pack inside the store.
pub fn pack_key(id: &PackId) -> String {
    let hex = id.to_hex();
    format!("packs/{}/{}.pack", &hex[..2], hex)
}

/// Parses a pack id back from an object key (`packs/ab/<hex>.pack`).
pub fn pack_id_from_key(key: &str) -> Option<PackId> {
    let name = key.rsplit('/').next()?.strip_suffix(".pack")?;
    name.parse().ok()
}

/// Encodes one chunk: zstd when it pays, raw otherwise.
///
/// Incompressible data (already compressed textures, video, random bytes) is common in studios, so
/// a 16 KiB sample is tried at the fastest level first; only chunks whose sample shrinks are
/// compressed whole. This keeps ingest of incompressible data near hashing speed.
pub(crate) fn encode_chunk(raw: &[u8], level: i32) -> (Codec, Vec<u8>) {
    thread_local! {
        static PROBE: RefCell<Option<zstd::bulk::Compressor<'static>>> = const { RefCell::new(None) };
        static FULL: RefCell<Option<(i32, zstd::bulk::Compressor<'static>)>> = const { RefCell::new(None) };
    }
    const SAMPLE: usize = 16 * 1024;
    if raw.len() >= 4096 {
        let sample = &raw[..raw.len().min(SAMPLE)];
        let shrinks = PROBE.with(|p| {
            let mut p = p.borrow_mut();
            let c = p.get_or_insert_with(|| {
                zstd::bulk::Compressor::new(1).expect("zstd level 1 is valid")
            });
            match c.compress(sample) {
                Ok(out) => out.len() * 100 < sample.len() * 97,
                Err(_) => false,
            }
        });
        if !shrinks {
            return (Codec::Raw, raw.to_vec());
        }
    }
    let compressed = FULL.with(|f| {
        let mut f = f.borrow_mut();
        if f.as_ref().is_none_or(|(l, _)| *l != level) {
            *f = zstd::bulk::Compressor::new(level).ok().map(|c| (level, c));
        }
        f.as_mut().and_then(|(_, c)| c.compress(raw).ok())
    });
    match compressed {
        Some(out) if out.len() < raw.len() => (Codec::Zstd, out),
        _ => (Codec::Raw, raw.to_vec()),
    }
}

/// Decodes one stored blob and checks it against its id. Never returns unverified bytes.
pub(crate) fn decode_chunk<'a>(
    pack: &PackId,
    entry: &PackEntry,
    stored: &'a [u8],
) -> Result<std::borrow::Cow<'a, [u8]>> {
    let corrupt = |reason: String| StoreError::CorruptChunk {
        chunk: entry.chunk,
        pack: *pack,
        reason,
    };
    if stored.len() != entry.stored_len as usize {
        return Err(corrupt(format!(
            "{} stored bytes where {} were recorded",
            stored.len(),
            entry.stored_len
        )));
    }
    let raw = match entry.codec {
        Codec::Raw => std::borrow::Cow::Borrowed(stored),
        Codec::Zstd => std::borrow::Cow::Owned(
            zstd::bulk::decompress(stored, entry.raw_len as usize)
                .map_err(|e| corrupt(format!("zstd: {e}")))?,
        ),
    };
    if raw.len() != entry.raw_len as usize {
        return Err(corrupt(format!(
            "decoded to {} bytes, expected {}",
            raw.len(),
            entry.raw_len
        )));
    }
    if ChunkId::of(&raw) != entry.chunk {
        return Err(corrupt("bytes do not match the chunk id".into()));
    }
    Ok(raw)
}

/// Accumulates encoded chunks into one pack.
#[derive(Debug)]
pub(crate) struct PackBuilder {
    buf: Vec<u8>,
    entries: Vec<PackEntry>,
}

impl PackBuilder {
    pub(crate) fn new(capacity: usize) -> Self {
        let mut buf = Vec::with_capacity(capacity + capacity / 8);
        buf.extend_from_slice(HEADER);
        Self {
            buf,
            entries: Vec::new(),
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub(crate) fn len(&self) -> usize {
        self.buf.len()
    }

    pub(crate) fn push(&mut self, chunk: ChunkId, codec: Codec, raw_len: u32, stored: &[u8]) {
        let offset = u32::try_from(self.buf.len()).expect("packs stay far below 4 GiB");
        self.buf.extend_from_slice(stored);
        self.entries.push(PackEntry {
            chunk,
            offset,
            stored_len: stored.len() as u32,
            raw_len,
            codec,
        });
    }

    /// Appends the trailer and returns the pack's bytes and record.
    pub(crate) fn seal(mut self) -> (PackRecord, Vec<u8>) {
        let trailer_start = self.buf.len();
        for e in &self.entries {
            self.buf.extend_from_slice(e.chunk.as_bytes());
            self.buf.extend_from_slice(&e.offset.to_le_bytes());
            self.buf.extend_from_slice(&e.stored_len.to_le_bytes());
            self.buf.extend_from_slice(&e.raw_len.to_le_bytes());
            self.buf.push(e.codec.code());
        }
        let trailer_len = (self.buf.len() - trailer_start) as u32;
        self.buf.extend_from_slice(&trailer_len.to_le_bytes());
        self.buf
            .extend_from_slice(&(self.entries.len() as u32).to_le_bytes());
        self.buf.extend_from_slice(FOOTER_MAGIC);
        let id = PackId::of(&self.buf);
        (
            PackRecord {
                id,
                size: self.buf.len() as u64,
                entries: self.entries,
            },
            self.buf,
        )
    }
}

/// Reads a pack's trailer. Does not hash anything.
pub fn parse_trailer(id: &PackId, bytes: &[u8]) -> Result<Vec<PackEntry>> {
    let corrupt = |reason: &str| StoreError::CorruptPack {
        pack: *id,
        reason: reason.to_owned(),
    };
    if bytes.len() < HEADER.len() + FOOTER_LEN || &bytes[..HEADER.len()] != HEADER {
        return Err(corrupt("bad header (not a Bifrost pack or truncated)"));
    }
    let footer = &bytes[bytes.len() - FOOTER_LEN..];
    if &footer[8..] != FOOTER_MAGIC {
        return Err(corrupt("bad footer (truncated?)"));
    }
    let trailer_len = u32::from_le_bytes(footer[..4].try_into().expect("4 bytes")) as usize;
    let count = u32::from_le_bytes(footer[4..8].try_into().expect("4 bytes")) as usize;
    if count.checked_mul(ENTRY_LEN) != Some(trailer_len)
        || trailer_len > bytes.len() - FOOTER_LEN - HEADER.len()
    {
        return Err(corrupt("trailer length does not match its entry count"));
    }
    let trailer_start = bytes.len() - FOOTER_LEN - trailer_len;
    let mut entries = Vec::with_capacity(count);
    for rec in bytes[trailer_start..trailer_start + trailer_len].chunks_exact(ENTRY_LEN) {
        let u32_at = |i: usize| u32::from_le_bytes(rec[i..i + 4].try_into().expect("4 bytes"));
        let entry = PackEntry {
            chunk: ChunkId::from_slice(&rec[..32]).expect("32 bytes"),
            offset: u32_at(32),
            stored_len: u32_at(36),
            raw_len: u32_at(40),
            codec: Codec::from_code(rec[44]).ok_or_else(|| corrupt("unknown codec"))?,
        };
        let end = entry.offset as usize + entry.stored_len as usize;
        if (entry.offset as usize) < HEADER.len() || end > trailer_start {
            return Err(corrupt("an entry points outside the data area"));
        }
        entries.push(entry);
    }
    Ok(entries)
}

/// Checks a whole pack: its id, its trailer and every chunk in it. Returns the entries.
pub fn verify_pack(id: &PackId, bytes: &[u8]) -> Result<Vec<PackEntry>> {
    if PackId::of(bytes) != *id {
        return Err(StoreError::CorruptPack {
            pack: *id,
            reason: "bytes do not hash to the pack id".into(),
        });
    }
    let entries = parse_trailer(id, bytes)?;
    use rayon::prelude::*;
    entries.par_iter().try_for_each(|e| {
        let stored = &bytes[e.offset as usize..(e.offset + e.stored_len) as usize];
        decode_chunk(id, e, stored).map(drop)
    })?;
    Ok(entries)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn build(chunks: &[Vec<u8>]) -> (PackRecord, Vec<u8>) {
        let mut b = PackBuilder::new(1 << 20);
        for c in chunks {
            let (codec, stored) = encode_chunk(c, 3);
            b.push(ChunkId::of(c), codec, c.len() as u32, &stored);
        }
        b.seal()
    }

    proptest! {
        #[test]
        fn packs_round_trip(chunks in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..9000), 0..12)) {
            let (rec, bytes) = build(&chunks);
            prop_assert_eq!(rec.size as usize, bytes.len());
            let entries = verify_pack(&rec.id, &bytes).unwrap();
            prop_assert_eq!(&entries, &rec.entries);
            for (e, c) in entries.iter().zip(&chunks) {
                let stored = &bytes[e.offset as usize..(e.offset + e.stored_len) as usize];
                prop_assert_eq!(&*decode_chunk(&rec.id, e, stored).unwrap(), c.as_slice());
            }
        }

        #[test]
        fn trailer_parser_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
            let _ = parse_trailer(&PackId::of(&bytes), &bytes);
        }
    }

    #[test]
    fn compressible_chunks_shrink_and_random_ones_stay_raw() {
        let text = b"the quick brown fox ".repeat(2000);
        let (codec, out) = encode_chunk(&text, 3);
        assert_eq!(codec, Codec::Zstd);
        assert!(out.len() < text.len() / 4);
        let mut rnd = vec![0u8; 64 * 1024];
        let mut x = 0x1234_5678_9abc_def0u64;
        for b in &mut rnd {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            *b = x as u8;
        }
        assert_eq!(encode_chunk(&rnd, 3).0, Codec::Raw);
    }

    #[test]
    fn flipped_byte_is_detected() {
        let chunk = b"hello pack ".repeat(1000);
        let (rec, mut bytes) = build(&[chunk]);
        bytes[HEADER.len() + 3] ^= 0xff;
        assert!(matches!(
            verify_pack(&rec.id, &bytes),
            Err(StoreError::CorruptPack { .. })
        ));
        let e = rec.entries[0];
        let err = decode_chunk(
            &rec.id,
            &e,
            &bytes[e.offset as usize..(e.offset + e.stored_len) as usize],
        )
        .unwrap_err();
        assert!(matches!(err, StoreError::CorruptChunk { .. }), "{err}");
    }

    #[test]
    fn keys_round_trip() {
        let id = PackId::of(b"x");
        assert_eq!(pack_id_from_key(&pack_key(&id)), Some(id));
        assert_eq!(pack_id_from_key("packs/ab/nothex.pack"), None);
    }
}
