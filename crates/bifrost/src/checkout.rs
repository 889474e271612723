//! Checkout: materialise a version into a directory without ever showing wrong or partial bytes.
//!
//! Into a new destination, everything is written into a hidden staging directory beside it that
//! is renamed into place at the end: the checkout appears whole or not at all. Into an existing
//! directory, each file is written under a temporary name beside its target, and only once every
//! file is written and verified are they all renamed into place: a checkout that fails (a full
//! disk, a corrupt chunk, a killed download) changes nothing there. Small files (one chunk each) are restored in one batch whose neighbouring chunks
//! are fetched with a few large range reads; larger files are restored a few at a time with
//! parallel verification. Files repeating a content already written are cloned with a reflink
//! where the filesystem supports it, else copied.

use std::collections::{BTreeSet, HashMap};
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use bifrost_core::{ChunkLocation, ContentId, FileEntry, Version, VersionRef};
use bifrost_store::StoreError;
use futures::{StreamExt, TryStreamExt};

use crate::Repository;
use crate::error::{Error, Result};
use crate::progress::Progress;

/// Multi-chunk files restored at once.
const FILES_IN_FLIGHT: usize = 4;

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

/// Where a checkout writes, with the module's guarantees: a new destination is filled as a
/// hidden staging directory beside it and renamed into place by [`finish`](Self::finish); in an
/// existing directory each file is written under a temporary name and renamed over its target
/// once complete (refused where a file exists, unless forced). Local checkouts and remote
/// clients (which download instead of reading the store) write through it alike.
pub struct CheckoutTarget {
    writer: Arc<Writer>,
    dest: PathBuf,
    staging: Option<tempfile::TempDir>,
}

impl std::fmt::Debug for CheckoutTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CheckoutTarget")
            .field("dest", &self.dest)
            .finish_non_exhaustive()
    }
}

/// A file being written by a [`CheckoutTarget`]: write the bytes to `file`, then
/// [`CheckoutTarget::commit`] it; dropped uncommitted, it leaves nothing visible.
#[derive(Debug)]
pub struct CheckoutFile {
    /// Where the bytes go.
    pub file: std::fs::File,
    entry: FileEntry,
    tmp: Option<tempfile::TempPath>,
}

impl CheckoutTarget {
    /// Checks `files`' paths and the destination, creates the directories files go in.
    pub fn prepare(dest: &Path, files: &[FileEntry], options: CheckoutOptions) -> Result<Self> {
        if let Some(f) = files.iter().find(|f| !FileEntry::is_safe_path(&f.path)) {
            return Err(Error::BadInputName {
                path: f.path.clone().into(),
                reason: "the catalog holds an unsafe path; check the repository".into(),
            });
        }
        let dest = std::path::absolute(dest).map_err(Error::output(dest))?;
        let fresh = std::fs::symlink_metadata(&dest).is_err();
        let mut staging = None;
        let writer = if fresh {
            let parent = dest.parent().unwrap_or(Path::new("/"));
            std::fs::create_dir_all(parent).map_err(|e| {
                // create_dir_all reports a file in the way as "File exists".
                let e = if e.kind() == std::io::ErrorKind::AlreadyExists {
                    not_a_directory()
                } else {
                    e
                };
                Error::output(parent)(e)
            })?;
            let dir = tempfile::Builder::new()
                .prefix(".bifrost-checkout-")
                .tempdir_in(parent)
                .map_err(Error::output(parent))?;
            let root = dir.path().to_owned();
            staging = Some(dir);
            Writer::new(root, true, options.force)
        } else {
            if !dest.is_dir() {
                return Err(Error::output(&dest)(not_a_directory()));
            }
            if !options.force {
                for f in files {
                    let target = dest.join(&f.path);
                    if std::fs::symlink_metadata(&target).is_ok() {
                        return Err(Error::DestinationExists { path: target });
                    }
                }
            }
            Writer::new(dest.clone(), false, options.force)
        };
        let dirs: BTreeSet<PathBuf> = files
            .iter()
            .filter_map(|f| writer.target(f).parent().map(Path::to_owned))
            .collect();
        for d in &dirs {
            std::fs::create_dir_all(d).map_err(Error::output(d))?;
        }
        Ok(Self {
            writer: Arc::new(writer),
            dest,
            staging,
        })
    }

