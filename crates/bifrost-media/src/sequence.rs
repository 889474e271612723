//! Image sequences: `shot.####.exr` (or `shot.%04d.exr`) and the numbered frames on disk,
//! gaps allowed.

use std::path::{Path, PathBuf};

use crate::MediaError;

/// One frame of a sequence.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SequenceFrame {
    pub number: u64,
    pub path: PathBuf,
}

/// The frames of one image sequence, in frame-number order. Numbers may skip (a gap).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sequence {
    pattern: String,
    frames: Vec<SequenceFrame>,
}

/// A file-name pattern split around its frame number.
struct Pattern<'a> {
    prefix: &'a str,
    padding: usize,
    suffix: &'a str,
}

impl<'a> Pattern<'a> {
    /// `shot.####.exr` (padding = number of `#`), `shot.%04d.exr` or `shot.%d.exr`.
    fn parse(name: &'a str) -> Option<Self> {
        if let Some(start) = name.find('#') {
            let padding = name[start..].bytes().take_while(|&b| b == b'#').count();
            let suffix = &name[start + padding..];
            return (!suffix.contains('#')).then_some(Pattern {
                prefix: &name[..start],
                padding,
                suffix,
            });
        }
        let start = name.find('%')?;
        let rest = &name[start + 1..];
        let end = rest.find('d')?;
        let width = &rest[..end];
        let padding = if width.is_empty() {
            1
        } else {
            width.strip_prefix('0')?.parse().ok()?
        };
        Some(Pattern {
            prefix: &name[..start],
            padding,
            suffix: &rest[end + 1..],
        })
    }

    fn frame_number(&self, file_name: &str) -> Option<u64> {
        let digits = file_name
            .strip_prefix(self.prefix)?
            .strip_suffix(self.suffix)?;
        let well_formed = !digits.is_empty()
            && digits.bytes().all(|b| b.is_ascii_digit())
            && (digits.len() == self.padding
                || (digits.len() > self.padding && !digits.starts_with('0')));
        well_formed.then(|| digits.parse().ok()).flatten()
    }
}

impl Sequence {
    /// The frames on disk matching `pattern`, a path whose file name marks the frame number
    /// with `#` (one per digit: `shot.####.exr`) or printf style (`shot.%04d.exr`).
    pub fn scan(pattern: &Path) -> Result<Self, MediaError> {
        let text = pattern.to_string_lossy().into_owned();
        let name = pattern
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(Pattern::parse)
            .ok_or_else(|| MediaError::BadRecipe {
                reason: format!(
                    "`{text}` is not an image-sequence pattern: mark the frame number with \
                     `#` per digit (shot.####.exr) or %04d"
                ),
            })?;
        let dir = match pattern.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir,
            _ => Path::new("."),
        };
        let entries = std::fs::read_dir(dir).map_err(|e| MediaError::io("cannot list", dir, e))?;
        let mut frames = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| MediaError::io("cannot list", dir, e))?;
            let file_name = entry.file_name();
            if let Some(number) = file_name.to_str().and_then(|n| name.frame_number(n)) {
                frames.push(SequenceFrame {
                    number,
                    path: entry.path(),
                });
            }
        }
        if frames.is_empty() {
            return Err(MediaError::EmptySequence { pattern: text });
        }
        Ok(Self::from_frames(text, frames))
    }

    /// A sequence of frames already known (from a catalog listing, say); sorted by number here.
    pub fn from_frames(pattern: impl Into<String>, mut frames: Vec<SequenceFrame>) -> Self {
        frames.sort_by_key(|f| f.number);
        frames.dedup_by_key(|f| f.number);
        Sequence {
            pattern: pattern.into(),
            frames,
        }
    }

    pub fn pattern(&self) -> &str {
        &self.pattern
    }

    /// The frames present, in number order.
    pub fn frames(&self) -> &[SequenceFrame] {
        &self.frames
    }

    /// First and last frame numbers, or `None` for an empty sequence.
    pub fn range(&self) -> Option<(u64, u64)> {
        Some((self.frames.first()?.number, self.frames.last()?.number))
    }

    /// The frame numbers between the first and the last that have no file.
    pub fn missing(&self) -> Vec<u64> {
        self.frames
            .windows(2)
            .flat_map(|pair| pair[0].number + 1..pair[1].number)
            .collect()
    }

    /// For each frame present, how many frame numbers it is shown for: one, plus the missing
    /// numbers after it (a gap holds the frame before it, so timing follows the numbers).
    pub(crate) fn hold_counts(&self) -> Vec<u64> {
        let mut counts: Vec<u64> = self
            .frames
            .windows(2)
            .map(|pair| pair[1].number - pair[0].number)
            .collect();
        if !self.frames.is_empty() {
            counts.push(1);
        }
        counts
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_find_the_frame_number() {
        let hashes = Pattern::parse("shot.####.exr").unwrap();
        assert_eq!(hashes.frame_number("shot.1001.exr"), Some(1001));
        assert_eq!(hashes.frame_number("shot.0007.exr"), Some(7));
        assert_eq!(hashes.frame_number("shot.12345.exr"), Some(12345));
        assert_eq!(hashes.frame_number("shot.007.exr"), None);
        assert_eq!(hashes.frame_number("shot.01001.exr"), None);
        assert_eq!(hashes.frame_number("shot.1001.exr.tmp"), None);
        let printf = Pattern::parse("plate_%04d.png").unwrap();
        assert_eq!(printf.frame_number("plate_0012.png"), Some(12));
        assert!(Pattern::parse("shot.exr").is_none());
        assert!(Pattern::parse("shot.%4d.exr").is_none());
    }

    #[test]
    fn gaps_hold_the_frame_before() {
        let frame = |number| SequenceFrame {
            number,
            path: PathBuf::from(format!("f{number}")),
        };
        let sequence = Sequence::from_frames("f#", vec![frame(14), frame(10), frame(11)]);
        assert_eq!(sequence.range(), Some((10, 14)));
        assert_eq!(sequence.missing(), vec![12, 13]);
        assert_eq!(sequence.hold_counts(), vec![1, 3, 1]);
    }
}
