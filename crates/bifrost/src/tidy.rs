//! Finding duplicate files before ingest (`dedupe`) and removing what no one needs after
//! (`cleanup`: unreferenced workspace cache entries and leftover temporary files).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bifrost_core::{ChunkId, ChunkingParams, ContentId};
use bifrost_files::Progress;
use rayon::prelude::*;
use serde::Serialize;

use crate::Repository;
use crate::error::{Error, Result};

/// Files with the same bytes.
#[derive(Debug, Clone, Serialize)]
pub struct DuplicateGroup {
    /// Their content.
    pub content: ContentId,
    /// The size of each.
    pub size: u64,
    /// Their paths, relative to the scanned folder.
    pub paths: Vec<String>,
}

/// What `dedupe` found.
#[derive(Debug, Clone, Serialize)]
pub struct DedupeReport {
    /// Files scanned.
    pub files: u64,
    /// Their total size.
    pub bytes: u64,
    /// Files hashed (those sharing their size with another).
    pub hashed: u64,
    /// Groups of identical files, largest waste first.
    pub groups: Vec<DuplicateGroup>,
    /// Bytes saved by storing each distinct file once.
    pub duplicate_bytes: u64,
    /// Bytes of distinct chunks (with `chunks`): what the store would keep before compression.
    pub unique_chunk_bytes: Option<u64>,
    /// Bytes saved by chunk-level deduplication (with `chunks`).
    pub chunk_saved_bytes: Option<u64>,
    /// Paths that could not be read, with the reason.
    pub unreadable: Vec<(String, String)>,
}

/// Scans `dir` for duplicate files: groups by size, then by BLAKE3 of those sharing a size;
/// with `chunks`, also cuts every file as the store would and counts distinct chunk bytes.
pub fn scan_duplicates(
    dir: &Path,
    chunks: Option<ChunkingParams>,
    progress: Arc<dyn Progress>,
) -> Result<DedupeReport> {
    if !dir.is_dir() {
        return Err(Error::Input {
            path: dir.to_owned(),
            source: std::io::Error::from_raw_os_error(20),
        });
    }
    let mut unreadable = Vec::new();
    let mut files: Vec<(PathBuf, u64)> = Vec::new();
    for entry in walkdir::WalkDir::new(dir)
        .follow_links(true)
        .sort_by_file_name()
        .min_depth(1)
    {
        match entry {
            Ok(e) if e.file_type().is_file() => match e.metadata() {
                Ok(m) => files.push((e.path().to_owned(), m.len())),
                Err(err) => unreadable.push((e.path().display().to_string(), err.to_string())),
            },
            Ok(_) => {}
            Err(e) => unreadable.push((
                e.path()
                    .map(|p| p.display().to_string())
                    .unwrap_or_default(),
                if e.loop_ancestor().is_some() {
                    "symbolic link loop".into()
                } else {
                    e.to_string()
                },
            )),
        }
    }
    let bytes: u64 = files.iter().map(|f| f.1).sum();
    let mut by_size: HashMap<u64, Vec<usize>> = HashMap::new();
    for (i, (_, size)) in files.iter().enumerate() {
        by_size.entry(*size).or_default().push(i);
    }
    let candidates: Vec<usize> = by_size
        .values()
        .filter(|v| v.len() > 1)
        .flatten()
        .copied()
        .collect();
    // With `chunks` every file is read once, cut and hashed in the same pass; without, only
    // the files sharing their size with another are read, to be hashed.
    let to_read: Vec<usize> = if chunks.is_some() {
        (0..files.len()).collect()
    } else {
        candidates.clone()
    };
    progress.start("scanning", to_read.iter().map(|i| files[*i].1).sum());
    type Read = std::io::Result<(ContentId, Vec<(ChunkId, usize)>)>;
    let results: Vec<(usize, Read)> = to_read
        .par_iter()
        .map(|i| {
            let path = &files[*i].0;
            let result = match chunks {
                Some(params) => std::fs::File::open(path)
                    .and_then(|f| bifrost_files::describe_reader(f, params))
                    .map(|d| (d.content, d.chunks)),
                None => crate::workspace::hash_file(path).map(|(id, _)| (id, Vec::new())),
            };
            progress.advance(files[*i].1);
            (*i, result)
        })
        .collect();
    progress.finish();
    let is_candidate: HashSet<usize> = candidates.iter().copied().collect();
    let mut groups: BTreeMap<ContentId, Vec<usize>> = BTreeMap::new();
    let mut seen_chunks = HashSet::new();
    let mut unique = 0u64;
    for (i, result) in results {
        match result {
            Ok((content, chunk_list)) => {
                if is_candidate.contains(&i) {
                    groups.entry(content).or_default().push(i);
                }
                for (id, len) in chunk_list {
                    if seen_chunks.insert(id) {
                        unique += len as u64;
                    }
                }
            }
            Err(e) => unreadable.push((files[i].0.display().to_string(), e.to_string())),
        }
    }
    let rel = |p: &Path| {
        p.strip_prefix(dir)
            .unwrap_or(p)
            .to_string_lossy()
            .into_owned()
    };
    let mut groups: Vec<DuplicateGroup> = groups
        .into_iter()
        .filter(|(_, v)| v.len() > 1)
        .map(|(content, mut v)| {
            v.sort_unstable();
            DuplicateGroup {
                content,
                size: files[v[0]].1,
                paths: v.iter().map(|i| rel(&files[*i].0)).collect(),
            }
        })
        .collect();
    groups.sort_by_key(|g| std::cmp::Reverse(g.size * (g.paths.len() as u64 - 1)));
    let duplicate_bytes = groups
        .iter()
        .map(|g| g.size * (g.paths.len() as u64 - 1))
        .sum();
    let (unique_chunk_bytes, chunk_saved_bytes) = match chunks {
        Some(_) => (Some(unique), Some(bytes.saturating_sub(unique))),
        None => (None, None),
    };
    Ok(DedupeReport {
        files: files.len() as u64,
        bytes,
        hashed: candidates.len() as u64,
        groups,
        duplicate_bytes,
        unique_chunk_bytes,
        chunk_saved_bytes,
        unreadable,
    })
}

