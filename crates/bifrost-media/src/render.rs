//! Turning one input and one recipe into one derivative file.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use image::{DynamicImage, GenericImage, RgbImage};
use rayon::prelude::*;

use crate::detect::{MediaKind, detect};
use crate::recipe::{Recipe, StillFormat};
use crate::sequence::Sequence;
use crate::tool::Tool;
use crate::video::{Ffmpeg, FrameSize, Probe, even_size};
use crate::{MediaError, output, still};

/// What to make a derivative of: one file, or an image sequence.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Input {
    File(PathBuf),
    Sequence(Sequence),
}

impl From<&Path> for Input {
    fn from(path: &Path) -> Self {
        Input::File(path.to_path_buf())
    }
}

impl From<PathBuf> for Input {
    fn from(path: PathBuf) -> Self {
        Input::File(path)
    }
}

impl From<&str> for Input {
    fn from(path: &str) -> Self {
        Input::File(PathBuf::from(path))
    }
}

impl From<Sequence> for Input {
    fn from(sequence: Sequence) -> Self {
        Input::Sequence(sequence)
    }
}

/// A derivative written to disk.
#[derive(Clone, Debug, PartialEq)]
pub struct Derivative {
    /// `out_dir/<recipe key>`.
    pub path: PathBuf,
    pub recipe: Recipe,
    pub mime: &'static str,
    pub width: u32,
    pub height: u32,
    /// Size of the file in bytes.
    pub bytes: u64,
    /// Length of a proxy movie in seconds (stills: `None`).
    pub duration: Option<f64>,
    /// What the input was (an image sequence: its first frame's kind).
    pub source: MediaKind,
}

/// Makes derivatives; holds where FFmpeg is and how long it may run.
#[derive(Clone, Debug)]
pub struct Renderer {
    ffmpeg: Ffmpeg,
}

impl Default for Renderer {
    /// FFmpeg and FFprobe from `BIFROST_FFMPEG` / `BIFROST_FFPROBE`, else from `PATH`; ten
    /// minutes for one FFmpeg run.
    fn default() -> Self {
        let program = |var: &str, name: &str| {
            std::env::var_os(var)
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from(name))
        };
        Renderer::new(
            program("BIFROST_FFMPEG", "ffmpeg"),
            program("BIFROST_FFPROBE", "ffprobe"),
            Duration::from_secs(600),
        )
    }
}

/// Makes `recipe` of `input` in `out_dir` with the default [`Renderer`].
pub fn render(input: &Input, recipe: &Recipe, out_dir: &Path) -> Result<Derivative, MediaError> {
    Renderer::default().render(input, recipe, out_dir)
}

impl Renderer {
    /// A renderer running these FFmpeg and FFprobe programs, stopping any run after `limit`.
    pub fn new(ffmpeg: impl Into<PathBuf>, ffprobe: impl Into<PathBuf>, limit: Duration) -> Self {
        Renderer {
            ffmpeg: Ffmpeg {
                ffmpeg: Tool {
                    name: "ffmpeg",
                    program: ffmpeg.into(),
                },
                ffprobe: Tool {
                    name: "ffprobe",
                    program: ffprobe.into(),
                },
                limit,
            },
        }
    }

    /// Makes `recipe` of `input`, written atomically to `out_dir/<recipe key>`.
    pub fn render(
        &self,
        input: &Input,
        recipe: &Recipe,
        out_dir: &Path,
    ) -> Result<Derivative, MediaError> {
        recipe.validate()?;
        match input {
            Input::File(path) => {
                let kind = detect(path)?;
                match kind {
                    MediaKind::Image(_) | MediaKind::Exr => self.still(path, kind, recipe, out_dir),
                    MediaKind::Video => self.video(path, recipe, out_dir),
                    MediaKind::Unknown => Err(MediaError::undecodable(
                        path,
                        "not an image or video format Bifrost reads (checked by its first bytes)",
                    )),
                }
            }
            Input::Sequence(sequence) => self.sequence(sequence, recipe, out_dir),
        }
    }

