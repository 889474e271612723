//! One series' points inside a segment, stored as separately compressed columns: timestamps
//! (delta-of-delta), values (Gorilla XOR or pco, whichever the engine is configured for, or the
//! smaller of both) and, when the source has them, the raw 16-bit register words.

use serde::{Deserialize, Serialize};

use crate::gorilla;

/// How the value column of a sealed block is compressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ValueCodec {
    /// Gorilla XOR floats: fast, best on repeated and slowly changing values.
    Gorilla,
    /// pco (Pcodec): best on noisy, quantized (decimal-scaled) and integer-valued signals.
    Pco,
    /// Compress with both and keep the smaller (twice the sealing work).
    #[default]
    Smallest,
}

/// Codec tag stored in a block header.
pub(crate) const TAG_GORILLA: u8 = 1;
pub(crate) const TAG_PCO: u8 = 2;

/// Raw word slot of a point without one (raw words are 16-bit).
pub(crate) const NO_RAW: u32 = 1 << 16;

/// The compressed columns of one block.
pub(crate) struct EncodedColumns {
    pub value_codec: u8,
    pub ts: Vec<u8>,
    pub values: Vec<u8>,
    /// Empty when no point of the block has a raw word.
    pub raw: Vec<u8>,
}

/// Compresses one block's columns. `raw` is empty or as long as `ts`.
pub(crate) fn encode(ts: &[i64], values: &[f64], raw: &[u32], codec: ValueCodec) -> EncodedColumns {
    let ts_bytes = gorilla::encode_ints(ts);
    let (value_codec, values_bytes) = match codec {
        ValueCodec::Gorilla => (TAG_GORILLA, gorilla::encode_floats(values)),
        ValueCodec::Pco => (TAG_PCO, pco_encode(values)),
        ValueCodec::Smallest => {
            let g = gorilla::encode_floats(values);
            let p = pco_encode(values);
            if p.len() < g.len() {
                (TAG_PCO, p)
            } else {
                (TAG_GORILLA, g)
            }
        }
    };
    let raw_bytes = if raw.iter().any(|&r| r != NO_RAW) {
        let words: Vec<i64> = raw.iter().map(|&r| r as i64).collect();
        gorilla::encode_ints(&words)
    } else {
        Vec::new()
    };
    EncodedColumns {
        value_codec,
        ts: ts_bytes,
        values: values_bytes,
        raw: raw_bytes,
    }
}

fn pco_encode(values: &[f64]) -> Vec<u8> {
    // pco refuses only invalid configurations; the default one is valid, and Gorilla is the
    // fallback should that ever change.
    pco::standalone::simple_compress(values, &pco::ChunkConfig::default())
        .unwrap_or_else(|_| gorilla::encode_floats(values))
}

/// Decoded columns of one block.
#[derive(Debug, Default, Clone, PartialEq)]
pub(crate) struct Columns {
    pub ts: Vec<i64>,
    pub values: Vec<f64>,
    /// Empty when the block has no raw words.
    pub raw: Vec<u32>,
}

/// Decompresses one block's columns; `Err` names what does not decode.
pub(crate) fn decode(
    n: usize,
    value_codec: u8,
    ts: &[u8],
    values: &[u8],
    raw: &[u8],
) -> Result<Columns, String> {
    let mut out = Columns::default();
    gorilla::decode_ints(ts, n, &mut out.ts).map_err(|_| "timestamp column ends early")?;
    match value_codec {
        TAG_GORILLA => gorilla::decode_floats(values, n, &mut out.values)
            .map_err(|_| "value column ends early")?,
        TAG_PCO => {
            out.values = pco::standalone::simple_decompress::<f64>(values)
                .map_err(|e| format!("value column does not decode: {e}"))?;
            if out.values.len() != n {
                return Err(format!(
                    "value column holds {} values, the header says {n}",
                    out.values.len()
                ));
            }
        }
        other => return Err(format!("unknown value codec {other}")),
    }
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
