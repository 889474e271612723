//! Packages (`.bfpkg`): a standard ZIP holding `manifest.json` (entities, versions with their
//! file lists, links, contents) and each distinct file content once, as `contents/<blake3 hex>`.
//!
//! Packages are streamed both ways: creating one reads each content from the store a few
//! chunks at a time straight into its ZIP entry; validating, extracting and importing hash
//! every entry while reading it. Contents that do not compress (a zstd probe of their first
//! 64 KiB) are stored uncompressed (ZIP `Stored`), the rest with Deflate, so `unzip` opens any
//! package. A package is written under a temporary name beside its destination and renamed
//! into place once complete and synced. An import validates the whole package before it
//! changes anything, deduplicates against the repository (contents the catalog knows are not
//! read again) and keeps history: every version in the package, in order, with its author,
//! note and metadata; the original number and date are kept in the version's metadata under
//! `imported` (the catalog numbers and dates versions itself).

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use bifrost_core::access::Permission;
use bifrost_core::production::{EntityRef, Link, Metadata, NewShot};
use bifrost_core::{
    ContentId, FileEntry, NewAsset, NewContent, NewVersion, VersionRef, VersionSelector,
};
use bifrost_files::Progress;
use bifrost_store::SourceFile;
use chrono::{DateTime, Utc};
use futures::StreamExt;
use serde::{Deserialize, Serialize};

use crate::Repository;
use crate::access::Work;
use crate::error::{Error, Result};

/// The package format this build writes and the newest it reads.
pub const PACKAGE_FORMAT: u32 = 1;
/// The manifest's entry name.
pub const MANIFEST_ENTRY: &str = "manifest.json";
/// Directory of the content entries.
const CONTENTS_DIR: &str = "contents/";
/// Largest manifest read into memory.
const MANIFEST_LIMIT: u64 = 512 * 1024 * 1024;
/// Contents extracted for one store ingest during an import (bounds temporary disk use).
const IMPORT_BATCH_BYTES: u64 = 1024 * 1024 * 1024;
/// Bytes of a content compressed as a probe to decide whether Deflate pays.
const PROBE_BYTES: usize = 64 * 1024;

/// An asset as a package carries it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PackageAsset {
    /// Asset name.
    pub name: String,
    /// Asset type.
    #[serde(rename = "type")]
    pub asset_type: String,
    /// Tags.
    #[serde(default)]
    pub tags: Vec<String>,
    /// Metadata.
    #[serde(default)]
    pub metadata: Metadata,
    /// Department, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub department: Option<String>,
}

/// A shot as a package carries it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PackageShot {
    /// Its sequence.
    pub sequence: String,
    /// Shot name.
    pub name: String,
    /// First frame.
    pub frame_start: i64,
    /// Last frame.
    pub frame_end: i64,
    /// Frames per second.
    pub fps: f64,
    /// Metadata.
    #[serde(default)]
    pub metadata: Metadata,
}

/// A version as a package carries it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PackageVersion {
    /// The asset.
    pub asset: String,
    /// Its number in the repository it came from.
    pub number: i64,
    /// Who published it.
    pub author: String,
    /// Publish note.
    pub note: String,
    /// When it was published.
    pub created_at: DateTime<Utc>,
    /// Version metadata.
    #[serde(default)]
    pub metadata: Metadata,
    /// Its files; each content is an entry of the package.
    pub files: Vec<FileEntry>,
}

/// One distinct file content in a package.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PackageContent {
    /// BLAKE3 of the bytes.
    pub id: ContentId,
    /// Size in bytes.
    pub size: u64,
    /// ZIP entry holding the bytes.
    pub entry: String,
}

/// `manifest.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PackageManifest {
    /// Package format version ([`PACKAGE_FORMAT`]).
    pub format: u32,
    /// The bifrost version that wrote it.
    pub generator: String,
    /// When it was written.
    pub created_at: DateTime<Utc>,
    /// Who wrote it.
    pub created_by: String,
    /// The project it came from.
    pub project: String,
    /// Assets.
    pub assets: Vec<PackageAsset>,
    /// Shots.
    #[serde(default)]
    pub shots: Vec<PackageShot>,
    /// Versions, per asset in number order.
    pub versions: Vec<PackageVersion>,
    /// Links between entities of the package (pins name version numbers of the package).
    #[serde(default)]
    pub links: Vec<Link>,
    /// Distinct contents.
    pub contents: Vec<PackageContent>,
}

impl PackageManifest {
    /// Bytes of all contents.
    pub fn content_bytes(&self) -> u64 {
        self.contents.iter().map(|c| c.size).sum()
    }
}

/// What to put in a package.
#[derive(Debug, Clone, PartialEq)]
pub enum PackageItem {
    /// An asset with every version (`NAME`) or one version (`NAME@vN`).
    Version(VersionRef),
    /// A shot.
    Shot {
        /// Its sequence.
        sequence: String,
        /// The shot.
        shot: String,
    },
    /// Everything a search finds (assets, versions, shots).
    Search(String),
}

/// What `pkg create` wrote.
#[derive(Debug, Clone, Serialize)]
pub struct PackageCreated {
    /// The package file.
    pub package: PathBuf,
    /// Assets included.
    pub assets: u64,
    /// Versions included.
    pub versions: u64,
    /// Shots included.
    pub shots: u64,
    /// Links included.
    pub links: u64,
    /// Distinct contents.
    pub contents: u64,
    /// Bytes of the contents.
    pub content_bytes: u64,
    /// Size of the package file.
    pub package_bytes: u64,
}

