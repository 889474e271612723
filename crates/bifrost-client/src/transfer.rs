//! Moving bytes: publish with chunk negotiation, checkout with streamed, verified downloads.
//!
//! Publish reads each file twice, streaming, so memory stays bounded by one upload batch
//! whatever the file sizes: first to cut it (`bifrost_files::describe_reader`: FastCDC with the
//! server's parameters, cut where the server's store cuts) and hash its chunks and content,
//! then — after the server has said which chunks it lacks — to send only those, in batches of
//! at most [`UPLOAD_BATCH`] bytes. Each batch is durable on the server before it is
//! acknowledged, so a publish that is interrupted resumes by running it again: the server then
//! lacks only what never arrived. The version is committed last, from the manifest; until then
//! nothing is visible.
//!
//! Checkout writes through the same `bifrost_files::CheckoutTarget` as a local one: into a new
//! directory everything is written into a hidden staging directory renamed into place at the
//! end; into an existing one each file is written under a temporary name, committed once its
//! bytes hash to the content id the server listed, and all are renamed into place together.
//! A download that breaks off continues with an HTTP range request from where it stopped.

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use bifrost_core::{
    ChunkId, ChunkingParams, ContentId, FileEntry, NewContent, Version, VersionRef,
};
use bifrost_files::{
    CheckoutOptions, CheckoutOutcome, CheckoutTarget, FileDescription, Progress, PublishOutcome,
};
use futures::{StreamExt, TryStreamExt};
use reqwest::Method;
use serde_json::Value;

use bifrost_api::Hub as _;
use bifrost_api::ops::transfer::{CommitVersion, GetChunking, MissingChunks};

use crate::Client;
use crate::error::{ClientError, Result, io, unreachable};

/// Most bytes of chunk data sent in one upload request (the server accepts 64 MiB bodies).
pub const UPLOAD_BATCH: usize = 16 * 1024 * 1024;
/// Chunk ids asked about per negotiation request (the server's limit is 100,000).
const NEGOTIATE_BATCH: usize = 50_000;
/// Files downloaded at once.
const DOWNLOADS_IN_FLIGHT: usize = 4;
/// Times a broken download is resumed before giving up.
const DOWNLOAD_RESUMES: u32 = 3;

/// One input after the first pass.
struct Described {
    source: PathBuf,
    entry: FileEntry,
    chunks: Vec<(ChunkId, usize)>,
}

/// Cuts and hashes `source` with `params`, streaming, as the server's store would.
fn describe_file(source: &Path, params: ChunkingParams) -> Result<FileDescription> {
    let file = File::open(source).map_err(io(source))?;
    bifrost_files::describe_reader(file, params).map_err(io(source))
}

/// Appends one upload record: `[32-byte id][u32 LE length][bytes]`.
pub fn encode_record(out: &mut Vec<u8>, id: &ChunkId, data: &[u8]) {
    out.extend_from_slice(id.as_bytes());
    out.extend_from_slice(&(data.len() as u32).to_le_bytes());
    out.extend_from_slice(data);
}

impl Client {
    pub(crate) async fn publish_files(
        &self,
        asset: &str,
        paths: &[PathBuf],
        note: &str,
        progress: Arc<dyn Progress>,
    ) -> Result<PublishOutcome> {
        // The asset must exist, be visible and be publishable by us (department, locks) before
        // any byte is read or moves: an empty negotiation asks exactly that.
        bifrost_api::Hub::call(
            self,
            bifrost_api::ops::GetAsset {
                project: self.project.clone(),
                asset: asset.to_owned(),
            },
        )
        .await?;
        self.call(MissingChunks {
            project: self.project.clone(),
            asset: asset.to_owned(),
            chunks: Vec::new(),
        })
        .await?;
        let params: ChunkingParams = self
            .call(GetChunking {
                project: self.project.clone(),
            })
            .await?;
        let inputs = bifrost_files::publish_inputs(paths)?;
        let total: u64 = inputs.iter().map(|i| i.size).sum();

        // Pass 1: describe every file.
        progress.start("hashing", total);
        let described = {
            let progress = progress.clone();
            tokio::task::spawn_blocking(move || -> Result<Vec<Described>> {
                inputs
                    .into_iter()
                    .map(|input| {
                        let FileDescription {
                            content,
                            size,
                            chunks,
                        } = describe_file(&input.source, params)?;
                        progress.advance(size);
                        Ok(Described {
                            source: input.source,
                            entry: FileEntry {
                                path: input.path_in_version,
                                size,
                                mode: input.mode,
                                content,
                            },
                            chunks,
                        })
                    })
                    .collect()
            })
            .await
            .expect("hashing does not panic")?
        };
        progress.finish();
        let bytes_read: u64 = described.iter().map(|d| d.entry.size).sum();

        // Negotiate: which chunks does the server lack?
        let mut seen = HashSet::new();
        let unique: Vec<ChunkId> = described
            .iter()
            .flat_map(|d| d.chunks.iter().map(|(id, _)| *id))
            .filter(|id| seen.insert(*id))
            .collect();
        let mut missing = HashSet::new();
        for batch in unique.chunks(NEGOTIATE_BATCH) {
            let answer = self
                .call(MissingChunks {
                    project: self.project.clone(),
                    asset: asset.to_owned(),
                    chunks: batch.to_vec(),
                })
                .await?;
            missing.extend(answer.missing);
        }
        let new_chunks = missing.len() as u64;

        // Pass 2: send what is missing.
        let to_send: u64 = described
            .iter()
            .flat_map(|d| d.chunks.iter())
            .filter(|(id, _)| missing.contains(id))
            .map(|(_, len)| *len as u64)
            .sum();
        let mut bytes_stored = 0;
        if !missing.is_empty() {
            progress.start("uploading", to_send);
            let result = self
                .upload(asset, &described, missing, params, &progress)
                .await;
            progress.finish();
            bytes_stored = result?;
        }

        // Commit.
        let mut contents: HashMap<ContentId, NewContent> = HashMap::new();
        for d in &described {
            contents
                .entry(d.entry.content)
                .or_insert_with(|| NewContent {
                    id: d.entry.content,
                    size: d.entry.size,
                    chunks: d.chunks.iter().map(|(id, _)| *id).collect(),
                });
        }
        let version: Version = self
            .call(CommitVersion {
                project: self.project.clone(),
                asset: asset.to_owned(),
                note: note.to_owned(),
                files: described.into_iter().map(|d| d.entry).collect(),
                contents: contents.into_values().collect(),
            })
            .await?;
        Ok(PublishOutcome {
            version,
            bytes_read,
            new_chunks,
            bytes_stored,
        })
    }

