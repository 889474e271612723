//! Studio-scale commands: packages, workspaces, batch ingest, duplicate scans and cleanup.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use bifrost::core::VersionRef;
use bifrost::{OnConflict, PackageItem, PackageReader, Repository, WorkspaceMode};
use clap::Subcommand;

use crate::cli::Cli;
use crate::escape::{esc, esc_of};
use crate::output::{Out, human_bytes};

/// Studio commands, flattened into the top level of `bifrost`.
#[derive(Debug, Subcommand)]
pub enum StudioCommand {
    /// Create, inspect, validate, extract and import packages (.bfpkg, a standard ZIP).
    #[command(subcommand, after_help = PKG_HELP)]
    Pkg(PkgCommand),
    /// Work on checked-out assets in a directory kept in step with the repository.
    #[command(subcommand, after_help = WORKSPACE_HELP)]
    Workspace(WorkspaceCommand),
    /// Auto-discover assets in a folder tree by rules and publish them (resumable).
    ///
    /// Examples:
    ///   bifrost ingest /mnt/legacy --rules rules.toml --dry-run
    ///   bifrost ingest /mnt/legacy --rules rules.toml --json > ingest.json
    ///
    /// rules.toml:
    ///   ignore = ["**/.DS_Store"]
    ///   note = "imported from the legacy share"
    ///   [[rule]]
    ///   glob = "props/*/"            # a directory: one asset with its files
    ///   asset = "{1}"                # {N}: what the N-th wildcard matched
    ///   type = "prop"
    ///   tags = ["legacy", "{1}"]
    ///   [[rule]]
    ///   glob = "textures/**/*.png"   # a file pattern: one asset per file
    ///   asset = "tex_{2}"
    ///   type = "texture"
    ///
    /// Files no rule matches, unreadable files, broken links and symbolic-link loops are
    /// reported and skipped. Run it again after an interruption: assets already published
    /// with the same files are skipped.
    // Verbatim: the example lines stay lines in --help.
    #[command(verbatim_doc_comment)]
    Ingest {
        /// The folder to ingest.
        folder: PathBuf,
        /// The rules file (TOML).
        #[arg(long, value_name = "FILE")]
        rules: PathBuf,
        /// Show what would be published and skipped; change nothing.
        #[arg(long)]
        dry_run: bool,
        /// Author recorded on the versions (default: $BIFROST_AUTHOR, else $USER).
        #[arg(long)]
        author: Option<String>,
    },
    /// Report duplicate files in a folder and what ingesting it would save (no repository needed).
    ///
    /// Examples:
    ///   bifrost dedupe /mnt/projects            # identical files, by size then BLAKE3
    ///   bifrost dedupe /mnt/projects --chunks   # also chunk-level savings (reads everything)
    // Verbatim: the example lines stay lines in --help.
    #[command(verbatim_doc_comment)]
    Dedupe {
        /// The folder to scan.
        folder: PathBuf,
        /// Also cut every file as the store does and count distinct chunk bytes.
        #[arg(long)]
        chunks: bool,
        /// Groups to list in the text output.
        #[arg(long, default_value_t = 20, value_name = "N")]
        top: usize,
    },
    /// Remove workspace cache entries no workspace links to, and leftover temporary files.
    ///
    /// Examples:
    ///   bifrost cleanup --dry-run
    ///   bifrost cleanup --grace 0s --also ~/packages
    // Verbatim: the example lines stay lines in --help.
    #[command(verbatim_doc_comment)]
    Cleanup {
        /// Count what would be removed; remove nothing.
        #[arg(long)]
        dry_run: bool,
        /// Leave temporary files younger than this alone (work may be in progress).
        #[arg(long, default_value = "1h", value_name = "DURATION")]
        grace: String,
        /// Another directory to clear of Bifrost's temporary files (repeatable).
        #[arg(long, value_name = "DIR")]
        also: Vec<PathBuf>,
    },
}

