//! What a publish reads and what it sends: the inputs listed from the paths given, the manifest
//! a remote publish commits, and the outcome either end reports.

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use bifrost_core::{FileEntry, NewContent, Version};
use serde::{Deserialize, Serialize};

use crate::error::{FilesError, Result};

/// The directory that holds a repository's own data (config, catalog, store) at its root; a
/// publish never includes it (as git leaves `.git`).
pub const DOT_DIR: &str = ".bifrost";

/// What a publish did.
#[derive(Debug, Clone, Serialize)]
pub struct PublishOutcome {
    /// The committed version.
    pub version: Version,
    /// Bytes read from the inputs.
    pub bytes_read: u64,
    /// Chunks that were new to the repository.
    pub new_chunks: u64,
    /// Pack bytes written to the store.
    pub bytes_stored: u64,
}

/// A file found under the publish inputs.
#[derive(Debug, Clone)]
pub struct PublishInput {
    /// Where it goes in the version (`/`-separated, relative).
    pub path_in_version: String,
    /// Where it is read from.
    pub source: PathBuf,
    /// Its size when listed.
    pub size: u64,
    /// Its Unix permission bits.
    pub mode: u32,
}

/// What a client sends to commit a version it uploaded.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// Publish note.
    #[serde(default)]
    pub note: String,
    /// The files of the version.
    pub files: Vec<FileEntry>,
    /// How each content the files name is cut into chunks (contents the repository already
    /// has may be left out).
    #[serde(default)]
    pub contents: Vec<NewContent>,
}

/// Lists the files under `paths`. A file is stored under its name; a directory's files are stored
/// relative to the directory (so publishing `./build/` stores `./build/a.txt` as `a.txt`), and
/// a [`DOT_DIR`] below it is left out. Local and remote publishes both list their inputs with
/// this, so both store the same paths.
pub fn publish_inputs(paths: &[PathBuf]) -> Result<Vec<PublishInput>> {
    let mut inputs: BTreeMap<String, PublishInput> = BTreeMap::new();
    let mut add = |path_in_version: String, source: PathBuf, meta: &std::fs::Metadata| {
        if !FileEntry::is_safe_path(&path_in_version) {
            return Err(FilesError::BadInputName {
                path: source,
                reason: "its path cannot be stored safely".into(),
            });
        }
        let input = PublishInput {
            path_in_version: path_in_version.clone(),
            source,
            size: meta.len(),
            mode: meta.permissions().mode() & 0o7777,
        };
        if inputs.insert(path_in_version.clone(), input).is_some() {
            return Err(FilesError::PathCollision {
                path: path_in_version,
            });
        }
        Ok(())
    };
    for path in paths {
        let meta = std::fs::metadata(path).map_err(|source| FilesError::Input {
            path: path.clone(),
            source,
        })?;
        if meta.is_file() {
            let name = path
                .file_name()
                .map(|n| name_to_string(path, n))
                .transpose()?
                .ok_or_else(|| FilesError::BadInputName {
                    path: path.clone(),
                    reason: "it has no file name".into(),
                })?;
            add(name, path.clone(), &meta)?;
            continue;
        }
        let walk = walkdir::WalkDir::new(path)
            .follow_links(true)
            .sort_by_file_name()
            .into_iter()
            // A repository's own data is never part of what it publishes (as git leaves .git).
            .filter_entry(|e| e.depth() == 0 || e.file_name() != DOT_DIR);
        for entry in walk {
            let entry = entry.map_err(|e| {
                let at = e.path().unwrap_or(path).to_owned();
                let source = e
                    .into_io_error()
                    .unwrap_or_else(|| std::io::Error::other("symbolic link loop"));
                FilesError::Input { path: at, source }
            })?;
            if !entry.file_type().is_file() {
                continue;
            }
            let meta = entry.metadata().map_err(|e| FilesError::Input {
                path: entry.path().to_owned(),
                source: e
                    .into_io_error()
                    .unwrap_or_else(|| std::io::Error::other("unreadable")),
            })?;
            let rel = entry
                .path()
                .strip_prefix(path)
                .expect("walkdir stays under its root");
            let mut parts = Vec::new();
            for part in rel.components() {
                parts.push(name_to_string(entry.path(), part.as_os_str())?);
            }
            add(parts.join("/"), entry.path().to_owned(), &meta)?;
        }
    }
    if inputs.is_empty() {
        return Err(FilesError::NothingToPublish);
    }
    Ok(inputs.into_values().collect())
}

fn name_to_string(path: &Path, name: &std::ffi::OsStr) -> Result<String> {
    name.to_str()
        .map(str::to_owned)
        .ok_or_else(|| FilesError::BadInputName {
            path: path.to_owned(),
            reason: "its name is not valid UTF-8".into(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inputs_are_listed_relative_to_directories_without_repository_data() {
        let root = tempfile::tempdir().unwrap();
        let build = root.path().join("build");
        std::fs::create_dir_all(build.join("sub").join(DOT_DIR)).unwrap();
        std::fs::create_dir_all(build.join(DOT_DIR)).unwrap();
        std::fs::write(build.join("a.txt"), b"a").unwrap();
        std::fs::write(build.join("sub/b.txt"), b"bb").unwrap();
        std::fs::write(build.join(DOT_DIR).join("config.toml"), b"x").unwrap();
        std::fs::write(build.join("sub").join(DOT_DIR).join("c"), b"x").unwrap();
        std::fs::write(root.path().join("single.bin"), b"ccc").unwrap();
        let inputs = publish_inputs(&[build.clone(), root.path().join("single.bin")]).unwrap();
        let listed: Vec<(&str, u64)> = inputs
            .iter()
            .map(|i| (i.path_in_version.as_str(), i.size))
            .collect();
        assert_eq!(listed, [("a.txt", 1), ("single.bin", 3), ("sub/b.txt", 2)]);

        // The same path twice, an empty directory, a missing path.
        let collision = publish_inputs(&[build.join("a.txt"), build.clone()]);
        assert!(
            matches!(collision, Err(FilesError::PathCollision { ref path }) if path == "a.txt"),
            "{collision:?}"
        );
        let empty = root.path().join("empty");
        std::fs::create_dir(&empty).unwrap();
        assert!(matches!(
            publish_inputs(std::slice::from_ref(&empty)),
            Err(FilesError::NothingToPublish)
        ));
        assert!(matches!(
            publish_inputs(&[root.path().join("missing")]),
            Err(FilesError::Input { .. })
        ));
    }
}
