//! One series' points inside a segment, stored as separately compressed columns: timestamps,
//! values and, when the source has them, the raw 16-bit register words.
//!
//! Timestamps and values each use Gorilla (delta-of-delta integers, XOR floats) or pco,
//! chosen per column and block: with [`Codec::Smallest`] both compress a sample of the column
//! (the first 4,096 numbers) and pco wins when it saves at least 2 bits a number. Gorilla wins on regular timestamps and on
//! repeated values; pco on jittered timestamps, noise, counters and decimal-scaled registers.
//! Raw words are always delta-of-delta.

use serde::{Deserialize, Serialize};

use crate::gorilla;

/// How the columns of a sealed block are compressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Codec {
    /// Gorilla only: the fastest to seal.
    Gorilla,
    /// pco (Pcodec) only.
    Pco,
    /// Per column, pco where it saves at least 2 bits a number on a sample, else Gorilla.
    #[default]
    Smallest,
}

/// Codec tags stored in a block header.
pub(crate) const TAG_GORILLA: u8 = 1;
pub(crate) const TAG_PCO: u8 = 2;

/// Raw word slot of a point without one (raw words are 16-bit).
pub(crate) const NO_RAW: u32 = 1 << 16;

/// Numbers in the sample [`Codec::Smallest`] compresses both ways.
const SAMPLE: usize = 4096;

/// pco must save this many bits per number on the sample to be chosen: it compresses about
/// ten times slower than Gorilla, so it is used only where it pays (jittered timestamps,
/// noise, counters, decimal-scaled values), not for regular timestamps or constant values.
const PCO_MIN_SAVING_BITS: usize = 2;

/// pco's compression level: 4 compresses these signals within 2% of the default (8), faster.
const PCO_LEVEL: usize = 4;

/// The compressed columns of one block.
pub(crate) struct EncodedColumns {
    pub ts_codec: u8,
    pub value_codec: u8,
    pub ts: Vec<u8>,
    pub values: Vec<u8>,
    /// Empty when no point of the block has a raw word.
    pub raw: Vec<u8>,
}

/// A column type both codecs handle.
trait Column: pco::data_types::Number + Copy {
    fn gorilla(values: &[Self]) -> Vec<u8>;
}

impl Column for i64 {
    fn gorilla(values: &[i64]) -> Vec<u8> {
        gorilla::encode_ints(values)
    }
}

impl Column for f64 {
    fn gorilla(values: &[f64]) -> Vec<u8> {
        gorilla::encode_floats(values)
    }
}

fn pco_encode<T: Column>(values: &[T]) -> Option<Vec<u8>> {
    pco::standalone::simple_compress(
        values,
        &pco::ChunkConfig::default().with_compression_level(PCO_LEVEL),
    )
    .ok()
}

fn encode_column<T: Column>(values: &[T], codec: Codec) -> (u8, Vec<u8>) {
    let pco_or_gorilla = |v: &[T]| match pco_encode(v) {
        Some(bytes) => (TAG_PCO, bytes),
        None => (TAG_GORILLA, T::gorilla(v)),
    };
    match codec {
        Codec::Gorilla => (TAG_GORILLA, T::gorilla(values)),
        Codec::Pco => pco_or_gorilla(values),
        Codec::Smallest => {
            let sample = &values[..values.len().min(SAMPLE)];
            let g = T::gorilla(sample);
            let p = pco_encode(sample);
            match p {
                Some(p) if p.len() + sample.len() * PCO_MIN_SAVING_BITS / 8 < g.len() => {
                    if sample.len() == values.len() {
                        (TAG_PCO, p)
                    } else {
                        pco_or_gorilla(values)
                    }
                }
                _ if sample.len() == values.len() => (TAG_GORILLA, g),
                _ => (TAG_GORILLA, T::gorilla(values)),
            }
        }
    }
}

/// Compresses one block's columns. `raw` is empty or as long as `ts`.
pub(crate) fn encode(ts: &[i64], values: &[f64], raw: &[u32], codec: Codec) -> EncodedColumns {
    let (ts_codec, ts_bytes) = encode_column(ts, codec);
    let (value_codec, values_bytes) = encode_column(values, codec);
    let raw_bytes = if raw.iter().any(|&r| r != NO_RAW) {
        let words: Vec<i64> = raw.iter().map(|&r| r as i64).collect();
        gorilla::encode_ints(&words)
    } else {
        Vec::new()
    };
    EncodedColumns {
        ts_codec,
        value_codec,
        ts: ts_bytes,
        values: values_bytes,
        raw: raw_bytes,
    }
}

/// Decoded columns of one block.
#[derive(Debug, Default, Clone, PartialEq)]
pub(crate) struct Columns {
    pub ts: Vec<i64>,
    pub values: Vec<f64>,
    /// Empty when the block has no raw words.
    pub raw: Vec<u32>,
}

fn decode_column<T: pco::data_types::Number>(
    what: &str,
    tag: u8,
    data: &[u8],
    n: usize,
    gorilla: impl FnOnce(&[u8], usize, &mut Vec<T>) -> Result<(), crate::bits::OutOfBits>,
) -> Result<Vec<T>, String> {
    let mut out = Vec::new();
    match tag {
        TAG_GORILLA => {
            gorilla(data, n, &mut out).map_err(|_| format!("{what} column ends early"))?
        }
        TAG_PCO => {
            out = pco::standalone::simple_decompress::<T>(data)
                .map_err(|e| format!("{what} column does not decode: {e}"))?;
        }
        other => return Err(format!("{what} column has the unknown codec {other}")),
    }
    if out.len() != n {
        return Err(format!(
            "{what} column holds {} numbers, the header says {n}",
            out.len()
        ));
    }
    Ok(out)
}

/// Decompresses one block's columns; `Err` names what does not decode.
pub(crate) fn decode(
    n: usize,
    codecs: (u8, u8),
    ts: &[u8],
    values: &[u8],
    raw: &[u8],
) -> Result<Columns, String> {
    let mut out = Columns {
        ts: decode_column("timestamp", codecs.0, ts, n, gorilla::decode_ints)?,
        values: decode_column("value", codecs.1, values, n, gorilla::decode_floats)?,
        raw: Vec::new(),
    };
    if !raw.is_empty() {
        let mut words = Vec::with_capacity(n);
        gorilla::decode_ints(raw, n, &mut words).map_err(|_| "raw word column ends early")?;
        out.raw = words
            .into_iter()
            .map(|w| u32::try_from(w).ok().filter(|&w| w <= NO_RAW))
            .collect::<Option<_>>()
            .ok_or("raw word column holds a value that is not a 16-bit word")?;
    }
    Ok(out)
}
