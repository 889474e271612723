//! Batch ingest: turn an existing folder tree into assets by rules, and publish them.
//!
//! Rules (TOML) map path patterns to assets:
//!
//! ```toml
//! ignore = ["**/.DS_Store", "**/*.tmp"]   # never looked at, never reported
//! note = "imported from the legacy share"   # publish note (default: "batch ingest")
//!
//! [[rule]]
//! glob = "props/*/"          # ends in `/`: each matching directory is one asset (its files)
//! asset = "{1}"              # {N} is what the N-th wildcard matched
//! type = "prop"
//! tags = ["legacy", "{1}"]
//! meta = { source = "nas" }
//!
//! [[rule]]
//! glob = "textures/**/*.png" # a file pattern: each matching file is an asset
//! asset = "tex_{2}"
//! type = "texture"
//! ```
//!
//! `*` matches within one path segment, `?` one character, `**/` any number of directories.
//! The first rule that matches a path wins; a directory claimed by a directory rule is not
//! looked into by other rules. Files no rule claims, unreadable files, broken links and
//! symbolic-link loops are reported with the reason and skipped (an asset with an unreadable
//! file is skipped whole: a partial version would look complete).
//!
//! Publishing goes in batches: the files of many assets go through one store ingest (both
//! cores cut, hash and compress; packs fill up instead of one small pack per asset), then the
//! batch's new assets, versions and journal entries are committed in a few transactions. An
//! interrupted ingest resumes: an asset whose latest version has the same paths and sizes, and
//! whose files are all older than that version, is skipped unread; otherwise its files are
//! ingested and, if they hash to the latest version's contents, no new version is committed.

use std::collections::{BTreeMap, HashMap};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use bifrost_core::production::{Metadata, ProductionBatch};
use bifrost_core::{FileEntry, NewAsset, NewContent, NewVersion, Version};
use bifrost_files::Progress;
use bifrost_store::SourceFile;
use serde::{Deserialize, Serialize};

use crate::Repository;
use crate::error::{Error, Result};

/// Bytes of files ingested together before their versions are committed.
const BATCH_BYTES: u64 = 512 * 1024 * 1024;
/// Assets committed per batch at most.
const BATCH_ASSETS: usize = 2000;

/// One rule as written in the TOML file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    glob: String,
    asset: String,
    #[serde(rename = "type")]
    asset_type: String,
    #[serde(default)]
    tags: Vec<String>,
    #[serde(default)]
    meta: Metadata,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRules {
    #[serde(default)]
    ignore: Vec<String>,
    #[serde(default)]
    note: Option<String>,
    #[serde(default, rename = "rule")]
    rules: Vec<RawRule>,
}

#[derive(Debug, Clone)]
struct Rule {
    pattern: regex::Regex,
    directory: bool,
    raw: RawRule,
}

/// Parsed ingest rules.
#[derive(Debug, Clone)]
pub struct IngestRules {
    rules: Vec<Rule>,
    ignore: Vec<regex::Regex>,
    note: String,
}

/// Compiles a path glob into an anchored regex with one group per wildcard.
fn glob_regex(glob: &str) -> std::result::Result<regex::Regex, String> {
    let mut re = String::from("^");
    let mut rest = glob;
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix("**/") {
            re.push_str("(?:(.*)/)?");
            rest = r;
        } else if let Some(r) = rest.strip_prefix("**") {
            re.push_str("(.*)");
            rest = r;
        } else if let Some(r) = rest.strip_prefix('*') {
            re.push_str("([^/]*)");
            rest = r;
        } else if let Some(r) = rest.strip_prefix('?') {
            re.push_str("([^/])");
            rest = r;
        } else {
            let c = rest.chars().next().expect("not empty");
            re.push_str(&regex::escape(&c.to_string()));
            rest = &rest[c.len_utf8()..];
        }
    }
    re.push('$');
    regex::Regex::new(&re).map_err(|e| e.to_string())
}

