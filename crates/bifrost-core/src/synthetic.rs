//! Deterministic generated data for the demo, benchmarks and tests: incompressible bytes like
//! real caches and renders, and the "1% changed plus a shifting insert" edit a new version makes.

/// `len` pseudo-random bytes (xorshift64*), the same for the same seed on every machine.
pub fn random_bytes(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        out.extend_from_slice(&x.wrapping_mul(0x2545_F491_4F6C_DD1D).to_le_bytes());
    }
    out.truncate(len);
    out
}

/// Rewrites about 1% of `data` in four places and inserts 8 bytes that shift what follows.
pub fn edit_one_percent(data: &mut Vec<u8>, seed: u64) {
    let len = data.len();
    if len < 1024 {
        data.extend_from_slice(&seed.to_le_bytes());
        return;
    }
    let places = 4;
    let span = len / 100 / places;
    for i in 0..places {
        let at = (seed as usize)
            .wrapping_mul(7919)
            .wrapping_add(i * len / places)
            % (len - span);
        let patch = random_bytes(span, seed.wrapping_mul(31).wrapping_add(i as u64));
        data[at..at + span].copy_from_slice(&patch);
    }
    let at = (seed as usize).wrapping_mul(104_729) % len;
    data.splice(at..at, seed.to_le_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_and_edits_about_one_percent() {
        assert_eq!(random_bytes(1000, 5), random_bytes(1000, 5));
        assert_ne!(random_bytes(1000, 5), random_bytes(1000, 6));
        let base = random_bytes(1 << 20, 1);
        let mut edited = base.clone();
        edit_one_percent(&mut edited, 2);
        assert_eq!(edited.len(), base.len() + 8);
        let same_prefix = base.iter().zip(&edited).take_while(|(a, b)| a == b).count();
        assert!(same_prefix < base.len());
    }
}