/// What `pkg validate` found.
#[derive(Debug, Clone, Serialize)]
pub struct PackageCheck {
    /// The manifest (when it could be read).
    pub manifest: PackageManifest,
    /// Entries checked.
    pub entries: u64,
    /// Bytes hashed.
    pub bytes: u64,
}

/// What to do when an asset in the package exists in the repository with different history.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum OnConflict {
    /// Refuse the import; nothing changes.
    #[default]
    Error,
    /// Leave such assets as they are; import the rest.
    Skip,
    /// Import such assets under a new name (`NAME-imported`, `NAME-imported-2`, …).
    Rename,
    /// Append the package's versions the asset lacks as new versions.
    NewVersion,
}

impl std::str::FromStr for OnConflict {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, Self::Err> {
        match s {
            "error" => Ok(Self::Error),
            "skip" => Ok(Self::Skip),
            "rename" => Ok(Self::Rename),
            "new-version" => Ok(Self::NewVersion),
            _ => Err(format!(
                "`{s}` is not a conflict policy: write error, skip, rename or new-version"
            )),
        }
    }
}

/// What an import did with one asset.
#[derive(Debug, Clone, Serialize)]
pub struct ImportedAsset {
    /// Name in the package.
    pub name: String,
    /// Name in the repository.
    pub imported_as: String,
    /// `created`, `appended`, `unchanged`, `skipped` or `renamed`.
    pub action: String,
    /// Versions committed.
    pub versions: Vec<i64>,
}

/// What `pkg import` did.
#[derive(Debug, Clone, Serialize)]
pub struct PackageImport {
    /// Per asset.
    pub assets: Vec<ImportedAsset>,
    /// Shots created.
    pub shots_created: u64,
    /// Links created.
    pub links_created: u64,
    /// Links left out (an end was skipped), as `SRC -> DST`.
    pub links_skipped: Vec<String>,
    /// Contents the repository did not have.
    pub new_contents: u64,
    /// Pack bytes written to the store.
    pub bytes_stored: u64,
}

fn pkg_error(package: &Path, reason: impl Into<String>) -> Error {
    Error::Package {
        package: package.to_owned(),
        reason: reason.into(),
    }
}

fn content_entry(id: &ContentId) -> String {
    format!("{CONTENTS_DIR}{id}")
}

/// Whether Deflate shrinks a probe of the content by at least 10%.
fn compresses(probe: &[u8]) -> bool {
    probe.len() >= 256
        && zstd::bulk::compress(probe, 1).is_ok_and(|c| c.len() * 10 < probe.len() * 9)
}

impl Repository {
    /// Writes a package of `items` to `out` (atomically); with `with_deps`, adds the transitive
    /// closure of pinned dependencies.
    pub async fn create_package(
        &self,
        items: &[PackageItem],
        with_deps: bool,
        out: &Path,
        force: bool,
        progress: Arc<dyn Progress>,
    ) -> Result<PackageCreated> {
        self.require(Permission::Read)?;
        if !force && std::fs::symlink_metadata(out).is_ok() {
            return Err(Error::DestinationExists {
                path: out.to_owned(),
            });
        }
        let manifest = self.package_manifest(items, with_deps).await?;
        let parent = match out.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
            _ => PathBuf::from("."),
        };
        let tmp = tempfile::Builder::new()
            .prefix(".bifrost-pkg-")
            .suffix(".tmp")
            .tempfile_in(&parent)
            .map_err(Error::output(&parent))?;
        let file = tmp.as_file().try_clone().map_err(Error::output(out))?;
        let zip_err = |e: zip::result::ZipError| pkg_error(out, format!("cannot write: {e}"));
        let mut zip = zip::ZipWriter::new(std::io::BufWriter::with_capacity(1 << 20, file));
        let deflated = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .compression_level(Some(1))
            .unix_permissions(0o644);
        zip.start_file(MANIFEST_ENTRY, deflated).map_err(zip_err)?;
        let json = serde_json::to_vec_pretty(&manifest).expect("manifests serialize");
        zip.write_all(&json).map_err(Error::output(out))?;

