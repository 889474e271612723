//! Workspaces: directories where assets are checked out to work on, kept in step with the
//! repository.
//!
//! A workspace is a directory with `.bifrost-workspace/state.json`: the assets it tracks (each
//! following the latest version or pinned to one), the version of each that is checked out and,
//! per file, the content, size and modification time it had when written. Asset `A` lives in
//! `DIR/A/`. `status` compares the tree with the state by size and modification time and hashes
//! only files whose stat changed; `sync` moves every asset to its latest (or pinned) version and
//! never overwrites, deletes or recreates a file the user changed: such a file is reported as a
//! conflict and kept.
//!
//! Files are materialised from a shared cache of whole contents under the repository
//! (`.bifrost/cache/<xx>/<blake3>`, read-only), so several workspaces share disk:
//! - `reflink`: a copy-on-write clone of the cache file (writable, shares blocks until edited);
//! - `hardlink`: a hard link to the cache file (read-only; `workspace edit PATH` replaces it with
//!   a private writable copy first);
//! - `symlink`: a symbolic link to the cache file (read-only the same way);
//! - `copy`: a plain private copy.
//!
//! The default is the first that works between the cache and the workspace: reflink, then
//! hardlink, then copy. An edit in one workspace never reaches another's files: reflinks and
//! copies are private, links point at read-only cache files. (root ignores file permissions:
//! a root user must use `workspace edit` before editing a linked file.)

use std::collections::{BTreeMap, BTreeSet};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use bifrost_core::{ContentId, FileEntry, VersionRef, VersionSelector};
use bifrost_files::Progress;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::Repository;
use crate::error::{Error, Result};

/// The directory inside a workspace that holds its state.
pub const WORKSPACE_DIR: &str = ".bifrost-workspace";
const STATE_FILE: &str = "state.json";
const STATE_FORMAT: u32 = 1;
/// The registry of workspaces under the repository's `.bifrost`.
const REGISTRY: &str = "workspaces.json";
/// The materialised content cache under the repository's `.bifrost`.
pub const CACHE_DIR: &str = "cache";

/// How files are put into a workspace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Copy-on-write clone of the cache file.
    Reflink,
    /// Read-only hard link to the cache file.
    Hardlink,
    /// Read-only symbolic link to the cache file.
    Symlink,
    /// Plain private copy.
    Copy,
}

impl Mode {
    /// Whether files are links into the shared cache (read-only until `workspace edit`).
    pub fn is_link(self) -> bool {
        matches!(self, Mode::Hardlink | Mode::Symlink)
    }
}

impl std::fmt::Display for Mode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Mode::Reflink => "reflink",
            Mode::Hardlink => "hardlink",
            Mode::Symlink => "symlink",
            Mode::Copy => "copy",
        })
    }
}

impl std::str::FromStr for Mode {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, Self::Err> {
        match s {
            "reflink" => Ok(Mode::Reflink),
            "hardlink" => Ok(Mode::Hardlink),
            "symlink" => Ok(Mode::Symlink),
            "copy" => Ok(Mode::Copy),
            _ => Err(format!(
                "`{s}` is not a mode: write reflink, hardlink, symlink or copy"
            )),
        }
    }
}

/// One checked-out file as the state remembers it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrackedFile {
    /// Content of the checked-out version.
    pub content: ContentId,
    /// Its size.
    pub size: u64,
    /// Its mode bits in the version.
    pub mode: u32,
    /// Modification time (ns since the epoch) when written or last found unchanged; 0 forces a
    /// hash on the next status.
    pub mtime_ns: i64,
    /// A private copy (made by `workspace edit`) rather than the workspace's mode.
    #[serde(default)]
    pub private: bool,
}

/// One tracked asset.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrackedAsset {
    /// Pinned version, or `None` to follow the latest.
    pub pin: Option<i64>,
    /// Version checked out (0: none yet).
    pub version: i64,
    /// Files of that version, by path.
    pub files: BTreeMap<String, TrackedFile>,
}