const PKG_HELP: &str = "\
Examples:
  bifrost pkg create hero.bfpkg hero_rig@v3 shot SQ010/SH010 --with-deps
  bifrost pkg create props.bfpkg --search 'type:prop tag:hero'
  bifrost pkg list hero.bfpkg
  bifrost pkg validate hero.bfpkg          # every hash and the manifest schema
  bifrost pkg extract hero.bfpkg ./hero    # ./hero/ASSET/vN/…
  bifrost pkg import hero.bfpkg --on-conflict rename";

const WORKSPACE_HELP: &str = "\
Examples:
  bifrost workspace init ~/work/sq010 hero_rig barrel@v2    # follows hero_rig's latest, pins barrel
  cd ~/work/sq010 && bifrost workspace status               # modified / new / deleted
  bifrost workspace edit hero_rig/rig.ma                     # private copy of a linked file
  bifrost workspace publish hero_rig -m \"fix knees\"
  bifrost workspace sync                                     # never overwrites your changes";

#[derive(Debug, Subcommand)]
pub enum PkgCommand {
    /// Write a package of assets, versions and shots (atomically).
    ///
    /// ITEM is an asset NAME (every version), NAME@vN (one version) or `shot SEQ/SHOT`.
    Create {
        /// The package to write (.bfpkg).
        out: PathBuf,
        /// What to include: NAME, NAME@vN, or `shot SEQ/SHOT`.
        items: Vec<String>,
        /// Include everything this search finds (repeatable).
        #[arg(long = "search", value_name = "QUERY")]
        searches: Vec<String>,
        /// Also include the pinned versions the items depend on, transitively.
        #[arg(long)]
        with_deps: bool,
        /// Replace OUT if it exists.
        #[arg(long)]
        force: bool,
    },
    /// List what a package holds.
    List {
        /// The package.
        package: PathBuf,
    },
    /// Check a package: manifest schema, entry names, and the hash of every content.
    Validate {
        /// The package.
        package: PathBuf,
    },
    /// Extract every version to DEST/ASSET/vN/… (DEST must not exist).
    Extract {
        /// The package.
        package: PathBuf,
        /// Destination directory (default: the package name without .bfpkg).
        dest: Option<PathBuf>,
    },
    /// Import a package into the current project (deduplicated; history kept).
    Import {
        /// The package.
        package: PathBuf,
        /// When an asset exists with other versions: error (change nothing), skip (leave it),
        /// rename (import as NAME-imported) or new-version (append the package's versions).
        #[arg(long, default_value = "error", value_name = "POLICY")]
        on_conflict: OnConflict,
    },
}

