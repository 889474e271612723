//! Sealed segment files: the blocks of every series sealed together, checksummed, written under a
//! temporary name, synced and renamed into place (a segment is visible whole or not at all), then
//! read through a memory map.
//!
//! Layout (little-endian):
//! ```text
//! "BFSERIES" u32 version u32 reserved
//! block*:  "BLK1" u16 name_len name u8 value_codec u8 ts_codec u32 count i64 min_ts i64 max_ts
//!          u32 ts_len u32 values_len u32 raw_len u32 payload_crc u32 header_crc  payload
//! index:   u32 blocks, u64 offset per block
//! footer:  u64 index_offset u32 index_len u32 index_crc "BFSEGEND"
//! ```
//! Every block header carries its own checksum and the series name, so a segment whose footer is
//! lost (truncated) is still read by scanning its blocks in order; a block whose payload fails its
//! checksum is skipped with a warning and the rest of the segment stays readable.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use memmap2::Mmap;

use crate::block::{self, Columns, EncodedColumns};
use crate::error::{Result, SeriesError};

const FILE_MAGIC: &[u8; 8] = b"BFSERIES";
const FILE_VERSION: u32 = 1;
const FILE_HEADER: usize = 16;
const BLOCK_MAGIC: &[u8; 4] = b"BLK1";
const BLOCK_FIXED: usize = 48;
const FOOTER_MAGIC: &[u8; 8] = b"BFSEGEND";
const FOOTER: usize = 24;
/// Segment files are `seg-<sequence>.bfs`; staging files end in `.tmp`.
pub(crate) const SEGMENT_EXT: &str = "bfs";

/// Where one block sits in its segment and what it holds.
#[derive(Debug, Clone)]
pub(crate) struct BlockMeta {
    pub name: String,
    pub count: u32,
    pub min_ts: i64,
    pub max_ts: i64,
    value_codec: u8,
    ts_codec: u8,
    payload: usize,
    ts_len: usize,
    values_len: usize,
    raw_len: usize,
    payload_crc: u32,
}

/// A block to write: one series' sealed points.
pub(crate) struct BlockInput<'a> {
    pub name: &'a str,
    pub ts: &'a [i64],
    pub columns: EncodedColumns,
}

/// Serializes blocks into a complete segment image.
pub(crate) fn build(blocks: &[BlockInput<'_>]) -> Vec<u8> {
    let total: usize = blocks
        .iter()
        .map(|b| {
            BLOCK_FIXED
                + b.name.len()
                + b.columns.ts.len()
                + b.columns.values.len()
                + b.columns.raw.len()
        })
        .sum();
    let mut out = Vec::with_capacity(FILE_HEADER + total + 8 * blocks.len() + FOOTER + 4);
    out.extend_from_slice(FILE_MAGIC);
    out.extend_from_slice(&FILE_VERSION.to_le_bytes());
    out.extend_from_slice(&0u32.to_le_bytes());
    let mut offsets = Vec::with_capacity(blocks.len());
    for b in blocks {
        offsets.push(out.len() as u64);
        let c = &b.columns;
        let mut payload_crc = crc32fast::Hasher::new();
        payload_crc.update(&c.ts);
        payload_crc.update(&c.values);
        payload_crc.update(&c.raw);
        let start = out.len();
        out.extend_from_slice(BLOCK_MAGIC);
        out.extend_from_slice(&(b.name.len() as u16).to_le_bytes());
        out.extend_from_slice(b.name.as_bytes());
        out.push(c.value_codec);
        out.push(c.ts_codec);
        out.extend_from_slice(&(b.ts.len() as u32).to_le_bytes());
        out.extend_from_slice(&b.ts.first().copied().unwrap_or(0).to_le_bytes());
        out.extend_from_slice(&b.ts.last().copied().unwrap_or(0).to_le_bytes());
        out.extend_from_slice(&(c.ts.len() as u32).to_le_bytes());
        out.extend_from_slice(&(c.values.len() as u32).to_le_bytes());
        out.extend_from_slice(&(c.raw.len() as u32).to_le_bytes());
        out.extend_from_slice(&payload_crc.finalize().to_le_bytes());
        let header_crc = crc32fast::hash(&out[start..]);
        out.extend_from_slice(&header_crc.to_le_bytes());
        out.extend_from_slice(&c.ts);
        out.extend_from_slice(&c.values);
        out.extend_from_slice(&c.raw);
    }
    let index_offset = out.len() as u64;
    out.extend_from_slice(&(offsets.len() as u32).to_le_bytes());
    for o in &offsets {
        out.extend_from_slice(&o.to_le_bytes());
    }
    let index_len = (out.len() as u64 - index_offset) as u32;
    let index_crc = crc32fast::hash(&out[index_offset as usize..]);
    out.extend_from_slice(&index_offset.to_le_bytes());
    out.extend_from_slice(&index_len.to_le_bytes());
    out.extend_from_slice(&index_crc.to_le_bytes());
    out.extend_from_slice(FOOTER_MAGIC);
    out
}

/// Writes a segment image atomically: staging file, fsync, rename, fsync of the directory.
pub(crate) fn write_atomically(dir: &Path, seq: u64, image: &[u8]) -> Result<PathBuf> {
    let path = dir.join(format!("seg-{seq:016}.{SEGMENT_EXT}"));
    let staging = dir.join(format!("seg-{seq:016}.{SEGMENT_EXT}.tmp"));
    let io = |what: &str, e| SeriesError::io(format!("{what} {}", staging.display()), e);
    let mut file = File::create(&staging).map_err(|e| io("cannot create", e))?;
    file.write_all(image).map_err(|e| io("cannot write", e))?;
    file.sync_all().map_err(|e| io("cannot sync", e))?;
    drop(file);
    std::fs::rename(&staging, &path).map_err(|e| io("cannot rename", e))?;
    sync_dir(dir)?;
    Ok(path)
}

pub(crate) fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| SeriesError::io(format!("cannot sync directory {}", dir.display()), e))
}