/// `.bifrost-workspace/state.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkspaceState {
    /// State format.
    pub format: u32,
    /// The repository root.
    pub repository: PathBuf,
    /// The project.
    pub project: String,
    /// Materialisation mode.
    pub mode: Mode,
    /// Tracked assets.
    pub assets: BTreeMap<String, TrackedAsset>,
}

/// A difference between a workspace and its checked-out versions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    /// The asset.
    pub asset: String,
    /// Path inside the asset.
    pub path: String,
    /// `modified`, `new` or `deleted`.
    pub kind: ChangeKind,
}

/// The kind of a [`Change`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChangeKind {
    /// Differs from the checked-out version.
    Modified,
    /// Not in the checked-out version.
    New,
    /// In the version, missing here.
    Deleted,
}

impl std::fmt::Display for ChangeKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ChangeKind::Modified => "modified",
            ChangeKind::New => "new",
            ChangeKind::Deleted => "deleted",
        })
    }
}

/// What `workspace status` found.
#[derive(Debug, Clone, Serialize)]
pub struct WorkspaceStatus {
    /// The workspace.
    pub dir: PathBuf,
    /// Its mode.
    pub mode: Mode,
    /// Asset → checked-out version and pin.
    pub assets: BTreeMap<String, (i64, Option<i64>)>,
    /// Files looked at.
    pub files: u64,
    /// Files hashed because their size or time changed.
    pub hashed: u64,
    /// Differences.
    pub changes: Vec<Change>,
}

/// A file `sync` did not touch because the user changed it.
#[derive(Debug, Clone, Serialize)]
pub struct Conflict {
    /// The asset.
    pub asset: String,
    /// Path inside the asset.
    pub path: String,
    /// What happened.
    pub reason: String,
}

/// What `workspace sync` (or init/add) did.
#[derive(Debug, Clone, Serialize)]
pub struct SyncReport {
    /// The workspace.
    pub dir: PathBuf,
    /// Its mode.
    pub mode: Mode,
    /// Assets moved: (asset, from, to).
    pub updated: Vec<(String, i64, i64)>,
    /// Files written.
    pub written: u64,
    /// Files removed.
    pub removed: u64,
    /// Files the user changed, kept as they are.
    pub conflicts: Vec<Conflict>,
}

fn ws_error(dir: &Path, reason: impl Into<String>) -> Error {
    Error::Workspace {
        dir: dir.to_owned(),
        reason: reason.into(),
    }
}

fn mtime_ns(meta: &std::fs::Metadata) -> i64 {
    meta.mtime() * 1_000_000_000 + meta.mtime_nsec()
}

/// BLAKE3 of a file's bytes (through symbolic links).
pub(crate) fn hash_file(path: &Path) -> std::io::Result<(ContentId, u64)> {
    let mut hasher = blake3::Hasher::new();
    hasher.update_reader(std::fs::File::open(path)?)?;
    let size = std::fs::metadata(path)?.len();
    Ok((ContentId(*hasher.finalize().as_bytes()), size))
}

/// Finds the workspace containing `start`.
pub fn find_workspace(start: &Path) -> Result<PathBuf> {
    let abs = std::path::absolute(start).unwrap_or_else(|_| start.to_owned());
    let mut dir = Some(abs.as_path());
    while let Some(d) = dir {
        if d.join(WORKSPACE_DIR).join(STATE_FILE).is_file() {
            return Ok(d.to_owned());
        }
        dir = d.parent();
    }
    Err(Error::NotAWorkspace { dir: abs })
}

/// The repository root and project a workspace belongs to.
pub fn workspace_origin(dir: &Path) -> Result<(PathBuf, String)> {
    let state = load_state(dir)?;
    Ok((state.repository, state.project))
}

fn load_state(dir: &Path) -> Result<WorkspaceState> {
    let path = dir.join(WORKSPACE_DIR).join(STATE_FILE);
    let text = std::fs::read(&path).map_err(|source| Error::Input {
        path: path.clone(),
        source,
    })?;
    let state: WorkspaceState = serde_json::from_slice(&text).map_err(|e| {
        ws_error(
            dir,
            format!("{} is damaged ({e}); init a new workspace", path.display()),
        )
    })?;
    if state.format > STATE_FORMAT {
        return Err(ws_error(
            dir,
            "it was made by a newer bifrost; upgrade bifrost to use it",
        ));
    }
    Ok(state)
}