/// Replaces `{N}` in `template` with capture N.
fn expand(template: &str, caps: &regex::Captures<'_>) -> std::result::Result<String, String> {
    let mut out = String::new();
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        let end = after
            .find('}')
            .ok_or_else(|| format!("`{template}` has a `{{` without `}}`"))?;
        let n: usize = after[..end].parse().map_err(|_| {
            format!("`{template}`: write {{1}}, {{2}}… for what the wildcards matched")
        })?;
        let value = caps
            .get(n)
            .map(|m| m.as_str())
            .ok_or_else(|| format!("`{template}` uses {{{n}}} but the glob has fewer wildcards"))?;
        out.push_str(value.trim_end_matches('/'));
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

impl IngestRules {
    /// Reads rules from a TOML file.
    pub fn load(path: &Path) -> Result<Self> {
        let text = crate::read_settings_file(path).map_err(|source| Error::Input {
            path: path.to_owned(),
            source,
        })?;
        Self::parse(&text).map_err(|reason| Error::Rules {
            path: path.to_owned(),
            reason,
        })
    }

    /// Parses rules from TOML text.
    pub fn parse(text: &str) -> std::result::Result<Self, String> {
        let raw: RawRules = toml::from_str(text).map_err(|e| e.to_string().trim().to_owned())?;
        if raw.rules.is_empty() {
            return Err(
                "it has no [[rule]]; add at least one, e.g. [[rule]] glob = \"props/*/\" asset = \"{1}\" type = \"prop\""
                    .into(),
            );
        }
        let mut rules = Vec::new();
        for (i, r) in raw.rules.into_iter().enumerate() {
            let directory = r.glob.ends_with('/');
            let glob = r.glob.trim_end_matches('/');
            if glob.is_empty() || glob.starts_with('/') || glob.split('/').any(|p| p == "..") {
                return Err(format!(
                    "rule {}: glob `{}` must be a relative pattern inside the ingested folder",
                    i + 1,
                    r.glob
                ));
            }
            let pattern = glob_regex(glob).map_err(|e| format!("rule {}: {e}", i + 1))?;
            let wildcards = pattern.captures_len() - 1;
            for template in std::iter::once(&r.asset).chain(&r.tags) {
                for n in template
                    .split('{')
                    .skip(1)
                    .filter_map(|p| p.split('}').next())
                {
                    match n.parse::<usize>() {
                        Ok(k) if (1..=wildcards).contains(&k) => {}
                        _ => {
                            return Err(format!(
                                "rule {}: `{template}` uses {{{n}}}, but glob `{}` has {wildcards} wildcard(s)",
                                i + 1,
                                r.glob
                            ));
                        }
                    }
                }
            }
            bifrost_core::validate_name(bifrost_core::NameKind::AssetType, &r.asset_type)
                .map_err(|e| format!("rule {}: {e}", i + 1))?;
            rules.push(Rule {
                pattern,
                directory,
                raw: r,
            });
        }
        let ignore = raw
            .ignore
            .iter()
            .map(|g| glob_regex(g).map_err(|e| format!("ignore `{g}`: {e}")))
            .collect::<std::result::Result<_, _>>()?;
        Ok(Self {
            rules,
            ignore,
            note: raw.note.unwrap_or_else(|| "batch ingest".into()),
        })
    }
}

/// A file of a planned asset.
#[derive(Debug, Clone, Serialize)]
pub struct PlannedFile {
    /// Path inside the version.
    pub path: String,
    /// Where it is read.
    #[serde(skip)]
    pub source: PathBuf,
    /// Size.
    pub size: u64,
    /// Mode bits.
    #[serde(skip)]
    pub mode: u32,
    /// Modification time.
    #[serde(skip)]
    pub modified: Option<std::time::SystemTime>,
}

/// An asset the rules found.
#[derive(Debug, Clone, Serialize)]
pub struct PlannedAsset {
    /// Asset name.
    pub name: String,
    /// Asset type.
    #[serde(rename = "type")]
    pub asset_type: String,
    /// Tags.
    pub tags: Vec<String>,
    /// Where it was found (relative to the ingested folder).
    pub source: String,
    /// Its files.
    pub files: Vec<PlannedFile>,
    /// Sum of file sizes.
    pub bytes: u64,
    #[serde(skip)]
    metadata: Metadata,
}

/// A path ingest left out, and why.
#[derive(Debug, Clone, Serialize)]
pub struct Skipped {
    /// The path (relative to the ingested folder).
    pub path: String,
    /// Why.
    pub reason: String,
}

/// What an ingest did (or, with `dry_run`, would do).
#[derive(Debug, Clone, Serialize)]
pub struct IngestOutcome {
    /// Only planned.
    pub dry_run: bool,
    /// Assets found by the rules.
    pub assets: u64,
    /// Versions published: (asset, version).
    pub published: Vec<(String, i64)>,
    /// Assets already published with identical content: (asset, version).
    pub unchanged: Vec<(String, i64)>,
    /// Paths left out, with the reason.
    pub skipped: Vec<Skipped>,
    /// Bytes of the assets' files.
    pub bytes: u64,
    /// Bytes read and ingested.
    pub bytes_read: u64,
    /// Pack bytes written.
    pub bytes_stored: u64,
    /// The plan (with `dry_run`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub plan: Vec<PlannedAsset>,
}

fn rel_string(root: &Path, p: &Path) -> String {
    p.strip_prefix(root)
        .unwrap_or(p)
        .to_string_lossy()
        .into_owned()
}

fn walk_error_reason(e: &walkdir::Error) -> String {
    if e.loop_ancestor().is_some() {
        return "symbolic link loop".into();
    }
    match e.io_error() {
        Some(io) if io.kind() == std::io::ErrorKind::NotFound => {
            "unreadable: broken symbolic link".into()
        }
        Some(io) => format!("unreadable: {io}"),
        None => "unreadable".into(),
    }
}

/// A readable regular file (following links), or why not.
fn probe_file(path: &Path) -> std::result::Result<std::fs::Metadata, String> {
    let meta = std::fs::metadata(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            "unreadable: broken symbolic link".to_owned()
        } else {
            format!("unreadable: {e}")
        }
    })?;
    std::fs::File::open(path).map_err(|e| format!("unreadable: {e}"))?;
    Ok(meta)
}

