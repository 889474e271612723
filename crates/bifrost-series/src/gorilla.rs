//! Gorilla-style column codecs (Pelkonen et al., VLDB 2015): delta-of-delta integers and XOR'd
//! floats, each column its own bit stream.
//!
//! Integers (timestamps, raw register words) store the first value in 64 bits, then each
//! delta-of-delta in the smallest of these buckets: `0` (same step), `10`+7 bits, `110`+9,
//! `1110`+12, `11110`+32, `11111`+64. Arithmetic wraps, so any `i64` sequence round-trips,
//! ordered or not. Floats store the first value's bits, then each value XOR the previous one:
//! `0` when equal, `10`+bits when the meaningful bits fit the previous window, else
//! `11`+6 bits of leading zeros+6 bits of length-1+the meaningful bits. Every bit pattern
//! (NaN payloads, ±inf, -0.0) round-trips exactly.

use crate::bits::{BitReader, BitWriter, OutOfBits};

/// Delta-of-delta buckets: (prefix bits, prefix length, payload bits).
const BUCKETS: [(u64, u32, u32); 5] = [
    (0b10, 2, 7),
    (0b110, 3, 9),
    (0b1110, 4, 12),
    (0b11110, 5, 32),
    (0b11111, 5, 64),
];

#[inline]
fn fits(value: i64, bits: u32) -> bool {
    bits == 64 || {
        let shift = 64 - bits;
        (value << shift) >> shift == value
    }
}

/// Encodes integers as delta-of-deltas.
pub fn encode_ints(values: &[i64]) -> Vec<u8> {
    let mut w = BitWriter::with_capacity(values.len() / 4 + 16);
    let Some((&first, rest)) = values.split_first() else {
        return w.finish();
    };
    w.write(first as u64, 64);
    let (mut prev, mut prev_delta) = (first, 0i64);
    for &v in rest {
        let delta = v.wrapping_sub(prev);
        let dod = delta.wrapping_sub(prev_delta);
        if dod == 0 {
            w.bit(false);
        } else {
            for &(prefix, prefix_len, bits) in &BUCKETS {
                if fits(dod, bits) {
                    w.write(prefix, prefix_len);
                    w.write(dod as u64, bits);
                    break;
                }
            }
        }
        prev = v;
        prev_delta = delta;
    }
    w.finish()
}

/// Decodes `n` integers written by [`encode_ints`] into `out`.
pub fn decode_ints(data: &[u8], n: usize, out: &mut Vec<i64>) -> Result<(), OutOfBits> {
    if n == 0 {
        return Ok(());
    }
    out.reserve(n);
    let mut r = BitReader::new(data);
    let first = r.read(64)? as i64;
    out.push(first);
    let (mut prev, mut prev_delta) = (first, 0i64);
    for _ in 1..n {
        let mut ones = 0u32;
        while ones < 5 && r.bit()? {
            ones += 1;
        }
        let dod = if ones == 0 {
            0
        } else {
            let bits = BUCKETS[(ones - 1) as usize].2;
            let raw = r.read(bits)?;
            if bits == 64 {
                raw as i64
            } else {
                let shift = 64 - bits;
                ((raw << shift) as i64) >> shift
            }
        };
        let delta = prev_delta.wrapping_add(dod);
        let v = prev.wrapping_add(delta);
        out.push(v);
        prev = v;
        prev_delta = delta;
    }
    Ok(())
}

/// Encodes floats by XOR with the previous value.
pub fn encode_floats(values: &[f64]) -> Vec<u8> {
    let mut w = BitWriter::with_capacity(values.len() + 16);
    let Some((&first, rest)) = values.split_first() else {
        return w.finish();
    };
    let mut prev = first.to_bits();
    w.write(prev, 64);
    // The window of the last stored meaningful bits; 65 leading means "none yet".
    let (mut lead, mut trail) = (65u32, 0u32);
    for &v in rest {
        let bits = v.to_bits();
        let xor = bits ^ prev;
        prev = bits;
        if xor == 0 {
            w.bit(false);
            continue;
        }
        let l = xor.leading_zeros();
        let t = xor.trailing_zeros();
        if lead <= 64 && l >= lead && t >= trail {
            w.write(0b10, 2);
            w.write(xor >> trail, 64 - lead - trail);
        } else {
            let len = 64 - l - t;
            w.write(0b11, 2);
            w.write(l as u64, 6);
            w.write((len - 1) as u64, 6);
            w.write(xor >> t, len);
            lead = l;
            trail = t;
        }
    }
    w.finish()
}

/// Decodes `n` floats written by [`encode_floats`] into `out`.
pub fn decode_floats(data: &[u8], n: usize, out: &mut Vec<f64>) -> Result<(), OutOfBits> {
    if n == 0 {
        return Ok(());
    }
    out.reserve(n);
    let mut r = BitReader::new(data);
    let mut prev = r.read(64)?;
    out.push(f64::from_bits(prev));
    let (mut lead, mut trail) = (65u32, 0u32);
    for _ in 1..n {
        if r.bit()? {
            if r.bit()? {
                lead = r.read(6)? as u32;
                let len = r.read(6)? as u32 + 1;
                if lead + len > 64 {
                    // Not something the encoder writes: corrupt input.
                    return Err(OutOfBits);
                }
                trail = 64 - lead - len;
            } else if lead > 64 {
                return Err(OutOfBits);
            }
            let xor = r.read(64 - lead - trail)? << trail;
            prev ^= xor;
        }
        out.push(f64::from_bits(prev));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regular_timestamps_cost_one_bit_each() {
        let ts: Vec<i64> = (0..1000).map(|i| 1_700_000_000_000 + i * 1000).collect();
        let bytes = encode_ints(&ts);
        // 64 bits, then one 7-bit bucket for the first delta, then one bit per point.
        assert!(bytes.len() <= 8 + 2 + 1000 / 8 + 1, "{}", bytes.len());
        let mut back = Vec::new();
        decode_ints(&bytes, ts.len(), &mut back).unwrap();
        assert_eq!(back, ts);
    }

    #[test]
    fn special_floats_round_trip_bit_for_bit() {
        let vals = [
            0.0,
            -0.0,
            f64::NAN,
            f64::from_bits(0x7ff8_0000_dead_beef),
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::MIN_POSITIVE,
            1.5,
            1.5,
        ];
        let bytes = encode_floats(&vals);
        let mut back = Vec::new();
        decode_floats(&bytes, vals.len(), &mut back).unwrap();
        let a: Vec<u64> = vals.iter().map(|v| v.to_bits()).collect();
        let b: Vec<u64> = back.iter().map(|v| v.to_bits()).collect();
        assert_eq!(a, b);
    }
}