/// Writes `bytes` to `path` atomically (temporary file beside it, fsync, rename).
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    let parent = path.parent().expect("state files live in a directory");
    let mut tmp = tempfile::Builder::new()
        .prefix(".bifrost-tmp-")
        .tempfile_in(parent)
        .map_err(Error::output(parent))?;
    tmp.write_all(bytes).map_err(Error::output(path))?;
    tmp.as_file().sync_all().map_err(Error::output(path))?;
    tmp.persist(path)
        .map_err(|e| Error::output(path)(e.error))?;
    Ok(())
}

fn save_state(dir: &Path, state: &WorkspaceState) -> Result<()> {
    let path = dir.join(WORKSPACE_DIR).join(STATE_FILE);
    write_atomic(
        &path,
        &serde_json::to_vec_pretty(state).expect("states serialize"),
    )
}

/// A file as found on disk, compared with its tracked entry.
enum Seen {
    Unchanged,
    Modified(ContentId),
    Missing,
}

/// Stat of a path as `sync` saw it, to notice an edit made while it runs.
fn stamp(path: &Path) -> Option<(u64, i64, bool)> {
    std::fs::symlink_metadata(path)
        .ok()
        .map(|m| (m.len(), mtime_ns(&m), m.file_type().is_symlink()))
}

struct Ctx {
    cache: PathBuf,
    mode: Mode,
}

impl Ctx {
    fn cache_path(&self, id: &ContentId) -> PathBuf {
        let hex = id.to_string();
        self.cache.join(&hex[..2]).join(hex)
    }

    /// Compares the file at `path` with `tracked`: stat first, hash only when it changed.
    fn examine(&self, path: &Path, tracked: &TrackedFile) -> (Seen, bool) {
        let Ok(meta) = std::fs::symlink_metadata(path) else {
            return (Seen::Missing, false);
        };
        if meta.file_type().is_symlink() {
            if !tracked.private
                && std::fs::read_link(path).is_ok_and(|t| t == self.cache_path(&tracked.content))
            {
                return (Seen::Unchanged, false);
            }
        } else if meta.len() == tracked.size && mtime_ns(&meta) == tracked.mtime_ns {
            return (Seen::Unchanged, false);
        }
        match hash_file(path) {
            Ok((id, _)) if id == tracked.content => (Seen::Unchanged, true),
            Ok((id, _)) => (Seen::Modified(id), true),
            // Unreadable or a dangling link: certainly not the tracked bytes.
            Err(_) => (Seen::Modified(ContentId([0; 32])), true),
        }
    }

    /// Puts the cached content `entry.content` at `target` (atomically) in the workspace's mode
    /// (or as a private copy); returns its mtime.
    fn place(&self, entry: &FileEntry, target: &Path, private: bool) -> Result<i64> {
        let source = self.cache_path(&entry.content);
        let dir = target.parent().expect("files live in their asset");
        std::fs::create_dir_all(dir).map_err(Error::output(dir))?;
        let tmp = tempfile::Builder::new()
            .prefix(".bifrost-tmp-")
            .tempfile_in(dir)
            .map_err(Error::output(dir))?
            .into_temp_path();
        std::fs::remove_file(&tmp).map_err(Error::output(target))?;
        let mode = if private { Mode::Copy } else { self.mode };
        let out = Error::output(target);
        match mode {
            Mode::Reflink | Mode::Copy => {
                if mode == Mode::Reflink {
                    reflink_copy::reflink(&source, &tmp)
                } else {
                    std::fs::copy(&source, &tmp).map(|_| ())
                }
                .and_then(|()| {
                    std::fs::set_permissions(&tmp, bifrost_files::file_permissions(entry.mode))
                })
                .map_err(out)?;
            }
            Mode::Hardlink => std::fs::hard_link(&source, &tmp).map_err(out)?,
            Mode::Symlink => std::os::unix::fs::symlink(&source, &tmp).map_err(out)?,
        }
        tmp.persist(target)
            .map_err(|e| Error::output(target)(e.error))?;
        let meta = std::fs::symlink_metadata(target).map_err(Error::output(target))?;
        Ok(mtime_ns(&meta))
    }
}

