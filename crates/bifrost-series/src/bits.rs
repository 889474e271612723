//! Bit-level writer and reader for the Gorilla-style codecs (most significant bit first).

/// Appends bit fields to a byte vector, 64 bits at a time.
#[derive(Default)]
pub struct BitWriter {
    out: Vec<u8>,
    /// Pending bits, left-aligned: the first `filled` bits from the top are in use.
    acc: u64,
    filled: u32,
}

impl BitWriter {
    /// A writer with room for about `bytes` bytes.
    pub fn with_capacity(bytes: usize) -> Self {
        BitWriter {
            out: Vec::with_capacity(bytes),
            acc: 0,
            filled: 0,
        }
    }

    /// Writes the low `bits` bits of `value` (0 ≤ bits ≤ 64).
    #[inline]
    pub fn write(&mut self, value: u64, bits: u32) {
        debug_assert!(bits <= 64);
        if bits == 0 {
            return;
        }
        let value = if bits == 64 {
            value
        } else {
            value & ((1u64 << bits) - 1)
        };
        let free = 64 - self.filled;
        if bits < free {
            self.acc |= value << (free - bits);
            self.filled += bits;
        } else {
            let rest = bits - free;
            self.acc |= value >> rest;
            self.out.extend_from_slice(&self.acc.to_be_bytes());
            self.acc = if rest == 0 { 0 } else { value << (64 - rest) };
            self.filled = rest;
        }
    }

    /// Writes one bit.
    #[inline]
    pub fn bit(&mut self, set: bool) {
        self.write(set as u64, 1);
    }

    /// The bytes written, the last one padded with zero bits.
    pub fn finish(mut self) -> Vec<u8> {
        let bytes = self.filled.div_ceil(8) as usize;
        self.out.extend_from_slice(&self.acc.to_be_bytes()[..bytes]);
        self.out
    }
}

/// The input ended before a field did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutOfBits;

/// Reads bit fields written by [`BitWriter`]; never reads past the slice.
pub struct BitReader<'a> {
    data: &'a [u8],
    pos: usize,
    len_bits: usize,
}

impl<'a> BitReader<'a> {
    /// A reader at the first bit of `data`.
    pub fn new(data: &'a [u8]) -> Self {
        BitReader {
            data,
            pos: 0,
            len_bits: data.len() * 8,
        }
    }

    /// Reads `bits` bits (0 ≤ bits ≤ 64) as an unsigned number.
    #[inline]
    pub fn read(&mut self, bits: u32) -> Result<u64, OutOfBits> {
        debug_assert!(bits <= 64);
        if bits == 0 {
            return Ok(0);
        }
        if self.pos + bits as usize > self.len_bits {
            return Err(OutOfBits);
        }
        let byte = self.pos / 8;
        let shift = (self.pos % 8) as u32;
        let word = match self.data.get(byte..byte + 16) {
            Some(window) => u128::from_be_bytes(window.try_into().unwrap_or([0; 16])),
            None => {
                let mut window = [0u8; 16];
                let tail = &self.data[byte..];
                window[..tail.len()].copy_from_slice(tail);
                u128::from_be_bytes(window)
            }
        };
        self.pos += bits as usize;
        Ok(((word << shift) >> (128 - bits)) as u64)
    }

    /// Reads one bit.
    #[inline]
    pub fn bit(&mut self) -> Result<bool, OutOfBits> {
        Ok(self.read(1)? == 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_of_every_width_round_trip() {
        let mut w = BitWriter::default();
        for bits in 0..=64u32 {
            w.write(u64::MAX.wrapping_mul(bits as u64 + 3), bits);
        }
        let bytes = w.finish();
        let mut r = BitReader::new(&bytes);
        for bits in 0..=64u32 {
            let mask = if bits == 64 {
                u64::MAX
            } else {
                (1u64 << bits) - 1
            };
            assert_eq!(
                r.read(bits),
                Ok(u64::MAX.wrapping_mul(bits as u64 + 3) & mask)
            );
        }
        assert!(r.read(8).is_err());
    }
}
