//! Checkout: materialise a version into a directory, each file appearing whole or not at all.

use std::collections::HashMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use bifrost_core::{ContentId, FileEntry, Version, VersionRef};
use bifrost_store::StoreError;
use futures::{StreamExt, TryStreamExt};

use crate::Repository;
use crate::error::{Error, Result};
use crate::progress::Progress;

/// Contents restored at once.
const FILES_IN_FLIGHT: usize = 8;

/// How to check out.
#[derive(Debug, Clone, Copy, Default)]
pub struct CheckoutOptions {
    /// Overwrite files that already exist at the destination.
    pub force: bool,
}

/// What a checkout did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct CheckoutOutcome {
    /// The version materialised.
    pub version: Version,
    /// Where.
    pub destination: PathBuf,
    /// Files written.
    pub files: u64,
    /// Bytes written.
    pub bytes: u64,
    /// Files that repeated content already written in this checkout and were reflinked (or
    /// copied, where the filesystem cannot reflink) instead of being decoded again.
    pub cloned: u64,
}

impl Repository {
    /// Materialises `reference` under `dest` (created if missing).
    ///
    /// Each file is written to a temporary name beside its target and renamed into place once
    /// every chunk is verified, so a failure (corrupt pack, full disk, killed process) leaves no
    /// partial or wrong file under a real name. Files repeating a content written earlier in the
    /// same checkout are cloned with a reflink where the filesystem supports it, else copied.
    pub async fn checkout(
        &self,
        reference: &VersionRef,
        dest: &Path,
        options: CheckoutOptions,
        progress: Arc<dyn Progress>,
    ) -> Result<CheckoutOutcome> {
        let version = self.resolve(reference).await?;
        let files = self.catalog.version_files(version.id).await?;
        std::fs::create_dir_all(dest).map_err(Error::output(dest))?;
        let dest = dest.canonicalize().map_err(Error::output(dest))?;
        for f in &files {
            if !FileEntry::is_safe_path(&f.path) {
                return Err(Error::BadInputName {
                    path: f.path.clone().into(),
                    reason: "the catalog holds an unsafe path; run `bifrost fsck`".into(),
                });
            }
            let target = dest.join(&f.path);
            if !options.force && std::fs::symlink_metadata(&target).is_ok() {
                return Err(Error::DestinationExists { path: target });
            }
        }
        let mut groups: HashMap<ContentId, Vec<&FileEntry>> = HashMap::new();
        for f in &files {
            groups.entry(f.content).or_default().push(f);
        }
        let ids: Vec<ContentId> = groups.keys().copied().collect();
        let mut locations = self.catalog.content_locations_many(&ids).await?;
        let total: u64 = files.iter().map(|f| f.size).sum();
        progress.start("checking out", total);
        let result = futures::stream::iter(groups)
            .map(|(content, group)| {
                let locations = locations.remove(&content).unwrap_or_default();
                let dest = dest.clone();
                let progress = progress.clone();
                async move {
                    let first = group[0];
                    let first_path = dest.join(&first.path);
                    let tmp = temp_beside(&first_path)?;
                    let file = Arc::new(
                        tmp.as_file()
                            .try_clone()
                            .map_err(Error::output(tmp.path()))?,
                    );
                    self.store
                        .restore(&content, first.size, &locations, file)
                        .await
                        .map_err(|e| match e {
                            StoreError::WriteOutput(source) => Error::Output {
                                path: first_path.clone(),
                                source,
                            },
                            other => other.into(),
                        })?;
                    finish(tmp, &first_path, first.mode, options.force)?;
                    progress.advance(first.size);
                    let mut cloned = 0u64;
                    for other in &group[1..] {
                        let path = dest.join(&other.path);
                        let tmp = temp_beside(&path)?;
                        let tmp_path = tmp.into_temp_path();
                        std::fs::remove_file(&tmp_path).map_err(Error::output(&path))?;
                        reflink_copy::reflink_or_copy(&first_path, &tmp_path)
                            .map_err(Error::output(&path))?;
                        set_mode(&tmp_path, other.mode)?;
                        persist(tmp_path, &path, options.force)?;
                        progress.advance(other.size);
                        cloned += 1;
                    }
                    Ok::<_, Error>(cloned)
                }
            })
            .buffer_unordered(FILES_IN_FLIGHT)
            .try_fold(0u64, |acc, n| async move { Ok(acc + n) })
            .await;
        progress.finish();
        let cloned = result?;
        Ok(CheckoutOutcome {
            version,
            destination: dest,
            files: files.len() as u64,
            bytes: total,
            cloned,
        })
    }
}

fn temp_beside(target: &Path) -> Result<tempfile::NamedTempFile> {
    let parent = target.parent().expect("targets live under the destination");
    std::fs::create_dir_all(parent).map_err(Error::output(parent))?;
    tempfile::Builder::new()
        .prefix(".bifrost-tmp-")
        .tempfile_in(parent)
        .map_err(Error::output(parent))
}

fn set_mode(path: &Path, mode: u32) -> Result<()> {
    let mode = match mode & 0o777 {
        0 => 0o644,
        m => m,
    };
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .map_err(Error::output(path))
}

fn finish(tmp: tempfile::NamedTempFile, target: &Path, mode: u32, force: bool) -> Result<()> {
    set_mode(tmp.path(), mode)?;
    persist(tmp.into_temp_path(), target, force)
}

fn persist(tmp: tempfile::TempPath, target: &Path, force: bool) -> Result<()> {
    if force {
        tmp.persist(target)
            .map_err(|e| Error::output(target)(e.error))
    } else {
        tmp.persist_noclobber(target).map_err(|e| {
            if e.error.kind() == std::io::ErrorKind::AlreadyExists {
                Error::DestinationExists {
                    path: target.to_owned(),
                }
            } else {
                Error::output(target)(e.error)
            }
        })
    }
}