/// The registry of workspaces of a repository.
fn registry_path(repo_root: &Path) -> PathBuf {
    repo_root.join(crate::DOT_DIR).join(REGISTRY)
}

pub(crate) fn registered_workspaces(repo_root: &Path) -> Vec<PathBuf> {
    std::fs::read(registry_path(repo_root))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default()
}

pub(crate) fn save_registry(repo_root: &Path, dirs: &[PathBuf]) -> Result<()> {
    write_atomic(
        &registry_path(repo_root),
        &serde_json::to_vec_pretty(dirs).expect("paths serialize"),
    )
}

/// Contents the files of a workspace need from the cache (links; copies and reflinks do not).
pub(crate) fn referenced_contents(dir: &Path) -> Option<BTreeSet<ContentId>> {
    let state = load_state(dir).ok()?;
    let link = state.mode.is_link();
    Some(
        state
            .assets
            .values()
            .flat_map(|a| a.files.values())
            .filter(|f| link && !f.private)
            .map(|f| f.content)
            .collect(),
    )
}

impl Repository {
    fn ctx(&self, mode: Mode) -> Ctx {
        Ctx {
            cache: self.root().join(crate::DOT_DIR).join(CACHE_DIR),
            mode,
        }
    }

    /// The mode to use between the cache and `dir`: reflink, else hardlink, else copy.
    fn probe_mode(&self, dir: &Path) -> Mode {
        let cache = self.root().join(crate::DOT_DIR).join(CACHE_DIR);
        let _ = std::fs::create_dir_all(&cache);
        let Ok(probe) = tempfile::Builder::new()
            .prefix("probe-")
            .tempfile_in(&cache)
        else {
            return Mode::Copy;
        };
        let target = dir.join(".bifrost-workspace-probe");
        let _ = std::fs::remove_file(&target);
        let mode = if reflink_copy::reflink(probe.path(), &target).is_ok() {
            Mode::Reflink
        } else if std::fs::hard_link(probe.path(), &target).is_ok() {
            Mode::Hardlink
        } else {
            Mode::Copy
        };
        let _ = std::fs::remove_file(&target);
        mode
    }

    /// Makes sure every content of `files` is in the cache (restored from the store).
    async fn fill_cache(&self, files: &[FileEntry], progress: Arc<dyn Progress>) -> Result<()> {
        let ctx = self.ctx(Mode::Copy);
        let mut missing: BTreeMap<ContentId, FileEntry> = BTreeMap::new();
        for f in files {
            if !missing.contains_key(&f.content) && !ctx.cache_path(&f.content).is_file() {
                missing.insert(
                    f.content,
                    FileEntry {
                        path: f.content.to_string(),
                        size: f.size,
                        mode: 0o444,
                        content: f.content,
                    },
                );
            }
        }
        if missing.is_empty() {
            return Ok(());
        }
        std::fs::create_dir_all(&ctx.cache).map_err(Error::output(&ctx.cache))?;
        let staging = tempfile::Builder::new()
            .prefix("tmp-")
            .tempdir_in(&ctx.cache)
            .map_err(Error::output(&ctx.cache))?;
        let entries: Vec<FileEntry> = missing.into_values().collect();
        self.restore_into(&entries, staging.path(), progress)
            .await?;
        for e in &entries {
            let from = staging.path().join(&e.path);
            let to = ctx.cache_path(&e.content);
            let parent = to.parent().expect("cache paths have a shard");
            std::fs::create_dir_all(parent).map_err(Error::output(parent))?;
            std::fs::set_permissions(&from, std::fs::Permissions::from_mode(0o444))
                .map_err(Error::output(&from))?;
            std::fs::rename(&from, &to).map_err(Error::output(&to))?;
        }
        Ok(())
    }

