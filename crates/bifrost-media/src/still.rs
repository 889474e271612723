//! Still images in-process: decode (the `image` crate, or `exr` for OpenEXR), shrink with
//! `fast_image_resize` (SIMD convolution), encode JPEG, PNG or WebP.

use std::io::Cursor;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;

use fast_image_resize::images::Image as ResizeImage;
use fast_image_resize::{FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer};
use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::{CompressionType, PngEncoder};
use image::codecs::webp::WebPEncoder;
use image::{DynamicImage, ImageBuffer, ImageDecoder, ImageReader};

use crate::detect::MediaKind;
use crate::recipe::StillFormat;
use crate::{MediaError, tonemap};

/// JPEG quality of thumbnails, posters and filmstrips.
const JPEG_QUALITY: u8 = 85;

/// A decoded picture, before shrinking.
pub(crate) enum Picture {
    /// Display-referred 8-bit (L8, La8, Rgb8 or Rgba8), EXIF orientation already applied.
    Display(DynamicImage),
    /// Scene-linear, premultiplied RGBA f32, from OpenEXR; shrunk in linear light, tone-mapped
    /// after (cheaper, and the right space to average light in).
    Linear {
        width: u32,
        height: u32,
        rgba: Vec<f32>,
    },
}

impl Picture {
    pub fn dimensions(&self) -> (u32, u32) {
        match self {
            Picture::Display(image) => (image.width(), image.height()),
            Picture::Linear { width, height, .. } => (*width, *height),
        }
    }
}

/// Decodes the still at `path`; undecodable input (and a decoder that panics on it) is
/// [`MediaError::Undecodable`].
pub(crate) fn decode(path: &Path, kind: MediaKind) -> Result<Picture, MediaError> {
    let bytes = std::fs::read(path).map_err(|e| MediaError::io("cannot read", path, e))?;
    let decoded = catch_unwind(AssertUnwindSafe(|| match kind {
        MediaKind::Exr => decode_exr(&bytes),
        MediaKind::Image(format) => decode_image(&bytes, format),
        MediaKind::Video | MediaKind::Unknown => {
            Err("not a recognised still image format".to_string())
        }
    }));
    match decoded {
        Ok(Ok(picture)) => Ok(picture),
        Ok(Err(reason)) => Err(MediaError::undecodable(path, reason)),
        Err(panic) => {
            let message = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            Err(MediaError::undecodable(
                path,
                format!("the decoder crashed on it ({message})"),
            ))
        }
    }
}

fn decode_image(bytes: &[u8], format: image::ImageFormat) -> Result<Picture, String> {
    let mut decoder = ImageReader::with_format(Cursor::new(bytes), format)
        .into_decoder()
        .map_err(|e| e.to_string())?;
    let orientation = decoder
        .orientation()
        .unwrap_or(image::metadata::Orientation::NoTransforms);
    let mut image = DynamicImage::from_decoder(decoder).map_err(|e| e.to_string())?;
    image.apply_orientation(orientation);
    // The resizer and encoders work on 8 bits; deeper images are reduced once, here.
    let image = match image {
        DynamicImage::ImageLuma8(_)
        | DynamicImage::ImageLumaA8(_)
        | DynamicImage::ImageRgb8(_)
        | DynamicImage::ImageRgba8(_) => image,
        other if other.color().has_alpha() => DynamicImage::ImageRgba8(other.to_rgba8()),
        other => DynamicImage::ImageRgb8(other.to_rgb8()),
    };
    Ok(Picture::Display(image))
}

fn decode_exr(bytes: &[u8]) -> Result<Picture, String> {
    use exr::prelude::*;
    struct Pixels {
        width: usize,
        rgba: Vec<f32>,
    }
    let image = read()
        .no_deep_data()
        .largest_resolution_level()
        .rgba_channels(
            |size: Vec2<usize>, _: &RgbaChannels| Pixels {
                width: size.width(),
                rgba: vec![0.0; size.area() * 4],
            },
            |pixels: &mut Pixels, at: Vec2<usize>, (r, g, b, a): (f32, f32, f32, f32)| {
                let offset = (at.y() * pixels.width + at.x()) * 4;
                pixels.rgba[offset..offset + 4].copy_from_slice(&[r, g, b, a]);
            },
        )
        .first_valid_layer()
        .all_attributes()
        .from_buffered(Cursor::new(bytes))
        .map_err(|e| e.to_string())?;
    let size = image.layer_data.size;
    let (width, height) = (
        u32::try_from(size.width()).map_err(|e| e.to_string())?,
        u32::try_from(size.height()).map_err(|e| e.to_string())?,
    );
    if width == 0 || height == 0 {
        return Err("the image has no pixels".to_string());
    }
    Ok(Picture::Linear {
        width,
        height,
        rgba: image.layer_data.channel_data.pixels.rgba,
    })
}

/// The size that fits `(width, height)` inside `max_w` × `max_h`, aspect kept, never enlarged,
/// at least one pixel each way.
pub(crate) fn fit(width: u32, height: u32, max_w: u32, max_h: u32) -> (u32, u32) {
    if width <= max_w && height <= max_h {
        return (width.max(1), height.max(1));
    }
    let scale = f64::min(max_w as f64 / width as f64, max_h as f64 / height as f64);
    let w = ((width as f64 * scale).round() as u32).clamp(1, max_w);
    let h = ((height as f64 * scale).round() as u32).clamp(1, max_h);
    (w, h)
}

