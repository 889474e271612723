//! Posters, filmstrips and H.264 proxies of movies through FFmpeg, read back with FFprobe.

mod common;

use std::time::Duration;

use bifrost_media::{Input, MediaError, MediaKind, Recipe, Renderer, StillFormat, detect, render};
use common::*;
use image::GenericImageView;

#[test]
fn poster_and_thumbnail_of_a_movie_fit_and_decode() {
    let dir = tempfile::tempdir().unwrap();
    let movie = write_movie(dir.path(), "clip.mp4", 320, 180, 2.0, false);
    assert_eq!(detect(&movie).unwrap(), MediaKind::Video);
    let out = dir.path().join("out");
    let poster = render(&Input::from(movie.as_path()), &Recipe::POSTER, &out).unwrap();
    // Never enlarged: 320x180 stays as it is.
    assert_eq!((poster.width, poster.height), (320, 180));
    let thumb = render(
        &Input::from(movie.as_path()),
        &Recipe::Thumbnail {
            max_px: 64,
            format: StillFormat::Png,
        },
        &out,
    )
    .unwrap();
    assert_eq!((thumb.width, thumb.height), (64, 36));
    for made in [&poster, &thumb] {
        assert_eq!(made.source, MediaKind::Video);
        let back = image::open(&made.path).unwrap();
        assert_eq!(back.dimensions(), (made.width, made.height));
        // testsrc is colourful, not a black frame.
        let rgb = back.to_rgb8();
        let mean: f64 = rgb
            .pixels()
            .map(|p| p.0.iter().map(|&c| c as f64).sum::<f64>())
            .sum::<f64>()
            / (rgb.len() as f64);
        assert!(mean > 20.0, "the poster is not black: mean {mean}");
    }
    assert_eq!(
        names_in(&out),
        vec![poster.recipe.recipe_key(), thumb.recipe.recipe_key()]
    );
}

#[test]
fn a_movie_shorter_than_the_poster_time_gives_its_first_frame() {
    let dir = tempfile::tempdir().unwrap();
    let movie = write_movie(dir.path(), "blink.mp4", 160, 90, 0.4, false);
    let poster = render(&Input::from(movie.as_path()), &Recipe::POSTER, dir.path()).unwrap();
    assert_eq!((poster.width, poster.height), (160, 90));
    image::open(&poster.path).expect("the poster decodes");
}

#[test]
fn filmstrip_tiles_frames_side_by_side() {
    let dir = tempfile::tempdir().unwrap();
    let movie = write_movie(dir.path(), "clip.mov", 320, 240, 2.0, false);
    let recipe = Recipe::Filmstrip {
        frames: 5,
        height: 60,
        format: StillFormat::Png,
    };
    let strip = render(&Input::from(movie.as_path()), &recipe, dir.path()).unwrap();
    assert_eq!((strip.width, strip.height), (5 * 80, 60));
    let back = image::open(&strip.path).unwrap().to_rgb8();
    assert_eq!(back.dimensions(), (400, 60));
    // testsrc draws a running counter: the first and last tiles differ.
    let tile = |i: u32| image::imageops::crop_imm(&back, i * 80, 0, 80, 60).to_image();
    assert_ne!(
        tile(0).into_raw(),
        tile(4).into_raw(),
        "frames come from different times"
    );
}

#[test]
fn proxy_is_browser_h264_with_even_dimensions_and_faststart() {
    let dir = tempfile::tempdir().unwrap();
    // Odd dimensions and a sound track.
    let movie = write_movie(dir.path(), "odd.mkv", 321, 241, 1.0, true);
    let made = render(
        &Input::from(movie.as_path()),
        &Recipe::ProxyH264 { height: 120 },
        dir.path(),
    )
    .unwrap();
    assert_eq!(made.mime, "video/mp4");
    assert_eq!((made.width, made.height), (160, 120));
    let probed = ffprobe(&made.path);
    assert_eq!(probed.codec, "h264");
    assert_eq!(probed.pix_fmt, "yuv420p");
    assert_eq!((probed.width, probed.height), (160, 120));
    assert_eq!(probed.frames, 25);
    assert!(probed.has_audio, "the sound track is kept");
    assert!((made.duration.unwrap() - 1.0).abs() < 0.1);
    // +faststart: the index (moov) comes before the media data (mdat), so a browser plays at once.
    let bytes = std::fs::read(&made.path).unwrap();
    let at = |tag: &[u8]| bytes.windows(4).position(|w| w == tag).unwrap();
    assert!(at(b"moov") < at(b"mdat"));

    // Never enlarged; odd source heights round down to even.
    let tall = render(
        &Input::from(movie.as_path()),
        &Recipe::PROXY,
        &dir.path().join("big"),
    )
    .unwrap();
    assert_eq!((tall.width, tall.height), (320, 240));
    let probed = ffprobe(&tall.path);
    assert_eq!((probed.width, probed.height), (320, 240));
}

#[test]
fn a_broken_movie_is_undecodable() {
    let dir = tempfile::tempdir().unwrap();
    let movie = write_movie(dir.path(), "clip.mp4", 160, 120, 1.0, false);
    let bytes = std::fs::read(&movie).unwrap();
    // An MP4 head (so it is taken for a movie) with the rest cut away.
    let cut = dir.path().join("cut.mp4");
    std::fs::write(&cut, &bytes[..64]).unwrap();
    let out = dir.path().join("out");
    for recipe in [Recipe::POSTER, Recipe::FILMSTRIP, Recipe::PROXY] {
        let error = render(&Input::from(cut.as_path()), &recipe, &out).unwrap_err();
        assert!(
            matches!(error, MediaError::Undecodable { .. }),
            "{recipe}: {error:?}"
        );
        assert_eq!(error.code(), "media_undecodable");
    }
    assert!(
        !out.exists() || names_in(&out).is_empty(),
        "nothing written"
    );
}

#[test]
fn missing_ffmpeg_says_how_to_install_it() {
    let dir = tempfile::tempdir().unwrap();
    let movie = write_movie(dir.path(), "clip.mp4", 160, 120, 1.0, false);
    let renderer = Renderer::new(
        "/nonexistent/ffmpeg",
        "/nonexistent/ffprobe",
        Duration::from_secs(5),
    );
    let error = renderer
        .render(&Input::from(movie), &Recipe::POSTER, dir.path())
        .unwrap_err();
    assert_eq!(error.code(), "media_tool_missing");
    assert!(
        error.to_string().contains("apt-get install ffmpeg"),
        "{error}"
    );
    assert!(error.is_retryable());
}

#[test]
fn a_run_past_its_limit_is_stopped() {
    let dir = tempfile::tempdir().unwrap();
    let movie = write_movie(dir.path(), "clip.mp4", 320, 240, 4.0, false);
    let renderer = Renderer::new("ffmpeg", "ffprobe", Duration::from_millis(1));
    let started = std::time::Instant::now();
    let error = renderer
        .render(&Input::from(movie), &Recipe::PROXY, &dir.path().join("out"))
        .unwrap_err();
    assert!(
        matches!(error, MediaError::ToolTimedOut { .. }),
        "{error:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(!dir.path().join("out").exists() || names_in(&dir.path().join("out")).is_empty());
}
