//! Version history: what changed between two versions, and rollback (a new version equal to an
//! old one: history is never rewritten).

use std::collections::{BTreeMap, HashMap, HashSet};

use bifrost_core::{ChunkId, FileEntry, NewVersion, Version, VersionSelector};

use crate::Repository;
use crate::error::Result;

pub use bifrost_core::{ChangedFile, MetaChange, VersionDiff};

impl Repository {
    /// Compares two versions (of the same or of different assets).
    pub async fn diff(
        &self,
        from: &bifrost_core::VersionRef,
        to: &bifrost_core::VersionRef,
    ) -> Result<VersionDiff> {
        let (from_v, to_v) = (self.resolve(from).await?, self.resolve(to).await?);
        let from_files = self.catalog.version_files(from_v.id).await?;
        let to_files = self.catalog.version_files(to_v.id).await?;
        let before: HashMap<&str, &FileEntry> =
            from_files.iter().map(|f| (f.path.as_str(), f)).collect();
        let after: HashMap<&str, &FileEntry> =
            to_files.iter().map(|f| (f.path.as_str(), f)).collect();

        let contents: Vec<_> = from_files
            .iter()
            .chain(&to_files)
            .map(|f| f.content)
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        let locations = self.catalog.content_locations_many(&contents).await?;
        let old_chunks: HashSet<ChunkId> = from_files
            .iter()
            .flat_map(|f| locations.get(&f.content).into_iter().flatten())
            .map(|l| l.entry.chunk)
            .collect();
        let new_bytes = |f: &FileEntry| -> u64 {
            let mut seen = HashSet::new();
            locations
                .get(&f.content)
                .into_iter()
                .flatten()
                .filter(|l| !old_chunks.contains(&l.entry.chunk) && seen.insert(l.entry.chunk))
                .map(|l| u64::from(l.entry.raw_len))
                .sum()
        };

        let mut diff = VersionDiff {
            from: from_v.clone(),
            to: to_v.clone(),
            added: Vec::new(),
            removed: Vec::new(),
            changed: Vec::new(),
            unchanged: 0,
            bytes_differing: 0,
            metadata: Vec::new(),
        };
        for f in &to_files {
            match before.get(f.path.as_str()) {
                None => {
                    diff.bytes_differing += new_bytes(f);
                    diff.added.push(f.clone());
                }
                Some(old) if old.content == f.content && old.mode == f.mode => diff.unchanged += 1,
                Some(old) => {
                    let bytes = new_bytes(f);
                    diff.bytes_differing += bytes;
                    diff.changed.push(ChangedFile {
                        path: f.path.clone(),
                        from: (*old).clone(),
                        to: f.clone(),
                        bytes_differing: bytes,
                    });
                }
            }
        }
        diff.removed = from_files
            .iter()
            .filter(|f| !after.contains_key(f.path.as_str()))
            .cloned()
            .collect();
        let meta_from = self.version_metadata(&from_v).await?;
        let meta_to = self.version_metadata(&to_v).await?;
        let keys: std::collections::BTreeSet<&String> =
            meta_from.keys().chain(meta_to.keys()).collect();
        for key in keys {
            let (a, b) = (meta_from.get(key), meta_to.get(key));
            if a != b {
                diff.metadata.push(MetaChange {
                    key: key.clone(),
                    from: a.cloned(),
                    to: b.cloned(),
                });
            }
        }
        Ok(diff)
    }

    /// Publishes a new version whose files equal those of version `number`. Nothing is read or
    /// written in the store: the contents are already there.
    pub async fn rollback(&self, asset: &str, number: i64, note: Option<&str>) -> Result<Version> {
        self.require_work(
            bifrost_core::access::Permission::Publish,
            crate::access::Work::Asset(asset),
        )
        .await?;
        let old = self
            .catalog
            .get_version(self.project(), asset, VersionSelector::Number(number))
            .await?;
        let files = self.catalog.version_files(old.id).await?;
        let note = note.map_or_else(|| format!("rollback to v{number}"), str::to_owned);
        let new = NewVersion {
            author: self.actor().user.clone(),
            note,
            files,
            contents: Vec::new(),
        };
        Ok(self.commit(asset, &new).await?)
    }

    /// Free metadata recorded with a version (empty when none was given).
    pub async fn version_metadata(
        &self,
        version: &Version,
    ) -> Result<BTreeMap<String, serde_json::Value>> {
        Ok(self.catalog.version_metadata(version.id).await?)
    }
}