    /// Re-reads the files that hold missing chunks and uploads each missing chunk once.
    async fn upload(
        &self,
        asset: &str,
        described: &[Described],
        mut missing: HashSet<ChunkId>,
        params: ChunkingParams,
        progress: &Arc<dyn Progress>,
    ) -> Result<u64> {
        let (tx, mut rx) = tokio::sync::mpsc::channel::<Result<Vec<u8>>>(2);
        let jobs: Vec<(PathBuf, Vec<(ChunkId, usize)>)> = described
            .iter()
            .filter(|d| d.chunks.iter().any(|(id, _)| missing.contains(id)))
            .map(|d| (d.source.clone(), d.chunks.clone()))
            .collect();
        // A reader thread fills batches while the previous one is on the wire.
        let reader = tokio::task::spawn_blocking(move || {
            let mut batch = Vec::with_capacity(UPLOAD_BATCH + 1024 * 1024 + 64);
            for (source, expected) in jobs {
                let file = match File::open(&source) {
                    Ok(f) => f,
                    Err(e) => {
                        let _ = tx.blocking_send(Err(io(&source)(e)));
                        return;
                    }
                };
                let chunker = bifrost_files::stream_chunks(file, params);
                let mut position = 0;
                for chunk in chunker {
                    let data = match chunk {
                        Ok(data) => data,
                        Err(e) => {
                            let _ = tx.blocking_send(Err(io(&source)(e)));
                            return;
                        }
                    };
                    let id = ChunkId::of(&data);
                    if expected.get(position).map(|(e, _)| *e) != Some(id) {
                        let _ = tx.blocking_send(Err(ClientError::ChangedDuringPublish {
                            path: source.clone(),
                        }));
                        return;
                    }
                    position += 1;
                    if missing.remove(&id) {
                        encode_record(&mut batch, &id, &data);
                        if batch.len() >= UPLOAD_BATCH
                            && tx.blocking_send(Ok(std::mem::take(&mut batch))).is_err()
                        {
                            return;
                        }
                    }
                }
                if position != expected.len() {
                    let _ = tx.blocking_send(Err(ClientError::ChangedDuringPublish {
                        path: source.clone(),
                    }));
                    return;
                }
            }
            if !batch.is_empty() {
                let _ = tx.blocking_send(Ok(batch));
            }
        });
        let mut stored = 0;
        while let Some(batch) = rx.recv().await {
            let batch = batch?;
            let sent = record_payload_bytes(&batch);
            stored += self.send_batch(asset, batch).await?;
            progress.advance(sent);
        }
        reader.await.expect("the upload reader does not panic");
        Ok(stored)
    }