        progress.start("packaging", manifest.content_bytes());
        let result: Result<()> = async {
            for content in &manifest.contents {
                let file = FileEntry {
                    path: content.entry.clone(),
                    size: content.size,
                    mode: 0o644,
                    content: content.id,
                };
                let mut stream = Box::pin(self.read_file_range(&file, 0..content.size).await?);
                let mut first = Vec::new();
                let mut pending = Vec::new();
                // Gather a probe's worth before choosing the entry's compression.
                while first.len() < PROBE_BYTES {
                    match stream.next().await {
                        Some(piece) => {
                            let piece = piece?;
                            first.extend_from_slice(&piece);
                        }
                        None => break,
                    }
                }
                if first.len() > PROBE_BYTES {
                    pending = first.split_off(PROBE_BYTES);
                }
                let options = if compresses(&first) {
                    deflated
                } else {
                    zip::write::SimpleFileOptions::default()
                        .compression_method(zip::CompressionMethod::Stored)
                        .unix_permissions(0o644)
                }
                .large_file(content.size >= u64::from(u32::MAX) - 1024);
                zip.start_file(&content.entry, options).map_err(zip_err)?;
                let mut written = 0u64;
                for piece in [first, pending] {
                    zip.write_all(&piece).map_err(Error::output(out))?;
                    written += piece.len() as u64;
                    progress.advance(piece.len() as u64);
                }
                while let Some(piece) = stream.next().await {
                    let piece = piece?;
                    zip.write_all(&piece).map_err(Error::output(out))?;
                    written += piece.len() as u64;
                    progress.advance(piece.len() as u64);
                }
                if written != content.size {
                    return Err(pkg_error(
                        out,
                        format!(
                            "content {} read {written} bytes from the store, expected {}; check the repository",
                            content.id, content.size
                        ),
                    ));
                }
            }
            Ok(())
        }
        .await;
        progress.finish();
        result?;
        let buffered = zip.finish().map_err(zip_err)?;
        let file = buffered
            .into_inner()
            .map_err(|e| Error::output(out)(e.into_error()))?;
        file.sync_all().map_err(Error::output(out))?;
        let package_bytes = file.metadata().map_err(Error::output(out))?.len();
        tmp.persist(out).map_err(|e| Error::output(out)(e.error))?;
        if let Ok(dir) = std::fs::File::open(&parent) {
            let _ = dir.sync_all();
        }
        Ok(PackageCreated {
            package: out.to_owned(),
            assets: manifest.assets.len() as u64,
            versions: manifest.versions.len() as u64,
            shots: manifest.shots.len() as u64,
            links: manifest.links.len() as u64,
            contents: manifest.contents.len() as u64,
            content_bytes: manifest.content_bytes(),
            package_bytes,
        })
    }

    /// The manifest of a package of `items`.
    async fn package_manifest(
        &self,
        items: &[PackageItem],
        with_deps: bool,
    ) -> Result<PackageManifest> {
        // Asset name → version numbers (None: every version).
        let mut wanted: BTreeMap<String, Option<BTreeSet<i64>>> = BTreeMap::new();
        let mut shots: BTreeSet<(String, String)> = BTreeSet::new();
        fn want(
            wanted: &mut BTreeMap<String, Option<BTreeSet<i64>>>,
            asset: &str,
            number: Option<i64>,
        ) {
            let slot = wanted
                .entry(asset.to_owned())
                .or_insert_with(|| Some(BTreeSet::new()));
            match number {
                None => *slot = None,
                Some(n) => {
                    if let Some(set) = slot {
                        set.insert(n);
                    }
                }
            }
        }
        for item in items {
            match item {
                PackageItem::Version(r) => {
                    let number = match r.version {
                        VersionSelector::Latest => None,
                        VersionSelector::Number(_) => Some(self.resolve(r).await?.number),
                    };
                    self.asset(&r.asset).await?;
                    want(&mut wanted, &r.asset, number);
                }
                PackageItem::Shot { sequence, shot } => {
                    self.get_shot(sequence, shot).await?;
                    shots.insert((sequence.clone(), shot.clone()));
                }
                PackageItem::Search(text) => {
                    let query = bifrost_core::query::parse(text).map_err(|e| Error::Package {
                        package: PathBuf::from("-"),
                        reason: format!("search `{text}`: {e}"),
                    })?;
                    let hits = self.search(&query, false, 100_000, 0).await?;
                    for hit in hits {
                        match hit.kind {
                            bifrost_core::production::EntityKind::Asset => {
                                want(&mut wanted, &hit.name, None)
                            }
                            bifrost_core::production::EntityKind::Version => {
                                if let Ok(r) = hit.name.parse::<VersionRef>()
                                    && let VersionSelector::Number(n) = r.version
                                {
                                    want(&mut wanted, &r.asset, Some(n));
                                }
                            }
                            bifrost_core::production::EntityKind::Shot => {
                                if let Some((seq, shot)) = hit.name.split_once('/') {
                                    shots.insert((seq.to_owned(), shot.to_owned()));
                                }
                            }
                            bifrost_core::production::EntityKind::Sequence => {}
                        }
                    }
                }
            }
        }

        // The transitive closure of pinned dependencies: walk direct links from every packaged
        // asset and shot, adding the pinned versions they reach, until nothing new appears.
        let mut links: BTreeSet<Link> = BTreeSet::new();
        let mut visited: HashSet<EntityRef> = HashSet::new();
        let mut frontier: Vec<EntityRef> = wanted
            .keys()
            .map(EntityRef::asset)
            .chain(shots.iter().map(|(q, s)| EntityRef::shot(q, s)))
            .collect();
        while let Some(entity) = frontier.pop() {
            if !visited.insert(entity.clone()) {
                continue;
            }
            for dep in self.deps(&entity, false).await? {
                let link = Link {
                    src: entity.clone(),
                    dst: dep.entity.clone(),
                    kind: dep.kind,
                    pin: dep.pin,
                };
                if with_deps && let (EntityRef::Asset(name), Some(pin)) = (&dep.entity, dep.pin) {
                    want(&mut wanted, name, Some(pin));
                    frontier.push(dep.entity.clone());
                }
                links.insert(link);
            }
        }

        let mut assets = Vec::new();
        let mut versions = Vec::new();
        let mut contents: BTreeMap<ContentId, u64> = BTreeMap::new();
        for (name, numbers) in &wanted {
            let asset = self.asset(name).await?;
            assets.push(PackageAsset {
                name: asset.name.clone(),
                asset_type: asset.asset_type.clone(),
                tags: asset.tags.clone(),
                metadata: asset.metadata.clone(),
                department: asset.department.clone(),
            });
            for details in self.list_version_details(name).await? {
                let v = &details.version;
                if numbers.as_ref().is_some_and(|set| !set.contains(&v.number)) {
                    continue;
                }
                let files = self.catalog.version_files(v.id).await?;
                for f in &files {
                    contents.insert(f.content, f.size);
                }
                versions.push(PackageVersion {
                    asset: name.clone(),
                    number: v.number,
                    author: v.author.clone(),
                    note: v.note.clone(),
                    created_at: v.created_at,
                    metadata: details.metadata.clone(),
                    files,
                });
            }
        }
        let mut package_shots = Vec::new();
        for (sequence, name) in &shots {
            let shot = self.get_shot(sequence, name).await?;
            package_shots.push(PackageShot {
                sequence: sequence.clone(),
                name: name.clone(),
                frame_start: shot.frame_start,
                frame_end: shot.frame_end,
                fps: shot.fps,
                metadata: shot.metadata.clone(),
            });
        }
        // Keep the links whose both ends travel (a pinned end: that version).
        let has_version: HashSet<(String, i64)> = versions
            .iter()
            .map(|v| (v.asset.clone(), v.number))
            .collect();
        let included = |e: &EntityRef| match e {
            EntityRef::Asset(a) => wanted.contains_key(a),
            EntityRef::Shot { sequence, shot } => shots.contains(&(sequence.clone(), shot.clone())),
        };
        let links: Vec<Link> = links
            .into_iter()
            .filter(|l| included(&l.src) && included(&l.dst))
            .filter(|l| match (&l.dst, l.pin) {
                (EntityRef::Asset(a), Some(pin)) => has_version.contains(&(a.clone(), pin)),
                _ => true,
            })
            .collect();
        Ok(PackageManifest {
            format: PACKAGE_FORMAT,
            generator: format!("bifrost {}", env!("CARGO_PKG_VERSION")),
            created_at: Utc::now(),
            created_by: self.actor().user.clone(),
            project: self.project().to_owned(),
            assets,
            shots: package_shots,
            versions,
            links,
            contents: contents
                .into_iter()
                .map(|(id, size)| PackageContent {
                    id,
                    size,
                    entry: content_entry(&id),
                })
                .collect(),
        })
    }
}

