//! Publishing: files and directories in, one new immutable version out.
//!
//! The inputs are listed, and the outcome reported, by `bifrost-files` ([`publish_inputs`],
//! [`PublishOutcome`]), as a remote publish does.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::Arc;

use bifrost_catalog::CatalogError;
use bifrost_core::{FileEntry, NewContent, NewVersion, Version};
use bifrost_files::{Progress, PublishInput, PublishOutcome, publish_inputs};
use bifrost_store::SourceFile;

use bifrost_core::access::Permission;

use crate::Repository;
use crate::custody::PackLease;
use crate::error::{Error, Result};

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
        note: &str,
        progress: Arc<dyn Progress>,
    ) -> Result<PublishOutcome> {
        let author = self.actor().user.clone();
        let author = author.as_str();
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
            .ingest(sources, lease.index(), progress.clone())
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
        let mut journal = self.recorder().entry(|r, version: &Version| {
            r.event(
                "version.published",
                format!("{}@v{}", version.asset, version.number),
                None::<&()>,
                Some(version),
            )
        });
        let version = self
            .catalog
            .commit_version_with_meta(self.project(), asset, new, metadata, &mut journal)
            .await?;
        self.journaled(&journal);
        Ok(version)
    }
}
