//! Where stored chunks live. The store writes these; the catalog remembers them.

use serde::{Deserialize, Serialize};

use crate::{ChunkId, PackId};

/// How a chunk's bytes are encoded inside a pack.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Codec {
    /// Stored as is (the chunk did not compress).
    Raw = 0,
    /// One zstd frame.
    Zstd = 1,
}

impl Codec {
    /// The code stored in pack trailers and catalog rows.
    pub fn code(self) -> u8 {
        self as u8
    }

    /// Reads a stored code.
    pub fn from_code(code: u8) -> Option<Self> {
        match code {
            0 => Some(Codec::Raw),
            1 => Some(Codec::Zstd),
            _ => None,
        }
    }
}

/// One chunk inside a pack.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PackEntry {
    /// The chunk.
    pub chunk: ChunkId,
    /// Byte offset of the encoded chunk inside the pack.
    pub offset: u32,
    /// Encoded (stored) length.
    pub stored_len: u32,
    /// Length once decoded.
    pub raw_len: u32,
    /// Encoding.
    pub codec: Codec,
}

/// A chunk and the pack that holds it: everything needed to read it back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChunkLocation {
    /// The pack.
    pub pack: PackId,
    /// Where in the pack.
    pub entry: PackEntry,
}

/// A sealed pack as written to the backend.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackRecord {
    /// The pack's id (BLAKE3 of its bytes).
    pub id: PackId,
    /// Size of the pack object in bytes.
    pub size: u64,
    /// The chunks it holds, in offset order.
    pub entries: Vec<PackEntry>,
}
