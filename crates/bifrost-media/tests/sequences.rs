//! Image sequences (`shot.####.exr`) with gaps: proxy movie, filmstrip, thumbnail.

mod common;

use bifrost_media::{
    FrameRate, Input, MediaError, MediaKind, Recipe, Sequence, StillFormat, render,
};
use common::*;

/// EXR frames 1001, 1002 and 1005 (1003–1004 missing), each a different grey.
fn shot_with_gap(dir: &std::path::Path) -> Sequence {
    for (number, value) in [(1001, 0.05f32), (1002, 0.18), (1005, 0.6)] {
        write_exr(
            &dir.join(format!("shot.{number:04}.exr")),
            128,
            72,
            value,
            value,
        );
    }
    // Neighbours that are not frames of this sequence.
    std::fs::write(dir.join("shot.1003.exr.tmp"), b"partial").unwrap();
    write_exr(&dir.join("other.1003.exr"), 16, 16, 1.0, 1.0);
    Sequence::scan(&dir.join("shot.####.exr")).unwrap()
}

#[test]
fn scan_finds_frames_and_gaps() {
    let dir = tempfile::tempdir().unwrap();
    let sequence = shot_with_gap(dir.path());
    let numbers: Vec<u64> = sequence.frames().iter().map(|f| f.number).collect();
    assert_eq!(numbers, vec![1001, 1002, 1005]);
    assert_eq!(sequence.missing(), vec![1003, 1004]);
    assert_eq!(sequence.range(), Some((1001, 1005)));
    let printf = Sequence::scan(&dir.path().join("shot.%04d.exr")).unwrap();
    assert_eq!(printf.frames(), sequence.frames());
    let none = Sequence::scan(&dir.path().join("nothing.####.exr")).unwrap_err();
    assert!(matches!(none, MediaError::EmptySequence { .. }), "{none:?}");
}

#[test]
fn sequence_proxy_holds_frames_across_gaps() {
    let dir = tempfile::tempdir().unwrap();
    let sequence = shot_with_gap(dir.path());
    let recipe = Recipe::SequenceProxy {
        height: 36,
        fps: FrameRate::whole(25),
    };
    let made = render(&Input::from(sequence), &recipe, &dir.path().join("out")).unwrap();
    assert_eq!(made.source, MediaKind::Exr);
    assert_eq!((made.width, made.height), (64, 36));
    let probed = ffprobe(&made.path);
    assert_eq!(probed.codec, "h264");
    assert_eq!(probed.pix_fmt, "yuv420p");
    assert_eq!((probed.width, probed.height), (64, 36));
    // Five frame numbers (1001..=1005), so five frames: the gap is held, not skipped.
    assert_eq!(probed.frames, 5);
    assert!((made.duration.unwrap() - 0.2).abs() < 1e-9);

    // The held frames show frame 1002's grey (sRGB 118), the last frame 1005's (0.6 → ~203).
    let frame_at = |index: u32| {
        let out = std::process::Command::new("ffmpeg")
            .args(["-nostdin", "-loglevel", "error", "-i"])
            .arg(&made.path)
            .args([
                "-vf",
                &format!("select=eq(n\\,{index})"),
                "-frames:v",
                "1",
                "-f",
                "rawvideo",
                "-pix_fmt",
                "gray",
                "-",
            ])
            .output()
            .unwrap();
        assert!(out.status.success());
        let pixels = out.stdout;
        pixels.iter().map(|&p| p as u32).sum::<u32>() / pixels.len() as u32
    };
    let (held, last) = (frame_at(3), frame_at(4));
    assert!((110..=126).contains(&held), "frame 1003 holds 1002: {held}");
    assert!((195..=212).contains(&last), "frame 1005: {last}");
}

#[test]
fn sequence_thumbnail_and_filmstrip() {
    let dir = tempfile::tempdir().unwrap();
    let sequence = shot_with_gap(dir.path());
    let input = Input::from(sequence);
    let thumb = render(
        &input,
        &Recipe::Thumbnail {
            max_px: 32,
            format: StillFormat::Png,
        },
        dir.path(),
    )
    .unwrap();
    assert_eq!((thumb.width, thumb.height), (32, 18));
    let first = image::open(&thumb.path)
        .unwrap()
        .to_rgb8()
        .get_pixel(5, 5)
        .0;
    assert!(
        (60..=68).contains(&first[0]),
        "the first frame (0.05 → sRGB 63): {first:?}"
    );

    let recipe = Recipe::Filmstrip {
        frames: 3,
        height: 18,
        format: StillFormat::Png,
    };
    let strip = render(&input, &recipe, dir.path()).unwrap();
    assert_eq!((strip.width, strip.height), (96, 18));
    let back = image::open(&strip.path).unwrap().to_rgb8();
    let greys: Vec<u8> = [16, 48, 80]
        .iter()
        .map(|&x| back.get_pixel(x, 9).0[0])
        .collect();
    assert!(
        greys[0] < greys[1] && greys[1] < greys[2],
        "frames in order: {greys:?}"
    );

    let error = render(&input, &Recipe::PROXY, dir.path()).unwrap_err();
    assert_eq!(error.code(), "media_recipe_not_applicable");
}

#[test]
fn an_undecodable_frame_fails_the_proxy_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let sequence = shot_with_gap(dir.path());
    std::fs::write(dir.path().join("shot.1002.exr"), b"v/1\x01 broken").unwrap();
    let out = dir.path().join("out");
    let error = render(&Input::from(sequence), &Recipe::SEQUENCE_PROXY, &out).unwrap_err();
    match error {
        MediaError::Undecodable { path, .. } => assert!(path.ends_with("shot.1002.exr")),
        other => panic!("expected Undecodable, got {other:?}"),
    }
    assert!(
        names_in(&out).is_empty(),
        "no partial movie: {:?}",
        names_in(&out)
    );
}
