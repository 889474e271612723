//! Entry point of the segment-decoder fuzz target (`fuzz/fuzz_targets/series_segment.rs`) and
//! of its proptest twin: any bytes are indexed and every block decoded without a panic.

/// Indexes `data` as a segment and decodes every block it finds; errors are fine, panics not.
pub fn fuzz_segment(data: &[u8]) {
    if let Ok((segment, _warnings)) = crate::segment::Segment::from_bytes(data.to_vec()) {
        for b in &segment.blocks {
            if let Ok(c) = segment.read_block(b) {
                assert_eq!(c.ts.len(), b.count as usize);
                assert_eq!(c.values.len(), b.count as usize);
            }
        }
    }
}

/// A valid segment image of two series, for seeding the fuzzer and mutating in tests.
pub fn sample_segment() -> Vec<u8> {
    let ts: Vec<i64> = (0..200).map(|i| 1_700_000_000_000 + i * 1000).collect();
    let a: Vec<f64> = (0..200).map(|i| 20.0 + (i as f64 / 10.0).sin()).collect();
    let b: Vec<f64> = (0..200).map(|i| (i / 7) as f64).collect();
    let raw: Vec<u32> = (0..200).map(|i| i as u32 * 3).collect();
    let blocks = [
        crate::segment::BlockInput {
            name: "plant/a",
            ts: &ts,
            columns: crate::block::encode(&ts, &a, &raw, crate::Codec::Gorilla),
        },
        crate::segment::BlockInput {
            name: "plant/b",
            ts: &ts,
            columns: crate::block::encode(&ts, &b, &[], crate::Codec::Pco),
        },
    ];
    crate::segment::build(&blocks)
}
