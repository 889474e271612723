//! Writing derivatives: into a temporary file in the output directory, renamed into place only
//! when complete, so a reader never sees half a file and a killed render leaves no final name.

use std::io::Write;
use std::path::{Path, PathBuf};

use tempfile::NamedTempFile;

use crate::MediaError;

/// A temporary file in `out_dir` (created if missing) whose name ends in `suffix` (FFmpeg picks
/// nothing from it, but a reader of a leftover does).
pub(crate) fn temporary(out_dir: &Path, suffix: &str) -> Result<NamedTempFile, MediaError> {
    std::fs::create_dir_all(out_dir).map_err(|e| MediaError::io("cannot create", out_dir, e))?;
    tempfile::Builder::new()
        .prefix(".bifrost-media-")
        .suffix(suffix)
        .tempfile_in(out_dir)
        .map_err(|e| MediaError::io("cannot create a temporary file in", out_dir, e))
}

/// Renames the finished `temporary` to `out_dir/file_name`, replacing an older copy.
pub(crate) fn publish(
    temporary: NamedTempFile,
    out_dir: &Path,
    file_name: &str,
) -> Result<(PathBuf, u64), MediaError> {
    let target = out_dir.join(file_name);
    let size = temporary
        .as_file()
        .metadata()
        .map_err(|e| MediaError::io("cannot read", temporary.path(), e))?
        .len();
    temporary
        .persist(&target)
        .map_err(|e| MediaError::io("cannot rename into", &target, e.error))?;
    Ok((target, size))
}

/// Writes `bytes` to `out_dir/file_name` atomically.
pub(crate) fn write(
    out_dir: &Path,
    file_name: &str,
    bytes: &[u8],
) -> Result<(PathBuf, u64), MediaError> {
    let mut file = temporary(out_dir, "")?;
    file.write_all(bytes)
        .map_err(|e| MediaError::io("cannot write", file.path(), e))?;
    publish(file, out_dir, file_name)
}
