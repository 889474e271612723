//! The repository as a whole: `init`, `stats`, `fsck` and `gc`. Only `stats` is an operation
//! of the table (it runs on a server too); the others open the local catalog and store.

use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Result;
use bifrost::{GcOptions, InitOptions, Repository};
use clap::{Args, Subcommand};

use crate::cli::Cli;
use crate::output::Out;
use crate::session::{self, Front};

/// Create a repository (default: SQLite catalog and local store inside PATH/.bifrost).
///
/// Examples:
///   bifrost init
///   bifrost init /studio/show --catalog postgres://bifrost@db/show --store s3://assets?endpoint=http://minio:9000
// Verbatim: the example lines stay lines in --help.
#[derive(Debug, Args)]
#[command(verbatim_doc_comment)]
pub struct InitArgs {
    /// Directory to create the repository in (default: the current directory).
    path: Option<std::path::PathBuf>,
    /// Catalog: a SQLite file path (default `.bifrost/catalog.db`) or postgres://USER@HOST/DB.
    #[arg(long, value_name = "URL")]
    catalog: Option<String>,
    /// Store: a directory (default `.bifrost/store`), file:///PATH, or
    /// s3://BUCKET[/PREFIX]?endpoint=URL (credentials from AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY).
    #[arg(long, value_name = "URL")]
    store: Option<String>,
}

/// Repository-wide commands, flattened into the top level of `bifrost`.
#[derive(Debug, Subcommand)]
pub enum RepositoryCommand {
    /// Show how much is stored and how much deduplication saves.
    Stats,
    /// Check the repository; exits with status 1 and names every missing or corrupt object.
    ///
    /// Checks the store against the catalog (every pack present, with --read-data every chunk
    /// verified) and the catalog itself: the database's integrity, the search index against
    /// what it indexes, versions, contents and chunks against each other, and whether the
    /// catalog lost changes committed through this repository (a deleted SQLite WAL file, an
    /// older copy restored). Exit status 1 when anything is wrong; each problem says what to do.
    ///
    /// Examples:
    ///   bifrost fsck --read-data
    ///   bifrost fsck --repair            # rebuild a damaged search index (loses nothing)
    ///   bifrost fsck --accept-catalog    # after recovering the catalog, accept it as it is
    #[command(verbatim_doc_comment)]
    Fsck {
        /// Also read every pack and verify every chunk's hash (slow: reads all stored data).
        #[arg(long)]
        read_data: bool,
        /// Rebuild the search index if it is found damaged, then check again (the index is
        /// derived from the other tables: rebuilding it loses nothing).
        #[arg(long)]
        repair: bool,
        /// Accept the catalog as it is now, after it lost changes and was recovered as far as
        /// possible (or an older copy was restored on purpose): publishing works again.
        #[arg(long)]
        accept_catalog: bool,
    },
    /// Delete chunks and packs no version needs (mark and sweep).
    Gc {
        /// Report what would be deleted without deleting anything.
        #[arg(long)]
        dry_run: bool,
        /// Leave unreferenced packs younger than this alone (at least 15m unless --force).
        /// Publishes in flight also lease their packs, which gc never touches.
        #[arg(long, default_value = "1h", value_name = "DURATION")]
        grace: String,
        /// Accept a grace period shorter than 15m (only when no older Bifrost writes here).
        #[arg(long)]
        force: bool,
    },
}

impl RepositoryCommand {
    /// Whether the command is an operation of the table (it runs with --remote too).
    pub fn on_hub(&self) -> bool {
        matches!(self, RepositoryCommand::Stats)
    }
}

