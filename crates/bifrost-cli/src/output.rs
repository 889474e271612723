//! Rendering: text for people, JSON (`--json`) for scripts. One method per result kind.
//! Text shows user-controlled fields through [`esc`] (control characters as visible escapes,
//! column widths counted on the escaped text); JSON keeps them exact (see `escape.rs`).

use bifrost::api::ops::assets::AssetWithStatus;
use bifrost::core::{Asset, FileEntry, Project, RepoStats, Version};
use bifrost::{CheckoutOutcome, FsckReport, GcReport, ProblemKind, PublishOutcome, Repository};
use serde::Serialize;

use crate::escape::{esc, esc_of};

/// Where and how results are printed.
pub struct Out {
    json: bool,
    quiet: bool,
}

/// `1536` → `1.5 KiB`.
pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 6] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
    let mut v = n as f64;
    let mut unit = 0;
    while v >= 1024.0 && unit < UNITS.len() - 1 {
        v /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[unit])
    }
}

fn when(t: &chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%d %H:%M").to_string()
}

impl Out {
    pub fn new(json: bool, quiet: bool) -> Self {
        Self { json, quiet }
    }

    fn emit<T: Serialize>(&self, value: &T) {
        println!("{}", crate::escape::json_pretty(value));
    }

    /// A one-line confirmation, suppressed by --quiet.
    pub fn say(&self, text: impl AsRef<str>) {
        if !self.quiet {
            println!("{}", text.as_ref());
        }
    }

    pub fn json(&self) -> bool {
        self.json
    }

    /// JSON of `value`, or the text form `text` prints.
    pub fn show<T: Serialize>(&self, value: &T, text: impl FnOnce()) {
        if self.json {
            self.emit(value);
        } else {
            text();
        }
    }

    /// JSON of `value`, or a one-line confirmation.
    pub fn value<T: Serialize>(&self, value: &T, text: impl FnOnce() -> String) {
        if self.json {
            self.emit(value);
        } else {
            self.say(text());
        }
    }

    pub fn init(&self, repo: &Repository) {
        if self.json {
            self.emit(&serde_json::json!({
                "root": repo.root(),
                "catalog": repo.catalog_backend(),
                "store": repo.store_url(),
                "project": repo.project(),
            }));
        } else {
            self.say(format!(
                "Initialized Bifrost repository in {} (catalog: {}, store: {}, project: {})",
                esc_of(repo.root().display()),
                repo.catalog_backend(),
                esc(&repo.store_url()),
                esc(repo.project())
            ));
        }
    }

    pub fn project(&self, p: &Project) {
        if self.json {
            self.emit(p);
        } else {
            self.say(format!("project {}", esc(&p.name)));
        }
    }

    pub fn projects(&self, projects: &[Project], current: &str) {
        if self.json {
            let rows: Vec<_> = projects
                .iter()
                .map(|p| serde_json::json!({"name": p.name, "created_at": p.created_at, "current": p.name == current}))
                .collect();
            self.emit(&rows);
        } else {
            for p in projects {
                let mark = if p.name == current { "*" } else { " " };
                println!("{mark} {}", esc(&p.name));
            }
        }
    }

    pub fn asset_created(&self, a: &Asset) {
        if self.json {
            self.emit(a);
        } else {
            self.say(format!(
                "created {} `{}` in project {}",
                esc(&a.asset_type),
                esc(&a.name),
                esc(&a.project)
            ));
        }
    }

