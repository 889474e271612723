//! Versions of an asset: `publish`, `log`, `checkout`, `diff` and `rollback`.

use std::path::PathBuf;

use anyhow::Result;
use bifrost::CheckoutOptions;
use bifrost::api::all_pages;
use bifrost::api::ops::{Diff, ListVersions, Rollback};
use bifrost::core::{Version, VersionRef};
use clap::Subcommand;

use crate::cli::Cli;
use crate::escape::esc;
use crate::input::parse_version_number;
use crate::output::{Out, human_bytes};
use crate::session::{self, Front};

/// Version commands, flattened into the top level of `bifrost`.
#[derive(Debug, Subcommand)]
pub enum VersionsCommand {
    /// Publish files and directories as the next version of an asset.
    ///
    /// A file is stored under its own name; a directory's files are stored relative to the
    /// directory. Only chunks the repository does not have yet are written.
    ///
    /// Example: bifrost publish hero ./hero/ -m "fix UVs"
    Publish {
        /// The asset (create it first with `bifrost asset create`).
        name: String,
        /// Files and directories to publish.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Publish note.
        #[arg(short = 'm', long = "message", value_name = "NOTE", default_value = "")]
        note: String,
        /// Author recorded on the version (default: $BIFROST_AUTHOR, else $USER).
        #[arg(long)]
        author: Option<String>,
    },
    /// Show the version history of an asset.
    Log {
        /// The asset.
        name: String,
    },
    /// Materialise a version into a directory.
    ///
    /// Examples:
    ///   bifrost checkout hero ./work/hero          # latest version
    ///   bifrost checkout hero@v3 ./review/hero_v3
    // Verbatim: the example lines stay lines in --help.
    #[command(verbatim_doc_comment)]
    Checkout {
        /// NAME, NAME@vN or NAME@latest.
        reference: String,
        /// Destination directory (created if missing).
        dest: PathBuf,
        /// Overwrite files that already exist at the destination.
        #[arg(long)]
        force: bool,
    },
    /// Compare two versions: files added, removed and changed, bytes that differ, metadata.
    ///
    /// Example: bifrost diff hero@v3 hero@v5
    Diff {
        /// The older version (NAME@vN).
        from: VersionRef,
        /// The newer version (NAME@vN or NAME for the latest).
        to: VersionRef,
    },
    /// Publish a new version equal to an old one (history is never rewritten).
    Rollback {
        /// The asset.
        name: String,
        /// The version to return to (vN).
        #[arg(value_name = "vN")]
        to_version: String,
        /// Note for the new version (default "rollback to vN").
        #[arg(short = 'm', long = "message")]
        note: Option<String>,
        /// Author (default: $BIFROST_AUTHOR, else $USER).
        #[arg(long)]
        author: Option<String>,
    },
}

/// Every version of an asset, oldest first.
pub async fn versions_of(hub: &impl Front, asset: &str) -> Result<Vec<Version>> {
    let details = all_pages(
        hub,
        ListVersions {
            project: hub.project().to_owned(),
            asset: asset.to_owned(),
            limit: None,
            offset: None,
        },
    )
    .await?;
    Ok(details.into_iter().map(|d| d.version).collect())
}

pub async fn run(cmd: &VersionsCommand, cli: &Cli, hub: &impl Front, out: &Out) -> Result<()> {
    match cmd {
        VersionsCommand::Publish {
            name,
            paths,
            note,
            author,
        } => {
            let base = session::start_dir(cli)?;
            let paths: Vec<PathBuf> = paths.iter().map(|p| session::absolute(&base, p)).collect();
            let outcome = hub
                .as_author(author)
                .publish(name, &paths, note, session::bar(cli))
                .await?;
            out.published(&outcome);
        }
        VersionsCommand::Log { name } => out.log(name, &versions_of(hub, name).await?),
        VersionsCommand::Checkout {
            reference,
            dest,
            force,
        } => {
            let reference: VersionRef = reference.parse()?;
            let dest = session::absolute(&session::start_dir(cli)?, dest);
            let outcome = hub
                .checkout(
                    &reference,
                    &dest,
                    CheckoutOptions { force: *force },
                    session::bar(cli),
                )
                .await?;
            out.checked_out(&outcome);
        }
        VersionsCommand::Diff { from, to } => {
            let d = hub
                .call(Diff {
                    project: hub.project().to_owned(),
                    asset: from.asset.clone(),
                    from: from.version,
                    to: to.version,
                    to_asset: (to.asset != from.asset).then(|| to.asset.clone()),
                })
                .await?;
            out.show(&d, || {
                println!(
                    "{}@v{} → {}@v{}",
                    esc(&d.from.asset),
                    d.from.number,
                    esc(&d.to.asset),
                    d.to.number
                );
                for f in &d.added {
                    println!("  added    {} ({})", esc(&f.path), human_bytes(f.size));
                }
                for f in &d.removed {
                    println!("  removed  {} ({})", esc(&f.path), human_bytes(f.size));
                }
                for c in &d.changed {
                    println!(
                        "  changed  {} ({} → {}, {} differ)",
                        esc(&c.path),
                        human_bytes(c.from.size),
                        human_bytes(c.to.size),
                        human_bytes(c.bytes_differing)
                    );
                }
                for m in &d.metadata {
                    let show = |v: &Option<serde_json::Value>| {
                        v.as_ref().map_or("-".to_owned(), crate::escape::esc_of)
                    };
                    println!(
                        "  meta     {}: {} → {}",
                        esc(&m.key),
                        show(&m.from),
                        show(&m.to)
                    );
                }
                println!(
                    "{} unchanged, {} differ",
                    d.unchanged,
                    human_bytes(d.bytes_differing)
                );
            });
        }
        VersionsCommand::Rollback {
            name,
            to_version,
            note,
            author,
        } => {
            let n = parse_version_number(to_version)?;
            let v = hub
                .as_author(author)
                .call(Rollback {
                    project: hub.project().to_owned(),
                    asset: name.clone(),
                    version: n,
                    note: note.clone(),
                })
                .await?;
            out.show(&v, || {
                out.say(format!(
                    "published {}@v{} equal to v{n}",
                    esc(&v.asset),
                    v.number
                ))
            });
        }
    }
    Ok(())
}
