//! Property tests of the column codecs and the segment decoder.

use bifrost_series::codec::{
    decode_floats, decode_ints, encode_floats, encode_ints, pco_round_trip, pco_ts_round_trip,
};
use bifrost_series::fuzzing::{fuzz_segment, sample_segment};
use proptest::prelude::*;

fn special_or_any() -> impl Strategy<Value = f64> {
    prop_oneof![
        Just(f64::NAN),
        Just(-f64::NAN),
        Just(f64::from_bits(0x7ff0_0000_0000_0001)), // signalling NaN payload
        Just(f64::INFINITY),
        Just(f64::NEG_INFINITY),
        Just(0.0),
        Just(-0.0),
        Just(f64::MIN_POSITIVE / 2.0), // subnormal
        Just(f64::MAX),
        any::<u64>().prop_map(f64::from_bits),
        (-1000i32..1000).prop_map(|i| i as f64 / 10.0),
    ]
}

fn bits(v: &[f64]) -> Vec<u64> {
    v.iter().map(|x| x.to_bits()).collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn any_integers_round_trip(values in prop::collection::vec(any::<i64>(), 0..300)) {
        let bytes = encode_ints(&values);
        let mut back = Vec::new();
        decode_ints(&bytes, values.len(), &mut back).unwrap();
        prop_assert_eq!(&back, &values);
        if !values.is_empty() {
            prop_assert_eq!(pco_ts_round_trip(&values), values);
        }
    }

    #[test]
    fn jittered_and_unordered_timestamps_round_trip(
        start in any::<i64>(),
        steps in prop::collection::vec(-5_000i64..100_000, 0..300),
    ) {
        let mut ts = vec![start];
        for s in steps {
            let next = ts.last().unwrap().wrapping_add(s);
            ts.push(next);
        }
        let bytes = encode_ints(&ts);
        let mut back = Vec::new();
        decode_ints(&bytes, ts.len(), &mut back).unwrap();
        prop_assert_eq!(back, ts);
    }

    #[test]
    fn any_floats_round_trip_bit_for_bit(values in prop::collection::vec(special_or_any(), 0..300)) {
        let bytes = encode_floats(&values);
        let mut back = Vec::new();
        decode_floats(&bytes, values.len(), &mut back).unwrap();
        prop_assert_eq!(bits(&back), bits(&values));
        if !values.is_empty() {
            prop_assert_eq!(bits(&pco_round_trip(&values)), bits(&values));
        }
    }

    #[test]
    fn truncated_columns_are_errors_not_panics(
        values in prop::collection::vec(special_or_any(), 2..100),
        cut in 0usize..64,
    ) {
        let bytes = encode_floats(&values);
        let short = &bytes[..bytes.len().saturating_sub(cut + 9)];
        let mut back = Vec::new();
        // Fewer bytes than the values need: the decoder reports it instead of inventing values.
        if decode_floats(short, values.len(), &mut back).is_ok() {
            prop_assert!(short.len() * 8 >= 64);
        }
    }

    #[test]
    fn segment_decoder_survives_any_mutation(
        flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
        cut in prop::option::of(any::<prop::sample::Index>()),
    ) {
        let mut image = sample_segment();
        for (at, byte) in flips {
            let i = at.index(image.len());
            image[i] ^= byte | 1;
        }
        if let Some(c) = cut {
            image.truncate(c.index(image.len()));
        }
        fuzz_segment(&image);
    }

    #[test]
    fn segment_decoder_survives_any_bytes(data in prop::collection::vec(any::<u8>(), 0..512)) {
        fuzz_segment(&data);
        let mut framed = b"BFSERIES\x01\0\0\0\0\0\0\0".to_vec();
        framed.extend_from_slice(&data);
        fuzz_segment(&framed);
    }
}
