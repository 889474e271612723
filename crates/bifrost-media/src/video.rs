//! Video through FFmpeg subprocesses: probe, a frame (poster), frames tiled (filmstrip), and
//! H.264 proxies, from a movie file or from decoded image-sequence frames piped in as raw RGB.

use std::ffi::OsString;
use std::io::Write;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use image::DynamicImage;
use rayon::prelude::*;
use tempfile::NamedTempFile;

use crate::MediaError;
use crate::recipe::FrameRate;
use crate::tool::Tool;

/// FFprobe answers in well under this for any file; a longer run is stuck on a strange input.
const PROBE_LIMIT: Duration = Duration::from_secs(30);
/// x264 speed preset and quality of proxies: `veryfast` is several times faster than the default
/// `medium` at a slightly larger file, the right trade for a preview made at every publish.
const X264_PRESET: &str = "veryfast";
const X264_CRF: &str = "23";

/// What FFprobe tells about a movie's first video stream.
#[derive(Clone, Debug)]
pub(crate) struct Probe {
    /// Display size: storage size with the pixel aspect and the rotation applied.
    pub width: u32,
    pub height: u32,
    pub duration: Option<f64>,
    pub has_audio: bool,
}

/// The size of the frames [`Ffmpeg::frames_at`] takes.
#[derive(Clone, Copy, Debug)]
pub(crate) enum FrameSize {
    Exact { width: u32, height: u32 },
    Fit { max_px: u32 },
}

/// FFmpeg and FFprobe with the time limit for long runs.
#[derive(Clone, Debug)]
pub(crate) struct Ffmpeg {
    pub ffmpeg: Tool,
    pub ffprobe: Tool,
    pub limit: Duration,
}

fn args<const N: usize>(items: [&str; N]) -> Vec<OsString> {
    items.iter().map(OsString::from).collect()
}

impl Ffmpeg {
    pub fn probe(&self, path: &Path) -> Result<Probe, MediaError> {
        let mut command = args([
            "-v",
            "error",
            "-show_entries",
            "format=duration:stream=codec_type,width,height,sample_aspect_ratio:stream_tags=rotate:stream_side_data=rotation",
            "-of",
            "json",
        ]);
        command.push(path.into());
        let output = self
            .ffprobe
            .run(&command, None, PROBE_LIMIT.min(self.limit))
            .map_err(|e| e.into_undecodable(path))?;
        let json: serde_json::Value = serde_json::from_slice(&output.stdout).map_err(|e| {
            MediaError::undecodable(path, format!("FFprobe's answer does not parse: {e}"))
        })?;
        let streams = json["streams"].as_array().cloned().unwrap_or_default();
        let video = streams
            .iter()
            .find(|s| s["codec_type"] == "video" && s["width"].as_u64().unwrap_or(0) > 0)
            .ok_or_else(|| MediaError::undecodable(path, "it has no video stream"))?;
        let (mut width, mut height) = (
            video["width"].as_u64().unwrap_or(0) as f64,
            video["height"].as_u64().unwrap_or(0) as f64,
        );
        if let Some((num, den)) = video["sample_aspect_ratio"]
            .as_str()
            .and_then(|sar| sar.split_once(':'))
            .and_then(|(n, d)| Some((n.parse::<f64>().ok()?, d.parse::<f64>().ok()?)))
            .filter(|&(n, d)| n > 0.0 && d > 0.0)
        {
            width = width * num / den;
        }
        let rotation = video["side_data_list"]
            .as_array()
            .and_then(|list| list.iter().find_map(|d| d["rotation"].as_f64()))
            .or_else(|| {
                video["tags"]["rotate"]
                    .as_str()
                    .and_then(|r| r.parse().ok())
            })
            .unwrap_or(0.0);
        if (rotation.abs() - 90.0).abs() < 1.0 || (rotation.abs() - 270.0).abs() < 1.0 {
            std::mem::swap(&mut width, &mut height);
        }
        let duration = json["format"]["duration"]
            .as_str()
            .and_then(|d| d.parse::<f64>().ok())
            .filter(|d| d.is_finite() && *d > 0.0);
        Ok(Probe {
            width: (width.round() as u32).max(1),
            height: (height.round() as u32).max(1),
            duration,
            has_audio: streams.iter().any(|s| s["codec_type"] == "audio"),
        })
    }