/// Plans an ingest of `root` by `rules`: assets with their files, and what is skipped.
pub fn plan_ingest(root: &Path, rules: &IngestRules) -> Result<(Vec<PlannedAsset>, Vec<Skipped>)> {
    if !root.is_dir() {
        return Err(Error::Input {
            path: root.to_owned(),
            source: std::io::Error::from_raw_os_error(20),
        });
    }
    let mut skipped = Vec::new();
    let mut assets: BTreeMap<String, PlannedAsset> = BTreeMap::new();
    let mut broken: HashMap<String, String> = HashMap::new();
    let ignored = |rel: &str| rules.ignore.iter().any(|r| r.is_match(rel));
    let mut walk = walkdir::WalkDir::new(root)
        .follow_links(true)
        .sort_by_file_name()
        .min_depth(1)
        .into_iter();
    while let Some(entry) = walk.next() {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                let at = e.path().map(|p| rel_string(root, p)).unwrap_or_default();
                skipped.push(Skipped {
                    path: at,
                    reason: walk_error_reason(&e),
                });
                continue;
            }
        };
        let rel = rel_string(root, entry.path());
        if rel.split('/').any(|p| p == crate::DOT_DIR) || ignored(&rel) {
            if entry.file_type().is_dir() {
                walk.skip_current_dir();
            }
            continue;
        }
        let is_dir = entry.file_type().is_dir();
        let rule = rules.rules.iter().find_map(|r| {
            (r.directory == is_dir)
                .then(|| r.pattern.captures(&rel))
                .flatten()
                .map(|c| (r, c))
        });
        let Some((rule, caps)) = rule else {
            if !is_dir {
                skipped.push(Skipped {
                    path: rel,
                    reason: "no rule matched".into(),
                });
            }
            continue;
        };
        let named = expand(&rule.raw.asset, &caps).and_then(|name| {
            bifrost_core::validate_name(bifrost_core::NameKind::Asset, &name)
                .map(|()| name)
                .map_err(|e| e.to_string())
        });
        let tags: std::result::Result<Vec<String>, String> =
            rule.raw.tags.iter().map(|t| expand(t, &caps)).collect();
        let (name, tags) = match (named, tags) {
            (Ok(n), Ok(t)) => (n, t),
            (Err(e), _) | (_, Err(e)) => {
                if is_dir {
                    walk.skip_current_dir();
                }
                skipped.push(Skipped {
                    path: rel,
                    reason: format!("cannot name the asset: {e}"),
                });
                continue;
            }
        };
        let mut files = Vec::new();
        let mut problem = None;
        if is_dir {
            walk.skip_current_dir();
            let inner = walkdir::WalkDir::new(entry.path())
                .follow_links(true)
                .sort_by_file_name()
                .min_depth(1);
            for e in inner {
                let e = match e {
                    Ok(e) => e,
                    Err(err) => {
                        let at = err.path().map(|p| rel_string(root, p)).unwrap_or_default();
                        skipped.push(Skipped {
                            path: at.clone(),
                            reason: walk_error_reason(&err),
                        });
                        problem.get_or_insert(at);
                        continue;
                    }
                };
                if e.file_type().is_dir() {
                    continue;
                }
                let file_rel = rel_string(root, e.path());
                if ignored(&file_rel) {
                    continue;
                }
                match probe_file(e.path()) {
                    Ok(meta) if meta.is_file() => files.push(PlannedFile {
                        path: rel_string(entry.path(), e.path()),
                        source: e.path().to_owned(),
                        size: meta.len(),
                        mode: meta.permissions().mode() & 0o7777,
                        modified: meta.modified().ok(),
                    }),
                    Ok(_) => skipped.push(Skipped {
                        path: file_rel,
                        reason: "not a regular file".into(),
                    }),
                    Err(reason) => {
                        skipped.push(Skipped {
                            path: file_rel.clone(),
                            reason,
                        });
                        problem.get_or_insert(file_rel);
                    }
                }
            }
        } else {
            match probe_file(entry.path()) {
                Ok(meta) if meta.is_file() => files.push(PlannedFile {
                    path: entry.file_name().to_string_lossy().into_owned(),
                    source: entry.path().to_owned(),
                    size: meta.len(),
                    mode: meta.permissions().mode() & 0o7777,
                    modified: meta.modified().ok(),
                }),
                Ok(_) => {
                    skipped.push(Skipped {
                        path: rel,
                        reason: "not a regular file".into(),
                    });
                    continue;
                }
                Err(reason) => {
                    skipped.push(Skipped {
                        path: rel.clone(),
                        reason,
                    });
                    problem = Some(rel.clone());
                }
            }
        }
        if let Some(p) = problem {
            broken.insert(name.clone(), p);
        }
        if let Some(f) = files.iter().find(|f| !FileEntry::is_safe_path(&f.path)) {
            broken.insert(name.clone(), rel_string(root, &f.source));
        }
        match assets.get_mut(&name) {
            Some(existing) if is_dir || existing.source.ends_with('/') => {
                skipped.push(Skipped {
                    path: rel,
                    reason: format!("asset `{name}` is already taken by `{}`", existing.source),
                });
            }
            Some(existing) => {
                for f in files {
                    if existing.files.iter().any(|e| e.path == f.path) {
                        skipped.push(Skipped {
                            path: rel_string(root, &f.source),
                            reason: format!("asset `{name}` already has a file `{}`", f.path),
                        });
                    } else {
                        existing.bytes += f.size;
                        existing.files.push(f);
                    }
                }
            }
            None => {
                let bytes = files.iter().map(|f| f.size).sum();
                assets.insert(
                    name.clone(),
                    PlannedAsset {
                        name,
                        asset_type: rule.raw.asset_type.clone(),
                        tags,
                        source: if is_dir { format!("{rel}/") } else { rel },
                        files,
                        bytes,
                        metadata: rule.raw.meta.clone(),
                    },
                );
            }
        }
    }
    let mut planned = Vec::new();
    for (name, asset) in assets {
        if let Some(path) = broken.get(&name) {
            skipped.push(Skipped {
                path: asset.source.clone(),
                reason: format!("asset `{name}` left out: `{path}` cannot be read"),
            });
        } else if asset.files.is_empty() {
            skipped.push(Skipped {
                path: asset.source.clone(),
                reason: format!("asset `{name}` has no files"),
            });
        } else {
            planned.push(asset);
        }
    }
    Ok((planned, skipped))
}