/// The bytes of a segment: a memory map of its file, or an owned image (tests, fuzzing).
enum Bytes {
    Mapped(Mmap),
    Owned(Vec<u8>),
}

impl Bytes {
    fn as_slice(&self) -> &[u8] {
        match self {
            Bytes::Mapped(m) => m,
            Bytes::Owned(v) => v,
        }
    }
}

/// An open, sealed segment.
pub(crate) struct Segment {
    pub path: PathBuf,
    pub blocks: Vec<BlockMeta>,
    bytes: Bytes,
}

impl Segment {
    /// Maps and indexes a segment file. Problems that leave part of it readable come back as
    /// warnings; a file that is not a segment at all is an error.
    pub fn open(path: &Path) -> Result<(Segment, Vec<String>)> {
        let file = File::open(path)
            .map_err(|e| SeriesError::io(format!("cannot open {}", path.display()), e))?;
        let len = file
            .metadata()
            .map_err(|e| SeriesError::io(format!("cannot stat {}", path.display()), e))?
            .len();
        let bytes = if len == 0 {
            Bytes::Owned(Vec::new())
        } else {
            // SAFETY: segments are immutable once visible: written under a staging name, synced
            // and renamed into place, never modified in place; deletion (retention) unlinks the
            // file, which leaves existing mappings intact. Every read is bounds-checked against
            // the mapping's length, so even a file shortened behind our back cannot be read past.
            #[allow(unsafe_code)]
            let map = unsafe { Mmap::map(&file) }
                .map_err(|e| SeriesError::io(format!("cannot map {}", path.display()), e))?;
            Bytes::Mapped(map)
        };
        Self::index(path.to_path_buf(), bytes)
    }

    /// Indexes a segment image held in memory.
    pub fn from_bytes(image: Vec<u8>) -> Result<(Segment, Vec<String>)> {
        Self::index(PathBuf::from("<memory>"), Bytes::Owned(image))
    }

    fn index(path: PathBuf, bytes: Bytes) -> Result<(Segment, Vec<String>)> {
        let data = bytes.as_slice();
        let corrupt = |reason: String| SeriesError::Corrupt {
            path: path.clone(),
            reason,
        };
        if data.len() < FILE_HEADER || &data[..8] != FILE_MAGIC {
            return Err(corrupt("not a Bifrost series segment (bad header)".into()));
        }
        let version = u32::from_le_bytes(data[8..12].try_into().unwrap_or_default());
        if version != FILE_VERSION {
            return Err(corrupt(format!("unsupported segment version {version}")));
        }
        let mut warnings = Vec::new();
        let mut blocks = Vec::new();
        match footer_offsets(data) {
            Ok((offsets, index_offset)) => {
                for off in offsets {
                    match parse_block(&data[..index_offset], off) {
                        Ok((meta, _)) => blocks.push(meta),
                        Err(e) => warnings.push(format!(
                            "{}: block at byte {off} skipped: {e}",
                            path.display()
                        )),
                    }
                }
            }
            Err(footer) => {
                let mut off = FILE_HEADER;
                while off < data.len() {
                    match parse_block(data, off) {
                        Ok((meta, next)) => {
                            blocks.push(meta);
                            off = next;
                        }
                        Err(_) => break,
                    }
                }
                warnings.push(format!(
                    "{}: {footer}; recovered {} block(s) by scanning",
                    path.display(),
                    blocks.len()
                ));
            }
        }
        Ok((
            Segment {
                path,
                blocks,
                bytes,
            },
            warnings,
        ))
    }

