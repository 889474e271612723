//! The stand-in served when a derivative cannot be made: a small valid image, so a grid or a
//! viewer shows "no preview" instead of a broken link, and a worker records the failure once
//! instead of retrying undecodable bytes forever.

use image::{DynamicImage, Rgb, RgbImage};

use crate::recipe::{Recipe, StillFormat};
use crate::still;

/// A placeholder image, ready to store or serve.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Placeholder {
    pub bytes: Vec<u8>,
    pub mime: &'static str,
    pub width: u32,
    pub height: u32,
}

const BACKGROUND: Rgb<u8> = Rgb([48, 48, 52]);
const MARK: Rgb<u8> = Rgb([110, 110, 118]);
/// Bounds the placeholder's size whatever the recipe asks (an 8K poster needs no 8K stand-in).
const MAX_SIDE: u32 = 640;

/// The placeholder for `recipe`: a dark 16:9 card with a crossed frame, in the recipe's still
/// format (PNG for video recipes, whose stand-in is an image), sized like the derivative it
/// stands in for.
pub fn placeholder(recipe: &Recipe) -> Placeholder {
    let (width, height, format) = match *recipe {
        Recipe::Thumbnail { max_px, format } | Recipe::Poster { max_px, format } => {
            let side = max_px.clamp(16, MAX_SIDE);
            (side, (side * 9 / 16).max(9), format)
        }
        Recipe::Filmstrip {
            frames,
            height,
            format,
        } => {
            let height = height.clamp(9, MAX_SIDE / 4);
            (
                (frames * height * 16 / 9).clamp(16, MAX_SIDE * 2),
                height,
                format,
            )
        }
        Recipe::ProxyH264 { .. } | Recipe::SequenceProxy { .. } => (320, 180, StillFormat::Png),
    };
    let mut card = RgbImage::from_pixel(width, height, BACKGROUND);
    let inset = (height / 6).max(2);
    let (left, top, right, bottom) = (inset, inset, width - 1 - inset, height - 1 - inset);
    for x in left..=right {
        card.put_pixel(x, top, MARK);
        card.put_pixel(x, bottom, MARK);
        // The two diagonals of the frame.
        let t = (x - left) as f64 / (right - left).max(1) as f64;
        let y = top + (t * (bottom - top) as f64).round() as u32;
        card.put_pixel(x, y, MARK);
        card.put_pixel(x, bottom - (y - top), MARK);
    }
    for y in top..=bottom {
        card.put_pixel(left, y, MARK);
        card.put_pixel(right, y, MARK);
    }
    let bytes = still::encode(DynamicImage::ImageRgb8(card), format)
        .unwrap_or_else(|_| unreachable!("encoding an in-memory RGB image cannot fail"));
    Placeholder {
        bytes,
        mime: format.mime(),
        width,
        height,
    }
}