impl Repository {
    /// Ingests `root` by `rules` (see the module docs).
    pub async fn ingest_tree(
        &self,
        root: &Path,
        rules: &IngestRules,
        dry_run: bool,
        progress: Arc<dyn Progress>,
    ) -> Result<IngestOutcome> {
        let lease = self.pack_lease();
        let author = self.actor().user.clone();
        let done = self
            .ingest_tree_leased(root, rules, &author, dry_run, progress, &lease)
            .await;
        lease.release().await;
        done
    }

    async fn ingest_tree_leased(
        &self,
        root: &Path,
        rules: &IngestRules,
        author: &str,
        dry_run: bool,
        progress: Arc<dyn Progress>,
        lease: &crate::custody::PackLease,
    ) -> Result<IngestOutcome> {
        self.require(bifrost_core::access::Permission::Publish)?;
        let (plan, skipped) = plan_ingest(root, rules)?;
        let bytes = plan.iter().map(|a| a.bytes).sum();
        let mut outcome = IngestOutcome {
            dry_run,
            assets: plan.len() as u64,
            published: Vec::new(),
            unchanged: Vec::new(),
            skipped,
            bytes,
            bytes_read: 0,
            bytes_stored: 0,
            plan: Vec::new(),
        };
        if dry_run {
            outcome.plan = plan;
            return Ok(outcome);
        }
        let existing: HashMap<String, bifrost_core::Asset> = self
            .list_assets(&bifrost_core::AssetFilter::default())
            .await?
            .into_iter()
            .map(|a| (a.name.clone(), a))
            .collect();
        // Resume: skip assets whose latest version matches by path, size and time.
        let mut todo = Vec::new();
        let mut latest_files: HashMap<String, (i64, Vec<FileEntry>)> = HashMap::new();
        for asset in plan {
            if let Some(a) = existing.get(&asset.name)
                && a.latest_version.is_some()
            {
                let version = self
                    .resolve(&bifrost_core::VersionRef {
                        asset: asset.name.clone(),
                        version: bifrost_core::VersionSelector::Latest,
                    })
                    .await?;
                let files = self.version_files(&version).await?;
                let mut ours: Vec<(&str, u64)> = asset
                    .files
                    .iter()
                    .map(|f| (f.path.as_str(), f.size))
                    .collect();
                ours.sort_unstable();
                let mut theirs: Vec<(&str, u64)> =
                    files.iter().map(|f| (f.path.as_str(), f.size)).collect();
                theirs.sort_unstable();
                let published = std::time::SystemTime::from(version.created_at);
                let older = asset
                    .files
                    .iter()
                    .all(|f| f.modified.is_some_and(|m| m < published));
                if ours == theirs && older {
                    outcome.unchanged.push((asset.name.clone(), version.number));
                    continue;
                }
                latest_files.insert(asset.name.clone(), (version.number, files));
            }
            todo.push(asset);
        }
        // Departments, before anything is written: an existing asset gets a version only on
        // its department's work, and new assets (of no department) need an unrestricted member.
        for asset in &todo {
            let department = existing
                .get(&asset.name)
                .and_then(|a| a.department.as_deref());
            let permission = if existing.contains_key(&asset.name) {
                bifrost_core::access::Permission::Publish
            } else {
                bifrost_core::access::Permission::Edit
            };
            self.require_department(permission, department)?;
        }
        // New assets in one transaction, journaled together.
        let batch = ProductionBatch {
            assets: todo
                .iter()
                .filter(|a| !existing.contains_key(&a.name))
                .map(|a| NewAsset {
                    name: a.name.clone(),
                    asset_type: a.asset_type.clone(),
                    tags: a.tags.clone(),
                    metadata: a.metadata.clone(),
                    department: None,
                })
                .collect(),
            ..ProductionBatch::default()
        };
        if !batch.assets.is_empty() {
            let mut journal = self
                .recorder()
                .entries(|r, created: &Vec<bifrost_core::Asset>| {
                    let mut created: Vec<&bifrost_core::Asset> = created.iter().collect();
                    created.sort_by(|a, b| a.name.cmp(&b.name));
                    created
                        .into_iter()
                        .map(|a| r.event("asset.created", a.name.clone(), None::<&()>, Some(a)))
                        .collect()
                });
            self.catalog
                .bulk_import(self.project(), &batch, &mut journal)
                .await?;
            self.journaled(&journal);
        }
        progress.start("ingesting", todo.iter().map(|a| a.bytes).sum());
        let result: Result<()> = async {
            let mut start = 0;
            while start < todo.len() {
                let mut end = start;
                let mut batch_bytes = 0;
                while end < todo.len()
                    && end - start < BATCH_ASSETS
                    && (end == start || batch_bytes + todo[end].bytes <= BATCH_BYTES)
                {
                    batch_bytes += todo[end].bytes;
                    end += 1;
                }
                let batch = &todo[start..end];
                let sources: Vec<SourceFile> = batch
                    .iter()
                    .flat_map(|a| a.files.iter())
                    .map(|f| SourceFile {
                        path: f.source.clone(),
                        size_hint: f.size,
                    })
                    .collect();
                let report = self.ingest_sources(sources, &progress, lease).await?;
                outcome.bytes_read += report.bytes_read;
                outcome.bytes_stored += report.bytes_written;
                let mut ingested = report.files.into_iter();
                let mut commits = Vec::new();
                for asset in batch {
                    let mut files = Vec::new();
                    let mut contents: HashMap<_, NewContent> = HashMap::new();
                    for f in &asset.files {
                        let got = ingested.next().expect("one result per source");
                        contents.entry(got.content).or_insert_with(|| NewContent {
                            id: got.content,
                            size: got.size,
                            chunks: got.chunks.clone(),
                        });
                        files.push(FileEntry {
                            path: f.path.clone(),
                            size: got.size,
                            mode: f.mode,
                            content: got.content,
                        });
                    }
                    files.sort_by(|a, b| a.path.cmp(&b.path));
                    if let Some((number, latest)) = latest_files.get(&asset.name) {
                        let mut latest = latest.clone();
                        latest.sort_by(|a, b| a.path.cmp(&b.path));
                        if latest == files {
                            outcome.unchanged.push((asset.name.clone(), *number));
                            continue;
                        }
                    }
                    commits.push((
                        asset.name.clone(),
                        NewVersion {
                            author: author.to_owned(),
                            note: rules.note.clone(),
                            files,
                            contents: contents.into_values().collect(),
                        },
                        Metadata::new(),
                    ));
                }
                // One transaction for the batch's versions and their journal entries.
                self.check_catalog_not_behind().await?;
                let mut journal = self.recorder().entries(|r, versions: &Vec<Version>| {
                    versions
                        .iter()
                        .map(|v| {
                            let entity = format!("{}@v{}", v.asset, v.number);
                            r.event("version.published", entity, None::<&()>, Some(v))
                        })
                        .collect()
                });
                let versions = self
                    .catalog
                    .commit_versions(self.project(), &commits, &mut journal)
                    .await?;
                self.journaled(&journal);
                outcome
                    .published
                    .extend(versions.iter().map(|v| (v.asset.clone(), v.number)));
                start = end;
            }
            Ok(())
        }
        .await;
        progress.finish();
        result?;
        Ok(outcome)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_capture_wildcards() {
        let r = glob_regex("props/*").unwrap();
        let c = r.captures("props/barrel").unwrap();
        assert_eq!(&c[1], "barrel");
        assert!(r.captures("props/a/b").is_none());
        let r = glob_regex("tex/**/*.png").unwrap();
        let c = r.captures("tex/a/b/wood.png").unwrap();
        assert_eq!(&c[2], "wood");
        assert!(r.captures("tex/wood.png").is_some());
        assert!(r.captures("tex/wood.jpg").is_none());
        assert_eq!(expand("tex_{2}", &c).unwrap(), "tex_wood");
        assert!(expand("x_{3}", &c).is_err());
    }

    #[test]
    fn rules_refuse_bad_templates() {
        let bad = "[[rule]]\nglob = \"props/*/\"\nasset = \"{2}\"\ntype = \"prop\"\n";
        assert!(IngestRules::parse(bad).unwrap_err().contains("{2}"));
        assert!(IngestRules::parse("").unwrap_err().contains("[[rule]]"));
        let up = "[[rule]]\nglob = \"../*/\"\nasset = \"{1}\"\ntype = \"prop\"\n";
        assert!(IngestRules::parse(up).unwrap_err().contains("relative"));
    }
}