/// What `cleanup` removed (or would remove).
#[derive(Debug, Clone, Default, Serialize)]
pub struct CleanupReport {
    /// Only counted.
    pub dry_run: bool,
    /// Workspaces still registered.
    pub workspaces: u64,
    /// Registered workspaces that no longer exist (forgotten).
    pub workspaces_forgotten: Vec<PathBuf>,
    /// Cache entries no workspace links to.
    pub cache_entries_removed: u64,
    /// Their bytes.
    pub cache_bytes_removed: u64,
    /// Temporary files and directories of interrupted work.
    pub temp_removed: u64,
    /// Their bytes.
    pub temp_bytes_removed: u64,
}

fn tree_size(path: &Path) -> u64 {
    walkdir::WalkDir::new(path)
        .into_iter()
        .filter_map(std::result::Result::ok)
        .filter_map(|e| e.metadata().ok())
        .filter(std::fs::Metadata::is_file)
        .map(|m| m.len())
        .sum()
}

fn remove_any(path: &Path) -> std::io::Result<()> {
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.is_dir() => std::fs::remove_dir_all(path),
        Ok(_) => std::fs::remove_file(path),
        Err(e) => Err(e),
    }
}

/// Whether `path` was last modified before `cutoff`.
fn older_than(path: &Path, cutoff: SystemTime) -> bool {
    std::fs::symlink_metadata(path)
        .and_then(|m| m.modified())
        .is_ok_and(|t| t < cutoff)
}

/// Whether `name` is a temporary name Bifrost writes (and `path` is older than `cutoff`).
fn stale_temp(name: &str, path: &Path, cutoff: SystemTime) -> bool {
    let ours = name.starts_with(".bifrost-tmp-")
        || name.starts_with(".bifrost-pkg-")
        || name.starts_with(".bifrost-extract-")
        || name.starts_with(".bifrost-checkout-");
    ours && older_than(path, cutoff)
}