    /// Starts writing `entry`.
    pub fn open(&self, entry: &FileEntry) -> Result<CheckoutFile> {
        let (file, tmp) = self.writer.open_for_restore(entry)?;
        Ok(CheckoutFile {
            file,
            entry: entry.clone(),
            tmp,
        })
    }

    /// Hands over a completely written file (with its permissions set); it is put in place by
    /// [`finish`](Self::finish), with every other file of the checkout.
    pub fn commit(&self, written: CheckoutFile) -> Result<()> {
        self.writer
            .finish_restore(&written.entry, &written.file, written.tmp)
    }

    /// Puts everything in place: renames the staging directory (for a new destination), or
    /// every file written under a temporary name (into an existing directory); the destination.
    pub fn finish(self) -> Result<PathBuf> {
        self.writer.persist_all()?;
        let dest = self.dest;
        if let Some(staging) = self.staging {
            let staged = staging.keep();
            if let Err(e) = std::fs::rename(&staged, &dest) {
                let _ = std::fs::remove_dir_all(&staged);
                return Err(if e.kind() == std::io::ErrorKind::DirectoryNotEmpty {
                    Error::DestinationExists { path: dest }
                } else {
                    Error::output(&dest)(e)
                });
            }
        }
        Ok(dest)
    }
}

/// Where and how files are written.
struct Writer {
    root: PathBuf,
    /// Writing into a private staging directory: create files in place, no temporary names.
    staging: bool,
    force: bool,
    /// Outside a staging directory: files written completely under temporary names, by target,
    /// renamed into place together by [`Writer::persist_all`] (dropped, they are deleted).
    pending: Mutex<HashMap<PathBuf, tempfile::TempPath>>,
}

impl Writer {
    fn new(root: PathBuf, staging: bool, force: bool) -> Self {
        Writer {
            root,
            staging,
            force,
            pending: Mutex::default(),
        }
    }

    fn target(&self, entry: &FileEntry) -> PathBuf {
        self.root.join(&entry.path)
    }

    /// Where `entry`'s bytes are now: its temporary name until [`Writer::persist_all`].
    fn written(&self, entry: &FileEntry) -> PathBuf {
        let target = self.target(entry);
        self.pending
            .lock()
            .expect("no panics while holding it")
            .get(&target)
            .map_or(target, |tmp| tmp.to_path_buf())
    }

    /// Writes a whole small file.
    fn write_whole(&self, entry: &FileEntry, bytes: &[u8]) -> Result<()> {
        let target = self.target(entry);
        let out = Error::output(&target);
        if self.staging {
            let mut f = std::fs::File::create_new(&target).map_err(Error::output(&target))?;
            f.write_all(bytes).map_err(Error::output(&target))?;
            f.set_permissions(permissions(entry.mode)).map_err(out)
        } else {
            let mut tmp = temp_beside(&target)?;
            tmp.write_all(bytes).map_err(Error::output(&target))?;
            tmp.as_file()
                .set_permissions(permissions(entry.mode))
                .map_err(out)?;
            self.persist(tmp.into_temp_path(), &target)
        }
    }

    /// Opens the file a multi-chunk content is restored into.
    fn open_for_restore(
        &self,
        entry: &FileEntry,
    ) -> Result<(std::fs::File, Option<tempfile::TempPath>)> {
        let target = self.target(entry);
        if self.staging {
            let f = std::fs::File::create_new(&target).map_err(Error::output(&target))?;
            Ok((f, None))
        } else {
            let tmp = temp_beside(&target)?;
            let f = tmp.as_file().try_clone().map_err(Error::output(&target))?;
            Ok((f, Some(tmp.into_temp_path())))
        }
    }

