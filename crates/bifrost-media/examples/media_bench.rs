//! Benchmark of issue 13's media derivatives against the tools studios reach for: ImageMagick's
//! `convert -thumbnail` for stills, plain `ffmpeg` command lines for movies. Run through
//! `bench/media.sh` (release build), never in CI.
//!
//! `media_bench gen DIR IMAGES VIDEOS SECONDS` makes the inputs (deterministic);
//! `media_bench run DIR` renders each file with this crate and with the peer, interleaved (the
//! order alternates per file), and prints one JSON line per file with both times.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use bifrost_media::{Input, Recipe, render};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("gen") if args.len() == 6 => generate(
            Path::new(&args[2]),
            args[3].parse().expect("IMAGES"),
            args[4].parse().expect("VIDEOS"),
            &args[5],
        ),
        Some("run") if args.len() == 3 => run(Path::new(&args[2])),
        _ => {
            eprintln!("usage: media_bench gen DIR IMAGES VIDEOS SECONDS | media_bench run DIR");
            std::process::exit(2);
        }
    }
}

const SIZES: [(u32, u32); 6] = [
    (640, 480),
    (1280, 720),
    (1920, 1080),
    (2048, 1556),
    (3840, 2160),
    (4096, 2160),
];
const FORMATS: [&str; 4] = ["png", "jpg", "tif", "exr"];

/// A small deterministic generator (xorshift), so every machine gets the same inputs.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

fn generate(dir: &Path, images: usize, videos: usize, seconds: &str) {
    let stills = dir.join("images");
    let movies = dir.join("videos");
    std::fs::create_dir_all(&stills).unwrap();
    std::fs::create_dir_all(&movies).unwrap();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let jobs: Vec<(usize, (u32, u32), &str, u64)> = (0..images)
        .map(|i| {
            let size = SIZES[(rng.next() % SIZES.len() as u64) as usize];
            (i, size, FORMATS[i % FORMATS.len()], rng.next())
        })
        .collect();
    use rayon::prelude::*;
    jobs.par_iter().for_each(|&(i, (w, h), ext, seed)| {
        let path = stills.join(format!("img{i:04}.{ext}"));
        if path.exists() {
            return;
        }
        // A photo-like picture: smooth gradients with fine noise (so JPEG and PNG sizes are
        // realistic, not a flat colour that compresses to nothing).
        let mut rng = Rng(seed | 1);
        let phase = (seed % 360) as f32;
        let value = |x: u32, y: u32, c: u32, noise: u64| -> f32 {
            let fx = x as f32 / w as f32;
            let fy = y as f32 / h as f32;
            let wave = ((fx * 6.0 + fy * 3.0 + phase + c as f32).sin() * 0.5 + 0.5) * 0.8;
            wave * (0.6 + 0.4 * fy) + (noise % 16) as f32 / 255.0
        };
        if ext == "exr" {
            let noise: Vec<u64> = (0..(w * h) as usize).map(|_| rng.next()).collect();
            exr::prelude::write_rgb_file(&path, w as usize, h as usize, |x, y| {
                let n = noise[y * w as usize + x];
                let srgb = |c| value(x as u32, y as u32, c, n >> (c * 8));
                // Stored scene-linear, with highlights above 1.0 in the bright corner.
                let linear = |v: f32| v.powf(2.2) * (1.0 + 2.0 * (x as f32 / w as f32));
                (linear(srgb(0)), linear(srgb(1)), linear(srgb(2)))
            })
            .unwrap();
        } else {
            let image = image::RgbImage::from_fn(w, h, |x, y| {
                let n = rng.next();
                image::Rgb(
                    [0, 1, 2].map(|c| (value(x, y, c, n >> (c * 8)) * 255.0).min(255.0) as u8),
                )
            });
            image.save(&path).unwrap();
        }
    });
    for i in 0..videos {
        let path = movies.join(format!("clip{i:02}.mp4"));
        if path.exists() {
            continue;
        }
        let pattern = ["testsrc2", "smptehdbars", "mandelbrot", "life"][i % 4];
        let status = Command::new("ffmpeg")
            .args(["-nostdin", "-loglevel", "error", "-y", "-f", "lavfi", "-i"])
            .arg(format!("{pattern}=size=1920x1080:rate=25"))
            .args(["-f", "lavfi", "-i"])
            .arg(format!(
                "sine=frequency={}:duration={seconds}",
                220 + 20 * i
            ))
            // `-t` (an output option), not the sources' `duration`, which mandelbrot and life lack.
            .args(["-t", seconds])
            .args([
                "-c:v", "libx264", "-preset", "veryfast", "-g", "50", "-pix_fmt", "yuv420p",
            ])
            .args(["-c:a", "aac", "-shortest"])
            .arg(&path)
            .status()
            .unwrap();
        assert!(status.success(), "ffmpeg could not make {}", path.display());
    }
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(entries) => entries.map(|e| e.unwrap().path()).collect(),
        Err(_) => Vec::new(),
    };
    files.sort();
    files
}