    pub fn assets(&self, assets: &[Asset]) {
        if self.json {
            self.emit(&assets);
            return;
        }
        if assets.is_empty() {
            self.say("no assets (create one with `bifrost asset create NAME --type TYPE`)");
            return;
        }
        // Widths count the escaped text, which is what is printed.
        let rows: Vec<_> = assets
            .iter()
            .map(|a| (esc(&a.name), esc(&a.asset_type), a))
            .collect();
        let w = rows
            .iter()
            .map(|(name, _, _)| name.chars().count())
            .max()
            .unwrap_or(4)
            .max(4);
        let tw = rows
            .iter()
            .map(|(_, asset_type, _)| asset_type.chars().count())
            .max()
            .unwrap_or(4)
            .max(4);
        println!("{:<w$}  {:<tw$}  {:>7}  TAGS", "NAME", "TYPE", "LATEST");
        for (name, asset_type, a) in &rows {
            let latest = a.latest_version.map_or("-".into(), |v| format!("v{v}"));
            println!(
                "{:<w$}  {:<tw$}  {:>7}  {}",
                name,
                asset_type,
                latest,
                esc(&a.tags.join(","))
            );
        }
    }

    pub fn asset_show(&self, shown: &AssetWithStatus, versions: &[Version], files: &[FileEntry]) {
        if self.json {
            let mut v = serde_json::to_value(shown).expect("asset serializes");
            v["versions"] = serde_json::to_value(versions).expect("versions serialize");
            v["latest_files"] = serde_json::to_value(files).expect("files serialize");
            self.emit(&v);
            return;
        }
        let a = &shown.asset;
        println!("asset    {}", esc(&a.name));
        println!("project  {}", esc(&a.project));
        println!("type     {}", esc(&a.asset_type));
        println!("tags     {}", esc(&a.tags.join(", ")));
        println!("created  {}", when(&a.created_at));
        for (k, v) in &a.metadata {
            println!("meta     {} = {}", esc(k), esc_of(v));
        }
        println!("versions {}", versions.len());
        if let Some(last) = versions.last() {
            println!(
                "latest   v{} by {} on {} ({} files, {})",
                last.number,
                esc(&last.author),
                when(&last.created_at),
                last.file_count,
                human_bytes(last.total_bytes as u64)
            );
            for f in files {
                println!(
                    "  {:>10}  {:o}  {}  {}",
                    human_bytes(f.size),
                    f.mode,
                    f.content.short(),
                    esc(&f.path)
                );
            }
        }
    }

    pub fn published(&self, o: &PublishOutcome) {
        if self.json {
            self.emit(o);
        } else {
            self.say(format!(
                "published {}@v{}: {} files, {} read, {} new ({} chunks)",
                esc(&o.version.asset),
                o.version.number,
                o.version.file_count,
                human_bytes(o.bytes_read),
                human_bytes(o.bytes_stored),
                o.new_chunks
            ));
        }
    }

    pub fn log(&self, asset: &str, versions: &[Version]) {
        if self.json {
            self.emit(&versions);
            return;
        }
        if versions.is_empty() {
            let asset = esc(asset);
            self.say(format!(
                "`{asset}` has no versions yet (publish one with `bifrost publish {asset} PATH`)"
            ));
        }
        for v in versions.iter().rev() {
            println!(
                "v{:<4} {}  {:<12} {:>5} files {:>10}  {}",
                v.number,
                when(&v.created_at),
                esc(&v.author),
                v.file_count,
                human_bytes(v.total_bytes as u64),
                esc(&v.note)
            );
        }
    }

    pub fn checked_out(&self, o: &CheckoutOutcome) {
        if self.json {
            self.emit(o);
        } else {
            self.say(format!(
                "checked out {}@v{} into {}: {} files, {}",
                esc(&o.version.asset),
                o.version.number,
                esc_of(o.destination.display()),
                o.files,
                human_bytes(o.bytes)
            ));
        }
    }

