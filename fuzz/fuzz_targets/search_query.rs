//! `bifrost search` queries must parse or fail with an in-bounds error, and what parses must
//! print a canonical form that parses back to the same query.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        match bifrost_core::query::parse(text) {
            Ok(query) => {
                let shown = query.to_string();
                let again = bifrost_core::query::parse(&shown);
                assert_eq!(again.as_ref(), Ok(&query), "canonical form {shown:?}");
            }
            Err(e) => {
                assert!(e.offset <= text.len() && e.len <= text.len() - e.offset);
                assert!(text.is_char_boundary(e.offset) && text.is_char_boundary(e.offset + e.len));
                let _ = e.to_string();
            }
        }
    }
});