    /// Creates a workspace in `dir` tracking `assets` and checks them out.
    pub async fn workspace_init(
        &self,
        dir: &Path,
        mode: Option<Mode>,
        assets: &[VersionRef],
        progress: Arc<dyn Progress>,
    ) -> Result<SyncReport> {
        self.require(bifrost_core::access::Permission::Read)?;
        for a in assets {
            self.asset(&a.asset).await?;
        }
        std::fs::create_dir_all(dir).map_err(Error::output(dir))?;
        let dir = dir.canonicalize().map_err(Error::output(dir))?;
        if dir.join(WORKSPACE_DIR).exists() {
            return Err(ws_error(
                &dir,
                "it is already a workspace; add assets to it or sync it instead",
            ));
        }
        if dir.starts_with(self.root().join(crate::DOT_DIR)) {
            return Err(ws_error(
                &dir,
                "a workspace cannot live inside the repository's .bifrost directory",
            ));
        }
        let mode = mode.unwrap_or_else(|| self.probe_mode(&dir));
        std::fs::create_dir_all(dir.join(WORKSPACE_DIR))
            .map_err(Error::output(dir.join(WORKSPACE_DIR)))?;
        let state = WorkspaceState {
            format: STATE_FORMAT,
            repository: self.root().to_owned(),
            project: self.project().to_owned(),
            mode,
            assets: BTreeMap::new(),
        };
        save_state(&dir, &state)?;
        let mut registry = registered_workspaces(self.root());
        if !registry.contains(&dir) {
            registry.push(dir.clone());
            save_registry(self.root(), &registry)?;
        }
        self.workspace_add(&dir, assets, progress).await
    }

    /// Starts tracking `assets` in the workspace `dir` and checks them out.
    pub async fn workspace_add(
        &self,
        dir: &Path,
        assets: &[VersionRef],
        progress: Arc<dyn Progress>,
    ) -> Result<SyncReport> {
        let mut state = load_state(dir)?;
        for a in assets {
            self.asset(&a.asset).await?;
            let pin = match a.version {
                VersionSelector::Latest => None,
                VersionSelector::Number(_) => Some(self.resolve(a).await?.number),
            };
            let entry = state.assets.entry(a.asset.clone()).or_insert(TrackedAsset {
                pin,
                version: 0,
                files: BTreeMap::new(),
            });
            entry.pin = pin;
        }
        save_state(dir, &state)?;
        self.workspace_sync(dir, progress).await
    }

    /// Compares the workspace with its checked-out versions (and refreshes the remembered
    /// times of files found unchanged).
    pub fn workspace_status(&self, dir: &Path) -> Result<WorkspaceStatus> {
        let mut state = load_state(dir)?;
        let ctx = self.ctx(state.mode);
        let mut changes = Vec::new();
        let mut files = 0u64;
        let mut hashed = 0u64;
        let mut dirty = false;
        for (name, asset) in state.assets.iter_mut() {
            let root = dir.join(name);
            let on_disk = list_files(&root);
            files += on_disk.len() as u64;
            let results: Vec<(String, Seen, bool)> = asset
                .files
                .par_iter()
                .map(|(path, tracked)| {
                    let (seen, h) = ctx.examine(&root.join(path), tracked);
                    (path.clone(), seen, h)
                })
                .collect();
            for (path, seen, h) in results {
                hashed += u64::from(h);
                match seen {
                    Seen::Unchanged if h => {
                        if let Ok(m) = std::fs::symlink_metadata(root.join(&path)) {
                            let t = asset.files.get_mut(&path).expect("tracked");
                            t.mtime_ns = mtime_ns(&m);
                            dirty = true;
                        }
                    }
                    Seen::Unchanged => {}
                    Seen::Modified(_) => changes.push(Change {
                        asset: name.clone(),
                        path,
                        kind: ChangeKind::Modified,
                    }),
                    Seen::Missing => changes.push(Change {
                        asset: name.clone(),
                        path,
                        kind: ChangeKind::Deleted,
                    }),
                }
            }
            for path in on_disk {
                if !asset.files.contains_key(&path) {
                    changes.push(Change {
                        asset: name.clone(),
                        path,
                        kind: ChangeKind::New,
                    });
                }
            }
        }
        if dirty {
            save_state(dir, &state)?;
        }
        changes.sort_by(|a, b| (&a.asset, &a.path).cmp(&(&b.asset, &b.path)));
        Ok(WorkspaceStatus {
            dir: dir.to_owned(),
            mode: state.mode,
            assets: state
                .assets
                .iter()
                .map(|(n, a)| (n.clone(), (a.version, a.pin)))
                .collect(),
            files,
            hashed,
            changes,
        })
    }