impl CleanupReport {
    /// Counts the temporary file or directory `path` and, unless a dry run, removes it.
    fn remove_temp(&mut self, path: &Path) {
        self.temp_removed += 1;
        self.temp_bytes_removed += tree_size(path);
        if !self.dry_run {
            let _ = remove_any(path);
        }
    }
}

impl Repository {
    /// Removes cache entries no registered workspace links to, and temporary files older than
    /// `grace` (in `.bifrost/tmp`, the cache, the store's staging, the repository root and the
    /// workspaces, and the `extra` directories given).
    pub async fn cleanup(
        &self,
        dry_run: bool,
        grace: Duration,
        extra: &[PathBuf],
    ) -> Result<CleanupReport> {
        self.require(bifrost_core::access::Permission::Manage)?;
        let cutoff = SystemTime::now()
            .checked_sub(grace)
            .unwrap_or(SystemTime::UNIX_EPOCH);
        let mut report = CleanupReport {
            dry_run,
            ..CleanupReport::default()
        };
        let mut referenced = HashSet::new();
        let mut alive = Vec::new();
        for dir in crate::workspace::registered_workspaces(self.root()) {
            match crate::workspace::referenced_contents(&dir) {
                Some(set) => {
                    referenced.extend(set);
                    alive.push(dir);
                }
                None => report.workspaces_forgotten.push(dir),
            }
        }
        report.workspaces = alive.len() as u64;
        if !dry_run && !report.workspaces_forgotten.is_empty() {
            crate::workspace::save_registry(self.root(), &alive)?;
        }
        let dot = self.root().join(crate::DOT_DIR);
        let cache = dot.join(crate::workspace::CACHE_DIR);
        if let Ok(shards) = std::fs::read_dir(&cache) {
            for shard in shards.flatten() {
                let name = shard.file_name().to_string_lossy().into_owned();
                let path = shard.path();
                if name.len() != 2 {
                    // Staging directories of interrupted cache fills, probe files.
                    if older_than(&path, cutoff) {
                        report.remove_temp(&path);
                    }
                    continue;
                }
                for entry in std::fs::read_dir(&path).into_iter().flatten().flatten() {
                    let keep = entry
                        .file_name()
                        .to_str()
                        .and_then(|n| n.parse::<ContentId>().ok())
                        .is_some_and(|id| referenced.contains(&id));
                    if keep {
                        continue;
                    }
                    report.cache_entries_removed += 1;
                    report.cache_bytes_removed += entry.metadata().map(|m| m.len()).unwrap_or(0);
                    if !dry_run {
                        let _ = std::fs::remove_file(entry.path());
                    }
                }
                if !dry_run {
                    let _ = std::fs::remove_dir(&path);
                }
            }
        }
        // Leftovers of interrupted imports and writes.
        for entry in std::fs::read_dir(dot.join("tmp"))
            .into_iter()
            .flatten()
            .flatten()
        {
            if older_than(&entry.path(), cutoff) {
                report.remove_temp(&entry.path());
            }
        }
        let mut scan: Vec<PathBuf> = vec![self.root().to_owned(), dot.clone()];
        scan.extend(alive.iter().cloned());
        scan.extend(
            alive
                .iter()
                .map(|d| d.join(crate::workspace::WORKSPACE_DIR)),
        );
        scan.extend(extra.iter().cloned());
        for dir in scan {
            for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
                let name = entry.file_name().to_string_lossy().into_owned();
                let path = entry.path();
                if stale_temp(&name, &path, cutoff) {
                    report.remove_temp(&path);
                }
            }
        }
        let leased = self.catalog.leased_packs(chrono::Utc::now()).await?;
        report.temp_removed += self.store.cleanup_staging(cutoff, &leased, dry_run)?;
        Ok(report)
    }
}
