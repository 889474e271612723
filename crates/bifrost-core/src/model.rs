//! Records the catalog stores and every front end shows.

use std::collections::BTreeMap;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ContentId;

/// A production: the namespace assets live in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Project {
    /// Catalog row id.
    pub id: i64,
    /// Unique project name.
    pub name: String,
    /// When the project was created.
    pub created_at: DateTime<Utc>,
}

/// A tracked thing (prop, character, texture set, cache…) whose content changes over versions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Asset {
    /// Catalog row id.
    pub id: i64,
    /// Name of the project the asset belongs to.
    pub project: String,
    /// Name, unique within the project.
    pub name: String,
    /// Free-form type such as `prop` or `character`.
    #[serde(rename = "type")]
    pub asset_type: String,
    /// Tags, sorted.
    pub tags: Vec<String>,
    /// Free JSON metadata.
    #[schema(value_type = Object)]
    pub metadata: BTreeMap<String, serde_json::Value>,
    /// The department whose work the asset is (members restricted to other departments may
    /// not change it); none: no department's (only unrestricted members may change it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub department: Option<String>,
    /// When the asset was created.
    pub created_at: DateTime<Utc>,
    /// Number of the newest version, if any was published.
    pub latest_version: Option<i64>,
}

/// Unix permission bits of a file in a version (only the permission part: `0o755`, `0o644`…).
pub type FileMode = u32;

/// One file of a version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FileEntry {
    /// Relative path with `/` separators, never absolute, never containing `..`.
    pub path: String,
    /// Size in bytes.
    pub size: u64,
    /// Permission bits.
    pub mode: FileMode,
    /// BLAKE3 of the file's bytes.
    pub content: ContentId,
}

impl FileEntry {
    /// Whether `path` is safe to join under a destination directory: relative, no `..`, no empty
    /// or `.` components, no backslashes or NUL bytes.
    pub fn is_safe_path(path: &str) -> bool {
        !path.is_empty()
            && !path.starts_with('/')
            && !path.contains('\\')
            && !path.contains('\0')
            && path
                .split('/')
                .all(|part| !part.is_empty() && part != "." && part != "..")
    }
}

/// An immutable published state of an asset.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Version {
    /// Catalog row id.
    pub id: i64,
    /// Name of the asset.
    pub asset: String,
    /// Version number: 1, 2, 3… without gaps.
    pub number: i64,
    /// Who published it.
    pub author: String,
    /// Publish note.
    pub note: String,
    /// When it was committed.
    pub created_at: DateTime<Utc>,
    /// The version it was derived from (the previous latest when published).
    pub parent: Option<i64>,
    /// Number of files.
    pub file_count: i64,
    /// Sum of file sizes.
    pub total_bytes: i64,
}

/// Which version of an asset a command means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VersionSelector {
    /// The newest version.
    Latest,
    /// A specific version number.
    Number(i64),
}

impl VersionSelector {
    /// Reads `latest`, `3` or `v3` (numbers start at 1).
    pub fn parse(text: &str) -> Option<Self> {
        if text == "latest" {
            return Some(VersionSelector::Latest);
        }
        let n: i64 = text.strip_prefix('v').unwrap_or(text).parse().ok()?;
        (n >= 1).then_some(VersionSelector::Number(n))
    }
}

impl std::fmt::Display for VersionSelector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            VersionSelector::Latest => f.write_str("latest"),
            VersionSelector::Number(n) => write!(f, "{n}"),
        }
    }
}

/// On the wire a selector is `"latest"` or a number; `"3"` and `"v3"` are read too (paths and
/// query strings carry text).
impl Serialize for VersionSelector {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            VersionSelector::Latest => s.serialize_str("latest"),
            VersionSelector::Number(n) => s.serialize_i64(*n),
        }
    }
}

impl<'de> Deserialize<'de> for VersionSelector {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = VersionSelector;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a version: a number from 1 (3 or v3) or `latest`")
            }
            fn visit_i64<E: serde::de::Error>(self, n: i64) -> Result<Self::Value, E> {
                if n >= 1 {
                    Ok(VersionSelector::Number(n))
                } else {
                    Err(E::invalid_value(serde::de::Unexpected::Signed(n), &self))
                }
            }
            fn visit_u64<E: serde::de::Error>(self, n: u64) -> Result<Self::Value, E> {
                i64::try_from(n)
                    .map_err(|_| E::invalid_value(serde::de::Unexpected::Unsigned(n), &self))
                    .and_then(|n| self.visit_i64(n))
            }
            fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<Self::Value, E> {
                VersionSelector::parse(text)
                    .ok_or_else(|| E::invalid_value(serde::de::Unexpected::Str(text), &self))
            }
        }
        d.deserialize_any(Visitor)
    }
}

crate::schema::string_schema!(
    VersionSelector,
    "A version: a number from 1 (`3` or `v3`) or `latest`."
);

/// `NAME` or `NAME@vN` as typed by a user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionRef {
    /// Asset name.
    pub asset: String,
    /// Which version.
    pub version: VersionSelector,
}

/// Why a `NAME@vN` reference could not be read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error(
    "`{input}` is not a version reference: write NAME, NAME@vN or NAME@latest (for example hero@v3)"
)]
pub struct VersionRefError {
    /// The text that was given.
    pub input: String,
}

impl FromStr for VersionRef {
    type Err = VersionRefError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || VersionRefError {
            input: s.to_owned(),
        };
        match s.rsplit_once('@') {
            None if !s.is_empty() => Ok(Self {
                asset: s.to_owned(),
                version: VersionSelector::Latest,
            }),
            None => Err(err()),
            Some((name, ver)) => {
                if name.is_empty() {
                    return Err(err());
                }
                let version = if ver == "latest" {
                    VersionSelector::Latest
                } else {
                    let digits = ver.strip_prefix('v').unwrap_or(ver);
                    let n: i64 = digits.parse().map_err(|_| err())?;
                    if n < 1 {
                        return Err(err());
                    }
                    VersionSelector::Number(n)
                };
                Ok(Self {
                    asset: name.to_owned(),
                    version,
                })
            }
        }
    }
}