    /// Moves every tracked asset to its latest (or pinned) version; see the module docs.
    pub async fn workspace_sync(
        &self,
        dir: &Path,
        progress: Arc<dyn Progress>,
    ) -> Result<SyncReport> {
        let mut state = load_state(dir)?;
        let ctx = self.ctx(state.mode);
        let mut report = SyncReport {
            dir: dir.to_owned(),
            mode: state.mode,
            updated: Vec::new(),
            written: 0,
            removed: 0,
            conflicts: Vec::new(),
        };
        let names: Vec<String> = state.assets.keys().cloned().collect();
        for name in names {
            let tracked = state.assets[&name].clone();
            let selector = match tracked.pin {
                Some(n) => VersionSelector::Number(n),
                None => VersionSelector::Latest,
            };
            let target = self
                .resolve(&VersionRef {
                    asset: name.clone(),
                    version: selector,
                })
                .await?;
            if target.number == tracked.version {
                continue;
            }
            let files = self.version_files(&target).await?;
            self.fill_cache(&files, progress.clone()).await?;
            let root = dir.join(&name);
            let on_disk: BTreeSet<String> = list_files(&root).into_iter().collect();
            let mut next: BTreeMap<String, TrackedFile> = BTreeMap::new();
            let conflict = |report: &mut SyncReport, path: &str, reason: String| {
                report.conflicts.push(Conflict {
                    asset: name.clone(),
                    path: path.to_owned(),
                    reason,
                });
            };
            for f in &files {
                let target_path = root.join(&f.path);
                let new_entry = |mtime_ns: i64| TrackedFile {
                    content: f.content,
                    size: f.size,
                    mode: f.mode,
                    mtime_ns,
                    private: false,
                };
                let before = stamp(&target_path);
                let user_content = match tracked.files.get(&f.path) {
                    Some(old) => match ctx.examine(&target_path, old).0 {
                        Seen::Unchanged => None,
                        Seen::Modified(id) => Some(Some(id)),
                        Seen::Missing => {
                            if old.content != f.content {
                                conflict(
                                    &mut report,
                                    &f.path,
                                    format!(
                                        "deleted here, changed in v{}; not recreated",
                                        target.number
                                    ),
                                );
                            }
                            next.insert(f.path.clone(), new_entry(0));
                            continue;
                        }
                    },
                    None if on_disk.contains(&f.path) => {
                        Some(hash_file(&target_path).ok().map(|(id, _)| id))
                    }
                    None => None,
                };
                match user_content {
                    Some(Some(id)) if id == f.content => {
                        // The user already has exactly the new bytes.
                        next.insert(f.path.clone(), new_entry(0));
                    }
                    Some(_) => {
                        conflict(
                            &mut report,
                            &f.path,
                            format!("changed here and in v{}; your file was kept", target.number),
                        );
                        next.insert(f.path.clone(), new_entry(0));
                    }
                    None => {
                        let old = tracked.files.get(&f.path);
                        let same = old.is_some_and(|o| {
                            o.content == f.content && o.mode == f.mode && !o.private
                        });
                        if same {
                            next.insert(f.path.clone(), old.cloned().expect("checked"));
                            continue;
                        }
                        // Last look before replacing: an edit since the check wins.
                        if stamp(&target_path) != before {
                            conflict(
                                &mut report,
                                &f.path,
                                "changed while syncing; your file was kept".into(),
                            );
                            next.insert(f.path.clone(), new_entry(0));
                            continue;
                        }
                        let mtime = ctx.place(f, &target_path, false)?;
                        report.written += 1;
                        next.insert(f.path.clone(), new_entry(mtime));
                    }
                }
            }
            let kept: BTreeSet<&str> = files.iter().map(|f| f.path.as_str()).collect();
            for (path, old) in &tracked.files {
                if kept.contains(path.as_str()) {
                    continue;
                }
                let p = root.join(path);
                match ctx.examine(&p, old).0 {
                    Seen::Missing => {}
                    Seen::Unchanged => {
                        std::fs::remove_file(&p).map_err(Error::output(&p))?;
                        report.removed += 1;
                    }
                    Seen::Modified(_) => conflict(
                        &mut report,
                        path,
                        format!(
                            "changed here, removed in v{}; your file was kept",
                            target.number
                        ),
                    ),
                }
            }
            report
                .updated
                .push((name.clone(), tracked.version, target.number));
            let entry = state.assets.get_mut(&name).expect("tracked");
            entry.version = target.number;
            entry.files = next;
            save_state(dir, &state)?;
        }
        Ok(report)
    }

