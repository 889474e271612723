//! Publishing: files and directories in, one new immutable version out.

use std::collections::{BTreeMap, HashMap};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use bifrost_catalog::CatalogError;
use bifrost_core::{FileEntry, NewContent, NewVersion, Version};
use bifrost_store::SourceFile;

use bifrost_core::access::Permission;

use crate::Repository;
use crate::custody::PackLease;
use crate::error::{Error, Result};
use crate::progress::{Progress, StoreProgress};

/// What a publish did.
#[derive(Debug, Clone, serde::Serialize)]
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

/// Lists the files under `paths`. A file is stored under its name; a directory's files are stored
/// relative to the directory (so `publish hero ./build/` stores `./build/a.txt` as `a.txt`).
/// A remote publish lists its inputs with this too, so both store the same paths.
pub fn publish_inputs(paths: &[PathBuf]) -> Result<Vec<PublishInput>> {
    let mut inputs: BTreeMap<String, PublishInput> = BTreeMap::new();
    let mut add = |path_in_version: String, source: PathBuf, meta: &std::fs::Metadata| {
        if !FileEntry::is_safe_path(&path_in_version) {
            return Err(Error::BadInputName {
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
            return Err(Error::PathCollision {
                path: path_in_version,
            });
        }
        Ok(())
    };
    for path in paths {
        let meta = std::fs::metadata(path).map_err(|source| Error::Input {
            path: path.clone(),
            source,
        })?;
        if meta.is_file() {
            let name = path
                .file_name()
                .map(|n| name_to_string(path, n))
                .transpose()?
                .ok_or_else(|| Error::BadInputName {
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
            .filter_entry(|e| e.depth() == 0 || e.file_name() != crate::DOT_DIR);
        for entry in walk {
            let entry = entry.map_err(|e| {
                let at = e.path().unwrap_or(path).to_owned();
                let source = e
                    .into_io_error()
                    .unwrap_or_else(|| std::io::Error::other("symbolic link loop"));
                Error::Input { path: at, source }
            })?;
            if !entry.file_type().is_file() {
                continue;
            }
            let meta = entry.metadata().map_err(|e| Error::Input {
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
        return Err(Error::NothingToPublish);
    }
    Ok(inputs.into_values().collect())
}

fn name_to_string(path: &Path, name: &std::ffi::OsStr) -> Result<String> {
    name.to_str()
        .map(str::to_owned)
        .ok_or_else(|| Error::BadInputName {
            path: path.to_owned(),
            reason: "its name is not valid UTF-8".into(),
        })
}

impl Repository {
    /// Publishes `paths` as the next version of `asset`.
    ///
    /// Ingest happens before the catalog transaction: if anything fails (unreadable input, full
    /// store, killed process) no version exists and the packs already written are collected by
    /// `gc` after its grace period.
    pub async fn publish(
        &self,
        asset: &str,
        paths: &[PathBuf],
        author: &str,
        note: &str,
        progress: Arc<dyn Progress>,
    ) -> Result<PublishOutcome> {
        let target = self.catalog.get_asset(self.project(), asset).await?;
        self.require_department(Permission::Publish, target.department.as_deref())?;
        let inputs = publish_inputs(paths)?;
        let lease = self.pack_lease();
        let published = self
            .publish_leased(asset, &inputs, author, note, &progress, &lease)
            .await;
        lease.release().await;
        published
    }

    async fn publish_leased(
        &self,
        asset: &str,
        inputs: &[PublishInput],
        author: &str,
        note: &str,
        progress: &Arc<dyn Progress>,
        lease: &PackLease,
    ) -> Result<PublishOutcome> {
        let total: u64 = inputs.iter().map(|i| i.size).sum();
        for _attempt in 0..3 {
            progress.start("publishing", total);
            let sources = inputs
                .iter()
                .map(|i| SourceFile {
                    path: i.source.clone(),
                    size_hint: i.size,
                })
                .collect();
            let report = self.ingest_sources(sources, progress, lease).await;
            progress.finish();
            let report = report?;
            let mut contents: HashMap<_, NewContent> = HashMap::new();
            let mut files = Vec::with_capacity(inputs.len());
            for (input, ingested) in inputs.iter().zip(&report.files) {
                contents
                    .entry(ingested.content)
                    .or_insert_with(|| NewContent {
                        id: ingested.content,
                        size: ingested.size,
                        chunks: ingested.chunks.clone(),
                    });
                files.push(FileEntry {
                    path: input.path_in_version.clone(),
                    size: ingested.size,
                    mode: input.mode,
                    content: ingested.content,
                });
            }
            let new = NewVersion {
                author: author.to_owned(),
                note: note.to_owned(),
                files,
                contents: contents.into_values().collect(),
            };
            match self.commit(asset, &new).await {
                Ok(version) => {
                    return Ok(PublishOutcome {
                        version,
                        bytes_read: report.bytes_read,
                        new_chunks: report.new_chunks,
                        bytes_stored: report.bytes_written,
                    });
                }
                // A concurrent gc removed chunks this ingest deduplicated against (or, after
                // this publish stalled past its lease, chunks it wrote): write again.
                Err(CatalogError::MissingChunks { .. }) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(Error::GcRace)
    }
}

impl Repository {
    /// Cuts, deduplicates against the catalog's chunk index and stores `sources`, reporting the
    /// bytes read to `progress`; the packs are durable and indexed when this returns, and
    /// leased by `lease` until the caller, having committed, releases it.
    pub(crate) async fn ingest_sources(
        &self,
        sources: Vec<SourceFile>,
        progress: &Arc<dyn Progress>,
        lease: &PackLease,
    ) -> std::result::Result<bifrost_store::IngestReport, bifrost_store::StoreError> {
        self.store
            .ingest(
                sources,
                lease.index(),
                Arc::new(StoreProgress(progress.clone())),
            )
            .await
    }

    /// Commits `new` as the next version of `asset` in the current project and journals it
    /// (`version.published`): the one way every publish (local, rollback, remote) ends.
    pub(crate) async fn commit(
        &self,
        asset: &str,
        new: &NewVersion,
    ) -> std::result::Result<Version, CatalogError> {
        self.commit_with_meta(asset, new, &BTreeMap::new()).await
    }

    /// [`Repository::commit`], recording `metadata` with the version.
    pub(crate) async fn commit_with_meta(
        &self,
        asset: &str,
        new: &NewVersion,
        metadata: &BTreeMap<String, serde_json::Value>,
    ) -> std::result::Result<Version, CatalogError> {
        self.check_catalog_not_behind().await?;
        let version = self
            .catalog
            .commit_version_with_meta(self.project(), asset, new, metadata)
            .await?;
        self.journal(
            "version.published",
            format!("{}@v{}", version.asset, version.number),
            None::<&()>,
            Some(&version),
        )
        .await;
        Ok(version)
    }
}
