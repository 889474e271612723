//! `NAME@vN` references and names typed by users must parse or fail cleanly.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(r) = text.parse::<bifrost_core::VersionRef>() {
            assert!(!r.asset.is_empty());
        }
        let _ = bifrost_core::validate_name(bifrost_core::NameKind::Asset, text);
        let _ = bifrost_core::validate_tag(text);
        let _ = bifrost_core::FileEntry::is_safe_path(text);
    }
});
