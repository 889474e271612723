//! Where a checkout writes, all or nothing.
//!
//! Into a new destination, everything is written into a hidden staging directory beside it that
//! is renamed into place at the end: the checkout appears whole or not at all. Into an existing
//! directory, each file is written under a temporary name beside its target, and only once every
//! file is written are they all renamed into place: a checkout that fails (a full disk, a corrupt
//! chunk, a killed download) changes nothing there. Files repeating a content already written can
//! be cloned with a reflink where the filesystem supports it, else copied.
//!
//! Where the bytes come from is the caller's business: the facade restores them from the store,
//! the HTTP client downloads them. Both verify what they write before committing it.

use std::collections::{BTreeSet, HashMap};
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use bifrost_core::{FileEntry, Version};

use crate::error::{FilesError, Result};

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
/// once every file is complete (refused where a file exists, unless forced). Dropped before
/// `finish`, it leaves the destination as it was. Local checkouts and remote clients (which
/// download instead of reading the store) write through it alike.
pub struct CheckoutTarget {
    writer: CheckoutWriter,
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
    /// Where the bytes go (shared, for positioned writes from several threads).
    pub file: Arc<std::fs::File>,
    entry: FileEntry,
    tmp: Option<tempfile::TempPath>,
}

impl CheckoutTarget {
    /// Checks `files`' paths and the destination, creates the directories files go in.
    pub fn prepare(dest: &Path, files: &[FileEntry], options: CheckoutOptions) -> Result<Self> {
        if let Some(f) = files.iter().find(|f| !FileEntry::is_safe_path(&f.path)) {
            return Err(FilesError::UnsafePath {
                path: f.path.clone(),
            });
        }
        let dest = std::path::absolute(dest).map_err(FilesError::output(dest))?;
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
                FilesError::output(parent)(e)
            })?;
            let dir = tempfile::Builder::new()
                .prefix(".bifrost-checkout-")
                .tempdir_in(parent)
                .map_err(FilesError::output(parent))?;
            let root = dir.path().to_owned();
            staging = Some(dir);
            Writer::new(root, true, options.force)
        } else {
            if !dest.is_dir() {
                return Err(FilesError::output(&dest)(not_a_directory()));
            }
            if !options.force {
                for f in files {
                    let target = dest.join(&f.path);
                    if std::fs::symlink_metadata(&target).is_ok() {
                        return Err(FilesError::DestinationExists { path: target });
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
            std::fs::create_dir_all(d).map_err(FilesError::output(d))?;
        }
        Ok(Self {
            writer: CheckoutWriter(Arc::new(writer)),
            dest,
            staging,
        })
    }

    /// A handle that writes files of this checkout, cheap to clone and to share between
    /// threads; what it writes is put in place by [`finish`](Self::finish).
    pub fn writer(&self) -> CheckoutWriter {
        self.writer.clone()
    }

    /// Starts writing `entry` (see [`CheckoutWriter::open`]).
    pub fn open(&self, entry: &FileEntry) -> Result<CheckoutFile> {
        self.writer.open(entry)
    }

    /// Hands over a completely written file (see [`CheckoutWriter::commit`]).
    pub fn commit(&self, written: CheckoutFile) -> Result<()> {
        self.writer.commit(written)
    }

    /// Puts everything in place: renames the staging directory (for a new destination), or
    /// every file written under a temporary name (into an existing directory); the destination.
    pub fn finish(self) -> Result<PathBuf> {
        self.writer.0.persist_all()?;
        let dest = self.dest;
        if let Some(staging) = self.staging {
            let staged = staging.keep();
            if let Err(e) = std::fs::rename(&staged, &dest) {
                let _ = std::fs::remove_dir_all(&staged);
                return Err(if e.kind() == std::io::ErrorKind::DirectoryNotEmpty {
                    FilesError::DestinationExists { path: dest }
                } else {
                    FilesError::output(&dest)(e)
                });
            }
        }
        Ok(dest)
    }
}

/// Writes the files of a checkout: those of a [`CheckoutTarget`] (nothing visible before its
/// [`finish`](CheckoutTarget::finish)), or straight into a private directory
/// ([`CheckoutWriter::into_private_dir`]). Cheap to clone; clones write the same checkout.
#[derive(Debug, Clone)]
pub struct CheckoutWriter(Arc<Writer>);

impl CheckoutWriter {
    /// Writes into `dir`, an existing empty directory nobody else writes to (a staging directory
    /// of the caller's): files are created in place under their own names, with no temporary
    /// names and nothing to rename afterwards. The caller makes the directory visible, or
    /// removes it, as a whole.
    pub fn into_private_dir(dir: &Path) -> Self {
        CheckoutWriter(Arc::new(Writer::new(dir.to_owned(), true, false)))
    }

    /// Where `entry` is written (inside the staging directory for a new destination).
    pub fn path(&self, entry: &FileEntry) -> PathBuf {
        self.0.target(entry)
    }

    /// Starts writing `entry` (its parent directory exists).
    pub fn open(&self, entry: &FileEntry) -> Result<CheckoutFile> {
        let (file, tmp) = self.0.open_for_restore(entry)?;
        Ok(CheckoutFile {
            file: Arc::new(file),
            entry: entry.clone(),
            tmp,
        })
    }

    /// Hands over a completely written file: its permissions are set from the entry's mode, and
    /// it is put in place with every other file of the checkout.
    pub fn commit(&self, written: CheckoutFile) -> Result<()> {
        self.0
            .finish_restore(&written.entry, &written.file, written.tmp)
    }

    /// Writes `entry` whole from `bytes` (and commits it).
    pub fn write(&self, entry: &FileEntry, bytes: &[u8]) -> Result<()> {
        self.0.write_whole(entry, bytes)
    }

    /// Writes `entry` as a copy of `source`, already written by this writer: a reflink where
    /// the filesystem supports it, else a copy (and commits it).
    pub fn clone_file(&self, source: &FileEntry, entry: &FileEntry) -> Result<()> {
        self.0.clone_file(&self.0.written(source), entry)
    }
}

/// Where and how files are written.
#[derive(Debug)]
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
        let out = FilesError::output(&target);
        if self.staging {
            let mut f = std::fs::File::create_new(&target).map_err(FilesError::output(&target))?;
            f.write_all(bytes).map_err(FilesError::output(&target))?;
            f.set_permissions(file_permissions(entry.mode)).map_err(out)
        } else {
            let mut tmp = temp_beside(&target)?;
            tmp.write_all(bytes).map_err(FilesError::output(&target))?;
            tmp.as_file()
                .set_permissions(file_permissions(entry.mode))
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
            let f = std::fs::File::create_new(&target).map_err(FilesError::output(&target))?;
            Ok((f, None))
        } else {
            let tmp = temp_beside(&target)?;
            let f = tmp
                .as_file()
                .try_clone()
                .map_err(FilesError::output(&target))?;
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
        file.set_permissions(file_permissions(entry.mode))
            .map_err(FilesError::output(&target))?;
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
                .and_then(|_| std::fs::set_permissions(to, file_permissions(entry.mode)))
                .map_err(FilesError::output(&target))
        };
        if self.staging {
            return clone(&target);
        }
        // The temporary name is reserved by creating the file, then freed for the clone; the
        // TempPath still removes whatever is there if anything fails.
        let tmp = temp_beside(&target)?.into_temp_path();
        std::fs::remove_file(&tmp).map_err(FilesError::output(&target))?;
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
                .map_err(|e| FilesError::output(target)(e.error))
        } else {
            tmp.persist_noclobber(target).map_err(|e| {
                if e.error.kind() == std::io::ErrorKind::AlreadyExists {
                    FilesError::DestinationExists {
                        path: target.to_owned(),
                    }
                } else {
                    FilesError::output(target)(e.error)
                }
            })
        }
    }
}