/// Filters for listing assets.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AssetFilter {
    /// Only assets of this type.
    pub asset_type: Option<String>,
    /// Only assets carrying every one of these tags.
    pub tags: Vec<String>,
}

/// Content-defined chunking parameters (bytes). Stored in the repository config so every writer
/// of a repository cuts the same way: different parameters still work but deduplicate less.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ChunkingParams {
    /// Smallest chunk (except a file's last one).
    pub min_size: u32,
    /// Target average chunk size.
    pub avg_size: u32,
    /// Largest chunk.
    pub max_size: u32,
}

impl Default for ChunkingParams {
    /// 64 KiB / 256 KiB / 1 MiB: small enough that a few scattered edits in a large file cost a
    /// few hundred KiB each (restic uses 1 MiB on average and stores ~4x more per edit), large
    /// enough that the per-chunk bookkeeping stays below 0.1% of the data.
    fn default() -> Self {
        Self {
            min_size: 64 * 1024,
            avg_size: 256 * 1024,
            max_size: 1024 * 1024,
        }
    }
}

/// A file present in both versions with different content or mode.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ChangedFile {
    /// Path inside the version.
    pub path: String,
    /// The file in the older version.
    pub from: FileEntry,
    /// The file in the newer version.
    pub to: FileEntry,
    /// Bytes of the newer file held in chunks the older file does not have: what a transfer of
    /// the new version would move, and a measure of how much really changed.
    pub bytes_differing: u64,
}

/// One metadata key that differs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct MetaChange {
    /// The key.
    pub key: String,
    /// Value before (absent if the key was added).
    #[schema(value_type = serde_json::Value)]
    pub from: Option<serde_json::Value>,
    /// Value after (absent if the key was removed).
    #[schema(value_type = serde_json::Value)]
    pub to: Option<serde_json::Value>,
}

/// The difference between two versions of an asset.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct VersionDiff {
    /// The older side.
    pub from: Version,
    /// The newer side.
    pub to: Version,
    /// Files only in `to`.
    pub added: Vec<FileEntry>,
    /// Files only in `from`.
    pub removed: Vec<FileEntry>,
    /// Files in both that differ.
    pub changed: Vec<ChangedFile>,
    /// Files identical in both.
    pub unchanged: u64,
    /// Bytes of `to` that are in no chunk of `from` (added files included).
    pub bytes_differing: u64,
    /// Version metadata changes.
    pub metadata: Vec<MetaChange>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_version_refs() {
        let r: VersionRef = "hero@v3".parse().unwrap();
        assert_eq!(r.asset, "hero");
        assert_eq!(r.version, VersionSelector::Number(3));
        assert_eq!(
            "hero".parse::<VersionRef>().unwrap().version,
            VersionSelector::Latest
        );
        assert_eq!(
            "hero@latest".parse::<VersionRef>().unwrap().version,
            VersionSelector::Latest
        );
        assert_eq!(
            "hero@7".parse::<VersionRef>().unwrap().version,
            VersionSelector::Number(7)
        );
        for bad in ["", "@v1", "hero@", "hero@vx", "hero@v0", "hero@v-1"] {
            assert!(bad.parse::<VersionRef>().is_err(), "{bad}");
        }
    }

    #[test]
    fn safe_paths() {
        for ok in ["a", "a/b.txt", "dir/sub/file", "..a/b"] {
            assert!(FileEntry::is_safe_path(ok), "{ok}");
        }
        for bad in [
            "",
            "/etc/passwd",
            "../x",
            "a/../b",
            "a//b",
            "./a",
            "a\\b",
            "a/",
        ] {
            assert!(!FileEntry::is_safe_path(bad), "{bad}");
        }
    }
}

/// What is needed to create an asset.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct NewAsset {
    /// Name, unique within the project.
    pub name: String,
    /// Free-form type.
    pub asset_type: String,
    /// Tags.
    pub tags: Vec<String>,
    /// Free JSON metadata.
    #[schema(value_type = Object)]
    pub metadata: BTreeMap<String, serde_json::Value>,
    /// The department whose work it is (see [`Asset::department`]).
    #[serde(default)]
    pub department: Option<String>,
}

/// A file content as the store cut it: its id, size and ordered chunks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct NewContent {
    /// BLAKE3 of the whole content.
    pub id: ContentId,
    /// Size in bytes.
    pub size: u64,
    /// Chunks in file order (a chunk may repeat).
    pub chunks: Vec<crate::ChunkId>,
}

/// What is needed to commit a version.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct NewVersion {
    /// Who publishes.
    pub author: String,
    /// Publish note.
    pub note: String,
    /// The files, with unique safe paths.
    pub files: Vec<FileEntry>,
    /// Every distinct content the files name (contents already in the catalog may be left out).
    pub contents: Vec<NewContent>,
}

/// Repository-wide figures.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RepoStats {
    /// Sum of the sizes of every file of every version (what a plain copy of all versions takes).
    pub logical_bytes: u64,
    /// Bytes of all pack objects in the store.
    pub stored_bytes: u64,
    /// Distinct stored chunks.
    pub chunks: u64,
    /// Pack objects.
    pub packs: u64,
    /// Distinct file contents.
    pub contents: u64,
    /// Versions across all assets.
    pub versions: u64,
    /// Assets across all projects.
    pub assets: u64,
    /// Projects.
    pub projects: u64,
}
