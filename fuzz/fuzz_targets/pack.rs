//! Pack parsing and verification must never panic or read out of bounds, whatever the bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let id = bifrost_core::PackId::of(data);
    if let Ok(entries) = bifrost_store::parse_trailer(&id, data) {
        for e in entries {
            assert!(e.offset as usize + e.stored_len as usize <= data.len());
        }
    }
    let _ = bifrost_store::verify_pack(&id, data);
});
