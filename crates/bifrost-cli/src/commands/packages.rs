//! `bifrost pkg`: packages (.bfpkg, a standard ZIP) of assets, versions and shots.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Result, bail};
use bifrost::core::VersionRef;
use bifrost::{OnConflict, PackageItem, PackageReader};
use clap::Subcommand;

use crate::cli::Cli;
use crate::escape::{esc, esc_of};
use crate::output::{Out, human_bytes};
use crate::session;

pub const PKG_HELP: &str = "\
Examples:
  bifrost pkg create hero.bfpkg hero_rig@v3 shot SQ010/SH010 --with-deps
  bifrost pkg create props.bfpkg --search 'type:prop tag:hero'
  bifrost pkg list hero.bfpkg
  bifrost pkg validate hero.bfpkg          # every hash and the manifest schema
  bifrost pkg extract hero.bfpkg ./hero    # ./hero/ASSET/vN/…
  bifrost pkg import hero.bfpkg --on-conflict rename";

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

pub async fn run(cmd: &PkgCommand, cli: &Cli, out: &Out) -> Result<ExitCode> {
    let base = session::start_dir(cli)?;
    match cmd {
        PkgCommand::Create {
            out: path,
            items,
            searches,
            with_deps,
            force,
        } => {
            let items = package_items(items, searches)?;
            let repo = session::open(cli).await?;
            let result = repo
                .create_package(
                    &items,
                    *with_deps,
                    &session::absolute(&base, path),
                    *force,
                    session::bar(cli),
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
            let reader = PackageReader::open(&session::absolute(&base, package))?;
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
            let path = session::absolute(&base, package);
            let mut reader = PackageReader::open(&path)?;
            let check = reader.verify(session::bar(cli).as_ref())?;
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
            let path = session::absolute(&base, package);
            let dest = match dest {
                Some(d) => session::absolute(&base, d),
                None => path.with_extension(""),
            };
            let mut reader = PackageReader::open(&path)?;
            let files = reader.extract(&dest, session::bar(cli).as_ref())?;
            let json = serde_json::json!({"package": path, "destination": dest, "files": files});
            out.value(&json, || {
                format!("extracted {files} files into {}", esc_of(dest.display()))
            });
        }
        PkgCommand::Import {
            package,
            on_conflict,
        } => {
            let repo = session::open(cli).await?;
            let result = repo
                .import_package(
                    &session::absolute(&base, package),
                    *on_conflict,
                    session::bar(cli),
                )
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