#[derive(Debug, Subcommand)]
pub enum WorkspaceCommand {
    /// Create a workspace in DIR and check out assets into DIR/ASSET/.
    Init {
        /// The workspace directory (created if missing).
        directory: PathBuf,
        /// Assets to track: NAME follows the latest version, NAME@vN stays on that version.
        assets: Vec<String>,
        /// How files are materialised (default: reflink where the filesystem can, else hardlink, else copy).
        #[arg(long, value_name = "MODE")]
        mode: Option<WorkspaceMode>,
    },
    /// Track more assets in the workspace and check them out.
    Add {
        /// NAME or NAME@vN.
        #[arg(required = true)]
        assets: Vec<String>,
        /// The workspace (default: the one containing the current directory).
        #[arg(long = "dir", value_name = "DIR")]
        workspace: Option<PathBuf>,
    },
    /// Show files modified, new or deleted against the checked-out versions.
    Status {
        /// The workspace (default: the one containing the current directory).
        #[arg(long = "dir", value_name = "DIR")]
        workspace: Option<PathBuf>,
    },
    /// Update every asset to its latest (or pinned) version; your changes are never
    /// overwritten (reported as conflicts, exit status 1).
    Sync {
        /// The workspace (default: the one containing the current directory).
        #[arg(long = "dir", value_name = "DIR")]
        workspace: Option<PathBuf>,
    },
    /// Make linked (read-only) files private, writable copies before editing them.
    Edit {
        /// Files in the workspace.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
    /// Publish the workspace's copy of an asset as its next version.
    Publish {
        /// The asset.
        asset: String,
        /// Publish note.
        #[arg(short = 'm', long = "message", value_name = "NOTE", default_value = "")]
        note: String,
        /// Author recorded on the version (default: $BIFROST_AUTHOR, else $USER).
        #[arg(long)]
        author: Option<String>,
        /// The workspace (default: the one containing the current directory).
        #[arg(long = "dir", value_name = "DIR")]
        workspace: Option<PathBuf>,
    },
}

fn bar(cli: &Cli) -> Arc<dyn bifrost::Progress> {
    Arc::new(crate::progress::Bar::new(cli.quiet || cli.json))
}

/// Splits `pkg create` items: NAME, NAME@vN, `shot SEQ/SHOT`.
fn package_items(items: &[String], searches: &[String]) -> Result<Vec<PackageItem>> {
    let mut out = Vec::new();
    let mut it = items.iter();
    while let Some(item) = it.next() {
        if item == "shot" {
            let Some(shot) = it.next() else {
                bail!("`shot` must be followed by SEQ/SHOT, e.g. shot SQ010/SH010");
            };
            let Some((sequence, name)) = shot.split_once('/') else {
                bail!("`shot {shot}`: write SEQ/SHOT, e.g. shot SQ010/SH010");
            };
            out.push(PackageItem::Shot {
                sequence: sequence.to_owned(),
                shot: name.to_owned(),
            });
        } else {
            out.push(PackageItem::Version(item.parse::<VersionRef>()?));
        }
    }
    out.extend(searches.iter().cloned().map(PackageItem::Search));
    if out.is_empty() {
        bail!(
            "nothing to package: name assets (NAME or NAME@vN), `shot SEQ/SHOT`, or --search QUERY"
        );
    }
    Ok(out)
}

fn refs(items: &[String]) -> Result<Vec<VersionRef>> {
    Ok(items
        .iter()
        .map(|i| i.parse::<VersionRef>())
        .collect::<Result<_, _>>()?)
}

/// The workspace DIR names (or the one around the current directory) and its repository.
async fn open_workspace(cli: &Cli, workspace: &Option<PathBuf>) -> Result<(PathBuf, Repository)> {
    let base = crate::start_dir(cli)?;
    let start = workspace
        .as_ref()
        .map_or(base.clone(), |d| crate::absolute(&base, d));
    let ws = bifrost::find_workspace(&start)?;
    let (root, project) = bifrost::workspace_origin(&ws)?;
    let repo = Repository::open(&root)
        .await
        .with_context(|| format!("the workspace's repository `{}`", root.display()))?
        .acting_as(bifrost::Actor {
            user: crate::author(None),
            origin: "local".to_owned(),
            request_id: None,
        })
        .with_project(&project)
        .await?;
    Ok((ws, repo))
}

pub async fn run(cmd: &StudioCommand, cli: &Cli, out: &Out) -> Result<ExitCode> {
    let base = crate::start_dir(cli)?;
    match cmd {
        StudioCommand::Pkg(cmd) => return pkg(cmd, cli, out).await,
        StudioCommand::Workspace(cmd) => return workspace(cmd, cli, out).await,
        StudioCommand::Ingest {
            folder,
            rules,
            dry_run,
            author,
        } => {
            let rules = bifrost::IngestRules::load(&crate::absolute(&base, rules))?;
            let repo = crate::open(cli).await?;
            let result = repo
                .ingest_tree(
                    &crate::absolute(&base, folder),
                    &rules,
                    &crate::author(author.clone()),
                    *dry_run,
                    bar(cli),
                )
                .await;
            repo.close().await;
            let o = result?;
            if out.json() {
                out.value(&o, String::new);
                return Ok(ExitCode::SUCCESS);
            }
            if *dry_run {
                for a in &o.plan {
                    out.say(format!(
                        "would publish {} ({}): {} files, {} from {}",
                        esc(&a.name),
                        esc(&a.asset_type),
                        a.files.len(),
                        human_bytes(a.bytes),
                        esc_of(&a.source)
                    ));
                }
            }
            for s in o.skipped.iter().take(50) {
                out.say(format!(
                    "skipped {}: {}",
                    esc_of(&s.path),
                    esc_of(&s.reason)
                ));
            }
            if o.skipped.len() > 50 {
                out.say(format!(
                    "… and {} more skipped (see --json)",
                    o.skipped.len() - 50
                ));
            }
            out.say(format!(
                "{}{} assets found ({}): {} published, {} unchanged, {} paths skipped; read {}, stored {}",
                if o.dry_run { "dry run: " } else { "" },
                o.assets,
                human_bytes(o.bytes),
                o.published.len(),
                o.unchanged.len(),
                o.skipped.len(),
                human_bytes(o.bytes_read),
                human_bytes(o.bytes_stored)
            ));
        }
        StudioCommand::Dedupe {
            folder,
            chunks,
            top,
        } => {
            let params = if *chunks {
                // The repository's chunking if there is one here, else the defaults.
                Some(match crate::open(cli).await {
                    Ok(repo) => {
                        let p = repo.chunking();
                        repo.close().await;
                        p
                    }
                    Err(_) => bifrost::core::ChunkingParams::default(),
                })
            } else {
                None
            };
            let r = bifrost::scan_duplicates(&crate::absolute(&base, folder), params, bar(cli))?;
            if out.json() {
                out.value(&r, String::new);
                return Ok(ExitCode::SUCCESS);
            }
            for g in r.groups.iter().take(*top) {
                out.say(format!(
                    "{} × {} ({}):",
                    g.paths.len(),
                    human_bytes(g.size),
                    &g.content.to_string()[..16]
                ));
                for p in &g.paths {
                    out.say(format!("    {}", esc_of(p)));
                }
            }
            if r.groups.len() > *top {
                out.say(format!(
                    "… and {} more groups (see --json)",
                    r.groups.len() - top
                ));
            }
            for (p, why) in &r.unreadable {
                out.say(format!("unreadable {}: {}", esc_of(p), esc_of(why)));
            }
            let pct = |saved: u64| {
                if r.bytes == 0 {
                    0.0
                } else {
                    saved as f64 * 100.0 / r.bytes as f64
                }
            };
            out.say(format!(
                "{} files, {}: {} duplicate groups; whole-file dedup saves {} ({:.1}%)",
                r.files,
                human_bytes(r.bytes),
                r.groups.len(),
                human_bytes(r.duplicate_bytes),
                pct(r.duplicate_bytes)
            ));
            if let Some(saved) = r.chunk_saved_bytes {
                out.say(format!(
                    "chunk-level dedup saves {} ({:.1}%) before compression",
                    human_bytes(saved),
                    pct(saved)
                ));
            }
        }
        StudioCommand::Cleanup {
            dry_run,
            grace,
            also,
        } => {
            let repo = crate::open(cli).await?;
            let extra: Vec<PathBuf> = also.iter().map(|d| crate::absolute(&base, d)).collect();
            let r = repo
                .cleanup(*dry_run, bifrost::parse_duration(grace)?, &extra)
                .await;
            repo.close().await;
            let r = r?;
            out.value(&r, || {
                format!(
                    "{}{} cache entries ({}) and {} temporary files ({}); {} workspaces in use, {} forgotten",
                    if r.dry_run { "would remove " } else { "removed " },
                    r.cache_entries_removed,
                    human_bytes(r.cache_bytes_removed),
                    r.temp_removed,
                    human_bytes(r.temp_bytes_removed),
                    r.workspaces,
                    r.workspaces_forgotten.len()
                )
            });
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn pkg(cmd: &PkgCommand, cli: &Cli, out: &Out) -> Result<ExitCode> {
    let base = crate::start_dir(cli)?;
    match cmd {
        PkgCommand::Create {
            out: path,
            items,
            searches,
            with_deps,
            force,
        } => {
            let items = package_items(items, searches)?;
            let repo = crate::open(cli).await?;
            let result = repo
                .create_package(
                    &items,
                    *with_deps,
                    &crate::absolute(&base, path),
                    *force,
                    bar(cli),
                )
                .await;
            repo.close().await;
            let c = result?;
            out.value(&c, || {
                format!(
                    "wrote {}: {} assets, {} versions, {} shots, {} links, {} contents ({} → {})",
                    esc_of(c.package.display()),
                    c.assets,
                    c.versions,
                    c.shots,
                    c.links,
                    c.contents,
                    human_bytes(c.content_bytes),
                    human_bytes(c.package_bytes)
                )
            });
        }
        PkgCommand::List { package } => {
            let reader = PackageReader::open(&crate::absolute(&base, package))?;
            let m = reader.manifest();
            if out.json() {
                out.value(m, String::new);
                return Ok(ExitCode::SUCCESS);
            }
            out.say(format!(
                "package format {} from project {} by {} at {} ({} contents, {})",
                m.format,
                esc(&m.project),
                esc(&m.created_by),
                m.created_at.format("%Y-%m-%d %H:%M"),
                m.contents.len(),
                human_bytes(m.content_bytes())
            ));
            for a in &m.assets {
                let versions: Vec<String> = m
                    .versions
                    .iter()
                    .filter(|v| v.asset == a.name)
                    .map(|v| format!("v{}", v.number))
                    .collect();
                out.say(format!(
                    "asset {} ({}): {}",
                    esc(&a.name),
                    esc(&a.asset_type),
                    versions.join(" ")
                ));
            }
            for s in &m.shots {
                out.say(format!(
                    "shot {}/{} ({}-{})",
                    esc(&s.sequence),
                    esc(&s.name),
                    s.frame_start,
                    s.frame_end
                ));
            }
            for l in &m.links {
                let pin = l.pin.map(|p| format!(" @v{p}")).unwrap_or_default();
                out.say(format!(
                    "link {} -> {}{pin} ({})",
                    esc_of(&l.src),
                    esc_of(&l.dst),
                    l.kind
                ));
            }
        }
        PkgCommand::Validate { package } => {
            let path = crate::absolute(&base, package);
            let mut reader = PackageReader::open(&path)?;
            let check = reader.verify(bar(cli).as_ref())?;
            let json = serde_json::json!({
                "package": path,
                "valid": true,
                "format": check.manifest.format,
                "entries": check.entries,
                "bytes": check.bytes,
                "assets": check.manifest.assets.len(),
                "versions": check.manifest.versions.len(),
            });
            out.value(&json, || {
                format!(
                    "{} is valid: {} entries, {} hashed",
                    esc_of(path.display()),
                    check.entries,
                    human_bytes(check.bytes)
                )
            });
        }
        PkgCommand::Extract { package, dest } => {
            let path = crate::absolute(&base, package);
            let dest = match dest {
                Some(d) => crate::absolute(&base, d),
                None => path.with_extension(""),
            };
            let mut reader = PackageReader::open(&path)?;
            let files = reader.extract(&dest, bar(cli).as_ref())?;
            let json = serde_json::json!({"package": path, "destination": dest, "files": files});
            out.value(&json, || {
                format!("extracted {files} files into {}", esc_of(dest.display()))
            });
        }
        PkgCommand::Import {
            package,
            on_conflict,
        } => {
            let repo = crate::open(cli).await?;
            let result = repo
                .import_package(&crate::absolute(&base, package), *on_conflict, bar(cli))
                .await;
            repo.close().await;
            let r = result?;
            if out.json() {
                out.value(&r, String::new);
                return Ok(ExitCode::SUCCESS);
            }
            for a in &r.assets {
                let versions: Vec<String> = a.versions.iter().map(|v| format!("v{v}")).collect();
                let target = if a.imported_as == a.name {
                    String::new()
                } else {
                    format!(" as {}", esc(&a.imported_as))
                };
                out.say(format!(
                    "{} {}{target}{}",
                    a.action,
                    esc(&a.name),
                    if versions.is_empty() {
                        String::new()
                    } else {
                        format!(": {}", versions.join(" "))
                    }
                ));
            }
            for l in &r.links_skipped {
                out.say(format!("link left out (an end was skipped): {}", esc_of(l)));
            }
            out.say(format!(
                "imported: {} new contents, {} stored, {} shots, {} links",
                r.new_contents,
                human_bytes(r.bytes_stored),
                r.shots_created,
                r.links_created
            ));
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn sync_text(out: &Out, r: &bifrost::SyncReport) {
    for (asset, from, to) in &r.updated {
        let from = if *from == 0 {
            "nothing".to_owned()
        } else {
            format!("v{from}")
        };
        out.say(format!("{}: {from} → v{to}", esc(asset)));
    }
    for c in &r.conflicts {
        out.say(format!(
            "conflict {}/{}: {}",
            esc(&c.asset),
            esc(&c.path),
            esc(&c.reason)
        ));
    }
    out.say(format!(
        "{} ({} mode): {} files written, {} removed, {} conflicts",
        esc_of(r.dir.display()),
        r.mode,
        r.written,
        r.removed,
        r.conflicts.len()
    ));
}

async fn workspace(cmd: &WorkspaceCommand, cli: &Cli, out: &Out) -> Result<ExitCode> {
    let base = crate::start_dir(cli)?;
    let report = match cmd {
        WorkspaceCommand::Init {
            directory,
            assets,
            mode,
        } => {
            let assets = refs(assets)?;
            let repo = crate::open(cli).await?;
            let r = repo
                .workspace_init(&crate::absolute(&base, directory), *mode, &assets, bar(cli))
                .await;
            repo.close().await;
            r?
        }
        WorkspaceCommand::Add { assets, workspace } => {
            let assets = refs(assets)?;
            let (ws, repo) = open_workspace(cli, workspace).await?;
            let r = repo.workspace_add(&ws, &assets, bar(cli)).await;
            repo.close().await;
            r?
        }
        WorkspaceCommand::Sync { workspace } => {
            let (ws, repo) = open_workspace(cli, workspace).await?;
            let r = repo.workspace_sync(&ws, bar(cli)).await;
            repo.close().await;
            r?
        }
        WorkspaceCommand::Status { workspace } => {
            let (ws, repo) = open_workspace(cli, workspace).await?;
            let r = repo.workspace_status(&ws);
            repo.close().await;
            let s = r?;
            if out.json() {
                out.value(&s, String::new);
            } else {
                for (asset, (version, pin)) in &s.assets {
                    let pin = if pin.is_some() { " (pinned)" } else { "" };
                    out.say(format!("{} @ v{version}{pin}", esc(asset)));
                }
                for c in &s.changes {
                    out.say(format!(
                        "{:>9}  {}/{}",
                        c.kind.to_string(),
                        esc(&c.asset),
                        esc(&c.path)
                    ));
                }
                if s.changes.is_empty() {
                    out.say(format!("clean: {} files match their versions", s.files));
                }
            }
            return Ok(ExitCode::SUCCESS);
        }
        WorkspaceCommand::Edit { paths } => {
            let mut edited = Vec::new();
            for p in paths {
                let p = crate::absolute(&base, p);
                let start = p.parent().map(PathBuf::from).unwrap_or_else(|| p.clone());
                let ws = bifrost::find_workspace(&start)?;
                let (root, project) = bifrost::workspace_origin(&ws)?;
                let repo = Repository::open(&root)
                    .await?
                    .with_project(&project)
                    .await?;
                let r = repo.workspace_edit(&p);
                repo.close().await;
                edited.push(r?);
            }
            out.value(&edited, || {
                format!("{} files are now private, writable copies", edited.len())
            });
            return Ok(ExitCode::SUCCESS);
        }
        WorkspaceCommand::Publish {
            asset,
            note,
            author,
            workspace,
        } => {
            let (ws, repo) = open_workspace(cli, workspace).await?;
            let r = repo
                .workspace_publish(&ws, asset, &crate::author(author.clone()), note, bar(cli))
                .await;
            repo.close().await;
            out.published(&r?);
            return Ok(ExitCode::SUCCESS);
        }
    };
    if out.json() {
        out.value(&report, String::new);
    } else {
        sync_text(out, &report);
    }
    if report.conflicts.is_empty() {
        Ok(ExitCode::SUCCESS)
    } else {
        eprintln!(
            "error: {} files changed here were kept and not updated; resolve them (e.g. move your copy aside) and sync again",
            report.conflicts.len()
        );
        Ok(ExitCode::FAILURE)
    }
}