    fn finish_restore(
        &self,
        entry: &FileEntry,
        file: &std::fs::File,
        tmp: Option<tempfile::TempPath>,
    ) -> Result<()> {
        let target = self.target(entry);
        file.set_permissions(permissions(entry.mode))
            .map_err(Error::output(&target))?;
        match tmp {
            Some(tmp) => self.persist(tmp, &target),
            None => Ok(()),
        }
    }

    /// Makes `entry` a clone of the already written `source`.
    fn clone_file(&self, source: &Path, entry: &FileEntry) -> Result<()> {
        let target = self.target(entry);
        let clone = |to: &Path| {
            reflink_copy::reflink_or_copy(source, to)
                .and_then(|_| std::fs::set_permissions(to, permissions(entry.mode)))
                .map_err(Error::output(&target))
        };
        if self.staging {
            return clone(&target);
        }
        // The temporary name is reserved by creating the file, then freed for the clone; the
        // TempPath still removes whatever is there if anything fails.
        let tmp = temp_beside(&target)?.into_temp_path();
        std::fs::remove_file(&tmp).map_err(Error::output(&target))?;
        clone(&tmp)?;
        self.persist(tmp, &target)
    }

    /// Queues a completely written file for [`Writer::persist_all`].
    fn persist(&self, tmp: tempfile::TempPath, target: &Path) -> Result<()> {
        self.pending
            .lock()
            .expect("no panics while holding it")
            .insert(target.to_owned(), tmp);
        Ok(())
    }

    /// Renames every queued file into place.
    fn persist_all(&self) -> Result<()> {
        let pending =
            std::mem::take(&mut *self.pending.lock().expect("no panics while holding it"));
        for (target, tmp) in pending {
            self.persist_now(tmp, &target)?;
        }
        Ok(())
    }