/// `bifrost init`.
pub async fn init(args: &InitArgs, cli: &Cli, out: &Out) -> Result<()> {
    let base = session::start_dir(cli)?;
    let target = args.path.as_ref().map_or(base.clone(), |p| base.join(p));
    // Paths typed on the command line are relative to where the user stands.
    let local = |url: &Option<String>| {
        url.as_ref()
            .map(|u| match u.strip_prefix("sqlite:").unwrap_or(u) {
                p if !u.contains("://") => std::path::absolute(base.join(p))
                    .unwrap_or_else(|_| base.join(p))
                    .display()
                    .to_string(),
                _ => u.clone(),
            })
    };
    let repo = Repository::init(
        &target,
        InitOptions {
            catalog: local(&args.catalog),
            store: local(&args.store),
        },
    )
    .await?;
    out.init(&repo);
    repo.close().await;
    Ok(())
}

/// `bifrost stats`, on any hub.
pub async fn stats(hub: &impl Front, out: &Out) -> Result<()> {
    out.stats(&hub.call(bifrost::api::ops::Stats {}).await?);
    Ok(())
}

/// `bifrost fsck` and `bifrost gc`, on the local repository.
pub async fn run_local(cmd: &RepositoryCommand, cli: &Cli, out: &Out) -> Result<ExitCode> {
    match cmd {
        RepositoryCommand::Fsck {
            read_data,
            repair,
            accept_catalog,
        } => {
            let repo = match session::open(cli).await {
                Ok(repo) => repo,
                // A catalog too damaged to open is what fsck is for: report it as a problem.
                Err(e) => match damaged_catalog(&e) {
                    Some(damage) => {
                        out.fsck(&bifrost::FsckReport::catalog_damaged(*read_data, damage));
                        return Ok(ExitCode::FAILURE);
                    }
                    None => return Err(e),
                },
            };
            let bars = session::bars(cli);
            let report = fsck(&repo, *read_data, *repair, *accept_catalog, out, &bars).await;
            repo.close().await;
            let report = report?;
            out.fsck(&report);
            if !report.is_clean() {
                return Ok(ExitCode::FAILURE);
            }
        }
        RepositoryCommand::Gc {
            dry_run,
            grace,
            force,
        } => {
            let repo = session::open(cli).await?;
            let report = repo
                .gc(GcOptions {
                    dry_run: *dry_run,
                    grace: bifrost::parse_duration(grace)?,
                    force: *force,
                    ..GcOptions::default()
                })
                .await;
            repo.close().await;
            out.gc(&report?);
        }
        RepositoryCommand::Stats => unreachable!("stats runs on any hub: see stats()"),
    }
    Ok(ExitCode::SUCCESS)
}

/// The catalog damage `e` reports, if that is what it is.
fn damaged_catalog(e: &anyhow::Error) -> Option<&bifrost::CatalogError> {
    e.chain().find_map(|cause| {
        let catalog = match cause.downcast_ref::<bifrost::Error>() {
            Some(bifrost::Error::Catalog(c)) => Some(c),
            _ => cause.downcast_ref::<bifrost::CatalogError>(),
        };
        catalog.filter(|c| c.code() == bifrost::api::ErrorCode::CatalogDamaged)
    })
}

/// `bifrost fsck`: the check, with the repairs asked for (each followed by a fresh check).
async fn fsck(
    repo: &Repository,
    read_data: bool,
    repair: bool,
    accept_catalog: bool,
    out: &Out,
    bar: &dyn Fn() -> Arc<dyn bifrost::Progress>,
) -> Result<bifrost::FsckReport> {
    if accept_catalog {
        let at = repo.accept_catalog().await?;
        out.say(format!(
            "accepted the catalog as it is (its journal ends at entry {at}); publishing is allowed again"
        ));
    }
    let report = repo.fsck(read_data, bar()).await?;
    let index_damaged = report
        .problems
        .iter()
        .any(|p| p.kind == bifrost::ProblemKind::SearchIndex);
    if repair && index_damaged {
        let written = repo.rebuild_search_index().await?;
        out.say(format!("rebuilt the search index ({written} documents)"));
        return Ok(repo.fsck(read_data, bar()).await?);
    }
    Ok(report)
}
