//! Recipes: what derivative to make, named by a stable key.
//!
//! A recipe key is part of every derivative's cache key ([`derivative_key`]): the same source bytes
//! and the same key are processed once. The key doubles as the derivative's file name. Each kind
//! carries a version (`v1`); a change to how a kind renders bumps it, so old derivatives are not
//! mistaken for new ones. Pinned by `tests/recipe_keys.rs`: never change a key's spelling.

use std::fmt;
use std::str::FromStr;

use bifrost_core::ContentId;
use serde::{Deserialize, Serialize};

use crate::MediaError;

/// The still-image format of a thumbnail, poster or filmstrip.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StillFormat {
    /// Baseline JPEG, quality 85; transparent parts are put on white.
    Jpeg,
    /// PNG (fast compression), keeps transparency.
    Png,
    /// Lossless WebP, keeps transparency.
    Webp,
}

impl StillFormat {
    /// The file extension, also the last part of a recipe key.
    pub fn extension(self) -> &'static str {
        match self {
            StillFormat::Jpeg => "jpg",
            StillFormat::Png => "png",
            StillFormat::Webp => "webp",
        }
    }

    /// The MIME type to serve it with.
    pub fn mime(self) -> &'static str {
        match self {
            StillFormat::Jpeg => "image/jpeg",
            StillFormat::Png => "image/png",
            StillFormat::Webp => "image/webp",
        }
    }

    fn from_extension(ext: &str) -> Option<Self> {
        match ext {
            "jpg" => Some(StillFormat::Jpeg),
            "png" => Some(StillFormat::Png),
            "webp" => Some(StillFormat::Webp),
            _ => None,
        }
    }
}

/// A frame rate as a fraction (24, 25, 30000/1001, ...).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct FrameRate {
    pub num: u32,
    pub den: u32,
}

impl FrameRate {
    /// A whole number of frames per second.
    pub const fn whole(fps: u32) -> Self {
        FrameRate { num: fps, den: 1 }
    }
}

impl fmt::Display for FrameRate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.den == 1 {
            write!(f, "{}", self.num)
        } else {
            write!(f, "{}/{}", self.num, self.den)
        }
    }
}

/// What derivative to make.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Recipe {
    /// A small still that fits in `max_px` × `max_px` (aspect kept, never enlarged). Of a video:
    /// its poster frame; of an image sequence: its first frame.
    Thumbnail { max_px: u32, format: StillFormat },
    /// A large still, as [`Recipe::Thumbnail`] but meant for a viewer (a video's poster frame,
    /// one second in, past a slate's first frame and a fade from black).
    Poster { max_px: u32, format: StillFormat },
    /// `frames` frames spread evenly over a video or sequence, each `height` pixels high,
    /// side by side in one image.
    Filmstrip {
        frames: u32,
        height: u32,
        format: StillFormat,
    },
    /// An H.264 MP4 a browser plays: yuv420p, `+faststart`, even dimensions, at most `height`
    /// pixels high (never enlarged), AAC stereo audio when the source has sound.
    ProxyH264 { height: u32 },
    /// An image sequence (`shot.####.exr`) as an H.264 MP4 at `fps`; a missing frame number holds
    /// the frame before it, so timing stays true to the frame numbers.
    SequenceProxy { height: u32, fps: FrameRate },
}

const MAX_STILL_PX: u32 = 8192;
const MAX_FILMSTRIP_FRAMES: u32 = 64;
const MAX_VIDEO_HEIGHT: u32 = 4320;

impl Recipe {
    /// The default grid thumbnail: 256 px JPEG.
    pub const THUMBNAIL: Recipe = Recipe::Thumbnail {
        max_px: 256,
        format: StillFormat::Jpeg,
    };
    /// The default poster: 1280 px JPEG.
    pub const POSTER: Recipe = Recipe::Poster {
        max_px: 1280,
        format: StillFormat::Jpeg,
    };
    /// The default filmstrip: 8 frames, 120 px high, JPEG.
    pub const FILMSTRIP: Recipe = Recipe::Filmstrip {
        frames: 8,
        height: 120,
        format: StillFormat::Jpeg,
    };
    /// The default browser proxy: 720p H.264.
    pub const PROXY: Recipe = Recipe::ProxyH264 { height: 720 };
    /// The default sequence proxy: 720p H.264 at 24 fps.
    pub const SEQUENCE_PROXY: Recipe = Recipe::SequenceProxy {
        height: 720,
        fps: FrameRate::whole(24),
    };