    fn still(
        &self,
        path: &Path,
        kind: MediaKind,
        recipe: &Recipe,
        out_dir: &Path,
    ) -> Result<Derivative, MediaError> {
        let (max_px, format) = match *recipe {
            Recipe::Thumbnail { max_px, format } | Recipe::Poster { max_px, format } => {
                (max_px, format)
            }
            Recipe::Filmstrip { .. } | Recipe::ProxyH264 { .. } | Recipe::SequenceProxy { .. } => {
                return Err(not_applicable(
                    recipe,
                    kind,
                    "a still image has a thumbnail or a poster",
                ));
            }
        };
        let picture = still::decode(path, kind)?;
        let (width, height) = picture.dimensions();
        let (width, height) = still::fit(width, height, max_px, max_px);
        let image =
            still::resize(&picture, width, height).map_err(|e| MediaError::undecodable(path, e))?;
        write_still(image, format, recipe, kind, out_dir)
    }

    fn video(
        &self,
        path: &Path,
        recipe: &Recipe,
        out_dir: &Path,
    ) -> Result<Derivative, MediaError> {
        match *recipe {
            Recipe::Thumbnail { max_px, format } | Recipe::Poster { max_px, format } => {
                // One FFmpeg run, no FFprobe (starting a second process costs as much as the seek).
                let image = self.ffmpeg.frames_at_or_first(
                    path,
                    &[POSTER_TIME],
                    FrameSize::Fit { max_px },
                )?;
                write_still(image, format, recipe, MediaKind::Video, out_dir)
            }
            Recipe::Filmstrip {
                frames,
                height,
                format,
            } => {
                let probe = self.ffmpeg.probe(path)?;
                let width = frame_width(probe.width, probe.height, height);
                let times = filmstrip_times(&probe, frames);
                let image = self.ffmpeg.frames_at_or_first(
                    path,
                    &times,
                    FrameSize::Exact { width, height },
                )?;
                write_still(image, format, recipe, MediaKind::Video, out_dir)
            }
            Recipe::ProxyH264 { height } => {
                let probe = self.ffmpeg.probe(path)?;
                let (width, height) = even_size(probe.width, probe.height, height);
                let temporary = output::temporary(out_dir, ".mp4")?;
                self.ffmpeg.proxy(path, &probe, width, height, &temporary)?;
                let (path, bytes) = output::publish(temporary, out_dir, &recipe.recipe_key())?;
                Ok(Derivative {
                    path,
                    recipe: *recipe,
                    mime: recipe.mime(),
                    width,
                    height,
                    bytes,
                    duration: probe.duration,
                    source: MediaKind::Video,
                })
            }
            Recipe::SequenceProxy { .. } => Err(not_applicable(
                recipe,
                MediaKind::Video,
                "a movie file's proxy is proxy_h264; sequence_proxy is for image sequences",
            )),
        }
    }