    /// Frames of `path` at the given seconds, each scaled to `size`, side by side (one time: a
    /// single frame); `None` when the movie has no frame at a time. Seeks on the input side, so
    /// FFmpeg decodes from the keyframe before each time, not from the start.
    pub fn frames_at(
        &self,
        path: &Path,
        times: &[f64],
        size: FrameSize,
    ) -> Result<Option<DynamicImage>, MediaError> {
        let mut command = args(["-nostdin", "-hide_banner", "-loglevel", "error"]);
        for time in times {
            command.extend(args([
                "-ss",
                &format!("{time:.3}"),
                "-an",
                "-sn",
                "-dn",
                "-i",
            ]));
            command.push(path.into());
        }
        let scale = match size {
            FrameSize::Exact { width, height } => format!("scale={width}:{height}"),
            // Fits the box, aspect kept, never enlarged; FFmpeg works out the size (after any
            // rotation), and the PPM header tells it back.
            FrameSize::Fit { max_px } => format!(
                "scale='min({max_px},iw)':'min({max_px},ih)':force_original_aspect_ratio=decrease"
            ),
        };
        let mut graph = String::new();
        for index in 0..times.len() {
            graph.push_str(&format!(
                "[{index}:v:0]{scale}:flags=bicubic,setsar=1,format=rgb24[f{index}];"
            ));
        }
        if times.len() == 1 {
            graph.push_str("[f0]null[out]");
        } else {
            for index in 0..times.len() {
                graph.push_str(&format!("[f{index}]"));
            }
            graph.push_str(&format!("hstack=inputs={}[out]", times.len()));
        }
        command.extend(args([
            "-filter_complex",
            &graph,
            "-map",
            "[out]",
            "-frames:v",
            "1",
            "-c:v",
            "ppm",
            "-f",
            "image2pipe",
            "-",
        ]));
        let output = self
            .ffmpeg
            .run(&command, None, self.limit)
            .map_err(|e| e.into_undecodable(path))?;
        if output.stdout.is_empty() {
            return Ok(None);
        }
        image::load_from_memory_with_format(&output.stdout, image::ImageFormat::Pnm)
            .map(Some)
            .map_err(|e| MediaError::ToolFailed {
                tool: "ffmpeg",
                status: "unreadable output".to_string(),
                stderr_tail: e.to_string(),
            })
    }

    /// Frames at `times`, or (a movie shorter than that) its first frame.
    pub fn frames_at_or_first(
        &self,
        path: &Path,
        times: &[f64],
        size: FrameSize,
    ) -> Result<DynamicImage, MediaError> {
        if let Some(image) = self.frames_at(path, times, size)? {
            return Ok(image);
        }
        self.frames_at(path, &vec![0.0; times.len()], size)?
            .ok_or_else(|| MediaError::undecodable(path, "FFmpeg finds no video frame in it"))
    }

    /// `path` as a browser-playable H.264 MP4 of `width` × `height` (both even), written to
    /// `output`.
    pub fn proxy(
        &self,
        path: &Path,
        probe: &Probe,
        width: u32,
        height: u32,
        output: &NamedTempFile,
    ) -> Result<(), MediaError> {
        let mut command = args(["-nostdin", "-hide_banner", "-loglevel", "error", "-y", "-i"]);
        command.push(path.into());
        command.extend(args([
            "-map",
            "0:v:0",
            "-vf",
            &format!("scale={width}:{height}:flags=bicubic,setsar=1"),
            // The source's frames as they are: no frame duplicated or dropped to make the rate
            // constant (a Matroska source's millisecond timestamps would otherwise gain one).
            "-fps_mode",
            "passthrough",
        ]));
        command.extend(h264_args());
        if probe.has_audio {
            command.extend(args([
                "-map", "0:a:0", "-c:a", "aac", "-b:a", "128k", "-ac", "2",
            ]));
        }
        command.extend(args(["-f", "mp4"]));
        command.push(output.path().into());
        // FFprobe read the input, so a failure here is FFmpeg's, not the input's.
        self.ffmpeg
            .run(&command, None, self.limit)
            .map_err(|e| e.into_tool_failed("ffmpeg"))?;
        Ok(())
    }

