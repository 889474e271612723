//! Modbus frame decoding: arbitrary bytes through the MBAP stream decoder and the request and
//! response PDU decoders must never panic, and what they accept must be self-consistent.
//! The same body runs in CI as the property test `frame::tests::decoders_never_panic`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    bifrost_edge::fuzzing::fuzz_one(data);
});