    fn persist_now(&self, tmp: tempfile::TempPath, target: &Path) -> Result<()> {
        if self.force {
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
}

/// ENOTDIR, so the message reads like the system's own ("Not a directory").
fn not_a_directory() -> std::io::Error {
    std::io::Error::from_raw_os_error(20)
}

pub(crate) fn permissions(mode: u32) -> std::fs::Permissions {
    std::fs::Permissions::from_mode(match mode & 0o777 {
        0 => 0o644,
        m => m,
    })
}

fn temp_beside(target: &Path) -> Result<tempfile::NamedTempFile> {
    let parent = target.parent().expect("targets live under the destination");
    tempfile::Builder::new()
        .prefix(".bifrost-tmp-")
        .tempfile_in(parent)
        .map_err(Error::output(parent))
}

fn store_error(path: &Path) -> impl FnOnce(StoreError) -> Error {
    let path = path.to_owned();
    move |e| match e {
        StoreError::WriteOutput(source) => Error::Output { path, source },
        other => other.into(),
    }
}

impl Repository {
    /// Materialises `reference` under `dest`. See the module docs for the guarantees.
    pub async fn checkout(
        &self,
        reference: &VersionRef,
        dest: &Path,
        options: CheckoutOptions,
        progress: Arc<dyn Progress>,
    ) -> Result<CheckoutOutcome> {
        let version = self.resolve(reference).await?;
        let files = self.catalog.version_files(version.id).await?;
        let target = CheckoutTarget::prepare(dest, &files, options)?;
        let total: u64 = files.iter().map(|f| f.size).sum();
        progress.start("checking out", total);
        let result = self
            .materialise(&files, target.writer.clone(), progress.clone())
            .await;
        progress.finish();
        let cloned = result?;

        let dest = target.finish()?;
        Ok(CheckoutOutcome {
            version,
            destination: dest,
            files: files.len() as u64,
            bytes: total,
            cloned,
        })
    }

    /// Writes every file through `writer`; returns how many were cloned from another.
    async fn materialise(
        &self,
        files: &[FileEntry],
        writer: Arc<Writer>,
        progress: Arc<dyn Progress>,
    ) -> Result<u64> {
        let mut groups: HashMap<ContentId, Vec<&FileEntry>> = HashMap::new();
        for f in files {
            groups.entry(f.content).or_default().push(f);
        }
        let ids: Vec<ContentId> = groups.keys().copied().collect();
        let mut locations = self.catalog.content_locations_many(&ids).await?;
        let mut small: Vec<(FileEntry, ChunkLocation)> = Vec::new();
        let mut large: Vec<(FileEntry, Vec<ChunkLocation>)> = Vec::new();
        for (content, group) in &groups {
            let first = group[0].clone();
            let locs = locations.remove(content).unwrap_or_default();
            let size: u64 = locs.iter().map(|l| u64::from(l.entry.raw_len)).sum();
            if size != first.size {
                return Err(StoreError::SizeMismatch {
                    content: *content,
                    expected: first.size,
                    actual: size,
                }
                .into());
            }
            match locs.as_slice() {
                [] => {
                    writer.write_whole(&first, &[])?;
                    progress.advance(0);
                }
                [one] => small.push((first, *one)),
                _ => large.push((first, locs)),
            }
        }

        // One batched read for every single-chunk file.
        let (entries, chunk_locations): (Vec<FileEntry>, Vec<ChunkLocation>) =
            small.into_iter().unzip();
        let failure: Arc<Mutex<Option<Error>>> = Arc::default();
        let sink = {
            let failure = failure.clone();
            let progress = progress.clone();
            let writer = writer.clone();
            move |i: usize, bytes: &[u8]| match writer.write_whole(&entries[i], bytes) {
                Ok(()) => {
                    progress.advance(entries[i].size);
                    Ok(())
                }
                Err(e) => {
                    let msg = e.to_string();
                    failure.lock().expect("failure slot").get_or_insert(e);
                    Err(std::io::Error::other(msg))
                }
            }
        };
        let batch = self
            .store
            .read_chunks(&chunk_locations, Arc::new(sink))
            .await;
        if let Some(e) = failure.lock().expect("failure slot").take() {
            return Err(e);
        }
        batch?;

        // Larger files, a few at a time.
        futures::stream::iter(large)
            .map(|(entry, locs)| {
                let progress = progress.clone();
                let writer = writer.clone();
                async move {
                    let (file, tmp) = writer.open_for_restore(&entry)?;
                    let file = Arc::new(file);
                    self.store
                        .restore(&entry.content, entry.size, &locs, file.clone())
                        .await
                        .map_err(store_error(&writer.target(&entry)))?;
                    writer.finish_restore(&entry, &file, tmp)?;
                    progress.advance(entry.size);
                    Ok::<_, Error>(())
                }
            })
            .buffer_unordered(FILES_IN_FLIGHT)
            .try_collect::<()>()
            .await?;

        // Repeats of a content: clone the copy just written.
        let mut cloned = 0;
        for group in groups.values() {
            let source = writer.written(group[0]);
            for other in &group[1..] {
                writer.clone_file(&source, other)?;
                progress.advance(other.size);
                cloned += 1;
            }
        }
        Ok(cloned)
    }
}

impl Repository {
    /// Restores `files` from the store into the existing, empty directory `dir` (paths
    /// relative to it), every chunk verified; used to fill the workspace cache.
    pub(crate) async fn restore_into(
        &self,
        files: &[FileEntry],
        dir: &Path,
        progress: Arc<dyn Progress>,
    ) -> Result<()> {
        let writer = Writer::new(dir.to_owned(), true, false);
        progress.start("materialising", files.iter().map(|f| f.size).sum());
        let result = self
            .materialise(files, Arc::new(writer), progress.clone())
            .await;
        progress.finish();
        result.map(|_| ())
    }
}