fn timed(work: impl FnOnce()) -> f64 {
    let started = Instant::now();
    work();
    started.elapsed().as_secs_f64() * 1000.0
}

fn peer(program: &str, args: &[&str]) {
    let output = Command::new(program).args(args).output().unwrap();
    assert!(
        output.status.success(),
        "{program} {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

fn run(dir: &Path) {
    let out = dir.join("out");
    let ours_dir = out.join("ours");
    let peer_dir = out.join("peer");
    std::fs::create_dir_all(&ours_dir).unwrap();
    std::fs::create_dir_all(&peer_dir).unwrap();
    let mut flip = false;
    let mut row = |kind: &str, file: &Path, ours: &mut dyn FnMut(), peer: &mut dyn FnMut()| {
        flip = !flip;
        let (ours_ms, peer_ms) = if flip {
            let o = timed(&mut *ours);
            (o, timed(&mut *peer))
        } else {
            let p = timed(&mut *peer);
            (timed(&mut *ours), p)
        };
        println!(
            "{{\"kind\":\"{kind}\",\"file\":\"{}\",\"ours_ms\":{ours_ms:.3},\"peer_ms\":{peer_ms:.3}}}",
            file.file_name().unwrap().to_string_lossy()
        );
    };

    for file in files(&dir.join("images")) {
        let ext = file.extension().unwrap().to_string_lossy().into_owned();
        let input = Input::from(file.as_path());
        let target = peer_dir.join("thumb.jpg");
        row(
            &format!("thumbnail-{ext}"),
            &file,
            &mut || {
                render(&input, &Recipe::THUMBNAIL, &ours_dir).unwrap();
            },
            &mut || {
                peer(
                    "convert",
                    &[
                        file.to_str().unwrap(),
                        "-thumbnail",
                        "256x256",
                        target.to_str().unwrap(),
                    ],
                )
            },
        );
    }

    for file in files(&dir.join("videos")) {
        let input = Input::from(file.as_path());
        let path = file.to_str().unwrap().to_string();
        let duration = probe_duration(&file);
        let at = format!("{:.3}", duration * 0.1);
        let poster = peer_dir.join("poster.jpg").to_string_lossy().into_owned();
        let proxy = peer_dir.join("proxy.mp4").to_string_lossy().into_owned();
        let quiet = ["-nostdin", "-loglevel", "error", "-y"];
        // The poster frame 10% in, as ffmpeg is usually told: -ss after -i (decodes up to it).
        row(
            "poster-vs-ffmpeg",
            &file,
            &mut || {
                render(&input, &Recipe::POSTER, &ours_dir).unwrap();
            },
            &mut || {
                let mut args = quiet.to_vec();
                args.extend(["-i", &path, "-ss", &at, "-frames:v", "1"]);
                args.extend(["-vf", "scale=1280:-2", "-q:v", "3", &poster]);
                peer("ffmpeg", &args)
            },
        );
        // The same with the input-side seek an FFmpeg expert would write.
        row(
            "poster-vs-ffmpeg-input-seek",
            &file,
            &mut || {
                render(&input, &Recipe::POSTER, &ours_dir).unwrap();
            },
            &mut || {
                let mut args = quiet.to_vec();
                args.extend(["-ss", &at, "-i", &path, "-frames:v", "1"]);
                args.extend(["-vf", "scale=1280:-2", "-q:v", "3", &poster]);
                peer("ffmpeg", &args)
            },
        );
        // A 720p browser proxy as commonly written (x264's default preset, medium).
        row(
            "proxy-vs-ffmpeg",
            &file,
            &mut || {
                render(&input, &Recipe::PROXY, &ours_dir).unwrap();
            },
            &mut || {
                let mut args = quiet.to_vec();
                args.extend(["-i", &path, "-vf", "scale=-2:720", "-c:v", "libx264"]);
                args.extend([
                    "-pix_fmt",
                    "yuv420p",
                    "-movflags",
                    "+faststart",
                    "-c:a",
                    "aac",
                    &proxy,
                ]);
                peer("ffmpeg", &args)
            },
        );
        // The same command at our preset: what is left is our own overhead.
        row(
            "proxy-vs-ffmpeg-same-preset",
            &file,
            &mut || {
                render(&input, &Recipe::PROXY, &ours_dir).unwrap();
            },
            &mut || {
                let mut args = quiet.to_vec();
                args.extend([
                    "-i",
                    &path,
                    "-vf",
                    "scale=-2:720",
                    "-c:v",
                    "libx264",
                    "-preset",
                    "veryfast",
                ]);
                args.extend([
                    "-pix_fmt",
                    "yuv420p",
                    "-movflags",
                    "+faststart",
                    "-c:a",
                    "aac",
                    &proxy,
                ]);
                peer("ffmpeg", &args)
            },
        );
    }
}

fn probe_duration(file: &Path) -> f64 {
    let output = Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-show_entries",
            "format=duration",
            "-of",
            "csv=p=0",
        ])
        .arg(file)
        .output()
        .unwrap();
    String::from_utf8_lossy(&output.stdout)
        .trim()
        .parse()
        .unwrap()
}