    /// A short name of the kind, for messages.
    pub fn kind_name(&self) -> &'static str {
        match self {
            Recipe::Thumbnail { .. } => "thumbnail",
            Recipe::Poster { .. } => "poster",
            Recipe::Filmstrip { .. } => "filmstrip",
            Recipe::ProxyH264 { .. } => "H.264 proxy",
            Recipe::SequenceProxy { .. } => "sequence proxy",
        }
    }

    /// The stable key, e.g. `thumbnail-v1-256px.jpg`; also the derivative's file name.
    pub fn recipe_key(&self) -> String {
        match *self {
            Recipe::Thumbnail { max_px, format } => {
                format!("thumbnail-v1-{max_px}px.{}", format.extension())
            }
            Recipe::Poster { max_px, format } => {
                format!("poster-v1-{max_px}px.{}", format.extension())
            }
            Recipe::Filmstrip {
                frames,
                height,
                format,
            } => format!("filmstrip-v1-{frames}x{height}px.{}", format.extension()),
            Recipe::ProxyH264 { height } => format!("proxy-h264-v1-{height}p.mp4"),
            Recipe::SequenceProxy { height, fps } => {
                format!(
                    "sequence-proxy-h264-v1-{height}p-{}_{}fps.mp4",
                    fps.num, fps.den
                )
            }
        }
    }

    /// The MIME type of what this recipe makes.
    pub fn mime(&self) -> &'static str {
        match self {
            Recipe::Thumbnail { format, .. }
            | Recipe::Poster { format, .. }
            | Recipe::Filmstrip { format, .. } => format.mime(),
            Recipe::ProxyH264 { .. } | Recipe::SequenceProxy { .. } => "video/mp4",
        }
    }

    /// Checks the parameters are in range (a 0 px thumbnail, 10,000 filmstrip frames...).
    pub fn validate(&self) -> Result<(), MediaError> {
        let bad = |reason: String| Err(MediaError::BadRecipe { reason });
        match *self {
            Recipe::Thumbnail { max_px, .. } | Recipe::Poster { max_px, .. }
                if !(1..=MAX_STILL_PX).contains(&max_px) =>
            {
                bad(format!("max_px must be 1 to {MAX_STILL_PX}, not {max_px}"))
            }
            Recipe::Filmstrip { frames, .. } if !(1..=MAX_FILMSTRIP_FRAMES).contains(&frames) => {
                bad(format!(
                    "a filmstrip has 1 to {MAX_FILMSTRIP_FRAMES} frames, not {frames}"
                ))
            }
            Recipe::Filmstrip { height, .. } if !(2..=MAX_STILL_PX).contains(&height) => bad(
                format!("a filmstrip is 2 to {MAX_STILL_PX} px high, not {height}"),
            ),
            Recipe::ProxyH264 { height } | Recipe::SequenceProxy { height, .. }
                if !(2..=MAX_VIDEO_HEIGHT).contains(&height) || height % 2 != 0 =>
            {
                bad(format!(
                    "a proxy's height must be even, 2 to {MAX_VIDEO_HEIGHT}, not {height}"
                ))
            }
            Recipe::SequenceProxy { fps, .. }
                if fps.num == 0 || fps.den == 0 || fps.num / fps.den > 240 =>
            {
                bad(format!(
                    "a sequence's frame rate must be above 0 and at most 240, not {fps}"
                ))
            }
            _ => Ok(()),
        }
    }
}

impl fmt::Display for Recipe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.recipe_key())
    }
}

impl FromStr for Recipe {
    type Err = MediaError;

    /// Parses a recipe key back (`thumbnail-v1-256px.jpg`), so a CLI or URL can name one.
    fn from_str(key: &str) -> Result<Self, Self::Err> {
        let bad = || MediaError::BadRecipe {
            reason: format!(
                "`{key}` is not a recipe key (e.g. thumbnail-v1-256px.jpg, poster-v1-1280px.jpg, \
                 filmstrip-v1-8x120px.jpg, proxy-h264-v1-720p.mp4, sequence-proxy-h264-v1-720p-24_1fps.mp4)"
            ),
        };
        let number = |s: &str| s.parse::<u32>().ok().filter(|_| !s.starts_with('+'));
        let recipe = if let Some(rest) = key.strip_prefix("thumbnail-v1-") {
            still(rest).and_then(|(px, format)| {
                Some(Recipe::Thumbnail {
                    max_px: number(px)?,
                    format,
                })
            })
        } else if let Some(rest) = key.strip_prefix("poster-v1-") {
            still(rest).and_then(|(px, format)| {
                Some(Recipe::Poster {
                    max_px: number(px)?,
                    format,
                })
            })
        } else if let Some(rest) = key.strip_prefix("filmstrip-v1-") {
            still(rest).and_then(|(body, format)| {
                let (frames, height) = body.split_once('x')?;
                Some(Recipe::Filmstrip {
                    frames: number(frames)?,
                    height: number(height)?,
                    format,
                })
            })
        } else if let Some(rest) = key.strip_prefix("proxy-h264-v1-") {
            let height = rest.strip_suffix("p.mp4").and_then(number);
            height.map(|height| Recipe::ProxyH264 { height })
        } else if let Some(rest) = key.strip_prefix("sequence-proxy-h264-v1-") {
            rest.strip_suffix("fps.mp4").and_then(|body| {
                let (height, fps) = body.split_once("p-")?;
                let (num, den) = fps.split_once('_')?;
                Some(Recipe::SequenceProxy {
                    height: number(height)?,
                    fps: FrameRate {
                        num: number(num)?,
                        den: number(den)?,
                    },
                })
            })
        } else {
            None
        };
        let recipe = recipe.ok_or_else(bad)?;
        // Only the canonical spelling parses (no `0256px`), so key ↔ recipe is one to one.
        if recipe.recipe_key() != key {
            return Err(bad());
        }
        recipe.validate()?;
        Ok(recipe)
    }
}

/// `256px.jpg` as (`256`, JPEG).
fn still(rest: &str) -> Option<(&str, StillFormat)> {
    let (body, ext) = rest.rsplit_once('.')?;
    Some((body.strip_suffix("px")?, StillFormat::from_extension(ext)?))
}

/// The cache key of one derivative: the source's content id and the recipe key,
/// `<content hex>/<recipe key>`. The same bytes under any asset map to the same key, so a
/// derivative is made once; the key is also a safe relative path for storing it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct DerivativeKey(String);

impl DerivativeKey {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for DerivativeKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The cache key of `recipe` applied to the bytes whose id is `source`.
pub fn derivative_key(source: &ContentId, recipe: &Recipe) -> DerivativeKey {
    DerivativeKey(format!("{}/{}", source.to_hex(), recipe.recipe_key()))
}
