//! Any bytes as a time-series segment: indexing, scanning and decoding every block must never
//! panic, and a decoded block holds as many points as its header says.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    bifrost_series::fuzzing::fuzz_segment(data);
});
