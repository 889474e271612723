//! Scene-linear (OpenEXR) values to 8-bit sRGB for display.
//!
//! Values up to [`KNEE`] pass unchanged, so an ordinary plate looks as it would clamped (0.18
//! grey lands on sRGB 118); above the knee an exponential shoulder rolls highlights off towards
//! 1.0 instead of clipping them flat, with the slope continuous at the knee (no banding edge).
//! Negative, NaN and infinite values become black or white. Per channel, so very bright colours
//! desaturate towards white as film does. A lookup table makes the sRGB curve cheap enough for
//! every pixel of a proxy frame.

use std::sync::OnceLock;

/// Where the shoulder starts.
pub(crate) const KNEE: f32 = 0.8;
const LUT_SIZE: usize = 1 << 14;

/// The display value (0–1, before the sRGB curve) of a scene-linear value.
pub(crate) fn shoulder(linear: f32) -> f32 {
    if linear.is_nan() || linear <= 0.0 {
        0.0
    } else if linear <= KNEE {
        linear
    } else if linear.is_infinite() {
        1.0
    } else {
        let span = 1.0 - KNEE;
        KNEE + span * (1.0 - (-(linear - KNEE) / span).exp())
    }
}

/// The sRGB transfer curve (IEC 61966-2-1) of a display value in 0–1.
pub(crate) fn srgb_encode(display: f32) -> f32 {
    if display <= 0.003_130_8 {
        display * 12.92
    } else {
        1.055 * display.powf(1.0 / 2.4) - 0.055
    }
}

fn lut() -> &'static [u8] {
    static LUT: OnceLock<Vec<u8>> = OnceLock::new();
    LUT.get_or_init(|| {
        (0..LUT_SIZE)
            .map(|i| {
                let display = i as f32 / (LUT_SIZE - 1) as f32;
                (srgb_encode(display) * 255.0 + 0.5).clamp(0.0, 255.0) as u8
            })
            .collect()
    })
}

/// One scene-linear channel value as an 8-bit sRGB code value.
pub(crate) fn to_srgb8(linear: f32) -> u8 {
    let display = shoulder(linear);
    lut()[(display * (LUT_SIZE - 1) as f32 + 0.5) as usize]
}

/// A premultiplied scene-linear RGBA pixel as straight-alpha 8-bit sRGB RGBA.
pub(crate) fn pixel_to_srgba8([r, g, b, a]: [f32; 4]) -> [u8; 4] {
    let alpha = if a.is_nan() { 0.0 } else { a.clamp(0.0, 1.0) };
    if alpha <= 0.0 {
        return [0, 0, 0, 0];
    }
    // Premultiplied (the OpenEXR convention) to straight, which PNG and WebP store.
    let unpremultiply = |c: f32| if alpha < 1.0 { c / alpha } else { c };
    [
        to_srgb8(unpremultiply(r)),
        to_srgb8(unpremultiply(g)),
        to_srgb8(unpremultiply(b)),
        (alpha * 255.0 + 0.5) as u8,
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mid_grey_white_and_black_land_where_srgb_puts_them() {
        assert_eq!(to_srgb8(0.0), 0);
        assert_eq!(to_srgb8(0.18), 118);
        assert_eq!(to_srgb8(0.5), 188);
        assert_eq!(to_srgb8(-3.0), 0);
        assert_eq!(to_srgb8(f32::NAN), 0);
        assert_eq!(to_srgb8(f32::INFINITY), 255);
    }

    #[test]
    fn highlights_roll_off_monotonically_without_clipping_early() {
        let values: Vec<u8> = [0.8f32, 1.0, 2.0, 4.0, 16.0]
            .iter()
            .map(|&v| to_srgb8(v))
            .collect();
        assert!(values.windows(2).all(|w| w[0] <= w[1]), "{values:?}");
        assert!(values[0] < values[1] && values[1] < values[2], "{values:?}");
        assert!(values[1] < 255, "1.0 is not yet white: {values:?}");
        // Slope continuity at the knee: just above it barely differs from the identity.
        assert!((shoulder(KNEE + 0.001) - (KNEE + 0.001)).abs() < 1e-5);
    }

    #[test]
    fn premultiplied_alpha_is_undone() {
        assert_eq!(
            pixel_to_srgba8([0.09, 0.09, 0.09, 0.5]),
            [118, 118, 118, 128]
        );
        assert_eq!(pixel_to_srgba8([1.0, 1.0, 1.0, 0.0]), [0, 0, 0, 0]);
    }
}
