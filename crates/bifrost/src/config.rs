//! `.bifrost/config.toml`: where the catalog and the store live, and how data is cut.

use std::path::{Path, PathBuf};

use bifrost_core::ChunkingParams;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// Largest settings file read (ingest rules, server configs): a path to a device or a huge
/// file by mistake gets an error instead of filling memory.
pub const MAX_SETTINGS_FILE: u64 = 16 * 1024 * 1024;

/// Reads a settings file of at most [`MAX_SETTINGS_FILE`] bytes as text.
pub fn read_settings_file(path: &std::path::Path) -> std::io::Result<String> {
    use std::io::Read;
    let mut text = String::new();
    std::fs::File::open(path)?
        .take(MAX_SETTINGS_FILE + 1)
        .read_to_string(&mut text)?;
    if text.len() as u64 > MAX_SETTINGS_FILE {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!(
                "it is larger than {} MiB, too large for a settings file; is it the right file?",
                MAX_SETTINGS_FILE >> 20
            ),
        ));
    }
    Ok(text)
}

/// The repository format this build writes and reads.
pub const FORMAT_VERSION: u32 = 1;

/// The contents of `config.toml`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RepoConfig {
    /// Repository format version.
    pub format_version: u32,
    /// Catalog URL: a SQLite path (relative to `.bifrost/`) or `postgres://…`.
    pub catalog: String,
    /// Store URL: a path (relative to `.bifrost/`), `file:///…` or `s3://bucket?endpoint=…`.
    pub store: String,
    /// The project commands act on when none is named.
    pub project: String,
    /// Content-defined chunking parameters.
    pub chunking: ChunkingParams,
    /// Target pack size in bytes.
    pub pack_target: usize,
    /// zstd level for compressible chunks.
    pub zstd_level: i32,
}

impl RepoConfig {
    /// Reads and checks a config file.
    pub fn load(path: &Path) -> Result<Self> {
        let bad = |reason: String| Error::Config {
            path: path.to_owned(),
            reason,
        };
        let text = std::fs::read_to_string(path).map_err(|e| bad(e.to_string()))?;
        let config: RepoConfig = toml::from_str(&text).map_err(|e| bad(e.to_string()))?;
        if config.format_version > FORMAT_VERSION {
            return Err(bad(format!(
                "it is format {} but this bifrost reads up to format {FORMAT_VERSION}; upgrade bifrost",
                config.format_version
            )));
        }
        let c = config.chunking;
        if !(64 <= c.min_size && c.min_size <= c.avg_size && c.avg_size <= c.max_size)
            || c.avg_size < 256
            || c.max_size > 16 * 1024 * 1024
        {
            return Err(bad(
                "chunking needs 64 <= min_size <= avg_size <= max_size <= 16 MiB and avg_size >= 256"
                    .into(),
            ));
        }
        Ok(config)
    }

    /// Writes the config atomically (temporary file, fsync, rename).
    pub fn save(&self, path: &Path) -> Result<()> {
        let text = toml::to_string_pretty(self).map_err(|e| Error::Config {
            path: path.to_owned(),
            reason: e.to_string(),
        })?;
        let dir = path.parent().unwrap_or(Path::new("."));
        let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(Error::output(dir))?;
        use std::io::Write;
        tmp.write_all(format!("# Bifrost repository configuration\n{text}").as_bytes())
            .and_then(|()| tmp.as_file().sync_all())
            .map_err(Error::output(path))?;
        tmp.persist(path)
            .map_err(|e| Error::output(path)(e.error))?;
        Ok(())
    }

    /// Resolves a possibly relative SQLite catalog location against the `.bifrost` directory.
    pub fn catalog_url(&self, dot_dir: &Path) -> String {
        let c = &self.catalog;
        if c.contains("://") {
            return c.clone();
        }
        let path = c.strip_prefix("sqlite:").unwrap_or(c);
        let p = PathBuf::from(path);
        let abs = if p.is_absolute() { p } else { dot_dir.join(p) };
        format!("sqlite:{}", abs.display())
    }
}