    /// Sends one upload batch, retrying a broken connection twice (chunks are idempotent).
    async fn send_batch(&self, asset: &str, batch: Vec<u8>) -> Result<u64> {
        let body = bytes::Bytes::from(batch);
        let mut url = self.in_project(&["chunks"]);
        url.query_pairs_mut().append_pair("asset", asset);
        let mut attempt = 0;
        loop {
            let request = self
                .request(Method::POST, url.clone())
                .header(reqwest::header::CONTENT_TYPE, "application/octet-stream")
                .body(body.clone());
            self.count_sent(body.len());
            match crate::read_answer::<Value>(request, &url, "chunk upload").await {
                Ok(answer) => {
                    return Ok(answer
                        .get("bytes_stored")
                        .and_then(Value::as_u64)
                        .unwrap_or(0));
                }
                Err(ClientError::Unreachable { .. }) if attempt < 2 => {
                    attempt += 1;
                    tokio::time::sleep(std::time::Duration::from_millis(500 << attempt)).await;
                }
                Err(e) => return Err(e),
            }
        }
    }

    pub(crate) async fn checkout_files(
        &self,
        reference: &VersionRef,
        dest: &Path,
        options: CheckoutOptions,
        progress: Arc<dyn Progress>,
    ) -> Result<CheckoutOutcome> {
        let version = self.resolve(reference).await?;
        let files = self.version_files(&version).await?;
        // The same destination rules as a local checkout (staging directory or temporary
        // names, refusal of unsafe paths and of existing files unless forced).
        let target = CheckoutTarget::prepare(dest, &files, options)?;
        let total: u64 = files.iter().map(|f| f.size).sum();
        progress.start("checking out", total);
        let number = version.number.to_string();
        let result = futures::stream::iter(files.iter().cloned())
            .map(|f| {
                let url = self.in_project(&[
                    "assets",
                    &version.asset,
                    "versions",
                    &number,
                    "files",
                    &f.path,
                ]);
                let progress = progress.clone();
                let target = &target;
                async move {
                    let out = target.open(&f)?;
                    self.download(url, &f, &out.file, &*progress).await?;
                    Ok::<_, ClientError>(target.commit(out)?)
                }
            })
            .buffer_unordered(DOWNLOADS_IN_FLIGHT)
            .try_collect::<Vec<()>>()
            .await;
        progress.finish();
        result?;
        let destination = target.finish()?;
        Ok(CheckoutOutcome {
            version,
            destination,
            files: files.len() as u64,
            bytes: total,
            cloned: 0,
        })
    }

    /// Streams one file into `out`, verifying it against its content id; a download that
    /// breaks off continues with a range request from where it stopped.
    async fn download(
        &self,
        url: url::Url,
        file: &FileEntry,
        mut out: &File,
        progress: &dyn Progress,
    ) -> Result<()> {
        let mut hasher = blake3::Hasher::new();
        let mut written = 0u64;
        let mut resumes = 0;
        loop {
            let mut request = self.request(Method::GET, url.clone());
            if written > 0 {
                request = request.header(reqwest::header::RANGE, format!("bytes={written}-"));
            }
            let response = request.send().await.map_err(unreachable(&url))?;
            let mut body = crate::check(response).await?.bytes_stream();
            let mut broken = None;
            while let Some(piece) = body.next().await {
                match piece {
                    Ok(bytes) => {
                        hasher.update(&bytes);
                        out.write_all(&bytes).map_err(io(&file.path))?;
                        written += bytes.len() as u64;
                        progress.advance(bytes.len() as u64);
                    }
                    Err(e) => {
                        broken = Some(e);
                        break;
                    }
                }
            }
            if written >= file.size && broken.is_none() {
                break;
            }
            if resumes >= DOWNLOAD_RESUMES {
                return Err(match broken {
                    Some(source) => unreachable(&url)(source),
                    None => corrupt(file, hasher.finalize()),
                });
            }
            resumes += 1;
        }
        let actual = hasher.finalize();
        if ContentId::from_hash(actual) != file.content || written != file.size {
            return Err(corrupt(file, actual));
        }
        Ok(())
    }
}

fn corrupt(file: &FileEntry, actual: blake3::Hash) -> ClientError {
    ClientError::Corrupt {
        path: file.path.clone(),
        expected: file.content.to_string(),
        actual: ContentId::from_hash(actual).to_string(),
    }
}

/// Chunk bytes in an upload batch (without the record headers), for progress.
fn record_payload_bytes(batch: &[u8]) -> u64 {
    let mut rest = batch;
    let mut total = 0u64;
    while rest.len() >= 36 {
        let len = u32::from_le_bytes(rest[32..36].try_into().expect("4 bytes")) as usize;
        total += len as u64;
        rest = &rest[(36 + len).min(rest.len())..];
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_carry_id_length_and_bytes() {
        let mut batch = Vec::new();
        encode_record(&mut batch, &ChunkId::of(b"abc"), b"abc");
        encode_record(&mut batch, &ChunkId::of(b""), b"");
        assert_eq!(batch.len(), 36 + 3 + 36);
        assert_eq!(&batch[..32], ChunkId::of(b"abc").as_bytes());
        assert_eq!(&batch[32..36], &3u32.to_le_bytes());
        assert_eq!(&batch[36..39], b"abc");
        assert_eq!(record_payload_bytes(&batch), 3);
    }
}
