//! Whatever bytes arrive, rendering answers with a derivative or a `MediaError`, never a panic.

use bifrost_media::{Input, MediaError, Recipe, StillFormat, render};
use proptest::prelude::*;

/// Heads of real formats, so the random tails reach each decoder, not only the sniffer.
const HEADS: [&[u8]; 8] = [
    b"",
    b"\x89PNG\r\n\x1a\n",
    b"\xff\xd8\xff\xe0",
    b"II*\x00",
    b"v/1\x01",
    b"RIFF\x00\x00\x00\x00WEBPVP8L",
    b"GIF89a",
    b"\x00\x00\x00\x18ftypisom",
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn render_never_panics_on_random_bytes(
        head in 0..HEADS.len(),
        tail in proptest::collection::vec(any::<u8>(), 0..600),
        png in any::<bool>(),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let source = dir.path().join("input.bin");
        let mut bytes = HEADS[head].to_vec();
        bytes.extend(tail);
        std::fs::write(&source, &bytes).unwrap();
        let format = if png { StillFormat::Png } else { StillFormat::Jpeg };
        let recipe = Recipe::Thumbnail { max_px: 64, format };
        match render(&Input::from(source.as_path()), &recipe, &dir.path().join("out")) {
            Ok(made) => prop_assert!(image::open(&made.path).is_ok()),
            Err(MediaError::Undecodable { .. }) => {}
            Err(other) => prop_assert!(false, "random bytes gave {other:?}, not Undecodable"),
        }
    }
}