    fn sequence(
        &self,
        sequence: &Sequence,
        recipe: &Recipe,
        out_dir: &Path,
    ) -> Result<Derivative, MediaError> {
        let frames = sequence.frames();
        let first = frames.first().ok_or_else(|| MediaError::EmptySequence {
            pattern: sequence.pattern().to_string(),
        })?;
        let kind = detect(&first.path)?;
        if !kind.is_still() {
            return Err(MediaError::undecodable(
                &first.path,
                "a sequence frame must be a still image (EXR, PNG, TIFF, JPEG, ...)",
            ));
        }
        match *recipe {
            Recipe::Thumbnail { .. } | Recipe::Poster { .. } => {
                let mut derivative = self.still(&first.path, kind, recipe, out_dir)?;
                derivative.source = kind;
                Ok(derivative)
            }
            Recipe::Filmstrip {
                frames: count,
                height,
                format,
            } => {
                let picked: Vec<&Path> = (0..count as usize)
                    .map(|i| {
                        let index = if count == 1 {
                            0
                        } else {
                            i * (frames.len() - 1) / (count as usize - 1)
                        };
                        frames[index].path.as_path()
                    })
                    .collect();
                let tiles: Vec<RgbImage> = picked
                    .par_iter()
                    .map(|path| {
                        let kind = detect(path)?;
                        let picture = still::decode(path, kind)?;
                        let (w, h) = picture.dimensions();
                        let tile = still::resize(&picture, frame_width(w, h, height), height)
                            .map_err(|e| MediaError::undecodable(*path, e))?;
                        Ok(still::flatten(tile).to_rgb8())
                    })
                    .collect::<Result<_, MediaError>>()?;
                let width = tiles.iter().map(|t| t.width()).sum();
                let mut strip = RgbImage::new(width, height);
                let mut x = 0;
                for tile in &tiles {
                    strip
                        .copy_from(tile, x, 0)
                        .map_err(|e| MediaError::undecodable(&first.path, e))?;
                    x += tile.width();
                }
                write_still(
                    DynamicImage::ImageRgb8(strip),
                    format,
                    recipe,
                    kind,
                    out_dir,
                )
            }
            Recipe::SequenceProxy { height, fps } => {
                let picture = still::decode(&first.path, kind)?;
                let (source_w, source_h) = picture.dimensions();
                let (width, height) = even_size(source_w, source_h, height);
                let paths: Vec<PathBuf> = frames.iter().map(|f| f.path.clone()).collect();
                let frame = Arc::new(move |index: usize| -> Result<Vec<u8>, MediaError> {
                    let path = &paths[index];
                    let picture = still::decode(path, detect(path)?)?;
                    let image = still::resize(&picture, width, height)
                        .map_err(|e| MediaError::undecodable(path, e))?;
                    Ok(still::flatten(image).to_rgb8().into_raw())
                });
                let holds = sequence.hold_counts();
                let shown: u64 = holds.iter().sum();
                let temporary = output::temporary(out_dir, ".mp4")?;
                self.ffmpeg
                    .encode_frames(width, height, fps, holds, frame, &temporary)?;
                let (path, bytes) = output::publish(temporary, out_dir, &recipe.recipe_key())?;
                Ok(Derivative {
                    path,
                    recipe: *recipe,
                    mime: recipe.mime(),
                    width,
                    height,
                    bytes,
                    duration: Some(shown as f64 * fps.den as f64 / fps.num as f64),
                    source: kind,
                })
            }
            Recipe::ProxyH264 { .. } => Err(not_applicable(
                recipe,
                kind,
                "an image sequence's proxy is sequence_proxy (it needs a frame rate)",
            )),
        }
    }
}

fn not_applicable(recipe: &Recipe, kind: MediaKind, hint: &'static str) -> MediaError {
    MediaError::NotApplicable {
        recipe: recipe.kind_name(),
        input: kind.describe(),
        hint,
    }
}

fn write_still(
    image: DynamicImage,
    format: StillFormat,
    recipe: &Recipe,
    source: MediaKind,
    out_dir: &Path,
) -> Result<Derivative, MediaError> {
    let (width, height) = (image.width(), image.height());
    let bytes = still::encode(image, format).map_err(|e| {
        MediaError::io(
            "cannot encode",
            recipe.recipe_key(),
            std::io::Error::other(e),
        )
    })?;
    let (path, size) = output::write(out_dir, &recipe.recipe_key(), &bytes)?;
    Ok(Derivative {
        path,
        recipe: *recipe,
        mime: recipe.mime(),
        width,
        height,
        bytes: size,
        duration: None,
        source,
    })
}

/// The width of a frame `height` high with the aspect of `width` × `source_height`.
fn frame_width(width: u32, source_height: u32, height: u32) -> u32 {
    ((width as f64 * height as f64 / source_height.max(1) as f64).round() as u32).max(1)
}

/// Where a movie's poster frame is, in seconds: one second in, past a slate's first frame and a
/// fade from black (a shorter movie: its first frame).
const POSTER_TIME: f64 = 1.0;

/// The middles of `count` equal spans of the movie (never its very end, which may hold no frame).
fn filmstrip_times(probe: &Probe, count: u32) -> Vec<f64> {
    let duration = probe.duration.unwrap_or(0.0);
    (0..count)
        .map(|i| duration * (i as f64 + 0.5) / count as f64)
        .collect()
}