/// An open package: its archive and manifest, structure checked (not yet the bytes).
pub struct PackageReader {
    path: PathBuf,
    archive: zip::ZipArchive<std::io::BufReader<std::fs::File>>,
    manifest: PackageManifest,
}

impl std::fmt::Debug for PackageReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PackageReader")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl PackageReader {
    /// Opens `path` and checks its structure: a readable ZIP whose entries are only the
    /// manifest and content entries (no absolute or `..` paths), a manifest of a known format
    /// that matches the schema, names that are valid, and every content it names present with
    /// the size the manifest gives.
    pub fn open(path: &Path) -> Result<Self> {
        let file = std::fs::File::open(path).map_err(|source| Error::Input {
            path: path.to_owned(),
            source,
        })?;
        let mut archive = zip::ZipArchive::new(std::io::BufReader::new(file)).map_err(|e| {
            pkg_error(
                path,
                format!(
                    "not a readable package (truncated or not a ZIP file: {e}); create it again"
                ),
            )
        })?;
        let mut entries: HashMap<String, u64> = HashMap::new();
        for i in 0..archive.len() {
            let entry = archive
                .by_index_raw(i)
                .map_err(|e| pkg_error(path, format!("entry #{i} is unreadable: {e}")))?;
            let name = String::from_utf8_lossy(entry.name_raw()).into_owned();
            let unsafe_path = name.starts_with('/')
                || name.starts_with('\\')
                || name.contains('\0')
                || name.split(['/', '\\']).any(|p| p == "..")
                || entry.enclosed_name().is_none();
            if unsafe_path {
                return Err(pkg_error(
                    path,
                    format!(
                        "entry `{name}` has an absolute or `..` path and could write outside the destination; refusing the package"
                    ),
                ));
            }
            let expected = name == MANIFEST_ENTRY
                || name
                    .strip_prefix(CONTENTS_DIR)
                    .is_some_and(|hex| hex.parse::<ContentId>().is_ok());
            if !expected {
                return Err(pkg_error(
                    path,
                    format!(
                        "entry `{name}` does not belong in a package (only {MANIFEST_ENTRY} and {CONTENTS_DIR}<blake3>); refusing it"
                    ),
                ));
            }
            entries.insert(name, entry.size());
        }
        let manifest = {
            let mut entry = archive.by_name(MANIFEST_ENTRY).map_err(|_| {
                pkg_error(
                    path,
                    format!("it has no {MANIFEST_ENTRY}; it is not a Bifrost package"),
                )
            })?;
            if entry.size() > MANIFEST_LIMIT {
                return Err(pkg_error(path, format!("{MANIFEST_ENTRY} is too large")));
            }
            let mut text = Vec::new();
            entry.read_to_end(&mut text).map_err(|e| {
                pkg_error(path, format!("entry `{MANIFEST_ENTRY}` is damaged: {e}"))
            })?;
            let value: serde_json::Value = serde_json::from_slice(&text)
                .map_err(|e| pkg_error(path, format!("{MANIFEST_ENTRY} is not valid JSON: {e}")))?;
            match value.get("format").and_then(serde_json::Value::as_u64) {
                Some(f) if f > u64::from(PACKAGE_FORMAT) => {
                    return Err(pkg_error(
                        path,
                        format!(
                            "it uses package format {f}, newer than this bifrost reads ({PACKAGE_FORMAT}); upgrade bifrost to open it"
                        ),
                    ));
                }
                Some(_) => {}
                None => {
                    return Err(pkg_error(
                        path,
                        format!("{MANIFEST_ENTRY} has no numeric `format` field"),
                    ));
                }
            }
            serde_json::from_value::<PackageManifest>(value).map_err(|e| {
                pkg_error(
                    path,
                    format!("{MANIFEST_ENTRY} does not match the package schema: {e}"),
                )
            })?
        };
        check_manifest(path, &manifest, &entries)?;
        Ok(Self {
            path: path.to_owned(),
            archive,
            manifest,
        })
    }

    /// The manifest.
    pub fn manifest(&self) -> &PackageManifest {
        &self.manifest
    }

    /// Streams the content `id` into `sink`, checking its size and hash; the error names the
    /// entry.
    fn read_content(
        &mut self,
        content: &PackageContent,
        sink: &mut dyn Write,
        progress: &dyn Progress,
    ) -> Result<()> {
        let path = self.path.clone();
        let entry_name = content.entry.clone();
        let damaged =
            |e: std::io::Error| pkg_error(&path, format!("entry `{entry_name}` is damaged: {e}"));
        let mut entry = self
            .archive
            .by_name(&content.entry)
            .map_err(|e| pkg_error(&self.path, format!("entry `{}`: {e}", content.entry)))?;
        let mut hasher = blake3::Hasher::new();
        let mut buf = vec![0u8; 1 << 20];
        let mut size = 0u64;
        loop {
            let n = match entry.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(damaged(e)),
            };
            hasher.update(&buf[..n]);
            sink.write_all(&buf[..n])
                .map_err(|e| Error::output(Path::new(&content.entry))(e))?;
            size += n as u64;
            progress.advance(n as u64);
        }
        let actual = ContentId(*hasher.finalize().as_bytes());
        if actual != content.id || size != content.size {
            return Err(pkg_error(
                &self.path,
                format!(
                    "entry `{}` is corrupt: its {size} bytes hash to {actual}, the manifest says {} bytes hashing to {}",
                    content.entry, content.size, content.id
                ),
            ));
        }
        Ok(())
    }

    /// Reads and hashes every content. Returns the entries and bytes checked.
    pub fn verify(&mut self, progress: &dyn Progress) -> Result<PackageCheck> {
        progress.start("validating", self.manifest.content_bytes());
        let contents = self.manifest.contents.clone();
        let mut bytes = 0;
        let result = (|| {
            for content in &contents {
                self.read_content(content, &mut std::io::sink(), progress)?;
                bytes += content.size;
            }
            Ok::<_, Error>(())
        })();
        progress.finish();
        result?;
        Ok(PackageCheck {
            manifest: self.manifest.clone(),
            entries: contents.len() as u64 + 1,
            bytes,
        })
    }

    /// Extracts every version to `dest/<asset>/v<N>/<path>` (and the manifest to
    /// `dest/manifest.json`), verifying every byte; `dest` appears whole or not at all.
    pub fn extract(&mut self, dest: &Path, progress: &dyn Progress) -> Result<u64> {
        if std::fs::symlink_metadata(dest).is_ok() {
            return Err(Error::DestinationExists {
                path: dest.to_owned(),
            });
        }
        let parent = match dest.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
            _ => PathBuf::from("."),
        };
        std::fs::create_dir_all(&parent).map_err(Error::output(&parent))?;
        let staging = tempfile::Builder::new()
            .prefix(".bifrost-extract-")
            .tempdir_in(&parent)
            .map_err(Error::output(&parent))?;
        let root = staging.path().to_owned();
        let by_id: HashMap<ContentId, PackageContent> = self
            .manifest
            .contents
            .iter()
            .map(|c| (c.id, c.clone()))
            .collect();
        let total: u64 = self
            .manifest
            .versions
            .iter()
            .flat_map(|v| v.files.iter().map(|f| f.size))
            .sum();
        progress.start("extracting", total);
        let versions = self.manifest.versions.clone();
        let mut written: HashMap<ContentId, PathBuf> = HashMap::new();
        let mut files = 0u64;
        let result = (|| {
            for version in &versions {
                let base = root
                    .join(&version.asset)
                    .join(format!("v{}", version.number));
                for f in &version.files {
                    let target = base.join(&f.path);
                    let dir = target.parent().expect("files live in their version");
                    std::fs::create_dir_all(dir).map_err(Error::output(dir))?;
                    if let Some(first) = written.get(&f.content) {
                        reflink_copy::reflink_or_copy(first, &target)
                            .map_err(Error::output(&target))?;
                        progress.advance(f.size);
                    } else {
                        let file =
                            std::fs::File::create_new(&target).map_err(Error::output(&target))?;
                        let mut out = std::io::BufWriter::with_capacity(1 << 20, file);
                        self.read_content(&by_id[&f.content], &mut out, progress)?;
                        out.flush().map_err(Error::output(&target))?;
                        written.insert(f.content, target.clone());
                    }
                    std::fs::set_permissions(&target, bifrost_files::file_permissions(f.mode))
                        .map_err(Error::output(&target))?;
                    files += 1;
                }
            }
            let manifest = serde_json::to_vec_pretty(&self.manifest).expect("manifests serialize");
            let m = root.join(MANIFEST_ENTRY);
            std::fs::write(&m, manifest).map_err(Error::output(&m))?;
            Ok::<_, Error>(())
        })();
        progress.finish();
        result?;
        let staged = staging.keep();
        if let Err(e) = std::fs::rename(&staged, dest) {
            let _ = std::fs::remove_dir_all(&staged);
            return Err(Error::output(dest)(e));
        }
        Ok(files)
    }
}

