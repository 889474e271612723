//! Thumbnails and posters of still images: every format decodes back at the right size, EXR is
//! tone-mapped sensibly, bad bytes are `Undecodable` (never a panic), output is atomic.

mod common;

use bifrost_media::{
    Input, MediaError, MediaKind, Recipe, StillFormat, detect, placeholder, render,
};
use common::*;
use image::GenericImageView;

fn thumbnail(max_px: u32, format: StillFormat) -> Recipe {
    Recipe::Thumbnail { max_px, format }
}

#[test]
fn every_format_gives_a_thumbnail_with_the_source_aspect() {
    let dir = tempfile::tempdir().unwrap();
    let sources = [
        (
            write_image(dir.path(), "wide.png", 640, 360),
            MediaKind::Image(image::ImageFormat::Png),
        ),
        (
            write_image(dir.path(), "tall.jpg", 300, 900),
            MediaKind::Image(image::ImageFormat::Jpeg),
        ),
        (
            write_image(dir.path(), "scan.tif", 1000, 500),
            MediaKind::Image(image::ImageFormat::Tiff),
        ),
        (
            write_image(dir.path(), "web.webp", 512, 512),
            MediaKind::Image(image::ImageFormat::WebP),
        ),
        (
            write_image(dir.path(), "old.bmp", 400, 100),
            MediaKind::Image(image::ImageFormat::Bmp),
        ),
    ];
    let exr = dir.path().join("plate.exr");
    write_exr(&exr, 960, 540, 0.18, 0.5);
    let sources: Vec<_> = sources.into_iter().chain([(exr, MediaKind::Exr)]).collect();

    for (source, kind) in &sources {
        assert_eq!(detect(source).unwrap(), *kind, "{}", source.display());
        let (sw, sh) = if *kind == MediaKind::Exr {
            (960, 540)
        } else {
            image::image_dimensions(source).unwrap()
        };
        for format in [StillFormat::Jpeg, StillFormat::Png, StillFormat::Webp] {
            let out = tempfile::tempdir().unwrap();
            let recipe = thumbnail(256, format);
            let made = render(&Input::from(source.as_path()), &recipe, out.path()).unwrap();
            assert_eq!(made.path, out.path().join(recipe.recipe_key()));
            assert_eq!(made.mime, format.mime());
            assert_eq!(made.source, *kind);
            assert_eq!(made.bytes, std::fs::metadata(&made.path).unwrap().len());
            let back = image::open(&made.path).expect("the thumbnail decodes");
            assert_eq!(back.dimensions(), (made.width, made.height));
            assert_eq!(
                made.width.max(made.height),
                256,
                "{}: longest side is max_px",
                source.display()
            );
            let (source_aspect, thumb_aspect) = (
                sw as f64 / sh as f64,
                made.width as f64 / made.height as f64,
            );
            assert!(
                (source_aspect - thumb_aspect).abs() / source_aspect < 0.02,
                "{}: aspect {source_aspect} became {thumb_aspect}",
                source.display()
            );
            assert_eq!(
                names_in(out.path()),
                vec![recipe.recipe_key()],
                "no temporary left behind"
            );
        }
    }
}

#[test]
fn a_small_image_is_not_enlarged() {
    let dir = tempfile::tempdir().unwrap();
    let source = write_image(dir.path(), "icon.png", 48, 32);
    let made = render(&Input::from(source), &Recipe::POSTER, dir.path()).unwrap();
    assert_eq!((made.width, made.height), (48, 32));
}

#[test]
fn exr_is_tone_mapped_to_srgb_with_highlights_rolled_off() {
    let dir = tempfile::tempdir().unwrap();
    let source = dir.path().join("grey.exr");
    // Left: 18% grey; right: a highlight four times brighter than diffuse white.
    write_exr(&source, 200, 100, 0.18, 4.0);
    let made = render(
        &Input::from(source),
        &thumbnail(100, StillFormat::Png),
        dir.path(),
    )
    .unwrap();
    assert_eq!((made.width, made.height), (100, 50));
    let back = image::open(&made.path).unwrap().to_rgb8();
    let grey = back.get_pixel(10, 25).0;
    let highlight = back.get_pixel(90, 25).0;
    // sRGB code of 0.18 linear is 118 (not 46, which would mean no transfer curve at all).
    assert!(
        grey.iter().all(|&c| (116..=120).contains(&c)),
        "grey became {grey:?}"
    );
    // Bright but not clipped flat: the shoulder compresses 4.0 just under white.
    assert!(
        highlight.iter().all(|&c| (245..=255).contains(&c)),
        "highlight became {highlight:?}"
    );
}

