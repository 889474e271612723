//! Checkout: materialise a version into a directory without ever showing wrong or partial bytes.
//!
//! The destination's guarantees are [`CheckoutTarget`]'s (`bifrost-files`): a new destination is
//! filled as a hidden staging directory renamed into place at the end; into an existing directory
//! every file is written under a temporary name and all are renamed into place once every one is
//! written and verified. Here the bytes come from the store: small files (one chunk each) are
//! restored in one batch whose neighbouring chunks are fetched with a few large range reads;
//! larger files are restored a few at a time with parallel verification. Files repeating a
//! content already written are cloned with a reflink where the filesystem supports it, else
//! copied.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

use bifrost_core::{ChunkLocation, ContentId, FileEntry, VersionRef};
use bifrost_files::{CheckoutOptions, CheckoutOutcome, CheckoutTarget, CheckoutWriter, Progress};
use bifrost_store::StoreError;
use futures::{StreamExt, TryStreamExt};

use crate::Repository;
use crate::error::{Error, Result};

/// Multi-chunk files restored at once.
const FILES_IN_FLIGHT: usize = 4;

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
            .materialise(&files, target.writer(), progress.clone())
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
        writer: CheckoutWriter,
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
                    writer.write(&first, &[])?;
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
            move |i: usize, bytes: &[u8]| match writer.write(&entries[i], bytes) {
                Ok(()) => {
                    progress.advance(entries[i].size);
                    Ok(())
                }
                Err(e) => {
                    let msg = e.to_string();
                    failure
                        .lock()
                        .expect("failure slot")
                        .get_or_insert(e.into());
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
                    let out = writer.open(&entry)?;
                    self.store
                        .restore(&entry.content, entry.size, &locs, out.file.clone())
                        .await
                        .map_err(store_error(&writer.path(&entry)))?;
                    writer.commit(out)?;
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
            for other in &group[1..] {
                writer.clone_file(group[0], other)?;
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
        let writer = CheckoutWriter::into_private_dir(dir);
        progress.start("materialising", files.iter().map(|f| f.size).sum());
        let result = self.materialise(files, writer, progress.clone()).await;
        progress.finish();
        result.map(|_| ())
    }
}