    /// Size of the segment in bytes.
    pub fn len(&self) -> u64 {
        self.bytes.as_slice().len() as u64
    }

    /// Verifies and decodes one block.
    pub fn read_block(&self, meta: &BlockMeta) -> Result<Columns, String> {
        let data = self.bytes.as_slice();
        let end = meta.payload + meta.ts_len + meta.values_len + meta.raw_len;
        let payload = data
            .get(meta.payload..end)
            .ok_or("block payload runs past the end of the file")?;
        if crc32fast::hash(payload) != meta.payload_crc {
            return Err("block payload fails its checksum".into());
        }
        let (ts, rest) = payload.split_at(meta.ts_len);
        let (values, raw) = rest.split_at(meta.values_len);
        block::decode(
            meta.count as usize,
            (meta.ts_codec, meta.value_codec),
            ts,
            values,
            raw,
        )
    }
}

fn read_u32(data: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(data.get(at..at + 4)?.try_into().ok()?))
}

fn read_u64(data: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(data.get(at..at + 8)?.try_into().ok()?))
}

/// Block offsets listed by a valid footer and index, and where the index starts.
fn footer_offsets(data: &[u8]) -> Result<(Vec<usize>, usize), String> {
    let missing = || "footer missing or damaged (a truncated file?)".to_string();
    if data.len() < FILE_HEADER + FOOTER {
        return Err(missing());
    }
    let f = data.len() - FOOTER;
    if &data[f + 16..] != FOOTER_MAGIC {
        return Err(missing());
    }
    let index_offset = read_u64(data, f).ok_or_else(missing)? as usize;
    let index_len = read_u32(data, f + 8).ok_or_else(missing)? as usize;
    let index_crc = read_u32(data, f + 12).ok_or_else(missing)?;
    let index = index_offset
        .checked_add(index_len)
        .filter(|&end| end == f && index_offset >= FILE_HEADER)
        .and_then(|end| data.get(index_offset..end))
        .ok_or_else(|| "footer points outside the file".to_string())?;
    if crc32fast::hash(index) != index_crc {
        return Err("block index fails its checksum".into());
    }
    let n = read_u32(index, 0).ok_or("block index is empty")? as usize;
    if index.len() != 4 + 8 * n {
        return Err("block index has the wrong length".into());
    }
    let offsets = (0..n)
        .map(|i| read_u64(index, 4 + 8 * i).unwrap_or(u64::MAX) as usize)
        .collect();
    Ok((offsets, index_offset))
}

/// Parses and checks the block header at `off`; answers the block and the offset after it.
fn parse_block(data: &[u8], off: usize) -> Result<(BlockMeta, usize), String> {
    let short = || "block header runs past the end of the file".to_string();
    if off >= data.len() {
        return Err(short());
    }
    if data.get(off..off + 4) != Some(BLOCK_MAGIC.as_slice()) {
        return Err("no block starts here".into());
    }
    let name_len = u16::from_le_bytes(
        data.get(off + 4..off + 6)
            .ok_or_else(short)?
            .try_into()
            .unwrap_or_default(),
    ) as usize;
    let fixed = off + 6 + name_len;
    let header_end = off + BLOCK_FIXED + name_len;
    let header = data.get(off..header_end).ok_or_else(short)?;
    let stored_crc = read_u32(header, header.len() - 4).ok_or_else(short)?;
    if crc32fast::hash(&header[..header.len() - 4]) != stored_crc {
        return Err("block header fails its checksum".into());
    }
    let name = std::str::from_utf8(&data[off + 6..fixed])
        .map_err(|_| "series name is not UTF-8".to_string())?
        .to_string();
    let h = &data[fixed..header_end];
    let u32_at = |at: usize| read_u32(h, at).unwrap_or(0);
    let i64_at = |at: usize| read_u64(h, at).unwrap_or(0) as i64;
    let meta = BlockMeta {
        name,
        value_codec: h[0],
        ts_codec: h[1],
        count: u32_at(2),
        min_ts: i64_at(6),
        max_ts: i64_at(14),
        ts_len: u32_at(22) as usize,
        values_len: u32_at(26) as usize,
        raw_len: u32_at(30) as usize,
        payload_crc: u32_at(34),
        payload: header_end,
    };
    let end = header_end + meta.ts_len + meta.values_len + meta.raw_len;
    if end > data.len() {
        return Err("block payload runs past the end of the file".into());
    }
    if meta.count == 0 || meta.min_ts > meta.max_ts {
        return Err("block header describes no points".into());
    }
    Ok((meta, end))
}