    /// Replaces the linked file `path` (inside a workspace) with a private writable copy.
    pub fn workspace_edit(&self, path: &Path) -> Result<PathBuf> {
        let abs = std::path::absolute(path).map_err(Error::output(path))?;
        let dir = find_workspace(abs.parent().unwrap_or(&abs))?;
        let mut state = load_state(&dir)?;
        let ctx = self.ctx(state.mode);
        let rel = abs
            .strip_prefix(&dir)
            .map_err(|_| ws_error(&dir, format!("`{}` is outside it", abs.display())))?;
        let mut parts = rel.components();
        let asset = parts
            .next()
            .and_then(|c| c.as_os_str().to_str())
            .unwrap_or_default()
            .to_owned();
        let inner: String = parts
            .as_path()
            .to_str()
            .unwrap_or_default()
            .replace('\\', "/");
        let tracked = state
            .assets
            .get_mut(&asset)
            .and_then(|a| a.files.get_mut(&inner))
            .ok_or_else(|| {
                ws_error(
                    &dir,
                    format!("`{}` is not a checked-out file", abs.display()),
                )
            })?;
        if tracked.private || !state.mode.is_link() {
            return Ok(abs);
        }
        if let (Seen::Modified(_), _) = ctx.examine(&abs, tracked) {
            return Err(ws_error(
                &dir,
                format!(
                    "`{}` no longer matches the checked-out version; it was left as it is",
                    abs.display()
                ),
            ));
        }
        let entry = FileEntry {
            path: inner.clone(),
            size: tracked.size,
            mode: tracked.mode | 0o200,
            content: tracked.content,
        };
        let mtime = ctx.place(&entry, &abs, true)?;
        tracked.private = true;
        tracked.mtime_ns = mtime;
        save_state(&dir, &state)?;
        Ok(abs)
    }

    /// Publishes the workspace's copy of `asset` as its next version: unchanged files are
    /// taken from the checked-out version without reading them, changed and new files are
    /// ingested. The workspace then has that version checked out.
    pub async fn workspace_publish(
        &self,
        dir: &Path,
        asset: &str,
        note: &str,
        progress: Arc<dyn Progress>,
    ) -> Result<crate::PublishOutcome> {
        let lease = self.pack_lease();
        let author = self.actor().user.clone();
        let done = self
            .workspace_publish_leased(dir, asset, &author, note, progress, &lease)
            .await;
        lease.release().await;
        done
    }