/// `picture` resized to exactly `width` × `height`, as display-referred 8-bit.
pub(crate) fn resize(picture: &Picture, width: u32, height: u32) -> Result<DynamicImage, String> {
    let options = ResizeOptions::new().resize_alg(ResizeAlg::Convolution(FilterType::CatmullRom));
    let mut resizer = Resizer::new();
    match picture {
        Picture::Display(image) => {
            if (image.width(), image.height()) == (width, height) {
                return Ok(image.clone());
            }
            let pixel_type = match image {
                DynamicImage::ImageLuma8(_) => PixelType::U8,
                DynamicImage::ImageLumaA8(_) => PixelType::U8x2,
                DynamicImage::ImageRgb8(_) => PixelType::U8x3,
                _ => PixelType::U8x4,
            };
            let mut target = ResizeImage::new(width, height, pixel_type);
            resizer
                .resize(image, &mut target, &options)
                .map_err(|e| e.to_string())?;
            let pixels = target.into_vec();
            let image = match pixel_type {
                PixelType::U8 => {
                    ImageBuffer::from_raw(width, height, pixels).map(DynamicImage::ImageLuma8)
                }
                PixelType::U8x2 => {
                    ImageBuffer::from_raw(width, height, pixels).map(DynamicImage::ImageLumaA8)
                }
                PixelType::U8x3 => {
                    ImageBuffer::from_raw(width, height, pixels).map(DynamicImage::ImageRgb8)
                }
                _ => ImageBuffer::from_raw(width, height, pixels).map(DynamicImage::ImageRgba8),
            };
            image.ok_or_else(|| "the resized image has the wrong size".to_string())
        }
        Picture::Linear {
            width: source_w,
            height: source_h,
            rgba: linear,
        } => {
            let bytes: &[u8] = bytemuck::cast_slice(linear);
            let source = fast_image_resize::images::ImageRef::new(
                *source_w,
                *source_h,
                bytes,
                PixelType::F32x4,
            )
            .map_err(|e| e.to_string())?;
            let mut target = ResizeImage::new(width, height, PixelType::F32x4);
            // Already premultiplied (OpenEXR's convention): no alpha multiply/divide around it.
            resizer
                .resize(&source, &mut target, &options.use_alpha(false))
                .map_err(|e| e.to_string())?;
            let mut rgba = Vec::with_capacity(width as usize * height as usize * 4);
            let mut opaque = true;
            for pixel in target.buffer().chunks_exact(16) {
                let channel = |i: usize| {
                    f32::from_ne_bytes(pixel[i * 4..i * 4 + 4].try_into().unwrap_or_default())
                };
                let srgba =
                    tonemap::pixel_to_srgba8([channel(0), channel(1), channel(2), channel(3)]);
                opaque &= srgba[3] == 255;
                rgba.extend_from_slice(&srgba);
            }
            let image = ImageBuffer::from_raw(width, height, rgba)
                .map(DynamicImage::ImageRgba8)
                .ok_or_else(|| "the resized image has the wrong size".to_string())?;
            Ok(if opaque {
                DynamicImage::ImageRgb8(image.to_rgb8())
            } else {
                image
            })
        }
    }
}

/// `image` without transparency: transparent parts put on white (for JPEG and video).
pub(crate) fn flatten(image: DynamicImage) -> DynamicImage {
    match image {
        DynamicImage::ImageLuma8(_) | DynamicImage::ImageRgb8(_) => image,
        DynamicImage::ImageLumaA8(la) => {
            let mut rgba = DynamicImage::ImageLumaA8(la).to_rgba8();
            put_on_white(&mut rgba);
            DynamicImage::ImageLuma8(DynamicImage::ImageRgba8(rgba).to_luma8())
        }
        other => {
            let mut rgba = other.to_rgba8();
            put_on_white(&mut rgba);
            DynamicImage::ImageRgb8(DynamicImage::ImageRgba8(rgba).to_rgb8())
        }
    }
}

fn put_on_white(rgba: &mut image::RgbaImage) {
    for pixel in rgba.pixels_mut() {
        let alpha = pixel[3] as u32;
        for c in &mut pixel.0[..3] {
            *c = ((*c as u32 * alpha + 255 * (255 - alpha) + 127) / 255) as u8;
        }
        pixel[3] = 255;
    }
}

/// `image` encoded as `format`.
pub(crate) fn encode(image: DynamicImage, format: StillFormat) -> Result<Vec<u8>, String> {
    let mut bytes = Vec::new();
    let written = match format {
        StillFormat::Jpeg => flatten(image)
            .write_with_encoder(JpegEncoder::new_with_quality(&mut bytes, JPEG_QUALITY)),
        StillFormat::Png => image.write_with_encoder(PngEncoder::new_with_quality(
            &mut bytes,
            CompressionType::Fast,
            image::codecs::png::FilterType::Adaptive,
        )),
        StillFormat::Webp => image.write_with_encoder(WebPEncoder::new_lossless(&mut bytes)),
    };
    written.map_err(|e| e.to_string())?;
    Ok(bytes)
}