/// ENOTDIR, so the message reads like the system's own ("Not a directory").
fn not_a_directory() -> std::io::Error {
    std::io::Error::from_raw_os_error(20)
}

/// The permissions a checked-out file gets: the permission bits of its recorded `mode`, or
/// 0644 where none were recorded.
pub fn file_permissions(mode: u32) -> std::fs::Permissions {
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
        .map_err(FilesError::output(parent))
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use bifrost_core::ContentId;

    use super::*;

    fn entry(path: &str, bytes: &[u8]) -> FileEntry {
        FileEntry {
            path: path.into(),
            size: bytes.len() as u64,
            mode: 0o640,
            content: ContentId::of(bytes),
        }
    }

    /// Writes `files` through a target at `dest`: `a` whole, `b` opened, written and committed,
    /// `c` cloned from `a`.
    fn write_all(target: &CheckoutTarget, files: &[FileEntry]) {
        let writer = target.writer();
        writer.write(&files[0], b"alpha").unwrap();
        let out = target.open(&files[1]).unwrap();
        (&*out.file).write_all(b"beta").unwrap();
        target.commit(out).unwrap();
        writer.clone_file(&files[0], &files[2]).unwrap();
    }

    fn files() -> Vec<FileEntry> {
        vec![
            entry("a.txt", b"alpha"),
            entry("sub/b.bin", b"beta"),
            entry("sub/deeper/c.txt", b"alpha"),
        ]
    }

    fn listing(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = walkdir::WalkDir::new(dir)
            .min_depth(1)
            .into_iter()
            .map(|e| {
                let e = e.unwrap();
                e.path().strip_prefix(dir).unwrap().display().to_string()
            })
            .collect();
        names.sort();
        names
    }

    #[test]
    fn a_new_destination_appears_whole_at_finish_or_not_at_all() {
        let root = tempfile::tempdir().unwrap();
        let dest = root.path().join("out");
        let target = CheckoutTarget::prepare(&dest, &files(), CheckoutOptions::default()).unwrap();
        write_all(&target, &files());
        assert!(!dest.exists(), "nothing is visible before finish");
        assert_eq!(target.finish().unwrap(), dest);
        assert_eq!(std::fs::read(dest.join("a.txt")).unwrap(), b"alpha");
        assert_eq!(std::fs::read(dest.join("sub/b.bin")).unwrap(), b"beta");
        assert_eq!(
            std::fs::read(dest.join("sub/deeper/c.txt")).unwrap(),
            b"alpha"
        );
        let mode = std::fs::metadata(dest.join("sub/b.bin"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o640);
        assert_eq!(
            listing(root.path()).len(),
            6,
            "no staging left: {:?}",
            listing(root.path())
        );

        // Abandoned halfway: nothing at the destination, no staging directory left beside it.
        let other = root.path().join("other");
        let target = CheckoutTarget::prepare(&other, &files(), CheckoutOptions::default()).unwrap();
        write_all(&target, &files());
        drop(target);
        assert!(!other.exists());
        assert_eq!(listing(root.path()).len(), 6, "{:?}", listing(root.path()));
    }

    #[test]
    fn an_existing_directory_changes_only_at_finish() {
        let dest = tempfile::tempdir().unwrap();
        std::fs::write(dest.path().join("keep.txt"), b"mine").unwrap();
        let before = listing(dest.path());
        let target =
            CheckoutTarget::prepare(dest.path(), &files(), CheckoutOptions::default()).unwrap();
        write_all(&target, &files());
        drop(target);
        // The directories files would go in may stay; no file does.
        let after: Vec<String> = listing(dest.path())
            .into_iter()
            .filter(|p| dest.path().join(p).is_file())
            .collect();
        assert_eq!(after, before);

        let target =
            CheckoutTarget::prepare(dest.path(), &files(), CheckoutOptions::default()).unwrap();
        write_all(&target, &files());
        assert!(
            !dest.path().join("a.txt").exists(),
            "nothing is visible before finish"
        );
        target.finish().unwrap();
        assert_eq!(
            std::fs::read(dest.path().join("sub/deeper/c.txt")).unwrap(),
            b"alpha"
        );
        assert_eq!(
            std::fs::read(dest.path().join("keep.txt")).unwrap(),
            b"mine"
        );
    }

    #[test]
    fn existing_files_are_refused_unless_forced() {
        let dest = tempfile::tempdir().unwrap();
        std::fs::write(dest.path().join("a.txt"), b"mine").unwrap();
        let refused = CheckoutTarget::prepare(dest.path(), &files(), CheckoutOptions::default());
        let in_the_way = |path: &Path| path.ends_with("a.txt");
        assert!(
            matches!(refused, Err(FilesError::DestinationExists { ref path }) if in_the_way(path)),
            "{refused:?}"
        );
        let target =
            CheckoutTarget::prepare(dest.path(), &files(), CheckoutOptions { force: true })
                .unwrap();
        write_all(&target, &files());
        target.finish().unwrap();
        assert_eq!(std::fs::read(dest.path().join("a.txt")).unwrap(), b"alpha");
    }

    #[test]
    fn unsafe_paths_are_refused_before_anything_is_written() {
        let root = tempfile::tempdir().unwrap();
        for bad in ["../escape", "/abs", "a/./b", "a//b", ""] {
            let listed = vec![entry("ok.txt", b"x"), entry(bad, b"y")];
            let refused =
                CheckoutTarget::prepare(&root.path().join("out"), &listed, Default::default());
            assert!(
                matches!(refused, Err(FilesError::UnsafePath { ref path }) if path == bad),
                "{bad}: {refused:?}"
            );
        }
        assert!(
            listing(root.path()).is_empty(),
            "{:?}",
            listing(root.path())
        );
    }
}
