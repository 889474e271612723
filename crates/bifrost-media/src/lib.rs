//! Media derivatives: thumbnails, posters, filmstrips and browser proxies from source bytes.
//!
//! The first pipeline of Bifrost's jobs. Standalone: it knows files and recipes, not catalogs,
//! versions or workers; the caller stores what it makes, keyed by [`derivative_key`] (source
//! content id + [`Recipe::recipe_key`]), so the same bytes are processed once however many assets
//! share them.
//!
//! - Stills are decoded in-process: PNG, JPEG (EXIF orientation applied), TIFF, WebP, GIF, BMP
//!   and the rest of what the `image` crate reads; OpenEXR through the `exr` crate, shrunk in
//!   linear light and tone-mapped to sRGB (see `tonemap.rs`). `fast_image_resize` shrinks.
//! - Movies go through FFmpeg and FFprobe as subprocesses (`apt-get install ffmpeg`), each with a
//!   time limit; image sequences (`shot.####.exr`, gaps held) are decoded here and piped to
//!   FFmpeg as raw frames.
//! - Output appears atomically: written to a temporary file in the output directory, renamed
//!   into place when complete.
//! - Failures are [`MediaError`]s with stable codes; undecodable input (including a decoder that
//!   panics) is [`MediaError::Undecodable`], never a crash, and [`placeholder`] gives the image to
//!   serve instead.
//!
//! ```no_run
//! use bifrost_media::{render, Input, Recipe};
//! let thumb = render(&Input::from("plate.exr"), &Recipe::THUMBNAIL, "derived".as_ref())?;
//! println!("{} {}x{} {}", thumb.path.display(), thumb.width, thumb.height, thumb.mime);
//! # Ok::<(), bifrost_media::MediaError>(())
//! ```

mod detect;
mod error;
mod output;
mod placeholder;
mod recipe;
mod render;
mod sequence;
mod still;
mod tonemap;
mod tool;
mod video;

pub use detect::{MediaKind, detect, detect_bytes};
pub use error::MediaError;
pub use placeholder::{Placeholder, placeholder};
pub use recipe::{DerivativeKey, FrameRate, Recipe, StillFormat, derivative_key};
pub use render::{Derivative, Input, Renderer, render};
pub use sequence::{Sequence, SequenceFrame};