    async fn workspace_publish_leased(
        &self,
        dir: &Path,
        asset: &str,
        author: &str,
        note: &str,
        progress: Arc<dyn Progress>,
        lease: &crate::custody::PackLease,
    ) -> Result<crate::PublishOutcome> {
        let target = self.asset(asset).await?;
        self.require_department(
            bifrost_core::access::Permission::Publish,
            target.department.as_deref(),
        )?;
        let mut state = load_state(dir)?;
        let Some(tracked) = state.assets.get(asset).cloned() else {
            return Err(ws_error(
                dir,
                format!("it does not track `{asset}`; add it to the workspace first"),
            ));
        };
        let ctx = self.ctx(state.mode);
        let root = dir.join(asset);
        let mut files: Vec<FileEntry> = Vec::new();
        let mut changed: Vec<(String, PathBuf, u32)> = Vec::new();
        for path in list_files(&root) {
            if !FileEntry::is_safe_path(&path) {
                return Err(Error::BadInputName {
                    path: root.join(&path),
                    reason: "its path cannot be stored safely".into(),
                });
            }
            let p = root.join(&path);
            if let Some(t) = tracked.files.get(&path)
                && let Seen::Unchanged = ctx.examine(&p, t).0
            {
                files.push(FileEntry {
                    path,
                    size: t.size,
                    mode: t.mode,
                    content: t.content,
                });
                continue;
            }
            let meta = std::fs::metadata(&p).map_err(|source| Error::Input {
                path: p.clone(),
                source,
            })?;
            if !meta.is_file() {
                continue;
            }
            changed.push((path, p, meta.permissions().mode() & 0o7777));
        }
        let same: BTreeSet<&str> = files.iter().map(|f| f.path.as_str()).collect();
        if changed.is_empty() && same.len() == tracked.files.len() {
            return Err(ws_error(
                dir,
                format!(
                    "`{asset}` has no changes since v{}; nothing to publish",
                    tracked.version
                ),
            ));
        }
        let sources: Vec<bifrost_store::SourceFile> = changed
            .iter()
            .map(|(_, p, _)| bifrost_store::SourceFile {
                path: p.clone(),
                size_hint: std::fs::metadata(p).map(|m| m.len()).unwrap_or(0),
            })
            .collect();
        progress.start("publishing", sources.iter().map(|s| s.size_hint).sum());
        let ingested = self.ingest_sources(sources, &progress, lease).await;
        progress.finish();
        let ingested = ingested?;
        let mut contents = Vec::new();
        for ((path, _, mode), f) in changed.iter().zip(&ingested.files) {
            files.push(FileEntry {
                path: path.clone(),
                size: f.size,
                mode: *mode,
                content: f.content,
            });
            contents.push(bifrost_core::NewContent {
                id: f.content,
                size: f.size,
                chunks: f.chunks.clone(),
            });
        }
        if files.is_empty() {
            return Err(Error::NothingToPublish);
        }
        files.sort_by(|a, b| a.path.cmp(&b.path));
        let version = self
            .commit(
                asset,
                &bifrost_core::NewVersion {
                    author: author.to_owned(),
                    note: note.to_owned(),
                    files: files.clone(),
                    contents,
                },
            )
            .await?;
        let entry = state.assets.get_mut(asset).expect("checked");
        let old = std::mem::take(&mut entry.files);
        for f in files {
            let meta = std::fs::symlink_metadata(root.join(&f.path));
            let linked = old
                .get(&f.path)
                .is_some_and(|o| !o.private && o.content == f.content);
            entry.files.insert(
                f.path.clone(),
                TrackedFile {
                    content: f.content,
                    size: f.size,
                    mode: f.mode,
                    mtime_ns: meta.map(|m| mtime_ns(&m)).unwrap_or(0),
                    private: state.mode.is_link() && !linked,
                },
            );
        }
        entry.version = version.number;
        if entry.pin.is_some() {
            entry.pin = Some(version.number);
        }
        save_state(dir, &state)?;
        Ok(crate::PublishOutcome {
            version,
            bytes_read: ingested.bytes_read,
            new_chunks: ingested.new_chunks,
            bytes_stored: ingested.bytes_written,
        })
    }
}

/// Files (and symbolic links) under `root`, as `/`-separated relative paths; temporary files of
/// interrupted writes are left out.
fn list_files(root: &Path) -> Vec<String> {
    walkdir::WalkDir::new(root)
        .follow_links(false)
        .into_iter()
        .filter_map(std::result::Result::ok)
        .filter(|e| !e.file_type().is_dir())
        .filter(|e| {
            !e.file_name()
                .to_str()
                .is_some_and(|n| n.starts_with(".bifrost-tmp-"))
        })
        .filter_map(|e| {
            e.path()
                .strip_prefix(root)
                .ok()
                .and_then(|p| p.to_str())
                .map(str::to_owned)
        })
        .collect()
}
