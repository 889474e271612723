//! What kind of media a file holds, from its first bytes (the name's extension only breaks ties
//! for containers without a clear signature).

use std::io::Read;
use std::path::Path;

use crate::MediaError;

/// The kind of media a file holds, as far as its first bytes tell.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MediaKind {
    /// A still image the `image` crate decodes (PNG, JPEG, TIFF, WebP, GIF, BMP, ...).
    Image(image::ImageFormat),
    /// An OpenEXR image (scene-linear, tone-mapped for display).
    Exr,
    /// A movie container FFmpeg reads (MP4/MOV, Matroska/WebM, AVI, MXF, MPEG-TS, ...).
    Video,
    /// Nothing recognised.
    Unknown,
}

impl MediaKind {
    /// Whether a still derivative is made in-process (no FFmpeg).
    pub fn is_still(self) -> bool {
        matches!(self, MediaKind::Image(_) | MediaKind::Exr)
    }

    pub(crate) fn describe(self) -> String {
        match self {
            MediaKind::Image(format) => format!("a {format:?} image"),
            MediaKind::Exr => "an OpenEXR image".to_string(),
            MediaKind::Video => "a video".to_string(),
            MediaKind::Unknown => "an unrecognised file".to_string(),
        }
    }
}

const EXR_MAGIC: [u8; 4] = [0x76, 0x2f, 0x31, 0x01];
/// Enough of the head for every signature below (MPEG-TS needs two 188-byte packets).
pub(crate) const SNIFF_LEN: usize = 512;

/// The kind of media in `head` (the first bytes of a file; 512 are plenty).
pub fn detect_bytes(head: &[u8]) -> MediaKind {
    if head.starts_with(&EXR_MAGIC) {
        return MediaKind::Exr;
    }
    if is_video(head) {
        return MediaKind::Video;
    }
    match image::guess_format(head) {
        // `image` reads OpenEXR too, but the `exr` path tone-maps; avoid sending EXR there.
        Ok(image::ImageFormat::OpenExr) => MediaKind::Exr,
        Ok(format) if format.reading_enabled() => MediaKind::Image(format),
        _ => MediaKind::Unknown,
    }
}

/// The kind of media in the file at `path`, from its first bytes; the extension decides only for
/// signature-less formats (`.tga`, `.mpg`).
pub fn detect(path: &Path) -> Result<MediaKind, MediaError> {
    let mut head = Vec::with_capacity(SNIFF_LEN);
    std::fs::File::open(path)
        .and_then(|file| file.take(SNIFF_LEN as u64).read_to_end(&mut head))
        .map_err(|e| MediaError::io("cannot read", path, e))?;
    let kind = detect_bytes(&head);
    if kind != MediaKind::Unknown || head.is_empty() {
        return Ok(kind);
    }
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or_default()
        .to_ascii_lowercase();
    Ok(match ext.as_str() {
        "mpg" | "mpeg" | "m2v" | "vob" | "m2ts" | "mts" | "ts" | "dv" | "y4m" | "flv" => {
            MediaKind::Video
        }
        _ => match image::ImageFormat::from_extension(&ext) {
            Some(format) if format.reading_enabled() => MediaKind::Image(format),
            _ => MediaKind::Unknown,
        },
    })
}

fn is_video(head: &[u8]) -> bool {
    let at = |offset: usize, sig: &[u8]| head.get(offset..offset + sig.len()) == Some(sig);
    // ISO base media (MP4, MOV, M4V, 3GP): a box of type `ftyp`, or an old QuickTime `moov`/`mdat`
    // /`wide` first box. HEIC/AVIF stills are ISO files too: their brand says so.
    if at(4, b"ftyp") {
        let brand = head.get(8..12).unwrap_or_default();
        let still_brands: [&[u8]; 6] = [b"heic", b"heix", b"mif1", b"msf1", b"avif", b"avis"];
        return !still_brands.contains(&brand);
    }
    if at(4, b"moov") || at(4, b"mdat") || at(4, b"wide") || at(4, b"free") {
        return true;
    }
    // Matroska / WebM (EBML), AVI, MXF, MPEG program stream, FLV, Ogg, MPEG-TS.
    at(0, &[0x1a, 0x45, 0xdf, 0xa3])
        || (at(0, b"RIFF") && at(8, b"AVI "))
        || at(0, &[0x06, 0x0e, 0x2b, 0x34])
        || at(0, &[0x00, 0x00, 0x01, 0xba])
        || at(0, b"FLV\x01")
        || at(0, b"OggS")
        || (head.len() > 376 && head[0] == 0x47 && head[188] == 0x47 && head[376] == 0x47)
}
