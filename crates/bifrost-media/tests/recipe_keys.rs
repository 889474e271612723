//! Recipe keys are cache keys: pinned here, and they round-trip through parsing.

use bifrost_core::ContentId;
use bifrost_media::{FrameRate, MediaError, Recipe, StillFormat, derivative_key};

#[test]
fn keys_are_pinned() {
    let pinned = [
        (Recipe::THUMBNAIL, "thumbnail-v1-256px.jpg"),
        (
            Recipe::Thumbnail {
                max_px: 512,
                format: StillFormat::Webp,
            },
            "thumbnail-v1-512px.webp",
        ),
        (Recipe::POSTER, "poster-v1-1280px.jpg"),
        (
            Recipe::Poster {
                max_px: 800,
                format: StillFormat::Png,
            },
            "poster-v1-800px.png",
        ),
        (Recipe::FILMSTRIP, "filmstrip-v1-8x120px.jpg"),
        (Recipe::PROXY, "proxy-h264-v1-720p.mp4"),
        (
            Recipe::SEQUENCE_PROXY,
            "sequence-proxy-h264-v1-720p-24_1fps.mp4",
        ),
        (
            Recipe::SequenceProxy {
                height: 1080,
                fps: FrameRate {
                    num: 24000,
                    den: 1001,
                },
            },
            "sequence-proxy-h264-v1-1080p-24000_1001fps.mp4",
        ),
    ];
    for (recipe, key) in pinned {
        assert_eq!(recipe.recipe_key(), key);
        assert_eq!(key.parse::<Recipe>().unwrap(), recipe, "{key} parses back");
    }
}

#[test]
fn derivative_key_is_content_id_and_recipe_key() {
    let key = derivative_key(&ContentId::of(b""), &Recipe::THUMBNAIL);
    assert_eq!(
        key.as_str(),
        "af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262/thumbnail-v1-256px.jpg"
    );
    assert_ne!(
        key,
        derivative_key(&ContentId::of(b"x"), &Recipe::THUMBNAIL)
    );
    assert_ne!(key, derivative_key(&ContentId::of(b""), &Recipe::POSTER));
}

#[test]
fn recipes_serialise_for_job_params() {
    let json = serde_json::to_value(Recipe::FILMSTRIP).unwrap();
    assert_eq!(
        json,
        serde_json::json!({"kind": "filmstrip", "frames": 8, "height": 120, "format": "jpeg"})
    );
    assert_eq!(
        serde_json::from_value::<Recipe>(json).unwrap(),
        Recipe::FILMSTRIP
    );
}

#[test]
fn only_canonical_in_range_keys_parse() {
    for bad in [
        "thumbnail-v1-0256px.jpg",
        "thumbnail-v1-+256px.jpg",
        "thumbnail-v1-0px.jpg",
        "thumbnail-v2-256px.jpg",
        "thumbnail-v1-256px.gif",
        "proxy-h264-v1-721p.mp4",
        "filmstrip-v1-1000x120px.jpg",
        "sequence-proxy-h264-v1-720p-0_1fps.mp4",
        "",
    ] {
        let error = bad.parse::<Recipe>().unwrap_err();
        assert!(
            matches!(error, MediaError::BadRecipe { .. }),
            "{bad}: {error:?}"
        );
        assert_eq!(error.code(), "media_bad_recipe");
    }
}