/// Cross-checks a manifest: names, paths, every file's content listed and present with its size.
fn check_manifest(path: &Path, m: &PackageManifest, entries: &HashMap<String, u64>) -> Result<()> {
    let bad = |reason: String| pkg_error(path, format!("{MANIFEST_ENTRY}: {reason}"));
    let mut contents: HashMap<ContentId, u64> = HashMap::new();
    for c in &m.contents {
        if c.entry != content_entry(&c.id) {
            return Err(bad(format!(
                "content {} is said to be in `{}`; it must be `{}`",
                c.id,
                c.entry,
                content_entry(&c.id)
            )));
        }
        match entries.get(&c.entry) {
            None => {
                return Err(bad(format!(
                    "entry `{}` is missing from the package",
                    c.entry
                )));
            }
            Some(size) if *size != c.size => {
                return Err(pkg_error(
                    path,
                    format!(
                        "entry `{}` holds {size} bytes, the manifest says {}; the package is corrupt",
                        c.entry, c.size
                    ),
                ));
            }
            Some(_) => {}
        }
        contents.insert(c.id, c.size);
    }
    let mut assets = HashSet::new();
    for a in &m.assets {
        bifrost_core::validate_name(bifrost_core::NameKind::Asset, &a.name)
            .map_err(|e| bad(e.to_string()))?;
        if !assets.insert(a.name.as_str()) {
            return Err(bad(format!("asset `{}` is listed twice", a.name)));
        }
    }
    let mut numbers = HashSet::new();
    for v in &m.versions {
        if !assets.contains(v.asset.as_str()) {
            return Err(bad(format!(
                "version {}@v{} names an asset the package does not list",
                v.asset, v.number
            )));
        }
        if !numbers.insert((v.asset.as_str(), v.number)) {
            return Err(bad(format!(
                "version {}@v{} is listed twice",
                v.asset, v.number
            )));
        }
        if v.files.is_empty() {
            return Err(bad(format!(
                "version {}@v{} has no files",
                v.asset, v.number
            )));
        }
        let mut paths = HashSet::new();
        for f in &v.files {
            if !FileEntry::is_safe_path(&f.path) {
                return Err(bad(format!(
                    "version {}@v{} has the unsafe path `{}` (absolute or with `..`); refusing the package",
                    v.asset, v.number, f.path
                )));
            }
            if !paths.insert(f.path.as_str()) {
                return Err(bad(format!(
                    "version {}@v{} lists `{}` twice",
                    v.asset, v.number, f.path
                )));
            }
            if contents.get(&f.content) != Some(&f.size) {
                return Err(bad(format!(
                    "file `{}` of {}@v{} names content {} which the package does not hold with size {}",
                    f.path, v.asset, v.number, f.content, f.size
                )));
            }
        }
    }
    Ok(())
}