    /// Raw RGB frames (each `width` × `height` × 3 bytes, made on demand by `frame(i)` for
    /// `i` in `0..count`, each shown `holds[i]` times) encoded as an H.264 MP4 at `fps`.
    pub fn encode_frames(
        &self,
        width: u32,
        height: u32,
        fps: FrameRate,
        holds: Vec<u64>,
        frame: Arc<dyn Fn(usize) -> Result<Vec<u8>, MediaError> + Send + Sync>,
        output: &NamedTempFile,
    ) -> Result<(), MediaError> {
        let mut command = args([
            "-nostdin",
            "-hide_banner",
            "-loglevel",
            "error",
            "-y",
            "-f",
            "rawvideo",
            "-pix_fmt",
            "rgb24",
            "-s",
            &format!("{width}x{height}"),
            "-framerate",
            &format!("{}/{}", fps.num, fps.den),
            "-i",
            "-",
            // The frames are sRGB; say so and convert with the BT.709 matrix browsers expect.
            "-vf",
            "scale=out_color_matrix=bt709:out_range=tv",
            "-color_primaries",
            "bt709",
            "-color_trc",
            "bt709",
            "-colorspace",
            "bt709",
        ]);
        command.extend(h264_args());
        command.extend(args(["-f", "mp4"]));
        command.push(output.path().into());

        let failure: Arc<Mutex<Option<MediaError>>> = Arc::default();
        let failure_slot = Arc::clone(&failure);
        let feed = move |pipe: &mut dyn Write| -> std::io::Result<()> {
            let batch = rayon::current_num_threads().max(1) * 2;
            let indices: Vec<usize> = (0..holds.len()).collect();
            for chunk in indices.chunks(batch) {
                let decoded: Result<Vec<Vec<u8>>, MediaError> =
                    chunk.par_iter().map(|&i| frame(i)).collect();
                match decoded {
                    Ok(frames) => {
                        for (&i, pixels) in chunk.iter().zip(frames) {
                            for _ in 0..holds[i] {
                                pipe.write_all(&pixels)?;
                            }
                        }
                    }
                    Err(e) => {
                        *failure_slot.lock().unwrap_or_else(|p| p.into_inner()) = Some(e);
                        return Ok(());
                    }
                }
            }
            Ok(())
        };
        let ran = self.ffmpeg.run(&command, Some(Box::new(feed)), self.limit);
        if let Some(e) = failure.lock().unwrap_or_else(|p| p.into_inner()).take() {
            return Err(e);
        }
        ran.map_err(|e| e.into_tool_failed("ffmpeg"))?;
        Ok(())
    }
}

fn h264_args() -> Vec<OsString> {
    args([
        "-c:v",
        "libx264",
        "-preset",
        X264_PRESET,
        "-crf",
        X264_CRF,
        "-profile:v",
        "high",
        "-pix_fmt",
        "yuv420p",
        "-movflags",
        "+faststart",
    ])
}

/// The even size at most `max_height` high (never enlarged) with the aspect of
/// `width` × `height`, for H.264 in yuv420p.
pub(crate) fn even_size(width: u32, height: u32, max_height: u32) -> (u32, u32) {
    let out_h = (max_height.min(height) & !1).max(2);
    let out_w =
        ((width as f64 * out_h as f64 / height.max(1) as f64 / 2.0).round() as u32 * 2).max(2);
    (out_w, out_h)
}