#[test]
fn exr_alpha_is_kept_in_png_and_put_on_white_in_jpeg() {
    let dir = tempfile::tempdir().unwrap();
    let source = dir.path().join("matte.exr");
    // Premultiplied 50% alpha over 0.18 grey: stored colour is 0.09.
    exr::prelude::write_rgba_file(&source, 64, 64, |_, _| (0.09f32, 0.09f32, 0.09f32, 0.5f32))
        .unwrap();
    let png = render(
        &Input::from(source.as_path()),
        &thumbnail(32, StillFormat::Png),
        dir.path(),
    )
    .unwrap();
    let pixel = image::open(&png.path)
        .unwrap()
        .to_rgba8()
        .get_pixel(16, 16)
        .0;
    assert!(
        (116..=120).contains(&pixel[0]) && (127..=129).contains(&pixel[3]),
        "{pixel:?}"
    );
    let jpeg = render(
        &Input::from(source.as_path()),
        &thumbnail(32, StillFormat::Jpeg),
        dir.path(),
    )
    .unwrap();
    let pixel = image::open(&jpeg.path)
        .unwrap()
        .to_rgb8()
        .get_pixel(16, 16)
        .0;
    // Half of 118 plus half of white.
    assert!(pixel.iter().all(|&c| (183..=190).contains(&c)), "{pixel:?}");
}

#[test]
fn transparent_png_is_put_on_white_for_jpeg() {
    let dir = tempfile::tempdir().unwrap();
    let source = write_transparent_png(dir.path(), "alpha.png");
    let made = render(
        &Input::from(source),
        &thumbnail(20, StillFormat::Jpeg),
        dir.path(),
    )
    .unwrap();
    let pixel = image::open(&made.path)
        .unwrap()
        .to_rgb8()
        .get_pixel(10, 5)
        .0;
    assert!(
        pixel[0] > 240 && (120..=135).contains(&pixel[1]),
        "half red on white is pink: {pixel:?}"
    );
}

#[test]
fn truncated_and_garbage_files_are_undecodable_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let png = write_image(dir.path(), "full.png", 300, 200);
    let jpeg = write_image(dir.path(), "full.jpg", 300, 200);
    let exr = dir.path().join("full.exr");
    write_exr(&exr, 300, 200, 0.5, 0.5);
    let tiff = write_image(dir.path(), "full.tif", 300, 200);

    let mut bad = Vec::new();
    for (source, keep) in [(&png, 0.5), (&jpeg, 0.05), (&exr, 0.3), (&tiff, 0.02)] {
        let bytes = std::fs::read(source).unwrap();
        let cut = dir.path().join(format!(
            "cut-{}",
            source.file_name().unwrap().to_string_lossy()
        ));
        std::fs::write(&cut, &bytes[..(bytes.len() as f64 * keep) as usize]).unwrap();
        bad.push(cut);
    }
    let garbage = dir.path().join("garbage.png");
    std::fs::write(
        &garbage,
        b"\x89PNG\r\n\x1a\n this is not really a png at all",
    )
    .unwrap();
    bad.push(garbage);
    let unknown = dir.path().join("notes.txt");
    std::fs::write(&unknown, "just some text").unwrap();
    bad.push(unknown);
    let empty = dir.path().join("empty.exr");
    std::fs::write(&empty, b"").unwrap();
    bad.push(empty);

    for source in bad {
        let out = tempfile::tempdir().unwrap();
        let error = render(
            &Input::from(source.as_path()),
            &Recipe::THUMBNAIL,
            out.path(),
        )
        .unwrap_err();
        match &error {
            MediaError::Undecodable { path, reason } => {
                assert_eq!(path, &source);
                assert!(!reason.is_empty());
            }
            other => panic!("{}: expected Undecodable, got {other:?}", source.display()),
        }
        assert_eq!(error.code(), "media_undecodable");
        assert!(!error.is_retryable());
        assert!(
            names_in(out.path()).is_empty(),
            "nothing written for {}",
            source.display()
        );
    }
}

#[test]
fn a_still_has_no_filmstrip_or_proxy() {
    let dir = tempfile::tempdir().unwrap();
    let source = write_image(dir.path(), "still.png", 64, 64);
    for recipe in [Recipe::FILMSTRIP, Recipe::PROXY, Recipe::SEQUENCE_PROXY] {
        let error = render(&Input::from(source.as_path()), &recipe, dir.path()).unwrap_err();
        assert_eq!(error.code(), "media_recipe_not_applicable", "{error}");
    }
}

#[test]
fn a_missing_file_is_an_io_error() {
    let error = render(
        &Input::from("/nonexistent/plate.exr"),
        &Recipe::THUMBNAIL,
        "/tmp".as_ref(),
    )
    .unwrap_err();
    assert!(matches!(error, MediaError::Io { .. }), "{error:?}");
    assert!(error.is_retryable());
}

#[test]
fn placeholders_are_valid_small_images_for_every_recipe() {
    for recipe in [
        Recipe::THUMBNAIL,
        Recipe::POSTER,
        Recipe::FILMSTRIP,
        Recipe::PROXY,
        Recipe::SEQUENCE_PROXY,
        Recipe::Thumbnail {
            max_px: 1,
            format: StillFormat::Webp,
        },
        Recipe::Poster {
            max_px: 8192,
            format: StillFormat::Png,
        },
    ] {
        let card = placeholder(&recipe);
        let decoded = image::load_from_memory(&card.bytes).expect("the placeholder decodes");
        assert_eq!(decoded.dimensions(), (card.width, card.height), "{recipe}");
        assert!(card.width <= 1280 && card.height <= 640, "{recipe}");
        assert!(
            card.bytes.len() < 64 * 1024,
            "{recipe}: {} bytes",
            card.bytes.len()
        );
        assert!(card.mime.starts_with("image/"));
    }
}