    pub fn stats(&self, s: &RepoStats) {
        let ratio = if s.stored_bytes == 0 {
            0.0
        } else {
            s.logical_bytes as f64 / s.stored_bytes as f64
        };
        if self.json {
            let mut v = serde_json::to_value(s).expect("stats serialize");
            v["dedup_ratio"] = serde_json::json!((ratio * 100.0).round() / 100.0);
            v["saved_bytes"] = serde_json::json!(s.logical_bytes.saturating_sub(s.stored_bytes));
            self.emit(&v);
            return;
        }
        println!("projects       {}", s.projects);
        println!("assets         {}", s.assets);
        println!("versions       {}", s.versions);
        println!(
            "logical bytes  {} (all files of all versions)",
            human_bytes(s.logical_bytes)
        );
        println!(
            "stored bytes   {} in {} packs",
            human_bytes(s.stored_bytes),
            s.packs
        );
        println!(
            "chunks         {} ({} distinct file contents)",
            s.chunks, s.contents
        );
        if s.stored_bytes > 0 {
            println!(
                "deduplication  {ratio:.2}x ({} saved)",
                human_bytes(s.logical_bytes.saturating_sub(s.stored_bytes))
            );
        }
    }

    pub fn fsck(&self, r: &FsckReport) {
        if self.json {
            self.emit(r);
            return;
        }
        for p in &r.problems {
            println!("{:?}: {} — {}", p.kind, esc(&p.object), esc(&p.detail));
        }
        let mut kinds: Vec<_> = r.problems.iter().map(|p| p.kind).collect();
        kinds.dedup();
        for kind in kinds {
            if let Some(hint) = fsck_hint(kind) {
                eprintln!("hint: {hint}");
            }
        }
        if !r.unreferenced_packs.is_empty() {
            self.say(format!(
                "note: {} pack(s) in the store are not referenced by the catalog (left by interrupted publishes; `bifrost gc` removes them)",
                r.unreferenced_packs.len()
            ));
        }
        let scope = if r.read_data {
            format!(
                "{} packs, {} chunks verified, {} read",
                r.packs_checked,
                r.chunks_verified,
                human_bytes(r.bytes_read)
            )
        } else {
            format!(
                "{} packs present (use --read-data to verify contents)",
                r.packs_checked
            )
        };
        if r.is_clean() {
            self.say(format!("ok: {scope}"));
        } else {
            eprintln!("error: {} problem(s) found; {scope}", r.problems.len());
        }
    }

    pub fn gc(&self, r: &GcReport) {
        if self.json {
            self.emit(r);
            return;
        }
        let verb = if r.dry_run { "would free" } else { "freed" };
        self.say(format!(
            "{verb} {}: {} packs deleted, {} repacked, {} orphan packs, {} contents, {} interrupted writes",
            human_bytes(r.bytes_freed),
            r.packs_deleted,
            r.packs_repacked,
            r.orphan_packs_deleted,
            r.contents_removed,
            r.staging_files_removed
        ));
    }
}

/// What to do about each kind of fsck problem.
fn fsck_hint(kind: ProblemKind) -> Option<&'static str> {
    Some(match kind {
        ProblemKind::SearchIndex => {
            "the search index is derived data: `bifrost fsck --repair` rebuilds it and loses nothing"
        }
        ProblemKind::CatalogDamaged => {
            "the catalog database is damaged: stop writing, restore .bifrost/catalog.db (with its \
             -wal file) from a backup, or salvage it with `sqlite3 catalog.db .recover`"
        }
        ProblemKind::CatalogBehind => {
            "restore the catalog (for SQLite, catalog.db with its -wal file) from a backup taken \
             after the lost changes; if what was lost is accepted, `bifrost fsck --accept-catalog` \
             allows publishing again (lost version numbers may then be handed out again)"
        }
        ProblemKind::RecordMismatch => {
            "versions, contents or chunks disagree: restore the catalog from a backup, and \
             report the problem with the output of `bifrost fsck --json`"
        }
        ProblemKind::MissingPack | ProblemKind::MissingChunk | ProblemKind::MissingContent => {
            "bytes a version needs are gone from the store: restore the named packs from a \
             backup of the store; versions that need them cannot be checked out until then"
        }
        ProblemKind::CorruptPack
        | ProblemKind::CorruptChunk
        | ProblemKind::PackSizeMismatch
        | ProblemKind::IndexMismatch => {
            "stored bytes are damaged: restore the named packs from a backup of the store \
             (a checkout refuses damaged chunks, it never writes them)"
        }
    })
}