/// The files of a version as a comparable set: (path, size, content).
type FileSet = BTreeSet<(String, u64, ContentId)>;

/// The files of a version as a comparable set.
fn file_set(files: &[FileEntry]) -> FileSet {
    files
        .iter()
        .map(|f| (f.path.clone(), f.size, f.content))
        .collect()
}

impl Repository {
    /// Imports a package into the current project. See the module docs.
    pub async fn import_package(
        &self,
        package: &Path,
        on_conflict: OnConflict,
        progress: Arc<dyn Progress>,
    ) -> Result<PackageImport> {
        let lease = self.pack_lease();
        let done = self
            .import_package_leased(package, on_conflict, progress, &lease)
            .await;
        lease.release().await;
        done
    }

    async fn import_package_leased(
        &self,
        package: &Path,
        on_conflict: OnConflict,
        progress: Arc<dyn Progress>,
        lease: &crate::custody::PackLease,
    ) -> Result<PackageImport> {
        self.require(Permission::Publish)?;
        let mut reader = PackageReader::open(package)?;
        reader.verify(progress.as_ref())?;
        let manifest = reader.manifest().clone();
        let file_name = package
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();

        // Plan every asset before changing anything.
        struct Plan {
            package_name: String,
            target: String,
            create: bool,
            action: &'static str,
            /// Package version number → repository number, for versions already there.
            present: HashMap<i64, i64>,
            /// Package versions to commit, in order.
            commit: Vec<PackageVersion>,
        }
        let mut plans = Vec::new();
        let mut clashes = Vec::new();
        let existing_names: HashSet<String> = self
            .list_assets(&bifrost_core::AssetFilter::default())
            .await?
            .into_iter()
            .map(|a| a.name)
            .collect();
        for asset in &manifest.assets {
            let mut versions: Vec<PackageVersion> = manifest
                .versions
                .iter()
                .filter(|v| v.asset == asset.name)
                .cloned()
                .collect();
            versions.sort_by_key(|v| v.number);
            if !existing_names.contains(&asset.name) {
                plans.push(Plan {
                    package_name: asset.name.clone(),
                    target: asset.name.clone(),
                    create: true,
                    action: "created",
                    present: HashMap::new(),
                    commit: versions,
                });
                continue;
            }
            let mut have: Vec<(i64, FileSet)> = Vec::new();
            for v in self.log(&asset.name).await? {
                have.push((v.number, file_set(&self.version_files(&v).await?)));
            }
            let mut present = HashMap::new();
            let mut missing = Vec::new();
            for v in versions {
                let set = file_set(&v.files);
                match have.iter().find(|(_, h)| *h == set) {
                    Some((n, _)) => {
                        present.insert(v.number, *n);
                    }
                    None => missing.push(v),
                }
            }
            if missing.is_empty() {
                plans.push(Plan {
                    package_name: asset.name.clone(),
                    target: asset.name.clone(),
                    create: false,
                    action: "unchanged",
                    present,
                    commit: Vec::new(),
                });
                continue;
            }
            match on_conflict {
                OnConflict::Error => clashes.push(asset.name.clone()),
                OnConflict::Skip => plans.push(Plan {
                    package_name: asset.name.clone(),
                    target: asset.name.clone(),
                    create: false,
                    action: "skipped",
                    present,
                    commit: Vec::new(),
                }),
                OnConflict::NewVersion => plans.push(Plan {
                    package_name: asset.name.clone(),
                    target: asset.name.clone(),
                    create: false,
                    action: "appended",
                    present,
                    commit: missing,
                }),
                OnConflict::Rename => {
                    let mut n = 1;
                    let target = loop {
                        let candidate = if n == 1 {
                            format!("{}-imported", asset.name)
                        } else {
                            format!("{}-imported-{n}", asset.name)
                        };
                        if !existing_names.contains(&candidate) {
                            break candidate;
                        }
                        n += 1;
                    };
                    let mut all: Vec<PackageVersion> = manifest
                        .versions
                        .iter()
                        .filter(|v| v.asset == asset.name)
                        .cloned()
                        .collect();
                    all.sort_by_key(|v| v.number);
                    plans.push(Plan {
                        package_name: asset.name.clone(),
                        target,
                        create: true,
                        action: "renamed",
                        present: HashMap::new(),
                        commit: all,
                    });
                }
            }
        }
        if !clashes.is_empty() {
            return Err(Error::ImportClash {
                package: package.to_owned(),
                assets: clashes,
            });
        }

        // Rights, before anything is written (so that a refusal imports nothing): every asset
        // created or given versions, every shot created and every link's source must be work
        // the actor may change (their role, and for members restricted to departments, their
        // departments: see `Repository::require_work`).
        let mut created_departments: HashMap<&str, Option<&str>> = HashMap::new();
        for plan in &plans {
            let asset = manifest
                .assets
                .iter()
                .find(|a| a.name == plan.package_name)
                .expect("plans come from the manifest");
            if plan.create {
                self.require_department(Permission::Edit, asset.department.as_deref())?;
                self.require_department(Permission::Publish, asset.department.as_deref())?;
                created_departments.insert(plan.target.as_str(), asset.department.as_deref());
            } else if !plan.commit.is_empty() {
                self.require_work(Permission::Publish, Work::Asset(&plan.target))
                    .await?;
            }
        }
        for shot in &manifest.shots {
            if self.get_shot(&shot.sequence, &shot.name).await.is_err() {
                self.require_work(Permission::Edit, Work::Unassigned)
                    .await?;
            }
        }
        for link in &manifest.links {
            let src = match &link.src {
                EntityRef::Asset(a) => match plans
                    .iter()
                    .find(|p| p.package_name == *a && p.action != "skipped")
                {
                    Some(plan) => EntityRef::asset(plan.target.clone()),
                    None => continue,
                },
                shot => shot.clone(),
            };
            match &src {
                EntityRef::Asset(a) if created_departments.contains_key(a.as_str()) => {
                    self.require_department(Permission::Edit, created_departments[a.as_str()])?;
                }
                src => {
                    self.require_work(Permission::Edit, Work::Entity(src))
                        .await?
                }
            }
        }

        // Bytes: only the contents the catalog lacks, in bounded batches through the store.
        let needed: Vec<ContentId> = plans
            .iter()
            .flat_map(|p| p.commit.iter())
            .flat_map(|v| v.files.iter().map(|f| f.content))
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let known = self.catalog.known_contents(&needed).await?;
        let by_id: HashMap<ContentId, PackageContent> = manifest
            .contents
            .iter()
            .map(|c| (c.id, c.clone()))
            .collect();
        let new: Vec<PackageContent> = needed
            .iter()
            .zip(known)
            .filter(|(_, k)| !k)
            .map(|(id, _)| by_id[id].clone())
            .collect();
        let mut described: HashMap<ContentId, NewContent> = HashMap::new();
        let mut bytes_stored = 0;
        let tmp_root = self.root().join(crate::DOT_DIR).join("tmp");
        std::fs::create_dir_all(&tmp_root).map_err(Error::output(&tmp_root))?;
        progress.start("importing", new.iter().map(|c| c.size).sum());
        let mut batch_start = 0;
        let ingest_result: Result<()> = async {
            while batch_start < new.len() {
                let mut end = batch_start;
                let mut bytes = 0;
                while end < new.len()
                    && (end == batch_start || bytes + new[end].size <= IMPORT_BATCH_BYTES)
                {
                    bytes += new[end].size;
                    end += 1;
                }
                let dir = tempfile::Builder::new()
                    .prefix("import-")
                    .tempdir_in(&tmp_root)
                    .map_err(Error::output(&tmp_root))?;
                let mut sources = Vec::new();
                for c in &new[batch_start..end] {
                    let p = dir.path().join(c.id.to_string());
                    let f = std::fs::File::create_new(&p).map_err(Error::output(&p))?;
                    let mut w = std::io::BufWriter::with_capacity(1 << 20, f);
                    reader.read_content(c, &mut w, &crate::NoProgress)?;
                    w.flush().map_err(Error::output(&p))?;
                    sources.push(SourceFile {
                        path: p,
                        size_hint: c.size,
                    });
                }
                let report = self.ingest_sources(sources, &progress, lease).await?;
                bytes_stored += report.bytes_written;
                for (c, f) in new[batch_start..end].iter().zip(report.files) {
                    if f.content != c.id {
                        return Err(pkg_error(
                            package,
                            format!("entry `{}` changed while it was imported", c.entry),
                        ));
                    }
                    described.insert(
                        c.id,
                        NewContent {
                            id: c.id,
                            size: f.size,
                            chunks: f.chunks,
                        },
                    );
                }
                batch_start = end;
            }
            Ok(())
        }
        .await;
        progress.finish();
        ingest_result?;

        // Catalog: assets, versions in order, shots, links.
        let mut numbers: HashMap<(String, i64), (String, i64)> = HashMap::new();
        let mut report = Vec::new();
        for plan in &plans {
            for (from, to) in &plan.present {
                numbers.insert(
                    (plan.package_name.clone(), *from),
                    (plan.target.clone(), *to),
                );
            }
            if plan.create {
                let a = manifest
                    .assets
                    .iter()
                    .find(|a| a.name == plan.package_name)
                    .expect("plans come from the manifest");
                self.create_asset(&NewAsset {
                    name: plan.target.clone(),
                    asset_type: a.asset_type.clone(),
                    tags: a.tags.clone(),
                    metadata: a.metadata.clone(),
                    department: a.department.clone(),
                })
                .await?;
            }
            let mut committed = Vec::new();
            for v in &plan.commit {
                let mut seen = HashSet::new();
                let contents: Vec<NewContent> = v
                    .files
                    .iter()
                    .filter(|f| seen.insert(f.content))
                    .filter_map(|f| described.get(&f.content).cloned())
                    .collect();
                let mut metadata = v.metadata.clone();
                metadata.insert(
                    "imported".into(),
                    serde_json::json!({
                        "package": file_name,
                        "project": manifest.project,
                        "asset": v.asset,
                        "number": v.number,
                        "created_at": v.created_at,
                    }),
                );
                let new = NewVersion {
                    author: v.author.clone(),
                    note: v.note.clone(),
                    files: v.files.clone(),
                    contents,
                };
                let version = self.commit_with_meta(&plan.target, &new, &metadata).await?;
                numbers.insert(
                    (plan.package_name.clone(), v.number),
                    (plan.target.clone(), version.number),
                );
                committed.push(version.number);
            }
            report.push(ImportedAsset {
                name: plan.package_name.clone(),
                imported_as: plan.target.clone(),
                action: plan.action.to_owned(),
                versions: committed,
            });
        }
        let mut shots_created = 0;
        for shot in &manifest.shots {
            if self.get_shot(&shot.sequence, &shot.name).await.is_ok() {
                continue;
            }
            if self.get_sequence(&shot.sequence).await.is_err() {
                self.create_sequence(&shot.sequence, &Metadata::new())
                    .await?;
            }
            self.create_shot(&NewShot {
                sequence: shot.sequence.clone(),
                name: shot.name.clone(),
                frame_start: shot.frame_start,
                frame_end: shot.frame_end,
                fps: Some(shot.fps),
                metadata: shot.metadata.clone(),
            })
            .await?;
            shots_created += 1;
        }
        let renamed: HashMap<&str, &str> = plans
            .iter()
            .filter(|p| p.action != "skipped")
            .map(|p| (p.package_name.as_str(), p.target.as_str()))
            .collect();
        let mut links_created = 0;
        let mut links_skipped = Vec::new();
        for link in &manifest.links {
            let map = |e: &EntityRef| match e {
                EntityRef::Asset(a) => renamed.get(a.as_str()).map(|t| EntityRef::asset(*t)),
                shot => Some(shot.clone()),
            };
            let pin = match (&link.dst, link.pin) {
                (EntityRef::Asset(a), Some(p)) => {
                    numbers.get(&(a.clone(), p)).map(|(_, n)| Some(*n))
                }
                (_, pin) => Some(pin),
            };
            let (Some(src), Some(dst), Some(pin)) = (map(&link.src), map(&link.dst), pin) else {
                links_skipped.push(format!("{} -> {}", link.src, link.dst));
                continue;
            };
            let new = Link {
                src,
                dst,
                kind: link.kind,
                pin,
            };
            match self.link(&new).await {
                Ok(()) => links_created += 1,
                Err(Error::Catalog(bifrost_catalog::CatalogError::LinkExists { .. })) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(PackageImport {
            assets: report,
            shots_created,
            links_created,
            links_skipped,
            new_contents: new.len() as u64,
            bytes_stored,
        })
    }
}
