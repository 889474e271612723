//! Fixtures made on the spot (nothing big is committed): images with the `image` and `exr`
//! crates, movies with FFmpeg's `testsrc`, and FFprobe to read results back.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

use image::{Rgb, RgbImage, Rgba, RgbaImage};

/// A colourful gradient, so a resize has something to average.
pub fn gradient(width: u32, height: u32) -> RgbImage {
    RgbImage::from_fn(width, height, |x, y| {
        Rgb([
            (x * 255 / width.max(1)) as u8,
            (y * 255 / height.max(1)) as u8,
            ((x + y) % 256) as u8,
        ])
    })
}

pub fn write_image(dir: &Path, name: &str, width: u32, height: u32) -> PathBuf {
    let path = dir.join(name);
    gradient(width, height)
        .save(&path)
        .expect("write fixture image");
    path
}

/// A half-transparent red square over nothing.
pub fn write_transparent_png(dir: &Path, name: &str) -> PathBuf {
    let path = dir.join(name);
    RgbaImage::from_pixel(40, 20, Rgba([255, 0, 0, 128]))
        .save(&path)
        .expect("write fixture png");
    path
}

/// A scene-linear EXR whose left half is `left` and right half `right` (RGB, alpha 1).
pub fn write_exr(path: &Path, width: usize, height: usize, left: f32, right: f32) {
    exr::prelude::write_rgba_file(path, width, height, |x, _y| {
        let v = if x < width / 2 { left } else { right };
        (v, v, v, 1.0f32)
    })
    .expect("write fixture exr");
}

/// A movie from FFmpeg's test pattern (H.264, or FFV1 for odd sizes) (with a tone when `audio`), `seconds` long.
pub fn write_movie(
    dir: &Path,
    name: &str,
    width: u32,
    height: u32,
    seconds: f32,
    audio: bool,
) -> PathBuf {
    let path = dir.join(name);
    let mut command = Command::new("ffmpeg");
    command.args([
        "-nostdin",
        "-hide_banner",
        "-loglevel",
        "error",
        "-y",
        "-f",
        "lavfi",
        "-i",
    ]);
    command.arg(format!(
        "testsrc=size={width}x{height}:rate=25:duration={seconds}"
    ));
    if audio {
        command.args(["-f", "lavfi", "-i"]);
        command.arg(format!("sine=frequency=440:duration={seconds}"));
    }
    if width.is_multiple_of(2) && height.is_multiple_of(2) {
        command.args([
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-pix_fmt",
            "yuv420p",
        ]);
    } else {
        // H.264 in 4:2:0 needs even sizes; FFV1 (lossless, in Matroska) takes any.
        command.args(["-c:v", "ffv1"]);
    }
    if audio {
        command.args(["-c:a", "aac", "-shortest"]);
    }
    command.arg(&path);
    let status = command
        .status()
        .expect("ffmpeg must be installed for these tests (apt-get install ffmpeg)");
    assert!(status.success(), "ffmpeg could not make the fixture movie");
    path
}

/// FFprobe's view of a file's first video stream and format.
pub struct Probed {
    pub codec: String,
    pub pix_fmt: String,
    pub width: u64,
    pub height: u64,
    pub frames: u64,
    pub duration: f64,
    pub has_audio: bool,
}

pub fn ffprobe(path: &Path) -> Probed {
    let output = Command::new("ffprobe")
        .args(["-v", "error", "-count_frames", "-show_entries"])
        .arg("format=duration:stream=codec_type,codec_name,pix_fmt,width,height,nb_read_frames")
        .args(["-of", "json"])
        .arg(path)
        .output()
        .expect("ffprobe runs");
    assert!(
        output.status.success(),
        "ffprobe rejects {}",
        path.display()
    );
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let streams = json["streams"].as_array().unwrap();
    let video = streams
        .iter()
        .find(|s| s["codec_type"] == "video")
        .expect("a video stream");
    Probed {
        codec: video["codec_name"].as_str().unwrap().to_string(),
        pix_fmt: video["pix_fmt"].as_str().unwrap().to_string(),
        width: video["width"].as_u64().unwrap(),
        height: video["height"].as_u64().unwrap(),
        frames: video["nb_read_frames"].as_str().unwrap().parse().unwrap(),
        duration: json["format"]["duration"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap(),
        has_audio: streams.iter().any(|s| s["codec_type"] == "audio"),
    }
}

/// The names in `dir`, to see no temporary file was left behind.
pub fn names_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}
